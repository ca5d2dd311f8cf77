//! The whole order-history import into SQLite: 1,000,000 lines (200,000 orders of 5 lines on
//! 20,000 accounts, 5,000 SKUs of which 50 are not in the catalogue and become products to
//! review), read from CSV, checked, grouped, and written in one transaction. Prints the time of
//! each step. The accounts and the catalogue are written first and not timed. A benchmark that
//! prints figures, not a test (the target is under 60 s on the project's 2-core machine).
//!
//!     cargo bench -p wilayah-server --bench order_import
//!     cargo bench -p wilayah-server --bench order_import -- --lines 100000

use std::fmt::Write;
use std::time::Instant;

use wilayah_server::db;
use wilayah_shared::rng::SplitMix64;
use wilayah_shared::sales::catalogue::PRODUCTS;
use wilayah_shared::sales::parse_order_history;
use wilayah_shared::transfer::{Format, read_accounts};

const ACCOUNTS: usize = 20_000;
const SKUS: usize = 5_000;
const UNKNOWN_SKUS: usize = 50;
const LINES_PER_ORDER: usize = 5;

fn lines_wanted() -> usize {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == "--lines")
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000)
}

/// Seeded, the same file every run.
fn order_history(lines: usize) -> Vec<u8> {
    let mut rng = SplitMix64::new(2026);
    let mut csv = String::with_capacity(lines * 90);
    csv.push_str("external_order_id,line_no,account_external_id,order_date,sku,quantity,unit_price_minor,cost_minor,currency\n");
    let orders = lines.div_ceil(LINES_PER_ORDER);
    for order in 0..orders {
        let account = rng.below(ACCOUNTS);
        let date = format!("2025-{:02}-{:02}", 1 + order % 12, 1 + order % 28);
        let in_order = LINES_PER_ORDER.min(lines - order * LINES_PER_ORDER);
        for line_no in 1..=in_order {
            let sku = rng.below(SKUS);
            let price = 500 + rng.below(2_000_000);
            // A return now and then.
            let sign = if rng.below(50) == 0 { "-" } else { "" };
            writeln!(
                csv,
                "H-{order:07},{line_no},A-{account:05},{date},P-{sku:05},{sign}{}.{:02},{price},{},IDR",
                1 + rng.below(20),
                rng.below(100),
                price / 2,
            )
            .expect("writing to a String");
        }
    }
    csv.into_bytes()
}

#[tokio::main]
async fn main() {
    let lines = lines_wanted();
    let path = std::env::temp_dir().join(format!("wilayah_order_bench_{}.db", std::process::id()));
    let url = format!("sqlite://{}", path.display());
    let store = db::connect(&url).await.expect("a fresh SQLite database");

    let mut accounts = String::from("external_id,name,lon,lat\n");
    for a in 0..ACCOUNTS {
        writeln!(accounts, "A-{a:05},Bench customer {a},106.8,-6.2").expect("writing to a String");
    }
    let rows = read_accounts(Format::Csv, accounts.as_bytes(), &mut |_, _| {}).expect("accounts");
    store
        .import_accounts(&rows, false, &|_, _| {})
        .await
        .expect("accounts written");
    for sku in 0..SKUS - UNKNOWN_SKUS {
        let body = serde_json::json!({"sku": format!("P-{sku:05}"), "name_en": format!("Product {sku}"),
            "list_price_minor": 10_000, "cost_price_minor": 5_000});
        let valid = PRODUCTS.validate_create(&body).expect("a valid product");
        store
            .create_record(&PRODUCTS, &valid)
            .await
            .expect("product written");
    }

    let data = order_history(lines);
    println!(
        "order import (SQLite): {lines} lines, {:.1} MB of CSV, {ACCOUNTS} accounts, {SKUS} SKUs ({UNKNOWN_SKUS} unknown)",
        data.len() as f64 / 1e6
    );
    let start = Instant::now();
    let history = parse_order_history(&data, &mut |_, _| {}).expect("the file is valid");
    let parsed = start.elapsed();
    let report = store
        .import_orders(&history, None, false, &|_, _| {})
        .await
        .expect("the import is written");
    let total = start.elapsed();
    println!(
        "parse + check + group: {:.2} s; database (lookups, review products, inserts, commit): {:.2} s",
        parsed.as_secs_f64(),
        (total - parsed).as_secs_f64()
    );
    println!(
        "total: {:.2} s ({:.0} lines/s): {} orders, {} lines, {} products to review",
        total.as_secs_f64(),
        report.lines as f64 / total.as_secs_f64(),
        report.orders,
        report.lines,
        report.review_products.len()
    );
    let again = Instant::now();
    let second = store
        .import_orders(&history, None, false, &|_, _| {})
        .await
        .expect("the second import runs");
    println!(
        "same file again: {:.2} s, {} orders written, {} skipped",
        again.elapsed().as_secs_f64(),
        second.orders,
        second.skipped_orders
    );
    drop(store);
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
    }
}
