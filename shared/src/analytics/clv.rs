//! Scoring customers with fitted models: P(alive), expected purchases and value over a horizon,
//! and lifetime value as the discounted expected margin.

use super::FitError;
use super::bgnbd::{BgNbdParams, nudge_off_one};
use super::gamma_gamma::GammaGammaParams;
use super::summary::CustomerSummary;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// How lifetime value is counted: `periods` periods of `period_weeks` weeks each, the expected
/// margin of period `k` discounted by `(1 + discount_rate)^k`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ClvSettings {
    pub periods: u32,
    pub period_weeks: f64,
    /// Per period (e.g. 0.01 a month is about 12.7 % a year).
    pub discount_rate: f64,
    /// Share of revenue that is margin, in [0, 1].
    pub margin_share: f64,
}

impl Default for ClvSettings {
    /// Twelve months (of 365.25 / 12 days), 1 % a month, margin share 1 (value as revenue).
    fn default() -> Self {
        ClvSettings {
            periods: 12,
            period_weeks: 365.25 / 12.0 / 7.0,
            discount_rate: 0.01,
            margin_share: 1.0,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct CustomerScore {
    pub p_alive: f64,
    /// Expected purchases over the whole horizon (`periods × period_weeks`).
    pub expected_purchases: f64,
    /// Expected value of one future purchase (Gamma-Gamma), minor units.
    pub expected_value_minor: f64,
    /// Discounted expected margin over the horizon, minor units.
    pub clv_minor: f64,
}

/// Scores many customers under one fit. The conditional expectation needs
/// `₂F₁(a+b−1−r, a−1; a+b+x−1; z)` at one `z` per period; its series coefficients depend only on
/// `x`, so they are computed once per `x` and every period's series is summed in one pass. Given
/// alive, the expectations depend only on `(x, T)`; with ages in whole days many customers share
/// them, so they are remembered per `(x, T in days)` and only P(alive) is computed per customer.
pub struct Scorer {
    bgnbd: BgNbdParams,
    gamma_gamma: GammaGammaParams,
    settings: ClvSettings,
    /// Series coefficients by `x`, extended on demand.
    coefficients: Vec<Vec<f64>>,
    discounts: Vec<f64>,
    /// `(x, age in days)` → (expected purchases over the horizon, discounted purchases), given alive.
    given_alive: HashMap<(u32, u32), (f64, f64)>,
    /// Scratch per period: z, z^n, running sum.
    z: Vec<f64>,
    power: Vec<f64>,
    sum: Vec<f64>,
}

const MAX_TERMS: usize = 200_000;
/// Bound on the remembered `(x, T)` expectations (about 40 MB).
const MAX_REMEMBERED: usize = 1 << 20;

impl Scorer {
    pub fn new(
        bgnbd: BgNbdParams,
        gamma_gamma: GammaGammaParams,
        settings: ClvSettings,
    ) -> Result<Self, FitError> {
        let bad = |name, reason| Err(FitError::InvalidSetting { name, reason });
        if settings.periods == 0 || settings.periods > 10_000 {
            return bad("periods", "between 1 and 10000");
        }
        if !(settings.period_weeks > 0.0 && settings.period_weeks.is_finite()) {
            return bad("period_weeks", "a positive number of weeks");
        }
        if !(settings.discount_rate >= 0.0 && settings.discount_rate.is_finite()) {
            return bad("discount_rate", "zero or positive");
        }
        if !(0.0..=1.0).contains(&settings.margin_share) {
            return bad("margin_share", "between 0 and 1");
        }
        if gamma_gamma.q <= 1.0 {
            return bad(
                "gamma_gamma.q",
                "above 1 (otherwise the mean purchase value is infinite)",
            );
        }
        let k = settings.periods as usize;
        let discounts = (1..=k)
            .map(|i| (1.0 + settings.discount_rate).powi(-(i as i32)))
            .collect();
        Ok(Scorer {
            bgnbd,
            gamma_gamma,
            settings,
            coefficients: Vec::new(),
            discounts,
            given_alive: HashMap::new(),
            z: vec![0.0; k],
            power: vec![0.0; k],
            sum: vec![0.0; k],
        })
    }

    pub fn score(&mut self, c: &CustomerSummary) -> CustomerScore {
        let (x, t_x, big_t) = (c.frequency, c.recency_weeks(), c.age_weeks());
        let p_alive = self.bgnbd.p_alive(x, t_x, big_t);
        let key = (x, c.age_days);
        let (purchases, discounted) = match self.given_alive.get(&key) {
            Some(&v) => v,
            None => {
                if self.given_alive.len() >= MAX_REMEMBERED {
                    self.given_alive.clear();
                }
                let v = self.expectations_given_alive(x, big_t);
                self.given_alive.insert(key, v);
                v
            }
        };
        let mean = c.mean_repeat_value_minor().unwrap_or(0.0);
        let value = self.gamma_gamma.expected_value(x, mean);
        CustomerScore {
            p_alive,
            expected_purchases: p_alive * purchases,
            expected_value_minor: value,
            clv_minor: p_alive * discounted * value * self.settings.margin_share,
        }
    }

    /// Given alive: expected purchases over the horizon and the discounted sum of each period's
    /// expected purchases.
    fn expectations_given_alive(&mut self, x: u32, big_t: f64) -> (f64, f64) {
        let p = self.bgnbd;
        let a = nudge_off_one(p.a);
        let front = (a + p.b + x as f64 - 1.0) / (a - 1.0);
        let age = p.alpha + big_t;
        for k in 0..self.z.len() {
            let t = (k + 1) as f64 * self.settings.period_weeks;
            self.z[k] = t / (age + t);
        }
        self.sum_series(x);
        let (mut discounted, mut previous) = (0.0, 0.0);
        for k in 0..self.z.len() {
            let expected = front * (1.0 - (1.0 - self.z[k]).powf(a - 1.0) * self.sum[k]);
            discounted += (expected - previous) * self.discounts[k];
            previous = expected;
        }
        (previous, discounted)
    }

    /// `sum[k] = Σ_n c_n z[k]^n` until every period's terms stop changing its sum.
    fn sum_series(&mut self, x: u32) {
        let x = x as usize;
        if self.coefficients.len() <= x {
            self.coefficients.resize_with(x + 1, Vec::new);
        }
        let p = self.bgnbd;
        let a = nudge_off_one(p.a);
        let (sa, sb, sc) = (a + p.b - 1.0 - p.r, a - 1.0, a + p.b + x as f64 - 1.0);
        let coefficients = &mut self.coefficients[x];
        if coefficients.is_empty() {
            coefficients.push(1.0);
        }
        self.power.iter_mut().for_each(|v| *v = 1.0);
        self.sum.iter_mut().for_each(|v| *v = 1.0);
        let mut n = 1;
        loop {
            if n == coefficients.len() {
                let m = (n - 1) as f64;
                let next = coefficients[n - 1] * (sa + m) * (sb + m) / ((sc + m) * (m + 1.0));
                coefficients.push(next);
            }
            let c = coefficients[n];
            for k in 0..self.z.len() {
                self.power[k] *= self.z[k];
                self.sum[k] += c * self.power[k];
            }
            // The last period has the largest z, so its series converges last.
            let last = self.z.len() - 1;
            let done = (c * self.power[last]).abs() <= 1e-16 * self.sum[last].abs();
            // Past the largest term (|ratio| < 1 once n exceeds the parameters) and converged.
            if (done && n as f64 > (sa * sb / sc).abs() + 1.0) || c == 0.0 || n >= MAX_TERMS {
                break;
            }
            n += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    const BG: BgNbdParams = BgNbdParams {
        r: 0.2426,
        alpha: 4.414,
        a: 0.7929,
        b: 2.426,
    };
    const GG: GammaGammaParams = GammaGammaParams {
        p: 6.25,
        q: 3.74,
        v: 1544.0,
    };

    fn customer(
        x: u32,
        recency_days: u32,
        age_days: u32,
        repeat_value_minor: i64,
    ) -> CustomerSummary {
        CustomerSummary {
            customer: 1,
            first_day: NaiveDate::from_ymd_opt(1997, 1, 1).unwrap(),
            frequency: x,
            recency_days,
            age_days,
            repeat_value_minor,
            holdout_purchases: 0,
        }
    }

    #[test]
    fn clv_is_the_discounted_sum_of_period_increments() {
        let settings = ClvSettings {
            periods: 6,
            period_weeks: 4.0,
            discount_rate: 0.02,
            margin_share: 0.3,
        };
        let mut scorer = Scorer::new(BG, GG, settings).unwrap();
        for c in [
            customer(0, 0, 200, 0),
            customer(3, 150, 250, 9000),
            customer(12, 260, 272, 50_000),
        ] {
            let s = scorer.score(&c);
            let (x, t_x, big_t) = (c.frequency, c.recency_weeks(), c.age_weeks());
            let mut expected_clv = 0.0;
            for k in 1..=6 {
                let step = BG.expected_purchases(x, t_x, big_t, 4.0 * k as f64)
                    - BG.expected_purchases(x, t_x, big_t, 4.0 * (k - 1) as f64);
                expected_clv += step / 1.02_f64.powi(k);
            }
            let value = GG.expected_value(x, c.mean_repeat_value_minor().unwrap_or(0.0));
            expected_clv *= value * 0.3;
            assert!(
                (s.clv_minor - expected_clv).abs() < 1e-9 * expected_clv,
                "{s:?} vs {expected_clv}"
            );
            assert!(
                (s.expected_purchases - BG.expected_purchases(x, t_x, big_t, 24.0)).abs() < 1e-10
            );
            assert!((s.p_alive - BG.p_alive(x, t_x, big_t)).abs() < 1e-15);
            assert!((s.expected_value_minor - value).abs() < 1e-9);
        }
    }

    #[test]
    fn rejects_unusable_settings() {
        let bad = ClvSettings {
            margin_share: 1.5,
            ..ClvSettings::default()
        };
        let err = Scorer::new(BG, GG, bad).err().unwrap();
        assert!(err.to_string().contains("margin_share"), "{err}");
        let q_low = GammaGammaParams { q: 0.9, ..GG };
        assert!(Scorer::new(BG, q_low, ClvSettings::default()).is_err());
    }
}
