//! `/api/v1/accounts`: customers and prospects. Lists with filters, paging and sorting (and
//! spatially: inside a territory or a GeoJSON area, near a point), reads, creation, partial
//! updates guarded by the record's version, and deletion.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::IntoResponse;
use serde::{Deserialize, Serialize};
use wilayah_shared::LonLat;
use wilayah_shared::account::{
    Account, AccountInput, AccountPatch, AccountQuery, AccountSort, DEFAULT_PAGE_SIZE,
    MAX_PAGE_SIZE, Page,
};
use wilayah_shared::domain::{AccountKind, AccountStatus};
use wilayah_shared::duplicates::Duplicate;
use wilayah_shared::geocode::GeocodeHit;
use wilayah_shared::geojson::parse_area;
use wilayah_shared::placing::Given;
use wilayah_shared::resources::PIPELINE_STAGES;
use wilayah_shared::spatial::{Filter, OwnerFilter, PointFilter, Region};

use super::declare::Api;
use super::error::{ApiError, off_the_workers};
use super::extract::{ApiJson, ApiQuery};
use super::scope::{Reach, Scoped};
use crate::AppState;
use utoipa_axum::routes;
use wilayah_shared::access::Action::{Create, Delete, Read, Update};
use wilayah_shared::access::Rule::Can;

/// Most accounts one nearby query returns.
const MAX_NEARBY: usize = 500;
/// Largest radius of a nearby query: 500 km covers any sales region.
const MAX_RADIUS_M: f64 = 500_000.0;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListParams {
    kind: Option<String>,
    status: Option<String>,
    owner_id: Option<i64>,
    territory_id: Option<i64>,
    segment: Option<String>,
    tag: Option<String>,
    /// Accounts with a deal at this pipeline stage.
    stage: Option<String>,
    /// Name, address, or a contact's name, e-mail or phone contains (case-insensitive).
    q: Option<String>,
    /// A territory id, or a GeoJSON Polygon / MultiPolygon / Feature.
    within: Option<String>,
    sort: Option<String>,
    limit: Option<u32>,
    offset: Option<u64>,
}

/// The [`AccountQuery`] of the filter parameters every account listing takes (`/accounts`, its
/// export, the map feed), checked the same way for all three: `kind`, `status`, `owner_id`,
/// `territory_id`, `segment`, `tag` and `stage` of any parameter struct. A macro because each
/// endpoint's struct spells the fields out: serde's `flatten` would lose the refusal of unknown
/// parameters (`deny_unknown_fields`). Evaluates to `Result<AccountQuery, ApiError>`.
macro_rules! account_filter_query {
    ($params:expr) => {
        (|| -> Result<AccountQuery, ApiError> {
            Ok(AccountQuery {
                kind: $crate::http::accounts::parse_enum("kind", $params.kind.as_deref())?,
                status: $crate::http::accounts::parse_enum("status", $params.status.as_deref())?,
                owner_id: $params.owner_id,
                territory_id: $params.territory_id,
                segment: $params.segment.clone(),
                tag: $params.tag.clone(),
                stage: $crate::http::accounts::parse_stage($params.stage.clone())?,
                ..AccountQuery::default()
            })
        })()
    };
}
pub(super) use account_filter_query;

/// A pipeline stage filter must name a stage, so a typo is a 400 rather than an empty list.
pub(super) fn parse_stage(stage: Option<String>) -> Result<Option<String>, ApiError> {
    match stage {
        Some(stage) if !PIPELINE_STAGES.contains(&stage.as_str()) => Err(ApiError::bad_field(
            "stage",
            format!(
                "unknown value {stage:?}; expected one of: {}",
                PIPELINE_STAGES.join(", ")
            ),
        )),
        other => Ok(other),
    }
}

pub(super) fn parse_enum<T: std::str::FromStr<Err = wilayah_shared::domain::UnknownVariant>>(
    field: &'static str,
    value: Option<&str>,
) -> Result<Option<T>, ApiError> {
    value
        .map(str::parse::<T>)
        .transpose()
        .map_err(|e| ApiError::bad_field(field, e.to_string()))
}

/// The area a `within` parameter names: a territory by id, or inline GeoJSON.
async fn area(scoped: &Scoped, within: &str) -> Result<Region, ApiError> {
    let text = within.trim();
    if let Ok(id) = text.parse::<i64>() {
        let geometry = scoped.territory_geometry(id).await.map_err(|e| match e {
            ApiError::NotFound => {
                ApiError::bad_field("within", format!("territory {id} does not exist"))
            }
            other => other,
        })?;
        return off_the_workers(move || parse_area(&geometry, "within"))
            .await?
            .map_err(ApiError::from);
    }
    let text = text.to_owned();
    off_the_workers(move || parse_area(&text, "within"))
        .await?
        .map_err(|e| ApiError::bad_field("within", e.message))
}

/// `GET /accounts`
#[utoipa::path(get, path = "/accounts", tag = "accounts", summary = "List accounts",
    params(("kind" = Option<String>, Query, description = "customer or prospect"),
        ("status" = Option<String>, Query, description = "Account status"),
        ("owner_id" = Option<i64>, Query, description = "Owned by this rep"),
        ("territory_id" = Option<i64>, Query, description = "In this territory"),
        ("segment" = Option<String>, Query, description = "In this segment"),
        ("tag" = Option<String>, Query, description = "Has this tag"),
        ("stage" = Option<String>, Query, description = "Has a deal at this pipeline stage"),
        ("q" = Option<String>, Query, description = "Name, address, or a contact's name, e-mail or phone contains (case-insensitive; a phone whatever its spacing)"),
        ("within" = Option<String>, Query, description = "A territory id, or a GeoJSON Polygon/MultiPolygon/Feature: only accounts inside it"),
        ("sort" = Option<String>, Query, description = "Order; `-` for descending"),
        ("limit" = Option<u32>, Query, minimum = 1, description = "Page size (default 50)"),
        ("offset" = Option<u64>, Query, description = "Records to skip"),
    ),
    responses((status = 200, description = "One page", body = ref("#/components/schemas/AccountPage")), (status = 400, description = "Bad parameter", body = ref("#/components/schemas/Error"))))]
pub async fn list(
    State(state): State<AppState>,
    scoped: Scoped,
    ApiQuery(params): ApiQuery<ListParams>,
) -> Result<Json<Page<Account>>, ApiError> {
    let limit = params.limit.unwrap_or(DEFAULT_PAGE_SIZE);
    if limit == 0 || limit > MAX_PAGE_SIZE {
        return Err(ApiError::bad_field(
            "limit",
            format!("must be between 1 and {MAX_PAGE_SIZE}"),
        ));
    }
    let ids = match &params.within {
        Some(within) => {
            let region = area(&scoped, within).await?;
            let mut ids: Vec<i64> = state
                .index
                .read(|index| {
                    index
                        .in_polygon(&region)
                        .into_iter()
                        .map(|p| p.id)
                        .collect()
                })
                .unwrap_or_default();
            ids.sort_unstable();
            Some(ids)
        }
        None => None,
    };
    let filter = account_filter_query!(params)?;
    let query = AccountQuery {
        search: params.q.clone().filter(|q| !q.trim().is_empty()),
        ids,
        sort: params
            .sort
            .as_deref()
            .map(AccountSort::parse)
            .transpose()?
            .unwrap_or_default(),
        limit,
        offset: params.offset.unwrap_or(0),
        ..filter
    };
    Ok(Json(scoped.accounts(query).await?))
}

/// `GET /accounts/{id}`
#[utoipa::path(get, path = "/accounts/{id}", tag = "accounts", summary = "Read an account",
    params(("id" = i64, Path, description = "The account")),
    responses((status = 200, description = "Found", body = ref("#/components/schemas/Account")), (status = 404, description = "No such record", body = ref("#/components/schemas/Error"))))]
pub async fn get(scoped: Scoped, Path(id): Path<i64>) -> Result<Json<Account>, ApiError> {
    Ok(Json(scoped.account(id).await?))
}

/// What creating an account answers: the stored account, how its address placed it (when it
/// came without lon/lat) and the caller's accounts it likely duplicates.
#[derive(Debug, Serialize)]
pub struct Created {
    #[serde(flatten)]
    pub account: Account,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub geocoded: Option<GeocodeHit>,
    pub duplicates: Vec<Duplicate>,
}

/// `POST /accounts` → 201 with the stored account and its `Location`.
#[utoipa::path(post, path = "/accounts", tag = "accounts",
    summary = "Create an account: without lon/lat its address places it (offline gazetteer; `geocoded` says how precisely); its territory and owner follow its position unless given; `duplicates` lists likely duplicates",
    request_body = ref("#/components/schemas/AccountInput"),
    responses((status = 201, description = "Created: the account, plus `geocoded` and `duplicates`", body = ref("#/components/schemas/Account")), (status = 400, description = "Malformed body", body = ref("#/components/schemas/Error")),
        (status = 403, description = "Outside the caller's scope (a rep creating an account for someone else)", body = ref("#/components/schemas/Error")),
        (status = 409, description = "A unique value is taken", body = ref("#/components/schemas/Error")), (status = 422, description = "A field breaks a rule", body = ref("#/components/schemas/Error"))))]
pub async fn create(
    scoped: Scoped,
    ApiJson(mut body): ApiJson<serde_json::Value>,
) -> Result<impl IntoResponse, ApiError> {
    let geocoded = super::placing::position_from_address(&scoped, &mut body).await?;
    let input: AccountInput = serde_json::from_value(body).map_err(|e| ApiError::BadRequest {
        message: format!("invalid body: {e}"),
        field: None,
    })?;
    let account = scoped.create_account(input.validate()?).await?;
    let duplicates = scoped.duplicates_of_account(account.id).await?;
    let location = format!("/api/v1/accounts/{}", account.id);
    Ok((
        StatusCode::CREATED,
        [(header::LOCATION, location)],
        Json(Created {
            account,
            geocoded,
            duplicates,
        }),
    ))
}

/// `PATCH /accounts/{id}`: the body carries the `version` the client last read; a stale version
/// gets 409 with the current one, never a silent overwrite.
#[utoipa::path(patch, path = "/accounts/{id}", tag = "accounts",
    summary = "Change an account: only the fields given; null clears a field",
    params(("id" = i64, Path, description = "The account")), request_body = ref("#/components/schemas/AccountPatch"),
    responses((status = 200, description = "Changed", body = ref("#/components/schemas/Account")), (status = 404, description = "No such record", body = ref("#/components/schemas/Error")),
        (status = 409, description = "Changed by someone else: `current_version` says to what", body = ref("#/components/schemas/Error")), (status = 422, description = "A field breaks a rule", body = ref("#/components/schemas/Error"))))]
pub async fn update(
    scoped: Scoped,
    Path(id): Path<i64>,
    ApiJson(patch): ApiJson<AccountPatch>,
) -> Result<Json<Account>, ApiError> {
    let expected = patch.version;
    let given = Given {
        owner: patch.owner_id.is_some(),
        territory: patch.territory_id.is_some(),
    };
    let account = scoped
        .update_account(id, expected, |current| Ok((current.patched(patch)?, given)))
        .await?;
    Ok(Json(account))
}

/// The version a delete is guarded by: `?version=N` or `If-Match: "N"` (none: unguarded).
pub fn expected_version(headers: &HeaderMap, query: Option<&str>) -> Result<Option<i64>, ApiError> {
    if let Some(text) = query {
        return text
            .parse()
            .map(Some)
            .map_err(|_| ApiError::bad_field("version", "must be a whole number"));
    }
    headers
        .get(header::IF_MATCH)
        .map(|v| {
            v.to_str()
                .ok()
                .and_then(|s| s.trim().trim_matches('"').parse::<i64>().ok())
                .ok_or_else(|| {
                    ApiError::bad_field("If-Match", "expected the record's version, e.g. \"3\"")
                })
        })
        .transpose()
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeleteParams {
    version: Option<i64>,
}

/// `DELETE /accounts/{id}[?version=N]` (or `If-Match: "N"`): with a version, refuses with 409 if
/// the account changed since.
#[utoipa::path(delete, path = "/accounts/{id}", tag = "accounts", summary = "Delete an account",
    params(("id" = i64, Path, description = "The account"), ("version" = Option<i64>, Query, description = "Refuse with 409 if the record changed since this version")),
    responses((status = 204, description = "Deleted"), (status = 404, description = "No such record", body = ref("#/components/schemas/Error")), (status = 409, description = "Changed since", body = ref("#/components/schemas/Error"))))]
pub async fn delete(
    scoped: Scoped,
    Path(id): Path<i64>,
    headers: HeaderMap,
    ApiQuery(params): ApiQuery<DeleteParams>,
) -> Result<StatusCode, ApiError> {
    let version = expected_version(&headers, params.version.map(|v| v.to_string()).as_deref())?;
    scoped.delete_account(id, version).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NearbyParams {
    lon: f64,
    lat: f64,
    /// All within this many metres (sorted by distance) ...
    radius_m: Option<f64>,
    /// ... or the k nearest (default 10 when no radius is given).
    k: Option<usize>,
    kind: Option<String>,
    status: Option<String>,
    owner_id: Option<i64>,
    /// Leave out accounts owned by someone other than this rep ("nobody's or mine").
    unowned_or_owner: Option<i64>,
    /// Leave out this account (the one the user clicked).
    exclude_id: Option<i64>,
}

#[derive(Debug, Serialize)]
pub struct NearbyAccount {
    pub distance_m: f64,
    pub account: Account,
}

/// `GET /accounts/nearby?lon&lat&(radius_m|k)&kind=prospect`: nearest first, great-circle metres.
#[utoipa::path(get, path = "/accounts/nearby", tag = "accounts",
    summary = "Accounts nearest a point, great-circle metres, nearest first",
    params(("lon" = f64, Query), ("lat" = f64, Query),
        ("radius_m" = Option<f64>, Query, description = "All within this distance (max 500 km)"),
        ("k" = Option<u32>, Query, description = "The k nearest (default 10, max 500)"),
        ("kind" = Option<String>, Query, description = "customer or prospect"),
        ("status" = Option<String>, Query, description = "Account status"),
        ("owner_id" = Option<i64>, Query, description = "Owned by this rep"),
        ("unowned_or_owner" = Option<i64>, Query, description = "Owned by nobody or by this rep"),
        ("exclude_id" = Option<i64>, Query, description = "Leave this account out"),
    ),
    responses((status = 200, description = "Nearest first", body = ref("#/components/schemas/NearbyAccounts")), (status = 400, description = "Bad parameter", body = ref("#/components/schemas/Error"))))]
pub async fn nearby(
    scoped: Scoped,
    ApiQuery(params): ApiQuery<NearbyParams>,
) -> Result<Json<Vec<NearbyAccount>>, ApiError> {
    let centre = LonLat::new(params.lon, params.lat)
        .map_err(|e| ApiError::bad_field(e.field(), e.to_string()))?;
    let owner = match (params.owner_id, params.unowned_or_owner) {
        (Some(_), Some(_)) => {
            return Err(ApiError::bad_field(
                "owner_id",
                "give owner_id or unowned_or_owner, not both",
            ));
        }
        (Some(id), None) => OwnerFilter::OwnedBy(id),
        (None, Some(id)) => OwnerFilter::UnownedOrOwnedBy(id),
        (None, None) => OwnerFilter::Any,
    };
    let filter = Filter {
        kind: parse_enum::<AccountKind>("kind", params.kind.as_deref())?,
        statuses: parse_enum::<AccountStatus>("status", params.status.as_deref())?
            .into_iter()
            .collect(),
        owner,
        visited: None,
    };
    let reach = match (params.radius_m, params.k) {
        (Some(_), Some(_)) => return Err(ApiError::bad_field("k", "give radius_m or k, not both")),
        (Some(radius_m), None) => {
            if !(radius_m > 0.0 && radius_m <= MAX_RADIUS_M) {
                return Err(ApiError::bad_field(
                    "radius_m",
                    format!("must be above 0 and at most {MAX_RADIUS_M} m"),
                ));
            }
            Reach::Within {
                metres: radius_m,
                at_most: MAX_NEARBY,
            }
        }
        (None, k) => {
            let k = k.unwrap_or(10);
            if k == 0 || k > MAX_NEARBY {
                return Err(ApiError::bad_field(
                    "k",
                    format!("must be between 1 and {MAX_NEARBY}"),
                ));
            }
            Reach::Nearest(k)
        }
    };
    let exclude = params.exclude_id;
    let hits = scoped
        .nearby(centre, reach, |p| {
            Some(p.id) != exclude && filter.matches(p)
        })
        .await?;
    Ok(Json(
        hits.into_iter()
            .map(|(account, distance_m)| NearbyAccount {
                distance_m,
                account,
            })
            .collect(),
    ))
}

/// The account routes (the history is in `resources`, the transfers in `transfer`).
pub fn declare(api: Api) -> Api {
    api.route(Can("accounts", Read), routes!(list))
        .route(Can("accounts", Create), routes!(create))
        .route(Can("accounts", Read), routes!(nearby))
        .route(Can("accounts", Read), routes!(get))
        .route(Can("accounts", Update), routes!(update))
        .route(Can("accounts", Delete), routes!(delete))
        .route(
            Can("accounts", Read),
            routes!(super::resources::account_history),
        )
}
