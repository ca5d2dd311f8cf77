//! The dashboard's data over HTTP, on both databases: the filtered map feed, the pipeline-stage
//! filter, the KPI roll-up and the panel's write actions. Expected values are computed here from
//! the REST API's full lists, independently of the SQL under test.

use std::collections::{BTreeMap, HashSet};

use axum::body::Body;
use axum::http::{Request, StatusCode};
use serde_json::{Value, json};
use wilayah_shared::access::Role;
use wilayah_tests::TestApp;

async fn all(app: &TestApp, path: &str) -> Vec<Value> {
    let separator = if path.contains('?') { '&' } else { '?' };
    let (status, body) = app.get_json(&format!("{path}{separator}limit=1000")).await;
    assert!(status.is_success(), "{path}: {status} {body}");
    body["items"].as_array().expect("items").clone()
}

/// Calls a server function with a JSON body; returns the status and the answer as JSON (or as a
/// string when it is not JSON).
async fn rpc(app: &TestApp, endpoint: &str, args: Value) -> (StatusCode, Value) {
    let request = Request::post(format!("/rpc/{endpoint}"))
        .header("content-type", "application/json")
        .body(Body::from(args.to_string()))
        .unwrap();
    let (status, body) = app.request(request).await;
    let value = serde_json::from_slice(&body)
        .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&body).into_owned()));
    (status, value)
}

fn ids(features: &[Value]) -> HashSet<i64> {
    features
        .iter()
        .map(|f| f["properties"]["id"].as_i64().unwrap())
        .collect()
}

#[tokio::test]
async fn the_map_feed_applies_every_filter_the_list_does() {
    let app = TestApp::start().await;
    let accounts = all(&app, "/api/v1/accounts").await;
    let deals = all(&app, "/api/v1/opportunities").await;
    let rep = accounts[0]["owner_id"]
        .as_i64()
        .expect("demo accounts have owners");
    let with_proposal: HashSet<i64> = deals
        .iter()
        .filter(|d| d["stage"] == "proposal")
        .map(|d| d["account_id"].as_i64().unwrap())
        .collect();
    assert!(!with_proposal.is_empty(), "the demo has proposals");

    type Keep = Box<dyn Fn(&Value) -> bool>;
    let cases: Vec<(String, Keep)> = vec![
        (
            "kind=prospect".into(),
            Box::new(|a| a["kind"] == "prospect"),
        ),
        (
            format!("owner_id={rep}&status=active"),
            Box::new(move |a| a["owner_id"] == rep && a["status"] == "active"),
        ),
        (
            "stage=proposal".into(),
            Box::new(move |a| with_proposal.contains(&a["id"].as_i64().unwrap())),
        ),
        ("segment=no-such-segment".into(), Box::new(|_| false)),
    ];
    for (query, keep) in cases {
        let expected: HashSet<i64> = accounts
            .iter()
            .filter(|a| keep(a))
            .map(|a| a["id"].as_i64().unwrap())
            .collect();
        let (status, feed) = app
            .get_json(&format!("/api/v1/map/accounts.geojson?{query}"))
            .await;
        assert_eq!(status, StatusCode::OK, "{query}: {feed}");
        assert_eq!(
            ids(feed["features"].as_array().unwrap()),
            expected,
            "map feed for {query}"
        );
        let (_, list) = app
            .get_json(&format!("/api/v1/accounts?{query}&limit=1"))
            .await;
        assert_eq!(
            list["total"],
            json!(expected.len()),
            "the list counts what the map shows for {query}"
        );
    }
}

/// How many accounts a clustered feed stands for, and its single accounts.
fn clustered(feed: &Value) -> (u64, HashSet<i64>) {
    let features = feed["features"].as_array().expect("features");
    let counted = features
        .iter()
        .map(|f| f["properties"]["point_count"].as_u64().unwrap_or(1))
        .sum();
    let singles = features
        .iter()
        .filter(|f| f["properties"]["cluster"] != true)
        .map(|f| f["properties"]["id"].as_i64().unwrap())
        .collect();
    (counted, singles)
}

#[tokio::test]
async fn the_clustered_feed_stands_for_every_match_follows_writes_and_keeps_scopes_apart() {
    let app = TestApp::start().await;
    let accounts = all(&app, "/api/v1/accounts").await;
    let customers: HashSet<i64> = accounts
        .iter()
        .filter(|a| a["kind"] == "customer")
        .map(|a| a["id"].as_i64().unwrap())
        .collect();

    // Zoomed out, clusters hold every customer, each breaking up deeper than it is drawn.
    let zoomed_out = "/api/v1/map/accounts.geojson?kind=customer&zoom=4.6&bbox=95,-11,141,6";
    let (status, feed) = app.get_json(zoomed_out).await;
    assert_eq!(status, StatusCode::OK, "{feed}");
    let (counted, singles) = clustered(&feed);
    assert_eq!(counted, customers.len() as u64);
    let clusters: Vec<&Value> = feed["features"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["properties"]["cluster"] == true)
        .collect();
    assert!(!clusters.is_empty(), "zoom 4 clusters the demo");
    for cluster in &clusters {
        let p = &cluster["properties"];
        assert!(p["point_count"].as_u64().unwrap() >= 2, "{cluster}");
        assert!(p["expansion_zoom"].as_u64().unwrap() > 4, "{cluster}");
        assert!(p["point_count_abbreviated"].is_string(), "{cluster}");
    }
    assert!(singles.is_subset(&customers));
    let (status, none) = app
        .get_json("/api/v1/map/accounts.geojson?segment=no-such-segment&zoom=4")
        .await;
    assert_eq!(status, StatusCode::OK, "{none}");
    assert_eq!(none["features"], json!([]), "a filter nothing matches");

    // Zoomed in past the clustering, every customer is its own point (the demo is small
    // enough to be answered whole, whatever the view).
    let zoomed_in = "/api/v1/map/accounts.geojson?kind=customer&zoom=15&bbox=106.8,-6.3,106.9,-6.1";
    let (_, feed) = app.get_json(zoomed_in).await;
    assert_eq!(
        clustered(&feed),
        (customers.len() as u64, customers.clone())
    );

    // A write shows at once: the cached clusters notice the data changed.
    let (status, created) = app
        .send_json(
            "POST",
            "/api/v1/accounts",
            &json!({"name": "Toko Baru", "kind": "customer", "status": "active",
                    "lon": 106.85, "lat": -6.2}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let new_id = created["id"].as_i64().unwrap();
    let (_, feed) = app.get_json(zoomed_in).await;
    let (counted, singles) = clustered(&feed);
    assert_eq!(counted, customers.len() as u64 + 1);
    assert!(singles.contains(&new_id));
    let (status, _) = app
        .send_json(
            "PATCH",
            &format!("/api/v1/accounts/{new_id}"),
            &json!({"version": 1, "kind": "prospect", "status": "new"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (_, feed) = app.get_json(zoomed_in).await;
    assert_eq!(
        clustered(&feed),
        (customers.len() as u64, customers.clone())
    );

    // A rep's clusters hold the rep's customers only, though an admin's are cached.
    let rep = accounts
        .iter()
        .find(|a| a["kind"] == "customer")
        .and_then(|a| a["owner_id"].as_i64())
        .expect("demo customers have owners");
    let theirs: HashSet<i64> = accounts
        .iter()
        .filter(|a| a["kind"] == "customer" && a["owner_id"] == rep)
        .map(|a| a["id"].as_i64().unwrap())
        .collect();
    assert!(!theirs.is_empty() && theirs.len() < customers.len());
    let client = app.as_user(Role::SalesRep, Some(rep), vec![]).await;
    let (status, feed) = client.get_json(zoomed_in).await;
    assert_eq!(status, StatusCode::OK, "{feed}");
    assert_eq!(clustered(&feed), (theirs.len() as u64, theirs.clone()));
    let (_, feed) = client.get_json(zoomed_out).await;
    assert_eq!(clustered(&feed).0, theirs.len() as u64, "zoomed out too");

    // The figures at the top of the rep's dashboard count the rep's accounts, an admin's all.
    let summary_of = |client: &wilayah_tests::Client| {
        let request = Request::post("/rpc/dashboard_summary")
            .header("content-type", "application/x-www-form-urlencoded")
            .body(Body::empty())
            .unwrap();
        let client = client.clone();
        async move { client.request_json(request).await }
    };
    let (status, summary) = summary_of(&client).await;
    assert_eq!(status, StatusCode::OK, "{summary}");
    assert_eq!(summary["customers"], json!(theirs.len()));
    let (_, everything) = summary_of(&app.as_user(Role::Admin, None, vec![]).await).await;
    assert_eq!(everything["customers"], json!(customers.len()));
    assert_eq!(
        everything["prospects"],
        json!(accounts.len() - customers.len() + 1),
        "the demo's prospects and Toko Baru"
    );
    assert!(
        summary["prospects"].as_i64().unwrap() < everything["prospects"].as_i64().unwrap(),
        "{summary} vs {everything}"
    );
}

/// "Today" and `?date=` are calendar days of the deployment's time zone (`--utc-offset`).
#[tokio::test]
async fn the_visits_layer_takes_days_in_the_deployments_time_zone() {
    let app = TestApp::start_with(|c| c.utc_offset = "+07:00".parse().expect("an offset")).await;
    let accounts = all(&app, "/api/v1/accounts").await;
    let account = accounts[0]["id"].as_i64().unwrap();
    let mut made = Vec::new();
    // 23:30 on 24 December in Jakarta, and 00:30 on the 25th (17:30 UTC on the 24th).
    for start in ["2030-12-24T23:30:00+07:00", "2030-12-25T00:30:00+07:00"] {
        let (status, visit) = app
            .send_json(
                "POST",
                "/api/v1/visits",
                &json!({"account_id": account, "window_start": start,
                        "window_end": start.replace(":30:00", ":59:00"), "duration_min": 20}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{visit}");
        made.push(visit["id"].as_i64().unwrap());
    }
    for (date, expected) in [("2030-12-24", made[0]), ("2030-12-25", made[1])] {
        let (status, layer) = app
            .get_json(&format!("/api/v1/map/visits.geojson?date={date}"))
            .await;
        assert_eq!(status, StatusCode::OK, "{layer}");
        assert_eq!(
            ids(layer["features"].as_array().unwrap()),
            HashSet::from([expected]),
            "{date}"
        );
    }
}

#[tokio::test]
async fn bad_views_are_refused_naming_the_parameter() {
    let app = TestApp::start().await;
    for (query, field) in [
        ("zoom=99", "zoom"),
        ("zoom=near", "zoom"),
        ("zoom=5&bbox=1,2,3", "bbox"),
        ("zoom=5&bbox=10,50,20,40", "bbox"),
        ("zoom=5&bbox=10,-95,20,40", "bbox"),
        ("bbox=10,0,20,10", "bbox"),
    ] {
        let path = format!("/api/v1/map/accounts.geojson?{query}");
        let (status, body) = app.get_json(&path).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{path}: {body}");
        assert!(
            body.to_string().contains(field),
            "{path} should name {field}: {body}"
        );
    }
}

#[tokio::test]
async fn bad_filters_are_refused_naming_the_parameter() {
    let app = TestApp::start().await;
    for (query, field) in [
        ("stage=maybe", "stage"),
        ("kind=vip", "kind"),
        ("status=sleeping", "status"),
        ("owner=3", "owner"),
    ] {
        for path in ["/api/v1/map/accounts.geojson", "/api/v1/accounts"] {
            let (status, body) = app.get_json(&format!("{path}?{query}")).await;
            assert_eq!(status, StatusCode::BAD_REQUEST, "{path}?{query}: {body}");
            assert!(
                body.to_string().contains(field),
                "{path}?{query} should name {field}: {body}"
            );
        }
    }
}

#[tokio::test]
async fn kpis_add_up_per_rep_and_territory_for_the_filter() {
    let app = TestApp::start().await;
    let accounts = all(&app, "/api/v1/accounts").await;
    let deals = all(&app, "/api/v1/opportunities").await;
    let cases = all(&app, "/api/v1/cases").await;
    let today = chrono::Utc::now().date_naive().to_string();
    let visits: Vec<Value> = all(&app, "/api/v1/visits")
        .await
        .into_iter()
        .filter(|v| v["window_start"].as_str().unwrap().starts_with(&today))
        .collect();

    for filter in [json!({}), json!({ "kind": "customer", "status": "active" })] {
        let keep = |a: &Value| {
            filter
                .as_object()
                .unwrap()
                .iter()
                .all(|(key, value)| &a[key] == value)
        };
        #[derive(Default, Debug, PartialEq)]
        struct Figures {
            customers: i64,
            prospects: i64,
            revenue: i64,
            pipeline: i64,
            open_cases: i64,
            visits_planned: i64,
            visits_done: i64,
        }
        let mut by_rep: BTreeMap<Option<i64>, Figures> = BTreeMap::new();
        for a in accounts.iter().filter(|a| keep(a)) {
            let id = a["id"].as_i64().unwrap();
            let f = by_rep.entry(a["owner_id"].as_i64()).or_default();
            if a["kind"] == "customer" {
                f.customers += 1;
            } else {
                f.prospects += 1;
            }
            f.revenue += a["revenue_minor"].as_i64().unwrap();
            f.pipeline += deals
                .iter()
                .filter(|d| d["account_id"] == id && d["stage"] != "won" && d["stage"] != "lost")
                .filter(|d| d["currency"] == a["currency"])
                .map(|d| d["value_minor"].as_i64().unwrap())
                .sum::<i64>();
            f.open_cases += cases
                .iter()
                .filter(|c| {
                    c["account_id"] == id && (c["status"] == "new" || c["status"] == "in_progress")
                })
                .count() as i64;
            let mine = visits.iter().filter(|v| v["account_id"] == id);
            f.visits_planned += mine.clone().count() as i64;
            f.visits_done += mine.filter(|v| v["status"] == "done").count() as i64;
        }
        let (status, kpis) = rpc(
            &app,
            "dashboard_kpis",
            json!({ "filter": filter_for_rpc(&filter), "unassigned": "nobody" }),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{kpis}");
        let shown: BTreeMap<Option<i64>, Figures> = kpis["by_rep"]
            .as_array()
            .unwrap()
            .iter()
            .map(|row| {
                let k = &row["kpis"];
                let money = |v: &Value| {
                    v.as_object()
                        .map_or(0, |m| m.values().map(|x| x.as_i64().unwrap()).sum())
                };
                (
                    row["id"].as_i64(),
                    Figures {
                        customers: k["customers"].as_i64().unwrap(),
                        prospects: k["prospects"].as_i64().unwrap(),
                        revenue: money(&k["revenue"]),
                        pipeline: money(&k["pipeline"]),
                        open_cases: k["open_cases"].as_i64().unwrap(),
                        visits_planned: k["visits_planned"].as_i64().unwrap(),
                        visits_done: k["visits_done"].as_i64().unwrap(),
                    },
                )
            })
            .collect();
        assert_eq!(shown, by_rep, "KPIs per rep for {filter}");
        let territory_total: i64 = kpis["by_territory"]
            .as_array()
            .unwrap()
            .iter()
            .map(|row| {
                row["kpis"]["customers"].as_i64().unwrap()
                    + row["kpis"]["prospects"].as_i64().unwrap()
            })
            .sum();
        assert_eq!(
            territory_total,
            accounts.iter().filter(|a| keep(a)).count() as i64,
            "every account in exactly one territory row"
        );
    }
}

/// The filter as the server function takes it (every field present, `null` for "any").
fn filter_for_rpc(filter: &Value) -> Value {
    let mut full = json!({
        "kind": null, "status": null, "owner_id": null, "territory_id": null,
        "segment": null, "tag": null, "stage": null,
    });
    for (key, value) in filter.as_object().unwrap() {
        full[key] = value.clone();
    }
    full
}

#[tokio::test]
async fn panel_actions_write_history_and_cases_and_refuse_bad_input() {
    let app = TestApp::start().await;
    let account = all(&app, "/api/v1/accounts").await[0]["id"]
        .as_i64()
        .unwrap();

    let (status, id) = rpc(
        &app,
        "log_activity",
        json!({ "account_id": account, "kind": "meeting", "subject": "Quarterly review", "body": null }),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{id}");
    let (_, history) = app
        .get_json(&format!("/api/v1/accounts/{account}/history"))
        .await;
    assert!(
        history.to_string().contains("Quarterly review"),
        "the history shows the new activity: {history}"
    );
    let (_, activity) = app
        .get_json(&format!("/api/v1/activities/{}", id.as_i64().unwrap()))
        .await;
    assert_eq!(activity["kind"], "meeting");

    let (status, _) = rpc(
        &app,
        "open_case",
        json!({ "account_id": account, "subject": "Late delivery", "priority": "urgent", "description": "Third time" }),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let opened = all(
        &app,
        &format!("/api/v1/cases?account_id={account}&priority=urgent"),
    )
    .await;
    assert!(opened.iter().any(|c| c["subject"] == "Late delivery"));

    let before = all(&app, &format!("/api/v1/activities?account_id={account}"))
        .await
        .len();
    for (endpoint, args, field) in [
        (
            "log_activity",
            json!({ "account_id": account, "kind": "telepathy", "subject": "x", "body": null }),
            "kind",
        ),
        (
            "log_activity",
            json!({ "account_id": account, "kind": "call", "subject": "  ", "body": null }),
            "subject",
        ),
        (
            "open_case",
            json!({ "account_id": account, "subject": "x", "priority": "whenever", "description": null }),
            "priority",
        ),
        (
            "log_activity",
            json!({ "account_id": 999_999, "kind": "call", "subject": "x", "body": null }),
            "account_id",
        ),
    ] {
        let (status, answer) = rpc(&app, endpoint, args).await;
        assert_eq!(
            status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{endpoint}: {answer}"
        );
        assert!(
            answer.to_string().contains(field),
            "{endpoint} should name {field}: {answer}"
        );
    }
    assert_eq!(
        all(&app, &format!("/api/v1/activities?account_id={account}"))
            .await
            .len(),
        before,
        "refused input writes nothing"
    );
}
