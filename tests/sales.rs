//! Products, quotes and orders over HTTP against a real database (SQLite, or PostgreSQL with
//! DATABASE_URL): quote totals are the shared rounding's, discounts beyond a role's limit wait
//! for a manager, accepting a quote writes the order and wins the deal in one transaction (or
//! nothing), the order-history import names bad rows and is idempotent, and a rep quotes only
//! on their own accounts.

use axum::body::Body;
use axum::http::{Request, StatusCode};
use chrono::{Duration, Utc};
use serde_json::{Value, json};
use wilayah_shared::access::Role;
use wilayah_shared::sales::{LineAmounts, line_amounts};
use wilayah_tests::{Client, TestApp, created, id};

async fn app() -> TestApp {
    TestApp::start_with(|c| c.no_demo = true).await
}

fn valid_until() -> String {
    (Utc::now() + Duration::days(30)).date_naive().to_string()
}

/// A sales rep (staff member and user).
async fn rep(app: &TestApp, n: u32) -> (i64, Client) {
    let staff = created(
        app,
        "/api/v1/staff",
        json!({"name": format!("Rep {n}"), "email": format!("rep{n}@sales.test"), "role": "sales_rep"}),
    )
    .await;
    let client = app.as_user(Role::SalesRep, Some(id(&staff)), vec![]).await;
    (id(&staff), client)
}

async fn manager(app: &TestApp) -> Client {
    let staff = created(
        app,
        "/api/v1/staff",
        json!({"name": "Manager", "email": "manager@sales.test", "role": "manager"}),
    )
    .await;
    app.as_user(Role::Manager, Some(id(&staff)), vec![]).await
}

async fn account(app: &TestApp, owner: i64, external_id: &str) -> i64 {
    let account = created(
        app,
        "/api/v1/accounts",
        json!({"name": format!("Toko {external_id}"), "kind": "customer", "segment": "retail",
               "lon": 106.8, "lat": -6.2, "owner_id": owner, "external_id": external_id}),
    )
    .await;
    id(&account)
}

async fn product(app: &TestApp, sku: &str, list_price: i64, cost: i64) -> i64 {
    let product = created(
        app,
        "/api/v1/products",
        json!({"sku": sku, "name_en": format!("Product {sku}"), "list_price_minor": list_price,
               "cost_price_minor": cost, "tax_rate_bp": 1100}),
    )
    .await;
    id(&product)
}

fn line(product_id: i64, quantity_milli: i64, discount_bp: i64) -> Value {
    json!({"product_id": product_id, "quantity_milli": quantity_milli, "discount_bp": discount_bp})
}

async fn quote(client: &Client, account_id: i64, lines: Vec<Value>) -> (StatusCode, Value) {
    client
        .send_json(
            "POST",
            "/api/v1/quotes",
            &json!({"account_id": account_id, "valid_until": valid_until(), "lines": lines}),
        )
        .await
}

async fn move_quote(client: &Client, quote: &Value, status: &str) -> (StatusCode, Value) {
    client
        .send_json(
            "POST",
            &format!("/api/v1/quotes/{}/status", id(quote)),
            &json!({"version": quote["version"], "status": status}),
        )
        .await
}

async fn import(client: &Client, csv: &str, dry_run: bool) -> (StatusCode, Value) {
    let request = Request::post(format!("/api/v1/orders/import?dry_run={dry_run}"))
        .header("content-type", "text/csv")
        .body(Body::from(csv.to_owned()))
        .unwrap();
    client.request_json(request).await
}

async fn total(client: &Client, uri: &str) -> i64 {
    let (status, page) = client.get_json(uri).await;
    assert_eq!(status, StatusCode::OK, "{uri}: {page}");
    page["total"].as_i64().expect("a total")
}

#[tokio::test]
async fn quote_lines_are_priced_from_the_price_list_and_total_with_the_shared_rounding() {
    let app = app().await;
    let (rep_id, rep) = rep(&app, 1).await;
    let account_id = account(&app, rep_id, "C-1").await;
    let listed = product(&app, "KOPI-1", 10_001, 4_003).await;
    let plain = product(&app, "GULA-1", 7_777, 3_001).await;
    let list = created(
        &app,
        "/api/v1/price_lists",
        json!({"name": "Retail", "segment": "retail", "valid_from": "2020-01-01"}),
    )
    .await;
    created(
        &app,
        "/api/v1/price_list_items",
        json!({"price_list_id": id(&list), "product_id": listed, "price_minor": 9_999}),
    )
    .await;

    // Quantities and a discount chosen to land on half units.
    let (status, q) = quote(
        &rep,
        account_id,
        vec![
            line(listed, 1_500, 250),
            line(plain, 333, 0),
            line(listed, 2_001, 1_000),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{q}");
    assert_eq!(q["status"], "draft");
    assert_eq!(q["revision"], 1);
    let lines = q["lines"].as_array().unwrap();
    assert_eq!(
        lines[0]["unit_price_minor"], 9_999,
        "the retail list's price"
    );
    assert_eq!(lines[0]["price_source"]["kind"], "price_list");
    assert_eq!(
        lines[1]["unit_price_minor"], 7_777,
        "no list prices it: list price"
    );
    assert_eq!(lines[1]["unit_cost_minor"], 3_001);

    let expected: Vec<LineAmounts> = [
        (9_999, 1_500, 250, 4_003),
        (7_777, 333, 0, 3_001),
        (9_999, 2_001, 1_000, 4_003),
    ]
    .iter()
    .map(|&(p, q, d, c)| line_amounts(p, q, d, 1_100, c).unwrap())
    .collect();
    for (got, want) in lines.iter().zip(&expected) {
        assert_eq!(got["net_minor"], want.net_minor, "{got}");
        assert_eq!(got["tax_minor"], want.tax_minor, "{got}");
        assert_eq!(got["total_minor"], want.total_minor, "{got}");
    }
    let sum = |f: fn(&LineAmounts) -> i64| expected.iter().map(f).sum::<i64>();
    let totals = &q["totals"];
    assert_eq!(totals["subtotal_minor"], sum(|a| a.net_minor));
    assert_eq!(totals["tax_minor"], sum(|a| a.tax_minor));
    assert_eq!(totals["total_minor"], sum(|a| a.total_minor));
    assert_eq!(totals["cost_minor"], sum(|a| a.cost_minor));
    assert_eq!(
        totals["margin_minor"],
        sum(|a| a.net_minor) - sum(|a| a.cost_minor)
    );

    // Stored and read back the same.
    let (status, again) = rep.get_json(&format!("/api/v1/quotes/{}", id(&q))).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(again["totals"], q["totals"]);

    // Bad lines are named by line number and field; nothing is written.
    let (status, refused) = quote(
        &rep,
        account_id,
        vec![line(listed, 0, 0), line(999_999, 1_000, 0)],
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{refused}");
    let errors = refused["errors"].as_array().unwrap();
    assert!(
        errors
            .iter()
            .any(|e| e["row"] == 1 && e["field"] == "quantity_milli"),
        "{refused}"
    );
    assert!(
        errors
            .iter()
            .any(|e| e["row"] == 2 && e["field"] == "product_id"),
        "{refused}"
    );
    assert_eq!(total(&rep, "/api/v1/quotes").await, 1);
}

#[tokio::test]
async fn a_discount_beyond_the_reps_limit_waits_for_a_managers_approval() {
    let app = app().await;
    let (rep_id, rep) = rep(&app, 1).await;
    let manager = manager(&app).await;
    let account_id = account(&app, rep_id, "C-1").await;
    let p = product(&app, "TEH-1", 10_000, 5_000).await;

    // Exactly at the rep's 10 %: no approval needed.
    let (_, within) = quote(&rep, account_id, vec![line(p, 1_000, 1_000)]).await;
    assert_eq!(within["approval_needed"], Value::Null);
    let (status, sent) = move_quote(&rep, &within, "sent").await;
    assert_eq!(status, StatusCode::OK, "{sent}");
    assert_eq!(sent["quote"]["status"], "sent");

    // 15 %: the rep cannot send it, nor approve it.
    let (_, deep) = quote(&rep, account_id, vec![line(p, 1_000, 1_500)]).await;
    assert_eq!(deep["approval_needed"]["lines"], json!([1]), "{deep}");
    let (status, refused) = move_quote(&rep, &deep, "sent").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{refused}");
    assert_eq!(refused["field"], "approval");
    let approve = format!("/api/v1/quotes/{}/approve", id(&deep));
    let (status, _) = rep
        .send_json("POST", &approve, &json!({"version": deep["version"]}))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    // The manager approves (a stale version first: 409), then the rep sends.
    let (status, _) = manager
        .send_json("POST", &approve, &json!({"version": 99}))
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
    let (status, approved) = manager
        .send_json("POST", &approve, &json!({"version": deep["version"]}))
        .await;
    assert_eq!(status, StatusCode::OK, "{approved}");
    assert_eq!(approved["approval"]["role"], "manager");
    let (status, sent) = move_quote(&rep, &approved, "sent").await;
    assert_eq!(status, StatusCode::OK, "{sent}");

    // 30 % is beyond a manager's own 25 %.
    let (_, deeper) = quote(&rep, account_id, vec![line(p, 1_000, 3_000)]).await;
    let (status, refused) = manager
        .send_json(
            "POST",
            &format!("/api/v1/quotes/{}/approve", id(&deeper)),
            &json!({"version": deeper["version"]}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{refused}");
    assert_eq!(refused["field"], "approval");

    // A sent revision is frozen; a revision is a new draft and supersedes it.
    let quote_uri = format!("/api/v1/quotes/{}", sent["quote"]["id"]);
    let (status, frozen) = rep
        .send_json(
            "PATCH",
            &quote_uri,
            &json!({"version": sent["quote"]["version"], "terms": "x"}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{frozen}");
    let (status, revised) = rep
        .send_json(
            "POST",
            &format!("{quote_uri}/revise"),
            &json!({"version": sent["quote"]["version"], "valid_until": valid_until()}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{revised}");
    assert_eq!(revised["revision"], 2);
    assert_eq!(revised["quote_no"], sent["quote"]["quote_no"]);
    assert_eq!(revised["status"], "draft");
    assert_eq!(
        revised["approval"],
        Value::Null,
        "a new revision starts without approval"
    );
    let (_, old) = rep.get_json(&quote_uri).await;
    assert_eq!(old["status"], "superseded");
}

#[tokio::test]
async fn accepting_a_quote_writes_the_order_and_wins_the_deal_in_one_transaction() {
    let app = app().await;
    let (rep_id, rep) = rep(&app, 1).await;
    let account_id = account(&app, rep_id, "C-1").await;
    let kept = product(&app, "BERAS-1", 12_345, 6_000).await;
    let doomed = product(&app, "MINYAK-1", 20_000, 9_000).await;
    let deal = |title: &str| json!({"account_id": account_id, "title": title, "stage": "proposal"});
    let first_deal = created(&rep, "/api/v1/opportunities", deal("Rice")).await;
    let second_deal = created(&rep, "/api/v1/opportunities", deal("Oil")).await;

    let (_, q) = rep
        .send_json(
            "POST",
            "/api/v1/quotes",
            &json!({"account_id": account_id, "opportunity_id": id(&first_deal),
                    "valid_until": valid_until(), "lines": [line(kept, 2_500, 500)]}),
        )
        .await;
    let (_, sent) = move_quote(&rep, &q, "sent").await;
    let (status, _) = move_quote(&rep, &q, "accepted").await;
    assert_eq!(
        status,
        StatusCode::CONFLICT,
        "the version moved on when it was sent"
    );
    let (status, accepted) = move_quote(&rep, &sent["quote"], "accepted").await;
    assert_eq!(status, StatusCode::OK, "{accepted}");
    assert_eq!(accepted["quote"]["status"], "accepted");
    let order = &accepted["order"];
    assert_eq!(order["status"], "open");
    assert_eq!(order["quote_id"], q["id"]);
    assert_eq!(
        order["totals"], accepted["quote"]["totals"],
        "the order is the quote's sale"
    );
    assert_eq!(order["lines"][0]["unit_price_minor"], 12_345);
    assert_eq!(order["lines"][0]["unit_cost_minor"], 6_000);
    let (_, won) = rep
        .get_json(&format!("/api/v1/opportunities/{}", id(&first_deal)))
        .await;
    assert_eq!(won["stage"], "won");

    // The order goes on: delivered, part of it returned, invoiced.
    let order_uri = format!("/api/v1/orders/{}", id(order));
    let (status, delivered) = rep
        .send_json(
            "POST",
            &format!("{order_uri}/status"),
            &json!({"version": order["version"], "status": "delivered"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{delivered}");
    let (status, returned) = rep
        .send_json(
            "POST",
            &format!("{order_uri}/returns"),
            &json!({"version": delivered["version"], "line_no": 1, "quantity_milli": 500}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{returned}");
    assert_eq!(returned["lines"][1]["quantity_milli"], -500);
    assert!(returned["totals"]["total_minor"].as_i64() < order["totals"]["total_minor"].as_i64());

    // A quote whose product is deleted before it is accepted: the order cannot be written, so
    // neither the acceptance nor the won deal is.
    let (_, q2) = rep
        .send_json(
            "POST",
            "/api/v1/quotes",
            &json!({"account_id": account_id, "opportunity_id": id(&second_deal),
                    "valid_until": valid_until(), "lines": [line(kept, 1_000, 0), line(doomed, 1_000, 0)]}),
        )
        .await;
    let (_, sent2) = move_quote(&rep, &q2, "sent").await;
    let (status, _) = app
        .send_json(
            "DELETE",
            &format!("/api/v1/products/{doomed}"),
            &Value::Null,
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, refused) = move_quote(&rep, &sent2["quote"], "accepted").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{refused}");
    assert_eq!(refused["field"], "lines");
    let (_, still) = rep.get_json(&format!("/api/v1/quotes/{}", id(&q2))).await;
    assert_eq!(still["status"], "sent");
    assert_eq!(still["version"], sent2["quote"]["version"]);
    let (_, open_deal) = rep
        .get_json(&format!("/api/v1/opportunities/{}", id(&second_deal)))
        .await;
    assert_eq!(open_deal["stage"], "proposal");
    assert_eq!(total(&rep, "/api/v1/orders").await, 1);

    // A product that was sold stays: deleting it is refused, naming why.
    let (status, kept_refused) = app
        .send_json("DELETE", &format!("/api/v1/products/{kept}"), &Value::Null)
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{kept_refused}");
    assert_eq!(kept_refused["field"], "id");
}

fn history(rows: &[&str]) -> String {
    let mut csv =
        "account_external_id,order_date,external_order_id,sku,quantity,unit_price_minor,currency\n"
            .to_owned();
    for row in rows {
        csv.push_str(row);
        csv.push('\n');
    }
    csv
}

#[tokio::test]
async fn an_order_history_with_bad_rows_is_refused_by_row_and_field_and_writes_nothing() {
    let app = app().await;
    let (rep_id, _) = rep(&app, 1).await;
    account(&app, rep_id, "C-1").await;
    product(&app, "KOPI-1", 10_000, 5_000).await;
    let csv = history(&[
        "C-1,2025-01-05,O-1,KOPI-1,2,10000,IDR",
        "C-1,2025-01-05,O-1,NEW-SKU,1.5,8000,IDR",
        "C-404,2025-01-06,O-2,KOPI-1,1,10000,IDR",
        "C-1,2025-01-07,O-3,KOPI-1,0,10000,IDR",
        "C-1,2025-02-30,O-4,KOPI-1,1,10000,IDR",
    ]);
    let (status, refused) = import(&app, &csv, false).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{refused}");
    let errors: Vec<(i64, String)> = refused["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["row"].as_i64().unwrap(),
                e["field"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert!(errors.contains(&(4, "quantity".into())), "{refused}");
    assert!(errors.contains(&(5, "order_date".into())), "{refused}");
    // The file checks first; the database checks follow once the file is clean.
    let csv = history(&[
        "C-1,2025-01-05,O-1,KOPI-1,2,10000,IDR",
        "C-1,2025-01-05,O-1,NEW-SKU,1.5,8000,IDR",
        "C-404,2025-01-06,O-2,KOPI-1,1,10000,IDR",
    ]);
    let (status, refused) = import(&app, &csv, false).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{refused}");
    assert_eq!(refused["errors"][0]["row"], 3, "{refused}");
    assert_eq!(refused["errors"][0]["field"], "account_external_id");
    assert_eq!(total(&app, "/api/v1/orders").await, 0);
    assert_eq!(
        total(&app, "/api/v1/products").await,
        1,
        "no review product either"
    );
}

#[tokio::test]
async fn importing_the_same_order_history_twice_changes_nothing() {
    let app = app().await;
    let (rep_id, rep) = rep(&app, 1).await;
    let c1 = account(&app, rep_id, "C-1").await;
    account(&app, rep_id, "C-2").await;
    product(&app, "KOPI-1", 10_000, 5_000).await;
    let c1_uri = format!("/api/v1/accounts/{c1}");
    let csv = history(&[
        "C-1,2025-01-05,O-1,KOPI-1,2,10000,IDR",
        "C-2,2025-01-06,O-2,KOPI-1,1,9500,IDR",
        "C-1,2025-01-05,O-1,NEW-SKU,1.5,8000,IDR",
        "C-2,2025-01-06,O-2,NEW-SKU,-1,8000,IDR",
    ]);

    let (status, dry) = import(&app, &csv, true).await;
    assert_eq!(status, StatusCode::OK, "{dry}");
    assert_eq!(dry["orders"], 2);
    assert_eq!(
        total(&app, "/api/v1/orders").await,
        0,
        "a dry run writes nothing"
    );
    let (_, before) = revenue_and_margin(&app, &c1_uri).await;
    assert_eq!(before, Value::Null, "nor the account's figures");

    let (status, first) = import(&app, &csv, false).await;
    assert_eq!(status, StatusCode::CREATED, "{first}");
    assert_eq!(first["orders"], 2);
    assert_eq!(first["lines"], 4);
    assert_eq!(first["skipped_orders"], 0);
    let review = &first["review_products"];
    assert_eq!(review.as_array().unwrap().len(), 1, "{first}");
    assert_eq!(review[0]["sku"], "NEW-SKU");
    assert_eq!(review[0]["first_row"], 3);
    let (_, flagged) = app.get_json("/api/v1/products?status=review").await;
    assert_eq!(flagged["items"][0]["sku"], "NEW-SKU");

    let (_, orders) = rep.get_json("/api/v1/orders").await;
    assert_eq!(
        orders["total"], 2,
        "the rep sees the orders of their accounts"
    );
    let o1 = orders["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["external_order_id"] == "O-1")
        .unwrap();
    assert_eq!(o1["status"], "invoiced");
    assert_eq!(
        o1["lines"][0]["unit_cost_minor"], 5_000,
        "the product's cost at import"
    );
    assert_eq!(o1["totals"]["subtotal_minor"], 20_000 + 12_000);

    let (status, second) = import(&app, &csv, false).await;
    assert_eq!(status, StatusCode::CREATED, "{second}");
    assert_eq!(second["orders"], 0);
    assert_eq!(second["skipped_orders"], 2);
    assert_eq!(second["review_products"], json!([]));
    assert_eq!(total(&app, "/api/v1/orders").await, 2);
    assert_eq!(total(&app, "/api/v1/products").await, 2);
    // The account's revenue is its imported order's subtotal, counted once.
    let cost = o1["totals"]["cost_minor"].as_i64().expect("a cost");
    assert_eq!(
        revenue_and_margin(&app, &c1_uri).await,
        (json!(32_000), json!(32_000 - cost))
    );
}

#[tokio::test]
async fn a_rep_quotes_and_sells_only_on_their_own_accounts() {
    let app = app().await;
    let (a_id, a) = rep(&app, 1).await;
    let (b_id, b) = rep(&app, 2).await;
    let a_account = account(&app, a_id, "C-A").await;
    let b_account = account(&app, b_id, "C-B").await;
    let p = product(&app, "KOPI-1", 10_000, 5_000).await;

    let (status, a_quote) = quote(&a, a_account, vec![line(p, 1_000, 0)]).await;
    assert_eq!(status, StatusCode::CREATED, "{a_quote}");
    let (status, _) = quote(&b, a_account, vec![line(p, 1_000, 0)]).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "not B's account");
    let (status, _) = b
        .get_json(&format!("/api/v1/quotes/{}", id(&a_quote)))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = move_quote(&b, &a_quote, "sent").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(total(&b, "/api/v1/quotes").await, 0);
    assert_eq!(
        total(&b, &format!("/api/v1/quotes?account_id={a_account}")).await,
        0
    );
    let (status, _) = b
        .send_json(
            "POST",
            "/api/v1/orders",
            &json!({"account_id": a_account, "currency": "IDR", "order_date": "2026-01-05",
                    "lines": [line(p, 1_000, 0)]}),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, own) = b
        .send_json(
            "POST",
            "/api/v1/orders",
            &json!({"account_id": b_account, "currency": "IDR", "order_date": "2026-01-05",
                    "lines": [line(p, 1_000, 0)]}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{own}");
    assert_eq!(total(&a, "/api/v1/orders").await, 0);
    let (status, _) = a.get_json(&format!("/api/v1/orders/{}", id(&own))).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    // History comes in through a manager, not a rep.
    let (status, _) = import(&a, &history(&[]), true).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn a_regional_manager_quotes_and_imports_only_in_their_region() {
    let app = app().await;
    let (rep_id, _) = rep(&app, 1).await;
    let square = |west: f64| json!({"type": "Polygon", "coordinates": [[[west, -6.4], [west + 0.2, -6.4], [west + 0.2, -6.2], [west, -6.2], [west, -6.4]]]});
    let east = created(
        &app,
        "/api/v1/territories",
        json!({"name": "East", "geometry": square(106.9)}),
    )
    .await;
    let west = created(
        &app,
        "/api/v1/territories",
        json!({"name": "West", "geometry": square(106.6)}),
    )
    .await;
    let in_region = |territory: &Value, external_id: &str| {
        json!({"name": format!("Toko {external_id}"), "kind": "customer", "lon": 106.95, "lat": -6.3,
               "owner_id": rep_id, "territory_id": territory["id"], "external_id": external_id})
    };
    let mine = id(&created(&app, "/api/v1/accounts", in_region(&east, "E-1")).await);
    let theirs = id(&created(&app, "/api/v1/accounts", in_region(&west, "W-1")).await);
    let p = product(&app, "KOPI-1", 10_000, 5_000).await;
    let manager = app.as_user(Role::Manager, None, vec![id(&east)]).await;

    let (status, q) = quote(&manager, mine, vec![line(p, 1_000, 2_000)]).await;
    assert_eq!(status, StatusCode::CREATED, "{q}");
    assert_eq!(
        q["approval_needed"],
        Value::Null,
        "20 % is within a manager's limit"
    );
    let (status, _) = quote(&manager, theirs, vec![line(p, 1_000, 0)]).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    let csv = history(&[
        "E-1,2025-01-05,O-1,KOPI-1,1,10000,IDR",
        "W-1,2025-01-06,O-2,KOPI-1,1,10000,IDR",
    ]);
    let (status, refused) = import(&manager, &csv, false).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{refused}");
    assert_eq!(refused["errors"][0]["row"], 2);
    assert_eq!(refused["errors"][0]["field"], "account_external_id");
    assert_eq!(total(&app, "/api/v1/orders").await, 0, "all or nothing");
    let (status, done) = import(
        &manager,
        &history(&["E-1,2025-01-05,O-1,KOPI-1,1,10000,IDR"]),
        false,
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{done}");
    assert_eq!(total(&manager, "/api/v1/orders").await, 1);
}

/// `(revenue_minor, margin_minor)` of the account as the client reads it.
async fn revenue_and_margin(client: &Client, account_uri: &str) -> (Value, Value) {
    let (status, a) = client.get_json(account_uri).await;
    assert_eq!(status, StatusCode::OK, "{a}");
    (a["revenue_minor"].clone(), a["margin_minor"].clone())
}

#[tokio::test]
async fn an_accounts_revenue_and_margin_are_its_orders_net_of_returns_and_cancellations() {
    let app = app().await;
    let (rep_id, rep) = rep(&app, 7).await;
    let account = created(
        &app,
        "/api/v1/accounts",
        json!({"name": "Toko Omzet", "kind": "customer", "lon": 106.8, "lat": -6.2,
               "owner_id": rep_id, "revenue_minor": 5_000_000}),
    )
    .await;
    let account_uri = format!("/api/v1/accounts/{}", id(&account));
    let figures = |a: &Value| (a["revenue_minor"].clone(), a["margin_minor"].clone());
    assert_eq!(
        figures(&account),
        (json!(5_000_000), Value::Null),
        "typed in, no orders yet: no known margin"
    );
    let coffee = product(&app, "KOPI-9", 10_000, 4_000).await;
    let order = |quantity_milli: i64, discount_bp: i64| {
        json!({"account_id": id(&account), "currency": "IDR", "order_date": "2026-03-01",
               "lines": [line(coffee, quantity_milli, discount_bp)]})
    };

    // 3 at 10,000 (cost 4,000): revenue 30,000, cost of goods 12,000.
    let kept = created(&rep, "/api/v1/orders", order(3_000, 0)).await;
    assert_eq!(
        revenue_and_margin(&rep, &account_uri).await,
        (json!(30_000), json!(18_000))
    );
    // 2 at 10% off: 18,000 more, cost 8,000 more.
    let dropped = created(&rep, "/api/v1/orders", order(2_000, 1_000)).await;
    assert_eq!(
        revenue_and_margin(&rep, &account_uri).await,
        (json!(48_000), json!(28_000))
    );
    // Cancelled: it no longer counts.
    let (status, cancelled) = rep
        .send_json(
            "POST",
            &format!("/api/v1/orders/{}/status", id(&dropped)),
            &json!({"version": dropped["version"], "status": "cancelled"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{cancelled}");
    assert_eq!(
        revenue_and_margin(&rep, &account_uri).await,
        (json!(30_000), json!(18_000))
    );
    // One of the three comes back: -10,000 revenue, -4,000 cost.
    let kept_uri = format!("/api/v1/orders/{}", id(&kept));
    let (_, delivered) = rep
        .send_json(
            "POST",
            &format!("{kept_uri}/status"),
            &json!({"version": kept["version"], "status": "delivered"}),
        )
        .await;
    let (status, returned) = rep
        .send_json(
            "POST",
            &format!("{kept_uri}/returns"),
            &json!({"version": delivered["version"], "line_no": 1, "quantity_milli": 1_000}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{returned}");
    assert_eq!(
        revenue_and_margin(&rep, &account_uri).await,
        (json!(20_000), json!(12_000))
    );
    // The list shows the same figures, and sorting by revenue uses them.
    let (_, page) = app.get_json("/api/v1/accounts?sort=-revenue").await;
    let listed = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["id"] == account["id"])
        .cloned()
        .expect("the account is listed");
    assert_eq!(figures(&listed), (json!(20_000), json!(12_000)));

    // Typing a revenue over the orders' is refused; other edits go on.
    let (_, current) = app.get_json(&account_uri).await;
    let (status, refused) = app
        .send_json(
            "PATCH",
            &account_uri,
            &json!({"version": current["version"], "revenue_minor": 9_999}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{refused}");
    assert!(refused.to_string().contains("revenue_minor"), "{refused}");
    let (status, renamed) = app
        .send_json(
            "PATCH",
            &account_uri,
            &json!({"version": current["version"], "segment": "horeca"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{renamed}");
    assert_eq!(figures(&renamed), (json!(20_000), json!(12_000)));
}

async fn import_products(client: &Client, csv: &str, dry_run: bool) -> (StatusCode, Value) {
    let request = Request::post(format!("/api/v1/products/import?dry_run={dry_run}"))
        .header("content-type", "text/csv")
        .body(Body::from(csv.to_owned()))
        .unwrap();
    client.request_json(request).await
}

async fn export_products(client: &Client) -> String {
    let (status, body) = client.get("/api/v1/products/export").await;
    assert_eq!(status, StatusCode::OK);
    String::from_utf8(body).expect("UTF-8 CSV")
}

#[tokio::test]
async fn catalogue_csv_import_is_all_or_nothing_and_round_trips_through_the_export() {
    let app = app().await;
    let header = "sku,name_en,name_id,unit,category,list_price_minor,cost_price_minor,tax_rate_bp";

    // One bad row fails the file: nothing is written, every bad row named with its field.
    let bad = format!(
        "{header}\nKOPI-1,Coffee 1 kg,Kopi 1 kg,kg,drinks,85000,51000,1100\n\
         TEH-1,Tea,Teh,pack,drinks,lots,9000,1100\n\
         GULA-1,Sugar,Gula,bucket,food,15000,9000,1100\n"
    );
    let (status, refused) = import_products(&app, &bad, false).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{refused}");
    let errors = refused["errors"].as_array().expect("errors by row");
    let named = |row: i64, field: &str| {
        errors
            .iter()
            .any(|e| e["row"] == row && e["field"] == field)
    };
    assert!(named(2, "list_price_minor"), "{refused}");
    assert!(named(3, "unit"), "{refused}");
    assert!(!errors.iter().any(|e| e["row"] == 1), "{refused}");
    assert_eq!(total(&app, "/api/v1/products").await, 0, "nothing written");

    // A good file: created; a dry run first writes nothing.
    let good = format!(
        "{header}\nKOPI-1,Coffee 1 kg,Kopi 1 kg,kg,drinks,85000,51000,1100\n\
         TEH-1,Tea,Teh,pack,drinks,12000,9000,1100\n"
    );
    let (status, dry) = import_products(&app, &good, true).await;
    assert_eq!(status, StatusCode::OK, "{dry}");
    assert_eq!(dry["created"].as_array().unwrap().len(), 2);
    assert_eq!(
        total(&app, "/api/v1/products").await,
        0,
        "a dry run writes nothing"
    );
    let (status, done) = import_products(&app, &good, false).await;
    assert_eq!(status, StatusCode::CREATED, "{done}");
    assert_eq!(done["created"].as_array().unwrap().len(), 2);
    assert_eq!(total(&app, "/api/v1/products").await, 2);

    // Export → import changes nothing; a changed price in the file updates that product only.
    let exported = export_products(&app).await;
    assert!(exported.starts_with("sku,"), "{exported}");
    assert!(exported.contains("KOPI-1") && exported.contains("Kopi 1 kg"));
    let (status, again) = import_products(&app, &exported, false).await;
    assert_eq!(status, StatusCode::CREATED, "{again}");
    assert_eq!(again["unchanged"], 2, "{again}");
    assert!(again["created"].as_array().unwrap().is_empty());
    assert!(again["updated"].as_array().unwrap().is_empty());
    let cheaper = exported.replace("12000", "11500");
    assert_ne!(cheaper, exported);
    let (_, changed) = import_products(&app, &cheaper, false).await;
    assert_eq!(changed["updated"].as_array().unwrap().len(), 1, "{changed}");
    let (_, tea) = app.get_json("/api/v1/products?sku=TEH-1").await;
    assert_eq!(tea["items"][0]["list_price_minor"], 11_500);
    assert_eq!(tea["items"][0]["version"], 2);
    assert_eq!(export_products(&app).await, cheaper);

    // A status the product's flow refuses (back to review) names its row; nothing changes.
    let back =
        "sku,name_en,list_price_minor,status\nTEH-1,Tea,99,active\nKOPI-1,Coffee,85000,review\n";
    let (status, refused) = import_products(&app, back, false).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{refused}");
    assert_eq!(refused["errors"][0]["row"], 2, "{refused}");
    assert_eq!(refused["errors"][0]["field"], "status", "{refused}");
    let (_, tea) = app.get_json("/api/v1/products?sku=TEH-1").await;
    assert_eq!(tea["items"][0]["list_price_minor"], 11_500, "rolled back");

    // The same SKU twice in one file names both rows.
    let twice = "sku,name_en,list_price_minor\nX-1,A,1\nX-1,B,2\n";
    let (status, refused) = import_products(&app, twice, false).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{refused}");
    assert_eq!(refused["errors"][0]["field"], "sku", "{refused}");

    // Managers export; only admins import.
    let manager = manager(&app).await;
    assert_eq!(export_products(&manager).await, cheaper);
    let (status, _) = import_products(&manager, &good, true).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn the_discount_limits_are_an_admins_setting() {
    let app = app().await;
    let (rep_id, rep) = rep(&app, 1).await;
    let account_id = account(&app, rep_id, "C-1").await;
    let coffee = product(&app, "KOPI-1", 100_000, 50_000).await;

    // The defaults, before anyone saved: a rep may give 10 %.
    let (status, settings) = rep.get_json("/api/v1/sales/settings").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(settings["version"], 0);
    assert_eq!(
        settings["settings"]["discount_limits"]["sales_rep_bp"],
        1_000
    );
    let (_, q) = quote(&rep, account_id, vec![line(coffee, 1_000, 1_500)]).await;
    assert!(q["approval_needed"].is_object(), "15 % is beyond 10 %: {q}");

    // An admin sets reps to 20 %, the company and its logo.
    let mut body = json!({"version": 0, "settings": {
        "company_name": "  PT Kopi Nusantara ", "company_address": "Jl. Merdeka 1\nBandung",
        "logo_url": "/logo.svg", "default_terms": "Payment in 30 days.",
        "discount_limits": {"sales_rep_bp": 2_000, "manager_bp": 3_000, "admin_bp": 10_000}}});
    let (status, saved) = rep.send_json("PUT", "/api/v1/sales/settings", &body).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "a rep may not: {saved}");
    let (status, saved) = app.send_json("PUT", "/api/v1/sales/settings", &body).await;
    assert_eq!(status, StatusCode::OK, "{saved}");
    assert_eq!(saved["version"], 1);
    assert_eq!(saved["settings"]["company_name"], "PT Kopi Nusantara");

    // Stale: 409; a limit out of range: 422 naming it.
    let (status, _) = app.send_json("PUT", "/api/v1/sales/settings", &body).await;
    assert_eq!(status, StatusCode::CONFLICT);
    body["version"] = 1.into();
    body["settings"]["discount_limits"]["manager_bp"] = 10_001.into();
    let (status, refused) = app.send_json("PUT", "/api/v1/sales/settings", &body).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{refused}");
    assert_eq!(refused["field"], "discount_limits.manager_bp", "{refused}");

    // The rep's 15 % now needs nobody, and they can send it.
    let (status, q) = rep.get_json(&format!("/api/v1/quotes/{}", id(&q))).await;
    assert_eq!(status, StatusCode::OK);
    assert!(q["approval_needed"].is_null(), "{q}");
    let (status, sent) = move_quote(&rep, &q, "sent").await;
    assert_eq!(status, StatusCode::OK, "{sent}");
    let (_, read) = rep.get_json("/api/v1/sales/settings").await;
    assert_eq!(read["settings"]["logo_url"], "/logo.svg");
}
