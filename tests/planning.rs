//! Territory planning over HTTP on the demo data, against a real database (SQLite, or
//! PostgreSQL when `DATABASE_URL` says so): validation messages at their place, auto-assignment
//! and the accounts in no territory, balancing (the spread improves, every account lands in
//! exactly one territory), publishing with its audit trail, and stale drafts refused with 409
//! while nothing is lost.

use std::collections::{BTreeMap, BTreeSet};

use axum::body::Body;
use axum::http::{Request, StatusCode};
use serde_json::{Value, json};
use wilayah_tests::TestApp;
use wilayah_tests::planning::{
    all_accounts, assert_each_account_in_exactly_one_territory, territories,
};

fn square(x0: f64, y0: f64, x1: f64, y1: f64) -> Value {
    json!({"type": "Polygon", "coordinates": [[[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]]]})
}

fn territory(name: &str, geometry: Value) -> Value {
    json!({"name": name, "geometry": geometry})
}

/// Accounts per territory id, as the database has them.
fn by_territory(accounts: &[Value]) -> BTreeMap<Option<i64>, usize> {
    let mut m = BTreeMap::new();
    for a in accounts {
        *m.entry(a["territory_id"].as_i64()).or_default() += 1;
    }
    m
}

async fn create_draft(app: &TestApp, body: Value) -> Value {
    let (status, draft) = app
        .send_json("POST", "/api/v1/planning/drafts", &body)
        .await;
    assert_eq!(status, StatusCode::CREATED, "{draft}");
    draft
}

async fn publish_as(app: &TestApp, draft_id: i64, actor: &str) -> (StatusCode, Value) {
    let request = Request::post(format!("/api/v1/planning/drafts/{draft_id}/publish"))
        .header("content-type", "application/json")
        .header("x-wilayah-actor", actor)
        .body(Body::from("{}"))
        .unwrap();
    app.request_json(request).await
}

/// The part of a convex ring west (`west = true`) or east of longitude `x`.
fn clip_convex(ring: &[Value], x: f64, west: bool) -> Value {
    let pts: Vec<(f64, f64)> = ring
        .iter()
        .map(|p| (p[0].as_f64().unwrap(), p[1].as_f64().unwrap()))
        .collect();
    let inside = |p: (f64, f64)| if west { p.0 <= x } else { p.0 >= x };
    let mut out = Vec::new();
    for w in pts.windows(2) {
        let (a, b) = (w[0], w[1]);
        if inside(a) {
            out.push(a);
        }
        if inside(a) != inside(b) {
            let t = (x - a.0) / (b.0 - a.0);
            out.push((x, a.1 + t * (b.1 - a.1)));
        }
    }
    out.push(out[0]);
    json!({"type": "Polygon", "coordinates": [out.iter().map(|p| json!([p.0, p.1])).collect::<Vec<_>>()]})
}

#[tokio::test]
async fn validation_names_the_problem_and_its_place() {
    let app = TestApp::start_with(|c| c.no_demo = true).await;
    let bowtie =
        json!({"type": "Polygon", "coordinates": [[[0, 0], [2, 2], [2, 0], [0, 2], [0, 0]]]});
    let (status, body) = app
        .send_json(
            "POST",
            "/api/v1/planning/validate",
            &json!({"territories": [
                territory("Bow", bowtie),
                territory("North", square(10.0, 0.0, 12.0, 2.0)),
                territory("South", square(11.0, 1.0, 13.0, 3.0)),
                // A ring of four around an empty square (21..22, 1..2).
                territory("W", square(20.0, 0.0, 21.0, 3.0)),
                territory("E", square(22.0, 0.0, 23.0, 3.0)),
                territory("S", square(21.0, 0.0, 22.0, 1.0)),
                territory("N", square(21.0, 2.0, 22.0, 3.0)),
            ]}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["valid"], false);
    let problems = body["problems"].as_array().unwrap();
    let kinds: Vec<&str> = problems
        .iter()
        .map(|p| p["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, vec!["self_intersection", "overlap", "gap"], "{body}");

    let crossing = &problems[0];
    assert_eq!(crossing["territories"], json!(["Bow"]));
    assert_eq!(crossing["location"], json!([1.0, 1.0]));
    assert!(
        crossing["message"]
            .as_str()
            .unwrap()
            .starts_with("Bow: the boundary crosses itself at 1, 1"),
        "{crossing}"
    );

    let overlap = &problems[1];
    assert_eq!(overlap["territories"], json!(["North", "South"]));
    assert_eq!(overlap["severity"], "error");
    assert!(
        (overlap["area_km2"].as_f64().unwrap() - 12_309.0).abs() < 50.0,
        "{overlap}"
    );
    let [x, y] = [
        overlap["location"][0].as_f64().unwrap(),
        overlap["location"][1].as_f64().unwrap(),
    ];
    assert!(
        (11.0..=12.0).contains(&x) && (1.0..=2.0).contains(&y),
        "{overlap}"
    );
    assert!(
        overlap["message"]
            .as_str()
            .unwrap()
            .starts_with("North and South overlap over")
    );
    assert!(overlap["area"][0][0].as_array().unwrap().len() >= 5);

    let gap = &problems[2];
    assert_eq!(gap["severity"], "warning");
    let around: BTreeSet<&str> = gap["territories"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n.as_str().unwrap())
        .collect();
    assert_eq!(around, BTreeSet::from(["W", "E", "S", "N"]));
    let [x, y] = [
        gap["location"][0].as_f64().unwrap(),
        gap["location"][1].as_f64().unwrap(),
    ];
    assert!(
        (21.0..=22.0).contains(&x) && (1.0..=2.0).contains(&y),
        "{gap}"
    );

    // Malformed input is a 4xx naming the field.
    let (status, body) = app
        .send_json(
            "POST",
            "/api/v1/planning/validate",
            &json!({"territories": [{"id": 1, "name": "A", "geometry": square(0.0, 0.0, 1.0, 1.0)},
                                    {"id": 1, "name": "B", "geometry": square(2.0, 0.0, 3.0, 1.0)}]}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["field"], "territories");
    let (status, _) = app
        .send_json(
            "POST",
            "/api/v1/planning/validate",
            &json!({"territories": 5}),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn auto_assign_follows_geometry_and_lists_accounts_in_no_territory() {
    let app = TestApp::start().await;
    let (status, unassigned) = app.get_json("/api/v1/planning/unassigned").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        unassigned,
        json!([]),
        "the demo's accounts all lie in territories"
    );

    let accounts = all_accounts(&app).await;
    let staff: Vec<i64> = accounts
        .iter()
        .filter_map(|a| a["owner_id"].as_i64())
        .collect();
    // One account moved out to sea, one given to the wrong rep and no territory.
    let (far, wrong) = (&accounts[0], &accounts[1]);
    let other_rep = *staff
        .iter()
        .find(|&&s| Some(s) != wrong["owner_id"].as_i64())
        .unwrap();
    for (a, patch) in [
        (
            far,
            json!({"version": far["version"], "lon": 90.0, "lat": -10.0}),
        ),
        (
            wrong,
            json!({"version": wrong["version"], "owner_id": other_rep, "territory_id": null}),
        ),
    ] {
        let (status, body) = app
            .send_json("PATCH", &format!("/api/v1/accounts/{}", a["id"]), &patch)
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
    }
    let (_, unassigned) = app.get_json("/api/v1/planning/unassigned").await;
    let ids: Vec<i64> = unassigned
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["id"].as_i64().unwrap())
        .collect();
    assert_eq!(ids, vec![far["id"].as_i64().unwrap()]);

    // A dry run reports and keeps nothing.
    let (status, dry) = app
        .send_json(
            "POST",
            "/api/v1/planning/auto-assign",
            &json!({"dry_run": true}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{dry}");
    // The account moved out to sea left its territory as it moved (the territory follows the
    // position, issue 14 item 5): only the wrong rep's account is left to reassign.
    assert_eq!(dry["reassigned"].as_array().unwrap().len(), 1, "{dry}");
    assert_eq!(dry["reassigned"][0]["account_id"], wrong["id"], "{dry}");
    let (_, still) = app
        .get_json(&format!("/api/v1/accounts/{}", wrong["id"]))
        .await;
    assert_eq!(still["owner_id"], other_rep);

    let request = Request::post("/api/v1/planning/auto-assign")
        .header("x-wilayah-actor", "planner@example.com")
        .body(Body::empty())
        .unwrap();
    let (status, done) = app.request_json(request).await;
    assert_eq!(status, StatusCode::OK, "{done}");
    assert_eq!(done["unassigned"], json!([far["id"]]));
    let (_, fixed) = app
        .get_json(&format!("/api/v1/accounts/{}", wrong["id"]))
        .await;
    assert_eq!(
        fixed["owner_id"], wrong["owner_id"],
        "back to its territory's rep"
    );
    assert_eq!(fixed["territory_id"], wrong["territory_id"]);
    let (_, moved_out) = app
        .get_json(&format!("/api/v1/accounts/{}", far["id"]))
        .await;
    assert_eq!(moved_out["territory_id"], Value::Null);
    assert_eq!(moved_out["owner_id"], far["owner_id"], "the owner stays");
    // The account's history says who did it; the audit trail has the run.
    let (_, history) = app
        .get_json(&format!("/api/v1/accounts/{}/history", wrong["id"]))
        .await;
    assert!(
        // The signed-in user (the harness acts as its admin), not anything the request claims.
        history.to_string().contains("by admin@test.example"),
        "{history}"
    );
    let (_, audit) = app.get_json("/api/v1/planning/publications").await;
    assert_eq!(audit[0]["actor"], "admin@test.example");
    assert_eq!(audit[0]["summary"]["action"], "auto_assign");
    // The in-memory index follows the new owner: filtering nearby accounts by owner finds it.
    let (_, near) = app
        .get_json(&format!(
            "/api/v1/accounts/nearby?lon={}&lat={}&k=1&owner_id={}",
            wrong["lon"], wrong["lat"], wrong["owner_id"]
        ))
        .await;
    assert_eq!(near[0]["account"]["id"], wrong["id"], "{near}");
}

#[tokio::test]
async fn balancing_evens_out_the_measure_and_assigns_every_account_once() {
    let app = TestApp::start().await;
    let accounts_before = all_accounts(&app).await;
    for measure in ["accounts", "visit_hours", "revenue"] {
        let (status, answer) = app
            .send_json(
                "POST",
                "/api/v1/planning/balance",
                &json!({"measure": measure, "seed": 7, "max_iterations": 300000, "time_budget_ms": 5000}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{answer}");
        let before = answer["spread_before"][measure].as_f64().unwrap();
        let after = answer["spread_after"][measure].as_f64().unwrap();
        assert!(after < before, "{measure}: spread {before} → {after}");
        let search = &answer["search"];
        assert!(search["district_spread"].as_f64() <= search["district_start_spread"].as_f64());
        let preview = &answer["preview"];
        assert_eq!(preview["unassigned"], json!([]), "{measure}");
        assert_eq!(preview["ambiguous"], json!([]), "{measure}");
        assert!(
            preview["problems"]
                .as_array()
                .unwrap()
                .iter()
                .all(|p| p["severity"] != "error"),
            "{preview}"
        );
        let reps = answer["reps"].as_array().unwrap();
        let total_after: u64 = reps
            .iter()
            .map(|r| r["after"]["accounts"].as_u64().unwrap())
            .sum();
        assert_eq!(total_after as usize, accounts_before.len());
        assert_eq!(answer["draft"]["territories"].as_array().unwrap().len(), 8);
        println!(
            "demo balance {measure}: spread {before:.3} → {after:.3}, {} atoms, {} moves, {} ms",
            search["atoms"], search["moves"], search["elapsed_ms"]
        );
    }
    // Publish the last proposal: the database agrees with the geometry, one territory each.
    let (_, drafts) = app.get_json("/api/v1/planning/drafts").await;
    let newest = drafts[0]["id"].as_i64().unwrap();
    let (status, outcome) = publish_as(&app, newest, "balancer").await;
    assert_eq!(status, StatusCode::OK, "{outcome}");
    assert!(!outcome["reassigned"].as_array().unwrap().is_empty());
    assert_each_account_in_exactly_one_territory(&app).await;
    assert_eq!(territories(&app).await.len(), 8);

    // Bad requests name the field.
    for (body, field) in [
        (json!({"measure": "happiness"}), None),
        (json!({"rep_ids": []}), Some("rep_ids")),
        (json!({"rep_ids": [999999]}), Some("rep_ids")),
        (json!({"cell_deg": 0}), Some("cell_deg")),
        (json!({"time_budget_ms": 60000}), Some("time_budget_ms")),
        (json!({"start": "sideways"}), Some("start")),
    ] {
        let (status, answer) = app
            .send_json("POST", "/api/v1/planning/balance", &body)
            .await;
        assert!(status.is_client_error(), "{body}: {status} {answer}");
        if let Some(field) = field {
            assert_eq!(answer["field"], field, "{body}: {answer}");
        }
    }
}

#[tokio::test]
async fn publishing_a_split_territory_reassigns_its_accounts_and_records_who() {
    let app = TestApp::start().await;
    let draft = create_draft(&app, json!({"name": "Split Jakarta"})).await;
    let mut list = draft["territories"].as_array().unwrap().clone();
    let jakarta = list
        .iter()
        .position(|t| t["name"] == "Jabodetabek")
        .unwrap();
    let bali_rep = list.iter().find(|t| t["name"] == "Bali").unwrap()["owner_id"].clone();
    let ring = list[jakarta]["geometry"]["coordinates"][0]
        .as_array()
        .unwrap()
        .clone();
    let split = 106.85;
    let west = clip_convex(&ring, split, true);
    let east = clip_convex(&ring, split, false);
    list[jakarta]["geometry"] = west;
    list.push(json!({"name": "Jakarta Timur", "owner_id": bali_rep, "geometry": east}));
    let (status, edited) = app
        .send_json(
            "PATCH",
            &format!("/api/v1/planning/drafts/{}", draft["id"]),
            &json!({"version": draft["version"], "territories": list}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{edited}");

    let (status, preview) = app
        .get_json(&format!("/api/v1/planning/drafts/{}/preview", draft["id"]))
        .await;
    assert_eq!(status, StatusCode::OK, "{preview}");
    assert_eq!(preview["publishable"], true, "{preview}");
    let moves = preview["moves"].as_array().unwrap();
    let east_of_split: Vec<i64> = all_accounts(&app)
        .await
        .iter()
        .filter(|a| {
            a["lon"].as_f64().unwrap() >= split
                && a["lon"].as_f64().unwrap() < 107.3
                && a["lat"].as_f64().unwrap() > -6.7
        })
        .map(|a| a["id"].as_i64().unwrap())
        .collect();
    assert!(!moves.is_empty());
    assert!(
        moves.iter().all(|m| m["to_territory"] == "Jakarta Timur"),
        "{preview}"
    );
    assert_eq!(moves.len(), east_of_split.len());
    let bali = preview["reps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["owner_id"] == bali_rep)
        .unwrap();
    assert_eq!(
        bali["after"]["accounts"].as_u64().unwrap(),
        bali["before"]["accounts"].as_u64().unwrap() + moves.len() as u64
    );

    let (status, outcome) =
        publish_as(&app, draft["id"].as_i64().unwrap(), "siti@example.com").await;
    assert_eq!(status, StatusCode::OK, "{outcome}");
    assert_eq!(outcome["revision"], 1);
    assert_eq!(outcome["created"].as_array().unwrap().len(), 1);
    assert_eq!(outcome["reassigned"].as_array().unwrap().len(), moves.len());
    assert_each_account_in_exactly_one_territory(&app).await;
    for id in &east_of_split {
        let (_, a) = app.get_json(&format!("/api/v1/accounts/{id}")).await;
        assert_eq!(a["owner_id"], bali_rep);
        let (_, history) = app
            .get_json(&format!("/api/v1/accounts/{id}/history"))
            .await;
        assert!(
            history.to_string().contains("Jabodetabek → Jakarta Timur"),
            "{history}"
        );
    }
    let (_, audit) = app.get_json("/api/v1/planning/publications").await;
    assert_eq!(audit[0]["actor"], "admin@test.example");
    assert_eq!(audit[0]["summary"]["draft_name"], "Split Jakarta");
    assert_eq!(audit[0]["revision"], 1);
    let (_, draft_now) = app
        .get_json(&format!("/api/v1/planning/drafts/{}", draft["id"]))
        .await;
    assert_eq!(draft_now["status"], "published");
    // Publishing twice is refused.
    let (status, _) = publish_as(&app, draft["id"].as_i64().unwrap(), "siti@example.com").await;
    assert_eq!(status, StatusCode::CONFLICT);
}

#[tokio::test]
async fn a_stale_draft_is_refused_with_409_and_nothing_is_lost() {
    let app = TestApp::start().await;
    let first = create_draft(&app, json!({"name": "First"})).await;
    let second = create_draft(&app, json!({"name": "Second"})).await;
    assert_eq!(first["base_revision"], 0);

    // The second planner gives Bali to another rep; the first publishes something else first.
    let mut list = second["territories"].as_array().unwrap().clone();
    let bali = list.iter().position(|t| t["name"] == "Bali").unwrap();
    let medan_rep =
        list.iter().find(|t| t["name"] == "Sumatera Utara").unwrap()["owner_id"].clone();
    list[bali]["owner_id"] = medan_rep.clone();
    let (status, second) = app
        .send_json(
            "PATCH",
            &format!("/api/v1/planning/drafts/{}", second["id"]),
            &json!({"version": second["version"], "territories": list}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{second}");

    let mut renamed = first["territories"].as_array().unwrap().clone();
    renamed[0]["name"] = json!("Jabodetabek Raya");
    let (_, first) = app
        .send_json(
            "PATCH",
            &format!("/api/v1/planning/drafts/{}", first["id"]),
            &json!({"version": first["version"], "territories": renamed}),
        )
        .await;
    let (status, _) = publish_as(&app, first["id"].as_i64().unwrap(), "budi").await;
    assert_eq!(status, StatusCode::OK);

    let accounts_before = all_accounts(&app).await;
    let (status, refused) = publish_as(&app, second["id"].as_i64().unwrap(), "siti").await;
    assert_eq!(status, StatusCode::CONFLICT, "{refused}");
    let message = refused["error"].as_str().unwrap();
    assert!(
        message.contains("revision 0") && message.contains("revision 1"),
        "{message}"
    );
    assert!(message.contains("your draft is kept"), "{message}");
    // Nothing changed, nothing lost.
    assert_eq!(all_accounts(&app).await, accounts_before);
    let (_, kept) = app
        .get_json(&format!("/api/v1/planning/drafts/{}", second["id"]))
        .await;
    assert_eq!(kept, second);
    let (_, preview) = app
        .get_json(&format!("/api/v1/planning/drafts/{}/preview", second["id"]))
        .await;
    assert_eq!(preview["stale"], true);
    assert_eq!(preview["publishable"], false);

    // A draft edited since the version the planner saw is refused too.
    let request = Request::post(format!("/api/v1/planning/drafts/{}/publish", second["id"]))
        .header("content-type", "application/json")
        .body(Body::from(json!({"version": 1}).to_string()))
        .unwrap();
    let (status, _) = app.request_json(request).await;
    assert_eq!(status, StatusCode::CONFLICT);

    // After a rebase (the planner has seen the news) it publishes over the newer territories.
    let (status, rebased) = app
        .send_json(
            "PATCH",
            &format!("/api/v1/planning/drafts/{}", second["id"]),
            &json!({"version": kept["version"], "rebase": true}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{rebased}");
    assert_eq!(rebased["base_revision"], 1);
    let (status, outcome) = publish_as(&app, second["id"].as_i64().unwrap(), "siti").await;
    assert_eq!(status, StatusCode::OK, "{outcome}");
    let bali_accounts = by_territory(&all_accounts(&app).await);
    assert!(bali_accounts.len() >= 8);
    let after = territories(&app).await;
    let bali_now = after.iter().find(|t| t["name"] == "Bali").unwrap();
    assert_eq!(bali_now["owner_id"], medan_rep);
    // The second draft listed the old name: the rename is undone by publishing over it.
    assert!(after.iter().any(|t| t["name"] == "Jabodetabek"));
}

#[tokio::test]
async fn drafts_with_errors_are_not_published_and_import_export_round_trips() {
    let app = TestApp::start().await;
    let draft = create_draft(&app, json!({})).await;
    let accounts_before = all_accounts(&app).await;
    // Import two overlapping squares over Jakarta into the draft.
    let file = json!({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"name": "Overlap A"}, "geometry": square(106.7, -6.4, 106.9, -6.1)},
    ]});
    let request = Request::post(format!(
        "/api/v1/planning/drafts/{}/import?version={}",
        draft["id"], draft["version"]
    ))
    .header("content-type", "application/geo+json")
    .body(Body::from(file.to_string()))
    .unwrap();
    let (status, imported) = app.request_json(request).await;
    assert_eq!(status, StatusCode::OK, "{imported}");
    assert_eq!(imported["territories"].as_array().unwrap().len(), 9);
    let (status, refused) = publish_as(&app, draft["id"].as_i64().unwrap(), "x").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{refused}");
    let problem = &refused["problems"][0];
    assert_eq!(problem["kind"], "overlap");
    assert_eq!(problem["territories"], json!(["Jabodetabek", "Overlap A"]));
    assert_eq!(all_accounts(&app).await, accounts_before);

    let (status, body) = app
        .get(&format!("/api/v1/planning/drafts/{}/export", draft["id"]))
        .await;
    assert_eq!(status, StatusCode::OK);
    let exported: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(exported["features"].as_array().unwrap().len(), 9);

    // Not JSON, or not areas: 422 naming the body.
    let request = Request::post(format!(
        "/api/v1/planning/drafts/{}/import?version={}",
        draft["id"], imported["version"]
    ))
    .body(Body::from("{\"type\": \"Point\"}"))
    .unwrap();
    let (status, body) = app.request_json(request).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["field"], "body");
    let (status, _) = app.get_json("/api/v1/planning/drafts/424242").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn import_refusals_name_the_feature_and_nothing_is_imported() {
    let app = TestApp::start().await;
    let draft = create_draft(&app, json!({})).await;
    let import = |file: Value, version: &Value| {
        Request::post(format!(
            "/api/v1/planning/drafts/{}/import?version={version}",
            draft["id"]
        ))
        .header("content-type", "application/geo+json")
        .body(Body::from(file.to_string()))
        .unwrap()
    };
    let area = |name: &str| json!({"type": "Feature", "properties": {"name": name}, "geometry": square(90.0, -11.0, 90.5, -10.5)});
    for (file, expected) in [
        (
            json!({"type": "FeatureCollection", "features": [area("Laut"), {"type": "Feature", "properties": {"name": "Kuta"}, "geometry": {"type": "Point", "coordinates": [115.17, -8.72]}}]}),
            "feature 2 (Kuta): the geometry must be a Polygon or MultiPolygon, not Point",
        ),
        (
            json!({"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {"name": "Laut", "owner_id": 999999}, "geometry": square(90.0, -11.0, 90.5, -10.5)}]}),
            "feature 1 (Laut): owner_id 999999 is not a member of staff",
        ),
        (
            json!({"type": "FeatureCollection", "features": []}),
            "the file holds no features",
        ),
    ] {
        let (status, body) = app.request_json(import(file, &draft["version"])).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert_eq!(body["field"], "body");
        assert_eq!(body["error"], expected);
    }
    let (_, unchanged) = app
        .get_json(&format!("/api/v1/planning/drafts/{}", draft["id"]))
        .await;
    assert_eq!(unchanged, draft, "nothing was imported");
    // A stale version is a conflict, not a silent overwrite.
    let (status, _) = app
        .request_json(import(
            json!({"type": "FeatureCollection", "features": [area("Laut")]}),
            &json!(draft["version"].as_i64().unwrap() + 5),
        ))
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
}

#[tokio::test]
async fn every_planning_route_is_in_the_openapi_document() {
    let app = TestApp::start_with(|c| c.no_demo = true).await;
    let (status, doc) = app.get_json("/api/v1/openapi.json").await;
    assert_eq!(status, StatusCode::OK);
    // The routes of server/src/http/planning.rs, each with its methods.
    for (path, methods) in [
        ("/planning/revision", &["get"][..]),
        ("/planning/validate", &["post"][..]),
        ("/planning/drafts", &["get", "post"][..]),
        ("/planning/drafts/{id}", &["get", "patch", "delete"][..]),
        ("/planning/drafts/{id}/import", &["post"][..]),
        ("/planning/drafts/{id}/export", &["get"][..]),
        ("/planning/drafts/{id}/preview", &["get"][..]),
        ("/planning/drafts/{id}/publish", &["post"][..]),
        ("/planning/auto-assign", &["post"][..]),
        ("/planning/unassigned", &["get"][..]),
        ("/planning/balance", &["post"][..]),
        ("/planning/publications", &["get"][..]),
    ] {
        let item = &doc["paths"][format!("/api/v1{path}")];
        for method in methods {
            let operation = &item[*method];
            assert!(
                operation["summary"].as_str().is_some_and(|s| !s.is_empty()),
                "{method} {path} is not documented"
            );
            assert!(operation["responses"].is_object(), "{method} {path}");
        }
    }
    let publish = &doc["paths"]["/api/v1/planning/drafts/{id}/publish"]["post"]["responses"];
    assert!(publish["409"].is_object() && publish["422"].is_object());
    // Every documented planning path answers a GET where it has one (the API's fallback would
    // answer 404 to a path that does not exist).
    let draft = create_draft(&app, json!({"name": "Doc"})).await;
    let planning_paths: Vec<&String> = doc["paths"]
        .as_object()
        .unwrap()
        .keys()
        .filter(|p| p.starts_with("/api/v1/planning/"))
        .collect();
    assert_eq!(planning_paths.len(), 12, "{planning_paths:?}");
    for path in planning_paths {
        if doc["paths"][path].get("get").is_some() {
            let url = path.replace("{id}", &draft["id"].to_string());
            let (status, _) = app.get(&url).await;
            assert_eq!(status, StatusCode::OK, "GET {url}");
        }
    }
}
