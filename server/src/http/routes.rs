//! Route planning over HTTP: `POST /routes/plan` (a team's or one technician's day from the
//! scheduled visits) and `POST /routes/suggest` (prospects that fit into a planned route).
//! The glue to the optimiser is in [`crate::routing_service`]; the search runs on a blocking
//! thread with a time budget measured by `Instant`.

use std::collections::{BTreeSet, HashMap};
use std::time::{Duration, Instant};

use axum::Json;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use wilayah_app::store::StoreError;
use wilayah_shared::LonLat;
use wilayah_shared::account::ValidationError;
use wilayah_shared::domain::AccountKind;
use wilayah_shared::routing::{Budget, DenseMatrix, DetourBudget, Plan};
use wilayah_shared::spatial::haversine_m;

use super::declare::Api;
use super::error::ApiError;
use super::extract::ApiJson;
use super::scope::{Scoped, Visible};
use crate::AppState;
use crate::db::{Technician, VisitToPlan};
use crate::routing_service::{
    Candidate, Day, DayPlan, DayProblem, LeftOut, PlanError, Suggested, rfc3339,
};
use utoipa_axum::routes;
use wilayah_shared::access::Action::{Create, Update};
use wilayah_shared::access::Role;
use wilayah_shared::access::Rule::Can;

/// The longest search a request may ask for.
pub const MAX_TIME_BUDGET_MS: u64 = 5_000;
const DEFAULT_TIME_BUDGET_MS: u64 = 1_000;
/// Iteration cap besides the time budget (a day of a few technicians converges far earlier).
const DEFAULT_MAX_ITERATIONS: u64 = 50_000;
const MAX_ITERATIONS: u64 = 10_000_000;
/// WIB (UTC+7), where the demo data and most users are.
const DEFAULT_UTC_OFFSET_MINUTES: i32 = 420;
/// Search length of the field view's plan (a technician's day converges long before).
const FIELD_VIEW_ITERATIONS: u64 = 5_000;
/// Prospects considered per suggestion request (the nearest to the route).
const MAX_CANDIDATES: usize = 500;

pub fn declare(api: Api) -> Api {
    api.route(Can("routes", Create), routes!(plan))
        // Prospects along a route: technicians see suggestions along their own day too.
        .route(Can("visits", Update), routes!(suggest))
}

/// The search settings both endpoints take.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlanRequest {
    /// Local calendar day, `YYYY-MM-DD`.
    date: Option<String>,
    /// Default: every technician with an open visit that day (and, when some visits have no
    /// technician, every technician with a home base).
    technician_ids: Option<Vec<i64>>,
    utc_offset_minutes: Option<i32>,
    time_budget_ms: Option<u64>,
    max_iterations: Option<u64>,
    seed: Option<u64>,
    /// Plan visits that have no technician yet (default true).
    include_unassigned: Option<bool>,
    /// Let visits move to another technician (default false: they stay with theirs).
    reassign: Option<bool>,
}

fn invalid(field: &'static str, message: impl Into<String>) -> ApiError {
    ApiError::Invalid(ValidationError::new(field, message))
}

pub(super) fn parse_day(date: Option<&str>, offset: Option<i32>) -> Result<Day, ApiError> {
    let text = date.ok_or_else(|| ApiError::bad_field("date", "is required (YYYY-MM-DD)"))?;
    let date = crate::parse_date(text).ok_or_else(|| {
        ApiError::bad_field(
            "date",
            format!("{text:?} is not a date YYYY-MM-DD in the years 1-9999"),
        )
    })?;
    let offset = offset.unwrap_or(DEFAULT_UTC_OFFSET_MINUTES);
    if !(-720..=840).contains(&offset) {
        return Err(invalid(
            "utc_offset_minutes",
            "must be between -720 and 840 minutes",
        ));
    }
    Day::new(date, offset)
        .ok_or_else(|| ApiError::bad_field("date", format!("{text:?} is out of range")))
}

/// Iterations and time for the search, checked.
#[derive(Debug, Clone, Copy)]
struct Search {
    time_budget: Duration,
    max_iterations: u64,
    seed: u64,
}

impl Search {
    fn from_request(
        time_budget_ms: Option<u64>,
        max_iterations: Option<u64>,
        seed: Option<u64>,
    ) -> Result<Self, ApiError> {
        let ms = time_budget_ms.unwrap_or(DEFAULT_TIME_BUDGET_MS);
        if !(1..=MAX_TIME_BUDGET_MS).contains(&ms) {
            return Err(invalid(
                "time_budget_ms",
                format!("must be between 1 and {MAX_TIME_BUDGET_MS}"),
            ));
        }
        let max_iterations = max_iterations.unwrap_or(DEFAULT_MAX_ITERATIONS);
        if max_iterations > MAX_ITERATIONS {
            return Err(invalid(
                "max_iterations",
                format!("must be at most {MAX_ITERATIONS}"),
            ));
        }
        Ok(Self {
            time_budget: Duration::from_millis(ms),
            max_iterations,
            seed: seed.unwrap_or(1),
        })
    }
}

/// A failure that is the server's, not the request's: logged, answered as a generic 500.
fn internal(e: impl std::fmt::Display) -> ApiError {
    ApiError::Store(StoreError::Database(e.to_string().into()))
}

fn plan_error(field: &'static str, e: PlanError) -> ApiError {
    match e {
        PlanError::Routing(_) | PlanError::BadPosition { .. } => internal(e),
        other => invalid(field, other.to_string()),
    }
}

/// Distances and travel times between `points`: from the OSRM server when one is configured,
/// great-circle at the configured speed otherwise, or when OSRM fails (logged; the answer says
/// `great_circle_fallback`) so a routing server outage never stops planning.
async fn matrix(state: &AppState, points: &[LonLat]) -> (DenseMatrix, &'static str, Option<f64>) {
    let settings = &state.routing;
    let great_circle = |label| {
        (
            DenseMatrix::great_circle(points, settings.speed_m_per_s()),
            label,
            Some(settings.speed_kmh),
        )
    };
    let Some(url) = &settings.osrm_url else {
        return great_circle("great_circle");
    };
    match crate::osrm::table(url, points, settings.speed_m_per_s()).await {
        Ok(roads) => (roads, "osrm", None),
        Err(e) => {
            tracing::warn!(error = %e, locations = points.len(), "OSRM table failed; planning on great-circle distances");
            great_circle("great_circle_fallback")
        }
    }
}

/// Runs the search on a blocking thread (it is CPU-bound for up to the time budget).
async fn solve(
    problem: DayProblem,
    matrix: DenseMatrix,
    search: Search,
) -> Result<(DayProblem, DenseMatrix, Plan, u64), ApiError> {
    tokio::task::spawn_blocking(move || {
        let t0 = Instant::now();
        let mut clock = move || t0.elapsed();
        let mut budget = Budget::iterations(search.max_iterations)
            .with_time_limit(search.time_budget, &mut clock);
        let plan = problem.solve(&matrix, &[], search.seed, &mut budget);
        let elapsed = u64::try_from(t0.elapsed().as_millis()).unwrap_or(u64::MAX);
        plan.map(|plan| (problem, matrix, plan, elapsed))
    })
    .await
    .map_err(internal)?
    .map_err(|e| plan_error("technician_ids", e))
}

/// Loads, builds and solves the day the request describes, over `visits` (the day's open
/// visits the caller's handle gave: a regional manager plans the visits in their region only).
async fn plan_day(
    scoped: &Scoped,
    request: &PlanRequest,
    visits: Vec<VisitToPlan>,
) -> Result<DayPlan, ApiError> {
    let state = scoped.state();
    let day = parse_day(request.date.as_deref(), request.utc_offset_minutes)?;
    let search =
        Search::from_request(request.time_budget_ms, request.max_iterations, request.seed)?;
    let include_unassigned = request.include_unassigned.unwrap_or(true);
    let reassign = request.reassign.unwrap_or(false);
    let all_technicians = scoped.technicians().await?;

    let (technicians, homeless): (Vec<Technician>, BTreeSet<i64>) = match &request.technician_ids {
        Some(ids) => {
            let wanted: BTreeSet<i64> = ids.iter().copied().collect();
            if let Some(unknown) = wanted
                .iter()
                .find(|id| !all_technicians.iter().any(|t| t.id == **id))
            {
                return Err(invalid(
                    "technician_ids",
                    format!("{unknown} is not a technician"),
                ));
            }
            let chosen = all_technicians
                .into_iter()
                .filter(|t| wanted.contains(&t.id))
                .collect();
            (chosen, BTreeSet::new())
        }
        None => {
            // Technicians without a home base cannot be planned; their visits are reported.
            let open_jobs = include_unassigned && visits.iter().any(|v| v.technician_id.is_none());
            let busy: BTreeSet<i64> = visits.iter().filter_map(|v| v.technician_id).collect();
            let (based, homeless): (Vec<Technician>, Vec<Technician>) = all_technicians
                .into_iter()
                .filter(|t| open_jobs || busy.contains(&t.id))
                .partition(|t| t.home_lon.is_some() && t.home_lat.is_some());
            (based, homeless.iter().map(|t| t.id).collect())
        }
    };
    let planned: BTreeSet<i64> = technicians.iter().map(|t| t.id).collect();
    let mut without_base = Vec::new();
    let visits: Vec<VisitToPlan> = visits
        .into_iter()
        .filter(|v| match v.technician_id {
            None => include_unassigned,
            Some(id) if homeless.contains(&id) && !reassign => {
                without_base.push(v.clone());
                false
            }
            Some(id) => planned.contains(&id) || homeless.contains(&id),
        })
        .collect();

    let problem = DayProblem::build(day, technicians, visits, !reassign)
        .map_err(|e| plan_error("technician_ids", e))?;
    let (matrix, distances, speed_kmh) = matrix(state, &problem.locations).await;
    let (problem, matrix, plan, elapsed_ms) = solve(problem, matrix, search).await?;
    let mut answer = problem.answer(&matrix, &plan, distances, speed_kmh, elapsed_ms);
    answer
        .unassigned
        .extend(without_base.into_iter().map(|v| LeftOut {
            visit_id: v.id,
            account_id: v.account_id,
            account_name: v.account_name,
            technician_id: v.technician_id,
            window_start: rfc3339(v.window_start),
            window_end: rfc3339(v.window_end),
            reason: "technician_without_home_base",
        }));
    answer.totals.unassigned = answer.unassigned.len();
    Ok(answer)
}

/// One technician's day as the field view shows it: their open visits, kept with them, with a
/// fixed seed and iteration cap so a reload shows the same order.
pub(super) async fn plan_technician_day(
    scoped: &Scoped,
    technician_id: i64,
    day: &Day,
) -> Result<DayPlan, ApiError> {
    let visits = scoped
        .technician_open_visits(technician_id, day.start(), day.end())
        .await?;
    plan_day(
        scoped,
        &PlanRequest {
            date: Some(day.date.to_string()),
            technician_ids: Some(vec![technician_id]),
            utc_offset_minutes: Some(day.utc_offset_minutes),
            max_iterations: Some(FIELD_VIEW_ITERATIONS),
            include_unassigned: Some(false),
            reassign: Some(false),
            ..PlanRequest::default()
        },
        visits,
    )
    .await
}

/// `POST /routes/plan`
#[utoipa::path(post, path = "/routes/plan", tag = "routes",
    summary = "Plan a day for a team or one technician from the open visits (vehicle routing with time windows, shifts, home bases); visits keep their technician unless reassign",
    request_body = ref("#/components/schemas/RoutePlanRequest"),
    responses((status = 200, description = "One route per technician (empty when they have no stops), the visits left out with a reason, totals", body = ref("#/components/schemas/RoutePlan")),
        (status = 400, description = "Malformed body or date", body = ref("#/components/schemas/Error")), (status = 422, description = "A value out of range, an unknown technician or one without a home base", body = ref("#/components/schemas/Error"))))]
async fn plan(
    scoped: Scoped,
    ApiJson(request): ApiJson<PlanRequest>,
) -> Result<Json<DayPlan>, ApiError> {
    let day = parse_day(request.date.as_deref(), request.utc_offset_minutes)?;
    let visits = scoped.open_visits(day.start(), day.end()).await?;
    Ok(Json(plan_day(&scoped, &request, visits).await?))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SuggestRequest {
    technician_id: Option<i64>,
    date: Option<String>,
    /// Visit ids in route order; default: this technician's planned route.
    stops: Option<Vec<i64>>,
    max_detour_m: Option<f64>,
    max_detour_min: Option<f64>,
    limit: Option<usize>,
    kind: Option<AccountKind>,
    /// Time on site assumed for a suggested stop (default 30 minutes).
    visit_min: Option<u32>,
    utc_offset_minutes: Option<i32>,
    time_budget_ms: Option<u64>,
    max_iterations: Option<u64>,
    seed: Option<u64>,
}

#[derive(Debug, Serialize)]
pub struct Suggestions {
    pub technician_id: i64,
    pub date: NaiveDate,
    /// The route the suggestions fit into: visit ids in order.
    pub stops: Vec<i64>,
    pub route_distance_m: f64,
    /// Accounts of the kind asked for near the route, before the time-window check.
    pub candidates: usize,
    pub suggestions: Vec<Suggested>,
}

fn positive(
    field: &'static str,
    value: Option<f64>,
    default: f64,
    max: f64,
) -> Result<f64, ApiError> {
    let v = value.unwrap_or(default);
    if v.is_finite() && v > 0.0 && v <= max {
        Ok(v)
    } else {
        Err(invalid(field, format!("must be above 0 and at most {max}")))
    }
}

/// `POST /routes/suggest`
#[utoipa::path(post, path = "/routes/suggest", tag = "routes",
    summary = "Accounts (prospects by default) near a technician's route that fit into it without breaking a visit window or the shift, cheapest detour first",
    request_body = ref("#/components/schemas/RouteSuggestRequest"),
    responses((status = 200, description = "The route and the suggestions", body = ref("#/components/schemas/RouteSuggestions")),
        (status = 400, description = "Malformed body, date or missing technician_id", body = ref("#/components/schemas/Error")),
        (status = 422, description = "A value out of range, an unknown technician, or stops that are not open visits of the day or do not fit in that order", body = ref("#/components/schemas/Error"))))]
async fn suggest(
    scoped: Scoped,
    ApiJson(request): ApiJson<SuggestRequest>,
) -> Result<Json<Suggestions>, ApiError> {
    let state = scoped.state();
    let caller = scoped.caller();
    let technician_id = request
        .technician_id
        .ok_or_else(|| ApiError::bad_field("technician_id", "is required"))?;
    // A technician asks about their own day only, and hears of prospects (what a field visit
    // may pick up); a dispatcher about any technician, within the accounts they see.
    let is_technician = caller.role == Role::Technician;
    if is_technician && caller.staff_id != Some(technician_id) {
        return Err(ApiError::NotFound);
    }
    let everything = Visible::everything();
    let visible = if is_technician {
        &everything
    } else {
        scoped.visible().await?
    };
    let day = parse_day(request.date.as_deref(), request.utc_offset_minutes)?;
    let max_detour_m = positive("max_detour_m", request.max_detour_m, 5_000.0, 200_000.0)?;
    let max_detour_min = positive("max_detour_min", request.max_detour_min, 30.0, 600.0)?;
    let limit = request.limit.unwrap_or(10);
    if !(1..=100).contains(&limit) {
        return Err(invalid("limit", "must be between 1 and 100"));
    }
    let visit_min = request.visit_min.unwrap_or(30);
    if !(1..=480).contains(&visit_min) {
        return Err(invalid("visit_min", "must be between 1 and 480"));
    }
    let kind = request.kind.unwrap_or(AccountKind::Prospect);
    if is_technician && kind != AccountKind::Prospect {
        return Err(invalid("kind", "a technician may look for prospects only"));
    }
    let technician = scoped
        .technicians()
        .await?
        .into_iter()
        .find(|t| t.id == technician_id)
        .ok_or_else(|| {
            invalid(
                "technician_id",
                format!("{technician_id} is not a technician"),
            )
        })?;

    // The route: the stops given, or this technician's plan.
    let mut day_visits: HashMap<i64, VisitToPlan> = scoped
        .open_visits(day.start(), day.end())
        .await?
        .into_iter()
        // The route is built from this technician's visits (or unassigned ones) that the
        // caller sees; another technician's stops read as visits that do not exist.
        .filter(|v| v.technician_id.is_none_or(|t| t == technician_id))
        .map(|v| (v.id, v))
        .collect();
    let route: Vec<VisitToPlan> = match &request.stops {
        Some(ids) => {
            let mut seen = BTreeSet::new();
            ids.iter()
                .map(|id| {
                    if !seen.insert(*id) {
                        return Err(invalid("stops", format!("visit {id} is listed twice")));
                    }
                    day_visits.get(id).cloned().ok_or_else(|| {
                        invalid(
                            "stops",
                            format!("visit {id} is not an open visit on {}", day.date),
                        )
                    })
                })
                .collect::<Result<_, _>>()?
        }
        None => {
            let visits = if is_technician {
                scoped
                    .technician_open_visits(technician_id, day.start(), day.end())
                    .await?
            } else {
                scoped.open_visits(day.start(), day.end()).await?
            };
            let planned = plan_day(
                &scoped,
                &PlanRequest {
                    date: request.date.clone(),
                    technician_ids: Some(vec![technician_id]),
                    utc_offset_minutes: request.utc_offset_minutes,
                    time_budget_ms: request.time_budget_ms,
                    max_iterations: request.max_iterations,
                    seed: request.seed,
                    include_unassigned: Some(false),
                    reassign: Some(false),
                },
                visits,
            )
            .await?;
            let order: Vec<i64> = planned.routes[0].stops.iter().map(|s| s.visit_id).collect();
            order
                .iter()
                .filter_map(|id| day_visits.remove(id))
                .collect()
        }
    };

    let mut problem = DayProblem::build(day, vec![technician], route, false)
        .map_err(|e| plan_error("technician_id", e))?;
    let on_route: BTreeSet<i64> = problem.visits.iter().map(|v| v.account_id).collect();
    let mut polyline = problem.locations.clone();
    polyline.push(problem.locations[0]);
    // A detour of D can reach a point at most ½·√(D·(2L + D)) from a leg of length L (the
    // ellipse with the leg's ends as foci), so this corridor misses nothing that could fit.
    let longest_leg = polyline
        .windows(2)
        .map(|w| haversine_m(w[0], w[1]))
        .fold(0.0, f64::max);
    let corridor = 0.5 * (max_detour_m * (2.0 * longest_leg + max_detour_m)).sqrt();
    let hits = state
        .index
        .read(|index| {
            index.near_route(
                &polyline,
                corridor,
                |p: &wilayah_shared::spatial::IndexedPoint| {
                    p.attrs.kind == kind && !on_route.contains(&p.id) && visible.admits(p.id)
                },
            )
        })
        .ok_or_else(|| ApiError::Unavailable("the spatial index is still loading".into()))?
        .map_err(|e| invalid("stops", e.to_string()))?;
    // With OSRM, route and candidates must fit one table request (road times for both).
    let most = match &state.routing.osrm_url {
        Some(_) => crate::osrm::MAX_TABLE_LOCATIONS.saturating_sub(problem.locations.len()),
        None => MAX_CANDIDATES,
    };
    let hits: Vec<_> = hits.into_iter().take(most).collect();
    let ids: Vec<i64> = hits.iter().map(|h| h.point.id).collect();
    let names: HashMap<i64, String> = scoped
        .accounts_near_own_route(&ids, kind)
        .await?
        .into_iter()
        .map(|a| (a.id, a.name))
        .collect();
    let candidates: Vec<Candidate> = hits
        .iter()
        .filter_map(|h| {
            Some(Candidate {
                account_id: h.point.id,
                name: names.get(&h.point.id)?.clone(),
                position: h.point.position,
                distance_from_route_m: h.distance_m,
            })
        })
        .collect();
    let first_candidate = problem.locations.len();
    problem
        .locations
        .extend(candidates.iter().map(|c| c.position));
    let (matrix, _, _) = matrix(state, &problem.locations).await;
    if !problem
        .fixed_route_fits(&matrix)
        .map_err(|e| plan_error("stops", e))?
    {
        return Err(invalid(
            "stops",
            "in this order the route breaks a visit window or the technician's shift",
        ));
    }
    let stops: Vec<i64> = problem.visits.iter().map(|v| v.id).collect();
    let route_distance_m = {
        let mut legs = vec![0];
        legs.extend(problem.problem.visits.iter().map(|v| v.location));
        legs.push(0);
        legs.windows(2)
            .map(|w| wilayah_shared::routing::TravelMatrix::distance(&matrix, w[0], w[1]))
            .sum()
    };
    let count = candidates.len();
    let suggestions = tokio::task::spawn_blocking(move || {
        problem.suggest(
            &matrix,
            &candidates,
            first_candidate,
            f64::from(visit_min * 60),
            DetourBudget {
                max_extra_distance: Some(max_detour_m),
                max_extra_travel_time: Some(max_detour_min * 60.0),
            },
            limit,
        )
    })
    .await
    .map_err(internal)?
    .map_err(|e| plan_error("stops", e))?;
    Ok(Json(Suggestions {
        technician_id,
        date: day.date,
        stops,
        route_distance_m,
        candidates: count,
        suggestions,
    }))
}
