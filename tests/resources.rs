//! The generic CRM resources over HTTP against a real database: create/read/update/delete for each,
//! validation naming the field, optimistic concurrency, filters and sorting checked against a scan,
//! append-only contact history, and the account timeline.

use axum::body::Body;
use axum::http::{Request, StatusCode};
use serde_json::{Value, json};
use wilayah_tests::TestApp;

/// Some demo ids to hang new records on.
async fn demo_ids(app: &TestApp) -> (i64, i64) {
    let (_, accounts) = app.get_json("/api/v1/accounts?kind=customer&limit=1").await;
    let (_, staff) = app.get_json("/api/v1/staff?role=technician&limit=1").await;
    (
        accounts["items"][0]["id"].as_i64().unwrap(),
        staff["items"][0]["id"].as_i64().unwrap(),
    )
}

/// A valid create body and a valid change for each resource.
fn samples(account: i64, staff: i64) -> Vec<(&'static str, Value, Value)> {
    vec![
        (
            "contacts",
            json!({"account_id": account, "name": "Wulan Sari", "email": "wulan@example.id"}),
            json!({"title": "Pemilik"}),
        ),
        (
            "staff",
            json!({"name": "Bayu Aji", "email": "bayu@wilayah.example", "role": "technician", "skills": ["cooling"]}),
            json!({"work_end": "18:00"}),
        ),
        (
            "territories",
            json!({"name": "Lombok", "owner_id": staff, "geometry": {"type": "Polygon", "coordinates": [[[115.8,-9.0],[116.8,-9.0],[116.8,-8.2],[115.8,-8.2],[115.8,-9.0]]]}}),
            json!({"name": "Nusa Tenggara Barat"}),
        ),
        (
            "opportunities",
            json!({"account_id": account, "title": "Cold room", "value_minor": 150_000_000}),
            json!({"stage": "proposal"}),
        ),
        (
            "cases",
            json!({"account_id": account, "subject": "Compressor noisy", "priority": "high"}),
            json!({"status": "in_progress"}),
        ),
        (
            "visits",
            json!({"account_id": account, "technician_id": staff, "window_start": "2026-12-01T09:00:00+07:00", "window_end": "2026-12-01T11:00:00+07:00", "duration_min": 45}),
            json!({"status": "en_route"}),
        ),
    ]
}

#[tokio::test]
async fn every_resource_supports_create_read_update_delete() {
    let app = TestApp::start().await;
    let (account, staff) = demo_ids(&app).await;
    for (resource, body, change) in samples(account, staff) {
        let (status, created) = app
            .send_json("POST", &format!("/api/v1/{resource}"), &body)
            .await;
        assert_eq!(status, StatusCode::CREATED, "{resource}: {created}");
        assert_eq!(created["version"], 1, "{resource}");
        let uri = format!("/api/v1/{resource}/{}", created["id"]);
        assert_eq!(app.get_json(&uri).await.1, created, "{resource}");

        let mut patch = change.clone();
        patch["version"] = json!(1);
        let (status, updated) = app.send_json("PATCH", &uri, &patch).await;
        assert_eq!(status, StatusCode::OK, "{resource}: {updated}");
        assert_eq!(updated["version"], 2);
        for (key, value) in change.as_object().unwrap() {
            assert_eq!(&updated[key], value, "{resource}.{key}");
        }
        // A second change against the old version is refused with the current version.
        let (status, answer) = app.send_json("PATCH", &uri, &patch).await;
        assert_eq!(
            (status, answer["current_version"].as_i64()),
            (StatusCode::CONFLICT, Some(2)),
            "{resource}"
        );

        let (status, _) = app
            .request_json(
                Request::delete(format!("{uri}?version=1"))
                    .body(Body::empty())
                    .unwrap(),
            )
            .await;
        assert_eq!(status, StatusCode::CONFLICT, "{resource}: stale delete");
        let (status, _) = app
            .request_json(
                Request::delete(format!("{uri}?version=2"))
                    .body(Body::empty())
                    .unwrap(),
            )
            .await;
        assert_eq!(status, StatusCode::NO_CONTENT, "{resource}");
        assert_eq!(
            app.get_json(&uri).await.0,
            StatusCode::NOT_FOUND,
            "{resource}"
        );
    }
}

#[tokio::test]
async fn bad_input_names_the_field() {
    let app = TestApp::start().await;
    let (account, staff) = demo_ids(&app).await;
    let cases = [
        (
            "contacts",
            json!({"account_id": 999_999, "name": "X"}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "account_id",
        ),
        (
            "contacts",
            json!({"account_id": account}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "name",
        ),
        (
            "contacts",
            json!({"account_id": account, "name": "X", "email": "nope"}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "email",
        ),
        (
            "staff",
            json!({"name": "X", "email": "x@y.id", "role": "boss"}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "role",
        ),
        (
            "staff",
            json!({"name": "X", "email": "hendra.gunawan@wilayah.example", "role": "manager"}),
            StatusCode::CONFLICT,
            "email",
        ),
        (
            "territories",
            json!({"name": "Bali", "geometry": {"type": "Polygon", "coordinates": [[[0,0],[1,0],[1,1],[0,0]]]}}),
            StatusCode::CONFLICT,
            "name",
        ),
        (
            "territories",
            json!({"name": "Bowtie", "geometry": {"type": "Polygon", "coordinates": [[[0,0],[1,1],[1,0],[0,1],[0,0]]]}}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "geometry",
        ),
        (
            "opportunities",
            json!({"account_id": account, "title": "X", "stage": "lost"}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "lost_reason",
        ),
        (
            "opportunities",
            json!({"account_id": account, "title": "X", "value_minor": -1}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "value_minor",
        ),
        (
            "activities",
            json!({"account_id": account, "kind": "call", "subject": "X", "occurred_at": "yesterday"}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "occurred_at",
        ),
        (
            "cases",
            json!({"account_id": account, "subject": "X", "status": "resolved"}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "resolution",
        ),
        (
            "visits",
            json!({"account_id": account, "technician_id": staff, "window_start": "2026-12-01T11:00:00Z", "window_end": "2026-12-01T09:00:00Z", "duration_min": 30}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "window_end",
        ),
        (
            "visits",
            json!({"account_id": account, "window_start": "2026-12-01T09:00:00Z", "window_end": "2026-12-01T11:00:00Z", "duration_min": 0}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "duration_min",
        ),
        (
            "visits",
            json!({"account_id": account, "colour": "red"}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "body",
        ),
    ];
    for (resource, body, status, field) in cases {
        let (got, answer) = app
            .send_json("POST", &format!("/api/v1/{resource}"), &body)
            .await;
        assert_eq!(
            (got, answer["field"].as_str()),
            (status, Some(field)),
            "{resource} {body}: {answer}"
        );
    }
    for (query, field) in [
        ("sort=colour", "sort"),
        ("limit=0", "limit"),
        ("status=lost", "status"),
        ("technician_id=x", "technician_id"),
    ] {
        let (status, answer) = app.get_json(&format!("/api/v1/visits?{query}")).await;
        assert_eq!(
            (status, answer["field"].as_str()),
            (StatusCode::BAD_REQUEST, Some(field)),
            "{query}: {answer}"
        );
    }
    let (status, answer) = app.get_json("/api/v1/visits?colour=red").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        answer["error"].as_str().unwrap().contains("technician_id"),
        "lists what can be filtered: {answer}"
    );
}

#[tokio::test]
async fn visit_lists_filter_and_sort_like_a_scan() {
    let app = TestApp::start().await;
    let (_, all) = app.get_json("/api/v1/visits?limit=1000&sort=id").await;
    let all = all["items"].as_array().unwrap().clone();
    assert!(all.len() >= 50, "demo visits");
    let technician = all[0]["technician_id"].as_i64().unwrap();
    let (status, page) = app.get_json(&format!("/api/v1/visits?technician_id={technician}&status=scheduled&sort=-window_start&limit=1000")).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    let mut expected: Vec<&Value> = all
        .iter()
        .filter(|v| v["technician_id"] == technician && v["status"] == "scheduled")
        .collect();
    expected.sort_by(|a, b| {
        (b["window_start"].as_str(), b["id"].as_i64())
            .cmp(&(a["window_start"].as_str(), a["id"].as_i64()))
    });
    let got: Vec<&Value> = page["items"].as_array().unwrap().iter().collect();
    assert_eq!(got, expected);
    assert_eq!(page["total"].as_u64().unwrap() as usize, expected.len());
}

#[tokio::test]
async fn the_contact_history_is_append_only() {
    let app = TestApp::start().await;
    let (account, _) = demo_ids(&app).await;
    let body = json!({"account_id": account, "kind": "call", "subject": "Asked about prices", "occurred_at": "2026-11-20T10:00:00+07:00"});
    let (status, created) = app.send_json("POST", "/api/v1/activities", &body).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    assert!(created.get("version").is_none());
    let (status, answer) = app
        .send_json(
            "PATCH",
            &format!("/api/v1/activities/{}", created["id"]),
            &json!({"version": 1, "subject": "x"}),
        )
        .await;
    assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED, "{answer}");
}

#[tokio::test]
async fn an_account_history_joins_activities_visits_cases_and_pipeline_changes() {
    let app = TestApp::start().await;
    let (account, staff) = demo_ids(&app).await;
    let history_uri = format!("/api/v1/accounts/{account}/history?limit=1000");
    let (status, before) = app.get_json(&history_uri).await;
    assert_eq!(status, StatusCode::OK, "{before}");
    let before = before.as_array().unwrap().len();

    let call = json!({"account_id": account, "staff_id": staff, "kind": "complaint", "channel": "whatsapp", "subject": "Freezer warm", "occurred_at": "2026-11-22T08:00:00Z"});
    assert_eq!(
        app.send_json("POST", "/api/v1/activities", &call).await.0,
        StatusCode::CREATED
    );
    let (_, case) = app
        .send_json(
            "POST",
            "/api/v1/cases",
            &json!({"account_id": account, "subject": "Freezer warm"}),
        )
        .await;
    let (_, deal) = app
        .send_json(
            "POST",
            "/api/v1/opportunities",
            &json!({"account_id": account, "title": "Second freezer"}),
        )
        .await;
    let (status, _) = app
        .send_json(
            "PATCH",
            &format!("/api/v1/opportunities/{}", deal["id"]),
            &json!({"version": 1, "stage": "qualified"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = app
        .send_json(
            "PATCH",
            &format!("/api/v1/cases/{}", case["id"]),
            &json!({"version": 1, "status": "resolved", "resolution": "Replaced the seal"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);

    let (_, history) = app.get_json(&history_uri).await;
    let history = history.as_array().unwrap();
    // The complaint, the case, the deal, and a history line each for the deal's and the case's change.
    assert_eq!(history.len(), before + 5, "{history:#?}");
    let lines: Vec<(String, String)> = history
        .iter()
        .map(|e| {
            (
                e["type"].as_str().unwrap().to_owned(),
                e["title"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert!(
        lines.contains(&("activity".into(), "Second freezer: lead → qualified".into())),
        "{lines:?}"
    );
    assert!(
        lines.contains(&("activity".into(), "Freezer warm: new → resolved".into())),
        "{lines:?}"
    );
    assert!(lines.contains(&("case".into(), "Freezer warm".into())));
    assert!(lines.contains(&("opportunity".into(), "Second freezer".into())));
    let times: Vec<&str> = history.iter().map(|e| e["at"].as_str().unwrap()).collect();
    let mut sorted = times.clone();
    sorted.sort_by(|a, b| b.cmp(a));
    assert_eq!(times, sorted, "newest first");

    assert_eq!(
        app.get_json("/api/v1/accounts/999999/history").await.0,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn deleting_an_account_removes_what_hangs_off_it() {
    let app = TestApp::start().await;
    let (account, _) = demo_ids(&app).await;
    let (_, contacts) = app
        .get_json(&format!("/api/v1/contacts?account_id={account}"))
        .await;
    assert!(
        contacts["total"].as_i64().unwrap() >= 1,
        "demo accounts have contacts"
    );
    let (status, _) = app
        .request_json(
            Request::delete(format!("/api/v1/accounts/{account}"))
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (_, contacts) = app
        .get_json(&format!("/api/v1/contacts?account_id={account}"))
        .await;
    assert_eq!(contacts["total"], 0);
    let (_, visits) = app
        .get_json(&format!("/api/v1/visits?account_id={account}"))
        .await;
    assert_eq!(visits["total"], 0);
}

#[tokio::test]
async fn deleting_a_rep_unassigns_their_accounts_in_the_database_and_the_index() {
    let app = TestApp::start().await;
    let (_, reps) = app.get_json("/api/v1/staff?role=sales_rep&limit=1").await;
    let rep = reps["items"][0]["id"].as_i64().unwrap();
    let (_, owned) = app
        .get_json(&format!("/api/v1/accounts?owner_id={rep}&limit=1000"))
        .await;
    let owned = owned["items"].as_array().unwrap().clone();
    assert!(!owned.is_empty());
    let (lon, lat) = (
        owned[0]["lon"].as_f64().unwrap(),
        owned[0]["lat"].as_f64().unwrap(),
    );
    let nearby_owned = format!("/api/v1/accounts/nearby?lon={lon}&lat={lat}&k=500&owner_id={rep}");
    assert!(
        !app.get_json(&nearby_owned)
            .await
            .1
            .as_array()
            .unwrap()
            .is_empty()
    );

    let (status, _) = app
        .request_json(
            Request::delete(format!("/api/v1/staff/{rep}"))
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (_, account) = app
        .get_json(&format!("/api/v1/accounts/{}", owned[0]["id"]))
        .await;
    assert_eq!(account["owner_id"], Value::Null);
    assert_eq!(
        app.get_json(&nearby_owned).await.1,
        json!([]),
        "the index still thinks the rep owns accounts"
    );
}
