//! A small BFGS minimiser for the maximum-likelihood fits (2 to 4 parameters, analytic gradients).
//!
//! Written here rather than taken from `argmin`: the fits need only unconstrained BFGS with a
//! backtracking line search (~100 lines), while `argmin` brings its own math backend crates, a
//! timer that needs configuring for wasm32, and an observer/checkpoint framework we would not use.
//! Parameters are optimised on the log scale, so positivity needs no constraints.

/// Gradient tolerance of the fits, on the mean log-likelihood per customer over log-parameters
/// (parameters then agree to about 1e-8 relative).
pub(crate) const GRADIENT_TOLERANCE: f64 = 1e-9;
/// Where the mean log-likelihood is flat to rounding, a gradient below this still counts as converged.
pub(crate) const FLAT_TOLERANCE: f64 = 1e-5;

/// Objective value and gradient at a point; `None` where the objective is not defined.
pub(crate) trait Objective {
    fn value_and_gradient(&mut self, theta: &[f64], gradient: &mut [f64]) -> Option<f64>;
}

#[derive(Debug, Clone)]
pub(crate) struct Minimum {
    pub theta: Vec<f64>,
    pub converged: bool,
}

/// Minimises `f` from `start`; converged when the largest gradient component is below
/// `gradient_tolerance`, or when no step along a descent direction lowers the value any more (the
/// objective is flat to rounding there) and the gradient is below `flat_tolerance`.
pub(crate) fn bfgs(
    f: &mut impl Objective,
    start: &[f64],
    gradient_tolerance: f64,
    flat_tolerance: f64,
    max_iterations: usize,
) -> Option<Minimum> {
    let n = start.len();
    let mut x = start.to_vec();
    let mut g = vec![0.0; n];
    let mut value = f.value_and_gradient(&x, &mut g)?;
    // Inverse Hessian approximation, row-major.
    let mut h = identity(n);
    let mut first_step = true;
    let (mut x_new, mut g_new, mut direction) = (vec![0.0; n], vec![0.0; n], vec![0.0; n]);
    for _ in 0..max_iterations {
        if max_abs(&g) < gradient_tolerance {
            return Some(Minimum {
                theta: x,
                converged: true,
            });
        }
        for i in 0..n {
            direction[i] = -(0..n).map(|j| h[i * n + j] * g[j]).sum::<f64>();
        }
        let mut slope = dot(&direction, &g);
        if slope >= 0.0 {
            // Lost descent (rounding): restart from steepest descent.
            h = identity(n);
            direction.iter_mut().zip(&g).for_each(|(d, gi)| *d = -gi);
            slope = -dot(&g, &g);
        }
        // The first step is along −g: keep it to a sensible length on the log scale.
        let mut step = if first_step {
            (1.0 / max_abs(&direction)).min(1.0)
        } else {
            1.0
        };
        let mut accepted = None;
        for _ in 0..40 {
            for i in 0..n {
                x_new[i] = x[i] + step * direction[i];
            }
            if let Some(v) = f.value_and_gradient(&x_new, &mut g_new)
                && v.is_finite()
                // Strictly lower: a step lost in rounding is no progress.
                && v < value + 1e-4 * step * slope
            {
                accepted = Some(v);
                break;
            }
            step *= 0.5;
        }
        let Some(v_new) = accepted else {
            // No decrease along a descent direction: at the minimum to machine precision.
            return Some(Minimum {
                theta: x,
                converged: max_abs(&g) < flat_tolerance,
            });
        };
        let s: Vec<f64> = (0..n).map(|i| x_new[i] - x[i]).collect();
        let y: Vec<f64> = (0..n).map(|i| g_new[i] - g[i]).collect();
        let sy = dot(&s, &y);
        if sy > 1e-300 {
            if first_step {
                let scale = sy / dot(&y, &y);
                h.iter_mut().for_each(|v| *v *= scale);
            }
            update_inverse_hessian(&mut h, &s, &y, sy);
        }
        first_step = false;
        x.copy_from_slice(&x_new);
        g.copy_from_slice(&g_new);
        value = v_new;
    }
    Some(Minimum {
        converged: max_abs(&g) < gradient_tolerance,
        theta: x,
    })
}

/// H ← (I − ρ s yᵀ) H (I − ρ y sᵀ) + ρ s sᵀ with ρ = 1 / (yᵀ s).
fn update_inverse_hessian(h: &mut [f64], s: &[f64], y: &[f64], sy: f64) {
    let n = s.len();
    let rho = 1.0 / sy;
    let hy: Vec<f64> = (0..n)
        .map(|i| (0..n).map(|j| h[i * n + j] * y[j]).sum())
        .collect();
    let yhy = dot(y, &hy);
    for i in 0..n {
        for j in 0..n {
            h[i * n + j] +=
                -rho * (hy[i] * s[j] + s[i] * hy[j]) + (rho * rho * yhy + rho) * s[i] * s[j];
        }
    }
}

fn identity(n: usize) -> Vec<f64> {
    (0..n * n)
        .map(|k| if k % (n + 1) == 0 { 1.0 } else { 0.0 })
        .collect()
}

fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

fn max_abs(v: &[f64]) -> f64 {
    v.iter().fold(0.0, |m, x| m.max(x.abs()))
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Rosenbrock;
    impl Objective for Rosenbrock {
        fn value_and_gradient(&mut self, t: &[f64], g: &mut [f64]) -> Option<f64> {
            let (x, y) = (t[0], t[1]);
            g[0] = -2.0 * (1.0 - x) - 400.0 * x * (y - x * x);
            g[1] = 200.0 * (y - x * x);
            Some((1.0 - x).powi(2) + 100.0 * (y - x * x).powi(2))
        }
    }

    #[test]
    fn finds_the_rosenbrock_minimum() {
        let m = bfgs(&mut Rosenbrock, &[-1.2, 1.0], 1e-10, 1e-6, 1000).unwrap();
        assert!(m.converged);
        assert!(
            (m.theta[0] - 1.0).abs() < 1e-7 && (m.theta[1] - 1.0).abs() < 1e-7,
            "{m:?}"
        );
    }
}
