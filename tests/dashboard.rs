//! The dashboard's data over HTTP, on both databases: the filtered map feed, the pipeline-stage
//! filter, the KPI roll-up and the panel's write actions. Expected values are computed here from
//! the REST API's full lists, independently of the SQL under test.

use std::collections::{BTreeMap, HashSet};

use axum::body::Body;
use axum::http::{Request, StatusCode};
use serde_json::{Value, json};
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
