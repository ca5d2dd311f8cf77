//! The demo's catalogue and order history: cold-chain equipment, spare parts and service sold
//! to the demo's customers over up to three years, so the quotes, orders and analytics pages
//! have something real-looking to show. Pure and deterministic for a seed, like `demo`.
//!
//! Customers buy the way non-contractual customers do (the process BG/NBD models): each has
//! its own purchase rate and, after each order, a chance of leaving for good; an at-risk
//! customer has not ordered for months and a churned one for most of a year. Baskets follow a
//! few product affinities (a freezer comes with a service contract more often than not), so the
//! cross-sell rules find something.

use chrono::{Duration, NaiveDate};
use serde_json::{Value, json};
use wilayah_shared::domain::{AccountKind, AccountStatus};
use wilayah_shared::money::Currency;
use wilayah_shared::rng::SplitMix64;
use wilayah_shared::sales::history::{HistoryLine, HistoryOrder, OrderHistory};

use crate::demo::DemoData;

/// `(sku, English name, Indonesian name, unit, category, list price, cost price)` in rupiah.
const CATALOGUE: &[(&str, &str, &str, &str, &str, i64, i64)] = &[
    (
        "FRZ-200",
        "Chest freezer 200 l",
        "Freezer box 200 l",
        "piece",
        "freezers",
        4_500_000,
        3_150_000,
    ),
    (
        "FRZ-400",
        "Chest freezer 400 l",
        "Freezer box 400 l",
        "piece",
        "freezers",
        7_900_000,
        5_600_000,
    ),
    (
        "CHL-1D",
        "Display chiller, one door",
        "Showcase pendingin satu pintu",
        "piece",
        "chillers",
        6_200_000,
        4_300_000,
    ),
    (
        "CHL-2D",
        "Display chiller, two doors",
        "Showcase pendingin dua pintu",
        "piece",
        "chillers",
        11_500_000,
        8_100_000,
    ),
    (
        "ICE-50",
        "Ice maker 50 kg/day",
        "Mesin es 50 kg/hari",
        "piece",
        "ice makers",
        9_800_000,
        6_900_000,
    ),
    (
        "SVC-12",
        "Service contract, 12 months",
        "Kontrak servis 12 bulan",
        "month",
        "service",
        250_000,
        90_000,
    ),
    (
        "SPR-FAN",
        "Condenser fan",
        "Kipas kondensor",
        "piece",
        "spare parts",
        350_000,
        160_000,
    ),
    (
        "SPR-THM",
        "Thermostat",
        "Termostat",
        "piece",
        "spare parts",
        180_000,
        70_000,
    ),
    (
        "GAS-R600",
        "Refrigerant R600a, 1 kg",
        "Refrigeran R600a, 1 kg",
        "kg",
        "consumables",
        420_000,
        250_000,
    ),
    (
        "INS-DAY",
        "Installation",
        "Pemasangan",
        "day",
        "service",
        750_000,
        400_000,
    ),
];

/// What a basket starts with, and what tends to come along: `(sku, [(sku, chance)])`.
const AFFINITIES: &[(&str, &[(&str, f64)])] = &[
    ("FRZ-200", &[("SVC-12", 0.6), ("INS-DAY", 0.3)]),
    ("FRZ-400", &[("SVC-12", 0.7), ("INS-DAY", 0.5)]),
    ("CHL-1D", &[("SVC-12", 0.5), ("INS-DAY", 0.4)]),
    ("CHL-2D", &[("SVC-12", 0.6), ("INS-DAY", 0.6)]),
    ("ICE-50", &[("SVC-12", 0.4), ("GAS-R600", 0.3)]),
    ("SPR-FAN", &[("SPR-THM", 0.4), ("GAS-R600", 0.5)]),
    ("SPR-THM", &[("GAS-R600", 0.3)]),
    ("GAS-R600", &[("SPR-THM", 0.2)]),
];

/// How far back the history reaches.
const YEARS: i64 = 3;

/// Writes the catalogue and the order history after the demo's accounts (orders derive each
/// customer's revenue and margin). A failure leaves the demo without sales, never half of them:
/// the import is one transaction.
pub async fn seed(
    store: &dyn crate::db::ServerStore,
    data: &DemoData,
    today: NaiveDate,
) -> Result<usize, wilayah_app::store::StoreError> {
    use wilayah_app::store::StoreError;
    use wilayah_shared::sales::catalogue::PRODUCTS;
    for body in products() {
        let valid = PRODUCTS
            .validate_create(&body)
            .map_err(|e| StoreError::Invalid {
                field: e.field.to_owned(),
                message: e.message,
            })?;
        store.create_record(&PRODUCTS, &valid).await?;
    }
    let history = order_history(crate::DEMO_SEED, today, data);
    let imported = store
        .import_orders(&history, None, false, &|_, _| {})
        .await
        .map_err(|e| match e {
            crate::db::ImportError::Store(e) => e,
            crate::db::ImportError::Rows(rows) => StoreError::Database(
                format!("the demo's order history was refused: {rows:?}").into(),
            ),
        })?;
    Ok(imported.orders)
}

/// The catalogue as create bodies of the `products` resource.
pub fn products() -> Vec<Value> {
    CATALOGUE
        .iter()
        .map(|&(sku, en, id, unit, category, list, cost)| {
            json!({"sku": sku, "name_en": en, "name_id": id, "unit": unit, "category": category,
                   "list_price_minor": list, "cost_price_minor": cost, "currency": "IDR",
                   "tax_rate_bp": 1100})
        })
        .collect()
}

fn price_of(sku: &str) -> i64 {
    CATALOGUE
        .iter()
        .find(|p| p.0 == sku)
        .map(|p| p.5)
        .expect("the affinities name catalogue products")
}

/// Every customer's past orders, dated up to `today`.
pub fn order_history(seed: u64, today: NaiveDate, data: &DemoData) -> OrderHistory {
    let mut rng = SplitMix64::new(seed ^ 0x5a1e5);
    let currency = Currency::parse("currency", "IDR").expect("IDR is a currency");
    let start_of_history = today - Duration::days(365 * YEARS);
    let mut orders = Vec::new();
    let mut row = 0;
    for account in data
        .accounts
        .iter()
        .filter(|a| a.kind == AccountKind::Customer)
    {
        let first = account
            .acquired_on
            .unwrap_or(start_of_history)
            .max(start_of_history);
        // The last day this customer may order: at-risk and churned customers went quiet.
        let quiet_days = match account.status {
            AccountStatus::AtRisk => 120 + rng.below(120) as i64,
            AccountStatus::Churned => 270 + rng.below(200) as i64,
            _ => 0,
        };
        let last = today - Duration::days(quiet_days);
        // Orders a month: many occasional buyers, a few regulars (rates from 0.1 to 2.5).
        let per_month = 0.1 * 25f64.powf(rng.unit());
        // Active customers rarely leave; the others had their chance to, and took it.
        let leave_chance = if account.status == AccountStatus::Active {
            0.02
        } else {
            0.1
        };
        // Spend scale: large accounts buy larger baskets (revenue is log-uniform).
        let scale = (account.revenue_minor as f64 / 50_000_000.0).clamp(0.5, 8.0);
        let mut day = first;
        let mut n = 0;
        loop {
            let gap_days = -(1.0 - rng.unit()).ln() * 30.0 / per_month;
            day += Duration::days(gap_days.ceil() as i64);
            if day > last {
                break;
            }
            n += 1;
            let (anchor, companions) = *rng.pick(AFFINITIES);
            let mut lines = vec![(anchor, 1 + (rng.unit() * scale) as i64)];
            for (sku, chance) in companions {
                if rng.unit() < *chance {
                    lines.push((sku, 1 + (rng.unit() * scale * 2.0) as i64));
                }
            }
            let order_row = row + 1;
            let lines = lines
                .into_iter()
                .enumerate()
                .map(|(i, (sku, quantity))| {
                    row += 1;
                    // Now and then a negotiated discount of up to 10 %.
                    let discount = if rng.unit() < 0.3 {
                        0.9 + 0.1 * rng.unit()
                    } else {
                        1.0
                    };
                    HistoryLine {
                        row,
                        line_no: Some(i as u32 + 1),
                        sku: sku.to_owned(),
                        quantity_milli: quantity * 1000,
                        unit_price_minor: (price_of(sku) as f64 * discount).round() as i64,
                        cost_minor: None,
                    }
                })
                .collect();
            orders.push(HistoryOrder {
                external_order_id: format!("{}-{n:03}", account.external_id),
                account_external_id: account.external_id.clone(),
                order_date: day,
                currency,
                row: order_row,
                lines,
            });
            if rng.unit() < leave_chance && account.status != AccountStatus::Active {
                break;
            }
        }
    }
    OrderHistory {
        line_count: row,
        orders,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn history() -> (DemoData, OrderHistory, NaiveDate) {
        let today = NaiveDate::from_ymd_opt(2026, 12, 5).unwrap();
        let data = crate::demo::generate(crate::DEMO_SEED, today);
        let history = order_history(crate::DEMO_SEED, today, &data);
        (data, history, today)
    }

    #[test]
    fn every_product_passes_the_catalogue_rules() {
        for body in products() {
            wilayah_shared::sales::catalogue::PRODUCTS
                .validate_create(&body)
                .unwrap_or_else(|e| panic!("{body}: {e}"));
        }
    }

    #[test]
    fn orders_fit_each_customer_s_story() {
        let (data, history, today) = history();
        assert!(
            history.orders.len() > 500,
            "{} orders",
            history.orders.len()
        );
        let by_id = |id: &str| data.accounts.iter().find(|a| a.external_id == id).unwrap();
        let mut ids = std::collections::HashSet::new();
        for order in &history.orders {
            assert!(ids.insert(&order.external_order_id), "unique order ids");
            let account = by_id(&order.account_external_id);
            assert_eq!(account.kind, AccountKind::Customer);
            assert!(order.order_date <= today);
            if account.status == AccountStatus::Churned {
                assert!(order.order_date <= today - Duration::days(270));
            }
            assert!(!order.lines.is_empty());
            for line in &order.lines {
                assert!(CATALOGUE.iter().any(|p| p.0 == line.sku));
                assert!(line.quantity_milli >= 1000 && line.unit_price_minor > 0);
            }
        }
        // Rows are numbered as a file would be: consecutive, lines after their order's first.
        let rows: Vec<usize> = history
            .orders
            .iter()
            .flat_map(|o| o.lines.iter().map(|l| l.row))
            .collect();
        assert_eq!(rows, (1..=history.line_count).collect::<Vec<_>>());
    }

    #[test]
    fn is_deterministic() {
        assert_eq!(history().1, history().1);
    }
}
