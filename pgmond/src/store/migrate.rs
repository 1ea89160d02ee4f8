//! `pgmonctl store migrate`: a config dir (its documents, its audit trail, its embedded
//! history's raw samples) copied into a shared store, or a shared store copied back into a
//! config dir that then runs on its own (or under the Python backend, which reads the same
//! files). A target that already holds something is refused unless `force` (then replaced). A
//! dry run counts what would be copied and changes nothing.
//!
//! Not copied: sessions (everyone signs in again), alert state and health-check findings (they
//! rebuild from the samples that follow), hourly rollups older than the raw retention and rows
//! imported from legacy `stats_db` tables (the legacy import runs again from the servers).
//! The key file and the JWT secret never go into the store: a config dir the store is copied
//! into must already hold the key file the documents were encrypted with.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use pgmon_common::api::audit::AuditEntry;
use pgmon_common::config_dir::KEY_FILE;
use serde::Serialize;

use super::documents::ConfigStore;
use super::{Shared, StoreError};
use crate::audit::{AuditLog, Filter};
use crate::history::{HistoryStore, STORE_FILE, ServerSample};

/// Samples read or written per step.
const BATCH: i64 = 2_000;

/// One end of a migration.
#[derive(Clone, Debug)]
pub enum Place {
    Dir(PathBuf),
    Store(String),
}

impl Place {
    /// A `postgres://` or `postgresql://` URL is a store; anything else a config dir. A
    /// URL with a password is refused: given on a command line, it would show in the process
    /// list (PGPASSWORD gives it).
    pub fn parse(text: &str) -> Result<Place, MigrateError> {
        if !(text.starts_with("postgres://") || text.starts_with("postgresql://")) {
            return Ok(Place::Dir(PathBuf::from(text)));
        }
        let config: tokio_postgres::Config = text
            .parse()
            .map_err(|e| MigrateError::Refused(format!("not a URL pgmon can use: {e}")))?;
        if config.get_password().is_some() {
            return Err(MigrateError::Refused(
                "a password in the URL would show in the process list: give it in PGPASSWORD"
                    .into(),
            ));
        }
        Ok(Place::Store(text.to_owned()))
    }
}

/// What was (or, in a dry run, would be) copied.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Report {
    pub dry_run: bool,
    pub documents: usize,
    pub audit_entries: usize,
    pub samples: usize,
    pub servers: usize,
}

#[derive(Debug, thiserror::Error)]
pub enum MigrateError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    History(#[from] crate::history::HistoryError),
    #[error(transparent)]
    Files(#[from] pgmon_common::Error),
    #[error("{0}")]
    Refused(String),
    #[error("{0}: {1}")]
    Io(String, std::io::Error),
}

/// The store at `url`, over TLS unchecked unless the URL says `sslmode=disable` (no pgmond.toml
/// here to name a root certificate).
async fn open(url: &str, dir: &Path) -> Result<Shared, StoreError> {
    let files = Arc::new(crate::monitor::tls_files::TlsFiles::new(dir, &[], None));
    Shared::open(
        url,
        crate::monitor::tls::TlsSettings::for_store(&files, None),
    )
    .await
}

/// Copies `from` into `to`.
pub async fn migrate(
    from: &Place,
    to: &Place,
    dry_run: bool,
    force: bool,
) -> Result<Report, MigrateError> {
    match (from, to) {
        (Place::Dir(dir), Place::Store(url)) => dir_to_store(dir, url, dry_run, force).await,
        (Place::Store(url), Place::Dir(dir)) => store_to_dir(url, dir, dry_run, force).await,
        _ => Err(MigrateError::Refused(
            "one end must be a config dir and the other a postgres:// URL".into(),
        )),
    }
}

/// The audit trail of a config dir, oldest first.
async fn audit_of(dir: &Path) -> Result<Vec<AuditEntry>, MigrateError> {
    let log = Arc::new(AuditLog::new(dir, u64::MAX, 36_500, usize::MAX));
    tokio::task::spawn_blocking(move || {
        let mut all = Vec::new();
        loop {
            let page = log.read(&Filter::default(), all.len(), 1_000)?;
            let more = page.next_offset.is_some();
            all.extend(page.entries);
            if !more {
                all.reverse();
                return Ok(all);
            }
        }
    })
    .await
    .map_err(|e| MigrateError::Io("reading the audit trail".into(), std::io::Error::other(e)))?
    .map_err(|e| MigrateError::Io("reading the audit trail".into(), e))
}

async fn dir_to_store(
    dir: &Path,
    url: &str,
    dry_run: bool,
    force: bool,
) -> Result<Report, MigrateError> {
    let config = pgmon_common::ConfigDir::open(dir)?;
    let docs = super::documents::local_documents(dir).await?;
    let audit = audit_of(dir).await?;
    let history = match dir.join(STORE_FILE).exists() {
        true => Some(HistoryStore::open(dir)?),
        false => None,
    };
    let servers = match &history {
        Some(h) => h.server_names().await?,
        None => Vec::new(),
    };
    let mut report = Report {
        dry_run,
        documents: docs,
        audit_entries: audit.len(),
        servers: servers.len(),
        samples: 0,
    };
    let shared = open(url, dir).await?;
    let held = shared.contents().await?;
    if held.is_some() && !force {
        return Err(MigrateError::Refused(format!(
            "the store {} already holds {}: --force replaces it",
            shared.describe(),
            held.unwrap_or_default()
        )));
    }
    if let Some(h) = &history {
        for s in &servers {
            report.samples += copy_samples(h, s, (!dry_run).then_some(&shared)).await?;
        }
    }
    if dry_run {
        return Ok(report);
    }
    if held.is_some() {
        shared.empty().await?;
    }
    let shared = Arc::new(shared);
    // An empty store takes the config dir's documents at the first look.
    ConfigStore::new(Arc::new(config), Some(Arc::clone(&shared)))
        .follow()
        .await?;
    shared.append_audit_all(&audit).await?;
    Ok(report)
}

/// Copies `server`'s raw samples from `history` into `store` (none: counts them).
async fn copy_samples(
    history: &HistoryStore,
    server: &str,
    store: Option<&Shared>,
) -> Result<usize, MigrateError> {
    let (mut after, mut count) = (i64::MIN, 0);
    loop {
        let batch = history.raw_samples(server, after, BATCH).await?;
        let Some(last) = batch.last().map(|s| s.at) else {
            return Ok(count);
        };
        count += batch.len();
        after = last;
        if let Some(store) = store {
            store.put_history(&batch).await?;
        }
    }
}

async fn store_to_dir(
    url: &str,
    dir: &Path,
    dry_run: bool,
    force: bool,
) -> Result<Report, MigrateError> {
    if !dir.join(KEY_FILE).exists() {
        return Err(MigrateError::Refused(format!(
            "{} has no {KEY_FILE}: copy the replicas' key file there first (the documents are \
             encrypted with it, and the store never holds it)",
            dir.display()
        )));
    }
    let shared = open(url, dir).await?;
    let docs = shared.all_documents().await?;
    let audit = shared.all_audit().await?;
    let samples = shared.sample_count().await?;
    let mut report = Report {
        dry_run,
        documents: docs.len(),
        audit_entries: audit.len(),
        samples: samples.0,
        servers: samples.1,
    };
    let local = super::documents::local_documents(dir).await?;
    let history_file = dir.join(STORE_FILE);
    let has_history = history_file.exists()
        && match HistoryStore::open(dir) {
            Ok(h) => !h.server_names().await?.is_empty(),
            Err(_) => true,
        };
    if (local > 0 || has_history) && !force {
        return Err(MigrateError::Refused(format!(
            "{} already holds a config ({local} documents{}): --force replaces it",
            dir.display(),
            if has_history { ", a history store" } else { "" }
        )));
    }
    if dry_run {
        return Ok(report);
    }
    let root = dir.to_owned();
    tokio::task::spawn_blocking(move || {
        for f in [
            STORE_FILE,
            "history.db-wal",
            "history.db-shm",
            crate::audit::AUDIT_FILE,
        ] {
            match std::fs::remove_file(root.join(f)) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(MigrateError::Io(format!("removing {f}"), e)),
            }
        }
        super::documents::write_documents(&root, &docs)?;
        let log = AuditLog::new(&root, u64::MAX, 36_500, usize::MAX);
        for e in &audit {
            log.append(e)
                .map_err(|e| MigrateError::Io("writing audit.log".into(), e))?;
        }
        Ok(())
    })
    .await
    .map_err(|e| MigrateError::Io("writing the config dir".into(), std::io::Error::other(e)))??;
    let history = HistoryStore::open(dir)?;
    let mut after = 0;
    report.samples = 0;
    loop {
        let batch = shared.history_after(after, BATCH).await?;
        let Some(last) = batch.last().map(|b| b.0) else {
            break;
        };
        after = last;
        report.samples += batch.len();
        history
            .record_all(batch.into_iter().map(|(_, s)| s).collect())
            .await?;
    }
    history.checkpoint().await?;
    Ok(report)
}

impl Shared {
    /// What the store holds, in words; none when it is empty.
    async fn contents(&self) -> Result<Option<String>, StoreError> {
        let counts: Vec<i64> = self
            .call(async |c| {
                let r = c
                    .query_one(
                        "SELECT (SELECT count(*) FROM pgmon.document),
                                (SELECT count(*) FROM pgmon.audit),
                                (SELECT count(*) FROM pgmon.sample)",
                        &[],
                    )
                    .await?;
                Ok(vec![r.get(0), r.get(1), r.get(2)])
            })
            .await?;
        Ok(match counts.iter().all(|n| *n == 0) {
            true => None,
            false => Some(format!(
                "{} documents, {} audit entries, {} samples",
                counts[0], counts[1], counts[2]
            )),
        })
    }

    /// Removes everything pgmon keeps in the store.
    async fn empty(&self) -> Result<(), StoreError> {
        self.call(async |c| {
            c.batch_execute(
                "TRUNCATE pgmon.document, pgmon.session_change, pgmon.audit, pgmon.replica,
                          pgmon.lease, pgmon.sample",
            )
            .await
        })
        .await
    }

    async fn append_audit_all(&self, entries: &[AuditEntry]) -> Result<(), StoreError> {
        let bodies: Vec<serde_json::Value> = entries
            .iter()
            .map(|e| serde_json::to_value(e).expect("audit entries serialize"))
            .collect();
        self.call(async |c| {
            let tx = c.transaction().await?;
            let insert = tx
                .prepare(
                    "INSERT INTO pgmon.audit (at, entry)
                     VALUES (coalesce(($1::jsonb->>'time')::timestamptz, now()), $1)",
                )
                .await?;
            for b in &bodies {
                tx.execute(&insert, &[b]).await?;
            }
            tx.commit().await
        })
        .await
    }

    async fn all_documents(&self) -> Result<super::documents::Documents, StoreError> {
        let rows = self
            .rows(
                "SELECT path, body FROM pgmon.document WHERE body IS NOT NULL ORDER BY path",
                &[],
            )
            .await?;
        Ok(rows
            .iter()
            .map(|r| {
                let body: Vec<u8> = r.get(1);
                (r.get(0), Some(body.into()))
            })
            .collect())
    }

    async fn all_audit(&self) -> Result<Vec<AuditEntry>, StoreError> {
        let rows = self
            .rows("SELECT entry FROM pgmon.audit ORDER BY id", &[])
            .await?;
        Ok(rows
            .iter()
            .filter_map(|r| serde_json::from_value(r.get(0)).ok())
            .collect())
    }

    /// Samples and servers.
    async fn sample_count(&self) -> Result<(usize, usize), StoreError> {
        self.call(async |c| {
            let r = c
                .query_one(
                    "SELECT count(*), count(DISTINCT server) FROM pgmon.sample",
                    &[],
                )
                .await?;
            Ok((
                r.get::<_, i64>(0).max(0) as usize,
                r.get::<_, i64>(1).max(0) as usize,
            ))
        })
        .await
    }
}

/// Samples as [`Shared::put_history`] takes them: each keyed by its own second.
pub(super) fn history_slot(s: &ServerSample) -> i64 {
    s.at.saturating_mul(1000)
}
