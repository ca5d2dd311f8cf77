//! The sales pages in a real browser: a lead is qualified and converted on `/leads` (the
//! customer and its deal are in the database); a deal moves across the board on `/pipeline` by
//! dragging it with the pointer and by the arrow key on the focused card, and a stale move says
//! so; a CSV with a bad row is refused on `/import` with the row named and nothing written, a
//! good one imports; a task is completed on `/today`. Screenshots of the four pages in English
//! and Indonesian at desktop (1366×900) and tablet (1024×768) size go to
//! `target/screenshots/sales-*.png`.

use fantoccini::{Client, Locator};
use serde_json::{Value, json};
use wilayah_shared::access::Role;
use wilayah_tests::browser::{
    click_test_id, connect_sized, drag, save_screenshot, sign_in_as, start_chromedriver, text_of,
    until_api, wait_for_js, wait_testid,
};
use wilayah_tests::{TestApp, created, id, project_root};

/// The centre of an element in page coordinates.
async fn centre(client: &Client, selector: &str) -> (f64, f64) {
    let at = client
        .execute(
            "const r = document.querySelector(arguments[0]).getBoundingClientRect();
             return [r.left + r.width / 2, r.top + Math.min(r.height / 2, 40)];",
            vec![json!(selector)],
        )
        .await
        .expect("an element's centre");
    (at[0].as_f64().unwrap(), at[1].as_f64().unwrap())
}

/// Focuses deal `id`'s card and presses → on it.
async fn press_right_on(client: &Client, id: i64) {
    client
        .execute(
            "document.querySelector(\"[data-testid='deal-\" + arguments[0] + \"']\").focus()",
            vec![json!(id)],
        )
        .await
        .expect("focus the card");
    client
        .active_element()
        .await
        .expect("the focused card")
        .send_keys("\u{E014}")
        .await
        .expect("press →");
}

async fn deal_stage(app: &TestApp, deal: i64, stage: &str) -> Value {
    until_api(
        app,
        &format!("the deal at {stage}"),
        &format!("/api/v1/opportunities/{deal}"),
        |d| d["stage"] == stage,
    )
    .await
}

async fn account_count(app: &TestApp) -> i64 {
    let (_, page) = app.get_json("/api/v1/accounts?limit=1").await;
    page["total"].as_i64().expect("a total")
}

async fn choose_file(client: &Client, name: &str, content: &str) {
    let dir = project_root().join("target/browser-pipeline");
    std::fs::create_dir_all(&dir).expect("a folder for the upload");
    let path = dir.join(name);
    std::fs::write(&path, content).expect("write the upload");
    client
        .find(Locator::Css("[data-testid='import-file']"))
        .await
        .expect("the file input")
        .send_keys(path.to_str().unwrap())
        .await
        .expect("choose the file");
}

#[tokio::test]
async fn leads_convert_deals_move_by_drag_and_keyboard_and_a_bad_import_writes_nothing() {
    wilayah_tests::planning::require_site();
    let app = TestApp::start_with(|c| c.no_demo = true).await;
    let base = app.serve().await;

    // A rep, and an admin who is also a member of staff (so "today" has their tasks).
    let rep = created(
        &app,
        "/api/v1/staff",
        json!({"name": "Sari Wulandari", "email": "sari@sales.test", "role": "sales_rep"}),
    )
    .await;
    let me = created(
        &app,
        "/api/v1/staff",
        json!({"name": "Budi Admin", "email": "budi@sales.test", "role": "admin"}),
    )
    .await;
    let lead = created(
        &app,
        "/api/v1/accounts",
        json!({"name": "Toko Prospek Jaya", "kind": "prospect", "lon": 106.82, "lat": -6.2, "owner_id": id(&rep)}),
    )
    .await;
    let (status, lead) = app
        .send_json(
            "POST",
            &format!("/api/v1/accounts/{}/lead", id(&lead)),
            &json!({"version": lead["version"], "status": "contacted"}),
        )
        .await;
    assert!(status.is_success(), "{lead}");
    created(
        &app,
        "/api/v1/accounts",
        json!({"name": "Warung Baru", "kind": "prospect", "lon": 106.9, "lat": -6.25, "owner_id": id(&rep)}),
    )
    .await;
    let customer = created(
        &app,
        "/api/v1/accounts",
        json!({"name": "Toko Pelanggan Makmur", "kind": "customer", "lon": 107.6, "lat": -6.9, "owner_id": id(&rep)}),
    )
    .await;
    let deal = created(
        &app,
        "/api/v1/opportunities",
        json!({"account_id": id(&customer), "owner_id": id(&rep), "title": "Freezer deal",
               "stage": "lead", "value_minor": 12_500_000, "expected_close": "2026-12-20"}),
    )
    .await;
    created(
        &app,
        "/api/v1/opportunities",
        json!({"account_id": id(&customer), "owner_id": id(&rep), "title": "Chiller service",
               "stage": "proposal", "value_minor": 4_000_000, "expected_close": "2027-01-15"}),
    )
    .await;
    let today = chrono::Utc::now().date_naive();
    let task = created(
        &app,
        "/api/v1/tasks",
        json!({"account_id": id(&customer), "title": "Call about the freezer", "priority": "high",
               "due_on": (today - chrono::Duration::days(1)).to_string(), "assignee_id": id(&me)}),
    )
    .await;
    created(
        &app,
        "/api/v1/tasks",
        json!({"account_id": id(&customer), "title": "Send the price list",
               "due_on": today.to_string(), "assignee_id": id(&me)}),
    )
    .await;

    let driver = start_chromedriver();
    let client = connect_sized(&driver, 1366, 900).await;
    sign_in_as(&app, &client, &base, Role::Admin, Some(id(&me))).await;

    // Leads: qualify, then convert with a first deal.
    client
        .goto(&format!("{base}/leads"))
        .await
        .expect("open /leads");
    let lead_id = id(&lead);
    wait_testid(&client, &format!("lead-{lead_id}-qualify")).await;
    click_test_id(&client, &format!("lead-{lead_id}-qualify")).await;
    wait_testid(&client, &format!("lead-{lead_id}-convert")).await;
    assert_eq!(
        text_of(&client, &format!("lead-{lead_id}-status")).await,
        "Qualified"
    );
    click_test_id(&client, &format!("lead-{lead_id}-convert")).await;
    wait_testid(&client, "convert-value").await;
    client
        .find(Locator::Css("[data-testid='convert-value']"))
        .await
        .unwrap()
        .send_keys("7500000")
        .await
        .unwrap();
    click_test_id(&client, "convert-confirm").await;
    wait_testid(&client, "lead-notice").await;
    let converted = until_api(
        &app,
        "the converted account",
        &format!("/api/v1/accounts/{lead_id}"),
        |a| a["kind"] == "customer",
    )
    .await;
    assert_eq!(converted["status"], "active");
    let (_, deals) = app
        .get_json(&format!("/api/v1/opportunities?account_id={lead_id}"))
        .await;
    assert_eq!(deals["items"][0]["stage"], "qualified", "{deals}");
    assert_eq!(deals["items"][0]["value_minor"], 7_500_000);

    // The board: drag the freezer deal from "lead" to "proposal".
    client
        .goto(&format!("{base}/pipeline"))
        .await
        .expect("open /pipeline");
    let deal_id = id(&deal);
    let card = format!("[data-testid='deal-{deal_id}'] .deal-title");
    wait_testid(&client, &format!("deal-{deal_id}")).await;
    assert_eq!(text_of(&client, "count-proposal").await, "1");
    let from = centre(&client, &card).await;
    let to = centre(&client, "[data-testid='stage-proposal'] .deal-list").await;
    drag(&client, from, (to.0, to.1 + 60.0)).await;
    deal_stage(&app, deal_id, "proposal").await;
    wait_for_js(
        &client,
        "the card in the proposal column",
        &format!("return document.querySelector(\"[data-testid='stage-proposal'] [data-testid='deal-{deal_id}']\") !== null"),
    )
    .await;
    assert_eq!(text_of(&client, "count-proposal").await, "2");

    // The keyboard: the focused card goes one stage right with →.
    press_right_on(&client, deal_id).await;
    let moved = deal_stage(&app, deal_id, "negotiation").await;
    wait_for_js(
        &client,
        "the card in the negotiation column",
        &format!("return document.querySelector(\"[data-testid='stage-negotiation'] [data-testid='deal-{deal_id}']\") !== null"),
    )
    .await;
    let history = until_api(
        &app,
        "the stage changes in the history",
        &format!("/api/v1/accounts/{}/history", id(&customer)),
        |h| {
            h.as_array().is_some_and(|lines| {
                lines
                    .iter()
                    .any(|l| l["title"] == "Freezer deal: proposal → negotiation")
            })
        },
    )
    .await;
    assert!(history.as_array().unwrap().len() >= 2);
    save_screenshot(&client, "sales-pipeline-moved").await;

    // Someone else moves it meanwhile: the next move from this page is stale, reloads, says so.
    let (status, _) = app
        .send_json(
            "PATCH",
            &format!("/api/v1/opportunities/{deal_id}"),
            &json!({"version": moved["version"], "stage": "proposal"}),
        )
        .await;
    assert!(status.is_success());
    press_right_on(&client, deal_id).await;
    wait_testid(&client, "board-error").await;
    assert!(
        text_of(&client, "board-error").await.contains("reloaded"),
        "the stale move is explained"
    );
    wait_for_js(
        &client,
        "the reloaded card in the proposal column",
        &format!("return document.querySelector(\"[data-testid='stage-proposal'] [data-testid='deal-{deal_id}']\") !== null"),
    )
    .await;
    deal_stage(&app, deal_id, "proposal").await;

    // Import: a file with a bad row is refused whole, the row named; a good one imports.
    let before = account_count(&app).await;
    client
        .goto(&format!("{base}/import"))
        .await
        .expect("open /import");
    wait_for_js(
        &client,
        "the import page running",
        "return document.querySelector('main[data-ready=true]') !== null",
    )
    .await;
    choose_file(
        &client,
        "bad.csv",
        "name,lon,lat\nToko Satu,106.8,-6.2\nToko Dua,106.8,-600\nToko Tiga,106.9,-6.3\n",
    )
    .await;
    wait_testid(&client, "import-refused").await;
    let row = text_of(&client, "error-row-2").await;
    assert!(
        row.to_lowercase().contains("latitude"),
        "row 2's field is named: {row}"
    );
    assert_eq!(account_count(&app).await, before, "nothing written");
    save_screenshot(&client, "sales-import-refused").await;
    choose_file(
        &client,
        "good.csv",
        "name,lon,lat\nToko Satu,106.8,-6.2\nToko Tiga,106.9,-6.3\n",
    )
    .await;
    wait_testid(&client, "import-commit").await;
    assert_eq!(text_of(&client, "to-create").await, "2");
    assert_eq!(
        account_count(&app).await,
        before,
        "a dry run writes nothing"
    );
    click_test_id(&client, "import-commit").await;
    wait_testid(&client, "import-done").await;
    assert_eq!(account_count(&app).await, before + 2);

    // Today: overdue first; one tap completes it and writes the history.
    client
        .goto(&format!("{base}/today"))
        .await
        .expect("open /today");
    wait_testid(&client, &format!("task-{}-done", id(&task))).await;
    let overdue = text_of(&client, "today-overdue").await;
    assert!(overdue.contains("Call about the freezer"), "{overdue}");
    click_test_id(&client, &format!("task-{}-done", id(&task))).await;
    wait_testid(&client, "today-notice").await;
    until_api(
        &app,
        "the task done",
        &format!("/api/v1/tasks/{}", id(&task)),
        |t| t["status"] == "done",
    )
    .await;

    // Every page in both languages at both sizes, for people to look at.
    let pages = [
        (
            "leads",
            "document.querySelector(\"[data-testid='lead-list']\") !== null",
        ),
        (
            "pipeline",
            "document.querySelector(\"[data-testid='stage-lead']\") !== null",
        ),
        (
            "today",
            "document.querySelector(\"[data-testid='today-date']\").textContent !== ''",
        ),
        (
            "import",
            "document.querySelector('main[data-ready=true]') !== null",
        ),
    ];
    for (lang, size, (width, height)) in [
        ("en", "desktop", (1366, 900)),
        ("en", "tablet", (1024, 768)),
        ("id", "desktop", (1366, 900)),
        ("id", "tablet", (1024, 768)),
    ] {
        client
            .set_window_size(width, height)
            .await
            .expect("resize the window");
        client
            .execute(
                "document.cookie = 'wilayah_lang=' + arguments[0] + '; path=/'",
                vec![json!(lang)],
            )
            .await
            .expect("choose the language");
        for (page, ready) in pages {
            client
                .goto(&format!("{base}/{page}"))
                .await
                .expect("open the page");
            wait_for_js(
                &client,
                &format!("{page} ready"),
                &format!("return {ready} && document.documentElement.lang === '{lang}'"),
            )
            .await;
            save_screenshot(&client, &format!("sales-{page}-{lang}-{size}")).await;
        }
    }
}
