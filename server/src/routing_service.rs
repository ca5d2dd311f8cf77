//! Route planning glue, free of I/O: from the day's visits and technicians (database rows) to the
//! optimiser's [`Problem`], and from its [`Plan`] back to ids, positions and UTC times.
//!
//! The optimiser works on one clock in seconds; here that is seconds since local midnight of the
//! planned day ([`Day`]), so shifts (`work_start`/`work_end`, local `HH:MM`) and visit windows
//! (UTC timestamps) meet on the same axis.

use chrono::{DateTime, Duration, NaiveDate, SecondsFormat, Utc};
use serde::Serialize;
use wilayah_shared::LonLat;
use wilayah_shared::routing::{
    Budget, DetourBudget, Options, Plan, Problem, Route, RoutingError, TimeWindow, TravelMatrix,
    UnassignedReason, Vehicle, Visit, solve_from, suggest_insertions,
};

use crate::db::{Technician, VisitToPlan};

/// How route planning measures travel.
#[derive(Debug, Clone, PartialEq)]
pub struct RouteSettings {
    /// Average speed on great-circle distances, km/h.
    pub speed_kmh: f64,
    /// OSRM-compatible server for road distances, if configured.
    pub osrm_url: Option<String>,
}

impl RouteSettings {
    pub fn speed_m_per_s(&self) -> f64 {
        self.speed_kmh / 3.6
    }
}

/// The local calendar day being planned.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Day {
    pub date: NaiveDate,
    pub utc_offset_minutes: i32,
    /// Local midnight, in UTC.
    origin: DateTime<Utc>,
}

impl Day {
    /// `None` when the day, or the day after it, leaves chrono's range (checked arithmetic, so
    /// a date from a request never panics).
    pub fn new(date: NaiveDate, utc_offset_minutes: i32) -> Option<Self> {
        let midnight = date.and_hms_opt(0, 0, 0)?.and_utc();
        let origin =
            midnight.checked_sub_signed(Duration::minutes(i64::from(utc_offset_minutes)))?;
        origin.checked_add_signed(Duration::days(1))?;
        Some(Self {
            date,
            utc_offset_minutes,
            origin,
        })
    }

    /// Local midnight that starts the day, in UTC.
    pub fn start(&self) -> DateTime<Utc> {
        self.origin
    }

    /// Local midnight that ends the day, in UTC.
    pub fn end(&self) -> DateTime<Utc> {
        self.origin + Duration::days(1)
    }

    /// Seconds since local midnight.
    pub fn seconds(&self, t: DateTime<Utc>) -> f64 {
        (t - self.origin).num_milliseconds() as f64 / 1000.0
    }

    /// The instant `seconds` after local midnight, rounded down to the second (so a start that
    /// is inside a window stays inside it).
    pub fn at(&self, seconds: f64) -> DateTime<Utc> {
        self.origin + Duration::seconds(seconds.floor() as i64)
    }

    /// RFC 3339 UTC text of [`Day::at`].
    pub fn text(&self, seconds: f64) -> String {
        self.at(seconds).to_rfc3339_opts(SecondsFormat::Secs, true)
    }
}

/// Minutes since midnight of a `HH:MM` time of day.
pub fn minutes_of_day(text: &str) -> Option<u32> {
    let (h, m) = text.trim().split_once(':')?;
    let (h, m) = (h.parse::<u32>().ok()?, m.parse::<u32>().ok()?);
    (h < 24 && m < 60).then_some(h * 60 + m)
}

/// Why a day cannot be put to the optimiser.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum PlanError {
    #[error("technician {id} ({name}) has no home base: set home_lon and home_lat")]
    NoHomeBase { id: i64, name: String },
    #[error("technician {id} ({name}) has an unreadable shift {start:?}–{end:?}")]
    BadShift {
        id: i64,
        name: String,
        start: String,
        end: String,
    },
    #[error("visit {id}'s account has an invalid position")]
    BadPosition { id: i64 },
    #[error(
        "too many technicians for one plan while visits keep their technicians (at most 64); plan them in groups or set reassign"
    )]
    TooManyTechnicians,
    #[error("the optimiser refused the day: {0}")]
    Routing(RoutingError),
}

impl From<RoutingError> for PlanError {
    fn from(e: RoutingError) -> Self {
        match e {
            RoutingError::TooManySkills => PlanError::TooManyTechnicians,
            other => PlanError::Routing(other),
        }
    }
}

/// The skill that ties a visit to one technician (visits have no skill requirements of their
/// own yet, so this is the only kind of skill a plan uses).
fn technician_tag(id: i64) -> String {
    format!("tech:{id}")
}

/// A day put into the optimiser's terms. Vehicle `i` is `technicians[i]`; visit `j` is
/// `visits[j]`; matrix locations are the technicians' home bases, then the visits, then any
/// extra points (suggestion candidates) a caller appends.
#[derive(Debug, Clone)]
pub struct DayProblem {
    pub day: Day,
    pub technicians: Vec<Technician>,
    pub visits: Vec<VisitToPlan>,
    pub locations: Vec<LonLat>,
    pub problem: Problem,
}

impl DayProblem {
    /// Every technician needs a home base (their day starts and ends there) and a readable
    /// shift. With `keep_assignment`, a visit that has a technician in `technicians` can only
    /// go to them; visits without one (or whose technician is not planned) can go to anyone.
    pub fn build(
        day: Day,
        technicians: Vec<Technician>,
        visits: Vec<VisitToPlan>,
        keep_assignment: bool,
    ) -> Result<Self, PlanError> {
        let mut locations = Vec::with_capacity(technicians.len() + visits.len());
        let mut vehicles = Vec::with_capacity(technicians.len());
        for (i, t) in technicians.iter().enumerate() {
            let home = t
                .home_lon
                .zip(t.home_lat)
                .and_then(|(lon, lat)| LonLat::new(lon, lat).ok())
                .ok_or_else(|| PlanError::NoHomeBase {
                    id: t.id,
                    name: t.name.clone(),
                })?;
            let shift = minutes_of_day(&t.work_start)
                .zip(minutes_of_day(&t.work_end))
                .filter(|(s, e)| s < e)
                .ok_or_else(|| PlanError::BadShift {
                    id: t.id,
                    name: t.name.clone(),
                    start: t.work_start.clone(),
                    end: t.work_end.clone(),
                })?;
            locations.push(home);
            let mut skills = t.skills.0.clone();
            skills.push(technician_tag(t.id));
            vehicles.push(Vehicle {
                skills,
                ..Vehicle::at(
                    i,
                    TimeWindow::new(f64::from(shift.0 * 60), f64::from(shift.1 * 60)),
                )
            });
        }
        let planned = |id: Option<i64>| id.filter(|id| technicians.iter().any(|t| t.id == *id));
        let mut problem_visits = Vec::with_capacity(visits.len());
        for v in &visits {
            let position =
                LonLat::new(v.lon, v.lat).map_err(|_| PlanError::BadPosition { id: v.id })?;
            let location = locations.len();
            locations.push(position);
            let skills = match planned(v.technician_id) {
                Some(id) if keep_assignment => vec![technician_tag(id)],
                _ => Vec::new(),
            };
            problem_visits.push(Visit {
                window: Some(TimeWindow::new(
                    day.seconds(v.window_start),
                    day.seconds(v.window_end),
                )),
                skills,
                ..Visit::at(location, (v.duration_min.max(0) * 60) as f64)
            });
        }
        Ok(Self {
            day,
            technicians,
            visits,
            locations,
            problem: Problem {
                visits: problem_visits,
                vehicles,
            },
        })
    }

    /// Plans the day: `previous` routes (vehicle, visits in order) are the starting point, as
    /// [`solve_from`] takes them (empty for a fresh plan).
    pub fn solve(
        &self,
        matrix: &dyn TravelMatrix,
        previous: &[(usize, Vec<usize>)],
        seed: u64,
        budget: &mut Budget,
    ) -> Result<Plan, PlanError> {
        let options = Options {
            seed,
            vehicle_cost: 0.0,
        };
        Ok(solve_from(
            matrix,
            &self.problem,
            previous,
            &options,
            budget,
        )?)
    }
}

/// A planned stop as the API answers it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PlannedStop {
    pub visit_id: i64,
    pub account_id: i64,
    pub account_name: String,
    pub lon: f64,
    pub lat: f64,
    pub status: String,
    pub window_start: String,
    pub window_end: String,
    pub duration_min: i64,
    pub arrival_at: String,
    /// Service start: at or after arrival (waiting for the window) and inside the window.
    pub start_at: String,
    pub departure_at: String,
    /// From the previous stop (or the home base).
    pub leg_distance_m: f64,
    pub leg_travel_s: f64,
}

/// One technician's planned day.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PlannedRoute {
    pub technician_id: i64,
    pub technician_name: String,
    pub home_lon: f64,
    pub home_lat: f64,
    pub shift_start: String,
    pub shift_end: String,
    /// Leaving home (`null` when the technician has no stops).
    pub depart_at: Option<String>,
    /// Back home.
    pub return_at: Option<String>,
    pub stops: Vec<PlannedStop>,
    /// The way home from the last stop.
    pub return_leg_distance_m: f64,
    pub distance_m: f64,
    pub travel_s: f64,
    pub visits: usize,
}

/// A visit the plan leaves out, and why.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LeftOut {
    pub visit_id: i64,
    pub account_id: i64,
    pub account_name: String,
    pub technician_id: Option<i64>,
    pub window_start: String,
    pub window_end: String,
    /// `no_suitable_technician` (its technician is not in the plan or has no home base),
    /// `outside_working_hours` (cannot be reached inside its window and home by the shift end
    /// even as the only visit), `no_room` (fits alone, not with the rest of the day),
    /// `exceeds_capacity`.
    pub reason: &'static str,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Totals {
    pub distance_m: f64,
    pub travel_s: f64,
    pub visits: usize,
    pub unassigned: usize,
    pub technicians_used: usize,
}

/// The answer of `POST /routes/plan`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DayPlan {
    pub date: NaiveDate,
    pub utc_offset_minutes: i32,
    /// Where distances come from: `great_circle`, `osrm` (road distances), or
    /// `great_circle_fallback` (OSRM is configured but failed; see docs/routing.md).
    pub distances: &'static str,
    /// Average speed used with great-circle distances, km/h (`null` with road durations).
    pub speed_kmh: Option<f64>,
    pub routes: Vec<PlannedRoute>,
    pub unassigned: Vec<LeftOut>,
    pub totals: Totals,
    pub iterations: u64,
    pub elapsed_ms: u64,
}

pub fn reason_code(reason: UnassignedReason) -> &'static str {
    match reason {
        UnassignedReason::NoTechnicianWithSkills => "no_suitable_technician",
        UnassignedReason::ExceedsCapacity => "exceeds_capacity",
        UnassignedReason::OutsideWorkingHours => "outside_working_hours",
        UnassignedReason::FleetFull => "no_room",
    }
}

fn hh_mm(minutes: f64) -> String {
    let m = (minutes / 60.0).round() as i64;
    format!("{:02}:{:02}", m / 60, m % 60)
}

impl DayProblem {
    fn planned_route(
        &self,
        matrix: &dyn TravelMatrix,
        v: usize,
        route: Option<&Route>,
    ) -> PlannedRoute {
        let t = &self.technicians[v];
        let vehicle = &self.problem.vehicles[v];
        let mut previous = vehicle.start;
        let mut stops = Vec::new();
        let (mut distance, mut travel) = (0.0, 0.0);
        for stop in route.map(|r| r.stops.as_slice()).unwrap_or_default() {
            let visit = &self.visits[stop.visit];
            let here = self.problem.visits[stop.visit].location;
            let leg_distance_m = matrix.distance(previous, here);
            let leg_travel_s = matrix.time(previous, here);
            distance += leg_distance_m;
            travel += leg_travel_s;
            previous = here;
            stops.push(PlannedStop {
                visit_id: visit.id,
                account_id: visit.account_id,
                account_name: visit.account_name.clone(),
                lon: visit.lon,
                lat: visit.lat,
                status: visit.status.clone(),
                window_start: rfc3339(visit.window_start),
                window_end: rfc3339(visit.window_end),
                duration_min: visit.duration_min,
                arrival_at: self.day.text(stop.arrival),
                start_at: self.day.text(stop.start),
                departure_at: self.day.text(stop.departure),
                leg_distance_m,
                leg_travel_s,
            });
        }
        let end = vehicle.end.unwrap_or(vehicle.start);
        let return_leg_distance_m = if stops.is_empty() {
            0.0
        } else {
            travel += matrix.time(previous, end);
            matrix.distance(previous, end)
        };
        distance += return_leg_distance_m;
        PlannedRoute {
            technician_id: t.id,
            technician_name: t.name.clone(),
            home_lon: self.locations[vehicle.start].lon(),
            home_lat: self.locations[vehicle.start].lat(),
            shift_start: hh_mm(vehicle.shift.start),
            shift_end: hh_mm(vehicle.shift.end),
            depart_at: route.map(|r| self.day.text(r.start_time)),
            return_at: route.map(|r| self.day.text(r.end_time)),
            visits: stops.len(),
            stops,
            return_leg_distance_m,
            distance_m: distance,
            travel_s: travel,
        }
    }

    /// The plan in ids and UTC times: one route per technician (empty when they have no stops),
    /// in the order of `technicians`.
    pub fn answer(
        &self,
        matrix: &dyn TravelMatrix,
        plan: &Plan,
        distances: &'static str,
        speed_kmh: Option<f64>,
        elapsed_ms: u64,
    ) -> DayPlan {
        let routes: Vec<PlannedRoute> = (0..self.technicians.len())
            .map(|v| {
                let route = plan.routes.iter().find(|r| r.vehicle == v);
                self.planned_route(matrix, v, route)
            })
            .collect();
        let unassigned: Vec<LeftOut> = plan
            .unassigned
            .iter()
            .map(|u| {
                let v = &self.visits[u.visit];
                LeftOut {
                    visit_id: v.id,
                    account_id: v.account_id,
                    account_name: v.account_name.clone(),
                    technician_id: v.technician_id,
                    window_start: rfc3339(v.window_start),
                    window_end: rfc3339(v.window_end),
                    reason: reason_code(u.reason),
                }
            })
            .collect();
        let totals = Totals {
            distance_m: routes.iter().map(|r| r.distance_m).sum(),
            travel_s: routes.iter().map(|r| r.travel_s).sum(),
            visits: routes.iter().map(|r| r.visits).sum(),
            unassigned: unassigned.len(),
            technicians_used: routes.iter().filter(|r| r.visits > 0).count(),
        };
        DayPlan {
            date: self.day.date,
            utc_offset_minutes: self.day.utc_offset_minutes,
            distances,
            speed_kmh,
            routes,
            unassigned,
            totals,
            iterations: plan.iterations,
            elapsed_ms,
        }
    }
}

pub fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// A place that might be added to a route (a prospect near it).
#[derive(Debug, Clone, PartialEq)]
pub struct Candidate {
    pub account_id: i64,
    pub name: String,
    pub position: LonLat,
    /// Great-circle distance from the route's legs.
    pub distance_from_route_m: f64,
}

/// A candidate that fits into the route.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Suggested {
    pub account_id: i64,
    pub account_name: String,
    pub lon: f64,
    pub lat: f64,
    /// Insert before `stops[position]` of the route (`stops.len()`: after the last stop).
    pub position: usize,
    pub after_visit_id: Option<i64>,
    pub before_visit_id: Option<i64>,
    pub extra_distance_m: f64,
    /// Extra driving, not counting the time on site.
    pub extra_travel_min: f64,
    /// How much later the day ends (driving, time on site and any new waiting).
    pub extra_duration_min: f64,
    pub distance_from_route_m: f64,
    pub arrival_at: String,
    pub start_at: String,
    pub departure_at: String,
    /// Back home with the new stop.
    pub return_at: String,
}

/// One technician's route as a fixed sequence, ready for suggestions: vehicle 0, visits
/// `0..n` in route order.
impl DayProblem {
    /// Whether visits `0..n` in that order fit the technician's day (windows and shift).
    pub fn fixed_route_fits(&self, matrix: &dyn TravelMatrix) -> Result<bool, PlanError> {
        let order: Vec<usize> = (0..self.problem.visits.len()).collect();
        if order.is_empty() {
            return Ok(true);
        }
        let plan = self.solve(matrix, &[(0, order.clone())], 1, &mut Budget::iterations(0))?;
        Ok(match plan.routes.as_slice() {
            [route] => {
                plan.unassigned.is_empty()
                    && route
                        .stops
                        .iter()
                        .map(|s| s.visit)
                        .eq(order.iter().copied())
            }
            _ => false,
        })
    }

    /// Candidates (whose positions are at `self.locations[first_candidate..]`) that fit into the
    /// fixed route within `budget`, cheapest detour first, at most `limit`; each with the
    /// schedule of its stop in the extended route.
    pub fn suggest(
        &self,
        matrix: &dyn TravelMatrix,
        candidates: &[Candidate],
        first_candidate: usize,
        service_s: f64,
        budget: DetourBudget,
        limit: usize,
    ) -> Result<Vec<Suggested>, PlanError> {
        let order: Vec<usize> = (0..self.problem.visits.len()).collect();
        let visits: Vec<Visit> = (0..candidates.len())
            .map(|i| Visit::at(first_candidate + i, service_s))
            .collect();
        let found = suggest_insertions(matrix, &self.problem, 0, &order, &visits, budget)?;
        let mut out = Vec::new();
        for s in found.into_iter().take(limit) {
            let candidate = &candidates[s.candidate];
            let mut extended = self.problem.clone();
            extended.visits.push(visits[s.candidate].clone());
            let new = extended.visits.len() - 1;
            let mut sequence = order.clone();
            sequence.insert(s.position, new);
            let plan = solve_from(
                matrix,
                &extended,
                &[(0, sequence)],
                &Options::default(),
                &mut Budget::iterations(0),
            )?;
            let Some(route) = plan.routes.first() else {
                continue;
            };
            let Some(stop) = route.stops.iter().find(|st| st.visit == new) else {
                continue;
            };
            let id_at = |p: usize| self.visits.get(p).map(|v| v.id);
            out.push(Suggested {
                account_id: candidate.account_id,
                account_name: candidate.name.clone(),
                lon: candidate.position.lon(),
                lat: candidate.position.lat(),
                position: s.position,
                after_visit_id: s.position.checked_sub(1).and_then(id_at),
                before_visit_id: id_at(s.position),
                extra_distance_m: s.extra_distance,
                extra_travel_min: s.extra_travel_time / 60.0,
                extra_duration_min: s.extra_duration / 60.0,
                distance_from_route_m: candidate.distance_from_route_m,
                arrival_at: self.day.text(stop.arrival),
                start_at: self.day.text(stop.start),
                departure_at: self.day.text(stop.departure),
                return_at: self.day.text(route.end_time),
            });
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use sqlx::types::Json;
    use wilayah_shared::routing::DenseMatrix;

    fn technician(id: i64, lon: f64, lat: f64) -> Technician {
        Technician {
            id,
            name: format!("T{id}"),
            home_lon: Some(lon),
            home_lat: Some(lat),
            skills: Json(vec!["installation".into()]),
            work_start: "08:00".into(),
            work_end: "17:00".into(),
        }
    }

    fn visit(id: i64, technician: Option<i64>, lon: f64, local_hour: u32) -> VisitToPlan {
        // 2026-11-23 in WIB (UTC+7).
        let start = Utc
            .with_ymd_and_hms(2026, 11, 23, local_hour - 7, 0, 0)
            .unwrap();
        VisitToPlan {
            id,
            account_id: 100 + id,
            account_name: format!("A{id}"),
            lon,
            lat: -6.2,
            technician_id: technician,
            window_start: start,
            window_end: start + Duration::hours(2),
            duration_min: 30,
            status: "scheduled".into(),
        }
    }

    #[test]
    fn a_day_is_seconds_since_local_midnight() {
        let day = Day::new(NaiveDate::from_ymd_opt(2026, 11, 23).unwrap(), 420).unwrap();
        assert_eq!(rfc3339(day.start()), "2026-11-22T17:00:00Z");
        let nine = Utc.with_ymd_and_hms(2026, 11, 23, 2, 0, 0).unwrap();
        assert_eq!(day.seconds(nine), 9.0 * 3600.0);
        assert_eq!(day.text(9.0 * 3600.0 + 0.9), "2026-11-23T02:00:00Z");
        assert_eq!(minutes_of_day("08:30"), Some(510));
        assert_eq!(minutes_of_day("24:00"), None);
    }

    #[test]
    fn visits_stay_with_their_technician_unless_reassigned() {
        let day = Day::new(NaiveDate::from_ymd_opt(2026, 11, 23).unwrap(), 420).unwrap();
        // Visit 1 belongs to technician 2 but sits on technician 1's doorstep.
        let technicians = vec![technician(1, 106.80, -6.2), technician(2, 106.90, -6.2)];
        let visits = vec![visit(1, Some(2), 106.80, 9), visit(2, None, 106.90, 10)];
        for (keep, expected) in [(true, 2), (false, 1)] {
            let dp = DayProblem::build(day, technicians.clone(), visits.clone(), keep).unwrap();
            let m = DenseMatrix::great_circle(&dp.locations, 30.0 / 3.6);
            let plan = dp.solve(&m, &[], 1, &mut Budget::iterations(200)).unwrap();
            let answer = dp.answer(&m, &plan, "great_circle", Some(30.0), 0);
            let holder = answer
                .routes
                .iter()
                .find(|r| r.stops.iter().any(|s| s.visit_id == 1))
                .unwrap();
            assert_eq!(holder.technician_id, expected, "keep = {keep}");
            assert_eq!(answer.totals.visits, 2);
            let first = &holder.stops[0];
            assert!(first.start_at.as_str() >= first.window_start.as_str());
            assert!(first.start_at.as_str() <= first.window_end.as_str());
        }
    }

    #[test]
    fn a_technician_without_home_base_is_refused() {
        let day = Day::new(NaiveDate::from_ymd_opt(2026, 11, 23).unwrap(), 420).unwrap();
        let mut t = technician(1, 0.0, 0.0);
        t.home_lat = None;
        assert!(matches!(
            DayProblem::build(day, vec![t], vec![], true),
            Err(PlanError::NoHomeBase { id: 1, .. })
        ));
    }
}
