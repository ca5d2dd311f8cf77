//! Liveness and readiness probes for load balancers and orchestrators.

use axum::Json;
use axum::extract::State;
use serde_json::{Value, json};

use super::error::ApiError;
use crate::AppState;

/// The process is up and serving HTTP.
pub async fn healthz() -> Json<Value> {
    Json(json!({ "status": "ok" }))
}

/// The instance can do useful work: the database answers and the spatial index is loaded.
pub async fn readyz(State(state): State<AppState>) -> Result<Json<Value>, ApiError> {
    state
        .store
        .ping()
        .await
        .map_err(|e| ApiError::Unavailable(format!("database unreachable: {e}")))?;
    let points = state
        .index
        .loaded_points()
        .ok_or_else(|| ApiError::Unavailable("spatial index not loaded yet".into()))?;
    Ok(Json(
        json!({ "status": "ready", "database": "ok", "index": { "points": points } }),
    ))
}
