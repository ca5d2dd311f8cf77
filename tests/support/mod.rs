//! Shared test harness: a fresh real database per test (a temporary SQLite file by default, a
//! scratch PostgreSQL database when `DATABASE_URL` is a postgres URL) and the whole application
//! built in-process, either as a router (no port) or served on a free local port.

pub mod analytics;
pub mod browser;
pub mod planning;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderValue, Request, StatusCode, header};
use http_body_util::BodyExt;
use serde_json::Value;
use sqlx::{Connection, Executor, PgConnection};
use tower::ServiceExt;
use wilayah_server::config::Config;
use wilayah_server::db::{NewUser, UserRecord};
use wilayah_server::{AppState, http, prepare};
use wilayah_shared::access::Role;

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
///
/// Requests through it (`app.get`, `app.send_json`, `app.request`, `app.router`) act as an
/// admin: an admin user and an API token are created at start and the token goes on every
/// request that brings no credentials of its own. [`TestApp::as_user`] gives a client acting as
/// another role; [`TestApp::anonymous`] one with no credentials; [`TestApp::serve`] serves the
/// plain application (browsers sign in through the login page).
pub struct TestApp {
    pub state: AppState,
    /// The application, acting as the admin when a request has no credentials.
    pub router: Router,
    /// The application without the admin default.
    pub plain_router: Router,
    pub db: TestDatabase,
    pub admin_token: String,
    client: Client,
}

impl std::ops::Deref for TestApp {
    type Target = Client;
    fn deref(&self) -> &Client {
        &self.client
    }
}

/// Password of every user the harness creates.
pub const TEST_PASSWORD: &str = "test password 123";

/// Longer than any timeout of the server itself (60 s for a request, 60 s between two parts
/// of a streamed answer).
const ANSWER_WITHIN: std::time::Duration = std::time::Duration::from_secs(150);

/// Sends requests to the application in-process with one set of credentials.
#[derive(Clone)]
pub struct Client {
    pub router: Router,
    /// `Authorization` header value (`Bearer …`).
    pub authorization: Option<String>,
    /// `Cookie` header value, e.g. a session from [`TestApp::login`].
    pub cookie: Option<String>,
    /// Sent as `X-CSRF-Token` on writes.
    pub csrf_token: Option<String>,
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
        let plain_router = http::router(state.clone());
        let admin = create_user(&state, "admin@test.example", Role::Admin, None, vec![]).await;
        let admin_token = api_token(&state, admin.id).await;
        let router = acting_as_admin(&plain_router, &admin_token);
        let client = Client {
            router: router.clone(),
            authorization: None,
            cookie: None,
            csrf_token: None,
        };
        TestApp {
            state,
            router,
            plain_router,
            db,
            admin_token,
            client,
        }
    }

    /// A client acting as a new user of `role` (linked to staff member `staff_id`, a manager
    /// limited to `region`), through an API token.
    pub async fn as_user(&self, role: Role, staff_id: Option<i64>, region: Vec<i64>) -> Client {
        static USERS: AtomicU32 = AtomicU32::new(0);
        let email = format!(
            "{}-{}@test.example",
            role,
            USERS.fetch_add(1, Ordering::Relaxed)
        );
        let user = create_user(&self.state, &email, role, staff_id, region).await;
        let token = api_token(&self.state, user.id).await;
        Client {
            authorization: Some(format!("Bearer {token}")),
            ..self.anonymous()
        }
    }

    /// A client with no credentials.
    pub fn anonymous(&self) -> Client {
        Client {
            router: self.plain_router.clone(),
            authorization: None,
            cookie: None,
            csrf_token: None,
        }
    }

    /// Signs in through `POST /api/v1/auth/login`: a client with the session cookie and the
    /// CSRF token the answer gave.
    pub async fn login(&self, email: &str, password: &str) -> Client {
        let anonymous = self.anonymous();
        let request = Request::post("/api/v1/auth/login")
            .header("content-type", "application/json")
            .body(Body::from(
                serde_json::json!({"email": email, "password": password}).to_string(),
            ))
            .unwrap();
        let response = anonymous.router.clone().oneshot(request).await.unwrap();
        assert_eq!(response.status(), StatusCode::OK, "login as {email}");
        let cookie = response
            .headers()
            .get_all(header::SET_COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok()?.split(';').next().map(str::to_owned))
            .collect::<Vec<_>>()
            .join("; ");
        let body = response.into_body().collect().await.unwrap().to_bytes();
        let body: Value = serde_json::from_slice(&body).unwrap();
        Client {
            cookie: Some(cookie),
            csrf_token: body["csrf_token"].as_str().map(str::to_owned),
            ..anonymous
        }
    }
}

/// `plain_router` with `admin_token` on every request that brings no credentials of its own.
fn acting_as_admin(plain_router: &Router, admin_token: &str) -> Router {
    let bearer = HeaderValue::from_str(&format!("Bearer {admin_token}")).unwrap();
    plain_router.clone().layer(axum::middleware::map_request(
        move |mut request: Request<Body>| {
            let bearer = bearer.clone();
            async move {
                let headers = request.headers_mut();
                let has_session = headers
                    .get(header::COOKIE)
                    .and_then(|v| v.to_str().ok())
                    .is_some_and(|c| c.contains("wilayah_session="));
                if !headers.contains_key(header::AUTHORIZATION) && !has_session {
                    headers.insert(header::AUTHORIZATION, bearer);
                }
                request
            }
        },
    ))
}

/// A second server process on a [`TestApp`]'s database (docs/replicas.md): its own pool,
/// spatial index, caches and change-log follower. Requests act as the same admin.
pub struct Replica {
    pub state: AppState,
    pub plain_router: Router,
    client: Client,
}

impl std::ops::Deref for Replica {
    type Target = Client;
    fn deref(&self) -> &Client {
        &self.client
    }
}

impl Replica {
    /// A client with no credentials.
    pub fn anonymous(&self) -> Client {
        Client {
            router: self.plain_router.clone(),
            authorization: None,
            cookie: None,
            csrf_token: None,
        }
    }
}

impl TestApp {
    /// Starts another server on this app's database, as a second replica would.
    pub async fn replica(&self) -> Replica {
        let mut config = Config::defaults();
        config.database_url = self.db.url.clone();
        config.site_root = project_root().join("target/site");
        config.no_demo = true;
        let state = prepare(&config)
            .await
            .unwrap_or_else(|e| panic!("the replica did not start: {e}"));
        let plain_router = http::router(state.clone());
        let router = acting_as_admin(&plain_router, &self.admin_token);
        Replica {
            state,
            plain_router,
            client: Client {
                router,
                authorization: None,
                cookie: None,
                csrf_token: None,
            },
        }
    }
}

/// POSTs `body` to `uri` as `client` and returns the record, which must have been created.
pub async fn created(client: &Client, uri: &str, body: Value) -> Value {
    let (status, answer) = client.send_json("POST", uri, &body).await;
    assert_eq!(status, StatusCode::CREATED, "POST {uri} {body} -> {answer}");
    answer
}

/// The `id` of a record the API answered.
pub fn id(record: &Value) -> i64 {
    record["id"].as_i64().expect("an id")
}

/// A staff member of `role` (e-mail `{role}{n}@{domain}`) and a user acting as them.
pub async fn staff_user(app: &TestApp, role: Role, n: u32, domain: &str) -> (i64, Client) {
    let staff = created(
        app,
        "/api/v1/staff",
        serde_json::json!({"name": format!("{role} {n}"), "email": format!("{role}{n}@{domain}"), "role": role.as_str()}),
    )
    .await;
    let client = app.as_user(role, Some(id(&staff)), vec![]).await;
    (id(&staff), client)
}

/// A user with [`TEST_PASSWORD`], written straight to the store.
pub async fn create_user(
    state: &AppState,
    email: &str,
    role: Role,
    staff_id: Option<i64>,
    region: Vec<i64>,
) -> UserRecord {
    let user = NewUser {
        email: email.to_owned(),
        password_hash: wilayah_server::auth::hash_password(TEST_PASSWORD).unwrap(),
        role,
        staff_id,
        region,
    };
    state
        .store
        .system()
        .create_user(&user)
        .await
        .expect("create a user")
}

/// As the admin: a product `sku`, a draft quote on the account for 2 of it with `terms`, and a
/// direct order of the same line dated today. Returns `(quote, order)`.
pub async fn quote_and_order(
    app: &TestApp,
    account_id: i64,
    sku: &str,
    terms: &str,
) -> (Value, Value) {
    let post = |uri: &'static str, body: Value| async move {
        let (status, answer) = app.send_json("POST", uri, &body).await;
        assert_eq!(status, StatusCode::CREATED, "POST {uri} {body} -> {answer}");
        answer
    };
    let product = post(
        "/api/v1/products",
        serde_json::json!({"sku": sku, "name_en": format!("Product {sku}"), "list_price_minor": 1_000}),
    )
    .await;
    let lines = serde_json::json!([{"product_id": product["id"], "quantity_milli": 2_000}]);
    let today = chrono::Utc::now().date_naive();
    let quote = post(
        "/api/v1/quotes",
        serde_json::json!({"account_id": account_id, "valid_until": today + chrono::Duration::days(30),
                           "lines": lines, "terms": terms}),
    )
    .await;
    let order = post(
        "/api/v1/orders",
        serde_json::json!({"account_id": account_id, "currency": "IDR", "order_date": today,
                           "lines": lines}),
    )
    .await;
    (quote, order)
}

/// A new API token for the user.
pub async fn api_token(state: &AppState, user_id: i64) -> String {
    let token = wilayah_server::auth::random_token();
    state
        .store
        .system()
        .create_api_token(user_id, "tests", &wilayah_server::auth::token_hash(&token))
        .await
        .expect("create an API token");
    token
}

impl Client {
    /// The request with this client's credentials added (those it already has are kept).
    fn with_credentials(&self, mut request: Request<Body>) -> Request<Body> {
        let writes = !matches!(request.method().as_str(), "GET" | "HEAD" | "OPTIONS");
        let headers = request.headers_mut();
        if let Some(value) = &self.authorization
            && !headers.contains_key(header::AUTHORIZATION)
        {
            headers.insert(header::AUTHORIZATION, HeaderValue::from_str(value).unwrap());
        }
        if let Some(value) = &self.cookie
            && !headers.contains_key(header::COOKIE)
        {
            headers.insert(header::COOKIE, HeaderValue::from_str(value).unwrap());
        }
        if let Some(value) = &self.csrf_token
            && writes
            && !headers.contains_key("x-csrf-token")
        {
            headers.insert("x-csrf-token", HeaderValue::from_str(value).unwrap());
        }
        request
    }

    /// The status and the body, or why the body broke off; fails naming the request when no
    /// complete answer comes within [`ANSWER_WITHIN`] (the server ends any answer within its
    /// own timeouts, so waiting longer would only hide a hang).
    async fn answer(
        &self,
        request: Request<Body>,
    ) -> (String, StatusCode, Result<Vec<u8>, String>) {
        let request = self.with_credentials(request);
        let what = format!("{} {}", request.method(), request.uri());
        let answer = async {
            let response = self
                .router
                .clone()
                .oneshot(request)
                .await
                .expect("the router is infallible");
            let status = response.status();
            let body = response.into_body().collect().await;
            (
                status,
                body.map(|b| b.to_bytes().to_vec())
                    .map_err(|e| e.to_string()),
            )
        };
        let (status, body) = tokio::time::timeout(ANSWER_WITHIN, answer)
            .await
            .unwrap_or_else(|_| panic!("{what}: no complete answer within {ANSWER_WITHIN:?}"));
        (what, status, body)
    }

    pub async fn request(&self, request: Request<Body>) -> (StatusCode, Vec<u8>) {
        let (what, status, body) = self.answer(request).await;
        let body = body.unwrap_or_else(|e| panic!("{what}: the body broke off: {e}"));
        (status, body)
    }

    /// Like [`Client::request`], but a body that breaks off (the server's 60 s limit between
    /// two parts of a streamed page) is reported as the text of the body instead of failing:
    /// for tests that judge the status only.
    pub async fn request_status(&self, request: Request<Body>) -> (StatusCode, Vec<u8>) {
        let (what, status, body) = self.answer(request).await;
        let body = body.unwrap_or_else(|e| {
            eprintln!("{what}: {status}, but the body broke off: {e}");
            format!("(the body broke off: {e})").into_bytes()
        });
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
}

impl TestApp {
    /// Serves the plain app (no admin default) on a free port of 127.0.0.1 until the test
    /// ends; returns the base URL.
    pub async fn serve(&self) -> String {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind a free port");
        let addr = listener.local_addr().expect("local addr");
        let router = self.plain_router.clone();
        tokio::spawn(async move {
            axum::serve(
                listener,
                router.into_make_service_with_connect_info::<std::net::SocketAddr>(),
            )
            .await
        });
        format!("http://{addr}")
    }
}
