//! Checks shared by the planning tests (HTTP and browser): the stored accounts and territories,
//! and that every account lies in exactly one territory and is recorded and owned accordingly.

use axum::http::StatusCode;
use serde_json::Value;
use wilayah_shared::LonLat;
use wilayah_shared::spatial::{Territory, TerritoryIndex};

use crate::browser::{click_at, pixel_on, sign_in_as, wait_for_js};
use crate::{TestApp, project_root};

pub async fn all_accounts(app: &TestApp) -> Vec<Value> {
    let (status, page) = app.get_json("/api/v1/accounts?limit=1000").await;
    assert_eq!(status, StatusCode::OK, "{page}");
    page["items"].as_array().unwrap().clone()
}

pub async fn territories(app: &TestApp) -> Vec<Value> {
    let (status, page) = app.get_json("/api/v1/territories?limit=1000").await;
    assert_eq!(status, StatusCode::OK, "{page}");
    page["items"].as_array().unwrap().clone()
}

/// Every account lies in exactly one stored territory, is recorded in it, and is owned by its
/// rep: checked with the spatial engine directly, not through the server.
pub async fn assert_each_account_in_exactly_one_territory(app: &TestApp) {
    let stored = territories(app).await;
    let index = TerritoryIndex::new(
        stored
            .iter()
            .map(|t| {
                let coords = wilayah_shared::geojson::area_coordinates(
                    &t["geometry"].to_string(),
                    "geometry",
                )
                .unwrap();
                Territory::from_coords(t["id"].as_i64().unwrap(), t["owner_id"].as_i64(), &coords)
                    .unwrap()
            })
            .collect(),
    )
    .unwrap();
    for a in all_accounts(app).await {
        let p = LonLat::new(a["lon"].as_f64().unwrap(), a["lat"].as_f64().unwrap()).unwrap();
        let found = index.territories_at(p);
        assert_eq!(
            found.len(),
            1,
            "account {} is in {} territories",
            a["id"],
            found.len()
        );
        assert_eq!(a["territory_id"].as_i64(), Some(found[0].id), "{a}");
        assert_eq!(a["owner_id"].as_i64(), found[0].owner, "{a}");
    }
}

/// Signs in as a planner and opens `/planner`; returns when the draft list shows `rows`
/// territories, the map is idle and terra-draw holds the draft. Page errors are collected in
/// `window.__wilayahErrors`.
pub async fn open_planner(app: &TestApp, client: &fantoccini::Client, base: &str, rows: usize) {
    sign_in_as(
        app,
        client,
        base,
        wilayah_shared::access::Role::Planner,
        None,
    )
    .await;
    client
        .goto(&format!("{base}/planner"))
        .await
        .expect("open the planner");
    client
        .execute(
            "window.__wilayahErrors = []; window.addEventListener('error', e => window.__wilayahErrors.push(String(e.message)));",
            vec![],
        )
        .await
        .expect("install error hook");
    wait_rows(client, rows).await;
    wait_idle(client, "the planner map").await;
    wait_for_js(
        client,
        "terra-draw and the draft on the map",
        "return !!(window.terraDraw && window.wilayahPlannerMap.getSource('draft'))",
    )
    .await;
}

/// Waits until the planner's map has drawn everything.
pub async fn wait_idle(client: &fantoccini::Client, what: &str) {
    wait_for_js(
        client,
        what,
        "return document.querySelector('#planner-map[data-map-idle=true]') !== null",
    )
    .await;
}

/// Waits until the draft list shows `n` territories.
pub async fn wait_rows(client: &fantoccini::Client, n: usize) {
    wait_for_js(
        client,
        &format!("{n} territories in the draft list"),
        &format!(
            "return document.querySelectorAll(\"[data-testid='territory-row']\").length === {n}"
        ),
    )
    .await;
}

/// Panics with what to do when the site (wasm and terra-draw) is not built.
pub fn require_site() {
    let site = project_root().join("target/site");
    assert!(
        site.join("pkg/wilayah.wasm").exists() && site.join("vendor/terra-draw.umd.js").exists(),
        "the site is not built: run scripts/build.sh --site-only before this test"
    );
}

/// The id of the staff member called `name`.
pub async fn staff_id(app: &TestApp, name: &str) -> i64 {
    let (_, staff) = app.get_json("/api/v1/staff?limit=100").await;
    staff["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == name)
        .unwrap_or_else(|| panic!("no staff {name}"))["id"]
        .as_i64()
        .unwrap()
}

/// Page position of a lon/lat on the planner's map.
pub async fn planner_pixel(client: &fantoccini::Client, lon: f64, lat: f64) -> (f64, f64) {
    pixel_on(client, "wilayahPlannerMap", lon, lat).await
}

/// One click on the planner's map at a lon/lat. terra-draw tells a click from a double click by
/// time, so each click is left to stand alone for 400 ms.
pub async fn click_planner_map(client: &fantoccini::Client, lon: f64, lat: f64) {
    let (x, y) = planner_pixel(client, lon, lat).await;
    click_at(client, x, y).await;
    tokio::time::sleep(std::time::Duration::from_millis(400)).await;
}
