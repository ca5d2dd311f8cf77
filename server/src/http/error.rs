//! The HTTP layer's one error type, mapped to a status and a JSON body in one place.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use wilayah_app::store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// The request is malformed; `field` names the offending parameter or body field.
    #[error("{message}")]
    BadRequest {
        message: String,
        field: Option<&'static str>,
    },
    #[error("not found")]
    NotFound,
    #[error("{0}")]
    Unavailable(String),
    #[error(transparent)]
    Store(StoreError),
}

impl ApiError {
    pub fn bad_field(field: &'static str, message: impl Into<String>) -> Self {
        ApiError::BadRequest {
            message: message.into(),
            field: Some(field),
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound => ApiError::NotFound,
            other => ApiError::Store(other),
        }
    }
}

/// The body of every 4xx/5xx answer: `{"error": "...", "field": "..."}`.
#[derive(Debug, Serialize)]
pub struct ErrorBody {
    pub error: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub row: Option<usize>,
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, field) = match &self {
            ApiError::BadRequest { field, .. } => (StatusCode::BAD_REQUEST, *field),
            ApiError::NotFound => (StatusCode::NOT_FOUND, None),
            ApiError::Unavailable(_) => (StatusCode::SERVICE_UNAVAILABLE, None),
            ApiError::Store(_) => (StatusCode::INTERNAL_SERVER_ERROR, None),
        };
        let error = match &self {
            // Database details stay in the log; the client learns only that it failed.
            ApiError::Store(e) => {
                tracing::error!(error = %e, "store error");
                "internal error".to_owned()
            }
            other => other.to_string(),
        };
        (
            status,
            Json(ErrorBody {
                error,
                field,
                row: None,
            }),
        )
            .into_response()
    }
}
