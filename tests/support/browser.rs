//! Browser plumbing for end-to-end tests: chromedriver as a child process, a headless Debian
//! Chromium session with a fresh profile, and small waiting helpers.

use std::net::TcpListener;
use std::os::unix::process::CommandExt;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{Value, json};

pub const WAIT: Duration = Duration::from_secs(60);

/// chromedriver as a child process in a process group of its own, killed with every Chromium it
/// started when the test ends (killing chromedriver alone leaves its browsers running: over a
/// test suite they filled the machine's memory).
pub struct Chromedriver {
    child: Child,
    pub url: String,
}

impl Drop for Chromedriver {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .args(["-KILL", "--", &format!("-{}", self.child.id())])
            .stderr(Stdio::null())
            .status();
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

pub fn start_chromedriver() -> Chromedriver {
    let binary = std::env::var("CHROMEDRIVER").unwrap_or_else(|_| "chromedriver".into());
    let port = free_port();
    let child = Command::new(&binary)
        .arg(format!("--port={port}"))
        .process_group(0)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| {
            panic!("cannot start {binary}: {e}. Install Debian's chromium and chromium-driver (scripts/test.sh does).")
        });
    Chromedriver {
        child,
        url: format!("http://127.0.0.1:{port}"),
    }
}

/// A Chromium session at the desktop size the screenshots use.
pub async fn connect(driver: &Chromedriver) -> Client {
    connect_sized(driver, 1280, 800).await
}

/// A Chromium session with a window of `width`×`height` CSS pixels and a profile of its own.
pub async fn connect_sized(driver: &Chromedriver, width: u32, height: u32) -> Client {
    static PROFILES: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let profile = std::env::temp_dir().join(format!(
        "wilayah-chromium-{}-{}",
        std::process::id(),
        PROFILES.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
    ));
    let capabilities = json!({
        "browserName": "chrome",
        "goog:chromeOptions": {
            "binary": std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into()),
            "args": [
                "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                format!("--window-size={width},{height}"), format!("--user-data-dir={}", profile.display()),
            ],
        },
    });
    let capabilities = match capabilities {
        Value::Object(map) => map,
        _ => unreachable!(),
    };
    let started = Instant::now();
    loop {
        let connector = hyper_util::client::legacy::connect::HttpConnector::new();
        match ClientBuilder::new(connector)
            .capabilities(capabilities.clone())
            .connect(&driver.url)
            .await
        {
            Ok(client) => return client,
            Err(e) if started.elapsed() < Duration::from_secs(20) => {
                let _ = e;
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
            Err(e) => panic!(
                "could not open a Chromium session through chromedriver at {}: {e}",
                driver.url
            ),
        }
    }
}

/// Polls a JavaScript expression until it returns something other than null/false.
pub async fn wait_for_js(client: &Client, what: &str, script: &str) -> Value {
    let started = Instant::now();
    loop {
        let value = client.execute(script, vec![]).await.unwrap_or(Value::Null);
        if !matches!(value, Value::Null | Value::Bool(false)) {
            return value;
        }
        if started.elapsed() > WAIT {
            let state = client
                .execute(
                    "return {errors: window.__wilayahErrors || [], url: location.href,
                             shown: [...document.querySelectorAll('.error, .field-error, [role=alert]')]
                                 .map(e => e.textContent.trim()).filter(t => t),
                             ready: document.readyState, html: document.documentElement.outerHTML.length,
                             tail: document.documentElement.outerHTML.slice(-300)}",
                    vec![],
                )
                .await
                .unwrap_or(Value::Null);
            // What the user would have seen, for whoever reads the failure.
            let name: String = what
                .chars()
                .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
                .collect();
            if let Ok(png) = client.screenshot().await {
                let dir = crate::project_root().join("target/screenshots");
                let _ = std::fs::create_dir_all(&dir);
                let _ = std::fs::write(dir.join(format!("timed-out-{name}.png")), png);
            }
            panic!("timed out after {WAIT:?} waiting for {what}; the page: {state}");
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

/// Waits until an element with `data-testid="{test_id}"` is on the page.
pub async fn wait_for_test_id(client: &Client, what: &str, test_id: &str) {
    wait_for_js(
        client,
        what,
        &format!("return document.querySelector(\"[data-testid='{test_id}']\") !== null"),
    )
    .await;
}

/// Waits until the element with `data-testid="{test_id}"` reads `expected` (trimmed).
pub async fn wait_for_text(client: &Client, what: &str, test_id: &str, expected: &str) {
    wait_for_js(
        client,
        what,
        &format!(
            "const e = document.querySelector('[data-testid={test_id}]');
             return e !== null && e.textContent.trim() === {};",
            json!(expected)
        ),
    )
    .await;
}

/// Replaces the text of the input with `data-testid="{test_id}"` as a user would: select-all
/// and delete, which fires `input` (WebDriver's `clear` does not, so a page bound to `input`
/// would keep the old value and put it back).
pub async fn type_into(client: &Client, test_id: &str, text: &str) {
    let field = client
        .find(Locator::Css(&format!("[data-testid='{test_id}']")))
        .await
        .unwrap_or_else(|e| panic!("field {test_id} missing: {e}"));
    field
        .send_keys("\u{E009}a\u{E009}\u{E017}")
        .await
        .expect("empty the field");
    if !text.is_empty() {
        field.send_keys(text).await.expect("type");
    }
}

/// The text of the element with `data-testid="{test_id}"`.
pub async fn text_of(client: &Client, test_id: &str) -> String {
    client
        .find(Locator::Css(&format!("[data-testid='{test_id}']")))
        .await
        .unwrap_or_else(|e| panic!("element {test_id} missing: {e}"))
        .text()
        .await
        .expect("text")
}

/// Clicks the element with `data-testid="{test_id}"`.
pub async fn click_test_id(client: &Client, test_id: &str) {
    client
        .find(Locator::Css(&format!("[data-testid='{test_id}']")))
        .await
        .unwrap_or_else(|e| panic!("element {test_id} missing: {e}"))
        .click()
        .await
        .unwrap_or_else(|e| panic!("click {test_id}: {e}"));
}

/// Forgets that the map was idle; call before a change, then [`wait_for_map_idle`].
pub async fn forget_map_idle(client: &Client) {
    client
        .execute(
            "const m = document.querySelector('#map'); if (m) m.removeAttribute('data-map-idle');",
            vec![],
        )
        .await
        .expect("reset the idle marker");
}

/// Waits for MapLibre's `idle` event (the map has loaded and drawn everything it was asked to).
pub async fn wait_for_map_idle(client: &Client) {
    wait_for_js(
        client,
        "the map's idle event",
        "return document.querySelector('#map[data-map-idle=true]') !== null",
    )
    .await;
}

/// Saves a screenshot as `target/screenshots/{name}.png` for humans to look at.
pub async fn save_screenshot(client: &Client, name: &str) {
    let png = client.screenshot().await.expect("screenshot");
    let dir = crate::project_root().join("target/screenshots");
    std::fs::create_dir_all(&dir).expect("screenshot folder");
    std::fs::write(dir.join(format!("{name}.png")), png).expect("write screenshot");
}

/// A real pointer click at page coordinates (CSS pixels).
pub async fn click_at(client: &Client, x: f64, y: f64) {
    use fantoccini::actions::{InputSource, MOUSE_BUTTON_LEFT, MouseActions, PointerAction};
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
    client.perform_actions(click).await.expect("pointer click");
}

/// Presses at `from`, moves to `to` in small steps and releases (a drag, as a hand does it).
pub async fn drag(client: &Client, from: (f64, f64), to: (f64, f64)) {
    use fantoccini::actions::{InputSource, MOUSE_BUTTON_LEFT, MouseActions, PointerAction};
    let mut actions = MouseActions::new("mouse".into())
        .then(PointerAction::MoveTo {
            duration: None,
            x: from.0,
            y: from.1,
        })
        .then(PointerAction::Down {
            button: MOUSE_BUTTON_LEFT,
        });
    for step in 1..=10 {
        let t = f64::from(step) / 10.0;
        actions = actions.then(PointerAction::MoveTo {
            duration: Some(Duration::from_millis(40)),
            x: from.0 + (to.0 - from.0) * t,
            y: from.1 + (to.1 - from.1) * t,
        });
    }
    actions = actions.then(PointerAction::Up {
        button: MOUSE_BUTTON_LEFT,
    });
    client.perform_actions(actions).await.expect("drag");
}

/// Page coordinates of a position on the dashboard's map (`window.wilayahMap`).
pub async fn map_pixel(client: &Client, lon: f64, lat: f64) -> (f64, f64) {
    pixel_on(client, "wilayahMap", lon, lat).await
}

/// Page coordinates of a position on the map the page keeps in `window[map]`.
pub async fn pixel_on(client: &Client, map: &str, lon: f64, lat: f64) -> (f64, f64) {
    let at = client
        .execute(
            "const map = window[arguments[0]];
             const rect = map.getCanvas().getBoundingClientRect();
             const p = map.project([arguments[1], arguments[2]]);
             return [rect.left + p.x, rect.top + p.y];",
            vec![json!(map), json!(lon), json!(lat)],
        )
        .await
        .expect("project a position");
    (at[0].as_f64().unwrap(), at[1].as_f64().unwrap())
}

/// Picks `value` in the `<select>` with `data-testid="{test_id}"`, as a user would.
pub async fn select_value(client: &Client, test_id: &str, value: &str) {
    client
        .find(Locator::Css(&format!("[data-testid='{test_id}']")))
        .await
        .unwrap_or_else(|e| panic!("select {test_id} missing: {e}"))
        .select_by_value(value)
        .await
        .unwrap_or_else(|e| panic!("pick {value} in {test_id}: {e}"));
}

/// Number of features a GeoJSON source of the map holds.
pub async fn source_feature_count(client: &Client, source: &str) -> i64 {
    count_in_source(client, source, "d.features.length").await
}

/// Number of accounts an account source of the map stands for: its single accounts plus the
/// accounts in its clusters (the server clusters them).
pub async fn source_account_count(client: &Client, source: &str) -> i64 {
    count_in_source(
        client,
        source,
        "d.features.reduce((n, f) => n + (f.properties.point_count || 1), 0)",
    )
    .await
}

/// A number computed by `expression` from the data `d` of a map source.
async fn count_in_source(client: &Client, source: &str, expression: &str) -> i64 {
    let script = format!(
        "const done = arguments[arguments.length - 1];
         window.wilayahMap.getSource(arguments[0]).getData()
           .then(d => done({expression})).catch(e => done(String(e)));"
    );
    let count = client
        .execute_async(&script, vec![json!(source)])
        .await
        .expect("read a map source");
    count
        .as_i64()
        .unwrap_or_else(|| panic!("source {source}: {count}"))
}

/// Fills the login form and submits it.
pub async fn sign_in(client: &Client, email: &str, password: &str) {
    wait_for_js(
        client,
        "the login form",
        "return document.querySelector('[data-testid=login-form]') !== null",
    )
    .await;
    let field = |id: &'static str| client.find(Locator::Css(id));
    field("[data-testid='login-email']")
        .await
        .expect("e-mail field")
        .send_keys(email)
        .await
        .expect("type the e-mail");
    field("[data-testid='login-password']")
        .await
        .expect("password field")
        .send_keys(password)
        .await
        .expect("type the password");
    field("[data-testid='login-submit']")
        .await
        .expect("sign-in button")
        .click()
        .await
        .expect("submit");
}

/// Creates a user of `role` (linked to staff member `staff_id`) and signs the browser in through
/// the login page at `base`; returns once the page after sign-in is there.
pub async fn sign_in_as(
    app: &crate::TestApp,
    client: &Client,
    base: &str,
    role: wilayah_shared::access::Role,
    staff_id: Option<i64>,
) {
    static USERS: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let email = format!(
        "browser-{role}-{}@test.example",
        USERS.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
    );
    crate::create_user(&app.state, &email, role, staff_id, vec![]).await;
    client
        .goto(&format!("{base}/login"))
        .await
        .expect("open the login page");
    sign_in(client, &email, crate::TEST_PASSWORD).await;
    wait_until_signed_in(client).await;
}

/// Waits for the page the sign-in form leads to, so that a `goto` right after it is not
/// overtaken by the form's redirect still on its way.
pub async fn wait_until_signed_in(client: &Client) {
    wait_for_js(
        client,
        "the page after signing in",
        "return location.pathname !== '/login' && document.querySelector('[data-testid=login-form]') === null",
    )
    .await;
}

/// Waits until `check` holds for what the API answers at `uri`.
pub async fn until_api(
    app: &crate::TestApp,
    what: &str,
    uri: &str,
    check: impl Fn(&Value) -> bool,
) -> Value {
    let started = Instant::now();
    loop {
        let (_, answer) = app.get_json(uri).await;
        if check(&answer) {
            return answer;
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "{what}: {uri} still answers {answer}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// [`wait_for_test_id`] naming the wait by the test id itself.
pub async fn wait_testid(client: &Client, test_id: &str) {
    wait_for_test_id(client, test_id, test_id).await;
}
