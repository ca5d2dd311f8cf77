//! Segments (issue 16 item 1) against a real database (SQLite, or PostgreSQL when `DATABASE_URL`
//! says so): saved definitions, their members by radius, by a polygon across the antimeridian
//! and by territory, narrowed by tags; the CSV export; the editor's preview; members scoped to
//! the caller (a regional manager sees only their region's); who may use them.

use std::collections::BTreeSet;

use axum::http::StatusCode;
use serde_json::{Value, json};
use wilayah_shared::access::Role;
use wilayah_tests::{Client, TestApp};

async fn account(app: &TestApp, name: &str, lon: f64, lat: f64, tags: &[&str]) -> i64 {
    let (status, created) = app
        .send_json(
            "POST",
            "/api/v1/accounts",
            &json!({"name": name, "lon": lon, "lat": lat, "tags": tags}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    created["id"].as_i64().unwrap()
}

fn ids(members: &Value) -> BTreeSet<i64> {
    members["accounts"]
        .as_array()
        .expect("accounts")
        .iter()
        .map(|a| a["id"].as_i64().unwrap())
        .collect()
}

async fn save(client: &Client, name: &str, definition: Value) -> Value {
    let (status, saved) = client
        .send_json(
            "POST",
            "/api/v1/segments",
            &json!({"name": name, "definition": definition}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{saved}");
    saved
}

async fn members(client: &Client, id: i64) -> Value {
    let (status, members) = client
        .get_json(&format!("/api/v1/segments/{id}/members"))
        .await;
    assert_eq!(status, StatusCode::OK, "{members}");
    assert_eq!(
        members["count"].as_u64().unwrap() as usize,
        members["accounts"].as_array().unwrap().len()
    );
    members
}

#[tokio::test]
async fn segments_select_by_radius_and_by_a_polygon_across_the_antimeridian() {
    let app = TestApp::start().await;
    // Around Fiji, far from the demo data: two on each side of the antimeridian, one far off.
    let east = account(&app, "Toko Suva", 179.6, -17.0, &["vip"]).await;
    let east_plain = account(&app, "Toko Nadi", 179.8, -17.2, &[]).await;
    let west = account(&app, "Toko Taveuni", -179.7, -16.8, &["vip", "grosir"]).await;
    let far = account(&app, "Toko Tonga", -175.2, -21.1, &["vip"]).await;

    // A polygon drawn across the antimeridian: its edges span more than 180° of longitude.
    let across = save(
        &app,
        "Fiji across the line",
        json!({"area": {"type": "polygon", "coordinates": [[
            [179.0, -18.0], [-179.0, -18.0], [-179.0, -16.0], [179.0, -16.0], [179.0, -18.0]]]}}),
    )
    .await;
    assert_eq!(across["name"], "Fiji across the line");
    let id = across["id"].as_i64().unwrap();
    assert_eq!(
        ids(&members(&app, id).await),
        BTreeSet::from([east, east_plain, west])
    );

    // The same area narrowed to the "vip" tag.
    let (status, changed) = app
        .send_json(
            "PATCH",
            &format!("/api/v1/segments/{id}"),
            &json!({"name": "Fiji VIP", "version": across["version"],
                "definition": {"criteria": {"any_tag": ["vip"]}, "area": across["definition"]["area"]}}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{changed}");
    assert_eq!(ids(&members(&app, id).await), BTreeSet::from([east, west]));
    // A stale version is refused.
    let (status, _) = app
        .send_json(
            "PATCH",
            &format!("/api/v1/segments/{id}"),
            &json!({"name": "Stale", "version": across["version"]}),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT);

    // 500 km around Suva in great-circle metres reaches across the line, not to Tonga
    // (about 750 km away); 1,000 km does.
    let radius = |metres: f64| json!({"area": {"type": "radius", "lon": 179.6, "lat": -17.0, "metres": metres}});
    let (status, near) = app
        .send_json("POST", "/api/v1/segments/preview", &radius(500_000.0))
        .await;
    assert_eq!(status, StatusCode::OK, "{near}");
    assert_eq!(ids(&near), BTreeSet::from([east, east_plain, west]));
    let (_, wide) = app
        .send_json("POST", "/api/v1/segments/preview", &radius(1_000_000.0))
        .await;
    assert!(ids(&wide).contains(&far), "{wide}");
    let (status, refused) = app
        .send_json("POST", "/api/v1/segments/preview", &radius(-1.0))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{refused}");
    assert_eq!(refused["field"], "area");

    // The export is the members as the accounts CSV.
    let (status, csv) = app.get(&format!("/api/v1/segments/{id}/export")).await;
    assert_eq!(status, StatusCode::OK);
    let csv = String::from_utf8(csv).unwrap();
    assert_eq!(csv.lines().count(), 3, "{csv}");
    assert!(
        csv.contains("Toko Suva") && csv.contains("Toko Taveuni"),
        "{csv}"
    );
    assert!(!csv.contains("Toko Nadi"), "{csv}");

    // Listed, and deleted.
    let (status, list) = app.get_json("/api/v1/segments").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        list.as_array()
            .unwrap()
            .iter()
            .any(|s| s["name"] == "Fiji VIP")
    );
    let (status, _) = app
        .request_json(
            axum::http::Request::delete(format!("/api/v1/segments/{id}"))
                .body(axum::body::Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) = app.get_json(&format!("/api/v1/segments/{id}")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn members_are_the_callers_accounts_only() {
    let app = TestApp::start().await;
    let (status, territories) = app.get_json("/api/v1/territories?limit=1000").await;
    assert_eq!(status, StatusCode::OK);
    // A territory with accounts, and its accounts as placing put them there.
    let mut chosen = None;
    for t in territories["items"].as_array().unwrap() {
        let (_, page) = app
            .get_json(&format!(
                "/api/v1/accounts?territory_id={}&limit=1000",
                t["id"]
            ))
            .await;
        let inside: BTreeSet<i64> = page["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a["id"].as_i64().unwrap())
            .collect();
        if inside.len() >= 2 {
            chosen = Some((t["id"].as_i64().unwrap(), inside));
            break;
        }
    }
    let (territory, inside) = chosen.expect("a demo territory with accounts");
    let segment = save(
        &app,
        "One territory",
        json!({"area": {"type": "territory", "territory_id": territory}}),
    )
    .await;
    let id = segment["id"].as_i64().unwrap();
    let all = ids(&members(&app, id).await);
    assert_eq!(all, inside, "the territory's boundary holds its accounts");

    // A manager of another region sees none of them; one of this region all of them.
    let other = territories["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["id"].as_i64().unwrap())
        .find(|t| *t != territory)
        .unwrap();
    let elsewhere = app.as_user(Role::Manager, None, vec![other]).await;
    assert!(ids(&members(&elsewhere, id).await).is_empty());
    let (status, csv) = elsewhere
        .get(&format!("/api/v1/segments/{id}/export"))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        String::from_utf8(csv).unwrap().lines().count(),
        1,
        "the header only"
    );
    let here = app.as_user(Role::Manager, None, vec![territory]).await;
    assert_eq!(ids(&members(&here, id).await), inside);

    // A planner analyses the book too; a rep and a technician do not use segments.
    let planner = app.as_user(Role::Planner, None, vec![]).await;
    assert_eq!(ids(&members(&planner, id).await), inside);
    let rep = app.as_user(Role::SalesRep, None, vec![]).await;
    let (status, _) = rep
        .get_json(&format!("/api/v1/segments/{id}/members"))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = rep
        .send_json(
            "POST",
            "/api/v1/segments",
            &json!({"name": "Mine", "definition": {}}),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    // An unknown territory is named.
    let (status, refused) = app
        .send_json(
            "POST",
            "/api/v1/segments/preview",
            &json!({"area": {"type": "territory", "territory_id": 987654}}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{refused}");
}
