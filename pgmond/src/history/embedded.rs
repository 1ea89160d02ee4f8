//! The embedded history store: one SQLite file in the config dir.
//!
//! SQLite because it is one file beside the JSON config, needs no server, and its WAL mode lets
//! the API read while the collector writes; `synchronous = FULL` makes every committed sample
//! durable, so a crash loses at most the sample in flight. The file is identified by its
//! `application_id` and versioned by `user_version`: a file that is not a store, or one written
//! by a newer pgmond, is refused before anything is written to it.
//!
//! Every method blocks; `HistoryStore` runs them on the blocking pool.

use std::collections::HashMap;
use std::ops::ControlFlow;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Duration;

use pgmon_common::api::history::DatabaseEntry;
use rusqlite::{Connection, OpenFlags, OptionalExtension, Transaction, params};

use super::analysis::{DbFacts, FactWindows};
use super::answers::{self, Buckets, Figures, INCREASES};
use super::block::{self, BLOCK_BYTES, Sample};
use super::window::HistoryWindow;
use super::window::iso_micros;
use super::{DbObservation, HistoryError, LegacyBatch, ServerSample, StoredDatabase};

const APPLICATION_ID: i32 = 0x7067_6d6e; // "pgmn"
/// Each entry takes the schema from its index to the next, by its SQL and then, where data
/// must be rewritten, a function; `user_version` counts those applied.
type Migration = (
    &'static str,
    Option<fn(&Transaction<'_>) -> rusqlite::Result<()>>,
);
const MIGRATIONS: &[Migration] = &[
    (include_str!("schema.sql"), None),
    (include_str!("schema_2.sql"), None),
    (include_str!("schema_3.sql"), Some(pack_samples)),
    (include_str!("schema_4.sql"), None),
    (include_str!("schema_5.sql"), None),
];
const MICROS: i64 = 1_000_000;
const HOUR: i64 = 3_600;

pub struct Embedded {
    path: PathBuf,
    writer: Mutex<Connection>,
    /// Idle read connections; WAL readers see a consistent snapshot and never wait for the
    /// writer.
    readers: Mutex<Vec<Connection>>,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// Refuses a file that is not a pgmon store, or is one from a newer schema, opening it read-only
/// so that it is left exactly as it was.
fn check_existing(path: &Path) -> Result<(), HistoryError> {
    let empty = std::fs::metadata(path).map_or(true, |m| m.len() == 0);
    if empty {
        return Ok(());
    }
    let not_a_store = |why: String| HistoryError::NotAStore(path.to_owned(), why);
    let conn = Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY)
        .map_err(|e| not_a_store(e.to_string()))?;
    let read = |pragma: &str| -> Result<i64, HistoryError> {
        conn.query_row(&format!("PRAGMA {pragma}"), [], |r| r.get(0))
            .map_err(|e| not_a_store(e.to_string()))
    };
    let (app, version) = (read("application_id")?, read("user_version")?);
    let tables: i64 = conn
        .query_row("SELECT count(*) FROM sqlite_master", [], |r| r.get(0))
        .map_err(|e| not_a_store(e.to_string()))?;
    if app != i64::from(APPLICATION_ID) && !(app == 0 && version == 0 && tables == 0) {
        return Err(not_a_store(format!(
            "an SQLite database of something else (application_id {app})"
        )));
    }
    if version > MIGRATIONS.len() as i64 {
        return Err(HistoryError::Newer {
            path: path.to_owned(),
            found: version,
            known: MIGRATIONS.len() as i64,
        });
    }
    Ok(())
}

fn configure(conn: &Connection) -> rusqlite::Result<()> {
    conn.busy_timeout(Duration::from_secs(10))?;
    conn.pragma_update(None, "synchronous", "FULL")?;
    Ok(())
}

fn migrate(conn: &mut Connection) -> Result<(), HistoryError> {
    let tx = conn.transaction()?;
    let version: i64 = tx.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    for (i, (sql, then)) in MIGRATIONS.iter().enumerate().skip(version as usize) {
        tx.execute_batch(sql)?;
        if let Some(then) = then {
            then(&tx)?;
        }
        tx.pragma_update(None, "user_version", i as i64 + 1)?;
        tracing::info!(version = i + 1, "history store schema migrated");
    }
    tx.commit()?;
    Ok(())
}

/// `Figures` to and from the columns of `db_hourly` after `(db_id, hour)`.
const HOURLY_COLUMNS: &str = "nb_n, nb_sum, nb_min, nb_max, size_n, size_sum, size_max, \
     commit_n, commit_sum, age_max, rollbacks, blks_read, blks_hit, tup_returned, tup_fetched, \
     tup_inserted, tup_updated, tup_deleted, temp_files, temp_bytes, deadlocks";
/// The columns of schema 2's `db_sample` after `(db_id, ts, us)`, in `block::Sample` order.
const SAMPLE_COLUMNS: &str = "numbackends, xact_commit, size, frozen_age, rollbacks, blks_read, \
     blks_hit, tup_returned, tup_fetched, tup_inserted, tup_updated, tup_deleted, temp_files, \
     temp_bytes, deadlocks";

/// Schema 3: schema 2's row per sample packed into blocks, a database at a time.
fn pack_samples(tx: &Transaction<'_>) -> rusqlite::Result<()> {
    let mut stmt = tx.prepare(&format!(
        "SELECT db_id, ts * 1000000 + us, {SAMPLE_COLUMNS} FROM db_sample ORDER BY db_id, ts, us"
    ))?;
    let mut rows = stmt.query([])?;
    let mut current: Option<(i64, Vec<Sample>)> = None;
    while let Some(r) = rows.next()? {
        let db_id: i64 = r.get(0)?;
        let mut values = [None; block::VALUES];
        for (i, v) in values.iter_mut().enumerate() {
            *v = r.get(2 + i)?;
        }
        let sample = Sample {
            t_us: r.get(1)?,
            values,
        };
        match &mut current {
            Some((id, samples)) if *id == db_id && block::encode(samples).len() < BLOCK_BYTES => {
                samples.push(sample)
            }
            _ => {
                if let Some((id, samples)) = current.replace((db_id, vec![sample])) {
                    write_block(tx, id, &samples)?;
                }
            }
        }
    }
    if let Some((id, samples)) = current {
        write_block(tx, id, &samples)?;
    }
    tx.execute_batch("DROP TABLE db_sample")
}

fn increases_from(r: &rusqlite::Row<'_>, first: usize) -> rusqlite::Result<[Option<i64>; 11]> {
    let mut out = [None; INCREASES.len()];
    for (i, v) in out.iter_mut().enumerate() {
        *v = r.get(first + i)?;
    }
    Ok(out)
}

fn hourly_figures(r: &rusqlite::Row<'_>, first: usize) -> rusqlite::Result<Figures> {
    Ok(Figures {
        nb_n: r.get(first)?,
        nb_sum: r.get(first + 1)?,
        nb_min: r.get(first + 2)?,
        nb_max: r.get(first + 3)?,
        size_n: r.get(first + 4)?,
        size_sum: r.get(first + 5)?,
        size_max: r.get(first + 6)?,
        commit_n: r.get(first + 7)?,
        commit_sum: r.get(first + 8)?,
        age_max: r.get(first + 9)?,
        increases: answers::boxed(increases_from(r, first + 10)?),
    })
}

/// Adds `f` to the hourly rollup of `db_id` at `hour`.
fn merge_hourly(tx: &Transaction<'_>, db_id: i64, hour: i64, f: &Figures) -> rusqlite::Result<()> {
    let existing = tx
        .query_row(
            &format!("SELECT {HOURLY_COLUMNS} FROM db_hourly WHERE db_id = ?1 AND hour = ?2"),
            params![db_id, hour],
            |r| hourly_figures(r, 0),
        )
        .optional()?;
    let mut total = existing.unwrap_or_default();
    total.add(f);
    tx.prepare_cached(&format!(
        "INSERT OR REPLACE INTO db_hourly (db_id, hour, {HOURLY_COLUMNS})
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18,
                 ?19, ?20, ?21, ?22, ?23)"
    ))?
    .execute(rusqlite::params_from_iter(
        [
            Some(db_id),
            Some(hour),
            Some(total.nb_n),
            Some(total.nb_sum),
            total.nb_min,
            total.nb_max,
            Some(total.size_n),
            Some(total.size_sum),
            total.size_max,
            Some(total.commit_n),
            Some(total.commit_sum),
            total.age_max,
        ]
        .into_iter()
        .chain(total.all_increases()),
    ))?;
    Ok(())
}

/// Renames the history of `name` to one no server can have (`~retired~<time>~<name>`: a `~`
/// is refused in names).
fn retire(tx: &Transaction<'_>, name: &str, now: i64) -> rusqlite::Result<()> {
    tx.execute(
        "UPDATE server SET name = '~retired~' || ?2 || '~' || name WHERE name = ?1",
        rusqlite::params![name, now],
    )?;
    Ok(())
}

pub(super) fn server_id(tx: &Transaction<'_>, name: &str) -> rusqlite::Result<i64> {
    tx.prepare_cached("INSERT INTO server (name) VALUES (?1) ON CONFLICT (name) DO NOTHING")?
        .execute([name])?;
    tx.prepare_cached("SELECT id FROM server WHERE name = ?1")?
        .query_row([name], |r| r.get(0))
}

/// Records one sample in `tx`.
fn record_in(tx: &Transaction<'_>, s: &ServerSample) -> rusqlite::Result<()> {
    let server = server_id(tx, &s.server)?;
    let (ok, error) = match &s.outcome {
        Ok(o) => (Some(o), None),
        Err(e) => (None, Some(e.as_str())),
    };
    let c = ok.map(|o| o.connections);
    tx.prepare_cached(
        "INSERT OR IGNORE INTO server_sample (server_id, ts, duration_ms, error, active,
                 idle, idle_in_transaction, other, max_connections, disk_free, disk_total)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
    )?
    .execute(params![
        server,
        s.at,
        i64::try_from(s.duration_ms).unwrap_or(i64::MAX),
        error,
        c.map(|c| c.active),
        c.map(|c| c.idle),
        c.map(|c| c.idle_in_transaction),
        c.map(|c| c.other),
        ok.map(|o| o.max_connections),
        ok.and_then(|o| o.disk).map(|d| d.0),
        ok.and_then(|o| o.disk).map(|d| d.1),
    ])?;
    let mut rows = 0;
    if let Some(o) = ok {
        tx.prepare_cached(
            "UPDATE server SET freeze_max_age = coalesce(?2, freeze_max_age) WHERE id = ?1",
        )?
        .execute(params![server, o.freeze_max_age])?;
        let cutoff = raw_cutoff(tx)?;
        let ids = catalogue(tx, server, s.at, &o.databases)?;
        for (d, db_id) in o.databases.iter().zip(ids) {
            rows += i64::from(insert_sample(tx, cutoff, db_id, s.at * MICROS, &d.figures)?);
        }
    }
    tx.prepare_cached(
        "UPDATE server SET samples = samples + 1, db_rows = db_rows + ?2 WHERE id = ?1",
    )?
    .execute(params![server, rows])?;
    Ok(())
}

fn raw_cutoff(tx: &Transaction<'_>) -> rusqlite::Result<i64> {
    // Cached: asked once a sample, and a fresh statement is parsed each time.
    Ok(tx
        .prepare_cached("SELECT value FROM meta WHERE key = 'raw_cutoff'")?
        .query_row([], |r| r.get(0))
        .optional()?
        .unwrap_or(i64::MIN))
}

pub(super) fn corrupt(e: block::Corrupt) -> rusqlite::Error {
    rusqlite::Error::FromSqlConversionFailure(0, rusqlite::types::Type::Blob, Box::new(e))
}

/// A new block of `samples` (in time order, at least one), keyed by the first one's second.
fn write_block(tx: &Transaction<'_>, db_id: i64, samples: &[Sample]) -> rusqlite::Result<()> {
    tx.prepare_cached("INSERT INTO db_block (db_id, ts, n, data) VALUES (?1, ?2, ?3, ?4)")?
        .execute(params![
            db_id,
            samples[0].seconds(),
            samples.len() as i64,
            block::encode(samples)
        ])
        .map(drop)
}

/// Stores one database sample in its block (or, when it is older than the raw retention,
/// adds it to its hourly rollup); returns whether it was new. The sample joins the block it
/// falls in, or the one before it; a full block is left alone when the sample comes after
/// it, and split in two when one in the middle makes it twice as long as a block should be.
fn insert_sample(
    tx: &Transaction<'_>,
    cutoff: i64,
    db_id: i64,
    t_us: i64,
    f: &Figures,
) -> rusqlite::Result<bool> {
    let ts = t_us.div_euclid(MICROS);
    if ts < cutoff {
        merge_hourly(tx, db_id, ts - ts.rem_euclid(HOUR), f)?;
        return Ok(true);
    }
    let sample = Sample::new(t_us, f);
    let found: Option<(i64, Vec<u8>)> = tx
        .prepare_cached(
            "SELECT ts, data FROM db_block WHERE db_id = ?1 AND ts <= ?2
             ORDER BY ts DESC LIMIT 1",
        )?
        .query_row(params![db_id, ts], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?;
    let Some((key, data)) = found else {
        write_block(tx, db_id, &[sample])?;
        return Ok(true);
    };
    let mut samples = block::decode(key, &data).map_err(corrupt)?;
    let Err(at) = samples.binary_search_by_key(&t_us, |s| s.t_us) else {
        return Ok(false);
    };
    // A block's key is its first second: a sample in that same second stays in it.
    if at == samples.len() && data.len() >= BLOCK_BYTES && ts > key {
        write_block(tx, db_id, &[sample])?;
        return Ok(true);
    }
    samples.insert(at, sample);
    let data = block::encode(&samples);
    let half = samples.len() / 2;
    if data.len() >= 2 * BLOCK_BYTES && samples[half].seconds() > key {
        tx.prepare_cached("DELETE FROM db_block WHERE db_id = ?1 AND ts = ?2")?
            .execute(params![db_id, key])?;
        write_block(tx, db_id, &samples[..half])?;
        write_block(tx, db_id, &samples[half..])?;
    } else {
        tx.prepare_cached("UPDATE db_block SET n = ?3, data = ?4 WHERE db_id = ?1 AND ts = ?2")?
            .execute(params![db_id, key, samples.len() as i64, data])?;
    }
    Ok(true)
}

/// Calls `visit` with the samples of `db_id` from second `from` to second `to` (inclusive, and
/// the rest of the blocks they fall in: `visit` filters by time), oldest first or newest
/// first, until it answers `Break`.
fn scan(
    tx: &Transaction<'_>,
    db_id: i64,
    (from, to): (i64, i64),
    newest_first: bool,
    mut visit: impl FnMut(&Sample) -> ControlFlow<()>,
) -> rusqlite::Result<()> {
    let order = if newest_first { "DESC" } else { "ASC" };
    let mut stmt = tx.prepare_cached(&format!(
        "SELECT ts, data FROM db_block
         WHERE db_id = ?1 AND ts <= ?3
           AND ts >= coalesce((SELECT max(ts) FROM db_block WHERE db_id = ?1 AND ts <= ?2), ?2)
         ORDER BY ts {order}"
    ))?;
    let mut rows = stmt.query(params![db_id, from, to])?;
    while let Some(r) = rows.next()? {
        let data = r.get_ref(1)?.as_blob()?;
        let samples = block::decode(r.get(0)?, data).map_err(corrupt)?;
        let flow = if newest_first {
            samples.iter().rev().try_for_each(&mut visit)
        } else {
            samples.iter().try_for_each(&mut visit)
        };
        if flow.is_break() {
            break;
        }
    }
    Ok(())
}

/// The newest sample of `db_id` for which `pick` gives a value, and that value.
fn newest<T>(
    tx: &Transaction<'_>,
    db_id: i64,
    mut pick: impl FnMut(&Sample) -> Option<T>,
) -> rusqlite::Result<Option<T>> {
    let mut found = None;
    scan(tx, db_id, (i64::MIN, i64::MAX), true, |s| match pick(s) {
        Some(v) => {
            found = Some(v);
            ControlFlow::Break(())
        }
        None => ControlFlow::Continue(()),
    })?;
    Ok(found)
}

/// Notes that the server has exactly `dbs` at `at`: new ones are added, known ones marked seen
/// (and no longer dropped), missing ones marked dropped. Returns the ids of `dbs`.
fn catalogue(
    tx: &Transaction<'_>,
    server: i64,
    at: i64,
    dbs: &[DbObservation],
) -> rusqlite::Result<Vec<i64>> {
    let mut ids = Vec::with_capacity(dbs.len());
    for d in dbs {
        ids.push(
            tx.prepare_cached(
                "INSERT INTO database (server_id, datname, oid, created, first_seen, last_seen)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?5)
                 ON CONFLICT (server_id, datname) DO UPDATE SET
                     oid = excluded.oid,
                     created = coalesce(database.created, excluded.created),
                     first_seen = coalesce(database.first_seen, excluded.first_seen),
                     last_seen = excluded.last_seen,
                     dropped = NULL
                 RETURNING id",
            )?
            .query_row(params![server, d.datname, d.oid, d.created_us, at], |r| {
                r.get(0)
            })?,
        );
    }
    tx.prepare_cached(
        "UPDATE database SET dropped = ?2
         WHERE server_id = ?1 AND dropped IS NULL AND last_seen < ?2",
    )?
    .execute(params![server, at])?;
    Ok(ids)
}

/// Database ids of a server with their A5 list entries, in id order.
fn databases(tx: &Transaction<'_>, server: &str) -> rusqlite::Result<Vec<(i64, DatabaseEntry)>> {
    let mut stmt = tx.prepare_cached(
        "SELECT d.id, d.datname, d.created, d.dropped IS NULL AND d.last_seen IS NOT NULL
         FROM database d JOIN server s ON s.id = d.server_id
         WHERE s.name = ?1 ORDER BY d.id",
    )?;
    stmt.query_map([server], |r| {
        Ok((
            r.get(0)?,
            DatabaseEntry {
                name: r.get(1)?,
                creation_time: r.get::<_, Option<i64>>(2)?.map(iso_micros),
                exists: r.get(3)?,
            },
        ))
    })?
    .collect()
}

/// The newest stored time of a database, in microseconds.
fn last_of(tx: &Transaction<'_>, db_id: i64) -> rusqlite::Result<Option<i64>> {
    let raw = newest(tx, db_id, |s| Some(s.t_us))?;
    let hourly: Option<i64> = tx
        .prepare_cached("SELECT max(hour) * 1000000 FROM db_hourly WHERE db_id = ?1")?
        .query_row([db_id], |r| r.get(0))?;
    Ok(raw.max(hourly))
}

/// Rollups and samples of a database inside `[start, end]` (microseconds), added to `out` in
/// time order. Without `all`, samples carry only connections and size (what a server's
/// answer shows): a year of them reads several times faster.
fn rows_of(
    tx: &Transaction<'_>,
    (db_id, db): (i64, usize),
    w: &HistoryWindow,
    all: bool,
    out: &mut Buckets,
) -> rusqlite::Result<()> {
    let (start, end) = w.micros();
    let (from, to) = (start.div_euclid(MICROS), end.div_euclid(MICROS));
    // Rollups first: they are all older than the samples (see `Buckets`).
    let mut hourly = tx.prepare_cached(&format!(
        "SELECT hour * 1000000, {HOURLY_COLUMNS} FROM db_hourly
         WHERE db_id = ?1 AND hour BETWEEN ?2 AND ?3 ORDER BY hour"
    ))?;
    let mut rows = hourly.query(params![db_id, from, to])?;
    while let Some(r) = rows.next()? {
        let t_us: i64 = r.get(0)?;
        if (start..=end).contains(&t_us) {
            out.add(w, t_us, db, hourly_figures(r, 1)?);
        }
    }
    scan(tx, db_id, (from, to), false, |s| {
        if s.t_us > end {
            return ControlFlow::Break(());
        }
        if s.t_us >= start {
            out.add(w, s.t_us, db, s.figures(all));
        }
        ControlFlow::Continue(())
    })
}

/// The least and greatest of the values seen.
#[derive(Default)]
struct Span(Option<(i64, i64)>);

impl Span {
    fn add(&mut self, v: Option<i64>) {
        if let Some(v) = v {
            self.0 = Some(self.0.map_or((v, v), |(lo, hi)| (lo.min(v), hi.max(v))));
        }
    }

    fn constant(&self) -> bool {
        self.0.is_none_or(|(lo, hi)| lo == hi)
    }
}

fn db_facts(
    tx: &Transaction<'_>,
    db_id: i64,
    datname: String,
    w: FactWindows,
) -> rusqlite::Result<DbFacts> {
    let one = |sql: &str, from: Option<i64>| -> rusqlite::Result<Option<i64>> {
        let mut stmt = tx.prepare_cached(sql)?;
        match from {
            Some(from) => stmt.query_row(params![db_id, from], |r| r.get(0)),
            None => stmt.query_row([db_id], |r| r.get(0)),
        }
        .optional()
        .map(Option::flatten)
    };
    let since = [
        one("SELECT min(ts) FROM db_block WHERE db_id = ?1", None)?,
        one("SELECT min(hour) FROM db_hourly WHERE db_id = ?1", None)?,
    ]
    .into_iter()
    .flatten()
    .min();
    // Newest first, so a database in use is answered from its last samples.
    let last_connection = match newest(tx, db_id, |s| {
        (s.numbackends() > Some(0)).then(|| s.seconds())
    })? {
        Some(t) => Some(t),
        None => one(
            "SELECT max(hour) + 3599 FROM db_hourly WHERE db_id = ?1 AND nb_max > 0",
            None,
        )?,
    };
    // Over the static window: at least two samples, and commits and size each never two
    // different values. Over the growth window: the first and last sized samples.
    let (mut count, mut commits, mut sizes) = (0, Span::default(), Span::default());
    let mut sized: Option<((i64, i64), (i64, i64))> = None;
    let from = w.static_from.min(w.growth_from);
    scan(tx, db_id, (from, i64::MAX), false, |s| {
        if s.seconds() >= w.static_from {
            count += 1;
            commits.add(s.xact_commit());
            sizes.add(s.size());
        }
        if let (true, Some(size)) = (s.seconds() >= w.growth_from, s.size()) {
            let at = (s.seconds(), size);
            sized = Some(sized.map_or((at, at), |(first, _)| (first, at)));
        }
        ControlFlow::Continue(())
    })?;
    Ok(DbFacts {
        since,
        last: last_of(tx, db_id)?.map(|t| t.div_euclid(MICROS)),
        connections: newest(tx, db_id, Sample::numbackends)?,
        size: newest(tx, db_id, Sample::size)?,
        frozen_age: newest(tx, db_id, Sample::frozen_age)?,
        last_connection,
        unchanged: count >= 2 && commits.constant() && sizes.constant(),
        growth: sized,
        datname,
    })
}

impl Embedded {
    pub fn open(path: &Path) -> Result<Embedded, HistoryError> {
        // SQLite follows links: the store and its companions must be files of their own.
        for companion in ["", "-wal", "-shm", "-journal"] {
            let mut p = path.as_os_str().to_owned();
            p.push(companion);
            let p = std::path::PathBuf::from(p);
            if std::fs::symlink_metadata(&p).is_ok_and(|m| m.file_type().is_symlink()) {
                return Err(HistoryError::NotAStore(
                    p,
                    "a symbolic link: pgmond does not write through links".into(),
                ));
            }
        }
        check_existing(path)?;
        if !path.exists() {
            // Private from the first byte: SQLite gives its WAL and shared-memory files the
            // database file's mode.
            pgmon_common::store::create_private_file(path, b"")?;
        }
        let mut conn = Connection::open(path)?;
        configure(&conn)?;
        let mode: String = conn.query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))?;
        if !mode.eq_ignore_ascii_case("wal") {
            tracing::warn!(mode, "history store is not in WAL mode");
        }
        migrate(&mut conn)?;
        Ok(Embedded {
            path: path.to_owned(),
            writer: Mutex::new(conn),
            readers: Mutex::new(Vec::new()),
        })
    }

    pub(super) fn write<T>(
        &self,
        work: impl FnOnce(&Transaction<'_>) -> rusqlite::Result<T>,
    ) -> Result<T, HistoryError> {
        let mut conn = lock(&self.writer);
        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let out = work(&tx)?;
        tx.commit()?;
        Ok(out)
    }

    pub(super) fn read<T>(
        &self,
        work: impl FnOnce(&Transaction<'_>) -> rusqlite::Result<T>,
    ) -> Result<T, HistoryError> {
        let pooled = lock(&self.readers).pop();
        let mut conn = match pooled {
            Some(c) => c,
            None => {
                let c = Connection::open_with_flags(
                    &self.path,
                    OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
                )?;
                configure(&c)?;
                c
            }
        };
        let out = {
            let tx = conn.transaction()?;
            let out = work(&tx)?;
            tx.commit()?;
            out
        };
        lock(&self.readers).push(conn);
        Ok(out)
    }

    pub fn record(&self, s: &ServerSample) -> Result<(), HistoryError> {
        self.write(|tx| record_in(tx, s))
    }

    /// Records samples in one transaction (copied from the shared store, or migrated).
    pub fn record_all(&self, samples: &[ServerSample]) -> Result<(), HistoryError> {
        self.write(|tx| samples.iter().try_for_each(|s| record_in(tx, s)))
    }

    /// Records samples copied from the shared store and how far the copy went (`mark` =
    /// `upto` in `meta`) in one transaction: a copy that stops between the two cannot be
    /// taken twice, and no file is written beside the store.
    pub fn record_copied(
        &self,
        samples: &[ServerSample],
        mark: &str,
        upto: i64,
    ) -> Result<(), HistoryError> {
        self.write(|tx| {
            samples.iter().try_for_each(|s| record_in(tx, s))?;
            tx.execute(
                "INSERT INTO meta (key, value) VALUES (?1, ?2)
                 ON CONFLICT (key) DO UPDATE SET value = ?2",
                params![mark, upto],
            )?;
            Ok(())
        })
    }

    /// A number kept in `meta` under `key`.
    pub fn mark(&self, key: &str) -> Result<Option<i64>, HistoryError> {
        self.read(|tx| {
            tx.query_row("SELECT value FROM meta WHERE key = ?1", [key], |r| r.get(0))
                .optional()
        })
    }

    /// Notes the databases of a server that is not sampled (see `catalogue`).
    /// Moves the history of server `old` to `new` (renamed); history already kept under
    /// `new` is retired first.
    pub fn rename_server(&self, old: &str, new: &str, now: i64) -> Result<(), HistoryError> {
        self.write(|tx| {
            retire(tx, new, now)?;
            tx.execute(
                "UPDATE server SET name = ?2 WHERE name = ?1",
                rusqlite::params![old, new],
            )?;
            Ok(())
        })
    }

    /// Sets the history of server `name` aside (the server was removed): a new server under
    /// the name starts empty; retention ages the old one out.
    pub fn retire_server(&self, name: &str, now: i64) -> Result<(), HistoryError> {
        self.write(|tx| retire(tx, name, now))
    }

    /// Closes the store: its write-ahead log is folded into the database file, so a stopped
    /// pgmond leaves every sample in `history.db` alone.
    pub fn checkpoint(&self) -> Result<(), HistoryError> {
        lock(&self.readers).clear();
        let conn = lock(&self.writer);
        conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))?;
        Ok(())
    }

    pub fn record_catalogue(
        &self,
        server: &str,
        at: i64,
        dbs: &[DbObservation],
    ) -> Result<(), HistoryError> {
        self.write(|tx| {
            let server = server_id(tx, server)?;
            catalogue(tx, server, at, dbs).map(drop)
        })
    }

    /// Where the legacy import of `server` stands: the last row taken, as (microseconds, id).
    pub fn legacy_cursor(&self, server: &str) -> Result<Option<(i64, i64)>, HistoryError> {
        self.read(|tx| {
            tx.query_row(
                "SELECT legacy_ts, legacy_id FROM server
                     WHERE name = ?1 AND legacy_ts IS NOT NULL",
                [server],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()
        })
    }

    /// Stores a page of legacy rows and moves the import's cursor past it, in one transaction.
    pub fn import(&self, server: &str, batch: &LegacyBatch) -> Result<(), HistoryError> {
        self.write(|tx| {
            let server = server_id(tx, server)?;
            for (datname, created_us, oid) in &batch.creations {
                tx.prepare_cached(
                    "INSERT INTO database (server_id, datname, oid, created)
                     VALUES (?1, ?2, ?3, ?4)
                     ON CONFLICT (server_id, datname) DO UPDATE SET
                         oid = coalesce(database.oid, excluded.oid),
                         created = excluded.created",
                )?
                .execute(params![server, datname, oid, created_us])?;
            }
            let cutoff = raw_cutoff(tx)?;
            let mut ids: HashMap<&str, i64> = HashMap::new();
            let mut rows = 0;
            for r in &batch.rows {
                let db_id = match ids.get(r.datname.as_str()) {
                    Some(id) => *id,
                    None => {
                        let id = tx
                            .prepare_cached(
                                "INSERT INTO database (server_id, datname) VALUES (?1, ?2)
                                 ON CONFLICT (server_id, datname) DO UPDATE SET datname = datname
                                 RETURNING id",
                            )?
                            .query_row(params![server, r.datname], |row| row.get(0))?;
                        ids.insert(&r.datname, id);
                        id
                    }
                };
                let f = Figures::sample(
                    r.numbackends,
                    r.xact_commit,
                    r.size,
                    None,
                    [None; INCREASES.len()],
                );
                rows += i64::from(insert_sample(tx, cutoff, db_id, r.t_us, &f)?);
            }
            if let Some(last) = batch.rows.last() {
                tx.prepare_cached(
                    "UPDATE server SET legacy_ts = ?2, legacy_id = ?3, db_rows = db_rows + ?4
                     WHERE id = ?1",
                )?
                .execute(params![server, last.t_us, last.id, rows])?;
            }
            Ok(())
        })
    }

    /// The server's databases, the newest stored time, and the rows inside `window`
    /// (microseconds); `only` narrows it to one database. Rows carry their counters'
    /// increases for one database, or when `increases` asks for them.
    pub fn window(
        &self,
        server: &str,
        only: Option<&str>,
        window: &HistoryWindow,
        increases: bool,
    ) -> Result<StoredWindow, HistoryError> {
        self.read(|tx| {
            let all = databases(tx, server)?;
            let mut out = StoredWindow::default();
            for (id, entry) in all {
                if only.is_some_and(|name| name != entry.name) {
                    continue;
                }
                out.last = out.last.max(last_of(tx, id)?);
                let db = (id, out.databases.len());
                rows_of(
                    tx,
                    db,
                    window,
                    increases || only.is_some(),
                    &mut out.buckets,
                )?;
                out.databases.push(entry);
            }
            Ok(out)
        })
    }

    /// The server's own samples inside `window` (seconds), in time order: sessions by state
    /// and disk space, kept for the raw retention.
    pub fn server_samples(
        &self,
        server: &str,
        window: &HistoryWindow,
    ) -> Result<Vec<ServerRow>, HistoryError> {
        let (start, end) = window.micros();
        self.read(|tx| {
            let mut stmt = tx.prepare_cached(
                "SELECT s.ts, s.active, s.idle, s.idle_in_transaction, s.other,
                        s.max_connections, s.disk_free, s.disk_total
                 FROM server_sample s JOIN server v ON v.id = s.server_id
                 WHERE v.name = ?1 AND s.ts BETWEEN ?2 AND ?3 AND s.error IS NULL
                 ORDER BY s.ts",
            )?;
            let rows = stmt.query_map(
                params![server, start.div_euclid(MICROS), end.div_euclid(MICROS)],
                |r| {
                    Ok(ServerRow {
                        t_us: r.get::<_, i64>(0)? * MICROS,
                        states: [r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?],
                        max_connections: r.get(5)?,
                        disk: (r.get(6)?, r.get(7)?),
                    })
                },
            )?;
            rows.collect::<rusqlite::Result<Vec<_>>>()
        })
    }

    /// The newest sample of a database that carries a size.
    pub fn latest_sized(
        &self,
        server: &str,
        datname: &str,
    ) -> Result<Option<StoredDatabase>, HistoryError> {
        self.read(|tx| {
            let db_id: Option<i64> = tx
                .query_row(
                    "SELECT d.id FROM database d JOIN server v ON v.id = d.server_id
                     WHERE v.name = ?1 AND d.datname = ?2",
                    params![server, datname],
                    |r| r.get(0),
                )
                .optional()?;
            let Some(db_id) = db_id else {
                return Ok(None);
            };
            newest(tx, db_id, |s| {
                s.size()?;
                Some(StoredDatabase {
                    size: s.size(),
                    numbackends: s.numbackends(),
                    xact_commit: s.xact_commit(),
                    t_us: s.t_us,
                })
            })
        })
    }

    /// The server's `autovacuum_freeze_max_age` and the facts of each database that exists,
    /// for the analysis.
    pub fn analysis_facts(
        &self,
        server: &str,
        w: FactWindows,
    ) -> Result<(Option<i64>, Vec<DbFacts>), HistoryError> {
        self.read(|tx| {
            let freeze_max_age = tx
                .query_row(
                    "SELECT freeze_max_age FROM server WHERE name = ?1",
                    [server],
                    |r| r.get(0),
                )
                .optional()?
                .flatten();
            let mut out = Vec::new();
            for (id, entry) in databases(tx, server)? {
                if entry.exists {
                    out.push(db_facts(tx, id, entry.name, w)?);
                }
            }
            Ok((freeze_max_age, out))
        })
    }

    /// Per server: samples, database rows, and the last sample's time, duration and error.
    pub fn collector_counts(&self) -> Result<HashMap<String, StoredCounts>, HistoryError> {
        self.read(|tx| {
            let mut stmt = tx.prepare_cached(
                "SELECT v.name, v.samples, v.db_rows, v.legacy_ts, s.ts, s.duration_ms, s.error
                 FROM server v
                 LEFT JOIN server_sample s ON s.server_id = v.id
                     AND s.ts = (SELECT max(ts) FROM server_sample WHERE server_id = v.id)",
            )?;
            stmt.query_map([], |r| {
                Ok((
                    r.get(0)?,
                    StoredCounts {
                        samples: r.get(1)?,
                        rows: r.get(2)?,
                        legacy_t_us: r.get(3)?,
                        last_sample: r.get(4)?,
                        last_duration_ms: r.get(5)?,
                        last_error: r.get(6)?,
                    },
                ))
            })?
            .collect()
        })
    }

    /// Bytes the store takes on disk (the database file and its write-ahead log).
    pub fn size_on_disk(&self) -> u64 {
        let wal = self.path.with_extension("db-wal");
        [self.path.as_path(), wal.as_path()]
            .iter()
            .filter_map(|p| std::fs::metadata(p).ok())
            .map(|m| m.len())
            .sum()
    }
}

/// One of a server's own samples: client sessions by state (active, idle, idle in
/// transaction, other), `max_connections`, and free and total disk bytes.
pub struct ServerRow {
    pub t_us: i64,
    pub states: [Option<i64>; 4],
    pub max_connections: Option<i64>,
    pub disk: (Option<i64>, Option<i64>),
}

/// What `Embedded::window` found.
#[derive(Default)]
pub struct StoredWindow {
    pub databases: Vec<DatabaseEntry>,
    pub last: Option<i64>,
    pub buckets: Buckets,
}

pub struct StoredCounts {
    pub samples: i64,
    pub rows: i64,
    pub legacy_t_us: Option<i64>,
    pub last_sample: Option<i64>,
    pub last_duration_ms: Option<i64>,
    pub last_error: Option<String>,
}

/// Rows moved or deleted per transaction by retention, so the collector's writes wait at most
/// that long (readers never wait: WAL).
const RETENTION_BATCH: i64 = 5_000;
/// Sample blocks rolled up per transaction: about `RETENTION_BATCH` samples.
const RETENTION_BLOCKS: i64 = 400;

impl Embedded {
    /// Rolls database samples before `cutoff` (seconds, rounded down to an hour) into hourly
    /// rollups and deletes server samples before it, in small transactions. From then on,
    /// samples older than the cutoff (a late legacy import) go straight to the rollups.
    /// Returns the database samples rolled up.
    pub fn apply_retention(&self, cutoff: i64) -> Result<u64, HistoryError> {
        let cutoff = cutoff - cutoff.rem_euclid(HOUR);
        self.write(|tx| {
            tx.execute(
                "INSERT INTO meta (key, value) VALUES ('raw_cutoff', ?1)
                 ON CONFLICT (key) DO UPDATE SET value = max(value, excluded.value)",
                [cutoff],
            )
            .map(drop)
        })?;
        let (dbs, servers): (Vec<i64>, Vec<i64>) = self.read(|tx| {
            let ids = |sql: &str| -> rusqlite::Result<Vec<i64>> {
                tx.prepare(sql)?.query_map([], |r| r.get(0))?.collect()
            };
            Ok((
                ids("SELECT id FROM database")?,
                ids("SELECT id FROM server")?,
            ))
        })?;
        let mut rolled = 0;
        for db in dbs {
            loop {
                let (blocks, moved) = self.write(|tx| roll_up_batch(tx, db, cutoff))?;
                rolled += moved;
                if blocks < RETENTION_BLOCKS {
                    break;
                }
            }
        }
        for server in servers {
            while self.write(|tx| {
                tx.execute(
                    "DELETE FROM server_sample WHERE server_id = ?1 AND ts IN (
                         SELECT ts FROM server_sample WHERE server_id = ?1 AND ts < ?2
                         ORDER BY ts LIMIT ?3)",
                    params![server, cutoff, RETENTION_BATCH],
                )
            })? as i64
                == RETENTION_BATCH
            {}
        }
        Ok(rolled)
    }
}

/// Moves the samples before `cutoff` of the oldest blocks of `db` (at most a batch of
/// blocks) into the hourly rollups; a block that reaches past the cutoff keeps the rest.
/// Returns the blocks taken and the samples moved.
fn roll_up_batch(tx: &Transaction<'_>, db: i64, cutoff: i64) -> rusqlite::Result<(i64, u64)> {
    let mut hours: std::collections::BTreeMap<i64, Figures> = std::collections::BTreeMap::new();
    let mut blocks = Vec::new();
    {
        let mut stmt = tx.prepare_cached(
            "SELECT ts, data FROM db_block WHERE db_id = ?1 AND ts < ?2 ORDER BY ts LIMIT ?3",
        )?;
        let mut rows = stmt.query(params![db, cutoff, RETENTION_BLOCKS])?;
        while let Some(r) = rows.next()? {
            let key: i64 = r.get(0)?;
            let data = r.get_ref(1)?.as_blob()?;
            blocks.push((key, block::decode(key, data).map_err(corrupt)?));
        }
    }
    let mut moved = 0;
    for (key, samples) in &blocks {
        let kept = samples.partition_point(|s| s.seconds() < cutoff);
        for s in &samples[..kept] {
            let ts = s.seconds();
            hours
                .entry(ts - ts.rem_euclid(HOUR))
                .or_default()
                .add(&s.figures(true));
        }
        moved += kept as u64;
        tx.prepare_cached("DELETE FROM db_block WHERE db_id = ?1 AND ts = ?2")?
            .execute(params![db, key])?;
        if kept < samples.len() {
            write_block(tx, db, &samples[kept..])?;
        }
    }
    for (hour, f) in &hours {
        merge_hourly(tx, db, *hour, f)?;
    }
    Ok((blocks.len() as i64, moved))
}

#[cfg(test)]
mod tests {
    use super::super::answers;
    use super::super::window::{Aggregation, HistoryWindow};
    use super::super::{Connections, Observed};
    use super::*;
    use chrono::{DateTime, Utc};

    fn sample(at: i64, i: i64) -> ServerSample {
        let db = |oid: i64, name: &str| DbObservation {
            oid,
            datname: name.into(),
            created_us: None,
            figures: Figures::sample(
                Some((i * 7 + oid) % 13),
                Some(1_000 + i * 40),
                Some(1 << (20 + (i % 5))),
                Some(100 + i),
                [Some(i % 3); 11],
            ),
        };
        ServerSample {
            server: "s".into(),
            at,
            duration_ms: 3,
            outcome: Ok(Observed {
                connections: Connections::default(),
                max_connections: 100,
                freeze_max_age: Some(200_000_000),
                disk: None,
                databases: vec![db(1, "a"), db(2, "b")],
            }),
        }
    }

    fn answers_of(store: &Embedded, w: &HistoryWindow) -> (String, String) {
        let all = store.window("s", None, w, false).unwrap();
        let one = store.window("s", Some("a"), w, false).unwrap();
        let created = one.databases[0].creation_time.clone();
        (
            serde_json::to_string(&answers::server_history(
                w,
                all.last,
                &all.databases,
                &all.buckets,
            ))
            .unwrap(),
            serde_json::to_string(&answers::db_history(w, one.last, created, &one.buckets))
                .unwrap(),
        )
    }

    #[test]
    /// Rolled up, ten days of 10-minute samples give the same hourly, four-hourly and daily
    /// answers as before (sums, averages, extremes), and later samples older than the cutoff
    /// go to the rollups too.
    fn retention_keeps_answers_exact() {
        let dir = tempfile::tempdir().unwrap();
        let store = Embedded::open(&dir.path().join("history.db")).unwrap();
        let start = 1_767_225_600; // 2026-01-01T00:00:00Z
        for i in 0..1_440 {
            store.record(&sample(start + i * 600, i)).unwrap();
        }
        let at = |s: i64| DateTime::<Utc>::from_timestamp(s, 0).unwrap();
        let windows: Vec<HistoryWindow> = [
            (Aggregation::Hour, 3_600 * 5, 86_400 * 3),
            (Aggregation::FourHour, 0, 86_400 * 10),
            (Aggregation::Day, 3_600 * 7, 86_400 * 9),
        ]
        .into_iter()
        // Over rolled-up time a window counts the hours that start inside it: windows from
        // one hour to a second before another are exact.
        .map(|(aggregation, from, len)| HistoryWindow {
            start: at(start + from),
            end: at(start + from + len - 1),
            aggregation,
        })
        .collect();
        let before: Vec<_> = windows.iter().map(|w| answers_of(&store, w)).collect();
        let rolled = store.apply_retention(start + 86_400 * 8 + 1_234).unwrap();
        assert_eq!(rolled, 8 * 144 * 2);
        let after: Vec<_> = windows.iter().map(|w| answers_of(&store, w)).collect();
        for (i, (b, a)) in before.iter().zip(&after).enumerate() {
            let first = |x: &str, y: &str| x.chars().zip(y.chars()).position(|(p, q)| p != q);
            assert!(
                b.0 == a.0,
                "window {i}, server: differs at {:?}",
                first(&b.0, &a.0)
            );
            assert!(
                b.1 == a.1,
                "window {i}, db: differs at {:?}",
                first(&b.1, &a.1)
            );
        }
        let counts = |sql: &str| count_of(&store, sql);
        assert_eq!(counts("SELECT count(*) FROM db_hourly"), 8 * 24 * 2);
        assert_eq!(counts("SELECT sum(n) FROM db_block"), 2 * 144 * 2);
        assert_eq!(counts("SELECT count(*) FROM server_sample"), 2 * 144);
        // A late sample before the cutoff lands in its hour's rollup.
        store.record(&sample(start + 30, 0)).unwrap();
        assert_eq!(counts("SELECT sum(n) FROM db_block"), 2 * 144 * 2);
        assert_eq!(
            counts("SELECT nb_n FROM db_hourly WHERE db_id = 1 AND hour = 1767225600"),
            7
        );
    }

    #[test]
    /// A schema 2 store (a row per sample, sub-second legacy times among them) is packed into
    /// blocks when opened, and answers as a store that recorded the same samples.
    fn schema_2_rows_are_packed() {
        let dir = tempfile::tempdir().unwrap();
        let (old, new) = (dir.path().join("old.db"), dir.path().join("new.db"));
        let start = 1_767_225_600;
        let times: Vec<i64> = (0..300)
            .map(|i| (start + i * 600) * MICROS + if i % 7 == 0 { 250_000 } else { 0 })
            .collect();
        {
            let mut conn = Connection::open(&old).unwrap();
            let tx = conn.transaction().unwrap();
            for (sql, _) in &MIGRATIONS[..2] {
                tx.execute_batch(sql).unwrap();
            }
            tx.pragma_update(None, "user_version", 2).unwrap();
            tx.execute_batch(
                "INSERT INTO server (id, name) VALUES (1, 's');
                 INSERT INTO database (id, server_id, datname, last_seen)
                     VALUES (1, 1, 'a', 0), (2, 1, 'b', 0);",
            )
            .unwrap();
            for (i, t_us) in times.iter().enumerate() {
                let Ok(o) = sample(0, i as i64).outcome else {
                    unreachable!()
                };
                for (db_id, d) in [1, 2].into_iter().zip(&o.databases) {
                    let values = Sample::new(*t_us, &d.figures).values;
                    tx.execute(
                        &format!(
                            "INSERT INTO db_sample (db_id, ts, us, {SAMPLE_COLUMNS}) VALUES
                             (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15,
                              ?16, ?17, ?18)"
                        ),
                        rusqlite::params_from_iter(
                            [Some(db_id), Some(t_us / MICROS), Some(t_us % MICROS)]
                                .into_iter()
                                .chain(values),
                        ),
                    )
                    .unwrap();
                }
            }
            tx.commit().unwrap();
        }
        let migrated = Embedded::open(&old).unwrap();
        // In time order, and shuffled (a legacy import filling in before the collector's own
        // samples): samples land in the middle of full blocks, which split.
        let record = |path: &Path, order: &mut dyn Iterator<Item = usize>| {
            let store = Embedded::open(path).unwrap();
            store
                .write(|tx| {
                    let server = server_id(tx, "s")?;
                    for i in order {
                        let Ok(o) = sample(0, i as i64).outcome else {
                            unreachable!()
                        };
                        let ids = catalogue(tx, server, 0, &o.databases)?;
                        for (d, id) in o.databases.iter().zip(ids) {
                            assert!(insert_sample(tx, i64::MIN, id, times[i], &d.figures)?);
                            assert!(!insert_sample(tx, i64::MIN, id, times[i], &d.figures)?);
                        }
                    }
                    Ok(())
                })
                .unwrap();
            store
        };
        let recorded = record(&new, &mut (0..times.len()));
        let shuffled = record(
            &dir.path().join("shuffled.db"),
            &mut (0..times.len()).map(|i| i * 7_919 % times.len()),
        );
        let blocks = "SELECT count(*) FROM db_block";
        assert!(count_of(&shuffled, blocks) > count_of(&recorded, blocks) / 2);
        assert_eq!(count_of(&migrated, "SELECT sum(n) FROM db_block"), 600);
        assert_eq!(count_of(&shuffled, "SELECT sum(n) FROM db_block"), 600);
        assert_eq!(
            count_of(
                &migrated,
                "SELECT count(*) FROM sqlite_master WHERE name = 'db_sample'"
            ),
            0
        );
        let at = |s: i64| DateTime::<Utc>::from_timestamp(s, 0).unwrap();
        for aggregation in [Aggregation::Raw, Aggregation::Hour, Aggregation::Day] {
            let w = HistoryWindow {
                start: at(start + 1_000),
                end: at(start + 300 * 600),
                aggregation,
            };
            assert_eq!(answers_of(&migrated, &w), answers_of(&recorded, &w));
            assert_eq!(answers_of(&shuffled, &w), answers_of(&recorded, &w));
        }
    }

    fn count_of(store: &Embedded, sql: &str) -> i64 {
        store
            .read(|tx| tx.query_row(sql, [], |r| r.get(0)))
            .unwrap()
    }

    #[test]
    /// Forty daily samples: the facts the analysis judges come out of the store as stored, and
    /// a dropped database is left out.
    fn analysis_facts_from_samples() {
        use super::super::analysis::{FactWindows, judge};
        use pgmon_common::api::analysis::FindingKind;
        use pgmon_common::api::settings::Settings;

        let dir = tempfile::tempdir().unwrap();
        let store = Embedded::open(&dir.path().join("history.db")).unwrap();
        let (start, day) = (1_767_225_600, 86_400);
        let db = |oid: i64, name: &str, sessions: i64, commits: i64, size: i64, age: i64| {
            DbObservation {
                oid,
                datname: name.into(),
                created_us: None,
                figures: Figures::sample(
                    Some(sessions),
                    Some(commits),
                    Some(size),
                    Some(age),
                    [None; 11],
                ),
            }
        };
        for i in 0..40 {
            let mut dbs = vec![
                db(1, "busy", 3, 100 * i, (100 + i) << 20, 60_000),
                db(2, "idle", i64::from(i == 0), 7, 8 << 20, 500),
                db(3, "growing", 1, 100 * i, (2 * i) << 30, 500),
            ];
            if i < 10 {
                dbs.push(db(4, "gone", 0, 0, 1 << 20, 1));
            }
            store
                .record(&ServerSample {
                    server: "s".into(),
                    at: start + i * day,
                    duration_ms: 1,
                    outcome: Ok(Observed {
                        connections: Connections::default(),
                        max_connections: 100,
                        freeze_max_age: Some(100_000),
                        disk: None,
                        databases: dbs,
                    }),
                })
                .unwrap();
        }
        let now = start + 39 * day;
        let s = Settings::DEFAULT;
        let (max_age, facts) = store
            .analysis_facts("s", FactWindows::new(now, &s))
            .unwrap();
        assert_eq!(max_age, Some(100_000));
        let names: Vec<&str> = facts.iter().map(|f| f.datname.as_str()).collect();
        assert_eq!(names, ["busy", "idle", "growing"]);
        let idle = &facts[1];
        assert_eq!(idle.since, Some(start));
        assert_eq!(idle.last_connection, Some(start));
        assert!(idle.unchanged);
        assert!(!facts[0].unchanged);
        assert_eq!(facts[0].size, Some(139 << 20));
        assert_eq!(
            facts[2].growth,
            Some(((now - 7 * day, 64 << 30), (now, 78 << 30)))
        );

        let a = judge("s", now, &s, max_age, facts);
        let flags = |i: usize| a.databases[i].flags.clone();
        assert_eq!(flags(0), [FindingKind::NearWraparound]);
        assert_eq!(flags(1), [FindingKind::Unused, FindingKind::Static]);
        assert_eq!(flags(2), [FindingKind::FastGrowing]);
        assert_eq!(a.databases[2].growth_mb_per_day, Some(2048.0));
        assert_eq!(a.databases[0].growth_mb_per_day, Some(1.0));
    }
}
