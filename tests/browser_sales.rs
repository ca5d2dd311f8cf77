//! Sales in a real browser (issue 18): a sales rep starts a quote from a deal, adds lines from
//! the catalogue by search, gives a discount beyond their limit (the quote says it needs a
//! manager's approval), a manager approves, the rep sends it, opens the printable proposal
//! (screenshot at A4 width), the customer accepts and the order is there, linked from the quote.
//! Every sales page is photographed in English and Indonesian at desktop and tablet size
//! (`target/screenshots/sales-*.png`) for a person to look at.

use fantoccini::{Client, Locator};
use serde_json::json;
use wilayah_shared::access::Role;
use wilayah_shared::sales::line_amounts;
use wilayah_tests::browser::{
    click_test_id, connect_sized, save_screenshot, sign_in_as, start_chromedriver, text_of,
    type_into, wait_for_js,
};
use wilayah_tests::{TestApp, created, id};

/// A tiny logo, as a data URL (the settings accept one).
const LOGO: &str = "data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg' width='120' height='48'%3E%3Crect width='120' height='48' rx='8' fill='%230f766e'/%3E%3Ctext x='60' y='31' font-size='20' text-anchor='middle' fill='white' font-family='sans-serif'%3EKN%3C/text%3E%3C/svg%3E";

/// Waits until the element `test_id` exists and has text.
async fn wait_text(client: &Client, what: &str, test_id: &str) -> String {
    wait_for_js(
        client,
        what,
        &format!(
            "const e = document.querySelector('[data-testid=\"{test_id}\"]');
             return e !== null && e.textContent.trim() !== '' && e.textContent.trim();"
        ),
    )
    .await
    .as_str()
    .unwrap_or_default()
    .to_owned()
}

async fn wait_count(client: &Client, what: &str, test_id: &str, n: usize) {
    wait_for_js(
        client,
        what,
        &format!("return document.querySelectorAll('[data-testid=\"{test_id}\"]').length === {n};"),
    )
    .await;
}

/// Sets an input's value as a user's edit would end (a `change` event).
async fn set_input(client: &Client, test_id: &str, index: usize, value: &str) {
    client
        .execute(
            "const e = document.querySelectorAll(`[data-testid=\"${arguments[0]}\"]`)[arguments[1]];
             e.value = arguments[2]; e.dispatchEvent(new Event('change', {bubbles: true}));",
            vec![json!(test_id), json!(index), json!(value)],
        )
        .await
        .expect("set an input");
}

/// Photographs the page in English and Indonesian at desktop (1366×900) and tablet (1024×768)
/// size, checking that no text overflows the page sideways; leaves it in English at desktop.
async fn photograph(client: &Client, name: &str) {
    for lang in ["en", "id"] {
        for (label, w, h) in [("desktop", 1366, 900), ("tablet", 1024, 768)] {
            client.set_window_size(w, h).await.expect("resize");
            wait_for_js(
                client,
                "the resize",
                &format!(
                    "return window.innerWidth <= {w} && document.documentElement.lang === '{lang}';"
                ),
            )
            .await;
            let overflow = client
                .execute(
                    "return document.documentElement.scrollWidth - document.documentElement.clientWidth;",
                    vec![],
                )
                .await
                .expect("page width");
            assert!(
                overflow.as_i64().unwrap_or_default() <= 1,
                "{name} {lang} {label}: the page is {overflow} px wider than the window"
            );
            save_screenshot(client, &format!("sales-{name}-{lang}-{label}")).await;
        }
        click_test_id(client, "lang-switch").await;
    }
    client.set_window_size(1366, 900).await.expect("resize");
    wait_for_js(
        client,
        "English again",
        "return document.documentElement.lang === 'en';",
    )
    .await;
}

#[tokio::test]
async fn a_rep_quotes_from_the_catalogue_prints_the_proposal_and_the_accepted_quote_is_an_order() {
    let app = TestApp::start_with(|c| c.no_demo = true).await;
    let base = app.serve().await;

    // The company, the catalogue (one product flagged by an import), a rep's customer and deal.
    let (status, saved) = app
        .send_json(
            "PUT",
            "/api/v1/sales/settings",
            &json!({"version": 0, "settings": {
                "company_name": "PT Kopi Nusantara", "company_address": "Jl. Braga 12\nBandung 40111",
                "logo_url": LOGO, "default_terms": "Prices include delivery within Bandung. Payment 30 days after invoice.",
                "discount_limits": {"sales_rep_bp": 1000, "manager_bp": 2500, "admin_bp": 10000}}}),
        )
        .await;
    assert!(status.is_success(), "{saved}");
    let rep = created(
        &app,
        "/api/v1/staff",
        json!({"name": "Sari Rep", "email": "sari@sales.test", "role": "sales_rep"}),
    )
    .await;
    let manager = created(
        &app,
        "/api/v1/staff",
        json!({"name": "Budi Manager", "email": "budi@sales.test", "role": "manager"}),
    )
    .await;
    let account = created(
        &app,
        "/api/v1/accounts",
        json!({"name": "Toko Sumber Rejeki", "kind": "customer", "segment": "retail",
               "address": "Jl. Asia Afrika 8, Bandung", "lon": 107.61, "lat": -6.92,
               "owner_id": id(&rep), "external_id": "C-100"}),
    )
    .await;
    let deal = created(
        &app,
        "/api/v1/opportunities",
        json!({"account_id": id(&account), "title": "Coffee for the new branch", "stage": "proposal",
               "value_minor": 5_000_000, "currency": "IDR"}),
    )
    .await;
    let coffee = created(
        &app,
        "/api/v1/products",
        json!({"sku": "KOPI-ARABIKA-1KG", "name_en": "Arabica coffee beans 1 kg", "name_id": "Biji kopi arabika 1 kg",
               "unit": "kg", "category": "coffee", "list_price_minor": 185_000, "cost_price_minor": 111_000}),
    )
    .await;
    let sugar = created(
        &app,
        "/api/v1/products",
        json!({"sku": "GULA-AREN-500", "name_en": "Palm sugar 500 g", "name_id": "Gula aren 500 g",
               "unit": "pack", "category": "food", "list_price_minor": 32_500, "cost_price_minor": 19_000}),
    )
    .await;
    created(
        &app,
        "/api/v1/products",
        json!({"sku": "OLD-SYSTEM-77", "name_en": "OLD-SYSTEM-77", "list_price_minor": 9_000, "status": "review"}),
    )
    .await;
    let list = created(
        &app,
        "/api/v1/price_lists",
        json!({"name": "Retail Bandung", "segment": "retail", "valid_from": "2020-01-01"}),
    )
    .await;
    created(
        &app,
        "/api/v1/price_list_items",
        json!({"price_list_id": id(&list), "product_id": id(&coffee), "price_minor": 175_000}),
    )
    .await;

    let driver = start_chromedriver();
    let client = connect_sized(&driver, 1366, 900).await;
    sign_in_as(&app, &client, &base, Role::SalesRep, Some(id(&rep))).await;

    // "New quote" from the deal.
    client
        .goto(&format!("{base}/quotes/new?deal={}", id(&deal)))
        .await
        .expect("open the new quote page");
    assert_eq!(
        wait_text(&client, "the deal's title", "new-quote-deal").await,
        "Coffee for the new branch"
    );
    wait_for_js(
        &client,
        "the create button",
        "const b = document.querySelector('[data-testid=create-quote]'); return b && !b.disabled;",
    )
    .await;
    click_test_id(&client, "create-quote").await;
    wait_for_js(
        &client,
        "the new draft",
        "return /^\\/quotes\\/\\d+$/.test(location.pathname) && document.querySelector('[data-testid=quote-title]') !== null;",
    )
    .await;
    let quote_id: i64 = client
        .execute("return Number(location.pathname.split('/')[2]);", vec![])
        .await
        .unwrap()
        .as_i64()
        .unwrap();

    // Lines from the catalogue, found by name and by SKU.
    for (search, n) in [("arabica", 1), ("gula-aren", 2)] {
        let input = client
            .find(Locator::Css("[data-testid=product-search]"))
            .await
            .expect("the search");
        input.clear().await.expect("clear the search");
        input.send_keys(search).await.expect("type a search");
        wait_count(&client, "one product found", "pick-product", 1).await;
        click_test_id(&client, "pick-product").await;
        wait_count(&client, "the new line", "quote-line", n).await;
    }
    // 15 % off the coffee (beyond a rep's 10 %) and 2.5 packs of sugar.
    set_input(&client, "line-discount", 0, "15").await;
    set_input(&client, "line-quantity", 1, "2.5").await;
    click_test_id(&client, "save-quote").await;
    wait_text(&client, "the approval notice", "needs-approval").await;

    // The totals are the server's, in integer rupiah with the documented rounding.
    let coffee_line = line_amounts(175_000, 1_000, 1_500, 1_100, 111_000).unwrap();
    let sugar_line = line_amounts(32_500, 2_500, 0, 1_100, 19_000).unwrap();
    let total = coffee_line.total_minor + sugar_line.total_minor;
    assert_eq!(
        wait_text(&client, "the total", "total-total").await,
        wilayah_app::format_money(total, "IDR")
    );
    let (_, stored) = app.get_json(&format!("/api/v1/quotes/{quote_id}")).await;
    assert_eq!(stored["totals"]["total_minor"], total, "{stored}");
    assert_eq!(
        stored["lines"][0]["unit_price_minor"], 175_000,
        "the retail list's price"
    );
    save_screenshot(&client, "sales-quote-needs-approval-en-desktop").await;

    // A manager approves; the rep sends the quote, which is then frozen.
    let boss = app.as_user(Role::Manager, Some(id(&manager)), vec![]).await;
    let (status, approved) = boss
        .send_json(
            "POST",
            &format!("/api/v1/quotes/{quote_id}/approve"),
            &json!({"version": stored["version"]}),
        )
        .await;
    assert!(status.is_success(), "{approved}");
    client.refresh().await.expect("reload the quote");
    wait_text(&client, "the approval", "approved").await;
    click_test_id(&client, "send-quote").await;
    wait_text(&client, "the frozen notice", "frozen").await;
    assert_eq!(text_of(&client, "status").await, "Sent");
    let inputs = client
        .find_all(Locator::Css("[data-testid=line-quantity]"))
        .await
        .unwrap();
    assert!(inputs.is_empty(), "a sent revision is read-only");
    photograph(&client, "quote").await;

    // The printable proposal, at A4 width.
    client
        .goto(&format!("{base}/quotes/{quote_id}/print"))
        .await
        .expect("open the proposal");
    assert_eq!(
        wait_text(&client, "the company", "company-name").await,
        "PT Kopi Nusantara"
    );
    wait_count(&client, "the proposal's lines", "print-line", 2).await;
    assert_eq!(
        text_of(&client, "print-customer").await,
        "Toko Sumber Rejeki"
    );
    let logo_loaded = client
        .execute(
            "const i = document.querySelector('[data-testid=company-logo]'); return i && i.complete && i.naturalWidth > 0;",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(logo_loaded, json!(true), "the logo shows");
    let css = client
        .execute(
            "return [...document.styleSheets].flatMap(s => { try { return [...s.cssRules].map(r => r.cssText); } catch (e) { return []; } })
                .filter(t => t.toLowerCase().includes('size: a4') || t.startsWith('@media print')).length;",
            vec![],
        )
        .await
        .unwrap();
    assert!(
        css.as_i64().unwrap_or(0) >= 2,
        "A4 page and print rules: {css}"
    );
    // A4 (210 mm = 794 CSS px) plus room for a scroll bar.
    client.set_window_size(820, 1160).await.expect("A4 width");
    // As printed: the print media rules applied to the screen (the bar and buttons hidden).
    client
        .execute(
            "for (const s of document.styleSheets) { try { for (const r of s.cssRules) {
                 if (r.media && r.media.mediaText === 'print') r.media.mediaText = 'all'; } } catch (e) {} }",
            vec![],
        )
        .await
        .unwrap();
    let sheet_width = client
        .execute(
            "return document.querySelector('[data-testid=proposal]').getBoundingClientRect().width;",
            vec![],
        )
        .await
        .unwrap();
    assert!(
        (sheet_width.as_f64().unwrap() - 793.7).abs() < 2.0,
        "the sheet is A4 wide: {sheet_width}"
    );
    save_screenshot(&client, "sales-print-a4").await;
    client.refresh().await.expect("reload the proposal");
    wait_count(&client, "the proposal's lines", "print-line", 2).await;
    photograph(&client, "print").await;

    // The customer accepts: the order is written and linked from the quote.
    client
        .goto(&format!("{base}/quotes/{quote_id}"))
        .await
        .expect("back to the quote");
    wait_text(&client, "the sent quote", "frozen").await;
    click_test_id(&client, "accept-quote").await;
    wait_text(&client, "the order link", "order-link").await;
    assert_eq!(text_of(&client, "status").await, "Accepted");
    click_test_id(&client, "order-link").await;
    wait_text(&client, "the order", "order-title").await;
    wait_count(&client, "the order's lines", "order-line", 2).await;
    assert_eq!(
        text_of(&client, "total-total").await,
        wilayah_app::format_money(total, "IDR"),
        "the order totals what the quote did"
    );
    assert_eq!(text_of(&client, "status").await, "Open");
    let (_, won) = app
        .get_json(&format!("/api/v1/opportunities/{}", id(&deal)))
        .await;
    assert_eq!(won["stage"], "won");
    photograph(&client, "order").await;

    client
        .goto(&format!("{base}/orders"))
        .await
        .expect("open the orders");
    wait_count(&client, "the order in the list", "order-row", 1).await;
    wait_for_js(
        &client,
        "the customer's name",
        "return document.querySelector('[data-testid=order-row]').textContent.includes('Toko Sumber Rejeki');",
    )
    .await;
    photograph(&client, "orders").await;

    // An order entered directly (a phone sale, no quote): the customer found by name, two
    // sacks of coffee priced by the server from the customer's price list on the order date.
    click_test_id(&client, "new-order-link").await;
    wait_text(&client, "the new order form", "new-order").await;
    type_into(&client, "order-account-search", "sumber rejeki").await;
    wait_count(&client, "the customer found", "pick-account", 1).await;
    click_test_id(&client, "pick-account").await;
    assert_eq!(
        wait_text(&client, "the chosen customer", "new-order-account").await,
        "Toko Sumber Rejeki Another customer"
    );
    type_into(&client, "product-search", "arabica").await;
    wait_count(&client, "one product found", "pick-product", 1).await;
    click_test_id(&client, "pick-product").await;
    wait_count(&client, "the new line", "quote-line", 1).await;
    set_input(&client, "line-quantity", 0, "2").await;
    photograph(&client, "new-order").await;
    click_test_id(&client, "create-order").await;
    wait_for_js(
        &client,
        "the entered order",
        "return /^\\/orders\\/\\d+$/.test(location.pathname) && document.querySelector('[data-testid=order-title]') !== null;",
    )
    .await;
    let order_id: i64 = client
        .execute("return Number(location.pathname.split('/')[2]);", vec![])
        .await
        .unwrap()
        .as_i64()
        .unwrap();
    let direct = line_amounts(175_000, 2_000, 0, 1_100, 111_000).unwrap();
    assert_eq!(
        wait_text(&client, "the order's total", "total-total").await,
        wilayah_app::format_money(direct.total_minor, "IDR")
    );
    let (_, stored) = app.get_json(&format!("/api/v1/orders/{order_id}")).await;
    assert_eq!(stored["account_id"], id(&account), "{stored}");
    assert_eq!(stored["status"], "open");
    assert!(stored["quote_id"].is_null(), "entered directly: {stored}");
    assert_eq!(stored["lines"][0]["quantity_milli"], 2_000);
    client.close().await.expect("close the rep's browser");

    // The catalogue, as an admin: the product from an import highlighted for review.
    let client = connect_sized(&driver, 1366, 900).await;
    sign_in_as(&app, &client, &base, Role::Admin, None).await;
    client
        .goto(&format!("{base}/catalogue"))
        .await
        .expect("open the catalogue");
    wait_count(&client, "the products", "product-row", 3).await;
    wait_count(&client, "the price list", "price-list-row", 1).await;
    let review = client
        .execute(
            "return [...document.querySelectorAll('[data-testid=product-row].review')].map(r => r.textContent);",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(review.as_array().map(Vec::len), Some(1), "{review}");
    assert!(review[0].as_str().unwrap().contains("OLD-SYSTEM-77"));
    wait_for_js(
        &client,
        "the settings",
        "const i = document.querySelector('[data-testid=setting-company_name]'); return i && i.value === 'PT Kopi Nusantara';",
    )
    .await;
    click_test_id(&client, "open-price-list").await;
    wait_count(&client, "the list's price", "price-row", 1).await;
    photograph(&client, "catalogue").await;
    client.close().await.expect("close the admin's browser");
    let _ = sugar;
}
