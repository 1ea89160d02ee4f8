//! Activity and history of one server: `/server_stats/{name}` and `/server/{name}/...`.

use axum::Json;
use axum::extract::{Path, Query, State};
use pgmon_common::api::ErrorBody;
use pgmon_common::servers::Server;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::ApiError;
use super::live::{Unanswered, or_status};
use crate::auth::{Auth, Viewer};
use crate::history::window::HistoryWindow;
use crate::monitor::Session;
use crate::state::AppState;
use pgmon_common::api::analysis::ServerAnalysis;
use pgmon_common::api::history::{DbHistory, DbInfo, ServerHistory};

#[derive(Deserialize, IntoParams)]
pub struct DateRange {
    /// ISO-8601; default: 7 days before `end_date`
    start_date: Option<String>,
    /// ISO-8601; default: now
    end_date: Option<String>,
}

impl DateRange {
    fn window(&self) -> Result<HistoryWindow, ApiError> {
        HistoryWindow::parse(self.start_date.as_deref(), self.end_date.as_deref())
            .map_err(ApiError::BadRequest)
    }
}

#[derive(Serialize, ToSchema)]
pub struct Activity {
    queries: Vec<Session>,
    /// Why there are no sessions to show (the server is down, say): a status, not an error page.
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
}

/// A server from the in-memory config.
pub fn server(state: &AppState, name: &str) -> Result<Server, ApiError> {
    state
        .fleet
        .get()
        .server(name)
        .cloned()
        .ok_or_else(|| ApiError::NotFound("Server not found".into()))
}

#[utoipa::path(
    get, path = "/server_stats/{name}", tag = "monitoring", security(("bearer" = [])),
    params(("name" = String, Path)),
    responses((status = 200, body = Activity), (status = 404, body = ErrorBody))
)]
pub async fn activity(
    _: Auth<Viewer>,
    State(state): State<AppState>,
    Path(name): Path<String>,
) -> Result<Json<Activity>, ApiError> {
    let server = server(&state, &name)?;
    let read = state.monitor.sessions(&server).await;
    Ok(Json(or_status(read.map(|queries| Activity {
        queries,
        error: None,
    }))))
}

impl Unanswered for Activity {
    fn unanswered(status: String) -> Self {
        Activity {
            queries: Vec::new(),
            error: Some(status),
        }
    }
}

#[utoipa::path(
    get, path = "/server/{name}/stats", tag = "monitoring", security(("bearer" = [])),
    params(("name" = String, Path), DateRange),
    responses((status = 200, body = ServerHistory), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody))
)]
pub async fn server_history(
    _: Auth<Viewer>,
    State(state): State<AppState>,
    Path(name): Path<String>,
    Query(range): Query<DateRange>,
) -> Result<Json<ServerHistory>, ApiError> {
    let server = server(&state, &name)?;
    let window = range.window()?;
    if state.collector.answers_from_store(&server.name) {
        let store = state.collector.store();
        return Ok(Json(store.server_history(&server.name, &window).await?));
    }
    Ok(Json(state.monitor.server_history(&server, window).await))
}

#[utoipa::path(
    get, path = "/server/{name}/db/{db}", tag = "monitoring", security(("bearer" = [])),
    params(("name" = String, Path), ("db" = String, Path)),
    responses((status = 200, body = DbInfo), (status = 404, body = ErrorBody))
)]
pub async fn db_info(
    _: Auth<Viewer>,
    State(state): State<AppState>,
    Path((name, db)): Path<(String, String)>,
) -> Result<Json<DbInfo>, ApiError> {
    let server = server(&state, &name)?;
    let info = if state.collector.answers_from_store(&server.name) {
        match state.collector.store().db_info(&server.name, &db).await? {
            Some(info) => Some(info),
            None => state.monitor.live_db_info(&server, &db, None).await,
        }
    } else {
        state.monitor.db_info(&server, &db).await
    };
    match info {
        Some(info) => Ok(Json(info)),
        None => Err(ApiError::NotFound("Database not found".into())),
    }
}

#[utoipa::path(
    get, path = "/server/{name}/db/{db}/stats", tag = "monitoring", security(("bearer" = [])),
    params(("name" = String, Path), ("db" = String, Path), DateRange),
    responses((status = 200, body = DbHistory), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody))
)]
pub async fn db_history(
    _: Auth<Viewer>,
    State(state): State<AppState>,
    Path((name, db)): Path<(String, String)>,
    Query(range): Query<DateRange>,
) -> Result<Json<DbHistory>, ApiError> {
    let server = server(&state, &name)?;
    let window = range.window()?;
    if state.collector.answers_from_store(&server.name) {
        let store = state.collector.store();
        return Ok(Json(store.db_history(&server.name, &db, &window).await?));
    }
    Ok(Json(state.monitor.db_history(&server, &db, window).await))
}

#[utoipa::path(
    get, path = "/server/{name}/analysis", tag = "monitoring", security(("bearer" = [])),
    params(("name" = String, Path)),
    responses((status = 200, body = ServerAnalysis), (status = 404, body = ErrorBody))
)]
/// Databases flagged unused, static, fast-growing or near wraparound, from pgmon's own history
/// with the thresholds of `/settings`.
pub async fn analysis(
    _: Auth<Viewer>,
    State(state): State<AppState>,
    Path(name): Path<String>,
) -> Result<Json<ServerAnalysis>, ApiError> {
    let server = server(&state, &name)?;
    let now = chrono::Utc::now().timestamp();
    let settings = state.collector.settings();
    let store = state.collector.store();
    Ok(Json(store.analysis(&server.name, now, settings).await?))
}
