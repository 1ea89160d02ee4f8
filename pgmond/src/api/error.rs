//! The one place where errors become HTTP answers: `{"detail": ...}` with the status the
//! Python backend used.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error(transparent)]
    Store(#[from] pgmon_common::Error),
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, detail) = match &self {
            ApiError::Store(pgmon_common::Error::Invalid(m)) => {
                (StatusCode::BAD_REQUEST, m.clone())
            }
            ApiError::Store(pgmon_common::Error::NotFound(m)) => (StatusCode::NOT_FOUND, m.clone()),
            ApiError::Store(other) => {
                tracing::error!(error = %other, "request failed");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "Internal server error".to_owned(),
                )
            }
        };
        (status, Json(json!({ "detail": detail }))).into_response()
    }
}
