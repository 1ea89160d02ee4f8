//! pgmon's own history (SPEC B4): what the collector samples, kept in a store that the A5
//! endpoints answer from. One interface, `HistoryStore`; the embedded SQLite store is the one
//! there is today, and a PostgreSQL store for several replicas (B7) would be another variant.

pub mod alerts;
pub mod analysis;
pub mod answers;
mod block;
pub mod checks;
mod embedded;
mod replay;
pub mod window;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use pgmon_common::api::analysis::ServerAnalysis;
use pgmon_common::api::checks::ServerChecks;
use pgmon_common::api::fleet::ServerTimeline;
use pgmon_common::api::history::{DbHistory, DbInfo, ServerHistory};
use pgmon_common::api::settings::Settings;

use analysis::FactWindows;

use answers::{Figures, MIB};
pub use embedded::Embedded;
use embedded::StoredWindow;
pub use embedded::{ServerRow, StoredCounts};
use window::{HistoryWindow, iso_micros};

/// The store's file in the config dir.
pub const STORE_FILE: &str = "history.db";

#[derive(Debug, thiserror::Error)]
pub enum HistoryError {
    #[error("{0}: not a pgmon history store ({1}); move it away or set another config dir")]
    NotAStore(PathBuf, String),
    #[error(
        "{path}: history store of schema {found}, written by a newer pgmond (this one knows up to \
         {known}); upgrade pgmond"
    )]
    Newer {
        path: PathBuf,
        found: i64,
        known: i64,
    },
    #[error("history store: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("history store: {0}")]
    Files(#[from] pgmon_common::Error),
    #[error("history store: the worker stopped: {0}")]
    Worker(#[from] tokio::task::JoinError),
}

/// Sessions of a server by state (client backends only).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Connections {
    pub active: i64,
    pub idle: i64,
    pub idle_in_transaction: i64,
    pub other: i64,
}

/// One database as a sample saw it.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct DbObservation {
    pub oid: i64,
    pub datname: String,
    pub created_us: Option<i64>,
    pub figures: Figures,
}

/// What a successful sample found.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct Observed {
    pub connections: Connections,
    pub max_connections: i64,
    /// `autovacuum_freeze_max_age`, where the server said.
    pub freeze_max_age: Option<i64>,
    /// Free and total bytes of the data directory's file system, when read over SSH.
    pub disk: Option<(i64, i64)>,
    /// Every database of the server: one missing from the list is taken as dropped.
    pub databases: Vec<DbObservation>,
}

/// One sample of one server; a failed one is kept too, so a gap in a chart has its reason.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct ServerSample {
    pub server: String,
    /// Seconds since the epoch.
    pub at: i64,
    pub duration_ms: u64,
    pub outcome: Result<Observed, String>,
}

/// A row of a legacy `pg_statistics` table.
#[derive(Clone, Debug)]
pub struct LegacyRow {
    pub id: i64,
    pub t_us: i64,
    pub datname: String,
    pub numbackends: Option<i64>,
    pub xact_commit: Option<i64>,
    pub size: Option<i64>,
}

/// A page of legacy rows (in `(ts, id)` order) and the `db_creation` entries.
#[derive(Clone, Debug, Default)]
pub struct LegacyBatch {
    pub rows: Vec<LegacyRow>,
    /// `(datname, creation time in microseconds, oid)`.
    pub creations: Vec<(String, i64, Option<i64>)>,
}

/// The newest sized sample of a database.
pub struct StoredDatabase {
    pub size: Option<i64>,
    pub numbackends: Option<i64>,
    pub xact_commit: Option<i64>,
    pub t_us: i64,
}

/// Calls into the store at once. Each reader holds an SQLite connection with its own page
/// cache: a thousand servers' tasks starting together would otherwise open one each (100 MiB
/// resident at a cold start of 1,000 servers) and fill the blocking pool.
const CONCURRENT_CALLS: usize = 4;

/// The history store. Cheap to clone; every call runs on the blocking pool, a few at a time.
#[derive(Clone)]
pub struct HistoryStore {
    inner: Arc<Embedded>,
    turns: Arc<tokio::sync::Semaphore>,
}

impl HistoryStore {
    /// Opens (creating or migrating) the embedded store in `config_dir`.
    pub fn open(config_dir: &Path) -> Result<HistoryStore, HistoryError> {
        Ok(HistoryStore {
            inner: Arc::new(Embedded::open(&config_dir.join(STORE_FILE))?),
            turns: Arc::new(tokio::sync::Semaphore::new(CONCURRENT_CALLS)),
        })
    }

    /// Runs `work` on the store on the blocking pool, taking a turn.
    pub(crate) async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce(&Embedded) -> Result<T, HistoryError> + Send + 'static,
    ) -> Result<T, HistoryError> {
        let inner = Arc::clone(&self.inner);
        let turn = Arc::clone(&self.turns).acquire_owned().await;
        tokio::task::spawn_blocking(move || {
            let _turn = turn;
            work(&inner)
        })
        .await?
    }

    /// The history of server `old` is `new`'s from now on.
    pub async fn rename_server(&self, old: &str, new: &str) -> Result<(), HistoryError> {
        let (old, new, now) = (
            old.to_owned(),
            new.to_owned(),
            chrono::Utc::now().timestamp(),
        );
        self.run(move |s| s.rename_server(&old, &new, now)).await
    }

    /// The history of removed server `name` is set aside.
    pub async fn retire_server(&self, name: &str) -> Result<(), HistoryError> {
        let (name, now) = (name.to_owned(), chrono::Utc::now().timestamp());
        self.run(move |s| s.retire_server(&name, now)).await
    }

    /// Folds the write-ahead log into the store (at shutdown).
    pub async fn checkpoint(&self) -> Result<(), HistoryError> {
        self.run(|s| s.checkpoint()).await
    }

    /// Merges a health-check run of `server`; answers its open findings.
    pub async fn record_checks(
        &self,
        server: &str,
        run: checks::CheckRecord,
    ) -> Result<ServerChecks, HistoryError> {
        let server = server.to_owned();
        self.run(move |s| s.record_checks(&server, &run)).await
    }

    /// `server`'s health-check findings, with the resolved ones when asked.
    pub async fn server_checks(
        &self,
        server: &str,
        resolved: bool,
    ) -> Result<ServerChecks, HistoryError> {
        let server = server.to_owned();
        self.run(move |s| s.server_checks(&server, resolved)).await
    }

    /// Every server's findings, the resolved ones too when asked.
    pub async fn all_checks(
        &self,
        resolved: bool,
    ) -> Result<HashMap<String, ServerChecks>, HistoryError> {
        self.run(move |s| s.all_checks(resolved)).await
    }

    /// Forgets findings resolved before `cutoff_ms`.
    pub async fn forget_resolved_checks(&self, cutoff_ms: i64) -> Result<usize, HistoryError> {
        self.run(move |s| s.forget_resolved_checks(cutoff_ms)).await
    }

    pub async fn record(&self, sample: ServerSample) -> Result<(), HistoryError> {
        self.run(move |s| s.record(&sample)).await
    }

    /// Records samples in one transaction.
    pub async fn record_all(&self, samples: Vec<ServerSample>) -> Result<(), HistoryError> {
        self.run(move |s| s.record_all(&samples)).await
    }

    /// Records samples copied from the shared store, and how far the copy went, together.
    pub async fn record_copied(
        &self,
        samples: Vec<ServerSample>,
        mark: String,
        upto: i64,
    ) -> Result<(), HistoryError> {
        self.run(move |s| s.record_copied(&samples, &mark, upto))
            .await
    }

    pub async fn mark(&self, key: String) -> Result<Option<i64>, HistoryError> {
        self.run(move |s| s.mark(&key)).await
    }

    pub async fn record_catalogue(
        &self,
        server: &str,
        at: i64,
        dbs: Vec<DbObservation>,
    ) -> Result<(), HistoryError> {
        let server = server.to_owned();
        self.run(move |s| s.record_catalogue(&server, at, &dbs))
            .await
    }

    pub async fn legacy_cursor(&self, server: &str) -> Result<Option<(i64, i64)>, HistoryError> {
        let server = server.to_owned();
        self.run(move |s| s.legacy_cursor(&server)).await
    }

    pub async fn import(&self, server: &str, batch: LegacyBatch) -> Result<(), HistoryError> {
        let server = server.to_owned();
        self.run(move |s| s.import(&server, &batch)).await
    }

    async fn window(
        &self,
        server: &str,
        only: Option<&str>,
        w: &HistoryWindow,
    ) -> Result<StoredWindow, HistoryError> {
        let (server, only, w) = (server.to_owned(), only.map(str::to_owned), *w);
        self.run(move |s| s.window(&server, only.as_deref(), &w, false))
            .await
    }

    /// A server's figures over `w`: its databases' counters summed, and its own samples.
    pub async fn server_timeline(
        &self,
        server: &str,
        w: &HistoryWindow,
    ) -> Result<ServerTimeline, HistoryError> {
        let (server, w) = (server.to_owned(), *w);
        let (got, rows) = self
            .run(move |s| {
                let got = s.window(&server, None, &w, true)?;
                Ok((got, s.server_samples(&server, &w)?))
            })
            .await?;
        Ok(answers::server_timeline(&w, &got.buckets, &rows))
    }

    pub async fn server_history(
        &self,
        server: &str,
        w: &HistoryWindow,
    ) -> Result<ServerHistory, HistoryError> {
        let got = self.window(server, None, w).await?;
        Ok(answers::server_history(
            w,
            got.last,
            &got.databases,
            &got.buckets,
        ))
    }

    /// The history of one database (empty for one the store has never heard of, as the old
    /// backend answered).
    pub async fn db_history(
        &self,
        server: &str,
        datname: &str,
        w: &HistoryWindow,
    ) -> Result<DbHistory, HistoryError> {
        let got = self.window(server, Some(datname), w).await?;
        let created = got.databases.first().and_then(|d| d.creation_time.clone());
        Ok(answers::db_history(w, got.last, created, &got.buckets))
    }

    /// `GET /server/{name}/db/{db}` from the newest sized sample, if there is one.
    pub async fn db_info(
        &self,
        server: &str,
        datname: &str,
    ) -> Result<Option<DbInfo>, HistoryError> {
        let (server, datname) = (server.to_owned(), datname.to_owned());
        let latest = self.run(move |s| s.latest_sized(&server, &datname)).await?;
        Ok(latest.map(|l| DbInfo {
            size_mb: l.size.map(|s| s as f64 / MIB),
            connections: l.numbackends.unwrap_or(0),
            commits: l.xact_commit.unwrap_or(0),
            last_update: Some(iso_micros(l.t_us)),
            history_error: None,
        }))
    }

    /// The analysis of a server's databases at `now` (seconds) with the thresholds of `s`.
    pub async fn analysis(
        &self,
        server: &str,
        now: i64,
        s: Settings,
    ) -> Result<ServerAnalysis, HistoryError> {
        let name = server.to_owned();
        let (freeze_max_age, dbs) = self
            .run(move |st| st.analysis_facts(&name, FactWindows::new(now, &s)))
            .await?;
        Ok(analysis::judge(server, now, &s, freeze_max_age, dbs))
    }

    /// Rolls samples older than `cutoff` (seconds) into hourly rollups; see
    /// `Embedded::apply_retention`.
    pub async fn apply_retention(&self, cutoff: i64) -> Result<u64, HistoryError> {
        self.run(move |s| s.apply_retention(cutoff)).await
    }

    pub async fn counts(&self) -> Result<HashMap<String, StoredCounts>, HistoryError> {
        self.run(|s| s.collector_counts()).await
    }

    /// The servers the store has history of.
    pub async fn server_names(&self) -> Result<Vec<String>, HistoryError> {
        self.run(|s| s.server_names()).await
    }

    /// Up to `limit` raw samples of `server` after `after` (seconds), oldest first, as they
    /// were recorded.
    pub async fn raw_samples(
        &self,
        server: &str,
        after: i64,
        limit: i64,
    ) -> Result<Vec<ServerSample>, HistoryError> {
        let server = server.to_owned();
        self.run(move |s| s.raw_samples(&server, after, limit))
            .await
    }

    pub fn size_on_disk(&self) -> u64 {
        self.inner.size_on_disk()
    }
}
