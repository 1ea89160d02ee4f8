//! Alerts in the store (schema 5): open and past alerts, the notifications owed and sent (the
//! outbox), and silences. The alert engine is the only writer; it chooses alert ids itself, so
//! an alert opened and notified in the same step is one transaction.

use std::collections::BTreeMap;

use pgmon_common::api::alerts::{
    Alert, AlertRecord, AlertSeverity, AlertState, Matchers, Notification, NotificationKind,
    Silence,
};
use rusqlite::{Transaction, params};

use super::HistoryError;
use super::embedded::Embedded;

/// An alert as the engine keeps it (and the shared store, in JSON).
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct StoredAlert {
    pub id: i64,
    pub key: String,
    pub rule: String,
    pub severity: AlertSeverity,
    pub labels: BTreeMap<String, String>,
    pub state: AlertState,
    /// Milliseconds since the epoch, as every time here.
    pub since: i64,
    pub fired_at: Option<i64>,
    pub resolved_at: Option<i64>,
    pub value: f64,
    pub summary: String,
    /// Channel → when it was last told of this alert.
    pub sent: BTreeMap<String, i64>,
}

impl StoredAlert {
    pub fn server(&self) -> &str {
        self.labels.get("server").map_or("", String::as_str)
    }

    /// As the API shows it.
    pub fn view(&self, silenced: bool) -> Alert {
        Alert {
            id: self.id,
            rule: self.rule.clone(),
            severity: self.severity,
            state: self.state,
            labels: self.labels.clone(),
            since: time(self.since),
            fired_at: self.fired_at.map(time),
            value: self.value,
            summary: self.summary.clone(),
            silenced,
        }
    }
}

/// A notification to write to the outbox.
pub struct NewNotification {
    pub channel: String,
    pub kind: NotificationKind,
    pub key: String,
    pub payload: String,
    pub created: i64,
    /// The alerts it tells of, and as what.
    pub alerts: Vec<(i64, NotificationKind)>,
}

/// What one step of the engine changes: alerts (inserted or replaced whole, evidence aside)
/// and notifications owed.
#[derive(Default)]
pub struct AlertWrite {
    pub alerts: Vec<StoredAlert>,
    pub notifications: Vec<NewNotification>,
}

impl AlertWrite {
    pub fn is_empty(&self) -> bool {
        self.alerts.is_empty() && self.notifications.is_empty()
    }
}

/// A notification due for delivery.
#[derive(Clone, Debug)]
pub struct Due {
    pub id: i64,
    pub channel: String,
    pub key: String,
    pub payload: String,
    pub attempts: u32,
}

/// A time as the alerts' answers write it.
pub fn time(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .unwrap_or_default()
        .to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// A silence as the API shows it (not yet marked expired), with when it ends in milliseconds;
/// from this store's columns or the shared store's, which are the same.
pub fn silence(
    id: i64,
    matchers: Matchers,
    created: i64,
    until: i64,
    author: String,
    comment: String,
) -> (Silence, i64) {
    let silence = Silence {
        id,
        matchers,
        created_at: time(created),
        until: time(until),
        author,
        comment,
        expired: false,
    };
    (silence, until)
}

fn severity(s: &str) -> AlertSeverity {
    s.parse().unwrap_or(AlertSeverity::Warning)
}

fn state(s: &str) -> AlertState {
    match s {
        "pending" => AlertState::Pending,
        "firing" => AlertState::Firing,
        _ => AlertState::Resolved,
    }
}

fn kind(s: &str) -> NotificationKind {
    match s {
        "repeat" => NotificationKind::Repeat,
        "resolved" => NotificationKind::Resolved,
        "test" => NotificationKind::Test,
        _ => NotificationKind::Firing,
    }
}

const ALERT_COLUMNS: &str =
    "id, key, rule, severity, labels, state, since, fired_at, resolved_at, value, summary, sent";

fn alert_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<StoredAlert> {
    let json = |i: usize| -> rusqlite::Result<String> { r.get(i) };
    Ok(StoredAlert {
        id: r.get(0)?,
        key: r.get(1)?,
        rule: r.get(2)?,
        severity: severity(&r.get::<_, String>(3)?),
        labels: serde_json::from_str(&json(4)?).unwrap_or_default(),
        state: state(&r.get::<_, String>(5)?),
        since: r.get(6)?,
        fired_at: r.get(7)?,
        resolved_at: r.get(8)?,
        value: r.get(9)?,
        summary: r.get(10)?,
        sent: serde_json::from_str(&json(11)?).unwrap_or_default(),
    })
}

fn notifications_of(tx: &Transaction<'_>, alert: i64) -> rusqlite::Result<Vec<Notification>> {
    let mut stmt = tx.prepare_cached(
        "SELECT n.id, n.channel, na.kind, n.key, n.created, n.attempts, n.delivered,
                n.next_attempt, n.last_error
         FROM notification_alert na JOIN notification n ON n.id = na.notification_id
         WHERE na.alert_id = ?1 ORDER BY n.id",
    )?;
    stmt.query_map([alert], |r| {
        Ok(Notification {
            id: r.get(0)?,
            channel: r.get(1)?,
            kind: kind(&r.get::<_, String>(2)?),
            key: r.get(3)?,
            created_at: time(r.get(4)?),
            attempts: r.get(5)?,
            delivered_at: r.get::<_, Option<i64>>(6)?.map(time),
            next_attempt_at: r.get::<_, Option<i64>>(7)?.map(time),
            last_error: r.get(8)?,
        })
    })?
    .collect()
}

/// Which past alerts `GET /alerts/history` asks for.
pub struct HistoryFilter {
    pub server: Option<String>,
    pub rule: Option<String>,
    pub since: Option<i64>,
    pub until: Option<i64>,
    pub id: Option<i64>,
    pub limit: u32,
}

impl Embedded {
    /// Every open alert, and the highest id ever given.
    pub fn open_alerts(&self) -> Result<(Vec<StoredAlert>, i64), HistoryError> {
        self.read(|tx| {
            let open = tx
                .prepare(&format!(
                    "SELECT {ALERT_COLUMNS} FROM alert WHERE resolved_at IS NULL"
                ))?
                .query_map([], alert_row)?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            let max: Option<i64> = tx.query_row("SELECT max(id) FROM alert", [], |r| r.get(0))?;
            Ok((open, max.unwrap_or(0)))
        })
    }

    pub fn write_alerts(&self, w: &AlertWrite) -> Result<(), HistoryError> {
        self.write(|tx| {
            for a in &w.alerts {
                let labels = serde_json::to_string(&a.labels).unwrap_or_default();
                let sent = serde_json::to_string(&a.sent).unwrap_or_default();
                tx.prepare_cached(
                    "INSERT INTO alert (id, key, rule, server, severity, labels, state, since,
                         fired_at, resolved_at, value, summary, sent)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)
                     ON CONFLICT (id) DO UPDATE SET severity = ?5, state = ?7, fired_at = ?9,
                         resolved_at = ?10, value = ?11, summary = ?12, sent = ?13",
                )?
                .execute(params![
                    a.id,
                    a.key,
                    a.rule,
                    a.server(),
                    a.severity.as_str(),
                    labels,
                    a.state.as_str(),
                    a.since,
                    a.fired_at,
                    a.resolved_at,
                    a.value,
                    a.summary,
                    sent
                ])?;
            }
            for n in &w.notifications {
                tx.prepare_cached(
                    "INSERT INTO notification (channel, kind, key, payload, created, next_attempt)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?5)",
                )?
                .execute(params![
                    n.channel,
                    n.kind.as_str(),
                    n.key,
                    n.payload,
                    n.created
                ])?;
                let id = tx.last_insert_rowid();
                for (alert, kind) in &n.alerts {
                    tx.prepare_cached(
                        "INSERT INTO notification_alert (notification_id, alert_id, kind)
                         VALUES (?1, ?2, ?3)",
                    )?
                    .execute(params![id, alert, kind.as_str()])?;
                }
            }
            Ok(())
        })
    }

    pub fn set_evidence(&self, alert: i64, evidence: &str) -> Result<(), HistoryError> {
        self.write(|tx| {
            tx.execute(
                "UPDATE alert SET evidence = ?2 WHERE id = ?1",
                params![alert, evidence],
            )
            .map(drop)
        })
    }

    /// Past and open alerts, newest first, with their evidence and notifications.
    pub fn alert_history(&self, f: &HistoryFilter) -> Result<Vec<AlertRecord>, HistoryError> {
        self.read(|tx| {
            let mut stmt = tx.prepare(&format!(
                "SELECT {ALERT_COLUMNS}, evidence FROM alert
                 WHERE fired_at IS NOT NULL AND (?1 IS NULL OR server = ?1) AND (?2 IS NULL OR rule = ?2)
                   AND (?3 IS NULL OR since >= ?3) AND (?4 IS NULL OR since <= ?4)
                   AND (?5 IS NULL OR id = ?5)
                 ORDER BY since DESC, id DESC LIMIT ?6"
            ))?;
            let rows = stmt
                .query_map(
                    params![f.server, f.rule, f.since, f.until, f.id, f.limit],
                    |r| {
                        let evidence: Option<String> = r.get(12)?;
                        Ok((alert_row(r)?, evidence))
                    },
                )?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            rows.into_iter()
                .map(|(a, evidence)| {
                    Ok(AlertRecord {
                        alert: a.view(false),
                        resolved_at: a.resolved_at.map(time),
                        evidence: evidence.and_then(|e| serde_json::from_str(&e).ok()),
                        notifications: notifications_of(tx, a.id)?,
                    })
                })
                .collect()
        })
    }

    /// Undelivered notifications due by `now`, oldest first.
    pub fn due_notifications(&self, now: i64, limit: u32) -> Result<Vec<Due>, HistoryError> {
        self.read(|tx| {
            tx.prepare_cached(
                "SELECT id, channel, key, payload, attempts FROM notification
                 WHERE next_attempt IS NOT NULL AND next_attempt <= ?1
                 ORDER BY id LIMIT ?2",
            )?
            .query_map(params![now, limit], |r| {
                Ok(Due {
                    id: r.get(0)?,
                    channel: r.get(1)?,
                    key: r.get(2)?,
                    payload: r.get(3)?,
                    attempts: r.get(4)?,
                })
            })?
            .collect()
        })
    }

    /// The next time an undelivered notification is due, if any is.
    pub fn next_due(&self) -> Result<Option<i64>, HistoryError> {
        self.read(|tx| {
            tx.query_row(
                "SELECT min(next_attempt) FROM notification WHERE next_attempt IS NOT NULL",
                [],
                |r| r.get(0),
            )
        })
    }

    /// Records an attempt: delivered at `now`, or failed with `error` and retried at `retry`
    /// (`None`: given up).
    pub fn notification_attempt(
        &self,
        id: i64,
        now: i64,
        outcome: Result<(), (String, Option<i64>)>,
    ) -> Result<(), HistoryError> {
        self.write(|tx| {
            match outcome {
                Ok(()) => tx.execute(
                    "UPDATE notification SET attempts = attempts + 1, delivered = ?2,
                         next_attempt = NULL, last_error = NULL WHERE id = ?1",
                    params![id, now],
                )?,
                Err((error, retry)) => tx.execute(
                    "UPDATE notification SET attempts = attempts + 1, next_attempt = ?2,
                         last_error = ?3 WHERE id = ?1",
                    params![id, retry, error],
                )?,
            };
            Ok(())
        })
    }

    pub fn silences(&self) -> Result<Vec<(Silence, i64)>, HistoryError> {
        self.read(|tx| {
            tx.prepare_cached(
                "SELECT id, server, rule, database, created, until, author, comment FROM silence
                 ORDER BY id",
            )?
            .query_map([], |r| {
                Ok(silence(
                    r.get(0)?,
                    Matchers {
                        server: r.get(1)?,
                        rule: r.get(2)?,
                        database: r.get(3)?,
                    },
                    r.get(4)?,
                    r.get(5)?,
                    r.get(6)?,
                    r.get(7)?,
                ))
            })?
            .collect()
        })
    }

    pub fn add_silence(
        &self,
        m: &Matchers,
        created: i64,
        until: i64,
        author: &str,
        comment: &str,
    ) -> Result<i64, HistoryError> {
        self.write(|tx| {
            tx.execute(
                "INSERT INTO silence (server, rule, database, created, until, author, comment)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                params![
                    m.server, m.rule, m.database, created, until, author, comment
                ],
            )?;
            Ok(tx.last_insert_rowid())
        })
    }

    /// Ends silence `id` at `now`; whether there was one still running.
    pub fn expire_silence(&self, id: i64, now: i64) -> Result<bool, HistoryError> {
        self.write(|tx| {
            let n = tx.execute(
                "UPDATE silence SET until = ?2 WHERE id = ?1 AND until > ?2",
                params![id, now],
            )?;
            Ok(n > 0)
        })
    }

    /// Forgets alerts resolved, notifications made and silences ended before `cutoff` (ms).
    pub fn forget_alerts(&self, cutoff: i64) -> Result<usize, HistoryError> {
        self.write(|tx| {
            tx.execute(
                "DELETE FROM notification_alert WHERE alert_id IN
                     (SELECT id FROM alert WHERE resolved_at < ?1)
                   OR notification_id IN (SELECT id FROM notification WHERE created < ?1)",
                [cutoff],
            )?;
            tx.execute("DELETE FROM notification WHERE created < ?1", [cutoff])?;
            tx.execute("DELETE FROM silence WHERE until < ?1", [cutoff])?;
            tx.execute("DELETE FROM alert WHERE resolved_at < ?1", [cutoff])
        })
    }
}
