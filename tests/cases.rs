//! The service desk over HTTP against a real database (SQLite, or PostgreSQL with
//! DATABASE_URL): SLA policies (everyone who works cases reads them, admins change them, each
//! rule named), the case queue's views, filters and SLA clocks within the caller's rows, the
//! flow's clock stops, escalation firing once per case and target, the call centre's lookup by
//! phone, the public report form (a bot is refused silently, a person gets a confirmation number,
//! the account is matched or created, the limiter stops a flood), and the OpenAPI document.

use axum::http::StatusCode;
use serde_json::{Value, json};
use wilayah_shared::access::Role;
use wilayah_tests::{Client, TestApp, created, id, staff_user};

async fn app() -> TestApp {
    TestApp::start_with(|c| c.no_demo = true).await
}

/// A staff member of `role` and a user acting as them.
async fn staff(app: &TestApp, role: Role, n: u32) -> (i64, Client) {
    staff_user(app, role, n, "cases.test").await
}

async fn account(app: &TestApp, owner: i64, name: &str) -> i64 {
    let a = created(
        app,
        "/api/v1/accounts",
        json!({"name": name, "kind": "customer", "lon": 107.6, "lat": -6.9, "owner_id": owner}),
    )
    .await;
    id(&a)
}

async fn case(client: &Client, body: Value) -> Value {
    created(client, "/api/v1/cases", body).await
}

async fn queue(client: &Client, query: &str) -> Value {
    let (status, body) = client
        .get_json(&format!("/api/v1/cases/queue?{query}"))
        .await;
    assert_eq!(status, StatusCode::OK, "{query}: {body}");
    body
}

fn ids(queue: &Value) -> Vec<i64> {
    queue["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(id)
        .collect()
}

#[tokio::test]
async fn sla_policies_are_read_by_case_workers_and_changed_by_admins() {
    let app = app().await;
    let (_, rep) = staff(&app, Role::SalesRep, 1).await;
    let (manager_id, manager) = staff(&app, Role::Manager, 1).await;
    let (status, read) = rep.get_json("/api/v1/sla-policies").await;
    assert_eq!(status, StatusCode::OK, "{read}");
    assert_eq!(read["version"], 0);
    assert_eq!(read["settings"]["work_days"], json!([1, 2, 3, 4, 5]));
    assert!(
        read["settings"]["holidays"]
            .as_array()
            .unwrap()
            .iter()
            .any(|h| h["date"] == "2026-08-17"),
        "Independence Day is a default holiday"
    );
    let mut settings = read["settings"].clone();
    let (status, _) = manager
        .send_json(
            "PUT",
            "/api/v1/sla-policies",
            &json!({"version": 0, "settings": settings}),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "only admins change them");

    // Each broken rule is named.
    let mut without_low = settings.clone();
    without_low["policies"]
        .as_array_mut()
        .unwrap()
        .retain(|p| p["priority"] != "low");
    let mut backwards = settings.clone();
    backwards["work_end"] = json!("07:00");
    let mut unknown_staff = settings.clone();
    unknown_staff["policies"][0]["escalate_to"] = json!(987_654);
    for (bad, field) in [
        (without_low, "policies"),
        (backwards, "work_end"),
        (unknown_staff, "escalate_to"),
    ] {
        let (status, body) = app
            .send_json(
                "PUT",
                "/api/v1/sla-policies",
                &json!({"version": 0, "settings": bad}),
            )
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert_eq!(body["field"], field, "{body}");
    }

    settings["policies"].as_array_mut().unwrap().push(json!({
        "priority": "urgent", "category": "billing", "response_min": 15, "resolution_min": 60,
        "escalate_to": manager_id
    }));
    let (status, saved) = app
        .send_json(
            "PUT",
            "/api/v1/sla-policies",
            &json!({"version": 0, "settings": settings}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{saved}");
    assert_eq!(saved["version"], 1);
    let (_, read) = rep.get_json("/api/v1/sla-policies").await;
    assert_eq!(read["version"], 1);
    assert_eq!(read["settings"]["policies"].as_array().unwrap().len(), 5);
    let (status, _) = app
        .send_json(
            "PUT",
            "/api/v1/sla-policies",
            &json!({"version": 0, "settings": settings}),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "a stale version is refused");
}

#[tokio::test]
async fn the_queue_shows_each_view_filtered_with_sla_clocks_within_the_callers_rows() {
    let app = app().await;
    let (rep_id, rep) = staff(&app, Role::SalesRep, 1).await;
    let (other_id, other) = staff(&app, Role::SalesRep, 2).await;
    let mine = account(&app, rep_id, "Toko Rep").await;
    let theirs = account(&app, other_id, "Toko Other").await;
    let assigned = case(
        &app,
        json!({"account_id": mine, "subject": "Freezer warm", "priority": "urgent", "assigned_to": rep_id, "category": "maintenance"}),
    )
    .await;
    let overdue = case(
        &app,
        json!({"account_id": mine, "subject": "Invoice wrong", "priority": "low", "category": "billing",
               "sla_due_at": "2020-01-06T03:00:00Z"}),
    )
    .await;
    let elsewhere = case(
        &app,
        json!({"account_id": theirs, "subject": "Not mine", "assigned_to": other_id}),
    )
    .await;
    let done = case(
        &app,
        json!({"account_id": mine, "subject": "Done already", "status": "resolved", "resolution": "Replaced"}),
    )
    .await;

    let all = queue(&rep, "view=all").await;
    assert_eq!(
        ids(&all),
        vec![id(&overdue), id(&assigned)],
        "open cases of the rep's accounts, breached first: {all}"
    );
    assert_eq!(all["views"], json!({"mine": 1, "team": 1, "all": 2}));
    let first = &all["items"][0];
    assert_eq!(first["account_name"], "Toko Rep");
    assert_eq!(first["sla"]["state"], "breached");
    assert_eq!(first["sla"]["resolution"]["state"], "breached");
    assert_eq!(first["sla"]["resolution"]["due_at"], "2020-01-06T03:00:00Z");
    assert!(first["sla"]["resolution"]["minutes_over"].as_i64().unwrap() > 1000);
    let second = &all["items"][1];
    assert_eq!(second["assignee_name"], "sales_rep 1");
    assert!(
        matches!(
            second["sla"]["response"]["state"].as_str(),
            Some("on_track" | "at_risk" | "breached")
        ),
        "the response clock runs: {second}"
    );

    assert_eq!(ids(&queue(&rep, "view=mine").await), vec![id(&assigned)]);
    assert_eq!(ids(&queue(&rep, "sla=breached").await), vec![id(&overdue)]);
    assert_eq!(
        ids(&queue(&rep, "priority=urgent").await),
        vec![id(&assigned)]
    );
    assert_eq!(
        ids(&queue(&rep, "category=billing").await),
        vec![id(&overdue)]
    );
    assert_eq!(
        ids(&queue(&rep, "status=resolved,closed").await),
        vec![id(&done)]
    );
    assert_eq!(
        ids(&queue(&rep, "sort=-created_at").await),
        vec![id(&overdue), id(&assigned)]
    );
    assert_eq!(ids(&queue(&other, "view=all").await), vec![id(&elsewhere)]);
    assert_eq!(
        ids(&queue(&app, "view=all").await).len(),
        3,
        "the admin sees all open"
    );

    for (bad, field) in [
        ("view=everyone", "view"),
        ("sla=late", "sla"),
        ("status=open", "status"),
        ("priority=asap", "priority"),
        ("limit=0", "limit"),
    ] {
        let (status, body) = rep.get_json(&format!("/api/v1/cases/queue?{bad}")).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}: {body}");
        assert_eq!(body["field"], field, "{body}");
    }
    let (planner_status, _) = app
        .as_user(Role::Planner, None, vec![])
        .await
        .get_json("/api/v1/cases/queue")
        .await;
    assert_eq!(planner_status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn the_flow_stops_and_restarts_the_clocks() {
    let app = app().await;
    let (rep_id, rep) = staff(&app, Role::SalesRep, 1).await;
    let mine = account(&app, rep_id, "Toko Flow").await;
    let c = case(
        &rep,
        json!({"account_id": mine, "subject": "Leaking", "responded_at": "2020-01-01T00:00:00Z"}),
    )
    .await;
    assert_eq!(c["responded_at"], Value::Null, "the server sets the stops");
    assert_eq!(c["channel"], "staff");
    assert_eq!(c["category"], "other");
    let uri = format!("/api/v1/cases/{}", id(&c));
    let patch = |body: Value| {
        let (rep, uri) = (rep.clone(), uri.clone());
        async move { rep.send_json("PATCH", &uri, &body).await }
    };
    let (status, started) = patch(json!({"version": 1, "status": "in_progress"})).await;
    assert_eq!(status, StatusCode::OK, "{started}");
    assert!(started["responded_at"].is_string(), "{started}");
    let (status, refused) =
        patch(json!({"version": 2, "status": "closed", "resolution": "x"})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(refused["field"], "status");
    let (status, resolved) =
        patch(json!({"version": 2, "status": "resolved", "resolution": "Seal replaced"})).await;
    assert_eq!(status, StatusCode::OK, "{resolved}");
    assert!(resolved["resolved_at"].is_string());
    assert_eq!(resolved["responded_at"], started["responded_at"]);
    let (status, reopened) = patch(json!({"version": 3, "status": "in_progress"})).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(reopened["resolved_at"], Value::Null);
    let (status, stale) =
        patch(json!({"version": 3, "status": "resolved", "resolution": "y"})).await;
    assert_eq!(status, StatusCode::CONFLICT, "{stale}");
    let q = queue(&rep, "").await;
    assert_eq!(ids(&q), vec![id(&c)]);
    assert_eq!(q["items"][0]["sla"]["response"]["state"], "met");
}

#[tokio::test]
async fn an_escalation_fires_once_per_case_and_target() {
    let app = app().await;
    let (rep_id, rep) = staff(&app, Role::SalesRep, 1).await;
    let (manager_id, manager) = staff(&app, Role::Manager, 1).await;
    let (_, read) = app.get_json("/api/v1/sla-policies").await;
    let mut settings = read["settings"].clone();
    for p in settings["policies"].as_array_mut().unwrap() {
        if p["priority"] == "high" {
            p["escalate_to"] = json!(manager_id);
        }
    }
    let (status, body) = app
        .send_json(
            "PUT",
            "/api/v1/sla-policies",
            &json!({"version": 0, "settings": settings}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let mine = account(&app, rep_id, "Toko Late").await;
    let late = case(
        &app,
        json!({"account_id": mine, "subject": "Cold room down", "priority": "high", "assigned_to": rep_id,
               "status": "in_progress", "sla_due_at": "2021-03-01T02:00:00Z"}),
    )
    .await;
    let on_time = case(
        &app,
        json!({"account_id": mine, "subject": "Question", "priority": "low", "sla_due_at": "2099-01-01T00:00:00Z",
               "status": "in_progress"}),
    )
    .await;

    let (status, _) = rep
        .send_json("POST", "/api/v1/cases/escalations", &json!({}))
        .await;
    assert_eq!(
        status,
        StatusCode::FORBIDDEN,
        "a rep does not run the check"
    );
    let (status, run) = manager
        .send_json("POST", "/api/v1/cases/escalations", &json!({}))
        .await;
    assert_eq!(status, StatusCode::OK, "{run}");
    assert_eq!(run["fired"], json!([[id(&late), "resolution"]]), "{run}");
    assert_eq!(run["checked"], 2);

    let (_, record) = app.get_json(&format!("/api/v1/cases/{}", id(&late))).await;
    assert_eq!(
        record["assigned_to"], manager_id,
        "reassigned to the manager"
    );
    let escalation_lines = |history: &Value| {
        history
            .as_array()
            .expect("a history")
            .iter()
            .filter(|l| l["title"].as_str().is_some_and(|t| t.contains("escalated")))
            .count()
    };
    let (_, history) = app
        .get_json(&format!("/api/v1/accounts/{mine}/history"))
        .await;
    assert_eq!(escalation_lines(&history), 1, "{history}");

    // Again, and once more after the case changed: nothing fires twice.
    let (_, again) = manager
        .send_json("POST", "/api/v1/cases/escalations", &json!({}))
        .await;
    assert_eq!(again["fired"], json!([]), "{again}");
    let (status, _) = app
        .send_json(
            "PATCH",
            &format!("/api/v1/cases/{}", id(&late)),
            &json!({"version": record["version"], "assigned_to": rep_id}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (_, third) = app
        .send_json("POST", "/api/v1/cases/escalations", &json!({}))
        .await;
    assert_eq!(third["fired"], json!([]));
    let (_, history) = app
        .get_json(&format!("/api/v1/accounts/{mine}/history"))
        .await;
    assert_eq!(escalation_lines(&history), 1);
    let (_, record) = app.get_json(&format!("/api/v1/cases/{}", id(&late))).await;
    assert_eq!(record["assigned_to"], rep_id, "not taken back again");

    let q = queue(&manager, "view=all").await;
    let item = |case_id: i64| {
        q["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|i| id(i) == case_id)
            .cloned()
            .expect("in the queue")
    };
    assert_eq!(item(id(&late))["escalated"], json!(["resolution"]));
    assert_eq!(item(id(&on_time))["escalated"], json!([]));
    let (_, audit) = app
        .get_json(&format!(
            "/api/v1/audit?entity=cases&entity_id={}&action=escalate",
            id(&late)
        ))
        .await;
    assert_eq!(audit.as_array().map(Vec::len), Some(1), "{audit}");
}

#[tokio::test]
async fn the_call_centre_finds_callers_by_phone_within_scope() {
    let app = app().await;
    let (rep_id, rep) = staff(&app, Role::SalesRep, 1).await;
    let (_, other) = staff(&app, Role::SalesRep, 2).await;
    let mine = account(&app, rep_id, "Toko Telepon").await;
    created(
        &app,
        "/api/v1/contacts",
        json!({"account_id": mine, "name": "Pak Budi", "phone": "+62 812-3456-7890"}),
    )
    .await;
    let open = case(
        &app,
        json!({"account_id": mine, "subject": "Noisy compressor"}),
    )
    .await;
    let (status, found) = rep
        .get_json("/api/v1/call-centre/callers?phone=0812%203456%207890")
        .await;
    assert_eq!(status, StatusCode::OK, "{found}");
    let matches = found["matches"].as_array().unwrap();
    assert_eq!(matches.len(), 1, "{found}");
    assert_eq!(matches[0]["account"]["id"], mine);
    assert_eq!(matches[0]["panel"]["contacts"][0]["name"], "Pak Budi");
    assert_eq!(matches[0]["open_cases"][0]["id"], id(&open));
    let (_, none) = other
        .get_json("/api/v1/call-centre/callers?phone=081234567890")
        .await;
    assert_eq!(
        none["matches"],
        json!([]),
        "another rep's customer is not theirs"
    );
    let (status, bad) = rep
        .get_json("/api/v1/call-centre/callers?phone=call%20me")
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(bad["field"], "phone");

    // Logging the call and opening a case are the activities' and cases' own routes.
    created(
        &rep,
        "/api/v1/activities",
        json!({"account_id": mine, "kind": "call", "channel": "phone", "subject": "Asked about the compressor",
               "occurred_at": "2026-08-12T03:00:00Z"}),
    )
    .await;
    let by_phone = created(
        &rep,
        "/api/v1/cases",
        json!({"account_id": mine, "subject": "Door seal", "channel": "phone", "category": "maintenance"}),
    )
    .await;
    assert_eq!(by_phone["channel"], "phone");
}

async fn count_cases(app: &TestApp) -> i64 {
    let (_, page) = app.get_json("/api/v1/cases?limit=1").await;
    page["total"].as_i64().expect("a total")
}

#[tokio::test]
async fn the_public_form_refuses_a_bot_answers_a_person_and_stops_a_flood() {
    let app = app().await;
    let (rep_id, _) = staff(&app, Role::SalesRep, 1).await;
    let known = account(&app, rep_id, "Warung Ani").await;
    created(
        &app,
        "/api/v1/contacts",
        json!({"account_id": known, "name": "Ani", "email": "ani@warung.test", "phone": "0813 1111 2222"}),
    )
    .await;
    let public = app.anonymous();
    let report = |extra: Value| {
        let mut body =
            json!({"name": "Ani", "subject": "Freezer broken", "description": "Since Monday"});
        for (k, v) in extra.as_object().unwrap() {
            body[k] = v.clone();
        }
        body
    };
    let before = count_cases(&app).await;

    // 1. A bot fills in the honeypot: answered like a success, no number, nothing written.
    let (status, answer) = public
        .send_json(
            "POST",
            "/api/v1/public/reports",
            &report(json!({"email": "bot@spam.test", "website": "http://spam.test"})),
        )
        .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{answer}");
    assert_eq!(answer, json!({"received": true}));
    assert_eq!(count_cases(&app).await, before);

    // 2. A known customer by e-mail: the case opens on their account.
    let (status, answer) = public
        .send_json(
            "POST",
            "/api/v1/public/reports",
            &report(json!({"email": "ANI@warung.test", "category": "product"})),
        )
        .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{answer}");
    let number = answer["confirmation"]
        .as_str()
        .expect("a number")
        .to_owned();
    assert!(number.starts_with("WL-") && number.len() == 12, "{number}");
    let (_, cases) = app
        .get_json(&format!("/api/v1/cases?account_id={known}"))
        .await;
    assert_eq!(cases["total"], 1, "{cases}");
    assert_eq!(cases["items"][0]["channel"], "web");
    assert_eq!(cases["items"][0]["category"], "product");
    let q = queue(&app, "view=all").await;
    assert_eq!(q["items"][0]["reference"], number.as_str());

    // 3. By phone, written another way.
    let (status, _) = public
        .send_json(
            "POST",
            "/api/v1/public/reports",
            &report(json!({"phone": "+62 813-1111-2222"})),
        )
        .await;
    assert_eq!(status, StatusCode::ACCEPTED);
    let (_, cases) = app
        .get_json(&format!("/api/v1/cases?account_id={known}"))
        .await;
    assert_eq!(cases["total"], 2);

    // 4. Somebody new: a prospect placed by their town, with them as its contact.
    let (status, answer) = public
        .send_json(
            "POST",
            "/api/v1/public/reports",
            &report(
                json!({"name": "Budi Santoso", "email": "budi@new.test", "address": "Bandung"}),
            ),
        )
        .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{answer}");
    let (_, accounts) = app.get_json("/api/v1/accounts?q=Budi%20Santoso").await;
    assert_eq!(accounts["total"], 1, "{accounts}");
    let prospect = &accounts["items"][0];
    assert_eq!(prospect["kind"], "prospect");
    assert!(
        (prospect["lon"].as_f64().unwrap() - 107.6).abs() < 0.5,
        "{prospect}"
    );
    let (_, contacts) = app
        .get_json(&format!("/api/v1/contacts?account_id={}", id(prospect)))
        .await;
    assert_eq!(contacts["items"][0]["email"], "budi@new.test");

    // 5. Refused with the field named: no way to answer; a stranger without a town.
    let (status, body) = public
        .send_json("POST", "/api/v1/public/reports", &report(json!({})))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["field"], "email");
    assert_eq!(count_cases(&app).await, before + 3);

    // 6. The sixth report from one address in the window is refused.
    let (status, body) = public
        .send_json(
            "POST",
            "/api/v1/public/reports",
            &report(json!({"email": "ani@warung.test"})),
        )
        .await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{body}");
    assert_eq!(count_cases(&app).await, before + 3);
}

#[tokio::test]
async fn the_service_desk_routes_are_in_the_openapi_document() {
    let app = app().await;
    let (status, doc) = app.get_json("/api/v1/openapi.json").await;
    assert_eq!(status, StatusCode::OK);
    for (path, method) in [
        ("/api/v1/sla-policies", "get"),
        ("/api/v1/sla-policies", "put"),
        ("/api/v1/cases/queue", "get"),
        ("/api/v1/cases/escalations", "post"),
        ("/api/v1/call-centre/callers", "get"),
        ("/api/v1/public/reports", "post"),
    ] {
        assert!(
            doc["paths"][path][method]["summary"].is_string(),
            "{method} {path} is not documented"
        );
    }
    for schema in [
        "SlaPolicies",
        "CaseQueue",
        "QueueCase",
        "ProblemReport",
        "ReportReceived",
        "Callers",
    ] {
        assert!(doc["components"]["schemas"][schema].is_object(), "{schema}");
    }
    let case_fields = &doc["components"]["schemas"]["Case"]["properties"];
    assert!(case_fields["category"].is_object() && case_fields["responded_at"].is_object());
}
