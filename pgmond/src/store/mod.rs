//! The shared store (SPEC B7): with `store = "postgres://..."` in pgmond.toml, several pgmond
//! replicas keep one PostgreSQL database: the config dir's documents, sessions and
//! revocations, the audit trail, who samples which server (leases), the samples, silences,
//! open alerts and health-check findings. Each
//! replica still answers from memory and from its own config dir and embedded history store,
//! which follow the database: a change is announced with `NOTIFY`, and every replica also
//! looks for what it missed once a second. The findings and open alerts of the servers other
//! replicas collect are the exception: read from the database when asked, so that what a
//! replica holds grows with its share of the fleet. While the database is away, reads go on from what
//! the replica holds and changes are refused (503).
//!
//! Without `store`, none of this runs and the config dir is the store, as it always was.

pub mod alerts;
pub mod audit;
pub mod checks;
pub mod documents;
pub mod leases;
pub mod migrate;
pub mod samples;
pub mod sessions;
pub mod silences;

use std::sync::Mutex;
use std::time::Duration;

use deadpool_postgres::{Manager, ManagerConfig, Object, Pool, RecyclingMethod, Runtime};
use futures::StreamExt;
use tokio::sync::{Notify, broadcast};
use tokio_postgres::AsyncMessage;
use tokio_postgres_rustls::MakeRustlsConnect;

use crate::monitor::tls::TlsSettings;
use tokio_util::sync::CancellationToken;

/// The environment variable that gives the store when pgmond.toml does not.
pub const STORE_ENV: &str = "PGMON_STORE";
/// The schema this pgmond writes; a newer one in the database is refused.
pub const SCHEMA_VERSION: usize = 2;
const MIGRATIONS: [&str; SCHEMA_VERSION] =
    [include_str!("schema_1.sql"), include_str!("schema_2.sql")];

/// Every call to the store gives up after this long: a store that does not answer is away.
pub const CALL_TIMEOUT: Duration = Duration::from_secs(3);
/// How often each replica looks for changes it was not told of.
pub const CHECK_EVERY: Duration = Duration::from_secs(1);
/// Connections to the store a replica holds at most (the listener's aside).
const POOL_SIZE: usize = 4;

/// Advisory lock keys ("pgmn" and a number): one writer at a time orders what replicas copy.
mod locks {
    pub const SCHEMA: i64 = 0x7067_6d6e_0000_0001;
    pub const DOCUMENTS: i64 = 0x7067_6d6e_0000_0002;
    pub const SESSIONS: i64 = 0x7067_6d6e_0000_0003;
    pub const LEASES: i64 = 0x7067_6d6e_0000_0004;
    pub const SAMPLES: i64 = 0x7067_6d6e_0000_0005;
    pub const ALERTS: i64 = 0x7067_6d6e_0000_0006;
    pub const CHECKS: i64 = 0x7067_6d6e_0000_0007;
}

/// Notification channels.
mod channels {
    pub const DOCUMENTS: &str = "pgmon_documents";
    pub const SESSIONS: &str = "pgmon_sessions";
    pub const SAMPLES: &str = "pgmon_samples";
    pub const LOGINS: &str = "pgmon_logins";
    pub const SILENCES: &str = "pgmon_silences";
    pub const CHECKS: &str = "pgmon_checks";
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error(
        "the shared store is unreachable ({0}); changes are refused until it is back, reads \
         answer from what this replica holds"
    )]
    Unavailable(String),
    #[error(
        "the shared store holds schema {found}, written by a newer pgmond (this one knows up to \
         {known}); upgrade pgmond"
    )]
    Newer { found: usize, known: usize },
    /// The store cannot be used at all (at start): a bad URL, TLS refused, nobody answers.
    #[error("shared store: {0}")]
    Setup(String),
    /// The store answered, and refused: pgmond's own mistake, or a schema changed by hand.
    #[error("the shared store refused a query: {0}")]
    Query(String),
    #[error("another replica changed {0} at the same moment; nothing was changed here, try again")]
    Conflict(String),
}

impl From<tokio_postgres::Error> for StoreError {
    /// The store could not be talked to, or is not a primary (yet), or is shutting down: away.
    /// Anything else it said is a refusal.
    fn from(e: tokio_postgres::Error) -> StoreError {
        let away = e.as_db_error().is_none_or(|db| {
            let code = db.code().code();
            ["08", "53", "57P"].iter().any(|c| code.starts_with(c)) || code == "25006"
        });
        match away {
            true => StoreError::Unavailable(reason(&e)),
            false => StoreError::Query(reason(&e)),
        }
    }
}

/// What went wrong with the store, in one line, never with the connection string.
fn reason(e: &tokio_postgres::Error) -> String {
    match e.as_db_error() {
        Some(db) => format!("{}: {}", db.code().code(), db.message()),
        None => {
            let mut text = e.to_string();
            let mut source = std::error::Error::source(e);
            while let Some(s) = source {
                text = format!("{text}: {s}");
                source = s.source();
            }
            text
        }
    }
}

/// The store as `/api/health` shows it.
#[derive(Clone, Debug, Default)]
pub struct Health {
    pub reachable: bool,
    /// Since when (RFC 3339) it has been as it is.
    pub since: String,
    pub error: Option<String>,
}

/// One login attempt's outcome, told to every replica for their throttles.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct LoginOutcome {
    pub replica: String,
    pub source: Option<std::net::IpAddr>,
    pub login: String,
    pub failed: bool,
}

/// What other replicas announced, for the tasks that follow each kind.
#[derive(Default)]
pub struct Wakes {
    pub documents: Notify,
    pub sessions: Notify,
    pub samples: Notify,
    pub silences: Notify,
    pub checks: Notify,
}

pub struct Shared {
    pool: Pool,
    config: tokio_postgres::Config,
    tls: MakeRustlsConnect,
    /// This replica's name in the store (leases, samples, announcements).
    pub replica: String,
    health: Mutex<Health>,
    pub wakes: Wakes,
    logins: broadcast::Sender<LoginOutcome>,
}

fn now_text() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// The hosts of a connection string, for logs: never its password.
pub fn describe(config: &tokio_postgres::Config) -> String {
    let hosts: Vec<String> = config
        .get_hosts()
        .iter()
        .zip(config.get_ports().iter().chain(std::iter::repeat(&5432)))
        .map(|(h, p)| match h {
            tokio_postgres::config::Host::Tcp(h) => format!("{h}:{p}"),
            tokio_postgres::config::Host::Unix(d) => format!("{}:{p}", d.display()),
        })
        .collect();
    format!(
        "{}/{}",
        hosts.join(","),
        config.get_dbname().unwrap_or("(user's database)")
    )
}

impl Shared {
    /// Connects to the store at `url` over TLS as `tls` says (and the URL's `sslmode`),
    /// creating or migrating its schema.
    pub async fn open(url: &str, tls: TlsSettings) -> Result<Shared, StoreError> {
        let mut config: tokio_postgres::Config =
            url.parse().map_err(|e: tokio_postgres::Error| {
                StoreError::Setup(format!("not a URL pgmond can use: {e}"))
            })?;
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(CALL_TIMEOUT);
        }
        config.application_name("pgmond");
        let tls = tokio::task::spawn_blocking(move || tls.connector())
            .await
            .map_err(|e| StoreError::Setup(e.to_string()))?
            .map_err(|e| StoreError::Setup(e.to_string()))?
            .map(|c| c.tls)
            .ok_or_else(|| StoreError::Setup("TLS settings without a connector".into()))?;
        let manager = Manager::from_config(
            config.clone(),
            tls.clone(),
            ManagerConfig {
                recycling_method: RecyclingMethod::Fast,
            },
        );
        let pool = Pool::builder(manager)
            .max_size(POOL_SIZE)
            .runtime(Runtime::Tokio1)
            .wait_timeout(Some(CALL_TIMEOUT))
            .create_timeout(Some(CALL_TIMEOUT))
            .recycle_timeout(Some(CALL_TIMEOUT))
            .build()
            .map_err(|e| StoreError::Setup(e.to_string()))?;
        let shared = Shared {
            pool,
            config,
            tls,
            replica: uuid::Uuid::new_v4().simple().to_string(),
            health: Mutex::new(Health {
                reachable: true,
                since: now_text(),
                error: None,
            }),
            wakes: Wakes::default(),
            logins: broadcast::channel(1024).0,
        };
        shared.migrate().await.map_err(|e| match e {
            StoreError::Unavailable(why) => {
                StoreError::Setup(format!("cannot use {}: {why}", shared.describe()))
            }
            other => other,
        })?;
        Ok(shared)
    }

    pub fn describe(&self) -> String {
        describe(&self.config)
    }

    /// Creates the schema, or brings an older one up to date, under a lock (replicas starting
    /// together); refuses a newer one.
    async fn migrate(&self) -> Result<(), StoreError> {
        self.call(async |c| {
            let tx = c.transaction().await?;
            tx.execute("SELECT pg_advisory_xact_lock($1)", &[&locks::SCHEMA])
                .await?;
            let exists: bool = tx
                .query_one("SELECT to_regnamespace('pgmon') IS NOT NULL", &[])
                .await?
                .get(0);
            if !exists {
                tx.batch_execute("CREATE SCHEMA pgmon").await?;
            }
            let exists: bool = tx
                .query_one("SELECT to_regclass('pgmon.meta') IS NOT NULL", &[])
                .await?
                .get(0);
            let found = match exists {
                false => 0,
                true => tx
                    .query_opt("SELECT value FROM pgmon.meta WHERE key = 'schema'", &[])
                    .await?
                    .and_then(|r| r.get::<_, String>(0).parse::<usize>().ok())
                    .unwrap_or(0),
            };
            if found > SCHEMA_VERSION {
                return Ok(Err(StoreError::Newer {
                    found,
                    known: SCHEMA_VERSION,
                }));
            }
            for step in &MIGRATIONS[found..] {
                tx.batch_execute(step).await?;
            }
            tx.execute(
                "INSERT INTO pgmon.meta VALUES ('schema', $1)
                 ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                &[&SCHEMA_VERSION.to_string()],
            )
            .await?;
            tx.commit().await?;
            Ok(Ok(()))
        })
        .await?
    }

    /// Runs `work` on a pooled connection, within [`CALL_TIMEOUT`]; what happens is what the
    /// store's health says.
    pub async fn call<T>(
        &self,
        work: impl AsyncFnOnce(&mut Object) -> Result<T, tokio_postgres::Error>,
    ) -> Result<T, StoreError> {
        let outcome = tokio::time::timeout(CALL_TIMEOUT, async {
            let mut client = self.pool.get().await.map_err(|e| match e {
                deadpool_postgres::PoolError::Backend(e) => StoreError::from(e),
                other => StoreError::Unavailable(other.to_string()),
            })?;
            work(&mut client).await.map_err(StoreError::from)
        })
        .await
        .unwrap_or_else(|_| {
            Err(StoreError::Unavailable(format!(
                "no answer in {} s",
                CALL_TIMEOUT.as_secs()
            )))
        });
        match &outcome {
            Ok(_) => self.note(None),
            Err(StoreError::Unavailable(why)) => self.note(Some(why.clone())),
            Err(_) => {}
        }
        outcome
    }

    /// Runs `work` in a transaction, through [`Shared::call`]: first advisory lock `lock`
    /// when given (writers of one kind commit in the order they wrote), and `channel`'s
    /// listeners told at commit, so the other replicas look.
    pub async fn announced<T>(
        &self,
        lock: Option<i64>,
        channel: &str,
        work: impl AsyncFnOnce(&tokio_postgres::Transaction<'_>) -> Result<T, tokio_postgres::Error>,
    ) -> Result<T, StoreError> {
        self.transaction(lock, Some(channel), work).await
    }

    /// Like [`Shared::announced`], for writes the other replicas do not follow (they read
    /// them when asked).
    pub async fn locked<T>(
        &self,
        lock: i64,
        work: impl AsyncFnOnce(&tokio_postgres::Transaction<'_>) -> Result<T, tokio_postgres::Error>,
    ) -> Result<T, StoreError> {
        self.transaction(Some(lock), None, work).await
    }

    async fn transaction<T>(
        &self,
        lock: Option<i64>,
        channel: Option<&str>,
        work: impl AsyncFnOnce(&tokio_postgres::Transaction<'_>) -> Result<T, tokio_postgres::Error>,
    ) -> Result<T, StoreError> {
        self.call(async |c| {
            let tx = c.transaction().await?;
            if let Some(lock) = lock {
                tx.execute("SELECT pg_advisory_xact_lock($1)", &[&lock])
                    .await?;
            }
            let out = work(&tx).await?;
            if let Some(channel) = channel {
                tx.execute("SELECT pg_notify($1, '')", &[&channel]).await?;
            }
            tx.commit().await?;
            Ok(out)
        })
        .await
    }

    /// Every row of `sql`, through [`Shared::call`].
    pub async fn rows(
        &self,
        sql: &str,
        params: &[&(dyn tokio_postgres::types::ToSql + Sync)],
    ) -> Result<Vec<tokio_postgres::Row>, StoreError> {
        self.call(async |c| c.query(sql, params).await).await
    }

    fn note(&self, error: Option<String>) {
        let mut h = self.health.lock().unwrap_or_else(|p| p.into_inner());
        let reachable = error.is_none();
        if h.reachable != reachable {
            match &error {
                Some(e) => tracing::error!(error = %e, "the shared store is unreachable"),
                None => tracing::info!("the shared store is reachable again"),
            }
            h.since = now_text();
        }
        h.reachable = reachable;
        h.error = error;
    }

    pub fn health(&self) -> Health {
        self.health
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// Whether the store answered the last call; read without copying the health's texts
    /// (the collector asks for every server it reconciles).
    pub fn reachable(&self) -> bool {
        self.health
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .reachable
    }

    /// For a reader that can answer without the store: `read`'s answer; none while the
    /// store is away (not waited for: `read` is not run) or when it fails (logged, as `what`).
    pub async fn read_if_reachable<T>(
        &self,
        what: &str,
        read: impl Future<Output = Result<T, StoreError>>,
    ) -> Option<T> {
        if !self.reachable() {
            return None;
        }
        read.await
            .inspect_err(
                |e| tracing::debug!(error = %e, "reading {what} from the shared store failed"),
            )
            .ok()
    }

    /// Tells the other replicas of a login's outcome (for their throttles); best effort.
    pub async fn announce_login(&self, outcome: LoginOutcome) {
        let Ok(payload) = serde_json::to_string(&outcome) else {
            return;
        };
        let sent = self
            .call(async |c| {
                c.execute("SELECT pg_notify($1, $2)", &[&channels::LOGINS, &payload])
                    .await
            })
            .await;
        if let Err(e) = sent {
            tracing::debug!(error = %e, "announcing a login outcome failed");
        }
    }

    /// Other replicas' login outcomes, as they are announced.
    pub fn logins(&self) -> broadcast::Receiver<LoginOutcome> {
        self.logins.subscribe()
    }

    /// Holds a connection that listens for the other replicas' announcements and wakes the
    /// tasks that follow them, reconnecting (to whichever host the connection string leads
    /// to now) until `shutdown`. After each (re)connection every task is woken: what was
    /// announced while nobody listened is found by looking.
    pub async fn listen(self: std::sync::Arc<Self>, shutdown: CancellationToken) {
        loop {
            if let Err(e) = self.listen_once(&shutdown).await {
                tracing::debug!(error = %e, "the store's listener stopped");
            }
            if shutdown.is_cancelled() {
                return;
            }
            tokio::select! {
                _ = shutdown.cancelled() => return,
                _ = tokio::time::sleep(CHECK_EVERY) => {}
            }
        }
    }

    async fn listen_once(&self, shutdown: &CancellationToken) -> Result<(), StoreError> {
        let (client, mut connection) =
            tokio::time::timeout(CALL_TIMEOUT, self.config.connect(self.tls.clone()))
                .await
                .map_err(|_| StoreError::Unavailable("connecting timed out".into()))??;
        let (tx, mut messages) = tokio::sync::mpsc::unbounded_channel();
        let pump = tokio::spawn(async move {
            let mut stream = futures::stream::poll_fn(move |cx| connection.poll_message(cx));
            while let Some(m) = stream.next().await {
                if tx.send(m).is_err() {
                    return;
                }
            }
        });
        let listening = client
            .batch_execute(&format!(
                "LISTEN {}; LISTEN {}; LISTEN {}; LISTEN {}; LISTEN {}; LISTEN {}",
                channels::DOCUMENTS,
                channels::SESSIONS,
                channels::SAMPLES,
                channels::LOGINS,
                channels::SILENCES,
                channels::CHECKS
            ))
            .await;
        let outcome = match listening {
            Err(e) => Err(StoreError::from(e)),
            Ok(()) => {
                for n in [
                    &self.wakes.documents,
                    &self.wakes.sessions,
                    &self.wakes.samples,
                    &self.wakes.silences,
                    &self.wakes.checks,
                ] {
                    n.notify_one();
                }
                loop {
                    let message = tokio::select! {
                        _ = shutdown.cancelled() => break Ok(()),
                        m = messages.recv() => m,
                    };
                    match message {
                        Some(Ok(AsyncMessage::Notification(n))) => {
                            self.dispatch(n.channel(), n.payload())
                        }
                        Some(Ok(_)) => {}
                        Some(Err(e)) => break Err(StoreError::from(e)),
                        None => break Err(StoreError::Unavailable("connection closed".into())),
                    }
                }
            }
        };
        pump.abort();
        outcome
    }

    fn dispatch(&self, channel: &str, payload: &str) {
        match channel {
            channels::DOCUMENTS => self.wakes.documents.notify_one(),
            channels::SESSIONS => self.wakes.sessions.notify_one(),
            channels::SAMPLES => self.wakes.samples.notify_one(),
            channels::SILENCES => self.wakes.silences.notify_one(),
            channels::CHECKS => self.wakes.checks.notify_one(),
            channels::LOGINS => {
                if let Ok(o) = serde_json::from_str::<LoginOutcome>(payload)
                    && o.replica != self.replica
                {
                    let _ = self.logins.send(o);
                }
            }
            _ => {}
        }
    }
}

/// Waits for `wake` or [`CHECK_EVERY`], whichever comes first; false at `shutdown`.
pub async fn next_look(wake: &Notify, shutdown: &CancellationToken) -> bool {
    tokio::select! {
        _ = shutdown.cancelled() => false,
        _ = wake.notified() => true,
        _ = tokio::time::sleep(CHECK_EVERY) => true,
    }
}
