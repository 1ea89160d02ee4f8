//! `GET /` and `GET /api/health`: no authentication, cheap, never touching a monitored server.

use axum::Json;
use axum::extract::State;
use pgmon_common::api::Health;
use serde_json::{Value, json};

use crate::state::AppState;

pub async fn root() -> Json<Value> {
    Json(json!({
        "message": "PostgreSQL Activity Monitor API v2.0",
        "docs": "/docs",
        "redoc": "/redoc",
    }))
}

pub async fn health(State(state): State<AppState>) -> Json<Health> {
    Json(Health {
        status: "ok".into(),
        timestamp: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Micros, false),
        pools_count: state.pools_count(),
        version: env!("CARGO_PKG_VERSION").into(),
    })
}
