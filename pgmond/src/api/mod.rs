//! The HTTP API: routes, and the handlers grouped by resource.

mod error;
mod health;

use axum::Router;
use axum::http::StatusCode;
use axum::routing::get;
use serde_json::json;

pub use error::ApiError;

use crate::state::AppState;

pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/", get(health::root))
        .route("/api/health", get(health::health))
        .fallback(not_found)
        .with_state(state)
}

/// Unknown routes answer as the Python backend's handler did.
async fn not_found() -> (StatusCode, axum::Json<serde_json::Value>) {
    (
        StatusCode::NOT_FOUND,
        axum::Json(json!({"message": "Not Found"})),
    )
}
