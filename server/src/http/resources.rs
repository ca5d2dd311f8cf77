//! Generic REST handlers for the declarative resources (`/api/v1/contacts`, `/staff`,
//! `/territories`, `/opportunities`, `/activities`, `/cases`, `/visits`) and the account history.

use std::collections::HashMap;

use axum::Json;
use axum::extract::Path;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::{get, patch, post};
use serde_json::{Map, Value};
use wilayah_shared::account::{DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE};
use wilayah_shared::resource::{ResourceSpec, parse_filter};

use super::declare::Api;
use super::error::ApiError;
use super::extract::{ApiJson, ApiQuery};
use super::scope::Scoped;
use crate::db::{RecordPage, ResourceQuery};
use wilayah_shared::access::generic_rule;
use wilayah_shared::account::TimelineEntry;

/// Routes for one resource: list and create on the collection, read, patch and delete on items,
/// each with the rule the role × resource matrix gives its action. Their OpenAPI entries come
/// from the spec (`openapi::describe`).
pub fn declare(api: Api, spec: &'static ResourceSpec) -> Api {
    let collection = format!("/{}", spec.name);
    let item = format!("/{}/{{id}}", spec.name);
    let rule = |method: &str, on_item: bool| {
        generic_rule(spec.name, method, on_item).expect("a method the generic routes have")
    };
    api.route_undocumented(
        "GET",
        &collection,
        rule("GET", false),
        get(move |scoped, query| list(scoped, spec, query)),
    )
    .route_undocumented(
        "POST",
        &collection,
        rule("POST", false),
        post(move |scoped, body| create(scoped, spec, body)),
    )
    .route_undocumented(
        "GET",
        &item,
        rule("GET", true),
        get(move |scoped, id| read(scoped, spec, id)),
    )
    .route_undocumented(
        "PATCH",
        &item,
        rule("PATCH", true),
        patch(move |scoped, id, body| update(scoped, spec, id, body)),
    )
    .route_undocumented(
        "DELETE",
        &item,
        rule("DELETE", true),
        axum::routing::delete(move |scoped, id, headers, query| {
            delete(scoped, spec, id, headers, query)
        }),
    )
}

fn page_bounds(params: &mut HashMap<String, String>) -> Result<(u32, u64), ApiError> {
    let limit = match params.remove("limit") {
        Some(text) => text
            .parse::<u32>()
            .ok()
            .filter(|n| (1..=MAX_PAGE_SIZE).contains(n)),
        None => Some(DEFAULT_PAGE_SIZE),
    }
    .ok_or_else(|| {
        ApiError::bad_field(
            "limit",
            format!("must be a whole number between 1 and {MAX_PAGE_SIZE}"),
        )
    })?;
    let offset = match params.remove("offset") {
        Some(text) => text
            .parse::<u64>()
            .map_err(|_| ApiError::bad_field("offset", "must be a whole number"))?,
        None => 0,
    };
    Ok((limit, offset))
}

/// `?sort=name` or `?sort=-created_at`: sortable fields, `id` and `created_at`.
fn sort_key(spec: &'static ResourceSpec, key: &str) -> Result<(&'static str, bool), ApiError> {
    let (name, descending) = key.strip_prefix('-').map_or((key, false), |k| (k, true));
    let column = match name {
        "id" => "id",
        "created_at" => "created_at",
        other => spec
            .field(other)
            .filter(|f| f.sort)
            .map(|f| f.name)
            .ok_or_else(|| {
                let mut keys = vec!["id", "created_at"];
                keys.extend(spec.fields.iter().filter(|f| f.sort).map(|f| f.name));
                ApiError::bad_field(
                    "sort",
                    format!(
                        "cannot sort {} by {other:?}; sortable: {}",
                        spec.name,
                        keys.join(", ")
                    ),
                )
            })?,
    };
    Ok((column, descending))
}

async fn list(
    scoped: Scoped,
    spec: &'static ResourceSpec,
    ApiQuery(mut params): ApiQuery<HashMap<String, String>>,
) -> Result<Json<RecordPage>, ApiError> {
    let (limit, offset) = page_bounds(&mut params)?;
    let sort = sort_key(
        spec,
        params
            .remove("sort")
            .as_deref()
            .unwrap_or(spec.default_sort),
    )?;
    let mut names: Vec<&String> = params.keys().collect();
    names.sort();
    let mut filters = Vec::new();
    for name in names {
        let field = spec.field(name).filter(|f| f.filter).ok_or_else(|| {
            let allowed: Vec<&str> = spec.fields.iter().filter(|f| f.filter).map(|f| f.name).collect();
            ApiError::BadRequest {
                message: format!(
                    "unknown parameter {name:?}; {} can be filtered by: {} (and limit, offset, sort)",
                    spec.name,
                    allowed.join(", ")
                ),
                field: None,
            }
        })?;
        let value = parse_filter(field, &params[name])
            .map_err(|e| ApiError::bad_field(e.field, e.message))?;
        filters.push((field, value));
    }
    let query = ResourceQuery {
        filters,
        sort,
        limit,
        offset,
    };
    Ok(Json(scoped.records(spec, &query).await?))
}

async fn read(
    scoped: Scoped,
    spec: &'static ResourceSpec,
    Path(id): Path<i64>,
) -> Result<Json<Map<String, Value>>, ApiError> {
    Ok(Json(scoped.record(spec, id).await?))
}

async fn create(
    scoped: Scoped,
    spec: &'static ResourceSpec,
    ApiJson(body): ApiJson<Value>,
) -> Result<impl IntoResponse, ApiError> {
    let record = scoped.create_record(spec, body).await?;
    let location = format!("/api/v1/{}/{}", spec.name, record["id"]);
    Ok((
        StatusCode::CREATED,
        [(header::LOCATION, location)],
        Json(record),
    ))
}

async fn update(
    scoped: Scoped,
    spec: &'static ResourceSpec,
    Path(id): Path<i64>,
    ApiJson(body): ApiJson<Value>,
) -> Result<Json<Map<String, Value>>, ApiError> {
    Ok(Json(scoped.update_record(spec, id, body).await?))
}

async fn delete(
    scoped: Scoped,
    spec: &'static ResourceSpec,
    Path(id): Path<i64>,
    headers: HeaderMap,
    ApiQuery(params): ApiQuery<HashMap<String, String>>,
) -> Result<StatusCode, ApiError> {
    let version =
        super::accounts::expected_version(&headers, params.get("version").map(String::as_str))?;
    scoped.delete_record(spec, id, version).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `GET /accounts/{id}/history`: one timeline of activities (including pipeline, case and visit
/// status changes), visits, cases and deals, newest first: what sales, service and marketing
/// each did with the customer, in one place.
#[utoipa::path(get, path = "/accounts/{id}/history", tag = "accounts",
    summary = "The account's timeline: activities, visits, cases, deals and their status changes, newest first",
    params(("id" = i64, Path, description = "The account"), ("limit" = Option<u32>, Query, minimum = 1, description = "Page size (default 50)"),
        ("offset" = Option<u64>, Query, description = "Entries to skip")),
    responses((status = 200, description = "Newest first", body = ref("#/components/schemas/Timeline")), (status = 404, description = "No such account", body = ref("#/components/schemas/Error"))))]
pub async fn account_history(
    scoped: Scoped,
    Path(id): Path<i64>,
    ApiQuery(mut params): ApiQuery<HashMap<String, String>>,
) -> Result<Json<Vec<TimelineEntry>>, ApiError> {
    let (limit, offset) = page_bounds(&mut params)?;
    if let Some(name) = params.keys().next() {
        return Err(ApiError::BadRequest {
            message: format!("unknown parameter {name:?}; use limit, offset"),
            field: None,
        });
    }
    Ok(Json(scoped.account_history(id, limit, offset).await?))
}
