//! Liveness and readiness probes for load balancers and orchestrators.

use axum::Json;
use axum::extract::State;
use serde_json::{Value, json};
use wilayah_shared::access::Rule::Public;

use super::error::ApiError;
use crate::AppState;

/// The process is up and serving HTTP.
#[utoipa::path(get, path = "/healthz", tag = "probes", summary = "Liveness: the process answers", security(()),
    responses((status = 200, description = "Alive")))]
pub async fn healthz() -> Json<Value> {
    Json(json!({ "status": "ok" }))
}

/// The instance can do useful work: the database answers and the spatial index is loaded.
#[utoipa::path(get, path = "/readyz", tag = "probes", summary = "Readiness: the database answers", security(()),
    responses((status = 200, description = "Ready"), (status = 503, description = "The database does not answer", body = ref("#/components/schemas/Error"))))]
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

/// The probes: no sign-in.
pub fn declare(api: super::declare::Api) -> super::declare::Api {
    api.route(Public, utoipa_axum::routes!(healthz))
        .route(Public, utoipa_axum::routes!(readyz))
}
