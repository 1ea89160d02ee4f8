//! `pgmonctl stats databases|replication|statements`: a server's live figures as tables (sizes
//! and lags in units, ratios in percent), or the API's JSON.

use pgmon_common::api::activity::Finding;
use pgmon_common::api::databases::ServerDatabases;
use pgmon_common::api::replication::ServerReplication;
use pgmon_common::api::statements::ServerStatements;
use pgmon_common::client::segment;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

use crate::backend::Backend;
use crate::error::CliError;
use crate::output::{Column, Printer, col, human_bytes};
use crate::stats::typed;

const DATABASE_COLUMNS: &[Column] = &[
    col("DATABASE", "datname"),
    col("SIZE", "size"),
    col("SESSIONS", "numbackends"),
    col("COMMITS", "xact_commit"),
    col("ROLLBACKS", "xact_rollback"),
    col("CACHE HIT", "cache_hit"),
    col("DEADLOCKS", "deadlocks"),
    col("TEMP", "temp"),
    col("FROZEN AGE", "frozen_xid_age"),
];

const SENDER_COLUMNS: &[Column] = &[
    col("STANDBY", "application_name"),
    col("CLIENT", "client_addr"),
    col("STATE", "state"),
    col("SYNC", "sync_state"),
    col("WRITE LAG", "write"),
    col("FLUSH LAG", "flush"),
    col("REPLAY LAG", "replay"),
];

const SLOT_COLUMNS: &[Column] = &[
    col("SLOT", "slot_name"),
    col("TYPE", "slot_type"),
    col("ACTIVE", "active"),
    col("RETAINED", "retained"),
    col("WAL STATUS", "wal_status"),
];

const FINDING_COLUMNS: &[Column] = &[col("FINDING", "kind"), col("DETAIL", "message")];

const STATEMENT_COLUMNS: &[Column] = &[
    col("CALLS/S", "calls_per_second"),
    col("MS/S", "time_ms_per_second"),
    col("MEAN MS", "mean_time_ms"),
    col("ROWS/S", "rows_per_second"),
    col("READ/S", "shared_blks_read_per_second"),
    col("USER@DB", "who"),
    col("QUERY", "query"),
];

/// Longest query text shown in a table cell; `--output json` has it whole.
const QUERY_WIDTH: usize = 70;

async fn get<T: DeserializeOwned>(b: &impl Backend, name: &str, what: &str) -> Result<T, CliError> {
    typed(
        b.monitoring(&format!("/server/{}/{what}", segment(name)))
            .await?,
    )
}

/// A status in `error`: what was printed is not the server's.
fn failed(error: Option<String>) -> Result<(), CliError> {
    error.map_or(Ok(()), |e| Err(CliError::Failed(e)))
}

pub async fn databases(b: &impl Backend, name: &str, out: &Printer) -> Result<(), CliError> {
    let d: ServerDatabases = get(b, name, "databases").await?;
    if out.is_json() {
        out.record(&d)?;
    } else {
        let rows: Vec<Value> = d
            .databases
            .iter()
            .map(|db| {
                json!({
                    "datname": db.datname,
                    "size": db.size_bytes.map(|s| human_bytes(s as f64)),
                    "numbackends": db.numbackends,
                    "xact_commit": db.xact_commit,
                    "xact_rollback": db.xact_rollback,
                    "cache_hit": db.cache_hit_ratio.map(|r| format!("{:.2}%", r * 100.0)),
                    "deadlocks": db.deadlocks,
                    "temp": db.temp_bytes.map(|t| human_bytes(t as f64)),
                    "frozen_xid_age": db.frozen_xid_age,
                })
            })
            .collect();
        out.list(&rows, DATABASE_COLUMNS)?;
    }
    failed(d.error)
}

fn lag(bytes: Option<i64>, seconds: Option<f64>) -> String {
    let bytes = bytes.map_or("-".to_owned(), |b| human_bytes(b as f64));
    match seconds {
        Some(s) => format!("{bytes} ({s:.1} s)"),
        None => bytes,
    }
}

fn print_findings(findings: &[Finding], out: &Printer) -> Result<(), CliError> {
    if !findings.is_empty() {
        out.list(findings, FINDING_COLUMNS)?;
    }
    Ok(())
}

pub async fn replication(
    b: &impl Backend,
    name: &str,
    fail_on_findings: bool,
    out: &Printer,
) -> Result<(), CliError> {
    let r: ServerReplication = get(b, name, "replication").await?;
    if out.is_json() {
        out.record(&r)?;
    } else {
        if let Some(s) = &r.standby {
            out.record(&json!({
                "role": "standby",
                "receiver": s.receiver_status.as_deref().unwrap_or("not running"),
                "primary": s.sender_host.as_ref().map(|h| format!("{h}:{}", s.sender_port.unwrap_or(0))),
                "slot": s.slot_name,
                "received": s.receive_lsn,
                "replayed": s.replay_lsn,
                "replay lag": lag(s.replay_lag_bytes, s.replay_delay_seconds),
                "replay paused": s.replay_paused,
                "last replay": s.last_replay_at,
            }))?;
        }
        let senders: Vec<Value> = r
            .senders
            .iter()
            .map(|s| {
                json!({
                    "application_name": s.application_name,
                    "client_addr": s.client_addr,
                    "state": s.state,
                    "sync_state": s.sync_state,
                    "write": lag(s.write_lag_bytes, s.write_lag_seconds),
                    "flush": lag(s.flush_lag_bytes, s.flush_lag_seconds),
                    "replay": lag(s.replay_lag_bytes, s.replay_lag_seconds),
                })
            })
            .collect();
        if senders.is_empty() && r.error.is_none() {
            println!("No standby streams from {}.", crate::output::safe(name));
        } else {
            out.list(&senders, SENDER_COLUMNS)?;
        }
        let slots: Vec<Value> = r
            .slots
            .iter()
            .map(|s| {
                json!({
                    "slot_name": s.slot_name,
                    "slot_type": s.slot_type,
                    "active": s.active,
                    "retained": s.retained_bytes.map(|b| human_bytes(b as f64)),
                    "wal_status": s.wal_status,
                })
            })
            .collect();
        if !slots.is_empty() {
            out.list(&slots, SLOT_COLUMNS)?;
        }
        print_findings(&r.findings, out)?;
    }
    failed(r.error)?;
    if fail_on_findings && !r.findings.is_empty() {
        return Err(CliError::Failed(format!(
            "{} replication finding(s) on {name}",
            r.findings.len()
        )));
    }
    Ok(())
}

pub async fn statements(
    b: &impl Backend,
    name: &str,
    order: &str,
    limit: u16,
    out: &Printer,
) -> Result<(), CliError> {
    let what = format!("statements?order={order}&limit={limit}");
    let s: ServerStatements = get(b, name, &what).await?;
    if out.is_json() {
        out.record(&s)?;
    } else {
        let rows: Vec<Value> = s
            .statements
            .iter()
            .map(|st| {
                json!({
                    "calls_per_second": format!("{:.2}", st.calls_per_second),
                    "time_ms_per_second": format!("{:.2}", st.time_ms_per_second),
                    "mean_time_ms": st.mean_time_ms.map(|m| format!("{m:.3}")),
                    "rows_per_second": format!("{:.1}", st.rows_per_second),
                    "shared_blks_read_per_second": format!("{:.1}", st.shared_blks_read_per_second),
                    "who": format!("{}@{}", st.usename.as_deref().unwrap_or("-"), st.datname.as_deref().unwrap_or("-")),
                    "query": crate::stats::shorten(st.query.as_deref().unwrap_or(""), QUERY_WIDTH),
                })
            })
            .collect();
        if let Some(seconds) = s.interval_seconds {
            println!(
                "Over {seconds:.1} s to {}:",
                s.taken_at.as_deref().unwrap_or("now")
            );
        }
        out.list(&rows, STATEMENT_COLUMNS)?;
    }
    match (s.error, s.hint) {
        (Some(e), Some(hint)) => Err(CliError::Failed(format!("{e}: {hint}"))),
        (e, _) => failed(e),
    }
}
