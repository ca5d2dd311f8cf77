//! Import and export: `POST /accounts/import` (CSV or GeoJSON, all or nothing, `?dry_run=true` to
//! only check), `GET /accounts/export?format=csv|geojson` with the list filters, and the same for
//! territories in GeoJSON. A refused import answers 422 with every error by row and field.

use axum::Json;
use axum::Router;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use serde_json::json;
use wilayah_app::store::StoreError;
use wilayah_shared::account::{AccountQuery, MAX_PAGE_SIZE};
use wilayah_shared::transfer::{
    Format, RowErrors, read_accounts, territories_from_geojson, territories_to_geojson,
    write_accounts,
};

use super::accounts::account_filter_query;
use super::error::ApiError;
use super::extract::ApiQuery;
use super::scope::Scoped;
use crate::AppState;

/// Imports may be far larger than other request bodies (the API-wide limit is 8 MiB).
const MAX_IMPORT_BYTES: usize = 64 * 1024 * 1024;

pub fn router() -> Router<AppState> {
    let import_limit = DefaultBodyLimit::max(MAX_IMPORT_BYTES);
    Router::new()
        .route(
            "/accounts/import",
            post(import_accounts).layer(import_limit),
        )
        .route("/accounts/export", get(export_accounts))
        .route(
            "/territories/import",
            post(import_territories).layer(import_limit),
        )
        .route("/territories/export", get(export_territories))
}

fn internal(e: impl std::error::Error + Send + Sync + 'static) -> ApiError {
    ApiError::Store(StoreError::Database(Box::new(e)))
}

/// The body of an import, with an oversized one answered 413 as JSON.
fn body(body: Result<Bytes, BytesRejection>) -> Result<Bytes, ApiError> {
    body.map_err(|rejection| match rejection.status() {
        StatusCode::PAYLOAD_TOO_LARGE => ApiError::PayloadTooLarge,
        _ => ApiError::BadRequest {
            message: rejection.body_text(),
            field: None,
        },
    })
}

/// The format of an import body: `?format=` if given, else its Content-Type.
fn body_format(headers: &HeaderMap, format: Option<&str>) -> Result<Format, ApiError> {
    if let Some(format) = format {
        return Ok(format.parse()?);
    }
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(Format::from_media_type)
        .ok_or_else(|| {
            ApiError::UnsupportedMediaType(
                "send accounts as Content-Type: text/csv or application/geo+json".to_owned(),
            )
        })
}

/// Parsing a large file is CPU work: it runs off the async workers.
async fn parse<T: Send + 'static>(
    data: Bytes,
    read: impl FnOnce(&[u8]) -> Result<T, RowErrors> + Send + 'static,
) -> Result<T, ApiError> {
    tokio::task::spawn_blocking(move || read(&data))
        .await
        .map_err(internal)?
        .map_err(ApiError::Rows)
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ImportParams {
    #[serde(default)]
    dry_run: bool,
    /// Overrides the Content-Type: `csv` or `geojson`.
    format: Option<String>,
}

/// What an import answers: 201 with the new ids, or 200 with the number of valid rows on a dry
/// run (nothing written).
fn imported(dry_run: bool, ids: Vec<i64>) -> Response {
    if dry_run {
        Json(json!({ "dry_run": true, "valid": ids.len() })).into_response()
    } else {
        (
            StatusCode::CREATED,
            Json(json!({ "imported": ids.len(), "ids": ids })),
        )
            .into_response()
    }
}

/// `POST /accounts/import[?dry_run=true]`, body CSV (`text/csv`) or GeoJSON
/// (`application/geo+json`): all rows or none; 422 lists every bad row.
pub async fn import_accounts(
    scoped: Scoped,
    headers: HeaderMap,
    ApiQuery(params): ApiQuery<ImportParams>,
    data: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let format = body_format(&headers, params.format.as_deref())?;
    let rows = parse(body(data)?, move |data| {
        read_accounts(format, data, &mut |_, _| {})
    })
    .await?;
    let accounts = scoped.import_accounts(&rows, params.dry_run).await?;
    Ok(imported(
        params.dry_run,
        accounts.iter().map(|a| a.id).collect(),
    ))
}

/// `POST /territories/import[?dry_run=true]`, body a GeoJSON FeatureCollection.
pub async fn import_territories(
    State(state): State<AppState>,
    headers: HeaderMap,
    ApiQuery(params): ApiQuery<ImportParams>,
    data: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    if body_format(&headers, params.format.as_deref())? != Format::GeoJson {
        return Err(ApiError::UnsupportedMediaType(
            "territories are imported as GeoJSON (application/geo+json)".to_owned(),
        ));
    }
    let rows = parse(body(data)?, |data| {
        territories_from_geojson(data, &mut |_, _| {})
    })
    .await?;
    let territories = state
        .store
        .import_territories(&rows, params.dry_run, &|_, _| {})
        .await?;
    Ok(imported(
        params.dry_run,
        territories.iter().map(|t| t.id).collect(),
    ))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExportParams {
    /// `csv` (default) or `geojson`.
    format: Option<String>,
    kind: Option<String>,
    status: Option<String>,
    owner_id: Option<i64>,
    territory_id: Option<i64>,
    segment: Option<String>,
    tag: Option<String>,
    /// Accounts with a deal at this pipeline stage.
    stage: Option<String>,
    /// Name contains (case-insensitive).
    q: Option<String>,
}

/// A file download: the content type and a dated file name.
fn download(format: Format, what: &str, body: Vec<u8>) -> Response {
    let extension = format.as_str();
    let date = chrono::Utc::now().date_naive();
    let disposition = format!("attachment; filename=\"wilayah-{what}-{date}.{extension}\"");
    (
        [
            (header::CONTENT_TYPE, format.content_type().to_owned()),
            (header::CONTENT_DISPOSITION, disposition),
        ],
        body,
    )
        .into_response()
}

/// `GET /accounts/export?format=csv|geojson` with the filters of `GET /accounts`: every match,
/// in id order, as a file [`import_accounts`] reads back.
pub async fn export_accounts(
    scoped: Scoped,
    ApiQuery(params): ApiQuery<ExportParams>,
) -> Result<Response, ApiError> {
    let format = params
        .format
        .as_deref()
        .map(str::parse::<Format>)
        .transpose()?
        .unwrap_or(Format::Csv);
    let query = AccountQuery {
        name_contains: params.q.clone().filter(|q| !q.trim().is_empty()),
        limit: MAX_PAGE_SIZE,
        ..account_filter_query!(params)?
    };
    let accounts = scoped.export_accounts(query).await?;
    let body = tokio::task::spawn_blocking(move || write_accounts(format, &accounts))
        .await
        .map_err(internal)?;
    Ok(download(format, "accounts", body))
}

/// `GET /territories/export`: every territory as a GeoJSON FeatureCollection.
pub async fn export_territories(State(state): State<AppState>) -> Result<Response, ApiError> {
    let territories = state.store.export_territories().await?;
    Ok(download(
        Format::GeoJson,
        "territories",
        territories_to_geojson(&territories).into_bytes(),
    ))
}
