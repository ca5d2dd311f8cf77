//! When to stop searching. The library never reads a clock itself (`std::time::Instant` panics on
//! wasm32-unknown-unknown); callers inject one, e.g. `|| start.elapsed()` natively or
//! `performance.now()` in the browser.

use core::time::Duration;

/// An iteration limit and an optional time limit measured by an injected clock.
///
/// With only an iteration limit the result is a pure function of the input and the seed. A time
/// limit makes the stopping point depend on machine speed (the plan is still valid, but another run
/// may stop at a different iteration).
pub struct Budget<'a> {
    max_iterations: u64,
    time: Option<(Duration, &'a mut dyn FnMut() -> Duration)>,
    started: Option<Duration>,
}

impl<'a> Budget<'a> {
    /// Stop after `max_iterations` improvement iterations. `u64::MAX` without a time limit never
    /// stops on a problem the search can work on.
    pub fn iterations(max_iterations: u64) -> Self {
        Self {
            max_iterations,
            time: None,
            started: None,
        }
    }

    /// Also stop once `limit` has elapsed on `clock`, which returns the time since any fixed origin.
    pub fn with_time_limit(
        mut self,
        limit: Duration,
        clock: &'a mut dyn FnMut() -> Duration,
    ) -> Self {
        self.time = Some((limit, clock));
        self
    }

    /// Marks the start of a run: `solve` calls it first thing, so building the search
    /// (neighbour lists, the first tour or plan) counts against the time limit too.
    pub(crate) fn start(&mut self) {
        if let Some((_, clock)) = self.time.as_mut() {
            self.started = Some(clock());
        }
    }

    /// Fraction of the budget used after `iteration` iterations, or `None` when it is spent.
    pub(crate) fn progress(&mut self, iteration: u64) -> Option<f64> {
        if iteration >= self.max_iterations {
            return None;
        }
        let mut used = iteration as f64 / self.max_iterations.max(1) as f64;
        if let Some((limit, clock)) = self.time.as_mut() {
            let elapsed = clock().saturating_sub(self.started.unwrap_or_default());
            if elapsed >= *limit {
                return None;
            }
            used = used.max(elapsed.as_secs_f64() / limit.as_secs_f64().max(1e-9));
        }
        Some(used)
    }

    /// Whether the time limit has passed (never without one, so an iteration budget stays
    /// deterministic). Construction and long local-search passes call this every few dozen steps
    /// so that a run ends within a small fraction of its limit, however large the instance.
    pub(crate) fn expired(&mut self) -> bool {
        let started = self.started.unwrap_or_default();
        self.time
            .as_mut()
            .is_some_and(|(limit, clock)| clock().saturating_sub(started) >= *limit)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stops_on_iterations_or_injected_time() {
        let mut b = Budget::iterations(10);
        b.start();
        assert_eq!(b.progress(5), Some(0.5));
        assert_eq!(b.progress(10), None);

        let mut now = Duration::ZERO;
        let mut clock = move || {
            now += Duration::from_millis(30);
            now
        };
        let mut b =
            Budget::iterations(u64::MAX).with_time_limit(Duration::from_millis(100), &mut clock);
        b.start();
        let mut calls = 0;
        while b.progress(calls).is_some() {
            calls += 1;
        }
        assert_eq!(calls, 3);
    }

    #[test]
    fn expired_reads_the_clock_only_with_a_time_limit() {
        let mut b = Budget::iterations(1);
        b.start();
        assert!(!b.expired(), "an iteration budget never expires by time");

        let mut reads = 0;
        let mut clock = || {
            reads += 1;
            Duration::from_millis(40 * reads)
        };
        let mut b =
            Budget::iterations(u64::MAX).with_time_limit(Duration::from_millis(100), &mut clock);
        b.start(); // t = 40 ms
        assert!(!b.expired()); // 80 - 40
        assert!(!b.expired()); // 120 - 40
        assert!(b.expired()); // 160 - 40
    }
}
