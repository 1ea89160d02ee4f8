//! Health-check findings in the store (schema 4): each run's findings merged into the open
//! ones (same server, database, kind and object: `last_seen` moves), the open ones a run
//! decided and did not find again resolved, and each server's last run.

use std::collections::HashMap;

use pgmon_common::api::checks::{CheckError, CheckFinding, CheckKind, ServerChecks};
use rusqlite::{OptionalExtension, Transaction, params};

use super::HistoryError;
use super::embedded::{Embedded, server_id};
use super::window::iso;
use crate::checks::Found;

/// What one database (or, with `database` `None`, the server itself) gave in a run.
pub struct Checked {
    pub database: Option<String>,
    pub found: Vec<Found>,
    /// The kinds that were decided there: their open findings not found again are resolved.
    pub decided: Vec<CheckKind>,
}

/// A whole run of a server.
pub struct CheckRecord {
    /// Milliseconds since the epoch.
    pub ran_at: i64,
    pub duration_ms: u64,
    pub checked: Vec<Checked>,
    pub errors: Vec<CheckError>,
}

fn time(ms: i64) -> String {
    iso(chrono::DateTime::from_timestamp_millis(ms)).unwrap_or_default()
}

fn text<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_value(v)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

fn merge(tx: &Transaction<'_>, server: i64, run: &CheckRecord) -> rusqlite::Result<()> {
    for checked in &run.checked {
        let database = checked.database.clone().unwrap_or_default();
        for f in &checked.found {
            let (kind, severity) = (text(&f.kind), text(&f.severity));
            let figures = serde_json::Value::Object(f.figures.clone()).to_string();
            let open: Option<i64> = tx
                .prepare_cached(
                    "SELECT id FROM check_finding WHERE server_id = ?1 AND database = ?2
                         AND kind = ?3 AND object = ?4 AND resolved IS NULL",
                )?
                .query_row(params![server, database, kind, f.object], |r| r.get(0))
                .optional()?;
            match open {
                Some(id) => tx
                    .prepare_cached(
                        "UPDATE check_finding SET severity = ?2, figures = ?3, fix = ?4,
                             last_seen = ?5 WHERE id = ?1",
                    )?
                    .execute(params![id, severity, figures, f.fix, run.ran_at])?,
                None => tx
                    .prepare_cached(
                        "INSERT INTO check_finding (server_id, database, kind, object, severity,
                             figures, fix, first_seen, last_seen)
                         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?8)",
                    )?
                    .execute(params![
                        server, database, kind, f.object, severity, figures, f.fix, run.ran_at
                    ])?,
            };
        }
        for kind in &checked.decided {
            tx.prepare_cached(
                "UPDATE check_finding SET resolved = ?4 WHERE server_id = ?1 AND database = ?2
                     AND kind = ?3 AND resolved IS NULL AND last_seen < ?4",
            )?
            .execute(params![server, database, text(kind), run.ran_at])?;
        }
    }
    tx.prepare_cached(
        "INSERT INTO check_run (server_id, ran_at, duration_ms, errors) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT (server_id) DO UPDATE SET ran_at = excluded.ran_at,
             duration_ms = excluded.duration_ms, errors = excluded.errors",
    )?
    .execute(params![
        server,
        run.ran_at,
        run.duration_ms as i64,
        serde_json::to_string(&run.errors).unwrap_or_else(|_| "[]".into())
    ])?;
    Ok(())
}

/// The findings of the servers whose ids are given (all when `None`), open ones only unless
/// `resolved`, most severe first, with each server's last run.
fn findings(
    tx: &Transaction<'_>,
    server: Option<i64>,
    resolved: bool,
) -> rusqlite::Result<HashMap<String, ServerChecks>> {
    let mut out: HashMap<String, ServerChecks> = HashMap::new();
    let mut runs = tx.prepare(
        "SELECT s.name, r.ran_at, r.duration_ms, r.errors FROM check_run r
         JOIN server s ON s.id = r.server_id WHERE ?1 IS NULL OR r.server_id = ?1",
    )?;
    let rows = runs.query_map([server], |r| {
        Ok((
            r.get::<_, String>(0)?,
            r.get::<_, i64>(1)?,
            r.get::<_, i64>(2)?,
            r.get::<_, String>(3)?,
        ))
    })?;
    for row in rows {
        let (name, ran_at, duration, errors) = row?;
        out.insert(
            name,
            ServerChecks {
                checks: Vec::new(),
                ran_at: Some(time(ran_at)),
                duration_ms: u64::try_from(duration).ok(),
                errors: serde_json::from_str(&errors).unwrap_or_default(),
            },
        );
    }
    let mut list = tx.prepare(
        "SELECT s.name, f.database, f.kind, f.object, f.severity, f.figures, f.fix,
                f.first_seen, f.last_seen, f.resolved
         FROM check_finding f JOIN server s ON s.id = f.server_id
         WHERE (?1 IS NULL OR f.server_id = ?1) AND (?2 OR f.resolved IS NULL)
         ORDER BY f.first_seen",
    )?;
    let rows = list.query_map(params![server, resolved], |r| {
        let field = |i: usize| -> rusqlite::Result<serde_json::Value> {
            Ok(serde_json::Value::String(r.get(i)?))
        };
        let database: String = r.get(1)?;
        let figures: String = r.get(5)?;
        let finding = (|| {
            Some(CheckFinding {
                server: None,
                kind: serde_json::from_value(field(2).ok()?).ok()?,
                severity: serde_json::from_value(field(4).ok()?).ok()?,
                database: (!database.is_empty()).then_some(database),
                object: r.get(3).ok()?,
                figures: serde_json::from_str(&figures).unwrap_or_default(),
                fix: r.get(6).ok()?,
                first_seen: time(r.get(7).ok()?),
                last_seen: time(r.get(8).ok()?),
                resolved_at: r.get::<_, Option<i64>>(9).ok()?.map(time),
            })
        })();
        Ok((r.get::<_, String>(0)?, finding))
    })?;
    for row in rows {
        // A row this pgmond cannot read (a kind of a newer one) is passed over.
        if let (name, Some(finding)) = row? {
            out.entry(name).or_default().checks.push(finding);
        }
    }
    // Open first, most severe first; the query's order (first seen) among equals.
    for checks in out.values_mut() {
        checks.checks.sort_by(|a, b| {
            (
                a.resolved_at.is_some(),
                std::cmp::Reverse(a.severity),
                &a.database,
                a.kind,
                &a.object,
            )
                .cmp(&(
                    b.resolved_at.is_some(),
                    std::cmp::Reverse(b.severity),
                    &b.database,
                    b.kind,
                    &b.object,
                ))
        });
    }
    Ok(out)
}

impl Embedded {
    /// Merges a run of `server` and answers its open findings.
    pub fn record_checks(
        &self,
        server: &str,
        run: &CheckRecord,
    ) -> Result<ServerChecks, HistoryError> {
        let id = self.write(|tx| {
            let id = server_id(tx, server)?;
            merge(tx, id, run)?;
            Ok(id)
        })?;
        self.read(|tx| findings(tx, Some(id), false))
            .map(|mut all| all.remove(server).unwrap_or_default())
    }

    /// `server`'s findings (with the resolved ones when asked), and its last run.
    pub fn server_checks(
        &self,
        server: &str,
        resolved: bool,
    ) -> Result<ServerChecks, HistoryError> {
        self.read(|tx| {
            let id: Option<i64> = tx
                .query_row("SELECT id FROM server WHERE name = ?1", [server], |r| {
                    r.get(0)
                })
                .optional()?;
            match id {
                Some(id) => Ok(findings(tx, Some(id), resolved)?
                    .remove(server)
                    .unwrap_or_default()),
                None => Ok(ServerChecks::default()),
            }
        })
    }

    /// Every server's findings (open ones only unless `resolved`) and last run.
    pub fn all_checks(
        &self,
        resolved: bool,
    ) -> Result<HashMap<String, ServerChecks>, HistoryError> {
        self.read(|tx| findings(tx, None, resolved))
    }

    /// Forgets findings resolved before `cutoff_ms`.
    pub fn forget_resolved_checks(&self, cutoff_ms: i64) -> Result<usize, HistoryError> {
        self.write(|tx| {
            tx.execute(
                "DELETE FROM check_finding WHERE resolved IS NOT NULL AND resolved < ?1",
                [cutoff_ms],
            )
        })
    }
}
