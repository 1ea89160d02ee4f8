//! `GET /`, `GET /api/health` (no authentication, never touching a monitored server) and
//! `GET /api/pools/status`.

use axum::Json;
use axum::extract::State;
use pgmon_common::api::{Health, PoolsStatus, StoreHealth};
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

/// The API's name and where its documentation is.
///
/// The Python backend's root answer, unchanged.
#[utoipa::path(get, path = "/", tag = "health", responses((status = 200, body = Root)))]
pub async fn root() -> Json<Root> {
    Json(Root {
        message: "PostgreSQL Activity Monitor API v2.0".into(),
        docs: "/docs".into(),
        redoc: "/redoc".into(),
    })
}

/// Whether pgmond answers.
///
/// Never touches a monitored server: for load balancers and probes. With a shared store,
/// `store` says whether this replica reaches it.
#[utoipa::path(get, path = "/api/health", tag = "health", responses((status = 200, body = Health)))]
pub async fn health(State(state): State<AppState>) -> Json<Health> {
    Json(Health {
        status: "ok".into(),
        timestamp: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Micros, false),
        pools_count: state.pools_count(),
        version: env!("CARGO_PKG_VERSION").into(),
        store: state.config.shared().map(|shared| {
            let h = shared.health();
            StoreHealth {
                status: if h.reachable { "ok" } else { "degraded" }.into(),
                since: h.since,
                error: h.error,
                replica: shared.replica.clone(),
                servers_collected: state.collector.leases().held_count(),
                samples_waiting: state.collector.outbox().map_or(0, |o| o.waiting()),
            }
        }),
    })
}

/// pgmond's connection pools.
///
/// Each pool keyed by `host:port:user:db`, with its size and idle connections.
#[utoipa::path(
    get, path = "/api/pools/status", tag = "health",
    responses((status = 200, body = PoolsStatus), Auth<Viewer>)
)]
pub async fn pools_status(_: Auth<Viewer>, State(state): State<AppState>) -> Json<PoolsStatus> {
    Json(PoolsStatus(state.pool_statuses()))
}
