//! Browser plumbing for end-to-end tests: chromedriver as a child process, a headless Debian
//! Chromium session with a fresh profile, and small waiting helpers.

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{Value, json};

pub const WAIT: Duration = Duration::from_secs(60);

/// chromedriver as a child process, killed when the test ends.
pub struct Chromedriver {
    child: Child,
    pub url: String,
}

impl Drop for Chromedriver {
    fn drop(&mut self) {
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
            let errors = client
                .execute("return window.__wilayahErrors || []", vec![])
                .await
                .unwrap_or(Value::Null);
            panic!("timed out after {WAIT:?} waiting for {what}; page errors: {errors}");
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
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
