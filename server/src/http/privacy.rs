//! Privacy: `GET /accounts/{id}/export` (everything held about one customer, as JSON) and
//! `POST /accounts/{id}/erase` (personal fields removed, revenue and counts kept). Both are
//! written to the audit log; both follow the caller's row scope (404 outside it).

use axum::extract::Path;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::{get, post};
use axum::{Json, Router};

use super::error::ApiError;
use super::scope::Scoped;
use crate::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/accounts/{id}/export", get(export))
        .route("/accounts/{id}/erase", post(erase))
}

/// `GET /accounts/{id}/export`: the account, contacts, activities, visits, cases, deals and
/// the audit entries about it, as a JSON download.
async fn export(scoped: Scoped, Path(id): Path<i64>) -> Result<impl IntoResponse, ApiError> {
    let data = scoped.customer_data(id).await?;
    let disposition = format!("attachment; filename=\"wilayah-customer-{id}.json\"");
    Ok(([(header::CONTENT_DISPOSITION, disposition)], Json(data)))
}

/// `POST /accounts/{id}/erase` → the account afterwards. Names become `[erased]`, contact
/// details, notes and outcomes are removed, the position is coarsened to ~1 km; revenue, cost,
/// deal values and the counts of activities, visits and cases stay for the aggregates.
async fn erase(scoped: Scoped, Path(id): Path<i64>) -> Result<impl IntoResponse, ApiError> {
    Ok(Json(scoped.erase_customer(id).await?))
}
