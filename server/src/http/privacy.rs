//! Privacy: `GET /accounts/{id}/export` (everything held about one customer, as JSON) and
//! `POST /accounts/{id}/erase` (personal fields removed, revenue and counts kept). Both are
//! written to the audit log; both follow the caller's row scope (404 outside it).

use axum::Json;
use axum::extract::Path;
use axum::http::header;
use axum::response::IntoResponse;
use utoipa_axum::routes;
use wilayah_shared::access::Action::{Delete, Export};
use wilayah_shared::access::Rule::Can;

use super::declare::Api;
use super::error::ApiError;
use super::scope::Scoped;

pub fn declare(api: Api) -> Api {
    api.route(Can("privacy", Export), routes!(export))
        .route(Can("privacy", Delete), routes!(erase))
}

/// `GET /accounts/{id}/export`: the account, contacts, activities, visits, cases, deals and
/// the audit entries about it, as a JSON download.
#[utoipa::path(get, path = "/accounts/{id}/export", tag = "privacy",
    summary = "Everything held about one customer (JSON download), audited",
    params(("id" = i64, Path, description = "The account")), responses((status = 200, description = "The customer's data", body = ref("#/components/schemas/CustomerData")), (status = 404, description = "No such account (or not yours)", body = ref("#/components/schemas/Error"))))]
async fn export(scoped: Scoped, Path(id): Path<i64>) -> Result<impl IntoResponse, ApiError> {
    let data = scoped.customer_data(id).await?;
    let disposition = format!("attachment; filename=\"wilayah-customer-{id}.json\"");
    Ok(([(header::CONTENT_DISPOSITION, disposition)], Json(data)))
}

/// `POST /accounts/{id}/erase` → the account afterwards. Names become `[erased]`, contact
/// details, notes and outcomes are removed, the position is coarsened to ~1 km; revenue, cost,
/// deal values and the counts of activities, visits and cases stay for the aggregates.
#[utoipa::path(post, path = "/accounts/{id}/erase", tag = "privacy",
    summary = "Erase a customer's personal data, keeping aggregates",
    params(("id" = i64, Path, description = "The account")), responses((status = 200, description = "The account afterwards", body = ref("#/components/schemas/Account")), (status = 404, description = "No such account (or not yours)", body = ref("#/components/schemas/Error"))))]
async fn erase(scoped: Scoped, Path(id): Path<i64>) -> Result<impl IntoResponse, ApiError> {
    Ok(Json(scoped.erase_customer(id).await?))
}
