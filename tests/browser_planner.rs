//! The territory planner in a real browser: the draft loads with the published territories, the
//! planner deletes Bali, draws a new territory around Bali's accounts with real pointer clicks
//! (terra-draw), gives it another rep, publishes, and the accounts are reassigned in the
//! database. Screenshots in target/screenshots/planner-*.png.

use std::time::Duration;

use fantoccini::{Client, Locator};
use serde_json::{Value, json};
use wilayah_tests::browser::{connect, start_chromedriver, text_of, wait_for_js};
use wilayah_tests::planning::{
    click_planner_map, open_planner, require_site, staff_id, wait_idle, wait_rows,
};
use wilayah_tests::{TestApp, project_root};

async fn screenshot(client: &Client, name: &str) {
    std::fs::create_dir_all(project_root().join("target/screenshots")).expect("screenshot folder");
    let png = client.screenshot().await.expect("screenshot");
    std::fs::write(
        project_root().join(format!("target/screenshots/planner-{name}.png")),
        png,
    )
    .expect("write screenshot");
}

#[tokio::test]
async fn a_planner_draws_a_territory_assigns_a_rep_and_publishes_it() {
    require_site();
    let app = TestApp::start().await;
    let base = app.serve().await;
    let medan_rep = staff_id(&app, "Rizky Pratama").await;
    let (_, territories) = app.get_json("/api/v1/territories?limit=100").await;
    let bali = territories["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == "Bali")
        .unwrap()
        .clone();
    let ring: Vec<(f64, f64)> = bali["geometry"]["coordinates"][0]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p[0].as_f64().unwrap(), p[1].as_f64().unwrap()))
        .collect();
    let (mut west, mut south, mut east, mut north) = (180.0f64, 90.0f64, -180.0f64, -90.0f64);
    for (x, y) in &ring {
        west = west.min(*x);
        east = east.max(*x);
        south = south.min(*y);
        north = north.max(*y);
    }
    let (west, south, east, north) = (west - 0.08, south - 0.08, east + 0.08, north + 0.08);
    let (_, accounts) = app
        .get_json(&format!(
            "/api/v1/accounts?territory_id={}&limit=1000",
            bali["id"]
        ))
        .await;
    let bali_accounts: Vec<i64> = accounts["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["id"].as_i64().unwrap())
        .collect();
    assert!(bali_accounts.len() >= 20);

    let driver = start_chromedriver();
    let client = connect(&driver).await;
    // The draft opens with the eight published territories, drawn on the map.
    open_planner(&app, &client, &base, 8).await;
    wait_for_js(
        &client,
        "the draft territories on the map",
        "return window.wilayahPlannerMap.queryRenderedFeatures({layers: ['draft-fill']}).length > 0",
    )
    .await;
    screenshot(&client, "draft").await;

    // Delete Bali, then draw its replacement with real clicks.
    client
        .find(Locator::Css(
            "li[data-name='Bali'] [data-testid='territory-delete']",
        ))
        .await
        .expect("Bali's delete button")
        .click()
        .await
        .expect("delete Bali");
    wait_rows(&client, 7).await;
    client
        .execute(
            "document.querySelector('#planner-map').setAttribute('data-map-idle', 'false');
             window.wilayahPlannerMap.jumpTo({center: [arguments[0], arguments[1]], zoom: 8});",
            vec![json!((west + east) / 2.0), json!((south + north) / 2.0)],
        )
        .await
        .expect("look at Bali");
    wait_idle(&client, "the map over Bali").await;
    client
        .find(Locator::Css("[data-testid='draw-territory']"))
        .await
        .expect("draw button")
        .click()
        .await
        .expect("start drawing");
    wait_for_js(
        &client,
        "the drawing hint",
        "return document.querySelector(\"[data-testid='draw-hint']\") !== null",
    )
    .await;
    let corners = [(west, south), (east, south), (east, north), (west, north)];
    for (lon, lat) in corners {
        click_planner_map(&client, lon, lat).await;
    }
    // Closing click on the first corner finishes the polygon.
    click_planner_map(&client, west, south).await;
    wait_rows(&client, 8).await;

    // Give the new territory the Medan rep.
    let new_row = "li[data-name='New territory 8']";
    client
        .find(Locator::Css(&format!(
            "{new_row} [data-testid='territory-rep']"
        )))
        .await
        .expect("the new territory's rep select")
        .select_by_label("Rizky Pratama")
        .await
        .expect("choose the rep");
    wait_for_js(
        &client,
        "the preview of the reassignment",
        &format!(
            "const t = document.querySelector(\"[data-testid='moves-count']\"); return t && t.textContent.endsWith(': {}')",
            bali_accounts.len()
        ),
    )
    .await;
    assert_eq!(
        text_of(&client, "unassigned-count").await,
        "Accounts in no territory: 0"
    );
    tokio::time::sleep(Duration::from_millis(500)).await;
    screenshot(&client, "drawn").await;

    // Publish under a name; the accounts move in the database.
    client
        .find(Locator::Css("[data-testid='actor']"))
        .await
        .expect("actor input")
        .send_keys("Planner Browser")
        .await
        .expect("type the actor");
    client
        .find(Locator::Css("[data-testid='publish']"))
        .await
        .expect("publish button")
        .click()
        .await
        .expect("publish");
    let message = wait_for_js(
        &client,
        "the publication message",
        "const m = document.querySelector(\"[data-testid='planner-message']\"); return m && m.textContent.startsWith('Published') && m.textContent",
    )
    .await;
    assert_eq!(
        message,
        json!(format!(
            "Published: {} accounts reassigned",
            bali_accounts.len()
        ))
    );
    let (_, after) = app.get_json("/api/v1/territories?limit=100").await;
    let new_territory = after["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == "New territory 8")
        .expect("the drawn territory is published")
        .clone();
    assert_eq!(new_territory["owner_id"], medan_rep);
    assert!(
        !after["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t["name"] == "Bali")
    );
    for id in &bali_accounts {
        let (_, a) = app.get_json(&format!("/api/v1/accounts/{id}")).await;
        assert_eq!(a["owner_id"], medan_rep, "{a}");
        assert_eq!(a["territory_id"], new_territory["id"], "{a}");
    }
    let (_, audit) = app.get_json("/api/v1/planning/publications").await;
    assert!(
        audit[0]["actor"]
            .as_str()
            .is_some_and(|a| a.starts_with("browser-planner-")),
        "published as the signed-in planner: {audit}"
    );
    // The map shows the accounts in their new rep's colour once reloaded.
    wait_idle(&client, "the map after publishing").await;
    tokio::time::sleep(Duration::from_millis(800)).await;
    screenshot(&client, "published").await;
    let errors: Value = client
        .execute("return window.__wilayahErrors", vec![])
        .await
        .unwrap_or(Value::Null);
    assert_eq!(errors, json!([]), "page errors");
    client.close().await.ok();
}
