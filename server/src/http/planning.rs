//! Territory planning over HTTP, under `/planning`: drafts (create, edit, import GeoJSON,
//! preview, publish, rebase), stateless validation, auto-assignment of accounts to the
//! published territories, the accounts in no territory, balanced proposals and the audit
//! trail. The actor is the signed-in user; the `X-Wilayah-Actor` header or an `actor` field only
//! count for requests without one ([`actor`]). Every route here is in the OpenAPI document
//! (the `#[utoipa::path]` of each handler).

use std::time::Duration;

use axum::Json;
use axum::body::Bytes;
use axum::extract::Path;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use wilayah_shared::account::ValidationError;
use wilayah_shared::planning::{
    Draft, DraftTerritory, Measure, Problem, Severity, VisitModel, feature_label,
    territories_from_geojson, validate_draft,
};
use wilayah_shared::transfer::{Territory, territories_to_geojson};

use super::declare::Api;
use super::error::ApiError;
use super::extract::{ApiJson, ApiQuery};
use super::scope::Scoped;
use crate::db::{PlanningError, PlanningStore, PublishOutcome};
use crate::planning_service::{
    BalanceProposal, BalanceRequest, Preview, PreviewInput, RepTotals, Spreads, preview,
    propose_balance, sales_rep_ids,
};
use utoipa_axum::routes;
use wilayah_shared::access::Action::{Import, Update};
use wilayah_shared::access::Rule::Can;

const ACTOR_HEADER: &str = "x-wilayah-actor";
const MAX_NAME_CHARS: usize = 200;
const MAX_TIME_BUDGET_MS: u64 = 5_000;

pub fn declare(api: Api) -> Api {
    let planner = Can("territories", Update);
    api.route(planner, routes!(revision))
        .route(planner, routes!(validate))
        .route(planner, routes!(list_drafts))
        .route(planner, routes!(create_draft))
        .route(planner, routes!(get_draft))
        .route(planner, routes!(update_draft))
        .route(planner, routes!(delete_draft))
        .route(Can("territories", Import), routes!(import_into_draft))
        // A draft is the planner's work in progress: exporting it is planning, not a territory export.
        .route(planner, routes!(export_draft))
        .route(planner, routes!(preview_draft))
        .route(planner, routes!(publish))
        .route(planner, routes!(auto_assign))
        .route(planner, routes!(unassigned))
        .route(planner, routes!(balance))
        .route(planner, routes!(publications))
}

fn invalid(field: &'static str, message: impl Into<String>) -> ApiError {
    ApiError::Invalid(ValidationError::new(field, message))
}

/// Who is acting: the signed-in user; without one the `X-Wilayah-Actor` header, else the
/// body's `actor`, else "anonymous".
fn actor(headers: &HeaderMap, body_actor: Option<&str>) -> String {
    // The signed-in user when there is one (the auth guard sets it for every request).
    let signed_in = crate::db::current_actor();
    if signed_in.user_id.is_some() {
        return signed_in.label;
    }
    headers
        .get(ACTOR_HEADER)
        .and_then(|v| v.to_str().ok())
        .or(body_actor)
        .map(str::trim)
        .filter(|a| !a.is_empty())
        .map_or_else(|| "anonymous".to_owned(), |a| a.chars().take(100).collect())
}

/// A JSON body that may be left out (then the defaults apply).
fn optional_json<T: serde::de::DeserializeOwned + Default>(body: &[u8]) -> Result<T, ApiError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(T::default());
    }
    serde_json::from_slice(body).map_err(|e| ApiError::BadRequest {
        message: format!("invalid body: {e}"),
        field: None,
    })
}

impl From<PlanningError> for ApiError {
    fn from(e: PlanningError) -> Self {
        match e {
            PlanningError::Store(e) => e.into(),
            other => ApiError::ConflictMessage(other.to_string()),
        }
    }
}

/// Names and ids of a draft's territories are sound enough to store (geometry problems are
/// stored and shown, not refused).
fn check_territories(territories: &[DraftTerritory]) -> Result<(), ApiError> {
    let mut ids = std::collections::HashSet::new();
    // Sizes first: the geometry checks that follow (off the async workers) are bounded by them.
    let mut budget = wilayah_shared::geojson::VertexBudget::new();
    for t in territories {
        budget.take_geojson(&t.geometry, "territories")?;
    }
    for (i, t) in territories.iter().enumerate() {
        if t.name.chars().count() > MAX_NAME_CHARS {
            return Err(invalid(
                "territories",
                format!(
                    "territory {}: name longer than {MAX_NAME_CHARS} characters",
                    i + 1
                ),
            ));
        }
        if let Some(id) = t.id
            && !ids.insert(id)
        {
            return Err(invalid(
                "territories",
                format!("territory {}: id {id} appears twice", i + 1),
            ));
        }
        if !t.geometry.is_object() {
            return Err(invalid(
                "territories",
                format!("territory {}: geometry must be a GeoJSON object", i + 1),
            ));
        }
    }
    Ok(())
}

#[derive(Serialize)]
struct RevisionBody {
    revision: i64,
}

/// `GET /planning/revision`: the published revision drafts are based on.
#[utoipa::path(get, path = "/planning/revision", tag = "planning", summary = "The published territories' revision",
    responses((status = 200, description = "The revision", body = ref("#/components/schemas/PlanningRevision"))))]
async fn revision(scoped: Scoped) -> Result<Json<RevisionBody>, ApiError> {
    let planning = scoped.planning()?;
    Ok(Json(RevisionBody {
        revision: planning.planning_revision().await?,
    }))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ValidateBody {
    territories: Vec<DraftTerritory>,
}

#[derive(Serialize)]
struct ProblemsBody {
    valid: bool,
    problems: Vec<Problem>,
}

/// `POST /planning/validate {territories}`: the problems of a territory set, nothing stored.
#[utoipa::path(post, path = "/planning/validate", tag = "planning",
    summary = "Problems of a territory set (self-intersections, overlaps, gaps, names), each with the place to point at; nothing stored",
    request_body = ref("#/components/schemas/PlanningValidateRequest"),
    responses((status = 200, description = "The problems", body = ref("#/components/schemas/PlanningProblems")), (status = 400, description = "Malformed body", body = ref("#/components/schemas/Error")),
        (status = 422, description = "A name too long, an id twice, a geometry not an object", body = ref("#/components/schemas/Error"))))]
async fn validate(ApiJson(body): ApiJson<ValidateBody>) -> Result<Json<ProblemsBody>, ApiError> {
    check_territories(&body.territories)?;
    let problems = tokio::task::spawn_blocking(move || validate_draft(&body.territories))
        .await
        .map_err(|e| ApiError::Store(wilayah_app::store::StoreError::Database(Box::new(e))))?;
    Ok(Json(ProblemsBody {
        valid: problems.iter().all(|p| p.severity != Severity::Error),
        problems,
    }))
}

fn published_as_draft(published: &[crate::db::PublishedTerritory]) -> Vec<DraftTerritory> {
    published
        .iter()
        .map(|t| DraftTerritory {
            id: Some(t.id),
            name: t.name.clone(),
            owner_id: t.owner_id,
            geometry: t.geometry.0.clone(),
        })
        .collect()
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CreateDraftBody {
    name: Option<String>,
    /// Default: a copy of the published territories.
    territories: Option<Vec<DraftTerritory>>,
    actor: Option<String>,
}

fn draft_name(name: Option<String>) -> Result<String, ApiError> {
    let name = name
        .map(|n| n.trim().to_owned())
        .filter(|n| !n.is_empty())
        .unwrap_or_else(|| format!("Draft {}", chrono::Utc::now().format("%Y-%m-%d %H:%M")));
    if name.chars().count() > MAX_NAME_CHARS {
        return Err(invalid(
            "name",
            format!("longer than {MAX_NAME_CHARS} characters"),
        ));
    }
    Ok(name)
}

/// `POST /planning/drafts {name?, territories?}` → 201 with the draft.
#[utoipa::path(post, path = "/planning/drafts", tag = "planning",
    summary = "Create a draft (default: a copy of the published territories)",
    request_body = ref("#/components/schemas/DraftInput"),
    responses((status = 201, description = "Created", body = ref("#/components/schemas/Draft")), (status = 400, description = "Malformed body", body = ref("#/components/schemas/Error")), (status = 422, description = "A field breaks a rule", body = ref("#/components/schemas/Error"))))]
async fn create_draft(
    scoped: Scoped,
    headers: HeaderMap,
    ApiJson(body): ApiJson<CreateDraftBody>,
) -> Result<Response, ApiError> {
    let planning = scoped.planning()?;
    let name = draft_name(body.name)?;
    let territories = match body.territories {
        Some(t) => t,
        None => published_as_draft(&planning.published_territories().await?),
    };
    check_territories(&territories)?;
    let who = actor(&headers, body.actor.as_deref());
    let draft = planning
        .create_draft(&name, &territories, Some(&who), chrono::Utc::now())
        .await?;
    Ok((StatusCode::CREATED, Json(draft)).into_response())
}

/// `GET /planning/drafts`: every draft, newest first.
#[utoipa::path(get, path = "/planning/drafts", tag = "planning", summary = "Every draft, newest first",
    responses((status = 200, description = "Drafts", body = ref("#/components/schemas/DraftList"))))]
async fn list_drafts(scoped: Scoped) -> Result<Json<Vec<Draft>>, ApiError> {
    let planning = scoped.planning()?;
    Ok(Json(planning.list_drafts().await?))
}

#[utoipa::path(get, path = "/planning/drafts/{id}", tag = "planning", summary = "Read a draft",
    params(("id" = i64, Path, description = "The draft")), responses((status = 200, description = "The draft", body = ref("#/components/schemas/Draft")), (status = 404, description = "No such draft", body = ref("#/components/schemas/Error"))))]
async fn get_draft(scoped: Scoped, Path(id): Path<i64>) -> Result<Json<Draft>, ApiError> {
    let planning = scoped.planning()?;
    Ok(Json(planning.get_draft(id).await?))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct UpdateDraftBody {
    version: i64,
    name: Option<String>,
    territories: Option<Vec<DraftTerritory>>,
    /// Move the draft onto the current published revision (after seeing what changed).
    #[serde(default)]
    rebase: bool,
}

/// `PATCH /planning/drafts/{id} {version, name?, territories?, rebase?}`; 409 when the draft
/// changed since `version`.
#[utoipa::path(patch, path = "/planning/drafts/{id}", tag = "planning",
    summary = "Change a draft's name or territories, or rebase it onto the current published revision",
    params(("id" = i64, Path, description = "The draft")), request_body = ref("#/components/schemas/DraftPatch"),
    responses((status = 200, description = "Changed", body = ref("#/components/schemas/Draft")), (status = 404, description = "No such draft", body = ref("#/components/schemas/Error")),
        (status = 409, description = "Changed since `version`, or already published", body = ref("#/components/schemas/Error")), (status = 422, description = "A field breaks a rule", body = ref("#/components/schemas/Error"))))]
async fn update_draft(
    scoped: Scoped,
    Path(id): Path<i64>,
    ApiJson(body): ApiJson<UpdateDraftBody>,
) -> Result<Json<Draft>, ApiError> {
    let planning = scoped.planning()?;
    let name = body.name.map(|n| draft_name(Some(n))).transpose()?;
    if let Some(t) = &body.territories {
        check_territories(t)?;
    }
    Ok(Json(
        planning
            .update_draft(
                id,
                body.version,
                name.as_deref(),
                body.territories.as_deref(),
                body.rebase,
                chrono::Utc::now(),
            )
            .await?,
    ))
}

#[utoipa::path(delete, path = "/planning/drafts/{id}", tag = "planning", summary = "Delete a draft",
    params(("id" = i64, Path, description = "The draft")), responses((status = 204, description = "Deleted"), (status = 404, description = "No such draft", body = ref("#/components/schemas/Error"))))]
async fn delete_draft(scoped: Scoped, Path(id): Path<i64>) -> Result<StatusCode, ApiError> {
    let planning = scoped.planning()?;
    planning.delete_draft(id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ImportParams {
    version: i64,
    /// Replace the draft's territories instead of adding to them.
    #[serde(default)]
    replace: bool,
}

/// `POST /planning/drafts/{id}/import?version=N[&replace=true]`, body a GeoJSON
/// FeatureCollection of Polygon/MultiPolygon features (`name` or `NAME`, `owner_id`).
#[utoipa::path(post, path = "/planning/drafts/{id}/import", tag = "planning",
    summary = "Add (or with replace, put instead) the features of a GeoJSON FeatureCollection to a draft: Polygon/MultiPolygon, name from `name` or `NAME`, optional `owner_id`; flawed geometries are kept and reported by validation",
    params(("id" = i64, Path, description = "The draft"), ("version" = i64, Query, description = "The draft version you last read"),
        ("replace" = Option<bool>, Query, description = "Replace the draft's territories (default false)")),
    request_body(content((Object = "application/geo+json"), (Object = "application/json"))),
    responses((status = 200, description = "The draft with the imported territories", body = ref("#/components/schemas/Draft")),
        (status = 404, description = "No such draft", body = ref("#/components/schemas/Error")), (status = 409, description = "Changed since `version`, or already published", body = ref("#/components/schemas/Error")),
        (status = 422, description = "Not GeoJSON, no features, or a feature refused (the message names it by position and name: not an area, a bad or unknown owner_id); nothing imported", body = ref("#/components/schemas/Error"))))]
async fn import_into_draft(
    scoped: Scoped,
    Path(id): Path<i64>,
    ApiQuery(params): ApiQuery<ImportParams>,
    body: Bytes,
) -> Result<Json<Draft>, ApiError> {
    let planning = scoped.planning()?;
    let imported = tokio::task::spawn_blocking(move || territories_from_geojson(&body))
        .await
        .map_err(|e| ApiError::Store(wilayah_app::store::StoreError::Database(Box::new(e))))?
        .map_err(ValidationError::from)?;
    let staff = planning.staff_names().await?;
    for (i, t) in imported.iter().enumerate() {
        if let Some(owner) = t.owner_id
            && !staff.iter().any(|s| s.id == owner)
        {
            return Err(invalid(
                "body",
                format!(
                    "{}: owner_id {owner} is not a member of staff",
                    feature_label(i + 1, Some(&t.name))
                ),
            ));
        }
    }
    let draft = planning.get_draft(id).await?;
    let mut territories = if params.replace {
        Vec::new()
    } else {
        draft.territories
    };
    territories.extend(imported);
    check_territories(&territories)?;
    Ok(Json(
        planning
            .update_draft(
                id,
                params.version,
                None,
                Some(&territories),
                false,
                chrono::Utc::now(),
            )
            .await?,
    ))
}

/// `GET /planning/drafts/{id}/export`: the draft's territories as GeoJSON.
#[utoipa::path(get, path = "/planning/drafts/{id}/export", tag = "planning",
    summary = "A draft's territories as a GeoJSON FeatureCollection (re-importable)",
    params(("id" = i64, Path, description = "The draft")), responses((status = 200, description = "FeatureCollection", content((Object = "application/geo+json"))), (status = 404, description = "No such draft", body = ref("#/components/schemas/Error"))))]
async fn export_draft(scoped: Scoped, Path(id): Path<i64>) -> Result<Response, ApiError> {
    let planning = scoped.planning()?;
    let draft = planning.get_draft(id).await?;
    let territories: Vec<Territory> = draft
        .territories
        .into_iter()
        .map(|t| Territory {
            id: t.id.unwrap_or(0),
            name: t.name,
            owner_id: t.owner_id,
            geometry: t.geometry,
            version: 0,
        })
        .collect();
    Ok((
        [(axum::http::header::CONTENT_TYPE, "application/geo+json")],
        territories_to_geojson(&territories),
    )
        .into_response())
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct ModelParams {
    service_hours: Option<f64>,
    speed_kmh: Option<f64>,
}

fn visit_model(service_hours: Option<f64>, speed_kmh: Option<f64>) -> Result<VisitModel, ApiError> {
    let d = VisitModel::default();
    let service_hours = service_hours.unwrap_or(d.service_hours);
    let speed_kmh = speed_kmh.unwrap_or(d.speed_kmh);
    if !(service_hours.is_finite() && (0.0..=24.0).contains(&service_hours)) {
        return Err(invalid("service_hours", "must be between 0 and 24 hours"));
    }
    if !(speed_kmh.is_finite() && (1.0..=200.0).contains(&speed_kmh)) {
        return Err(invalid("speed_kmh", "must be between 1 and 200 km/h"));
    }
    Ok(VisitModel {
        service_hours,
        speed_kmh,
    })
}

async fn preview_of(
    planning: &dyn PlanningStore,
    draft: &Draft,
    model: VisitModel,
) -> Result<Preview, ApiError> {
    let current_revision = planning.planning_revision().await?;
    let published = planning.published_territories().await?;
    let accounts = planning.planning_accounts().await?;
    let staff = planning.staff_names().await?;
    let (draft_id, base_revision, territories) =
        (draft.id, draft.base_revision, draft.territories.clone());
    tokio::task::spawn_blocking(move || {
        preview(PreviewInput {
            draft_id,
            base_revision,
            current_revision,
            territories: &territories,
            published: &published,
            accounts: &accounts,
            staff: &staff,
            model,
        })
    })
    .await
    .map_err(|e| ApiError::Store(wilayah_app::store::StoreError::Database(Box::new(e))))
}

/// `GET /planning/drafts/{id}/preview[?service_hours&speed_kmh]`: the accounts that would move,
/// each rep's totals before and after, the spreads, the validation problems, and whether the
/// draft is stale.
#[utoipa::path(get, path = "/planning/drafts/{id}/preview", tag = "planning",
    summary = "What publishing the draft would do: accounts that move, accounts in no territory, each rep's totals before and after, the spreads, the problems, whether it is stale",
    params(("id" = i64, Path, description = "The draft"), ("service_hours" = Option<f64>, Query, minimum = 0, maximum = 24, description = "Time on site per account (visit hours; default 1)"),
        ("speed_kmh" = Option<f64>, Query, minimum = 1, maximum = 200, description = "Travel speed (visit hours; default 30)")),
    responses((status = 200, description = "The preview", body = ref("#/components/schemas/PlanningPreview")), (status = 404, description = "No such draft", body = ref("#/components/schemas/Error")),
        (status = 422, description = "service_hours or speed_kmh out of range", body = ref("#/components/schemas/Error"))))]
async fn preview_draft(
    scoped: Scoped,
    Path(id): Path<i64>,
    ApiQuery(params): ApiQuery<ModelParams>,
) -> Result<Json<Preview>, ApiError> {
    let planning = scoped.planning()?;
    let model = visit_model(params.service_hours, params.speed_kmh)?;
    let draft = planning.get_draft(id).await?;
    Ok(Json(preview_of(planning, &draft, model).await?))
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct PublishBody {
    /// The draft version the planner previewed; default the current one.
    version: Option<i64>,
    actor: Option<String>,
}

/// `POST /planning/drafts/{id}/publish {version?, actor?}`: 422 with the problems while the
/// draft has errors; 409 when it is stale or changed; else the territories are replaced and
/// the accounts reassigned in one transaction.
#[utoipa::path(post, path = "/planning/drafts/{id}/publish", tag = "planning",
    summary = "Publish a draft in one transaction: the territories are replaced and every account moves to the territory that contains it and to its rep (with an activity each and an audit entry)",
    params(("id" = i64, Path, description = "The draft")), request_body = ref("#/components/schemas/PublishRequest"),
    responses((status = 200, description = "What changed", body = ref("#/components/schemas/PlanningOutcome")), (status = 404, description = "No such draft", body = ref("#/components/schemas/Error")),
        (status = 409, description = "Stale: someone published since the draft was made (the message names both revisions; PATCH with rebase after looking), the draft changed since `version`, or it is already published", body = ref("#/components/schemas/Error")),
        (status = 422, description = "The draft has errors: `problems` lists them; nothing written", body = ref("#/components/schemas/PublishRefused"))))]
async fn publish(
    scoped: Scoped,
    Path(id): Path<i64>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let planning = scoped.planning()?;
    let body: PublishBody = optional_json(&body)?;
    let who = actor(&headers, body.actor.as_deref());
    let draft = planning.get_draft(id).await?;
    let version = body.version.unwrap_or(draft.version);
    let territories = draft.territories.clone();
    let problems = tokio::task::spawn_blocking(move || validate_draft(&territories))
        .await
        .map_err(|e| ApiError::Store(wilayah_app::store::StoreError::Database(Box::new(e))))?;
    if let Some(first) = problems.iter().find(|p| p.severity == Severity::Error) {
        return Ok((
            StatusCode::UNPROCESSABLE_ENTITY,
            Json(serde_json::json!({
                "error": format!("the draft cannot be published: {}", first.message),
                "code": "invalid",
                "field": "territories",
                "problems": problems,
            })),
        )
            .into_response());
    }
    let outcome = scoped.publish_draft(id, version, &who).await?;
    Ok(Json(outcome).into_response())
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct AutoAssignBody {
    #[serde(default)]
    dry_run: bool,
    actor: Option<String>,
}

/// `POST /planning/auto-assign {dry_run?}`: every account to the published territory that
/// contains it and to its rep, in one transaction with an activity per account moved.
#[utoipa::path(post, path = "/planning/auto-assign", tag = "planning",
    summary = "Assign every account by geometry to the published territory that contains it and to its rep (one transaction, activities, an audit entry)",
    request_body = ref("#/components/schemas/AutoAssignRequest"),
    responses((status = 200, description = "What changed (or would)", body = ref("#/components/schemas/PlanningOutcome")), (status = 400, description = "Malformed body", body = ref("#/components/schemas/Error"))))]
async fn auto_assign(
    scoped: Scoped,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<PublishOutcome>, ApiError> {
    let body: AutoAssignBody = optional_json(&body)?;
    let who = actor(&headers, body.actor.as_deref());
    Ok(Json(scoped.auto_assign(&who, body.dry_run).await?))
}

#[derive(Serialize)]
struct UnassignedAccount {
    id: i64,
    name: String,
    lon: f64,
    lat: f64,
    owner_id: Option<i64>,
    /// The territory the record names, though no territory contains the account.
    territory_id: Option<i64>,
}

/// `GET /planning/unassigned`: accounts no published territory contains, by id.
#[utoipa::path(get, path = "/planning/unassigned", tag = "planning", summary = "Accounts no published territory contains",
    responses((status = 200, description = "By id", body = ref("#/components/schemas/UnassignedAccounts"))))]
async fn unassigned(scoped: Scoped) -> Result<Json<Vec<UnassignedAccount>>, ApiError> {
    let planning = scoped.planning()?;
    let published = planning.published_territories().await?;
    let accounts = planning.planning_accounts().await?;
    let list = tokio::task::spawn_blocking(move || {
        let index = crate::db::territory_index(&published);
        let report = index.assign_all(
            crate::db::account_points(&accounts)
                .iter()
                .map(|a| (a.id, a.position)),
        );
        accounts
            .into_iter()
            .filter(|a| report.unassigned.binary_search(&a.id).is_ok())
            .map(|a| UnassignedAccount {
                id: a.id,
                name: a.name,
                lon: a.lon,
                lat: a.lat,
                owner_id: a.owner_id,
                territory_id: a.territory_id,
            })
            .collect::<Vec<_>>()
    })
    .await
    .map_err(|e| ApiError::Store(wilayah_app::store::StoreError::Database(Box::new(e))))?;
    Ok(Json(list))
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct BalanceBody {
    /// `accounts` (default), `revenue` or `visit_hours`.
    measure: Option<Measure>,
    /// Default: every sales rep.
    rep_ids: Option<Vec<i64>>,
    seed: Option<u64>,
    time_budget_ms: Option<u64>,
    max_iterations: Option<u64>,
    compactness_weight: Option<f64>,
    /// Size of the grid cells the territories are built from, degrees (default 0.1 ≈ 11 km).
    cell_deg: Option<f64>,
    /// `seeds` (default: fresh districts) or `current` (start from the reps' accounts now).
    start: Option<String>,
    service_hours: Option<f64>,
    speed_kmh: Option<f64>,
    draft_name: Option<String>,
    actor: Option<String>,
}

#[derive(Serialize)]
struct BalanceAnswer {
    draft: Draft,
    measure: Measure,
    search: BalanceProposal,
    reps: Vec<RepTotals>,
    spread_before: Spreads,
    spread_after: Spreads,
    preview: Preview,
}

/// `POST /planning/balance {measure, rep_ids?, seed?, ...}`: a balanced proposal as a new draft,
/// with each rep's totals before and after and the spreads (max/min).
#[utoipa::path(post, path = "/planning/balance", tag = "planning",
    summary = "A balanced proposal as a new draft: contiguous districts of even load, one per rep, with each rep's totals before and after and the spreads",
    request_body = ref("#/components/schemas/BalanceRequest"),
    responses((status = 201, description = "The proposal", body = ref("#/components/schemas/BalanceProposal")), (status = 400, description = "Malformed body", body = ref("#/components/schemas/Error")),
        (status = 422, description = "A value out of range or an unknown rep (the field is named)", body = ref("#/components/schemas/Error"))))]
async fn balance(
    scoped: Scoped,
    headers: HeaderMap,
    ApiJson(body): ApiJson<BalanceBody>,
) -> Result<Response, ApiError> {
    let planning = scoped.planning()?;
    let who = actor(&headers, body.actor.as_deref());
    let model = visit_model(body.service_hours, body.speed_kmh)?;
    let staff = planning.staff_names().await?;
    let rep_ids = body.rep_ids.unwrap_or_else(|| sales_rep_ids(&staff));
    if rep_ids.is_empty() {
        return Err(invalid("rep_ids", "name at least one rep"));
    }
    for (i, id) in rep_ids.iter().enumerate() {
        if !staff.iter().any(|s| s.id == *id) {
            return Err(invalid("rep_ids", format!("{id} is not a member of staff")));
        }
        if rep_ids[..i].contains(id) {
            return Err(invalid("rep_ids", format!("{id} appears twice")));
        }
    }
    let time_budget_ms = body.time_budget_ms.unwrap_or(1_000);
    if time_budget_ms == 0 || time_budget_ms > MAX_TIME_BUDGET_MS {
        return Err(invalid(
            "time_budget_ms",
            format!("must be between 1 and {MAX_TIME_BUDGET_MS}"),
        ));
    }
    let compactness_weight = body
        .compactness_weight
        .unwrap_or(wilayah_shared::planning::BalanceOptions::default().compactness_weight);
    if !(compactness_weight.is_finite() && (0.0..=10.0).contains(&compactness_weight)) {
        return Err(invalid("compactness_weight", "must be between 0 and 10"));
    }
    let cell_deg = body.cell_deg.unwrap_or(0.1);
    if !(cell_deg.is_finite() && (0.01..=2.0).contains(&cell_deg)) {
        return Err(invalid("cell_deg", "must be between 0.01 and 2 degrees"));
    }
    let from_current = match body.start.as_deref() {
        None | Some("seeds") => false,
        Some("current") => true,
        Some(other) => {
            return Err(invalid(
                "start",
                format!("{other:?} is not seeds or current"),
            ));
        }
    };
    let request = BalanceRequest {
        measure: body.measure.unwrap_or_default(),
        rep_ids,
        seed: body.seed.unwrap_or(1),
        time_budget: Duration::from_millis(time_budget_ms),
        max_iterations: body
            .max_iterations
            .unwrap_or(1_000_000)
            .clamp(1, 100_000_000),
        compactness_weight,
        cell_deg,
        from_current,
        model,
    };
    let accounts = planning.planning_accounts().await?;
    let published = planning.published_territories().await?;
    let staff_for_search = staff.clone();
    let proposal = tokio::task::spawn_blocking(move || {
        propose_balance(&request, &accounts, &published, &staff_for_search)
    })
    .await
    .map_err(|e| ApiError::Store(wilayah_app::store::StoreError::Database(Box::new(e))))?
    .map_err(|e| invalid("rep_ids", e.to_string()))?;
    let name = draft_name(Some(body.draft_name.unwrap_or_else(|| {
        format!(
            "Balanced by {} (seed {})",
            body.measure.unwrap_or_default().as_str(),
            body.seed.unwrap_or(1)
        )
    })))?;
    let draft = planning
        .create_draft(&name, &proposal.territories, Some(&who), chrono::Utc::now())
        .await?;
    let preview = preview_of(planning, &draft, model).await?;
    Ok((
        StatusCode::CREATED,
        Json(BalanceAnswer {
            measure: body.measure.unwrap_or_default(),
            search: proposal,
            reps: preview.reps.clone(),
            spread_before: preview.spread_before,
            spread_after: preview.spread_after,
            draft,
            preview,
        }),
    )
        .into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PublicationsParams {
    limit: Option<i64>,
}

/// `GET /planning/publications[?limit=50]`: who published what, newest first.
#[utoipa::path(get, path = "/planning/publications", tag = "planning",
    summary = "The planning audit trail (publications and auto-assignments), newest first",
    params(("limit" = Option<i64>, Query, minimum = 1, maximum = 1000, description = "At most this many (default 50)")),
    responses((status = 200, description = "Newest first", body = ref("#/components/schemas/Publications")), (status = 400, description = "Bad limit", body = ref("#/components/schemas/Error"))))]
async fn publications(
    scoped: Scoped,
    ApiQuery(params): ApiQuery<PublicationsParams>,
) -> Result<Json<Value>, ApiError> {
    let planning = scoped.planning()?;
    let limit = params.limit.unwrap_or(50);
    if !(1..=1000).contains(&limit) {
        return Err(ApiError::bad_field("limit", "must be between 1 and 1000"));
    }
    Ok(Json(
        serde_json::to_value(planning.publications(limit).await?).unwrap_or_default(),
    ))
}
