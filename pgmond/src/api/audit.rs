//! The audit trail: a middleware that records every change and every checked login once its
//! answer is known, and `GET /audit` (admin) to read it back.
//!
//! The action comes from the route (`PUT /servers/{name}` is `server.update` of the named
//! server); who did it from the caller the `Auth` extractor found, put in the request's
//! `AuditSlot` (for a login, the login tried). Reads and the probes that change nothing
//! (`test-pg`, `test-ssh`, `POST /servers/test`) are not recorded; a mutating route missing from
//! the table is recorded under its method and path template, so nothing slips by. Logins refused
//! by the throttle (429, 503) are not recorded: no password was checked, and a flood of them
//! would only fill the disk (the log line for fail2ban still counts the failures that were).

use std::sync::{Arc, Mutex};

use axum::Json;
use axum::extract::{FromRequestParts, MatchedPath, RawPathParams, Request, State};
use axum::http::Method;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use pgmon_common::api::audit::{AuditEntry, AuditPage, AuditQuery};

use super::ApiError;
use super::extract::{QueryParams, Source};
use crate::audit::{Filter, stamp};
use crate::auth::{Admin, Auth};
use crate::state::AppState;

/// Where the handling of a request notes who made it, and what it acted on beyond the path.
#[derive(Clone, Default)]
pub struct AuditSlot(Arc<Mutex<Noted>>);

#[derive(Clone, Default)]
struct Noted {
    actor: Option<String>,
    detail: Option<String>,
}

impl AuditSlot {
    fn noted(&self) -> std::sync::MutexGuard<'_, Noted> {
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Notes the actor (at most 256 characters: a login tried can be anything).
    pub fn set_actor(&self, actor: String) {
        self.noted().actor = Some(actor.chars().take(256).collect());
    }

    /// Notes facts of the target (whose session a backend action ended, say).
    pub fn set_detail(&self, detail: String) {
        self.noted().detail = Some(detail);
    }
}

/// The action a request performs, if it is one the trail records.
fn action(method: &Method, route: &str) -> Option<String> {
    let name = match (method.as_str(), route) {
        ("GET" | "HEAD" | "OPTIONS", _) => return None,
        ("POST", "/servers/test" | "/servers/{name}/test-pg" | "/servers/{name}/test-ssh") => {
            return None;
        }
        ("POST", "/token") => "login",
        ("POST", "/token/refresh") => "session.refresh",
        ("POST", "/logout") => "session.logout",
        ("POST", "/users") => "user.create",
        ("PUT", "/users/{login}") => "user.update",
        ("DELETE", "/users/{login}") => "user.delete",
        ("POST", "/servers") => "server.create",
        // `/servers/test` is also the path of a server named "test".
        ("PUT", "/servers/{name}" | "/servers/test") => "server.update",
        ("DELETE", "/servers/{name}" | "/servers/test") => "server.delete",
        ("PUT", "/settings") => "settings.update",
        ("POST", "/ssh-keys/generate") => "ssh_key.generate",
        ("POST", "/ssh-keys/import" | "/ssh-keys/import-file") => "ssh_key.import",
        ("PUT", "/ssh-keys/{id}") => "ssh_key.update",
        ("DELETE", "/ssh-keys/{id}") => "ssh_key.delete",
        ("POST", "/server/{name}/backends/{pid}/cancel") => "backend.cancel",
        ("POST", "/server/{name}/backends/{pid}/terminate") => "backend.terminate",
        ("POST", "/server/{name}/checks") => "checks.run",
        ("POST", "/alerts/channels") => "alert_channel.create",
        ("PUT", "/alerts/channels/{name}") => "alert_channel.update",
        ("DELETE", "/alerts/channels/{name}") => "alert_channel.delete",
        ("POST", "/alerts/silences") => "silence.create",
        ("DELETE", "/alerts/silences/{id}") => "silence.expire",
        ("POST", "/alerts/test") => "alert_channel.test",
        ("PUT", "/alerts/rules/{rule}") => "alert_rule.update",
        (method, route) => return Some(format!("{method} {route}")),
    };
    Some(name.to_owned())
}

/// Actions whose path names nothing: what they made is named in their answer.
const CREATES: &[&str] = &[
    "user.create",
    "server.create",
    "ssh_key.generate",
    "ssh_key.import",
    "alert_channel.create",
    "silence.create",
];

/// The `login` or `name` of the object a create answered with, and the answer as it was.
async fn created_name(response: Response) -> (Option<String>, Response) {
    let (parts, body) = response.into_parts();
    // Answers of creates are a few hundred bytes, built in memory: reading them cannot fail
    // short of the bound, which only guards memory.
    let Ok(bytes) = axum::body::to_bytes(body, 1 << 20).await else {
        return (None, Response::from_parts(parts, axum::body::Body::empty()));
    };
    let name = serde_json::from_slice::<serde_json::Value>(&bytes)
        .ok()
        .and_then(|v| {
            ["login", "name", "id"].iter().find_map(|k| {
                v[k].as_str()
                    .map(str::to_owned)
                    .or_else(|| v[k].as_i64().map(|n| n.to_string()))
            })
        });
    (
        name,
        Response::from_parts(parts, axum::body::Body::from(bytes)),
    )
}

fn outcome(status: u16) -> &'static str {
    match status {
        200..=299 => "success",
        401 | 403 | 429 => "denied",
        _ => "failed",
    }
}

/// Session actions: their entries are written when they can be, but a login or a logout is
/// never refused for want of the audit log (that would lock everyone out, the admin too).
const SESSION_ACTIONS: &[&str] = &["login", "session.refresh", "session.logout"];

/// Whether a request on this route is a change, refused (503) while the audit log cannot be
/// written.
pub fn refused_without_log(method: &Method, route: &str) -> bool {
    action(method, route).is_some_and(|a| !SESSION_ACTIONS.contains(&a.as_str()))
}

/// Records the request's action once answered; the answer waits for the entry to be on disk.
/// A change is refused (503) when the audit log cannot be written, so none is made without its
/// entry; once begun, it runs to its end with its entry in a task of its own, whatever the
/// client does (one that hangs up would otherwise cancel the handler between the saved file
/// and the rest: memory, pools, the entry).
pub async fn record(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map(|m| m.as_str().to_owned());
    let Some(action) = route.and_then(|r| action(request.method(), &r)) else {
        return next.run(request).await;
    };
    // Spawned in the same poll that brought the (whole) request here: from now on the client
    // cannot stop it.
    let task = tokio::spawn(async move {
        if !SESSION_ACTIONS.contains(&action.as_str()) {
            let log = state.audit.clone();
            if let Err(e) = tokio::task::spawn_blocking(move || log.ready())
                .await
                .unwrap_or_else(|e| Err(std::io::Error::other(e)))
            {
                tracing::error!(error = %e, %action, "refusing a change: the audit log cannot be written");
                return ApiError::AuditUnavailable(e.to_string()).into_response();
            }
        }
        record_change(state, request, next, action).await
    });
    match task.await {
        Ok(response) => response,
        Err(e) => super::middleware::panic_response(e.into_panic()),
    }
}

async fn record_change(state: AppState, request: Request, next: Next, action: String) -> Response {
    let (mut parts, body) = request.into_parts();
    let target = match RawPathParams::from_request_parts(&mut parts, &state).await {
        // `server/pid` for a backend action.
        Ok(params) => {
            let values: Vec<&str> = params.iter().map(|(_, v)| v).collect();
            (!values.is_empty()).then(|| values.join("/"))
        }
        Err(_) => None,
    }
    .or_else(|| {
        parts
            .uri
            .path()
            .ends_with("/servers/test")
            .then(|| "test".into())
    });
    let Ok(source) = Source::from_request_parts(&mut parts, &state).await;
    let source = source.label();
    let slot = AuditSlot::default();
    parts.extensions.insert(slot.clone());
    let mut response = next.run(Request::from_parts(parts, body)).await;
    let status = response.status().as_u16();
    if action == "login" && matches!(status, 429 | 503) {
        return response;
    }
    let mut target = target;
    if target.is_none() && response.status().is_success() && CREATES.contains(&action.as_str()) {
        let (named, answer) = created_name(response).await;
        (target, response) = (named, answer);
    }
    let noted = slot.noted().clone();
    let entry = AuditEntry {
        time: stamp(chrono::Utc::now()),
        actor: noted.actor.unwrap_or_else(|| "anonymous".into()),
        detail: noted.detail,
        source,
        action,
        target,
        outcome: outcome(status).into(),
        status,
    };
    let log = state.audit.clone();
    match tokio::task::spawn_blocking(move || log.append(&entry)).await {
        Ok(Ok(())) => {}
        Ok(Err(e)) => tracing::error!(error = %e, "could not write the audit log"),
        Err(e) => tracing::error!(error = %e, "could not write the audit log"),
    }
    response
}

fn instant(field: &str, value: Option<String>) -> Result<Option<String>, ApiError> {
    value
        .map(|v| ApiError::parse_time("query", field, &v).map(stamp))
        .transpose()
}

/// Read the audit trail.
///
/// Newest first, filtered by actor, action (or a family ending in a dot), target, outcome and time,
/// a page at a time.
#[utoipa::path(
    get, path = "/audit", tag = "audit", params(AuditQuery),
    responses((status = 200, body = AuditPage), Auth<Admin>)
)]
pub async fn list(
    State(state): State<AppState>,
    _: Auth<Admin>,
    QueryParams(q): QueryParams<AuditQuery>,
) -> Result<Json<AuditPage>, ApiError> {
    let limit = q.limit.unwrap_or(100);
    if !(1..=1000).contains(&limit) {
        return Err(ApiError::validation(
            vec!["query".into(), "limit".into()],
            "less_than_equal",
            "Input should be between 1 and 1000",
        ));
    }
    let filter = Filter {
        actor: q.actor,
        action: q.action,
        target: q.target,
        outcome: q.outcome.map(|o| o.as_str().to_owned()),
        since: instant("since", q.since)?,
        until: instant("until", q.until)?,
    };
    let (log, offset) = (state.audit.clone(), q.offset.unwrap_or(0));
    let page = tokio::task::spawn_blocking(move || log.read(&filter, offset, limit))
        .await?
        .map_err(|e| ApiError::AuditUnavailable(e.to_string()))?;
    Ok(Json(page))
}
