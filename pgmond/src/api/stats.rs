//! Activity and history of one server: `/server_stats/{name}` and `/server/{name}/...`.

use axum::Json;
use axum::extract::{Path, State};
use pgmon_common::api::ErrorBody;
use pgmon_common::servers::Server;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::ApiError;
use super::extract::QueryParams;
use super::live::{Unanswered, or_status};
use crate::auth::{Auth, Viewer};
use crate::history::window::HistoryWindow;
use crate::monitor::Session;
use crate::state::AppState;
use pgmon_common::api::analysis::ServerAnalysis;
use pgmon_common::api::history::{DbHistory, DbInfo, ServerHistory};

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DateRange {
    /// RFC 3339 (a time without an offset is taken as UTC); default: 7 days before
    /// `end_date`
    #[param(format = DateTime)]
    start_date: Option<String>,
    /// RFC 3339 (a time without an offset is taken as UTC); default: now
    #[param(format = DateTime)]
    end_date: Option<String>,
}

impl DateRange {
    pub fn window(&self) -> Result<HistoryWindow, ApiError> {
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

/// A server's sessions (Python backend's shape).
///
/// The backends of the server now, as the Python backend listed them; `error` when the server does
/// not answer.
#[utoipa::path(
    get, path = "/server_stats/{name}", tag = "monitoring",
    params(("name" = String, Path)),
    responses((status = 200, body = Activity), Auth<Viewer>)
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

/// A server's history.
///
/// Figures from pgmon's history store between `start_date` and `end_date` (default the last 7
/// days), aggregated to fit the window.
#[utoipa::path(
    get, path = "/server/{name}/stats", tag = "monitoring",
    params(("name" = String, Path), DateRange),
    responses((status = 200, body = ServerHistory), (status = 400, body = ErrorBody), Auth<Viewer>)
)]
pub async fn server_history(
    _: Auth<Viewer>,
    State(state): State<AppState>,
    Path(name): Path<String>,
    QueryParams(range): QueryParams<DateRange>,
) -> Result<Json<ServerHistory>, ApiError> {
    let server = server(&state, &name)?;
    let window = range.window()?;
    if state.collector.answers_from_store(&server.name) {
        let store = state.collector.store();
        return Ok(Json(store.server_history(&server.name, &window).await?));
    }
    Ok(Json(state.monitor.server_history(&server, window).await))
}

/// A database's latest figures.
///
/// Size, connections and the other figures of the newest sample of `db`.
#[utoipa::path(
    get, path = "/server/{name}/db/{db}", tag = "monitoring",
    params(("name" = String, Path), ("db" = String, Path)),
    responses((status = 200, body = DbInfo), Auth<Viewer>)
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

/// A database's history.
///
/// Figures of `db` from pgmon's history store between `start_date` and `end_date`.
#[utoipa::path(
    get, path = "/server/{name}/db/{db}/stats", tag = "monitoring",
    params(("name" = String, Path), ("db" = String, Path), DateRange),
    responses((status = 200, body = DbHistory), (status = 400, body = ErrorBody), Auth<Viewer>)
)]
pub async fn db_history(
    _: Auth<Viewer>,
    State(state): State<AppState>,
    Path((name, db)): Path<(String, String)>,
    QueryParams(range): QueryParams<DateRange>,
) -> Result<Json<DbHistory>, ApiError> {
    let server = server(&state, &name)?;
    let window = range.window()?;
    if state.collector.answers_from_store(&server.name) {
        let store = state.collector.store();
        return Ok(Json(store.db_history(&server.name, &db, &window).await?));
    }
    Ok(Json(state.monitor.db_history(&server, &db, window).await))
}

/// Findings on a server's databases.
///
/// Databases flagged unused, static, fast-growing or near wraparound, from pgmon's own history with
/// the thresholds of `/settings`.
#[utoipa::path(
    get, path = "/server/{name}/analysis", tag = "monitoring",
    params(("name" = String, Path)),
    responses((status = 200, body = ServerAnalysis), Auth<Viewer>)
)]
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
