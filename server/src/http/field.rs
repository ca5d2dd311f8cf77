//! Field service over HTTP, for the technician's device and the dispatcher:
//! `GET /field/day` (a technician's visits in planned order), `POST /field/actions` (status
//! changes, check-ins and reports, idempotent by client id, refused on a stale version),
//! `GET /field/actions` (what was recorded, conflicts included) and `POST /routes/add-stop`
//! (put an account on a technician's route for a day and re-plan it).

use std::collections::HashMap;

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};
use wilayah_shared::account::ValidationError;
use wilayah_shared::field::{ActionResult, FieldAction, FieldDay, FieldStop, is_closed};
use wilayah_shared::resources::VISITS;

use super::declare::Api;
use super::error::ApiError;
use super::extract::{ApiJson, ApiQuery};
use super::routes::{parse_day, plan_technician_day};
use super::scope::Scoped;
use crate::db::{ActionFilter, FieldVisit, Technician};
use crate::routing_service::{Day, minutes_of_day, rfc3339};
use utoipa_axum::routes;
use wilayah_shared::access::Action::Update;
use wilayah_shared::access::Role;
use wilayah_shared::access::Rule::Can;

pub fn declare(api: Api) -> Api {
    // A technician's day and actions (technicians only their own, checked by the handlers),
    // adding a stop to a route.
    api.route(Can("visits", Update), routes!(day))
        .route(Can("visits", Update), routes!(record_action))
        .route(Can("visits", Update), routes!(list_actions))
        .route(Can("visits", Update), routes!(add_stop))
}

fn invalid(field: &'static str, message: impl Into<String>) -> ApiError {
    ApiError::Invalid(ValidationError::new(field, message))
}

async fn technician(scoped: &Scoped, id: i64) -> Result<Technician, ApiError> {
    scoped
        .technicians()
        .await?
        .into_iter()
        .find(|t| t.id == id)
        .ok_or_else(|| invalid("technician_id", format!("{id} is not a technician")))
}

fn stop(v: FieldVisit) -> FieldStop {
    FieldStop {
        visit_id: v.id,
        version: v.version,
        account_id: v.account_id,
        account_name: v.account_name,
        address: v.address,
        lon: v.lon,
        lat: v.lat,
        status: v.status,
        window_start: rfc3339(v.window_start),
        window_end: rfc3339(v.window_end),
        duration_min: v.duration_min,
        planned_arrival: None,
        planned_start: None,
        left_out: None,
        checkin_at: v.checkin_at.map(rfc3339),
        checkin_accuracy_m: v.checkin_accuracy_m,
        checkin_distance_m: v.checkin_distance_m,
        outcome: v.outcome,
        notes: v.notes,
        survey_score: v.survey_score.map(i64::from),
    }
}

/// Every visit of the technician that day: closed ones first (in the order they were done),
/// then the open ones in planned route order, then open ones the plan could not place.
async fn field_day(scoped: &Scoped, technician_id: i64, day: &Day) -> Result<FieldDay, ApiError> {
    let t = technician(scoped, technician_id).await?;
    let visits = scoped
        .technician_visits(technician_id, day.start(), day.end())
        .await?;
    let has_home = t.home_lon.is_some() && t.home_lat.is_some();
    let plan = if has_home && visits.iter().any(|v| !is_closed(&v.status)) {
        Some(plan_technician_day(scoped, technician_id, day).await?)
    } else {
        None
    };
    let (mut closed, open): (Vec<FieldVisit>, Vec<FieldVisit>) =
        visits.into_iter().partition(|v| is_closed(&v.status));
    closed.sort_by_key(|v| (v.checkin_at.unwrap_or(v.window_start), v.id));
    let mut open: HashMap<i64, FieldVisit> = open.into_iter().map(|v| (v.id, v)).collect();
    let mut stops: Vec<FieldStop> = closed.into_iter().map(stop).collect();
    if let Some(plan) = &plan {
        for planned in plan.routes.iter().flat_map(|r| &r.stops) {
            if let Some(v) = open.remove(&planned.visit_id) {
                stops.push(FieldStop {
                    planned_arrival: Some(planned.arrival_at.clone()),
                    planned_start: Some(planned.start_at.clone()),
                    ..stop(v)
                });
            }
        }
    }
    let mut rest: Vec<FieldVisit> = open.into_values().collect();
    rest.sort_by_key(|v| (v.window_start, v.id));
    let reasons: HashMap<i64, &str> = plan
        .iter()
        .flat_map(|p| &p.unassigned)
        .map(|u| (u.visit_id, u.reason))
        .collect();
    stops.extend(rest.into_iter().map(|v| {
        let left_out = Some(
            reasons
                .get(&v.id)
                .copied()
                .unwrap_or("not_planned")
                .to_owned(),
        );
        FieldStop {
            left_out,
            ..stop(v)
        }
    }));
    Ok(FieldDay {
        technician_id,
        technician_name: t.name,
        date: day.date.to_string(),
        utc_offset_minutes: day.utc_offset_minutes,
        home_lon: t.home_lon,
        home_lat: t.home_lat,
        stops,
        distances: plan
            .map(|p| p.distances.to_owned())
            .unwrap_or_else(|| "great_circle".to_owned()),
        fetched_at: rfc3339(Utc::now()),
    })
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct DayQuery {
    technician_id: Option<i64>,
    date: Option<String>,
    utc_offset_minutes: Option<i32>,
}

/// `GET /field/day?technician_id=3&date=2026-11-23`
#[utoipa::path(get, path = "/field/day", tag = "field",
    summary = "A technician's visits of a day, open ones in planned route order (the technician view's data)",
    params(("technician_id" = i64, Query), ("date" = String, Query, format = Date),
        ("utc_offset_minutes" = Option<i32>, Query, description = "Local time zone of the day (default 420)")),
    responses((status = 200, description = "The day", body = ref("#/components/schemas/FieldDay")),
        (status = 400, description = "Missing or malformed technician_id or date", body = ref("#/components/schemas/Error")), (status = 404, description = "Another technician's day (for a technician)", body = ref("#/components/schemas/Error")),
        (status = 422, description = "Not a technician", body = ref("#/components/schemas/Error"))))]
async fn day(
    scoped: Scoped,
    ApiQuery(query): ApiQuery<DayQuery>,
) -> Result<Json<FieldDay>, ApiError> {
    let technician_id = query
        .technician_id
        .ok_or_else(|| ApiError::bad_field("technician_id", "is required"))?;
    scoped.check_own_day(technician_id)?;
    let day = parse_day(query.date.as_deref(), query.utc_offset_minutes)?;
    Ok(Json(scoped_day(&scoped, technician_id, &day).await?))
}

/// A technician's day as the caller may see it: a technician their whole own day, a
/// dispatcher with a region only the stops at their accounts.
async fn scoped_day(scoped: &Scoped, technician_id: i64, day: &Day) -> Result<FieldDay, ApiError> {
    let mut field_day = field_day(scoped, technician_id, day).await?;
    if scoped.caller().role != Role::Technician {
        let visible = scoped.visible().await?;
        field_day.stops.retain(|s| visible.admits(s.account_id));
    }
    Ok(field_day)
}

/// 200 applied; 409 conflict and 422 rejected carry the recorded result too, plus the usual
/// `error` (and `current_version` for a conflict).
fn action_response(result: ActionResult) -> Response {
    let status = match result.result.as_str() {
        "applied" => StatusCode::OK,
        "conflict" => StatusCode::CONFLICT,
        _ => StatusCode::UNPROCESSABLE_ENTITY,
    };
    let mut body = serde_json::to_value(&result).unwrap_or(Value::Null);
    if status != StatusCode::OK
        && let Value::Object(map) = &mut body
    {
        map.insert(
            "error".into(),
            result.message.clone().unwrap_or_default().into(),
        );
        if status == StatusCode::CONFLICT {
            map.insert("current_version".into(), result.visit_version.into());
        }
        if result.reused_client_id {
            map.insert("field".into(), "client_id".into());
        }
    }
    (status, Json(body)).into_response()
}

/// `POST /field/actions`
#[utoipa::path(post, path = "/field/actions", tag = "field",
    summary = "Record a technician's action on a visit: idempotent by client_id; applied only if base_version is the visit's current version; every action is kept",
    request_body = ref("#/components/schemas/FieldActionInput"),
    responses((status = 200, description = "Applied (or a resend of an applied action: replayed)", body = ref("#/components/schemas/FieldActionResult")),
        (status = 400, description = "Malformed body or recorded_at", body = ref("#/components/schemas/Error")),
        (status = 409, description = "Recorded, not applied: the visit changed since base_version (error, current_version and the result), or client_id already used for another visit", body = ref("#/components/schemas/FieldActionResult")),
        (status = 422, description = "Recorded, not applied: the action does not fit the visit's current state; or a field breaks a rule (nothing recorded)", body = ref("#/components/schemas/FieldActionResult"))))]
async fn record_action(
    scoped: Scoped,
    ApiJson(action): ApiJson<FieldAction>,
) -> Result<Response, ApiError> {
    let checked = action.check()?;
    let recorded_at = DateTime::parse_from_rfc3339(&action.recorded_at)
        .map_err(|_| ApiError::bad_field("recorded_at", "must be an RFC 3339 time with an offset"))?
        .with_timezone(&Utc);
    // Only a visit among the caller's rows (a technician's own, a region's): 404 otherwise.
    let result = scoped
        .record_field_action(&action, &checked, recorded_at)
        .await?;
    Ok(action_response(result))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ActionsQuery {
    visit_id: Option<i64>,
    technician_id: Option<i64>,
    result: Option<String>,
    limit: Option<u32>,
}

#[derive(Debug, Serialize)]
struct ActionList {
    items: Vec<ActionResult>,
}

/// `GET /field/actions?visit_id=&technician_id=&result=conflict&limit=100`, newest first.
#[utoipa::path(get, path = "/field/actions", tag = "field",
    summary = "Recorded actions, newest first (conflicts stay visible here)",
    params(("visit_id" = Option<i64>, Query, description = "Only this visit"),
        ("technician_id" = Option<i64>, Query, description = "Only this technician's visits"),
        ("result" = Option<String>, Query, description = "Only these: applied, conflict or rejected"),
        ("limit" = Option<u32>, Query, minimum = 1, maximum = 1000, description = "At most this many (default 100)")),
    responses((status = 200, description = "The actions", body = ref("#/components/schemas/FieldActionList")), (status = 400, description = "Malformed parameter", body = ref("#/components/schemas/Error"))))]
async fn list_actions(
    scoped: Scoped,
    ApiQuery(query): ApiQuery<ActionsQuery>,
) -> Result<Json<ActionList>, ApiError> {
    if let Some(r) = &query.result
        && !["applied", "conflict", "rejected"].contains(&r.as_str())
    {
        return Err(ApiError::bad_field(
            "result",
            "must be applied, conflict or rejected",
        ));
    }
    let limit = query.limit.unwrap_or(100);
    if !(1..=1000).contains(&limit) {
        return Err(ApiError::bad_field("limit", "must be between 1 and 1000"));
    }
    // A technician's own actions; a dispatcher's at their accounts (narrowed by the handle).
    let items = scoped
        .field_actions(ActionFilter {
            visit_id: query.visit_id,
            technician_id: query.technician_id,
            result: query.result,
            account_ids: None,
            limit,
        })
        .await?;
    Ok(Json(ActionList { items }))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct AddStopRequest {
    technician_id: Option<i64>,
    account_id: Option<i64>,
    date: Option<String>,
    utc_offset_minutes: Option<i32>,
    /// Time on site (default 30 minutes).
    duration_min: Option<i64>,
}

#[derive(Debug, Serialize)]
struct AddedStop {
    visit: Map<String, Value>,
    /// Whether the re-plan found room for the new stop (else it is listed with `left_out`).
    planned: bool,
    day: FieldDay,
}

/// `POST /routes/add-stop {technician_id, account_id, date}`: a visit for that technician
/// within their shift that day, then their re-planned day.
#[utoipa::path(post, path = "/routes/add-stop", tag = "field",
    summary = "Add an account to a technician's route of a day (a visit within their shift), then re-plan their day",
    request_body = ref("#/components/schemas/AddStopRequest"),
    responses((status = 201, description = "The new visit, whether the plan found room for it, and the re-planned day", body = ref("#/components/schemas/AddedStop")),
        (status = 400, description = "Malformed body or a missing field", body = ref("#/components/schemas/Error")), (status = 404, description = "Another technician's day (for a technician)", body = ref("#/components/schemas/Error")),
        (status = 422, description = "Unknown technician or account, or a value out of range", body = ref("#/components/schemas/Error"))))]
async fn add_stop(
    scoped: Scoped,
    ApiJson(request): ApiJson<AddStopRequest>,
) -> Result<(StatusCode, Json<AddedStop>), ApiError> {
    let technician_id = request
        .technician_id
        .ok_or_else(|| ApiError::bad_field("technician_id", "is required"))?;
    scoped.check_own_day(technician_id)?;
    let account_id = request
        .account_id
        .ok_or_else(|| ApiError::bad_field("account_id", "is required"))?;
    let day = parse_day(request.date.as_deref(), request.utc_offset_minutes)?;
    let t = technician(&scoped, technician_id).await?;
    let shift = minutes_of_day(&t.work_start)
        .zip(minutes_of_day(&t.work_end))
        .filter(|(s, e)| s < e)
        .ok_or_else(|| invalid("technician_id", "the technician's shift is unreadable"))?;
    let duration_min = request.duration_min.unwrap_or(30);
    if !(1..=480).contains(&duration_min) {
        return Err(invalid("duration_min", "must be between 1 and 480"));
    }
    let at = |minutes: u32| rfc3339(day.start() + Duration::minutes(i64::from(minutes)));
    let valid = VISITS.validate_create(&json!({
        "account_id": account_id,
        "technician_id": technician_id,
        "window_start": at(shift.0),
        "window_end": at(shift.1),
        "duration_min": duration_min,
        "status": "scheduled",
    }))?;
    // Which accounts the caller may put on that day is the handle's rule.
    let visit = scoped
        .create_visit(&t, account_id, (day.start(), day.end()), &valid)
        .await?;
    let visit_id = visit["id"].as_i64().unwrap_or_default();
    let day = scoped_day(&scoped, technician_id, &day).await?;
    let planned = day
        .stops
        .iter()
        .any(|s| s.visit_id == visit_id && s.planned_start.is_some());
    Ok((
        StatusCode::CREATED,
        Json(AddedStop {
            visit,
            planned,
            day,
        }),
    ))
}
