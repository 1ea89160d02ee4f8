//! The fleet at a glance (`GET /fleet`) and a server's figures over time
//! (`GET /server/{name}/timeline`): what the web console's fleet and server pages show, for any
//! client. Both come from memory and the history store; neither asks a monitored server.

use axum::Json;
use axum::extract::{Path, State};
use pgmon_common::api::fleet::{
    FindingCounts, FleetOverview, FleetServer, ServerTimeline, SessionCounts,
};
use pgmon_common::api::{ErrorBody, ServerStatus};

use super::ApiError;
use super::extract::QueryParams;
use super::stats::{DateRange, server};
use crate::auth::{Auth, Viewer};
use crate::history::window::iso_micros;
use crate::state::AppState;

/// The fleet at a glance.
///
/// Every server with its status (and why when not ok), version, uptime, sessions by state
/// against `max_connections`, total size and disk space from the collector's newest sample,
/// and its open health-check findings by severity. From pgmond's memory: no query to a
/// monitored server per request.
#[utoipa::path(
    get, path = "/fleet", tag = "monitoring",
    responses((status = 200, body = FleetOverview), Auth<Viewer>)
)]
pub async fn overview(
    _: Auth<Viewer>,
    State(state): State<AppState>,
) -> Result<Json<FleetOverview>, ApiError> {
    let snapshot = state.fleet.get();
    let list = state
        .monitor
        .statuses_json(&snapshot.servers, &snapshot.keys)
        .await;
    let statuses: Vec<ServerStatus> = serde_json::from_slice(&list.json)
        .map_err(|e| ApiError::Internal(format!("the status list did not read back: {e}")))?;
    let samples = state.collector.latest();
    let checks = state.collector.check_briefs();
    let servers = statuses
        .into_iter()
        .map(|s| {
            let mut out = FleetServer {
                ok: s.status.starts_with("ok"),
                name: s.name,
                host: s.host,
                port: s.port,
                status: s.status,
                down_since: s.down_since,
                version: s.version,
                uptime_hours: s.uptime_hours,
                sessions: None,
                max_connections: None,
                total_bytes: None,
                disk_free: s.free_space.and_then(|b| i64::try_from(b).ok()),
                disk_total: s.total_space.and_then(|b| i64::try_from(b).ok()),
                findings: FindingCounts::default(),
                last_sample: None,
                sample_error: None,
            };
            if let Some(latest) = samples.get(&out.name) {
                out.last_sample = Some(iso_micros(latest.at * 1_000_000));
                match &latest.outcome {
                    Ok(live) => {
                        let o = &live.observed;
                        let c = o.connections;
                        out.sessions = Some(SessionCounts {
                            active: c.active,
                            idle: c.idle,
                            idle_in_transaction: c.idle_in_transaction,
                            other: c.other,
                        });
                        out.max_connections = Some(o.max_connections);
                        out.total_bytes = o
                            .databases
                            .iter()
                            .filter_map(|d| d.figures.size_max)
                            .reduce(i64::saturating_add);
                        if let Some((free, total)) = o.disk {
                            (out.disk_free, out.disk_total) = (Some(free), Some(total));
                        }
                    }
                    Err(e) => out.sample_error = Some(e.clone()),
                }
            }
            if let Some(brief) = checks.get(&out.name) {
                out.findings = brief.counts;
            }
            out
        })
        .collect();
    Ok(Json(FleetOverview { servers }))
}

/// A server's figures over time.
///
/// From pgmon's history store between `start_date` and `end_date` (default the last 7 days),
/// in the buckets the A5 answers use for the window: sessions (and by state), total size,
/// commits and rollbacks per second, cache hit ratio, `max_connections` and disk space. By
/// state and disk come from the collector's own samples, kept for the raw retention.
#[utoipa::path(
    get, path = "/server/{name}/timeline", tag = "monitoring",
    params(("name" = String, Path), DateRange),
    responses((status = 200, body = ServerTimeline), (status = 400, body = ErrorBody), Auth<Viewer>)
)]
pub async fn timeline(
    _: Auth<Viewer>,
    State(state): State<AppState>,
    Path(name): Path<String>,
    QueryParams(range): QueryParams<DateRange>,
) -> Result<Json<ServerTimeline>, ApiError> {
    let server = server(&state, &name)?;
    let window = range.window()?;
    let store = state.collector.store();
    Ok(Json(store.server_timeline(&server.name, &window).await?))
}
