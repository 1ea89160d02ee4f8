//! What a notification tells, kept in the outbox as JSON and rendered per channel when sent.
//! A webhook without `text` receives exactly this (documented in docs/alerts.md).

use std::collections::BTreeMap;

use pgmon_common::api::alerts::{AlertSeverity, AlertState, NotificationKind};
use serde::{Deserialize, Serialize};

use crate::history::alerts::{StoredAlert, time};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Payload {
    /// The idempotency key: the same on every attempt of this notification.
    pub key: String,
    pub kind: NotificationKind,
    pub server: String,
    /// When the notification was made (RFC 3339).
    pub created_at: String,
    pub alerts: Vec<PayloadAlert>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PayloadAlert {
    pub id: i64,
    pub rule: String,
    pub severity: AlertSeverity,
    pub state: AlertState,
    pub labels: BTreeMap<String, String>,
    pub since: String,
    pub fired_at: Option<String>,
    pub resolved_at: Option<String>,
    pub value: f64,
    pub summary: String,
}

impl PayloadAlert {
    pub fn of(a: &StoredAlert) -> PayloadAlert {
        PayloadAlert {
            id: a.id,
            rule: a.rule.clone(),
            severity: a.severity,
            state: a.state,
            labels: a.labels.clone(),
            since: time(a.since),
            fired_at: a.fired_at.map(time),
            resolved_at: a.resolved_at.map(time),
            value: a.value,
            summary: a.summary.clone(),
        }
    }
}

/// A new idempotency key: 128 random bits.
pub fn new_key() -> String {
    let bits: u128 = rand::random();
    format!("pgmon-{bits:032x}")
}

/// What `POST /alerts/test` sends: one made-up alert, marked as a test.
pub fn test_payload() -> Payload {
    let now = crate::alerts::now_ms();
    Payload {
        key: new_key(),
        kind: NotificationKind::Test,
        server: "pgmon".into(),
        created_at: time(now),
        alerts: vec![PayloadAlert {
            id: 0,
            rule: "test".into(),
            severity: AlertSeverity::Warning,
            state: AlertState::Firing,
            labels: BTreeMap::from([("server".to_owned(), "pgmon".to_owned())]),
            since: time(now),
            fired_at: Some(time(now)),
            resolved_at: None,
            value: 0.0,
            summary: "a test notification from pgmon: this channel works".into(),
        }],
    }
}
