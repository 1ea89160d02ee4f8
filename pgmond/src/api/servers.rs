//! `/servers`: the monitored servers. Viewers read; operators add, change and remove.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::header::CONTENT_TYPE;
use axum::response::IntoResponse;
use pgmon_common::ConfigDir;
use pgmon_common::api::{ErrorBody, Message, PgTest, ServerStatus, ServerTest, SshTest};
use pgmon_common::net::{CONNECT_TIMEOUT, is_reachable};
use pgmon_common::servers::ServerInput;
use pgmon_common::ssh_keys::SshKeyMeta;
use serde::Deserialize;
use utoipa::IntoParams;

use super::ApiError;
use super::extract::{JsonBody, QueryParams};
use crate::auth::{Auth, Operator, Viewer};
use crate::monitor::ssh_configured;
use crate::state::AppState;

fn yes() -> bool {
    true
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CheckQuery {
    /// Refuse the server when host:port does not accept TCP within 5 s
    #[serde(default = "yes")]
    check: bool,
}

/// List the monitored servers with their status.
///
/// Every server with its latest status from pgmond's memory (no query to the servers per request).
#[utoipa::path(
    get, path = "/servers", tag = "servers",
    responses((status = 200, body = [ServerStatus]), Auth<Viewer>)
)]
pub async fn list(
    _: Auth<Viewer>,
    State(state): State<AppState>,
    headers: axum::http::HeaderMap,
) -> axum::response::Response {
    let snapshot = state.fleet.get();
    let list = state
        .monitor
        .statuses_json(&snapshot.servers, &snapshot.keys)
        .await;
    let json = [(CONTENT_TYPE, "application/json")];
    // Compressed once per list, not per request (the compression layer leaves an answer
    // that already says its encoding alone).
    if super::accepts_gzip(&headers) {
        let gzip = [(axum::http::header::CONTENT_ENCODING, "gzip")];
        return (json, gzip, list.gzip()).into_response();
    }
    (json, list.json.clone()).into_response()
}

/// A body's own collection interval within its bounds: 422 naming the field otherwise.
fn check_interval(input: &ServerInput) -> Result<(), ApiError> {
    match input.interval_out_of_range() {
        None => Ok(()),
        Some(why) => Err(ApiError::validation(
            vec!["body".into(), "collect_interval".into()],
            "value_error",
            why,
        )),
    }
}

/// The TLS files a body names must be ones pgmond may read (`TlsFiles`): a 422 naming the
/// field otherwise, before anything is saved or tried.
async fn check_tls_files(state: &AppState, input: &ServerInput) -> Result<(), ApiError> {
    let named: Vec<(&'static str, String)> = [
        ("sslrootcert", &input.sslrootcert),
        ("sslcert", &input.sslcert),
        ("sslkey", &input.sslkey),
    ]
    .into_iter()
    .filter_map(|(field, p)| Some((field, p.clone().filter(|p| !p.is_empty())?)))
    .collect();
    if named.is_empty() {
        return Ok(());
    }
    let files = std::sync::Arc::clone(&state.tls_files);
    let first = named[0].0;
    let refused = crate::monitor::tls_files::off_thread(move || {
        Ok(named
            .into_iter()
            .find_map(|(field, p)| Some((field, files.read(field, &p).err()?.0))))
    })
    .await
    .unwrap_or_else(|why| Some((first, why)));
    match refused {
        None => Ok(()),
        Some((field, why)) => Err(ApiError::validation(
            vec!["body".into(), field.into()],
            "value_error",
            why,
        )),
    }
}

/// Store work that yields a server, and the SSH keys its status object names, in one trip to
/// the blocking pool.
async fn with_keys<T: Send + 'static>(
    state: &AppState,
    work: impl FnOnce(&ConfigDir) -> pgmon_common::Result<T> + Send + 'static,
) -> Result<(T, Vec<SshKeyMeta>), ApiError> {
    state
        .store(move |dir| Ok((work(dir)?, dir.list_ssh_keys()?)))
        .await
}

/// One server with its status.
///
/// pgmon's addition: the Python backend had only the list.
#[utoipa::path(
    get, path = "/servers/{name}", tag = "servers",
    params(("name" = String, Path)),
    responses((status = 200, body = ServerStatus), Auth<Viewer>)
)]
pub async fn get(
    _: Auth<Viewer>,
    State(state): State<AppState>,
    Path(name): Path<String>,
) -> Result<Json<ServerStatus>, ApiError> {
    // One server is checked live (its ok status cached as ever), so a recovery shows at once.
    let server = super::stats::server(&state, &name)?;
    let keys = state.fleet.get().keys.clone();
    Ok(Json(state.monitor.status(&server, &keys).await))
}

/// Add a server.
///
/// Saved after a TCP check of host:port (5 s; `check=false` skips it). Recorded in the audit trail.
#[utoipa::path(
    post, path = "/servers", tag = "servers",
    params(CheckQuery), request_body = ServerInput,
    responses((status = 200, body = ServerStatus), (status = 400, body = ErrorBody), Auth<Operator>)
)]
pub async fn create(
    Auth(caller, ..): Auth<Operator>,
    State(state): State<AppState>,
    QueryParams(query): QueryParams<CheckQuery>,
    JsonBody(input): JsonBody<ServerInput>,
) -> Result<Json<ServerStatus>, ApiError> {
    check_interval(&input)?;
    input.check_fields()?;
    check_tls_files(&state, &input).await?;
    if query.check && !is_reachable(&input.host, input.port, CONNECT_TIMEOUT).await {
        return Err(ApiError::BadRequest(format!(
            "Server {}:{} is unreachable. Check address and port.",
            input.host, input.port
        )));
    }
    let max = state.max_servers;
    let (server, keys) = with_keys(&state, move |dir| dir.create_server(input, max)).await?;
    state.collector.servers_changed();
    tracing::info!(actor = %caller.actor(), server = %server.name, "server added");
    Ok(Json(state.monitor.status(&server, &keys).await))
}

/// Change a server.
///
/// The whole server body; a password left out keeps the stored one. Recorded in the audit trail.
#[utoipa::path(
    put, path = "/servers/{name}", tag = "servers",
    params(("name" = String, Path)), request_body = ServerInput,
    responses((status = 200, body = ServerStatus), (status = 400, body = ErrorBody), Auth<Operator>)
)]
pub async fn update(
    Auth(caller, ..): Auth<Operator>,
    State(state): State<AppState>,
    Path(name): Path<String>,
    JsonBody(input): JsonBody<ServerInput>,
) -> Result<Json<ServerStatus>, ApiError> {
    check_interval(&input)?;
    check_tls_files(&state, &input).await?;
    if input.name != name {
        // Told before the file changes, so the supervisor never sees the new list without it.
        state.collector.server_renamed(&name, &input.name);
    }
    let target = name.clone();
    let (update, keys) = with_keys(&state, move |dir| dir.update_server(&target, input)).await?;
    state.monitor.forget(&update.old);
    state.collector.servers_changed();
    tracing::info!(actor = %caller.actor(), server = %name, now = %update.new.name, cleared = ?update.cleared, "server updated");
    let mut status = state.monitor.status(&update.new, &keys).await;
    status.cleared_secrets = update.cleared_secrets();
    Ok(Json(status))
}

/// Delete a server.
///
/// Its pools are closed; its history is kept under a retired name. Recorded in the audit trail.
#[utoipa::path(
    delete, path = "/servers/{name}", tag = "servers",
    params(("name" = String, Path)),
    responses((status = 200, body = Message), Auth<Operator>)
)]
pub async fn delete(
    Auth(caller, ..): Auth<Operator>,
    State(state): State<AppState>,
    Path(name): Path<String>,
) -> Result<Json<Message>, ApiError> {
    let target = name.clone();
    let removed = state.store(move |dir| dir.remove_server(&target)).await?;
    state.monitor.forget(&removed);
    state.collector.servers_changed();
    tracing::info!(actor = %caller.actor(), server = %name, "server deleted");
    Ok(Json(Message {
        message: format!("Server {name} deleted"),
    }))
}

/// Test a server body without saving it.
///
/// PostgreSQL, and SSH when configured, with the status check's timeouts; nothing is stored.
#[utoipa::path(
    post, path = "/servers/test", tag = "servers",
    request_body = ServerInput,
    responses((status = 200, body = ServerTest), (status = 400, body = ErrorBody), Auth<Operator>)
)]
pub async fn test_unsaved(
    Auth(caller, ..): Auth<Operator>,
    State(state): State<AppState>,
    JsonBody(input): JsonBody<ServerInput>,
) -> Result<Json<ServerTest>, ApiError> {
    check_tls_files(&state, &input).await?;
    let keys = state.fleet.get().keys.clone();
    let server = input.unsaved(&keys, state.dir.cipher()?)?;
    let ssh = async {
        match ssh_configured(&server) {
            true => Some(state.monitor.test_ssh(&server).await),
            false => None,
        }
    };
    let (postgres, ssh) = tokio::join!(state.monitor.test_pg(&server), ssh);
    tracing::info!(actor = %caller.actor(), server = %server.name, postgres = postgres.success, ssh = ?ssh.as_ref().map(|s| s.success), "server tested before saving");
    Ok(Json(ServerTest { postgres, ssh }))
}

/// `/servers/test` is a route of its own; a server named `test` is still read, changed and
/// deleted there.
pub async fn get_named_test(
    auth: Auth<Viewer>,
    state: State<AppState>,
) -> Result<Json<ServerStatus>, ApiError> {
    get(auth, state, Path("test".into())).await
}

pub async fn update_named_test(
    auth: Auth<Operator>,
    state: State<AppState>,
    body: JsonBody<ServerInput>,
) -> Result<Json<ServerStatus>, ApiError> {
    update(auth, state, Path("test".into()), body).await
}

pub async fn delete_named_test(
    auth: Auth<Operator>,
    state: State<AppState>,
) -> Result<Json<Message>, ApiError> {
    delete(auth, state, Path("test".into())).await
}

/// Test a saved server's PostgreSQL connection.
///
/// Connects with the stored settings and reports the version or the error.
#[utoipa::path(
    post, path = "/servers/{name}/test-pg", tag = "servers",
    params(("name" = String, Path)),
    responses((status = 200, body = PgTest), Auth<Operator>)
)]
pub async fn test_pg(
    Auth(caller, ..): Auth<Operator>,
    State(state): State<AppState>,
    Path(name): Path<String>,
) -> Result<Json<PgTest>, ApiError> {
    let server = super::stats::server(&state, &name)?;
    let result = state.monitor.test_pg(&server).await;
    tracing::info!(actor = %caller.actor(), server = %server.name, success = result.success, "test-pg");
    Ok(Json(result))
}

/// Test a saved server's SSH connection.
///
/// Connects with the stored key and host key policy and reports the outcome.
#[utoipa::path(
    post, path = "/servers/{name}/test-ssh", tag = "servers",
    params(("name" = String, Path)),
    responses((status = 200, body = SshTest), Auth<Operator>)
)]
pub async fn test_ssh(
    Auth(caller, ..): Auth<Operator>,
    State(state): State<AppState>,
    Path(name): Path<String>,
) -> Result<Json<SshTest>, ApiError> {
    let server = state.store(move |dir| dir.get_server(&name)).await?;
    let result = state.monitor.test_ssh(&server).await;
    tracing::info!(actor = %caller.actor(), server = %server.name, success = result.success, "test-ssh");
    Ok(Json(result))
}
