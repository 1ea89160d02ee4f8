//! Delivery of the outbox: notifications the evaluator wrote to the store go out, each
//! channel on its own task (a channel that fails or hangs delays no other), in the order they
//! were made. A failed attempt is retried after 5 s, doubling to at most a minute, until it is
//! delivered; the row (and so the idempotency key) is the same on every attempt and across
//! restarts. A notification whose channel was removed is given up.

use std::collections::{BTreeMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio_util::sync::CancellationToken;

use super::payload::Payload;
use super::{Alerts, lock, now_ms};
use crate::history::alerts::Due;

/// Rows read at once.
const BATCH: u32 = 500;
/// The longest pause between looks at the outbox when nothing wakes it.
const IDLE: Duration = Duration::from_secs(30);
const FIRST_RETRY: Duration = Duration::from_secs(5);
const LAST_RETRY: Duration = Duration::from_secs(60);

/// How long after its `attempts`-th failure a notification is tried again.
pub fn retry_after(attempts: u32) -> Duration {
    FIRST_RETRY
        .saturating_mul(1 << attempts.saturating_sub(1).min(16))
        .min(LAST_RETRY)
}

pub async fn run(alerts: Arc<Alerts>, shutdown: CancellationToken) {
    let busy: Arc<Mutex<HashSet<String>>> = Arc::default();
    loop {
        let now = now_ms();
        let due = match alerts
            .store
            .run(move |s| s.due_notifications(now, BATCH))
            .await
        {
            Ok(d) => d,
            Err(e) => {
                tracing::warn!(error = %e, "reading the alerts' outbox failed");
                Vec::new()
            }
        };
        let mut by_channel: BTreeMap<String, Vec<Due>> = BTreeMap::new();
        for d in due {
            by_channel.entry(d.channel.clone()).or_default().push(d);
        }
        for (channel, rows) in by_channel {
            if !lock(&busy).insert(channel.clone()) {
                continue;
            }
            let (alerts, busy) = (Arc::clone(&alerts), Arc::clone(&busy));
            tokio::spawn(async move {
                deliver(&alerts, &channel, rows).await;
                lock(&busy).remove(&channel);
                alerts.outbox.notify_one();
            });
        }
        let next = alerts.store.run(|s| s.next_due()).await.ok().flatten();
        let wait = next.map_or(IDLE, |t| {
            Duration::from_millis((t - now_ms()).clamp(200, IDLE.as_millis() as i64) as u64)
        });
        tokio::select! {
            _ = shutdown.cancelled() => return,
            _ = alerts.outbox.notified() => {}
            _ = tokio::time::sleep(wait) => {}
        }
    }
}

/// Sends `rows` to `channel` in order; the first failure puts the rest off with it.
async fn deliver(alerts: &Alerts, channel: &str, rows: Vec<Due>) {
    let channels = alerts.channel_list().await;
    let cipher = match alerts.dir.cipher() {
        Ok(c) => c.clone(),
        Err(e) => {
            tracing::error!(error = %e, "the config dir's key cannot be read: notifications wait");
            return;
        }
    };
    for row in rows {
        let outcome = match channels.iter().find(|c| c.name == channel) {
            None => Err(("channel removed".to_owned(), None)),
            Some(c) => match serde_json::from_str::<Payload>(&row.payload) {
                Err(e) => Err((format!("unreadable notification: {e}"), None)),
                Ok(p) => c.send(&p, &cipher).await.map_err(|why| {
                    let retry = now_ms() + retry_after(row.attempts + 1).as_millis() as i64;
                    (why, Some(retry))
                }),
            },
        };
        let failed = outcome.is_err();
        let retrying = matches!(outcome, Err((_, Some(_))));
        if let Err((why, _)) = &outcome {
            tracing::info!(channel, key = %row.key, error = %why, "notification not delivered");
        }
        alerts.metrics.delivery(channel, !failed);
        let (id, now) = (row.id, now_ms());
        if let Err(e) = alerts
            .store
            .run(move |s| s.notification_attempt(id, now, outcome))
            .await
        {
            tracing::warn!(error = %e, "recording a notification's delivery failed");
        }
        if retrying {
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_to_a_minute() {
        let s: Vec<u64> = (1..=6).map(|a| retry_after(a).as_secs()).collect();
        assert_eq!(s, [5, 10, 20, 40, 60, 60]);
        assert_eq!(retry_after(u32::MAX), LAST_RETRY);
    }
}
