//! `GET /server/{name}/statements`: pg_stat_statements as rates. Each call takes a snapshot of
//! the counters (texts left out) unless the newest is under a second old, keeps the two newest
//! per server in memory, and answers what ran between them. pgmon never resets the view, so
//! other tools reading it keep their totals.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use pgmon_common::api::statements::{ServerStatements, StatementRate};
use pgmon_common::servers::Server;
use serde::Deserialize;
use tokio_postgres::error::SqlState;

use super::{Monitor, MonitorError, live_db};
use crate::history::window::iso;

/// Snapshots closer than this are not taken: the answer is the last one's again. The first
/// call for a server takes two this far apart, so it has rates to show.
const MIN_GAP: Duration = Duration::from_secs(1);

/// What the statements are ranked by.
#[derive(Clone, Copy, Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
#[schema(as = StatementOrder)]
pub enum Order {
    #[default]
    TotalTime,
    Calls,
    MeanTime,
    Rows,
    SharedBlksHit,
    SharedBlksRead,
}

/// One statement's counters: calls, execution ms, rows, shared blocks hit and read.
#[derive(Clone, Copy, Default)]
struct Counters {
    calls: i64,
    ms: f64,
    rows: i64,
    hit: i64,
    read: i64,
}

/// Statements are told apart by user, database and query id (the top-level and nested
/// entries of PostgreSQL 14 and later are added up).
type Key = (u32, u32, i64);

struct Snapshot {
    at: Instant,
    taken: DateTime<Utc>,
    /// The extension's schema, quoted: where the texts of the rows shown are read.
    schema: String,
    counters: HashMap<Key, Counters>,
}

/// A server's snapshot before the newest (none yet after the first), and the newest.
type Pair = (Option<Arc<Snapshot>>, Arc<Snapshot>);

/// The two newest snapshots of each server, and a turn per server for taking them: calls that
/// come together wait for the one taking a snapshot and answer from its pair, rather than
/// taking snapshots milliseconds apart.
#[derive(Default)]
pub struct Snapshots {
    pairs: Mutex<HashMap<String, Pair>>,
    turns: Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
}

impl Snapshots {
    pub fn forget(&self, server: &str) {
        lock(&self.pairs).remove(server);
        lock(&self.turns).remove(server);
    }

    fn turn(&self, server: &str) -> Arc<tokio::sync::Mutex<()>> {
        lock(&self.turns)
            .entry(server.to_owned())
            .or_default()
            .clone()
    }

    fn newest(&self, server: &str) -> Option<Pair> {
        lock(&self.pairs).get(server).cloned()
    }

    /// Makes `snap` the newest, the newest before it the previous; returns it.
    fn push(&self, server: &str, snap: Snapshot) -> Arc<Snapshot> {
        let mut all = lock(&self.pairs);
        let newest = Arc::new(snap);
        let previous = all.remove(server).map(|(_, n)| n);
        all.insert(server.to_owned(), (previous, newest.clone()));
        newest
    }
}

/// The extension's version and its schema, quoted for SQL (pgmon's sessions search
/// `pg_catalog` only).
const EXTENSION: &str = "
    SELECT e.extversion, quote_ident(n.nspname)
    FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace
    WHERE e.extname = 'pg_stat_statements'";

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// The counters, texts left out (`pg_stat_statements(false)` does not read the text file).
/// `{time}` is `total_exec_time` from version 1.8 of the extension, `total_time` before.
const COUNTERS: &str = "
    SELECT userid, dbid, queryid, sum(calls)::int8, sum({time})::float8, sum(rows)::int8,
           sum(shared_blks_hit)::int8, sum(shared_blks_read)::int8
    FROM {schema}.pg_stat_statements(false)
    WHERE queryid IS NOT NULL
    GROUP BY userid, dbid, queryid";

/// Names and texts of the statements shown.
const TEXTS: &str = "
    SELECT DISTINCT ON (s.userid, s.dbid, s.queryid)
           s.userid, s.dbid, s.queryid, r.rolname::text, d.datname::text, left(s.query, $4)
    FROM {schema}.pg_stat_statements s
    LEFT JOIN pg_roles r ON r.oid = s.userid
    LEFT JOIN pg_database d ON d.oid = s.dbid
    WHERE (s.userid, s.dbid, s.queryid) IN (SELECT * FROM unnest($1::oid[], $2::oid[], $3::int8[]))";

/// Why there are no statements, and what to do about it.
fn missing(db: &str, why: String) -> ServerStatements {
    ServerStatements {
        taken_at: None,
        interval_seconds: None,
        statements: Vec::new(),
        error: Some(why),
        hint: Some(format!(
            "add pg_stat_statements to shared_preload_libraries in postgresql.conf, restart \
             PostgreSQL, then run CREATE EXTENSION pg_stat_statements; in database {db}"
        )),
    }
}

impl Monitor {
    /// The top `limit` statements by `order` between the two newest snapshots.
    pub async fn statements(
        &self,
        server: &Server,
        order: Order,
        limit: usize,
        query_chars: i32,
    ) -> Result<ServerStatements, MonitorError> {
        let db = live_db(server);
        let turn = self.statements.turn(&server.name);
        let taking = turn.lock().await;
        let (previous, newest) = match self.statements.newest(&server.name) {
            Some((Some(previous), newest)) if newest.at.elapsed() < MIN_GAP => (previous, newest),
            known => {
                let previous = match known {
                    Some((_, newest)) => newest,
                    None => {
                        let first = match self.snapshot(server).await? {
                            Err(why) => return Ok(missing(db, why)),
                            Ok(snap) => self.statements.push(&server.name, snap),
                        };
                        tokio::time::sleep(MIN_GAP).await;
                        first
                    }
                };
                match self.snapshot(server).await? {
                    Err(why) => return Ok(missing(db, why)),
                    Ok(snap) => (previous, self.statements.push(&server.name, snap)),
                }
            }
        };
        drop(taking);
        let seconds = newest
            .at
            .duration_since(previous.at)
            .as_secs_f64()
            .max(1e-3);
        let mut ran: Vec<(Key, Counters)> = newest
            .counters
            .iter()
            .map(|(k, now)| (*k, since(now, previous.counters.get(k))))
            .filter(|(_, d)| d.calls > 0)
            .collect();
        let rank = |c: &Counters| match order {
            Order::TotalTime => c.ms,
            Order::Calls => c.calls as f64,
            Order::MeanTime => c.ms / c.calls as f64,
            Order::Rows => c.rows as f64,
            Order::SharedBlksHit => c.hit as f64,
            Order::SharedBlksRead => c.read as f64,
        };
        ran.sort_by(|a, b| rank(&b.1).total_cmp(&rank(&a.1)).then(a.0.cmp(&b.0)));
        ran.truncate(limit);
        let texts = self
            .texts(server, &newest.schema, &ran, query_chars)
            .await?;
        let statements = ran
            .into_iter()
            .map(|(key, d)| {
                let (usename, datname, query) = texts.get(&key).cloned().unwrap_or_default();
                StatementRate {
                    queryid: key.2,
                    usename,
                    datname,
                    query,
                    calls: d.calls,
                    calls_per_second: d.calls as f64 / seconds,
                    total_time_ms: d.ms,
                    time_ms_per_second: d.ms / seconds,
                    mean_time_ms: Some(d.ms / d.calls as f64),
                    rows: d.rows,
                    rows_per_second: d.rows as f64 / seconds,
                    shared_blks_hit: d.hit,
                    shared_blks_hit_per_second: d.hit as f64 / seconds,
                    shared_blks_read: d.read,
                    shared_blks_read_per_second: d.read as f64 / seconds,
                }
            })
            .collect();
        Ok(ServerStatements {
            taken_at: iso(Some(newest.taken)),
            interval_seconds: Some(seconds),
            statements,
            error: None,
            hint: None,
        })
    }

    /// A snapshot of the counters, or why there is none (the extension is missing or not
    /// loaded).
    async fn snapshot(&self, server: &Server) -> Result<Result<Snapshot, String>, MonitorError> {
        let db = live_db(server);
        self.with_client(server, db, |c| async move {
            let found: Option<(String, String)> = c
                .query_opt(EXTENSION, &[])
                .await?
                .map(|r| (r.get(0), r.get(1)));
            let Some((version, schema)) = found else {
                return Ok(Err(format!(
                    "pg_stat_statements is not installed in database {db}"
                )));
            };
            let time = if at_least(&version, (1, 8)) {
                "total_exec_time"
            } else {
                "total_time"
            };
            let sql = COUNTERS
                .replace("{time}", time)
                .replace("{schema}", &schema);
            let rows = match c.query(&sql, &[]).await {
                Ok(rows) => rows,
                Err(e) if e.code() == Some(&SqlState::OBJECT_NOT_IN_PREREQUISITE_STATE) => {
                    return Ok(Err(super::error::postgres_message(&e)));
                }
                Err(e) => return Err(e.into()),
            };
            let counters = rows
                .iter()
                .map(|r| {
                    let key = (r.get(0), r.get(1), r.get(2));
                    let c = Counters {
                        calls: r.get(3),
                        ms: r.get(4),
                        rows: r.get(5),
                        hit: r.get(6),
                        read: r.get(7),
                    };
                    (key, c)
                })
                .collect();
            Ok(Ok(Snapshot {
                at: Instant::now(),
                taken: Utc::now(),
                schema,
                counters,
            }))
        })
        .await
    }

    /// User, database and text of the statements `ran`.
    async fn texts(
        &self,
        server: &Server,
        schema: &str,
        ran: &[(Key, Counters)],
        query_chars: i32,
    ) -> Result<HashMap<Key, (Option<String>, Option<String>, Option<String>)>, MonitorError> {
        if ran.is_empty() {
            return Ok(HashMap::new());
        }
        let users: Vec<u32> = ran.iter().map(|(k, _)| k.0).collect();
        let dbs: Vec<u32> = ran.iter().map(|(k, _)| k.1).collect();
        let ids: Vec<i64> = ran.iter().map(|(k, _)| k.2).collect();
        let (users, dbs, ids) = (&users, &dbs, &ids);
        self.with_client(server, live_db(server), |c| async move {
            let sql = TEXTS.replace("{schema}", schema);
            let rows = match c.query(&sql, &[users, dbs, ids, &query_chars]).await {
                Ok(rows) => rows,
                // The extension dropped since the snapshot: no texts, as none are kept.
                Err(e) if e.code() == Some(&SqlState::UNDEFINED_TABLE) => return Ok(HashMap::new()),
                Err(e) => return Err(e.into()),
            };
            Ok(rows
                .iter()
                .map(|r| {
                    (
                        (r.get(0), r.get(1), r.get(2)),
                        (r.get(3), r.get(4), r.get(5)),
                    )
                })
                .collect())
        })
        .await
    }
}

/// What a statement did since `before`: all of it when it is new, or when its counters went
/// back (its entry was evicted and made again, or someone reset the view).
fn since(now: &Counters, before: Option<&Counters>) -> Counters {
    match before {
        Some(b) if now.calls >= b.calls => Counters {
            calls: now.calls - b.calls,
            ms: (now.ms - b.ms).max(0.0),
            rows: now.rows - b.rows,
            hit: now.hit - b.hit,
            read: now.read - b.read,
        },
        _ => *now,
    }
}

/// Whether extension version `v` ("1.10") is at least `want`.
fn at_least(v: &str, want: (u32, u32)) -> bool {
    let mut parts = v.split('.').map(|p| p.parse::<u32>().unwrap_or(0));
    (parts.next().unwrap_or(0), parts.next().unwrap_or(0)) >= want
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_compare_as_numbers() {
        assert!(at_least("1.10", (1, 8)));
        assert!(at_least("1.8", (1, 8)));
        assert!(!at_least("1.7", (1, 8)));
    }

    #[test]
    fn counters_that_went_back_count_whole() {
        let before = Counters {
            calls: 10,
            ms: 5.0,
            rows: 10,
            hit: 3,
            read: 1,
        };
        let now = Counters {
            calls: 15,
            ms: 8.0,
            rows: 20,
            hit: 4,
            read: 1,
        };
        let d = since(&now, Some(&before));
        assert_eq!((d.calls, d.rows, d.hit, d.read), (5, 10, 1, 0));
        let reset = Counters {
            calls: 2,
            ms: 1.0,
            rows: 2,
            hit: 0,
            read: 0,
        };
        assert_eq!(since(&reset, Some(&before)).calls, 2);
        assert_eq!(since(&now, None).calls, 15);
    }
}
