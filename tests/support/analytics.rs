//! An order history for the analytics routes: purchase days and values drawn from the
//! lifetime-value models for 32 customers acquired in the first 120 days after `start` (so that
//! a fit up to `start + 272 days` converges), one of them with one huge order, written as an order
//! import (`POST /api/v1/orders/import`) with each order split over one to three products.

use chrono::{Days, NaiveDate};
use wilayah_shared::analytics::simulate::{Simulation, simulate};
use wilayah_shared::analytics::{BgNbdParams, GammaGammaParams, Purchase};

/// Customers of the history (ids 1..=32).
pub const CUSTOMERS: usize = 32;
/// Days from the start to a calibration end on which the fit converges.
pub const CALIBRATION_DAYS: u64 = 272;
/// The customer with the huge order, its day (days after the start) and amount.
pub const HUGE: (i64, u64, i64) = (4, 151, 900 * 20_000);

/// The purchases (ids `1..=CUSTOMERS`), the huge one last.
pub fn purchases(start: NaiveDate) -> Vec<Purchase> {
    let mut out = simulate(
        &Simulation {
            customers: CUSTOMERS,
            start,
            acquisition_days: 120,
            observed_days: 364,
            seed: 1,
        },
        &BgNbdParams {
            r: 2.0,
            alpha: 8.0,
            a: 0.5,
            b: 5.0,
        },
        &GammaGammaParams {
            p: 3.0,
            q: 3.0,
            v: 10_000.0,
        },
    );
    out.push(Purchase {
        customer: HUGE.0,
        day: start + Days::new(HUGE.1),
        amount_minor: HUGE.2,
    });
    out
}

/// The import CSV of `purchases` (on or before `through`): customer `c` is the account with
/// external id `external_id(c)`; order `n` is split over one to three of `skus` (chosen by a
/// fixed sequence), quantity one each, the lines adding up to the purchase's value.
pub fn order_csv(
    purchases: &[Purchase],
    through: NaiveDate,
    external_id: impl Fn(i64) -> String,
    skus: &[&str],
) -> String {
    let mut csv = String::from(
        "account_external_id,order_date,external_order_id,sku,quantity,unit_price_minor,currency\n",
    );
    let mut state: u64 = 15;
    let mut below = |n: u64| {
        state = state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (state >> 33) % n
    };
    for (n, p) in purchases
        .iter()
        .enumerate()
        .filter(|(_, p)| p.day <= through)
    {
        let count = 1 + below(3);
        let mut picked: Vec<usize> = (0..count)
            .map(|_| below(skus.len() as u64) as usize)
            .collect();
        picked.sort_unstable();
        picked.dedup();
        let share = p.amount_minor / picked.len() as i64;
        for (i, product) in picked.iter().enumerate() {
            let price = if i == 0 {
                p.amount_minor - share * (picked.len() as i64 - 1)
            } else {
                share
            };
            csv.push_str(&format!(
                "{},{},H-{n},{},1,{price},IDR\n",
                external_id(p.customer),
                p.day,
                skus[*product]
            ));
        }
    }
    csv
}
