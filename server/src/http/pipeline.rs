//! Leads, the pipeline board and follow-ups over HTTP: `POST /accounts/{id}/lead` (a lead's
//! status move, a disqualification with its reason), `POST /accounts/{id}/convert` (a qualified
//! lead becomes a customer with its first deal, one transaction), `GET /pipeline/board` (deals
//! by stage with count, value and weighted value), `GET|PUT /pipeline/stages` (the stages' win
//! probabilities; admins set them), `POST /tasks/{id}/complete` and `GET /my-day`. The tasks
//! themselves are a generic resource (`/tasks`). Who reaches which rows is the handle's business
//! (`scope/pipeline.rs`); the rules are `wilayah_shared::pipeline`'s.

use axum::Json;
use axum::extract::Path;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};
use utoipa_axum::routes;
use wilayah_shared::access::Action::{Read, Update};
use wilayah_shared::access::Rule::Can;
use wilayah_shared::account::Account;
use wilayah_shared::pipeline::{
    BoardColumn, BoardFilter, DISQUALIFY_REASONS, LeadMove, StageProbability, check_month,
};

use super::declare::Api;
use super::error::ApiError;
use super::extract::{ApiJson, ApiQuery};
use super::scope::{MyDay, Scoped};

pub fn declare(api: Api) -> Api {
    api.route(Can("leads", Update), routes!(move_lead))
        .route(Can("leads", Update), routes!(convert_lead))
        .route(Can("opportunities", Read), routes!(board))
        .route(Can("opportunities", Read), routes!(stages))
        .route(Can("pipeline_stages", Update), routes!(set_stages))
        .route(Can("tasks", Update), routes!(complete_task))
        .route(Can("tasks", Read), routes!(my_day))
}

/// `POST /accounts/{id}/lead {version, status, reason?, note?}`
#[utoipa::path(post, path = "/accounts/{id}/lead", tag = "pipeline",
    summary = "Move a lead (a prospect): new → contacted → qualified, or disqualified with a reason (no_budget, no_need, competitor, unreachable, out_of_area, other + note); a disqualified lead may be contacted again. Written to the account's history",
    params(("id" = i64, Path)),
    request_body = ref("#/components/schemas/LeadMove"),
    responses((status = 200, description = "The account at its new status", body = ref("#/components/schemas/Account")),
        (status = 404, description = "Not one of the caller's accounts", body = ref("#/components/schemas/Error")),
        (status = 409, description = "Stale version", body = ref("#/components/schemas/Error")),
        (status = 422, description = "The move breaks the flow (field status), the reason is missing or unknown (reason), or the account is a customer (kind)", body = ref("#/components/schemas/Error"))))]
async fn move_lead(
    scoped: Scoped,
    Path(id): Path<i64>,
    ApiJson(change): ApiJson<LeadMove>,
) -> Result<Json<Account>, ApiError> {
    Ok(Json(scoped.move_lead(id, &change).await?))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Convert {
    version: i64,
    /// The first deal: `title` (required), `value_minor`, `currency`, `expected_close`,
    /// `owner_id` (default the account's owner).
    deal: Value,
}

#[derive(Debug, Serialize)]
struct Converted {
    account: Account,
    opportunity: Map<String, Value>,
}

/// `POST /accounts/{id}/convert {version, deal}`
#[utoipa::path(post, path = "/accounts/{id}/convert", tag = "pipeline",
    summary = "Convert a qualified lead: the account becomes an active customer and its first deal opens at stage qualified, in one transaction (a refusal on the way writes nothing)",
    params(("id" = i64, Path)),
    request_body = ref("#/components/schemas/Convert"),
    responses((status = 200, description = "The customer and its deal", body = ref("#/components/schemas/Converted")),
        (status = 404, description = "Not one of the caller's accounts", body = ref("#/components/schemas/Error")),
        (status = 409, description = "Stale version", body = ref("#/components/schemas/Error")),
        (status = 422, description = "Not a qualified lead (status, kind), or the deal breaks a rule (its field)", body = ref("#/components/schemas/Error"))))]
async fn convert_lead(
    scoped: Scoped,
    Path(id): Path<i64>,
    ApiJson(body): ApiJson<Convert>,
) -> Result<Json<Converted>, ApiError> {
    let (account, opportunity) = scoped.convert_lead(id, body.version, body.deal).await?;
    Ok(Json(Converted {
        account,
        opportunity,
    }))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct BoardParams {
    owner_id: Option<i64>,
    territory_id: Option<i64>,
    /// `YYYY-MM`
    close_month: Option<String>,
}

#[derive(Debug, Serialize)]
struct Board {
    columns: Vec<BoardColumn>,
    /// Reasons a lead may be disqualified with (for forms).
    disqualify_reasons: &'static [&'static str],
}

/// `GET /pipeline/board?owner_id&territory_id&close_month`
#[utoipa::path(get, path = "/pipeline/board", tag = "pipeline",
    summary = "The caller's deals by stage: each column's count, value and weighted value (value × the stage's win probability)",
    params(("owner_id" = Option<i64>, Query), ("territory_id" = Option<i64>, Query, description = "The deal's account's territory"),
        ("close_month" = Option<String>, Query, description = "YYYY-MM: expected to close in that month")),
    responses((status = 200, description = "The board", body = ref("#/components/schemas/Board")),
        (status = 400, description = "Malformed parameter", body = ref("#/components/schemas/Error"))))]
async fn board(
    scoped: Scoped,
    ApiQuery(params): ApiQuery<BoardParams>,
) -> Result<Json<Board>, ApiError> {
    if let Some(month) = &params.close_month {
        check_month("close_month", month)
            .map_err(|e| ApiError::bad_field("close_month", e.message))?;
    }
    let filter = BoardFilter {
        owner_id: params.owner_id,
        territory_id: params.territory_id,
        close_month: params.close_month,
    };
    Ok(Json(Board {
        columns: scoped.board(&filter).await?,
        disqualify_reasons: DISQUALIFY_REASONS,
    }))
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Stages {
    stages: Vec<StageProbability>,
}

/// `GET /pipeline/stages`
#[utoipa::path(get, path = "/pipeline/stages", tag = "pipeline",
    summary = "Each stage's win probability (percent), in board order",
    responses((status = 200, description = "The stages", body = ref("#/components/schemas/Stages"))))]
async fn stages(scoped: Scoped) -> Result<Json<Stages>, ApiError> {
    Ok(Json(Stages {
        stages: scoped.stage_probabilities().await?,
    }))
}

/// `PUT /pipeline/stages {stages: [{stage, probability_pct}]}`
#[utoipa::path(put, path = "/pipeline/stages", tag = "pipeline",
    summary = "Set every stage's win probability (0–100): admins only",
    request_body = ref("#/components/schemas/Stages"),
    responses((status = 200, description = "The stages as stored", body = ref("#/components/schemas/Stages")),
        (status = 422, description = "A stage unknown, missing or twice (stage), or a probability outside 0–100 (probability_pct)", body = ref("#/components/schemas/Error"))))]
async fn set_stages(
    scoped: Scoped,
    ApiJson(body): ApiJson<Stages>,
) -> Result<Json<Stages>, ApiError> {
    Ok(Json(Stages {
        stages: scoped.set_stage_probabilities(&body.stages).await?,
    }))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Versioned {
    version: i64,
}

/// `POST /tasks/{id}/complete {version}`
#[utoipa::path(post, path = "/tasks/{id}/complete", tag = "pipeline",
    summary = "Complete one of the caller's tasks now; the account's history gets a line",
    params(("id" = i64, Path)),
    request_body = ref("#/components/schemas/Versioned"),
    responses((status = 200, description = "The task, done", body = ref("#/components/schemas/Task")),
        (status = 404, description = "Not among the caller's tasks", body = ref("#/components/schemas/Error")),
        (status = 409, description = "Stale version", body = ref("#/components/schemas/Error")),
        (status = 422, description = "Already done", body = ref("#/components/schemas/Error"))))]
async fn complete_task(
    scoped: Scoped,
    Path(id): Path<i64>,
    ApiJson(body): ApiJson<Versioned>,
) -> Result<Json<Map<String, Value>>, ApiError> {
    Ok(Json(scoped.complete_task(id, body.version).await?))
}

/// `GET /my-day`
#[utoipa::path(get, path = "/my-day", tag = "pipeline",
    summary = "The caller's day: their open tasks overdue (oldest first) and due today, and today's visits at their accounts",
    responses((status = 200, description = "The day", body = ref("#/components/schemas/MyDay"))))]
async fn my_day(scoped: Scoped) -> Result<Json<MyDay>, ApiError> {
    Ok(Json(scoped.my_day().await?))
}

/// The schemas the pipeline routes refer to.
pub(crate) fn schemas(schemas: &mut Map<String, Value>) {
    let int = json!({ "type": "integer" });
    let text = json!({ "type": "string" });
    let stage = json!({ "type": "object", "required": ["stage", "probability_pct"], "properties": {
        "stage": { "type": "string", "enum": wilayah_shared::resources::PIPELINE_STAGES },
        "probability_pct": { "type": "integer", "minimum": 0, "maximum": 100 } } });
    schemas.insert(
        "LeadMove".into(),
        json!({ "type": "object", "required": ["version", "status"], "additionalProperties": false, "properties": {
            "version": int, "status": { "type": "string", "enum": ["new", "contacted", "qualified", "disqualified"] },
            "reason": { "type": "string", "enum": DISQUALIFY_REASONS, "description": "Required to disqualify" },
            "note": { "type": "string", "description": "Free text with the reason (required for other)" } } }),
    );
    schemas.insert(
        "Convert".into(),
        json!({ "type": "object", "required": ["version", "deal"], "additionalProperties": false, "properties": {
            "version": int, "deal": { "type": "object", "required": ["title"], "properties": {
                "title": text, "value_minor": int, "currency": text,
                "expected_close": { "type": "string", "format": "date" }, "owner_id": int } } } }),
    );
    schemas.insert(
        "Converted".into(),
        json!({ "type": "object", "properties": {
            "account": { "$ref": "#/components/schemas/Account" },
            "opportunity": { "$ref": "#/components/schemas/Opportunity" } } }),
    );
    schemas.insert(
        "Board".into(),
        json!({ "type": "object", "properties": {
            "columns": { "type": "array", "items": { "type": "object", "properties": {
                "stage": text, "probability_pct": int, "count": int,
                "totals": { "type": "array", "description": "Per currency, the largest value first",
                    "items": { "type": "object", "properties": {
                        "currency": text, "value_minor": int, "weighted_minor": int } } },
                "deals": { "type": "array", "items": { "type": "object" } } } } },
            "disqualify_reasons": { "type": "array", "items": text } } }),
    );
    schemas.insert(
        "Stages".into(),
        json!({ "type": "object", "required": ["stages"], "properties": {
            "stages": { "type": "array", "items": stage } } }),
    );
    schemas.insert(
        "MyDay".into(),
        json!({ "type": "object", "properties": {
            "date": { "type": "string", "format": "date" },
            "overdue": { "type": "array", "items": { "$ref": "#/components/schemas/Task" } },
            "today": { "type": "array", "items": { "$ref": "#/components/schemas/Task" } },
            "visits": { "type": "array", "items": { "type": "object" } } } }),
    );
}
