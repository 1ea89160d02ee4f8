//! pgmon's own answers for the web console and dashboards: the fleet at a glance (`GET /fleet`)
//! and a server's figures over time (`GET /server/{name}/timeline`). Both are read from
//! pgmond's memory and its history store, never from the monitored servers.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Client sessions by state, as the newest sample counted them (pgmon's own left out).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct SessionCounts {
    pub active: i64,
    pub idle: i64,
    pub idle_in_transaction: i64,
    pub other: i64,
}

impl SessionCounts {
    pub fn total(&self) -> i64 {
        self.active + self.idle + self.idle_in_transaction + self.other
    }
}

/// Open health-check findings by severity.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct FindingCounts {
    pub critical: u64,
    pub warning: u64,
    pub info: u64,
}

/// One server of `GET /fleet`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct FleetServer {
    pub name: String,
    pub host: String,
    pub port: u16,
    /// The status check's word: `ok`, `pending`, or why the server is not ok.
    pub status: String,
    pub ok: bool,
    /// Epoch seconds since when every check failed (only on a server that is down).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub down_since: Option<f64>,
    pub version: Option<String>,
    pub uptime_hours: Option<f64>,
    /// From the collector's newest sample; `null` before the first.
    pub sessions: Option<SessionCounts>,
    pub max_connections: Option<i64>,
    /// The sum of the databases' sizes, in bytes.
    pub total_bytes: Option<i64>,
    /// The data directory's file system, in bytes (read over SSH).
    pub disk_free: Option<i64>,
    pub disk_total: Option<i64>,
    pub findings: FindingCounts,
    /// When the newest sample was taken.
    #[schema(format = DateTime)]
    pub last_sample: Option<String>,
    /// Why the newest sample failed, if it did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sample_error: Option<String>,
}

/// `GET /fleet`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct FleetOverview {
    pub servers: Vec<FleetServer>,
}

/// One bucket of `GET /server/{name}/timeline`. Figures a bucket has no sample for are `null`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct TimelinePoint {
    #[schema(format = DateTime)]
    pub ts: String,
    /// Client sessions, averaged over the bucket, summed over the databases.
    pub sessions: Option<f64>,
    /// By state (the collector's own samples, kept for the raw retention).
    pub active: Option<f64>,
    pub idle: Option<f64>,
    pub idle_in_transaction: Option<f64>,
    pub other: Option<f64>,
    pub max_connections: Option<i64>,
    /// The databases' sizes, summed (the largest of the bucket), in bytes.
    pub total_bytes: Option<i64>,
    pub commits_per_second: Option<f64>,
    pub rollbacks_per_second: Option<f64>,
    /// `blks_hit / (blks_hit + blks_read)` over the bucket, 0 to 1.
    pub cache_hit_ratio: Option<f64>,
    /// The least free space of the bucket, in bytes.
    pub disk_free: Option<i64>,
    pub disk_total: Option<i64>,
}

/// `GET /server/{name}/timeline`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ServerTimeline {
    /// `raw`, `hour`, `4hour` or `day`, as the A5 answers choose it for the window.
    pub aggregation: String,
    #[schema(format = DateTime)]
    pub start: String,
    #[schema(format = DateTime)]
    pub end: String,
    pub points: Vec<TimelinePoint>,
}
