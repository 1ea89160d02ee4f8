//! Alertmanager's v2 API: `POST /api/v2/alerts` with each alert's labels (`alertname`,
//! `severity`, `server` and the rule's own), `startsAt`, and `endsAt`: the time it resolved, or,
//! while it fires, three repeat intervals ahead, so Alertmanager ends an alert pgmon stopped
//! telling of (pgmond gone) on its own (a test notification, after five minutes). Its routing,
//! grouping, inhibition and silences apply.

use std::collections::BTreeMap;

use pgmon_common::api::alerts::{AlertState, NotificationKind};
use serde_json::json;

use super::StoredChannel;
use crate::alerts::payload::Payload;

pub async fn send(c: &StoredChannel, p: &Payload, repeat_seconds: u64) -> Result<(), String> {
    let url = c.url.as_deref().ok_or("no url")?;
    let endpoint = format!("{}/api/v2/alerts", url.trim_end_matches('/'));
    // A test is shown for five minutes, then ends by itself.
    let ahead = match p.kind {
        NotificationKind::Test => 300,
        _ => 3 * repeat_seconds,
    };
    let until = chrono::Utc::now() + chrono::Duration::seconds(ahead as i64);
    let alerts: Vec<_> = p
        .alerts
        .iter()
        .map(|a| {
            let mut labels: BTreeMap<&str, &str> = a
                .labels
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_str()))
                .collect();
            labels.insert("alertname", &a.rule);
            labels.insert("severity", a.severity.as_str());
            labels.insert("source", "pgmon");
            let ends = match (a.state, &a.resolved_at) {
                (AlertState::Resolved, Some(t)) => t.clone(),
                _ => until.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
            };
            json!({
                "labels": labels,
                "annotations": { "summary": a.summary, "value": a.value.to_string() },
                "startsAt": a.fired_at.as_deref().unwrap_or(&a.since),
                "endsAt": ends,
            })
        })
        .collect();
    let body = serde_json::to_vec(&alerts).map_err(|e| e.to_string())?;
    super::webhook::post(&endpoint, body, reqwest::header::HeaderMap::new()).await
}
