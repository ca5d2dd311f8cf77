//! Unusual orders: an order far outside its customer's own pattern, by a robust score (the
//! modified z-score of Iglewicz & Hoaglin: `0.6745 (x − median) / MAD`, flagged beyond 3.5).
//!
//! Order values are compared on the log scale: order sizes are multiplicative (a customer who
//! usually orders 1 to 3 million is not unusual at 4 million but is at 40), and a log keeps a few
//! large orders from dominating the spread. Orders of zero or negative value (credit notes)
//! are not scored.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderValue {
    pub order: i64,
    pub customer: i64,
    pub day: NaiveDate,
    pub amount_minor: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct UnusualSettings {
    /// A customer needs this many orders for their own spread to be used.
    pub min_own_orders: usize,
    /// |score| above this is flagged.
    pub threshold: f64,
}

impl Default for UnusualSettings {
    fn default() -> Self {
        UnusualSettings {
            min_own_orders: 5,
            threshold: 3.5,
        }
    }
}

/// What an order was compared with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Basis {
    /// The customer's own median and spread.
    Own,
    /// The customer's own median (3 or more orders) with the spread of a typical customer
    /// (median of the own spreads of customers who have one), for customers with few orders or
    /// identical order values.
    OwnCentreTypicalSpread,
    /// Fewer than 3 orders: the median and spread of all orders.
    Everyone,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct OrderScore {
    pub order: i64,
    pub customer: i64,
    /// Signed: positive for an order larger than usual.
    pub score: f64,
    pub basis: Basis,
    pub unusual: bool,
}

/// Scores of every order with a positive value, in input order.
pub fn score_orders(orders: &[OrderValue], settings: &UnusualSettings) -> Vec<OrderScore> {
    let positive: Vec<&OrderValue> = orders.iter().filter(|o| o.amount_minor > 0).collect();
    let mut by_customer: BTreeMap<i64, Vec<f64>> = BTreeMap::new();
    for o in &positive {
        by_customer
            .entry(o.customer)
            .or_default()
            .push((o.amount_minor as f64).ln());
    }
    let mut all: Vec<f64> = by_customer.values().flatten().copied().collect();
    let (everyone_centre, everyone_spread) = median_mad(&mut all);
    // Per customer: (centre, spread, basis) before the typical spread is known.
    let mut own: BTreeMap<i64, (f64, f64, usize)> = BTreeMap::new();
    for (&c, values) in by_customer.iter_mut() {
        let n = values.len();
        let (m, mad) = median_mad(values);
        own.insert(c, (m, mad, n));
    }
    let mut own_spreads: Vec<f64> = own
        .values()
        .filter(|&&(_, mad, n)| n >= settings.min_own_orders && mad > 0.0)
        .map(|&(_, mad, _)| mad)
        .collect();
    let typical = if own_spreads.is_empty() {
        everyone_spread
    } else {
        median_mad(&mut own_spreads).0
    };
    positive
        .iter()
        .map(|o| {
            let (m, mad, n) = own[&o.customer];
            let (centre, spread, basis) = if n >= settings.min_own_orders && mad > 0.0 {
                (m, mad, Basis::Own)
            } else if n >= 3 {
                (m, typical, Basis::OwnCentreTypicalSpread)
            } else {
                (everyone_centre, everyone_spread, Basis::Everyone)
            };
            let x = (o.amount_minor as f64).ln();
            let score = if spread > 0.0 {
                0.6745 * (x - centre) / spread
            } else {
                0.0
            };
            OrderScore {
                order: o.order,
                customer: o.customer,
                score,
                basis,
                unusual: score.abs() > settings.threshold,
            }
        })
        .collect()
}

/// Median and median absolute deviation (reorders `values`); zeros when empty.
fn median_mad(values: &mut [f64]) -> (f64, f64) {
    if values.is_empty() {
        return (0.0, 0.0);
    }
    let m = median(values);
    let mut deviations: Vec<f64> = values.iter().map(|v| (v - m).abs()).collect();
    (m, median(&mut deviations))
}

fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    let n = values.len();
    if n % 2 == 1 {
        values[n / 2]
    } else {
        (values[n / 2 - 1] + values[n / 2]) / 2.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn orders(customer: i64, amounts: &[i64], first_id: i64) -> Vec<OrderValue> {
        let day = NaiveDate::from_ymd_opt(2024, 1, 1).unwrap();
        amounts
            .iter()
            .enumerate()
            .map(|(i, &amount_minor)| OrderValue {
                order: first_id + i as i64,
                customer,
                day,
                amount_minor,
            })
            .collect()
    }

    #[test]
    fn median_and_mad_by_hand() {
        assert_eq!(median_mad(&mut [1.0, 2.0, 3.0, 4.0, 100.0]), (3.0, 1.0));
        assert_eq!(median_mad(&mut [5.0, 1.0, 3.0, 2.0]), (2.5, 1.0));
    }

    #[test]
    fn flags_an_order_far_outside_the_customers_own_pattern() {
        let mut all = orders(
            1,
            &[100_000, 110_000, 95_000, 105_000, 100_000, 1_000_000],
            1,
        );
        // A big customer: 5 million is normal for them, not unusual.
        all.extend(orders(
            2,
            &[4_000_000, 5_000_000, 6_000_000, 5_500_000, 4_500_000],
            10,
        ));
        // Few orders: measured against a typical spread around their own median, or everyone.
        all.extend(orders(3, &[50_000, 52_000, 900_000], 20));
        all.extend(orders(4, &[300_000], 30));
        all.push(OrderValue {
            amount_minor: -5_000,
            ..all[0]
        }); // a credit note: not scored
        let s = score_orders(&all, &UnusualSettings::default());
        assert_eq!(s.len(), all.len() - 1);
        let flagged: Vec<i64> = s.iter().filter(|o| o.unusual).map(|o| o.order).collect();
        assert_eq!(flagged, [6, 22]);
        let by_order = |id| s.iter().find(|o| o.order == id).unwrap();
        assert_eq!(by_order(6).basis, Basis::Own);
        assert!(by_order(6).score > 3.5);
        assert_eq!(by_order(22).basis, Basis::OwnCentreTypicalSpread);
        assert_eq!(by_order(30).basis, Basis::Everyone);
        assert!(!by_order(12).unusual);
        // Own basis, by hand, in logs relative to ln 100,000: the orders are ln 0.95, 0, 0,
        // ln 1.05, ln 1.1, ln 10; median ½ ln 1.05; deviations ½ ln 1.05 (three times),
        // ln 1.1 − ½ ln 1.05, ½ ln 1.05 − ln 0.95, …; MAD = mean of the middle two = ½ ln 1.1.
        let by_hand = 0.6745 * (10f64.ln() - 0.5 * 1.05f64.ln()) / (0.5 * 1.1f64.ln());
        assert!(
            (by_order(6).score - by_hand).abs() < 1e-9,
            "{} vs {by_hand}",
            by_order(6).score
        );
    }
}
