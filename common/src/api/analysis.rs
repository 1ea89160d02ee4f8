//! `GET /server/{name}/analysis`: what a server's history says about its databases.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// What a database was flagged for.
#[derive(Clone, Copy, Debug, Serialize, Deserialize, PartialEq, Eq, Hash, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum FindingKind {
    /// No client session seen for `unused_days`.
    Unused,
    /// No commit and no size change for `static_days`.
    Static,
    /// Grew faster than `growth_mb_per_day` over the last `growth_window_days`.
    FastGrowing,
    /// age(datfrozenxid) over `wraparound_percent` of autovacuum_freeze_max_age.
    NearWraparound,
}

impl FindingKind {
    pub fn label(self) -> &'static str {
        match self {
            FindingKind::Unused => "unused",
            FindingKind::Static => "static",
            FindingKind::FastGrowing => "fast-growing",
            FindingKind::NearWraparound => "near wraparound",
        }
    }
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, ToSchema)]
pub struct Finding {
    pub datname: String,
    pub kind: FindingKind,
    /// The figures behind it, for a person.
    pub detail: String,
}

/// The settings the analysis was made with.
#[derive(Clone, Copy, Debug, Serialize, Deserialize, PartialEq, Eq, ToSchema)]
pub struct AnalysisThresholds {
    pub unused_days: u64,
    pub static_days: u64,
    pub growth_window_days: u64,
    pub growth_mb_per_day: u64,
    pub wraparound_percent: u64,
}

/// One database that exists on the server, from its stored samples.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, ToSchema)]
pub struct DatabaseAnalysis {
    pub datname: String,
    /// Newest size read, in MiB.
    pub size_mb: Option<f64>,
    /// Client sessions at the newest sample.
    pub connections: Option<i64>,
    /// age(datfrozenxid) at the newest sample.
    pub frozen_age: Option<i64>,
    /// The oldest stored sample: a rule needs history that reaches back its number of days.
    #[schema(format = DateTime)]
    pub history_since: Option<String>,
    #[schema(format = DateTime)]
    pub last_sample: Option<String>,
    /// The newest sample that saw a client session (none: never, in the stored history).
    #[schema(format = DateTime)]
    pub last_connection: Option<String>,
    /// Size growth per day over `growth_window_days` (negative when it shrank; none without
    /// an hour of sized samples in that window).
    pub growth_mb_per_day: Option<f64>,
    pub flags: Vec<FindingKind>,
}

/// `GET /server/{name}/analysis`.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, ToSchema)]
pub struct ServerAnalysis {
    pub server: String,
    #[schema(format = DateTime)]
    pub generated_at: String,
    pub thresholds: AnalysisThresholds,
    /// The server's setting at its newest sample (PostgreSQL's default, 200000000, is assumed
    /// until one has been read).
    pub autovacuum_freeze_max_age: i64,
    /// The age(datfrozenxid) above which a database is near wraparound.
    pub wraparound_age: i64,
    pub databases: Vec<DatabaseAnalysis>,
    /// Every flag of every database, in database order.
    pub findings: Vec<Finding>,
}
