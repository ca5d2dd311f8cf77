//! "Nearby prospects along the route": which candidate visits fit into a planned route within a
//! detour budget, where, and at what cost.

use super::instance::Inst;
use super::matrix::TravelMatrix;
use super::model::{Problem, RoutingError, Visit};
use serde::{Deserialize, Serialize};

/// The most a suggestion may add to the route. `None` leaves that dimension unlimited.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct DetourBudget {
    /// Extra distance (metres for great-circle and road matrices).
    pub max_extra_distance: Option<f64>,
    /// Extra travel time, not counting the time on site.
    pub max_extra_travel_time: Option<f64>,
}

/// A candidate that fits, with its cheapest position.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Suggestion {
    /// Index into the `candidates` slice.
    pub candidate: usize,
    /// Insert before this stop of the sequence (`sequence.len()` = after the last stop).
    pub position: usize,
    pub extra_distance: f64,
    pub extra_travel_time: f64,
    /// How much later the day ends (travel, service and any new waiting).
    pub extra_duration: f64,
}

/// Candidates that vehicle `vehicle` can add to its planned `sequence` (indices into
/// `problem.visits`) without breaking a time window, the shift, the break, the capacity or a skill
/// requirement, within `budget`; each at its cheapest position by extra distance. Sorted by extra
/// distance, then extra travel time, then candidate index.
pub fn suggest_insertions(
    matrix: &dyn TravelMatrix,
    problem: &Problem,
    vehicle: usize,
    sequence: &[usize],
    candidates: &[Visit],
    budget: DetourBudget,
) -> Result<Vec<Suggestion>, RoutingError> {
    let mut extended = problem.clone();
    extended.visits.extend_from_slice(candidates);
    let inst = Inst::compile(matrix, &extended)?;
    if vehicle >= inst.veh.len() {
        return Ok(Vec::new());
    }
    let Some(base) = inst.schedule(vehicle, sequence) else {
        return Ok(Vec::new());
    };
    let base_time = inst.seq_travel_time(vehicle, sequence);
    let n0 = problem.visits.len();
    let mut seq = Vec::with_capacity(sequence.len() + 1);
    let mut z = Vec::new();
    let mut out = Vec::new();
    for (i, _) in candidates.iter().enumerate() {
        let c = n0 + i;
        if !inst.eligible(vehicle, c) {
            continue;
        }
        let mut best: Option<Suggestion> = None;
        for p in 0..=sequence.len() {
            seq.clear();
            seq.extend_from_slice(&sequence[..p]);
            seq.push(c);
            seq.extend_from_slice(&sequence[p..]);
            let extra_distance = inst.seq_distance(vehicle, &seq) - base.distance;
            let extra_travel_time = inst.seq_travel_time(vehicle, &seq) - base_time;
            if budget
                .max_extra_distance
                .is_some_and(|m| extra_distance > m)
                || budget
                    .max_extra_travel_time
                    .is_some_and(|m| extra_travel_time > m)
                || best.is_some_and(|b| {
                    (b.extra_distance, b.extra_travel_time) <= (extra_distance, extra_travel_time)
                })
                || !inst.seq_feasible(vehicle, &seq, &mut z)
            {
                continue;
            }
            let Some(route) = inst.schedule(vehicle, &seq) else {
                continue;
            };
            best = Some(Suggestion {
                candidate: i,
                position: p,
                extra_distance,
                extra_travel_time,
                extra_duration: route.end_time - base.end_time,
            });
        }
        out.extend(best);
    }
    out.sort_by(|a, b| {
        a.extra_distance
            .total_cmp(&b.extra_distance)
            .then(a.extra_travel_time.total_cmp(&b.extra_travel_time))
            .then(a.candidate.cmp(&b.candidate))
    });
    Ok(out)
}
