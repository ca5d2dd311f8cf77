//! Gamma-Gamma spend model (Fader & Hardie, "The Gamma-Gamma model of monetary value", 2013;
//! Colombo & Jiang 1999): a customer's purchase values are Gamma(p, ν) with ν ~ Gamma(q, γ) across
//! customers, independent of the purchase process. Fitted on the mean value of the repeat
//! purchases of customers with at least one. Values are in minor currency units, so `v` (γ, a
//! scale) is too; `p` and `q` do not depend on the unit.

use super::FitError;
use super::optimise::{FLAT_TOLERANCE, GRADIENT_TOLERANCE, Objective, bfgs};
use super::special::{digamma, ln_gamma};
use super::summary::CustomerSummary;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct GammaGammaParams {
    pub p: f64,
    pub q: f64,
    /// γ, the scale of the spend-rate distribution, in minor currency units.
    pub v: f64,
}

impl GammaGammaParams {
    /// Expected value of a customer's future purchase given `x` purchases with mean value `mean`:
    /// `p (γ + x m̄) / (p x + q − 1)`, a weighted mean of the population mean `p γ / (q − 1)` and
    /// the customer's own. With `x = 0` it is the population mean (infinite when `q ≤ 1`).
    pub fn expected_value(&self, x: u32, mean: f64) -> f64 {
        let x = x as f64;
        self.p * (self.v + x * mean) / (self.p * x + self.q - 1.0)
    }

    /// Log-density of a mean value `mean` over `x` purchases:
    /// `ln Γ(px+q) − ln Γ(px) − ln Γ(q) + q ln γ + px ln x + (px−1) ln m̄ − (px+q) ln(γ + x m̄)`.
    pub fn log_likelihood_one(&self, x: u32, mean: f64) -> f64 {
        let (p, q, v, x) = (self.p, self.q, self.v, x as f64);
        ln_gamma(p * x + q) - ln_gamma(p * x) - ln_gamma(q)
            + q * v.ln()
            + p * x * x.ln()
            + (p * x - 1.0) * mean.ln()
            - (p * x + q) * (v + x * mean).ln()
    }
}

/// The customers the model is fitted on: `(x, m̄)` with `x > 0` and `m̄ > 0`.
pub fn fitting_data(customers: &[CustomerSummary]) -> Vec<(u32, f64)> {
    customers
        .iter()
        .filter_map(|c| c.mean_repeat_value_minor().map(|m| (c.frequency, m)))
        .filter(|&(_, m)| m > 0.0)
        .collect()
}

/// Total log-likelihood of `(x, m̄)` pairs.
pub fn log_likelihood(params: &GammaGammaParams, data: &[(u32, f64)]) -> f64 {
    data.iter()
        .map(|&(x, m)| params.log_likelihood_one(x, m))
        .sum()
}

struct Likelihood<'a> {
    data: &'a [(u32, f64)],
}

impl Objective for Likelihood<'_> {
    fn value_and_gradient(&mut self, theta: &[f64], gradient: &mut [f64]) -> Option<f64> {
        if theta.iter().any(|t| t.abs() > 40.0) {
            return None;
        }
        let (p, q, v) = (theta[0].exp(), theta[1].exp(), theta[2].exp());
        // Terms that depend on x only, once per x.
        let max_x = self.data.iter().map(|&(x, _)| x).max().unwrap_or(0) as usize;
        let by_x: Vec<[f64; 3]> = (0..=max_x)
            .map(|x| {
                let px = p * x as f64;
                if x == 0 {
                    return [0.0; 3];
                }
                [
                    ln_gamma(px + q) - ln_gamma(px) + px * (x as f64).ln(),
                    digamma(px + q),
                    digamma(px),
                ]
            })
            .collect();
        let (mut ll, mut g) = (-(self.data.len() as f64) * ln_gamma(q), [0.0; 3]);
        let (psi_q, ln_v) = (digamma(q), v.ln());
        for &(x, m) in self.data {
            let xf = x as f64;
            let [lg, psi_pxq, psi_px] = by_x[x as usize];
            let (ln_m, ln_vxm) = (m.ln(), (v + xf * m).ln());
            ll += lg + q * ln_v + (p * xf - 1.0) * ln_m - (p * xf + q) * ln_vxm;
            g[0] += xf * (psi_pxq - psi_px + xf.ln() + ln_m - ln_vxm);
            g[1] += psi_pxq - psi_q + ln_v - ln_vxm;
            g[2] += q / v - (p * xf + q) / (v + xf * m);
        }
        let n = self.data.len() as f64;
        for (i, scale) in [p, q, v].into_iter().enumerate() {
            gradient[i] = -g[i] * scale / n;
        }
        let value = -ll / n;
        value.is_finite().then_some(value)
    }
}

/// Maximum-likelihood fit on the output of [`fitting_data`].
pub fn fit(data: &[(u32, f64)]) -> Result<GammaGammaParams, FitError> {
    if data.is_empty() {
        return Err(FitError::NoData {
            model: "Gamma-Gamma",
        });
    }
    let mean = data.iter().map(|&(_, m)| m).sum::<f64>() / data.len() as f64;
    // Start at p = 1, q = 2, where the population mean p γ / (q − 1) equals the data's.
    let start = [0.0, 2f64.ln(), mean.max(1e-6).ln()];
    let m = bfgs(
        &mut Likelihood { data },
        &start,
        GRADIENT_TOLERANCE,
        FLAT_TOLERANCE,
        1000,
    )
    .ok_or(FitError::NoConvergence {
        model: "Gamma-Gamma",
    })?;
    if !m.converged {
        return Err(FitError::NoConvergence {
            model: "Gamma-Gamma",
        });
    }
    if let Some(i) = m.theta.iter().position(|t| t.abs() > 30.0) {
        return Err(FitError::Degenerate {
            model: "Gamma-Gamma",
            parameter: ["p", "q", "v"][i],
        });
    }
    Ok(GammaGammaParams {
        p: m.theta[0].exp(),
        q: m.theta[1].exp(),
        v: m.theta[2].exp(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_likelihood_equals_a_direct_evaluation() {
        // The density of the mean of x Gamma(p, ν) values with ν ~ Gamma(q, γ), written with Γ
        // and powers directly.
        let params = GammaGammaParams {
            p: 6.25,
            q: 3.74,
            v: 15.44,
        };
        for &(x, m) in &[(1u32, 20.0_f64), (3, 35.5), (9, 12.0)] {
            let (p, q, v, xf) = (params.p, params.q, params.v, x as f64);
            let direct = libm::tgamma(p * xf + q) / (libm::tgamma(p * xf) * libm::tgamma(q))
                * v.powf(q)
                * xf.powf(p * xf)
                * m.powf(p * xf - 1.0)
                / (v + xf * m).powf(p * xf + q);
            let ll = params.log_likelihood_one(x, m);
            assert!(
                (ll - direct.ln()).abs() < 1e-10 * direct.ln().abs().max(1.0),
                "{x}"
            );
        }
    }

    #[test]
    fn expected_value_shrinks_towards_the_population_mean() {
        let g = GammaGammaParams {
            p: 6.25,
            q: 3.74,
            v: 15.44,
        };
        let population = g.p * g.v / (g.q - 1.0);
        assert!((g.expected_value(0, 0.0) - population).abs() < 1e-12);
        let own = 100.0;
        let (one, many) = (g.expected_value(1, own), g.expected_value(50, own));
        assert!(population < one && one < many && many < own);
    }
}

#[cfg(test)]
mod gradient_tests {
    use super::*;

    #[test]
    fn gradient_matches_finite_differences() {
        let data = [(1u32, 2000.0), (3, 3550.0), (9, 1200.0), (2, 900.0)];
        let mut l = Likelihood { data: &data };
        let theta = [1.5, 1.2, 7.0];
        let mut g = [0.0; 3];
        l.value_and_gradient(&theta, &mut g).unwrap();
        for i in 0..3 {
            let h = 1e-6;
            let (mut up, mut down) = (theta, theta);
            up[i] += h;
            down[i] -= h;
            let mut scratch = [0.0; 3];
            let numeric = (l.value_and_gradient(&up, &mut scratch).unwrap()
                - l.value_and_gradient(&down, &mut scratch).unwrap())
                / (2.0 * h);
            assert!(
                (g[i] - numeric).abs() < 1e-6 * numeric.abs().max(1.0),
                "{i}: {} vs {numeric}",
                g[i]
            );
        }
    }
}
