//! The problem compiled for the search: a compact matrix over the locations in use (plus a virtual
//! end location at zero distance from everything, which turns open tours into closed ones), visit
//! attributes in flat arrays, skills as bit sets, and the schedule arithmetic shared by the solvers.

use super::matrix::TravelMatrix;
use super::model::{
    Problem, Route, RoutingError, ScheduledBreak, Stop, TimeWindow, UnassignedReason,
};
use std::borrow::Cow;

/// Tolerance for time comparisons (absolute, in the matrix's time unit).
pub(crate) const EPS: f64 = 1e-7;

#[derive(Debug, Clone)]
pub(crate) struct VehInst {
    pub start: usize,
    pub end: usize,
    pub t0: f64,
    pub t1: f64,
    /// (earliest break start, latest break start, duration)
    pub brk: Option<(f64, f64, f64)>,
    pub cap: u32,
    pub skills: u64,
    /// Vehicles with the same class are interchangeable.
    pub class: usize,
}

#[derive(Debug, Clone)]
pub(crate) struct Inst<'m> {
    /// Row length of the tables: the matrix size when they are borrowed, otherwise the number of
    /// compact locations including the virtual one.
    pub nl: usize,
    pub dist: Cow<'m, [f64]>,
    pub time: Cow<'m, [f64]>,
    pub loc: Vec<usize>,
    pub e: Vec<f64>,
    pub l: Vec<f64>,
    pub s: Vec<f64>,
    pub q: Vec<u32>,
    pub skills: Vec<u64>,
    pub veh: Vec<VehInst>,
    /// Largest distance in use, to scale penalties.
    pub max_dist: f64,
}

fn finite_nonneg(x: f64) -> bool {
    x.is_finite() && x >= 0.0
}

fn window_ok(w: &TimeWindow) -> bool {
    w.start.is_finite() && w.end.is_finite() && w.start <= w.end
}

/// The tables the search reads: row-major `nl × nl` distances and times indexed by location.
type Tables<'m> = (Cow<'m, [f64]>, Cow<'m, [f64]>, usize);

/// The distances and times between the locations in `used` (matrix indices), checked once each
/// (finite, non-negative) with the largest distance. O(used²) and the one step of a run that does
/// not read the clock, so it is kept cheap: a matrix held in memory ([`TravelMatrix::dense`]) is
/// borrowed as it is, locations keeping their matrix indices, unless a virtual end is needed;
/// otherwise the locations in use are copied into compact tables (`nl` = `used.len() + 1`, the
/// last row and column being the virtual location at zero distance from everything).
fn tables<'m>(
    matrix: &'m dyn TravelMatrix,
    used: &[usize],
    virtual_end: bool,
) -> Result<(Tables<'m>, f64), RoutingError> {
    let size = matrix.size();
    let mut max_dist: f64 = 0.0;
    if let Some((d, t)) = matrix.dense().filter(|_| !virtual_end) {
        for &a in used {
            let (drow, trow) = (&d[a * size..(a + 1) * size], &t[a * size..(a + 1) * size]);
            for &b in used {
                let (dab, tab) = (drow[b], trow[b]);
                if !finite_nonneg(dab) || !finite_nonneg(tab) {
                    return Err(RoutingError::BadMatrix { from: a, to: b });
                }
                max_dist = max_dist.max(dab);
            }
        }
        return Ok(((Cow::Borrowed(d), Cow::Borrowed(t), size), max_dist));
    }
    let nl = used.len() + 1;
    let mut dist = vec![0.0; nl * nl];
    let mut time = vec![0.0; nl * nl];
    let rows = matrix.dense();
    for (a, &ma) in used.iter().enumerate() {
        for (b, &mb) in used.iter().enumerate() {
            let (d, t) = match rows {
                Some((d, t)) => (d[ma * size + mb], t[ma * size + mb]),
                None => (matrix.distance(ma, mb), matrix.time(ma, mb)),
            };
            if !finite_nonneg(d) || !finite_nonneg(t) {
                return Err(RoutingError::BadMatrix { from: ma, to: mb });
            }
            dist[a * nl + b] = d;
            time[a * nl + b] = t;
            max_dist = max_dist.max(d);
        }
    }
    Ok(((Cow::Owned(dist), Cow::Owned(time), nl), max_dist))
}

impl<'m> Inst<'m> {
    pub(crate) fn compile<'p>(
        matrix: &'m dyn TravelMatrix,
        problem: &'p Problem,
    ) -> Result<Self, RoutingError> {
        let size = matrix.size();
        let mut compact = vec![usize::MAX; size];
        let mut used = Vec::new();
        let mut intern = |what: &dyn Fn() -> String, location: usize| {
            if location >= size {
                return Err(RoutingError::LocationOutOfRange {
                    what: what(),
                    location,
                    size,
                });
            }
            if compact[location] == usize::MAX {
                compact[location] = used.len();
                used.push(location);
            }
            Ok(compact[location])
        };
        let mut names: Vec<&'p str> = Vec::new();
        let mut skill_bits = |skills: &'p [String]| -> Result<u64, RoutingError> {
            let mut bits = 0u64;
            for s in skills {
                let idx = match names.iter().position(|n| *n == s.as_str()) {
                    Some(i) => i,
                    None if names.len() == 64 => return Err(RoutingError::TooManySkills),
                    None => {
                        names.push(s.as_str());
                        names.len() - 1
                    }
                };
                bits |= 1 << idx;
            }
            Ok(bits)
        };

        let mut loc = Vec::with_capacity(problem.visits.len());
        let (mut e, mut l, mut s, mut q, mut skills) = (vec![], vec![], vec![], vec![], vec![]);
        for (i, v) in problem.visits.iter().enumerate() {
            let what = || format!("visit {i}");
            loc.push(intern(&what, v.location)?);
            if !finite_nonneg(v.service_time) || v.window.is_some_and(|w| !window_ok(&w)) {
                return Err(RoutingError::BadTime { what: what() });
            }
            e.push(v.window.map_or(f64::NEG_INFINITY, |w| w.start));
            l.push(v.window.map_or(f64::INFINITY, |w| w.end));
            s.push(v.service_time);
            q.push(v.demand);
            skills.push(skill_bits(&v.skills)?);
        }
        let mut veh = Vec::with_capacity(problem.vehicles.len());
        let mut ends = Vec::new();
        for (i, v) in problem.vehicles.iter().enumerate() {
            let what = || format!("vehicle {i}");
            let start = intern(&what, v.start)?;
            let end = match v.end {
                Some(x) => Some(intern(&what, x)?),
                None => None,
            };
            ends.push(end);
            let brk_ok = v
                .rest
                .is_none_or(|b| window_ok(&b.window) && finite_nonneg(b.duration));
            if !window_ok(&v.shift) || !brk_ok {
                return Err(RoutingError::BadTime { what: what() });
            }
            veh.push(VehInst {
                start,
                end: usize::MAX,
                t0: v.shift.start,
                t1: v.shift.end,
                brk: v.rest.map(|b| (b.window.start, b.window.end, b.duration)),
                cap: v.capacity.unwrap_or(u32::MAX),
                skills: skill_bits(&v.skills)?,
                class: 0,
            });
        }
        let virtual_end = ends.iter().any(Option::is_none);
        let ((dist, time, nl), max_dist) = tables(matrix, &used, virtual_end)?;
        for (v, end) in veh.iter_mut().zip(ends) {
            v.end = end.unwrap_or(used.len());
        }
        if !virtual_end && matrix.dense().is_some() {
            // Borrowed tables: locations keep their matrix indices.
            loc.iter_mut().for_each(|x| *x = used[*x]);
            for v in &mut veh {
                (v.start, v.end) = (used[v.start], used[v.end]);
            }
        }
        for i in 0..veh.len() {
            let same = |a: &VehInst, b: &VehInst| {
                a.start == b.start
                    && a.end == b.end
                    && a.t0 == b.t0
                    && a.t1 == b.t1
                    && a.brk == b.brk
                    && a.cap == b.cap
                    && a.skills == b.skills
            };
            veh[i].class = (0..i)
                .find(|&j| same(&veh[j], &veh[i]))
                .map_or(i, |j| veh[j].class);
        }
        Ok(Self {
            nl,
            dist,
            time,
            loc,
            e,
            l,
            s,
            q,
            skills,
            veh,
            max_dist,
        })
    }

    /// Whether distances are the same both ways between every two of `locs`, compared in tiles
    /// so that the reads against the rows stay in cache.
    pub(crate) fn symmetric(&self, locs: &[usize]) -> bool {
        const TILE: usize = 32;
        let n = locs.len();
        (0..n).step_by(TILE).all(|i0| {
            (0..=i0).step_by(TILE).all(|j0| {
                locs[i0..(i0 + TILE).min(n)]
                    .iter()
                    .enumerate()
                    .all(|(k, &a)| {
                        let i = i0 + k;
                        locs[j0..(j0 + TILE).min(i)]
                            .iter()
                            .all(|&b| self.d(a, b) == self.d(b, a))
                    })
            })
        })
    }

    #[inline]
    pub(crate) fn d(&self, a: usize, b: usize) -> f64 {
        self.dist[a * self.nl + b]
    }

    #[inline]
    pub(crate) fn t(&self, a: usize, b: usize) -> f64 {
        self.time[a * self.nl + b]
    }

    pub(crate) fn n(&self) -> usize {
        self.loc.len()
    }

    /// Skills and capacity allow vehicle `v` to serve visit `c` at all.
    pub(crate) fn eligible(&self, v: usize, c: usize) -> bool {
        let veh = &self.veh[v];
        veh.skills & self.skills[c] == self.skills[c] && self.q[c] <= veh.cap
    }

    /// Distance of vehicle `v` driving `seq` (0 for an empty route, which is not driven).
    pub(crate) fn seq_distance(&self, v: usize, seq: &[usize]) -> f64 {
        self.seq_sum(v, seq, &self.dist)
    }

    /// Travel time of vehicle `v` driving `seq`, without service or waiting.
    pub(crate) fn seq_travel_time(&self, v: usize, seq: &[usize]) -> f64 {
        self.seq_sum(v, seq, &self.time)
    }

    fn seq_sum(&self, v: usize, seq: &[usize], table: &[f64]) -> f64 {
        let veh = &self.veh[v];
        let mut prev = veh.start;
        let mut total = 0.0;
        for &c in seq {
            total += table[prev * self.nl + self.loc[c]];
            prev = self.loc[c];
        }
        if seq.is_empty() {
            0.0
        } else {
            total + table[prev * self.nl + veh.end]
        }
    }

    /// Whether vehicle `v` can serve `seq` in that order (windows, shift, break, capacity; skills
    /// are the caller's concern). `z` is scratch space.
    pub(crate) fn seq_feasible(&self, v: usize, seq: &[usize], z: &mut Vec<f64>) -> bool {
        let veh = &self.veh[v];
        let load: u64 = seq.iter().map(|&c| u64::from(self.q[c])).sum();
        if load > u64::from(veh.cap) {
            return false;
        }
        let n = seq.len();
        let Some((be, bl, dur)) = veh.brk else {
            let (mut dep, mut prev) = (veh.t0, veh.start);
            for &c in seq {
                let st = (dep + self.t(prev, self.loc[c])).max(self.e[c]);
                if st > self.l[c] + EPS {
                    return false;
                }
                dep = st + self.s[c];
                prev = self.loc[c];
            }
            return dep + self.t(prev, veh.end) <= veh.t1 + EPS;
        };
        z.clear();
        z.resize(n + 1, 0.0);
        z[n] = veh.t1;
        let mut next = veh.end;
        for i in (0..n).rev() {
            let c = seq[i];
            z[i] = self.l[c].min(z[i + 1] - self.t(self.loc[c], next) - self.s[c]);
            if z[i] < self.e[c] - EPS {
                // Service here can never start in time for the rest of the route.
                z[i] = f64::NEG_INFINITY;
            }
            next = self.loc[c];
        }
        let (mut dep, mut prev) = (veh.t0, veh.start);
        for k in 0..=n {
            let (next, e_next) = if k < n {
                (self.loc[seq[k]], self.e[seq[k]])
            } else {
                (veh.end, f64::NEG_INFINITY)
            };
            let tt = self.t(prev, next);
            if dep.max(be) <= bl + EPS {
                let st = (dep + tt + dur).max(be + dur).max(e_next);
                if st <= z[k] + EPS {
                    return true;
                }
            }
            if k == n {
                return false;
            }
            let c = seq[k];
            let st = (dep + tt).max(e_next);
            if st > self.l[c] + EPS {
                return false;
            }
            dep = st + self.s[c];
            prev = next;
        }
        false
    }

    /// Simulates `seq` with the break (if any) on leg `brk_leg`; `None` when infeasible.
    fn simulate(&self, v: usize, seq: &[usize], brk_leg: Option<usize>) -> Option<Route> {
        let veh = &self.veh[v];
        let (mut dep, mut prev) = (veh.t0, veh.start);
        let mut stops = Vec::with_capacity(seq.len());
        let mut rest = None;
        for k in 0..=seq.len() {
            let (next, e_next) = if k < seq.len() {
                (self.loc[seq[k]], self.e[seq[k]])
            } else {
                (veh.end, f64::NEG_INFINITY)
            };
            let tt = self.t(prev, next);
            let (arrival, ready) = match (brk_leg == Some(k), veh.brk) {
                (true, Some((be, bl, dur))) => {
                    let bs = dep.max(be);
                    if bs > bl + EPS {
                        return None;
                    }
                    rest = Some(ScheduledBreak {
                        after_stops: k,
                        start: bs,
                        end: bs + dur,
                    });
                    let arrival = if be >= dep + tt {
                        dep + tt
                    } else {
                        dep + tt + dur
                    };
                    (arrival, (dep + tt + dur).max(be + dur))
                }
                _ => (dep + tt, dep + tt),
            };
            if k == seq.len() {
                if ready > veh.t1 + EPS {
                    return None;
                }
                let load = seq.iter().map(|&c| self.q[c]).sum();
                return Some(Route {
                    vehicle: v,
                    stops,
                    rest,
                    start_time: veh.t0,
                    end_time: ready,
                    distance: self.seq_distance(v, seq),
                    load,
                });
            }
            let c = seq[k];
            let start = ready.max(e_next);
            if start > self.l[c] + EPS {
                return None;
            }
            dep = start + self.s[c];
            stops.push(Stop {
                visit: c,
                arrival,
                start,
                departure: dep,
            });
            prev = next;
        }
        None
    }

    /// The schedule of a feasible `seq`, placing the break where the day ends earliest, and
    /// leaving the start as late as possible without delaying the first visit (no waiting there).
    pub(crate) fn schedule(&self, v: usize, seq: &[usize]) -> Option<Route> {
        let mut route = if self.veh[v].brk.is_none() {
            self.simulate(v, seq, None)
        } else {
            (0..=seq.len())
                .filter_map(|k| self.simulate(v, seq, Some(k)))
                .min_by(|a, b| a.end_time.total_cmp(&b.end_time))
        }?;
        if let Some(first) = route.stops.first_mut()
            && route.rest.is_none_or(|b| b.after_stops > 0)
        {
            let travel = self.t(self.veh[v].start, self.loc[first.visit]);
            route.start_time = route.start_time.max(first.start - travel);
            first.arrival = route.start_time + travel;
        }
        Some(route)
    }

    /// Why visit `c` cannot be in any route, if that is decided by the visit alone.
    pub(crate) fn alone_reason(&self, c: usize) -> Option<UnassignedReason> {
        let nv = self.veh.len();
        if !(0..nv).any(|v| self.veh[v].skills & self.skills[c] == self.skills[c]) {
            return Some(UnassignedReason::NoTechnicianWithSkills);
        }
        if !(0..nv).any(|v| self.eligible(v, c)) {
            return Some(UnassignedReason::ExceedsCapacity);
        }
        let mut z = Vec::new();
        if !(0..nv).any(|v| self.eligible(v, c) && self.seq_feasible(v, &[c], &mut z)) {
            return Some(UnassignedReason::OutsideWorkingHours);
        }
        None
    }
}
