//! `/api/v1/views`: saved views of the accounts list (issue 14 item 2). A user lists their own
//! and the shared ones, saves one, and deletes their own (an admin any). The rules are on the
//! scoped handle (`scope::views`).

use axum::Json;
use axum::extract::Path;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use utoipa_axum::routes;
use wilayah_shared::access::Action::Read;
use wilayah_shared::access::Rule::Can;
use wilayah_shared::views::{NewView, SavedView};

use super::declare::Api;
use super::error::ApiError;
use super::extract::ApiJson;
use super::scope::Scoped;

pub fn declare(api: Api) -> Api {
    api.route(Can("accounts", Read), routes!(list, create))
        .route(Can("accounts", Read), routes!(delete))
}

/// `GET /views`
#[utoipa::path(get, path = "/views", tag = "accounts",
    summary = "Saved views of the accounts list: the caller's own and the shared ones, by name",
    responses((status = 200, description = "The views", body = ref("#/components/schemas/SavedViews"))))]
pub async fn list(scoped: Scoped) -> Result<Json<Vec<SavedView>>, ApiError> {
    Ok(Json(scoped.saved_views().await?))
}

/// `POST /views {"name", "query", "shared"?}` → 201
#[utoipa::path(post, path = "/views", tag = "accounts",
    summary = "Save a view of the accounts list (its query string) under a name; `shared` shows it to every user of the list",
    request_body = ref("#/components/schemas/NewView"),
    responses((status = 201, description = "Saved", body = ref("#/components/schemas/SavedView")),
        (status = 400, description = "Malformed body", body = ref("#/components/schemas/Error")),
        (status = 422, description = "An empty or overlong name or query", body = ref("#/components/schemas/Error"))))]
pub async fn create(
    scoped: Scoped,
    ApiJson(body): ApiJson<NewView>,
) -> Result<impl IntoResponse, ApiError> {
    let view = scoped.save_view(body).await?;
    let location = format!("/api/v1/views/{}", view.id);
    Ok((
        StatusCode::CREATED,
        [(header::LOCATION, location)],
        Json(view),
    ))
}

/// `DELETE /views/{id}` → 204
#[utoipa::path(delete, path = "/views/{id}", tag = "accounts",
    summary = "Delete a saved view: the one who saved it, or an admin",
    params(("id" = i64, Path, description = "The view")),
    responses((status = 204, description = "Deleted"),
        (status = 403, description = "A shared view someone else saved", body = ref("#/components/schemas/Error")),
        (status = 404, description = "No such view, or another user's private one", body = ref("#/components/schemas/Error"))))]
pub async fn delete(scoped: Scoped, Path(id): Path<i64>) -> Result<StatusCode, ApiError> {
    scoped.delete_view(id).await?;
    Ok(StatusCode::NO_CONTENT)
}
