//! Route planning over HTTP on the demo data, against a real database: every open visit of the
//! day planned once or reported, schedules inside windows and shifts, distances equal to the
//! great-circle legs recomputed here, reproducible plans for a seed and an iteration budget,
//! prospect suggestions that fit, and validation naming the field.

use std::collections::{BTreeMap, BTreeSet};

use axum::http::StatusCode;
use chrono::{DateTime, Duration, NaiveDate, NaiveTime, Utc};
use serde_json::{Value, json};
use wilayah_shared::LonLat;
use wilayah_shared::spatial::haversine_m;
use wilayah_tests::TestApp;

const WIB: i64 = 7 * 60;

/// Where, the window (seconds after the shift start) and the time on site (seconds).
type Stop = (LonLat, Option<(f64, f64)>, f64);

fn today() -> NaiveDate {
    // The demo data puts "today's" visits on the current UTC date, in WIB working hours.
    Utc::now().date_naive()
}

fn time(v: &Value) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(v.as_str().unwrap_or_else(|| panic!("not a time: {v}")))
        .unwrap_or_else(|e| panic!("{v}: {e}"))
        .with_timezone(&Utc)
}

fn point(lon: &Value, lat: &Value) -> LonLat {
    LonLat::new(lon.as_f64().unwrap(), lat.as_f64().unwrap()).unwrap()
}

/// `HH:MM` local on `date` as UTC.
fn local(date: NaiveDate, hh_mm: &str) -> DateTime<Utc> {
    let t = NaiveTime::parse_from_str(hh_mm, "%H:%M").unwrap();
    date.and_time(t).and_utc() - Duration::minutes(WIB)
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-6 * a.abs().max(b.abs()).max(1.0)
}

/// The open (not done or missed) visits whose window starts on `date` in WIB, by id.
async fn open_visits(app: &TestApp, date: NaiveDate) -> BTreeMap<i64, Value> {
    let (status, page) = app.get_json("/api/v1/visits?limit=1000").await;
    assert_eq!(status, StatusCode::OK);
    let from = local(date, "00:00");
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|v| {
            let start = time(&v["window_start"]);
            start >= from
                && start < from + Duration::days(1)
                && !["done", "missed"].contains(&v["status"].as_str().unwrap())
        })
        .map(|v| (v["id"].as_i64().unwrap(), v.clone()))
        .collect()
}

async fn plan(app: &TestApp, body: Value) -> Value {
    let (status, plan) = app.send_json("POST", "/api/v1/routes/plan", &body).await;
    assert_eq!(status, StatusCode::OK, "{plan}");
    plan
}

/// Every invariant a plan answer must hold, checked against the visits as stored.
fn check_plan(plan: &Value, visits: &BTreeMap<i64, Value>, date: NaiveDate, reassign: bool) {
    let speed_m_per_s = plan["speed_kmh"].as_f64().unwrap() / 3.6;
    let mut seen = BTreeSet::new();
    let (mut total_distance, mut total_visits) = (0.0, 0);
    for route in plan["routes"].as_array().unwrap() {
        let home = point(&route["home_lon"], &route["home_lat"]);
        let shift_start = local(date, route["shift_start"].as_str().unwrap());
        let shift_end = local(date, route["shift_end"].as_str().unwrap());
        let stops = route["stops"].as_array().unwrap();
        let mut previous = home;
        let mut distance = 0.0;
        let mut free_at = stops.first().map(|_| time(&route["depart_at"]));
        if let Some(depart) = free_at {
            assert!(depart >= shift_start, "{route}");
        }
        for stop in stops {
            let id = stop["visit_id"].as_i64().unwrap();
            assert!(seen.insert(id), "visit {id} planned twice");
            let visit = visits
                .get(&id)
                .unwrap_or_else(|| panic!("visit {id} is not an open visit of the day"));
            assert_eq!(stop["account_id"], visit["account_id"]);
            if !reassign {
                assert_eq!(visit["technician_id"], route["technician_id"], "visit {id}");
            }
            let here = point(&stop["lon"], &stop["lat"]);
            let leg = haversine_m(previous, here);
            assert!(
                close(stop["leg_distance_m"].as_f64().unwrap(), leg),
                "{stop}"
            );
            distance += leg;
            let (arrival, start, departure) = (
                time(&stop["arrival_at"]),
                time(&stop["start_at"]),
                time(&stop["departure_at"]),
            );
            // Times are rounded down to the second.
            let travel = Duration::milliseconds((leg / speed_m_per_s * 1000.0) as i64);
            let left = free_at.unwrap();
            assert!(arrival >= left + travel - Duration::seconds(2), "{stop}");
            assert!(arrival <= start, "{stop}");
            assert!(start >= time(&visit["window_start"]), "{stop} vs {visit}");
            assert!(start <= time(&visit["window_end"]), "{stop} vs {visit}");
            assert!(start >= shift_start && departure <= shift_end, "{stop}");
            assert_eq!(
                departure - start,
                Duration::minutes(visit["duration_min"].as_i64().unwrap())
            );
            free_at = Some(departure);
            previous = here;
        }
        if let Some(left) = free_at {
            let leg = haversine_m(previous, home);
            distance += leg;
            let back = time(&route["return_at"]);
            let travel = Duration::milliseconds((leg / speed_m_per_s * 1000.0) as i64);
            assert!(back >= left + travel - Duration::seconds(2), "{route}");
            assert!(back <= shift_end, "{route}");
        }
        assert!(
            close(route["distance_m"].as_f64().unwrap(), distance),
            "{} vs recomputed {distance}",
            route["distance_m"]
        );
        assert_eq!(route["visits"].as_u64().unwrap() as usize, stops.len());
        total_distance += distance;
        total_visits += stops.len();
    }
    for left in plan["unassigned"].as_array().unwrap() {
        let id = left["visit_id"].as_i64().unwrap();
        assert!(visits.contains_key(&id), "{left}");
        assert!(seen.insert(id), "visit {id} both planned and unassigned");
        assert!(left["reason"].is_string());
    }
    assert_eq!(
        seen,
        visits.keys().copied().collect::<BTreeSet<_>>(),
        "every open visit of the day, once"
    );
    assert!(close(
        plan["totals"]["distance_m"].as_f64().unwrap(),
        total_distance
    ));
    assert_eq!(
        plan["totals"]["visits"].as_u64().unwrap() as usize,
        total_visits
    );
}

#[tokio::test]
async fn the_demo_day_is_planned_once_per_visit_inside_windows_and_shifts() {
    let app = TestApp::start().await;
    let date = today();
    let visits = open_visits(&app, date).await;
    assert!(visits.len() >= 10, "the demo day has visits");
    let answer = plan(&app, json!({ "date": date.to_string() })).await;
    assert_eq!(answer["distances"], "great_circle");
    assert_eq!(answer["routes"].as_array().unwrap().len(), 3, "{answer}");
    check_plan(&answer, &visits, date, false);
    assert!(answer["totals"]["visits"].as_u64().unwrap() > 0, "{answer}");
    eprintln!(
        "demo day: {} visits planned, {} unassigned, {:.1} km, {} iterations in {} ms",
        answer["totals"]["visits"],
        answer["totals"]["unassigned"],
        answer["totals"]["distance_m"].as_f64().unwrap() / 1000.0,
        answer["iterations"],
        answer["elapsed_ms"]
    );

    // Reassigning may move visits between technicians; still each once, still feasible.
    let moved = plan(&app, json!({ "date": date.to_string(), "reassign": true })).await;
    check_plan(&moved, &visits, date, true);
    assert!(
        moved["totals"]["visits"].as_u64() >= answer["totals"]["visits"].as_u64(),
        "more freedom plans no fewer visits"
    );
}

#[tokio::test]
async fn one_technician_can_be_planned_alone() {
    let app = TestApp::start().await;
    let date = today();
    let visits = open_visits(&app, date).await;
    let technician = visits.values().next().unwrap()["technician_id"].clone();
    let own: BTreeMap<i64, Value> = visits
        .into_iter()
        .filter(|(_, v)| v["technician_id"] == technician)
        .collect();
    let answer = plan(
        &app,
        json!({ "date": date.to_string(), "technician_ids": [technician] }),
    )
    .await;
    assert_eq!(answer["routes"].as_array().unwrap().len(), 1);
    assert_eq!(answer["routes"][0]["technician_id"], technician);
    check_plan(&answer, &own, date, false);
}

#[tokio::test]
async fn a_seed_and_an_iteration_budget_give_the_same_plan() {
    let app = TestApp::start().await;
    let body = json!({
        "date": today().to_string(), "reassign": true, "seed": 7,
        "max_iterations": 2000, "time_budget_ms": 5000,
    });
    let mut first = plan(&app, body.clone()).await;
    let mut second = plan(&app, body).await;
    assert_eq!(
        first["iterations"], 2000,
        "the iteration cap, not the clock, stopped it"
    );
    first["elapsed_ms"] = Value::Null;
    second["elapsed_ms"] = Value::Null;
    assert_eq!(first, second);
}

#[tokio::test]
async fn a_day_without_visits_is_an_empty_plan() {
    let app = TestApp::start().await;
    let answer = plan(&app, json!({ "date": "2001-01-01" })).await;
    assert_eq!(answer["routes"], json!([]));
    assert_eq!(answer["unassigned"], json!([]));
    assert_eq!(answer["totals"]["visits"], 0);
}

#[tokio::test]
async fn suggestions_are_prospects_that_fit_cheapest_detour_first() {
    let app = TestApp::start().await;
    let date = today();
    let visits = open_visits(&app, date).await;
    let answer = plan(&app, json!({ "date": date.to_string() })).await;
    let speed_m_per_s = answer["speed_kmh"].as_f64().unwrap() / 3.6;
    let (max_m, max_min) = (15_000.0, 45.0);
    let mut suggested = 0;
    for route in answer["routes"].as_array().unwrap() {
        let (status, found) = app
            .send_json(
                "POST",
                "/api/v1/routes/suggest",
                &json!({
                    "technician_id": route["technician_id"], "date": date.to_string(),
                    "max_detour_m": max_m, "max_detour_min": max_min, "limit": 20,
                }),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{found}");
        let planned: Vec<i64> = route["stops"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s.as_object().unwrap()["visit_id"].as_i64().unwrap())
            .collect();
        assert_eq!(
            found["stops"],
            json!(planned),
            "the default route is the plan"
        );
        let home = point(&route["home_lon"], &route["home_lat"]);
        let shift_start = local(date, route["shift_start"].as_str().unwrap());
        let shift_end = local(date, route["shift_end"].as_str().unwrap());
        let mut last = 0.0;
        for s in found["suggestions"].as_array().unwrap() {
            suggested += 1;
            let extra = s["extra_distance_m"].as_f64().unwrap();
            assert!(extra >= last - 1e-9, "sorted by detour");
            last = extra;
            assert!(extra <= max_m && s["extra_travel_min"].as_f64().unwrap() <= max_min);
            let (_, account) = app
                .get_json(&format!("/api/v1/accounts/{}", s["account_id"]))
                .await;
            assert_eq!(account["kind"], "prospect", "{account}");

            // Recompute the extended day from scratch (seconds after the shift start): earliest
            // start of every stop, windows respected, home by the shift end, and the extra
            // distance as answered.
            let secs = |t: DateTime<Utc>| (t - shift_start).num_milliseconds() as f64 / 1000.0;
            let position = s["position"].as_u64().unwrap() as usize;
            let mut stops: Vec<Stop> = route["stops"]
                .as_array()
                .unwrap()
                .iter()
                .map(|stop| {
                    let v = &visits[&stop["visit_id"].as_i64().unwrap()];
                    (
                        point(&stop["lon"], &stop["lat"]),
                        Some((secs(time(&v["window_start"])), secs(time(&v["window_end"])))),
                        v["duration_min"].as_f64().unwrap() * 60.0,
                    )
                })
                .collect();
            stops.insert(position, (point(&s["lon"], &s["lat"]), None, 30.0 * 60.0));
            let (mut t, mut previous, mut distance) = (0.0, home, 0.0);
            for (i, (at, window, service)) in stops.iter().enumerate() {
                let leg = haversine_m(previous, *at);
                distance += leg;
                t += leg / speed_m_per_s;
                if let Some((open, close_at)) = window {
                    t = f64::max(t, *open);
                    assert!(
                        t <= close_at + 1e-6,
                        "stop {i} misses its window after inserting {s}"
                    );
                }
                t += service;
                previous = *at;
            }
            let leg = haversine_m(previous, home);
            distance += leg;
            t += leg / speed_m_per_s;
            assert!(t <= secs(shift_end) + 1e-6, "home late after inserting {s}");
            assert!(time(&s["start_at"]) >= shift_start, "{s}");
            assert!(time(&s["return_at"]) <= shift_end, "{s}");
            let added = distance - found["route_distance_m"].as_f64().unwrap();
            assert!((added - extra).abs() < 1e-3, "{s}: recomputed {added}");
        }
    }
    assert!(suggested > 0, "the demo routes have prospects along them");
}

async fn suggest_along(
    app: &TestApp,
    date: &str,
    technician: &Value,
    stops: &Value,
) -> (StatusCode, Value) {
    app.send_json(
        "POST",
        "/api/v1/routes/suggest",
        &json!({ "date": date, "technician_id": technician, "stops": stops }),
    )
    .await
}

#[tokio::test]
async fn validation_errors_name_the_field() {
    let app = TestApp::start().await;
    let date = today().to_string();
    let cases = [
        ("/api/v1/routes/plan", json!({}), 400, "date"),
        (
            "/api/v1/routes/plan",
            json!({ "date": "2026-13-01" }),
            400,
            "date",
        ),
        (
            "/api/v1/routes/plan",
            json!({ "date": date, "technician_ids": [999_999] }),
            422,
            "technician_ids",
        ),
        (
            "/api/v1/routes/plan",
            json!({ "date": date, "time_budget_ms": 0 }),
            422,
            "time_budget_ms",
        ),
        (
            "/api/v1/routes/plan",
            json!({ "date": date, "time_budget_ms": 5001 }),
            422,
            "time_budget_ms",
        ),
        (
            "/api/v1/routes/plan",
            json!({ "date": date, "utc_offset_minutes": 2000 }),
            422,
            "utc_offset_minutes",
        ),
        (
            "/api/v1/routes/suggest",
            json!({ "date": date }),
            400,
            "technician_id",
        ),
        (
            "/api/v1/routes/suggest",
            json!({ "date": date, "technician_id": 999_999 }),
            422,
            "technician_id",
        ),
    ];
    for (uri, body, status, field) in cases {
        let (got, answer) = app.send_json("POST", uri, &body).await;
        assert_eq!(got.as_u16(), status, "{body}: {answer}");
        assert_eq!(answer["field"], field, "{body}: {answer}");
        assert!(answer["error"].is_string());
    }
    // An unknown body field is refused, naming it in the message.
    let (got, answer) = app
        .send_json(
            "POST",
            "/api/v1/routes/plan",
            &json!({ "date": date, "colour": 1 }),
        )
        .await;
    assert_eq!(got, StatusCode::BAD_REQUEST);
    assert!(
        answer["error"].as_str().unwrap().contains("colour"),
        "{answer}"
    );

    // Stops must be open visits of that day, each once, in an order that fits.
    let visits = open_visits(&app, today()).await;
    let (id, visit) = visits.iter().next().unwrap();
    let technician = &visit["technician_id"];
    for (stops, why) in [
        (json!([999_999]), "not an open visit"),
        (json!([id, id]), "twice"),
    ] {
        let (got, answer) = suggest_along(&app, &date, technician, &json!(stops)).await;
        assert_eq!(got, StatusCode::UNPROCESSABLE_ENTITY, "{answer}");
        assert_eq!(answer["field"], "stops");
        assert!(answer["error"].as_str().unwrap().contains(why), "{answer}");
    }
    // The technician's visits latest window first cannot be kept.
    let mut own: Vec<(&i64, &Value)> = visits
        .iter()
        .filter(|(_, v)| &v["technician_id"] == technician)
        .collect();
    own.sort_by_key(|(_, v)| std::cmp::Reverse(time(&v["window_start"])));
    if own.len() >= 2 {
        let stops: Vec<i64> = own.iter().map(|(id, _)| **id).collect();
        let (got, answer) = suggest_along(&app, &date, technician, &json!(stops)).await;
        assert_eq!(got, StatusCode::UNPROCESSABLE_ENTITY, "{answer}");
        assert_eq!(answer["field"], "stops");
    }
}
