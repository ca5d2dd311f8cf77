//! The HTTP layer's one error type, mapped to a status and a JSON body in one place.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use wilayah_app::store::StoreError;
use wilayah_shared::account::ValidationError;

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// The request is malformed; `field` names the offending parameter or body field.
    #[error("{message}")]
    BadRequest {
        message: String,
        field: Option<&'static str>,
    },
    /// Well-formed, but a value breaks a rule (422), naming the field.
    #[error("{0}")]
    Invalid(#[from] ValidationError),
    #[error("not found")]
    NotFound,
    /// Someone changed the record since the client read it.
    #[error("the record was changed by someone else; reload it (now at version {current_version})")]
    Conflict { current_version: i64 },
    #[error("{field} is already used by another record")]
    Duplicate { field: &'static str },
    #[error("{0}")]
    MethodNotAllowed(String),
    #[error("request body too large")]
    PayloadTooLarge,
    #[error("{0}")]
    UnsupportedMediaType(String),
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
            StoreError::Conflict { current_version } => ApiError::Conflict { current_version },
            StoreError::Duplicate { field } => ApiError::Duplicate { field },
            StoreError::InvalidReference { field } => ApiError::Invalid(ValidationError::new(
                field,
                "refers to a record that does not exist",
            )),
            other => ApiError::Store(other),
        }
    }
}

/// The body of every 4xx/5xx answer: `{"error": "...", "field": "...", "row": 3}`; a conflict
/// also carries the record's `current_version`.
#[derive(Debug, Serialize)]
pub struct ErrorBody {
    pub error: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub row: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub current_version: Option<i64>,
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = match &self {
            ApiError::BadRequest { .. } => StatusCode::BAD_REQUEST,
            ApiError::Invalid(_) => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::NotFound => StatusCode::NOT_FOUND,
            ApiError::Conflict { .. } | ApiError::Duplicate { .. } => StatusCode::CONFLICT,
            ApiError::MethodNotAllowed(_) => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ApiError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Store(_) => StatusCode::INTERNAL_SERVER_ERROR,
        };
        let field = match &self {
            ApiError::BadRequest { field, .. } => *field,
            ApiError::Invalid(e) => Some(e.field),
            ApiError::Duplicate { field } => Some(*field),
            _ => None,
        };
        let current_version = match &self {
            ApiError::Conflict { current_version } => Some(*current_version),
            _ => None,
        };
        let error = match &self {
            // Database details stay in the log; the client learns only that it failed.
            ApiError::Store(e) => {
                tracing::error!(error = %e, "store error");
                "internal error".to_owned()
            }
            ApiError::Invalid(e) => e.message.clone(),
            other => other.to_string(),
        };
        (
            status,
            Json(ErrorBody {
                error,
                field,
                row: None,
                current_version,
            }),
        )
            .into_response()
    }
}
