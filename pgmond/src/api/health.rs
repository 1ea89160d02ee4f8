//! `GET /`, `GET /api/health` (no authentication, never touching a monitored server) and
//! `GET /api/pools/status`.

use std::collections::BTreeMap;

use axum::Json;
use axum::extract::State;
use pgmon_common::api::{ErrorBody, Health, PoolStatus};
use serde::Serialize;
use utoipa::ToSchema;

use crate::auth::{Auth, Viewer};
use crate::state::AppState;

#[derive(Serialize, ToSchema)]
pub struct Root {
    message: String,
    docs: String,
    redoc: String,
}

#[utoipa::path(get, path = "/", tag = "health", responses((status = 200, body = Root)))]
pub async fn root() -> Json<Root> {
    Json(Root {
        message: "PostgreSQL Activity Monitor API v2.0".into(),
        docs: "/docs".into(),
        redoc: "/redoc".into(),
    })
}

#[utoipa::path(get, path = "/api/health", tag = "health", responses((status = 200, body = Health)))]
pub async fn health(State(state): State<AppState>) -> Json<Health> {
    Json(Health {
        status: "ok".into(),
        timestamp: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Micros, false),
        pools_count: state.pools_count(),
        version: env!("CARGO_PKG_VERSION").into(),
    })
}

#[utoipa::path(
    get, path = "/api/pools/status", tag = "health", security(("bearer" = [])),
    responses((status = 200, body = BTreeMap<String, PoolStatus>), (status = 401, body = ErrorBody))
)]
pub async fn pools_status(
    _: Auth<Viewer>,
    State(state): State<AppState>,
) -> Json<BTreeMap<String, PoolStatus>> {
    Json(state.pool_statuses())
}
