//! Field service over HTTP against a real database (SQLite, or PostgreSQL with DATABASE_URL):
//! a technician's day in planned order, actions applied exactly once whatever the resends,
//! stale actions kept as conflicts, check-ins measured against the account, and adding a stop
//! to a route.

use std::sync::atomic::{AtomicU64, Ordering};

use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use serde_json::{Value, json};
use wilayah_shared::LonLat;
use wilayah_shared::spatial::haversine_m;
use wilayah_tests::TestApp;

fn today() -> String {
    // The demo data puts "today's" visits on the current UTC date, in WIB working hours.
    Utc::now().date_naive().to_string()
}

/// A fresh UUID-shaped client id, as a device would make.
fn client_id() -> String {
    static NEXT: AtomicU64 = AtomicU64::new(1);
    format!(
        "{:08x}-0000-4000-8000-{:012x}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    )
}

async fn technicians(app: &TestApp) -> Vec<Value> {
    let (status, page) = app.get_json("/api/v1/staff?role=technician").await;
    assert_eq!(status, StatusCode::OK, "{page}");
    page["items"].as_array().unwrap().clone()
}

async fn day(app: &TestApp, technician_id: i64) -> Value {
    let (status, day) = app
        .get_json(&format!(
            "/api/v1/field/day?technician_id={technician_id}&date={}",
            today()
        ))
        .await;
    assert_eq!(status, StatusCode::OK, "{day}");
    day
}

/// The first technician's first open stop of today.
async fn first_stop(app: &TestApp) -> (i64, Value) {
    let technician_id = technicians(app).await[0]["id"].as_i64().unwrap();
    let day = day(app, technician_id).await;
    let stop = day["stops"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["status"] == "scheduled")
        .expect("an open stop today")
        .clone();
    (technician_id, stop)
}

async fn send(app: &TestApp, action: &Value) -> (StatusCode, Value) {
    app.send_json("POST", "/api/v1/field/actions", action).await
}

fn status_action(visit: &Value, base_version: i64, to: &str) -> Value {
    json!({
        "client_id": client_id(),
        "visit_id": visit["visit_id"],
        "base_version": base_version,
        "action": "status",
        "status": to,
        "recorded_at": "2026-11-23T02:00:00Z",
    })
}

async fn visit(app: &TestApp, id: &Value) -> Value {
    let (status, visit) = app.get_json(&format!("/api/v1/visits/{id}")).await;
    assert_eq!(status, StatusCode::OK, "{visit}");
    visit
}

async fn recorded(app: &TestApp, visit_id: &Value) -> Vec<Value> {
    let (status, list) = app
        .get_json(&format!("/api/v1/field/actions?visit_id={visit_id}"))
        .await;
    assert_eq!(status, StatusCode::OK, "{list}");
    list["items"].as_array().unwrap().clone()
}

#[tokio::test]
async fn a_technicians_day_lists_every_visit_with_open_ones_in_planned_order() {
    let app = TestApp::start().await;
    for t in technicians(&app).await {
        let id = t["id"].as_i64().unwrap();
        let day = day(&app, id).await;
        let stops = day["stops"].as_array().unwrap();
        assert_eq!(
            stops.len(),
            6,
            "the demo gives each technician 6 visits a day"
        );
        // Planned stops start in order, each inside its window.
        let starts: Vec<&str> = stops
            .iter()
            .filter_map(|s| s["planned_start"].as_str())
            .collect();
        assert!(!starts.is_empty());
        assert!(starts.windows(2).all(|w| w[0] <= w[1]), "{starts:?}");
        for s in stops.iter().filter(|s| !s["planned_start"].is_null()) {
            let start = s["planned_start"].as_str().unwrap();
            assert!(start >= s["window_start"].as_str().unwrap());
            assert!(start <= s["window_end"].as_str().unwrap());
            assert!(s["version"].as_i64().unwrap() >= 1);
        }
        assert_eq!(day["technician_name"], t["name"]);
    }
    let (status, err) = app
        .get_json(&format!("/api/v1/field/day?date={}", today()))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(err["field"], "technician_id");
    let (status, err) = app
        .get_json("/api/v1/field/day?technician_id=999999&date=2026-11-23")
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(err["field"], "technician_id");
}

#[tokio::test]
async fn an_action_applies_once_however_often_it_is_sent() {
    let app = TestApp::start().await;
    let (_, stop) = first_stop(&app).await;
    let version = stop["version"].as_i64().unwrap();
    let action = status_action(&stop, version, "en_route");

    let (status, first) = send(&app, &action).await;
    assert_eq!(status, StatusCode::OK, "{first}");
    assert_eq!(first["result"], "applied");
    assert_eq!(first["visit_version"], version + 1);
    assert_eq!(first["replayed"], false);

    for _ in 0..3 {
        let (status, again) = send(&app, &action).await;
        assert_eq!(status, StatusCode::OK, "{again}");
        assert_eq!(again["replayed"], true);
        assert_eq!(again["visit_version"], first["visit_version"]);
        assert_eq!(again["received_at"], first["received_at"]);
    }
    let stored = visit(&app, &stop["visit_id"]).await;
    assert_eq!(stored["status"], "en_route");
    assert_eq!(stored["version"], version + 1);
    assert_eq!(recorded(&app, &stop["visit_id"]).await.len(), 1);

    // The status change is in the account's history once.
    let (_, history) = app
        .get_json(&format!("/api/v1/accounts/{}/history", stop["account_id"]))
        .await;
    let lines = history
        .as_array()
        .or_else(|| history["items"].as_array())
        .unwrap()
        .iter()
        .filter(|e| {
            e["title"]
                .as_str()
                .is_some_and(|t| t.contains("scheduled → en_route"))
        })
        .count();
    assert_eq!(lines, 1, "{history}");
}

#[tokio::test]
async fn concurrent_resends_of_one_action_apply_it_once() {
    let app = TestApp::start().await;
    let (_, stop) = first_stop(&app).await;
    let version = stop["version"].as_i64().unwrap();
    let action = status_action(&stop, version, "on_site");
    let sends: Vec<_> = (0..6)
        .map(|_| {
            let router = app.router.clone();
            let body = action.to_string();
            tokio::spawn(async move {
                use tower::ServiceExt;
                let request = axum::http::Request::post("/api/v1/field/actions")
                    .header("content-type", "application/json")
                    .body(axum::body::Body::from(body))
                    .unwrap();
                router.oneshot(request).await.unwrap().status()
            })
        })
        .collect();
    for s in sends {
        assert_eq!(s.await.unwrap(), StatusCode::OK);
    }
    let stored = visit(&app, &stop["visit_id"]).await;
    assert_eq!(stored["version"], version + 1);
    assert_eq!(stored["status"], "on_site");
    assert_eq!(recorded(&app, &stop["visit_id"]).await.len(), 1);
}

#[tokio::test]
async fn actions_queued_offline_replay_in_order_with_predicted_versions() {
    let app = TestApp::start().await;
    let (_, stop) = first_stop(&app).await;
    let v = stop["version"].as_i64().unwrap();
    let check_in = json!({
        "client_id": client_id(), "visit_id": stop["visit_id"], "base_version": v,
        "action": "check_in", "lon": stop["lon"], "lat": stop["lat"], "accuracy_m": 8.5,
        "recorded_at": "2026-11-23T02:10:00+07:00",
    });
    let mut done = status_action(&stop, v + 1, "done");
    done["outcome"] = json!("Installed");
    done["notes"] = json!("Router replaced, customer happy");
    let report = json!({
        "client_id": client_id(), "visit_id": stop["visit_id"], "base_version": v + 2,
        "action": "report", "notes": "Follow-up in a month", "recorded_at": "2026-11-23T03:00:00Z",
    });
    for (action, expected_version) in [(&check_in, v + 1), (&done, v + 2), (&report, v + 3)] {
        let (status, answer) = send(&app, action).await;
        assert_eq!(status, StatusCode::OK, "{answer}");
        assert_eq!(answer["visit_version"], expected_version);
    }
    let stored = visit(&app, &stop["visit_id"]).await;
    assert_eq!(stored["status"], "done");
    assert_eq!(stored["outcome"], "Installed");
    assert_eq!(stored["notes"], "Follow-up in a month");
    let at: DateTime<Utc> = stored["checkin_at"].as_str().unwrap().parse().unwrap();
    assert_eq!(at.to_rfc3339(), "2026-11-22T19:10:00+00:00");
}

#[tokio::test]
async fn a_check_in_stores_position_accuracy_and_distance_and_flags_a_far_one() {
    let app = TestApp::start().await;
    let (technician_id, stop) = first_stop(&app).await;
    let account =
        LonLat::new(stop["lon"].as_f64().unwrap(), stop["lat"].as_f64().unwrap()).unwrap();
    // About 1.1 km north of the account.
    let device = LonLat::new(account.lon(), account.lat() + 0.01).unwrap();
    let action = json!({
        "client_id": client_id(), "visit_id": stop["visit_id"], "base_version": stop["version"],
        "action": "check_in", "lon": device.lon(), "lat": device.lat(), "accuracy_m": 25.0,
        "recorded_at": "2026-11-23T02:00:00Z",
    });
    let (status, answer) = send(&app, &action).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    let expected = haversine_m(account, device);
    assert!((answer["distance_m"].as_f64().unwrap() - expected).abs() < 0.01);
    assert_eq!(answer["far"], true);
    assert_eq!(answer["visit_status"], "on_site");

    let stored = visit(&app, &stop["visit_id"]).await;
    assert_eq!(stored["checkin_lat"].as_f64().unwrap(), device.lat());
    assert_eq!(stored["checkin_lon"].as_f64().unwrap(), device.lon());
    let day = day(&app, technician_id).await;
    let listed = day["stops"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["visit_id"] == stop["visit_id"])
        .unwrap()
        .clone();
    assert_eq!(listed["checkin_accuracy_m"], 25.0);
    assert!((listed["checkin_distance_m"].as_f64().unwrap() - expected).abs() < 0.01);
    assert_eq!(listed["status"], "on_site");
}

#[tokio::test]
async fn an_action_on_a_stale_version_is_a_kept_conflict_and_changes_nothing() {
    let app = TestApp::start().await;
    let (_, stop) = first_stop(&app).await;
    let v = stop["version"].as_i64().unwrap();
    // The dispatcher marks the visit missed meanwhile.
    let (status, patched) = app
        .send_json(
            "PATCH",
            &format!("/api/v1/visits/{}", stop["visit_id"]),
            &json!({"version": v, "status": "missed"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{patched}");

    let action = status_action(&stop, v, "en_route");
    let (status, answer) = send(&app, &action).await;
    assert_eq!(status, StatusCode::CONFLICT, "{answer}");
    assert_eq!(answer["result"], "conflict");
    assert_eq!(answer["current_version"], v + 1);
    assert_eq!(answer["visit_status"], "missed");
    assert!(answer["error"].as_str().unwrap().contains("changed"));
    // Resent: the same conflict, still recorded once.
    let (status, again) = send(&app, &action).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(again["replayed"], true);

    let stored = visit(&app, &stop["visit_id"]).await;
    assert_eq!(stored["status"], "missed");
    assert_eq!(stored["version"], v + 1);
    let (status, conflicts) = app.get_json("/api/v1/field/actions?result=conflict").await;
    assert_eq!(status, StatusCode::OK);
    let kept: Vec<&Value> = conflicts["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["client_id"] == action["client_id"])
        .collect();
    assert_eq!(kept.len(), 1);

    // Knowing the current version, an impossible move is refused (and kept) as rejected.
    let (status, refused) = send(&app, &status_action(&stop, v + 1, "done")).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{refused}");
    assert_eq!(refused["result"], "rejected");
    assert_eq!(recorded(&app, &stop["visit_id"]).await.len(), 2);
}

#[tokio::test]
async fn malformed_actions_name_the_field() {
    let app = TestApp::start().await;
    let (_, stop) = first_stop(&app).await;
    let base = status_action(&stop, stop["version"].as_i64().unwrap(), "en_route");
    let cases = [
        (
            "client_id",
            json!("not-a-uuid"),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            "status",
            json!("teleported"),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        ("action", json!("dance"), StatusCode::UNPROCESSABLE_ENTITY),
        ("base_version", json!(0), StatusCode::UNPROCESSABLE_ENTITY),
        ("recorded_at", json!("yesterday"), StatusCode::BAD_REQUEST),
    ];
    for (field, value, expected) in cases {
        let mut action = base.clone();
        action[field] = value;
        let (status, err) = send(&app, &action).await;
        assert_eq!(status, expected, "{field}: {err}");
        assert_eq!(err["field"], field, "{err}");
    }
    let mut far_away = base.clone();
    far_away["action"] = json!("check_in");
    far_away["lat"] = json!(123.0);
    far_away["lon"] = json!(10.0);
    let (status, err) = send(&app, &far_away).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(err["field"], "lat");
    // Nothing malformed was recorded or applied.
    assert!(recorded(&app, &stop["visit_id"]).await.is_empty());

    // A client id already used for another visit is refused.
    let (status, _) = send(&app, &base).await;
    assert_eq!(status, StatusCode::OK);
    let mut reused = base.clone();
    reused["visit_id"] = json!(stop["visit_id"].as_i64().unwrap() + 1);
    let (status, err) = send(&app, &reused).await;
    assert_eq!(status, StatusCode::CONFLICT, "{err}");
    assert_eq!(err["field"], "client_id");

    // An action for a visit that no longer exists is kept as a conflict.
    let mut gone = status_action(&stop, 1, "en_route");
    gone["visit_id"] = json!(987_654_321);
    let (status, err) = send(&app, &gone).await;
    assert_eq!(status, StatusCode::CONFLICT, "{err}");
    assert_eq!(err["visit_status"], "deleted");
}

#[tokio::test]
async fn add_stop_puts_an_account_on_a_technicians_route_and_replans() {
    let app = TestApp::start().await;
    let technician_id = technicians(&app).await[0]["id"].as_i64().unwrap();
    let before = day(&app, technician_id).await;
    let first = &before["stops"][0];
    // The prospect nearest the first stop.
    let (status, near) = app
        .get_json(&format!(
            "/api/v1/accounts/nearby?lon={}&lat={}&k=1&kind=prospect",
            first["lon"], first["lat"]
        ))
        .await;
    assert_eq!(status, StatusCode::OK, "{near}");
    let prospect = near
        .as_array()
        .or_else(|| near["items"].as_array())
        .unwrap()[0]
        .clone();
    let account_id = prospect["id"]
        .as_i64()
        .unwrap_or_else(|| prospect["account"]["id"].as_i64().unwrap());

    let (status, added) = app
        .send_json(
            "POST",
            "/api/v1/routes/add-stop",
            &json!({"technician_id": technician_id, "account_id": account_id, "date": today()}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{added}");
    assert_eq!(added["visit"]["technician_id"], technician_id);
    assert_eq!(added["visit"]["status"], "scheduled");
    assert_eq!(added["planned"], true, "{added}");
    let stops = added["day"]["stops"].as_array().unwrap();
    assert_eq!(stops.len(), before["stops"].as_array().unwrap().len() + 1);
    assert!(
        stops
            .iter()
            .any(|s| s["account_id"] == account_id && !s["planned_start"].is_null())
    );

    for (body, field) in [
        (
            json!({"account_id": account_id, "date": today()}),
            "technician_id",
        ),
        (
            json!({"technician_id": technician_id, "date": today()}),
            "account_id",
        ),
        (
            json!({"technician_id": technician_id, "account_id": 987_654_321, "date": today()}),
            "account_id",
        ),
        (
            json!({"technician_id": technician_id, "account_id": account_id}),
            "date",
        ),
    ] {
        let (status, err) = app
            .send_json("POST", "/api/v1/routes/add-stop", &body)
            .await;
        assert!(status.is_client_error(), "{body}: {status} {err}");
        assert_eq!(err["field"], field, "{body}: {err}");
    }
}

/// The satisfaction survey on the tablet (issue 17 item 6): refused before the visit is done,
/// a score out of range named, recorded once however often the device resends it, shown on the
/// technician's day, and a second answer from another device leaves the first standing.
#[tokio::test]
async fn the_customers_answer_on_the_tablet_is_recorded_once_after_the_visit_is_done() {
    let app = TestApp::start().await;
    let (technician, stop) = first_stop(&app).await;
    let v = stop["version"].as_i64().unwrap();
    let survey = |base_version: i64, score: i64| {
        json!({"client_id": client_id(), "visit_id": stop["visit_id"], "base_version": base_version,
               "action": "survey", "score": score, "comment": "Teknisinya ramah",
               "recorded_at": "2026-11-23T03:00:00Z"})
    };
    let (status, early) = send(&app, &survey(v, 5)).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{early}");
    assert_eq!(early["result"], "rejected", "not done yet: {early}");
    let (status, out_of_range) = send(&app, &survey(v, 7)).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{out_of_range}");
    assert_eq!(out_of_range["field"], "score");

    for (base, to) in [(v, "on_site"), (v + 1, "done")] {
        let (status, moved) = send(&app, &status_action(&stop, base, to)).await;
        assert_eq!(
            (status, &moved["result"]),
            (StatusCode::OK, &json!("applied")),
            "{moved}"
        );
    }
    let answer = survey(v + 2, 4);
    for _ in 0..3 {
        let (status, applied) = send(&app, &answer).await;
        assert_eq!(status, StatusCode::OK, "{applied}");
        assert_eq!(applied["result"], "applied", "{applied}");
    }
    let (_, results) = app.get_json("/api/v1/surveys/results").await;
    assert_eq!(results["overall"]["answered"], 1, "once: {results}");
    assert_eq!(results["overall"]["counts"], json!([0, 0, 0, 1, 0]));
    let (_, answers) = app.get_json("/api/v1/surveys").await;
    assert_eq!(answers["items"][0]["answered_via"], "tablet");
    assert_eq!(answers["items"][0]["comment"], "Teknisinya ramah");
    assert_eq!(answers["items"][0]["staff_id"], technician);
    let today_day = day(&app, technician).await;
    let shown = today_day["stops"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["visit_id"] == stop["visit_id"])
        .unwrap()
        .clone();
    assert_eq!(shown["survey_score"], 4, "{shown}");
    // Another device answers too: applied to the visit, but the first answer stands.
    let (_, other) = send(&app, &survey(v + 3, 1)).await;
    assert_eq!(other["result"], "applied", "{other}");
    let (_, results) = app.get_json("/api/v1/surveys/results").await;
    assert_eq!(
        results["overall"]["counts"],
        json!([0, 0, 0, 1, 0]),
        "{results}"
    );
}
