//! Route optimiser: one technician's day (a travelling-salesman tour from and back to a home base)
//! and a team's day (vehicle routing with time windows, service times, shifts, breaks, skills and
//! capacities), plus insertion suggestions for prospects along a planned route.
//!
//! Pure and single-threaded: it compiles to wasm32 so a tablet can re-plan offline. The search
//! stops on a [`Budget`] (iterations, and a time limit read from a clock the caller injects) and is
//! deterministic for a seed under an iteration budget. See `docs/routing.md` for the algorithms,
//! the objective and benchmark figures.
//!
//! ```
//! use wilayah_shared::routing::*;
//! // A depot and three customers on a line, unit speed.
//! let m = DenseMatrix::euclidean(&[(0.0, 0.0), (1.0, 0.0), (2.0, 0.0), (3.0, 0.0)]);
//! let problem = Problem {
//!     visits: (1..4).map(|l| Visit::at(l, 0.0)).collect(),
//!     vehicles: vec![Vehicle::at(0, TimeWindow::new(0.0, 100.0))],
//! };
//! let plan = solve(&m, &problem, &Options::default(), &mut Budget::iterations(100)).unwrap();
//! assert_eq!(plan.distance, 6.0);
//! assert!(plan.unassigned.is_empty());
//! ```

mod budget;
mod instance;
mod lns;
mod matrix;
mod model;
mod rng;
mod suggest;
mod tsp;

pub use budget::Budget;
pub use matrix::{DenseMatrix, TravelMatrix};
pub use model::{
    Break, Options, Plan, Problem, Route, RoutingError, ScheduledBreak, Stop, TimeWindow,
    Unassigned, UnassignedReason, Vehicle, Visit,
};
pub use suggest::{DetourBudget, Suggestion, suggest_insertions};

use instance::Inst;

/// Plans the day: assigns visits to vehicles and orders them, minimising
/// `distance + options.vehicle_cost × vehicles used` and leaving out (with a reason) only visits
/// that no plan can include.
pub fn solve(
    matrix: &dyn TravelMatrix,
    problem: &Problem,
    options: &Options,
    budget: &mut Budget,
) -> Result<Plan, RoutingError> {
    solve_from(matrix, problem, &[], options, budget)
}

/// Re-plans after a change, starting from `start`: routes as `(vehicle, visits in order)`, e.g.
/// the previous plan's. Each route keeps its visits in their order as far as they still fit
/// (visits that no longer exist, moved to another technician or became infeasible are dropped
/// from it); every other visit is inserted at its cheapest place; then the search improves the
/// whole as [`solve`] does. With `Budget::iterations(0)` this is the least-disruptive re-plan.
pub fn solve_from(
    matrix: &dyn TravelMatrix,
    problem: &Problem,
    start: &[(usize, Vec<usize>)],
    options: &Options,
    budget: &mut Budget,
) -> Result<Plan, RoutingError> {
    budget.start();
    let inst = Inst::compile(matrix, problem)?;
    let n = inst.n();
    let reasons: Vec<_> = (0..n).map(|c| inst.alone_reason(c)).collect();
    let pool: Vec<usize> = (0..n).filter(|&c| reasons[c].is_none()).collect();
    let finish = |seqs: Vec<(usize, Vec<usize>)>, iterations: u64| {
        let mut served = vec![false; n];
        let routes: Vec<Route> = seqs
            .into_iter()
            .filter(|(_, s)| !s.is_empty())
            .map(|(v, s)| {
                s.iter().for_each(|&c| served[c] = true);
                inst.schedule(v, &s)
                    .expect("the search keeps every route feasible")
            })
            .collect();
        let unassigned = (0..n)
            .filter(|&c| !served[c])
            .map(|c| Unassigned {
                visit: c,
                reason: reasons[c].unwrap_or(UnassignedReason::FleetFull),
            })
            .collect();
        Plan {
            distance: routes.iter().map(|r| r.distance).sum(),
            routes,
            unassigned,
            iterations,
        }
    };

    if start.is_empty() && tsp_applies(&inst, &pool) {
        let (order, iterations) = tsp::solve(&inst, &pool, options.seed, budget);
        if inst.seq_feasible(0, &order, &mut Vec::new()) {
            return Ok(finish(vec![(0, order)], iterations));
        }
    }
    let mut lns = lns::Lns::new(&inst, &pool, options.vehicle_cost.max(0.0), options.seed);
    let (best, iterations) = lns.run(&pool, start, budget);
    Ok(finish(
        best.routes.into_iter().map(|r| (r.v, r.nodes)).collect(),
        iterations,
    ))
}

/// One vehicle, no windows, no break, capacity not binding, symmetric distances: a plain tour.
fn tsp_applies(inst: &Inst, pool: &[usize]) -> bool {
    let [veh] = inst.veh.as_slice() else {
        return false;
    };
    let load: u64 = pool.iter().map(|&c| u64::from(inst.q[c])).sum();
    let locs = || {
        [veh.start, veh.end]
            .into_iter()
            .chain(pool.iter().map(|&c| inst.loc[c]))
            .collect::<Vec<_>>()
    };
    veh.brk.is_none()
        && load <= u64::from(veh.cap)
        && pool
            .iter()
            .all(|&c| inst.e[c] == f64::NEG_INFINITY && inst.l[c] == f64::INFINITY)
        && inst.symmetric(&locs())
}

/// An optimised tour through `stops` (matrix indices) from `start`, back to `end` (`None` for an
/// open path ending at the last stop), ignoring time.
#[derive(Debug, Clone, PartialEq)]
pub struct Tour {
    /// Positions in `stops`, in visiting order.
    pub order: Vec<usize>,
    pub distance: f64,
}

/// Shortest tour (travelling salesman) through `stops`: the single-technician day without windows.
pub fn optimise_tour(
    matrix: &dyn TravelMatrix,
    start: usize,
    end: Option<usize>,
    stops: &[usize],
    seed: u64,
    budget: &mut Budget,
) -> Result<Tour, RoutingError> {
    let problem = Problem {
        visits: stops.iter().map(|&l| Visit::at(l, 0.0)).collect(),
        vehicles: vec![Vehicle {
            end,
            ..Vehicle::at(start, TimeWindow::new(0.0, f64::MAX))
        }],
    };
    let plan = solve(
        matrix,
        &problem,
        &Options {
            seed,
            vehicle_cost: 0.0,
        },
        budget,
    )?;
    Ok(Tour {
        order: plan
            .routes
            .first()
            .map(|r| r.stops.iter().map(|s| s.visit).collect())
            .unwrap_or_default(),
        distance: plan.distance,
    })
}
