//! A tiny deterministic PRNG (SplitMix64 seeding xoshiro256**): same seed, same plan, on every target.

#[derive(Debug, Clone)]
pub(crate) struct Rng {
    s: [u64; 4],
}

impl Rng {
    pub(crate) fn new(seed: u64) -> Self {
        let mut seeder = crate::rng::SplitMix64::new(seed);
        Self {
            s: [
                seeder.next_u64(),
                seeder.next_u64(),
                seeder.next_u64(),
                seeder.next_u64(),
            ],
        }
    }

    pub(crate) fn next_u64(&mut self) -> u64 {
        let result = self.s[1].wrapping_mul(5).rotate_left(7).wrapping_mul(9);
        let t = self.s[1] << 17;
        self.s[2] ^= self.s[0];
        self.s[3] ^= self.s[1];
        self.s[1] ^= self.s[2];
        self.s[0] ^= self.s[3];
        self.s[2] ^= t;
        self.s[3] = self.s[3].rotate_left(45);
        result
    }

    /// Uniform in [0, 1).
    pub(crate) fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// Uniform in `0..n` (`n > 0`).
    pub(crate) fn below(&mut self, n: usize) -> usize {
        (((self.next_u64() >> 32) * n as u64) >> 32) as usize
    }

    /// Uniform in `lo..=hi`.
    pub(crate) fn between(&mut self, lo: usize, hi: usize) -> usize {
        lo + self.below(hi - lo + 1)
    }
}

/// `ln(x)` for `x > 0` with only IEEE-exact operations, so native and wasm32 builds (whose libm
/// `ln` can differ in the last bit) take the same annealing decisions for a seed.
pub(crate) fn det_ln(x: f64) -> f64 {
    let bits = x.to_bits();
    let biased = ((bits >> 52) & 0x7ff) as i64;
    if biased == 0 {
        return -745.0; // zero or subnormal
    }
    let m = f64::from_bits((bits & 0x000f_ffff_ffff_ffff) | 0x3ff0_0000_0000_0000);
    let (m, e) = if m > core::f64::consts::SQRT_2 {
        (m / 2.0, biased - 1022)
    } else {
        (m, biased - 1023)
    };
    // ln m = 2 atanh(s), |s| <= 0.172
    let s = (m - 1.0) / (m + 1.0);
    let s2 = s * s;
    let (mut term, mut sum) = (s, 0.0);
    for k in 0..12 {
        sum += term / (2 * k + 1) as f64;
        term *= s2;
    }
    2.0 * sum + e as f64 * core::f64::consts::LN_2
}

/// `exp(y)` with only IEEE-exact operations (see [`det_ln`]).
pub(crate) fn det_exp(y: f64) -> f64 {
    if y < -700.0 {
        return 0.0;
    }
    if y > 700.0 {
        return f64::INFINITY;
    }
    let k = (y / core::f64::consts::LN_2).floor();
    let r = y - k * core::f64::consts::LN_2;
    let (mut term, mut sum) = (1.0, 1.0);
    for i in 1..20 {
        term *= r / i as f64;
        sum += term;
    }
    sum * f64::from_bits(((k as i64 + 1023) as u64) << 52)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deterministic_ln_and_exp_match_libm() {
        let mut rng = Rng::new(3);
        for _ in 0..10_000 {
            let x = rng.unit().max(1e-300) * [1.0, 1e-5, 1e5][rng.below(3)];
            assert!(
                (det_ln(x) - x.ln()).abs() <= 1e-13 * x.ln().abs().max(1.0),
                "{x}"
            );
            let y = (rng.unit() - 0.5) * 80.0;
            assert!((det_exp(y) - y.exp()).abs() <= 1e-13 * y.exp(), "{y}");
        }
    }

    #[test]
    fn same_seed_same_stream_and_ranges_hold() {
        let mut a = Rng::new(7);
        let mut b = Rng::new(7);
        for _ in 0..1000 {
            assert_eq!(a.next_u64(), b.next_u64());
            let u = a.unit();
            assert!((0.0..1.0).contains(&u));
            assert!(a.below(10) < 10);
            let x = a.between(3, 5);
            assert!((3..=5).contains(&x));
            b.unit();
            b.below(10);
            b.between(3, 5);
        }
        assert_ne!(Rng::new(1).next_u64(), Rng::new(2).next_u64());
    }
}
