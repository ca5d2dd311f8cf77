//! Balancing territories between reps: districts are built from atoms (counties, grid cells)
//! joined by an adjacency graph. k seeds grow into districts (the lightest district takes its
//! nearest free neighbour next), then a local search moves boundary atoms between neighbouring
//! districts while that lowers the objective: the squared relative deviation of each district's
//! load from the mean, plus a compactness penalty (moment of inertia). A move must keep the
//! district it leaves connected and must not make the spread (max/min load) worse than where
//! the search started. Deterministic for a seed and an iteration budget.

use serde::{Deserialize, Serialize};

use crate::rng::SplitMix64;
use crate::routing::Budget;

/// What is balanced.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Measure {
    /// Number of accounts.
    #[default]
    Accounts,
    /// Sum of the accounts' revenue.
    Revenue,
    /// Estimated hours to visit every account once: time on site plus travel (see [`Load`]).
    VisitHours,
}

impl Measure {
    pub const ALL: [Measure; 3] = [Measure::Accounts, Measure::Revenue, Measure::VisitHours];

    pub fn as_str(self) -> &'static str {
        match self {
            Measure::Accounts => "accounts",
            Measure::Revenue => "revenue",
            Measure::VisitHours => "visit_hours",
        }
    }
}

/// How visit hours are estimated.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct VisitModel {
    /// Time on site per account, hours.
    pub service_hours: f64,
    /// Average travel speed, km/h.
    pub speed_kmh: f64,
}

impl Default for VisitModel {
    fn default() -> Self {
        Self {
            service_hours: 1.0,
            speed_kmh: 30.0,
        }
    }
}

/// Lon/lat to kilometres on a plane (equirectangular at the data's mean latitude): good enough
/// for spreads and compactness within a country, not for distances across a continent.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Projection {
    km_per_lon: f64,
}

const KM_PER_LAT: f64 = 110.574;

impl Projection {
    /// Centred on the mean latitude of `positions` (`[lon, lat]`).
    pub fn around(positions: impl IntoIterator<Item = [f64; 2]>) -> Self {
        let (mut sum, mut n) = (0.0, 0usize);
        for [_, lat] in positions {
            sum += lat;
            n += 1;
        }
        let lat0 = if n == 0 { 0.0 } else { sum / n as f64 };
        Self {
            km_per_lon: 111.320 * lat0.to_radians().cos(),
        }
    }

    pub fn km(&self, [lon, lat]: [f64; 2]) -> [f64; 2] {
        [lon * self.km_per_lon, lat * KM_PER_LAT]
    }
}

/// A building block of districts.
#[derive(Debug, Clone, PartialEq)]
pub struct Atom {
    /// Representative position `[lon, lat]` (centroid).
    pub position: [f64; 2],
    pub area_km2: f64,
    /// Accounts in the atom (a weight, so synthetic loads can be fractional).
    pub accounts: f64,
    /// Their revenue (minor units).
    pub revenue: f64,
}

/// Running sums over a set of atoms or accounts; every measure and the compactness follow from
/// them in O(1), so moving an atom costs O(1) per district.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Load {
    pub atoms: usize,
    pub accounts: f64,
    pub revenue: f64,
    pub area_km2: f64,
    // Account-weighted first and second moments (km), for the spread of the accounts.
    nx: f64,
    ny: f64,
    nxx: f64,
    // Area-weighted moments, for the district's shape.
    ax: f64,
    ay: f64,
    axx: f64,
    /// Σ a²/(2π): each atom's own moment as a disc of its area.
    a_self: f64,
}

impl Load {
    /// Adds (`sign` = 1) or removes (`sign` = -1) an atom at projected position `xy`.
    pub fn add(&mut self, atom: &Atom, [x, y]: [f64; 2], sign: f64) {
        let (n, a) = (atom.accounts * sign, atom.area_km2 * sign);
        self.atoms = if sign > 0.0 {
            self.atoms + 1
        } else {
            self.atoms.saturating_sub(1)
        };
        self.accounts += n;
        self.revenue += atom.revenue * sign;
        self.area_km2 += a;
        self.nx += n * x;
        self.ny += n * y;
        self.nxx += n * (x * x + y * y);
        self.ax += a * x;
        self.ay += a * y;
        self.axx += a * (x * x + y * y);
        self.a_self += a * atom.area_km2 / std::f64::consts::TAU;
    }

    /// The area the accounts spread over: a disc with their variance (2π·σ²), at least the
    /// atoms' own area.
    pub fn spread_area_km2(&self) -> f64 {
        if self.accounts <= 1e-12 {
            return self.area_km2.max(0.0);
        }
        let (mx, my) = (self.nx / self.accounts, self.ny / self.accounts);
        let variance = (self.nxx / self.accounts - mx * mx - my * my).max(0.0);
        (std::f64::consts::TAU * variance).max(self.area_km2)
    }

    /// Hours to visit every account once: time on site, plus a round trip through them by the
    /// Beardwood–Halton–Hammersley estimate 0.7124·√(n·A) km at the model's speed.
    pub fn visit_hours(&self, model: &VisitModel) -> f64 {
        let n = self.accounts.max(0.0);
        let tour_km = 0.7124 * (n * self.spread_area_km2()).sqrt();
        n * model.service_hours + tour_km / model.speed_kmh.max(1e-9)
    }

    pub fn value(&self, measure: Measure, model: &VisitModel) -> f64 {
        match measure {
            Measure::Accounts => self.accounts,
            Measure::Revenue => self.revenue,
            Measure::VisitHours => self.visit_hours(model),
        }
    }

    /// Moment of inertia relative to a disc of the same area: 1 for a disc, larger for
    /// stretched or scattered shapes.
    pub fn compactness(&self) -> f64 {
        if self.area_km2 <= 1e-12 {
            return 1.0;
        }
        let a = self.area_km2;
        let inertia = self.axx - (self.ax * self.ax + self.ay * self.ay) / a + self.a_self;
        std::f64::consts::TAU * inertia.max(0.0) / (a * a)
    }
}

/// max/min of the loads (∞ when the smallest is 0, 1 when all are equal).
pub fn spread(loads: &[f64]) -> f64 {
    let max = loads.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let min = loads.iter().copied().fold(f64::INFINITY, f64::min);
    if loads.is_empty() {
        1.0
    } else if min <= 0.0 {
        if max <= 0.0 { 1.0 } else { f64::INFINITY }
    } else {
        max / min
    }
}

/// Standard deviation over mean of the loads (0 when the mean is 0).
pub fn coefficient_of_variation(loads: &[f64]) -> f64 {
    let k = loads.len() as f64;
    let mean = loads.iter().sum::<f64>() / k.max(1.0);
    if mean <= 0.0 {
        return 0.0;
    }
    let var = loads.iter().map(|l| (l - mean).powi(2)).sum::<f64>() / k.max(1.0);
    var.sqrt() / mean
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct BalanceOptions {
    pub measure: Measure,
    pub visit_model: VisitModel,
    pub seed: u64,
    /// Weight of the compactness penalty against the balance term (0 = balance only).
    pub compactness_weight: f64,
}

impl Default for BalanceOptions {
    fn default() -> Self {
        Self {
            measure: Measure::Accounts,
            visit_model: VisitModel::default(),
            seed: 1,
            compactness_weight: 0.005,
        }
    }
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum BalanceError {
    #[error("at least one district is needed")]
    NoDistricts,
    #[error("{atoms} building blocks cannot make {districts} districts")]
    TooFewAtoms { atoms: usize, districts: usize },
    #[error("the adjacency lists {got} atoms, expected {expected}")]
    AdjacencySize { got: usize, expected: usize },
    #[error("atom {atom} names neighbour {neighbour}, which does not exist")]
    UnknownNeighbour { atom: usize, neighbour: usize },
    #[error("the adjacency graph has {components} separate parts; join them first")]
    Disconnected { components: usize },
    #[error("the starting assignment has {got} entries for {expected} atoms")]
    InitialSize { got: usize, expected: usize },
    #[error("the starting assignment puts atom {atom} in district {district} of {districts}")]
    InitialOutOfRange {
        atom: usize,
        district: usize,
        districts: usize,
    },
    #[error("district {0} of the starting assignment is empty")]
    EmptyDistrict(usize),
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BalanceResult {
    /// District of each atom.
    pub district_of: Vec<usize>,
    /// Each district's load (the chosen measure) where the search started and at the end.
    pub start_loads: Vec<f64>,
    pub loads: Vec<f64>,
    pub start_spread: f64,
    pub spread: f64,
    pub start_cv: f64,
    pub cv: f64,
    /// Each district's compactness at the end (1 = disc).
    pub compactness: Vec<f64>,
    pub iterations: u64,
    pub moves: u64,
}

struct Search<'a> {
    xy: Vec<[f64; 2]>,
    adjacency: &'a [Vec<usize>],
    options: BalanceOptions,
    district_of: Vec<usize>,
    sums: Vec<Load>,
    loads: Vec<f64>,
    compact: Vec<f64>,
    /// BFS scratch: `stamp[i] == round` marks atom `i` visited in this round.
    stamp: Vec<u32>,
    round: u32,
    queue: Vec<usize>,
}

impl Search<'_> {
    fn refresh(&mut self, d: usize) {
        self.loads[d] = self.sums[d].value(self.options.measure, &self.options.visit_model);
        self.compact[d] = self.sums[d].compactness();
    }

    /// Objective and spread if districts `a` and `b` had loads/compactness `la, ca, lb, cb`.
    fn score_with(&self, changed: [(usize, f64, f64); 2]) -> (f64, f64) {
        let k = self.loads.len();
        let load = |d: usize| {
            changed
                .iter()
                .find(|c| c.0 == d)
                .map_or(self.loads[d], |c| c.1)
        };
        let compact = |d: usize| {
            changed
                .iter()
                .find(|c| c.0 == d)
                .map_or(self.compact[d], |c| c.2)
        };
        let total: f64 = (0..k).map(load).sum();
        let mean = total / k as f64;
        let (mut dev, mut shape) = (0.0, 0.0);
        let (mut max, mut min) = (f64::NEG_INFINITY, f64::INFINITY);
        for d in 0..k {
            let l = load(d);
            if mean > 0.0 {
                dev += ((l - mean) / mean).powi(2);
            }
            // Logarithmic: stretching a district by a factor costs the same whether it is
            // compact or already spread over islands, so the penalty never swamps balance.
            shape += compact(d).max(1.0).ln();
            max = max.max(l);
            min = min.min(l);
        }
        let spread = if min > 0.0 {
            max / min
        } else if max > 0.0 {
            f64::INFINITY
        } else {
            1.0
        };
        let objective = (dev + self.options.compactness_weight * shape) / k as f64;
        (objective, spread)
    }

    /// Whether district `a` stays connected when atom `i` leaves it.
    fn stays_connected(&mut self, i: usize, a: usize) -> bool {
        let neighbours: Vec<usize> = self.adjacency[i]
            .iter()
            .copied()
            .filter(|&j| self.district_of[j] == a)
            .collect();
        if neighbours.len() <= 1 {
            return true;
        }
        self.round = self.round.wrapping_add(1);
        if self.round == 0 {
            self.stamp.iter_mut().for_each(|s| *s = 0);
            self.round = 1;
        }
        let round = self.round;
        self.stamp[i] = round;
        self.stamp[neighbours[0]] = round;
        self.queue.clear();
        self.queue.push(neighbours[0]);
        let mut found = 1;
        while let Some(j) = self.queue.pop() {
            for &m in &self.adjacency[j] {
                if self.district_of[m] == a && self.stamp[m] != round {
                    self.stamp[m] = round;
                    if neighbours.contains(&m) {
                        found += 1;
                        if found == neighbours.len() {
                            return true;
                        }
                    }
                    self.queue.push(m);
                }
            }
        }
        false
    }
}

fn check_graph(atoms: &[Atom], adjacency: &[Vec<usize>]) -> Result<(), BalanceError> {
    if adjacency.len() != atoms.len() {
        return Err(BalanceError::AdjacencySize {
            got: adjacency.len(),
            expected: atoms.len(),
        });
    }
    for (atom, list) in adjacency.iter().enumerate() {
        if let Some(&neighbour) = list.iter().find(|&&j| j >= atoms.len()) {
            return Err(BalanceError::UnknownNeighbour { atom, neighbour });
        }
    }
    let components = super::atoms::components(adjacency).1;
    if components > 1 {
        return Err(BalanceError::Disconnected { components });
    }
    Ok(())
}

/// Splits the atoms into `k` contiguous districts of even load (see the module docs), starting
/// from `initial` (a district per atom, each district non-empty) or, without it, from seeds
/// grown into districts. `adjacency` must be symmetric and connected.
pub fn balance(
    atoms: &[Atom],
    adjacency: &[Vec<usize>],
    k: usize,
    initial: Option<&[usize]>,
    options: BalanceOptions,
    budget: &mut Budget<'_>,
) -> Result<BalanceResult, BalanceError> {
    if k == 0 {
        return Err(BalanceError::NoDistricts);
    }
    if atoms.len() < k {
        return Err(BalanceError::TooFewAtoms {
            atoms: atoms.len(),
            districts: k,
        });
    }
    check_graph(atoms, adjacency)?;
    let projection = Projection::around(atoms.iter().map(|a| a.position));
    let xy: Vec<[f64; 2]> = atoms.iter().map(|a| projection.km(a.position)).collect();
    let mut rng = SplitMix64::new(options.seed);
    let district_of = match initial {
        Some(initial) => check_initial(initial, atoms.len(), k)?,
        None => grow(atoms, &xy, adjacency, k, &options, &mut rng),
    };
    let mut search = Search {
        xy,
        adjacency,
        options,
        district_of,
        sums: vec![Load::default(); k],
        loads: vec![0.0; k],
        compact: vec![1.0; k],
        stamp: vec![0; atoms.len()],
        round: 0,
        queue: Vec::new(),
    };
    for (i, atom) in atoms.iter().enumerate() {
        let d = search.district_of[i];
        search.sums[d].add(atom, search.xy[i], 1.0);
    }
    for d in 0..k {
        search.refresh(d);
    }
    let start_loads = search.loads.clone();
    let start_spread = spread(&start_loads);
    let (mut objective, _) = search.score_with([(usize::MAX, 0.0, 0.0); 2]);

    budget.start();
    let mut order: Vec<usize> = (0..atoms.len()).collect();
    let (mut iterations, mut moves) = (0u64, 0u64);
    let mut candidates: Vec<usize> = Vec::new();
    'passes: loop {
        for i in (1..order.len()).rev() {
            order.swap(i, rng.below(i + 1));
        }
        let mut improved = false;
        for &i in &order {
            if budget.progress(iterations).is_none() {
                break 'passes;
            }
            iterations += 1;
            let a = search.district_of[i];
            if search.sums[a].atoms <= 1 {
                continue;
            }
            candidates.clear();
            for &j in &adjacency[i] {
                let b = search.district_of[j];
                if b != a && !candidates.contains(&b) {
                    candidates.push(b);
                }
            }
            let mut best: Option<(usize, f64, Load, Load)> = None;
            for &b in &candidates {
                let (mut sa, mut sb) = (search.sums[a], search.sums[b]);
                sa.add(&atoms[i], search.xy[i], -1.0);
                sb.add(&atoms[i], search.xy[i], 1.0);
                let (m, model) = (options.measure, &options.visit_model);
                let (score, new_spread) = search.score_with([
                    (a, sa.value(m, model), sa.compactness()),
                    (b, sb.value(m, model), sb.compactness()),
                ]);
                let allowed = new_spread <= start_spread * (1.0 + 1e-12);
                if allowed
                    && score < objective - 1e-12
                    && best.as_ref().is_none_or(|(_, s, _, _)| score < *s)
                {
                    best = Some((b, score, sa, sb));
                }
            }
            if let Some((b, score, sa, sb)) = best
                && search.stays_connected(i, a)
            {
                search.district_of[i] = b;
                search.sums[a] = sa;
                search.sums[b] = sb;
                search.refresh(a);
                search.refresh(b);
                objective = score;
                moves += 1;
                improved = true;
            }
        }
        if !improved {
            break;
        }
    }
    let loads = search.loads.clone();
    Ok(BalanceResult {
        spread: spread(&loads),
        cv: coefficient_of_variation(&loads),
        start_cv: coefficient_of_variation(&start_loads),
        start_spread,
        start_loads,
        loads,
        compactness: search.compact.clone(),
        district_of: search.district_of,
        iterations,
        moves,
    })
}

fn check_initial(initial: &[usize], atoms: usize, k: usize) -> Result<Vec<usize>, BalanceError> {
    if initial.len() != atoms {
        return Err(BalanceError::InitialSize {
            got: initial.len(),
            expected: atoms,
        });
    }
    let mut sizes = vec![0usize; k];
    for (atom, &district) in initial.iter().enumerate() {
        if district >= k {
            return Err(BalanceError::InitialOutOfRange {
                atom,
                district,
                districts: k,
            });
        }
        sizes[district] += 1;
    }
    if let Some(empty) = sizes.iter().position(|&s| s == 0) {
        return Err(BalanceError::EmptyDistrict(empty));
    }
    Ok(initial.to_vec())
}

fn dist2(a: [f64; 2], b: [f64; 2]) -> f64 {
    (a[0] - b[0]).powi(2) + (a[1] - b[1]).powi(2)
}

/// Seeds at equal shares of the load along a Z-order curve over the atoms (so a remote region
/// with little load, like Alaska, gets at most its share of seeds, where farthest-point seeding
/// would put many there), grown into districts: the lightest district with a free neighbour
/// takes the one nearest its seed.
fn grow(
    atoms: &[Atom],
    xy: &[[f64; 2]],
    adjacency: &[Vec<usize>],
    k: usize,
    options: &BalanceOptions,
    rng: &mut SplitMix64,
) -> Vec<usize> {
    const FREE: usize = usize::MAX;
    let n = atoms.len();
    let seeds = quantile_seeds(atoms, xy, k, options, rng);
    let mut district_of = vec![FREE; n];
    let mut sums = vec![Load::default(); k];
    let mut frontier: Vec<Vec<usize>> = vec![Vec::new(); k];
    let mut free = n;
    for (d, &s) in seeds.iter().enumerate() {
        district_of[s] = d;
        sums[d].add(&atoms[s], xy[s], 1.0);
        free -= 1;
    }
    for (d, &s) in seeds.iter().enumerate() {
        frontier[d].extend(adjacency[s].iter().filter(|&&j| district_of[j] == FREE));
    }
    let (measure, model) = (options.measure, &options.visit_model);
    while free > 0 {
        let mut lightest: Option<(usize, f64)> = None;
        for d in 0..k {
            frontier[d].retain(|&j| district_of[j] == FREE);
            if frontier[d].is_empty() {
                continue;
            }
            let load = sums[d].value(measure, model);
            if lightest.is_none_or(|(_, l)| load < l) {
                lightest = Some((d, load));
            }
        }
        let Some((d, _)) = lightest else {
            break; // only when the graph is disconnected, which `check_graph` refused
        };
        let seed = xy[seeds[d]];
        let pick = *frontier[d]
            .iter()
            .min_by(|&&i, &&j| {
                dist2(xy[i], seed)
                    .total_cmp(&dist2(xy[j], seed))
                    .then(i.cmp(&j))
            })
            .expect("frontier is not empty");
        district_of[pick] = d;
        sums[d].add(&atoms[pick], xy[pick], 1.0);
        free -= 1;
        for &j in &adjacency[pick] {
            if district_of[j] == FREE && !frontier[d].contains(&j) {
                frontier[d].push(j);
            }
        }
    }
    district_of
}

/// Interleaves the bits of two 16-bit numbers (Z-order / Morton code).
fn morton(x: u32, y: u32) -> u64 {
    let spread = |mut v: u64| {
        v &= 0xFFFF;
        v = (v | (v << 8)) & 0x00FF_00FF;
        v = (v | (v << 4)) & 0x0F0F_0F0F;
        v = (v | (v << 2)) & 0x3333_3333;
        (v | (v << 1)) & 0x5555_5555
    };
    spread(x as u64) | (spread(y as u64) << 1)
}

/// One seed per k-th of the total load along the Z-order curve, at a seeded random position
/// inside its share; distinct atoms.
fn quantile_seeds(
    atoms: &[Atom],
    xy: &[[f64; 2]],
    k: usize,
    options: &BalanceOptions,
    rng: &mut SplitMix64,
) -> Vec<usize> {
    let (mut x0, mut y0, mut x1, mut y1) = (f64::MAX, f64::MAX, f64::MIN, f64::MIN);
    for p in xy {
        x0 = x0.min(p[0]);
        y0 = y0.min(p[1]);
        x1 = x1.max(p[0]);
        y1 = y1.max(p[1]);
    }
    let q = |v: f64, lo: f64, hi: f64| (((v - lo) / (hi - lo).max(1e-9)) * 65535.0) as u32;
    let mut order: Vec<usize> = (0..atoms.len()).collect();
    order.sort_by_key(|&i| (morton(q(xy[i][0], x0, x1), q(xy[i][1], y0, y1)), i));
    // Weights: the measure's own additive part, never zero so empty atoms count a little.
    let weight = |a: &Atom| {
        let w = match options.measure {
            Measure::Revenue => a.revenue,
            Measure::Accounts | Measure::VisitHours => a.accounts,
        };
        w.max(0.0) + 1e-6
    };
    let total: f64 = atoms.iter().map(weight).sum();
    let mut seeds: Vec<usize> = Vec::with_capacity(k);
    let mut cumulative = 0.0;
    let mut next = 0usize;
    let offset = 0.25 + 0.5 * rng.unit();
    for &i in &order {
        cumulative += weight(&atoms[i]);
        while next < k && cumulative >= total * (next as f64 + offset) / k as f64 {
            if !seeds.contains(&i) {
                seeds.push(i);
            }
            next += 1;
        }
    }
    // Shares smaller than one atom collapse; fill up with unused atoms in curve order.
    for &i in &order {
        if seeds.len() >= k {
            break;
        }
        if !seeds.contains(&i) {
            seeds.push(i);
        }
    }
    seeds
}

/// Which rep (index) gets which district: greedily the pairs sharing the most accounts first,
/// so reps keep as many of their accounts as possible. `current` is the rep of each atom now
/// (None when it has none); the answer maps district → rep, a permutation of `0..k`.
pub fn match_districts(
    atoms: &[Atom],
    district_of: &[usize],
    current: &[Option<usize>],
    k: usize,
) -> Vec<usize> {
    let mut shared = vec![vec![0.0f64; k]; k];
    for ((atom, &d), rep) in atoms.iter().zip(district_of).zip(current) {
        if let Some(r) = rep.filter(|&r| r < k) {
            shared[d][r] += atom.accounts.max(1e-9);
        }
    }
    let mut rep_of = vec![usize::MAX; k];
    let mut rep_taken = vec![false; k];
    for _ in 0..k {
        let mut best: Option<(usize, usize, f64)> = None;
        for (d, row) in shared.iter().enumerate() {
            if rep_of[d] != usize::MAX {
                continue;
            }
            for (r, &s) in row.iter().enumerate() {
                if !rep_taken[r] && best.is_none_or(|(_, _, b)| s > b) {
                    best = Some((d, r, s));
                }
            }
        }
        if let Some((d, r, _)) = best {
            rep_of[d] = r;
            rep_taken[r] = true;
        }
    }
    rep_of
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::planning::atoms::components;

    /// A w×h lattice of unit-ish atoms around Java with uneven account counts.
    fn lattice(w: usize, h: usize, seed: u64) -> (Vec<Atom>, Vec<Vec<usize>>) {
        let mut rng = SplitMix64::new(seed);
        let mut atoms = Vec::new();
        let mut adjacency = vec![Vec::new(); w * h];
        for y in 0..h {
            for x in 0..w {
                atoms.push(Atom {
                    position: [106.0 + x as f64 * 0.1, -7.0 + y as f64 * 0.1],
                    area_km2: 120.0,
                    accounts: (1 + rng.below(if x < w / 3 { 12 } else { 3 })) as f64,
                    revenue: rng.below(1_000_000) as f64,
                });
                let i = y * w + x;
                if x + 1 < w {
                    adjacency[i].push(i + 1);
                    adjacency[i + 1].push(i);
                }
                if y + 1 < h {
                    adjacency[i].push(i + w);
                    adjacency[i + w].push(i);
                }
            }
        }
        (atoms, adjacency)
    }

    fn contiguous(district_of: &[usize], adjacency: &[Vec<usize>], k: usize) -> bool {
        (0..k).all(|d| {
            let members: Vec<usize> = (0..district_of.len())
                .filter(|&i| district_of[i] == d)
                .collect();
            let sub: Vec<Vec<usize>> = adjacency
                .iter()
                .enumerate()
                .map(|(i, l)| {
                    if district_of[i] == d {
                        l.iter().copied().filter(|&j| district_of[j] == d).collect()
                    } else {
                        Vec::new()
                    }
                })
                .collect();
            let (label, _) = components(&sub);
            !members.is_empty() && members.iter().all(|&i| label[i] == label[members[0]])
        })
    }

    #[test]
    fn districts_are_contiguous_complete_and_better_balanced() {
        for seed in 1..6 {
            let (atoms, adjacency) = lattice(14, 10, seed);
            for measure in Measure::ALL {
                let options = BalanceOptions {
                    measure,
                    seed,
                    ..BalanceOptions::default()
                };
                let k = 5;
                let r = balance(
                    &atoms,
                    &adjacency,
                    k,
                    None,
                    options,
                    &mut Budget::iterations(200_000),
                )
                .unwrap();
                assert_eq!(r.district_of.len(), atoms.len());
                assert!(r.district_of.iter().all(|&d| d < k));
                assert!(contiguous(&r.district_of, &adjacency, k), "{measure:?}");
                assert!(r.spread <= r.start_spread, "{measure:?} {r:?}");
                assert!(r.spread < 1.35, "{measure:?} spread {}", r.spread);
                // Loads recomputed from scratch equal the search's running sums.
                let mut sums = vec![Load::default(); k];
                let p = Projection::around(atoms.iter().map(|a| a.position));
                for (a, &d) in atoms.iter().zip(&r.district_of) {
                    sums[d].add(a, p.km(a.position), 1.0);
                }
                for (d, sum) in sums.iter().enumerate() {
                    let l = sum.value(measure, &options.visit_model);
                    assert!((l - r.loads[d]).abs() <= 1e-6 * l.max(1.0));
                }
            }
        }
    }

    #[test]
    fn never_worse_than_the_start_and_deterministic() {
        let (atoms, adjacency) = lattice(12, 8, 9);
        // Start: vertical stripes, heavy in the west.
        let initial: Vec<usize> = (0..atoms.len()).map(|i| (i % 12) / 3).collect();
        let run = || {
            balance(
                &atoms,
                &adjacency,
                4,
                Some(&initial),
                BalanceOptions::default(),
                &mut Budget::iterations(50_000),
            )
            .unwrap()
        };
        let (a, b) = (run(), run());
        assert_eq!(a, b);
        assert!(a.spread <= a.start_spread);
        assert!(a.cv < a.start_cv);
        assert!(contiguous(&a.district_of, &adjacency, 4));
    }

    #[test]
    fn bad_inputs_are_errors() {
        let (atoms, adjacency) = lattice(3, 2, 1);
        let opts = BalanceOptions::default();
        let mut b = Budget::iterations(10);
        assert_eq!(
            balance(&atoms, &adjacency, 0, None, opts, &mut b),
            Err(BalanceError::NoDistricts)
        );
        assert!(matches!(
            balance(&atoms, &adjacency, 7, None, opts, &mut b),
            Err(BalanceError::TooFewAtoms { .. })
        ));
        let cut: Vec<Vec<usize>> = vec![Vec::new(); atoms.len()];
        assert!(matches!(
            balance(&atoms, &cut, 2, None, opts, &mut b),
            Err(BalanceError::Disconnected { components: 6 })
        ));
        assert_eq!(
            balance(
                &atoms,
                &adjacency,
                2,
                Some(&[0, 0, 0, 0, 0, 0]),
                opts,
                &mut b
            ),
            Err(BalanceError::EmptyDistrict(1))
        );
    }

    #[test]
    fn measures_and_shapes() {
        let atom = |x: f64| Atom {
            position: [x, 0.0],
            area_km2: 1.0,
            accounts: 2.0,
            revenue: 10.0,
        };
        let mut l = Load::default();
        l.add(&atom(0.0), [0.0, 0.0], 1.0);
        assert!((l.compactness() - 1.0).abs() < 1e-9);
        l.add(&atom(1.0), [100.0, 0.0], 1.0);
        assert!(l.compactness() > 100.0);
        assert_eq!(l.value(Measure::Accounts, &VisitModel::default()), 4.0);
        assert_eq!(l.value(Measure::Revenue, &VisitModel::default()), 20.0);
        // 4 h on site plus a tour over a spread of 2π·2500 km².
        let hours = l.visit_hours(&VisitModel::default());
        let tour = 0.7124 * (4.0 * std::f64::consts::TAU * 2500.0f64).sqrt() / 30.0;
        assert!((hours - 4.0 - tour).abs() < 1e-9, "{hours}");
        l.add(&atom(1.0), [100.0, 0.0], -1.0);
        assert_eq!(l.atoms, 1);
        assert_eq!(spread(&[2.0, 4.0]), 2.0);
        assert_eq!(spread(&[0.0, 4.0]), f64::INFINITY);
    }

    #[test]
    fn districts_go_to_the_reps_who_hold_most_of_them() {
        let atoms: Vec<Atom> = (0..4)
            .map(|i| Atom {
                position: [i as f64, 0.0],
                area_km2: 1.0,
                accounts: 1.0,
                revenue: 0.0,
            })
            .collect();
        let rep_of = match_districts(&atoms, &[0, 0, 1, 1], &[Some(1), Some(1), Some(0), None], 2);
        assert_eq!(rep_of, vec![1, 0]);
    }
}
