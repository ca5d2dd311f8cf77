//! BG/NBD purchase model (Fader, Hardie & Lee 2005, "Counting your customers the easy way",
//! Marketing Science 24(2)): while alive a customer buys at rate λ ~ Gamma(r, α); after each
//! purchase they drop out with probability p ~ Beta(a, b). Time is in weeks.

use super::FitError;
use super::optimise::{FLAT_TOLERANCE, GRADIENT_TOLERANCE, Objective, bfgs};
use super::special::hyp2f1;
use super::summary::{CustomerSummary, DAYS_PER_WEEK};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct BgNbdParams {
    pub r: f64,
    pub alpha: f64,
    pub a: f64,
    pub b: f64,
}

impl BgNbdParams {
    /// Probability that a customer with `x` repeat purchases, the last at `t_x` weeks after the
    /// first, is still alive `T` weeks after the first purchase.
    pub fn p_alive(&self, x: u32, t_x: f64, big_t: f64) -> f64 {
        if x == 0 {
            return 1.0;
        }
        1.0 / (1.0 + self.log_odds_dead(x, t_x, big_t).exp())
    }

    /// `ln[(a / (b + x − 1)) ((α + T)/(α + t_x))^(r + x)]` (x > 0): the published likelihood's
    /// `A4 / A3`, the odds that the customer dropped out after the last purchase.
    fn log_odds_dead(&self, x: u32, t_x: f64, big_t: f64) -> f64 {
        let x = x as f64;
        self.a.ln() - (self.b + x - 1.0).ln()
            + (self.r + x) * ((self.alpha + big_t).ln() - (self.alpha + t_x).ln())
    }

    /// Expected purchases of a new customer in their first `t` weeks:
    /// `(a+b−1)/(a−1) [1 − (α/(α+t))^r ₂F₁(r, b; a+b−1; t/(α+t))]`.
    pub fn expected_purchases_new(&self, t: f64) -> f64 {
        self.alive_expectation(0, self.alpha, t)
    }

    /// Expected purchases in the next `t` weeks of a customer with history `(x, t_x, T)`
    /// (the paper's conditional expectation, eq. 10).
    pub fn expected_purchases(&self, x: u32, t_x: f64, big_t: f64, t: f64) -> f64 {
        self.p_alive(x, t_x, big_t) * self.alive_expectation(x, self.alpha + big_t, t)
    }

    /// `(a+b+x−1)/(a−1) [1 − ((α+T)/(α+T+t))^(r+x) ₂F₁(r+x, b+x; a+b+x−1; t/(α+T+t))]`, the
    /// expectation given alive. Euler's transformation `₂F₁(A,B;C;z) = (1−z)^(C−A−B)
    /// ₂F₁(C−A, C−B; C; z)` turns it into `1 − (1−z)^(a−1) ₂F₁(a+b−1−r, a−1; a+b+x−1; z)`,
    /// a series that converges even as `z → 1` and whose first two parameters do not grow with x.
    fn alive_expectation(&self, x: u32, alpha_plus_age: f64, t: f64) -> f64 {
        let z = t / (alpha_plus_age + t);
        let a = nudge_off_one(self.a);
        let c = a + self.b + x as f64 - 1.0;
        let series = hyp2f1(a + self.b - 1.0 - self.r, a - 1.0, c, z);
        c / (a - 1.0) * (1.0 - (1.0 - z).powf(a - 1.0) * series)
    }
}

/// The closed forms divide by `a − 1`; at `a = 1` they have a removable singularity, evaluated a
/// hair away (relative error about 1e-8).
pub(crate) fn nudge_off_one(a: f64) -> f64 {
    if (a - 1.0).abs() < 1e-8 {
        1.0 + 1e-8_f64.copysign(a - 1.0)
    } else {
        a
    }
}

/// Customers with the same `(x, t_x, T)` contribute the same likelihood term.
#[derive(Debug, Clone, Copy)]
struct Group {
    x: u32,
    recency_days: u32,
    age_days: u32,
    count: f64,
}

/// The log-likelihood over customers, per customer the log of the published
/// `A1 · A2 · (A3 + δ(x>0) A4)`, which is
///
/// ```text
/// ln Γ(r+x) − ln Γ(r) + r ln α + ln B(a, b+x) − ln B(a, b) − (r+x) ln(α+T)
///   + ln(1 + δ(x>0) (a/(b+x−1)) ((α+T)/(α+t_x))^(r+x))
/// ```
///
/// The gamma and beta ratios are sums over `k < x` (shared by all customers with that `x`), the
/// logarithms of `α + days/7` come from a table by day, and the last term is a softplus of a
/// log-odds, so nothing overflows.
struct Likelihood {
    groups: Vec<Group>,
    customers: f64,
    max_x: usize,
    max_day: usize,
    // Per-evaluation scratch: by x, then by day.
    by_x: Vec<[f64; 5]>,
    ln_age: Vec<f64>,
    inv_age: Vec<f64>,
}

impl Likelihood {
    fn new(customers: &[CustomerSummary]) -> Self {
        let mut keys: Vec<(u32, u32, u32)> = customers
            .iter()
            .map(|c| (c.frequency, c.recency_days, c.age_days))
            .collect();
        keys.sort_unstable();
        let mut groups: Vec<Group> = Vec::new();
        for (x, recency_days, age_days) in keys {
            match groups.last_mut() {
                Some(g) if (g.x, g.recency_days, g.age_days) == (x, recency_days, age_days) => {
                    g.count += 1.0
                }
                _ => groups.push(Group {
                    x,
                    recency_days,
                    age_days,
                    count: 1.0,
                }),
            }
        }
        let max_x = groups.iter().map(|g| g.x as usize).max().unwrap_or(0);
        let max_day = groups
            .iter()
            .map(|g| g.age_days as usize)
            .max()
            .unwrap_or(0);
        Likelihood {
            groups,
            customers: customers.len() as f64,
            max_x,
            max_day,
            by_x: vec![[0.0; 5]; max_x + 1],
            ln_age: vec![0.0; max_day + 1],
            inv_age: vec![0.0; max_day + 1],
        }
    }

    /// Sum of log-likelihoods and its gradient with respect to `(r, α, a, b)`.
    fn evaluate(&mut self, p: &BgNbdParams, grad: &mut [f64; 4]) -> f64 {
        let BgNbdParams { r, alpha, a, b } = *p;
        // by_x[x] = [Σ ln(r+k) + ln(b+k) − ln(a+b+k), Σ 1/(r+k), Σ −1/(a+b+k), Σ 1/(b+k) − 1/(a+b+k), 0]
        let mut acc = [0.0; 5];
        for x in 0..=self.max_x {
            self.by_x[x] = acc;
            let k = x as f64;
            acc[0] += (r + k).ln() + (b + k).ln() - (a + b + k).ln();
            acc[1] += 1.0 / (r + k);
            acc[2] -= 1.0 / (a + b + k);
            acc[3] += 1.0 / (b + k) - 1.0 / (a + b + k);
        }
        for d in 0..=self.max_day {
            let v = alpha + d as f64 / DAYS_PER_WEEK;
            self.ln_age[d] = v.ln();
            self.inv_age[d] = 1.0 / v;
        }
        let (ln_alpha, ln_a) = (alpha.ln(), a.ln());
        let mut ll = 0.0;
        *grad = [0.0; 4];
        for g in &self.groups {
            let xf = g.x as f64;
            let sums = &self.by_x[g.x as usize];
            let (l_age, inv_age) = (
                self.ln_age[g.age_days as usize],
                self.inv_age[g.age_days as usize],
            );
            let mut term = sums[0] + r * ln_alpha - (r + xf) * l_age;
            let mut d = [
                sums[1] + ln_alpha - l_age,
                r / alpha - (r + xf) * inv_age,
                sums[2],
                sums[3],
            ];
            if g.x > 0 {
                let (l_rec, inv_rec) = (
                    self.ln_age[g.recency_days as usize],
                    self.inv_age[g.recency_days as usize],
                );
                let bx = b + xf - 1.0;
                let z = ln_a - bx.ln() + (r + xf) * (l_age - l_rec);
                let e = (-z.abs()).exp();
                term += z.max(0.0) + e.ln_1p();
                let s = if z >= 0.0 {
                    1.0 / (1.0 + e)
                } else {
                    e / (1.0 + e)
                };
                d[0] += s * (l_age - l_rec);
                d[1] += s * (r + xf) * (inv_age - inv_rec);
                d[2] += s / a;
                d[3] -= s / bx;
            }
            ll += g.count * term;
            for i in 0..4 {
                grad[i] += g.count * d[i];
            }
        }
        ll
    }
}

impl Objective for Likelihood {
    /// Mean negative log-likelihood over log-parameters.
    fn value_and_gradient(&mut self, theta: &[f64], gradient: &mut [f64]) -> Option<f64> {
        if theta.iter().any(|t| t.abs() > 40.0) {
            return None;
        }
        let p = BgNbdParams {
            r: theta[0].exp(),
            alpha: theta[1].exp(),
            a: theta[2].exp(),
            b: theta[3].exp(),
        };
        let mut g = [0.0; 4];
        let ll = self.evaluate(&p, &mut g);
        let scale = [p.r, p.alpha, p.a, p.b];
        for i in 0..4 {
            gradient[i] = -g[i] * scale[i] / self.customers;
        }
        let value = -ll / self.customers;
        value.is_finite().then_some(value)
    }
}

/// Total log-likelihood of the customers' histories under `params`.
pub fn log_likelihood(params: &BgNbdParams, customers: &[CustomerSummary]) -> f64 {
    Likelihood::new(customers).evaluate(params, &mut [0.0; 4])
}

/// Maximum-likelihood fit. Needs customers with and without repeat purchases; a likelihood
/// that keeps rising towards a parameter of 0 or infinity is reported as degenerate.
pub fn fit(customers: &[CustomerSummary]) -> Result<BgNbdParams, FitError> {
    if customers.is_empty() {
        return Err(FitError::NoData { model: "BG/NBD" });
    }
    let n = customers.len() as f64;
    let mean_x = customers.iter().map(|c| c.frequency as f64).sum::<f64>() / n;
    let mean_age = customers.iter().map(|c| c.age_weeks()).sum::<f64>() / n;
    // Start where the mean purchase rate r/α matches the data's.
    let start = [0.0, (mean_age / mean_x.max(1e-3)).max(1e-3).ln(), 0.0, 0.0];
    let mut likelihood = Likelihood::new(customers);
    let m = bfgs(
        &mut likelihood,
        &start,
        GRADIENT_TOLERANCE,
        FLAT_TOLERANCE,
        1000,
    )
    .ok_or(FitError::NoConvergence { model: "BG/NBD" })?;
    if !m.converged {
        return Err(FitError::NoConvergence { model: "BG/NBD" });
    }
    let names = ["r", "alpha", "a", "b"];
    if let Some(i) = m.theta.iter().position(|t| t.abs() > 20.0) {
        return Err(FitError::Degenerate {
            model: "BG/NBD",
            parameter: names[i],
        });
    }
    let e: Vec<f64> = m.theta.iter().map(|t| t.exp()).collect();
    Ok(BgNbdParams {
        r: e[0],
        alpha: e[1],
        a: e[2],
        b: e[3],
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    const CDNOW: BgNbdParams = BgNbdParams {
        r: 0.2426,
        alpha: 4.414,
        a: 0.7929,
        b: 2.426,
    };

    fn summary(x: u32, recency_days: u32, age_days: u32) -> CustomerSummary {
        CustomerSummary {
            customer: 0,
            first_day: NaiveDate::from_ymd_opt(2024, 1, 1).unwrap(),
            frequency: x,
            recency_days,
            age_days,
            repeat_value_minor: 0,
            holdout_purchases: 0,
        }
    }

    /// The published likelihood evaluated as written, with Γ itself (no logs, no sums).
    fn naive_log_likelihood(p: &BgNbdParams, c: &CustomerSummary) -> f64 {
        use libm::tgamma;
        let (x, t_x, big_t) = (c.frequency as f64, c.recency_weeks(), c.age_weeks());
        let a1 = tgamma(p.r + x) * p.alpha.powf(p.r) / tgamma(p.r);
        let a2 = tgamma(p.a + p.b) * tgamma(p.b + x) / (tgamma(p.b) * tgamma(p.a + p.b + x));
        let a3 = (1.0 / (p.alpha + big_t)).powf(p.r + x);
        let a4 = p.a / (p.b + x - 1.0) * (1.0 / (p.alpha + t_x)).powf(p.r + x);
        (a1 * a2 * (a3 + if c.frequency > 0 { a4 } else { 0.0 })).ln()
    }

    #[test]
    fn log_likelihood_equals_a_direct_evaluation() {
        let customers: Vec<_> = [
            (0, 0, 10),
            (0, 0, 270),
            (1, 30, 200),
            (3, 100, 150),
            (7, 260, 272),
            (14, 15, 90),
            (2, 5, 5),
        ]
        .iter()
        .map(|&(x, t, big_t)| summary(x, t, big_t))
        .collect();
        for p in [
            CDNOW,
            BgNbdParams {
                r: 2.0,
                alpha: 0.5,
                a: 3.0,
                b: 0.4,
            },
        ] {
            let direct: f64 = customers.iter().map(|c| naive_log_likelihood(&p, c)).sum();
            let ll = log_likelihood(&p, &customers);
            assert!(
                (ll - direct).abs() < 1e-9 * direct.abs(),
                "{ll} vs {direct}"
            );
        }
    }

    #[test]
    fn gradient_matches_finite_differences() {
        let customers: Vec<_> = [(0, 0, 40), (2, 30, 200), (5, 100, 150), (1, 3, 9)]
            .iter()
            .map(|&(x, t, big_t)| summary(x, t, big_t))
            .collect();
        let mut l = Likelihood::new(&customers);
        let p = [0.6, 3.0, 0.8, 2.0];
        let mut g = [0.0; 4];
        let at = |l: &mut Likelihood, v: [f64; 4]| {
            l.evaluate(
                &BgNbdParams {
                    r: v[0],
                    alpha: v[1],
                    a: v[2],
                    b: v[3],
                },
                &mut [0.0; 4],
            )
        };
        l.evaluate(
            &BgNbdParams {
                r: p[0],
                alpha: p[1],
                a: p[2],
                b: p[3],
            },
            &mut g,
        );
        for i in 0..4 {
            let h = 1e-6 * p[i];
            let (mut up, mut down) = (p, p);
            up[i] += h;
            down[i] -= h;
            let numeric = (at(&mut l, up) - at(&mut l, down)) / (2.0 * h);
            assert!(
                (g[i] - numeric).abs() < 1e-5 * numeric.abs().max(1.0),
                "{i}: {} vs {numeric}",
                g[i]
            );
        }
    }

    #[test]
    fn expectations_match_direct_formulas() {
        // Unconditional: the published form with the raw 2F1.
        let p = CDNOW;
        let t = 39.0;
        let z = t / (p.alpha + t);
        let direct = (p.a + p.b - 1.0) / (p.a - 1.0)
            * (1.0 - (p.alpha / (p.alpha + t)).powf(p.r) * hyp2f1(p.r, p.b, p.a + p.b - 1.0, z));
        assert!((p.expected_purchases_new(t) - direct).abs() < 1e-10);
        // Conditional (eq. 10) with the raw 2F1.
        let (x, t_x, big_t) = (4u32, 20.0, 35.0);
        let xf = x as f64;
        let z = t / (p.alpha + big_t + t);
        let numerator = (p.a + p.b + xf - 1.0) / (p.a - 1.0)
            * (1.0
                - ((p.alpha + big_t) / (p.alpha + big_t + t)).powf(p.r + xf)
                    * hyp2f1(p.r + xf, p.b + xf, p.a + p.b + xf - 1.0, z));
        let denominator =
            1.0 + p.a / (p.b + xf - 1.0) * ((p.alpha + big_t) / (p.alpha + t_x)).powf(p.r + xf);
        let got = p.expected_purchases(x, t_x, big_t, t);
        assert!((got - numerator / denominator).abs() < 1e-10, "{got}");
        // A customer who never came back: the same formula with x = 0 at age T.
        assert!(p.expected_purchases(0, 0.0, 0.0, t) - p.expected_purchases_new(t) < 1e-12);
        // a = 1 is a removable singularity.
        let near = |a: f64| BgNbdParams { a, ..p }.expected_purchases(3, 10.0, 30.0, 20.0);
        assert!((near(1.0) - near(1.0 + 1e-4)).abs() < 1e-3 * near(1.0));
    }

    proptest::proptest! {
        #[test]
        fn p_alive_is_a_probability_that_falls_with_time_since_the_last_purchase(
            r in 0.01..10.0f64, alpha in 0.01..100.0f64, a in 0.01..10.0f64, b in 0.01..10.0f64,
            x in 0u32..200, recency in 0.0..1.0f64, age in 0.0..300.0f64, later in 0.0..300.0f64,
        ) {
            let p = BgNbdParams { r, alpha, a, b };
            let t_x = recency * age;
            let now = p.p_alive(x, t_x, age);
            let after = p.p_alive(x, t_x, age + later);
            proptest::prop_assert!((0.0..=1.0).contains(&now) && (0.0..=1.0).contains(&after));
            proptest::prop_assert!(after <= now, "{now} then {after}");
            // A more recent last purchase (same age) never makes the customer less likely alive.
            proptest::prop_assert!(p.p_alive(x, age, age) >= now);
        }
    }

    #[test]
    fn p_alive_strictly_falls_for_a_repeat_buyer() {
        let a = CDNOW.p_alive(3, 10.0, 20.0);
        let b = CDNOW.p_alive(3, 10.0, 30.0);
        assert!(0.0 < b && b < a && a < 1.0, "{a} {b}");
        assert_eq!(CDNOW.p_alive(0, 0.0, 50.0), 1.0);
    }
}
