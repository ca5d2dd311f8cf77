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
use wilayah_tests::{Client, TestApp, created, id};

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
    /// Each account's territory (west or east of 106.955° E) and position.
    territory_of: BTreeMap<i64, i64>,
    position: BTreeMap<i64, (f64, f64)>,
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
    // Two unowned territories side by side: customers 1-16 lie in the west one, 17-32 in the
    // east one, each half of them a rep's.
    let mut territories = Vec::new();
    for (name, west, east) in [("Barat", 106.7, 106.955), ("Timur", 106.955, 107.2)] {
        let ring = json!([
            [west, -6.3],
            [east, -6.3],
            [east, -6.1],
            [west, -6.1],
            [west, -6.3]
        ]);
        let body = json!({"name": name, "geometry": {"type": "Polygon", "coordinates": [ring]}});
        territories.push(id(&created(&app, "/api/v1/territories", body).await));
    }
    let (mut territory_of, mut position) = (BTreeMap::new(), BTreeMap::new());
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
        let territory = territories[usize::from(a >= CUSTOMERS / 2)];
        assert_eq!(account["territory_id"], territory, "{account}");
        territory_of.insert(id(&account), territory);
        let at = |k: &str| account[k].as_f64().unwrap();
        position.insert(id(&account), (at("lon"), at("lat")));
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
        territory_of,
        position,
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

    // The work list of offers: each of the rep's customers' best product, exactly as its own
    // recommendations say, most promising first; the CSV holds the same rows.
    let offers = get_ok(&w.rep1, "/api/v1/analytics/offers?k=5&limit=10000").await;
    let listed = offers["offers"].as_array().unwrap();
    assert!(!listed.is_empty(), "{offers}");
    let mut seen = BTreeSet::new();
    for o in listed {
        let account = o["account_id"].as_i64().unwrap();
        assert!(w.rep1_accounts.contains(&account), "{o}");
        assert!(
            seen.insert(account),
            "one product per customer by default: {o}"
        );
        let own = get_ok(
            &w.rep1,
            &format!("/api/v1/accounts/{account}/recommendations?k=5&limit=1"),
        )
        .await;
        let best = &own["products"][0];
        assert_eq!(o["product_id"], best["product_id"], "{o} vs {own}");
        assert_eq!(o["sku"], best["sku"]);
        assert_eq!(o["look_alikes"], best["neighbours"]);
        assert!((o["score"].as_f64().unwrap() - best["score"].as_f64().unwrap()).abs() < 1e-12);
    }
    let scores: Vec<f64> = listed
        .iter()
        .map(|o| o["score"].as_f64().unwrap())
        .collect();
    assert!(scores.windows(2).all(|s| s[0] >= s[1]), "{scores:?}");
    let two = get_ok(
        &w.rep1,
        "/api/v1/analytics/offers?k=5&per_customer=2&limit=10000",
    )
    .await;
    assert!(two["offers"].as_array().unwrap().len() > listed.len());
    let (status, bytes) = w
        .rep1
        .get("/api/v1/analytics/offers?k=5&format=csv&limit=10000")
        .await;
    assert_eq!(status, StatusCode::OK);
    let text = String::from_utf8(bytes).unwrap();
    assert_eq!(text.lines().count(), listed.len() + 1, "{text}");
    refused(
        &w.rep1,
        "/api/v1/analytics/offers",
        &[
            ("per_customer=11", "per_customer"),
            ("k=0", "k"),
            ("limit=x", "limit"),
        ],
    )
    .await;

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

/// Campaign contacts in profitability: A (a customer since 2024) and B (never ordered) each get
/// a call listed by a campaign with a budget of 90,000, spread over its three contacts (A has
/// two), and an SMS export without a budget at the channel's rate; an e-mail campaign whose
/// e-mails wait unsent (no SMTP server) and a contact without consent cost nothing. A's contacts
/// come after its first order: campaign cost; B's are acquisition.
#[tokio::test]
async fn campaign_contacts_cost_their_share_of_the_budget_or_the_channel_rate() {
    let app = TestApp::start_with(|c| {
        c.no_demo = true;
        c.cost_export_contact = 700;
        c.cost_email_contact = 300;
    })
    .await;
    let account =
        |name: &str, lon: f64| json!({"name": name, "kind": "customer", "lon": lon, "lat": -17.0});
    let a = id(&created(&app, "/api/v1/accounts", account("Toko A", 179.60)).await);
    let b = id(&created(&app, "/api/v1/accounts", account("Toko B", 179.61)).await);
    let far = id(&created(&app, "/api/v1/accounts", account("Toko Jauh", 170.0)).await);
    let product = id(&created(
        &app,
        "/api/v1/products",
        json!({"sku": "SABUN", "name_en": "Soap", "list_price_minor": 50_000,
               "cost_price_minor": 30_000, "tax_rate_bp": 0}),
    )
    .await);
    created(
        &app,
        "/api/v1/orders",
        json!({"account_id": a, "currency": "IDR", "order_date": "2024-05-02",
               "lines": [{"product_id": product, "quantity_milli": 10_000, "discount_bp": 0}]}),
    )
    .await;
    let contact = |account: i64, name: &str, consent: &str| {
        json!({"account_id": account, "name": name, "email": format!("{name}@x.example"),
               "phone": "+679 100", "consent_phone": consent, "consent_phone_on": "2026-11-02",
               "consent_sms": consent, "consent_sms_on": "2026-11-02",
               "consent_email": consent, "consent_email_on": "2026-11-02"})
    };
    for (account, name, consent) in [
        (a, "ana", "granted"),
        (a, "adi", "granted"),
        (a, "ani", "refused"),
        (b, "budi", "granted"),
        (far, "fajar", "granted"),
    ] {
        created(&app, "/api/v1/contacts", contact(account, name, consent)).await;
    }
    let segment = id(&created(
        &app,
        "/api/v1/segments",
        json!({"name": "Suva", "definition": {"area": {"type": "radius", "lon": 179.6, "lat": -17.0, "metres": 10000.0}}}),
    )
    .await);
    for (objective, channel, budget) in [
        ("retention", "call_list", json!(90_000)),
        ("reactivation", "export", Value::Null),
        ("upsell", "email", json!(1_000_000)),
    ] {
        let campaign = created(
            &app,
            "/api/v1/campaigns",
            json!({"name": objective, "objective": objective, "channel": channel,
                   "budget_minor": budget, "currency": "IDR", "segment_id": segment,
                   "templates": {"en": {"subject": "Hi", "body": "{{offer}}"}}}),
        )
        .await;
        let (status, launched) = app
            .send_json(
                "POST",
                &format!("/api/v1/campaigns/{}/launch", campaign["id"]),
                &json!({"version": campaign["version"]}),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{launched}");
    }
    let all = get_ok(&app, "/api/v1/analytics/profitability?from=2024-01-01").await;
    let of = |account: i64| {
        all["accounts"]
            .as_array()
            .unwrap()
            .iter()
            .find(|w| w["account_id"] == account)
            .cloned()
            .unwrap_or_else(|| panic!("account {account} missing: {all}"))
    };
    let (wa, wb) = (of(a), of(b));
    assert_eq!(wa["campaign_cost_minor"], 2 * 30_000 + 2 * 700, "{wa}");
    assert_eq!(wa["acquisition_cost_minor"], 0, "{wa}");
    assert_eq!(wa["profit_minor"], 500_000 - 300_000 - 61_400, "{wa}");
    assert_eq!(wb["campaign_cost_minor"], 0, "{wb}");
    assert_eq!(wb["acquisition_cost_minor"], 30_000 + 700, "{wb}");
    assert_eq!(wb["profit_minor"], -30_700, "{wb}");
    assert!(
        all["accounts"]
            .as_array()
            .unwrap()
            .iter()
            .all(|w| w["account_id"] != far),
        "the account outside the segment was not contacted: {all}"
    );
    assert_eq!(all["rates"]["export_contact_minor"], 700);
    // Before the campaigns (a period that ends before today), nothing of theirs counts.
    let before = get_ok(
        &app,
        &format!("/api/v1/accounts/{a}/profitability?from=2024-01-01&to=2024-12-31"),
    )
    .await;
    assert_eq!(before["campaign_cost_minor"], 0, "{before}");
}

/// A technician based on the equator at 109° E, customers A at 110° E and B at 111° E (Pontianak
/// lies on the equator), rates as in the shared model's hand-worked test: 60,000 an hour, 2,000
/// a km, 40 km/h (so a km of travel costs 3,500), cases 40,000 an hour at 90 minutes each.
/// A was visited once before their first order (acquisition: there and back, 2°, 15 minutes),
/// then both were visited on one trip (base → A → B → base, 4°, shared 1:2); A has two orders
/// in the first quarter of 2024 and one after it, B none. Worked by hand: see
/// `shared/src/analytics/profitability.rs` (same figures, without its campaign contacts).
#[tokio::test]
async fn profitability_prices_visits_by_distance_and_a_rep_sees_the_same_figures_for_their_own() {
    let app = TestApp::start_with(|c| {
        c.no_demo = true;
        c.cost_technician_per_hour = 60_000;
        c.cost_per_km = 2_000;
        c.route_speed_kmh = 40.0;
        c.cost_case_per_hour = 40_000;
        c.case_handling_minutes = 90;
    })
    .await;
    let rep = |n: u32| json!({"name": format!("Rep {n}"), "email": format!("rep{n}@profit.test"), "role": "sales_rep"});
    let rep1 = id(&created(&app, "/api/v1/staff", rep(1)).await);
    let rep2 = id(&created(&app, "/api/v1/staff", rep(2)).await);
    let technician = id(&created(
        &app,
        "/api/v1/staff",
        json!({"name": "Tech", "email": "tech@profit.test", "role": "technician",
               "home_lon": 109.0, "home_lat": 0.0}),
    )
    .await);
    let account = |name: &str, lon: f64, owner: i64| json!({"name": name, "kind": "customer", "lon": lon, "lat": 0.0, "owner_id": owner});
    let a = id(&created(&app, "/api/v1/accounts", account("Toko A", 110.0, rep1)).await);
    let b = id(&created(&app, "/api/v1/accounts", account("Toko B", 111.0, rep2)).await);
    let product = id(&created(
        &app,
        "/api/v1/products",
        json!({"sku": "MESIN", "name_en": "Machine", "list_price_minor": 1_000_000,
               "cost_price_minor": 600_000, "tax_rate_bp": 0}),
    )
    .await);
    for (day, units) in [("2024-01-10", 5), ("2024-02-01", 2), ("2024-04-02", 9)] {
        created(
            &app,
            "/api/v1/orders",
            json!({"account_id": a, "currency": "IDR", "order_date": day,
                   "lines": [{"product_id": product, "quantity_milli": units * 1000, "discount_bp": 0}]}),
        )
        .await;
    }
    let visit = |account: i64, start: &str, end: &str, minutes: u32| {
        json!({"account_id": account, "technician_id": technician, "window_start": start,
               "window_end": end, "duration_min": minutes, "status": "done"})
    };
    for body in [
        visit(a, "2024-01-03T02:00:00Z", "2024-01-03T03:00:00Z", 15),
        // Created out of order: the trip follows the start times, A then B.
        visit(b, "2024-02-15T05:00:00Z", "2024-02-15T06:00:00Z", 30),
        visit(a, "2024-02-15T02:00:00Z", "2024-02-15T03:00:00Z", 60),
        // Not done: no cost.
        json!({"account_id": b, "technician_id": technician, "window_start": "2024-03-01T02:00:00Z",
               "window_end": "2024-03-01T03:00:00Z", "duration_min": 45, "status": "scheduled"}),
    ] {
        created(&app, "/api/v1/visits", body).await;
    }
    // A case opened now: outside the first quarter of 2024, inside the whole period.
    created(
        &app,
        "/api/v1/cases",
        json!({"account_id": a, "subject": "Noisy", "priority": "low", "status": "new"}),
    )
    .await;

    let quarter = "from=2024-01-01&to=2024-03-31";
    let expected_a = json!({"account_id": a, "name": "Toko A",
        "revenue_minor": 7_000_000, "cost_of_goods_minor": 4_200_000, "gross_margin_minor": 2_800_000,
        "visit_cost_minor": 60_000 + 518_910, "case_cost_minor": 0, "campaign_cost_minor": 0,
        "acquisition_cost_minor": 778_366 + 15_000, "profit_minor": 2_800_000 - 578_910 - 793_366});
    let expected_b = json!({"account_id": b, "name": "Toko B",
        "revenue_minor": 0, "cost_of_goods_minor": 0, "gross_margin_minor": 0,
        "visit_cost_minor": 0, "case_cost_minor": 0, "campaign_cost_minor": 0,
        "acquisition_cost_minor": 30_000 + 1_037_821, "profit_minor": -1_067_821});
    let all = get_ok(&app, &format!("/api/v1/analytics/profitability?{quarter}")).await;
    assert_eq!(
        all["accounts"],
        json!([expected_b, expected_a]),
        "least profitable first"
    );
    assert_eq!(all["customers"], 2);
    assert_eq!(all["losing_customers"], 1);
    assert_eq!(all["total"]["profit_minor"], 1_427_724 - 1_067_821);
    assert_eq!(all["whale"]["peak_minor"], 1_427_724);
    assert_eq!(all["rates"]["per_km_minor"], 2_000);

    let one = get_ok(
        &app,
        &format!("/api/v1/accounts/{a}/profitability?{quarter}"),
    )
    .await;
    for key in [
        "revenue_minor",
        "visit_cost_minor",
        "acquisition_cost_minor",
        "profit_minor",
    ] {
        assert_eq!(one[key], expected_a[key], "{key}: {one}");
    }
    // Over the whole time, A's later order and today's case count too (90 minutes at 40,000).
    let since = get_ok(
        &app,
        &format!("/api/v1/accounts/{a}/profitability?from=2024-01-01"),
    )
    .await;
    assert_eq!(since["revenue_minor"], 16_000_000);
    assert_eq!(since["case_cost_minor"], 60_000);
    assert_eq!(
        since["profit_minor"],
        16_000_000 - 9_600_000 - 578_910 - 60_000 - 793_366
    );

    // Rep 1 sees A only, with the same figures: the trip is still shared with B, whom they
    // cannot see; B's waterfall is not theirs to read.
    let rep1_client = app.as_user(Role::SalesRep, Some(rep1), vec![]).await;
    let mine = get_ok(
        &rep1_client,
        &format!("/api/v1/analytics/profitability?{quarter}"),
    )
    .await;
    assert_eq!(mine["accounts"], json!([expected_a]));
    let (status, _) = rep1_client
        .get_json(&format!("/api/v1/accounts/{b}/profitability"))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    // The page's filter narrows further, never widens.
    let filtered = get_ok(
        &app,
        &format!("/api/v1/analytics/profitability?{quarter}&owner_id={rep2}"),
    )
    .await;
    assert_eq!(filtered["accounts"], json!([expected_b]));
    let (status, bytes) = app
        .get(&format!(
            "/api/v1/analytics/profitability?{quarter}&format=csv"
        ))
        .await;
    assert_eq!(status, StatusCode::OK);
    let text = String::from_utf8(bytes).unwrap();
    assert!(text.starts_with("account_id,name,revenue_minor"), "{text}");
    assert!(
        text.contains(&format!("{b},Toko B,0,0,0,0,0,0,1067821,-1067821")),
        "{text}"
    );
    for (uri, field) in [
        (
            "/api/v1/analytics/profitability?from=2024-05-01&to=2024-01-01",
            "from",
        ),
        ("/api/v1/analytics/profitability?owner_id=me", "owner_id"),
        ("/api/v1/analytics/profitability?limit=0", "limit"),
    ] {
        let (status, refused) = app.get_json(uri).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{uri} {refused}");
        assert_eq!(refused["field"], field, "{uri}");
    }
}

/// Waits until the latest scoring job is no longer running (the job reports through its row,
/// so polling it is how the page learns of its end too).
async fn finished_job(client: &Client) -> Value {
    for _ in 0..3_000 {
        let job = get_ok(client, "/api/v1/analytics/scoring-jobs/latest").await["job"].clone();
        if job["status"] != "running" {
            return job;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    panic!("the scoring job did not end within 30 s");
}

#[tokio::test]
async fn the_scoring_job_stores_every_customers_score_with_the_fit_day_and_a_rep_reads_only_theirs()
{
    let w = world().await;
    let calibration_end = start() + chrono::Days::new(CALIBRATION_DAYS);
    let before = get_ok(&w.app, "/api/v1/analytics/scoring-jobs/latest").await;
    assert_eq!(before["job"], Value::Null);

    // A rep may not start it.
    let (status, _) = w
        .rep1
        .send_json("POST", "/api/v1/analytics/scoring-jobs", &json!({}))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, refused) = w
        .app
        .send_json(
            "POST",
            "/api/v1/analytics/scoring-jobs",
            &json!({"margin_share": 2}),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{refused}");
    assert_eq!(refused["field"], "margin_share");

    let (status, job) = w
        .app
        .send_json(
            "POST",
            "/api/v1/analytics/scoring-jobs",
            &json!({"calibration_end": calibration_end, "periods": 12, "discount_rate": 0.01}),
        )
        .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{job}");
    let job = finished_job(&w.app).await;
    assert_eq!(job["status"], "done", "{job}");
    assert_eq!(job["total"], CUSTOMERS);
    assert_eq!(job["done"], CUSTOMERS);
    assert_eq!(job["currency"], "IDR");
    assert_eq!(job["fit"]["customers"], CUSTOMERS);

    // The stored scores equal the ones computed on request from the same fit.
    let live = get_ok(
        &w.app,
        &format!("/api/v1/analytics/clv?calibration_end={calibration_end}&limit=10000"),
    )
    .await;
    let stored = get_ok(&w.app, "/api/v1/analytics/scores?limit=10000").await;
    assert_eq!(stored["total"], CUSTOMERS);
    assert_eq!(stored["fitted_on"], json!(calibration_end));
    let live: BTreeMap<i64, &Value> = live["accounts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| (a["account_id"].as_i64().unwrap(), a))
        .collect();
    let stored_accounts = stored["accounts"].as_array().unwrap();
    for s in stored_accounts {
        let l = live[&s["account_id"].as_i64().unwrap()];
        for key in ["p_alive", "expected_purchases", "clv_minor"] {
            let (a, b) = (s[key].as_f64().unwrap(), l[key].as_f64().unwrap());
            assert!(
                (a - b).abs() <= 1e-9 * b.abs().max(1.0),
                "{key}: {s} vs {l}"
            );
        }
        assert_eq!(s["fitted_on"], json!(calibration_end));
    }
    let clv: Vec<f64> = stored_accounts
        .iter()
        .map(|a| a["clv_minor"].as_f64().unwrap())
        .collect();
    assert!(clv.windows(2).all(|w| w[0] >= w[1]), "highest CLV first");
    let churn = get_ok(&w.app, "/api/v1/analytics/scores?order=churn&limit=10000").await;
    let risk: Vec<f64> = churn["accounts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["churn_risk"].as_f64().unwrap())
        .collect();
    assert!(risk.windows(2).all(|w| w[0] >= w[1]), "highest risk first");

    // A rep reads the same scores, of their own customers only.
    let theirs = get_ok(&w.rep1, "/api/v1/analytics/scores?limit=10000").await;
    let ids: BTreeSet<i64> = theirs["accounts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["account_id"].as_i64().unwrap())
        .collect();
    assert_eq!(ids, w.rep1_accounts);
    assert!(ids.is_disjoint(&w.rep2_accounts));

    // A second run replaces the scores; a run on too little data fails with the model's
    // message and keeps the earlier scores.
    let (status, _) = w
        .app
        .send_json(
            "POST",
            "/api/v1/analytics/scoring-jobs",
            &json!({"calibration_end": "2025-01-02"}),
        )
        .await;
    assert_eq!(status, StatusCode::ACCEPTED);
    let failed = finished_job(&w.app).await;
    assert_eq!(failed["status"], "failed", "{failed}");
    assert!(
        failed["error"]
            .as_str()
            .unwrap()
            .contains("too little data"),
        "{failed}"
    );
    let kept = get_ok(&w.app, "/api/v1/analytics/scores?limit=1").await;
    assert_eq!(kept["total"], CUSTOMERS);
}

/// Runs the scoring job on the history's calibration period to its end.
async fn score_every_customer(app: &TestApp) {
    let calibration_end = start() + chrono::Days::new(CALIBRATION_DAYS);
    let (status, job) = app
        .send_json(
            "POST",
            "/api/v1/analytics/scoring-jobs",
            &json!({"calibration_end": calibration_end}),
        )
        .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{job}");
    assert_eq!(finished_job(app).await["status"], "done");
}

/// Each query refused with 400 naming its field.
async fn refused(client: &Client, route: &str, cases: &[(&str, &str)]) {
    for (query, field) in cases {
        let (status, answer) = client.get_json(&format!("{route}?{query}")).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{query}: {answer}");
        assert_eq!(answer["field"], *field, "{query}: {answer}");
    }
}

/// Per territory of a shaded-territories answer: (value, customers, class).
fn shaded(answer: &Value) -> BTreeMap<i64, (f64, i64, i64)> {
    answer["features"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            let p = &f["properties"];
            assert!(f["geometry"]["type"] == "Polygon", "{f}");
            let class = p["class"].as_i64().unwrap();
            assert!((0..5).contains(&class), "{f}");
            (
                p["id"].as_i64().unwrap(),
                (
                    p["value"].as_f64().unwrap(),
                    p["customers"].as_i64().unwrap(),
                    class,
                ),
            )
        })
        .collect()
}

/// Expected values and customers per territory against the answer's, within `tolerance`
/// relative; a higher value never has a lower class.
fn assert_shaded(answer: &Value, expected: &BTreeMap<i64, (f64, i64)>, tolerance: f64) {
    let got = shaded(answer);
    assert_eq!(
        got.keys().collect::<Vec<_>>(),
        expected.keys().collect::<Vec<_>>(),
        "{answer}"
    );
    for (t, (value, customers)) in expected {
        let (v, c, _) = got[t];
        assert!(
            (v - value).abs() <= tolerance * value.abs().max(1.0),
            "territory {t}: {v} vs {value}"
        );
        assert_eq!(c, *customers, "territory {t}");
    }
    for a in got.values() {
        for b in got.values() {
            assert!(a.0 <= b.0 || a.2 >= b.2, "classes out of order: {answer}");
        }
    }
}

#[tokio::test]
async fn territories_are_shaded_by_the_sum_over_the_callers_customers_in_them() {
    let w = world().await;
    let (from, to) = (start(), NaiveDate::from_ymd_opt(2025, 9, 30).unwrap());
    let period = format!("from={from}&to={to}");
    let mut admin_revenue = BTreeMap::new();
    for (who, client, mine) in [
        ("admin", &*w.app, None),
        ("rep", &w.rep1, Some(&w.rep1_accounts)),
    ] {
        // Revenue: the orders of the period, summed by brute force per territory.
        let mut revenue: BTreeMap<i64, (i64, BTreeSet<i64>)> = BTreeMap::new();
        for o in sold(client)
            .await
            .iter()
            .filter(|o| (from..=to).contains(&o.day))
        {
            let total = revenue.entry(w.territory_of[&o.account]).or_default();
            total.0 += o.subtotal;
            total.1.insert(o.account);
        }
        let expected: BTreeMap<i64, (f64, i64)> = revenue
            .iter()
            .map(|(t, (sum, accounts))| (*t, (*sum as f64, accounts.len() as i64)))
            .collect();
        let answer = get_ok(
            client,
            &format!("/api/v1/analytics/territories?metric=revenue&{period}"),
        )
        .await;
        assert_eq!(answer["legend"]["aggregate"], "sum", "{who}");
        assert_eq!(answer["legend"]["currency"], "IDR", "{who}");
        assert_eq!(answer["legend"]["outside"], 0, "{who}");
        assert_shaded(&answer, &expected, 0.0);
        if let Some(mine) = mine {
            // Half of each territory's customers: less revenue than the admin sees.
            for (t, (sum, accounts)) in &revenue {
                assert!(accounts.is_subset(mine));
                assert!((*sum as f64) < admin_revenue[t], "{who} territory {t}");
            }
        } else {
            admin_revenue = expected.iter().map(|(t, v)| (*t, v.0)).collect();
        }

        // Profit after the cost to serve: the accounts' waterfalls summed per territory.
        let waterfalls = get_ok(
            client,
            &format!("/api/v1/analytics/profitability?{period}&limit=10000"),
        )
        .await;
        let mut expected: BTreeMap<i64, (f64, i64)> = BTreeMap::new();
        for a in waterfalls["accounts"].as_array().unwrap() {
            let account = a["account_id"].as_i64().unwrap();
            assert!(mine.is_none_or(|m| m.contains(&account)));
            let total = expected.entry(w.territory_of[&account]).or_default();
            total.0 += a["profit_minor"].as_f64().unwrap();
            total.1 += 1;
        }
        let answer = get_ok(
            client,
            &format!("/api/v1/analytics/territories?metric=profit&{period}"),
        )
        .await;
        assert_shaded(&answer, &expected, 0.0);
    }

    // The page's filter narrows: one territory only.
    let west = w.territory_of[&w.customers[0]];
    let answer = get_ok(
        &w.app,
        &format!("/api/v1/analytics/territories?{period}&territory_id={west}"),
    )
    .await;
    assert_eq!(shaded(&answer).keys().collect::<Vec<_>>(), [&west]);

    // Lifetime value (sum) and churn risk (mean) from the stored scores.
    score_every_customer(&w.app).await;
    for client in [&*w.app, &w.rep1] {
        let scores = get_ok(client, "/api/v1/analytics/scores?limit=10000").await;
        let (mut clv, mut churn) = (BTreeMap::new(), BTreeMap::new());
        for s in scores["accounts"].as_array().unwrap() {
            let t = w.territory_of[&s["account_id"].as_i64().unwrap()];
            let add = |m: &mut BTreeMap<i64, (f64, i64)>, v: f64| {
                let e = m.entry(t).or_insert((0.0, 0));
                e.0 += v;
                e.1 += 1;
            };
            add(&mut clv, s["clv_minor"].as_f64().unwrap());
            add(&mut churn, s["churn_risk"].as_f64().unwrap());
        }
        for v in churn.values_mut() {
            v.0 /= v.1 as f64;
        }
        let answer = get_ok(client, "/api/v1/analytics/territories?metric=clv").await;
        assert_shaded(&answer, &clv, 1e-9);
        let answer = get_ok(client, "/api/v1/analytics/territories?metric=churn").await;
        assert_eq!(answer["legend"]["aggregate"], "mean");
        assert_shaded(&answer, &churn, 1e-9);
    }

    refused(
        &w.app,
        "/api/v1/analytics/territories",
        &[
            ("metric=segment", "metric"),
            ("metric=margin", "metric"),
            ("from=2025-02-01&to=2025-01-01", "from"),
            ("territory_id=west", "territory_id"),
        ],
    )
    .await;
}

/// Great-circle metres (haversine on the mean Earth radius), computed here independently.
fn metres(a: (f64, f64), b: (f64, f64)) -> f64 {
    let (la1, la2) = (a.1.to_radians(), b.1.to_radians());
    let h = ((la2 - la1) / 2.0).sin().powi(2)
        + la1.cos() * la2.cos() * ((b.0 - a.0).to_radians() / 2.0).sin().powi(2);
    2.0 * 6_371_008.8 * h.sqrt().asin()
}

#[tokio::test]
async fn the_route_day_finds_the_callers_customers_at_risk_within_metres_of_its_stops() {
    let w = world().await;
    score_every_customer(&w.app).await;
    // The day's stops: a visit at one of rep 1's customers and one at rep 2's; a visit on
    // another day is no stop.
    let day = "2026-01-15";
    let visit = |account: i64, date: &str, status: &str| {
        json!({"account_id": account, "window_start": format!("{date}T09:00:00Z"),
               "window_end": format!("{date}T10:00:00Z"), "duration_min": 30, "status": status})
    };
    let (mine, theirs) = (w.customers[10], w.customers[21]);
    for (account, date, status) in [
        (mine, day, "scheduled"),
        (theirs, day, "scheduled"),
        (w.customers[30], "2026-01-16", "scheduled"),
    ] {
        created(&w.app, "/api/v1/visits", visit(account, date, status)).await;
    }
    let radius = 5_000.0;
    for (who, client, stops) in [
        ("admin", &*w.app, vec![mine, theirs]),
        ("rep", &w.rep1, vec![mine]),
    ] {
        // Brute force: every scored customer of the caller's with value at risk, not a stop,
        // within the radius of a stop, at its nearest stop's distance.
        let scores = get_ok(client, "/api/v1/analytics/scores?limit=10000").await;
        let mut expected: BTreeMap<i64, (f64, f64)> = BTreeMap::new();
        for s in scores["accounts"].as_array().unwrap() {
            let account = s["account_id"].as_i64().unwrap();
            let at_risk = s["value_at_risk_minor"].as_f64().unwrap();
            if at_risk <= 0.0 || stops.contains(&account) {
                continue;
            }
            let nearest = stops
                .iter()
                .map(|stop| metres(w.position[stop], w.position[&account]))
                .fold(f64::INFINITY, f64::min);
            if nearest <= radius {
                expected.insert(account, (nearest, at_risk));
            }
        }
        assert!(!expected.is_empty(), "{who}: {expected:?}");
        let answer = get_ok(
            client,
            &format!("/api/v1/analytics/at-risk-along-route?date={day}&radius_m={radius}&min_risk=0&limit=1000"),
        )
        .await;
        let got_stops: Vec<i64> = answer["stops"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["account_id"].as_i64().unwrap())
            .collect();
        assert_eq!(got_stops, stops, "{who}: {answer}");
        let got = answer["accounts"].as_array().unwrap();
        assert_eq!(
            got.iter()
                .map(|a| a["account_id"].as_i64().unwrap())
                .collect::<BTreeSet<_>>(),
            expected.keys().copied().collect::<BTreeSet<_>>(),
            "{who}: {answer}"
        );
        for a in got {
            let (distance, at_risk) = expected[&a["account_id"].as_i64().unwrap()];
            assert!(
                (a["distance_m"].as_f64().unwrap() - distance).abs() < 0.01,
                "{who}: {a} vs {distance}"
            );
            assert!(
                stops.contains(&a["stop"]["account_id"].as_i64().unwrap()),
                "{a}"
            );
            assert!(
                (a["value_at_risk_minor"].as_f64().unwrap() - at_risk).abs() < 1e-6,
                "{a}"
            );
        }
        let values: Vec<f64> = got
            .iter()
            .map(|a| a["value_at_risk_minor"].as_f64().unwrap())
            .collect();
        assert!(
            values.windows(2).all(|v| v[0] >= v[1]),
            "most value at risk first"
        );
        if who == "rep" {
            assert!(expected.keys().all(|a| w.rep1_accounts.contains(a)));
        }
    }
    refused(
        &w.rep1,
        "/api/v1/analytics/at-risk-along-route",
        &[
            ("radius_m=0", "radius_m"),
            ("min_risk=2", "min_risk"),
            ("date=15-01-2026", "date"),
            ("technician_id=x", "technician_id"),
            ("limit=0", "limit"),
        ],
    )
    .await;
}

/// A technician's at-risk list holds only the customers they already serve (an account where
/// they have a visit), near their own stops of the day, and tells who is at risk but not what
/// they are worth; they may put such a customer on their day, but not one they do not serve.
#[tokio::test]
async fn a_technician_sees_the_customers_they_serve_at_risk_along_their_day_without_their_value() {
    let w = world().await;
    score_every_customer(&w.app).await;
    let technician = id(&created(
        &w.app,
        "/api/v1/staff",
        json!({"name": "Teknisi", "email": "tech@insight.test", "role": "technician",
               "home_lon": 106.9, "home_lat": -6.25}),
    )
    .await);
    let day = "2026-01-15";
    let visit = |account: i64, date: &str, status: &str| {
        json!({"account_id": account, "technician_id": technician,
               "window_start": format!("{date}T02:00:00Z"), "window_end": format!("{date}T09:00:00Z"),
               "duration_min": 30, "status": status})
    };
    // The day's stop, customers the technician served last year, and a far one they served.
    let stop = w.customers[10];
    let served = [
        w.customers[8],
        w.customers[11],
        w.customers[12],
        w.customers[30],
    ];
    created(&w.app, "/api/v1/visits", visit(stop, day, "scheduled")).await;
    // Another technician's stop that day, next door: not this technician's.
    let mut someone_elses = visit(w.customers[13], day, "scheduled");
    someone_elses["technician_id"] = Value::Null;
    created(&w.app, "/api/v1/visits", someone_elses).await;
    for account in served {
        created(
            &w.app,
            "/api/v1/visits",
            visit(account, "2025-06-02", "done"),
        )
        .await;
    }
    let scores = get_ok(&w.app, "/api/v1/analytics/scores?limit=10000").await;
    let score: BTreeMap<i64, Value> = scores["accounts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| (s["account_id"].as_i64().unwrap(), s.clone()))
        .collect();
    let at_risk = |a: &i64| {
        score
            .get(a)
            .is_some_and(|s| s["value_at_risk_minor"].as_f64().unwrap() > 0.0)
    };
    let radius = 5_000.0;
    let expected: BTreeSet<i64> = served
        .iter()
        .copied()
        .filter(|a| at_risk(a) && metres(w.position[a], w.position[&stop]) <= radius)
        .collect();
    assert!(!expected.is_empty(), "the served neighbours are at risk");

    let tech = w
        .app
        .as_user(Role::Technician, Some(technician), vec![])
        .await;
    let answer = get_ok(
        &tech,
        &format!("/api/v1/analytics/at-risk-along-route?date={day}&radius_m={radius}&min_risk=0&limit=1000"),
    )
    .await;
    let got = answer["accounts"].as_array().unwrap();
    assert_eq!(
        got.iter()
            .map(|a| a["account_id"].as_i64().unwrap())
            .collect::<BTreeSet<_>>(),
        expected,
        "{answer}"
    );
    for a in got {
        let account = a["account_id"].as_i64().unwrap();
        assert!(
            (a["churn_risk"].as_f64().unwrap() - score[&account]["churn_risk"].as_f64().unwrap())
                .abs()
                < 1e-12,
            "{a}"
        );
        for money in [
            "clv_minor",
            "expected_value_minor",
            "value_at_risk_minor",
            "frequency",
        ] {
            assert!(a.get(money).is_none(), "a technician is told {money}: {a}");
        }
        assert_eq!(a["stop"]["account_id"], stop, "{a}");
    }
    // A dispatcher opening the technician's day asks for that technician's stops only.
    let theirs = get_ok(
        &w.app,
        &format!(
            "/api/v1/analytics/at-risk-along-route?date={day}&technician_id={technician}&min_risk=0"
        ),
    )
    .await;
    let stops: Vec<&Value> = theirs["stops"].as_array().unwrap().iter().collect();
    assert_eq!(stops.len(), 1, "{theirs}");
    let everyone = get_ok(
        &w.app,
        &format!("/api/v1/analytics/at-risk-along-route?date={day}"),
    )
    .await;
    assert_eq!(everyone["stops"].as_array().unwrap().len(), 2, "{everyone}");
    assert_eq!(stops[0]["account_id"], stop);
    // Near a place: again only the customers they serve (the stop's own account included).
    let (lon, lat) = w.position[&stop];
    let nearby = get_ok(
        &tech,
        &format!("/api/v1/analytics/at-risk-nearby?lon={lon}&lat={lat}&radius_m=500000&min_risk=0&limit=1000"),
    )
    .await;
    let mut theirs: BTreeSet<i64> = served.iter().copied().filter(at_risk).collect();
    if at_risk(&stop) {
        theirs.insert(stop);
    }
    assert_eq!(
        nearby["accounts"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a["account_id"].as_i64().unwrap())
            .collect::<BTreeSet<_>>(),
        theirs,
        "{nearby}"
    );
    // What customers are worth stays with analytics readers.
    let (status, _) = tech.get_json("/api/v1/analytics/scores").await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    // One tap puts a served customer on the day; a customer they do not serve next to the stop
    // reads as one that does not exist.
    let add = |account: i64| json!({"technician_id": technician, "account_id": account, "date": day, "utc_offset_minutes": 0});
    let chosen = got[0]["account_id"].as_i64().unwrap();
    let (status, added) = tech
        .send_json("POST", "/api/v1/routes/add-stop", &add(chosen))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{added}");
    assert_eq!(added["visit"]["account_id"], chosen);
    let stranger = w.customers[9];
    let (status, refused) = tech
        .send_json("POST", "/api/v1/routes/add-stop", &add(stranger))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{refused}");
    let (_, visits) = w
        .app
        .get_json(&format!(
            "/api/v1/visits?technician_id={technician}&limit=1000"
        ))
        .await;
    let items = visits["items"].as_array().unwrap();
    assert_eq!(items.len(), served.len() + 2, "{visits}");
    assert!(
        items.iter().all(|v| v["account_id"] != stranger),
        "{visits}"
    );
    // A customer they serve far from the day is not along it either.
    let (status, refused) = tech
        .send_json("POST", "/api/v1/routes/add-stop", &add(w.customers[30]))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{refused}");
}
