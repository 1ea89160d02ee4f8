//! `GET /server/{name}/replication` (SPEC B3): the standbys a server sends WAL to, its
//! replication slots with the WAL each holds back, and, on a standby, how far behind it is.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::activity::Finding;

/// A WAL sender (`pg_stat_replication`). Lags in bytes are from the server's current WAL
/// position (its received position on a cascading standby); lags in time are PostgreSQL's own
/// measures, absent when it has none (an idle primary clears them).
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, ToSchema)]
pub struct Sender {
    pub pid: i32,
    pub usename: Option<String>,
    pub application_name: Option<String>,
    pub client_addr: Option<String>,
    pub state: Option<String>,
    pub sync_state: Option<String>,
    pub sent_lsn: Option<String>,
    pub write_lsn: Option<String>,
    pub flush_lsn: Option<String>,
    pub replay_lsn: Option<String>,
    pub write_lag_bytes: Option<i64>,
    pub flush_lag_bytes: Option<i64>,
    pub replay_lag_bytes: Option<i64>,
    pub write_lag_seconds: Option<f64>,
    pub flush_lag_seconds: Option<f64>,
    pub replay_lag_seconds: Option<f64>,
    #[schema(format = DateTime)]
    pub backend_start: Option<String>,
}

/// A replication slot (`pg_replication_slots`).
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, ToSchema)]
pub struct Slot {
    pub slot_name: String,
    /// `physical` or `logical`.
    pub slot_type: Option<String>,
    pub plugin: Option<String>,
    pub database: Option<String>,
    pub active: bool,
    pub active_pid: Option<i32>,
    pub restart_lsn: Option<String>,
    /// WAL kept for the slot: from its `restart_lsn` to the server's current position.
    pub retained_bytes: Option<i64>,
    /// PostgreSQL 13 and later: `reserved`, `extended`, `unreserved` or `lost`.
    pub wal_status: Option<String>,
    /// PostgreSQL 13 and later, with `max_slot_wal_keep_size` set: bytes left before the slot
    /// is lost.
    pub safe_wal_size: Option<i64>,
}

/// A standby's own view of its recovery.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, ToSchema)]
pub struct Standby {
    pub receive_lsn: Option<String>,
    pub replay_lsn: Option<String>,
    /// Received but not yet replayed.
    pub replay_lag_bytes: Option<i64>,
    /// Since the last replayed transaction committed on the primary (what many dashboards call
    /// replication delay). An upper bound only: it also counts the primary's quiet before the
    /// WAL now waiting was written, and on an idle primary it grows with the clock.
    pub replay_delay_seconds: Option<f64>,
    #[schema(format = DateTime)]
    pub last_replay_at: Option<String>,
    pub replay_paused: bool,
    /// The WAL receiver (`pg_stat_wal_receiver`): `streaming`, `startup`, ...; absent when none
    /// runs (a standby restoring from an archive).
    pub receiver_status: Option<String>,
    pub sender_host: Option<String>,
    pub sender_port: Option<i32>,
    pub slot_name: Option<String>,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, ToSchema)]
pub struct ServerReplication {
    /// The server is a standby (`pg_is_in_recovery()`); absent when it could not be asked.
    pub in_recovery: Option<bool>,
    pub senders: Vec<Sender>,
    pub slots: Vec<Slot>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub standby: Option<Standby>,
    /// Lag and inactive slots past the thresholds of `/settings`.
    pub findings: Vec<Finding>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}
