//! `/api/v1/segments` (issue 16 item 1): saved segments — criteria (the map filter's fields,
//! tags, churn risk, the last order) and an area (a polygon, a radius, a territory) — their
//! members among the caller's accounts, a CSV export of them, and a preview of a definition not
//! yet saved (the editor's live count). The rules are on the scoped handle (`scope::segments`).

use axum::Json;
use axum::extract::Path;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use utoipa_axum::routes;
use wilayah_shared::access::Action::{Create, Delete, Export, Read, Update};
use wilayah_shared::access::Rule::Can;
use wilayah_shared::segments::{Definition, Members, NewSegment, Segment};
use wilayah_shared::transfer::accounts_to_csv;

use super::declare::Api;
use super::error::ApiError;
use super::extract::ApiJson;
use super::scope::Scoped;

pub fn declare(api: Api) -> Api {
    api.route(Can("segments", Read), routes!(list))
        .route(Can("segments", Create), routes!(create))
        .route(Can("segments", Read), routes!(get))
        .route(Can("segments", Update), routes!(update))
        .route(Can("segments", Delete), routes!(delete))
        .route(Can("segments", Read), routes!(members))
        .route(Can("segments", Export), routes!(export))
        .route(Can("segments", Read), routes!(preview))
}

/// `GET /segments`
#[utoipa::path(get, path = "/segments", tag = "campaigns",
    summary = "Saved segments, by name: each a name and a definition (criteria and area)",
    responses((status = 200, description = "The segments", body = Object)))]
async fn list(scoped: Scoped) -> Result<Json<Vec<Segment>>, ApiError> {
    Ok(Json(scoped.segments().await?))
}

/// `POST /segments {"name", "definition"}` → 201
#[utoipa::path(post, path = "/segments", tag = "campaigns",
    summary = "Save a segment: criteria (`filter` with the map's fields, `any_tag`, `min_churn_risk`, `last_order_after`, `last_order_before`) and an optional area (`{type: polygon, coordinates}`, `{type: radius, lon, lat, metres}`, `{type: territory, territory_id}`)",
    request_body = Object,
    responses((status = 201, description = "Saved", body = Object),
        (status = 400, description = "Malformed body", body = ref("#/components/schemas/Error")),
        (status = 422, description = "An empty name, a churn risk outside 0..1, a radius out of range or an invalid polygon (field named)", body = ref("#/components/schemas/Error"))))]
async fn create(
    scoped: Scoped,
    ApiJson(body): ApiJson<NewSegment>,
) -> Result<impl IntoResponse, ApiError> {
    let segment = scoped.create_segment(body).await?;
    let location = format!("/api/v1/segments/{}", segment.id);
    Ok((
        StatusCode::CREATED,
        [(header::LOCATION, location)],
        Json(segment),
    ))
}

/// `GET /segments/{id}`
#[utoipa::path(get, path = "/segments/{id}", tag = "campaigns",
    summary = "One segment's definition",
    params(("id" = i64, Path, description = "The segment")),
    responses((status = 200, description = "The segment", body = Object),
        (status = 404, description = "No such segment", body = ref("#/components/schemas/Error"))))]
async fn get(scoped: Scoped, Path(id): Path<i64>) -> Result<Json<Segment>, ApiError> {
    Ok(Json(scoped.segment(id).await?))
}

/// `PATCH /segments/{id} {"name", "definition", "version"}`
#[utoipa::path(patch, path = "/segments/{id}", tag = "campaigns",
    summary = "Replace a segment's name and definition, if it is still at `version`",
    params(("id" = i64, Path, description = "The segment")),
    request_body = Object,
    responses((status = 200, description = "Changed", body = Object),
        (status = 404, description = "No such segment", body = ref("#/components/schemas/Error")),
        (status = 409, description = "Stale version", body = ref("#/components/schemas/Error")),
        (status = 422, description = "A rule broken (field named)", body = ref("#/components/schemas/Error"))))]
async fn update(
    scoped: Scoped,
    Path(id): Path<i64>,
    ApiJson(body): ApiJson<NewSegment>,
) -> Result<Json<Segment>, ApiError> {
    Ok(Json(scoped.update_segment(id, body).await?))
}

/// `DELETE /segments/{id}` → 204
#[utoipa::path(delete, path = "/segments/{id}", tag = "campaigns",
    summary = "Delete a segment (campaigns launched from it keep their recipients)",
    params(("id" = i64, Path, description = "The segment")),
    responses((status = 204, description = "Deleted"),
        (status = 404, description = "No such segment", body = ref("#/components/schemas/Error"))))]
async fn delete(scoped: Scoped, Path(id): Path<i64>) -> Result<StatusCode, ApiError> {
    scoped.delete_segment(id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `GET /segments/{id}/members`
#[utoipa::path(get, path = "/segments/{id}/members", tag = "campaigns",
    summary = "The segment's members now, among the caller's accounts (by id): the area evaluated with the spatial index, then the criteria",
    params(("id" = i64, Path, description = "The segment")),
    responses((status = 200, description = "`count` and `accounts`", body = Object),
        (status = 404, description = "No such segment", body = ref("#/components/schemas/Error")),
        (status = 422, description = "Its territory is no longer published (field area)", body = ref("#/components/schemas/Error"))))]
async fn members(scoped: Scoped, Path(id): Path<i64>) -> Result<Json<Members>, ApiError> {
    let segment = scoped.segment(id).await?;
    Ok(Json(Members::of(
        scoped.segment_members(&segment.definition).await?,
    )))
}

/// `GET /segments/{id}/export`
#[utoipa::path(get, path = "/segments/{id}/export", tag = "campaigns",
    summary = "The segment's members among the caller's accounts as CSV (the accounts export's columns, re-importable)",
    params(("id" = i64, Path, description = "The segment")),
    responses((status = 200, description = "The file", content((String = "text/csv"))),
        (status = 404, description = "No such segment", body = ref("#/components/schemas/Error"))))]
async fn export(scoped: Scoped, Path(id): Path<i64>) -> Result<Response, ApiError> {
    let segment = scoped.segment(id).await?;
    let members = scoped.segment_members(&segment.definition).await?;
    Ok(super::csv_file(
        &format!("segment-{id}"),
        accounts_to_csv(&members),
    ))
}

/// `POST /segments/preview {"criteria", "area"}`
#[utoipa::path(post, path = "/segments/preview", tag = "campaigns",
    summary = "The members a definition not yet saved would have now (the segment editor's live count and map preview)",
    request_body = Object,
    responses((status = 200, description = "`count` and `accounts`", body = Object),
        (status = 400, description = "Malformed body", body = ref("#/components/schemas/Error")),
        (status = 422, description = "A rule broken (field named)", body = ref("#/components/schemas/Error"))))]
async fn preview(
    scoped: Scoped,
    ApiJson(definition): ApiJson<Definition>,
) -> Result<Json<Members>, ApiError> {
    let checked = NewSegment {
        name: "preview".into(),
        definition,
        version: None,
    }
    .validate()?;
    Ok(Json(Members::of(
        scoped.segment_members(&checked.definition).await?,
    )))
}
