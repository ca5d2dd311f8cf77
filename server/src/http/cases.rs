//! The service desk over HTTP: `GET|PUT /sla-policies` (service hours, holidays and the
//! response and resolution targets per priority and category; admins change them), `GET
//! /cases/queue` (my, my team's or all open cases the caller sees, filtered and sorted, each with
//! its SLA clock), `POST /cases/escalations` (run the escalation check now; the server runs it
//! every minute), `GET /call-centre/callers?phone=` (the accounts a caller's number belongs to,
//! with their history and open cases), and the public `POST /public/reports` (no sign-in;
//! limited per client address; a filled honeypot is answered like a success and writes nothing).
//! Assigning, starting, resolving, closing and reopening a case is `PATCH /cases/{id}`, whose
//! flow the cases' resource enforces.

use axum::Json;
use axum::http::{Extensions, StatusCode};
use axum::response::IntoResponse;
use chrono::Utc;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};
use utoipa_axum::routes;
use wilayah_shared::access::Action::{Create, Read, Update};
use wilayah_shared::access::Rule::{Can, Public};
use wilayah_shared::resources::PRIORITIES;
use wilayah_shared::service::{
    CASE_CATEGORIES, CASE_CHANNELS, ProblemReport, SlaSettings, SlaState,
};

use super::declare::Api;
use super::error::ApiError;
use super::extract::{ApiJson, ApiQuery};
use super::scope::{
    CallerMatch, EscalationRun, Intake, Queue, QueueFilter, QueueSort, QueueView, Scoped,
};

pub fn declare(api: Api) -> Api {
    api.route(Can("cases", Read), routes!(read_policies))
        .route(Can("sla_policies", Update), routes!(save_policies))
        .route(Can("cases", Read), routes!(queue))
        .route(Can("case_escalations", Create), routes!(escalate))
        .route(Can("cases", Create), routes!(callers))
        .route(Public, routes!(report))
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct PoliciesBody {
    /// The version last read (0 before the first save).
    version: i64,
    settings: SlaSettings,
}

/// `GET /sla-policies`
#[utoipa::path(get, path = "/sla-policies", tag = "cases",
    summary = "The SLA settings: service hours (local time of the deployment's --utc-offset), working weekdays, public holidays, and the response and resolution targets (business minutes) per priority and optionally category, with whom a case that misses one is reassigned to",
    responses((status = 200, description = "The settings and their version", body = ref("#/components/schemas/SlaPolicies"))))]
async fn read_policies(scoped: Scoped) -> Result<Json<PoliciesBody>, ApiError> {
    let (settings, version) = scoped.sla_settings().await?;
    Ok(Json(PoliciesBody { version, settings }))
}

/// `PUT /sla-policies {version, settings}`
#[utoipa::path(put, path = "/sla-policies", tag = "cases",
    summary = "Change the SLA settings (admins): every priority needs a policy without a category; the queue's clocks follow at once",
    request_body = ref("#/components/schemas/SlaPolicies"),
    responses((status = 200, description = "The saved settings and their new version", body = ref("#/components/schemas/SlaPolicies")),
        (status = 409, description = "Stale version", body = ref("#/components/schemas/Error")),
        (status = 422, description = "A rule broken (the field is named: work_start, work_end, work_days, holidays, priority, category, response_min, resolution_min, policies, escalate_to)", body = ref("#/components/schemas/Error"))))]
async fn save_policies(
    scoped: Scoped,
    ApiJson(body): ApiJson<PoliciesBody>,
) -> Result<Json<PoliciesBody>, ApiError> {
    let (settings, version) = scoped
        .save_sla_settings(body.version, body.settings)
        .await?;
    Ok(Json(PoliciesBody { version, settings }))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct QueueParams {
    view: Option<String>,
    /// Comma-separated.
    status: Option<String>,
    priority: Option<String>,
    category: Option<String>,
    territory_id: Option<i64>,
    sla: Option<String>,
    sort: Option<String>,
    limit: Option<u32>,
    offset: Option<u64>,
}

fn one_of(
    field: &'static str,
    value: Option<String>,
    allowed: &[&str],
) -> Result<Option<String>, ApiError> {
    match value.filter(|v| !v.is_empty()) {
        Some(v) if !allowed.contains(&v.as_str()) => Err(ApiError::bad_field(
            field,
            format!("expected one of: {}", allowed.join(", ")),
        )),
        other => Ok(other),
    }
}

impl QueueParams {
    fn parse(self) -> Result<QueueFilter, ApiError> {
        let view = match self.view.as_deref().unwrap_or("all") {
            "mine" => QueueView::Mine,
            "team" => QueueView::Team,
            "all" => QueueView::All,
            _ => return Err(ApiError::bad_field("view", "expected mine, team or all")),
        };
        let sort = match self.sort.as_deref().unwrap_or("sla") {
            "sla" => QueueSort::Sla,
            "priority" => QueueSort::Priority,
            "-created_at" => QueueSort::Newest,
            "created_at" => QueueSort::Oldest,
            _ => {
                return Err(ApiError::bad_field(
                    "sort",
                    "expected sla, priority, created_at or -created_at",
                ));
            }
        };
        let mut statuses = Vec::new();
        for s in self
            .status
            .iter()
            .flat_map(|s| s.split(','))
            .filter(|s| !s.is_empty())
        {
            if !["new", "in_progress", "resolved", "closed"].contains(&s) {
                return Err(ApiError::bad_field(
                    "status",
                    "expected new, in_progress, resolved or closed (comma-separated)",
                ));
            }
            statuses.push(s.to_owned());
        }
        let sla = match self.sla.filter(|s| !s.is_empty()) {
            Some(s) => Some(
                SlaState::parse("sla", &s).map_err(|e| ApiError::bad_field("sla", e.message))?,
            ),
            None => None,
        };
        let limit = self.limit.unwrap_or(100);
        if !(1..=1000).contains(&limit) {
            return Err(ApiError::bad_field("limit", "must be between 1 and 1000"));
        }
        Ok(QueueFilter {
            view,
            statuses,
            priority: one_of("priority", self.priority, PRIORITIES)?,
            category: one_of("category", self.category, CASE_CATEGORIES)?,
            territory_id: self.territory_id,
            sla,
            sort,
            limit,
            offset: self.offset.unwrap_or(0),
        })
    }
}

/// `GET /cases/queue?view&status&priority&category&territory_id&sla&sort&limit&offset`
#[utoipa::path(get, path = "/cases/queue", tag = "cases",
    summary = "The case queue: the caller's cases (mine: assigned to them; team: in their territories — a regional manager's region, the territories a rep owns; all: every case they see), open ones unless status says otherwise, each with its SLA clock (due times, business minutes left or over) and the escalations fired; with each view's count of open cases",
    params(("view" = Option<String>, Query, description = "mine, team or all (default)"),
        ("status" = Option<String>, Query, description = "Comma-separated: new, in_progress, resolved, closed (default new,in_progress)"),
        ("priority" = Option<String>, Query, description = "low, normal, high, urgent"),
        ("category" = Option<String>, Query, description = "A case category"),
        ("territory_id" = Option<i64>, Query, description = "The case's account's territory"),
        ("sla" = Option<String>, Query, description = "on_track, at_risk, breached, met or none"),
        ("sort" = Option<String>, Query, description = "sla (default: breached, then the soonest due), priority, created_at, -created_at"),
        ("limit" = Option<u32>, Query, minimum = 1, maximum = 1000, description = "At most this many (default 100)"),
        ("offset" = Option<u64>, Query)),
    responses((status = 200, description = "A page of the queue", body = ref("#/components/schemas/CaseQueue")),
        (status = 400, description = "A malformed parameter (named)", body = ref("#/components/schemas/Error"))))]
async fn queue(
    scoped: Scoped,
    ApiQuery(params): ApiQuery<QueueParams>,
) -> Result<Json<Queue>, ApiError> {
    let filter = params.parse()?;
    Ok(Json(scoped.case_queue(&filter, Utc::now()).await?))
}

/// `POST /cases/escalations`
#[utoipa::path(post, path = "/cases/escalations", tag = "cases",
    summary = "Run the escalation check now (the server runs it every minute): every open case past a target's due time is escalated once per target — reassigned to the policy's escalate_to when it names someone, and written to the case's history",
    responses((status = 200, description = "What the check did", body = ref("#/components/schemas/EscalationRun"))))]
async fn escalate(scoped: Scoped) -> Result<Json<EscalationRun>, ApiError> {
    Ok(Json(scoped.escalate_now(Utc::now()).await?))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CallerParams {
    phone: String,
}

#[derive(Debug, Serialize)]
struct Callers {
    matches: Vec<CallerMatch>,
}

/// `GET /call-centre/callers?phone=`
#[utoipa::path(get, path = "/call-centre/callers", tag = "cases",
    summary = "Who is calling: the caller's accounts whose contacts have this phone number (compared by its digits, +62 and a leading 0 alike), each with its panel (contacts, open deals and cases, history — what the role may read) and its open cases with their SLA clocks",
    params(("phone" = String, Query, description = "The caller's number")),
    responses((status = 200, description = "The matches (none: a new caller)", body = ref("#/components/schemas/Callers")),
        (status = 400, description = "Not a phone number (field phone)", body = ref("#/components/schemas/Error"))))]
async fn callers(
    scoped: Scoped,
    ApiQuery(params): ApiQuery<CallerParams>,
) -> Result<Json<Callers>, ApiError> {
    Ok(Json(Callers {
        matches: scoped.callers_by_phone(&params.phone, Utc::now()).await?,
    }))
}

/// `POST /public/reports {name, email?, phone?, address?, category?, subject, description?, website}`
#[utoipa::path(post, path = "/public/reports", tag = "cases", security(()),
    summary = "Report a problem, with no sign-in: opens a case (channel web) on the account whose contact has this e-mail (else phone), or on a new prospect placed by the address with the reporter as its contact; answers the confirmation number. At most 5 reports per client address in 15 minutes. `website` is a honeypot: people leave it empty; a filled one is answered 202 without a number and writes nothing",
    request_body = ref("#/components/schemas/ProblemReport"),
    responses((status = 202, description = "Received: the confirmation number (none for a bot)", body = ref("#/components/schemas/ReportReceived")),
        (status = 400, description = "Malformed body", body = ref("#/components/schemas/Error")),
        (status = 422, description = "A field breaks a rule (named: name, subject, email, phone, address, category)", body = ref("#/components/schemas/Error")),
        (status = 429, description = "Too many reports from this address; see Retry-After", body = ref("#/components/schemas/Error"))))]
async fn report(
    intake: Intake,
    extensions: Extensions,
    ApiJson(report): ApiJson<ProblemReport>,
) -> Result<impl IntoResponse, ApiError> {
    intake
        .admit(&super::auth::client_address(&extensions))
        .await?;
    if report.is_bot() {
        tracing::info!("a report with the honeypot filled in was refused");
        return Ok((StatusCode::ACCEPTED, Json(json!({ "received": true }))));
    }
    let reference = intake.file(report.validated()?, Utc::now()).await?;
    Ok((
        StatusCode::ACCEPTED,
        Json(json!({ "received": true, "confirmation": reference })),
    ))
}

/// The schemas the service desk's routes refer to.
pub(crate) fn schemas(schemas: &mut Map<String, Value>) {
    let int = json!({ "type": "integer" });
    let text = json!({ "type": "string" });
    let time = json!({ "type": ["string", "null"], "format": "date-time" });
    let minutes = json!({ "type": "integer", "minimum": 1 });
    let policy = json!({ "type": "object", "required": ["priority", "response_min", "resolution_min"], "properties": {
        "priority": { "type": "string", "enum": PRIORITIES },
        "category": { "type": ["string", "null"], "enum": CASE_CATEGORIES.iter().map(|c| json!(c)).chain([Value::Null]).collect::<Vec<_>>() },
        "response_min": minutes, "resolution_min": minutes,
        "escalate_to": { "type": ["integer", "null"], "description": "Staff member a case missing a target is reassigned to" } } });
    schemas.insert(
        "SlaPolicies".into(),
        json!({ "type": "object", "required": ["version", "settings"], "properties": {
            "version": int,
            "settings": { "type": "object", "required": ["work_start", "work_end", "work_days", "holidays", "policies"], "properties": {
                "work_start": { "type": "string", "pattern": "^\\d\\d:\\d\\d$" },
                "work_end": { "type": "string", "pattern": "^\\d\\d:\\d\\d$" },
                "work_days": { "type": "array", "items": { "type": "integer", "minimum": 1, "maximum": 7 }, "description": "1 = Monday … 7 = Sunday" },
                "holidays": { "type": "array", "items": { "type": "object", "required": ["date", "name"], "properties": {
                    "date": { "type": "string", "format": "date" }, "name": text } } },
                "policies": { "type": "array", "items": policy } } } } }),
    );
    let clock = json!({ "type": ["object", "null"], "properties": {
        "due_at": time,
        "state": { "type": "string", "enum": ["met", "met_late", "on_track", "at_risk", "breached"] },
        "minutes_left": { "type": "integer", "description": "Business minutes (on_track, at_risk)" },
        "minutes_over": { "type": "integer", "description": "Business minutes (breached)" } } });
    schemas.insert(
        "QueueCase".into(),
        json!({ "type": "object", "properties": {
            "id": int, "version": int, "account_id": int, "account_name": text,
            "territory_id": { "type": ["integer", "null"] }, "opened_by": { "type": ["integer", "null"] },
            "assigned_to": { "type": ["integer", "null"] }, "assignee_name": { "type": ["string", "null"] },
            "subject": text, "description": { "type": ["string", "null"] },
            "priority": { "type": "string", "enum": PRIORITIES },
            "status": { "type": "string", "enum": ["new", "in_progress", "resolved", "closed"] },
            "category": { "type": "string", "enum": CASE_CATEGORIES },
            "channel": { "type": "string", "enum": CASE_CHANNELS },
            "reference": { "type": ["string", "null"], "description": "The confirmation number of a public report" },
            "resolution": { "type": ["string", "null"] },
            "sla_due_at": time, "responded_at": time, "resolved_at": time,
            "created_at": time, "updated_at": time,
            "escalated": { "type": "array", "items": { "type": "string", "enum": ["response", "resolution"] } },
            "sla": { "type": "object", "properties": {
                "state": { "type": "string", "enum": SlaState::ALL.iter().map(|s| s.as_str()).collect::<Vec<_>>() },
                "response": clock, "resolution": clock } } } }),
    );
    schemas.insert(
        "CaseQueue".into(),
        json!({ "type": "object", "properties": {
            "items": { "type": "array", "items": { "$ref": "#/components/schemas/QueueCase" } },
            "total": int, "limit": int, "offset": int,
            "views": { "type": "object", "properties": { "mine": int, "team": int, "all": int } },
            "now": { "type": "string", "format": "date-time" } } }),
    );
    schemas.insert(
        "EscalationRun".into(),
        json!({ "type": "object", "properties": {
            "checked": int,
            "fired": { "type": "array", "items": { "type": "array", "prefixItems": [int, text] } } } }),
    );
    schemas.insert(
        "Callers".into(),
        json!({ "type": "object", "properties": {
            "matches": { "type": "array", "items": { "type": "object", "properties": {
                "account": { "$ref": "#/components/schemas/Account" },
                "panel": { "type": "object" },
                "open_cases": { "type": "array", "items": { "$ref": "#/components/schemas/QueueCase" } } } } } } }),
    );
    schemas.insert(
        "ProblemReport".into(),
        json!({ "type": "object", "required": ["name", "subject"], "additionalProperties": false, "properties": {
            "name": text, "email": text, "phone": text,
            "address": { "type": "string", "description": "Town or address: places a new prospect" },
            "category": { "type": "string", "enum": CASE_CATEGORIES },
            "subject": text, "description": text,
            "website": { "type": "string", "description": "Honeypot: leave empty" } } }),
    );
    schemas.insert(
        "ReportReceived".into(),
        json!({ "type": "object", "properties": {
            "received": { "type": "boolean" },
            "confirmation": { "type": "string", "description": "WL-XXXX-XXXX" } } }),
    );
}
