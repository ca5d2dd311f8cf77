//! Placing accounts (issue 14 items 4–6): `GET /geocode?q=` (a position for an address from the
//! offline gazetteer), `GET /accounts/{id}/duplicates` (the caller's accounts likely the same)
//! and `POST /accounts/{id}/merge` (another account merged into this one). Creating an account
//! by address is in `accounts`, importing in `transfer`; both use [`position_from_address`].

use axum::Json;
use axum::extract::Path;
use serde::Deserialize;
use serde_json::Value;
use utoipa_axum::routes;
use wilayah_shared::access::Action::{Read, Update};
use wilayah_shared::access::Rule::{Can, SignedIn};
use wilayah_shared::account::ValidationError;
use wilayah_shared::duplicates::{AccountIdentity, Duplicate};
use wilayah_shared::geocode::GeocodeHit;

use super::declare::Api;
use super::error::ApiError;
use super::extract::{ApiJson, ApiQuery};
use super::scope::{Merged, Scoped};

/// Longest address `GET /geocode` takes.
const MAX_QUERY_CHARS: usize = 500;

pub fn declare(api: Api) -> Api {
    api.route(SignedIn, routes!(geocode))
        .route(Can("accounts", Read), routes!(duplicates))
        .route(Can("accounts", Read), routes!(candidate_duplicates))
        .route(Can("accounts", Update), routes!(merge))
}

/// An account body (create) that has an `address` and neither `lon` nor `lat` gets the
/// geocoder's position for it: the hit is returned; an address naming no known place is a 422
/// on `address`. Other bodies are left as they are.
pub async fn position_from_address(
    scoped: &Scoped,
    body: &mut Value,
) -> Result<Option<GeocodeHit>, ApiError> {
    let Some(object) = body.as_object_mut() else {
        return Ok(None);
    };
    let absent = |v: Option<&Value>| v.is_none_or(Value::is_null);
    if !(absent(object.get("lon")) && absent(object.get("lat"))) {
        return Ok(None);
    }
    let Some(address) = object
        .get("address")
        .and_then(Value::as_str)
        .filter(|a| !a.trim().is_empty())
    else {
        return Ok(None);
    };
    let hit = scoped.geocode(address).await.ok_or_else(|| {
        ApiError::Invalid(
            ValidationError::new(
                "address",
                "names no place the gazetteer knows; give lon and lat",
            )
            .because("no_place"),
        )
    })?;
    object.insert("lon".into(), hit.lon.into());
    object.insert("lat".into(), hit.lat.into());
    Ok(Some(hit))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GeocodeParams {
    q: String,
}

/// `GET /geocode?q=Jl. Asia Afrika 8, Bandung`
#[utoipa::path(get, path = "/geocode", tag = "accounts",
    summary = "A position for an address: from the external geocoder when one is configured (street precision), else from the offline gazetteer (GeoNames places and the provinces: precision province or place)",
    params(("q" = String, Query, description = "The address")),
    responses((status = 200, description = "Found", body = ref("#/components/schemas/Geocoded")),
        (status = 400, description = "No or an overlong address", body = ref("#/components/schemas/Error")),
        (status = 404, description = "The address names no place the gazetteer knows", body = ref("#/components/schemas/Error"))))]
pub async fn geocode(
    scoped: Scoped,
    ApiQuery(params): ApiQuery<GeocodeParams>,
) -> Result<Json<GeocodeHit>, ApiError> {
    let q = params.q.trim();
    if q.is_empty() || q.chars().count() > MAX_QUERY_CHARS {
        return Err(ApiError::bad_field(
            "q",
            format!("give an address of 1 to {MAX_QUERY_CHARS} characters"),
        ));
    }
    scoped.geocode(q).await.map(Json).ok_or(ApiError::NotFound)
}

/// `GET /accounts/{id}/duplicates`
#[utoipa::path(get, path = "/accounts/{id}/duplicates", tag = "accounts",
    summary = "The caller's accounts likely the same as this one: the same normalised name within 200 m, or the same phone, e-mail (of a contact) or external id",
    params(("id" = i64, Path, description = "The account")),
    responses((status = 200, description = "By account id, each with its reasons", body = ref("#/components/schemas/Duplicates")),
        (status = 404, description = "No such record", body = ref("#/components/schemas/Error"))))]
pub async fn duplicates(
    scoped: Scoped,
    Path(id): Path<i64>,
) -> Result<Json<Vec<Duplicate>>, ApiError> {
    Ok(Json(scoped.duplicates_of_account(id).await?))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CandidateParams {
    name: Option<String>,
    lon: Option<f64>,
    lat: Option<f64>,
    phone: Option<String>,
    email: Option<String>,
    external_id: Option<String>,
}

/// `GET /accounts/duplicates?name=&lon=&lat=&phone=&email=&external_id=`: before an account is
/// saved, the caller's accounts it would likely duplicate (all parameters optional; none: none).
#[utoipa::path(get, path = "/accounts/duplicates", tag = "accounts",
    summary = "The caller's accounts likely the same as one not yet saved: the same normalised name within 200 m of lon/lat, or the same phone, e-mail or external id",
    params(("name" = Option<String>, Query, description = "The new account's name"),
        ("lon" = Option<f64>, Query, description = "Its longitude (with lat)"),
        ("lat" = Option<f64>, Query, description = "Its latitude (with lon)"),
        ("phone" = Option<String>, Query, description = "A contact's phone"),
        ("email" = Option<String>, Query, description = "A contact's e-mail"),
        ("external_id" = Option<String>, Query, description = "Its id in another system")),
    responses((status = 200, description = "By account id, each with its reasons", body = ref("#/components/schemas/Duplicates")),
        (status = 400, description = "A position off the map, or only one of lon and lat", body = ref("#/components/schemas/Error"))))]
pub async fn candidate_duplicates(
    scoped: Scoped,
    ApiQuery(params): ApiQuery<CandidateParams>,
) -> Result<Json<Vec<Duplicate>>, ApiError> {
    let position = match (params.lon, params.lat) {
        (Some(lon), Some(lat)) => Some(
            wilayah_shared::LonLat::new(lon, lat)
                .map_err(|e| ApiError::bad_field(e.field(), e.to_string()))?,
        ),
        (None, None) => None,
        (Some(_), None) => return Err(ApiError::bad_field("lat", "give lat with lon")),
        (None, Some(_)) => return Err(ApiError::bad_field("lon", "give lon with lat")),
    };
    let nonblank = |v: Option<String>| v.map(|v| v.trim().to_owned()).filter(|v| !v.is_empty());
    let candidate = AccountIdentity {
        id: None,
        name: nonblank(params.name).unwrap_or_default(),
        position,
        phones: nonblank(params.phone).into_iter().collect(),
        emails: nonblank(params.email).into_iter().collect(),
        external_id: nonblank(params.external_id),
    };
    Ok(Json(scoped.duplicates_of_candidate(candidate).await?))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MergeBody {
    /// The account merged away.
    from: i64,
    /// The surviving account's version as last read.
    version: i64,
}

/// `POST /accounts/{id}/merge {"from": other, "version": n}`
#[utoipa::path(post, path = "/accounts/{id}/merge", tag = "accounts",
    summary = "Merge another account into this one: its contacts, deals, cases, visits and history move here and it is deleted, in one transaction",
    params(("id" = i64, Path, description = "The surviving account")),
    request_body(content = Object, description = "`from`: the account merged away; `version`: this account's version as last read"),
    responses((status = 200, description = "Merged", body = ref("#/components/schemas/Merged")),
        (status = 404, description = "No such record", body = ref("#/components/schemas/Error")),
        (status = 409, description = "This account changed since `version`", body = ref("#/components/schemas/Error")),
        (status = 422, description = "`from` is this account or not one of the caller's", body = ref("#/components/schemas/Error"))))]
pub async fn merge(
    scoped: Scoped,
    Path(id): Path<i64>,
    ApiJson(body): ApiJson<MergeBody>,
) -> Result<Json<Merged>, ApiError> {
    Ok(Json(
        scoped.merge_accounts(id, body.from, body.version).await?,
    ))
}
