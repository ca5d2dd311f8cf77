//! The map dashboard in a real browser: one filter drives the map, the list and the KPIs; a link
//! restores the view; the customer panel logs activities and opens cases; a click on an empty spot
//! finds the prospects around it; the layout holds on a tablet. Expected figures come from the
//! REST API's full lists, filtered here by hand, and from a brute-force distance scan.

use std::collections::HashSet;

use fantoccini::{Client, Locator};
use serde_json::{Value, json};
use wilayah_shared::LonLat;
use wilayah_shared::access::Role;
use wilayah_shared::spatial::haversine_m;
use wilayah_tests::TestApp;
use wilayah_tests::browser::{
    Chromedriver, click_at, click_test_id, connect, connect_sized, forget_map_idle, map_pixel,
    save_screenshot, select_value, sign_in_as, source_account_count, source_feature_count,
    start_chromedriver, text_of, type_into, wait_for_js, wait_for_map_idle, wait_for_text,
};

/// Every row of a REST list (the demo data fits in one page of 1,000).
async fn all(app: &TestApp, path: &str) -> Vec<Value> {
    let separator = if path.contains('?') { '&' } else { '?' };
    let (status, body) = app.get_json(&format!("{path}{separator}limit=1000")).await;
    assert!(status.is_success(), "{path}: {status} {body}");
    body["items"].as_array().expect("items").clone()
}

/// Opens the dashboard at `path` and waits until the wasm runs and the map is idle.
async fn open(client: &Client, base: &str, path: &str) {
    client
        .goto(&format!("{base}{path}"))
        .await
        .expect("open the dashboard");
    wait_for_js(
        client,
        "hydration (the map handle)",
        "return !!window.wilayahMap",
    )
    .await;
    wait_for_map_idle(client).await;
}

async fn start() -> (TestApp, String, Chromedriver) {
    let app = TestApp::start().await;
    let base = app.serve().await;
    (app, base, start_chromedriver())
}

#[tokio::test]
async fn one_filter_drives_map_list_and_kpis_and_a_link_restores_the_view() {
    let (app, base, driver) = start().await;
    let client = connect(&driver).await;
    sign_in_as(&app, &client, &base, Role::Manager, None).await;
    open(&client, &base, "/").await;

    let accounts = all(&app, "/api/v1/accounts").await;
    let total = accounts.len();
    assert_eq!(text_of(&client, "list-total").await, total.to_string());

    // The rep with the most customers, so the filter keeps a good number of points.
    let owner_of = |a: &Value| a["owner_id"].as_i64();
    let is_customer = |a: &Value| a["kind"] == "customer";
    let rep = accounts
        .iter()
        .filter_map(owner_of)
        .max_by_key(|rep| {
            accounts
                .iter()
                .filter(|a| is_customer(a) && owner_of(a) == Some(*rep))
                .count()
        })
        .expect("demo accounts have owners");
    let expected: Vec<&Value> = accounts
        .iter()
        .filter(|a| is_customer(a) && owner_of(a) == Some(rep))
        .collect();
    assert!(expected.len() > 3, "rep {rep} has customers");

    forget_map_idle(&client).await;
    select_value(&client, "filter-owner", &rep.to_string()).await;
    select_value(&client, "filter-kind", "customer").await;
    wait_for_text(
        &client,
        "the list to count the rep's customers",
        "list-total",
        &expected.len().to_string(),
    )
    .await;
    wait_for_map_idle(&client).await;
    assert_eq!(
        source_account_count(&client, "customers").await,
        expected.len() as i64,
        "the map shows what the list counts"
    );
    assert_eq!(
        source_account_count(&client, "prospects").await,
        0,
        "kind=customer empties the prospect layer"
    );
    let listed: HashSet<i64> = client
        .execute(
            "return [...document.querySelectorAll('[data-testid=list-item]')].map(b => Number(b.dataset.id));",
            vec![],
        )
        .await
        .expect("list ids")
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_i64().unwrap())
        .collect();
    let wanted: HashSet<i64> = expected.iter().map(|a| a["id"].as_i64().unwrap()).collect();
    assert!(
        listed.is_subset(&wanted) && !listed.is_empty(),
        "the list shows only matching accounts"
    );

    // KPIs are recomputed for the filter: one rep, their customers and revenue.
    click_test_id(&client, "tab-kpis").await;
    let revenue: i64 = expected
        .iter()
        .map(|a| a["revenue_minor"].as_i64().unwrap())
        .sum();
    wait_for_js(
        &client,
        "the KPI total for the filter",
        &format!(
            "const e = document.querySelector('[data-testid=kpi-total] [data-kpi=customers]');
             return e !== null && e.textContent === '{}';",
            expected.len()
        ),
    )
    .await;
    let rows = client
        .find_all(Locator::Css("[data-testid=kpi-row]"))
        .await
        .expect("kpi rows");
    assert_eq!(rows.len(), 1, "only the filtered rep has a row");
    let (_, staff) = app.get_json(&format!("/api/v1/staff/{rep}")).await;
    assert_eq!(
        rows[0]
            .find(Locator::Css("[data-testid=kpi-name]"))
            .await
            .unwrap()
            .text()
            .await
            .unwrap(),
        staff["name"].as_str().unwrap()
    );
    let shown_revenue = client
        .find(Locator::Css("[data-testid=kpi-total] [data-kpi=revenue]"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(
        shown_revenue,
        wilayah_app::format_money_short(revenue, "IDR")
    );

    // A pipeline-stage filter narrows to accounts with a deal at that stage.
    let deals = all(&app, "/api/v1/opportunities").await;
    let stage = [
        "lead",
        "qualified",
        "proposal",
        "negotiation",
        "won",
        "lost",
    ]
    .into_iter()
    .max_by_key(|s| deals.iter().filter(|d| d["stage"] == *s).count())
    .unwrap();
    let with_stage: HashSet<i64> = deals
        .iter()
        .filter(|d| d["stage"] == stage)
        .map(|d| d["account_id"].as_i64().unwrap())
        .collect();
    let expected_stage = expected
        .iter()
        .filter(|a| with_stage.contains(&a["id"].as_i64().unwrap()))
        .count();
    click_test_id(&client, "tab-list").await;
    select_value(&client, "filter-stage", stage).await;
    wait_for_text(
        &client,
        "the list to apply the stage",
        "list-total",
        &expected_stage.to_string(),
    )
    .await;

    // The address bar holds the view; moving the map updates it.
    forget_map_idle(&client).await;
    client
        .execute(
            "window.wilayahMap.jumpTo({center: [110.4203, -6.9932], zoom: 10.5});",
            vec![],
        )
        .await
        .expect("move the map");
    let url = wait_for_js(
        &client,
        "the URL to hold the camera",
        "return location.search.includes('z=10.50') && location.href;",
    )
    .await;
    let url = url.as_str().unwrap().to_owned();
    for part in [
        format!("owner_id={rep}"),
        "kind=customer".into(),
        format!("stage={stage}"),
        "lon=110.42030".into(),
        "lat=-6.99320".into(),
    ] {
        assert!(url.contains(&part), "{url} lacks {part}");
    }
    save_screenshot(&client, "dashboard-filtered").await;

    // Opening the link in a fresh page restores filters, list and camera.
    client.goto(&base).await.expect("leave");
    let path = url.strip_prefix(&base).expect("same origin").to_owned();
    open(&client, &base, &path).await;
    wait_for_text(
        &client,
        "the restored list",
        "list-total",
        &expected_stage.to_string(),
    )
    .await;
    let restored = client
        .execute(
            "const v = id => document.querySelector(`[data-testid=${id}]`).value;
             const c = window.wilayahMap.getCenter();
             return [v('filter-owner'), v('filter-kind'), v('filter-stage'), c.lng, c.lat, window.wilayahMap.getZoom()];",
            vec![],
        )
        .await
        .expect("read the restored view");
    assert_eq!(restored[0], json!(rep.to_string()));
    assert_eq!(restored[1], json!("customer"));
    assert_eq!(restored[2], json!(stage));
    assert!((restored[3].as_f64().unwrap() - 110.4203).abs() < 1e-4);
    assert!((restored[4].as_f64().unwrap() + 6.9932).abs() < 1e-4);
    assert!((restored[5].as_f64().unwrap() - 10.5).abs() < 1e-6);
    assert_eq!(
        source_account_count(&client, "customers").await,
        expected_stage as i64
    );

    // Clearing the filters brings everything back.
    click_test_id(&client, "filter-clear").await;
    wait_for_text(
        &client,
        "the unfiltered list",
        "list-total",
        &total.to_string(),
    )
    .await;
}

#[tokio::test]
async fn the_customer_panel_logs_an_activity_and_opens_a_case() {
    let (app, base, driver) = start().await;
    let client = connect(&driver).await;
    sign_in_as(&app, &client, &base, Role::Manager, None).await;
    open(&client, &base, "/").await;

    let first = client
        .find(Locator::Css("[data-testid=list-item]"))
        .await
        .expect("a listed account");
    let id: i64 = first
        .attr("data-id")
        .await
        .unwrap()
        .unwrap()
        .parse()
        .unwrap();
    first.click().await.expect("open it");
    let (_, account) = app.get_json(&format!("/api/v1/accounts/{id}")).await;
    wait_for_text(
        &client,
        "the panel",
        "panel-name",
        account["name"].as_str().unwrap(),
    )
    .await;

    // An empty subject is refused with a message that names the field; nothing is written.
    let activities_before = all(&app, &format!("/api/v1/activities?account_id={id}"))
        .await
        .len();
    click_test_id(&client, "log-activity").await;
    click_test_id(&client, "form-save").await;
    let error = wait_for_js(
        &client,
        "the validation message",
        "const e = document.querySelector('[data-testid=form-error]'); return e && e.textContent;",
    )
    .await;
    assert!(error.as_str().unwrap().contains("subject"), "{error}");
    assert_eq!(
        all(&app, &format!("/api/v1/activities?account_id={id}"))
            .await
            .len(),
        activities_before
    );

    let subject = "Called about the freezer order";
    select_value(&client, "activity-kind", "call").await;
    type_into(&client, "form-subject", subject).await;
    type_into(&client, "form-notes", "Wants two more by Friday").await;
    click_test_id(&client, "form-save").await;
    wait_for_js(
        &client,
        "the new activity in the history",
        &format!(
            "return [...document.querySelectorAll('[data-testid=history-entry]')].some(e => e.textContent.includes({}));",
            json!(subject)
        ),
    )
    .await;
    let activities = all(&app, &format!("/api/v1/activities?account_id={id}")).await;
    let logged: Vec<&Value> = activities
        .iter()
        .filter(|a| a["subject"] == subject)
        .collect();
    assert_eq!(logged.len(), 1, "written exactly once");
    assert_eq!(logged[0]["kind"], "call");
    assert_eq!(logged[0]["body"], "Wants two more by Friday");

    let case_subject = "Freezer is leaking";
    click_test_id(&client, "open-case").await;
    select_value(&client, "case-priority", "high").await;
    type_into(&client, "form-subject", case_subject).await;
    click_test_id(&client, "form-save").await;
    wait_for_js(
        &client,
        "the new case among the open cases",
        &format!(
            "return [...document.querySelectorAll('[data-testid=open-case]')].some(e => e.textContent.includes({}));",
            json!(case_subject)
        ),
    )
    .await;
    let cases = all(&app, &format!("/api/v1/cases?account_id={id}")).await;
    let opened: Vec<&Value> = cases
        .iter()
        .filter(|c| c["subject"] == case_subject)
        .collect();
    assert_eq!(opened.len(), 1);
    assert_eq!(opened[0]["priority"], "high");
    assert_eq!(opened[0]["status"], "new");
    save_screenshot(&client, "dashboard-panel-actions").await;
}

/// Prospects within `radius_m` of `centre`, nearest first, by brute force.
fn prospects_by_distance(prospects: &[Value], centre: LonLat) -> Vec<(f64, i64)> {
    let mut found: Vec<(f64, i64)> = prospects
        .iter()
        .map(|p| {
            let at = LonLat::new(p["lon"].as_f64().unwrap(), p["lat"].as_f64().unwrap()).unwrap();
            (haversine_m(centre, at), p["id"].as_i64().unwrap())
        })
        .collect();
    found.sort_by(|a, b| a.partial_cmp(b).unwrap());
    found
}

async fn nearby_listed(client: &Client) -> Vec<(i64, f64)> {
    client
        .execute(
            "return [...document.querySelectorAll('[data-testid=nearby-item]')].map(li => [Number(li.dataset.id), Number(li.dataset.distance)]);",
            vec![],
        )
        .await
        .expect("read the nearby list")
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p[0].as_i64().unwrap(), p[1].as_f64().unwrap()))
        .collect()
}

fn assert_same_hits(listed: &[(i64, f64)], expected: &[(f64, i64)]) {
    assert_eq!(
        listed.iter().map(|p| p.0).collect::<Vec<_>>(),
        expected.iter().map(|p| p.1).collect::<Vec<_>>(),
        "same prospects in the same order"
    );
    for ((_, shown), (wanted, _)) in listed.iter().zip(expected) {
        assert!((shown - wanted).abs() < 0.5, "{shown} m vs {wanted} m");
    }
    assert!(listed.windows(2).all(|w| w[0].1 <= w[1].1), "nearest first");
}

#[tokio::test]
async fn a_click_on_an_empty_spot_finds_the_prospects_around_it() {
    let (app, base, driver) = start().await;
    let client = connect(&driver).await;
    sign_in_as(&app, &client, &base, Role::Manager, None).await;
    open(&client, &base, "/").await;
    let prospects = all(&app, "/api/v1/accounts?kind=prospect").await;
    assert!(prospects.iter().all(|p| p["kind"] == "prospect"));

    // Near a city's prospects, at a pixel with no account drawn under it.
    let anchor = &prospects[0];
    let (lon, lat) = (
        anchor["lon"].as_f64().unwrap(),
        anchor["lat"].as_f64().unwrap(),
    );
    forget_map_idle(&client).await;
    client
        .execute(
            "window.wilayahMap.jumpTo({center: [arguments[0], arguments[1]], zoom: 12});",
            vec![json!(lon), json!(lat)],
        )
        .await
        .expect("move the map");
    wait_for_map_idle(&client).await;
    let (cx, cy) = map_pixel(&client, lon, lat).await;
    let spot = client
        .execute(
            "const map = window.wilayahMap;
             const rect = map.getCanvas().getBoundingClientRect();
             const layers = ['customers-points', 'customers-clusters', 'prospects-points', 'prospects-clusters'];
             for (let r = 40; r < 400; r += 20) {
               for (const [dx, dy] of [[r, 0], [0, r], [-r, 0], [0, -r], [r, r], [-r, -r]]) {
                 const x = arguments[0] + dx - rect.left, y = arguments[1] + dy - rect.top;
                 if (x < 20 || y < 20 || x > rect.width - 20 || y > rect.height - 20) continue;
                 const box = [[x - 12, y - 12], [x + 12, y + 12]];
                 if (map.queryRenderedFeatures(box, {layers}).length === 0) {
                   const at = map.unproject([x, y]);
                   return [x + rect.left, y + rect.top, at.lng, at.lat];
                 }
               }
             }
             return null;",
            vec![json!(cx), json!(cy)],
        )
        .await
        .expect("find an empty spot");
    let spot = spot.as_array().expect("an empty spot near the city");
    let (x, y) = (spot[0].as_f64().unwrap(), spot[1].as_f64().unwrap());
    click_at(&client, x, y).await;
    // Where the click landed (pointer actions round to whole pixels), as the panel searched from.
    let at = wait_for_js(
        &client,
        "the spot panel",
        "const e = document.querySelector('[data-testid=spot-position]');
         return e && [Number(e.dataset.lon), Number(e.dataset.lat)];",
    )
    .await;
    let centre = LonLat::new(at[0].as_f64().unwrap(), at[1].as_f64().unwrap()).unwrap();
    let wanted = (spot[2].as_f64().unwrap(), spot[3].as_f64().unwrap());
    assert!(
        haversine_m(centre, LonLat::new(wanted.0, wanted.1).unwrap()) < 100.0,
        "the spot is where the test clicked"
    );

    wait_for_js(
        &client,
        "ten prospects near the spot",
        "return document.querySelectorAll('[data-testid=nearby-item]').length === 10",
    )
    .await;
    let expected = prospects_by_distance(&prospects, centre);
    assert_same_hits(&nearby_listed(&client).await, &expected[..10]);
    assert_eq!(source_feature_count(&client, "nearby").await, 10);

    // Everything within 3 km instead.
    let within: Vec<(f64, i64)> = expected
        .iter()
        .copied()
        .filter(|(d, _)| *d <= 3000.0)
        .collect();
    select_value(&client, "nearby-mode", "radius").await;
    type_into(&client, "nearby-radius", "3").await;
    click_test_id(&client, "find-nearby").await;
    wait_for_js(
        &client,
        "the radius search",
        &format!(
            "const items = document.querySelectorAll('[data-testid=nearby-item]');
             return {} === 0 ? document.querySelector('[data-testid=nearby-none]') !== null
                             : items.length === {} && Number(items[items.length - 1].dataset.distance) <= 3000;",
            within.len(),
            within.len()
        ),
    )
    .await;
    assert_same_hits(&nearby_listed(&client).await, &within);

    // "Add to today's route": a visit for the chosen technician at the nearest prospect, today.
    let technician = all(&app, "/api/v1/staff?role=technician").await[0]["id"]
        .as_i64()
        .expect("the demo has technicians");
    let prospect = expected[0].1;
    if within.is_empty() {
        select_value(&client, "nearby-mode", "nearest").await;
        click_test_id(&client, "find-nearby").await;
        wait_for_js(
            &client,
            "the nearest prospects again",
            "return document.querySelectorAll('[data-testid=nearby-item]').length > 0",
        )
        .await;
    }
    select_value(&client, "route-technician", &technician.to_string()).await;
    click_test_id(&client, "add-to-route").await;
    wait_for_js(
        &client,
        "the route answer",
        "return document.querySelector('[data-testid=route-added]') !== null",
    )
    .await;
    let today = chrono::Utc::now().date_naive().to_string();
    let visits = all(
        &app,
        &format!("/api/v1/visits?technician_id={technician}&account_id={prospect}"),
    )
    .await;
    assert_eq!(visits.len(), 1, "one visit added: {visits:?}");
    assert!(
        visits[0]["window_start"]
            .as_str()
            .unwrap()
            .starts_with(&today),
        "{visits:?}"
    );
    save_screenshot(&client, "dashboard-spot-nearby").await;
}

#[tokio::test]
async fn on_a_tablet_everything_fits_and_every_control_is_a_finger_wide() {
    let (app, base, driver) = start().await;
    let client = connect_sized(&driver, 1024, 768).await;
    sign_in_as(&app, &client, &base, Role::Manager, None).await;
    open(&client, &base, "/").await;
    click_test_id(&client, "list-item").await;
    wait_for_js(
        &client,
        "the panel",
        "return document.querySelector('[data-testid=panel-name]') !== null",
    )
    .await;
    let layout = client
        .execute(
            "const small = [...document.querySelectorAll('.sidebar button, .sidebar select, .sidebar .layer-toggle, .customer-panel button, .customer-panel select, .customer-panel input')]
               .filter(e => e.offsetParent !== null)
               .map(e => [e.dataset.testid || e.className || e.tagName, e.getBoundingClientRect().height])
               .filter(([, h]) => h < 44);
             return {
               innerWidth: window.innerWidth,
               scrollWidth: document.documentElement.scrollWidth,
               scrollHeight: document.documentElement.scrollHeight,
               innerHeight: window.innerHeight,
               small,
               mapWidth: document.querySelector('#map').getBoundingClientRect().width,
             };",
            vec![],
        )
        .await
        .expect("measure the layout");
    assert_eq!(layout["small"], json!([]), "controls under 44 px: {layout}");
    assert!(
        layout["scrollWidth"].as_f64() <= layout["innerWidth"].as_f64(),
        "no sideways scrolling: {layout}"
    );
    assert!(
        layout["scrollHeight"].as_f64() <= layout["innerHeight"].as_f64(),
        "the page itself does not scroll: {layout}"
    );
    assert!(
        layout["mapWidth"].as_f64().unwrap() >= 600.0,
        "the map keeps most of the screen: {layout}"
    );
    save_screenshot(&client, "dashboard-tablet").await;
}
