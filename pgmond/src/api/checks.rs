//! Health checks (SPEC B10): a server's findings, a run now, and the fleet's. Readers answer
//! from the collector's memory (the store for resolved findings); only `POST` queries the
//! monitored server.

use axum::Json;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use pgmon_common::api::checks::{CheckRun, ChecksQuery, FleetChecks, ServerChecks};

use super::ApiError;
use super::extract::QueryParams;
use super::stats::server;
use crate::auth::{Auth, Operator, Viewer};
use crate::collector::FleetFindings;
use crate::state::AppState;

/// A server's health-check findings.
///
/// The open findings of its checks (run every `checks_interval`, and by `POST`), with when each
/// was first and last found, the last run's time and what could not be checked. `resolved=true`
/// adds the findings later runs no longer found (their history), with `resolved_at`. Filters
/// `severity` (at least), `kind`, `database`.
#[utoipa::path(
    get, path = "/server/{name}/checks", tag = "checks",
    params(("name" = String, Path), ChecksQuery),
    responses((status = 200, body = ServerChecks), Auth<Viewer>)
)]
pub async fn server_checks(
    _: Auth<Viewer>,
    State(state): State<AppState>,
    Path(name): Path<String>,
    QueryParams(q): QueryParams<ChecksQuery>,
) -> Result<Json<ServerChecks>, ApiError> {
    let server = server(&state, &name)?;
    let mut checks = if q.resolved == Some(true) {
        state
            .collector
            .store()
            .server_checks(&server.name, true)
            .await?
    } else {
        (*state.collector.server_checks(&server.name).await?).clone()
    };
    checks.checks.retain(|f| q.admits(f));
    Ok(Json(checks))
}

/// Run the health checks on a server now.
///
/// Every check on every database the role may connect to, one database at a time, each
/// statement under `checks_statement_timeout`; answers when done, as `GET` would then.
/// Recorded in the audit trail.
#[utoipa::path(
    post, path = "/server/{name}/checks", tag = "checks",
    params(("name" = String, Path)),
    responses((status = 200, body = ServerChecks), Auth<Operator>)
)]
pub async fn run_checks(
    _: Auth<Operator>,
    State(state): State<AppState>,
    Path(name): Path<String>,
) -> Result<Response, ApiError> {
    let server = server(&state, &name)?;
    let checks = state.collector.run_checks(&server).await?;
    // Written from the shared copy: a run's findings are not cloned to be sent.
    Ok(Json(&*checks).into_response())
}

/// The fleet's health-check findings.
///
/// Every server's open findings, most severe first, and each server's last run, from pgmond's
/// memory (with replicas, those of the servers others check from the shared store; while it
/// is away, their last run only). Filters `severity` (at least), `kind`, `server`,
/// `database`; `resolved=true` reads the findings' history from the store.
#[utoipa::path(
    get, path = "/checks", tag = "checks", params(ChecksQuery),
    responses((status = 200, body = FleetChecks), Auth<Viewer>)
)]
pub async fn fleet_checks(
    _: Auth<Viewer>,
    State(state): State<AppState>,
    QueryParams(q): QueryParams<ChecksQuery>,
) -> Result<Json<FleetChecks>, ApiError> {
    let snapshot = state.fleet.get();
    let known = if q.resolved == Some(true) {
        FleetFindings {
            full: state
                .collector
                .store()
                .all_checks(true)
                .await?
                .into_iter()
                .map(|(k, v)| (k, std::sync::Arc::new(v)))
                .collect(),
            brief: Default::default(),
        }
    } else {
        state.collector.fleet_findings().await
    };
    let mut out = FleetChecks::default();
    let mut names: Vec<&str> = snapshot.servers.iter().map(|s| s.name.as_str()).collect();
    names.sort_unstable();
    for name in names {
        if q.server.as_deref().is_some_and(|s| s != name) {
            continue;
        }
        // A server known only in brief (the shared store away): its run, no findings.
        if let Some(brief) = known.brief.get(name) {
            let c = brief.counts;
            out.runs.push(CheckRun {
                server: name.to_owned(),
                ran_at: brief.ran_at.clone(),
                findings: usize::try_from(c.critical + c.warning + c.info).unwrap_or(usize::MAX),
                errors: Vec::new(),
            });
            continue;
        }
        let checks = known.full.get(name);
        let mine = checks.map(|c| c.checks.as_slice()).unwrap_or_default();
        let admitted = mine.iter().filter(|f| q.admits(f)).map(|f| {
            let mut f = f.clone();
            f.server = Some(name.to_owned());
            f
        });
        out.checks.extend(admitted);
        out.runs.push(CheckRun {
            server: name.to_owned(),
            ran_at: checks.and_then(|c| c.ran_at.clone()),
            findings: mine.len(),
            errors: checks.map(|c| c.errors.clone()).unwrap_or_default(),
        });
    }
    out.checks.sort_by(|a, b| {
        (
            std::cmp::Reverse(a.severity),
            &a.server,
            &a.database,
            a.kind,
            &a.object,
        )
            .cmp(&(
                std::cmp::Reverse(b.severity),
                &b.server,
                &b.database,
                b.kind,
                &b.object,
            ))
    });
    Ok(Json(out))
}
