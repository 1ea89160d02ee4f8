//! History answers (SPEC A5, served from pgmon's own store per B4) and the collector's state.
//!
//! The A5 shapes are the Python backend's: sums as integers (0 for an empty window), sizes as
//! floats, timestamps ISO-8601 with `+00:00`. What pgmon adds is optional and left out when
//! unknown, so an answer built from imported legacy rows looks exactly like the old one.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, ToSchema)]
pub struct DatabaseEntry {
    pub name: String,
    /// Whether the database exists on the server now.
    pub exists: bool,
    #[schema(format = DateTime)]
    pub creation_time: Option<String>,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, ToSchema)]
pub struct ConnectionPoint {
    #[schema(format = DateTime)]
    pub ts: String,
    pub datname: String,
    /// Average connections in the bucket, rounded half to even.
    pub connections: Option<i64>,
    pub size_gb: Option<f64>,
}

/// `GET /server/{name}/stats`.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, ToSchema)]
pub struct ServerHistory {
    #[schema(format = DateTime)]
    pub last_stat_update: Option<String>,
    pub total_connections: i64,
    /// 0 (an integer) for an empty window, else a float.
    #[schema(value_type = f64)]
    pub total_size_gb: Value,
    pub databases: Vec<DatabaseEntry>,
    pub connection_timeline: Vec<ConnectionPoint>,
    pub aggregation: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub history_error: Option<String>,
}

/// Increases in a bucket of the counters pgmon's collector keeps beside the A5 ones (absent for
/// buckets that hold only imported legacy rows).
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq, ToSchema)]
pub struct CounterIncreases {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rollbacks: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub blks_read: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub blks_hit: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tup_returned: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tup_fetched: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tup_inserted: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tup_updated: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tup_deleted: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub temp_files: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub temp_bytes: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deadlocks: Option<i64>,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, ToSchema)]
pub struct DbPoint {
    #[schema(format = DateTime)]
    pub ts: String,
    pub connections: Option<i64>,
    pub size_mb: Option<f64>,
    /// The sum of the cumulative `xact_commit` values in the bucket (the old backend's figure).
    pub commits: Option<i64>,
    /// The largest `age(datfrozenxid)` seen in the bucket.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub frozen_xid_age: Option<i64>,
    #[serde(flatten)]
    pub increases: CounterIncreases,
}

/// `GET /server/{name}/db/{db}/stats`.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, ToSchema)]
pub struct DbHistory {
    #[schema(format = DateTime)]
    pub last_stat_update: Option<String>,
    pub total_connections: i64,
    pub total_commits: i64,
    #[schema(value_type = f64)]
    pub total_size_mb: Value,
    #[schema(format = DateTime)]
    pub creation_time: Option<String>,
    pub max_connections: i64,
    pub min_connections: i64,
    pub timeline: Vec<DbPoint>,
    pub aggregation: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub history_error: Option<String>,
}

/// `GET /server/{name}/db/{db}`.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, ToSchema)]
pub struct DbInfo {
    pub size_mb: Option<f64>,
    pub connections: i64,
    pub commits: i64,
    #[schema(format = DateTime)]
    pub last_update: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub history_error: Option<String>,
}

/// Where a server's legacy `stats_db` import stands.
#[derive(Clone, Copy, Debug, Serialize, Deserialize, PartialEq, Eq, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ImportState {
    /// Not tried yet: history is answered from the legacy tables.
    Pending,
    /// The first pass is still running: history is answered from the legacy tables.
    Importing,
    /// Every row up to the last pass is in the store; history is answered from the store.
    CaughtUp,
    /// The server has no legacy stats database (or it cannot be read): the store only.
    None,
    /// Import is turned off (`legacy_import = false`): history is answered from the legacy
    /// tables the server entry names.
    Off,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, ToSchema)]
pub struct LegacyImport {
    pub state: ImportState,
    /// Rows taken from the legacy `pg_statistics` since pgmond started.
    pub rows_imported: u64,
    /// The newest legacy row in the store.
    #[schema(format = DateTime)]
    pub last_imported: Option<String>,
    /// Why the last pass failed, when it did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// One server in `GET /collector/status`.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, ToSchema)]
pub struct CollectorServer {
    pub name: String,
    /// Seconds between samples for this server (0: not sampled).
    pub interval: u64,
    #[schema(format = DateTime)]
    pub last_sample: Option<String>,
    pub last_duration_ms: Option<u64>,
    /// Why the last sample failed; null when it succeeded.
    pub last_error: Option<String>,
    /// Samples of this server in the store, failed ones included.
    pub samples: u64,
    /// Database samples of this server in the store.
    pub rows_stored: u64,
    pub legacy_import: LegacyImport,
}

/// `GET /collector/status`.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, ToSchema)]
pub struct CollectorStatus {
    pub servers: Vec<CollectorServer>,
    /// Size of the store on disk, in bytes.
    pub store_bytes: u64,
}
