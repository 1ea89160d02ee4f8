//! `pgmonctl stats`: live status, activity and history, as tables a DBA reads at a glance
//! (sizes in KiB/MiB/GiB, uptime in days and hours, a status column), or the API's JSON.

use pgmon_common::api::activity::{Backend as Session, BlockingNode, ServerActivity};
use pgmon_common::api::analysis::{DatabaseAnalysis, ServerAnalysis};
use pgmon_common::api::history::{DbHistory, DbInfo, DbPoint, ServerHistory};
use pgmon_common::client::segment;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

use crate::backend::Backend;
use crate::chart::sparkline;
use crate::cli::{BackendCommand, StatsCommand, TimeRange};
use crate::error::CliError;
use crate::output::{Column, Printer, col, human_bytes, uptime};

const STATUS_COLUMNS: &[Column] = &[
    col("NAME", "name"),
    col("ENDPOINT", "endpoint"),
    col("STATUS", "status"),
    col("VERSION", "version"),
    col("SESSIONS", "sessions"),
    col("ACTIVE", "active"),
    col("UPTIME", "uptime"),
    col("DISK FREE", "disk_free"),
];

const ACTIVITY_COLUMNS: &[Column] = &[
    col("PID", "pid"),
    col("USER", "usename"),
    col("DATABASE", "datname"),
    col("APPLICATION", "application_name"),
    col("CLIENT", "client_addr"),
    col("STATE", "state"),
    col("WAIT", "wait"),
    col("FOR", "for"),
    col("XACT", "xact"),
    col("BLOCKED BY", "blocked_by"),
    col("QUERY", "query"),
];

/// How long a session has been at what it is doing now.
pub fn duration(s: &Session) -> Option<f64> {
    match s.state.as_deref() {
        Some("active") => s.query_seconds,
        Some(st) if st.starts_with("idle in transaction") => s.xact_seconds,
        _ => s.state_seconds,
    }
}

/// A session as a row of `stats activity`: what `/server/{name}/activity` says of it, with
/// durations as people read them (`FOR`: in its state, or its query while active, or its
/// transaction while idle in one).
fn activity_row(s: &Session) -> Value {
    let seconds = |v: Option<f64>| v.map(|v| format!("{v:.1}s"));
    let wait = match (&s.wait_event_type, &s.wait_event, &s.waiting_for) {
        (_, _, Some(lock)) => Some(format!("{} {}", lock.locktype, lock.mode)),
        (Some(t), Some(e), None) => Some(format!("{t}:{e}")),
        _ => None,
    };
    json!({
        "pid": s.pid,
        "usename": s.usename,
        "datname": s.datname,
        "application_name": s.application_name.as_deref().filter(|a| !a.is_empty()),
        "client_addr": s.client_addr,
        "state": s.state.clone().or_else(|| s.backend_type.clone()),
        "wait": wait,
        "for": seconds(duration(s)),
        "xact": seconds(s.xact_seconds),
        "blocked_by": s.blocked_by,
        "query": shorten(s.query.as_deref().unwrap_or(""), QUERY_WIDTH),
    })
}

const DATABASE_COLUMNS: &[Column] = &[
    col("DATABASE", "name"),
    col("EXISTS", "exists"),
    col("CREATED", "creation_time"),
    col("SESSIONS", "sessions"),
    col("SIZE", "size"),
    col("LAST SIZE", "last_size"),
];

const ANALYSIS_COLUMNS: &[Column] = &[
    col("DATABASE", "name"),
    col("SIZE", "size"),
    col("SESSIONS", "sessions"),
    col("LAST SESSION", "last_session"),
    col("GROWTH", "growth"),
    col("FROZEN AGE", "frozen_age"),
    col("FLAGS", "flags"),
];

const FINDING_COLUMNS: &[Column] = &[
    col("DATABASE", "name"),
    col("FINDING", "kind"),
    col("DETAIL", "detail"),
];

/// Longest query text shown in a table cell; `--output json` has it whole.
const QUERY_WIDTH: usize = 80;

pub async fn run(b: &impl Backend, cmd: StatsCommand, out: &Printer) -> Result<(), CliError> {
    match cmd {
        StatsCommand::Status { fail_on_down } => {
            let servers = b.monitoring("/servers").await?;
            let mut listed: Vec<Value> = servers.as_array().cloned().unwrap_or_default();
            if fail_on_down {
                listed.retain(|s| !is_up(s));
            }
            if out.is_json() {
                out.record(&listed)?;
            } else {
                let rows: Vec<Value> = listed.iter().map(status_row).collect();
                out.list(&rows, STATUS_COLUMNS)?;
            }
            if fail_on_down && !listed.is_empty() {
                return Err(CliError::Failed(format!(
                    "{} of {} servers not ok",
                    listed.len(),
                    servers.as_array().map_or(0, Vec::len)
                )));
            }
        }
        StatsCommand::Activity { name, tree: true } => {
            let activity = b.activity(&name).await?;
            if out.is_json() {
                out.record(&activity.blocking)?;
            } else {
                print_tree(&activity);
            }
            if let Some(error) = activity.error {
                return Err(CliError::Failed(error));
            }
        }
        StatsCommand::Activity { name, tree: false } => {
            let activity = b.activity(&name).await?;
            if out.is_json() {
                out.record(&activity)?;
            } else {
                let rows: Vec<Value> = activity.sessions.iter().map(activity_row).collect();
                out.list(&rows, ACTIVITY_COLUMNS)?;
            }
            // The server could not be asked: what was printed is not its activity.
            if let Some(error) = activity.error {
                return Err(CliError::Failed(error));
            }
        }
        StatsCommand::Server { name, range } => {
            let path = format!("/server/{}/stats{}", segment(&name), query(&range));
            let h: ServerHistory = typed(b.monitoring(&path).await?)?;
            if out.is_json() {
                return Ok(out.record(&h)?);
            }
            // Per moment, over every database: what the charts draw.
            let mut moments: std::collections::BTreeMap<i64, (f64, f64)> = Default::default();
            for p in &h.connection_timeline {
                if let Some(t) = epoch(&p.ts) {
                    let m = moments.entry(t).or_default();
                    m.0 += p.connections.unwrap_or(0) as f64;
                    m.1 += p.size_gb.unwrap_or(0.0);
                }
            }
            let size_now: f64 = h
                .databases
                .iter()
                .filter_map(|d| {
                    let last = h
                        .connection_timeline
                        .iter()
                        .rev()
                        .find(|p| p.datname == d.name);
                    last.and_then(|p| p.size_gb)
                })
                .sum();
            out.record(&json!({
                "server": name,
                "aggregation": h.aggregation,
                "last update": h.last_stat_update,
                "timeline points": h.connection_timeline.len(),
                "size now (all databases)": human_bytes(size_now * GIB),
                "sessions, summed over every point (the API's total_connections)": h.total_connections,
                "size, summed over every point (the API's total_size_gb)": gib(&h.total_size_gb),
                "history error": h.history_error,
            }))?;
            let series = |f: &dyn Fn(&(f64, f64)) -> f64| -> Vec<(f64, f64)> {
                moments.iter().map(|(t, m)| (*t as f64, f(m))).collect()
            };
            print_chart(
                "sessions, all databases",
                &series(&|m| m.0),
                "sessions",
                &|v| format!("{v:.0}"),
            );
            print_chart(
                "size, all databases",
                &series(&|m| m.1 * GIB),
                "size",
                &|v| human_bytes(v),
            );
            let rows: Vec<Value> = h
                .databases
                .iter()
                .map(|d| {
                    let points: Vec<_> = h
                        .connection_timeline
                        .iter()
                        .filter(|p| p.datname == d.name)
                        .collect();
                    let sessions: Vec<Option<f64>> =
                        points.iter().map(|p| p.connections.map(|c| c as f64)).collect();
                    let sizes: Vec<Option<f64>> = points.iter().map(|p| p.size_gb).collect();
                    json!({
                        "name": d.name,
                        "exists": d.exists,
                        "creation_time": d.creation_time,
                        "sessions": sparkline(&sessions, CHART_WIDTH),
                        "size": sparkline(&sizes, CHART_WIDTH),
                        "last_size": sizes.iter().rev().flatten().next().map(|g| human_bytes(g * GIB)),
                    })
                })
                .collect();
            out.list(&rows, DATABASE_COLUMNS)?;
        }
        StatsCommand::Db { name, db, range } => {
            let base = format!("/server/{}/db/{}", segment(&name), segment(&db));
            let info: DbInfo = typed(b.monitoring(&base).await?)?;
            let history: DbHistory = typed(
                b.monitoring(&format!("{base}/stats{}", query(&range)))
                    .await?,
            )?;
            if out.is_json() {
                return Ok(out.record(&json!({"info": info, "history": history}))?);
            }
            let t = &history.timeline;
            let series = |f: &dyn Fn(&DbPoint) -> Option<f64>| -> String {
                sparkline(&t.iter().map(f).collect::<Vec<_>>(), CHART_WIDTH)
            };
            let points = |f: &dyn Fn(&DbPoint) -> Option<f64>| -> Vec<(f64, f64)> {
                t.iter()
                    .filter_map(|p| Some((epoch(&p.ts)? as f64, f(p)?)))
                    .collect()
            };
            print_chart(
                &format!("sessions of {db}"),
                &points(&|p| p.connections.map(|c| c as f64)),
                "sessions",
                &|v| format!("{v:.0}"),
            );
            print_chart(
                &format!("size of {db}"),
                &points(&|p| p.size_mb.map(|m| m * MIB)),
                "size",
                &|v| human_bytes(v),
            );
            out.record(&json!({
                "database": db,
                "size": info.size_mb.map(|m| human_bytes(m * MIB)),
                "sessions": info.connections,
                "commits": info.commits,
                "last update": info.last_update,
                "created": history.creation_time,
                "aggregation": history.aggregation,
                "sessions min/max": format!("{}/{}", history.min_connections, history.max_connections),
                "commits (sum over window)": history.total_commits,
                "sessions over the window": series(&|p| p.connections.map(|c| c as f64)),
                "size over the window": series(&|p| p.size_mb),
                "rollbacks over the window": series(&|p| p.increases.rollbacks.map(|r| r as f64)),
                "history error": history.history_error.or(info.history_error),
            }))?;
        }
        StatsCommand::Databases { name } => crate::live::databases(b, &name, out).await?,
        StatsCommand::Replication {
            name,
            fail_on_findings,
        } => crate::live::replication(b, &name, fail_on_findings, out).await?,
        StatsCommand::Statements { name, order, limit } => {
            crate::live::statements(b, &name, &order, limit, out).await?
        }
        StatsCommand::Analysis {
            name,
            fail_on_findings,
        } => {
            let path = format!("/server/{}/analysis", segment(&name));
            let a: ServerAnalysis = typed(b.monitoring(&path).await?)?;
            if out.is_json() {
                out.record(&a)?;
            } else {
                let rows: Vec<Value> = a.databases.iter().map(analysis_row).collect();
                out.list(&rows, ANALYSIS_COLUMNS)?;
                let found: Vec<Value> = a
                    .findings
                    .iter()
                    .map(|f| json!({"name": f.datname, "kind": f.kind.label(), "detail": f.detail}))
                    .collect();
                if !found.is_empty() {
                    out.list(&found, FINDING_COLUMNS)?;
                }
            }
            if fail_on_findings && !a.findings.is_empty() {
                return Err(CliError::Failed(format!(
                    "{} finding(s) on {} database(s) of {name}",
                    a.findings.len(),
                    a.databases.iter().filter(|d| !d.flags.is_empty()).count()
                )));
            }
        }
    }
    Ok(())
}

fn analysis_row(d: &DatabaseAnalysis) -> Value {
    let flags: Vec<&str> = d.flags.iter().map(|k| k.label()).collect();
    json!({
        "name": d.datname,
        "size": d.size_mb.map(|m| human_bytes(m * MIB)),
        "sessions": d.connections,
        "last_session": d.last_connection.as_deref().unwrap_or("never"),
        "growth": d.growth_mb_per_day.map(|g| {
            let sign = if g < 0.0 { "-" } else { "" };
            format!("{sign}{}/day", human_bytes(g.abs() * MIB))
        }),
        "frozen_age": d.frozen_age,
        "flags": flags.join(", "),
    })
}

/// The daemon's JSON as the shared type; a mismatch means client and daemon disagree.
pub fn typed<T: DeserializeOwned>(body: Value) -> Result<T, CliError> {
    serde_json::from_value(body)
        .map_err(|e| CliError::Failed(format!("unexpected answer from the daemon: {e}")))
}

/// The history window's query: the flags' times, the last 24 hours by default (a week, the
/// API's default, shows a new server as two hourly points; a day is drawn from every sample).
fn query(range: &TimeRange) -> String {
    let mut parts = Vec::new();
    let from = match (&range.from, &range.to) {
        (Some(f), _) => Some(f.clone()),
        (None, None) => crate::when::parse("24h").ok(),
        (None, Some(_)) => None,
    };
    if let Some(f) = &from {
        parts.push(format!("start_date={}", segment(f)));
    }
    if let Some(t) = &range.to {
        parts.push(format!("end_date={}", segment(t)));
    }
    if parts.is_empty() {
        String::new()
    } else {
        format!("?{}", parts.join("&"))
    }
}

/// PostgreSQL answered (an SSH problem beside it, `ok (SSH: ...)`, still counts as up).
fn is_up(server: &Value) -> bool {
    server["status"]
        .as_str()
        .is_some_and(|s| s.starts_with("ok"))
}

fn status_row(s: &Value) -> Value {
    let sessions: Option<i64> = s["connections"]
        .as_object()
        .map(|c| c.values().filter_map(Value::as_i64).sum());
    json!({
        "name": s["name"],
        "endpoint": format!("{}:{}", s["host"].as_str().unwrap_or(""), s["port"]),
        "status": s["status"],
        "version": s["version"].as_str().map(|v| v.split_whitespace().next().unwrap_or(v).to_owned()),
        "sessions": sessions,
        "active": s["connections"]["active"],
        "uptime": s["uptime_hours"].as_f64().map(uptime),
        "disk_free": s["free_space"].as_u64().map(|f| human_bytes(f as f64)),
    })
}

const MIB: f64 = 1024.0 * 1024.0;
const GIB: f64 = 1024.0 * MIB;
/// Cells of a chart in a table.
const CHART_WIDTH: usize = 40;
/// The history charts' size in cells.
const HISTORY_CHART: (u16, u16) = (76, 12);

/// Seconds since the epoch of an answer's time (RFC 3339, or UTC without an offset).
fn epoch(ts: &str) -> Option<i64> {
    crate::when::instant_at(ts, chrono::Utc::now())
        .ok()
        .map(|t| t.timestamp())
}

/// A history chart under its title, or a line saying why there is none.
fn print_chart(title: &str, points: &[(f64, f64)], unit: &str, show: &dyn Fn(f64) -> String) {
    let chart = crate::chart::line_chart(points, unit, show, HISTORY_CHART);
    if chart.is_empty() {
        println!(
            "{}: fewer than two points in the window yet (the collector samples each server every \
             collect_interval; see `pgmonctl settings show`)",
            crate::output::safe(title)
        );
    } else {
        println!("{}\n{chart}", crate::output::safe(title));
    }
}

fn gib(v: &Value) -> Option<String> {
    v.as_f64().map(|g| human_bytes(g * GIB))
}

pub fn shorten(text: &str, width: usize) -> String {
    let one_line: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if one_line.chars().count() <= width {
        one_line
    } else {
        format!("{}…", one_line.chars().take(width - 1).collect::<String>())
    }
}

fn print_tree(activity: &ServerActivity) {
    if activity.blocking.is_empty() {
        println!("No backend blocks another.");
    }
    for line in tree_lines(activity, QUERY_WIDTH) {
        println!("{}", crate::output::safe(&line));
    }
}

/// The blocking tree, a backend a line: pid, user@database, state and for how long, the lock
/// it waits for, and the start of its query (`query_width` characters at most).
pub fn tree_lines(activity: &ServerActivity, query_width: usize) -> Vec<String> {
    let line = |n: &BlockingNode| {
        let s: Option<&Session> = activity.sessions.iter().find(|s| s.pid == n.pid);
        let who = s.map_or_else(String::new, |s| {
            format!(
                "{}@{}",
                s.usename.as_deref().unwrap_or("-"),
                s.datname.as_deref().unwrap_or("-")
            )
        });
        let state = s.and_then(|s| s.state.clone()).unwrap_or_default();
        let secs = s
            .and_then(|s| s.xact_seconds.or(s.query_seconds))
            .map_or(String::new(), |t| format!(" for {t:.0} s"));
        let waits = n.waiting_for.as_ref().map_or(String::new(), |w| {
            format!(
                ", waits for {} {}{}",
                w.locktype,
                w.mode,
                w.relation
                    .as_deref()
                    .map_or(String::new(), |r| format!(" on {r}"))
            )
        });
        let query = s
            .and_then(|s| s.query.as_deref())
            .map_or(String::new(), |q| format!(": {}", shorten(q, query_width)));
        format!("{} {who} {state}{secs}{waits}{query}", n.pid)
    };
    fn walk(
        n: &BlockingNode,
        prefix: &str,
        last: bool,
        root: bool,
        line: &dyn Fn(&BlockingNode) -> String,
        out: &mut Vec<String>,
    ) {
        let (branch, more) = match (root, last) {
            (true, _) => ("", ""),
            (false, true) => ("└─ ", "   "),
            (false, false) => ("├─ ", "│  "),
        };
        out.push(format!("{prefix}{branch}{}", line(n)));
        let prefix = format!("{prefix}{more}");
        for (i, child) in n.blocks.iter().enumerate() {
            walk(child, &prefix, i + 1 == n.blocks.len(), false, line, out);
        }
    }
    let mut out = Vec::new();
    for root in &activity.blocking {
        walk(root, "", true, true, &line, &mut out);
    }
    out
}

/// `pgmonctl backend cancel|terminate NAME PID [--force]`.
pub async fn signal(b: &impl Backend, cmd: BackendCommand, out: &Printer) -> Result<(), CliError> {
    let (target, terminate) = match cmd {
        BackendCommand::Cancel(t) => (t, false),
        BackendCommand::Terminate(t) => (t, true),
    };
    let done = b
        .signal_backend(&target.name, target.pid, terminate, target.force)
        .await
        .map_err(|e| match e {
            // The API's word for the override is its query parameter; here it is the flag.
            CliError::Failed(why) => CliError::Failed(why.replace("force=true", "--force")),
            other => other,
        })?;
    if out.is_json() {
        out.record(&done)?;
    } else {
        let line = format!(
            "{} ({}@{})",
            done.message,
            done.usename.as_deref().unwrap_or("-"),
            done.datname.as_deref().unwrap_or("-")
        );
        println!("{}", crate::output::safe(&line));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    /// Queries read at a glance.
    fn formatting() {
        assert_eq!(shorten("SELECT  1\n FROM x", 80), "SELECT 1 FROM x");
        assert_eq!(shorten("abcdef", 4), "abc…");
    }
}
