//! RFM: recency, frequency and monetary quintile scores and the usual named segments.

use super::summary::Purchase;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// A customer's totals up to a date.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct RfmInput {
    pub customer: i64,
    /// Days from the last purchase to the scoring date.
    pub recency_days: u32,
    /// Purchase days (same-day orders count once).
    pub frequency: u32,
    pub monetary_minor: i64,
}

/// Totals per customer from purchases on or before `as_of`.
pub fn rfm_inputs(purchases: &[Purchase], as_of: NaiveDate) -> Vec<RfmInput> {
    let mut by_customer: BTreeMap<i64, BTreeMap<NaiveDate, i64>> = BTreeMap::new();
    for p in purchases.iter().filter(|p| p.day <= as_of) {
        *by_customer
            .entry(p.customer)
            .or_default()
            .entry(p.day)
            .or_default() += p.amount_minor;
    }
    by_customer
        .into_iter()
        .map(|(customer, days)| RfmInput {
            customer,
            recency_days: (as_of - *days.keys().next_back().expect("not empty")).num_days() as u32,
            frequency: days.len() as u32,
            monetary_minor: days.values().sum(),
        })
        .collect()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Segment {
    Champions,
    Loyal,
    PotentialLoyalist,
    New,
    Promising,
    NeedAttention,
    AboutToSleep,
    AtRisk,
    CantLose,
    Hibernating,
    Lost,
}

impl Segment {
    pub const ALL: [Segment; 11] = [
        Segment::Champions,
        Segment::Loyal,
        Segment::PotentialLoyalist,
        Segment::New,
        Segment::Promising,
        Segment::NeedAttention,
        Segment::AboutToSleep,
        Segment::AtRisk,
        Segment::CantLose,
        Segment::Hibernating,
        Segment::Lost,
    ];

    /// The segment of scores `r`, `f`, `m` (each 1–5); the first matching rule wins:
    ///
    /// | segment | rule |
    /// |---|---|
    /// | champions | R ≥ 4, F ≥ 4, M ≥ 4 |
    /// | can't lose | R = 1, F ≥ 4, M ≥ 4 |
    /// | at risk | R ≤ 2, F ≥ 3, M ≥ 3 |
    /// | loyal | R ≥ 3, F ≥ 3, M ≥ 3 |
    /// | new | R = 5, F = 1 |
    /// | promising | R = 4, F = 1 |
    /// | potential loyalist | R ≥ 3, F ≤ 3 |
    /// | need attention | R ≥ 2, F ≥ 3 (frequent, low value) |
    /// | about to sleep | R = 2 |
    /// | hibernating | R = 1, F ≥ 2 |
    /// | lost | R = 1, F = 1 |
    // The arms overlap on purpose: first match wins, as in the table.
    #[allow(overlapping_range_endpoints)]
    pub fn of(r: u8, f: u8, m: u8) -> Segment {
        match (r, f, m) {
            (4.., 4.., 4..) => Segment::Champions,
            (..=1, 4.., 4..) => Segment::CantLose,
            (..=2, 3.., 3..) => Segment::AtRisk,
            (3.., 3.., 3..) => Segment::Loyal,
            (5.., ..=1, _) => Segment::New,
            (4, ..=1, _) => Segment::Promising,
            (3.., ..=3, _) => Segment::PotentialLoyalist,
            (2.., 3.., _) => Segment::NeedAttention,
            (2, _, _) => Segment::AboutToSleep,
            (_, 2.., _) => Segment::Hibernating,
            _ => Segment::Lost,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct RfmScore {
    pub customer: i64,
    pub r: u8,
    pub f: u8,
    pub m: u8,
    pub segment: Segment,
    pub monetary_minor: i64,
}

/// Quintile scores 1–5 (5 best: most recent, most frequent, highest value). A customer's score is
/// `1 + ⌊5 k / n⌋` where `k` counts the customers strictly worse on that measure, so equal values
/// always share a score (whatever the input order) and the best fifth scores 5.
pub fn score(inputs: &[RfmInput]) -> Vec<RfmScore> {
    let r = quintiles(inputs, |c| -(c.recency_days as i64));
    let f = quintiles(inputs, |c| c.frequency as i64);
    let m = quintiles(inputs, |c| c.monetary_minor);
    inputs
        .iter()
        .enumerate()
        .map(|(i, c)| RfmScore {
            customer: c.customer,
            r: r[i],
            f: f[i],
            m: m[i],
            segment: Segment::of(r[i], f[i], m[i]),
            monetary_minor: c.monetary_minor,
        })
        .collect()
}

/// Scores by `key` (higher is better), in input order.
fn quintiles(inputs: &[RfmInput], key: impl Fn(&RfmInput) -> i64) -> Vec<u8> {
    let n = inputs.len();
    let mut order: Vec<(i64, usize)> = inputs
        .iter()
        .enumerate()
        .map(|(i, c)| (key(c), i))
        .collect();
    order.sort_unstable();
    let mut scores = vec![0; n];
    let mut start = 0;
    while start < n {
        // `start` customers are strictly worse than this run of equal values.
        let mut end = start;
        while end < n && order[end].0 == order[start].0 {
            end += 1;
        }
        let s = 1 + (5 * start / n) as u8;
        for &(_, i) in &order[start..end] {
            scores[i] = s;
        }
        start = end;
    }
    scores
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct SegmentTotals {
    pub segment: Segment,
    pub customers: usize,
    pub value_minor: i64,
}

/// Customers and value per segment, every segment listed (in [`Segment::ALL`] order).
pub fn segment_totals(scores: &[RfmScore]) -> Vec<SegmentTotals> {
    let mut totals: Vec<SegmentTotals> = Segment::ALL
        .iter()
        .map(|&segment| SegmentTotals {
            segment,
            customers: 0,
            value_minor: 0,
        })
        .collect();
    for s in scores {
        let t = &mut totals[Segment::ALL
            .iter()
            .position(|&x| x == s.segment)
            .expect("listed")];
        t.customers += 1;
        t.value_minor += s.monetary_minor;
    }
    totals
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::SplitMix64;

    /// Brute force: count, for each customer, the customers strictly worse, with no sorting.
    fn brute_force(inputs: &[RfmInput]) -> Vec<(u8, u8, u8)> {
        let n = inputs.len();
        let q = |worse: usize| 1 + (5 * worse / n) as u8;
        inputs
            .iter()
            .map(|c| {
                let r = inputs
                    .iter()
                    .filter(|o| o.recency_days > c.recency_days)
                    .count();
                let f = inputs.iter().filter(|o| o.frequency < c.frequency).count();
                let m = inputs
                    .iter()
                    .filter(|o| o.monetary_minor < c.monetary_minor)
                    .count();
                (q(r), q(f), q(m))
            })
            .collect()
    }

    #[test]
    fn scores_match_brute_force_with_many_ties() {
        let mut rng = SplitMix64::new(4);
        for n in [1, 2, 7, 100, 523] {
            let inputs: Vec<RfmInput> = (0..n)
                .map(|i| RfmInput {
                    customer: i as i64,
                    recency_days: rng.below(30) as u32,
                    frequency: 1 + rng.below(4) as u32,
                    monetary_minor: rng.below(1000) as i64 * 100,
                })
                .collect();
            let got: Vec<_> = score(&inputs).iter().map(|s| (s.r, s.f, s.m)).collect();
            assert_eq!(got, brute_force(&inputs), "n = {n}");
            // The same customers in another order get the same scores.
            let mut reversed = inputs.clone();
            reversed.reverse();
            let mut again = score(&reversed);
            again.reverse();
            assert_eq!(again, score(&inputs));
        }
    }

    #[test]
    fn best_fifth_scores_five_and_segments_follow_the_table() {
        let inputs: Vec<RfmInput> = (0..10)
            .map(|i| RfmInput {
                customer: i,
                recency_days: 100 - i as u32 * 10,
                frequency: 1 + i as u32,
                monetary_minor: i * 1000,
            })
            .collect();
        let s = score(&inputs);
        assert_eq!(
            (s[9].r, s[9].f, s[9].m, s[9].segment),
            (5, 5, 5, Segment::Champions)
        );
        assert_eq!(
            (s[0].r, s[0].f, s[0].m, s[0].segment),
            (1, 1, 1, Segment::Lost)
        );
        assert_eq!(Segment::of(1, 5, 5), Segment::CantLose);
        assert_eq!(Segment::of(2, 4, 3), Segment::AtRisk);
        assert_eq!(Segment::of(5, 1, 3), Segment::New);
        assert_eq!(Segment::of(3, 1, 1), Segment::PotentialLoyalist);
        assert_eq!(Segment::of(4, 5, 1), Segment::NeedAttention);
        assert_eq!(Segment::of(2, 1, 5), Segment::AboutToSleep);
        assert_eq!(Segment::of(1, 2, 1), Segment::Hibernating);
        // Every one of the 125 cells has a segment, and every segment is reachable.
        let mut seen = std::collections::BTreeSet::new();
        for r in 1..=5 {
            for f in 1..=5 {
                for m in 1..=5 {
                    seen.insert(Segment::of(r, f, m));
                }
            }
        }
        assert_eq!(seen.len(), Segment::ALL.len());
    }

    #[test]
    fn inputs_merge_days_and_totals_add_up() {
        let d = |s: &str| s.parse::<NaiveDate>().unwrap();
        let p = |customer, day, amount_minor| Purchase {
            customer,
            day: d(day),
            amount_minor,
        };
        let inputs = rfm_inputs(
            &[
                p(1, "2024-01-01", 10),
                p(1, "2024-01-01", 5),
                p(1, "2024-01-20", 7),
                p(2, "2024-01-30", 3),
                p(2, "2024-02-09", 99),
            ],
            d("2024-01-31"),
        );
        assert_eq!(
            inputs,
            [
                RfmInput {
                    customer: 1,
                    recency_days: 11,
                    frequency: 2,
                    monetary_minor: 22
                },
                RfmInput {
                    customer: 2,
                    recency_days: 1,
                    frequency: 1,
                    monetary_minor: 3
                }
            ]
        );
        let totals = segment_totals(&score(&inputs));
        assert_eq!(totals.iter().map(|t| t.customers).sum::<usize>(), 2);
        assert_eq!(totals.iter().map(|t| t.value_minor).sum::<i64>(), 25);
    }
}
