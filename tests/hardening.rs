//! Closing the holes of issue 13 that are not about scoping (both databases: SQLite, or
//! PostgreSQL with DATABASE_URL): erasure leaves no personal or location data in any table or
//! in the audit log; ids are never reused; sign-in attempts are counted before the password is
//! checked and password checks are capped; dates at the edge of the calendar are a 400, not a
//! panic; a field action resent under the same client id with other content is a kept 409; huge
//! polygons are refused naming the field; signing out clears the device's storage.

use std::sync::atomic::{AtomicU64, Ordering};

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{Request, StatusCode, header};
use serde_json::{Value, json};
use sqlx::Connection;
use tower::ServiceExt;
use wilayah_shared::access::Role;
use wilayah_tests::{TEST_PASSWORD, TestApp, TestDatabase, create_user, created};

/// A fresh UUID-shaped client id, as a device would make.
fn client_id() -> String {
    static NEXT: AtomicU64 = AtomicU64::new(1);
    format!(
        "{:08x}-0000-4000-9000-{:012x}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    )
}

async fn a_technician(app: &TestApp) -> i64 {
    let (status, page) = app.get_json("/api/v1/staff?role=technician").await;
    assert_eq!(status, StatusCode::OK, "{page}");
    page["items"][0]["id"].as_i64().unwrap()
}

/// Runs SQL on the test database directly, as an older version of the server would have
/// written it.
async fn execute(db: &TestDatabase, sqlite: &str, postgres: &str) {
    if TestDatabase::backend() == "postgres" {
        let mut conn = sqlx::PgConnection::connect(&db.url).await.unwrap();
        sqlx::raw_sql(sqlx::AssertSqlSafe(postgres.to_owned()))
            .execute(&mut conn)
            .await
            .unwrap();
    } else {
        let mut conn = sqlx::SqliteConnection::connect(&db.url).await.unwrap();
        sqlx::raw_sql(sqlx::AssertSqlSafe(sqlite.to_owned()))
            .execute(&mut conn)
            .await
            .unwrap();
    }
}

#[tokio::test]
async fn erasure_leaves_no_personal_or_location_value_in_any_table_or_the_audit_log() {
    let app = TestApp::start().await;
    let technician = a_technician(&app).await;
    let account = created(
        &app,
        "/api/v1/accounts",
        json!({
            "name": "Toko Rahasia", "kind": "customer", "segment": "retail",
            "lon": 106.123457, "lat": -6.654321, "external_id": "EXT-SECRET-77",
            "tags": ["tag-secret"], "address": "Jalan Rahasia 7",
        }),
    )
    .await;
    let id = account["id"].as_i64().unwrap();
    created(
        &app,
        "/api/v1/opportunities",
        json!({"account_id": id, "title": "Freezers", "stage": "lost",
               "lost_reason": "reason-secret moved away"}),
    )
    .await;
    let visit = created(
        &app,
        "/api/v1/visits",
        json!({"account_id": id, "technician_id": technician,
               "window_start": "2026-11-23T01:00:00Z", "window_end": "2026-11-23T05:00:00Z",
               "duration_min": 30}),
    )
    .await;
    let check_in = json!({
        "client_id": client_id(), "visit_id": visit["id"], "base_version": visit["version"],
        "action": "check_in", "lon": 106.987654, "lat": -6.456789, "accuracy_m": 8.0,
        "recorded_at": "2026-11-23T02:00:00Z",
    });
    let (status, answer) = app
        .send_json("POST", "/api/v1/field/actions", &check_in)
        .await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    let report = json!({
        "client_id": client_id(), "visit_id": visit["id"],
        "base_version": answer["visit_version"], "action": "report",
        "outcome": "done", "notes": "notes-secret gate code 4321",
        "recorded_at": "2026-11-23T02:30:00Z",
    });
    let (status, answer) = app
        .send_json("POST", "/api/v1/field/actions", &report)
        .await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    // An entry as a server before this change wrote it: values of fields now classified as
    // personal, copied into the log.
    let legacy = r#"{"lon": 106.123457, "external_id": "EXT-SECRET-77", "status": "active"}"#;
    execute(
        &app.db,
        &format!(
            "INSERT INTO audit_log (at, actor, action, entity, entity_id, account_id, changes)
             VALUES ('2026-01-01T00:00:00Z', 'old', 'update', 'accounts', {id}, {id}, '{legacy}')"
        ),
        &format!(
            "INSERT INTO audit_log (at, actor, action, entity, entity_id, account_id, changes)
             VALUES ('2026-01-01T00:00:00Z', 'old', 'update', 'accounts', {id}, {id}, '{legacy}'::jsonb)"
        ),
    )
    .await;

    let (status, export) = app.get_json(&format!("/api/v1/accounts/{id}/export")).await;
    assert_eq!(status, StatusCode::OK);
    let actions = export["field_actions"]
        .as_array()
        .expect("field actions exported");
    assert_eq!(actions.len(), 2, "{export}");
    assert!(
        export.to_string().contains("notes-secret"),
        "the export is complete"
    );

    let (status, erased) = app
        .send_json("POST", &format!("/api/v1/accounts/{id}/erase"), &json!({}))
        .await;
    assert_eq!(status, StatusCode::OK, "{erased}");

    let secrets = [
        "106.123457",
        "-6.654321",
        "106.987654",
        "-6.456789",
        "EXT-SECRET-77",
        "tag-secret",
        "reason-secret",
        "notes-secret",
        "Jalan Rahasia",
        "Toko Rahasia",
    ];
    let (_, audit) = app
        .get_json(&format!("/api/v1/audit?account_id={id}&limit=1000"))
        .await;
    let (_, export) = app.get_json(&format!("/api/v1/accounts/{id}/export")).await;
    let (_, recorded) = app
        .get_json(&format!("/api/v1/field/actions?visit_id={}", visit["id"]))
        .await;
    for (what, text) in [
        ("audit", audit.to_string()),
        ("export", export.to_string()),
        ("field actions", recorded.to_string()),
    ] {
        for secret in secrets {
            assert!(
                !text.contains(secret),
                "{secret} left in the {what}: {text}"
            );
        }
    }
    // The log still says which fields changed.
    assert!(
        audit.to_string().contains("\"lon\":\"[personal]\""),
        "{audit}"
    );
    assert_eq!(export["field_actions"].as_array().unwrap().len(), 2);
    // And the exception was only for the erasure: the log stays append-only.
    let (status, _) = app
        .send_json("POST", &format!("/api/v1/accounts/{id}/erase"), &json!({}))
        .await;
    assert_eq!(status, StatusCode::OK, "erasing twice works");
}

#[tokio::test]
async fn the_audit_log_refuses_changes_outside_an_erasure() {
    let app = TestApp::start().await;
    let refused = |sql: &'static str| {
        let url = app.db.url.clone();
        async move {
            if TestDatabase::backend() == "postgres" {
                let mut conn = sqlx::PgConnection::connect(&url).await.unwrap();
                sqlx::raw_sql(sqlx::AssertSqlSafe(sql))
                    .execute(&mut conn)
                    .await
                    .is_err()
            } else {
                let mut conn = sqlx::SqliteConnection::connect(&url).await.unwrap();
                sqlx::raw_sql(sqlx::AssertSqlSafe(sql))
                    .execute(&mut conn)
                    .await
                    .is_err()
            }
        }
    };
    assert!(refused("UPDATE audit_log SET actor = 'someone else'").await);
    assert!(refused("DELETE FROM audit_log").await);
}

#[tokio::test]
async fn ids_of_deleted_rows_are_never_handed_out_again() {
    let app = TestApp::start().await;
    let body = |name: &str| json!({"name": name, "kind": "prospect", "lon": 106.8, "lat": -6.2});
    created(&app, "/api/v1/accounts", body("Kept")).await;
    let newest = created(&app, "/api/v1/accounts", body("Deleted")).await;
    let deleted_id = newest["id"].as_i64().unwrap();
    let (status, _) = app
        .request(
            Request::delete(format!("/api/v1/accounts/{deleted_id}"))
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let again = created(&app, "/api/v1/accounts", body("New")).await;
    let new_id = again["id"].as_i64().unwrap();
    assert!(new_id > deleted_id, "{new_id} must be above {deleted_id}");
    let (_, trail) = app
        .get_json(&format!("/api/v1/audit?account_id={new_id}"))
        .await;
    let actions: Vec<&str> = trail
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions,
        ["create"],
        "only the new account's own entry: {trail}"
    );

    // The rebuilt SQLite tables kept every reference intact.
    if TestDatabase::backend() == "sqlite" {
        let mut conn = sqlx::SqliteConnection::connect(&app.db.url).await.unwrap();
        let broken: Vec<(String, i64)> =
            sqlx::query_as("SELECT \"table\", rowid FROM pragma_foreign_key_check")
                .fetch_all(&mut conn)
                .await
                .unwrap();
        assert!(broken.is_empty(), "{broken:?}");
        let (enforced,): (i64,) = sqlx::query_as("PRAGMA foreign_keys")
            .fetch_one(&mut conn)
            .await
            .unwrap();
        assert_eq!(enforced, 1);
    }
}

fn login_request(email: &str, password: &str) -> Request<Body> {
    let mut request = Request::post("/api/v1/auth/login")
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(
            json!({"email": email, "password": password}).to_string(),
        ))
        .unwrap();
    request
        .extensions_mut()
        .insert(ConnectInfo(std::net::SocketAddr::from((
            [10, 9, 8, 7],
            40000,
        ))));
    request
}

#[tokio::test]
async fn parallel_wrong_passwords_are_counted_before_any_is_checked() {
    let app = TestApp::start().await;
    create_user(
        &app.state,
        "target@test.example",
        Role::Manager,
        None,
        vec![],
    )
    .await;
    let mut attempts = tokio::task::JoinSet::new();
    for i in 0..12 {
        let router = app.plain_router.clone();
        attempts.spawn(async move {
            let request = login_request("target@test.example", &format!("wrong password {i}"));
            router.oneshot(request).await.unwrap()
        });
    }
    let mut checked = 0;
    let mut refused = 0;
    while let Some(response) = attempts.join_next().await {
        let response = response.unwrap();
        match response.status() {
            StatusCode::UNAUTHORIZED => checked += 1,
            StatusCode::TOO_MANY_REQUESTS | StatusCode::SERVICE_UNAVAILABLE => {
                assert!(response.headers().contains_key(header::RETRY_AFTER));
                refused += 1;
            }
            other => panic!("unexpected {other}"),
        }
    }
    assert!(
        checked <= 5,
        "{checked} passwords were checked; the limit is 5"
    );
    assert_eq!(checked + refused, 12);
    // Attempts refused for want of a hashing slot (503) were not checked and do not count;
    // once five were checked the account is locked for the window.
    let response = app
        .plain_router
        .clone()
        .oneshot(login_request("target@test.example", TEST_PASSWORD))
        .await
        .unwrap();
    let expected = if checked == 5 {
        StatusCode::TOO_MANY_REQUESTS
    } else {
        StatusCode::OK
    };
    assert_eq!(response.status(), expected, "{checked} checked");
}

#[tokio::test]
async fn sign_in_answers_503_at_once_when_every_hashing_slot_is_busy() {
    let app = TestApp::start().await;
    create_user(&app.state, "busy@test.example", Role::Manager, None, vec![]).await;
    let slots = wilayah_server::auth::hashing_slots() as u32;
    let taken = app
        .state
        .auth
        .hashing
        .clone()
        .try_acquire_many_owned(slots)
        .unwrap();
    let response = app
        .plain_router
        .clone()
        .oneshot(login_request("busy@test.example", TEST_PASSWORD))
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(response.headers()[header::RETRY_AFTER], "1");
    drop(taken);
    let response = app
        .plain_router
        .clone()
        .oneshot(login_request("busy@test.example", TEST_PASSWORD))
        .await
        .unwrap();
    assert_eq!(
        response.status(),
        StatusCode::OK,
        "a refused attempt did not count as a failure"
    );
}

#[tokio::test]
async fn dates_beyond_the_calendar_are_a_400_naming_the_parameter() {
    let app = TestApp::start().await;
    let technician = a_technician(&app).await;
    for date in [
        "%2B262142-12-31",
        "-262143-01-01",
        "262142-12-31",
        "10000-01-01",
    ] {
        for uri in [
            format!("/api/v1/map/visits.geojson?date={date}"),
            format!("/api/v1/field/day?technician_id={technician}&date={date}"),
        ] {
            let (status, body) = app.get_json(&uri).await;
            assert_eq!(status, StatusCode::BAD_REQUEST, "{uri} -> {body}");
            assert_eq!(body["field"], "date", "{uri} -> {body}");
        }
    }
    for date in ["+262142-12-31", "-262143-01-01"] {
        for (uri, body) in [
            ("/api/v1/routes/plan", json!({"date": date})),
            (
                "/api/v1/routes/add-stop",
                json!({"technician_id": technician, "account_id": 1, "date": date}),
            ),
            (
                "/api/v1/routes/suggest",
                json!({"technician_id": technician, "date": date}),
            ),
        ] {
            let (status, answer) = app.send_json("POST", uri, &body).await;
            assert_eq!(status, StatusCode::BAD_REQUEST, "{uri} {body} -> {answer}");
            assert_eq!(answer["field"], "date", "{uri} -> {answer}");
        }
    }
    let (status, _) = app
        .get_json("/api/v1/map/visits.geojson?date=9999-12-31")
        .await;
    assert_eq!(status, StatusCode::OK, "the last accepted day");
}

#[tokio::test]
async fn a_client_id_resent_with_other_content_is_a_kept_conflict() {
    let app = TestApp::start().await;
    let technician = a_technician(&app).await;
    let visit = created(
        &app,
        "/api/v1/visits",
        json!({"account_id": 1, "technician_id": technician,
               "window_start": "2026-11-23T01:00:00Z", "window_end": "2026-11-23T05:00:00Z",
               "duration_min": 30}),
    )
    .await;
    let first = json!({
        "client_id": client_id(), "visit_id": visit["id"], "base_version": visit["version"],
        "action": "report", "notes": "first version", "recorded_at": "2026-11-23T02:00:00Z",
    });
    let send = |action: Value| {
        let app = &app;
        async move {
            app.send_json("POST", "/api/v1/field/actions", &action)
                .await
        }
    };
    let (status, answer) = send(first.clone()).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    let (status, again) = send(first.clone()).await;
    assert_eq!(status, StatusCode::OK, "same id, same content: replayed");
    assert_eq!(again["replayed"], true);

    let mut other = first.clone();
    other["notes"] = json!("second version");
    let (status, conflict) = send(other.clone()).await;
    assert_eq!(status, StatusCode::CONFLICT, "{conflict}");
    assert_eq!(conflict["field"], "client_id");
    assert_eq!(conflict["reused_client_id"], true);
    assert_eq!(conflict["replayed"], false);
    let (status, conflict_again) = send(other).await;
    assert_eq!(status, StatusCode::CONFLICT, "{conflict_again}");
    assert_eq!(
        conflict_again["replayed"], true,
        "the conflict is kept once"
    );

    let (_, stored) = app
        .get_json(&format!("/api/v1/visits/{}", visit["id"]))
        .await;
    assert_eq!(
        stored["notes"], "first version",
        "the second was not applied"
    );
    let (_, kept) = app
        .get_json(&format!("/api/v1/field/actions?visit_id={}", visit["id"]))
        .await;
    let results: Vec<(&str, bool)> = kept["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            (
                a["result"].as_str().unwrap(),
                a["reused_client_id"].as_bool().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        results,
        [("conflict", true), ("applied", false)],
        "both versions visible, newest first: {kept}"
    );
}

fn ring(n: usize) -> Vec<[f64; 2]> {
    let mut ring: Vec<[f64; 2]> = (0..n)
        .map(|i| {
            let a = i as f64 / n as f64 * std::f64::consts::TAU;
            [106.8 + 0.5 * a.cos(), -6.2 + 0.5 * a.sin()]
        })
        .collect();
    ring.push(ring[0]);
    ring
}

/// `n` positions in short text (only their number matters), so a request stays under the body
/// limit.
fn many_positions(n: usize) -> Vec<[f64; 2]> {
    let mut ring: Vec<[f64; 2]> = (0..n - 1)
        .map(|i| {
            [
                100.0 + (i % 1000) as f64 / 1000.0,
                (i / 1000) as f64 / 100.0,
            ]
        })
        .collect();
    ring.push(ring[0]);
    ring
}

#[tokio::test]
async fn polygons_over_the_vertex_caps_are_refused_naming_the_field() {
    let app = TestApp::start().await;
    let huge = json!({"type": "Polygon", "coordinates": [many_positions(50_001)]});
    let (status, answer) = app
        .send_json(
            "POST",
            "/api/v1/planning/validate",
            &json!({"territories": [{"name": "Huge", "geometry": huge}]}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{answer}");
    assert_eq!(answer["field"], "territories");
    let (status, answer) = app
        .send_json(
            "POST",
            "/api/v1/territories",
            &json!({"name": "Huge", "geometry": huge}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{answer}");
    assert_eq!(answer["field"], "geometry");
    // Many polygons each under the cap, too many together.
    let medium = json!({"type": "Polygon", "coordinates": [many_positions(45_000)]});
    let many: Vec<Value> = (0..6)
        .map(|i| json!({"name": format!("T{i}"), "geometry": medium}))
        .collect();
    let (status, answer) = app
        .send_json(
            "POST",
            "/api/v1/planning/validate",
            &json!({"territories": many}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{answer}");
    assert!(
        answer["error"].as_str().unwrap().contains("in one request"),
        "{answer}"
    );
    // Under the caps, a large but ordinary polygon is checked and accepted.
    let large = json!({"type": "Polygon", "coordinates": [ring(10_000)]});
    let (status, answer) = app
        .send_json(
            "POST",
            "/api/v1/planning/validate",
            &json!({"territories": [{"name": "Large", "geometry": large}]}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert_eq!(answer["valid"], true, "{answer}");
}

#[tokio::test]
async fn signing_out_tells_the_browser_to_clear_the_devices_storage() {
    let app = TestApp::start().await;
    create_user(
        &app.state,
        "tech@test.example",
        Role::Technician,
        None,
        vec![],
    )
    .await;
    let client = app.login("tech@test.example", TEST_PASSWORD).await;
    for uri in ["/api/v1/auth/logout", "/auth/logout"] {
        let mut request = Request::post(uri)
            .header(header::COOKIE, client.cookie.clone().unwrap())
            .header("sec-fetch-site", "same-origin")
            .body(Body::empty())
            .unwrap();
        if let Some(token) = &client.csrf_token {
            request
                .headers_mut()
                .insert("x-csrf-token", token.parse().unwrap());
        }
        let response = app.plain_router.clone().oneshot(request).await.unwrap();
        assert!(response.status().is_success() || response.status().is_redirection());
        assert_eq!(
            response.headers()["clear-site-data"],
            "\"storage\"",
            "{uri}"
        );
    }
}
