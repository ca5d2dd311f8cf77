//! GeoJSON feeds for the map.

use axum::Json;
use serde::Deserialize;
use serde_json::{Value, json};
use wilayah_shared::account::AccountQuery;
use wilayah_shared::domain::MapAccount;
use wilayah_shared::spatial::LonLatBox;
use wilayah_shared::spatial::clusters::{MapFeature, abbreviated_count};

use std::collections::HashMap;

use wilayah_app::map::rep_colour;
use wilayah_shared::account::MAX_PAGE_SIZE;

use super::accounts::account_filter_query;
use super::declare::Api;
use super::error::ApiError;
use super::extract::ApiQuery;
use super::scope::Scoped;
use crate::db::ResourceQuery;
use utoipa_axum::routes;
use wilayah_shared::access::Action::Read;
use wilayah_shared::access::Rule::Can;

/// The dashboard filter, as the map and the side list share it (names as in `/accounts`).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AccountsQuery {
    kind: Option<String>,
    status: Option<String>,
    owner_id: Option<i64>,
    territory_id: Option<i64>,
    segment: Option<String>,
    tag: Option<String>,
    stage: Option<String>,
    /// With `zoom`, the answer is clustered for that zoom level (as the dashboard draws it).
    zoom: Option<String>,
    /// `west,south,east,north` in degrees (`west > east` crosses the antimeridian): with `zoom`,
    /// only what lies in this view (large sets; small ones are answered whole).
    bbox: Option<String>,
}

/// `GET /api/v1/map/accounts.geojson[?kind=..&status=..&owner_id=..&territory_id=..&segment=..
/// &tag=..&stage=..][&zoom=..[&bbox=..]]`: the matching accounts as a FeatureCollection of points
/// whose properties are what the map colours by; with `zoom`, clustered as MapLibre would
/// (clusters carry `cluster`, `cluster_id`, `point_count`, `point_count_abbreviated` and
/// `expansion_zoom`, the zoom at which they break up).
#[utoipa::path(get, path = "/map/accounts.geojson", tag = "map",
    summary = "Accounts as a GeoJSON FeatureCollection of points, for maps (clustered with zoom)",
    params(("kind" = Option<String>, Query, description = "customer or prospect"),
        ("status" = Option<String>, Query, description = "Account status"),
        ("owner_id" = Option<i64>, Query, description = "Owned by this rep"),
        ("territory_id" = Option<i64>, Query, description = "In this territory"),
        ("segment" = Option<String>, Query, description = "In this segment"),
        ("tag" = Option<String>, Query, description = "Has this tag"),
        ("stage" = Option<String>, Query, description = "Has a deal at this pipeline stage"),
        ("zoom" = Option<String>, Query, description = "Cluster for this zoom level"),
        ("bbox" = Option<String>, Query, description = "west,south,east,north in degrees: with zoom, only this view")),
    responses((status = 200, description = "FeatureCollection", content((Object = "application/geo+json"))), (status = 400, description = "Bad parameter", body = ref("#/components/schemas/Error"))))]
pub async fn accounts_geojson(
    scoped: Scoped,
    ApiQuery(query): ApiQuery<AccountsQuery>,
) -> Result<Json<Value>, ApiError> {
    let (query_zoom, bbox) = (query.zoom.clone(), query.bbox.clone());
    let query = scoped.scope_query(account_filter_query!(query)?).await?;
    let Some(zoom) = query_zoom else {
        if bbox.is_some() {
            return Err(ApiError::bad_field("bbox", "a view needs a zoom"));
        }
        let accounts = scoped.map_accounts(query).await?;
        return Ok(Json(feature_collection(&accounts)));
    };
    let zoom = zoom
        .trim()
        .parse::<f64>()
        .ok()
        .filter(|z| (0.0..=24.0).contains(z))
        .ok_or_else(|| {
            ApiError::bad_field("zoom", format!("{zoom:?} is not a zoom from 0 to 24"))
        })?;
    let view = bbox.as_deref().map(parse_view).transpose()?;
    // `query` is already narrowed to the caller's accounts: the cache keys on it.
    let clusters = scoped.map_clusters(query).await?;
    let features = clusters.features(zoom, view.as_ref());
    Ok(Json(clustered_collection(&features)))
}

/// A view as `west,south,east,north`; latitudes beyond the map's edge (±85.05°) are fine.
fn parse_view(text: &str) -> Result<LonLatBox, ApiError> {
    let bad = |why: String| ApiError::bad_field("bbox", why);
    let edges: Vec<f64> = text
        .split(',')
        .map(|part| part.trim().parse::<f64>())
        .collect::<Result<_, _>>()
        .map_err(|_| {
            bad(format!(
                "{text:?} is not four numbers west,south,east,north"
            ))
        })?;
    let [west, south, east, north] = edges[..] else {
        return Err(bad(format!(
            "{text:?} is not four numbers west,south,east,north"
        )));
    };
    LonLatBox::new(west, south, east, north).map_err(|e| bad(e.to_string()))
}

fn clustered_collection(features: &[MapFeature<'_>]) -> Value {
    let features: Vec<Value> = features
        .iter()
        .map(|feature| match feature {
            MapFeature::Account(account) => account_feature(account),
            MapFeature::Cluster(cluster) => json!({
                "type": "Feature",
                "geometry": { "type": "Point", "coordinates": [cluster.lon, cluster.lat] },
                "properties": {
                    "cluster": true, "cluster_id": cluster.id, "point_count": cluster.count,
                    "point_count_abbreviated": abbreviated_count(cluster.count),
                    "expansion_zoom": cluster.expansion_zoom,
                },
            }),
        })
        .collect();
    json!({ "type": "FeatureCollection", "features": features })
}

fn feature_collection(accounts: &[MapAccount]) -> Value {
    let features: Vec<Value> = accounts.iter().map(account_feature).collect();
    json!({ "type": "FeatureCollection", "features": features })
}

fn account_feature(a: &MapAccount) -> Value {
    json!({
        "type": "Feature",
        "id": a.id,
        "geometry": { "type": "Point", "coordinates": [a.lon, a.lat] },
        "properties": {
            "id": a.id, "name": a.name, "kind": a.kind, "status": a.status,
            "owner_id": a.owner_id, "revenue_minor": a.revenue_minor, "currency": a.currency,
        },
    })
}

/// `GET /api/v1/map/territories.geojson`: territories as filled areas, each with its rep's name
/// and the colour the map and legend use for that rep.
#[utoipa::path(get, path = "/map/territories.geojson", tag = "map",
    summary = "Territories as a GeoJSON FeatureCollection, for maps",
    responses((status = 200, description = "FeatureCollection", content((Object = "application/geo+json")))))]
pub async fn territories_geojson(scoped: Scoped) -> Result<Json<Value>, ApiError> {
    let territories = every_territory(&scoped).await?;
    let staff = scoped.territory_owner_names().await?;
    let names: HashMap<i64, &str> = staff.iter().map(|s| (s.id, s.name.as_str())).collect();
    let features: Vec<Value> = territories
        .iter()
        .map(|t| {
            let owner = t.get("owner_id").and_then(Value::as_i64);
            json!({
                "type": "Feature",
                "id": t["id"],
                "geometry": t["geometry"],
                "properties": {
                    "id": t["id"], "name": t["name"], "owner_id": owner,
                    "owner_name": owner.and_then(|o| names.get(&o).copied()),
                    "colour": rep_colour(owner),
                },
            })
        })
        .collect();
    Ok(Json(
        json!({ "type": "FeatureCollection", "features": features }),
    ))
}

/// Every territory (reference data every role reads), as records with their GeoJSON geometry.
pub(super) async fn every_territory(
    scoped: &Scoped,
) -> Result<Vec<serde_json::Map<String, Value>>, ApiError> {
    let all = ResourceQuery {
        filters: vec![],
        sort: ("id", false),
        limit: MAX_PAGE_SIZE,
        offset: 0,
    };
    Ok(scoped.territories(&all).await?.items)
}

/// A calendar day `date` (YYYY-MM-DD, default today) in the deployment's time zone, as the UTC
/// range the day's visits start in; 400 naming `date` when it does not parse.
pub(super) fn day_range(
    scoped: &Scoped,
    date: Option<&str>,
) -> Result<wilayah_app::store::UtcRange, ApiError> {
    let state = scoped.state();
    match date {
        None => Ok((state.today)()),
        Some(text) => crate::parse_date(text)
            .and_then(|day| crate::local_day(day, state.utc_offset))
            .ok_or_else(|| {
                ApiError::bad_field(
                    "date",
                    format!("{text:?} is not a date like 2026-11-23 (years 1-9999)"),
                )
            }),
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VisitsQuery {
    /// Calendar day in the deployment's time zone (`--utc-offset`), default today.
    date: Option<String>,
}

/// `GET /api/v1/map/visits.geojson[?date=YYYY-MM-DD]`: the day's field visits at their accounts.
#[utoipa::path(get, path = "/map/visits.geojson", tag = "map",
    summary = "A day's field visits at their accounts, for maps",
    params(("date" = Option<String>, Query, format = Date, description = "Calendar day in the deployment's time zone, default today")),
    responses((status = 200, description = "FeatureCollection", content((Object = "application/geo+json"))), (status = 400, description = "Bad date", body = ref("#/components/schemas/Error"))))]
pub async fn visits_geojson(
    scoped: Scoped,
    ApiQuery(query): ApiQuery<VisitsQuery>,
) -> Result<Json<Value>, ApiError> {
    let visits = scoped
        .map_visits(&day_range(&scoped, query.date.as_deref())?)
        .await?;
    let features: Vec<Value> = visits
        .iter()
        .map(|v| {
            json!({
                "type": "Feature",
                "id": v.id,
                "geometry": { "type": "Point", "coordinates": [v.lon, v.lat] },
                "properties": {
                    "id": v.id, "account_id": v.account_id, "account_name": v.account_name,
                    "technician_id": v.technician_id, "status": v.status, "window_start": v.window_start,
                },
            })
        })
        .collect();
    Ok(Json(
        json!({ "type": "FeatureCollection", "features": features }),
    ))
}

/// The map feeds (the caller's rows only).
pub fn declare(api: Api) -> Api {
    api.route(Can("accounts", Read), routes!(accounts_geojson))
        .route(Can("territories", Read), routes!(territories_geojson))
        .route(Can("visits", Read), routes!(visits_geojson))
}
