//! Synthetic purchase histories drawn from known BG/NBD and Gamma-Gamma parameters, for tests
//! (a fit must recover the parameters) and benchmarks. Deterministic for a seed on every target.

use super::bgnbd::BgNbdParams;
use super::gamma_gamma::GammaGammaParams;
use super::summary::{DAYS_PER_WEEK, Purchase};
use crate::rng::SplitMix64;
use chrono::{Days, NaiveDate};

/// What to simulate: `customers` whose first purchase falls uniformly in the first
/// `acquisition_days` after `start`, observed until `start + observed_days`.
#[derive(Debug, Clone, Copy)]
pub struct Simulation {
    pub customers: usize,
    pub start: NaiveDate,
    pub acquisition_days: u32,
    pub observed_days: u32,
    pub seed: u64,
}

/// Purchases of the simulated customers (ids `1..=customers`). Each customer draws a purchase
/// rate λ ~ Gamma(r, α) per week and a dropout probability p ~ Beta(a, b); after each repeat
/// purchase they leave with probability p. Values are Gamma(p, ν) with ν ~ Gamma(q, γ) (minor units).
pub fn simulate(sim: &Simulation, bg: &BgNbdParams, gg: &GammaGammaParams) -> Vec<Purchase> {
    let mut rng = SplitMix64::new(sim.seed);
    let mut out = Vec::new();
    for customer in 1..=sim.customers as i64 {
        let lambda = gamma(&mut rng, bg.r) / bg.alpha;
        let dropout = {
            let (g1, g2) = (gamma(&mut rng, bg.a), gamma(&mut rng, bg.b));
            g1 / (g1 + g2)
        };
        let nu = gamma(&mut rng, gg.q) / gg.v;
        let first = rng.below(sim.acquisition_days.max(1) as usize) as f64;
        let horizon = sim.observed_days as f64;
        let mut t = first;
        let value = |rng: &mut SplitMix64| (gamma(rng, gg.p) / nu).round().max(1.0) as i64;
        out.push(Purchase {
            customer,
            day: sim.start + Days::new(first as u64),
            amount_minor: value(&mut rng),
        });
        loop {
            t += -(1.0 - rng.unit()).ln() / lambda * DAYS_PER_WEEK;
            if !t.is_finite() || t > horizon {
                break;
            }
            out.push(Purchase {
                customer,
                day: sim.start + Days::new(t as u64),
                amount_minor: value(&mut rng),
            });
            if rng.unit() < dropout {
                break;
            }
        }
    }
    out
}

/// Gamma(shape, 1) by Marsaglia & Tsang (2000); shapes below 1 through `G(k+1) U^(1/k)`.
pub fn gamma(rng: &mut SplitMix64, shape: f64) -> f64 {
    if shape < 1.0 {
        let u = 1.0 - rng.unit();
        return gamma(rng, shape + 1.0) * u.powf(1.0 / shape);
    }
    let d = shape - 1.0 / 3.0;
    let c = 1.0 / (9.0 * d).sqrt();
    loop {
        let x = normal(rng);
        let v = (1.0 + c * x).powi(3);
        if v <= 0.0 {
            continue;
        }
        let u = 1.0 - rng.unit();
        if u.ln() < 0.5 * x * x + d - d * v + d * v.ln() {
            return d * v;
        }
    }
}

fn normal(rng: &mut SplitMix64) -> f64 {
    let (u1, u2) = (1.0 - rng.unit(), rng.unit());
    (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gamma_draws_have_the_right_mean_and_variance() {
        let mut rng = SplitMix64::new(5);
        for shape in [0.3, 1.0, 6.25] {
            let n = 200_000;
            let draws: Vec<f64> = (0..n).map(|_| gamma(&mut rng, shape)).collect();
            let mean = draws.iter().sum::<f64>() / n as f64;
            let var = draws.iter().map(|d| (d - mean).powi(2)).sum::<f64>() / n as f64;
            assert!(
                (mean - shape).abs() < 0.02 * shape.max(1.0),
                "{shape}: mean {mean}"
            );
            assert!(
                (var - shape).abs() < 0.05 * shape.max(1.0),
                "{shape}: var {var}"
            );
        }
    }
}
