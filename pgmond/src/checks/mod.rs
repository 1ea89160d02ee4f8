//! Health checks (SPEC B10): what PgHero finds in one database, for every database of a server.
//! One file per family, each one or two catalogue queries per database (PostgreSQL 12 to 18)
//! and the rules in Rust; a family's queries run under the session's `statement_timeout`, on a
//! read-only session of its own (the collector's `checks` runner opens it, one database at a
//! time). Every fix is SQL for the DBA to review: pgmon never runs it. Names in it, and in
//! `object`, are quoted by the server's own `quote_ident`.

mod bloat;
mod indexes;
mod keys;
mod sequences;
mod settings;
mod vacuum;

use std::time::Duration;

use pgmon_common::api::checks::{CheckError, CheckKind, CheckSeverity};
use pgmon_common::api::settings::Settings;
use pgmon_common::servers::Server;
use serde_json::{Map, Value};
use tokio_postgres::Client;

use crate::history::checks::Checked;
use crate::monitor::{Monitor, MonitorError, live_db};

/// One problem, before the store gives it its times.
#[derive(Clone, Debug, PartialEq)]
pub struct Found {
    pub kind: CheckKind,
    pub severity: CheckSeverity,
    pub object: String,
    pub figures: Map<String, Value>,
    pub fix: String,
}

/// What a family found, and what it could not look at (a privilege the role lacks).
#[derive(Default)]
pub struct FamilyOutcome {
    pub found: Vec<Found>,
    pub skipped: Vec<String>,
}

/// The thresholds of `/settings` the rules use.
#[derive(Clone, Copy, Debug)]
pub struct Thresholds {
    pub bloat_percent: u64,
    pub bloat_min_bytes: u64,
    pub sequence_percent: u64,
    pub vacuum_rows: u64,
    pub vacuum_percent: u64,
    pub missing_index_rows: u64,
    pub wraparound_percent: u64,
}

impl From<&Settings> for Thresholds {
    fn from(s: &Settings) -> Thresholds {
        Thresholds {
            bloat_percent: s.bloat_percent,
            bloat_min_bytes: s.bloat_min_mib.saturating_mul(1 << 20),
            sequence_percent: s.sequence_percent,
            vacuum_rows: s.vacuum_rows,
            vacuum_percent: s.vacuum_percent,
            missing_index_rows: s.missing_index_rows,
            wraparound_percent: s.wraparound_percent,
        }
    }
}

/// The families run in each database, with the kinds each one decides.
#[derive(Clone, Copy, Debug)]
pub enum Family {
    Indexes,
    Bloat,
    Sequences,
    Vacuum,
    Keys,
    TableSettings,
}

impl Family {
    pub const ALL: [Family; 6] = [
        Family::Indexes,
        Family::Bloat,
        Family::Sequences,
        Family::Vacuum,
        Family::Keys,
        Family::TableSettings,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Family::Indexes => "indexes",
            Family::Bloat => "bloat",
            Family::Sequences => "sequences",
            Family::Vacuum => "vacuum",
            Family::Keys => "keys",
            Family::TableSettings => "settings",
        }
    }

    /// The kinds whose earlier findings a successful run of the family confirms or resolves.
    pub fn kinds(self) -> &'static [CheckKind] {
        use CheckKind as K;
        match self {
            Family::Indexes => &[
                K::UnusedIndex,
                K::DuplicateIndex,
                K::InvalidIndex,
                K::MissingIndex,
            ],
            Family::Bloat => &[K::TableBloat, K::IndexBloat],
            Family::Sequences => &[K::SequenceExhaustion],
            Family::Vacuum => &[K::VacuumOverdue, K::Wraparound],
            Family::Keys => &[K::NoPrimaryKey],
            Family::TableSettings => &[K::Setting],
        }
    }

    pub async fn run(
        self,
        c: &Client,
        t: &Thresholds,
    ) -> Result<FamilyOutcome, tokio_postgres::Error> {
        match self {
            Family::Indexes => indexes::run(c, t).await,
            Family::Bloat => bloat::run(c, t).await,
            Family::Sequences => sequences::run(c, t).await,
            Family::Vacuum => vacuum::run(c, t).await,
            Family::Keys => keys::run(c).await,
            Family::TableSettings => settings::tables(c).await,
        }
    }
}

/// Findings of one kind kept per database: past it, the largest are kept and the rest counted
/// in the errors. A database of 10,000 unused indexes has a design to look at more than a
/// list, and the store, the memory and every answer stay bounded.
pub const MAX_PER_KIND: usize = 500;

/// `found` with at most [`MAX_PER_KIND`] of each kind, the largest first (by the bytes they
/// are about); how many of each kind were left out.
fn bounded(mut found: Vec<Found>) -> (Vec<Found>, Vec<(CheckKind, usize)>) {
    let size = |f: &Found| {
        ["wasted_bytes", "index_bytes", "table_bytes", "bytes"]
            .iter()
            .find_map(|k| f.figures.get(*k).and_then(Value::as_i64))
            .unwrap_or(0)
    };
    found.sort_by(|a, b| a.kind.cmp(&b.kind).then(size(b).cmp(&size(a))));
    let (mut kept, mut left_out) = (Vec::new(), Vec::new());
    for f in found {
        let same = kept
            .iter()
            .rev()
            .take_while(|k: &&Found| k.kind == f.kind)
            .count();
        if same < MAX_PER_KIND {
            kept.push(f);
        } else {
            match left_out.last_mut() {
                Some((kind, n)) if *kind == f.kind => *n += 1,
                _ => left_out.push((f.kind, 1)),
            }
        }
    }
    (kept, left_out)
}

/// The databases of a server: those the role may connect to, and those it may not.
const DATABASES: &str = "
    SELECT datname::text, has_database_privilege(oid, 'CONNECT')
    FROM pg_database WHERE datallowconn AND NOT datistemplate ORDER BY 1";

/// Every check on every database of `server`, one database (one session) at a time; what
/// could not run is in the errors, and leaves the earlier findings it would have decided alone.
pub async fn run_server(
    monitor: &Monitor,
    server: &Server,
    settings: &Settings,
) -> (Vec<Checked>, Vec<CheckError>) {
    let t = Thresholds::from(settings);
    let timeout = Duration::from_secs(settings.checks_statement_timeout);
    let (mut checked, mut errors) = (Vec::new(), Vec::new());
    let error = |database: Option<&str>, check: &str, message: String| CheckError {
        database: database.map(str::to_owned),
        check: check.to_owned(),
        message,
    };
    let first = match session(monitor, server, live_db(server), timeout).await {
        Ok(c) => c,
        Err(e) => {
            errors.push(error(None, "connect", e.reason()));
            return (checked, errors);
        }
    };
    let databases = match within(timeout, first.query(DATABASES, &[])).await {
        Ok(rows) => rows,
        Err(e) => {
            errors.push(error(None, "connect", e.reason()));
            return (checked, errors);
        }
    };
    match within(timeout, settings::server_settings(&first)).await {
        Ok(found) => checked.push(Checked {
            database: None,
            found,
            decided: vec![CheckKind::Setting],
        }),
        Err(e) => errors.push(error(None, "settings", e.reason())),
    }
    drop(first);
    for row in databases {
        let (db, allowed): (String, bool) = (row.get(0), row.get(1));
        if !allowed {
            errors.push(error(
                Some(&db),
                "connect",
                "the role has no CONNECT privilege on this database".into(),
            ));
            continue;
        }
        let c = match session(monitor, server, &db, timeout).await {
            Ok(c) => c,
            Err(e) => {
                errors.push(error(Some(&db), "connect", e.reason()));
                continue;
            }
        };
        let mut here = Checked {
            database: Some(db.clone()),
            found: Vec::new(),
            decided: Vec::new(),
        };
        for family in Family::ALL {
            match within(timeout, family.run(&c, &t)).await {
                Ok(outcome) => {
                    here.found.extend(outcome.found);
                    here.decided.extend_from_slice(family.kinds());
                    for why in outcome.skipped {
                        errors.push(error(Some(&db), family.name(), why));
                    }
                }
                Err(e) => errors.push(error(Some(&db), family.name(), e.reason())),
            }
        }
        let (kept, left_out) = bounded(std::mem::take(&mut here.found));
        here.found = kept;
        for (kind, n) in left_out {
            errors.push(error(
                Some(&db),
                kind.as_str(),
                format!("{n} more findings not listed: the {MAX_PER_KIND} largest are"),
            ));
        }
        checked.push(here);
    }
    (checked, errors)
}

/// A read-only session on `db` whose statements are cancelled by the server after `timeout`
/// and which waits at most a second for a lock: a check never burdens a busy server.
async fn session(
    monitor: &Monitor,
    server: &Server,
    db: &str,
    timeout: Duration,
) -> Result<Client, MonitorError> {
    let c = monitor.session(server, db).await?;
    let setup = format!(
        "SET statement_timeout = {}; SET lock_timeout = 1000;
         SET default_transaction_read_only = on; SET idle_in_transaction_session_timeout = {0}",
        timeout.as_millis()
    );
    within(timeout, c.batch_execute(&setup)).await?;
    Ok(c)
}

/// `work` within the statement timeout and a few seconds more (the server cancels the
/// statement; this bounds a server that stopped answering at all).
async fn within<T>(
    timeout: Duration,
    work: impl std::future::Future<Output = Result<T, tokio_postgres::Error>>,
) -> Result<T, MonitorError> {
    match tokio::time::timeout(timeout + Duration::from_secs(5), work).await {
        Ok(r) => Ok(r?),
        Err(_) => Err(MonitorError::Timeout),
    }
}

/// Schemas that are PostgreSQL's own: `pg_catalog`, `pg_toast`, temporary schemas and
/// `information_schema`. Objects of extensions are left out by each query as well.
const USER_SCHEMA: &str = "n.nspname <> 'information_schema' AND n.nspname !~ '^pg_'";

/// A relation no extension owns (its owner maintains it, not the DBA).
const NOT_EXTENSION: &str = "NOT EXISTS (SELECT 1 FROM pg_depend e
     WHERE e.classid = 'pg_class'::regclass AND e.objid = c.oid AND e.deptype = 'e')";

/// SQL for the integer storage parameter `name` of the relation aliased `rel` (as `int8`),
/// else `default` (an SQL expression).
fn reloption(rel: &str, name: &str, default: &str) -> String {
    format!(
        "coalesce(substring(array_to_string({rel}.reloptions, ',')
                  FROM '(?:^|,){name}=([0-9]+)')::int8, {default})"
    )
}

/// The first `n` words of a vector column as text (`pg_index.indkey::text` is `1 3`): an
/// index's key columns, operator classes, collations or options.
fn key_words(text: &str, n: usize) -> Vec<String> {
    text.split_whitespace().take(n).map(str::to_owned).collect()
}

/// A figures map from pairs.
fn figures<const N: usize>(pairs: [(&str, Value); N]) -> Map<String, Value> {
    pairs.into_iter().map(|(k, v)| (k.to_owned(), v)).collect()
}

/// `part` of `whole`, in percent with one decimal.
fn percent(part: f64, whole: f64) -> f64 {
    if whole <= 0.0 {
        return 0.0;
    }
    (part * 1000.0 / whole).round() / 10.0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unused(i: i64) -> Found {
        Found {
            kind: CheckKind::UnusedIndex,
            severity: CheckSeverity::Warning,
            object: format!("public.i{i}"),
            figures: figures([("index_bytes", serde_json::json!(i))]),
            fix: String::new(),
        }
    }

    #[test]
    fn findings_of_a_kind_are_bounded_largest_first() {
        let mut found: Vec<Found> = (0..MAX_PER_KIND as i64 + 2).map(unused).collect();
        found.push(Found {
            kind: CheckKind::NoPrimaryKey,
            ..unused(0)
        });
        let (kept, left_out) = bounded(found);
        assert_eq!(kept.len(), MAX_PER_KIND + 1);
        assert_eq!(left_out, vec![(CheckKind::UnusedIndex, 2)]);
        assert_eq!(kept[0].object, format!("public.i{}", MAX_PER_KIND + 1));
        assert!(
            !kept
                .iter()
                .any(|f| f.object == "public.i0" && f.kind == CheckKind::UnusedIndex)
        );
    }
}
