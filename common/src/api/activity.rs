//! `GET /server/{name}/activity` and the backend actions (SPEC B3): every backend of a server
//! with what it waits for and who blocks it, and the blocking tree built from that.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// The lock a backend waits for, where PostgreSQL says (`pg_locks`, not granted).
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, ToSchema)]
pub struct LockWait {
    /// `relation`, `transactionid`, `tuple`, ...
    pub locktype: String,
    /// The relation's name, for locks on one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub relation: Option<String>,
    pub mode: String,
    /// How long it has waited (PostgreSQL 14 and later say; before, the query's age stands in).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seconds: Option<f64>,
}

/// One backend of `pg_stat_activity` (pgmon's own sessions left out). Times are UTC ISO 8601;
/// the `*_seconds` are how long ago each began, as the server's clock says.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, ToSchema)]
pub struct Backend {
    pub pid: i32,
    pub usename: Option<String>,
    pub datname: Option<String>,
    pub application_name: Option<String>,
    pub client_addr: Option<String>,
    pub backend_type: Option<String>,
    pub state: Option<String>,
    pub wait_event_type: Option<String>,
    pub wait_event: Option<String>,
    #[schema(format = DateTime)]
    pub backend_start: Option<String>,
    #[schema(format = DateTime)]
    pub xact_start: Option<String>,
    #[schema(format = DateTime)]
    pub query_start: Option<String>,
    pub backend_seconds: Option<f64>,
    pub xact_seconds: Option<f64>,
    pub query_seconds: Option<f64>,
    /// How long it has been in its `state`.
    pub state_seconds: Option<f64>,
    /// Cut to the `activity_query_chars` setting.
    pub query: Option<String>,
    /// `pg_blocking_pids`: the backends it waits on.
    pub blocked_by: Vec<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub waiting_for: Option<LockWait>,
}

/// A node of the blocking tree: a backend and those it blocks.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, ToSchema)]
pub struct BlockingNode {
    pub pid: i32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub waiting_for: Option<LockWait>,
    #[schema(no_recursion)]
    pub blocks: Vec<BlockingNode>,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, ToSchema)]
pub struct ServerActivity {
    pub sessions: Vec<Backend>,
    /// Roots are backends that block others and wait on nobody; each backend appears once,
    /// under the blocker nearest to it.
    pub blocking: Vec<BlockingNode>,
    /// Sessions past the thresholds of `/settings` (idle in transaction, long transactions and
    /// queries, lock waits).
    pub findings: Vec<Finding>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// What `POST /server/{name}/backends/{pid}/cancel|terminate` did.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, ToSchema)]
pub struct BackendAction {
    pub pid: i32,
    /// `cancel` or `terminate`.
    pub action: String,
    pub usename: Option<String>,
    pub datname: Option<String>,
    #[schema(format = DateTime)]
    pub query_start: Option<String>,
    pub message: String,
}

/// Something a DBA should look at, found against a threshold of `/settings`.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, ToSchema)]
pub struct Finding {
    /// `idle_in_transaction`, `long_transaction`, `long_query`, `lock_wait`, `replication_lag`
    /// or `inactive_slot`.
    pub kind: String,
    /// The backend it is about, for the session findings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pid: Option<i32>,
    /// The standby (its `application_name`) or the slot it is about.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    pub value: f64,
    pub threshold: f64,
    /// `seconds` or `bytes`.
    pub unit: String,
    pub message: String,
}
