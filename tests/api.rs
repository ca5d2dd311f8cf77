//! HTTP tests against the real application and a real database (SQLite by default, PostgreSQL
//! when `DATABASE_URL` points at one): probes, the map feed, server functions and start-up errors.

use axum::body::Body;
use axum::http::{Request, StatusCode};
use serde_json::Value;
use wilayah_server::config::Config;
use wilayah_server::{DEMO_SEED, demo, prepare};
use wilayah_shared::domain::AccountKind;
use wilayah_tests::{TestApp, TestDatabase};

fn demo_counts() -> (usize, usize) {
    let data = demo::generate(DEMO_SEED, chrono_today());
    let customers = data
        .accounts
        .iter()
        .filter(|a| a.kind == AccountKind::Customer)
        .count();
    (customers, data.accounts.len() - customers)
}

fn chrono_today() -> chrono::NaiveDate {
    chrono::Utc::now().date_naive()
}

#[tokio::test]
async fn healthz_answers_while_the_process_is_up() {
    let app = TestApp::start().await;
    let (status, body) = app.get_json("/healthz").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["status"], "ok");
}

#[tokio::test]
async fn readyz_reports_the_database_and_the_loaded_index() {
    let app = TestApp::start().await;
    let (status, body) = app.get_json("/readyz").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["database"], "ok");
    let (customers, prospects) = demo_counts();
    assert_eq!(body["index"]["points"], (customers + prospects) as u64);
}

#[tokio::test]
async fn a_fresh_database_gets_demo_data_once() {
    let app = TestApp::start().await;
    let (customers, prospects) = demo_counts();
    assert!(customers + prospects >= 300, "a few hundred demo accounts");
    // Starting again on the same database must not seed a second time.
    let mut config = Config::defaults();
    config.database_url = app.db.url.clone();
    let again = prepare(&config).await.expect("second start");
    assert_eq!(again.index.loaded_points(), Some(customers + prospects));
}

#[tokio::test]
async fn no_demo_leaves_the_database_empty_and_still_ready() {
    let app = TestApp::start_with(|c| c.no_demo = true).await;
    let (status, body) = app.get_json("/readyz").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["index"]["points"], 0);
    let (_, features) = app.get_json("/api/v1/map/accounts.geojson").await;
    assert_eq!(features["features"].as_array().unwrap().len(), 0);
}

#[tokio::test]
async fn the_map_feed_is_geojson_of_every_account_of_the_asked_kind() {
    let app = TestApp::start().await;
    let (customers, prospects) = demo_counts();
    for (kind, expected) in [("customer", customers), ("prospect", prospects)] {
        let (status, body) = app
            .get_json(&format!("/api/v1/map/accounts.geojson?kind={kind}"))
            .await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(body["type"], "FeatureCollection");
        let features = body["features"].as_array().unwrap();
        assert_eq!(features.len(), expected, "{kind}");
        for f in features {
            assert_eq!(f["properties"]["kind"], kind);
            let [lon, lat] = [0, 1].map(|i| f["geometry"]["coordinates"][i].as_f64().unwrap());
            // Demo accounts are around Indonesian cities.
            assert!(
                (95.0..=141.0).contains(&lon) && (-11.0..=6.0).contains(&lat),
                "{lon},{lat}"
            );
        }
    }
    let (_, all) = app.get_json("/api/v1/map/accounts.geojson").await;
    assert_eq!(
        all["features"].as_array().unwrap().len(),
        customers + prospects
    );
}

#[tokio::test]
async fn a_broken_rule_answers_with_a_code_and_its_parameters_for_the_ui_to_translate() {
    let app = TestApp::start().await;
    let long_name = "x".repeat(201);
    let (status, body) = app
        .send_json(
            "POST",
            "/api/v1/accounts",
            &serde_json::json!({"name": long_name, "lon": 106.8, "lat": -6.2}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["field"], "name");
    assert_eq!(body["code"], "too_long");
    assert_eq!(body["params"]["max"], "200");
    let (status, body) = app
        .send_json(
            "POST",
            "/api/v1/opportunities",
            &serde_json::json!({"account_id": 1, "title": "x", "stage": "sold"}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(
        (&body["field"], &body["code"]),
        (&serde_json::json!("stage"), &serde_json::json!("one_of"))
    );
    let (status, body) = app.get_json("/api/v1/accounts/987654").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(body["code"], "not_found");
}

#[tokio::test]
async fn an_unknown_kind_is_a_400_naming_the_field() {
    let app = TestApp::start().await;
    let (status, body) = app.get_json("/api/v1/map/accounts.geojson?kind=vip").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["field"], "kind");
    assert!(
        body["error"].as_str().unwrap().contains("\"vip\""),
        "{body}"
    );
}

#[tokio::test]
async fn the_home_page_is_rendered_on_the_server_with_figures_and_hydration_scripts() {
    let app = TestApp::start().await;
    let (status, body) = app.get("/").await;
    let html = String::from_utf8(body).unwrap();
    assert_eq!(status, StatusCode::OK);
    assert!(
        html.contains("Customers and territories at a glance"),
        "{html}"
    );
    assert!(html.contains("/vendor/maplibre-gl.js"));
    assert!(
        html.contains("/pkg/wilayah.js") || html.contains("\"pkg\", \"wilayah\""),
        "hydration script missing"
    );
    let (customers, _) = demo_counts();
    assert!(
        html.contains(&format!("data-testid=\"count-customers\">{customers}<")),
        "customer count not rendered"
    );
    assert!(html.contains("id=\"map\""));
}

#[tokio::test]
async fn the_language_cookie_switches_the_server_rendered_text() {
    let app = TestApp::start().await;
    let request = Request::get("/")
        .header("cookie", "wilayah_lang=id")
        .body(Body::empty())
        .unwrap();
    let (status, body) = app.request(request).await;
    let html = String::from_utf8(body).unwrap();
    assert_eq!(status, StatusCode::OK);
    assert!(
        html.contains("Pelanggan dan wilayah dalam satu peta"),
        "Indonesian tagline missing"
    );
    assert!(!html.contains("Customers and territories at a glance"));
}

#[tokio::test]
async fn the_dashboard_server_function_returns_live_counts() {
    let app = TestApp::start().await;
    let request = Request::post("/rpc/dashboard_summary")
        .header("content-type", "application/x-www-form-urlencoded")
        .body(Body::empty())
        .unwrap();
    let (status, body) = app.request(request).await;
    assert_eq!(status, StatusCode::OK, "{}", String::from_utf8_lossy(&body));
    let summary: Value = serde_json::from_slice(&body).unwrap();
    let (customers, prospects) = demo_counts();
    assert_eq!(summary["customers"], customers as u64);
    assert_eq!(summary["prospects"], prospects as u64);
    assert_eq!(summary["reps"], 8);
    assert_eq!(summary["territories"], 8);
    assert_eq!(
        summary["visits_today"], 18,
        "three technicians, six visits each today"
    );
}

#[tokio::test]
async fn static_assets_are_served_from_the_site_root() {
    let app = TestApp::start().await;
    let (status, body) = app.get("/wilayah.css").await;
    assert_eq!(
        status,
        StatusCode::OK,
        "run scripts/build.sh --site-only first"
    );
    assert!(String::from_utf8_lossy(&body).contains(".map"));
    let (status, _) = app.get("/no/such/file.js").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn an_unsupported_database_url_is_a_clear_error() {
    let mut config = Config::defaults();
    config.database_url = "mysql://root@localhost/crm".into();
    let err = prepare(&config)
        .await
        .err()
        .expect("must refuse")
        .to_string();
    assert!(
        err.contains("unsupported database URL") && err.contains("mysql://"),
        "{err}"
    );
}

#[tokio::test]
async fn an_unreachable_database_is_a_clear_error_without_the_password() {
    let mut config = Config::defaults();
    // Port 1 on loopback: nothing listens there, so the connection is refused at once.
    config.database_url = "postgres://wilayah:s3cret@127.0.0.1:1/crm".into();
    let err = prepare(&config)
        .await
        .err()
        .expect("must refuse")
        .to_string();
    assert!(
        err.contains("could not connect to postgres://wilayah:***@127.0.0.1:1/crm"),
        "{err}"
    );
    assert!(!err.contains("s3cret"));
}

#[tokio::test]
async fn the_suite_runs_on_the_backend_it_was_asked_for() {
    let db = TestDatabase::create().await;
    let expected = if TestDatabase::backend() == "postgres" {
        "postgres://"
    } else {
        "sqlite://"
    };
    assert!(db.url.starts_with(expected), "{}", db.url);
}

/// Every `$ref` in the document points at a schema it defines.
fn collect_refs(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            for (k, v) in map {
                if k == "$ref" {
                    out.push(v.as_str().unwrap().to_owned());
                } else {
                    collect_refs(v, out);
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|v| collect_refs(v, out)),
        _ => {}
    }
}

#[tokio::test]
async fn the_openapi_document_describes_every_resource_consistently() {
    let app = TestApp::start().await;
    let (status, doc) = app.get_json("/api/v1/openapi.json").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(doc["openapi"], "3.1.0");
    let paths = doc["paths"].as_object().unwrap();
    for resource in [
        "accounts",
        "contacts",
        "staff",
        "territories",
        "opportunities",
        "activities",
        "cases",
        "visits",
    ] {
        assert!(
            paths.contains_key(&format!("/api/v1/{resource}")),
            "{resource}"
        );
        assert!(
            paths.contains_key(&format!("/api/v1/{resource}/{{id}}")),
            "{resource}"
        );
    }
    for extra in [
        "/api/v1/accounts/nearby",
        "/api/v1/accounts/{id}/history",
        "/api/v1/map/accounts.geojson",
        "/api/v1/routes/plan",
        "/api/v1/routes/suggest",
    ] {
        assert!(paths.contains_key(extra), "{extra}");
    }
    let mut refs = Vec::new();
    collect_refs(&doc, &mut refs);
    assert!(refs.len() > 30);
    for r in refs {
        let name = r.strip_prefix("#/components/schemas/").unwrap();
        assert!(
            doc["components"]["schemas"].get(name).is_some(),
            "dangling {r}"
        );
    }
    let input = &doc["components"]["schemas"]["AccountInput"];
    let mut required: Vec<&str> = input["required"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    required.sort_unstable();
    assert_eq!(required, ["lat", "lon", "name"]);
    assert_eq!(
        doc["components"]["schemas"]["VisitPatch"]["required"],
        serde_json::json!(["version"])
    );
    // Append-only history has no PATCH.
    assert!(paths["/api/v1/activities/{id}"].get("patch").is_none());
    assert!(paths["/api/v1/visits/{id}"].get("patch").is_some());
}

/// Renders pages side by side on two threads: every answer is a 200 whose stream ends. CI caught
/// pages whose stream stopped after the head; here the page title's translation closure read the
/// language signal after the page's owner was gone (a panic, within 1 round of 4 pages). More
/// rounds: `PAGE_ROUNDS=2000`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_rendered_pages_always_finish_streaming() {
    use wilayah_shared::access::Role;
    let app = TestApp::start().await;
    let planner = app.as_user(Role::Planner, None, vec![]).await;
    let admin = app.as_user(Role::Admin, None, vec![]).await;
    let rounds: usize = std::env::var("PAGE_ROUNDS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(100);
    let page = |client: &wilayah_tests::Client, page: &'static str, round: usize| {
        let client = client.clone();
        async move {
            let request = Request::get(page).body(Body::empty()).unwrap();
            let within = std::time::Duration::from_secs(20);
            match tokio::time::timeout(within, client.request(request)).await {
                Ok((status, _)) => assert!(status.is_success(), "{page}: {status}"),
                Err(_) => panic!("round {round}: {page} did not finish within 20 s"),
            }
        }
    };
    for round in 0..rounds {
        tokio::join!(
            page(&planner, "/planner", round),
            page(&admin, "/", round),
            page(&admin, "/admin", round),
            page(&planner, "/", round),
        );
    }
}
