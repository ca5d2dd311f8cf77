//! Customer analytics over HTTP against a real database (SQLite, or PostgreSQL with
//! DATABASE_URL): RFM and the 80/20 curve equal brute-force computations over the same orders
//! (read back through `/api/v1/orders`), a sales rep's answers only ever hold their own accounts
//! (and differ from an admin's), bad parameters are named, and a lifetime-value fit on too
//! little data is refused with the model's message.

use std::collections::{BTreeMap, BTreeSet};

use axum::body::Body;
use axum::http::{Request, StatusCode};
use chrono::NaiveDate;
use serde_json::{Value, json};
use wilayah_shared::access::Role;
use wilayah_shared::analytics::rfm::Segment;
use wilayah_tests::analytics::{self as history, CALIBRATION_DAYS, CUSTOMERS, HUGE};
use wilayah_tests::{Client, TestApp};

async fn created(client: &Client, uri: &str, body: Value) -> Value {
    let (status, answer) = client.send_json("POST", uri, &body).await;
    assert_eq!(status, StatusCode::CREATED, "POST {uri} {body} -> {answer}");
    answer
}

fn id(record: &Value) -> i64 {
    record["id"].as_i64().expect("an id")
}

async fn get_ok(client: &Client, uri: &str) -> Value {
    let (status, answer) = client.get_json(uri).await;
    assert_eq!(status, StatusCode::OK, "GET {uri} -> {answer}");
    answer
}

/// Two reps with 16 accounts each, four products, a year of imported orders whose days and
/// values are drawn from the lifetime-value models (`support/analytics.rs`; baskets of one to
/// three products, one huge order), and a cancelled order that must count nowhere.
struct World {
    app: TestApp,
    rep1: Client,
    rep1_accounts: BTreeSet<i64>,
    rep2_accounts: BTreeSet<i64>,
    /// The account of customer `c` of the history at `c - 1`.
    customers: Vec<i64>,
    products: Vec<i64>,
}

/// The first day of the order history.
fn start() -> NaiveDate {
    NaiveDate::from_ymd_opt(2025, 1, 1).unwrap()
}

const SKUS: [(&str, i64, i64); 4] = [
    ("KOPI", 12_000, 7_000),
    ("GULA", 8_000, 6_500),
    ("TEH", 5_000, 2_000),
    ("SUSU", 20_000, 19_000),
];

async fn world() -> World {
    let app = TestApp::start_with(|c| c.no_demo = true).await;
    let mut reps = Vec::new();
    for n in 1..=2 {
        let staff = created(
            &app,
            "/api/v1/staff",
            json!({"name": format!("Rep {n}"), "email": format!("rep{n}@insight.test"), "role": "sales_rep"}),
        )
        .await;
        reps.push(id(&staff));
    }
    let mut products = Vec::new();
    for (sku, price, cost) in SKUS {
        let product = created(
            &app,
            "/api/v1/products",
            json!({"sku": sku, "name_en": sku, "list_price_minor": price,
                   "cost_price_minor": cost, "tax_rate_bp": 1100}),
        )
        .await;
        products.push(id(&product));
    }
    let (mut rep1_accounts, mut rep2_accounts) = (BTreeSet::new(), BTreeSet::new());
    let mut customers = Vec::new();
    for a in 0..CUSTOMERS {
        let owner = reps[a % 2];
        let account = created(
            &app,
            "/api/v1/accounts",
            json!({"name": format!("Toko {a}"), "kind": "customer", "segment": "retail",
                   "lon": 106.8 + a as f64 * 0.01, "lat": -6.2, "owner_id": owner,
                   "external_id": format!("C-{}", a + 1)}),
        )
        .await;
        customers.push(id(&account));
        if a % 2 == 0 {
            rep1_accounts.insert(id(&account));
        } else {
            rep2_accounts.insert(id(&account));
        }
    }
    let skus: Vec<&str> = SKUS.iter().map(|s| s.0).collect();
    let csv = history::order_csv(
        &history::purchases(start()),
        NaiveDate::MAX,
        |c| format!("C-{c}"),
        &skus,
    );
    let request = Request::post("/api/v1/orders/import")
        .header("content-type", "text/csv")
        .body(Body::from(csv))
        .unwrap();
    let (status, done) = app.request_json(request).await;
    assert_eq!(status, StatusCode::CREATED, "{done}");

    // An order entered and cancelled: in no figure.
    let first = *rep1_accounts.first().unwrap();
    let order = created(
        &app,
        "/api/v1/orders",
        json!({"account_id": first, "currency": "IDR", "order_date": "2025-05-05",
               "lines": [{"product_id": products[3], "quantity_milli": 50_000, "discount_bp": 0}]}),
    )
    .await;
    let (status, cancelled) = app
        .send_json(
            "POST",
            &format!("/api/v1/orders/{}/status", id(&order)),
            &json!({"version": order["version"], "status": "cancelled"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{cancelled}");

    let rep1 = app.as_user(Role::SalesRep, Some(reps[0]), vec![]).await;
    World {
        app,
        rep1,
        rep1_accounts,
        rep2_accounts,
        customers,
        products,
    }
}

/// An order as the brute force reads it back.
#[derive(Debug, Clone)]
struct Sold {
    account: i64,
    day: NaiveDate,
    subtotal: i64,
    margin: i64,
}

/// Every order that is not cancelled, read through the orders API by `client`.
async fn sold(client: &Client) -> Vec<Sold> {
    let mut out = Vec::new();
    let mut offset = 0;
    loop {
        let page = get_ok(
            client,
            &format!("/api/v1/orders?limit=1000&offset={offset}"),
        )
        .await;
        let items = page["items"].as_array().unwrap();
        for o in items.iter().filter(|o| o["status"] != "cancelled") {
            out.push(Sold {
                account: o["account_id"].as_i64().unwrap(),
                day: o["order_date"].as_str().unwrap().parse().unwrap(),
                subtotal: o["totals"]["subtotal_minor"].as_i64().unwrap(),
                margin: o["totals"]["margin_minor"].as_i64().unwrap(),
            });
        }
        offset += items.len();
        if items.is_empty() || offset as i64 >= page["total"].as_i64().unwrap() {
            return out;
        }
    }
}

type Measures = (i64, i64, i64, i64);

/// RFM by brute force: per account (recency, purchase days, value) up to `as_of`; a score is
/// 1 + ⌊5k/n⌋ with k the accounts strictly worse on that measure.
fn brute_rfm(orders: &[Sold], as_of: NaiveDate) -> BTreeMap<i64, (u8, u8, u8, i64)> {
    let mut days: BTreeMap<i64, BTreeSet<NaiveDate>> = BTreeMap::new();
    let mut value: BTreeMap<i64, i64> = BTreeMap::new();
    for o in orders.iter().filter(|o| o.day <= as_of && o.subtotal >= 0) {
        days.entry(o.account).or_default().insert(o.day);
        *value.entry(o.account).or_default() += o.subtotal;
    }
    // (account, −recency, purchase days, value): higher is better on each measure.
    let measures: Vec<Measures> = days
        .iter()
        .map(|(a, d)| {
            let recency = (as_of - *d.iter().next_back().unwrap()).num_days();
            (*a, -recency, d.len() as i64, value[a])
        })
        .collect();
    let n = measures.len();
    let q = |pick: &dyn Fn(&Measures) -> i64, me: &Measures| {
        let worse = measures.iter().filter(|o| pick(o) < pick(me)).count();
        1 + (5 * worse / n) as u8
    };
    measures
        .iter()
        .map(|m| (m.0, (q(&|x| x.1, m), q(&|x| x.2, m), q(&|x| x.3, m), m.3)))
        .collect()
}

fn accounts_in(answer: &Value, list: &str) -> BTreeSet<i64> {
    answer[list]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["account_id"].as_i64().unwrap())
        .collect()
}

#[tokio::test]
async fn rfm_and_the_80_20_curve_equal_brute_force_and_a_rep_sees_only_their_accounts() {
    let w = world().await;
    let as_of = NaiveDate::from_ymd_opt(2025, 9, 30).unwrap();
    for (who, client, accounts) in [
        ("admin", &*w.app, None),
        ("rep", &w.rep1, Some(&w.rep1_accounts)),
    ] {
        let orders = sold(client).await;
        if let Some(mine) = accounts {
            assert!(orders.iter().all(|o| mine.contains(&o.account)));
        }
        // RFM: every account's scores, and the segment totals.
        let expected = brute_rfm(&orders, as_of);
        let answer = get_ok(
            client,
            &format!("/api/v1/analytics/rfm?as_of={as_of}&limit=10000"),
        )
        .await;
        assert_eq!(answer["customers"], expected.len(), "{who}");
        let got: BTreeMap<i64, (u8, u8, u8, i64)> = answer["accounts"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| {
                let n = |k: &str| a[k].as_u64().unwrap() as u8;
                (
                    a["account_id"].as_i64().unwrap(),
                    (
                        n("r"),
                        n("f"),
                        n("m"),
                        a["monetary_minor"].as_i64().unwrap(),
                    ),
                )
            })
            .collect();
        assert_eq!(got, expected, "{who}");
        let mut segments: BTreeMap<String, (u64, i64)> = BTreeMap::new();
        for (r, f, m, v) in expected.values() {
            let name = json!(Segment::of(*r, *f, *m)).as_str().unwrap().to_owned();
            let e = segments.entry(name).or_default();
            e.0 += 1;
            e.1 += v;
        }
        for s in answer["segments"].as_array().unwrap() {
            let want = segments
                .get(s["segment"].as_str().unwrap())
                .copied()
                .unwrap_or_default();
            assert_eq!(
                (
                    s["customers"].as_u64().unwrap(),
                    s["value_minor"].as_i64().unwrap()
                ),
                want,
                "{who} {s}"
            );
        }

        // 80/20 of revenue and of gross profit over a period.
        let (from, to) = ("2025-02-01", "2025-08-31");
        for measure in ["revenue", "profit"] {
            let mut per: BTreeMap<i64, i64> = BTreeMap::new();
            for o in orders
                .iter()
                .filter(|o| o.day.to_string().as_str() >= from && o.day.to_string().as_str() <= to)
            {
                *per.entry(o.account).or_default() += if measure == "revenue" {
                    o.subtotal
                } else {
                    o.margin
                };
            }
            let mut values: Vec<i64> = per.values().copied().collect();
            values.sort_unstable_by(|a, b| b.cmp(a));
            let total: i64 = values.iter().sum();
            let top = (values.len() as f64 * 0.2).ceil() as usize;
            let answer = get_ok(
                client,
                &format!("/api/v1/analytics/pareto?measure={measure}&from={from}&to={to}"),
            )
            .await;
            assert_eq!(answer["customers"], values.len(), "{who} {measure}");
            assert_eq!(answer["total_minor"], total, "{who} {measure}");
            assert_eq!(answer["top_customers"], top);
            let share = values[..top].iter().sum::<i64>() as f64 / total as f64;
            assert!(
                (answer["top_share"].as_f64().unwrap() - share).abs() < 1e-12,
                "{who} {measure}: {} vs {share}",
                answer["top_share"]
            );
            let points = answer["points"].as_array().unwrap();
            assert_eq!(points.len(), values.len() + 1, "few customers: every point");
            for p in points {
                let k = p["customers"].as_u64().unwrap() as usize;
                assert_eq!(
                    p["cumulative_minor"].as_i64().unwrap(),
                    values[..k].iter().sum::<i64>()
                );
            }
        }
    }

    // The rep's answers hold only their accounts, and differ from the admin's.
    let admin_rfm = get_ok(&w.app, "/api/v1/analytics/rfm?as_of=2025-09-30&limit=10000").await;
    let rep_rfm = get_ok(
        &w.rep1,
        "/api/v1/analytics/rfm?as_of=2025-09-30&limit=10000",
    )
    .await;
    let rep_seen = accounts_in(&rep_rfm, "accounts");
    assert!(rep_seen.is_subset(&w.rep1_accounts), "{rep_seen:?}");
    assert_eq!(rep_seen, w.rep1_accounts, "every account of the rep bought");
    assert!(accounts_in(&admin_rfm, "accounts").is_superset(&w.rep2_accounts));
    assert_ne!(admin_rfm["customers"], rep_rfm["customers"]);

    let admin_unusual = get_ok(&w.app, "/api/v1/analytics/unusual-orders").await;
    let rep_unusual = get_ok(&w.rep1, "/api/v1/analytics/unusual-orders").await;
    let huge_account = w.customers[HUGE.0 as usize - 1];
    assert!(w.rep2_accounts.contains(&huge_account));
    let admin_flagged = accounts_in(&admin_unusual, "orders");
    assert!(admin_flagged.contains(&huge_account), "{admin_unusual}");
    assert!(
        admin_unusual["orders"]
            .as_array()
            .unwrap()
            .iter()
            .any(|o| o["amount_minor"] == HUGE.2 && o["account_id"] == huge_account),
        "the huge order is flagged: {admin_unusual}"
    );
    assert!(accounts_in(&rep_unusual, "orders").is_subset(&w.rep1_accounts));
    assert!(rep_unusual["orders_scored"].as_u64() < admin_unusual["orders_scored"].as_u64());

    let cohorts = get_ok(
        &w.rep1,
        "/api/v1/analytics/cohorts?from=2025-01-01&to=2025-12-31",
    )
    .await;
    let acquired: u64 = cohorts["cohorts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["customers"].as_u64().unwrap())
        .sum();
    assert_eq!(acquired, w.rep1_accounts.len() as u64, "{cohorts}");
    let gained: u64 = cohorts["movement"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["gained"].as_u64().unwrap())
        .sum();
    assert_eq!(gained, w.rep1_accounts.len() as u64);

    // Cross-sell: the rep's baskets are their orders only; rules name known products.
    let rep_rules = get_ok(
        &w.rep1,
        "/api/v1/analytics/cross-sell?min_support=0.05&min_confidence=0.1",
    )
    .await;
    let admin_rules = get_ok(
        &w.app,
        "/api/v1/analytics/cross-sell?min_support=0.05&min_confidence=0.1",
    )
    .await;
    let rep_orders = sold(&w.rep1).await.len() as u64;
    assert_eq!(rep_rules["baskets"].as_u64(), Some(rep_orders));
    assert!(admin_rules["baskets"].as_u64().unwrap() > rep_orders);
    assert!(
        !rep_rules["rules"].as_array().unwrap().is_empty(),
        "{rep_rules}"
    );
    for r in rep_rules["rules"].as_array().unwrap() {
        assert!(w.products.contains(&r["consequent"].as_i64().unwrap()));
        let support = r["support"].as_f64().unwrap();
        assert!(
            support >= 0.05 && r["confidence"].as_f64().unwrap() >= 0.1,
            "{r}"
        );
        assert_eq!(
            r["baskets"].as_u64().unwrap(),
            (support * rep_orders as f64).round() as u64
        );
    }

    // Recommendations: look-alikes among the rep's own accounts; another rep's account is 404.
    let mine = *w.rep1_accounts.first().unwrap();
    let advice = get_ok(
        &w.rep1,
        &format!("/api/v1/accounts/{mine}/recommendations?k=5"),
    )
    .await;
    assert!(accounts_in(&advice, "neighbours").is_subset(&w.rep1_accounts));
    assert!(!accounts_in(&advice, "neighbours").contains(&mine));
    let theirs = *w.rep2_accounts.first().unwrap();
    let (status, _) = w
        .rep1
        .get_json(&format!("/api/v1/accounts/{theirs}/recommendations"))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // CSV: the same rows as the JSON.
    let (status, bytes) = w
        .rep1
        .get("/api/v1/analytics/rfm?as_of=2025-09-30&format=csv&limit=10000")
        .await;
    assert_eq!(status, StatusCode::OK);
    let text = String::from_utf8(bytes).unwrap();
    let mut lines = text.lines();
    assert_eq!(
        lines.next(),
        Some("account_id,r,f,m,segment,monetary_minor")
    );
    let csv_accounts: BTreeSet<i64> = lines
        .map(|l| l.split(',').next().unwrap().parse().unwrap())
        .collect();
    assert_eq!(csv_accounts, rep_seen);
}

#[tokio::test]
async fn lifetime_value_is_fitted_on_the_callers_customers_and_refused_on_too_little_data() {
    let w = world().await;
    let calibration_end = start() + chrono::Days::new(CALIBRATION_DAYS);
    let answer = get_ok(
        &w.app,
        &format!(
            "/api/v1/analytics/clv?calibration_end={calibration_end}&holdout_end=2025-12-31&limit=5"
        ),
    )
    .await;
    let fit = &answer["fit"];
    assert_eq!(fit["unit"], "week");
    assert_eq!(fit["customers"], CUSTOMERS);
    for key in ["r", "alpha", "a", "b"] {
        assert!(fit["bgnbd"][key].as_f64().unwrap() > 0.0, "{fit}");
    }
    for key in ["p", "q", "v"] {
        assert!(fit["gamma_gamma"][key].as_f64().unwrap() > 0.0, "{fit}");
    }
    assert!(fit["holdout"]["predicted"].as_f64().is_some());
    assert_eq!(answer["total"], CUSTOMERS);
    let accounts = answer["accounts"].as_array().unwrap();
    assert_eq!(accounts.len(), 5, "capped");
    let clv: Vec<f64> = accounts
        .iter()
        .map(|a| a["clv_minor"].as_f64().unwrap())
        .collect();
    assert!(
        clv.windows(2).all(|w| w[0] >= w[1]),
        "sorted by CLV: {clv:?}"
    );
    for a in accounts {
        let p = a["p_alive"].as_f64().unwrap();
        assert!((0.0..=1.0).contains(&p), "{a}");
    }
    let (status, bytes) = w
        .app
        .get(&format!(
            "/api/v1/analytics/clv?calibration_end={calibration_end}&limit=10000&format=csv"
        ))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        String::from_utf8(bytes).unwrap().lines().count(),
        CUSTOMERS + 1
    );

    // The rep's own 16 customers are too few: the model's message (counting only theirs),
    // naming the field.
    let (status, refused) = w
        .rep1
        .get_json(&format!(
            "/api/v1/analytics/clv?calibration_end={calibration_end}"
        ))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{refused}");
    assert_eq!(refused["field"], "calibration_end");
    let message = refused["error"].as_str().unwrap();
    assert!(message.contains("too little data"), "{refused}");
    assert!(
        message.contains(&format!(": {} customers bought", w.rep1_accounts.len())),
        "{refused}"
    );
    let (status, refused) = w
        .app
        .get_json("/api/v1/analytics/clv?calibration_end=2025-09-30&holdout_end=2025-09-01")
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{refused}");
    assert_eq!(refused["field"], "holdout_end");
}

#[tokio::test]
async fn bad_parameters_are_named() {
    let app = TestApp::start_with(|c| c.no_demo = true).await;
    for (uri, field) in [
        ("/api/v1/analytics/rfm?as_of=2025-13-01", "as_of"),
        ("/api/v1/analytics/rfm?segment=whales", "segment"),
        ("/api/v1/analytics/rfm?limit=0", "limit"),
        ("/api/v1/analytics/rfm?format=xml", "format"),
        ("/api/v1/analytics/pareto?measure=volume", "measure"),
        (
            "/api/v1/analytics/pareto?from=2025-02-01&to=2025-01-01",
            "from",
        ),
        ("/api/v1/analytics/cohorts?lapse_days=-3", "lapse_days"),
        ("/api/v1/analytics/cross-sell?min_support=2", "min_support"),
        (
            "/api/v1/analytics/cross-sell?min_confidence=abc",
            "min_confidence",
        ),
        ("/api/v1/analytics/cross-sell?max_itemset=1", "max_itemset"),
        ("/api/v1/analytics/unusual-orders?threshold=-1", "threshold"),
        (
            "/api/v1/analytics/clv?calibration_end=yesterday",
            "calibration_end",
        ),
        ("/api/v1/analytics/clv?margin_share=1.5", "margin_share"),
        ("/api/v1/analytics/clv?discount_rate=-0.1", "discount_rate"),
    ] {
        let (status, answer) = app.get_json(uri).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{uri}: {answer}");
        assert_eq!(answer["field"], field, "{uri}: {answer}");
    }
    let (status, answer) = app
        .get_json("/api/v1/analytics/pareto?currency=RUPIAH")
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{answer}");
    assert_eq!(answer["field"], "currency", "{answer}");
    let (status, answer) = app.get_json("/api/v1/analytics/rfm?colour=red").await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{answer}");
    assert!(
        answer["error"].as_str().unwrap().contains("colour"),
        "{answer}"
    );

    // No orders: empty answers, and a fit refused for too little data.
    let rfm = get_ok(&app, "/api/v1/analytics/rfm").await;
    assert_eq!(rfm["customers"], 0);
    let pareto = get_ok(&app, "/api/v1/analytics/pareto").await;
    assert_eq!(pareto["total_minor"], 0);
    assert_eq!(pareto["top_share"], Value::Null);
    let (status, refused) = app.get_json("/api/v1/analytics/clv").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{refused}");
    assert_eq!(refused["field"], "calibration_end");
}
