//! The analytics page in a real browser, on the demo world with an imported order history: a
//! manager scores every customer from the page and watches the job's progress end; the RFM
//! segments, the 80/20 shares and the profitability figures are those of the REST API; the
//! map's heat-map layer is weighted by lifetime value with a legend in quantile classes, and the
//! territories are shaded by their customers' summed lifetime value with their own legend;
//! "near me" searches at the device's position and falls back to the map centre with a note
//! when the position is refused; a rep adds a task for a customer at risk with one tap; the page
//! reads in both languages at desktop and tablet size (screenshots in target/screenshots).

use axum::body::Body;
use axum::http::{Request, StatusCode};
use fantoccini::Client;
use serde_json::{Value, json};
use wilayah_shared::access::Role;
use wilayah_tests::TestApp;
use wilayah_tests::analytics::{self as history, CALIBRATION_DAYS};
use wilayah_tests::browser::{
    click_test_id, connect, connect_sized, save_screenshot, select_value, sign_in_as,
    start_chromedriver, text_of, wait_for_js,
};

/// Imports the model order history onto the demo's first customers, up to yesterday.
async fn import_history(app: &TestApp) {
    let (status, page) = app
        .get_json("/api/v1/accounts?kind=customer&sort=id&limit=1000")
        .await;
    assert!(status.is_success(), "{page}");
    let ids: Vec<String> = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|a| a["external_id"].as_str().map(str::to_owned))
        .collect();
    assert!(ids.len() >= history::CUSTOMERS, "demo customers");
    let mut skus = Vec::new();
    for (sku, price, cost) in [
        ("KOPI", 12_000, 7_000),
        ("GULA", 8_000, 6_500),
        ("TEH", 5_000, 2_000),
    ] {
        let (status, answer) = app
            .send_json(
                "POST",
                "/api/v1/products",
                &json!({"sku": sku, "name_en": sku, "list_price_minor": price,
                        "cost_price_minor": cost, "tax_rate_bp": 1100}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{answer}");
        skus.push(sku);
    }
    let today = chrono::Utc::now().date_naive();
    let start = today - chrono::Days::new(CALIBRATION_DAYS + 1);
    let csv = history::order_csv(
        &history::purchases(start),
        today.pred_opt().unwrap(),
        |c| ids[c as usize - 1].clone(),
        &skus,
    );
    let request = Request::post("/api/v1/orders/import")
        .header("content-type", "text/csv")
        .body(Body::from(csv))
        .unwrap();
    let (status, done) = app.request_json(request).await;
    assert_eq!(status, StatusCode::CREATED, "{done}");
}

/// Opens `/analytics` and waits until every section has its data.
async fn open(client: &Client, base: &str) {
    client
        .goto(&format!("{base}/analytics"))
        .await
        .expect("open the analytics page");
    wait_for_loaded(client).await;
}

async fn wait_for_loaded(client: &Client) {
    wait_for_js(
        client,
        "every section loaded (no loading text) and the job status",
        "const s = [...document.querySelectorAll('.analytics-section')];
         return s.length >= 10 && document.querySelector('[data-testid=job-status]') !== null
             && s.every(e => !e.querySelector('.muted') || !/Loading|Memuat/.test(e.textContent))
             && document.querySelectorAll('.analytics .error').length === 0;",
    )
    .await;
}

async fn switch_language(client: &Client, lang: &str) {
    click_test_id(client, "lang-switch").await;
    wait_for_js(
        client,
        "the language switch",
        &format!("return document.documentElement.lang === '{lang}';"),
    )
    .await;
}

#[tokio::test]
async fn the_analytics_page_scores_customers_and_shows_the_figures_of_the_api_and_the_heat_map() {
    let app = TestApp::start().await;
    import_history(&app).await;
    let base = app.serve().await;
    let driver = start_chromedriver();
    let client = connect(&driver).await;
    sign_in_as(&app, &client, &base, Role::Manager, None).await;
    open(&client, &base).await;
    assert_eq!(
        client
            .execute(
                "return document.querySelector('[data-testid=job-status]').textContent",
                vec![]
            )
            .await
            .unwrap(),
        json!("Customers have not been scored yet.")
    );

    // Scoring from the page: the job's row is polled until it is done, and the lists fill.
    click_test_id(&client, "score-now").await;
    wait_for_js(
        &client,
        "the scoring job to finish",
        "const e = document.querySelector('[data-testid=job-status]');
         return e !== null && e.dataset.status === 'done';",
    )
    .await;
    let (_, job) = app.get_json("/api/v1/analytics/scoring-jobs/latest").await;
    assert_eq!(job["job"]["status"], "done", "{job}");
    let scored = job["job"]["total"].as_i64().unwrap();
    assert!(scored >= history::CUSTOMERS as i64, "{job}");
    wait_for_js(
        &client,
        "the lifetime-value list",
        "return document.querySelectorAll('[data-testid=section-clv] tbody tr').length === 10;",
    )
    .await;

    // Products to offer: the API's work list, and one tap makes a task for today.
    let (_, offers) = app.get_json("/api/v1/analytics/offers?limit=10").await;
    let offered = offers["offers"].as_array().unwrap();
    assert!(!offered.is_empty(), "{offers}");
    let shown = client
        .execute(
            "return [...document.querySelectorAll('[data-testid=offer]')].map(r => Number(r.dataset.accountId));",
            vec![],
        )
        .await
        .unwrap();
    let expected: Vec<Value> = offered.iter().map(|o| o["account_id"].clone()).collect();
    assert_eq!(shown, json!(expected));
    let (_, tasks_before) = app.get_json("/api/v1/tasks?limit=1").await;
    click_test_id(&client, "offer-task").await;
    wait_for_js(
        &client,
        "the offer's task to be added",
        "return /Task added/.test(document.querySelector('[data-testid=offer]').textContent);",
    )
    .await;
    let (_, tasks) = app.get_json("/api/v1/tasks?limit=1").await;
    assert_eq!(
        tasks["total"].as_i64().unwrap(),
        tasks_before["total"].as_i64().unwrap() + 1,
        "{tasks}"
    );

    // RFM: the table's counts are the API's.
    let (_, rfm) = app.get_json("/api/v1/analytics/rfm?limit=1").await;
    let shown: Vec<Value> = client
        .execute(
            "return [...document.querySelectorAll('[data-testid=section-rfm] tbody tr')]
                 .map(r => [r.dataset.segment, Number(r.children[1].textContent)]);",
            vec![],
        )
        .await
        .unwrap()
        .as_array()
        .unwrap()
        .clone();
    let expected: Vec<Value> = rfm["segments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| json!([s["segment"], s["customers"]]))
        .collect();
    assert_eq!(shown, expected);
    // 80/20: the top 20 % share of revenue as the API computes it.
    let (_, pareto) = app.get_json("/api/v1/analytics/pareto").await;
    let share = pareto["top_share"].as_f64().unwrap();
    assert_eq!(
        text_of(&client, "top-share-revenue").await,
        format!("{:.0} %", share * 100.0)
    );
    let (_, profit) = app.get_json("/api/v1/analytics/profitability").await;
    assert_eq!(
        text_of(&client, "losing-customers").await,
        profit["losing_customers"].to_string()
    );
    save_screenshot(&client, "analytics-desktop-en").await;

    // The heat map weighted by lifetime value, with its legend in five quantile classes.
    select_value(&client, "map-metric", "clv").await;
    let (_, map) = app.get_json("/api/v1/analytics/map?metric=clv").await;
    let features = map["features"].as_array().unwrap().len() as i64;
    assert_eq!(features, scored);
    wait_for_js(
        &client,
        "the metric map to hold the scored customers",
        &format!(
            "const m = window.wilayahMetricMap;
             if (!m || !m.getSource('metric')) return false;
             return m.getSource('metric').getData().then(d => d.features.length === {features}
                 && d.features[0].properties.class !== undefined);"
        ),
    )
    .await;
    let heat = client
        .execute(
            "const m = window.wilayahMetricMap;
             return [m.getLayer('metric-heat').type, m.getLayoutProperty('metric-heat', 'visibility') || 'visible'];",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(heat, json!(["heatmap", "visible"]));
    let legend = client
        .execute(
            "return document.querySelectorAll('[data-testid=map-legend] li').length;",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(
        legend.as_u64().unwrap() as usize,
        map["legend"]["breaks"].as_array().unwrap().len() + 1
    );
    show_map(&client).await;
    // The territories shaded by their customers' summed lifetime value, with their legend.
    let (_, shaded) = app
        .get_json("/api/v1/analytics/territories?metric=clv")
        .await;
    let territories = shaded["features"].as_array().unwrap().len();
    assert!(territories >= 1, "{shaded}");
    assert_eq!(shaded["legend"]["aggregate"], "sum");
    wait_for_js(
        &client,
        "the territories to be shaded",
        &format!(
            "const m = window.wilayahMetricMap;
             if (!m || !m.getSource('territories')) return false;
             return m.getSource('territories').getData().then(d => d.features.length === {territories}
                 && d.features.every(f => f.properties.class !== undefined));"
        ),
    )
    .await;
    let fill = client
        .execute(
            "const m = window.wilayahMetricMap;
             return [m.getLayer('metric-territories').type, m.getLayoutProperty('metric-territories', 'visibility') || 'visible',
                     document.querySelectorAll('[data-testid=territory-legend] li').length];",
            vec![],
        )
        .await
        .unwrap();
    let classes = shaded["legend"]["breaks"].as_array().unwrap().len() + 1;
    assert_eq!(fill, json!(["fill", "visible", classes]));

    // Near me, with the position refused: the map centre instead, with a note.
    near_me(&client, "err({code: 1, message: 'denied'})").await;
    wait_for_js(
        &client,
        "the note that the position is not available",
        "const n = document.querySelector('[data-testid=near-no-position]');
         return n !== null && /position/.test(n.textContent)
             && document.querySelector('[data-testid=near-table], [data-testid=near-none]') !== null;",
    )
    .await;
    // With a position: the customers at risk around it, as the API finds them.
    let (_, at_risk) = app
        .get_json("/api/v1/analytics/scores?order=at_risk&limit=1000")
        .await;
    let customer = at_risk["accounts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| {
            a["churn_risk"].as_f64() >= Some(0.5) && a["value_at_risk_minor"].as_f64() > Some(0.0)
        })
        .expect("a valuable customer at risk")["account_id"]
        .as_i64()
        .unwrap();
    let (_, account) = app.get_json(&format!("/api/v1/accounts/{customer}")).await;
    let (lon, lat) = (
        account["lon"].as_f64().unwrap(),
        account["lat"].as_f64().unwrap(),
    );
    let (_, near) = app
        .get_json(&format!(
            "/api/v1/analytics/at-risk-nearby?lon={lon:.5}&lat={lat:.5}&radius_m=50000"
        ))
        .await;
    let expected = near["accounts"].as_array().unwrap().len();
    assert!(expected >= 1, "{near}");
    let here = format!("ok({{coords: {{longitude: {lon}, latitude: {lat}}}}})");
    near_me(&client, &here).await;
    wait_for_js(
        &client,
        "the customers at risk near the device",
        &format!(
            "return document.querySelector('[data-testid=near-no-position]') === null
                 && document.querySelectorAll('[data-testid=near-table] tbody tr').length === {expected};"
        ),
    )
    .await;
    // Along today's route: the API's answer.
    let (_, route) = app
        .get_json("/api/v1/analytics/at-risk-along-route?radius_m=5000")
        .await;
    click_test_id(&client, "near-route").await;
    let rows = route["accounts"].as_array().unwrap().len();
    wait_for_js(
        &client,
        "the customers at risk along today's route",
        &format!(
            "const rows = document.querySelectorAll('[data-testid=near-table] tbody tr').length;
             return {rows} === 0 ? document.querySelector('[data-testid=near-none]') !== null : rows === {rows};"
        ),
    )
    .await;
    save_screenshot(&client, "analytics-map-desktop-en").await;
    show_territories(&client).await;
    save_screenshot(&client, "analytics-territories-desktop-en").await;

    // Indonesian: segment names and titles translated.
    switch_language(&client, "id").await;
    show_map(&client).await;
    save_screenshot(&client, "analytics-territories-desktop-id").await;
    client
        .execute("window.scrollTo(0, 0);", vec![])
        .await
        .unwrap();
    let title = text_of(&client, "section-rfm").await;
    // Section titles are set in capitals by the style sheet; innerText reads them so.
    assert!(title.to_lowercase().starts_with("segmen rfm"), "{title}");
    save_screenshot(&client, "analytics-desktop-id").await;

    // A tablet, both languages.
    let tablet = connect_sized(&driver, 1024, 768).await;
    sign_in_as(&app, &tablet, &base, Role::Manager, None).await;
    open(&tablet, &base).await;
    let overflow = tablet
        .execute(
            "return document.documentElement.scrollWidth <= window.innerWidth;",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(overflow, json!(true), "nothing wider than the tablet");
    save_screenshot(&tablet, "analytics-tablet-en").await;
    show_map(&tablet).await;
    save_screenshot(&tablet, "analytics-map-tablet-en").await;
    show_territories(&tablet).await;
    save_screenshot(&tablet, "analytics-territories-tablet-en").await;
    switch_language(&tablet, "id").await;
    show_map(&tablet).await;
    save_screenshot(&tablet, "analytics-territories-tablet-id").await;
    tablet
        .execute("window.scrollTo(0, 0);", vec![])
        .await
        .unwrap();
    save_screenshot(&tablet, "analytics-tablet-id").await;

    // A rep (who may not create visits) adds a task for their customer at risk with one tap.
    let owner = account["owner_id"].as_i64().expect("the customer's rep");
    let rep = connect(&driver).await;
    sign_in_as(&app, &rep, &base, Role::SalesRep, Some(owner)).await;
    // Reached from the rep's day: /today links to the customers at risk along the route.
    rep.goto(&format!("{base}/today"))
        .await
        .expect("open the day");
    click_test_id(&rep, "today-at-risk").await;
    wait_for_loaded(&rep).await;
    wait_for_js(
        &rep,
        "the customers at risk along the rep's route",
        "return location.search === '?near=route'
            && document.querySelector('[data-testid=near-table], [data-testid=near-none]') !== null;",
    )
    .await;
    near_me(&rep, &here).await;
    wait_for_js(
        &rep,
        "the rep's customers at risk near them",
        "return document.querySelectorAll('[data-testid=near-table] tbody tr').length > 0;",
    )
    .await;
    let (_, tasks_before) = app.get_json("/api/v1/tasks?limit=1").await;
    click_test_id(&rep, "near-follow-up").await;
    wait_for_js(
        &rep,
        "the task to be added",
        "return /Task added/.test(document.querySelector('[data-testid=near-table]').textContent);",
    )
    .await;
    let (_, tasks) = app.get_json("/api/v1/tasks?limit=1").await;
    assert_eq!(
        tasks["total"].as_i64().unwrap(),
        tasks_before["total"].as_i64().unwrap() + 1,
        "{tasks}"
    );
    show_map(&rep).await;
    save_screenshot(&rep, "analytics-map-rep-en").await;

    // The dashboard's territories filled by churn risk, from a shared link.
    let (_, churn) = app
        .get_json("/api/v1/analytics/territories?metric=churn")
        .await;
    let shaded_territories = churn["features"].as_array().unwrap().len();
    client
        .goto(&format!("{base}/?shade=churn&lon=107.2&lat=-6.6&z=7"))
        .await
        .expect("open the dashboard");
    wait_for_js(
        &client,
        "the dashboard's territories filled by churn risk",
        &format!(
            "const m = window.wilayahMap;
             if (!m || !m.getSource('territory-shade')) return false;
             const legend = document.querySelectorAll('[data-testid=shade-legend] li').length;
             return legend === {classes} && document.querySelector('[data-testid=territory-shade]').value === 'churn'
                 && m.getPaintProperty('territories-fill', 'fill-opacity') === 0
                 && m.getSource('territory-shade').getData().then(d => d.features.length === {shaded_territories}
                     && d.features.every(f => f.properties.class !== undefined));",
            classes = churn["legend"]["breaks"].as_array().unwrap().len() + 1
        ),
    )
    .await;
    click_test_id(&client, "tab-legend").await;
    wilayah_tests::browser::wait_for_map_idle(&client).await;
    save_screenshot(&client, "dashboard-shaded-desktop-id").await;

    technician_at_risk(&app, &driver, &base).await;
}

/// A technician's customers at risk along their day on /tech: a customer at risk near one of
/// today's stops becomes theirs (a visit done there last month), the list is the API's, and one
/// tap puts it on the route.
async fn technician_at_risk(
    app: &TestApp,
    driver: &wilayah_tests::browser::Chromedriver,
    base: &str,
) {
    let (_, staff) = app
        .get_json("/api/v1/staff?role=technician&limit=100")
        .await;
    let today = chrono::Utc::now().date_naive();
    let mut chosen = None;
    'technicians: for t in staff["items"].as_array().unwrap() {
        let technician = t["id"].as_i64().unwrap();
        let (_, day) = app
            .get_json(&format!(
                "/api/v1/field/day?technician_id={technician}&date={today}"
            ))
            .await;
        // The day's own accounts are visited already: never offered.
        let stop_accounts: Vec<Option<i64>> = day["stops"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|s| s["account_id"].as_i64())
            .collect();
        for stop in day["stops"].as_array().into_iter().flatten() {
            let (lon, lat) = (stop["lon"].as_f64().unwrap(), stop["lat"].as_f64().unwrap());
            let (_, near) = app
                .get_json(&format!(
                    "/api/v1/analytics/at-risk-nearby?lon={lon}&lat={lat}&radius_m=4000&limit=1000"
                ))
                .await;
            if let Some(customer) = near["accounts"]
                .as_array()
                .unwrap()
                .iter()
                .map(|a| a["account_id"].as_i64())
                .find(|a| !stop_accounts.contains(a))
            {
                chosen = Some((technician, customer.unwrap()));
                break 'technicians;
            }
        }
    }
    let (technician, customer) = chosen.expect("a customer at risk near a technician's stop today");
    let last_month = today - chrono::Days::new(30);
    let (status, visit) = app
        .send_json(
            "POST",
            "/api/v1/visits",
            &json!({"account_id": customer, "technician_id": technician,
                    "window_start": format!("{last_month}T02:00:00Z"),
                    "window_end": format!("{last_month}T09:00:00Z"),
                    "duration_min": 30, "status": "done"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{visit}");
    let as_technician = app
        .as_user(Role::Technician, Some(technician), vec![])
        .await;
    let (_, listed) = as_technician
        .get_json(&format!(
            "/api/v1/analytics/at-risk-along-route?date={today}&technician_id={technician}&radius_m=5000&limit=10"
        ))
        .await;
    let expected: Vec<Value> = listed["accounts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["account_id"].clone())
        .collect();
    assert!(expected.contains(&json!(customer)), "{listed}");

    // One of the day's stops is done: the customer answers the survey on the tablet.
    let (_, day) = app
        .get_json(&format!(
            "/api/v1/field/day?technician_id={technician}&date={today}"
        ))
        .await;
    let first = &day["stops"][0];
    let visit_id = first["visit_id"].as_i64().unwrap();
    let mut version = first["version"].as_i64().unwrap();
    for to in ["on_site", "done"] {
        let (status, moved) = app
            .send_json(
                "PATCH",
                &format!("/api/v1/visits/{visit_id}"),
                &json!({"version": version, "status": to}),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{moved}");
        version = moved["version"].as_i64().unwrap();
    }

    let tablet = connect_sized(driver, 1024, 768).await;
    sign_in_as(app, &tablet, base, Role::Technician, Some(technician)).await;
    tablet
        .goto(&format!("{base}/tech?technician={technician}&date={today}"))
        .await
        .expect("open /tech");
    wait_for_js(
        &tablet,
        "the technician's day",
        "return document.querySelectorAll('[data-testid=stop]').length > 0;",
    )
    .await;
    click_test_id(&tablet, "find-at-risk").await;
    wait_for_js(
        &tablet,
        "the customers at risk along the day",
        &format!(
            "return JSON.stringify([...document.querySelectorAll('[data-testid=at-risk-customer]')]
                 .map(e => Number(e.dataset.accountId))) === '{}';",
            serde_json::to_string(&expected).unwrap()
        ),
    )
    .await;
    tablet
        .execute(
            "document.querySelector('[data-testid=at-risk]').scrollIntoView();",
            vec![],
        )
        .await
        .unwrap();
    save_screenshot(&tablet, "tech-at-risk-tablet-en").await;
    let in_stop = |testid: &str| {
        format!("[data-testid=stop][data-visit-id=\"{visit_id}\"] [data-testid={testid}]")
    };
    tablet
        .execute(
            &format!(
                "document.querySelector('{}').click(); document.querySelector('{}').scrollIntoView();",
                in_stop("tablet-score-4"),
                in_stop("tablet-score-4")
            ),
            vec![],
        )
        .await
        .unwrap();
    save_screenshot(&tablet, "tech-survey-tablet-en").await;
    tablet
        .execute(
            &format!(
                "document.querySelector('{}').click();",
                in_stop("tablet-survey-save")
            ),
            vec![],
        )
        .await
        .unwrap();
    wait_for_js(
        &tablet,
        "the customer's answer kept and sent",
        &format!(
            "const done = document.querySelector('{}');
             return done !== null && /4\\/5/.test(done.textContent);",
            in_stop("survey-done")
        ),
    )
    .await;
    wait_for_js(
        &tablet,
        "the queue sent",
        "return document.querySelector('[data-testid=net-status][data-pending=\"0\"]') !== null;",
    )
    .await;
    let (_, answers) = app.get_json("/api/v1/surveys").await;
    assert!(
        answers["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a["visit_id"] == visit_id && a["score"] == 4 && a["answered_via"] == "tablet"),
        "{answers}"
    );
    let stops_before = tablet
        .execute(
            "return document.querySelectorAll('[data-testid=stop]').length;",
            vec![],
        )
        .await
        .unwrap();
    tablet
        .execute(
            &format!(
                "document.querySelector('[data-testid=at-risk-customer][data-account-id=\"{customer}\"] [data-testid=add-at-risk-customer]').click();"
            ),
            vec![],
        )
        .await
        .unwrap();
    wait_for_js(
        &tablet,
        "the customer on the route",
        &format!(
            "return document.querySelectorAll('[data-testid=stop]').length === {} + 1
                 && document.querySelector('[data-testid=at-risk-customer][data-account-id=\"{customer}\"]') === null;",
            stops_before
        ),
    )
    .await;
}

/// Taps "near me" with the device's position answered by `answer` (JavaScript calling `ok` with
/// a position or `err` with an error, as the browser's geolocation does).
async fn near_me(client: &Client, answer: &str) {
    let geolocation = format!(
        "Object.defineProperty(navigator, 'geolocation', {{configurable: true,
             value: {{getCurrentPosition: (ok, err) => setTimeout(() => {answer}, 50)}}}});"
    );
    client.execute(&geolocation, vec![]).await.unwrap();
    click_test_id(client, "near-me").await;
}

/// The territories alone (heat map and accounts off), on Java and Bali where they adjoin.
async fn show_territories(client: &Client) {
    click_test_id(client, "toggle-heat").await;
    click_test_id(client, "toggle-points").await;
    client
        .execute(
            "document.querySelector('[data-testid=analytics-map]').removeAttribute('data-map-idle');
             window.wilayahMetricMap.fitBounds([[105.8, -8.9], [115.8, -5.6]], {duration: 0});",
            vec![],
        )
        .await
        .unwrap();
    wait_for_js(
        client,
        "the territories alone",
        "const m = window.wilayahMetricMap;
         return m.getLayoutProperty('metric-heat', 'visibility') === 'none'
             && m.getLayoutProperty('metric-points', 'visibility') === 'none';",
    )
    .await;
    show_map(client).await;
}

/// Scrolls the map section into view and waits until the map has drawn.
async fn show_map(client: &Client) {
    client
        .execute(
            "document.querySelector('[data-testid=section-map]').scrollIntoView();",
            vec![],
        )
        .await
        .unwrap();
    wait_for_js(
        client,
        "the metric map to draw",
        "return document.querySelector('[data-testid=analytics-map][data-map-idle=true]') !== null;",
    )
    .await;
}
