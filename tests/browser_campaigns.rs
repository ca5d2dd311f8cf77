//! Segments and campaigns in a real browser: a manager builds a segment on `/segments` — a
//! radius around a point clicked on the map — watching the live count change, saves it (the
//! list counts its members), creates an e-mail campaign on it on `/campaigns/new` with both
//! languages' templates, launches it after the confirmation and sees the sending's progress
//! and the recipients with the reasons they were left out in words. Screenshots of the three
//! pages in English and Indonesian at desktop (1366×768) and tablet (1024×768) size go to
//! `target/screenshots/campaigns-*.png`.

use fantoccini::Client;
use serde_json::{Value, json};
use wilayah_shared::access::Role;
use wilayah_tests::browser::{
    click_at, click_test_id, connect_sized, pixel_on, save_screenshot, select_value, sign_in_as,
    start_chromedriver, text_of, type_into, until_api, wait_for_js, wait_for_text, wait_testid,
};
use wilayah_tests::{TestApp, created, id};

/// A customer in Bandung with its contacts: `(name, e-mail, consent for e-mail)`.
async fn customer(
    app: &TestApp,
    name: &str,
    lon: f64,
    lat: f64,
    contacts: &[(&str, &str, &str)],
) -> i64 {
    let account = id(&created(
        app,
        "/api/v1/accounts",
        json!({"name": name, "kind": "customer", "lon": lon, "lat": lat}),
    )
    .await);
    for (contact, email, consent) in contacts {
        created(
            app,
            "/api/v1/contacts",
            json!({"account_id": account, "name": contact, "email": email,
                   "consent_email": consent, "consent_email_on": "2026-11-02"}),
        )
        .await;
    }
    account
}

/// The visible text of the page's `<main>`.
async fn main_text(client: &Client) -> String {
    client
        .execute("return document.querySelector('main').innerText", vec![])
        .await
        .expect("read the page")
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

/// Waits for the segment map's `idle` (MapLibre drew everything asked).
async fn segment_map_idle(client: &Client) {
    wait_for_js(
        client,
        "the segment map's idle event",
        "return document.querySelector(\"[data-testid='segment-map'][data-map-idle=true]\") !== null",
    )
    .await;
}

#[tokio::test]
async fn a_manager_builds_a_radius_segment_and_launches_an_email_campaign_on_it() {
    wilayah_tests::planning::require_site();
    let app = TestApp::start_with(|c| c.no_demo = true).await;
    let base = app.serve().await;
    let me = created(
        &app,
        "/api/v1/staff",
        json!({"name": "Dewi Manager", "email": "dewi@campaigns.test", "role": "manager"}),
    )
    .await;
    customer(
        &app,
        "Toko Sejuk",
        107.600,
        -6.900,
        &[("Ana", "ana@sejuk.test", "granted")],
    )
    .await;
    customer(
        &app,
        "Toko Diam",
        107.606,
        -6.905,
        &[("Budi", "budi@diam.test", "refused")],
    )
    .await;
    customer(&app, "Toko Kosong", 107.594, -6.896, &[]).await;
    customer(
        &app,
        "Toko Jakarta",
        106.800,
        -6.200,
        &[("Citra", "citra@jakarta.test", "granted")],
    )
    .await;

    let driver = start_chromedriver();
    let client = connect_sized(&driver, 1366, 768).await;
    sign_in_as(&app, &client, &base, Role::Manager, Some(id(&me))).await;

    // The editor counts every account before any criterion; a radius around a point clicked
    // near Bandung narrows it to the three shops there.
    client
        .goto(&format!("{base}/segments"))
        .await
        .expect("open /segments");
    wait_for_text(
        &client,
        "the live count of everyone",
        "segment-live-count",
        "4",
    )
    .await;
    segment_map_idle(&client).await;
    type_into(&client, "segment-name", "Bandung 3 km").await;
    click_test_id(&client, "area-radius").await;
    wait_testid(&client, "area-metres").await;
    type_into(&client, "area-metres", "3000").await;
    client
        .execute(
            "document.querySelector(\"[data-testid='segment-map']\").removeAttribute('data-map-idle');
             window.wilayahSegmentMap.jumpTo({center: [107.6, -6.9], zoom: 12});",
            vec![],
        )
        .await
        .expect("look at Bandung");
    segment_map_idle(&client).await;
    let (x, y) = pixel_on(&client, "wilayahSegmentMap", 107.6, -6.9).await;
    click_at(&client, x, y).await;
    wait_for_text(
        &client,
        "the live count in the radius",
        "segment-live-count",
        "3",
    )
    .await;
    wait_for_js(
        &client,
        "the members on the map",
        "return document.querySelector(\"[data-testid='segment-map'][data-members='3']\") !== null",
    )
    .await;
    click_test_id(&client, "segment-save").await;
    wait_testid(&client, "segment-notice").await;
    let segments = until_api(&app, "the saved segment", "/api/v1/segments", |s| {
        s.as_array().is_some_and(|s| s.len() == 1)
    })
    .await;
    let segment = &segments[0];
    assert_eq!(segment["name"], "Bandung 3 km");
    assert_eq!(segment["definition"]["area"]["type"], "radius");
    assert_eq!(segment["definition"]["area"]["metres"], 3000.0);
    let segment_id = id(segment);
    wait_for_text(
        &client,
        "the list's count",
        &format!("segment-{segment_id}-count"),
        "3",
    )
    .await;

    // A campaign on it: the draft, then the launch after the confirmation.
    client
        .goto(&format!("{base}/campaigns"))
        .await
        .expect("open /campaigns");
    wait_testid(&client, "no-campaigns").await;
    click_test_id(&client, "new-campaign").await;
    wait_for_js(
        &client,
        "the segment to pick",
        &format!("return document.querySelector(\"[data-testid='campaign-segment'] option[value='{segment_id}']\") !== null"),
    )
    .await;
    type_into(&client, "campaign-name", "Promo akhir tahun").await;
    type_into(&client, "campaign-objective", "year-end").await;
    type_into(&client, "campaign-offer", "Diskon 10% untuk servis AC").await;
    select_value(&client, "campaign-segment", &segment_id.to_string()).await;
    type_into(&client, "campaign-budget", "5000000").await;
    // Date inputs take keys in the browser's own order; a picked day arrives as ISO.
    client
        .execute(
            "for (const [id, day] of [['campaign-starts', '2026-12-01'], ['campaign-ends', '2026-12-31']]) {
                 const e = document.querySelector(`[data-testid='${id}']`);
                 e.value = day; e.dispatchEvent(new Event('input', {bubbles: true}));
             }",
            vec![],
        )
        .await
        .expect("pick the period");
    type_into(
        &client,
        "template-en-subject",
        "A year-end offer for {{customer}}",
    )
    .await;
    type_into(&client, "template-en-body", "Dear {{contact}}, {{offer}}").await;
    type_into(
        &client,
        "template-id-subject",
        "Penawaran akhir tahun untuk {{customer}}",
    )
    .await;
    type_into(&client, "template-id-body", "Yth. {{contact}}, {{offer}}").await;
    assert!(
        text_of(&client, "merge-fields")
            .await
            .contains("{{unsubscribe}}")
    );
    click_test_id(&client, "campaign-save").await;
    let campaign_id: i64 = wait_for_js(
        &client,
        "the saved campaign's page",
        "const m = location.pathname.match(/^\\/campaigns\\/(\\d+)$/);
         return m && document.querySelector(\"[data-testid='campaign-launch']\") !== null ? Number(m[1]) : null;",
    )
    .await
    .as_i64()
    .expect("the campaign's id");
    let (_, saved) = app
        .get_json(&format!("/api/v1/campaigns/{campaign_id}"))
        .await;
    assert_eq!(saved["status"], "draft");
    assert_eq!(saved["segment_id"], segment_id);
    assert_eq!(saved["budget_minor"], 5_000_000);
    assert_eq!(saved["starts_on"], "2026-12-01");
    assert_eq!(saved["ends_on"], "2026-12-31");
    assert_eq!(
        saved["templates"]["id"]["subject"],
        "Penawaran akhir tahun untuk {{customer}}"
    );
    click_test_id(&client, "campaign-launch").await;
    wait_testid(&client, "launch-confirm").await;
    click_test_id(&client, "campaign-launch-confirm").await;
    wait_for_text(
        &client,
        "the running campaign",
        "campaign-status",
        "Running",
    )
    .await;
    until_api(
        &app,
        "the launch",
        &format!("/api/v1/campaigns/{campaign_id}"),
        |c| c["status"] == "running" && c["tally"]["recipients"] == 3,
    )
    .await;

    // The recipients in words; no server runs SMTP here, so the one e-mail waits.
    wait_testid(&client, "recipients").await;
    let states: Value = client
        .execute(
            "return [...document.querySelectorAll(\"[data-testid='recipient-state']\")].map(e => e.textContent.trim()).sort()",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(
        states,
        json!([
            "Left out: no address on this channel",
            "Left out: no consent for this channel",
            "Waiting to be sent",
        ])
    );
    let progress: Value = client
        .execute(
            "const p = document.querySelector(\"[data-testid='campaign-progress']\");
             return p && [p.dataset.done, p.dataset.total];",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(progress, json!(["0", "1"]));
    assert_eq!(text_of(&client, "tally-reached").await, "0 / 1");

    // Each page in both languages at both sizes: filled, no raw codes.
    for (lang, size, (width, height)) in [
        ("en", "desktop", (1366, 768)),
        ("en", "tablet", (1024, 768)),
        ("id", "desktop", (1366, 768)),
        ("id", "tablet", (1024, 768)),
    ] {
        client.set_window_size(width, height).await.expect("resize");
        client
            .execute(
                "document.cookie = 'wilayah_lang=' + arguments[0] + '; path=/'",
                vec![json!(lang)],
            )
            .await
            .expect("choose the language");

        client
            .goto(&format!("{base}/segments"))
            .await
            .expect("open /segments");
        wait_testid(&client, &format!("segment-{segment_id}")).await;
        click_test_id(&client, &format!("segment-{segment_id}")).await;
        wait_for_js(
            &client,
            "the saved segment on the map",
            &format!(
                "return document.querySelector(\"[data-testid='segment-map'][data-members='3'][data-map-idle=true]\") !== null
                    && document.documentElement.lang === '{lang}'"
            ),
        )
        .await;
        // The area's part of the form in view; the map stays beside it.
        client
            .execute(
                "document.querySelector(\"[data-testid='area-radius']\").scrollIntoView({block: 'center'})",
                vec![],
            )
            .await
            .expect("scroll to the area");
        save_screenshot(&client, &format!("campaigns-segments-{lang}-{size}")).await;

        client
            .goto(&format!("{base}/campaigns"))
            .await
            .expect("open /campaigns");
        wait_testid(&client, &format!("campaign-{campaign_id}")).await;
        let list = main_text(&client).await;
        for raw in ["email", "running", "call_list"] {
            assert!(
                !list.contains(raw),
                "{lang}: raw code {raw:?} on /campaigns:\n{list}"
            );
        }
        save_screenshot(&client, &format!("campaigns-list-{lang}-{size}")).await;

        client
            .goto(&format!("{base}/campaigns/new"))
            .await
            .expect("open a new campaign");
        wait_for_js(
            &client,
            "the segments to pick from",
            &format!("return document.querySelector(\"[data-testid='campaign-segment'] option[value='{segment_id}']\") !== null"),
        )
        .await;
        save_screenshot(&client, &format!("campaigns-new-{lang}-{size}")).await;

        client
            .goto(&format!("{base}/campaigns/{campaign_id}"))
            .await
            .expect("open the campaign");
        wait_testid(&client, "recipients").await;
        let page = main_text(&client).await;
        for raw in [
            "no_consent",
            "no_address",
            "pending",
            "control_group",
            "running_campaign",
        ] {
            assert!(
                !page.contains(raw),
                "{lang}: raw code {raw:?} on the campaign:\n{page}"
            );
        }
        if lang == "id" {
            assert!(
                page.contains("Dikecualikan: tidak ada persetujuan untuk saluran ini"),
                "{page}"
            );
            assert!(page.contains("Menunggu dikirim"), "{page}");
        }
        save_screenshot(&client, &format!("campaigns-campaign-{lang}-{size}")).await;
    }
}
