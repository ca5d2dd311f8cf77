//! End-to-end smoke test in a real browser: the server on a free port with a fresh database,
//! headless Debian Chromium driven through chromedriver. Checks that the page hydrated, that the
//! map finished drawing (MapLibre's `idle`) and that its account layers hold the seeded points.
//! Leaves a screenshot in target/screenshots/ for humans.

use std::time::{Duration, Instant};

use fantoccini::actions::{InputSource, MOUSE_BUTTON_LEFT, MouseActions, PointerAction};
use fantoccini::{Client, Locator};
use serde_json::json;
use wilayah_shared::LonLat;
use wilayah_shared::access::Role;
use wilayah_shared::domain::AccountKind;
use wilayah_shared::domain::MapAccount;
use wilayah_shared::spatial::haversine_m;
use wilayah_tests::browser::{WAIT, connect, sign_in, start_chromedriver, text_of, wait_for_js};
use wilayah_tests::{TEST_PASSWORD, TestApp, create_user, project_root};

/// A customer far enough from every other account that a click at its position can only hit it,
/// among those with some history; with the number of history lines its panel shows.
async fn isolated_account_with_history(app: &TestApp) -> (MapAccount, usize) {
    let all = app
        .state
        .store
        .system()
        .map_accounts(None)
        .await
        .expect("accounts");
    let position = |a: &MapAccount| LonLat::new(a.lon, a.lat).unwrap();
    let mut best: Option<(f64, MapAccount, usize)> = None;
    for a in all.iter().filter(|a| a.kind == AccountKind::Customer) {
        let gap = all
            .iter()
            .filter(|b| b.id != a.id)
            .map(|b| haversine_m(position(a), position(b)))
            .fold(f64::INFINITY, f64::min);
        if best.as_ref().is_some_and(|(g, _, _)| *g >= gap) {
            continue;
        }
        let history = app
            .state
            .store
            .system()
            .account_panel(a.id)
            .await
            .expect("panel")
            .history
            .len();
        if history > 0 {
            best = Some((gap, a.clone(), history));
        }
    }
    let (gap, account, history) = best.expect("a customer with history");
    assert!(
        gap > 150.0,
        "the most isolated customer is only {gap:.0} m from another account"
    );
    (account, history)
}

#[tokio::test]
async fn home_page_hydrates_and_draws_the_seeded_accounts_on_the_map() {
    let site = project_root().join("target/site");
    assert!(
        site.join("pkg/wilayah.wasm").exists() && site.join("vendor/maplibre-gl.js").exists(),
        "the site is not built: run scripts/build.sh --site-only (scripts/test.sh does) before this test"
    );
    let app = TestApp::start().await;
    create_user(
        &app.state,
        "manager@test.example",
        Role::Manager,
        None,
        vec![],
    )
    .await;
    let base = app.serve().await;
    let driver = start_chromedriver();
    let client = connect(&driver).await;

    // 0. Not signed in: the home page sends the browser to the login page; a wrong password
    // comes back with a message, the right one leads to the map.
    client.goto(&base).await.expect("open the home page");
    assert!(
        client.current_url().await.unwrap().path() == "/login",
        "an anonymous visitor is sent to /login"
    );
    sign_in(&client, "manager@test.example", "not the password").await;
    wait_for_js(
        &client,
        "the login error",
        "return document.querySelector('[data-testid=login-error]') !== null",
    )
    .await;
    sign_in(&client, "manager@test.example", TEST_PASSWORD).await;
    wait_for_js(
        &client,
        "the map page after signing in",
        "return document.querySelector('[data-testid=tagline]') !== null",
    )
    .await;
    // Collect script errors and Content-Security-Policy violations from here on, so a failure
    // can say what broke.
    client
        .execute("window.__wilayahErrors = []; window.addEventListener('error', e => window.__wilayahErrors.push(String(e.message))); const log = console.error; console.error = (...a) => { window.__wilayahErrors.push(a.map(String).join(' ')); log(...a); }; document.addEventListener('securitypolicyviolation', e => window.__wilayahErrors.push('CSP: ' + e.violatedDirective + ' ' + e.blockedURI));", vec![])
        .await
        .expect("install error hook");

    // 1. Hydration: the language switch only works once the wasm has taken over the page.
    assert_eq!(
        tagline(&client).await,
        "Customers and territories at a glance"
    );
    let started = Instant::now();
    loop {
        client
            .find(Locator::Css("[data-testid='lang-switch']"))
            .await
            .expect("switch")
            .click()
            .await
            .expect("click");
        tokio::time::sleep(Duration::from_millis(300)).await;
        if tagline(&client).await == "Pelanggan dan wilayah dalam satu peta" {
            break;
        }
        // Before hydration a click does nothing; try again until the wasm is running.
        assert!(
            started.elapsed() < WAIT,
            "the page never hydrated: the language switch had no effect"
        );
    }
    assert_eq!(text_of(&client, "lang-switch").await, "English");

    // 2. The map drew everything it had to: MapLibre's `idle` event fired.
    wait_for_js(
        &client,
        "the map's idle event",
        "return document.querySelector('#map[data-map-idle=true]') !== null",
    )
    .await;

    // 3. The account layers stand for exactly the seeded accounts (clustered by the server at
    // this zoom: fewer features than accounts), and some are on screen.
    let counts = client
        .execute_async(
            "const done = arguments[arguments.length - 1];
             const map = window.wilayahMap;
             const accounts = d => d.features.reduce((n, f) => n + (f.properties.point_count || 1), 0);
             Promise.all(['customers', 'prospects'].map(id => map.getSource(id).getData()))
               .then(([c, p]) => done([accounts(c), accounts(p), c.features.length + p.features.length]))
               .catch(e => done(String(e)));",
            vec![],
        )
        .await
        .expect("read the map sources");
    let features = counts[2].as_u64().expect("a feature count");
    let counts = json!([counts[0], counts[1]]);
    let summary = app
        .state
        .store
        .system()
        .map_accounts(None)
        .await
        .expect("accounts");
    let seeded = |kind| summary.iter().filter(|a| a.kind == kind).count();
    assert_eq!(
        counts,
        json!([seeded(AccountKind::Customer), seeded(AccountKind::Prospect)]),
        "map sources vs database"
    );
    assert!(
        features < summary.len() as u64,
        "{features} features for {} accounts: the server clusters them",
        summary.len()
    );
    let rendered = client
        .execute(
            "return window.wilayahMap.queryRenderedFeatures({layers: ['customers-clusters', 'customers-points', 'prospects-clusters', 'prospects-points']}).length",
            vec![],
        )
        .await
        .expect("query rendered features");
    assert!(
        rendered.as_u64().unwrap_or(0) > 0,
        "no account drawn on the map: {rendered}"
    );

    std::fs::create_dir_all(project_root().join("target/screenshots")).expect("screenshot folder");
    let png = client.screenshot().await.expect("screenshot");
    std::fs::write(project_root().join("target/screenshots/home.png"), png)
        .expect("write screenshot");

    // 4. Territories and today's visits are drawn from the database.
    let overlays = client
        .execute_async(
            "const done = arguments[arguments.length - 1];
             const map = window.wilayahMap;
             Promise.all(['territories', 'visits'].map(id => map.getSource(id).getData()))
               .then(([t, v]) => done([t.features.length, v.features.length]))
               .catch(e => done(String(e)));",
            vec![],
        )
        .await
        .expect("read the overlay sources");
    let today = (app.state.today)();
    let visits_today = app
        .state
        .store
        .system()
        .map_visits(&today)
        .await
        .expect("visits")
        .len();
    let summary = app
        .state
        .store
        .system()
        .dashboard_summary(&today)
        .await
        .expect("summary");
    assert_eq!(
        overlays,
        json!([summary.territories, visits_today]),
        "territories and visits on the map"
    );

    // 5. Clicking an account on the map opens its panel with its whole history.
    let (account, history_len) = isolated_account_with_history(&app).await;
    client
        .execute(
            "document.getElementById('map').removeAttribute('data-map-idle');
             window.wilayahMap.jumpTo({center: [arguments[0], arguments[1]], zoom: 15});",
            vec![json!(account.lon), json!(account.lat)],
        )
        .await
        .expect("zoom to the account");
    wait_for_js(
        &client,
        "the map's idle event after zooming",
        "return document.querySelector('#map[data-map-idle=true]') !== null",
    )
    .await;
    let at = client
        .execute(
            "const map = window.wilayahMap;
             const rect = map.getCanvas().getBoundingClientRect();
             const p = map.project([arguments[0], arguments[1]]);
             return [rect.left + p.x, rect.top + p.y];",
            vec![json!(account.lon), json!(account.lat)],
        )
        .await
        .expect("project the account");
    let (x, y) = (at[0].as_f64().unwrap(), at[1].as_f64().unwrap());
    let click = MouseActions::new("mouse".into())
        .then(PointerAction::MoveTo {
            duration: None,
            x,
            y,
        })
        .then(PointerAction::Down {
            button: MOUSE_BUTTON_LEFT,
        })
        .then(PointerAction::Up {
            button: MOUSE_BUTTON_LEFT,
        });
    client
        .perform_actions(click)
        .await
        .expect("click the account");
    let name = wait_for_js(
        &client,
        "the customer panel",
        "const h = document.querySelector('[data-testid=panel-name]'); return h && h.textContent;",
    )
    .await;
    assert_eq!(
        name,
        json!(account.name),
        "the panel shows the clicked account"
    );
    let entries = client
        .find_all(Locator::Css("[data-testid=history-entry]"))
        .await
        .expect("history entries");
    assert_eq!(
        entries.len(),
        history_len,
        "the panel lists the account's whole (recent) history"
    );

    // 6. The panel finds the nearest prospects: the index's answer, listed and drawn on the map.
    client
        .find(Locator::Css("[data-testid='find-nearby']"))
        .await
        .expect("nearby button")
        .click()
        .await
        .expect("click");
    wait_for_js(
        &client,
        "ten nearby prospects",
        "return document.querySelectorAll('[data-testid=nearby-item]').length === 10",
    )
    .await;
    let listed = client
        .execute(
            "return [...document.querySelectorAll('[data-testid=nearby-item]')].map(li => [Number(li.dataset.id), Number(li.dataset.distance)]);",
            vec![],
        )
        .await
        .expect("read the list");
    let centre = LonLat::new(account.lon, account.lat).unwrap();
    let mut prospects: Vec<(f64, i64)> = app
        .state
        .store
        .system()
        .map_accounts(Some(AccountKind::Prospect))
        .await
        .expect("prospects")
        .iter()
        .filter(|p| p.id != account.id)
        .map(|p| {
            (
                haversine_m(centre, LonLat::new(p.lon, p.lat).unwrap()),
                p.id,
            )
        })
        .collect();
    prospects.sort_by(|a, b| a.partial_cmp(b).unwrap());
    let listed: Vec<(i64, f64)> = listed
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p[0].as_i64().unwrap(), p[1].as_f64().unwrap()))
        .collect();
    assert_eq!(
        listed.iter().map(|p| p.0).collect::<Vec<_>>(),
        prospects[..10].iter().map(|p| p.1).collect::<Vec<_>>()
    );
    for ((_, shown), (expected, _)) in listed.iter().zip(&prospects) {
        assert!(
            (shown - expected).abs() < 0.5,
            "distance {shown} vs {expected}"
        );
    }
    let highlighted = client
        .execute_async(
            "const done = arguments[arguments.length - 1];
             window.wilayahMap.getSource('nearby').getData().then(d => done(d.features.length)).catch(e => done(String(e)));",
            vec![],
        )
        .await
        .expect("read the highlighted prospects");
    assert_eq!(
        highlighted,
        json!(10),
        "the ten prospects are highlighted on the map"
    );
    let png = client.screenshot().await.expect("screenshot");
    std::fs::write(
        project_root().join("target/screenshots/customer-panel.png"),
        png,
    )
    .expect("write screenshot");
    client
        .find(Locator::Css("[data-testid='panel-close']"))
        .await
        .expect("close")
        .click()
        .await
        .expect("click");
    wait_for_js(
        &client,
        "the panel to close",
        "return document.querySelector('[data-testid=customer-panel]') === null",
    )
    .await;

    // 7. A layer toggle (in the sidebar's legend tab) hides the prospects on the map.
    client
        .find(Locator::Css("[data-testid='tab-legend']"))
        .await
        .expect("legend tab")
        .click()
        .await
        .expect("click");
    client
        .find(Locator::Css("[data-testid='toggle-prospect']"))
        .await
        .expect("toggle")
        .click()
        .await
        .expect("click");
    wait_for_js(
        &client,
        "prospects hidden",
        "return window.wilayahMap.getLayoutProperty('prospects-points', 'visibility') === 'none'",
    )
    .await;
    assert_eq!(
        client
            .execute(
                "return window.wilayahMap.getLayoutProperty('customers-points', 'visibility')",
                vec![]
            )
            .await
            .unwrap(),
        json!("visible")
    );

    let errors = client
        .execute("return window.__wilayahErrors", vec![])
        .await
        .unwrap();
    assert_eq!(errors, json!([]), "the page raised script errors");
    // 8. Signing out (in the user menu) ends the session: back to the login page, and the map
    // stays closed.
    client
        .find(Locator::Css("[data-testid='user-menu'] summary"))
        .await
        .expect("the user menu")
        .click()
        .await
        .expect("open the user menu");
    client
        .find(Locator::Css("[data-testid='logout']"))
        .await
        .expect("sign-out button")
        .click()
        .await
        .expect("click");
    wait_for_js(
        &client,
        "the login page after signing out",
        "return document.querySelector('[data-testid=login-form]') !== null",
    )
    .await;
    client.goto(&base).await.expect("open the home page again");
    assert_eq!(client.current_url().await.unwrap().path(), "/login");
    client.close().await.expect("close the browser");
}

#[tokio::test]
async fn an_admin_adds_a_user_on_the_admin_page() {
    let app = TestApp::start().await;
    create_user(&app.state, "root@test.example", Role::Admin, None, vec![]).await;
    let base = app.serve().await;
    let driver = start_chromedriver();
    let client = connect(&driver).await;
    client.goto(&base).await.expect("open the app");
    sign_in(&client, "root@test.example", TEST_PASSWORD).await;
    wait_for_js(
        &client,
        "the map page after signing in",
        "return document.querySelector('[data-testid=tagline]') !== null",
    )
    .await;
    client
        .goto(&format!("{base}/admin"))
        .await
        .expect("open the admin page");
    let before = wait_for_js(
        &client,
        "the users table",
        "const n = document.querySelectorAll('[data-testid=admin-user]').length; return n > 0 && n",
    )
    .await;
    // The form only submits through the server function once the page has hydrated.
    let started = Instant::now();
    loop {
        client
            .execute(
                "const f = document.querySelector('.admin-page [name=email]').form;
                 f.querySelector('[name=email]').value = 'planner@test.example';
                 f.querySelector('[name=password]').value = 'long enough password';
                 f.querySelector('[name=role]').value = 'planner';
                 f.querySelector('button').click();",
                vec![],
            )
            .await
            .expect("submit the form");
        tokio::time::sleep(Duration::from_millis(500)).await;
        let added = client
            .execute(
                "return document.querySelectorAll('[data-testid=admin-user]').length",
                vec![],
            )
            .await
            .unwrap();
        if added.as_u64() > before.as_u64() {
            break;
        }
        assert!(started.elapsed() < WAIT, "the new user never appeared");
    }
    let users = wilayah_server::db::AuthStore::list_users(app.state.store.system().as_ref())
        .await
        .unwrap();
    assert!(users.iter().any(|u| u.email == "planner@test.example"));
    client.close().await.expect("close the browser");
}

/// The page title of the top bar (hidden beside the navigation, so read as text content).
async fn tagline(client: &Client) -> String {
    client
        .execute(
            "return document.querySelector('[data-testid=tagline]').textContent",
            vec![],
        )
        .await
        .expect("the tagline")
        .as_str()
        .unwrap_or_default()
        .to_owned()
}
