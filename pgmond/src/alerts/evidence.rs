//! What pgmon keeps with an alert when it fires, so that a DBA reading it hours later sees
//! what was so although it has long resolved: the failed sample's error (down, collection), the
//! replication view of the sample (lag, slots), or the sessions with the blocking tree (session,
//! lock and transaction rules: read from the server once, as the alert fires). Bounded: at most
//! [`MAX_SESSIONS`] sessions (those in the blocking tree first, then the oldest transactions),
//! queries cut to [`QUERY_CHARS`], and [`MAX_BYTES`] in all.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use pgmon_common::api::activity::{Backend, BlockingNode};
use serde_json::{Value, json};

use super::Alerts;
use super::rules::{Evidence, def};
use crate::collector::LatestSample;
use crate::history::alerts::{StoredAlert, time};

const MAX_SESSIONS: usize = 50;
const QUERY_CHARS: i32 = 2_000;
const MAX_BYTES: usize = 128 * 1024;
const READ_DEADLINE: Duration = Duration::from_secs(10);

/// Gathers and stores the evidence of `alert` in the background.
pub fn keep(alerts: &Alerts, alert: StoredAlert, sample: Arc<LatestSample>) {
    let Some(kind) = def(&alert.rule).map(|d| d.evidence) else {
        return;
    };
    if kind == Evidence::None {
        return;
    }
    let (store, fleet, monitor) = (
        alerts.store.clone(),
        Arc::clone(&alerts.fleet),
        Arc::clone(&alerts.monitor),
    );
    tokio::spawn(async move {
        let at = time(super::now_ms());
        let evidence = match kind {
            Evidence::LastError => json!({
                "kind": "last_error",
                "at": at,
                "error": sample.outcome.as_ref().err(),
                "failed_samples_in_row": sample.failures_in_row,
            }),
            Evidence::Replication => match &sample.outcome {
                Ok(live) => {
                    json!({"kind": "replication", "at": at, "replication": live.replication})
                }
                Err(_) => return,
            },
            Evidence::Activity => {
                let server = fleet
                    .get()
                    .servers
                    .iter()
                    .find(|s| s.name == alert.server())
                    .cloned();
                let Some(server) = server else { return };
                let read =
                    tokio::time::timeout(READ_DEADLINE, monitor.backends(&server, QUERY_CHARS))
                        .await;
                match read {
                    Ok(Ok(backends)) => activity(&at, backends),
                    Ok(Err(e)) => json!({"kind": "activity", "at": at, "error": e.reason()}),
                    Err(_) => json!({"kind": "activity", "at": at, "error": "operation timeout"}),
                }
            }
            Evidence::None => return,
        };
        let text = bounded(evidence);
        let id = alert.id;
        if let Err(e) = store.run(move |s| s.set_evidence(id, &text)).await {
            tracing::warn!(alert = id, error = %e, "keeping an alert's evidence failed");
        }
    });
}

fn pids(nodes: &[BlockingNode], into: &mut HashSet<i32>) {
    for n in nodes {
        into.insert(n.pid);
        pids(&n.blocks, into);
    }
}

/// The sessions and the blocking tree, those in the tree first.
fn activity(at: &str, mut backends: Vec<Backend>) -> Value {
    let tree = crate::monitor::backends::blocking_tree(&backends);
    let mut in_tree = HashSet::new();
    pids(&tree, &mut in_tree);
    backends.sort_by(|a, b| {
        let key = |s: &Backend| (!in_tree.contains(&s.pid), -s.xact_seconds.unwrap_or(0.0));
        key(a)
            .partial_cmp(&key(b))
            .unwrap_or(std::cmp::Ordering::Equal)
    });
    let total = backends.len();
    backends.truncate(MAX_SESSIONS);
    json!({
        "kind": "activity",
        "at": at,
        "sessions_total": total,
        "blocking": tree,
        "sessions": backends,
    })
}

/// The evidence as stored text, at most `MAX_BYTES`: sessions are dropped from the end until
/// it fits.
fn bounded(mut v: Value) -> String {
    loop {
        let text = v.to_string();
        if text.len() <= MAX_BYTES {
            return text;
        }
        let shrunk = v
            .get_mut("sessions")
            .and_then(Value::as_array_mut)
            .is_some_and(|s| s.pop().is_some());
        if !shrunk {
            return json!({"truncated": true, "kind": v.get("kind")}).to_string();
        }
        v["truncated"] = Value::Bool(true);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn evidence_is_bounded() {
        let sessions: Vec<Value> = (0..500)
            .map(|i| json!({"pid": i, "query": "x".repeat(2000)}))
            .collect();
        let text = bounded(json!({"kind": "activity", "sessions": sessions}));
        assert!(text.len() <= MAX_BYTES);
        let v: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(v["truncated"], true);
        assert!(!v["sessions"].as_array().unwrap().is_empty());
    }
}
