//! Reading a transaction-history CSV: 1,000,000 lines (200,000 orders of 5 lines, 20,000
//! accounts, 5,000 SKUs of which 1 % are not in the catalogue, quantities with decimals, cost
//! on every line), parsed, checked and grouped by `external_order_id`, then the unknown SKUs
//! listed. Single-threaded; prints the time of each step and the rate. The file is generated in
//! memory (seeded, the same every run); reading it from disk is the server's part.
//!
//!     cargo bench -p wilayah-shared --bench order_history
//!     cargo bench -p wilayah-shared --bench order_history -- --lines 2000000

use std::collections::HashSet;
use std::fmt::Write;
use std::time::Instant;

use wilayah_shared::rng::SplitMix64;
use wilayah_shared::sales::parse_order_history;

fn arg(name: &str, default: usize) -> usize {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

const LINES_PER_ORDER: usize = 5;
const ACCOUNTS: usize = 20_000;
const SKUS: usize = 5_000;

fn history_csv(lines: usize) -> Vec<u8> {
    let mut rng = SplitMix64::new(18);
    let mut text = String::with_capacity(lines * 80);
    text.push_str("account_external_id,order_date,external_order_id,sku,quantity,unit_price_minor,currency,cost_minor,line_no\n");
    for order in 0..lines.div_ceil(LINES_PER_ORDER) {
        let account = rng.below(ACCOUNTS);
        let (month, day) = (1 + order % 12, 1 + order % 28);
        for line in 1..=LINES_PER_ORDER.min(lines - order * LINES_PER_ORDER) {
            let sku = rng.below(SKUS);
            let quantity = 1 + rng.below(50);
            let price = 1_000 + rng.below(5_000_000);
            writeln!(
                text,
                "ACC-{account:05},2025-{month:02}-{day:02},ORD-{order:07},SKU-{sku:05},{quantity}.{:03},{price},IDR,{},{line}",
                rng.below(1000),
                price * 6 / 10,
            )
            .expect("writing to a String");
        }
    }
    text.into_bytes()
}

fn main() {
    let lines = arg("--lines", 1_000_000);
    let data = history_csv(lines);
    println!(
        "order history: {lines} lines, {:.1} MB of CSV",
        data.len() as f64 / 1e6
    );
    let start = Instant::now();
    let history = parse_order_history(&data, &mut |_, _| {}).expect("a valid file");
    let parsed = start.elapsed();
    assert_eq!(history.line_count, lines);
    println!(
        "parse + check + group: {:.2} s ({:.0} lines/s, {:.0} MB/s), {} orders",
        parsed.as_secs_f64(),
        lines as f64 / parsed.as_secs_f64(),
        data.len() as f64 / 1e6 / parsed.as_secs_f64(),
        history.orders.len()
    );
    // The catalogue knows 99 % of the SKUs.
    let catalogue: HashSet<String> = (0..SKUS)
        .filter(|s| s % 100 != 0)
        .map(|s| format!("SKU-{s:05}"))
        .collect();
    let start = Instant::now();
    let unknown = history.unknown_skus(|sku| catalogue.contains(sku));
    println!(
        "unknown SKUs: {} found in {:.3} s",
        unknown.len(),
        start.elapsed().as_secs_f64()
    );
}
