//! Leads, the pipeline board and follow-ups over HTTP against a real database (SQLite, or
//! PostgreSQL with DATABASE_URL): a lead moves only along its flow and a disqualification needs
//! a reason; converting a lead writes the customer and its deal in one transaction or nothing;
//! only admins set the stages' probabilities, which weight the board; a deal's stage follows
//! its flow into the history; tasks follow their account, and completing one writes history.

use axum::http::StatusCode;
use chrono::{Duration, Utc};
use serde_json::{Value, json};
use wilayah_shared::access::Role;
use wilayah_tests::{Client, TestApp, created, id, staff_user};

async fn app() -> TestApp {
    TestApp::start_with(|c| c.no_demo = true).await
}

/// A staff member of `role` and a user acting as them.
async fn staff(app: &TestApp, role: Role, n: u32) -> (i64, Client) {
    staff_user(app, role, n, "pipeline.test").await
}

async fn prospect(client: &Client, owner: i64, name: &str) -> Value {
    created(
        client,
        "/api/v1/accounts",
        json!({"name": name, "kind": "prospect", "lon": 106.8, "lat": -6.2, "owner_id": owner}),
    )
    .await
}

async fn lead_move(client: &Client, account: &Value, body: Value) -> (StatusCode, Value) {
    let mut body = body;
    body["version"] = account["version"].clone();
    client
        .send_json(
            "POST",
            &format!("/api/v1/accounts/{}/lead", id(account)),
            &body,
        )
        .await
}

async fn moved(client: &Client, account: &Value, body: Value) -> Value {
    let (status, answer) = lead_move(client, account, body.clone()).await;
    assert_eq!(status, StatusCode::OK, "{body} -> {answer}");
    answer
}

async fn history(client: &Client, account_id: i64) -> Vec<Value> {
    let (status, answer) = client
        .get_json(&format!("/api/v1/accounts/{account_id}/history"))
        .await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    answer.as_array().cloned().unwrap_or_default()
}

fn refused(status: StatusCode, answer: &Value, field: &str) {
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{answer}");
    assert_eq!(answer["field"], field, "{answer}");
}

#[tokio::test]
async fn a_lead_moves_along_its_flow_and_a_disqualification_needs_a_reason() {
    let app = app().await;
    let (rep_id, rep) = staff(&app, Role::SalesRep, 1).await;
    let lead = prospect(&rep, rep_id, "Toko Lead").await;
    assert_eq!(lead["status"], "new");

    let (status, answer) = lead_move(&rep, &lead, json!({"status": "qualified"})).await;
    refused(status, &answer, "status");
    assert!(
        answer["error"].as_str().unwrap().contains("contacted"),
        "the refusal says the way: {answer}"
    );
    let (status, answer) = lead_move(&rep, &lead, json!({"status": "active"})).await;
    refused(status, &answer, "status");

    let contacted = moved(&rep, &lead, json!({"status": "contacted"})).await;
    assert_eq!(contacted["status"], "contacted");
    assert_eq!(contacted["version"], 2);
    // The old version is stale now.
    let (status, _) = lead_move(&rep, &lead, json!({"status": "qualified"})).await;
    assert_eq!(status, StatusCode::CONFLICT);

    let (status, answer) = lead_move(&rep, &contacted, json!({"status": "disqualified"})).await;
    refused(status, &answer, "reason");
    let (status, answer) = lead_move(
        &rep,
        &contacted,
        json!({"status": "disqualified", "reason": "bored"}),
    )
    .await;
    refused(status, &answer, "reason");
    let (status, answer) = lead_move(
        &rep,
        &contacted,
        json!({"status": "disqualified", "reason": "other"}),
    )
    .await;
    refused(status, &answer, "note");
    let disqualified = moved(
        &rep,
        &contacted,
        json!({"status": "disqualified", "reason": "no_budget", "note": "Next year"}),
    )
    .await;
    assert_eq!(disqualified["status"], "disqualified");

    let lines = history(&rep, id(&lead)).await;
    let line = lines
        .iter()
        .find(|l| l["title"] == "Lead: contacted → disqualified")
        .unwrap_or_else(|| panic!("a history line: {lines:?}"));
    assert_eq!(line["detail"], "no_budget", "{line}");
    assert!(lines.iter().any(|l| l["title"] == "Lead: new → contacted"));

    // Worked again, then qualified.
    let again = moved(&rep, &disqualified, json!({"status": "contacted"})).await;
    let qualified = moved(&rep, &again, json!({"status": "qualified"})).await;
    assert_eq!(qualified["status"], "qualified");

    // A customer is not a lead; another rep's lead does not exist for them.
    let customer = created(
        &rep,
        "/api/v1/accounts",
        json!({"name": "Toko Pelanggan", "kind": "customer", "lon": 106.8, "lat": -6.2, "owner_id": rep_id}),
    )
    .await;
    let (status, answer) = lead_move(&rep, &customer, json!({"status": "contacted"})).await;
    refused(status, &answer, "kind");
    let (_, other) = staff(&app, Role::SalesRep, 2).await;
    let (status, _) = lead_move(
        &other,
        &qualified,
        json!({"status": "disqualified", "reason": "no_need"}),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = lead_move(
        &app,
        &qualified,
        json!({"status": "disqualified", "reason": "no_need"}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "an admin moves any lead");
}

async fn qualified_lead(rep: &Client, rep_id: i64, name: &str) -> Value {
    let lead = prospect(rep, rep_id, name).await;
    let lead = moved(rep, &lead, json!({"status": "contacted"})).await;
    moved(rep, &lead, json!({"status": "qualified"})).await
}

async fn convert(client: &Client, account: &Value, deal: Value) -> (StatusCode, Value) {
    client
        .send_json(
            "POST",
            &format!("/api/v1/accounts/{}/convert", id(account)),
            &json!({"version": account["version"], "deal": deal}),
        )
        .await
}

async fn deals_of(client: &Client, account_id: i64) -> Vec<Value> {
    let (status, page) = client
        .get_json(&format!("/api/v1/opportunities?account_id={account_id}"))
        .await;
    assert_eq!(status, StatusCode::OK, "{page}");
    page["items"].as_array().cloned().unwrap_or_default()
}

#[tokio::test]
async fn converting_a_lead_writes_the_customer_and_its_deal_in_one_transaction_or_nothing() {
    let app = app().await;
    let (rep_id, rep) = staff(&app, Role::SalesRep, 1).await;
    let lead = qualified_lead(&rep, rep_id, "Toko Konversi").await;
    let history_before = history(&rep, id(&lead)).await.len();

    // The account changes first inside the transaction; the deal's owner is refused after:
    // nothing of it may stay.
    let (status, answer) = convert(
        &app,
        &lead,
        json!({"title": "Freezers", "value_minor": 5_000_000, "owner_id": 987_654}),
    )
    .await;
    refused(status, &answer, "owner_id");
    let (_, unchanged) = rep
        .get_json(&format!("/api/v1/accounts/{}", id(&lead)))
        .await;
    assert_eq!(unchanged["kind"], "prospect");
    assert_eq!(unchanged["status"], "qualified");
    assert_eq!(unchanged["version"], lead["version"]);
    assert!(deals_of(&rep, id(&lead)).await.is_empty());
    assert_eq!(history(&rep, id(&lead)).await.len(), history_before);

    // A deal that breaks a rule is refused before anything is written, naming its field.
    let (status, answer) = convert(&rep, &lead, json!({"value_minor": 5})).await;
    refused(status, &answer, "title");
    let (status, answer) = convert(&rep, &lead, json!({"title": "X", "value_minor": -5})).await;
    refused(status, &answer, "value_minor");

    let (status, answer) = convert(
        &rep,
        &lead,
        json!({"title": "Freezers", "value_minor": 5_000_000, "expected_close": "2027-01-31"}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert_eq!(answer["account"]["kind"], "customer");
    assert_eq!(answer["account"]["status"], "active");
    assert!(answer["account"]["acquired_on"].is_string(), "{answer}");
    assert_eq!(answer["opportunity"]["stage"], "qualified");
    assert_eq!(answer["opportunity"]["owner_id"], rep_id);
    assert_eq!(answer["opportunity"]["value_minor"], 5_000_000);
    assert_eq!(deals_of(&rep, id(&lead)).await.len(), 1);
    assert!(
        history(&rep, id(&lead))
            .await
            .iter()
            .any(|l| l["title"] == "Lead converted: customer, deal Freezers")
    );

    // Twice is refused (now a customer); a lead that is not qualified is refused; a stale
    // version is a conflict; another rep's lead does not exist for them.
    let (status, answer) = convert(&rep, &answer["account"], json!({"title": "Again"})).await;
    refused(status, &answer, "kind");
    let contacted = moved(
        &rep,
        &prospect(&rep, rep_id, "Toko Belum").await,
        json!({"status": "contacted"}),
    )
    .await;
    let (status, answer) = convert(&rep, &contacted, json!({"title": "Early"})).await;
    refused(status, &answer, "status");
    let other_lead = qualified_lead(&rep, rep_id, "Toko Lain").await;
    let mut stale = other_lead.clone();
    stale["version"] = json!(1);
    let (status, _) = convert(&rep, &stale, json!({"title": "Stale"})).await;
    assert_eq!(status, StatusCode::CONFLICT);
    let (_, other) = staff(&app, Role::SalesRep, 2).await;
    let (status, _) = convert(&other, &other_lead, json!({"title": "Not mine"})).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

fn stages(pcts: [i64; 6]) -> Value {
    let names = [
        "lead",
        "qualified",
        "proposal",
        "negotiation",
        "won",
        "lost",
    ];
    json!({"stages": names.iter().zip(pcts).map(|(s, p)| json!({"stage": s, "probability_pct": p})).collect::<Vec<_>>()})
}

fn column<'a>(board: &'a Value, stage: &str) -> &'a Value {
    board["columns"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["stage"] == stage)
        .unwrap_or_else(|| panic!("a {stage} column: {board}"))
}

#[tokio::test]
async fn only_admins_set_stage_probabilities_and_they_weight_the_board() {
    let app = app().await;
    let (rep_id, rep) = staff(&app, Role::SalesRep, 1).await;
    let (other_id, other) = staff(&app, Role::SalesRep, 2).await;
    let (_, manager) = staff(&app, Role::Manager, 3).await;

    let (status, answer) = rep.get_json("/api/v1/pipeline/stages").await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert_eq!(
        answer["stages"][2],
        json!({"stage": "proposal", "probability_pct": 50})
    );

    for client in [&rep, &manager] {
        let (status, _) = client
            .send_json(
                "PUT",
                "/api/v1/pipeline/stages",
                &stages([1, 2, 3, 4, 5, 6]),
            )
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN);
    }
    let (status, answer) = app
        .send_json(
            "PUT",
            "/api/v1/pipeline/stages",
            &stages([10, 20, 40, 101, 100, 0]),
        )
        .await;
    refused(status, &answer, "probability_pct");
    let (status, answer) = app
        .send_json(
            "PUT",
            "/api/v1/pipeline/stages",
            &json!({"stages": [{"stage": "lead", "probability_pct": 5}]}),
        )
        .await;
    refused(status, &answer, "stage");
    let (status, answer) = app
        .send_json(
            "PUT",
            "/api/v1/pipeline/stages",
            &stages([10, 20, 40, 80, 100, 0]),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert_eq!(answer["stages"][3]["probability_pct"], 80);

    // A territory around Jakarta, so the accounts there get it.
    let territory = created(
        &app,
        "/api/v1/territories",
        json!({"name": "Jakarta", "owner_id": rep_id, "geometry": {"type": "Polygon",
            "coordinates": [[[106.0, -7.0], [107.5, -7.0], [107.5, -5.5], [106.0, -5.5], [106.0, -7.0]]]}}),
    )
    .await;
    let mine = prospect(&rep, rep_id, "Toko Saya").await;
    // Another rep's customer (a prospect in the rep's territory would be the rep's to see).
    let theirs = created(
        &other,
        "/api/v1/accounts",
        json!({"name": "Toko Mereka", "kind": "customer", "lon": 106.8, "lat": -6.2, "owner_id": other_id}),
    )
    .await;
    let far = created(
        &app,
        "/api/v1/accounts",
        json!({"name": "Toko Jauh", "kind": "customer", "lon": 112.7, "lat": -7.25, "owner_id": rep_id}),
    )
    .await;
    let deal = |account: &Value, owner: i64, stage: &str, value: i64, close: &str| {
        json!({"account_id": id(account), "owner_id": owner, "title": format!("{stage} {value}"),
               "stage": stage, "value_minor": value, "expected_close": close})
    };
    for body in [
        deal(&mine, rep_id, "proposal", 1_000_001, "2026-12-10"),
        deal(&mine, rep_id, "negotiation", 300, "2027-01-05"),
        deal(&far, rep_id, "proposal", 7, "2026-12-20"),
        deal(&theirs, other_id, "proposal", 50_000, "2026-12-01"),
    ] {
        created(&app, "/api/v1/opportunities", body).await;
    }

    let (status, board) = app.get_json("/api/v1/pipeline/board").await;
    assert_eq!(status, StatusCode::OK, "{board}");
    let proposal = column(&board, "proposal");
    assert_eq!(proposal["count"], 3);
    assert_eq!(proposal["probability_pct"], 40);
    assert_eq!(
        proposal["totals"],
        json!([{"currency": "IDR", "value_minor": 1_050_008, "weighted_minor": 420_003}])
    );
    assert_eq!(
        column(&board, "negotiation")["totals"][0]["weighted_minor"],
        240
    );
    assert!(board["disqualify_reasons"].as_array().unwrap().len() >= 3);

    // A rep's board has their accounts' deals only.
    let (_, board) = rep.get_json("/api/v1/pipeline/board").await;
    assert_eq!(column(&board, "proposal")["count"], 2);
    // Filters: rep, territory, month.
    let (_, board) = app
        .get_json(&format!("/api/v1/pipeline/board?owner_id={other_id}"))
        .await;
    assert_eq!(
        column(&board, "proposal")["totals"][0]["value_minor"],
        50_000
    );
    let (_, board) = app
        .get_json(&format!(
            "/api/v1/pipeline/board?territory_id={}",
            id(&territory)
        ))
        .await;
    assert_eq!(column(&board, "proposal")["count"], 2, "{board}");
    assert_eq!(column(&board, "negotiation")["count"], 1);
    let (_, board) = app
        .get_json("/api/v1/pipeline/board?close_month=2026-12")
        .await;
    assert_eq!(column(&board, "proposal")["count"], 3);
    assert_eq!(column(&board, "negotiation")["count"], 0);
    let (status, answer) = app
        .get_json("/api/v1/pipeline/board?close_month=2026-13")
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{answer}");
    assert_eq!(answer["field"], "close_month");
}

#[tokio::test]
async fn a_deal_stage_follows_its_flow_into_the_history() {
    let app = app().await;
    let (rep_id, rep) = staff(&app, Role::SalesRep, 1).await;
    let account = prospect(&rep, rep_id, "Toko Deal").await;
    let deal = created(
        &rep,
        "/api/v1/opportunities",
        json!({"account_id": id(&account), "title": "Chillers", "value_minor": 10}),
    )
    .await;
    let patch = |deal: &Value, body: Value| {
        let mut body = body;
        body["version"] = deal["version"].clone();
        (format!("/api/v1/opportunities/{}", id(deal)), body)
    };
    let (uri, body) = patch(&deal, json!({"stage": "negotiation"}));
    let (status, deal) = rep.send_json("PATCH", &uri, &body).await;
    assert_eq!(status, StatusCode::OK, "{deal}");
    assert!(
        history(&rep, id(&account))
            .await
            .iter()
            .any(|l| l["title"] == "Chillers: lead → negotiation" && l["channel"] == "pipeline")
    );
    let (uri, body) = patch(&deal, json!({"stage": "lost"}));
    let (status, answer) = rep.send_json("PATCH", &uri, &body).await;
    refused(status, &answer, "lost_reason");
    let (uri, body) = patch(&deal, json!({"stage": "lost", "lost_reason": "price"}));
    let (status, lost) = rep.send_json("PATCH", &uri, &body).await;
    assert_eq!(status, StatusCode::OK, "{lost}");
    // Lost is final; the old version is stale.
    let (uri, body) = patch(&lost, json!({"stage": "proposal"}));
    let (status, answer) = rep.send_json("PATCH", &uri, &body).await;
    refused(status, &answer, "stage");
    let (uri, body) = patch(&deal, json!({"stage": "proposal"}));
    let (status, answer) = rep.send_json("PATCH", &uri, &body).await;
    assert_eq!(status, StatusCode::CONFLICT, "{answer}");
    assert_eq!(answer["current_version"], lost["version"]);
}

#[tokio::test]
async fn tasks_follow_their_account_and_completing_one_writes_history() {
    let app = app().await;
    let (rep_id, rep) = staff(&app, Role::SalesRep, 1).await;
    let (other_id, other) = staff(&app, Role::SalesRep, 2).await;
    let (_, technician) = staff(&app, Role::Technician, 3).await;
    let mine = prospect(&rep, rep_id, "Toko Tugas").await;
    let theirs = prospect(&other, other_id, "Toko Orang").await;
    let today = Utc::now().date_naive();
    let task = |account: &Value, title: &str, due: chrono::NaiveDate| {
        json!({"account_id": id(account), "title": title, "due_on": due.to_string(),
               "assignee_id": rep_id, "priority": "high"})
    };
    let overdue = created(
        &rep,
        "/api/v1/tasks",
        task(&mine, "Call back", today - Duration::days(2)),
    )
    .await;
    let due_today = created(&rep, "/api/v1/tasks", task(&mine, "Send price list", today)).await;
    created(
        &rep,
        "/api/v1/tasks",
        task(&mine, "Later", today + Duration::days(3)),
    )
    .await;
    let (status, answer) = rep
        .send_json("POST", "/api/v1/tasks", &task(&theirs, "Poach", today))
        .await;
    refused(status, &answer, "account_id");
    let (status, answer) = rep
        .send_json(
            "POST",
            "/api/v1/tasks",
            &json!({"account_id": id(&mine), "title": "No day"}),
        )
        .await;
    refused(status, &answer, "due_on");
    // A task may name a deal of its own account only: not another rep's deal on another account.
    let their_deal = created(
        &other,
        "/api/v1/opportunities",
        json!({"account_id": id(&theirs), "title": "Their chillers", "value_minor": 10}),
    )
    .await;
    let my_deal = created(
        &rep,
        "/api/v1/opportunities",
        json!({"account_id": id(&mine), "title": "My chillers", "value_minor": 10}),
    )
    .await;
    let mut on_deal = task(&mine, "Chase the deal", today + Duration::days(5));
    on_deal["opportunity_id"] = json!(id(&their_deal));
    let (status, answer) = rep.send_json("POST", "/api/v1/tasks", &on_deal).await;
    refused(status, &answer, "opportunity_id");
    on_deal["opportunity_id"] = json!(id(&my_deal));
    let chase = created(&rep, "/api/v1/tasks", on_deal).await;
    assert_eq!(chase["opportunity_id"], id(&my_deal), "{chase}");

    // The other rep neither sees nor completes it; a technician may not use tasks at all.
    let (status, _) = other
        .get_json(&format!("/api/v1/tasks/{}", id(&overdue)))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (_, page) = other.get_json("/api/v1/tasks").await;
    assert_eq!(page["total"], 0, "{page}");
    let complete = |task: &Value| {
        (
            format!("/api/v1/tasks/{}/complete", id(task)),
            json!({"version": task["version"]}),
        )
    };
    let (uri, body) = complete(&overdue);
    let (status, _) = other.send_json("POST", &uri, &body).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = technician.send_json("POST", &uri, &body).await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    // My day: overdue first, then today's; later ones are not on it.
    let (status, day) = rep.get_json("/api/v1/my-day").await;
    assert_eq!(status, StatusCode::OK, "{day}");
    assert_eq!(day["date"], today.to_string());
    let titles = |list: &Value| -> Vec<String> {
        list.as_array()
            .unwrap()
            .iter()
            .map(|t| t["title"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(titles(&day["overdue"]), ["Call back"]);
    assert_eq!(titles(&day["today"]), ["Send price list"]);
    assert_eq!(day["today"][0]["account_name"], "Toko Tugas");
    let (_, day) = other.get_json("/api/v1/my-day").await;
    assert!(day["overdue"].as_array().unwrap().is_empty(), "{day}");

    let (status, done) = rep.send_json("POST", &uri, &body).await;
    assert_eq!(status, StatusCode::OK, "{done}");
    assert_eq!(done["status"], "done");
    assert!(done["done_at"].is_string(), "{done}");
    assert!(
        history(&rep, id(&mine))
            .await
            .iter()
            .any(|l| l["title"] == "Task done: Call back" && l["channel"] == "task")
    );
    let (uri, body) = complete(&done);
    let (status, answer) = rep.send_json("POST", &uri, &body).await;
    refused(status, &answer, "status");
    let (uri, body) = complete(&due_today);
    let mut stale = body.clone();
    stale["version"] = json!(5);
    let (status, _) = rep.send_json("POST", &uri, &stale).await;
    assert_eq!(status, StatusCode::CONFLICT);
    let (_, day) = rep.get_json("/api/v1/my-day").await;
    assert!(day["overdue"].as_array().unwrap().is_empty(), "{day}");
    assert_eq!(titles(&day["today"]), ["Send price list"]);
}
