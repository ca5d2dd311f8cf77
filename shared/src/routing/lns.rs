//! Vehicle routing with time windows by ruin and recreate (after Christiaens & Vanden Berghe's
//! SISR, 2020): remove a few strings of consecutive visits from routes near a random seed visit,
//! reinsert the removed visits greedily at their cheapest feasible position while skipping
//! ("blinking" over) a few positions at random, and accept the result by simulated annealing.

use super::budget::Budget;
use super::instance::{EPS, Inst};
use super::rng::{Rng, det_exp, det_ln};

/// Average number of visits removed per ruin, and the longest string.
const AVG_REMOVED: f64 = 10.0;
const MAX_STRING: f64 = 10.0;
const BLINK_RATE: f64 = 0.01;
/// Start and final temperature as multiples of the mean edge length of the first solution.
const T0_FACTOR: f64 = 1.0;
const TF_FACTOR: f64 = 0.01;
/// Diversification when the best solution stops improving: after this many iterations without a
/// new best the ruins grow (up to [`MAX_GROWTH`] times as many visits and longer strings) and now
/// and then remove the seed visit's whole route; after [`RESTART_SHARE`] of the budget without a
/// new best the search restarts from the best solution with the temperature raised again.
const STALL_ITERATIONS: f64 = 1_000.0;
const MAX_GROWTH: f64 = 3.0;
/// How often a ruin eliminates a route or a recreate opens one, normally and when stalled.
const ROUTE_RUIN: f64 = 0.02;
const STALLED_ROUTE_RUIN: f64 = 0.15;
const RESTART_SHARE: f64 = 0.2;
/// Temperature after a restart, as a multiple of the first solution's mean edge.
const REHEAT_FACTOR: f64 = 0.3;
/// Share of the budget spent removing routes first when vehicles cost something.
const FLEET_SHARE: f64 = 0.5;
/// Fleet minimisation runs when a vehicle costs at least this many mean route lengths.
const FLEET_COST_RATIO: f64 = 5.0;

#[derive(Debug, Default)]
pub(crate) struct RouteState {
    pub v: usize,
    pub nodes: Vec<usize>,
    load: u32,
    dist: f64,
    /// Earliest service start at each node.
    fwd: Vec<f64>,
    /// Latest service start at each node keeping the rest feasible; the last entry is the latest
    /// arrival at the end location.
    bwd: Vec<f64>,
    /// With a break: earliest service start at each node once the break has been taken before it
    /// (infinite when impossible).
    fwd_b: Vec<f64>,
    /// With a break: latest service start at each node with the break still to be taken after it
    /// (minus infinity when impossible).
    bwd_b: Vec<f64>,
}

impl Clone for RouteState {
    fn clone(&self) -> Self {
        let mut r = RouteState::default();
        r.clone_from(self);
        r
    }

    fn clone_from(&mut self, o: &Self) {
        self.v = o.v;
        self.nodes.clone_from(&o.nodes);
        self.load = o.load;
        self.dist = o.dist;
        self.fwd.clone_from(&o.fwd);
        self.bwd.clone_from(&o.bwd);
        self.fwd_b.clone_from(&o.fwd_b);
        self.bwd_b.clone_from(&o.bwd_b);
    }
}

impl RouteState {
    fn refresh(&mut self, inst: &Inst) {
        let veh = &inst.veh[self.v];
        let n = self.nodes.len();
        self.load = self.nodes.iter().map(|&c| inst.q[c]).sum();
        self.dist = inst.seq_distance(self.v, &self.nodes);
        self.fwd.clear();
        let (mut dep, mut prev) = (veh.t0, veh.start);
        for &c in &self.nodes {
            let st = (dep + inst.t(prev, inst.loc[c])).max(inst.e[c]);
            self.fwd.push(st);
            dep = st + inst.s[c];
            prev = inst.loc[c];
        }
        self.bwd.clear();
        self.bwd.resize(n + 1, 0.0);
        self.bwd[n] = veh.t1;
        let mut next = veh.end;
        for i in (0..n).rev() {
            let c = self.nodes[i];
            self.bwd[i] = inst.l[c].min(self.bwd[i + 1] - inst.t(inst.loc[c], next) - inst.s[c]);
            if self.bwd[i] < inst.e[c] - EPS {
                self.bwd[i] = f64::NEG_INFINITY;
            }
            next = inst.loc[c];
        }
        self.fwd_b.clear();
        self.bwd_b.clear();
        let Some((be, bl, dur)) = veh.brk else { return };
        let (mut prev, mut dep_nb, mut dep_b) = (veh.start, veh.t0, f64::INFINITY);
        for (i, &c) in self.nodes.iter().enumerate() {
            let t = inst.t(prev, inst.loc[c]);
            let already = if dep_b.is_finite() {
                (dep_b + t).max(inst.e[c])
            } else {
                f64::INFINITY
            };
            let now = if dep_nb.max(be) <= bl + EPS {
                (dep_nb + t + dur).max(be + dur).max(inst.e[c])
            } else {
                f64::INFINITY
            };
            let st = already.min(now);
            let st = if st <= inst.l[c] + EPS {
                st
            } else {
                f64::INFINITY
            };
            self.fwd_b.push(st);
            dep_nb = self.fwd[i] + inst.s[c];
            dep_b = st + inst.s[c];
            prev = inst.loc[c];
        }
        self.bwd_b.resize(n + 1, f64::NEG_INFINITY);
        let mut next = veh.end;
        for i in (0..n).rev() {
            let c = self.nodes[i];
            let t = inst.t(inst.loc[c], next);
            let later = self.bwd_b[i + 1] - t - inst.s[c];
            let on_leg = if be + dur <= self.bwd[i + 1] + EPS {
                bl.min(self.bwd[i + 1] - t - dur) - inst.s[c]
            } else {
                f64::NEG_INFINITY
            };
            let z = inst.l[c].min(later.max(on_leg));
            self.bwd_b[i] = if z >= inst.e[c] - EPS {
                z
            } else {
                f64::NEG_INFINITY
            };
            next = inst.loc[c];
        }
    }

    /// Whether visit `c` can go before position `p` (skills and capacity aside), in O(1).
    fn fits(&self, inst: &Inst, c: usize, p: usize) -> bool {
        let veh = &inst.veh[self.v];
        let len = self.nodes.len();
        let (prev, dep) = if p == 0 {
            (veh.start, veh.t0)
        } else {
            let b = self.nodes[p - 1];
            (inst.loc[b], self.fwd[p - 1] + inst.s[b])
        };
        let (next, e_next) = if p < len {
            (inst.loc[self.nodes[p]], inst.e[self.nodes[p]])
        } else {
            (veh.end, f64::NEG_INFINITY)
        };
        let cl = inst.loc[c];
        let (ec, lc, sc) = (inst.e[c], inst.l[c], inst.s[c]);
        let (tc, tn) = (inst.t(prev, cl), inst.t(cl, next));
        let z = self.bwd[p];
        let next_ok = |ready: f64, z: f64| ready.max(e_next) <= z + EPS;
        let st = (dep + tc).max(ec);
        let Some((be, bl, dur)) = veh.brk else {
            return st <= lc + EPS && next_ok(st + sc + tn, z);
        };
        // The break before `prev`, on the leg to `c`, on the leg after `c`, or later.
        let dep_b = if p == 0 {
            f64::INFINITY
        } else {
            self.fwd_b[p - 1] + inst.s[self.nodes[p - 1]]
        };
        let before = dep_b.is_finite() && {
            let st = (dep_b + tc).max(ec);
            st <= lc + EPS && next_ok(st + sc + tn, z)
        };
        let to_c = dep.max(be) <= bl + EPS && {
            let st = (dep + tc + dur).max(be + dur).max(ec);
            st <= lc + EPS && next_ok(st + sc + tn, z)
        };
        let after_c = st <= lc + EPS && {
            let dc = st + sc;
            dc.max(be) <= bl + EPS && next_ok((dc + tn + dur).max(be + dur), z)
                || p < len && next_ok(dc + tn, self.bwd_b[p])
        };
        before || to_c || after_c
    }
}

#[derive(Debug, Clone)]
pub(crate) struct Sol {
    pub routes: Vec<RouteState>,
    pub unassigned: Vec<usize>,
    route_of: Vec<usize>,
    cost: f64,
}

const NONE: usize = usize::MAX;
/// Length of each visit's neighbour list for ruins.
const NEAR: usize = 128;
/// Visits inserted between two looks at the clock while a whole solution is recreated.
const CHECK_EVERY: usize = 32;

pub(crate) struct Lns<'a> {
    inst: &'a Inst<'a>,
    vehicle_cost: f64,
    penalty: f64,
    pool: Vec<usize>,
    /// The [`NEAR`] nearest visits of each visit, built the first time it seeds a ruin (empty
    /// until then), so that no O(n²) step precedes the first solution.
    adj: Vec<Vec<usize>>,
    /// Set once the budget ran out during a recreate: the rest is appended, not searched.
    hurry: bool,
    rng: Rng,
    z: Vec<f64>,
    removed: Vec<usize>,
    sort_keys: Vec<(f64, usize)>,
    /// Whether recreate may start an unused vehicle (not while trying to shrink the fleet).
    allow_new_routes: bool,
    /// Current ruin size: visits removed on average, longest string, and how often the seed's
    /// whole route goes too (grown while the search stalls).
    avg_removed: f64,
    max_string: f64,
    route_ruin: f64,
}

impl<'a> Lns<'a> {
    pub(crate) fn new(inst: &'a Inst<'a>, pool: &[usize], vehicle_cost: f64, seed: u64) -> Self {
        let penalty = 100.0 * (2.0 * inst.max_dist + vehicle_cost) + 1.0;
        Self {
            inst,
            vehicle_cost,
            penalty,
            pool: pool.to_vec(),
            adj: vec![Vec::new(); inst.n()],
            rng: Rng::new(seed),
            z: Vec::new(),
            removed: Vec::new(),
            sort_keys: Vec::new(),
            allow_new_routes: true,
            hurry: false,
            avg_removed: AVG_REMOVED,
            max_string: MAX_STRING,
            route_ruin: 0.0,
        }
    }

    /// Builds the neighbour list of `c` if it is not there yet: a linear selection of the
    /// [`NEAR`] nearest of the pool, then a sort of those only (O(n) per visit).
    fn neighbours(&mut self, c: usize) {
        if !self.adj[c].is_empty() {
            return;
        }
        let inst = self.inst;
        let keep = self.pool.len().min(NEAR);
        let by = |&a: &usize, &b: &usize| {
            inst.d(inst.loc[c], inst.loc[a])
                .total_cmp(&inst.d(inst.loc[c], inst.loc[b]))
                .then((a != c).cmp(&(b != c)))
                .then(a.cmp(&b))
        };
        let mut near = self.pool.clone();
        if keep < near.len() {
            near.select_nth_unstable_by(keep, by);
            near.truncate(keep);
        }
        near.sort_unstable_by(by);
        self.adj[c] = near;
    }

    /// Grows the ruins with `stall`, the iterations since the last new best.
    fn adapt_ruin(&mut self, stall: u64) {
        let growth = 1.0 + (stall as f64 / STALL_ITERATIONS - 1.0).clamp(0.0, MAX_GROWTH - 1.0);
        self.avg_removed = AVG_REMOVED * growth;
        self.max_string = MAX_STRING * growth.sqrt();
        self.route_ruin = if growth > 1.0 {
            STALLED_ROUTE_RUIN
        } else {
            ROUTE_RUIN
        };
    }

    fn cost(&self, sol: &Sol) -> f64 {
        sol.routes
            .iter()
            .filter(|r| !r.nodes.is_empty())
            .map(|r| r.dist + self.vehicle_cost)
            .sum::<f64>()
            + self.penalty * sol.unassigned.len() as f64
    }

    /// Cheapest feasible insertion of `c` into route `r`: (extra cost, position).
    fn best_in_route(&mut self, r: &RouteState, c: usize, blink: bool) -> Option<(f64, usize)> {
        let inst = self.inst;
        let veh = &inst.veh[r.v];
        if !inst.eligible(r.v, c) || u64::from(r.load) + u64::from(inst.q[c]) > u64::from(veh.cap) {
            return None;
        }
        let cl = inst.loc[c];
        let len = r.nodes.len();
        if len == 0 {
            let extra = inst.d(veh.start, cl) + inst.d(cl, veh.end) + self.vehicle_cost;
            return inst
                .seq_feasible(r.v, &[c], &mut self.z)
                .then_some((extra, 0));
        }
        let mut best: Option<(f64, usize)> = None;
        // In a hurry only the end of the route is tried: O(1) per route.
        let first = if self.hurry { len } else { 0 };
        let (mut prev, mut dep) = match first.checked_sub(1) {
            None => (veh.start, veh.t0),
            Some(i) => (inst.loc[r.nodes[i]], r.fwd[i] + inst.s[r.nodes[i]]),
        };
        for p in first..=len {
            #[cfg(test)]
            tests::POSITIONS.with(|x| x.set(x.get() + 1));
            if dep > inst.l[c] + EPS {
                break; // departures only get later
            }
            let next = if p < len {
                inst.loc[r.nodes[p]]
            } else {
                veh.end
            };
            let delta = inst.d(prev, cl) + inst.d(cl, next) - inst.d(prev, next);
            if best.is_none_or(|(b, _)| delta < b)
                && !(blink && self.rng.unit() < BLINK_RATE)
                && r.fits(inst, c, p)
            {
                best = Some((delta, p));
            }
            if p < len {
                dep = r.fwd[p] + inst.s[r.nodes[p]];
                prev = next;
            }
        }
        best
    }

    fn insert(&mut self, sol: &mut Sol, c: usize, blink: bool) -> bool {
        let mut best: Option<(f64, usize, usize)> = None;
        let mut tried_empty_classes: u128 = 0;
        for ri in 0..sol.routes.len() {
            let r = &sol.routes[ri];
            if r.nodes.is_empty() {
                if !self.allow_new_routes {
                    continue;
                }
                let class = self.inst.veh[r.v].class;
                if class < 128 {
                    if tried_empty_classes & (1 << class) != 0 {
                        continue;
                    }
                    tried_empty_classes |= 1 << class;
                }
            }
            // Borrow dance: the route is read while the scratch buffers are written.
            let r = std::mem::take(&mut sol.routes[ri]);
            let found = self.best_in_route(&r, c, blink);
            sol.routes[ri] = r;
            if let Some((delta, p)) = found
                && best.is_none_or(|(b, _, _)| delta < b)
            {
                best = Some((delta, ri, p));
            }
        }
        let Some((_, ri, p)) = best else { return false };
        let r = &mut sol.routes[ri];
        r.nodes.insert(p, c);
        r.refresh(self.inst);
        sol.route_of[c] = ri;
        true
    }

    /// Route opening, the counterpart of route elimination for a stalled search: the first visit
    /// to recreate starts an unused vehicle whatever that costs, so the visits removed around it
    /// can gather into a new route (a greedy recreate never pays for a vehicle it can avoid).
    fn open_route(&mut self, sol: &mut Sol) {
        let Some(&(_, c)) = self.sort_keys.first() else {
            return;
        };
        let empty = (0..sol.routes.len()).find(|&ri| {
            let r = &sol.routes[ri];
            r.nodes.is_empty() && self.inst.eligible(r.v, c)
        });
        let Some(ri) = empty else { return };
        let r = std::mem::take(&mut sol.routes[ri]);
        let fits = self.best_in_route(&r, c, false).is_some();
        sol.routes[ri] = r;
        if fits {
            let r = &mut sol.routes[ri];
            r.nodes.push(c);
            r.refresh(self.inst);
            sol.route_of[c] = ri;
        }
    }

    /// Inserts every visit in `self.removed` (plus the unassigned ones) in a random-weighted order.
    /// With a `budget` (recreating a whole solution, O(n²)) the clock is read every
    /// [`CHECK_EVERY`] visits, and once the budget is spent the rest are appended to the routes
    /// ([`Lns::hurry`]), so a run ends close to its limit however large the day.
    fn recreate(&mut self, sol: &mut Sol, blink: bool, mut budget: Option<&mut Budget>) {
        self.removed.append(&mut sol.unassigned);
        let inst = self.inst;
        let depot = inst.veh.first().map_or(0, |v| v.start);
        let how = self.rng.below(13);
        self.sort_keys.clear();
        for &c in &self.removed {
            let key = match how {
                0..=3 => self.rng.unit(),
                4..=7 => -f64::from(inst.q[c]),
                8..=9 => -inst.d(depot, inst.loc[c]),
                10 => inst.d(depot, inst.loc[c]),
                _ => inst.l[c],
            };
            self.sort_keys.push((key, c));
        }
        self.sort_keys
            .sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
        self.removed.clear();
        if self.allow_new_routes && self.route_ruin > 0.0 && self.rng.unit() < self.route_ruin {
            self.open_route(sol);
        }
        for i in 0..self.sort_keys.len() {
            if (i + 1).is_multiple_of(CHECK_EVERY)
                && !self.hurry
                && budget.as_mut().is_some_and(|b| b.expired())
            {
                self.hurry = true;
            }
            let c = self.sort_keys[i].1;
            if sol.route_of[c] != NONE {
                continue; // placed by open_route
            }
            if !self.insert(sol, c, blink) {
                sol.unassigned.push(c);
                sol.route_of[c] = NONE;
            }
        }
        sol.unassigned.sort_unstable();
        sol.cost = self.cost(sol);
    }

    /// SISR ruin: strings from up to `ks` routes near a random seed visit. Returns false when a
    /// ruined route became infeasible (possible only without the triangle inequality).
    fn ruin(&mut self, sol: &mut Sol) -> bool {
        let assigned: usize = sol.routes.iter().map(|r| r.nodes.len()).sum();
        let used = sol.routes.iter().filter(|r| !r.nodes.is_empty()).count();
        if assigned == 0 {
            return true;
        }
        let mut ruined: Vec<usize> = Vec::new();
        if self.vehicle_cost > 0.0 && self.rng.unit() < 0.05 {
            // Empty a whole route so the fleet can shrink; prefer short routes.
            let ri = (0..3)
                .map(|_| {
                    let k = self.rng.below(used);
                    (0..sol.routes.len())
                        .filter(|&i| !sol.routes[i].nodes.is_empty())
                        .nth(k)
                        .unwrap()
                })
                .min_by_key(|&i| (sol.routes[i].nodes.len(), i))
                .unwrap_or(0);
            let nodes = std::mem::take(&mut sol.routes[ri].nodes);
            self.removed.extend_from_slice(&nodes);
            sol.routes[ri].refresh(self.inst);
            ruined.push(ri);
        }
        let ls_max = self.max_string.min(assigned as f64 / used.max(1) as f64);
        let ks_max = 4.0 * self.avg_removed / (1.0 + ls_max) - 1.0;
        let ks = (1.0 + self.rng.unit() * ks_max).floor() as usize;
        let seed = loop {
            let c = self.rng.below(sol.route_of.len());
            if sol.route_of[c] != NONE {
                break c;
            }
        };
        if self.route_ruin > 0.0 && ruined.is_empty() && self.rng.unit() < self.route_ruin {
            // Route elimination: the seed's whole route goes, so its visits can regroup.
            let ri = sol.route_of[seed];
            let nodes = std::mem::take(&mut sol.routes[ri].nodes);
            self.removed.extend_from_slice(&nodes);
            sol.routes[ri].refresh(self.inst);
            ruined.push(ri);
        }
        let whole = ruined.len();
        self.neighbours(seed);
        for k in 0..self.adj[seed].len() {
            if ruined.len() >= ks + whole {
                break;
            }
            let c = self.adj[seed][k];
            let ri = sol.route_of[c];
            if ri == NONE || ruined.contains(&ri) {
                continue;
            }
            let r = &mut sol.routes[ri];
            let len = r.nodes.len();
            let pos = r.nodes.iter().position(|&x| x == c).unwrap();
            let lmax = (len as f64).min(ls_max).max(1.0);
            let l = ((1.0 + self.rng.unit() * lmax).floor() as usize).min(len);
            if l == len || self.rng.unit() < 0.5 {
                let lo = pos.saturating_sub(l - 1);
                let hi = pos.min(len - l);
                let start = self.rng.between(lo, hi);
                self.removed.extend(r.nodes.drain(start..start + l));
            } else {
                let mut m = 1;
                while l + m < len && self.rng.unit() < 0.5 {
                    m += 1;
                }
                let span = l + m;
                let lo = pos.saturating_sub(span - 1);
                let hi = pos.min(len - span);
                let start = self.rng.between(lo, hi);
                let keep_at = start + self.rng.between(0, l);
                let taken: Vec<usize> = (start..start + span)
                    .filter(|&i| i < keep_at || i >= keep_at + m)
                    .collect();
                for &i in taken.iter().rev() {
                    self.removed.push(r.nodes.remove(i));
                }
            }
            r.refresh(self.inst);
            ruined.push(ri);
        }
        for &c in &self.removed {
            sol.route_of[c] = NONE;
        }
        let inst = self.inst;
        ruined.iter().all(|&ri| {
            let r = &sol.routes[ri];
            inst.seq_feasible(r.v, &r.nodes, &mut self.z)
        })
    }

    /// Fleet minimisation (SISR §5): empty the shortest route, then ruin and recreate without
    /// opening vehicles, accepting a solution with fewer unassigned visits or a smaller sum of
    /// their "absences" (how often each has been left out), until all fit again; repeat. Spends up
    /// to [`FLEET_SHARE`] of the budget and returns the best complete solution with the budget's
    /// progress at the end (`None` when it is spent).
    fn minimise_fleet(
        &mut self,
        start: &Sol,
        budget: &mut Budget,
        iter: &mut u64,
    ) -> (Sol, Option<f64>) {
        let mut best = start.clone();
        if !start.unassigned.is_empty() {
            return (best, budget.progress(*iter));
        }
        let mut absences = vec![0u64; self.inst.n()];
        let (mut cur, mut work) = (start.clone(), start.clone());
        self.allow_new_routes = false;
        let mut at;
        loop {
            at = budget.progress(*iter);
            if at.is_none_or(|p| p >= FLEET_SHARE) {
                break;
            }
            *iter += 1;
            if cur.unassigned.is_empty() {
                best.clone_from(&cur);
                let Some(ri) = (0..cur.routes.len())
                    .filter(|&i| !cur.routes[i].nodes.is_empty())
                    .min_by_key(|&i| (cur.routes[i].nodes.len(), i))
                    .filter(|_| cur.routes.iter().filter(|r| !r.nodes.is_empty()).count() > 1)
                else {
                    break;
                };
                let nodes = std::mem::take(&mut cur.routes[ri].nodes);
                for &c in &nodes {
                    cur.route_of[c] = NONE;
                }
                cur.unassigned.extend(nodes);
                cur.routes[ri].refresh(self.inst);
            }
            work.clone_from(&cur);
            self.removed.clear();
            if !self.ruin(&mut work) {
                continue;
            }
            self.recreate(&mut work, true, None);
            let absent = |s: &Sol| s.unassigned.iter().map(|&c| absences[c]).sum::<u64>();
            if work.unassigned.len() < cur.unassigned.len()
                || work.unassigned.len() == cur.unassigned.len() && absent(&work) < absent(&cur)
            {
                std::mem::swap(&mut cur, &mut work);
            }
            for &c in &cur.unassigned {
                absences[c] += 1;
            }
        }
        if cur.unassigned.is_empty() {
            best.clone_from(&cur);
        }
        self.allow_new_routes = true;
        best.cost = self.cost(&best);
        (best, at)
    }

    /// Runs the search from `start` (routes to keep where still feasible) and returns the best
    /// solution found with the iteration count.
    pub(crate) fn run(
        &mut self,
        pool: &[usize],
        start: &[(usize, Vec<usize>)],
        budget: &mut Budget,
    ) -> (Sol, u64) {
        let inst = self.inst;
        let mut cur = Sol {
            routes: (0..inst.veh.len())
                .map(|v| {
                    let mut r = RouteState {
                        v,
                        ..RouteState::default()
                    };
                    r.refresh(inst);
                    r
                })
                .collect(),
            unassigned: Vec::new(),
            route_of: vec![NONE; inst.n()],
            cost: 0.0,
        };
        let mut in_pool = vec![false; inst.n()];
        pool.iter().for_each(|&c| in_pool[c] = true);
        for (v, seq) in start {
            let Some(r) = cur.routes.get_mut(*v).filter(|r| r.nodes.is_empty()) else {
                continue;
            };
            for &c in seq {
                if c < inst.n() && in_pool[c] && inst.eligible(*v, c) {
                    r.nodes.push(c);
                    if inst.seq_feasible(*v, &r.nodes, &mut self.z) {
                        in_pool[c] = false;
                        cur.route_of[c] = *v;
                    } else {
                        r.nodes.pop();
                    }
                }
            }
            r.refresh(inst);
        }
        self.removed.extend(pool.iter().filter(|&&c| in_pool[c]));
        self.recreate(&mut cur, false, Some(budget));
        let edges = pool.len() - cur.unassigned.len()
            + cur.routes.iter().filter(|r| !r.nodes.is_empty()).count();
        let dist: f64 = cur.routes.iter().map(|r| r.dist).sum();
        let mean_edge = if edges > 0 && dist > 0.0 {
            dist / edges as f64
        } else {
            1.0
        };
        let (t0, tf) = (T0_FACTOR * mean_edge, TF_FACTOR * mean_edge);
        let mut iter = 0u64;
        let (mut offset, mut spent) = (0.0, false);
        // Fleet minimisation pays when a vehicle outweighs the distance it saves: when it costs
        // more than a few mean routes. Below that the annealing trades vehicles for distance.
        let used = cur.routes.iter().filter(|r| !r.nodes.is_empty()).count();
        // A first solution finished in a hurry has already read the clock past the limit.
        spent |= self.hurry;
        if !spent && used > 1 && self.vehicle_cost >= FLEET_COST_RATIO * dist / used as f64 {
            let (fewer, at) = self.minimise_fleet(&cur, budget, &mut iter);
            if fewer.cost < cur.cost {
                cur = fewer;
            }
            offset = at.unwrap_or(1.0).min(0.99);
            spent = at.is_none();
        }
        let mut best = cur.clone();
        let mut work = cur.clone();
        let (mut stall, mut best_at, mut restarted_at) = (0u64, offset, offset);
        let mut t_start = t0;
        while let Some(progress) = (!spent).then(|| budget.progress(iter)).flatten() {
            iter += 1;
            if pool.is_empty() {
                break;
            }
            if progress - best_at.max(restarted_at) > RESTART_SHARE {
                // Long without a new best: start afresh (the best is kept), warmer again.
                for r in &mut cur.routes {
                    self.removed.append(&mut r.nodes);
                    r.refresh(inst);
                }
                cur.route_of.fill(NONE);
                self.recreate(&mut cur, true, Some(budget));
                if self.hurry {
                    break;
                }
                (offset, restarted_at, stall) = (progress.min(0.99), progress, 0);
                t_start = (REHEAT_FACTOR * mean_edge).max(tf);
            }
            self.adapt_ruin(stall);
            let local = ((progress - offset) / (1.0 - offset)).max(0.0);
            let temp = t_start * det_exp(local * det_ln(tf / t_start));
            work.clone_from(&cur);
            self.removed.clear();
            stall += 1;
            if !self.ruin(&mut work) {
                continue;
            }
            self.recreate(&mut work, true, None);
            if work.cost < cur.cost - temp * det_ln(self.rng.unit().max(1e-300)) {
                std::mem::swap(&mut cur, &mut work);
                if cur.cost < best.cost - 1e-9 {
                    best.clone_from(&cur);
                    (stall, best_at) = (0, progress);
                }
            }
        }
        (best, iter)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::routing::matrix::DenseMatrix;
    use crate::routing::model::{Break, Problem, TimeWindow, Vehicle, Visit};

    /// The O(1) insertion test agrees with the O(n) sequence check, breaks included.
    #[test]
    fn fits_agrees_with_the_full_check() {
        let mut rng = Rng::new(99);
        let (mut checked, mut fitting) = (0, 0);
        for _ in 0..300 {
            let n = 2 + rng.below(9);
            let pts: Vec<(f64, f64)> = (0..=n)
                .map(|_| (rng.unit() * 50.0, rng.unit() * 50.0))
                .collect();
            let m = DenseMatrix::euclidean(&pts);
            let visits = (1..=n)
                .map(|l| Visit {
                    window: (rng.unit() < 0.6).then(|| {
                        let s = rng.unit() * 200.0;
                        TimeWindow::new(s, s + 10.0 + rng.unit() * 60.0)
                    }),
                    ..Visit::at(l, rng.unit() * 15.0)
                })
                .collect();
            let rest = (rng.unit() < 0.8).then(|| {
                let s = rng.unit() * 150.0;
                Break {
                    window: TimeWindow::new(s, s + rng.unit() * 40.0),
                    duration: 5.0 + rng.unit() * 30.0,
                }
            });
            let end = (rng.unit() < 0.8).then_some(0);
            let vehicle = Vehicle {
                rest,
                end,
                ..Vehicle::at(0, TimeWindow::new(0.0, 150.0 + rng.unit() * 200.0))
            };
            let inst = Inst::compile(
                &m,
                &Problem {
                    visits,
                    vehicles: vec![vehicle],
                },
            )
            .unwrap();
            let mut z = Vec::new();
            let mut r = RouteState {
                v: 0,
                ..RouteState::default()
            };
            let mut order: Vec<usize> = (0..n).collect();
            order.sort_by_key(|_| rng.next_u64());
            for &c in &order {
                r.nodes.push(c);
                if !inst.seq_feasible(0, &r.nodes, &mut z) {
                    r.nodes.pop();
                }
            }
            r.refresh(&inst);
            for c in (0..n).filter(|c| !r.nodes.contains(c)) {
                for p in 0..=r.nodes.len() {
                    let mut seq = r.nodes.clone();
                    seq.insert(p, c);
                    assert_eq!(
                        r.fits(&inst, c, p),
                        inst.seq_feasible(0, &seq, &mut z),
                        "{seq:?} {:?}",
                        inst.veh[0]
                    );
                    checked += 1;
                    fitting += usize::from(r.fits(&inst, c, p));
                }
            }
        }
        assert!(
            checked > 500 && fitting > 100 && checked - fitting > 100,
            "{checked} {fitting}"
        );
    }

    fn clustered_day(n: usize, vehicles: usize) -> (DenseMatrix, Problem) {
        let mut rng = Rng::new(17);
        let mut pts = vec![(50.0, 50.0)];
        for i in 0..n {
            let (cx, cy) = [(10.0, 10.0), (90.0, 15.0), (20.0, 85.0), (85.0, 90.0)][i % 4];
            pts.push((cx + rng.unit() * 6.0, cy + rng.unit() * 6.0));
        }
        let visits = (1..=n)
            .map(|l| Visit {
                window: Some(TimeWindow::new(0.0, 2_000.0)),
                demand: 10,
                ..Visit::at(l, 10.0)
            })
            .collect();
        let vehicle = Vehicle {
            capacity: Some(60),
            ..Vehicle::at(0, TimeWindow::new(0.0, 3_000.0))
        };
        let m = DenseMatrix::euclidean(&pts);
        (
            m,
            Problem {
                visits,
                vehicles: vec![vehicle; vehicles],
            },
        )
    }

    thread_local! {
        /// Insertion positions examined so far on this thread (the unit of work of a recreate).
        pub(super) static POSITIONS: std::cell::Cell<u64> = const { std::cell::Cell::new(0) };
    }

    /// A day of 600 visits and 150 vehicles with a fake clock that advances one millisecond per
    /// reading: the search stops at the first reading past the limit, even while the first
    /// solution is being built (O(n²) positions in all), and never examines more than a few
    /// dozen visits' worth of positions between two readings; every visit is placed or left
    /// out, each once, and the routes are feasible.
    #[test]
    fn a_large_day_reads_the_clock_while_the_first_solution_is_built() {
        let (n, nv) = (600, 150);
        let mut rng = Rng::new(23);
        let pts: Vec<(f64, f64)> = (0..=n)
            .map(|_| (rng.unit() * 100.0, rng.unit() * 100.0))
            .collect();
        let visits = (1..=n)
            .map(|l| Visit {
                window: (rng.unit() < 0.5).then(|| {
                    let s = rng.unit() * 400.0;
                    TimeWindow::new(s, s + 100.0)
                }),
                ..Visit::at(l, 10.0)
            })
            .collect();
        let m = DenseMatrix::euclidean(&pts);
        let p = Problem {
            visits,
            vehicles: vec![Vehicle::at(0, TimeWindow::new(0.0, 600.0)); nv],
        };
        let inst = Inst::compile(&m, &p).unwrap();
        let pool: Vec<usize> = (0..n).collect();
        let whole = (n * (n + nv)) as u64; // positions of one full recreate, roughly
        for limit_ms in [0, 1, 2, 5, 20] {
            let mut readings = 0u64;
            let (mut last, mut widest) = (POSITIONS.with(|x| x.get()), 0);
            let mut clock = || {
                readings += 1;
                let now = POSITIONS.with(|x| x.get());
                widest = widest.max(now - last);
                last = now;
                core::time::Duration::from_millis(readings)
            };
            let mut budget = Budget::iterations(u64::MAX)
                .with_time_limit(core::time::Duration::from_millis(limit_ms), &mut clock);
            budget.start();
            let mut lns = Lns::new(&inst, &pool, 0.0, 1);
            let (sol, _) = lns.run(&pool, &[], &mut budget);
            assert_eq!(readings, (limit_ms + 1).max(2), "limit {limit_ms} ms");
            let bound = 2 * CHECK_EVERY as u64 * (n + nv) as u64;
            assert!(
                widest <= bound && widest < whole / 4,
                "limit {limit_ms} ms: {widest} positions between two readings"
            );
            let mut all: Vec<usize> = sol.routes.iter().flat_map(|r| r.nodes.clone()).collect();
            all.extend(&sol.unassigned);
            all.sort_unstable();
            assert_eq!(all, pool);
            let mut z = Vec::new();
            assert!(
                sol.routes
                    .iter()
                    .all(|r| inst.seq_feasible(r.v, &r.nodes, &mut z))
            );
        }
    }

    /// Ruins grow only once the best has stalled for a while, up to the cap, and reset after.
    #[test]
    fn ruins_grow_while_the_search_stalls() {
        let (m, p) = clustered_day(12, 3);
        let inst = Inst::compile(&m, &p).unwrap();
        let pool: Vec<usize> = (0..12).collect();
        let mut lns = Lns::new(&inst, &pool, 0.0, 1);
        lns.adapt_ruin(0);
        assert_eq!((lns.avg_removed, lns.route_ruin), (AVG_REMOVED, ROUTE_RUIN));
        lns.adapt_ruin(STALL_ITERATIONS as u64);
        assert_eq!(lns.avg_removed, AVG_REMOVED);
        lns.adapt_ruin(2 * STALL_ITERATIONS as u64);
        assert_eq!(lns.avg_removed, 2.0 * AVG_REMOVED);
        assert_eq!(lns.route_ruin, STALLED_ROUTE_RUIN);
        assert!(lns.max_string > MAX_STRING);
        lns.adapt_ruin(100 * STALL_ITERATIONS as u64);
        assert_eq!(lns.avg_removed, MAX_GROWTH * AVG_REMOVED);
        lns.adapt_ruin(0);
        assert_eq!((lns.avg_removed, lns.max_string), (AVG_REMOVED, MAX_STRING));
    }

    /// Route opening puts the first visit to recreate into an unused vehicle even when an
    /// existing route would take it more cheaply; route elimination empties the seed's route.
    /// Both leave every route feasible and every visit placed exactly once.
    #[test]
    fn route_opening_and_elimination_change_the_fleet() {
        let (m, p) = clustered_day(24, 8);
        let inst = Inst::compile(&m, &p).unwrap();
        let pool: Vec<usize> = (0..24).collect();
        let mut lns = Lns::new(&inst, &pool, 0.0, 5);
        let (sol, _) = lns.run(&pool, &[], &mut Budget::iterations(2_000));
        let used = |s: &Sol| s.routes.iter().filter(|r| !r.nodes.is_empty()).count();
        let placed = |s: &Sol| {
            let mut all: Vec<usize> = s.routes.iter().flat_map(|r| r.nodes.clone()).collect();
            all.extend(&s.unassigned);
            all.sort_unstable();
            all == (0..24).collect::<Vec<_>>()
        };
        assert!(used(&sol) < 8 && sol.unassigned.is_empty());
        let mut z = Vec::new();
        let feasible = |s: &Sol, z: &mut Vec<f64>| {
            s.routes.iter().all(|r| inst.seq_feasible(r.v, &r.nodes, z))
        };

        // Opening: take two visits out and force the first into a new vehicle.
        let mut opened = sol.clone();
        let ri = (0..8).find(|&i| opened.routes[i].nodes.len() >= 2).unwrap();
        for _ in 0..2 {
            let c = opened.routes[ri].nodes.pop().unwrap();
            opened.route_of[c] = NONE;
            lns.removed.push(c);
        }
        opened.routes[ri].refresh(&inst);
        lns.route_ruin = 1.0;
        lns.recreate(&mut opened, false, None);
        assert_eq!(used(&opened), used(&sol) + 1);
        assert!(placed(&opened) && feasible(&opened, &mut z));

        // Elimination: with route ruin certain, a ruin removes the seed's whole route.
        let mut ruined = sol.clone();
        lns.removed.clear();
        assert!(lns.ruin(&mut ruined));
        assert!(used(&ruined) < used(&sol));
        lns.recreate(&mut ruined, false, None);
        assert!(placed(&ruined) && feasible(&ruined, &mut z));
    }
}
