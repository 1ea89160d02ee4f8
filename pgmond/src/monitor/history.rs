//! History from a server's stats database (SPEC A5): the `pg_statistics` and `db_creation`
//! tables that the cron collector (or pgmon's own) fills every 10 minutes. They are named with
//! their schema, `public` (where the collector creates them), since pgmon's sessions pin
//! `search_path` to `pg_catalog`.
//!
//! Answers match the Python backend's on the same data: sums as integers (0 when the window is
//! empty), sizes as floats, averages of connections rounded half to even, timestamps in UTC
//! with `+00:00`. The database name from the URL is always a bound parameter.

use chrono::{DateTime, Duration, Utc};
use serde::Serialize;
use serde_json::{Value, json};
use tokio_postgres::Row;
use tokio_postgres::types::ToSql;
use utoipa::ToSchema;

use super::error::MonitorError;
use super::{Monitor, live_db};
use pgmon_common::servers::Server;
use pgmon_common::timestamp::Timestamp;

const GIB: f64 = 1024.0 * 1024.0 * 1024.0;
const MIB: f64 = 1024.0 * 1024.0;
/// The stats database of servers whose entry names none.
const DEFAULT_STATS_DB: &str = "stats_db";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Aggregation {
    Raw,
    Hour,
    FourHour,
    Day,
}

impl Aggregation {
    /// By the window's length in whole days: up to 2 raw, 14 hourly, 90 four-hourly, else daily.
    fn for_days(days: i64) -> Aggregation {
        match days {
            ..=2 => Aggregation::Raw,
            3..=14 => Aggregation::Hour,
            15..=90 => Aggregation::FourHour,
            _ => Aggregation::Day,
        }
    }

    fn name(self) -> &'static str {
        match self {
            Aggregation::Raw => "raw",
            Aggregation::Hour => "hour",
            Aggregation::FourHour => "4hour",
            Aggregation::Day => "day",
        }
    }

    /// The bucket of a row's `ts` (a fixed expression, never built from input).
    fn bucket_sql(self) -> &'static str {
        match self {
            Aggregation::Raw => "ts",
            Aggregation::Hour => "date_trunc('hour', ts)",
            Aggregation::FourHour => "to_timestamp(floor(extract(epoch FROM ts) / 14400) * 14400)",
            Aggregation::Day => "date_trunc('day', ts)",
        }
    }
}

/// The time window of a history request.
#[derive(Clone, Copy, Debug)]
pub struct HistoryWindow {
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    pub aggregation: Aggregation,
}

impl HistoryWindow {
    /// From `start_date`/`end_date` (ISO-8601; `Z`, an offset, or none for UTC). Missing ends
    /// default to the last 7 days.
    pub fn parse(start: Option<&str>, end: Option<&str>) -> Result<HistoryWindow, String> {
        let parse = |name: &str, text: Option<&str>| -> Result<Option<DateTime<Utc>>, String> {
            text.map(|t| {
                Timestamp::parse(t)
                    .map(|ts| ts.as_datetime().with_timezone(&Utc))
                    .ok_or_else(|| format!("Invalid {name}: {t:?} is not an ISO-8601 date"))
            })
            .transpose()
        };
        let (start, end) = (parse("start_date", start)?, parse("end_date", end)?);
        let week = Duration::days(7);
        let (start, end) = match (start, end) {
            (Some(s), Some(e)) => (s, e),
            (Some(s), None) => (s, Utc::now()),
            (None, Some(e)) => (e - week, e),
            (None, None) => {
                let now = Utc::now();
                (now - week, now)
            }
        };
        if start > end {
            return Err("start_date is after end_date".into());
        }
        Ok(HistoryWindow {
            start,
            end,
            aggregation: Aggregation::for_days((end - start).num_days()),
        })
    }
}

#[derive(Serialize, ToSchema)]
pub struct DatabaseEntry {
    name: String,
    exists: bool,
    creation_time: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct ConnectionPoint {
    ts: String,
    datname: String,
    connections: Option<i64>,
    size_gb: Option<f64>,
}

/// `GET /server/{name}/stats`.
#[derive(Serialize, ToSchema)]
pub struct ServerHistory {
    last_stat_update: Option<String>,
    total_connections: i64,
    /// 0 (an integer) for an empty window, else a float.
    #[schema(value_type = f64)]
    total_size_gb: Value,
    databases: Vec<DatabaseEntry>,
    connection_timeline: Vec<ConnectionPoint>,
    aggregation: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    history_error: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct DbPoint {
    ts: String,
    connections: Option<i64>,
    size_mb: Option<f64>,
    commits: Option<i64>,
}

/// `GET /server/{name}/db/{db}/stats`.
#[derive(Serialize, ToSchema)]
pub struct DbHistory {
    last_stat_update: Option<String>,
    total_connections: i64,
    total_commits: i64,
    #[schema(value_type = f64)]
    total_size_mb: Value,
    creation_time: Option<String>,
    max_connections: i64,
    min_connections: i64,
    timeline: Vec<DbPoint>,
    aggregation: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    history_error: Option<String>,
}

/// `GET /server/{name}/db/{db}`.
#[derive(Serialize, ToSchema)]
pub struct DbInfo {
    size_mb: Option<f64>,
    connections: i64,
    commits: i64,
    last_update: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    history_error: Option<String>,
}

fn iso(t: Option<DateTime<Utc>>) -> Option<String> {
    t.map(|t| Timestamp::from_utc(t).to_isoformat())
}

/// `sum / count` rounded half to even, exactly (Python's `round` of the average).
fn round_avg(sum: Option<i64>, count: i64) -> Option<i64> {
    let sum = sum?;
    if count == 0 {
        return None;
    }
    let (q, r) = (sum.div_euclid(count), sum.rem_euclid(count));
    Some(match (2 * r).cmp(&count) {
        std::cmp::Ordering::Greater => q + 1,
        std::cmp::Ordering::Equal if q % 2 != 0 => q + 1,
        _ => q,
    })
}

/// A byte sum in `unit`s: the integer 0 when there were no rows, a float otherwise.
fn scaled_total(sum: Option<i64>, unit: f64) -> Value {
    match sum {
        Some(s) => json!(s as f64 / unit),
        None => json!(0),
    }
}

fn stats_db(server: &Server) -> String {
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
                 FROM public.pg_statistics WHERE ts BETWEEN $1 AND $2
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
                     FROM (SELECT DISTINCT datname FROM public.pg_statistics WHERE ts BETWEEN $1 AND $2) s
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
                aggregation: w.aggregation.name(),
                history_error: None,
            },
            Err(e) => ServerHistory {
                last_stat_update: None,
                total_connections: 0,
                total_size_gb: json!(0),
                databases: Vec::new(),
                connection_timeline: Vec::new(),
                aggregation: w.aggregation.name(),
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
                    })
                    .collect(),
                aggregation: w.aggregation.name(),
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
                aggregation: w.aggregation.name(),
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    /// Half to even, as Python's `round`, computed exactly on integers.
    fn rounding_half_to_even() {
        assert_eq!(round_avg(Some(5), 2), Some(2)); // 2.5 -> 2
        assert_eq!(round_avg(Some(7), 2), Some(4)); // 3.5 -> 4
        assert_eq!(round_avg(Some(10), 4), Some(2)); // 2.5 -> 2
        assert_eq!(round_avg(Some(11), 4), Some(3)); // 2.75 -> 3
        assert_eq!(round_avg(Some(9), 4), Some(2)); // 2.25 -> 2
        assert_eq!(round_avg(Some(0), 3), Some(0));
        assert_eq!(round_avg(None, 0), None);
    }

    #[test]
    /// Window defaults, `Z` and offsets, naive dates as UTC, bad dates refused, and the
    /// aggregation chosen by whole days.
    fn windows() {
        let w = HistoryWindow::parse(None, None).unwrap();
        assert_eq!((w.end - w.start).num_days(), 7);
        assert_eq!(w.aggregation, Aggregation::Hour);
        let w = HistoryWindow::parse(
            Some("2026-10-31T03:00:00+03:00"),
            Some("2026-10-31T05:00:00+03:00"),
        )
        .unwrap();
        assert_eq!(w.start.to_rfc3339(), "2026-10-31T00:00:00+00:00");
        assert_eq!(w.aggregation, Aggregation::Raw);
        let w = HistoryWindow::parse(Some("2026-10-31T00:00:00"), Some("2026-11-01T00:00:00Z"))
            .unwrap();
        assert_eq!(w.start.to_rfc3339(), "2026-10-31T00:00:00+00:00");
        for (days, agg) in [
            (2, "raw"),
            (3, "hour"),
            (14, "hour"),
            (15, "4hour"),
            (90, "4hour"),
            (91, "day"),
        ] {
            assert_eq!(Aggregation::for_days(days).name(), agg, "{days}");
        }
        assert!(
            HistoryWindow::parse(Some("not-a-date"), None)
                .unwrap_err()
                .contains("not-a-date")
        );
        assert!(
            HistoryWindow::parse(Some("2026-11-02T00:00:00Z"), Some("2026-11-01T00:00:00Z"))
                .is_err()
        );
    }
}
