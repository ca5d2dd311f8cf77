//! Special functions the customer-base models need: log-gamma (from `libm`, already in the tree
//! through `num-traits`), digamma (not in `libm`, so written here: recurrence plus the asymptotic
//! series) and the Gauss hypergeometric series.

/// `ln Γ(x)` for `x > 0`.
pub fn ln_gamma(x: f64) -> f64 {
    libm::lgamma(x)
}

/// `ln B(a, b) = ln Γ(a) + ln Γ(b) − ln Γ(a + b)` for `a, b > 0`.
pub fn ln_beta(a: f64, b: f64) -> f64 {
    ln_gamma(a) + ln_gamma(b) - ln_gamma(a + b)
}

/// Digamma `ψ(x) = d/dx ln Γ(x)` for `x > 0`: shift up with `ψ(x) = ψ(x + 1) − 1/x` until
/// `x ≥ 10`, then the asymptotic series (error below 1e-15 there).
pub fn digamma(mut x: f64) -> f64 {
    let mut shift = 0.0;
    while x < 10.0 {
        shift -= 1.0 / x;
        x += 1.0;
    }
    let inv2 = 1.0 / (x * x);
    let series = inv2
        * (1.0 / 12.0
            - inv2
                * (1.0 / 120.0
                    - inv2
                        * (1.0 / 252.0
                            - inv2
                                * (1.0 / 240.0
                                    - inv2 * (1.0 / 132.0 - inv2 * (691.0 / 32760.0))))));
    shift + x.ln() - 0.5 / x - series
}

/// `₂F₁(a, b; c; z)` by its power series, for `0 ≤ z < 1` (or `z = 1` when `c − a − b > 0`
/// makes it converge). Sums until a term no longer changes the sum past the point where terms
/// shrink; `c` must not be zero or a negative integer.
pub fn hyp2f1(a: f64, b: f64, c: f64, z: f64) -> f64 {
    let mut term = 1.0;
    let mut sum = 1.0;
    let mut n = 0.0;
    while n < 100_000.0 {
        term *= (a + n) * (b + n) / ((c + n) * (n + 1.0)) * z;
        sum += term;
        n += 1.0;
        if term == 0.0 || (term.abs() <= 1e-16 * sum.abs() && n > (a * b / c).abs()) {
            break;
        }
    }
    sum
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ln_gamma_matches_factorials_and_half() {
        let mut factorial = 1.0_f64;
        for n in 1..30 {
            assert!(
                (ln_gamma(n as f64 + 1.0) - {
                    factorial *= n as f64;
                    factorial.ln()
                })
                .abs()
                    < 1e-12 * factorial.ln().max(1.0)
            );
        }
        // Γ(1/2) = √π
        assert!((ln_gamma(0.5) - 0.5 * std::f64::consts::PI.ln()).abs() < 1e-14);
    }

    #[test]
    fn digamma_matches_known_values_and_the_derivative_of_ln_gamma() {
        const EULER_GAMMA: f64 = 0.577_215_664_901_532_9;
        assert!(
            (digamma(1.0) + EULER_GAMMA).abs() < 1e-14,
            "{}",
            digamma(1.0) + EULER_GAMMA
        );
        assert!((digamma(0.5) + EULER_GAMMA + 2.0 * std::f64::consts::LN_2).abs() < 1e-14);
        for &x in &[0.03, 0.7, 2.5, 9.9, 10.1, 47.0, 1234.5] {
            let h = 1e-5 * x;
            let numeric = (ln_gamma(x + h) - ln_gamma(x - h)) / (2.0 * h);
            assert!(
                (digamma(x) - numeric).abs() < 1e-7 * digamma(x).abs().max(1.0),
                "{x}"
            );
        }
    }

    #[test]
    fn hyp2f1_matches_closed_forms() {
        // 2F1(1, 1; 2; z) = −ln(1 − z)/z
        for &z in &[0.01, 0.3, 0.5, 0.9, 0.99] {
            let exact = -(1.0_f64 - z).ln() / z;
            assert!(
                (hyp2f1(1.0, 1.0, 2.0, z) - exact).abs() < 1e-12 * exact,
                "{z}"
            );
        }
        // 2F1(a, b; b; z) = (1 − z)^(−a)
        let exact = (1.0_f64 - 0.7).powf(-0.3);
        assert!((hyp2f1(0.3, 2.2, 2.2, 0.7) - exact).abs() < 1e-13);
        // Gauss at z = 1: Γ(c)Γ(c−a−b)/(Γ(c−a)Γ(c−b))
        let (a, b, c) = (-0.2, 1.1, 4.5);
        let exact = (ln_gamma(c) + ln_gamma(c - a - b) - ln_gamma(c - a) - ln_gamma(c - b)).exp();
        assert!((hyp2f1(a, b, c, 1.0) - exact).abs() < 1e-6);
    }
}
