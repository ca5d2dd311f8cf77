//! One technician, no time windows, symmetric distances: a travelling-salesman path from the start
//! to the end location by iterated local search (2-opt and or-opt to a local optimum, then a random
//! double-bridge kick, keeping the kicked tour when it is no longer than the current one).

use super::budget::Budget;
use super::instance::Inst;
use super::rng::Rng;

struct Path {
    /// Row-major distances between path nodes: 0 = start, 1..=k = visits, k + 1 = end.
    d: Vec<f64>,
    n: usize,
}

impl Path {
    #[inline]
    fn d(&self, a: usize, b: usize) -> f64 {
        self.d[a * self.n + b]
    }

    fn length(&self, p: &[usize]) -> f64 {
        p.windows(2).map(|w| self.d(w[0], w[1])).sum()
    }

    fn two_opt(&self, p: &mut [usize]) -> bool {
        let n = p.len();
        let mut improved = false;
        for i in 0..n.saturating_sub(3) {
            for j in i + 2..n - 1 {
                let delta = self.d(p[i], p[j]) + self.d(p[i + 1], p[j + 1])
                    - self.d(p[i], p[i + 1])
                    - self.d(p[j], p[j + 1]);
                if delta < -1e-9 {
                    p[i + 1..=j].reverse();
                    improved = true;
                }
            }
        }
        improved
    }

    fn or_opt(&self, p: &mut Vec<usize>, seg: &mut Vec<usize>) -> bool {
        let n = p.len();
        let mut improved = false;
        for len in 1..=3 {
            let mut i = 1;
            while i + len < n {
                let (a, f, l, b) = (p[i - 1], p[i], p[i + len - 1], p[i + len]);
                let gain = self.d(a, f) + self.d(l, b) - self.d(a, b);
                let mut best = (-1e-9, usize::MAX, false);
                for j in 0..n - 1 {
                    if j + 1 >= i && j < i + len {
                        continue;
                    }
                    let (x, y) = (p[j], p[j + 1]);
                    let base = self.d(x, y);
                    let fwd = self.d(x, f) + self.d(l, y) - base - gain;
                    let rev = self.d(x, l) + self.d(f, y) - base - gain;
                    if fwd < best.0 {
                        best = (fwd, j, false);
                    }
                    if rev < best.0 {
                        best = (rev, j, true);
                    }
                }
                if best.1 != usize::MAX {
                    let (_, j, reversed) = best;
                    seg.clear();
                    seg.extend(p.drain(i..i + len));
                    if reversed {
                        seg.reverse();
                    }
                    let at = if j < i { j + 1 } else { j + 1 - len };
                    p.splice(at..at, seg.iter().copied());
                    improved = true;
                } else {
                    i += 1;
                }
            }
        }
        improved
    }

    fn local_search(&self, p: &mut Vec<usize>, seg: &mut Vec<usize>) {
        loop {
            let a = self.two_opt(p);
            let b = self.or_opt(p, seg);
            if !a && !b {
                break;
            }
        }
    }
}

/// Visits of `pool` in path order for vehicle 0, and the iterations spent.
pub(crate) fn solve(
    inst: &Inst,
    pool: &[usize],
    seed: u64,
    budget: &mut Budget,
) -> (Vec<usize>, u64) {
    let veh = &inst.veh[0];
    let k = pool.len();
    let n = k + 2;
    let loc = |i: usize| match i {
        0 => veh.start,
        i if i == k + 1 => veh.end,
        i => inst.loc[pool[i - 1]],
    };
    let mut d = vec![0.0; n * n];
    for a in 0..n {
        for b in 0..n {
            d[a * n + b] = inst.d(loc(a), loc(b));
        }
    }
    let path = Path { d, n };
    let mut rng = Rng::new(seed);
    let mut seg = Vec::new();

    // Nearest neighbour from the start.
    let mut cur = vec![0];
    let mut left: Vec<usize> = (1..=k).collect();
    while !left.is_empty() {
        let last = *cur.last().unwrap();
        let (i, _) = left
            .iter()
            .enumerate()
            .min_by(|a, b| path.d(last, *a.1).total_cmp(&path.d(last, *b.1)))
            .unwrap();
        cur.push(left.swap_remove(i));
    }
    cur.push(k + 1);
    path.local_search(&mut cur, &mut seg);
    let mut cur_len = path.length(&cur);
    let mut best = cur.clone();
    let mut best_len = cur_len;
    let mut cand = Vec::with_capacity(n);

    budget.start();
    let mut iter = 0;
    while k >= 4 && budget.progress(iter).is_some() {
        iter += 1;
        // Double bridge on the interior: 0 < a < b < c < n - 1.
        let mut cuts = [
            rng.between(1, n - 2),
            rng.between(1, n - 2),
            rng.between(1, n - 2),
        ];
        cuts.sort_unstable();
        let [a, b, c] = cuts;
        if a == b || b == c {
            continue;
        }
        cand.clear();
        cand.extend_from_slice(&cur[..a]);
        cand.extend_from_slice(&cur[b..c]);
        cand.extend_from_slice(&cur[a..b]);
        cand.extend_from_slice(&cur[c..]);
        path.local_search(&mut cand, &mut seg);
        let len = path.length(&cand);
        if len <= cur_len + 1e-9 {
            std::mem::swap(&mut cur, &mut cand);
            cur_len = len;
            if len < best_len - 1e-9 {
                best.clone_from(&cur);
                best_len = len;
            }
        }
    }
    (best[1..=k].iter().map(|&i| pool[i - 1]).collect(), iter)
}
