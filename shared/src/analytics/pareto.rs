//! 80/20: the Pareto curve of revenue and the whale curve of profit (cumulative value by
//! customer, ranked from the most valuable).

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ValueCurve {
    /// `cumulative_minor[k]`: value of the `k` most valuable customers (`cumulative_minor[0] = 0`).
    pub cumulative_minor: Vec<i64>,
    /// Customer ids, most valuable first (ties by id).
    pub ranking: Vec<i64>,
    pub total_minor: i64,
    /// Highest point of the curve and after how many customers (for profit: beyond them,
    /// customers destroy value).
    pub peak_minor: i64,
    pub peak_customers: usize,
    /// Share of the total from the top `top_fraction` of customers (`⌈n × top_fraction⌉` of
    /// them); above 1 on a whale curve whose tail loses money; `None` when the total is not positive.
    pub top_share: Option<f64>,
}

/// The curve over `(customer, value)` pairs, e.g. revenue (Pareto) or profit (whale curve).
pub fn value_curve(values: &[(i64, i64)], top_fraction: f64) -> ValueCurve {
    let mut ranked = values.to_vec();
    ranked.sort_unstable_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    let mut cumulative_minor = Vec::with_capacity(ranked.len() + 1);
    cumulative_minor.push(0);
    let (mut peak_minor, mut peak_customers, mut sum) = (0, 0, 0i64);
    for (k, &(_, v)) in ranked.iter().enumerate() {
        sum += v;
        cumulative_minor.push(sum);
        if sum > peak_minor {
            (peak_minor, peak_customers) = (sum, k + 1);
        }
    }
    let top =
        ((ranked.len() as f64 * top_fraction.clamp(0.0, 1.0)).ceil() as usize).min(ranked.len());
    ValueCurve {
        top_share: (sum > 0).then(|| cumulative_minor[top] as f64 / sum as f64),
        cumulative_minor,
        ranking: ranked.iter().map(|&(c, _)| c).collect(),
        total_minor: sum,
        peak_minor,
        peak_customers,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::SplitMix64;

    #[test]
    fn curve_matches_brute_force() {
        let mut rng = SplitMix64::new(8);
        for n in [0, 1, 5, 37, 200] {
            let values: Vec<(i64, i64)> = (0..n)
                .map(|i| (i as i64, rng.below(2000) as i64 - 500))
                .collect();
            let curve = value_curve(&values, 0.2);
            for k in 0..=n {
                // The k largest values: repeatedly take the largest remaining.
                let mut left = values.clone();
                let mut best = 0;
                for _ in 0..k {
                    let i = (0..left.len()).max_by_key(|&i| left[i].1).unwrap();
                    best += left.swap_remove(i).1;
                }
                assert_eq!(curve.cumulative_minor[k], best, "n {n} k {k}");
            }
            let total: i64 = values.iter().map(|v| v.1).sum();
            assert_eq!(curve.total_minor, total);
            let peak = curve.cumulative_minor.iter().copied().max().unwrap();
            assert_eq!(curve.peak_minor, peak);
            assert_eq!(curve.cumulative_minor[curve.peak_customers], peak);
        }
    }

    #[test]
    fn top_share_and_whale_curve() {
        // Ten customers: two bring 80 of 96 in revenue.
        let revenue: Vec<(i64, i64)> = (0..10).map(|i| (i, if i < 2 { 40 } else { 2 })).collect();
        let c = value_curve(&revenue, 0.2);
        assert_eq!(c.total_minor, 96);
        assert_eq!(c.top_share, Some(80.0 / 96.0));
        // Profit: the tail loses money; the first three earn 160 % of the total, the top fifth
        // (one customer) all of it.
        let profit = [(1, 100), (2, 50), (3, 10), (4, -20), (5, -40)];
        let w = value_curve(&profit, 0.2);
        assert_eq!(
            (w.peak_minor, w.peak_customers, w.total_minor),
            (160, 3, 100)
        );
        assert_eq!(w.top_share, Some(1.0));
        assert_eq!(w.ranking, [1, 2, 3, 4, 5]);
        assert_eq!(value_curve(&[(1, -5)], 0.2).top_share, None);
    }
}
