//! The embedded store's raw samples read back as the collector recorded them, for a migration
//! to or from the shared store (`pgmonctl store migrate`). Hourly rollups (samples older than
//! the raw retention) and rows imported from legacy `stats_db` tables are not samples and are
//! not read here.

use std::collections::HashMap;

use rusqlite::params;

use super::block;
use super::embedded::Embedded;
use super::{Connections, DbObservation, HistoryError, Observed, ServerSample};

const MICROS: i64 = 1_000_000;

impl Embedded {
    /// The names of the servers the store has history of.
    pub fn server_names(&self) -> Result<Vec<String>, HistoryError> {
        self.read(|tx| {
            let mut stmt = tx.prepare("SELECT name FROM server ORDER BY name")?;
            stmt.query_map([], |r| r.get(0))?.collect()
        })
    }

    /// Up to `limit` samples of `server` taken after `after` (seconds), oldest first.
    pub fn raw_samples(
        &self,
        server: &str,
        after: i64,
        limit: i64,
    ) -> Result<Vec<ServerSample>, HistoryError> {
        self.read(|tx| {
            let Some((id, freeze_max_age)) = tx
                .query_row(
                    "SELECT id, freeze_max_age FROM server WHERE name = ?1",
                    [server],
                    |r| Ok((r.get::<_, i64>(0)?, r.get::<_, Option<i64>>(1)?)),
                )
                .map(Some)
                .or_else(|e| match e {
                    rusqlite::Error::QueryReturnedNoRows => Ok(None),
                    e => Err(e),
                })?
            else {
                return Ok(Vec::new());
            };
            let mut stmt = tx.prepare(
                "SELECT ts, duration_ms, error, active, idle, idle_in_transaction, other,
                        max_connections, disk_free, disk_total
                 FROM server_sample WHERE server_id = ?1 AND ts > ?2 ORDER BY ts LIMIT ?3",
            )?;
            #[allow(clippy::type_complexity)]
            let rows: Vec<(i64, i64, Option<String>, [Option<i64>; 7])> = stmt
                .query_map(params![id, after, limit], |r| {
                    let mut n = [None; 7];
                    for (i, v) in n.iter_mut().enumerate() {
                        *v = r.get(3 + i)?;
                    }
                    Ok((r.get(0)?, r.get(1)?, r.get(2)?, n))
                })?
                .collect::<rusqlite::Result<_>>()?;
            let (Some(first), Some(last)) = (rows.first().map(|r| r.0), rows.last().map(|r| r.0))
            else {
                return Ok(Vec::new());
            };
            // Each database's samples in the span, by second.
            let mut dbs = tx.prepare(
                "SELECT id, datname, oid, created FROM database WHERE server_id = ?1 ORDER BY datname",
            )?;
            let databases: Vec<(i64, String, Option<i64>, Option<i64>)> = dbs
                .query_map([id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?
                .collect::<rusqlite::Result<_>>()?;
            let mut blocks = tx.prepare(
                "SELECT ts, data FROM db_block WHERE db_id = ?1 AND ts <= ?3
                   AND ts >= coalesce((SELECT max(ts) FROM db_block
                                       WHERE db_id = ?1 AND ts <= ?2), 0)
                 ORDER BY ts",
            )?;
            let mut at: HashMap<i64, Vec<DbObservation>> = HashMap::new();
            for (db_id, datname, oid, created) in &databases {
                let found: Vec<(i64, Vec<u8>)> = blocks
                    .query_map(params![db_id, first, last], |r| Ok((r.get(0)?, r.get(1)?)))?
                    .collect::<rusqlite::Result<_>>()?;
                for (key, data) in found {
                    let samples = block::decode(key, &data).map_err(super::embedded::corrupt)?;
                    for s in samples {
                        let second = s.seconds();
                        if second < first || second > last || s.t_us != second * MICROS {
                            continue;
                        }
                        at.entry(second).or_default().push(DbObservation {
                            oid: oid.unwrap_or_default(),
                            datname: datname.clone(),
                            created_us: *created,
                            figures: s.figures(true),
                        });
                    }
                }
            }
            Ok(rows
                .into_iter()
                .map(|(ts, duration_ms, error, n)| ServerSample {
                    server: server.to_owned(),
                    at: ts,
                    duration_ms: duration_ms.max(0) as u64,
                    outcome: match error {
                        Some(e) => Err(e),
                        None => Ok(Observed {
                            connections: Connections {
                                active: n[0].unwrap_or(0),
                                idle: n[1].unwrap_or(0),
                                idle_in_transaction: n[2].unwrap_or(0),
                                other: n[3].unwrap_or(0),
                            },
                            max_connections: n[4].unwrap_or(0),
                            freeze_max_age,
                            disk: n[5].zip(n[6]),
                            databases: at.remove(&ts).unwrap_or_default(),
                        }),
                    },
                })
                .collect())
        })
    }
}
