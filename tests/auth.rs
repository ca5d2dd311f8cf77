//! Accounts, roles and security over HTTP, on the database `DATABASE_URL` names (SQLite
//! otherwise): the access matrix of every endpoint × role, row scoping, sign-in and its rate
//! limits, sessions, CSRF, API tokens, the first-admin setup, the audit log, privacy export and
//! erase, and hostile input.

use std::collections::BTreeSet;
use std::net::SocketAddr;

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{Request, StatusCode, header};
use serde_json::{Value, json};
use sqlx::Connection;
use wilayah_server::http::{Surface, route_table};
use wilayah_shared::access::{APP_POLICIES, Caller, Role, Rule};
use wilayah_tests::{Client, TEST_PASSWORD, TestApp, TestDatabase, create_user, quote_and_order};

/// The first staff member with this role in the demo data.
async fn staff_with_role(app: &TestApp, role: &str) -> i64 {
    let (status, body) = app
        .get_json(&format!("/api/v1/staff?role={role}&sort=id"))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body["items"][0]["id"].as_i64().expect("a staff member")
}

fn ids_of(items: &Value) -> BTreeSet<i64> {
    items
        .as_array()
        .expect("a list")
        .iter()
        .map(|a| a["id"].as_i64().unwrap())
        .collect()
}

/// Every account, as the admin sees it.
async fn all_accounts(app: &TestApp) -> Vec<Value> {
    let mut all = Vec::new();
    loop {
        let (status, page) = app
            .get_json(&format!("/api/v1/accounts?limit=1000&offset={}", all.len()))
            .await;
        assert_eq!(status, StatusCode::OK);
        let items = page["items"].as_array().unwrap().clone();
        let done =
            items.is_empty() || all.len() + items.len() >= page["total"].as_u64().unwrap() as usize;
        all.extend(items);
        if done {
            return all;
        }
    }
}

fn request(method: &str, uri: &str, body: Option<&Value>) -> Request<Body> {
    let builder = Request::builder().method(method).uri(uri);
    match body {
        Some(body) => builder
            .header("content-type", "application/json")
            .body(Body::from(body.to_string()))
            .unwrap(),
        None => builder.body(Body::empty()).unwrap(),
    }
}

/// One line of the access matrix: a route, page or server function of the route table, who
/// may reach it (`-` anonymous, A admin, M manager, P planner, R sales rep, T technician), and
/// the request to send when the default (path ids [`NONE`], an empty JSON object for writes, an
/// empty form for server functions) does not fit.
struct Case {
    method: &'static str,
    path: &'static str,
    allowed: &'static str,
    uri: Option<String>,
    body: Option<Value>,
    content_type: Option<&'static str>,
    raw: Option<String>,
}

fn case(method: &'static str, path: &'static str, allowed: &'static str) -> Case {
    Case {
        method,
        path,
        allowed,
        uri: None,
        body: None,
        content_type: None,
        raw: None,
    }
}

impl Case {
    fn uri(mut self, uri: impl Into<String>) -> Self {
        self.uri = Some(uri.into());
        self
    }
    fn json(mut self, body: Value) -> Self {
        self.body = Some(body);
        self
    }
    fn raw(mut self, content_type: &'static str, body: impl Into<String>) -> Self {
        self.content_type = Some(content_type);
        self.raw = Some(body.into());
        self
    }
    fn build(&self) -> Request<Body> {
        let uri = self
            .uri
            .clone()
            .unwrap_or_else(|| self.path.replace("{id}", &NONE.to_string()));
        match (&self.raw, &self.body) {
            (Some(raw), _) => Request::builder()
                .method(self.method)
                .uri(&uri)
                .header("content-type", self.content_type.unwrap())
                .body(Body::from(raw.clone()))
                .unwrap(),
            (None, Some(body)) => request(self.method, &uri, Some(body)),
            (None, None) if self.path.starts_with("/rpc/") => Request::builder()
                .method(self.method)
                .uri(&uri)
                .header("content-type", "application/x-www-form-urlencoded")
                .body(Body::empty())
                .unwrap(),
            (None, None) if matches!(self.method, "POST" | "PATCH") => {
                request(self.method, &uri, Some(&json!({})))
            }
            (None, None) => request(self.method, &uri, None),
        }
    }
}

/// Ids that exist nowhere: allowed destructive requests answer 404 and change nothing.
const NONE: i64 = 987_654;

/// Records the matrix's requests need.
struct Fixtures {
    account: i64,
    /// A user the admin's server functions may change, and a token of theirs to revoke.
    victim: i64,
    token: i64,
}

/// Every line of the route table, with who reaches it. A new route, page or server function
/// gets its line here in the same commit as its policy.
fn matrix(f: &Fixtures) -> Vec<Case> {
    let account = f.account;
    let filter = r#"{"kind":null,"status":null,"owner_id":null,"territory_id":null,"segment":null,"tag":null,"stage":null}"#;
    let mut cases = vec![
        // Probes and sign-in: no sign-in needed.
        case("GET", "/healthz", "-AMPRT"),
        case("GET", "/readyz", "-AMPRT"),
        case("POST", "/auth/login", "-AMPRT"),
        case("POST", "/auth/logout", "-AMPRT"),
        case("POST", "/auth/setup", "-AMPRT"),
        case("POST", "/api/v1/auth/login", "-AMPRT"),
        case("POST", "/api/v1/auth/setup", "-AMPRT"),
        case("POST", "/api/v1/auth/logout", "AMPRT"),
        case("GET", "/api/v1/auth/me", "AMPRT"),
        case("GET", "/api/v1/openapi.json", "AMPRT"),
        // Accounts.
        case("GET", "/api/v1/accounts", "AMPRT"),
        case("POST", "/api/v1/accounts", "AMPR"),
        case("GET", "/api/v1/accounts/nearby", "AMPRT")
            .uri("/api/v1/accounts/nearby?lon=106.8&lat=-6.2"),
        case("GET", "/api/v1/accounts/{id}", "AMPRT").uri(format!("/api/v1/accounts/{account}")),
        case("PATCH", "/api/v1/accounts/{id}", "AMPR").json(json!({"version": 1})),
        case("DELETE", "/api/v1/accounts/{id}", "AM"),
        case("GET", "/api/v1/accounts/{id}/history", "AMPRT")
            .uri(format!("/api/v1/accounts/{account}/history")),
        case("POST", "/api/v1/accounts/import", "AMP")
            .uri("/api/v1/accounts/import?dry_run=true")
            .raw("text/csv", "name,lon,lat\n"),
        case("GET", "/api/v1/accounts/export", "AMPRT"),
        // Placing accounts: position by address, duplicates, merge.
        case("GET", "/api/v1/geocode", "AMPRT").uri("/api/v1/geocode?q=Bandung"),
        case("GET", "/api/v1/accounts/{id}/duplicates", "AMPRT"),
        case("POST", "/api/v1/accounts/{id}/merge", "AMPR")
            .json(json!({"from": NONE, "version": 1})),
        case("GET", "/api/v1/accounts/duplicates", "AMPRT")
            .uri("/api/v1/accounts/duplicates?name=Toko&lon=106.8&lat=-6.2"),
        // Saved views of the accounts list.
        case("GET", "/api/v1/views", "AMPRT"),
        case("POST", "/api/v1/views", "AMPRT").json(json!({"name": 3})),
        case("DELETE", "/api/v1/views/{id}", "AMPRT"),
        case("POST", "/api/v1/territories/import", "AP")
            .uri("/api/v1/territories/import?dry_run=true")
            .raw(
                "application/geo+json",
                r#"{"type":"FeatureCollection","features":[]}"#,
            ),
        case("GET", "/api/v1/territories/export", "AMPRT"),
        // Map feeds.
        case("GET", "/api/v1/map/accounts.geojson", "AMPRT"),
        case("GET", "/api/v1/map/territories.geojson", "AMPRT"),
        case("GET", "/api/v1/map/visits.geojson", "AMPRT"),
        // Route planning and field service (a technician's own day: see the test below).
        case("POST", "/api/v1/routes/plan", "AMP"),
        case("POST", "/api/v1/routes/suggest", "AMPT"),
        case("GET", "/api/v1/field/day", "AMPT"),
        case("GET", "/api/v1/field/actions", "AMPT"),
        case("POST", "/api/v1/field/actions", "AMPT"),
        case("POST", "/api/v1/routes/add-stop", "AMPT"),
        // Territory planning.
        case("GET", "/api/v1/planning/revision", "AP"),
        case("POST", "/api/v1/planning/validate", "AP"),
        case("GET", "/api/v1/planning/drafts", "AP"),
        case("POST", "/api/v1/planning/drafts", "AP").json(json!({"name": 3})),
        case("GET", "/api/v1/planning/drafts/{id}", "AP"),
        case("PATCH", "/api/v1/planning/drafts/{id}", "AP").json(json!({"version": 1})),
        case("DELETE", "/api/v1/planning/drafts/{id}", "AP"),
        case("POST", "/api/v1/planning/drafts/{id}/import", "AP")
            .uri(format!("/api/v1/planning/drafts/{NONE}/import?version=1"))
            .raw(
                "application/geo+json",
                r#"{"type":"FeatureCollection","features":[]}"#,
            ),
        case("GET", "/api/v1/planning/drafts/{id}/export", "AP"),
        case("GET", "/api/v1/planning/drafts/{id}/preview", "AP"),
        case("POST", "/api/v1/planning/drafts/{id}/publish", "AP"),
        case("POST", "/api/v1/planning/auto-assign", "AP").json(json!({"dry_run": "no"})),
        case("GET", "/api/v1/planning/unassigned", "AP"),
        case("POST", "/api/v1/planning/balance", "AP").json(json!({"measure": "nothing"})),
        case("GET", "/api/v1/planning/publications", "AP"),
        // Quotes and orders (a rep on their own accounts, a manager in their region).
        case("GET", "/api/v1/quotes", "AMR"),
        case("POST", "/api/v1/quotes", "AMR"),
        case("GET", "/api/v1/quotes/{id}", "AMR"),
        case("PATCH", "/api/v1/quotes/{id}", "AMR").json(json!({"version": 1})),
        case("POST", "/api/v1/quotes/{id}/status", "AMR")
            .json(json!({"version": 1, "status": "sent"})),
        case("POST", "/api/v1/quotes/{id}/revise", "AMR")
            .json(json!({"version": 1, "valid_until": "2030-01-01"})),
        case("POST", "/api/v1/quotes/{id}/approve", "AM").json(json!({"version": 1})),
        case("GET", "/api/v1/orders", "AMR"),
        case("POST", "/api/v1/orders", "AMR"),
        case("GET", "/api/v1/orders/{id}", "AMR"),
        case("POST", "/api/v1/orders/{id}/status", "AMR")
            .json(json!({"version": 1, "status": "delivered"})),
        case("POST", "/api/v1/orders/{id}/returns", "AMR")
            .json(json!({"version": 1, "line_no": 1, "quantity_milli": 1})),
        case("GET", "/api/v1/sales/settings", "AMR"),
        case("PUT", "/api/v1/sales/settings", "A").json(json!({"version": "x"})),
        case("POST", "/api/v1/products/import", "A")
            .uri("/api/v1/products/import?dry_run=true")
            .raw("text/csv", "sku,name_en,list_price_minor\n"),
        case("GET", "/api/v1/products/export", "AM"),
        case("POST", "/api/v1/orders/import", "AM")
            .uri("/api/v1/orders/import?dry_run=true")
            .raw("text/csv", "account_external_id,order_date,external_order_id,sku,quantity,unit_price_minor,currency\n"),
        // Customer analytics over the caller's accounts' orders.
        case("GET", "/api/v1/analytics/rfm", "AMPR"),
        case("GET", "/api/v1/analytics/pareto", "AMPR"),
        case("GET", "/api/v1/analytics/cohorts", "AMPR"),
        case("GET", "/api/v1/analytics/cross-sell", "AMPR"),
        case("GET", "/api/v1/analytics/offers", "AMPR"),
        case("GET", "/api/v1/accounts/{id}/recommendations", "AMPR")
            .uri(format!("/api/v1/accounts/{account}/recommendations")),
        case("GET", "/api/v1/analytics/unusual-orders", "AMPR"),
        case("GET", "/api/v1/analytics/clv", "AMPR"),
        case("GET", "/api/v1/analytics/profitability", "AMPR"),
        case("GET", "/api/v1/accounts/{id}/profitability", "AMPR")
            .uri(format!("/api/v1/accounts/{account}/profitability")),
        // Starting the scoring job: an out-of-range setting, so an allowed caller gets 400.
        case("POST", "/api/v1/analytics/scoring-jobs", "AM").json(json!({"margin_share": 5})),
        case("GET", "/api/v1/analytics/scoring-jobs/latest", "AMPR"),
        case("GET", "/api/v1/analytics/scores", "AMPR"),
        case("GET", "/api/v1/analytics/revenue-trend", "AMPR"),
        case("GET", "/api/v1/analytics/map", "AMPR"),
        case("GET", "/api/v1/analytics/at-risk-nearby", "AMPRT")
            .uri("/api/v1/analytics/at-risk-nearby?lon=106.8&lat=-6.2"),
        case("GET", "/api/v1/analytics/at-risk-along-route", "AMPRT"),
        case("GET", "/api/v1/analytics/territories", "AMPR"),
        // Segments (issue 16): whoever analyses the book (a write's body is refused, so an
        // allowed caller changes nothing).
        case("GET", "/api/v1/segments", "AMP"),
        case("POST", "/api/v1/segments", "AMP").json(json!({"name": 3})),
        case("GET", "/api/v1/segments/{id}", "AMP"),
        case("PATCH", "/api/v1/segments/{id}", "AMP").json(json!({"name": "x", "version": 1})),
        case("DELETE", "/api/v1/segments/{id}", "AMP"),
        case("GET", "/api/v1/segments/{id}/members", "AMP"),
        case("GET", "/api/v1/segments/{id}/export", "AMP"),
        case("POST", "/api/v1/segments/preview", "AMP"),
        // Campaigns (issue 16): managers (and admins).
        case("GET", "/api/v1/campaigns", "AM"),
        case("POST", "/api/v1/campaigns", "AM").json(json!({"name": 3})),
        case("GET", "/api/v1/campaigns/{id}", "AM"),
        case("PATCH", "/api/v1/campaigns/{id}", "AM").json(json!({"name": 3})),
        case("DELETE", "/api/v1/campaigns/{id}", "AM"),
        case("POST", "/api/v1/campaigns/{id}/launch", "AM").json(json!({"version": 1})),
        case("GET", "/api/v1/campaigns/{id}/recipients", "AM"),
        case("GET", "/api/v1/campaigns/{id}/export", "AM"),
        case("GET", "/api/v1/unsubscribe/{id}", "-AMPRT")
            .uri("/api/v1/unsubscribe/0123456789abcdef0123456789abcdef"),
        // Leads, the pipeline board and follow-ups.
        case("POST", "/api/v1/accounts/{id}/lead", "AMR")
            .json(json!({"version": 1, "status": "contacted"})),
        case("POST", "/api/v1/accounts/{id}/convert", "AMR")
            .json(json!({"version": 1, "deal": {"title": "x"}})),
        case("GET", "/api/v1/pipeline/board", "AMR"),
        case("GET", "/api/v1/pipeline/stages", "AMR"),
        case("PUT", "/api/v1/pipeline/stages", "A").json(json!({"stages": []})),
        case("POST", "/api/v1/tasks/{id}/complete", "AMR").json(json!({"version": 1})),
        case("GET", "/api/v1/my-day", "AMR"),
        // The service desk: SLA policies, the case queue, escalation, call centre, public form.
        case("GET", "/api/v1/sla-policies", "AMRT"),
        case("PUT", "/api/v1/sla-policies", "A").json(json!({"version": "x"})),
        case("GET", "/api/v1/cases/queue", "AMRT"),
        case("POST", "/api/v1/cases/escalations", "AM"),
        case("GET", "/api/v1/call-centre/callers", "AMRT")
            .uri("/api/v1/call-centre/callers?phone=0812%203456%207890"),
        case("POST", "/api/v1/public/reports", "-AMPRT").json(json!({"name": 3})),
        // Satisfaction surveys: results for those who look after customers, the sweep by hand
        // for managers, the e-mailed link for anybody who holds it.
        case("GET", "/api/v1/surveys/results", "AMPR"),
        case("GET", "/api/v1/surveys", "AMPR"),
        case("POST", "/api/v1/surveys/sweep", "AM"),
        case("GET", "/api/v1/public/surveys/{id}", "-AMPRT")
            .uri("/api/v1/public/surveys/0123456789abcdef0123456789abcdef"),
        case("POST", "/api/v1/public/surveys/{id}", "-AMPRT")
            .uri("/api/v1/public/surveys/0123456789abcdef0123456789abcdef")
            .json(json!({"score": 9})),
        // Audit log and privacy.
        case("GET", "/api/v1/audit", "AM"),
        case("GET", "/api/v1/accounts/{id}/export", "AM"),
        case("POST", "/api/v1/accounts/{id}/erase", "AM"),
        // Users and API tokens.
        case("GET", "/api/v1/users", "A"),
        case("POST", "/api/v1/users", "A"),
        case("POST", "/api/v1/users/{id}/password", "A"),
        case("GET", "/api/v1/tokens", "A"),
        case("POST", "/api/v1/tokens", "A"),
        case("DELETE", "/api/v1/tokens/{id}", "A"),
        // Pages.
        case("GET", "/login", "-AMPRT"),
        case("GET", "/setup", "-AMPRT"),
        case("GET", "/", "AMPRT"),
        case("GET", "/tech", "AMPT"),
        case("GET", "/planner", "AP"),
        case("GET", "/admin", "A"),
        case("GET", "/analytics", "AMPR"),
        case("GET", "/leads", "AMR"),
        case("GET", "/pipeline", "AMR"),
        case("GET", "/today", "AMR"),
        case("GET", "/import", "AMP"),
        case("GET", "/accounts", "AMPRT"),
        case("GET", "/accounts/new", "AMPR"),
        case("GET", "/accounts/{id}", "AMPRT").uri(format!("/accounts/{account}")),
        case("GET", "/catalogue", "AM"),
        case("GET", "/quotes/{id}", "AMR"),
        case("GET", "/quotes/{id}/print", "AMR"),
        case("GET", "/orders", "AMR"),
        case("GET", "/orders/{id}", "AMR"),
        case("GET", "/cases", "AMRT"),
        case("GET", "/call-centre", "AMRT"),
        case("GET", "/survey/{id}", "-AMPRT").uri("/survey/0123456789abcdef0123456789abcdef"),
        case("GET", "/report", "-AMPRT"),
        case("GET", "/segments", "AMP"),
        case("GET", "/campaigns", "AM"),
        case("GET", "/campaigns/new", "AM"),
        case("GET", "/campaigns/{id}", "AM").uri("/campaigns/1".to_owned()),
        // Server functions of the pages.
        case("POST", "/rpc/filter_options", "AMPRT"),
        case("POST", "/rpc/dashboard_kpis", "AMPRT").raw(
            "application/json",
            format!(r#"{{"filter":{filter},"unassigned":"-"}}"#),
        ),
        case("POST", "/rpc/dashboard_list", "AMPRT").raw(
            "application/json",
            format!(r#"{{"filter":{filter},"offset":0}}"#),
        ),
        case("POST", "/rpc/log_activity", "AMRT").raw(
            "application/json",
            format!(r#"{{"account_id":{NONE},"kind":"call","subject":"x","body":null}}"#),
        ),
        case("POST", "/rpc/open_case", "AMRT").raw(
            "application/json",
            format!(r#"{{"account_id":{NONE},"subject":"x","priority":"low","description":null}}"#),
        ),
        case("POST", "/rpc/dashboard_summary", "AMPRT"),
        case("POST", "/rpc/map_settings", "AMPRT"),
        case("POST", "/rpc/account_panel", "AMPRT")
            .raw("application/x-www-form-urlencoded", format!("id={account}")),
        case("POST", "/rpc/nearby_prospects", "AMPRT").raw(
            "application/json",
            format!(r#"{{"origin":{{"Account":{account}}},"search":{{"Nearest":{{"k":3}}}}}}"#),
        ),
        case("POST", "/rpc/admin_overview", "A"),
        case("POST", "/rpc/admin_add_user", "A").raw(
            "application/x-www-form-urlencoded",
            "email=matrix%40test.example&password=long+enough+pw&role=planner&staff_id=",
        ),
        case("POST", "/rpc/admin_reset_password", "A").raw(
            "application/x-www-form-urlencoded",
            format!("user_id={}&password=long+enough+pw", f.victim),
        ),
        case("POST", "/rpc/admin_new_token", "A").raw(
            "application/x-www-form-urlencoded",
            format!("user_id={}&name=matrix", f.victim),
        ),
        case("POST", "/rpc/admin_revoke_token", "A").raw(
            "application/x-www-form-urlencoded",
            format!("token_id={}", f.token),
        ),
    ];
    // The generic resources: (name, who reads, creates, updates, deletes).
    let generic: [(&str, &str, &str, &str, &str); 11] = [
        ("contacts", "AMRT", "AMR", "AMR", "AMR"),
        ("staff", "AMPRT", "A", "A", "A"),
        ("territories", "AMPRT", "AP", "AP", "AP"),
        ("opportunities", "AMR", "AMR", "AMR", "AMR"),
        ("activities", "AMRT", "AMRT", "A", "AM"),
        ("cases", "AMRT", "AMRT", "AMRT", "AM"),
        ("visits", "AMPRT", "AMP", "AMPT", "AMP"),
        ("products", "AMR", "A", "A", "A"),
        ("price_lists", "AMR", "A", "A", "A"),
        ("price_list_items", "AMR", "A", "A", "A"),
        ("tasks", "AMR", "AMR", "AMR", "AMR"),
    ];
    for (name, read, create, update, delete) in generic {
        let collection: &'static str = format!("/api/v1/{name}").leak();
        let item: &'static str = format!("/api/v1/{name}/{{id}}").leak();
        cases.push(case("GET", collection, read));
        cases.push(case("GET", item, read));
        cases.push(case("POST", collection, create));
        cases.push(case("PATCH", item, update).json(json!({"version": 1})));
        cases.push(case("DELETE", item, delete));
    }
    cases
}

/// Paths and methods nothing declares: deny by default (admins get 404 or 405).
fn undeclared() -> Vec<Case> {
    vec![
        case("POST", "/rpc/no_policy_yet", "A"),
        case("GET", "/api/v1/not_a_route_yet", "A"),
        case("PUT", "/api/v1/contacts/{id}", "A"),
        case("POST", "/api/v1/accounts/{id}", "A"),
        case("GET", "/a_page_without_a_line", "A"),
    ]
}

/// A caller of each role, as the rules see them.
fn callers() -> Vec<(char, Caller)> {
    [
        ('A', Role::Admin),
        ('M', Role::Manager),
        ('P', Role::Planner),
        ('R', Role::SalesRep),
        ('T', Role::Technician),
    ]
    .into_iter()
    .map(|(letter, role)| {
        (
            letter,
            Caller {
                user_id: 1,
                email: "x@test.example".into(),
                role,
                staff_id: Some(1),
                region: vec![],
            },
        )
    })
    .collect()
}

/// Who a rule admits, in the matrix's letters.
fn admitted(rule: Rule) -> String {
    let mut letters = String::new();
    if rule.admits(None) {
        letters.push('-');
    }
    for (letter, caller) in callers() {
        if rule.admits(Some(&caller)) {
            letters.push(letter);
        }
    }
    letters
}

#[tokio::test]
async fn every_route_page_and_server_function_has_a_policy_and_a_matrix_line() {
    let table = route_table();
    let fixtures = Fixtures {
        account: 1,
        victim: 1,
        token: 1,
    };
    let cases = matrix(&fixtures);
    let mut problems = Vec::new();
    for entry in &table {
        let Some(rule) = entry.rule else {
            problems.push(format!(
                "{:?} {} {} has no policy line (admin-only by default): add one",
                entry.surface, entry.method, entry.path
            ));
            continue;
        };
        let method = if entry.surface == Surface::ServerFn {
            "POST"
        } else {
            entry.method.as_str()
        };
        match cases
            .iter()
            .find(|c| c.method == method && c.path == entry.path)
        {
            None => problems.push(format!(
                "{} {} ({rule:?}) has no line in the access matrix",
                entry.method, entry.path
            )),
            Some(c) if c.allowed != admitted(rule) => problems.push(format!(
                "{} {}: the matrix says {:?}, its rule {rule:?} admits {:?}",
                entry.method,
                entry.path,
                c.allowed,
                admitted(rule)
            )),
            Some(_) => {}
        }
    }
    for c in &cases {
        let routed = table
            .iter()
            .any(|e| e.path == c.path && (e.method == c.method || e.surface == Surface::ServerFn));
        if !routed {
            problems.push(format!(
                "the matrix names {} {}, which nothing routes",
                c.method, c.path
            ));
        }
    }
    for line in APP_POLICIES {
        if !table.iter().any(|e| e.path == line.path) {
            problems.push(format!(
                "APP_POLICIES names {}, which is no page or server function",
                line.path
            ));
        }
    }
    assert!(table.len() > 100, "{} lines", table.len());
    assert!(
        problems.is_empty(),
        "{} problems:\n{}",
        problems.len(),
        problems.join("\n")
    );
}

/// Whether an answer means the request got past the access rules.
fn reached(case: &Case, status: StatusCode) -> bool {
    let to_login =
        case.method == "GET" && !case.path.starts_with("/api/") && status == StatusCode::SEE_OTHER;
    !matches!(status, StatusCode::FORBIDDEN | StatusCode::UNAUTHORIZED) && !to_login
}

/// Sends a case's request on a task of its own, as a server would: a page renders its
/// streamed body inside Leptos's reactive arena of that task. A handler that panics (which
/// drops a real client's connection) answers 599 here, so it is reported with its case.
async fn send(client: &Client, case: &Case) -> (StatusCode, Vec<u8>) {
    let (client, request) = (client.clone(), case.build());
    // The status decides here; a page whose stream stops early is another test's business.
    match tokio::spawn(async move { client.request_status(request).await }).await {
        Ok(answer) => answer,
        Err(e) => (
            StatusCode::from_u16(599).unwrap(),
            format!("the handler panicked: {e}").into_bytes(),
        ),
    }
}

#[tokio::test]
async fn the_access_matrix_holds_for_every_route_page_and_server_function() {
    let app = TestApp::start().await;
    let rep = staff_with_role(&app, "sales_rep").await;
    let technician = staff_with_role(&app, "technician").await;
    let victim = create_user(
        &app.state,
        "victim@test.example",
        Role::Planner,
        None,
        vec![],
    )
    .await;
    let (status, token) = app
        .send_json(
            "POST",
            "/api/v1/tokens",
            &json!({"name": "matrix", "user_id": victim.id}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{token}");
    let fixtures = Fixtures {
        account: all_accounts(&app).await[0]["id"].as_i64().unwrap(),
        victim: victim.id,
        token: token["record"]["id"].as_i64().unwrap(),
    };
    let clients: Vec<(char, Client)> = vec![
        ('A', app.as_user(Role::Admin, None, vec![]).await),
        ('M', app.as_user(Role::Manager, None, vec![]).await),
        ('P', app.as_user(Role::Planner, None, vec![]).await),
        ('R', app.as_user(Role::SalesRep, Some(rep), vec![]).await),
        (
            'T',
            app.as_user(Role::Technician, Some(technician), vec![])
                .await,
        ),
    ];
    let anonymous = app.anonymous();
    let mut failures = Vec::new();
    let mut cases = matrix(&fixtures);
    cases.extend(undeclared());
    for case in &cases {
        let (status, body) = send(&anonymous, case).await;
        if reached(case, status) != case.allowed.contains('-') {
            failures.push(format!(
                "anonymous {} {} → {status} {}",
                case.method,
                case.path,
                String::from_utf8_lossy(&body)
                    .chars()
                    .take(200)
                    .collect::<String>()
            ));
        }
        for (role, client) in &clients {
            let (status, body) = send(client, case).await;
            let expected = case.allowed.contains(*role);
            if reached(case, status) != expected || status.is_server_error() {
                failures.push(format!(
                    "{role} {} {} → {status} (expected {}) {}",
                    case.method,
                    case.path,
                    if expected { "to reach it" } else { "403" },
                    String::from_utf8_lossy(&body)
                        .chars()
                        .take(200)
                        .collect::<String>()
                ));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[tokio::test]
async fn a_page_a_role_may_not_use_is_refused_without_its_data() {
    let app = TestApp::start().await;
    let rep = staff_with_role(&app, "sales_rep").await;
    let technician = staff_with_role(&app, "technician").await;
    create_user(
        &app.state,
        "secret-admin@test.example",
        Role::Admin,
        None,
        vec![],
    )
    .await;
    for client in [
        app.as_user(Role::SalesRep, Some(rep), vec![]).await,
        app.as_user(Role::Technician, Some(technician), vec![])
            .await,
        app.as_user(Role::Manager, None, vec![]).await,
    ] {
        let (status, html) = client.get("/admin").await;
        let html = String::from_utf8_lossy(&html);
        assert_eq!(status, StatusCode::FORBIDDEN, "{html}");
        assert!(!html.contains("@test.example"), "no user's e-mail: {html}");
        assert!(html.contains("data-testid=\"forbidden\""), "{html}");
    }
    // The refusal is in the user's language.
    let planner = app.as_user(Role::Planner, None, vec![]).await;
    let request = Request::get("/admin")
        .header("cookie", "wilayah_lang=id")
        .body(Body::empty())
        .unwrap();
    let (status, html) = planner.request(request).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(String::from_utf8_lossy(&html).contains("Halaman ini bukan untuk peran Anda"));
    let (status, html) = app.get("/admin").await;
    assert_eq!(status, StatusCode::OK);
    assert!(String::from_utf8_lossy(&html).contains("secret-admin@test.example"));
}

#[tokio::test]
async fn a_sales_rep_sees_only_their_accounts_everywhere() {
    let app = TestApp::start().await;
    let rep = staff_with_role(&app, "sales_rep").await;
    let all = all_accounts(&app).await;
    let (_, territories) = app
        .get_json(&format!("/api/v1/territories?owner_id={rep}"))
        .await;
    let own_territories: BTreeSet<i64> = ids_of(&territories["items"]);
    let mut expected: BTreeSet<i64> = all
        .iter()
        .filter(|a| {
            a["owner_id"].as_i64() == Some(rep)
                || (a["kind"] == "prospect"
                    && a["territory_id"]
                        .as_i64()
                        .is_some_and(|t| own_territories.contains(&t)))
        })
        .map(|a| a["id"].as_i64().unwrap())
        .collect();
    assert!(!expected.is_empty() && expected.len() < all.len());
    let client = app.as_user(Role::SalesRep, Some(rep), vec![]).await;

    let (status, page) = client.get_json("/api/v1/accounts?limit=1000").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(ids_of(&page["items"]), expected, "list");
    assert_eq!(page["total"].as_u64().unwrap() as usize, expected.len());

    let (_, map) = client.get_json("/api/v1/map/accounts.geojson").await;
    assert_eq!(ids_of(&map["features"]), expected, "map");

    // Nearby from the middle of nowhere in particular: k nearest *of theirs*.
    let (status, near) = client
        .get_json("/api/v1/accounts/nearby?lon=110&lat=-7&k=500")
        .await;
    assert_eq!(status, StatusCode::OK);
    let near: BTreeSet<i64> = near
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["account"]["id"].as_i64().unwrap())
        .collect();
    assert_eq!(near, expected, "nearby");

    let (status, csv) = client.get("/api/v1/accounts/export").await;
    assert_eq!(status, StatusCode::OK);
    let rows = String::from_utf8(csv).unwrap().lines().count() - 1;
    assert_eq!(rows, expected.len(), "export");

    let foreign = all
        .iter()
        .map(|a| a["id"].as_i64().unwrap())
        .find(|id| !expected.contains(id))
        .unwrap();
    let mine = *expected.iter().next().unwrap();
    for uri in [
        format!("/api/v1/accounts/{foreign}"),
        format!("/api/v1/accounts/{foreign}/history"),
    ] {
        let (status, _) = client.get(&uri).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{uri}");
    }
    let (status, _) = client
        .get(&format!("/api/v1/accounts/{mine}/history"))
        .await;
    assert_eq!(status, StatusCode::OK);

    // Contacts follow their accounts; one of a foreign account reads as missing.
    let (_, contacts) = client.get_json("/api/v1/contacts?limit=1000").await;
    for c in contacts["items"].as_array().unwrap() {
        assert!(expected.contains(&c["account_id"].as_i64().unwrap()), "{c}");
    }
    let (_, foreign_contacts) = app
        .get_json(&format!("/api/v1/contacts?account_id={foreign}"))
        .await;
    if let Some(c) = foreign_contacts["items"].as_array().unwrap().first() {
        let (status, _) = client.get(&format!("/api/v1/contacts/{}", c["id"])).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
    }
    // Writing onto a foreign account reads as a reference to nothing.
    let (status, body) = client
        .send_json(
            "POST",
            "/api/v1/contacts",
            &json!({"account_id": foreign, "name": "X"}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["field"], "account_id");
    // A rep creates only accounts they own.
    let (status, _) = client
        .send_json(
            "POST",
            "/api/v1/accounts",
            &json!({"name": "Toko Baru", "lon": 106.8, "lat": -6.2, "owner_id": rep + 1000}),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, created) = client
        .send_json(
            "POST",
            "/api/v1/accounts",
            &json!({"name": "Toko Baru", "lon": 106.8, "lat": -6.2, "owner_id": rep}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    expected.insert(created["id"].as_i64().unwrap());

    // The server functions of the UI: the panel of a foreign account is "no such account".
    let rpc = |body: String| {
        Request::post("/rpc/account_panel")
            .header("content-type", "application/x-www-form-urlencoded")
            .body(Body::from(body))
            .unwrap()
    };
    let (status, body) = client.request(rpc(format!("id={foreign}"))).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(String::from_utf8_lossy(&body), "null");
    let (status, body) = client.request(rpc(format!("id={mine}"))).await;
    assert_eq!(status, StatusCode::OK);
    assert!(String::from_utf8_lossy(&body).contains("\"contacts\""));
    let nearby = Request::post("/rpc/nearby_prospects")
        .header("content-type", "application/json")
        .body(Body::from(
            json!({"origin": {"Account": mine}, "search": {"Nearest": {"k": 50}}}).to_string(),
        ))
        .unwrap();
    let (status, body) = client.request(nearby).await;
    assert_eq!(status, StatusCode::OK);
    let nearby: Value = serde_json::from_slice(&body).unwrap();
    for p in nearby.as_array().unwrap() {
        assert!(expected.contains(&p["id"].as_i64().unwrap()), "{p}");
    }
}

#[tokio::test]
async fn technicians_and_regional_managers_get_their_rows() {
    let app = TestApp::start().await;
    let technician = staff_with_role(&app, "technician").await;
    let client = app
        .as_user(Role::Technician, Some(technician), vec![])
        .await;
    let (_, visits) = client.get_json("/api/v1/visits?limit=1000").await;
    let visits = visits["items"].as_array().unwrap();
    assert!(!visits.is_empty());
    let visited: BTreeSet<i64> = visits
        .iter()
        .map(|v| {
            assert_eq!(v["technician_id"].as_i64(), Some(technician), "{v}");
            v["account_id"].as_i64().unwrap()
        })
        .collect();
    let (_, accounts) = client.get_json("/api/v1/accounts?limit=1000").await;
    assert_eq!(
        ids_of(&accounts["items"]),
        visited,
        "the accounts they visit"
    );
    let (_, map) = client
        .get_json("/api/v1/map/visits.geojson?date=2000-01-01")
        .await;
    assert_eq!(map["features"].as_array().unwrap().len(), 0);

    let (_, territories) = app.get_json("/api/v1/territories?sort=id").await;
    let region = territories["items"][0]["id"].as_i64().unwrap();
    let manager = app.as_user(Role::Manager, None, vec![region]).await;
    let (_, accounts) = manager.get_json("/api/v1/accounts?limit=1000").await;
    let items = accounts["items"].as_array().unwrap();
    assert!(!items.is_empty());
    assert!(
        items
            .iter()
            .all(|a| a["territory_id"].as_i64() == Some(region))
    );
    let (_, all) = app
        .get_json(&format!(
            "/api/v1/accounts?territory_id={region}&limit=1000"
        ))
        .await;
    assert_eq!(accounts["total"], all["total"]);

    // Their route plan holds the visits to their region's accounts only.
    let theirs: BTreeSet<i64> = items.iter().map(|a| a["id"].as_i64().unwrap()).collect();
    let body = json!({
        "date": chrono::Utc::now().date_naive().to_string(),
        "utc_offset_minutes": 420,
        "max_iterations": 200,
    });
    let planned_accounts = |plan: &Value| -> BTreeSet<i64> {
        let stops = plan["routes"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|r| r["stops"].as_array().unwrap().iter());
        stops
            .chain(plan["unassigned"].as_array().unwrap().iter())
            .map(|v| v["account_id"].as_i64().unwrap())
            .collect()
    };
    let (status, everyone) = app.send_json("POST", "/api/v1/routes/plan", &body).await;
    assert_eq!(status, StatusCode::OK, "{everyone}");
    let everyones = planned_accounts(&everyone);
    assert!(
        !everyones.is_subset(&theirs),
        "the demo has visits outside the region today"
    );
    let (status, plan) = manager
        .send_json("POST", "/api/v1/routes/plan", &body)
        .await;
    assert_eq!(status, StatusCode::OK, "{plan}");
    let planned = planned_accounts(&plan);
    assert!(planned.is_subset(&theirs), "{planned:?} vs {theirs:?}");
    assert_eq!(
        planned,
        everyones.intersection(&theirs).copied().collect(),
        "every visit of the region is planned"
    );
}

/// The Set-Cookie headers of an answer.
fn set_cookies(response: &axum::http::Response<Body>) -> Vec<String> {
    response
        .headers()
        .get_all(header::SET_COOKIE)
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .collect()
}

fn login_request(email: &str, password: &str, client_ip: [u8; 4]) -> Request<Body> {
    let mut request = request(
        "POST",
        "/api/v1/auth/login",
        Some(&json!({"email": email, "password": password})),
    );
    request
        .extensions_mut()
        .insert(ConnectInfo(SocketAddr::from((client_ip, 40000))));
    request
}

#[tokio::test]
async fn signing_in_sets_a_strict_session_cookie_and_signing_out_ends_it() {
    let app = TestApp::start().await;
    create_user(&app.state, "mira@test.example", Role::Manager, None, vec![]).await;
    let response = tower::ServiceExt::oneshot(
        app.plain_router.clone(),
        login_request("Mira@Test.example", TEST_PASSWORD, [10, 0, 0, 1]),
    )
    .await
    .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let cookies = set_cookies(&response);
    let session = cookies
        .iter()
        .find(|c| c.starts_with("wilayah_session="))
        .unwrap();
    assert!(
        session.contains("HttpOnly") && session.contains("SameSite=Lax"),
        "{session}"
    );
    assert!(!session.contains("Secure"), "plain HTTP: no Secure flag");
    // Behind a TLS proxy the cookie is Secure.
    let mut behind_tls = login_request("mira@test.example", TEST_PASSWORD, [10, 0, 0, 1]);
    behind_tls
        .headers_mut()
        .insert("x-forwarded-proto", "https".parse().unwrap());
    let response = tower::ServiceExt::oneshot(app.plain_router.clone(), behind_tls)
        .await
        .unwrap();
    assert!(
        set_cookies(&response)
            .iter()
            .all(|c| c.contains("; Secure"))
    );

    let client = app.login("mira@test.example", TEST_PASSWORD).await;
    let (status, me) = client.get_json("/api/v1/auth/me").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(me["user"]["role"], "manager");
    let (status, _) = client
        .send_json("POST", "/api/v1/auth/logout", &json!({}))
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, body) = client.get_json("/api/v1/auth/me").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");

    // Without a session, pages send the browser to the login page.
    let (status, _) = app.anonymous().get("/").await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (status, body) = app.anonymous().get("/login").await;
    assert_eq!(status, StatusCode::OK);
    assert!(String::from_utf8_lossy(&body).contains("data-testid=\"login-form\""));
}

#[tokio::test]
async fn wrong_passwords_are_refused_and_rate_limited_per_account_and_per_address() {
    let app = TestApp::start().await;
    create_user(&app.state, "rina@test.example", Role::Planner, None, vec![]).await;
    create_user(&app.state, "budi@test.example", Role::Planner, None, vec![]).await;
    let send = |r| tower::ServiceExt::oneshot(app.plain_router.clone(), r);
    for attempt in 0..5u8 {
        let response = send(login_request(
            "rina@test.example",
            "wrong password!",
            [10, 0, 1, attempt],
        ))
        .await
        .unwrap();
        assert_eq!(
            response.status(),
            StatusCode::UNAUTHORIZED,
            "attempt {attempt}"
        );
    }
    // The account is locked for a while, even with the right password and from elsewhere.
    let response = send(login_request(
        "rina@test.example",
        TEST_PASSWORD,
        [10, 9, 9, 9],
    ))
    .await
    .unwrap();
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(response.headers().contains_key(header::RETRY_AFTER));
    // Unknown accounts fail the same way as wrong passwords.
    let response = send(login_request(
        "nobody@test.example",
        TEST_PASSWORD,
        [10, 0, 2, 0],
    ))
    .await
    .unwrap();
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    // One address trying many accounts is stopped after 20 failures.
    for attempt in 0..20u32 {
        let response = send(login_request(
            &format!("guess{attempt}@test.example"),
            "x",
            [10, 0, 3, 3],
        ))
        .await
        .unwrap();
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    }
    let response = send(login_request(
        "budi@test.example",
        TEST_PASSWORD,
        [10, 0, 3, 3],
    ))
    .await
    .unwrap();
    assert_eq!(
        response.status(),
        StatusCode::TOO_MANY_REQUESTS,
        "the address is limited"
    );
    let response = send(login_request(
        "budi@test.example",
        TEST_PASSWORD,
        [10, 0, 4, 4],
    ))
    .await
    .unwrap();
    assert_eq!(response.status(), StatusCode::OK, "others are not");
}

#[tokio::test]
async fn cookie_writes_need_the_csrf_token_and_expired_sessions_are_refused() {
    let app = TestApp::start().await;
    create_user(&app.state, "sari@test.example", Role::Manager, None, vec![]).await;
    let client = app.login("sari@test.example", TEST_PASSWORD).await;
    let account = all_accounts(&app).await[0]["id"].as_i64().unwrap();
    let contact = json!({"account_id": account, "name": "Dewi"});

    let forged = Client {
        csrf_token: Some("0".repeat(64)),
        ..client.clone()
    };
    let (status, body) = forged.send_json("POST", "/api/v1/contacts", &contact).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert!(body["error"].as_str().unwrap().contains("CSRF"));
    let missing = Client {
        csrf_token: None,
        ..client.clone()
    };
    let (status, _) = missing
        .send_json("POST", "/api/v1/contacts", &contact)
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = client.send_json("POST", "/api/v1/contacts", &contact).await;
    assert_eq!(status, StatusCode::CREATED);
    // Reading needs no token.
    let (status, _) = missing.get("/api/v1/contacts").await;
    assert_eq!(status, StatusCode::OK);

    // Server functions: the browser's same-origin headers vouch for them; a foreign origin
    // is refused whatever the credentials.
    let rpc = |headers: &[(&str, &str)]| {
        let mut builder = Request::post("/rpc/dashboard_summary")
            .header("content-type", "application/x-www-form-urlencoded")
            .header("host", "wilayah.test");
        for (name, value) in headers {
            builder = builder.header(*name, *value);
        }
        builder.body(Body::empty()).unwrap()
    };
    let (status, _) = missing.request(rpc(&[])).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = missing
        .request(rpc(&[("sec-fetch-site", "same-origin")]))
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = missing
        .request(rpc(&[("origin", "http://wilayah.test")]))
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = missing
        .request(rpc(&[("origin", "https://evil.example")]))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = app.request(rpc(&[("sec-fetch-site", "cross-site")])).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "even with an API token");

    // An expired session is refused, and says so.
    let user = create_user(&app.state, "old@test.example", Role::Manager, None, vec![]).await;
    let token = wilayah_server::auth::random_token();
    app.state
        .store
        .system()
        .create_session(
            &wilayah_server::auth::token_hash(&token),
            user.id,
            "csrf",
            chrono::Utc::now() - chrono::Duration::minutes(1),
        )
        .await
        .unwrap();
    let expired = Client {
        cookie: Some(format!("wilayah_session={token}")),
        ..app.anonymous()
    };
    let (status, body) = expired.get_json("/api/v1/accounts").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(
        body["error"].as_str().unwrap().contains("expired"),
        "{body}"
    );
}

#[tokio::test]
async fn api_tokens_are_shown_once_stored_hashed_and_revocable() {
    let app = TestApp::start().await;
    let (status, created) = app
        .send_json("POST", "/api/v1/tokens", &json!({"name": "ERP sync"}))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let token = created["token"].as_str().unwrap().to_owned();
    let id = created["record"]["id"].as_i64().unwrap();
    let client = Client {
        authorization: Some(format!("Bearer {token}")),
        ..app.anonymous()
    };
    let (status, _) = client.get("/api/v1/accounts?limit=1").await;
    assert_eq!(status, StatusCode::OK);
    let (_, list) = app.get_json("/api/v1/tokens").await;
    assert!(
        !list.to_string().contains(&token),
        "the token is not listed"
    );
    let (status, _) = app
        .request(request("DELETE", &format!("/api/v1/tokens/{id}"), None))
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, body) = client.get_json("/api/v1/accounts?limit=1").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(body["error"].as_str().unwrap().contains("revoked"));
    let bad = Client {
        authorization: Some("Basic abc".into()),
        ..app.anonymous()
    };
    let (status, _) = bad.get("/api/v1/accounts").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn the_first_admin_comes_from_the_one_time_setup_token() {
    let db = TestDatabase::create().await;
    let mut config = wilayah_server::config::Config::defaults();
    config.database_url = db.url.clone();
    config.site_root = wilayah_tests::project_root().join("target/site");
    let state = wilayah_server::prepare(&config).await.unwrap();
    let token = state
        .auth
        .setup_token
        .lock()
        .unwrap()
        .clone()
        .expect("a setup token while no user exists");
    let router = wilayah_server::http::router(state.clone());
    let send = |body: Value| {
        tower::ServiceExt::oneshot(
            router.clone(),
            request("POST", "/api/v1/auth/setup", Some(&body)),
        )
    };
    let response =
        send(json!({"token": "wrong", "email": "boss@x.example", "password": "long enough pw"}))
            .await
            .unwrap();
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    let response = send(json!({"token": token, "email": "boss@x.example", "password": "short"}))
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let response =
        send(json!({"token": token, "email": "boss@x.example", "password": "long enough pw"}))
            .await
            .unwrap();
    assert_eq!(response.status(), StatusCode::CREATED);
    assert!(
        set_cookies(&response)
            .iter()
            .any(|c| c.starts_with("wilayah_session="))
    );
    let response =
        send(json!({"token": token, "email": "two@x.example", "password": "long enough pw"}))
            .await
            .unwrap();
    assert_eq!(
        response.status(),
        StatusCode::FORBIDDEN,
        "the link works once"
    );
    let users = wilayah_server::db::AuthStore::list_users(state.store.system().as_ref())
        .await
        .unwrap();
    assert_eq!(users.len(), 1);
    assert_eq!(users[0].role, Role::Admin);
}

/// Runs one statement on the test database directly (not through the app).
async fn execute_directly(app: &TestApp, sql: &str) -> Result<(), sqlx::Error> {
    if app.db.url.starts_with("postgres") {
        let mut conn = sqlx::PgConnection::connect(&app.db.url).await?;
        sqlx::query(sqlx::AssertSqlSafe(sql.to_owned()))
            .execute(&mut conn)
            .await
            .map(|_| ())
    } else {
        let mut conn = sqlx::SqliteConnection::connect(&app.db.url).await?;
        sqlx::query(sqlx::AssertSqlSafe(sql.to_owned()))
            .execute(&mut conn)
            .await
            .map(|_| ())
    }
}

#[tokio::test]
async fn every_mutation_is_audited_and_the_log_is_append_only() {
    let app = TestApp::start().await;
    let (status, account) = app
        .send_json(
            "POST",
            "/api/v1/accounts",
            &json!({"name": "Warung Sari", "lon": 106.8, "lat": -6.2, "segment": "retail"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let id = account["id"].as_i64().unwrap();
    let (status, _) = app
        .send_json(
            "PATCH",
            &format!("/api/v1/accounts/{id}"),
            &json!({"version": 1, "segment": "wholesale", "name": "Warung Sari Jaya"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, contact) = app
        .send_json(
            "POST",
            "/api/v1/contacts",
            &json!({"account_id": id, "name": "Sari"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let contact_id = contact["id"].as_i64().unwrap();
    let (status, _) = app
        .request(request(
            "DELETE",
            &format!("/api/v1/contacts/{contact_id}"),
            None,
        ))
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) = app
        .request(request("DELETE", &format!("/api/v1/accounts/{id}"), None))
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let import = Request::post("/api/v1/accounts/import")
        .header("content-type", "text/csv")
        .body(Body::from(
            "name,lon,lat\nToko A,106.8,-6.2\nToko B,106.9,-6.3\n",
        ))
        .unwrap();
    let (status, _) = app.request(import).await;
    assert_eq!(status, StatusCode::CREATED);

    let (status, entries) = app
        .get_json(&format!("/api/v1/audit?account_id={id}"))
        .await;
    assert_eq!(status, StatusCode::OK, "{entries}");
    let summary: Vec<(String, String)> = entries
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            assert_eq!(e["actor"], "admin@test.example", "{e}");
            (
                e["action"].as_str().unwrap().into(),
                e["entity"].as_str().unwrap().into(),
            )
        })
        .collect();
    let expected: Vec<(String, String)> = [
        ("delete", "accounts"),
        ("delete", "contacts"),
        ("create", "contacts"),
        ("update", "accounts"),
        ("create", "accounts"),
    ]
    .iter()
    .map(|(a, e)| (a.to_string(), e.to_string()))
    .collect();
    assert_eq!(summary, expected);
    let update = &entries[3];
    assert_eq!(
        update["changes"],
        json!({"segment": "wholesale", "name": "[personal]"}),
        "changed fields, personal values not copied"
    );
    let (_, imports) = app.get_json("/api/v1/audit?action=import").await;
    assert_eq!(imports[0]["changes"]["count"], 2);

    // Managers read the log, others may not.
    let rep = staff_with_role(&app, "sales_rep").await;
    let (status, _) = app
        .as_user(Role::Manager, None, vec![])
        .await
        .get("/api/v1/audit")
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = app
        .as_user(Role::SalesRep, Some(rep), vec![])
        .await
        .get("/api/v1/audit")
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    // Append-only, even for someone with the database at hand.
    assert!(
        execute_directly(&app, "UPDATE audit_log SET actor = 'someone else'")
            .await
            .is_err()
    );
    assert!(
        execute_directly(&app, "DELETE FROM audit_log")
            .await
            .is_err()
    );
}

#[tokio::test]
async fn a_customer_can_be_exported_and_erased_keeping_the_aggregates() {
    let app = TestApp::start().await;
    let all = all_accounts(&app).await;
    let mut chosen = None;
    for a in &all {
        let id = a["id"].as_i64().unwrap();
        let (_, contacts) = app
            .get_json(&format!("/api/v1/contacts?account_id={id}"))
            .await;
        if contacts["total"].as_i64().unwrap() > 0 && a["kind"] == "customer" {
            chosen = Some((a.clone(), contacts["items"][0].clone()));
            break;
        }
    }
    let (account, contact) = chosen.expect("a customer with a contact");
    let id = account["id"].as_i64().unwrap();
    // A quote whose terms were written for this customer, and an order.
    let (quote, order) = quote_and_order(&app, id, "PRIV-1", "terms-privacy-for-Ibu-Sari").await;
    let (_, account) = app.get_json(&format!("/api/v1/accounts/{id}")).await;

    let (status, data) = app.get_json(&format!("/api/v1/accounts/{id}/export")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(data["account"]["name"], account["name"]);
    for key in [
        "contacts",
        "activities",
        "visits",
        "cases",
        "opportunities",
        "quotes",
        "orders",
        "audit",
    ] {
        assert!(data[key].is_array(), "{key} missing: {data}");
    }
    let exported = |data: &Value, key: &str, record: &Value| {
        data[key]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["id"] == record["id"])
            .cloned()
            .unwrap_or_else(|| panic!("{key} {} not exported: {data}", record["id"]))
    };
    let q = exported(&data, "quotes", &quote);
    assert_eq!(q["terms"], "terms-privacy-for-Ibu-Sari");
    assert_eq!(q["lines"][0]["quantity_milli"], 2_000, "{q}");
    let o = exported(&data, "orders", &order);
    assert_eq!(o["lines"][0]["quantity_milli"], 2_000, "{o}");
    assert!(
        data["contacts"]
            .to_string()
            .contains(contact["name"].as_str().unwrap())
    );

    let (status, erased) = app
        .send_json("POST", &format!("/api/v1/accounts/{id}/erase"), &json!({}))
        .await;
    assert_eq!(status, StatusCode::OK, "{erased}");
    assert!(erased["name"].as_str().unwrap().starts_with("[erased]"));
    assert_eq!(erased["address"], Value::Null);
    assert_eq!(
        erased["revenue_minor"], account["revenue_minor"],
        "aggregates kept"
    );
    let (_, after) = app
        .get_json(&format!("/api/v1/contacts/{}", contact["id"]))
        .await;
    assert_eq!(after["name"], "[erased]");
    assert_eq!(after["email"], Value::Null);
    assert_eq!(after["phone"], Value::Null);
    let (_, data) = app.get_json(&format!("/api/v1/accounts/{id}/export")).await;
    let text = data.to_string();
    assert!(
        !text.contains(contact["name"].as_str().unwrap()),
        "nothing personal left"
    );
    assert!(
        !text.contains("terms-privacy"),
        "the quote's terms are gone"
    );
    // What the business keeps: the documents, their lines and amounts.
    let q = exported(&data, "quotes", &quote);
    assert_eq!(q["terms"], Value::Null);
    assert_eq!(q["lines"][0]["quantity_milli"], 2_000, "{q}");
    let (_, kept) = app
        .get_json(&format!("/api/v1/orders/{}", order["id"]))
        .await;
    assert_eq!(kept["totals"], order["totals"]);
    if let Some(email) = contact["email"].as_str() {
        assert!(!text.contains(email));
    }
    let (_, entries) = app
        .get_json(&format!("/api/v1/audit?account_id={id}"))
        .await;
    let actions: Vec<&str> = entries
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(&actions[..3], ["export", "erase", "export"], "{entries}");
}

#[tokio::test]
async fn hostile_input_gets_4xx_answers_never_a_crash() {
    let app = TestApp::start().await;
    let rep = staff_with_role(&app, "sales_rep").await;
    let client = app.as_user(Role::SalesRep, Some(rep), vec![]).await;
    let injections = [
        "' OR '1'='1",
        "'; DROP TABLE accounts; --",
        "1 OR 1=1",
        "\" OR \"\"=\"",
        "%' OR 1=1 --",
        "1; SELECT * FROM users",
    ];
    let (_, before) = app.get_json("/api/v1/accounts?limit=1").await;
    for text in injections {
        let q: String = text.bytes().map(|b| format!("%{b:02X}")).collect();
        for uri in [
            format!("/api/v1/accounts?q={q}"),
            format!("/api/v1/accounts?segment={q}"),
            format!("/api/v1/accounts?tag={q}"),
            format!("/api/v1/accounts?kind={q}"),
            format!("/api/v1/accounts?owner_id={q}"),
            format!("/api/v1/accounts?within={q}"),
            format!("/api/v1/accounts?sort={q}"),
            format!("/api/v1/accounts/export?q={q}"),
            format!("/api/v1/accounts/nearby?lon=106&lat=-6&kind={q}"),
            format!("/api/v1/contacts?email={q}"),
            format!("/api/v1/contacts?sort={q}"),
            format!("/api/v1/staff?role={q}"),
            format!("/api/v1/visits?status={q}"),
            format!("/api/v1/audit?entity={q}&actor={q}"),
            format!("/api/v1/map/visits.geojson?date={q}"),
        ] {
            for who in [&*app, &client] {
                let (status, body) = who.get(&uri).await;
                assert!(
                    status == StatusCode::OK
                        || status == StatusCode::BAD_REQUEST
                        || status == StatusCode::UNPROCESSABLE_ENTITY
                        || status == StatusCode::FORBIDDEN,
                    "{uri} → {status} {}",
                    String::from_utf8_lossy(&body)
                );
                if status == StatusCode::OK && uri.contains("accounts?q=") {
                    let page: Value = serde_json::from_slice(&body).unwrap();
                    assert_eq!(page["total"], 0, "{uri} matched something");
                }
            }
        }
    }
    let (_, after) = app.get_json("/api/v1/accounts?limit=1").await;
    assert_eq!(before["total"], after["total"], "nothing dropped");

    for (body, expected) in [
        ("{", StatusCode::BAD_REQUEST),
        ("{\"name\": 3}", StatusCode::BAD_REQUEST),
        ("[]", StatusCode::BAD_REQUEST),
        ("null", StatusCode::BAD_REQUEST),
    ] {
        let request = Request::post("/api/v1/accounts")
            .header("content-type", "application/json")
            .body(Body::from(body))
            .unwrap();
        let (status, _) = client.request(request).await;
        assert_eq!(status, expected, "{body}");
    }
    let huge = Request::post("/api/v1/contacts")
        .header("content-type", "application/json")
        .body(Body::from(format!(
            "{{\"name\": \"{}\"}}",
            "x".repeat(9 * 1024 * 1024)
        )))
        .unwrap();
    let (status, _) = client.request(huge).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    let login = Request::post("/api/v1/auth/login")
        .header("content-type", "application/json")
        .body(Body::from("{\"email\": [1]}"))
        .unwrap();
    let (status, _) = app.anonymous().request(login).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn answers_carry_security_headers_and_pages_a_nonce_policy() {
    let app = TestApp::start().await;
    let response = tower::ServiceExt::oneshot(
        app.router.clone(),
        Request::get("/").body(Body::empty()).unwrap(),
    )
    .await
    .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let headers = response.headers().clone();
    let csp = headers[header::CONTENT_SECURITY_POLICY]
        .to_str()
        .unwrap()
        .to_owned();
    assert_eq!(headers[header::X_CONTENT_TYPE_OPTIONS], "nosniff");
    assert!(
        csp.contains("frame-ancestors 'none'") && csp.contains("'wasm-unsafe-eval'"),
        "{csp}"
    );
    assert!(
        headers.get("access-control-allow-origin").is_none(),
        "CORS stays closed"
    );
    let nonce = csp
        .split("'nonce-")
        .nth(1)
        .and_then(|rest| rest.split('\'').next())
        .expect("the page policy names a nonce")
        .to_owned();
    let body = axum::body::to_bytes(response.into_body(), usize::MAX)
        .await
        .unwrap();
    let html = String::from_utf8_lossy(&body);
    assert!(
        html.contains(&format!("nonce=\"{nonce}\"")),
        "the hydration script carries it"
    );
    let (status, _) = app.get("/api/v1/accounts?limit=1").await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn the_admin_page_manages_users_and_tokens_for_admins_only() {
    let app = TestApp::start().await;
    let form = |endpoint: &str, body: &str| {
        Request::post(format!("/rpc/{endpoint}"))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(Body::from(body.to_owned()))
            .unwrap()
    };
    let (status, body) = app
        .request(form(
            "admin_add_user",
            "email=new%40test.example&password=long+enough+pw&role=planner&staff_id=",
        ))
        .await;
    assert_eq!(status, StatusCode::OK, "{}", String::from_utf8_lossy(&body));
    let (status, body) = app
        .request(form(
            "admin_add_user",
            "email=rep%40test.example&password=long+enough+pw&role=sales_rep&staff_id=",
        ))
        .await;
    assert!(status.is_server_error() || status.is_client_error());
    assert!(
        String::from_utf8_lossy(&body).contains("staff_id"),
        "{}",
        String::from_utf8_lossy(&body)
    );
    let (status, body) = app.request(form("admin_overview", "")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(String::from_utf8_lossy(&body).contains("new@test.example"));
    let (status, body) = app
        .request(form("admin_new_token", "user_id=1&name=erp"))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(String::from_utf8_lossy(&body).contains("wly_"));

    let manager = app.as_user(Role::Manager, None, vec![]).await;
    for (endpoint, body) in [
        ("admin_overview", ""),
        (
            "admin_add_user",
            "email=x%40y.z&password=long+enough+pw&role=admin&staff_id=",
        ),
        ("admin_reset_password", "user_id=1&password=long+enough+pw"),
        ("admin_revoke_token", "token_id=1"),
    ] {
        let (status, _) = manager.request(form(endpoint, body)).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{endpoint}");
    }
    let (status, html) = app.get("/admin").await;
    assert_eq!(status, StatusCode::OK);
    assert!(String::from_utf8_lossy(&html).contains("new@test.example"));
}

#[tokio::test]
async fn a_technician_works_only_their_own_day() {
    let app = TestApp::start().await;
    let (_, staff) = app.get_json("/api/v1/staff?role=technician").await;
    let technicians: Vec<i64> = staff["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["id"].as_i64().unwrap())
        .collect();
    assert!(technicians.len() >= 2, "the demo has several technicians");
    let (me, other) = (technicians[0], technicians[1]);
    let today = chrono::Utc::now().date_naive();
    let client = app.as_user(Role::Technician, Some(me), vec![]).await;
    let (status, _) = client
        .get_json(&format!(
            "/api/v1/field/day?technician_id={me}&date={today}"
        ))
        .await;
    assert_eq!(status, StatusCode::OK, "their own day");
    let (status, _) = client
        .get_json(&format!(
            "/api/v1/field/day?technician_id={other}&date={today}"
        ))
        .await;
    assert_eq!(
        status,
        StatusCode::NOT_FOUND,
        "someone else's day does not exist for them"
    );
    let (status, _) = client
        .send_json(
            "POST",
            "/api/v1/routes/add-stop",
            &json!({"technician_id": other, "account_id": 1}),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "nor can they add to it");
    let manager = app.as_user(Role::Manager, None, vec![]).await;
    let (status, _) = manager
        .get_json(&format!(
            "/api/v1/field/day?technician_id={other}&date={today}"
        ))
        .await;
    assert_eq!(status, StatusCode::OK, "a dispatcher sees every day");
}

/// The data sits behind `http::scope::Gate`, whose store Rust keeps private to that module; the
/// one way around it is `Gate::system`, for start-up and the CLI. No request handler (the HTTP
/// modules and the server-function implementations) may call it, nor open a database itself.
#[test]
fn handlers_reach_data_only_through_the_gate() {
    let server = wilayah_tests::project_root().join("server/src");
    let mut handlers = vec![server.join("user_admin.rs")];
    let mut dirs = vec![server.join("http")];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).expect("read the server sources") {
            let path = entry.expect("a directory entry").path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                handlers.push(path);
            }
        }
    }
    let gate = server.join("http/scope/mod.rs");
    assert!(handlers.contains(&gate), "the gate moved: update this test");
    let mut breaches = Vec::new();
    for path in handlers.iter().filter(|p| **p != gate) {
        let text = std::fs::read_to_string(path).expect("read a source file");
        for (n, line) in text.lines().enumerate() {
            if [".system()", "db::connect", "SqlStore"]
                .iter()
                .any(|bypass| line.contains(bypass))
            {
                breaches.push(format!("{}:{}: {}", path.display(), n + 1, line.trim()));
            }
        }
    }
    assert!(
        handlers.len() > 15,
        "found only {} handler files",
        handlers.len()
    );
    assert!(
        breaches.is_empty(),
        "handlers bypass the gate:\n{}",
        breaches.join("\n")
    );
}
