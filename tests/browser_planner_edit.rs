//! The territory planner's editing tools in a real browser, end to end: a GeoJSON file with a
//! point feature is refused naming that feature; Bali is deleted and replaced by an imported
//! territory with a notch that leaves accounts out; a vertex is dragged in edit mode (terra-draw)
//! until every account is covered; the territory is split with a drawn polygon and the part cut
//! off given to another rep; the two Sumatra territories are merged; the draft is published and
//! the database checked (accounts reassigned, every account in exactly one territory); then a
//! balanced proposal shows each rep's totals before and after and the spread, which improves;
//! publishing it moves the accounts as shown. Screenshots in target/screenshots/planner-edit-*.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use fantoccini::{Client, Locator};
use serde_json::{Value, json};
use wilayah_shared::LonLat;
use wilayah_shared::spatial::{Territory, TerritoryIndex};
use wilayah_tests::TestApp;
use wilayah_tests::browser::{
    WAIT, click_test_id, connect, drag, save_screenshot, start_chromedriver, text_of, wait_for_js,
};
use wilayah_tests::planning::{
    all_accounts, assert_each_account_in_exactly_one_territory, click_planner_map, open_planner,
    planner_pixel, require_site, staff_id, territories, wait_idle, wait_rows,
};

/// Rounded to 1e-3° so terra-draw takes the coordinates as they are.
fn r3(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

/// Draws a polygon through `corners` in the current drawing mode (closing on the first).
async fn draw_polygon(client: &Client, corners: &[(f64, f64)]) {
    for &(lon, lat) in corners {
        click_planner_map(client, lon, lat).await;
    }
    click_planner_map(client, corners[0].0, corners[0].1).await;
}

async fn row_control(client: &Client, name: &str, control: &str) -> fantoccini::elements::Element {
    client
        .find(Locator::Css(&format!(
            "li[data-name='{name}'] [data-testid='{control}']"
        )))
        .await
        .unwrap_or_else(|e| panic!("{control} of {name}: {e}"))
}

/// The number after the last ": " of an element's text.
async fn count_in(client: &Client, test_id: &str) -> usize {
    let text = text_of(client, test_id).await;
    text.rsplit(": ")
        .next()
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or_else(|| panic!("no count in {test_id}: {text:?}"))
}

async fn open_draft(app: &TestApp) -> Value {
    let (_, drafts) = app.get_json("/api/v1/planning/drafts").await;
    drafts
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["status"] == "open")
        .cloned()
        .expect("an open draft")
}

/// Polls the API until `check` holds for the open draft (the page saves asynchronously).
async fn wait_for_draft(app: &TestApp, what: &str, check: impl Fn(&Value) -> bool) -> Value {
    let started = Instant::now();
    loop {
        let draft = open_draft(app).await;
        if check(&draft) {
            return draft;
        }
        assert!(
            started.elapsed() < WAIT,
            "timed out waiting for {what}: {draft}"
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

fn territory_named<'a>(list: &'a [Value], name: &str) -> &'a Value {
    list.iter()
        .find(|t| t["name"] == name)
        .unwrap_or_else(|| panic!("no territory {name} in {list:?}"))
}

fn max_over_min(values: &[f64]) -> f64 {
    let max = values.iter().copied().fold(f64::MIN, f64::max);
    let min = values.iter().copied().fold(f64::MAX, f64::min);
    if min <= 0.0 { f64::INFINITY } else { max / min }
}

fn parse_spread(text: &str) -> f64 {
    if text.trim() == "∞" {
        f64::INFINITY
    } else {
        text.trim()
            .parse()
            .unwrap_or_else(|_| panic!("spread {text:?}"))
    }
}

/// Accounts per owner as the database has them.
fn per_owner(accounts: &[Value]) -> BTreeMap<i64, usize> {
    let mut m = BTreeMap::new();
    for a in accounts {
        if let Some(o) = a["owner_id"].as_i64() {
            *m.entry(o).or_default() += 1;
        }
    }
    m
}

#[tokio::test]
async fn a_planner_imports_edits_splits_merges_balances_and_publishes() {
    require_site();
    let app = TestApp::start().await;
    let base = app.serve().await;
    let (made, putri, rizky) = (
        staff_id(&app, "Made Wirawan").await,
        staff_id(&app, "Putri Handayani").await,
        staff_id(&app, "Rizky Pratama").await,
    );
    let published = territories(&app).await;
    let bali = territory_named(&published, "Bali").clone();
    let sumut_id = territory_named(&published, "Sumatera Utara")["id"].clone();
    let sumsel_id = territory_named(&published, "Sumatera Selatan")["id"].clone();
    let (mut west, mut south, mut east, mut north) = (180.0f64, 90.0f64, -180.0f64, -90.0f64);
    for p in bali["geometry"]["coordinates"][0].as_array().unwrap() {
        let (x, y) = (p[0].as_f64().unwrap(), p[1].as_f64().unwrap());
        (west, east, south, north) = (west.min(x), east.max(x), south.min(y), north.max(y));
    }
    let (west, south, east, north) = (
        r3(west - 0.05),
        r3(south - 0.05),
        r3(east + 0.05),
        r3(north + 0.05),
    );
    let (mid_lon, mid_lat) = (r3((west + east) / 2.0), r3((south + north) / 2.0));
    let accounts = all_accounts(&app).await;
    let in_territory = |a: &Value, id: &Value| a["territory_id"] == *id;
    let bali_accounts: Vec<&Value> = accounts
        .iter()
        .filter(|a| in_territory(a, &bali["id"]))
        .collect();
    let sumsel_accounts: Vec<i64> = accounts
        .iter()
        .filter(|a| in_territory(a, &sumsel_id))
        .map(|a| a["id"].as_i64().unwrap())
        .collect();
    assert!(bali_accounts.len() >= 20 && !sumsel_accounts.is_empty());

    // The imported Bali: the bounding box with its north-east corner pulled in to the centre,
    // so the accounts in the north-east are in no territory until the vertex is moved out.
    let notched = json!({"type": "Polygon", "coordinates": [[
        [west, south], [east, south], [mid_lon, mid_lat], [west, north], [west, south]
    ]]});
    let notch_index = TerritoryIndex::new(vec![
        Territory::from_coords(
            1,
            None,
            &wilayah_shared::geojson::area_coordinates(&notched.to_string(), "geometry").unwrap(),
        )
        .unwrap(),
    ])
    .unwrap();
    let left_out = bali_accounts
        .iter()
        .filter(|a| {
            let p = LonLat::new(a["lon"].as_f64().unwrap(), a["lat"].as_f64().unwrap()).unwrap();
            notch_index.territories_at(p).is_empty()
        })
        .count();
    assert!(left_out > 0, "the notch leaves some of Bali's accounts out");
    let files = std::env::temp_dir().join(format!("wilayah-planner-edit-{}", std::process::id()));
    std::fs::create_dir_all(&files).unwrap();
    let bad = files.join("bad.geojson");
    std::fs::write(
        &bad,
        json!({"type": "FeatureCollection", "features": [
            {"type": "Feature", "properties": {"name": "Bali Raya"}, "geometry": notched},
            {"type": "Feature", "properties": {"name": "Pantai Kuta"},
             "geometry": {"type": "Point", "coordinates": [115.17, -8.72]}}
        ]})
        .to_string(),
    )
    .unwrap();
    let good = files.join("bali.geojson");
    std::fs::write(
        &good,
        json!({"type": "FeatureCollection", "features": [
            {"type": "Feature", "properties": {"name": "Bali Raya", "owner_id": made}, "geometry": notched}
        ]})
        .to_string(),
    )
    .unwrap();

    let driver = start_chromedriver();
    let client = connect(&driver).await;
    open_planner(&app, &client, &base, 8).await;

    // 1. A file with a point feature is refused, naming it; nothing is imported.
    let file_input = client
        .find(Locator::Css("[data-testid='import-file']"))
        .await
        .expect("the import control");
    file_input
        .send_keys(bad.to_str().unwrap())
        .await
        .expect("choose the bad file");
    let refused = wait_for_js(
        &client,
        "the import error",
        "const e = document.querySelector(\"[data-testid='import-error']\"); return e && e.textContent",
    )
    .await;
    assert_eq!(
        refused,
        json!(
            "Feature 2 (Pantai Kuta) is refused: its geometry is Point, not a Polygon or MultiPolygon. Nothing was imported."
        )
    );
    wait_rows(&client, 8).await;
    let draft = open_draft(&app).await;
    assert_eq!(draft["territories"].as_array().unwrap().len(), 8);
    save_screenshot(&client, "planner-edit-refused").await;

    // 2. Delete Bali and import its notched replacement with its rep.
    row_control(&client, "Bali", "territory-delete")
        .await
        .click()
        .await
        .expect("delete Bali");
    wait_rows(&client, 7).await;
    client
        .find(Locator::Css("[data-testid='import-file']"))
        .await
        .expect("the import control")
        .send_keys(good.to_str().unwrap())
        .await
        .expect("choose the Bali file");
    wait_rows(&client, 8).await;
    let rep = row_control(&client, "Bali Raya", "territory-rep")
        .await
        .prop("value")
        .await
        .expect("rep value");
    assert_eq!(rep.as_deref(), Some(made.to_string().as_str()));
    assert!(
        client
            .find(Locator::Css("[data-testid='import-error']"))
            .await
            .is_err(),
        "the error is gone after a good import"
    );
    wait_for_js(
        &client,
        "the accounts left out by the notch",
        &format!(
            "const t = document.querySelector(\"[data-testid='unassigned-count']\"); return t && t.textContent.endsWith(': {left_out}')"
        ),
    )
    .await;

    // 3. Edit mode: select Bali Raya and drag the notch vertex out to the north-east corner.
    client
        .execute(
            "document.querySelector('#planner-map').setAttribute('data-map-idle', 'false');
             window.wilayahPlannerMap.jumpTo({center: [arguments[0], arguments[1]], zoom: 8.6});",
            vec![json!(mid_lon), json!(mid_lat)],
        )
        .await
        .expect("look at Bali");
    wait_idle(&client, "the map over Bali").await;
    save_screenshot(&client, "planner-edit-imported").await;
    click_test_id(&client, "edit-shapes").await;
    let terra_draw_rendered = |geometry: &str| {
        format!(
            "const map = window.wilayahPlannerMap;
             const layers = map.getStyle().layers.map(l => l.id).filter(id => id.startsWith('td-'));
             return layers.length > 0 && map.queryRenderedFeatures({{layers}})
               .some(f => f.geometry.type === '{geometry}');"
        )
    };
    wait_for_js(
        &client,
        "the polygons loaded for editing",
        &terra_draw_rendered("Polygon"),
    )
    .await;
    click_planner_map(
        &client,
        west + (east - west) * 0.25,
        south + (north - south) * 0.25,
    )
    .await;
    wait_for_js(
        &client,
        "Bali Raya selected, its vertices shown",
        &terra_draw_rendered("Point"),
    )
    .await;
    let from = planner_pixel(&client, mid_lon, mid_lat).await;
    let to = planner_pixel(&client, east, north).await;
    drag(&client, from, to).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    save_screenshot(&client, "planner-edit-dragged").await;
    click_test_id(&client, "edit-shapes").await; // leaving edit mode saves
    wait_for_js(
        &client,
        "every account in a territory again",
        "const t = document.querySelector(\"[data-testid='unassigned-count']\"); return t && t.textContent.endsWith(': 0')",
    )
    .await;
    let draft = open_draft(&app).await;
    let list = draft["territories"].as_array().unwrap();
    let ring = territory_named(list, "Bali Raya")["geometry"]["coordinates"][0].clone();
    let moved = ring.as_array().unwrap().iter().any(|p| {
        (p[0].as_f64().unwrap() - east).abs() < 0.02
            && (p[1].as_f64().unwrap() - north).abs() < 0.02
    });
    assert!(moved, "a vertex at the north-east corner: {ring}");
    assert!(
        !ring.as_array().unwrap().iter().any(|p| {
            (p[0].as_f64().unwrap() - mid_lon).abs() < 1e-6
                && (p[1].as_f64().unwrap() - mid_lat).abs() < 1e-6
        }),
        "the notch vertex is gone: {ring}"
    );
    // The other territories were not touched by the edit (same geometry as published).
    let jakarta = territory_named(list, "Jabodetabek");
    assert_eq!(
        jakarta["geometry"],
        territory_named(&published, "Jabodetabek")["geometry"]
    );

    // 4. Split: tick Bali Raya, draw the eastern half; the part cut off goes to Putri.
    row_control(&client, "Bali Raya", "territory-tick")
        .await
        .click()
        .await
        .expect("tick Bali Raya");
    click_test_id(&client, "split-territory").await;
    wait_for_js(
        &client,
        "the drawing hint",
        "return document.querySelector(\"[data-testid='draw-hint']\") !== null",
    )
    .await;
    let (cut_east, cut_south, cut_north) = (east + 0.05, south - 0.05, north + 0.05);
    draw_polygon(
        &client,
        &[
            (mid_lon, cut_south),
            (cut_east, cut_south),
            (cut_east, cut_north),
            (mid_lon, cut_north),
        ],
    )
    .await;
    wait_rows(&client, 9).await;
    click_test_id(&client, "split-territory").await; // done drawing
    row_control(&client, "New territory 9", "territory-rep")
        .await
        .select_by_label("Putri Handayani")
        .await
        .expect("give the eastern part to Putri");
    wait_for_draft(&app, "the eastern part owned by Putri", |d| {
        d["territories"]
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t["name"] == "New territory 9" && t["owner_id"] == putri)
    })
    .await;

    // 5. Merge the two Sumatra territories (the first keeps its name, id and rep).
    row_control(&client, "Sumatera Utara", "territory-tick")
        .await
        .click()
        .await
        .expect("tick Sumatera Utara");
    row_control(&client, "Sumatera Selatan", "territory-tick")
        .await
        .click()
        .await
        .expect("tick Sumatera Selatan");
    click_test_id(&client, "merge-territories").await;
    wait_rows(&client, 8).await;
    let draft = wait_for_draft(&app, "the merge saved", |d| {
        d["territories"].as_array().unwrap().len() == 8
    })
    .await;
    let list = draft["territories"].as_array().unwrap();
    assert!(!list.iter().any(|t| t["name"] == "Sumatera Selatan"));
    assert_eq!(
        territory_named(list, "Sumatera Utara")["geometry"]["type"],
        "MultiPolygon"
    );
    wait_for_js(
        &client,
        "a publishable preview",
        "const t = document.querySelector(\"[data-testid='unassigned-count']\");
         return t && t.textContent.endsWith(': 0') && document.querySelector(\"[data-testid='problem'].problem-error\") === null",
    )
    .await;
    let moving = count_in(&client, "moves-count").await;
    save_screenshot(&client, "planner-edit-split-merged").await;

    // 6. Publish; the database follows the edited territories.
    click_test_id(&client, "publish").await;
    let message = wait_for_js(
        &client,
        "the publication message",
        "const m = document.querySelector(\"[data-testid='planner-message']\"); return m && m.textContent.startsWith('Published') && m.textContent",
    )
    .await;
    // Every Bali account changes territory (Bali is gone), and so does every Sumatera Selatan one.
    let expected_moves = bali_accounts.len() + sumsel_accounts.len();
    assert_eq!(moving, expected_moves);
    assert_eq!(
        message,
        json!(format!("Published: {expected_moves} accounts reassigned"))
    );
    let after = territories(&app).await;
    let mut names: Vec<&str> = after.iter().map(|t| t["name"].as_str().unwrap()).collect();
    names.sort_unstable();
    assert_eq!(
        names,
        [
            "Bali Raya",
            "Jabodetabek",
            "Jawa Barat",
            "Jawa Tengah & DIY",
            "Jawa Timur",
            "New territory 9",
            "Sulawesi Selatan",
            "Sumatera Utara"
        ]
    );
    let bali_raya = territory_named(&after, "Bali Raya")["id"].clone();
    let east_part = territory_named(&after, "New territory 9")["id"].clone();
    assert_eq!(territory_named(&after, "Sumatera Utara")["id"], sumut_id);
    let accounts_now = all_accounts(&app).await;
    let by_id: BTreeMap<i64, &Value> = accounts_now
        .iter()
        .map(|a| (a["id"].as_i64().unwrap(), a))
        .collect();
    let mut east_count = 0;
    for a in &bali_accounts {
        let now = by_id[&a["id"].as_i64().unwrap()];
        if a["lon"].as_f64().unwrap() > mid_lon {
            east_count += 1;
            assert_eq!(
                (&now["territory_id"], now["owner_id"].as_i64()),
                (&east_part, Some(putri)),
                "{now}"
            );
        } else {
            assert_eq!(
                (&now["territory_id"], now["owner_id"].as_i64()),
                (&bali_raya, Some(made)),
                "{now}"
            );
        }
    }
    assert!(east_count > 0 && east_count < bali_accounts.len());
    for id in &sumsel_accounts {
        assert_eq!(by_id[id]["territory_id"], sumut_id);
        assert_eq!(by_id[id]["owner_id"].as_i64(), Some(rizky));
    }
    assert_each_account_in_exactly_one_territory(&app).await;
    wait_idle(&client, "the map after publishing").await;
    save_screenshot(&client, "planner-edit-published").await;

    // 7. Balance by account count: each rep's totals before and after, and the spread.
    let owners_now = per_owner(&accounts_now);
    wait_for_js(
        &client,
        "a fresh draft after publishing",
        "const n = document.querySelector(\"[data-testid='draft-name']\"); return n && n.textContent.startsWith('Draft')",
    )
    .await;
    click_test_id(&client, "run-balance").await;
    wait_for_js(
        &client,
        "the balanced proposal",
        "const n = document.querySelector(\"[data-testid='draft-name']\");
         return n && n.textContent.startsWith('Balanced by accounts')
           && document.querySelectorAll(\"[data-testid='rep-totals']\").length === 8",
    )
    .await;
    let rows = client
        .execute(
            "return [...document.querySelectorAll(\"[data-testid='rep-totals']\")].map(r =>
               [Number(r.dataset.owner), Number(r.dataset.before), Number(r.dataset.after), r.innerText]);",
            vec![],
        )
        .await
        .expect("read the totals");
    let rows: Vec<(i64, f64, f64)> = rows
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r[0].as_i64().unwrap(),
                r[1].as_f64().unwrap(),
                r[2].as_f64().unwrap(),
            )
        })
        .collect();
    for (owner, before, _) in &rows {
        assert_eq!(
            *before as usize,
            owners_now.get(owner).copied().unwrap_or(0),
            "rep {owner}: the 'before' shown is what the database holds"
        );
    }
    let total_after: f64 = rows.iter().map(|r| r.2).sum();
    assert_eq!(total_after as usize, accounts_now.len());
    let before: Vec<f64> = rows.iter().map(|r| r.1).collect();
    let after_values: Vec<f64> = rows.iter().map(|r| r.2).collect();
    let spread_before = parse_spread(&text_of(&client, "spread-before").await);
    let spread_after = parse_spread(&text_of(&client, "spread-after").await);
    assert!(
        (spread_before - max_over_min(&before)).abs() < 0.006,
        "{spread_before} vs {before:?}"
    );
    assert!(
        (spread_after - max_over_min(&after_values)).abs() < 0.006,
        "{spread_after} vs {after_values:?}"
    );
    assert!(
        spread_after < spread_before,
        "the spread improves: {spread_before} → {spread_after}"
    );
    let moving = count_in(&client, "moves-count").await;
    assert!(moving > 0);
    assert_eq!(count_in(&client, "unassigned-count").await, 0);
    client
        .execute(
            "document.querySelector('#planner-map').setAttribute('data-map-idle', 'false');
             window.wilayahPlannerMap.jumpTo({center: [110.0, -5.0], zoom: 4.3});",
            vec![],
        )
        .await
        .expect("look at Indonesia");
    wait_idle(&client, "the map over the proposal").await;
    save_screenshot(&client, "planner-edit-balanced").await;

    // 8. Publish the proposal: the accounts move as the table said.
    assert_eq!(
        text_of(&client, "planner-message").await,
        "",
        "the balance run cleared the earlier message"
    );
    click_test_id(&client, "publish").await;
    let message = wait_for_js(
        &client,
        "the second publication",
        "const m = document.querySelector(\"[data-testid='planner-message']\"); return m && m.textContent.startsWith('Published') && m.textContent",
    )
    .await;
    assert_eq!(
        message,
        json!(format!("Published: {moving} accounts reassigned"))
    );
    let balanced = per_owner(&all_accounts(&app).await);
    for (owner, _, after) in &rows {
        assert_eq!(
            balanced.get(owner).copied().unwrap_or(0),
            *after as usize,
            "rep {owner} holds what the proposal showed"
        );
    }
    assert_eq!(territories(&app).await.len(), 8);
    assert_each_account_in_exactly_one_territory(&app).await;
    let (_, audit) = app.get_json("/api/v1/planning/publications").await;
    assert_eq!(audit.as_array().unwrap().len(), 2, "{audit}");
    wait_idle(&client, "the map after the second publication").await;
    save_screenshot(&client, "planner-edit-balanced-published").await;
    let errors: Value = client
        .execute("return window.__wilayahErrors", vec![])
        .await
        .unwrap_or(Value::Null);
    assert_eq!(errors, json!([]), "page errors");
    client.close().await.ok();
    std::fs::remove_dir_all(&files).ok();
}
