//! The health checks' schedule (SPEC B10): a run of every server every `checks_interval`
//! (the first once its last run in the store is that old, spread by a jitter), and a run on
//! demand; never two at once for one server, and at most [`RUNS_AT_ONCE`] servers at a time,
//! each one database (one session) at a time. A run's findings are merged into the store and
//! kept in memory for the API and `/metrics`: a reader never starts a check. With a shared
//! store, findings are written there too, and every replica's are taken into memory.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use pgmon_common::api::checks::ServerChecks;
use pgmon_common::servers::Server;
use rand::Rng;
use tokio::sync::Semaphore;
use tokio_util::sync::CancellationToken;

use super::{Collector, MAX_JITTER, lock};
use crate::history::HistoryError;
use crate::history::checks::CheckRecord;

/// Servers whose checks run at the same time.
const RUNS_AT_ONCE: usize = 4;
/// A server never checked waits this long (and a jitter) for its first run: a new install or
/// a new server gets results within minutes, a pgmond that restarts often does not check
/// every server each time (those checked before wait until their run is due).
const FIRST_RUN: Duration = Duration::from_secs(300);

/// What the collector keeps of the checks.
pub struct Checks {
    /// Each server's open findings and last run, as its last run left them in the store.
    latest: Mutex<HashMap<String, Arc<ServerChecks>>>,
    /// One run at a time per server: a second asker waits and gets the run's answer.
    running: Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
    permits: Semaphore,
}

impl Default for Checks {
    fn default() -> Checks {
        Checks {
            latest: Mutex::default(),
            running: Mutex::default(),
            permits: Semaphore::new(RUNS_AT_ONCE),
        }
    }
}

impl Checks {
    /// Forgets what memory holds of `server` (removed or renamed: the store follows it).
    pub fn forget(&self, server: &str) {
        lock(&self.latest).remove(server);
        lock(&self.running).remove(server);
    }
}

/// When `checks` last ran, in milliseconds since the epoch.
pub fn last_run_ms(checks: &ServerChecks) -> Option<i64> {
    chrono::DateTime::parse_from_rfc3339(checks.ran_at.as_deref()?)
        .ok()
        .map(|t| t.timestamp_millis())
}

impl Collector {
    /// Runs every check on `server` now and answers its open findings.
    pub async fn run_checks(&self, server: &Server) -> Result<Arc<ServerChecks>, HistoryError> {
        let gate = Arc::clone(
            lock(&self.checks.running)
                .entry(server.name.clone())
                .or_default(),
        );
        let _one = gate.lock().await;
        let _turn = self.checks.permits.acquire().await;
        let started = Instant::now();
        let (checked, errors) =
            crate::checks::run_server(&self.monitor, server, &self.settings()).await;
        let record = CheckRecord {
            ran_at: chrono::Utc::now().timestamp_millis(),
            duration_ms: started.elapsed().as_millis() as u64,
            checked,
            errors,
        };
        let found = Arc::new(self.store.record_checks(&server.name, record).await?);
        tracing::info!(
            server = %server.name,
            findings = found.checks.len(),
            errors = found.errors.len(),
            duration_ms = found.duration_ms.unwrap_or(0),
            "health checks ran"
        );
        lock(&self.checks.latest).insert(server.name.clone(), Arc::clone(&found));
        if let Some(shared) = self.leases.shared()
            && let Err(e) = shared.put_checks(&server.name, &found).await
        {
            tracing::warn!(server = %server.name, error = %e, "writing health checks to the shared store failed");
        }
        Ok(found)
    }

    /// With a shared store: takes every replica's findings into memory as they are written
    /// (what memory holds stays when it ran later), until `shutdown`.
    pub async fn follow_shared_checks(self: Arc<Self>, shutdown: CancellationToken) {
        let Some(shared) = self.leases.shared().cloned() else {
            return;
        };
        let mut seen = 0;
        while crate::store::next_look(&shared.wakes.checks, &shutdown).await {
            let written = match shared.checks_after(seen).await {
                Ok(written) => written,
                Err(e) => {
                    tracing::debug!(error = %e, "reading health checks from the shared store failed");
                    continue;
                }
            };
            let mut latest = lock(&self.checks.latest);
            for (version, server, checks) in written {
                seen = version;
                let newer = latest
                    .get(&server)
                    .is_none_or(|known| last_run_ms(known) <= last_run_ms(&checks));
                if newer {
                    latest.insert(server, Arc::new(checks));
                }
            }
        }
    }

    /// `server`'s open findings and last run, from memory (read from the store once).
    pub async fn server_checks(&self, name: &str) -> Result<Arc<ServerChecks>, HistoryError> {
        if let Some(known) = lock(&self.checks.latest).get(name) {
            return Ok(Arc::clone(known));
        }
        let stored = Arc::new(self.store.server_checks(name, false).await?);
        lock(&self.checks.latest).insert(name.to_owned(), Arc::clone(&stored));
        Ok(stored)
    }

    /// What memory holds of every server's checks (for `/metrics` and `GET /checks`).
    pub fn checks_in_memory(&self) -> HashMap<String, Arc<ServerChecks>> {
        lock(&self.checks.latest).clone()
    }

    /// `server`'s findings in memory, for the alert rules.
    pub fn checks_in_memory_of(&self, server: &str) -> Option<Arc<ServerChecks>> {
        lock(&self.checks.latest).get(server).cloned()
    }

    /// Fills memory with every server's findings from the store (at start).
    pub(super) async fn load_checks(&self) {
        match self.store.all_checks(false).await {
            Ok(all) => {
                let mut latest = lock(&self.checks.latest);
                for (name, checks) in all {
                    latest.entry(name).or_insert_with(|| Arc::new(checks));
                }
            }
            Err(e) => tracing::warn!(error = %e, "reading the health checks' findings failed"),
        }
    }

    fn checks_interval(&self) -> Duration {
        Duration::from_secs(self.settings().checks_interval)
    }

    pub(super) async fn checks_loop(self: Arc<Self>, server: Server) {
        let since_last = self
            .server_checks(&server.name)
            .await
            .ok()
            .and_then(|c| last_run_ms(&c))
            .map(|ms| {
                let ago = chrono::Utc::now().timestamp_millis().saturating_sub(ms);
                Duration::from_millis(u64::try_from(ago).unwrap_or(0))
            });
        let jitter = rand::rng().random_range(Duration::ZERO..=MAX_JITTER);
        let first = Instant::now();
        self.wait_until(first, |me| {
            let due = match since_last {
                Some(since) => me.checks_interval().saturating_sub(since),
                None => me.checks_interval().min(FIRST_RUN),
            };
            due + jitter
        })
        .await;
        loop {
            let started = Instant::now();
            if let Err(e) = self.run_checks(&server).await {
                tracing::warn!(server = %server.name, error = %e, "storing health checks failed");
            }
            self.wait_until(started, Self::checks_interval).await;
        }
    }
}
