//! What the optimiser is asked (visits, technicians) and what it answers (routes, unassigned visits).
//!
//! Locations are indices into the caller's [`TravelMatrix`](super::TravelMatrix); times are in the
//! matrix's time unit (seconds for great-circle or road matrices) on one clock, e.g. seconds since
//! local midnight.

use serde::{Deserialize, Serialize};

/// A closed interval `[start, end]` of times.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct TimeWindow {
    pub start: f64,
    pub end: f64,
}

impl TimeWindow {
    pub fn new(start: f64, end: f64) -> Self {
        Self { start, end }
    }
}

/// One visit to plan: an appointment with a customer or a prospect.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Visit {
    /// Index of the visit's location in the matrix.
    pub location: usize,
    /// Time spent on site.
    pub service_time: f64,
    /// When service may *start*; `None` means any time within the technician's shift.
    pub window: Option<TimeWindow>,
    /// Load taken from the vehicle's capacity (0 when capacities are not modelled).
    pub demand: u32,
    /// Skills the technician must have, e.g. `"gas"`, `"electrical"`.
    pub skills: Vec<String>,
}

impl Visit {
    /// A visit at `location` with the given service time and no other constraint.
    pub fn at(location: usize, service_time: f64) -> Self {
        Self {
            location,
            service_time,
            window: None,
            demand: 0,
            skills: Vec::new(),
        }
    }
}

/// A break of `duration` that must start inside `window`. It may be taken on site after a visit,
/// while waiting for a window to open, or on the way (travel and break do not overlap).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Break {
    pub window: TimeWindow,
    pub duration: f64,
}

/// A technician (vehicle) and their working day.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Vehicle {
    /// Where the day starts (home base or depot).
    pub start: usize,
    /// Where it ends; `None` for an open tour that ends at the last visit.
    pub end: Option<usize>,
    /// Working hours: leave `start` no earlier than `shift.start`, be back at `end` (or finish the
    /// last visit of an open tour) by `shift.end`.
    pub shift: TimeWindow,
    /// A mandatory break, if the technician has one.
    pub rest: Option<Break>,
    /// Capacity for [`Visit::demand`]; `None` is unlimited.
    pub capacity: Option<u32>,
    pub skills: Vec<String>,
}

impl Vehicle {
    /// A technician based at `base` who returns there, with the given shift and nothing else.
    pub fn at(base: usize, shift: TimeWindow) -> Self {
        Self {
            start: base,
            end: Some(base),
            shift,
            rest: None,
            capacity: None,
            skills: Vec::new(),
        }
    }
}

/// A day to plan: the visits and the technicians available (each usable at most once, so the
/// vehicle count limit is `vehicles.len()`).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Problem {
    pub visits: Vec<Visit>,
    pub vehicles: Vec<Vehicle>,
}

/// What the search minimises: `distance + vehicle_cost × routes used`, with unassigned visits
/// penalised far above both (so a visit is left out only when no plan can include it).
///
/// `vehicle_cost = 0` minimises distance alone (the DIMACS 2021 VRPTW convention); a cost larger
/// than any plausible route length approximates the hierarchical "vehicles first, then distance"
/// objective of the older literature.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Options {
    /// Seed of the search; the same seed and iteration budget give the same plan.
    pub seed: u64,
    /// Fixed cost of using a technician, in distance units.
    pub vehicle_cost: f64,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            seed: 1,
            vehicle_cost: 0.0,
        }
    }
}

/// A visit in a planned route with its schedule.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Stop {
    /// Index into [`Problem::visits`].
    pub visit: usize,
    pub arrival: f64,
    /// Service start (after any wait for the window and any break taken on arrival).
    pub start: f64,
    pub departure: f64,
}

/// Where and when the break falls.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ScheduledBreak {
    /// Number of stops served before the break (0 = before the first visit).
    pub after_stops: usize,
    pub start: f64,
    pub end: f64,
}

/// One technician's planned day.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Route {
    /// Index into [`Problem::vehicles`].
    pub vehicle: usize,
    pub stops: Vec<Stop>,
    pub rest: Option<ScheduledBreak>,
    /// Departure from the start location.
    pub start_time: f64,
    /// Arrival at the end location (or end of the last visit for an open tour).
    pub end_time: f64,
    pub distance: f64,
    pub load: u32,
}

/// Why a visit is not in any route.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum UnassignedReason {
    /// No technician has every skill the visit requires.
    NoTechnicianWithSkills,
    /// Its demand exceeds every suitable vehicle's capacity.
    ExceedsCapacity,
    /// Even as the only visit of the day, no suitable technician can reach it inside its window
    /// and get back within the shift (including the break).
    OutsideWorkingHours,
    /// It fits alone, but the fleet is full: no technician's day had room for it.
    FleetFull,
}

/// A visit left out of the plan, with the reason.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Unassigned {
    pub visit: usize,
    pub reason: UnassignedReason,
}

/// The answer: non-empty routes, and every visit not in them with a reason.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Plan {
    pub routes: Vec<Route>,
    pub unassigned: Vec<Unassigned>,
    /// Sum of the route distances.
    pub distance: f64,
    /// Search iterations performed.
    pub iterations: u64,
}

impl Plan {
    pub fn vehicles_used(&self) -> usize {
        self.routes.len()
    }
}

/// Input the optimiser refuses.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum RoutingError {
    #[error("location {location} of {what} is outside the matrix of {size} locations")]
    LocationOutOfRange {
        what: String,
        location: usize,
        size: usize,
    },
    #[error("{what} has a non-finite or negative time value")]
    BadTime { what: String },
    #[error("the matrix has a non-finite or negative entry from {from} to {to}")]
    BadMatrix { from: usize, to: usize },
    #[error("more than 64 distinct skills")]
    TooManySkills,
}
