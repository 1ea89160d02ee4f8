//! The import of a server's legacy `stats_db` (the old cron collector's `pg_statistics` and
//! `db_creation`), read-only and incremental: each pass takes the rows after the store's cursor,
//! a page at a time, each page stored with the cursor in one transaction, so an interrupted
//! pass resumes where it stopped and no row is taken twice.

use chrono::{DateTime, Utc};

use crate::history::{HistoryError, HistoryStore, LegacyBatch, LegacyRow};
use crate::monitor::legacy_history::stats_db;
use crate::monitor::{Monitor, MonitorError};
use pgmon_common::servers::Server;

/// Rows per page: a few seconds of work at most, so shutdown and new samples do not wait long.
const PAGE: i64 = 20_000;
/// A page of legacy rows is read within this long (a large stats database, a busy server).
const PAGE_DEADLINE: std::time::Duration = std::time::Duration::from_secs(60);

#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// The server has no legacy stats database or tables (the usual case for new servers).
    #[error("no legacy history: {0}")]
    Absent(String),
    #[error("{0}")]
    Server(MonitorError),
    #[error(transparent)]
    Store(#[from] HistoryError),
}

impl From<MonitorError> for ImportError {
    fn from(e: MonitorError) -> ImportError {
        match e.sqlstate() {
            // invalid_catalog_name (no such database), undefined_table, insufficient_privilege
            // (tables this role may not read are no history of its).
            Some("3D000" | "42P01" | "42501") => ImportError::Absent(e.reason()),
            _ => ImportError::Server(e),
        }
    }
}

/// One pass: every legacy row newer than the cursor. Returns the rows taken.
pub async fn import_pass(
    monitor: &Monitor,
    store: &HistoryStore,
    server: &Server,
) -> Result<u64, ImportError> {
    let db = stats_db(server);
    let mut cursor = store.legacy_cursor(&server.name).await?;
    let mut taken = 0;
    let mut first = true;
    loop {
        let after = cursor.unwrap_or((i64::MIN, i64::MIN));
        let page = monitor
            .with_client_within(PAGE_DEADLINE, server, &db, |c| async move {
                // Before any cursor, from the start of the epoch: no collector ran earlier.
                let after_ts =
                    DateTime::<Utc>::from_timestamp_micros(after.0).unwrap_or(DateTime::UNIX_EPOCH);
                let rows = c
                    .query(
                        "SELECT id::int8, ts, datname, numbackends::int8, xact_commit::int8,
                                db_size::int8
                         FROM public.pg_statistics
                         WHERE ts >= $1 AND (ts > $1 OR id::int8 > $2)
                           AND id IS NOT NULL AND datname IS NOT NULL
                         ORDER BY ts, id
                         LIMIT $3",
                        &[&after_ts, &after.1, &PAGE],
                    )
                    .await?;
                // Creation times are few; they come with the first page of each pass.
                let creations = if first {
                    c.query(
                        "SELECT datname::text, creation_time, oid::int8 FROM public.db_creation
                         WHERE datname IS NOT NULL AND creation_time IS NOT NULL",
                        &[],
                    )
                    .await?
                } else {
                    Vec::new()
                };
                Ok((rows, creations))
            })
            .await?;
        first = false;
        let (rows, creations) = page;
        let full = rows.len() as i64 == PAGE;
        let batch = LegacyBatch {
            rows: rows
                .iter()
                .map(|r| LegacyRow {
                    id: r.get(0),
                    t_us: r.get::<_, DateTime<Utc>>(1).timestamp_micros(),
                    datname: r.get(2),
                    numbackends: r.get(3),
                    xact_commit: r.get(4),
                    size: r.get(5),
                })
                .collect(),
            creations: creations
                .iter()
                .map(|r| {
                    (
                        r.get(0),
                        r.get::<_, DateTime<Utc>>(1).timestamp_micros(),
                        r.get::<_, Option<i64>>(2).filter(|oid| *oid != 0),
                    )
                })
                .collect(),
        };
        taken += batch.rows.len() as u64;
        cursor = batch.rows.last().map(|r| (r.t_us, r.id)).or(cursor);
        if !batch.rows.is_empty() || !batch.creations.is_empty() {
            store.import(&server.name, batch).await?;
        }
        if !full {
            return Ok(taken);
        }
    }
}
