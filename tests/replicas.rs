//! Replicas in step (issue 19 item 1, docs/replicas.md): two servers on one database — one
//! PostgreSQL database when `DATABASE_URL` says so, else one SQLite file — each with its own
//! spatial index, territory index and map cache. A write through one reaches the other's
//! nearby search, map feed and territory lookup through the change log; so does a CLI import;
//! a replica cut off from the log catches up; the sign-in limiter is shared.

use std::future::Future;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{Request, StatusCode};
use serde_json::{Value, json};
use wilayah_shared::access::Role;
use wilayah_tests::{Client, Replica, TEST_PASSWORD, TestApp, create_user, created, id};

/// Long enough for a slow CI machine; the benchmark (`replica-bench`) measures the real delay.
const WITHIN: Duration = Duration::from_secs(30);

/// Polls `check` until it holds, failing with `what` after [`WITHIN`].
async fn until<F, Fut>(what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    let deadline = Instant::now() + WITHIN;
    while !check().await {
        assert!(Instant::now() < deadline, "timed out waiting until {what}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// The ids of the nearest accounts to `(lon, lat)` as `client` finds them.
async fn nearby(client: &Client, lon: f64, lat: f64) -> Vec<i64> {
    let (status, hits) = client
        .get_json(&format!("/api/v1/accounts/nearby?lon={lon}&lat={lat}&k=5"))
        .await;
    assert_eq!(status, StatusCode::OK, "{hits}");
    hits.as_array()
        .unwrap()
        .iter()
        .filter(|h| h["distance_m"].as_f64().unwrap() < 50.0)
        .map(|h| id(&h["account"]))
        .collect()
}

/// The account ids of the clustered map feed at street level (through the map cache).
async fn map_feed(client: &Client) -> Vec<i64> {
    let (status, feed) = client
        .get_json("/api/v1/map/accounts.geojson?zoom=18")
        .await;
    assert_eq!(status, StatusCode::OK, "{feed}");
    feed["features"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|f| f["properties"]["id"].as_i64())
        .collect()
}

fn square(lon: f64, lat: f64, half: f64) -> Value {
    json!({"type": "Polygon", "coordinates": [[[lon - half, lat - half], [lon + half, lat - half],
        [lon + half, lat + half], [lon - half, lat + half], [lon - half, lat - half]]]})
}

async fn two_replicas() -> (TestApp, Replica) {
    let a = TestApp::start_with(|c| c.no_demo = true).await;
    let b = a.replica().await;
    (a, b)
}

#[tokio::test]
async fn accounts_written_through_one_replica_reach_the_other() {
    let (a, b) = two_replicas().await;
    // B's map cache holds the empty map before the write.
    assert!(map_feed(&b).await.is_empty());

    let account = created(
        &a,
        "/api/v1/accounts",
        json!({"name": "Toko Replika", "kind": "customer", "lon": 106.8, "lat": -6.2}),
    )
    .await;
    let account_id = id(&account);
    until("B's nearby search finds the new account", || async {
        nearby(&b, 106.8, -6.2).await == [account_id]
    })
    .await;
    until("B's map feed shows the new account", || async {
        map_feed(&b).await == [account_id]
    })
    .await;

    // A move: B finds it at the new place and no longer at the old one.
    let (status, moved) = a
        .send_json(
            "PATCH",
            &format!("/api/v1/accounts/{account_id}"),
            &json!({"version": account["version"], "lon": 110.4, "lat": -7.0}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{moved}");
    until(
        "B's nearby search finds the account where it moved",
        || async {
            nearby(&b, 110.4, -7.0).await == [account_id]
                && nearby(&b, 106.8, -6.2).await.is_empty()
        },
    )
    .await;

    // A contact's phone: B's duplicate finding knows it.
    created(
        &a,
        "/api/v1/contacts",
        json!({"account_id": account_id, "name": "Bu Sari", "phone": "081234567890"}),
    )
    .await;
    until("B finds the account by its contact's phone", || async {
        let (status, found) = b
            .get_json("/api/v1/accounts/duplicates?phone=081234567890")
            .await;
        assert_eq!(status, StatusCode::OK, "{found}");
        found
            .as_array()
            .is_some_and(|d| d.iter().any(|d| d["account_id"] == account_id))
    })
    .await;

    // A delete.
    let (status, _) = a
        .send_json(
            "DELETE",
            &format!("/api/v1/accounts/{account_id}"),
            &json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    until("the account is gone from B's search and map", || async {
        nearby(&b, 110.4, -7.0).await.is_empty() && map_feed(&b).await.is_empty()
    })
    .await;
    // Writes through B reach A the same way.
    let from_b = id(&created(
        &b,
        "/api/v1/accounts",
        json!({"name": "Toko Dari B", "kind": "prospect", "lon": 112.7, "lat": -7.25}),
    )
    .await);
    until("A's nearby search finds B's account", || async {
        nearby(&a, 112.7, -7.25).await == [from_b]
    })
    .await;
}

#[tokio::test]
async fn a_territory_drawn_through_one_replica_places_accounts_on_the_other() {
    let (a, b) = two_replicas().await;
    let territory = id(&created(
        &a,
        "/api/v1/territories",
        json!({"name": "Jawa Barat", "geometry": square(107.6, -6.9, 0.5)}),
    )
    .await);
    until("B's territory index has the new territory", || async {
        b.state
            .index
            .territories()
            .is_some_and(|t| t.territories().iter().any(|t| t.id == territory))
    })
    .await;
    let placed = created(
        &b,
        "/api/v1/accounts",
        json!({"name": "Toko Bandung", "kind": "prospect", "lon": 107.6, "lat": -6.9}),
    )
    .await;
    assert_eq!(placed["territory_id"], territory, "{placed}");

    // Deleting it on A: B no longer places accounts there.
    let (status, body) = a
        .send_json(
            "DELETE",
            &format!("/api/v1/territories/{territory}"),
            &json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    until("B's territory index drops the territory", || async {
        b.state
            .index
            .territories()
            .is_some_and(|t| t.territories().is_empty())
    })
    .await;
    let placed = created(
        &b,
        "/api/v1/accounts",
        json!({"name": "Toko Cimahi", "kind": "prospect", "lon": 107.55, "lat": -6.88}),
    )
    .await;
    assert_eq!(placed["territory_id"], Value::Null, "{placed}");
}

#[tokio::test]
async fn a_replica_cut_off_from_the_log_catches_up() {
    let (a, b) = two_replicas().await;
    {
        let _cut_off = b.state.replicas.hold().await;
        let before = b.state.replicas.applied();
        let account = id(&created(
            &a,
            "/api/v1/accounts",
            json!({"name": "Toko Sepi", "kind": "customer", "lon": 100.35, "lat": -0.95}),
        )
        .await);
        // A knows it at once (its own write); B, cut off, does not.
        assert_eq!(nearby(&a, 100.35, -0.95).await, [account]);
        assert!(nearby(&b, 100.35, -0.95).await.is_empty());
        assert_eq!(b.state.replicas.applied(), before);
    }
    // Back on: no notification of that write will ever reach B; the log brings it.
    until("B catches up from the change log", || async {
        nearby(&b, 100.35, -0.95).await.len() == 1
    })
    .await;

    // PostgreSQL: the listening connection killed from the server side.
    if wilayah_tests::TestDatabase::backend() == "postgres" {
        until("B listens", || async {
            b.state.replicas.listener_pid().is_some()
        })
        .await;
        let pid = b.state.replicas.listener_pid().unwrap();
        let killed: (bool,) = sqlx::query_as("SELECT pg_terminate_backend($1)")
            .bind(pid)
            .fetch_one(&raw_pool(&a.db.url).await)
            .await
            .unwrap();
        assert!(killed.0, "the listener's backend {pid} was terminated");
        let account = id(&created(
            &a,
            "/api/v1/accounts",
            json!({"name": "Toko Padang", "kind": "customer", "lon": 100.4, "lat": -0.9}),
        )
        .await);
        until("B sees the write made while it reconnected", || async {
            nearby(&b, 100.4, -0.9).await == [account]
        })
        .await;
        until("B listens on a new connection", || async {
            b.state.replicas.listener_pid().is_some_and(|p| p != pid)
        })
        .await;
    }
}

/// A connection of its own to the test database.
async fn raw_pool(url: &str) -> sqlx::PgPool {
    sqlx::PgPool::connect(url).await.unwrap()
}

#[tokio::test]
async fn a_cli_import_reaches_the_running_servers() {
    let (a, b) = two_replicas().await;
    let file = std::env::temp_dir().join(format!("replicas-{}.csv", std::process::id()));
    std::fs::write(
        &file,
        "name,kind,lon,lat\nToko CLI Satu,customer,119.4,-5.15\nToko CLI Dua,prospect,98.67,3.59\n",
    )
    .unwrap();
    let mut config = wilayah_server::config::Config::defaults();
    config.database_url = a.db.url.clone();
    let cli = wilayah_server::cli::Cli {
        config,
        command: Some(wilayah_server::cli::Command::Import(
            wilayah_server::cli::Import::Accounts {
                file: file.clone(),
                format: None,
                dry_run: false,
            },
        )),
    };
    let run = wilayah_server::cli::run(cli).await;
    let _ = std::fs::remove_file(&file);
    run.unwrap_or_else(|e| panic!("the CLI import failed: {e}"));
    for server in [&*a, &*b] {
        until("both servers find both imported accounts", || async {
            nearby(server, 119.4, -5.15).await.len() == 1
                && nearby(server, 98.67, 3.59).await.len() == 1
        })
        .await;
    }
}

fn login_request(email: &str, password: &str, client_ip: [u8; 4]) -> Request<Body> {
    let mut request = Request::post("/api/v1/auth/login")
        .header("content-type", "application/json")
        .body(Body::from(
            json!({"email": email, "password": password}).to_string(),
        ))
        .unwrap();
    request
        .extensions_mut()
        .insert(ConnectInfo(SocketAddr::from((client_ip, 40000))));
    request
}

#[tokio::test]
async fn the_sign_in_limit_counts_on_every_replica() {
    let (a, b) = two_replicas().await;
    create_user(&a.state, "rina@test.example", Role::Planner, None, vec![]).await;
    // Five wrong passwords, alternating between the replicas and from different addresses.
    for attempt in 0..5u8 {
        let server = if attempt % 2 == 0 {
            a.anonymous()
        } else {
            b.anonymous()
        };
        let (status, _) = server
            .request(login_request(
                "rina@test.example",
                "wrong password!",
                [10, 0, 1, attempt],
            ))
            .await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "attempt {attempt}");
    }
    // Locked on both, even with the right password.
    for server in [a.anonymous(), b.anonymous()] {
        let (status, _) = server
            .request(login_request(
                "rina@test.example",
                TEST_PASSWORD,
                [10, 9, 9, 9],
            ))
            .await;
        assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    }
    // Another account signs in on either.
    create_user(&a.state, "budi@test.example", Role::Planner, None, vec![]).await;
    let (status, _) = b
        .anonymous()
        .request(login_request(
            "budi@test.example",
            TEST_PASSWORD,
            [10, 0, 2, 1],
        ))
        .await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn the_setup_link_one_replica_printed_works_on_the_other() {
    let db = wilayah_tests::TestDatabase::create().await;
    let mut config = wilayah_server::config::Config::defaults();
    config.database_url = db.url.clone();
    config.no_demo = true;
    let a = wilayah_server::prepare(&config).await.unwrap();
    let b = wilayah_server::prepare(&config).await.unwrap();
    let token = a
        .auth
        .setup_token
        .lock()
        .unwrap()
        .clone()
        .expect("a setup token while no user exists");
    let setup = |state: &wilayah_server::AppState, email: &str| {
        let request = Request::post("/api/v1/auth/setup")
            .header("content-type", "application/json")
            .body(Body::from(
                json!({"token": token, "email": email, "password": "long enough pw"}).to_string(),
            ))
            .unwrap();
        tower::ServiceExt::oneshot(wilayah_server::http::router(state.clone()), request)
    };
    let response = setup(&b, "boss@x.example").await.unwrap();
    assert_eq!(response.status(), StatusCode::CREATED);
    // Once the first admin exists, the link is spent everywhere.
    let response = setup(&a, "two@x.example").await.unwrap();
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
}

/// Accounts written straight into the database, as another program (or a bulk load) would.
async fn insert_accounts_directly(url: &str, count: u32, lat: f64) {
    if url.starts_with("postgres") {
        let pool = sqlx::PgPool::connect(url).await.unwrap();
        sqlx::query(
            "INSERT INTO accounts (name, kind, status, lon, lat, created_at, updated_at)
             SELECT 'Bulk ' || g, 'customer', 'active', 100 + g * 0.001, $2, now(), now()
               FROM generate_series(1, $1) g",
        )
        .bind(count as i32)
        .bind(lat)
        .execute(&pool)
        .await
        .unwrap();
    } else {
        let pool = sqlx::SqlitePool::connect(url).await.unwrap();
        sqlx::query(
            "WITH RECURSIVE g(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM g WHERE n < $1)
             INSERT INTO accounts (name, kind, status, lon, lat, created_at, updated_at)
             SELECT 'Bulk ' || n, 'customer', 'active', 100 + n * 0.001, $2,
                    '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z' FROM g",
        )
        .bind(count)
        .bind(lat)
        .execute(&pool)
        .await
        .unwrap();
    }
}

#[tokio::test]
async fn a_bulk_write_reloads_the_other_replicas_index() {
    let (a, b) = two_replicas().await;
    // More than a replica applies one by one: it reloads its whole index instead.
    insert_accounts_directly(&a.db.url, 2_500, 1.5).await;
    for server in [&a.state, &b.state] {
        until("both indexes hold the 2,500 accounts", || async {
            server.index.loaded_points() == Some(2_500)
        })
        .await;
    }
    assert_eq!(nearby(&b, 100.001, 1.5).await.len(), 1);
}

#[tokio::test]
async fn a_transaction_that_commits_late_is_not_skipped() {
    // SQLite has one writer at a time: ids follow commit order there by construction.
    if wilayah_tests::TestDatabase::backend() != "postgres" {
        return;
    }
    let (a, b) = two_replicas().await;
    let pool = raw_pool(&a.db.url).await;
    // A transaction takes its change-log id first and commits last.
    let mut slow = pool.begin().await.unwrap();
    sqlx::query(
        "INSERT INTO accounts (name, kind, status, lon, lat, created_at, updated_at)
         VALUES ('Toko Lambat', 'customer', 'active', 120.0, -2.0, now(), now())",
    )
    .execute(&mut *slow)
    .await
    .unwrap();
    let quick = id(&created(
        &a,
        "/api/v1/accounts",
        json!({"name": "Toko Cepat", "kind": "customer", "lon": 121.0, "lat": -2.0}),
    )
    .await);
    until("B sees the quick write", || async {
        nearby(&b, 121.0, -2.0).await == [quick]
    })
    .await;
    slow.commit().await.unwrap();
    until("B sees the slow write, whose id is lower", || async {
        nearby(&b, 120.0, -2.0).await.len() == 1
    })
    .await;
}
