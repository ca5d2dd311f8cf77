//! The technician view in headless Chromium: the day in route order, check-in with the
//! (emulated) device position, done with an outcome; and offline: with the server cut off
//! (the browser reaches the app through a small TCP proxy the test switches off), actions are
//! recorded, survive a reload, and arrive exactly once when the connection is back, also when
//! the device sends them again; a session that ends while work is queued keeps the work until
//! the technician signs in again, and another user of the same browser never sees or sends it.
//! Screenshots go to target/screenshots/tech-*.png.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use chrono::Utc;
use fantoccini::wd::WebDriverCompatibleCommand;
use fantoccini::{Client, Locator};
use serde_json::{Value, json};
use tokio::net::{TcpListener, TcpStream};
use wilayah_server::db::ActionFilter;
use wilayah_shared::LonLat;
use wilayah_tests::browser::{
    connect_sized, sign_in, start_chromedriver, wait_for_js, wait_until_signed_in,
};
use wilayah_tests::{TEST_PASSWORD, TestApp, TestDatabase, create_user, project_root};

fn today() -> String {
    Utc::now().date_naive().to_string()
}

/// A Chrome DevTools Protocol command through chromedriver (`goog/cdp/execute`).
#[derive(Debug)]
struct Cdp {
    cmd: &'static str,
    params: Value,
}

impl WebDriverCompatibleCommand for Cdp {
    fn endpoint(
        &self,
        base_url: &url::Url,
        session_id: Option<&str>,
    ) -> Result<url::Url, url::ParseError> {
        base_url.join(&format!(
            "session/{}/goog/cdp/execute",
            session_id.unwrap_or_default()
        ))
    }

    fn method_and_body(&self, _: &url::Url) -> (http::Method, Option<String>) {
        let body = json!({ "cmd": self.cmd, "params": self.params });
        (http::Method::POST, Some(body.to_string()))
    }
}

/// Lets `origin` read the location and puts the device at `position`.
async fn place_device(client: &Client, origin: &str, position: LonLat) {
    client
        .issue_cmd(Cdp {
            cmd: "Browser.grantPermissions",
            params: json!({ "origin": origin, "permissions": ["geolocation"] }),
        })
        .await
        .expect("grant geolocation");
    client
        .issue_cmd(Cdp {
            cmd: "Emulation.setGeolocationOverride",
            params: json!({ "latitude": position.lat(), "longitude": position.lon(), "accuracy": 12 }),
        })
        .await
        .expect("set the device position");
}

/// A TCP proxy in front of the app that the test can cut: switched off, it drops every open
/// connection and refuses new ones, as a lost network does to the browser.
struct Proxy {
    url: String,
    on: Arc<AtomicBool>,
    live: Arc<Mutex<Vec<tokio::task::AbortHandle>>>,
}

impl Proxy {
    async fn start(target: SocketAddr) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind proxy");
        let url = format!("http://{}", listener.local_addr().expect("proxy addr"));
        let on = Arc::new(AtomicBool::new(true));
        let live = Arc::new(Mutex::new(Vec::new()));
        let (accept_on, accept_live) = (on.clone(), live.clone());
        tokio::spawn(async move {
            while let Ok((mut inbound, _)) = listener.accept().await {
                if !accept_on.load(Ordering::SeqCst) {
                    drop(inbound);
                    continue;
                }
                let task = tokio::spawn(async move {
                    if let Ok(mut outbound) = TcpStream::connect(target).await {
                        let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
                    }
                });
                accept_live.lock().unwrap().push(task.abort_handle());
            }
        });
        Proxy { url, on, live }
    }

    fn cut(&self) {
        self.on.store(false, Ordering::SeqCst);
        for task in self.live.lock().unwrap().drain(..) {
            task.abort();
        }
    }

    fn restore(&self) {
        self.on.store(true, Ordering::SeqCst);
    }
}

async fn screenshot(client: &Client, name: &str) {
    let dir = project_root().join("target/screenshots");
    std::fs::create_dir_all(&dir).expect("screenshot folder");
    let png = client.screenshot().await.expect("screenshot");
    std::fs::write(dir.join(format!("tech-{name}.png")), png).expect("write screenshot");
}

fn site_is_built() {
    let site = project_root().join("target/site");
    assert!(
        site.join("pkg/wilayah.wasm").exists() && site.join("sw.js").exists(),
        "the site is not built: run scripts/build.sh --site-only before this test"
    );
}

/// The first technician and their day as the API plans it.
async fn technician_day(app: &TestApp, base: &str) -> (i64, Value) {
    let (_, staff) = app.get_json("/api/v1/staff?role=technician").await;
    let id = staff["items"][0]["id"].as_i64().unwrap();
    let (_, day) = app
        .get_json(&format!(
            "/api/v1/field/day?technician_id={id}&date={}",
            today()
        ))
        .await;
    let _ = base;
    (id, day)
}

/// The technician's visits as stored, from three days back to three days ahead.
async fn visits_of(app: &TestApp, technician: i64) -> Vec<wilayah_server::db::FieldVisit> {
    let now = Utc::now();
    let days = chrono::Duration::days(3);
    app.state
        .store
        .system()
        .technician_visits(technician, now - days, now + days)
        .await
        .expect("visits")
}

/// Opens the technician's day at `base` and waits until its `stops` are listed.
async fn open_day(client: &Client, base: &str, technician: i64, stops: usize) {
    client
        .goto(&format!(
            "{base}/tech?technician={technician}&date={}",
            today()
        ))
        .await
        .expect("open /tech");
    wait_for_js(
        client,
        "the day's stops",
        &format!("return document.querySelectorAll('[data-testid=stop]').length === {stops}"),
    )
    .await;
}

async fn visit_ids_on_page(client: &Client) -> Vec<i64> {
    let ids = client
        .execute(
            "return [...document.querySelectorAll('[data-testid=stop]')].map(e => Number(e.dataset.visitId))",
            vec![],
        )
        .await
        .expect("stop ids");
    serde_json::from_value(ids).unwrap()
}

async fn click_in_stop(client: &Client, visit_id: i64, test_id: &str) {
    client
        .find(Locator::Css(&format!(
            "[data-testid=stop][data-visit-id='{visit_id}'] [data-testid='{test_id}']"
        )))
        .await
        .unwrap_or_else(|e| panic!("{test_id} of visit {visit_id}: {e}"))
        .click()
        .await
        .expect("click");
}

async fn wait_status(client: &Client, visit_id: i64, status: &str) {
    wait_for_js(
        client,
        &format!("visit {visit_id} shown as {status}"),
        &format!("return document.querySelector(\"[data-testid=stop][data-visit-id='{visit_id}'][data-status='{status}']\") !== null"),
    )
    .await;
}

/// Waits until the server has answered `n` actions since the page was opened and none wait.
async fn wait_answered(client: &Client, n: usize) {
    wait_for_js(
        client,
        &format!("{n} actions answered by the server"),
        &format!("const e = document.querySelector('[data-testid=net-status]'); return e !== null && e.dataset.answered === '{n}' && e.dataset.pending === '0' && e.dataset.syncing === 'false'"),
    )
    .await;
}

async fn wait_pending(client: &Client, pending: usize, online: bool) {
    wait_for_js(
        client,
        &format!("{pending} actions waiting, online = {online}"),
        &format!("const n = document.querySelector('[data-testid=net-status]'); return n !== null && n.dataset.pending === '{pending}' && n.dataset.online === '{online}'"),
    )
    .await;
}

/// Every button and link of the view is at least 44 px tall and wide (visible ones).
async fn touch_targets_are_large(client: &Client) {
    let small = client
        .execute(
            "return [...document.querySelectorAll('.tech button, .tech a, .tech summary')]
               .filter(e => !e.closest('.maplibregl-map'))
               .map(e => [e.dataset.testid || e.textContent.trim(), e.getBoundingClientRect()])
               .filter(([_, r]) => r.width > 0 && (r.height < 44 || r.width < 44))
               .map(([name, r]) => `${name}: ${r.width}x${r.height}`)",
            vec![],
        )
        .await
        .expect("measure");
    assert_eq!(small, json!([]), "touch targets under 44 px");
}

#[tokio::test]
async fn a_technician_works_through_the_day_in_route_order() {
    site_is_built();
    let app = TestApp::start().await;
    let base = app.serve().await;
    let (technician, day) = technician_day(&app, &base).await;
    let stops = day["stops"].as_array().unwrap().clone();
    let first = stops
        .iter()
        .find(|s| s["status"] == "scheduled")
        .expect("an open stop")
        .clone();
    let first_id = first["visit_id"].as_i64().unwrap();
    let account = LonLat::new(
        first["lon"].as_f64().unwrap(),
        first["lat"].as_f64().unwrap(),
    )
    .unwrap();

    let driver = start_chromedriver();
    let client = connect_sized(&driver, 1024, 768).await;
    wilayah_tests::browser::sign_in_as(
        &app,
        &client,
        &base,
        wilayah_shared::access::Role::Technician,
        Some(technician),
    )
    .await;
    // 50 m from the account: a check-in that is not flagged.
    place_device(
        &client,
        &base,
        LonLat::new(account.lon(), account.lat() + 0.00045).unwrap(),
    )
    .await;
    open_day(&client, &base, technician, stops.len()).await;
    wait_for_js(
        &client,
        "the route map drawn",
        "return document.querySelector('#tech-map[data-map-idle=true]') !== null",
    )
    .await;

    // The list is the planned route order.
    let expected: Vec<i64> = stops
        .iter()
        .map(|s| s["visit_id"].as_i64().unwrap())
        .collect();
    assert_eq!(visit_ids_on_page(&client).await, expected);
    let links = client
        .execute(
            "return [...document.querySelectorAll('[data-testid=navigate]')].map(a => a.href)",
            vec![],
        )
        .await
        .unwrap();
    assert!(
        links[0]
            .as_str()
            .unwrap()
            .starts_with("https://www.google.com/maps/dir/?api=1&destination="),
        "{links}"
    );
    touch_targets_are_large(&client).await;
    screenshot(&client, "day").await;

    // Check in: on site, position and distance stored, not flagged.
    click_in_stop(&client, first_id, "check-in").await;
    wait_status(&client, first_id, "on_site").await;
    wait_answered(&client, 1).await;
    let stored = visits_of(&app, technician).await;
    let checked_in = stored.iter().find(|v| v.id == first_id).unwrap();
    assert_eq!(checked_in.status, "on_site");
    let distance = checked_in.checkin_distance_m.expect("distance stored");
    assert!((40.0..60.0).contains(&distance), "{distance}");
    assert_eq!(checked_in.checkin_accuracy_m, Some(12.0));
    assert!(
        client
            .find(Locator::Css(&format!(
                "[data-visit-id='{first_id}'] [data-testid=far-warning]"
            )))
            .await
            .is_err(),
        "a check-in 50 m away is not flagged"
    );

    // Outcome, then done.
    let outcome = client
        .find(Locator::Css(&format!(
            "[data-visit-id='{first_id}'] [data-testid=outcome]"
        )))
        .await
        .expect("outcome field");
    outcome.send_keys("Router replaced").await.expect("type");
    click_in_stop(&client, first_id, "to-done").await;
    wait_status(&client, first_id, "done").await;
    wait_answered(&client, 2).await;
    let stored = visits_of(&app, technician).await;
    let done = stored.iter().find(|v| v.id == first_id).unwrap();
    assert_eq!(done.status, "done");
    assert_eq!(done.outcome.as_deref(), Some("Router replaced"));

    // A check-in 2 km away from the next stop is flagged with the distance.
    let next = visit_ids_on_page(&client)
        .await
        .into_iter()
        .find(|id| *id != first_id)
        .unwrap();
    let next_stop = stops.iter().find(|s| s["visit_id"] == next).unwrap();
    place_device(
        &client,
        &base,
        LonLat::new(
            next_stop["lon"].as_f64().unwrap(),
            next_stop["lat"].as_f64().unwrap() + 0.018,
        )
        .unwrap(),
    )
    .await;
    click_in_stop(&client, next, "check-in").await;
    wait_for_js(
        &client,
        "the far check-in warning",
        &format!("const w = document.querySelector(\"[data-visit-id='{next}'] [data-testid=far-warning]\"); return w !== null && /2[,.]0 km/.test(w.textContent)"),
    )
    .await;
    wait_answered(&client, 3).await;
    screenshot(&client, "checkin").await;

    // Prospects along the route, one tap to add.
    let (_, suggested) = app
        .send_json(
            "POST",
            "/api/v1/routes/suggest",
            &json!({"technician_id": technician, "date": today()}),
        )
        .await;
    let fits = suggested["suggestions"].as_array().map_or(0, Vec::len);
    client
        .find(Locator::Css("[data-testid=find-suggestions]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    if fits > 0 {
        wait_for_js(
            &client,
            "suggestions listed",
            "return document.querySelectorAll('[data-testid=suggestion]').length > 0",
        )
        .await;
        let before = visit_ids_on_page(&client).await.len();
        client
            .find(Locator::Css("[data-testid=add-suggestion]"))
            .await
            .unwrap()
            .click()
            .await
            .unwrap();
        wait_for_js(
            &client,
            "the added stop",
            &format!(
                "return document.querySelectorAll('[data-testid=stop]').length === {}",
                before + 1
            ),
        )
        .await;
        screenshot(&client, "suggestions").await;
    }

    // Phone width: still every control big enough.
    client.set_window_size(412, 915).await.expect("resize");
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    touch_targets_are_large(&client).await;
    screenshot(&client, "phone").await;
    client.close().await.ok();
}

#[tokio::test]
async fn actions_recorded_offline_arrive_exactly_once() {
    site_is_built();
    let app = TestApp::start().await;
    let base = app.serve().await;
    let target: SocketAddr = base.trim_start_matches("http://").parse().unwrap();
    let proxy = Proxy::start(target).await;
    let (technician, day) = technician_day(&app, &base).await;
    let open: Vec<i64> = day["stops"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["status"] == "scheduled")
        .map(|s| s["visit_id"].as_i64().unwrap())
        .collect();
    let (a, b) = (open[0], open[1]);

    let driver = start_chromedriver();
    let client = connect_sized(&driver, 1024, 768).await;
    wilayah_tests::browser::sign_in_as(
        &app,
        &client,
        &proxy.url,
        wilayah_shared::access::Role::Technician,
        Some(technician),
    )
    .await;
    open_day(
        &client,
        &proxy.url,
        technician,
        day["stops"].as_array().unwrap().len(),
    )
    .await;
    // The service worker has taken the page over and cached the shell.
    wait_for_js(
        &client,
        "the service worker in control",
        "return navigator.serviceWorker.controller !== null && navigator.serviceWorker.controller.state === 'activated'",
    )
    .await;

    proxy.cut();
    click_in_stop(&client, a, "to-en_route").await;
    wait_status(&client, a, "en_route").await;
    click_in_stop(&client, a, "to-on_site").await;
    wait_status(&client, a, "on_site").await;
    click_in_stop(&client, b, "to-missed").await;
    wait_status(&client, b, "missed").await;
    wait_pending(&client, 3, false).await;
    let queued = client
        .execute(
            "return localStorage.getItem(`wilayah.field.${localStorage.getItem('wilayah.field.user')}.queue`)",
            vec![],
        )
        .await
        .unwrap();
    assert!(queued.is_string(), "the queue is kept under the user's key");
    let all = ActionFilter {
        limit: 1000,
        ..ActionFilter::default()
    };
    assert!(
        app.state
            .store
            .system()
            .field_actions(&all)
            .await
            .unwrap()
            .is_empty()
    );

    // A reload with no connection: the service worker's copy of the page, the kept day.
    client.refresh().await.expect("reload offline");
    wait_status(&client, a, "on_site").await;
    wait_status(&client, b, "missed").await;
    wait_pending(&client, 3, false).await;
    wait_for_js(
        &client,
        "the route map drawn offline",
        "return document.querySelector('#tech-map[data-map-idle=true]') !== null",
    )
    .await;
    // Re-planning works on the device too: same stops, a notice that it was done here.
    let before = visit_ids_on_page(&client).await;
    client
        .find(Locator::Css("[data-testid=replan]"))
        .await
        .expect("re-plan button")
        .click()
        .await
        .expect("click");
    wait_for_js(
        &client,
        "the offline re-plan notice",
        "const n = document.querySelector('[data-testid=tech-notice]'); return n !== null && n.textContent.includes('this device')",
    )
    .await;
    let mut after = visit_ids_on_page(&client).await;
    let mut sorted = before.clone();
    sorted.sort_unstable();
    after.sort_unstable();
    assert_eq!(after, sorted, "the re-plan keeps every stop");
    screenshot(&client, "offline").await;

    // Back online: the retry timer sends the queue.
    proxy.restore();
    wait_answered(&client, 3).await;
    let recorded = app.state.store.system().field_actions(&all).await.unwrap();
    assert_eq!(recorded.len(), 3, "{recorded:?}");
    assert!(
        recorded
            .iter()
            .all(|r| r.result == "applied" && !r.replayed),
        "{recorded:?}"
    );
    let visits = visits_of(&app, technician).await;
    let version = |id: i64| {
        visits
            .iter()
            .find(|v| v.id == id)
            .map(|v| (v.status.clone(), v.version))
            .unwrap()
    };
    let (after_a, after_b) = (version(a), version(b));
    assert_eq!(after_a.0, "on_site");
    assert_eq!(after_b.0, "missed");

    // The device sends the same queue again: nothing changes.
    client
        .execute(
            "localStorage.setItem(`wilayah.field.${localStorage.getItem('wilayah.field.user')}.queue`, arguments[0])",
            vec![queued],
        )
        .await
        .expect("put the queue back");
    client
        .refresh()
        .await
        .expect("reload: the page sends the queue again");
    wait_answered(&client, 3).await;
    wait_status(&client, a, "on_site").await;
    assert_eq!(
        app.state
            .store
            .system()
            .field_actions(&all)
            .await
            .unwrap()
            .len(),
        3
    );
    let visits = visits_of(&app, technician).await;
    let again = |id: i64| {
        visits
            .iter()
            .find(|v| v.id == id)
            .map(|v| (v.status.clone(), v.version))
            .unwrap()
    };
    assert_eq!((again(a), again(b)), (after_a, after_b));
    let refused = client
        .execute(
            "return document.querySelectorAll('[data-testid=refused-item]').length",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(refused, json!(0), "replayed actions are not conflicts");
    client.close().await.ok();
}

/// Ends every session, as their expiry would.
async fn expire_sessions(app: &TestApp) {
    use sqlx::Connection;
    let sql = "UPDATE sessions SET expires_at = created_at";
    if TestDatabase::backend() == "postgres" {
        let mut conn = sqlx::PgConnection::connect(&app.db.url).await.unwrap();
        sqlx::raw_sql(sql).execute(&mut conn).await.unwrap();
    } else {
        let mut conn = sqlx::SqliteConnection::connect(&app.db.url).await.unwrap();
        sqlx::raw_sql(sql).execute(&mut conn).await.unwrap();
    }
}

async fn shown(client: &Client, test_id: &str) {
    wait_for_js(
        client,
        test_id,
        &format!("return document.querySelector('[data-testid={test_id}]') !== null"),
    )
    .await;
}

#[tokio::test]
async fn work_queued_past_the_session_end_waits_for_its_own_user() {
    site_is_built();
    let app = TestApp::start().await;
    let base = app.serve().await;
    let target: SocketAddr = base.trim_start_matches("http://").parse().unwrap();
    let proxy = Proxy::start(target).await;
    let (_, staff) = app.get_json("/api/v1/staff?role=technician").await;
    let staff_id = |i: usize| staff["items"][i]["id"].as_i64().unwrap();
    let (ana, budi) = (staff_id(0), staff_id(1));
    let day_of = |technician: i64| {
        let app = &app;
        async move {
            let (_, day) = app
                .get_json(&format!(
                    "/api/v1/field/day?technician_id={technician}&date={}",
                    today()
                ))
                .await;
            day
        }
    };
    let day = day_of(ana).await;
    let stops = day["stops"].as_array().unwrap().len();
    let open: Vec<i64> = day["stops"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["status"] == "scheduled")
        .map(|s| s["visit_id"].as_i64().unwrap())
        .collect();
    let ana_email = "ana.field@test.example";
    let budi_email = "budi.field@test.example";
    create_user(
        &app.state,
        ana_email,
        wilayah_shared::access::Role::Technician,
        Some(ana),
        vec![],
    )
    .await;
    create_user(
        &app.state,
        budi_email,
        wilayah_shared::access::Role::Technician,
        Some(budi),
        vec![],
    )
    .await;
    let all = ActionFilter {
        limit: 1000,
        ..ActionFilter::default()
    };
    let recorded = || async { app.state.store.system().field_actions(&all).await.unwrap() };

    let driver = start_chromedriver();
    let client = connect_sized(&driver, 1024, 768).await;
    client.goto(&format!("{}/login", proxy.url)).await.unwrap();
    sign_in(&client, ana_email, TEST_PASSWORD).await;
    wait_until_signed_in(&client).await;
    open_day(&client, &proxy.url, ana, stops).await;

    // Offline, two actions; meanwhile the session ends.
    proxy.cut();
    click_in_stop(&client, open[0], "to-en_route").await;
    wait_status(&client, open[0], "en_route").await;
    click_in_stop(&client, open[1], "to-missed").await;
    wait_status(&client, open[1], "missed").await;
    wait_pending(&client, 2, false).await;
    expire_sessions(&app).await;

    // Signing out now would lose them: the page asks first.
    client
        .find(Locator::Css("[data-testid=tech-sign-out]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    shown(&client, "unsent-warning").await;
    assert!(
        client
            .current_url()
            .await
            .unwrap()
            .path()
            .starts_with("/tech")
    );

    // Back online the server answers 401: the work stays queued and the page asks to sign in.
    proxy.restore();
    shown(&client, "session-ended").await;
    wait_pending(&client, 2, true).await;
    assert!(recorded().await.is_empty());
    screenshot(&client, "session-ended").await;

    // Another technician signs in on this tablet: they neither see nor send Ana's work.
    client.goto(&format!("{}/login", proxy.url)).await.unwrap();
    sign_in(&client, budi_email, TEST_PASSWORD).await;
    wait_until_signed_in(&client).await;
    let budi_stops = day_of(budi).await["stops"].as_array().unwrap().len();
    open_day(&client, &proxy.url, budi, budi_stops).await;
    wait_for_js(
        &client,
        "Budi's day synced",
        "const n = document.querySelector('[data-testid=net-status]'); return n !== null && n.dataset.syncing === 'false' && n.dataset.online === 'true'",
    )
    .await;
    wait_pending(&client, 0, true).await;
    let shown_ids = visit_ids_on_page(&client).await;
    assert!(
        !shown_ids.contains(&open[0]) && !shown_ids.contains(&open[1]),
        "{shown_ids:?}"
    );
    assert!(
        recorded().await.is_empty(),
        "Budi's session sent nothing of Ana's"
    );

    // Ana signs in again through the page's link (the login page brings her back): her work
    // arrives, once.
    client
        .goto(&format!(
            "{}{}",
            proxy.url,
            wilayah_app::tech::sign_in_link(Some(ana), &today())
        ))
        .await
        .unwrap();
    sign_in(&client, ana_email, TEST_PASSWORD).await;
    wait_until_signed_in(&client).await;
    wait_for_js(
        &client,
        "back on Ana's day",
        "return location.pathname === '/tech' && location.search.includes('technician=')",
    )
    .await;
    wait_answered(&client, 2).await;
    let arrived = recorded().await;
    assert_eq!(arrived.len(), 2, "{arrived:?}");
    assert!(arrived.iter().all(|r| r.result == "applied"), "{arrived:?}");
    client.refresh().await.unwrap();
    wait_status(&client, open[1], "missed").await;
    wait_pending(&client, 0, true).await;
    assert_eq!(recorded().await.len(), 2, "exactly once");
    client.close().await.ok();
}
