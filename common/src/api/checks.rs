//! Health checks (SPEC B10): what the checks found in a server's databases, as
//! `GET /server/{name}/checks` and `GET /checks` answer it.

use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// What a finding is about.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum CheckKind {
    /// An index no scan has used since the statistics were reset.
    UnusedIndex,
    /// An index with the same columns as another, or whose columns begin another's.
    DuplicateIndex,
    /// An index left invalid (a failed `CREATE INDEX CONCURRENTLY`).
    InvalidIndex,
    /// A large table read mostly by sequential scans.
    MissingIndex,
    /// A table whose pages hold much more than its rows need (pgmon's estimate).
    TableBloat,
    /// A B-tree index much larger than its entries need (pgmon's estimate).
    IndexBloat,
    /// A sequence (or the column it feeds) past a share of its type's range.
    SequenceExhaustion,
    /// Dead rows, or changes since the last analyze, past the thresholds.
    VacuumOverdue,
    /// A relation whose oldest unfrozen transaction (or multixact) ID nears the forced
    /// anti-wraparound vacuum.
    Wraparound,
    /// A table with neither a primary key nor a replica identity (logical replication cannot
    /// update or delete its rows).
    NoPrimaryKey,
    /// A setting worth a look (`fsync` off, autovacuum off on a table...): the value and where
    /// it comes from.
    Setting,
}

impl CheckKind {
    pub const ALL: [CheckKind; 11] = [
        CheckKind::UnusedIndex,
        CheckKind::DuplicateIndex,
        CheckKind::InvalidIndex,
        CheckKind::MissingIndex,
        CheckKind::TableBloat,
        CheckKind::IndexBloat,
        CheckKind::SequenceExhaustion,
        CheckKind::VacuumOverdue,
        CheckKind::Wraparound,
        CheckKind::NoPrimaryKey,
        CheckKind::Setting,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            CheckKind::UnusedIndex => "unused_index",
            CheckKind::DuplicateIndex => "duplicate_index",
            CheckKind::InvalidIndex => "invalid_index",
            CheckKind::MissingIndex => "missing_index",
            CheckKind::TableBloat => "table_bloat",
            CheckKind::IndexBloat => "index_bloat",
            CheckKind::SequenceExhaustion => "sequence_exhaustion",
            CheckKind::VacuumOverdue => "vacuum_overdue",
            CheckKind::Wraparound => "wraparound",
            CheckKind::NoPrimaryKey => "no_primary_key",
            CheckKind::Setting => "setting",
        }
    }
}

impl std::str::FromStr for CheckKind {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        super::named(&CheckKind::ALL, CheckKind::as_str, s)
            .ok_or_else(|| format!("not a check kind: {s:?}"))
    }
}

/// How much a finding matters; ordered, so a filter can ask for "at least warning".
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, ToSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum CheckSeverity {
    Info,
    Warning,
    Critical,
}

impl CheckSeverity {
    pub fn as_str(self) -> &'static str {
        match self {
            CheckSeverity::Info => "info",
            CheckSeverity::Warning => "warning",
            CheckSeverity::Critical => "critical",
        }
    }
}

impl std::str::FromStr for CheckSeverity {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        let all = [
            CheckSeverity::Info,
            CheckSeverity::Warning,
            CheckSeverity::Critical,
        ];
        super::named(&all, CheckSeverity::as_str, s)
            .ok_or_else(|| format!("not a severity: {s:?} (info, warning or critical)"))
    }
}

/// One problem a check found.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct CheckFinding {
    /// The server (in `GET /checks` only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub server: Option<String>,
    pub kind: CheckKind,
    pub severity: CheckSeverity,
    /// The database; `null` for a server-wide setting.
    pub database: Option<String>,
    /// What it is about: `schema.table`, `schema.index`, `schema.sequence`, or a setting's
    /// name.
    pub object: String,
    /// The numbers behind it (sizes in bytes, counts, percentages, times), by name.
    #[schema(value_type = CheckFigures)]
    pub figures: serde_json::Map<String, serde_json::Value>,
    /// SQL for the DBA to review and run (pgmon never runs it); `--` lines explain.
    pub fix: String,
    /// When a run first found it.
    #[schema(format = DateTime)]
    pub first_seen: String,
    /// When a run last found it.
    #[schema(format = DateTime)]
    pub last_seen: String,
    /// When a run no longer found it (only when resolved findings are asked for).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(format = DateTime)]
    pub resolved_at: Option<String>,
}

/// The schema of `CheckFinding.figures`: each figure by name, a number, a text or `null`
/// (sizes in bytes, counts, percentages, times in RFC 3339); which ones depends on the kind.
#[derive(ToSchema)]
pub struct CheckFigures(pub std::collections::BTreeMap<String, serde_json::Value>);

/// A check that could not run in a database (no privilege, a statement timeout, a database
/// that refused the connection): reported, not retried until the next run.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct CheckError {
    /// `null` when the server itself could not be reached.
    pub database: Option<String>,
    /// The family that failed (`indexes`, `bloat`, `sequences`, `vacuum`, `keys`,
    /// `settings`), or `connect`.
    pub check: String,
    pub message: String,
}

/// `GET /server/{name}/checks`, and the answer of `POST` (a run now).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ServerChecks {
    pub checks: Vec<CheckFinding>,
    /// When the last run ended; `null` before the first.
    #[schema(format = DateTime)]
    pub ran_at: Option<String>,
    /// How long it took.
    pub duration_ms: Option<u64>,
    pub errors: Vec<CheckError>,
}

/// A server's last run in `GET /checks`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct CheckRun {
    pub server: String,
    #[schema(format = DateTime)]
    pub ran_at: Option<String>,
    pub findings: usize,
    pub errors: Vec<CheckError>,
}

/// `GET /checks`: the fleet's findings, most severe first.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct FleetChecks {
    pub checks: Vec<CheckFinding>,
    pub runs: Vec<CheckRun>,
}

impl FleetChecks {
    /// One server's answer in the fleet's shape.
    pub fn of_server(server: &str, one: ServerChecks) -> FleetChecks {
        let findings = one.checks.len();
        FleetChecks {
            checks: one
                .checks
                .into_iter()
                .map(|mut f| {
                    f.server = Some(server.to_owned());
                    f
                })
                .collect(),
            runs: vec![CheckRun {
                server: server.to_owned(),
                ran_at: one.ran_at,
                findings,
                errors: one.errors,
            }],
        }
    }
}

/// The filters of `GET /checks` (and `GET /server/{name}/checks`, but `server`).
#[derive(Clone, Debug, Default, Serialize, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ChecksQuery {
    /// Only findings at least this severe.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub severity: Option<CheckSeverity>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<CheckKind>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub server: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub database: Option<String>,
    /// Also the findings a later run no longer found (their history), with `resolved_at`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resolved: Option<bool>,
}

impl ChecksQuery {
    /// Whether `f` passes the filters (`server` is matched by the caller, which knows it).
    pub fn admits(&self, f: &CheckFinding) -> bool {
        self.severity.is_none_or(|s| f.severity >= s)
            && self.kind.is_none_or(|k| f.kind == k)
            && self
                .database
                .as_deref()
                .is_none_or(|d| f.database.as_deref() == Some(d))
    }
}
