//! A server's backends (SPEC B3): `GET /server/{name}/activity` (viewer) lists them with the
//! blocking tree; `POST /server/{name}/backends/{pid}/cancel` and `/terminate` (operator) act
//! on one, audited with what they were done to. Findings (`monitor::findings`) come with the
//! list.

use axum::Json;
use axum::extract::{Extension, Path, State};
use pgmon_common::api::ErrorBody;
use pgmon_common::api::activity::{BackendAction, ServerActivity};
use pgmon_common::api::settings::Settings;
use pgmon_common::users::Role;
use serde::Deserialize;
use utoipa::IntoParams;

use super::ApiError;
use super::audit::AuditSlot;
use super::extract::{PathParams, QueryParams};
use super::live::or_status;
use super::stats::server;
use crate::auth::{Auth, Operator, Viewer};
use crate::monitor::backends::blocking_tree;
use crate::monitor::findings;
use crate::state::AppState;

/// A server's sessions and the blocking tree.
///
/// Every backend but pgmon's own, with wait events and durations, and who blocks whom; a server
/// that does not answer gives empty lists and `error`.
#[utoipa::path(
    get, path = "/server/{name}/activity", tag = "monitoring",
    params(("name" = String, Path)),
    responses((status = 200, description = "Every backend but pgmon's, and the blocking tree; a server that does not answer gives empty lists and `error`", body = ServerActivity), Auth<Viewer>)
)]
pub async fn server_activity(
    _: Auth<Viewer>,
    State(state): State<AppState>,
    Path(name): Path<String>,
) -> Result<Json<ServerActivity>, ApiError> {
    let server = server(&state, &name)?;
    let settings = state.collector.settings();
    let chars = query_chars(&settings);
    let read = state.monitor.backends(&server, chars).await;
    Ok(Json(or_status(read.map(|sessions| ServerActivity {
        blocking: blocking_tree(&sessions),
        findings: findings::sessions(&sessions, &settings),
        sessions,
        error: None,
    }))))
}

/// The `activity_query_chars` setting, as SQL's `left()` takes it.
pub fn query_chars(settings: &Settings) -> i32 {
    i32::try_from(settings.activity_query_chars).unwrap_or(i32::MAX)
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ActionQuery {
    /// Act on a backend that is not a client's (autovacuum, walsender...): admin only.
    #[serde(default)]
    force: bool,
}

async fn act(
    state: AppState,
    caller: crate::auth::Caller,
    (name, pid): (String, i32),
    force: bool,
    terminate: bool,
    audit: Option<Extension<AuditSlot>>,
) -> Result<Json<BackendAction>, ApiError> {
    if force && caller.role < Role::Admin {
        return Err(ApiError::Forbidden(Role::Admin));
    }
    let server = server(&state, &name)?;
    let done = state.monitor.signal(&server, pid, terminate, force).await?;
    let action = if terminate { "terminate" } else { "cancel" };
    if let Some(Extension(slot)) = audit {
        slot.set_detail(format!(
            "user={} database={} query_start={}",
            done.usename.as_deref().unwrap_or("-"),
            done.datname.as_deref().unwrap_or("-"),
            done.query_start.as_deref().unwrap_or("-"),
        ));
    }
    tracing::info!(server = %name, pid, action, actor = %caller.actor(), "backend signalled");
    Ok(Json(BackendAction {
        pid,
        action: action.into(),
        usename: done.usename,
        datname: done.datname,
        query_start: done.query_start,
        message: if terminate {
            format!("Backend {pid} terminated")
        } else {
            format!("Query of backend {pid} cancelled")
        },
    }))
}

/// Cancel a backend's query.
///
/// `pg_cancel_backend` on the server. Client backends only, unless `force=true` (admin). Recorded
/// in the audit trail with the session's user, database and query start.
#[utoipa::path(
    post, path = "/server/{name}/backends/{pid}/cancel", tag = "monitoring",
    params(("name" = String, Path), ("pid" = i32, Path), ActionQuery),
    responses((status = 200, body = BackendAction), (status = 403, description = "Role too low, or refused by the server (its reason)", body = ErrorBody),
              (status = 404, description = "No such server, or no such backend (any more)", body = ErrorBody),
              (status = 409, description = "Not a client backend (without force), pgmon's own, or the server does not answer (its status as the detail)", body = ErrorBody), Auth<Operator>)
)]
pub async fn cancel(
    Auth(caller, _): Auth<Operator>,
    State(state): State<AppState>,
    PathParams(target): PathParams<(String, i32)>,
    QueryParams(q): QueryParams<ActionQuery>,
    audit: Option<Extension<AuditSlot>>,
) -> Result<Json<BackendAction>, ApiError> {
    act(state, caller, target, q.force, false, audit).await
}

/// Terminate a backend.
///
/// `pg_terminate_backend` on the server. Client backends only, unless `force=true` (admin).
/// Recorded in the audit trail with the session's user, database and query start.
#[utoipa::path(
    post, path = "/server/{name}/backends/{pid}/terminate", tag = "monitoring",
    params(("name" = String, Path), ("pid" = i32, Path), ActionQuery),
    responses((status = 200, body = BackendAction), (status = 403, description = "Role too low, or refused by the server (its reason)", body = ErrorBody),
              (status = 404, description = "No such server, or no such backend (any more)", body = ErrorBody),
              (status = 409, description = "Not a client backend (without force), pgmon's own, or the server does not answer (its status as the detail)", body = ErrorBody), Auth<Operator>)
)]
pub async fn terminate(
    Auth(caller, _): Auth<Operator>,
    State(state): State<AppState>,
    PathParams(target): PathParams<(String, i32)>,
    QueryParams(q): QueryParams<ActionQuery>,
    audit: Option<Extension<AuditSlot>>,
) -> Result<Json<BackendAction>, ApiError> {
    act(state, caller, target, q.force, true, audit).await
}
