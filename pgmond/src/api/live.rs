//! A server's live figures beside its sessions (SPEC B3): databases, replication and
//! statements, read when asked (viewer). A server that does not answer gives empty lists and
//! its status in `error`, as the activity list does.

use axum::Json;
use axum::extract::{Path, State};
use pgmon_common::api::activity::ServerActivity;
use pgmon_common::api::databases::ServerDatabases;
use pgmon_common::api::replication::ServerReplication;
use pgmon_common::api::statements::ServerStatements;
use serde::Deserialize;
use utoipa::IntoParams;

use super::ApiError;
use super::backends::query_chars;
use super::extract::QueryParams;
use super::stats::server;
use crate::auth::{Auth, Viewer};
use crate::monitor::statements::Order;
use crate::monitor::{MonitorError, findings};
use crate::state::AppState;

/// A server's databases now.
///
/// Every database that takes connections, with its figures read from the server now.
#[utoipa::path(
    get, path = "/server/{name}/databases", tag = "monitoring",
    params(("name" = String, Path)),
    responses((status = 200, description = "Every database that takes connections, with its figures now", body = ServerDatabases), Auth<Viewer>)
)]
pub async fn databases(
    _: Auth<Viewer>,
    State(state): State<AppState>,
    Path(name): Path<String>,
) -> Result<Json<ServerDatabases>, ApiError> {
    let server = server(&state, &name)?;
    let read = state.monitor.databases(&server).await;
    Ok(Json(or_status(read.map(|databases| ServerDatabases {
        databases,
        error: None,
    }))))
}

/// A server's replication.
///
/// Senders (standbys), slots, a standby's own recovery and lag, and findings.
#[utoipa::path(
    get, path = "/server/{name}/replication", tag = "monitoring",
    params(("name" = String, Path)),
    responses((status = 200, description = "Senders, slots, a standby's recovery, and findings", body = ServerReplication), Auth<Viewer>)
)]
pub async fn replication(
    _: Auth<Viewer>,
    State(state): State<AppState>,
    Path(name): Path<String>,
) -> Result<Json<ServerReplication>, ApiError> {
    let server = server(&state, &name)?;
    let read = state.monitor.replication(&server).await;
    Ok(Json(or_status(read.map(|mut r| {
        r.findings = findings::replication(&r, &state.collector.settings());
        r
    }))))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct StatementsQuery {
    /// What the statements are ranked by (default `total_time`).
    #[serde(default)]
    order: Order,
    /// How many (default 20).
    #[param(minimum = 1, maximum = 1000)]
    limit: Option<usize>,
}

/// A server's top statements.
///
/// From pg_stat_statements, between the two newest snapshots, ranked by `order`; `error` and `hint`
/// when the extension is missing.
#[utoipa::path(
    get, path = "/server/{name}/statements", tag = "monitoring",
    params(("name" = String, Path), StatementsQuery),
    responses((status = 200, description = "The top statements between the two newest snapshots; `error` and `hint` when pg_stat_statements is missing", body = ServerStatements), Auth<Viewer>)
)]
pub async fn statements(
    _: Auth<Viewer>,
    State(state): State<AppState>,
    Path(name): Path<String>,
    QueryParams(q): QueryParams<StatementsQuery>,
) -> Result<Json<ServerStatements>, ApiError> {
    let limit = q.limit.unwrap_or(20);
    if !(1..=1000).contains(&limit) {
        return Err(ApiError::validation(
            vec!["query".into(), "limit".into()],
            "less_than_equal",
            "Input should be between 1 and 1000",
        ));
    }
    let server = server(&state, &name)?;
    let chars = query_chars(&state.collector.settings());
    let read = state
        .monitor
        .statements(&server, q.order, limit, chars)
        .await;
    Ok(Json(or_status(read)))
}

/// An answer that can stand for a server that did not answer: empty lists and its status.
pub trait Unanswered {
    fn unanswered(status: String) -> Self;
}

/// The answer, or the server's status in an empty one: one bad server is a status, not an
/// error page.
pub fn or_status<T: Unanswered>(read: Result<T, MonitorError>) -> T {
    read.unwrap_or_else(|e| T::unanswered(e.status()))
}

impl Unanswered for ServerDatabases {
    fn unanswered(status: String) -> Self {
        ServerDatabases {
            databases: Vec::new(),
            error: Some(status),
        }
    }
}

impl Unanswered for ServerReplication {
    fn unanswered(status: String) -> Self {
        ServerReplication {
            in_recovery: None,
            senders: Vec::new(),
            slots: Vec::new(),
            standby: None,
            findings: Vec::new(),
            error: Some(status),
        }
    }
}

impl Unanswered for ServerStatements {
    fn unanswered(status: String) -> Self {
        ServerStatements {
            taken_at: None,
            interval_seconds: None,
            statements: Vec::new(),
            error: Some(status),
            hint: None,
        }
    }
}

impl Unanswered for ServerActivity {
    fn unanswered(status: String) -> Self {
        ServerActivity {
            sessions: Vec::new(),
            blocking: Vec::new(),
            findings: Vec::new(),
            error: Some(status),
        }
    }
}
