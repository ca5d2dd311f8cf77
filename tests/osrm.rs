//! Road distances for route planning from an OSRM-compatible server (`--osrm-url`), and the
//! fallback to great-circle when it fails. The "OSRM" here is a protocol test server started
//! inside the test: it speaks OSRM's `table` request and answer format and answers with road
//! distances of 1.25 × the great-circle distance at 8 m/s, so the plan's legs can be checked
//! exactly. It is not a real OSRM.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use chrono::Utc;
use serde_json::{Value, json};
use wilayah_shared::LonLat;
use wilayah_shared::spatial::haversine_m;
use wilayah_tests::TestApp;

const DETOUR: f64 = 1.25;
const SPEED_M_PER_S: f64 = 8.0;

#[derive(Clone)]
struct Fake {
    broken: bool,
    requests: Arc<AtomicUsize>,
}

async fn table(
    State(fake): State<Fake>,
    Path(coordinates): Path<String>,
    Query(query): Query<std::collections::HashMap<String, String>>,
) -> (StatusCode, Json<Value>) {
    fake.requests.fetch_add(1, Ordering::SeqCst);
    if fake.broken {
        return (
            StatusCode::INTERNAL_SERVER_ERROR,
            Json(json!({"code": "InternalError", "message": "test server says no"})),
        );
    }
    if query.get("annotations").map(String::as_str) != Some("duration,distance") {
        return (
            StatusCode::BAD_REQUEST,
            Json(json!({"code": "InvalidQuery", "message": "annotations"})),
        );
    }
    let points: Option<Vec<LonLat>> = coordinates
        .split(';')
        .map(|pair| {
            let (lon, lat) = pair.split_once(',')?;
            LonLat::new(lon.parse().ok()?, lat.parse().ok()?).ok()
        })
        .collect();
    let Some(points) = points else {
        return (
            StatusCode::BAD_REQUEST,
            Json(json!({"code": "InvalidUrl", "message": "coordinates"})),
        );
    };
    let distances: Vec<Vec<f64>> = points
        .iter()
        .map(|a| {
            points
                .iter()
                .map(|b| DETOUR * haversine_m(*a, *b))
                .collect()
        })
        .collect();
    let durations: Vec<Vec<f64>> = distances
        .iter()
        .map(|row| row.iter().map(|d| d / SPEED_M_PER_S).collect())
        .collect();
    (
        StatusCode::OK,
        Json(json!({"code": "Ok", "distances": distances, "durations": durations})),
    )
}

async fn start_fake(broken: bool) -> (String, Arc<AtomicUsize>) {
    let requests = Arc::new(AtomicUsize::new(0));
    let router = Router::new()
        .route("/table/v1/driving/{coordinates}", get(table))
        .with_state(Fake {
            broken,
            requests: requests.clone(),
        });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, router).await });
    (url, requests)
}

async fn plan_today(app: &TestApp) -> Value {
    let (status, plan) = app
        .send_json(
            "POST",
            "/api/v1/routes/plan",
            &json!({"date": Utc::now().date_naive().to_string(), "seed": 1, "max_iterations": 2000}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{plan}");
    plan
}

/// Every leg of the plan is `factor` × the great-circle distance between its ends.
fn legs_are(plan: &Value, factor: f64) {
    let mut legs = 0;
    for route in plan["routes"].as_array().unwrap() {
        let mut previous = LonLat::new(
            route["home_lon"].as_f64().unwrap(),
            route["home_lat"].as_f64().unwrap(),
        )
        .unwrap();
        for stop in route["stops"].as_array().unwrap() {
            let here =
                LonLat::new(stop["lon"].as_f64().unwrap(), stop["lat"].as_f64().unwrap()).unwrap();
            let expected = factor * haversine_m(previous, here);
            let got = stop["leg_distance_m"].as_f64().unwrap();
            // Coordinates travel to the server with 6 decimals (~0.1 m).
            assert!((got - expected).abs() < 1.0, "{got} vs {expected}");
            previous = here;
            legs += 1;
        }
    }
    assert!(legs > 0, "the plan has no stops: {plan}");
}

#[tokio::test]
async fn plans_use_road_distances_from_the_osrm_table_service() {
    let (url, requests) = start_fake(false).await;
    let app = TestApp::start_with(|c| c.osrm_url = Some(url)).await;
    let plan = plan_today(&app).await;
    assert_eq!(plan["distances"], "osrm", "{}", plan["distances"]);
    assert!(plan["speed_kmh"].is_null());
    legs_are(&plan, DETOUR);
    assert!(requests.load(Ordering::SeqCst) >= 1);
    // The technician's day in the field view is planned the same way.
    let (_, staff) = app.get_json("/api/v1/staff?role=technician").await;
    let (status, day) = app
        .get_json(&format!(
            "/api/v1/field/day?technician_id={}&date={}",
            staff["items"][0]["id"],
            Utc::now().date_naive()
        ))
        .await;
    assert_eq!(status, StatusCode::OK, "{day}");
    assert_eq!(day["distances"], "osrm");
}

#[tokio::test]
async fn a_failing_or_unreachable_osrm_falls_back_to_great_circle() {
    let (url, requests) = start_fake(true).await;
    let app = TestApp::start_with(|c| c.osrm_url = Some(url)).await;
    let plan = plan_today(&app).await;
    assert_eq!(plan["distances"], "great_circle_fallback");
    assert!(plan["speed_kmh"].as_f64().is_some());
    legs_are(&plan, 1.0);
    assert!(requests.load(Ordering::SeqCst) >= 1);

    // Nothing listens on this port.
    let closed = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap()
    };
    let app = TestApp::start_with(|c| c.osrm_url = Some(format!("http://{closed}"))).await;
    let plan = plan_today(&app).await;
    assert_eq!(plan["distances"], "great_circle_fallback");
    legs_are(&plan, 1.0);

    // Without --osrm-url: plain great-circle.
    let app = TestApp::start().await;
    assert_eq!(plan_today(&app).await["distances"], "great_circle");
}
