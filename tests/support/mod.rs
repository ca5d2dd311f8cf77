//! Shared test harness: a fresh real database per test (a temporary SQLite file by default, a
//! scratch PostgreSQL database when `DATABASE_URL` is a postgres URL) and the whole application
//! built in-process, either as a router (no port) or served on a free local port.

pub mod browser;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use serde_json::Value;
use sqlx::{Connection, Executor, PgConnection};
use tower::ServiceExt;
use wilayah_server::config::Config;
use wilayah_server::{AppState, http, prepare};

/// The project's root folder (tests run with the `tests/` crate as working directory).
pub fn project_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ has a parent")
        .to_path_buf()
}

static COUNTER: AtomicU32 = AtomicU32::new(0);

fn unique_name() -> String {
    format!(
        "wilayah_test_{}_{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    )
}

/// A database that exists for one test and is removed afterwards.
pub struct TestDatabase {
    pub url: String,
    cleanup: Cleanup,
}

enum Cleanup {
    SqliteFile(PathBuf),
    Postgres { admin_url: String, name: String },
}

impl TestDatabase {
    /// Which backend the suite runs against: `DATABASE_URL` if it names PostgreSQL, else SQLite.
    pub fn backend() -> &'static str {
        match std::env::var("DATABASE_URL") {
            Ok(url) if url.starts_with("postgres") => "postgres",
            _ => "sqlite",
        }
    }

    pub async fn create() -> TestDatabase {
        let name = unique_name();
        match std::env::var("DATABASE_URL") {
            Ok(admin_url) if admin_url.starts_with("postgres") => {
                let mut admin = PgConnection::connect(&admin_url)
                    .await
                    .unwrap_or_else(|e| panic!("DATABASE_URL={admin_url} is not reachable: {e}"));
                admin
                    .execute(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
                    .await
                    .expect("create test database");
                let url = match admin_url.rsplit_once('/') {
                    Some((server, _db)) => format!("{server}/{name}"),
                    None => panic!("DATABASE_URL must end in /<database>"),
                };
                TestDatabase {
                    url,
                    cleanup: Cleanup::Postgres { admin_url, name },
                }
            }
            _ => {
                let path = std::env::temp_dir().join(format!("{name}.db"));
                TestDatabase {
                    url: format!("sqlite://{}", path.display()),
                    cleanup: Cleanup::SqliteFile(path),
                }
            }
        }
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        match &self.cleanup {
            Cleanup::SqliteFile(path) => {
                for suffix in ["", "-wal", "-shm"] {
                    let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
                }
            }
            Cleanup::Postgres { admin_url, name } => {
                // Drop runs outside async; a short-lived runtime on its own thread does the work.
                let (admin_url, name) = (admin_url.clone(), name.clone());
                let _ = std::thread::spawn(move || {
                    let rt = tokio::runtime::Builder::new_current_thread()
                        .enable_all()
                        .build()
                        .ok()?;
                    rt.block_on(async {
                        let mut admin = PgConnection::connect(&admin_url).await.ok()?;
                        admin
                            .execute(sqlx::AssertSqlSafe(format!(
                                "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
                            )))
                            .await
                            .ok()
                    })
                })
                .join();
            }
        }
    }
}

/// The application on a fresh database, with demo data unless the config says otherwise.
pub struct TestApp {
    pub state: AppState,
    pub router: Router,
    pub db: TestDatabase,
}

impl TestApp {
    pub async fn start() -> TestApp {
        Self::start_with(|_| {}).await
    }

    pub async fn start_with(adjust: impl FnOnce(&mut Config)) -> TestApp {
        let db = TestDatabase::create().await;
        let mut config = Config::defaults();
        config.database_url = db.url.clone();
        config.site_root = project_root().join("target/site");
        adjust(&mut config);
        let state = prepare(&config)
            .await
            .unwrap_or_else(|e| panic!("the app did not start: {e}"));
        let router = http::router(state.clone());
        TestApp { state, router, db }
    }

    pub async fn request(&self, request: Request<Body>) -> (StatusCode, Vec<u8>) {
        let response = self
            .router
            .clone()
            .oneshot(request)
            .await
            .expect("the router is infallible");
        let status = response.status();
        let body = response
            .into_body()
            .collect()
            .await
            .expect("body reads")
            .to_bytes()
            .to_vec();
        (status, body)
    }

    pub async fn get(&self, uri: &str) -> (StatusCode, Vec<u8>) {
        self.request(Request::get(uri).body(Body::empty()).unwrap())
            .await
    }

    /// GET expecting a JSON body; panics with the body when it is not JSON.
    pub async fn get_json(&self, uri: &str) -> (StatusCode, Value) {
        let (status, body) = self.get(uri).await;
        let json = serde_json::from_slice(&body).unwrap_or_else(|e| {
            panic!(
                "{uri} answered {status} with non-JSON ({e}): {}",
                String::from_utf8_lossy(&body)
            )
        });
        (status, json)
    }

    /// Sends `body` as JSON with `method`; returns the status and the JSON answer (`null` when the
    /// answer has no body).
    pub async fn send_json(&self, method: &str, uri: &str, body: &Value) -> (StatusCode, Value) {
        let request = Request::builder()
            .method(method)
            .uri(uri)
            .header("content-type", "application/json")
            .body(Body::from(body.to_string()))
            .unwrap();
        self.request_json(request).await
    }

    /// Any request; the answer parsed as JSON (`null` for an empty body).
    pub async fn request_json(&self, request: Request<Body>) -> (StatusCode, Value) {
        let uri = request.uri().to_string();
        let (status, body) = self.request(request).await;
        if body.is_empty() {
            return (status, Value::Null);
        }
        let json = serde_json::from_slice(&body).unwrap_or_else(|e| {
            panic!(
                "{uri} answered {status} with non-JSON ({e}): {}",
                String::from_utf8_lossy(&body)
            )
        });
        (status, json)
    }

    /// Serves the app on a free port of 127.0.0.1 until the test ends; returns the base URL.
    pub async fn serve(&self) -> String {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind a free port");
        let addr = listener.local_addr().expect("local addr");
        let router = self.router.clone();
        tokio::spawn(async move { axum::serve(listener, router).await });
        format!("http://{addr}")
    }
}
