//! The HTTP layer's one error type, mapped to a status and a JSON body in one place.

use std::any::Any;
use std::borrow::Cow;
use std::collections::BTreeMap;

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use wilayah_app::store::StoreError;
use wilayah_shared::account::ValidationError;
use wilayah_shared::transfer::{RowError, RowErrors};

use crate::db::ImportError;

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
    /// Rows of an imported file break rules (422): every error found, by row and field.
    #[error("{0}")]
    Rows(RowErrors),
    #[error("not found")]
    NotFound,
    /// Someone changed the record since the client read it.
    #[error("the record was changed by someone else; reload it (now at version {current_version})")]
    Conflict { current_version: i64 },
    #[error("{field} is already used by another record")]
    Duplicate { field: &'static str },
    /// A conflict explained in words (e.g. a stale planning draft): 409.
    #[error("{0}")]
    ConflictMessage(String),
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
    /// Not signed in, or the credentials are wrong or expired (401).
    #[error("{0}")]
    Unauthorized(String),
    /// Signed in, but the role may not do this (403).
    #[error("{0}")]
    Forbidden(String),
    /// Too many failed sign-ins; try again after this many seconds (429).
    #[error("too many failed sign-ins; try again in {retry_after_s} s")]
    TooManyRequests { retry_after_s: u64 },
    /// Every slot for this kind of work is taken; try again after this many seconds (503).
    #[error("the server is busy; try again in {retry_after_s} s")]
    Busy { retry_after_s: u64 },
}

impl ApiError {
    /// The stable code of this error and its parameters, for clients that translate.
    fn code_and_params(
        &self,
        first_row: Option<&RowError>,
    ) -> (&'static str, BTreeMap<&'static str, String>) {
        let code = match self {
            ApiError::Invalid(e) => return (e.code, e.params.clone()),
            ApiError::Rows(_) => match first_row {
                Some(first) => return (first.code, first.params.clone()),
                None => "invalid",
            },
            ApiError::Conflict { current_version } => {
                let params = BTreeMap::from([("current_version", current_version.to_string())]);
                return ("conflict", params);
            }
            ApiError::TooManyRequests { retry_after_s } => {
                let params = BTreeMap::from([("retry_after_s", retry_after_s.to_string())]);
                return ("rate_limited", params);
            }
            ApiError::Busy { retry_after_s } => {
                let params = BTreeMap::from([("retry_after_s", retry_after_s.to_string())]);
                return ("busy", params);
            }
            ApiError::BadRequest { .. } => "bad_request",
            ApiError::NotFound => "not_found",
            ApiError::Duplicate { .. } => "duplicate",
            ApiError::ConflictMessage(_) => "conflict",
            ApiError::MethodNotAllowed(_) => "method_not_allowed",
            ApiError::PayloadTooLarge => "too_large",
            ApiError::UnsupportedMediaType(_) => "unsupported_media_type",
            ApiError::Unavailable(_) => "unavailable",
            ApiError::Store(_) => "internal",
            ApiError::Unauthorized(_) => "unauthorized",
            ApiError::Forbidden(_) => "forbidden",
        };
        (code, BTreeMap::new())
    }

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
            StoreError::InvalidReference { field } => ApiError::Invalid(
                ValidationError::new(field, "refers to a record that does not exist")
                    .because("no_such_record"),
            ),
            // The store's own refusals (a rule only the database can check) name their field.
            StoreError::Invalid { field, message } => ApiError::Rows(RowErrors::single(
                RowError::file(Some(field.into()), message),
            )),
            other => ApiError::Store(other),
        }
    }
}

impl From<ImportError> for ApiError {
    fn from(e: ImportError) -> Self {
        match e {
            ImportError::Rows(rows) => ApiError::Rows(rows),
            ImportError::Store(e) => e.into(),
        }
    }
}

/// The body of every 4xx/5xx answer: `{"error": "...", "code": "...", "field": "...", "row": 3}`.
/// `error` is English for API users; `code` (with `params`) names what went wrong in a stable
/// word the UI translates (see `wilayah_shared::account::ERROR_CODES` for broken rules). A conflict
/// also carries the record's `current_version`; a refused import lists all its `errors` (the
/// first of them also at the top) and `more_errors` when some were left out.
#[derive(Debug, Serialize)]
pub struct ErrorBody {
    pub error: String,
    pub code: &'static str,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub params: BTreeMap<&'static str, String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<Cow<'static, str>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub row: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub current_version: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub errors: Option<Vec<RowError>>,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub more_errors: bool,
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = match &self {
            ApiError::BadRequest { .. } => StatusCode::BAD_REQUEST,
            ApiError::Invalid(_) | ApiError::Rows(_) => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::NotFound => StatusCode::NOT_FOUND,
            ApiError::Conflict { .. } | ApiError::Duplicate { .. } => StatusCode::CONFLICT,
            ApiError::ConflictMessage(_) => StatusCode::CONFLICT,
            ApiError::MethodNotAllowed(_) => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ApiError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Store(_) => StatusCode::INTERNAL_SERVER_ERROR,
            ApiError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden(_) => StatusCode::FORBIDDEN,
            ApiError::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            ApiError::Busy { .. } => StatusCode::SERVICE_UNAVAILABLE,
        };
        let retry_after = match &self {
            ApiError::TooManyRequests { retry_after_s } | ApiError::Busy { retry_after_s } => {
                Some(retry_after_s.to_string())
            }
            _ => None,
        };
        let first_row = match &self {
            ApiError::Rows(rows) => rows.errors.first(),
            _ => None,
        };
        let field = match &self {
            ApiError::BadRequest { field, .. } => field.map(Cow::Borrowed),
            ApiError::Invalid(e) => Some(Cow::Borrowed(e.field)),
            ApiError::Duplicate { field } => Some(Cow::Borrowed(*field)),
            _ => first_row.and_then(|e| e.field.clone()),
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
            ApiError::Rows(rows) => match first_row {
                Some(first) if rows.errors.len() == 1 => first.message.clone(),
                Some(first) => format!("{} (and more errors)", first.message),
                None => "the file was refused".to_owned(),
            },
            other => other.to_string(),
        };
        let (code, params) = self.code_and_params(first_row);
        let (errors, more_errors) = match self {
            ApiError::Rows(rows) => (Some(rows.errors), rows.more),
            _ => (None, false),
        };
        let mut response = (
            status,
            Json(ErrorBody {
                error,
                code,
                params,
                row: errors.as_ref().and_then(|e| e.first()).and_then(|e| e.row),
                field,
                current_version,
                errors,
                more_errors,
            }),
        )
            .into_response();
        if let Some(seconds) = retry_after.and_then(|s| axum::http::HeaderValue::from_str(&s).ok())
        {
            response
                .headers_mut()
                .insert(axum::http::header::RETRY_AFTER, seconds);
        }
        response
    }
}

/// Runs CPU-heavy checks (geometry above all) on the blocking pool, so one large request cannot
/// pin an async worker that other requests are waiting on.
pub async fn off_the_workers<T: Send + 'static>(
    work: impl FnOnce() -> T + Send + 'static,
) -> Result<T, ApiError> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| ApiError::Store(StoreError::Database(Box::new(e))))
}

/// What the catch-panic layer calls with a handler's panic.
pub type PanicHandler = fn(Box<dyn Any + Send + 'static>) -> Response;

/// The last resort when a handler panics (a bug: bad input gets a 4xx before it gets that
/// far): the panic is logged and the client gets the usual JSON 500, not a dropped connection.
pub fn panic_response(panic: Box<dyn Any + Send + 'static>) -> Response {
    let message = panic
        .downcast_ref::<String>()
        .map(String::as_str)
        .or_else(|| panic.downcast_ref::<&str>().copied())
        .unwrap_or("(no message)");
    tracing::error!(panic = message, "a request handler panicked");
    let body = ErrorBody {
        error: "internal error".to_owned(),
        code: "internal",
        params: BTreeMap::new(),
        field: None,
        row: None,
        current_version: None,
        errors: None,
        more_errors: false,
    };
    (StatusCode::INTERNAL_SERVER_ERROR, Json(body)).into_response()
}

#[cfg(test)]
mod tests {
    use axum::Router;
    use axum::body::Body;
    use axum::http::{Request, header};
    use axum::routing::get;
    use http_body_util::BodyExt;
    use tower::ServiceExt;
    use tower_http::catch_panic::CatchPanicLayer;

    use super::*;

    #[tokio::test]
    async fn a_panicking_handler_answers_json_500_instead_of_dropping_the_connection() {
        async fn boom() -> &'static str {
            panic!("a handler bug")
        }
        let app = Router::new()
            .route("/boom", get(boom))
            .layer(CatchPanicLayer::custom(panic_response as PanicHandler));
        let response = app
            .oneshot(Request::get("/boom").body(Body::empty()).unwrap())
            .await
            .expect("an answer, not a dropped connection");
        assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(response.headers()[header::CONTENT_TYPE], "application/json");
        let body = response.into_body().collect().await.unwrap().to_bytes();
        let body: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(body["error"], "internal error");
    }
}
