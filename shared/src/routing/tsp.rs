//! One technician, no time windows, symmetric distances: a travelling-salesman path from the start
//! to the end location by iterated local search.
//!
//! The path is kept as a cycle whose edge end → start is fixed (never removed), in an array with
//! each node's position. Local search: 2-opt, or-opt (segments of 1–3 moved, either way round) and
//! or-3opt (Lin–Kernighan's depth-3 move) over each node's nearest neighbours only, driven by a queue of nodes whose surroundings changed
//! ("don't-look bits"), so a pass costs O(n · neighbours) plus the reversals it applies. Iterated:
//! a double bridge (two segments around a third swapped: log-uniform lengths up to a quarter of
//! the tour, or cuts next to nodes found by short random walks over the candidate lists)
//! re-optimised from its eight end nodes only, kept when the tour is no longer, undone otherwise. Every phase reads the budget's
//! clock every few dozen steps.

use super::budget::Budget;
use super::instance::Inst;
use super::rng::Rng;
use std::collections::VecDeque;

/// Longest random walk (steps over candidate lists) to a cut of a random-walk kick.
const WALK: usize = 10;
/// Candidate neighbours per node.
const NEIGHBOURS: usize = 10;
/// Steps (nodes examined, rows built) between two looks at the clock.
const CHECK_EVERY: usize = 32;
const GAIN_EPS: f64 = 1e-9;

/// Local search state over a cycle of `n` nodes: 0 = start, 1..n-1 = visits, n - 1 = end; the
/// edge (n - 1, 0) closes the path and is never removed.
pub(crate) struct Cycle<'a> {
    dist: &'a [f64],
    nl: usize,
    /// Compact location of each node.
    locs: Vec<usize>,
    n: usize,
    tour: Vec<usize>,
    pos: Vec<usize>,
    /// `NEIGHBOURS` nearest nodes of each node, nearest first (fewer when n is small).
    near: Vec<Vec<usize>>,
    queue: VecDeque<usize>,
    queued: Vec<bool>,
    /// Reversals applied since the last `commit` as (first position, last position, length).
    journal: Vec<(usize, usize, usize)>,
    /// Length of the tour (fixed edge included).
    len: f64,
}

impl<'a> Cycle<'a> {
    /// A cycle over locations `locs` (first = start, last = end) visited in index order.
    fn new(dist: &'a [f64], nl: usize, locs: Vec<usize>) -> Self {
        let n = locs.len();
        let mut c = Self {
            dist,
            nl,
            locs,
            n,
            tour: (0..n).collect(),
            pos: (0..n).collect(),
            near: Vec::new(),
            queue: VecDeque::with_capacity(n),
            queued: vec![false; n],
            journal: Vec::new(),
            len: 0.0,
        };
        c.len = c.length();
        c
    }

    #[inline]
    fn d(&self, a: usize, b: usize) -> f64 {
        #[cfg(test)]
        tests::EVALS.with(|e| e.set(e.get() + 1));
        self.dist[self.locs[a] * self.nl + self.locs[b]]
    }

    fn length(&self) -> f64 {
        (0..self.n)
            .map(|i| self.d(self.tour[i], self.tour[(i + 1) % self.n]))
            .sum()
    }

    #[inline]
    fn fixed(&self, a: usize, b: usize) -> bool {
        a.min(b) == 0 && a.max(b) == self.n - 1
    }

    #[inline]
    fn succ(&self, x: usize) -> usize {
        let p = self.pos[x] + 1;
        self.tour[if p == self.n { 0 } else { p }]
    }

    #[inline]
    fn pred(&self, x: usize) -> usize {
        let p = self.pos[x];
        self.tour[if p == 0 { self.n - 1 } else { p - 1 }]
    }

    #[inline]
    fn next(&self, x: usize, forward: bool) -> usize {
        if forward { self.succ(x) } else { self.pred(x) }
    }

    /// Replaces the tour by `order` (a permutation of the nodes).
    fn set_order(&mut self, order: &[usize]) {
        self.tour.copy_from_slice(order);
        for (i, &x) in order.iter().enumerate() {
            self.pos[x] = i;
        }
        self.len = self.length();
    }

    /// Nearest-neighbour order from the start; once the budget expires the rest follow in index
    /// order (still a valid tour) and the result is `false`.
    fn nearest_neighbour(&mut self, budget: &mut Budget) -> bool {
        let n = self.n;
        let mut order = Vec::with_capacity(n);
        order.push(0);
        let mut left: Vec<usize> = (1..n - 1).collect();
        let (mut steps, mut in_time) = (0usize, true);
        while !left.is_empty() {
            steps += 1;
            if steps.is_multiple_of(CHECK_EVERY) && budget.expired() {
                left.sort_unstable();
                order.append(&mut left);
                in_time = false;
                break;
            }
            let last = *order.last().unwrap();
            let (mut i, mut best) = (0, f64::INFINITY);
            for (k, &x) in left.iter().enumerate() {
                let d = self.d(last, x);
                if d < best {
                    (i, best) = (k, d);
                }
            }
            order.push(left.swap_remove(i));
        }
        order.push(n - 1);
        self.set_order(&order);
        in_time
    }

    /// Candidate lists; `false` when the budget expired first (lists left incomplete).
    fn build_neighbours(&mut self, budget: &mut Budget) -> bool {
        let n = self.n;
        let k = NEIGHBOURS.min(n - 1);
        let mut row: Vec<(f64, usize)> = Vec::with_capacity(n);
        self.near = vec![Vec::new(); n];
        for a in 0..n {
            if (a + 1).is_multiple_of(CHECK_EVERY) && budget.expired() {
                return false;
            }
            row.clear();
            row.extend((0..n).filter(|&b| b != a).map(|b| (self.d(a, b), b)));
            let by = |x: &(f64, usize), y: &(f64, usize)| x.0.total_cmp(&y.0).then(x.1.cmp(&y.1));
            if k < row.len() {
                row.select_nth_unstable_by(k, by);
                row.truncate(k);
            }
            row.sort_unstable_by(by);
            self.near[a] = row.iter().map(|&(_, b)| b).collect();
        }
        true
    }

    fn push(&mut self, x: usize) {
        if !self.queued[x] {
            self.queued[x] = true;
            self.queue.push_back(x);
        }
    }

    /// Reverses the cyclic position range `i..=j`, or the rest of the cycle when that is shorter
    /// (the same tour read the other way round), and records it for [`Cycle::undo`].
    fn reverse(&mut self, i: usize, j: usize) {
        let n = self.n;
        let len = (j + n - i) % n + 1;
        let (i, j, len) = if 2 * len > n {
            ((j + 1) % n, (i + n - 1) % n, n - len)
        } else {
            (i, j, len)
        };
        self.journal.push((i, j, len));
        self.reverse_raw(i, j, len);
    }

    fn reverse_raw(&mut self, mut i: usize, mut j: usize, len: usize) {
        let n = self.n;
        for _ in 0..len / 2 {
            let (a, b) = (self.tour[i], self.tour[j]);
            self.tour[i] = b;
            self.pos[b] = i;
            self.tour[j] = a;
            self.pos[a] = j;
            i = if i + 1 == n { 0 } else { i + 1 };
            j = if j == 0 { n - 1 } else { j - 1 };
        }
    }

    /// Removes edges (a, b) and (c, d), adds (a, c) and (b, d). Needs b after a and d after c in
    /// the same direction of travel.
    fn make_2opt(&mut self, a: usize, b: usize, c: usize, d: usize) {
        if self.succ(a) == b {
            self.reverse(self.pos[b], self.pos[c]);
        } else {
            self.reverse(self.pos[a], self.pos[d]);
        }
    }

    fn undo(&mut self) {
        while let Some((i, j, len)) = self.journal.pop() {
            self.reverse_raw(i, j, len);
        }
    }

    /// 2-opt from `t1` towards `forward`: replaces (t1, t2) and (t3, t4) by (t1, t3) and (t2, t4)
    /// for a neighbour t3 of t1 closer than t2.
    fn two_opt(&mut self, t1: usize, forward: bool) -> bool {
        let t2 = self.next(t1, forward);
        if self.fixed(t1, t2) {
            return false;
        }
        let d12 = self.d(t1, t2);
        for k in 0..self.near[t1].len() {
            let t3 = self.near[t1][k];
            let d13 = self.d(t1, t3);
            if d13 >= d12 - GAIN_EPS {
                break;
            }
            let t4 = self.next(t3, forward);
            if t3 == t2 || t4 == t1 || self.fixed(t3, t4) {
                continue;
            }
            let delta = d13 + self.d(t2, t4) - d12 - self.d(t3, t4);
            if delta < -GAIN_EPS {
                self.make_2opt(t1, t2, t3, t4);
                self.len += delta;
                for x in [t1, t2, t3, t4] {
                    self.push(x);
                }
                return true;
            }
        }
        false
    }

    /// Or-opt: moves the segment of 1–3 nodes starting at `t1` (running towards `forward`) next
    /// to a neighbour of `t1`, either way round.
    fn or_opt(&mut self, t1: usize, forward: bool) -> bool {
        let mut seg = [t1; 3];
        for len in 1..=3 {
            if self.n < len + 3 {
                break;
            }
            if len > 1 {
                seg[len - 1] = self.next(seg[len - 2], forward);
            }
            let (s1, s2) = (t1, seg[len - 1]);
            let (p, nx) = (self.next(s1, !forward), self.next(s2, forward));
            if self.fixed(p, s1) || self.fixed(s2, nx) {
                continue;
            }
            let gain = self.d(p, s1) + self.d(s2, nx) - self.d(p, nx);
            if gain <= GAIN_EPS {
                continue;
            }
            let in_seg = |x: usize| seg[..len].contains(&x);
            for k in 0..self.near[s1].len() {
                let c = self.near[s1][k];
                let dc = self.d(s1, c);
                if dc >= gain - GAIN_EPS {
                    break;
                }
                if in_seg(c) {
                    continue;
                }
                // Between c and the node after it (s1 next to c), or before c (s1 next to c,
                // segment reversed relative to the travel direction).
                for after in [true, false] {
                    let (x, y) = if after {
                        (c, self.next(c, forward))
                    } else {
                        (self.next(c, !forward), c)
                    };
                    if in_seg(x) || in_seg(y) || self.fixed(x, y) {
                        continue;
                    }
                    let added = if after {
                        dc + self.d(s2, y)
                    } else {
                        self.d(x, s2) + dc
                    };
                    let delta = added - self.d(x, y) - gain;
                    if delta < -GAIN_EPS {
                        // p s1..s2 nx … x y  →  p nx … x s2..s1 y (two 2-opt moves),
                        // then  x s1..s2 y  with a third.
                        self.make_2opt(p, s1, x, y);
                        self.make_2opt(p, x, nx, s2);
                        if after {
                            self.make_2opt(x, s2, s1, y);
                        }
                        self.len += delta;
                        for z in [p, nx, s1, s2, x, y] {
                            self.push(z);
                        }
                        return true;
                    }
                }
            }
        }
        false
    }

    /// Or-3opt, the sequential 3-opt move 2-opt cannot make (Lin–Kernighan's second level): drop
    /// (t1, t2) and (t3, t4) where t4 follows t3, which cuts off the cycle t2..t3, and reconnect
    /// through a neighbour t5 of t4 inside it: add (t2, t3), (t4, t5) and, dropping (t5, t6), (t6, t1).
    /// Swaps two adjacent segments, one of them possibly reversed, of any length.
    fn or3(&mut self, t1: usize, forward: bool) -> bool {
        let t2 = self.next(t1, forward);
        if self.fixed(t1, t2) || self.n < 6 {
            return false;
        }
        let n = self.n;
        // Steps from t2 to x in the direction of travel.
        let offset = |c: &Self, x: usize| {
            if forward {
                (c.pos[x] + n - c.pos[t2]) % n
            } else {
                (c.pos[t2] + n - c.pos[x]) % n
            }
        };
        let d12 = self.d(t1, t2);
        for i in 0..self.near[t2].len() {
            let t3 = self.near[t2][i];
            let g1 = d12 - self.d(t2, t3);
            if g1 <= GAIN_EPS {
                break;
            }
            let t4 = self.next(t3, forward);
            if t3 == t1 || t4 == t1 || self.fixed(t3, t4) {
                continue;
            }
            let span = offset(self, t3);
            let d34 = self.d(t3, t4);
            for j in 0..self.near[t4].len() {
                let t5 = self.near[t4][j];
                let g2 = g1 + d34 - self.d(t4, t5);
                if g2 <= GAIN_EPS {
                    break;
                }
                let at = offset(self, t5);
                if at > span {
                    continue; // t5 must lie on t2..t3
                }
                for after in [true, false] {
                    if after && at == span || !after && at == 0 {
                        continue;
                    }
                    let t6 = self.next(t5, if after { forward } else { !forward });
                    if self.fixed(t5, t6) {
                        continue;
                    }
                    let gain = g2 + self.d(t5, t6) - self.d(t6, t1);
                    if gain > GAIN_EPS {
                        if after {
                            // t1 t2..t5 t6..t3 t4  →  t1 t6..t3 t2..t5 t4
                            self.make_2opt(t1, t2, t3, t4);
                            self.make_2opt(t1, t3, t6, t5);
                            self.make_2opt(t3, t5, t2, t4);
                        } else {
                            // t1 t2..t6 t5..t3 t4  →  t1 t6..t2 t3..t5 t4
                            self.make_2opt(t1, t2, t6, t5);
                            self.make_2opt(t2, t5, t3, t4);
                        }
                        self.len -= gain;
                        for x in [t1, t2, t3, t4, t5, t6] {
                            self.push(x);
                        }
                        return true;
                    }
                }
            }
        }
        false
    }

    fn improve(&mut self, t1: usize) -> bool {
        [true, false].into_iter().any(|forward| {
            self.two_opt(t1, forward) || self.or_opt(t1, forward) || self.or3(t1, forward)
        })
    }

    /// Improves until no queued node yields a move; `false` when the budget expired first (the
    /// tour is still valid).
    fn descend(&mut self, budget: &mut Budget) -> bool {
        let mut steps = 0usize;
        while let Some(t) = self.queue.pop_front() {
            steps += 1;
            if steps.is_multiple_of(CHECK_EVERY) && budget.expired() {
                self.queue.push_front(t);
                return false;
            }
            self.queued[t] = false;
            if self.improve(t) {
                self.push(t);
            }
        }
        true
    }

    /// Double bridge: segments B and D on either side of a segment C swap places
    /// (a B C D e → a D C B e). It changes four edges in two separate exchanges, which no single
    /// move of the local search undoes, and costs O(segments), leaving the rest of the tour as it
    /// was. Half of the kicks are segment kicks: a random place, lengths log-uniform in 1..=n/4
    /// ([`log_uniform`]), mostly short and now and then one that reorders large parts of the tour
    /// (with lengths uniform in 1..=30 the 1,000-stop tours ended 0.1–1.4 points further from the
    /// optimum, most on clustered ones, whose order of clusters short kicks cannot change). The
    /// other half are random-walk kicks (Applegate, Cook & Rohe 2003): the four cuts follow nodes
    /// that are close in space (walks of up to [`WALK`] steps over the candidate lists), however
    /// far apart along the tour; they cost less per kick and reconnect nearby clusters. Returns false when the place would break the fixed edge.
    fn kick(&mut self, rng: &mut Rng) -> bool {
        let n = self.n;
        let max = ((n - 2) / 4).max(1);
        let (i, lens) = if rng.below(2) == 0 && !self.near.is_empty() {
            // Random-walk kick: cut after t1 and after three nodes reached by short walks over
            // the candidate lists from it, wherever they lie along the tour.
            let t1 = rng.below(n);
            let mut p = [self.pos[t1]; 4];
            for slot in p.iter_mut().skip(1) {
                let mut x = t1;
                for _ in 0..rng.between(1, WALK) {
                    let l = &self.near[x];
                    x = l[rng.below(l.len())];
                }
                *slot = self.pos[x];
            }
            p.sort_unstable();
            if p.windows(2).any(|w| w[0] == w[1]) {
                return false;
            }
            (p[0], [p[1] - p[0], p[2] - p[1], p[3] - p[2]])
        } else {
            (
                rng.below(n),
                [
                    log_uniform(rng, max),
                    log_uniform(rng, max),
                    log_uniform(rng, max),
                ],
            )
        };
        // Cuts after positions i, i + l1, i + l1 + l2 and i + l1 + l2 + l3.
        let mut cut = [i; 4];
        for k in 0..3 {
            cut[k + 1] = (cut[k] + lens[k]) % n;
        }
        let at = |c: &Self, p: usize| c.tour[p % n];
        let ends: Vec<(usize, usize)> = cut
            .iter()
            .map(|&p| (at(self, p), at(self, p + 1)))
            .collect();
        if ends.iter().any(|&(x, y)| self.fixed(x, y)) {
            return false;
        }
        let [(a, b1), (b2, c1), (c2, d1), (d2, e)] = [ends[0], ends[1], ends[2], ends[3]];
        let delta = self.d(a, d1) + self.d(d2, c1) + self.d(c2, b1) + self.d(b2, e)
            - self.d(a, b1)
            - self.d(b2, c1)
            - self.d(c2, d1)
            - self.d(d2, e);
        // Reverse B C D as a whole, then each of D, C, B back.
        let first = (i + 1) % n;
        let total = lens.iter().sum::<usize>();
        let raw = |c: &mut Self, from: usize, len: usize| {
            let to = (from + len - 1) % n;
            c.journal.push((from, to, len));
            c.reverse_raw(from, to, len);
        };
        raw(self, first, total);
        let mut from = first;
        for &len in lens.iter().rev() {
            raw(self, from, len);
            from = (from + len) % n;
        }
        self.len += delta;
        for x in [a, b1, b2, c1, c2, d1, d2, e] {
            self.push(x);
        }
        true
    }

    /// Nodes from the start to the end along the path.
    fn path(&self) -> Vec<usize> {
        let forward = self.succ(0) != self.n - 1;
        let mut out = Vec::with_capacity(self.n);
        let mut x = 0;
        while x != self.n - 1 {
            out.push(x);
            x = self.next(x, forward);
        }
        out.push(x);
        out
    }

    /// Full run: construction, local search, then kicks until the budget is spent. Returns the
    /// path and the number of kicks.
    fn optimise(&mut self, seed: u64, budget: &mut Budget) -> u64 {
        if !self.nearest_neighbour(budget) || !self.build_neighbours(budget) {
            return 0;
        }
        for x in 0..self.n {
            self.push(x);
        }
        if !self.descend(budget) {
            return 0;
        }
        self.journal.clear();
        let mut rng = Rng::new(seed);
        let mut kicks = 0;
        if self.n < 8 {
            return 0;
        }
        while budget.progress(kicks).is_some() {
            kicks += 1;
            let before = self.len;
            if !self.kick(&mut rng) {
                continue;
            }
            let finished = self.descend(budget);
            if self.len <= before + GAIN_EPS {
                self.journal.clear();
            } else {
                self.undo();
                self.len = before;
            }
            if !finished {
                break;
            }
        }
        // Clear the queue left by an interrupted pass; recompute to shed rounding drift.
        while let Some(x) = self.queue.pop_front() {
            self.queued[x] = false;
        }
        self.len = self.length();
        kicks
    }
}

/// A length in `1..=max` whose binary order of magnitude is uniform: as many kicks move segments
/// of 2–3 nodes as of 64–127, so perturbations act at every scale of the tour.
fn log_uniform(rng: &mut Rng, max: usize) -> usize {
    let orders = usize::BITS - max.leading_zeros(); // 1 + floor(log2 max)
    let lo = 1usize << rng.below(orders as usize);
    rng.between(lo, (2 * lo - 1).min(max))
}

/// Visits of `pool` in path order for vehicle 0, and the iterations (kicks) spent.
pub(crate) fn solve(
    inst: &Inst,
    pool: &[usize],
    seed: u64,
    budget: &mut Budget,
) -> (Vec<usize>, u64) {
    let veh = &inst.veh[0];
    let k = pool.len();
    let locs: Vec<usize> = std::iter::once(veh.start)
        .chain(pool.iter().map(|&c| inst.loc[c]))
        .chain([veh.end])
        .collect();
    if k <= 3 {
        return (exhaustive(inst, pool, &locs), 0);
    }
    let mut cycle = Cycle::new(&inst.dist, inst.nl, locs);
    let kicks = cycle.optimise(seed, budget);
    let path = cycle.path();
    (path[1..=k].iter().map(|&i| pool[i - 1]).collect(), kicks)
}

/// Best order of at most a handful of visits by trying them all.
fn exhaustive(inst: &Inst, pool: &[usize], locs: &[usize]) -> Vec<usize> {
    let k = pool.len();
    let mut best = (f64::INFINITY, Vec::new());
    let mut perm: Vec<usize> = (1..=k).collect();
    permute(&mut perm, 0, &mut |p| {
        let mut prev = 0;
        let mut len = 0.0;
        for &x in p.iter().chain([&(k + 1)]) {
            len += inst.d(locs[prev], locs[x]);
            prev = x;
        }
        if len < best.0 - GAIN_EPS {
            best = (len, p.to_vec());
        }
    });
    best.1.iter().map(|&i| pool[i - 1]).collect()
}

fn permute(items: &mut [usize], at: usize, f: &mut impl FnMut(&[usize])) {
    if at == items.len() {
        f(items);
        return;
    }
    for i in at..items.len() {
        items.swap(at, i);
        permute(items, at + 1, f);
        items.swap(at, i);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use core::time::Duration;

    fn points(rng: &mut Rng, n: usize) -> Vec<(f64, f64)> {
        (0..n)
            .map(|_| (rng.unit() * 100.0, rng.unit() * 100.0))
            .collect()
    }

    fn dense(pts: &[(f64, f64)]) -> Vec<f64> {
        let n = pts.len();
        let mut d = vec![0.0; n * n];
        for a in 0..n {
            for b in 0..n {
                d[a * n + b] = (pts[a].0 - pts[b].0).hypot(pts[a].1 - pts[b].1);
            }
        }
        d
    }

    fn assert_is_permutation(c: &Cycle) {
        let mut seen = vec![false; c.n];
        for (i, &x) in c.tour.iter().enumerate() {
            assert!(!std::mem::replace(&mut seen[x], true), "{x} twice");
            assert_eq!(c.pos[x], i);
        }
        assert!(
            c.succ(0) == c.n - 1 || c.pred(0) == c.n - 1,
            "fixed edge lost"
        );
    }

    /// Exhaustive optimum of the path 0 → permutation of 1..n-1 → n-1.
    fn brute_force(d: &[f64], n: usize) -> f64 {
        let mut best = f64::INFINITY;
        let mut inner: Vec<usize> = (1..n - 1).collect();
        permute(&mut inner, 0, &mut |p| {
            let mut prev = 0;
            let mut len = d[n - 1];
            for &x in p.iter().chain([&(n - 1)]) {
                len += d[prev * n + x];
                prev = x;
            }
            best = best.min(len);
        });
        best
    }

    /// Each 2-opt, or-opt and or-3opt move keeps a permutation with the fixed edge, lowers the length by
    /// exactly the delta it claims, and a descent never lengthens the tour.
    #[test]
    fn moves_keep_a_valid_cycle_and_their_claimed_length() {
        let mut rng = Rng::new(5);
        let mut moves = [0; 3];
        for round in 0..300 {
            let n = 6 + rng.below(40);
            let pts = points(&mut rng, n);
            let d = dense(&pts);
            let mut c = Cycle::new(&d, n, (0..n).collect());
            let mut keyed: Vec<(u64, usize)> = (1..n - 1).map(|x| (rng.next_u64(), x)).collect();
            keyed.sort_unstable();
            let order: Vec<usize> = [0]
                .into_iter()
                .chain(keyed.into_iter().map(|(_, x)| x))
                .chain([n - 1])
                .collect();
            c.set_order(&order);
            assert!(c.build_neighbours(&mut Budget::iterations(1)));
            let start = c.len;
            for step in 0..500 {
                let t = rng.below(n);
                let before = c.len;
                let moved = match round % 3 {
                    0 => c.two_opt(t, step % 2 == 0),
                    1 => c.or_opt(t, step % 2 == 0),
                    _ => c.or3(t, step % 2 == 0),
                };
                assert_is_permutation(&c);
                assert!((c.length() - c.len).abs() < 1e-6, "claimed length drifted");
                assert!(c.len <= before + 1e-9);
                moves[round % 3] += usize::from(moved);
                c.queue.clear();
                c.queued.fill(false);
            }
            assert!(c.len <= start);
        }
        assert!(moves.iter().all(|&m| m > 300), "{moves:?} moves");
    }

    /// A kick (segment or random-walk) followed by `undo` restores the tour exactly.
    #[test]
    fn kicks_change_the_tour_and_undo_restores_it() {
        let mut rng = Rng::new(8);
        for _ in 0..200 {
            let n = 8 + rng.below(100);
            let pts = points(&mut rng, n);
            let d = dense(&pts);
            let mut c = Cycle::new(&d, n, (0..n).collect());
            // With candidate lists half of the kicks are random-walk kicks.
            assert!(c.build_neighbours(&mut Budget::iterations(1)));
            let before = c.tour.clone();
            if c.kick(&mut rng) {
                assert_is_permutation(&c);
                assert!((c.length() - c.len).abs() < 1e-6);
                assert_ne!(c.tour, before);
                c.undo();
                assert_eq!(c.tour, before);
            }
        }
    }

    /// The iterated search finds the exhaustive optimum of small paths (start ≠ end included).
    #[test]
    fn small_paths_reach_the_exhaustive_optimum() {
        let mut rng = Rng::new(11);
        for _ in 0..60 {
            let n = 6 + rng.below(4); // 4..=7 visits, 6..=9 nodes
            let pts = points(&mut rng, n);
            let d = dense(&pts);
            let mut c = Cycle::new(&d, n, (0..n).collect());
            c.optimise(rng.next_u64(), &mut Budget::iterations(2_000));
            assert_is_permutation(&c);
            let best = brute_force(&d, n);
            assert!((c.len - best).abs() < 1e-6, "{} vs {best}", c.len);
        }
    }

    thread_local! {
        /// Distance evaluations so far on this thread (the unit of work between clock readings).
        pub(super) static EVALS: std::cell::Cell<u64> = const { std::cell::Cell::new(0) };
    }

    /// With a fake clock that advances one millisecond per reading, every phase stops at the
    /// first reading past the limit, and no phase works long between readings: at most a few
    /// dozen rows of construction (O(n) each) or nodes of local search, never a whole O(n²) step.
    #[test]
    fn every_phase_reads_the_clock_often_and_stops_when_the_budget_says_so() {
        let mut rng = Rng::new(3);
        let n = 2_000;
        let pts = points(&mut rng, n);
        let d = dense(&pts);
        for limit_ms in [0, 1, 2, 5, 20, 60, 130, 200, 400] {
            let mut readings = 0u64;
            let (mut last, mut widest) = (EVALS.with(|e| e.get()), 0);
            let mut clock = || {
                readings += 1;
                let now = EVALS.with(|e| e.get());
                widest = widest.max(now - last);
                last = now;
                Duration::from_millis(readings)
            };
            let mut c = Cycle::new(&d, n, (0..n).collect());
            let mut budget = Budget::iterations(u64::MAX)
                .with_time_limit(Duration::from_millis(limit_ms), &mut clock);
            budget.start();
            c.optimise(1, &mut budget);
            assert_is_permutation(&c);
            // start() reads once and the limit is reached at reading limit + 1.
            assert_eq!(readings, (limit_ms + 1).max(2), "limit {limit_ms} ms");
            let bound = 2 * CHECK_EVERY as u64 * n as u64;
            assert!(
                widest <= bound,
                "limit {limit_ms} ms: {widest} evaluations unchecked"
            );
        }
    }
}
