//! Findings: what in a server's live lists is past a threshold of `/settings`, said in one
//! line each, next to the lists they come from.

use pgmon_common::api::activity::{Backend, Finding};
use pgmon_common::api::replication::ServerReplication;
use pgmon_common::api::settings::Settings;

const MIB: f64 = 1024.0 * 1024.0;

fn finding(
    kind: &str,
    pid: Option<i32>,
    name: Option<&str>,
    value: f64,
    threshold: f64,
    unit: &str,
    message: String,
) -> Finding {
    Finding {
        kind: kind.into(),
        pid,
        name: name.map(str::to_owned),
        value,
        threshold,
        unit: unit.into(),
        message,
    }
}

/// Sessions idle in a transaction, in long transactions, running long queries or waiting long
/// on a lock. Only client backends: a walsender or autovacuum worker is long-running by trade.
pub fn sessions(backends: &[Backend], s: &Settings) -> Vec<Finding> {
    let mut out = Vec::new();
    for b in backends
        .iter()
        .filter(|b| b.backend_type.as_deref() == Some("client backend"))
    {
        let who = format!(
            "pid {} ({}@{})",
            b.pid,
            b.usename.as_deref().unwrap_or("?"),
            b.datname.as_deref().unwrap_or("?")
        );
        let mut over = |kind: &str, value: Option<f64>, limit: u64, what: &str| {
            if let Some(v) = value.filter(|v| *v > limit as f64) {
                out.push(finding(
                    kind,
                    Some(b.pid),
                    None,
                    v,
                    limit as f64,
                    "seconds",
                    format!("{who} {what} for {v:.0} s (threshold {limit} s)"),
                ));
            }
        };
        let state = b.state.as_deref().unwrap_or("");
        if state.starts_with("idle in transaction") {
            over(
                "idle_in_transaction",
                b.state_seconds,
                s.idle_in_transaction_seconds,
                "has been idle in a transaction",
            );
        }
        over(
            "long_transaction",
            b.xact_seconds,
            s.long_transaction_seconds,
            "has had a transaction open",
        );
        if state == "active" {
            over(
                "long_query",
                b.query_seconds,
                s.long_query_seconds,
                "has run its query",
            );
        }
        if let Some(wait) = &b.waiting_for {
            let on = wait
                .relation
                .as_deref()
                .unwrap_or(&wait.locktype)
                .to_owned();
            over(
                "lock_wait",
                wait.seconds,
                s.lock_wait_seconds,
                &format!("has waited for {} on {on}", wait.mode),
            );
        }
    }
    out
}

/// Standbys behind by more than the lag thresholds (as the primary sees each, and as a standby
/// sees itself), and inactive slots holding more WAL than allowed.
pub fn replication(r: &ServerReplication, s: &Settings) -> Vec<Finding> {
    let mut out = Vec::new();
    let lag_bytes = (s.replication_lag_mib as f64) * MIB;
    let mut lagging = |name: &str, seconds: Option<f64>, bytes: Option<i64>| {
        if let Some(v) = seconds.filter(|v| *v > s.replication_lag_seconds as f64) {
            out.push(finding(
                "replication_lag",
                None,
                Some(name),
                v,
                s.replication_lag_seconds as f64,
                "seconds",
                format!(
                    "{name} replays {v:.0} s behind (threshold {} s)",
                    s.replication_lag_seconds
                ),
            ));
        } else if let Some(v) = bytes.map(|b| b as f64).filter(|v| *v > lag_bytes) {
            out.push(finding(
                "replication_lag",
                None,
                Some(name),
                v,
                lag_bytes,
                "bytes",
                format!(
                    "{name} replays {:.0} MiB behind (threshold {} MiB)",
                    v / MIB,
                    s.replication_lag_mib
                ),
            ));
        }
    };
    for sender in &r.senders {
        let name = sender
            .application_name
            .clone()
            .unwrap_or_else(|| format!("pid {}", sender.pid));
        lagging(&name, sender.replay_lag_seconds, sender.replay_lag_bytes);
    }
    if let Some(standby) = &r.standby {
        // In bytes only: the time since the last replayed commit counts the primary's quiet
        // before the WAL waiting now was written (a primary idle for an hour, then one write,
        // reads as an hour behind), so it says nothing of lag; the primary's replay_lag does.
        lagging("this standby", None, standby.replay_lag_bytes);
    }
    let slot_bytes = (s.slot_retained_mib as f64) * MIB;
    for slot in r.slots.iter().filter(|slot| !slot.active) {
        if let Some(v) = slot
            .retained_bytes
            .map(|b| b as f64)
            .filter(|v| *v > slot_bytes)
        {
            out.push(finding(
                "inactive_slot",
                None,
                Some(&slot.slot_name),
                v,
                slot_bytes,
                "bytes",
                format!(
                    "inactive slot {} holds {:.0} MiB of WAL (threshold {} MiB)",
                    slot.slot_name,
                    v / MIB,
                    s.slot_retained_mib
                ),
            ));
        }
    }
    out
}
