//! `GET /server/{name}/databases` (SPEC B3): each database's figures as the server has them
//! now, cumulative since the statistics were last reset.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, ToSchema)]
pub struct LiveDatabase {
    pub datname: String,
    /// Bytes; absent where the monitoring role may not connect to the database.
    pub size_bytes: Option<i64>,
    pub numbackends: Option<i32>,
    pub xact_commit: Option<i64>,
    pub xact_rollback: Option<i64>,
    pub blks_read: Option<i64>,
    pub blks_hit: Option<i64>,
    /// `blks_hit / (blks_hit + blks_read)`, 0 to 1; absent before the first block is read.
    pub cache_hit_ratio: Option<f64>,
    pub tup_returned: Option<i64>,
    pub tup_fetched: Option<i64>,
    pub tup_inserted: Option<i64>,
    pub tup_updated: Option<i64>,
    pub tup_deleted: Option<i64>,
    pub conflicts: Option<i64>,
    pub deadlocks: Option<i64>,
    pub temp_files: Option<i64>,
    pub temp_bytes: Option<i64>,
    /// `age(datfrozenxid)`: transactions since the database was last frozen.
    pub frozen_xid_age: i64,
    pub stats_reset: Option<String>,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, ToSchema)]
pub struct ServerDatabases {
    pub databases: Vec<LiveDatabase>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}
