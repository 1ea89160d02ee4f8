//! History read live from a server's legacy stats database (SPEC A5): the `pg_statistics` and
//! `db_creation` tables that the old cron collector fills every 10 minutes. pgmon answers from
//! them only until its own store has imported them (`collector::legacy`). They are named with
//! their schema, `public` (where the collector creates them), since pgmon's sessions pin
//! `search_path` to `pg_catalog`.
//!
//! Answers match the Python backend's on the same data: sums as integers (0 when the window is
//! empty), sizes as floats, averages of connections rounded half to even, timestamps in UTC
//! with `+00:00`. The database name from the URL is always a bound parameter.

use pgmon_common::api::history::{
    ConnectionPoint, DatabaseEntry, DbHistory, DbInfo, DbPoint, ServerHistory,
};
use pgmon_common::servers::Server;
use serde_json::json;
use tokio_postgres::Row;
use tokio_postgres::types::ToSql;

use super::error::MonitorError;
use super::{Monitor, live_db};
use crate::history::answers::{GIB, MIB, scaled_total};
use crate::history::window::{HistoryWindow, iso, round_avg};
/// The stats database of servers whose entry names none.
const DEFAULT_STATS_DB: &str = "stats_db";

pub fn stats_db(server: &Server) -> String {
    server
        .stats_db
        .clone()
        .unwrap_or_else(|| DEFAULT_STATS_DB.to_owned())
}

impl Monitor {
    pub async fn server_history(&self, server: &Server, w: HistoryWindow) -> ServerHistory {
        let db = stats_db(server);
        let read = self.with_client(server, &db, |c| async move {
            let bucket = w.aggregation.bucket_sql();
            let timeline_sql = format!(
                "SELECT {bucket}, datname, sum(numbackends)::int8, count(numbackends), max(db_size)
                 FROM public.pg_statistics WHERE ts BETWEEN $1 AND $2 AND datname IS NOT NULL
                 GROUP BY 1, 2 ORDER BY 1, 2"
            );
            let range: [&(dyn ToSql + Sync); 2] = [&w.start, &w.end];
            let (last, totals, dbs, timeline) = tokio::try_join!(
                c.query_one("SELECT max(ts) FROM public.pg_statistics", &[]),
                c.query_one(
                    "SELECT sum(numbackends)::int8, sum(db_size)::int8
                     FROM public.pg_statistics WHERE ts BETWEEN $1 AND $2",
                    &range
                ),
                c.query(
                    "SELECT s.datname, c.creation_time,
                            EXISTS (SELECT 1 FROM pg_database d WHERE d.datname = s.datname)
                     FROM (SELECT DISTINCT datname FROM public.pg_statistics
                           WHERE ts BETWEEN $1 AND $2 AND datname IS NOT NULL) s
                     LEFT JOIN public.db_creation c ON c.datname = s.datname
                     ORDER BY s.datname",
                    &range
                ),
                c.query(timeline_sql.as_str(), &range),
            )?;
            Ok((last, totals, dbs, timeline))
        });
        match read.await {
            Ok((last, totals, dbs, timeline)) => ServerHistory {
                last_stat_update: iso(last.get(0)),
                total_connections: totals.get::<_, Option<i64>>(0).unwrap_or(0),
                total_size_gb: scaled_total(totals.get(1), GIB),
                databases: dbs
                    .iter()
                    .map(|r| DatabaseEntry {
                        name: r.get(0),
                        creation_time: iso(r.get(1)),
                        exists: r.get(2),
                    })
                    .collect(),
                connection_timeline: timeline.iter().map(connection_point).collect(),
                aggregation: w.aggregation.name().into(),
                history_error: None,
            },
            Err(e) => ServerHistory {
                last_stat_update: None,
                total_connections: 0,
                total_size_gb: json!(0),
                databases: Vec::new(),
                connection_timeline: Vec::new(),
                aggregation: w.aggregation.name().into(),
                history_error: Some(history_error(&db, &e)),
            },
        }
    }

    pub async fn db_history(&self, server: &Server, datname: &str, w: HistoryWindow) -> DbHistory {
        let db = stats_db(server);
        let read = self.with_client(server, &db, |c| async move {
            let bucket = w.aggregation.bucket_sql();
            let timeline_sql = format!(
                "SELECT {bucket}, sum(numbackends)::int8, count(numbackends), max(db_size), sum(xact_commit)::int8
                 FROM public.pg_statistics WHERE datname = $1 AND ts BETWEEN $2 AND $3
                 GROUP BY 1 ORDER BY 1"
            );
            let name: [&(dyn ToSql + Sync); 1] = [&datname];
            let range: [&(dyn ToSql + Sync); 3] = [&datname, &w.start, &w.end];
            let (last, totals, created, timeline) = tokio::try_join!(
                c.query_one("SELECT max(ts) FROM public.pg_statistics WHERE datname = $1", &name),
                c.query_one(
                    "SELECT sum(numbackends)::int8, sum(xact_commit)::int8, sum(db_size)::int8,
                            max(numbackends)::int8, min(numbackends)::int8
                     FROM public.pg_statistics WHERE datname = $1 AND ts BETWEEN $2 AND $3",
                    &range
                ),
                c.query_opt("SELECT creation_time FROM public.db_creation WHERE datname = $1", &name),
                c.query(timeline_sql.as_str(), &range),
            )?;
            Ok((last, totals, created, timeline))
        });
        match read.await {
            Ok((last, totals, created, timeline)) => DbHistory {
                last_stat_update: iso(last.get(0)),
                total_connections: totals.get::<_, Option<i64>>(0).unwrap_or(0),
                total_commits: totals.get::<_, Option<i64>>(1).unwrap_or(0),
                total_size_mb: scaled_total(totals.get(2), MIB),
                creation_time: created.and_then(|r| iso(r.get(0))),
                max_connections: totals.get::<_, Option<i64>>(3).unwrap_or(0),
                min_connections: totals.get::<_, Option<i64>>(4).unwrap_or(0),
                timeline: timeline
                    .iter()
                    .map(|r| DbPoint {
                        ts: iso(Some(r.get(0))).unwrap_or_default(),
                        connections: round_avg(r.get(1), r.get(2)),
                        size_mb: r.get::<_, Option<i64>>(3).map(|s| s as f64 / MIB),
                        commits: r.get(4),
                        frozen_xid_age: None,
                        increases: Default::default(),
                    })
                    .collect(),
                aggregation: w.aggregation.name().into(),
                history_error: None,
            },
            Err(e) => DbHistory {
                last_stat_update: None,
                total_connections: 0,
                total_commits: 0,
                total_size_mb: json!(0),
                creation_time: None,
                max_connections: 0,
                min_connections: 0,
                timeline: Vec::new(),
                aggregation: w.aggregation.name().into(),
                history_error: Some(history_error(&db, &e)),
            },
        }
    }

    /// The latest sized row of `datname`; without history, its live size; `None` for a database
    /// found in neither. When the server cannot be asked at all, the answer says why in
    /// `history_error` rather than failing.
    pub async fn db_info(&self, server: &Server, datname: &str) -> Option<DbInfo> {
        let db = stats_db(server);
        let latest = self
            .with_client(server, &db, |c| async move {
                Ok(c.query_opt(
                    "SELECT db_size, numbackends, xact_commit, ts FROM public.pg_statistics
                     WHERE datname = $1 AND db_size IS NOT NULL ORDER BY ts DESC LIMIT 1",
                    &[&datname],
                )
                .await?)
            })
            .await;
        let history_error = match latest {
            Ok(Some(r)) => {
                return Some(DbInfo {
                    size_mb: r.get::<_, Option<i64>>(0).map(|s| s as f64 / MIB),
                    connections: r.get::<_, Option<i32>>(1).map(i64::from).unwrap_or(0),
                    commits: r.get::<_, Option<i64>>(2).unwrap_or(0),
                    last_update: iso(r.get(3)),
                    history_error: None,
                });
            }
            Ok(None) => None,
            Err(e) => Some(history_error(&db, &e)),
        };
        self.live_db_info(server, datname, history_error).await
    }

    /// `GET /server/{name}/db/{db}` without history: the live size, or `None` for a database
    /// the server does not have. `history_error` says why there was no history, if it failed.
    pub async fn live_db_info(
        &self,
        server: &Server,
        datname: &str,
        history_error: Option<String>,
    ) -> Option<DbInfo> {
        // pg_database is cluster-wide: when the stats database itself is the problem, ask
        // through `postgres` instead.
        let live_db = match history_error {
            Some(_) => "postgres",
            None => live_db(server),
        };
        let live = self
            .with_client(server, live_db, |c| async move {
                Ok(c.query_opt(
                    "SELECT pg_database_size(oid) FROM pg_database WHERE datname = $1",
                    &[&datname],
                )
                .await?)
            })
            .await;
        let unknown = |history_error| DbInfo {
            size_mb: None,
            connections: 0,
            commits: 0,
            last_update: None,
            history_error,
        };
        match live {
            Ok(Some(r)) => Some(DbInfo {
                size_mb: Some(r.get::<_, i64>(0) as f64 / MIB),
                ..unknown(history_error)
            }),
            Ok(None) if history_error.is_none() => None,
            Ok(None) => Some(unknown(history_error)),
            Err(e) => Some(unknown(Some(history_error.unwrap_or_else(|| e.status())))),
        }
    }
}

fn connection_point(r: &Row) -> ConnectionPoint {
    ConnectionPoint {
        ts: iso(Some(r.get(0))).unwrap_or_default(),
        datname: r.get(1),
        connections: round_avg(r.get(2), r.get(3)),
        size_gb: r.get::<_, Option<i64>>(4).map(|s| s as f64 / GIB),
    }
}

fn history_error(db: &str, e: &MonitorError) -> String {
    tracing::debug!(stats_db = db, error = %e, "history unavailable");
    format!("stats database {db}: {}", e.reason())
}
