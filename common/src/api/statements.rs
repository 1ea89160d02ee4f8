//! `GET /server/{name}/statements` (SPEC B3): the top statements of `pg_stat_statements` as
//! rates between the two newest snapshots pgmond took of it (pgmon never resets the view).

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// One statement (one query id of one user in one database) over the interval between the
/// snapshots: what it did in that time, and per second.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, ToSchema)]
pub struct StatementRate {
    pub queryid: i64,
    pub usename: Option<String>,
    pub datname: Option<String>,
    /// Cut to the `activity_query_chars` setting.
    pub query: Option<String>,
    pub calls: i64,
    pub calls_per_second: f64,
    /// Execution time, in milliseconds.
    pub total_time_ms: f64,
    /// Milliseconds of execution per second: the share of a core the statement kept busy.
    pub time_ms_per_second: f64,
    /// Over the interval's calls; absent without one.
    pub mean_time_ms: Option<f64>,
    pub rows: i64,
    pub rows_per_second: f64,
    pub shared_blks_hit: i64,
    pub shared_blks_hit_per_second: f64,
    pub shared_blks_read: i64,
    pub shared_blks_read_per_second: f64,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, ToSchema)]
pub struct ServerStatements {
    /// When the newer snapshot was taken (UTC ISO 8601).
    #[schema(format = DateTime)]
    pub taken_at: Option<String>,
    /// Seconds between the two snapshots.
    pub interval_seconds: Option<f64>,
    /// Statements that ran in the interval, the top `limit` by `order`.
    pub statements: Vec<StatementRate>,
    /// Why there is nothing to show: the server does not answer, or the extension is missing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// What to do about `error`, where something can be done (installing the extension).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hint: Option<String>,
}
