//! Import and export: `POST /accounts/import` (CSV or GeoJSON, all or nothing, `?dry_run=true` to
//! only check), `GET /accounts/export?format=csv|geojson` with the list filters, and the same for
//! territories in GeoJSON. A refused import answers 422 with every error by row and field.

use axum::Json;
use axum::body::Bytes;
use axum::extract::DefaultBodyLimit;
use axum::extract::rejection::BytesRejection;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::json;
use wilayah_app::store::StoreError;
use wilayah_shared::account::{AccountQuery, MAX_PAGE_SIZE};
use wilayah_shared::transfer::{
    Format, RowErrors, read_accounts, territories_from_geojson, territories_to_geojson,
    write_accounts,
};

use super::accounts::account_filter_query;
use super::declare::Api;
use super::error::ApiError;
use super::extract::ApiQuery;
use super::scope::Scoped;
use utoipa_axum::router::UtoipaMethodRouterExt;
use utoipa_axum::routes;
use wilayah_shared::access::Action::{Export, Import};
use wilayah_shared::access::Rule::Can;

/// Imports may be far larger than other request bodies (the API-wide limit is 8 MiB).
const MAX_IMPORT_BYTES: usize = 64 * 1024 * 1024;

pub fn declare(api: Api) -> Api {
    let import_limit = DefaultBodyLimit::max(MAX_IMPORT_BYTES);
    api.route(
        Can("accounts", Import),
        routes!(import_accounts).layer(import_limit),
    )
    .route(Can("accounts", Export), routes!(export_accounts))
    .route(
        Can("territories", Import),
        routes!(import_territories).layer(import_limit),
    )
    .route(Can("territories", Export), routes!(export_territories))
    .route(
        Can("orders", Import),
        routes!(import_orders).layer(import_limit),
    )
    .route(
        Can("products", Import),
        routes!(import_products).layer(import_limit),
    )
    .route(Can("products", Export), routes!(export_products))
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
fn imported(dry_run: bool, ids: Vec<i64>) -> (StatusCode, serde_json::Value) {
    if dry_run {
        (
            StatusCode::OK,
            json!({ "dry_run": true, "valid": ids.len() }),
        )
    } else {
        (
            StatusCode::CREATED,
            json!({ "imported": ids.len(), "ids": ids }),
        )
    }
}

/// `POST /accounts/import[?dry_run=true]`, body CSV (`text/csv`) or GeoJSON
/// (`application/geo+json`): all rows or none; 422 lists every bad row.
#[utoipa::path(post, path = "/accounts/import", tag = "transfer",
    summary = "Import accounts, all or nothing: CSV (text/csv, header row with the account fields, tags separated by ;) or a GeoJSON FeatureCollection of points; rows with an address and no lon/lat (no geometry) are placed by the offline gazetteer; territory and owner follow the position unless given; `rows` reports each geocoded row's precision and likely duplicates",
    params(("dry_run" = Option<bool>, Query, description = "Check every row, write nothing"),
        ("format" = Option<String>, Query, description = "csv or geojson: overrides the Content-Type")),
    request_body(content((String = "text/csv"), (Object = "application/geo+json"))),
    responses((status = 201, description = "All rows written", body = ref("#/components/schemas/Imported")),
        (status = 200, description = "Dry run: every row is valid, nothing written", body = ref("#/components/schemas/DryRun")),
        (status = 413, description = "Body over 64 MiB", body = ref("#/components/schemas/Error")), (status = 415, description = "Unknown Content-Type", body = ref("#/components/schemas/Error")),
        (status = 422, description = "Rows refused (see `errors`: row and field of each); nothing written", body = ref("#/components/schemas/Error"))))]
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
    let (accounts, reports) = scoped.import_accounts(rows, params.dry_run).await?;
    let mut answer = imported(params.dry_run, accounts.iter().map(|a| a.id).collect());
    answer.1["rows"] = serde_json::to_value(reports).map_err(internal)?;
    Ok((answer.0, Json(answer.1)).into_response())
}

/// `POST /territories/import[?dry_run=true]`, body a GeoJSON FeatureCollection.
#[utoipa::path(post, path = "/territories/import", tag = "transfer",
    summary = "Import territories from a GeoJSON FeatureCollection of (Multi)Polygons with properties name and owner_id",
    params(("dry_run" = Option<bool>, Query, description = "Check every feature, write nothing")),
    request_body(content((Object = "application/geo+json"))),
    responses((status = 201, description = "All rows written", body = ref("#/components/schemas/Imported")),
        (status = 200, description = "Dry run: every row is valid, nothing written", body = ref("#/components/schemas/DryRun")),
        (status = 413, description = "Body over 64 MiB", body = ref("#/components/schemas/Error")), (status = 415, description = "Unknown Content-Type", body = ref("#/components/schemas/Error")),
        (status = 422, description = "Rows refused (see `errors`: row and field of each); nothing written", body = ref("#/components/schemas/Error"))))]
pub async fn import_territories(
    scoped: Scoped,
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
    let territories = scoped.import_territories(&rows, params.dry_run).await?;
    let (status, answer) = imported(params.dry_run, territories.iter().map(|t| t.id).collect());
    Ok((status, Json(answer)).into_response())
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
    /// Name, address or a contact's name, e-mail or phone contains (case-insensitive).
    q: Option<String>,
    /// Only these accounts (comma-separated ids): a selection of the list.
    ids: Option<String>,
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
#[utoipa::path(get, path = "/accounts/export", tag = "transfer",
    summary = "Export accounts as CSV or GeoJSON (re-importable as is), with the filters of the list",
    params(("format" = Option<String>, Query, description = "csv (default) or geojson"),
        ("kind" = Option<String>, Query, description = "customer or prospect"),
        ("status" = Option<String>, Query, description = "Account status"),
        ("owner_id" = Option<i64>, Query, description = "Owned by this rep"),
        ("territory_id" = Option<i64>, Query, description = "In this territory"),
        ("segment" = Option<String>, Query, description = "In this segment"),
        ("tag" = Option<String>, Query, description = "Has this tag"),
        ("stage" = Option<String>, Query, description = "Has a deal at this pipeline stage"),
        ("q" = Option<String>, Query, description = "Name, address, or a contact's name, e-mail or phone contains (case-insensitive)"),
        ("ids" = Option<String>, Query, description = "Only these accounts: comma-separated ids (at most 1000)")),
    responses((status = 200, description = "The file", content((String = "text/csv"), (Object = "application/geo+json"))),
        (status = 400, description = "Bad parameter", body = ref("#/components/schemas/Error"))))]
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
        search: params.q.clone().filter(|q| !q.trim().is_empty()),
        ids: params.ids.as_deref().map(parse_ids).transpose()?,
        limit: MAX_PAGE_SIZE,
        ..account_filter_query!(params)?
    };
    let accounts = scoped.export_accounts(query).await?;
    let body = tokio::task::spawn_blocking(move || write_accounts(format, &accounts))
        .await
        .map_err(internal)?;
    Ok(download(format, "accounts", body))
}

/// A selection's ids, `3,5,8`: whole numbers, at most a page's worth.
fn parse_ids(text: &str) -> Result<Vec<i64>, ApiError> {
    let ids = text
        .split(',')
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(str::parse::<i64>)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|_| ApiError::bad_field("ids", "expected account ids separated by commas"))?;
    if ids.len() > MAX_PAGE_SIZE as usize {
        return Err(ApiError::bad_field(
            "ids",
            format!("at most {MAX_PAGE_SIZE} accounts at once"),
        ));
    }
    Ok(ids)
}

/// `GET /territories/export`: every territory as a GeoJSON FeatureCollection.
#[utoipa::path(get, path = "/territories/export", tag = "transfer", summary = "Export territories as GeoJSON",
    responses((status = 200, description = "FeatureCollection", content((Object = "application/geo+json")))))]
pub async fn export_territories(scoped: Scoped) -> Result<Response, ApiError> {
    let territories = scoped.export_territories().await?;
    Ok(download(
        Format::GeoJson,
        "territories",
        territories_to_geojson(&territories).into_bytes(),
    ))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OrderImportParams {
    #[serde(default)]
    dry_run: bool,
}

/// `POST /orders/import[?dry_run=true]`, body CSV: past orders, all or none.
#[utoipa::path(post, path = "/orders/import", tag = "transfer",
    summary = "Import past orders from CSV (account_external_id, order_date, external_order_id, sku, quantity, unit_price_minor, currency; optional cost_minor, line_no), all or nothing. Orders already imported (same external_order_id) are skipped; an unknown SKU becomes an inactive product flagged for review, listed in the answer",
    params(("dry_run" = Option<bool>, Query, description = "Check and write everything, then roll back")),
    request_body(content((String = "text/csv"))),
    responses((status = 201, description = "Written: counts, skipped orders and the products made for review", body = ref("#/components/schemas/OrderImport")),
        (status = 200, description = "Dry run: what would be written; nothing was", body = ref("#/components/schemas/OrderImport")),
        (status = 413, description = "Body over 64 MiB", body = ref("#/components/schemas/Error")),
        (status = 422, description = "Rows refused (see `errors`: row and field of each); nothing written", body = ref("#/components/schemas/Error"))))]
pub async fn import_orders(
    scoped: Scoped,
    ApiQuery(params): ApiQuery<OrderImportParams>,
    data: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let history = parse(body(data)?, |data| {
        wilayah_shared::sales::parse_order_history(data, &mut |_, _| {})
    })
    .await?;
    let report = scoped.import_orders(&history, params.dry_run).await?;
    reported(params.dry_run, &report)
}

/// An import's report: 201 when written, 200 on a dry run, with `dry_run` in the answer.
fn reported(dry_run: bool, report: &impl serde::Serialize) -> Result<Response, ApiError> {
    let mut answer = serde_json::to_value(report).map_err(internal)?;
    answer["dry_run"] = dry_run.into();
    let status = if dry_run {
        StatusCode::OK
    } else {
        StatusCode::CREATED
    };
    Ok((status, Json(answer)).into_response())
}

/// `POST /products/import[?dry_run=true]`, body CSV: the catalogue, all rows or none.
#[utoipa::path(post, path = "/products/import", tag = "transfer",
    summary = "Import products from CSV (columns: the product fields: sku, name_en, name_id, unit, category, list_price_minor, cost_price_minor, currency, tax_rate_bp, status; sku, name_en and list_price_minor required), all or nothing: a known SKU updates its product, a new one creates it. Every bad row is named with its field",
    params(("dry_run" = Option<bool>, Query, description = "Check and write everything, then roll back")),
    request_body(content((String = "text/csv"))),
    responses((status = 201, description = "Written", body = ref("#/components/schemas/ProductImport")),
        (status = 200, description = "Dry run: what would be written; nothing was", body = ref("#/components/schemas/ProductImport")),
        (status = 413, description = "Body over 64 MiB", body = ref("#/components/schemas/Error")),
        (status = 422, description = "Rows refused (see `errors`: row and field of each); nothing written", body = ref("#/components/schemas/Error"))))]
pub async fn import_products(
    scoped: Scoped,
    ApiQuery(params): ApiQuery<OrderImportParams>,
    data: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    use wilayah_shared::sales::catalogue::PRODUCTS;
    let rows = parse(body(data)?, |data| {
        wilayah_shared::transfer::records_from_csv(&PRODUCTS, Some("sku"), data, &mut |_, _| {})
    })
    .await?;
    let report = scoped.import_products(&rows, params.dry_run).await?;
    reported(params.dry_run, &report)
}

/// `GET /products/export`: the catalogue as CSV, in SKU order; [`import_products`] reads it back.
#[utoipa::path(get, path = "/products/export", tag = "transfer",
    summary = "Export every product as CSV (re-importable as is: importing it again changes nothing)",
    responses((status = 200, description = "The file", content((String = "text/csv")))))]
pub async fn export_products(scoped: Scoped) -> Result<Response, ApiError> {
    use wilayah_shared::sales::catalogue::PRODUCTS;
    let products = scoped.export_products().await?;
    let body = tokio::task::spawn_blocking(move || {
        wilayah_shared::transfer::records_to_csv(&PRODUCTS, &products)
    })
    .await
    .map_err(internal)?;
    Ok(download(Format::Csv, "products", body))
}
