//! GeoJSON feeds for the map.

use axum::Json;
use axum::extract::{Query, State};
use serde::Deserialize;
use serde_json::{Value, json};
use wilayah_shared::domain::{AccountKind, MapAccount};

use super::error::ApiError;
use crate::AppState;

#[derive(Debug, Deserialize)]
pub struct AccountsQuery {
    kind: Option<String>,
}

/// `GET /api/v1/map/accounts.geojson[?kind=customer|prospect]`: accounts as a FeatureCollection of
/// points whose properties are what the map colours and filters by.
pub async fn accounts_geojson(
    State(state): State<AppState>,
    Query(query): Query<AccountsQuery>,
) -> Result<Json<Value>, ApiError> {
    let kind = query
        .kind
        .as_deref()
        .map(str::parse::<AccountKind>)
        .transpose()
        .map_err(|e| ApiError::bad_field("kind", e.to_string()))?;
    let accounts = state.store.map_accounts(kind).await?;
    Ok(Json(feature_collection(&accounts)))
}

fn feature_collection(accounts: &[MapAccount]) -> Value {
    let features: Vec<Value> = accounts
        .iter()
        .map(|a| {
            json!({
                "type": "Feature",
                "id": a.id,
                "geometry": { "type": "Point", "coordinates": [a.lon, a.lat] },
                "properties": {
                    "id": a.id, "name": a.name, "kind": a.kind, "status": a.status,
                    "owner_id": a.owner_id, "revenue_minor": a.revenue_minor, "currency": a.currency,
                },
            })
        })
        .collect();
    json!({ "type": "FeatureCollection", "features": features })
}
