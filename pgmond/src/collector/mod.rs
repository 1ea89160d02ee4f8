//! The collector (SPEC B4): all scheduled work against monitored servers. Each server has a
//! task that samples it on its interval (start spread with jitter, bounded in time, a bounded
//! number at once) and another that imports its legacy `stats_db` each interval while it has
//! one. A supervisor keeps the tasks in step with `servers.json`. None of it is on a request's
//! path: the API reads what the store and this module's memory hold.

mod checks;
pub use checks::{FleetFindings, last_run_ms};
mod legacy;
pub mod sample;
pub mod settings_file;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use pgmon_common::api::history::{CollectorServer, CollectorStatus, ImportState, LegacyImport};
use pgmon_common::api::settings::{Settings, SettingsUpdate};
use pgmon_common::servers::Server;
use rand::Rng;
use tokio::sync::{Notify, Semaphore};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::fleet::Fleet;
use crate::history::window::iso_micros;
use crate::history::{HistoryError, HistoryStore, Observed, ServerSample};
use crate::monitor::{Monitor, MonitorError, live_db};
use crate::store::documents::{ConfigStore, Needs};
use crate::store::leases::Leases;
use crate::store::samples::Outbox;
use legacy::ImportError;

/// How often the supervisor looks at the in-memory config when nobody told it of a change
/// (pgmonctl may write the file directly; the snapshot follows within 100 ms).
const RECONCILE_EVERY: Duration = Duration::from_secs(2);
/// A sample (connect, queries, disk over SSH) never takes longer than this.
const SAMPLE_DEADLINE: Duration = Duration::from_secs(20);
/// First samples are spread over at most this long, so a restart does not hit every server in
/// the same second, yet a new server is not left unsampled for a whole interval.
const MAX_JITTER: Duration = Duration::from_secs(60);
/// How often retention runs.
const RETENTION_EVERY: Duration = Duration::from_secs(3_600);
/// A legacy import pass gives up after this long and resumes at the next interval.
const IMPORT_DEADLINE: Duration = Duration::from_secs(600);

/// What pgmond.toml says of the collector.
#[derive(Clone, Copy, Debug)]
pub struct Schedule {
    /// Intervals and retention until an admin changes them (`settings.json` then wins).
    pub defaults: Settings,
    /// Servers sampled at once.
    pub concurrency: usize,
    /// Whether legacy `stats_db` tables are imported. Without it, servers whose entry names a
    /// stats database keep being answered from it, as the old backend did.
    pub legacy_import: bool,
}

#[derive(Clone, Debug)]
struct Import {
    state: ImportState,
    /// The store already held this server's legacy rows when the task started: it answers
    /// while the pass catches up on what came since.
    had_rows: bool,
    rows: u64,
    error: Option<String>,
}

struct Tasks {
    server: Server,
    sampler: JoinHandle<()>,
    importer: JoinHandle<()>,
    checker: JoinHandle<()>,
}

impl Tasks {
    fn abort(&self) {
        self.sampler.abort();
        self.importer.abort();
        self.checker.abort();
    }
}

pub struct Collector {
    config: Arc<ConfigStore>,
    fleet: Arc<Fleet>,
    /// The server list the tasks were last matched to, and the leases' count of changes then.
    reconciled: Mutex<Option<(Arc<Vec<Server>>, u64)>>,
    monitor: Arc<Monitor>,
    store: HistoryStore,
    alerts: Arc<crate::alerts::Alerts>,
    schedule: Schedule,
    settings: std::sync::RwLock<Settings>,
    /// What `settings.json` holds; locked while it is written, so changes do not interleave.
    changes: tokio::sync::Mutex<SettingsUpdate>,
    permits: Semaphore,
    tasks: Mutex<HashMap<String, Tasks>>,
    imports: Mutex<HashMap<String, Import>>,
    /// Each server's newest sample, for `/metrics`: a scrape never asks a server.
    latest: Mutex<HashMap<String, Arc<LatestSample>>>,
    wake: Notify,
    /// Renames made through the API (old name → new), for the next reconcile: the history
    /// follows them whatever else the change touched.
    renames: Mutex<HashMap<String, String>>,
    /// Wakes every task waiting for its next turn when the settings change.
    settings_changed: Notify,
    checks: checks::Checks,
    /// Which servers this replica samples (all of them without a shared store).
    leases: Arc<Leases>,
    /// Samples on their way to the shared store, when there is one.
    outbox: Option<Arc<Outbox>>,
}

/// The newest sample of a server, and how many were taken and failed since pgmond started.
pub struct LatestSample {
    /// Seconds since the epoch.
    pub at: i64,
    pub duration_ms: u64,
    pub outcome: Result<Live, String>,
    /// It failed because the server could not be talked to at all (see
    /// `MonitorError::is_unreachable`).
    pub unreachable: bool,
    /// Failed samples in a row, this one included.
    pub failures_in_row: u64,
    pub samples: u64,
    pub failures: u64,
}

/// What a successful sample read, beyond what the store keeps.
pub struct Live {
    pub observed: Observed,
    pub version: String,
    /// The postmaster's start, in seconds since the epoch.
    pub started_at: f64,
    /// Each database's counters as the server has them, by oid.
    pub totals: HashMap<i64, sample::Counters>,
    /// Standbys' lag and slots' retained WAL, as the sample found them.
    pub replication: pgmon_common::api::replication::ServerReplication,
    /// The longest transaction, idle-in-transaction session, query and lock wait.
    pub ages: sample::SessionAges,
    /// When the server's TLS certificate expires (seconds since the epoch), as pgmon's last
    /// handshake saw it; none without TLS.
    pub certificate_expiry: Option<i64>,
}

/// What a server's sampler carries from one sample to the next.
#[derive(Default)]
struct Taken {
    /// Each database's counters and when it was created, by oid.
    previous: HashMap<i64, (sample::Counters, Option<i64>)>,
    /// When sizes were last read.
    sized_at: Option<Instant>,
}

fn clamp(bytes: u64) -> i64 {
    i64::try_from(bytes).unwrap_or(i64::MAX)
}

/// Whether two entries are the same in every field.
fn same(a: &Server, b: &Server) -> bool {
    serde_json::to_value(a).ok() == serde_json::to_value(b).ok()
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl Collector {
    pub fn new(
        config: Arc<ConfigStore>,
        fleet: Arc<Fleet>,
        monitor: Arc<Monitor>,
        (store, alerts): (HistoryStore, Arc<crate::alerts::Alerts>),
        schedule: Schedule,
        changes: SettingsUpdate,
        leases: Arc<Leases>,
    ) -> Collector {
        Collector {
            config,
            fleet,
            reconciled: Mutex::new(None),
            monitor,
            store,
            alerts,
            permits: Semaphore::new(schedule.concurrency.max(1)),
            settings: std::sync::RwLock::new(changes.applied_to(schedule.defaults)),
            changes: tokio::sync::Mutex::new(changes),
            schedule,
            tasks: Mutex::new(HashMap::new()),
            imports: Mutex::new(HashMap::new()),
            latest: Mutex::new(HashMap::new()),
            wake: Notify::new(),
            renames: Mutex::new(HashMap::new()),
            settings_changed: Notify::new(),
            checks: checks::Checks::default(),
            outbox: leases.shared().map(|_| Arc::new(Outbox::default())),
            leases,
        }
    }

    /// Samples waiting for the shared store (none without one).
    pub fn outbox(&self) -> Option<&Arc<Outbox>> {
        self.outbox.as_ref()
    }

    pub fn leases(&self) -> &Arc<Leases> {
        &self.leases
    }

    pub fn store(&self) -> &HistoryStore {
        &self.store
    }

    /// Tells the supervisor that `servers.json` changed.
    pub fn servers_changed(&self) {
        self.wake.notify_one();
    }

    /// Tells the supervisor that server `old` is now called `new`.
    pub fn server_renamed(&self, old: &str, new: &str) {
        lock(&self.renames).insert(old.to_owned(), new.to_owned());
        self.wake.notify_one();
    }

    /// Runs until `shutdown`, then stops every task.
    pub async fn run(self: Arc<Self>, shutdown: CancellationToken) {
        self.load_checks().await;
        let retention = tokio::spawn(Arc::clone(&self).retention_loop());
        loop {
            self.reconcile().await;
            // Also between changes: a check in flight during one may have made a pool again.
            self.monitor.keep_pools_of(&self.fleet.get().servers);
            tokio::select! {
                _ = shutdown.cancelled() => break,
                _ = self.wake.notified() => {}
                _ = self.leases.reconcile.notified() => {}
                _ = tokio::time::sleep(RECONCILE_EVERY) => {}
            }
        }
        retention.abort();
        for (_, t) in lock(&self.tasks).drain() {
            t.abort();
        }
        // A clean stop leaves every sample in history.db, none in its write-ahead log.
        if let Err(e) = self.store.checkpoint().await {
            tracing::warn!(error = %e, "checkpointing the history store failed");
        }
    }

    /// Every hour, samples older than the raw retention move into hourly rollups.
    async fn retention_loop(self: Arc<Self>) {
        let mut every = tokio::time::interval(RETENTION_EVERY);
        loop {
            every.tick().await;
            let keep =
                i64::try_from(self.settings().raw_retention_days * 86_400).unwrap_or(i64::MAX);
            let cutoff = chrono::Utc::now().timestamp().saturating_sub(keep);
            match self.store.apply_retention(cutoff).await {
                Ok(0) => {}
                Ok(n) => tracing::info!(samples = n, "history: old samples rolled up by hour"),
                Err(e) => tracing::warn!(error = %e, "history retention failed"),
            }
            if let Some(shared) = self.leases.shared() {
                match shared.drop_old_samples(cutoff).await {
                    Ok(0) => {}
                    Ok(n) => {
                        tracing::info!(months = n, "shared store: old months of samples dropped")
                    }
                    Err(e) => {
                        tracing::warn!(error = %e, "dropping old samples from the shared store failed")
                    }
                }
            }
            // A resolved finding's history is kept as long as raw samples are.
            if let Err(e) = self
                .store
                .forget_resolved_checks(cutoff.saturating_mul(1000))
                .await
            {
                tracing::warn!(error = %e, "forgetting old health-check findings failed");
            }
        }
    }

    /// Starts tasks for new servers, restarts those of changed entries and stops those of
    /// removed ones, whatever changed the list (the API, pgmonctl on the files, an edit by
    /// hand): what an old entry held (pools, cached status) is let go, and its history follows
    /// the server. An entry that reappears under another name, the same in all else, was
    /// renamed: its history moves with it. One that is gone has its history set aside, so a
    /// new server under the name starts empty.
    async fn reconcile(self: &Arc<Self>) {
        let servers = Arc::clone(&self.fleet.get().servers);
        let leases = self.leases.changes();
        {
            // The same list and leases as last time: nothing to compare.
            let mut seen = lock(&self.reconciled);
            if seen
                .as_ref()
                .is_some_and(|(s, l)| Arc::ptr_eq(s, &servers) && *l == leases)
            {
                return;
            }
            *seen = Some((Arc::clone(&servers), leases));
        }
        let listed: HashMap<&str, &Server> = servers.iter().map(|s| (s.name.as_str(), s)).collect();
        // The servers this replica works on: all of them, or, with replicas sharing a store,
        // those it holds the lease of (the others' tasks run on the replicas that hold them).
        let ours: HashMap<&str, &Server> = listed
            .iter()
            .filter(|(name, _)| self.leases.held(name).is_some())
            .map(|(n, s)| (*n, *s))
            .collect();
        let mut stopped = Vec::new();
        lock(&self.tasks).retain(|name, t| {
            let keep = ours.get(name.as_str()).is_some_and(|s| same(s, &t.server));
            if !keep {
                t.abort();
                stopped.push(t.server.clone());
            }
            keep
        });
        let fresh: Vec<&Server> = {
            let tasks = lock(&self.tasks);
            servers
                .iter()
                .filter(|s| ours.contains_key(s.name.as_str()) && !tasks.contains_key(&s.name))
                .collect()
        };
        for old in &stopped {
            self.monitor.forget(old);
            let told = lock(&self.renames).remove(&old.name);
            let renamed = fresh.iter().find(|n| {
                let mut moved = old.clone();
                moved.name.clone_from(&n.name);
                n.name != old.name && (told.as_ref() == Some(&n.name) || same(&moved, n))
            });
            let history = match renamed {
                Some(n) => self.store.rename_server(&old.name, &n.name).await,
                None if !listed.contains_key(old.name.as_str()) => {
                    self.store.retire_server(&old.name).await
                }
                None => Ok(()),
            };
            if let Err(e) = history {
                tracing::warn!(server = %old.name, error = %e, "moving a server's history failed");
            }
            if !listed.contains_key(old.name.as_str()) || renamed.is_some() {
                lock(&self.imports).remove(&old.name);
                lock(&self.latest).remove(&old.name);
                self.checks.forget(&old.name);
                self.alerts.forget_server(&old.name);
            } else if !ours.contains_key(old.name.as_str()) {
                self.checks.let_go(&old.name);
            }
        }
        let mut tasks = lock(&self.tasks);
        let mut imports = lock(&self.imports);
        for server in fresh {
            if tasks.contains_key(&server.name) {
                continue;
            }
            let state = match (self.schedule.legacy_import, &server.stats_db) {
                (true, _) => ImportState::Pending,
                (false, Some(_)) => ImportState::Off,
                (false, None) => ImportState::None,
            };
            let import = imports.entry(server.name.clone()).or_insert(Import {
                state,
                had_rows: false,
                rows: 0,
                error: None,
            });
            import.state = state;
            let importer = match state {
                ImportState::Pending => tokio::spawn(Arc::clone(self).import_loop(server.clone())),
                _ => tokio::spawn(async {}),
            };
            tasks.insert(
                server.name.clone(),
                Tasks {
                    server: server.clone(),
                    sampler: tokio::spawn(Arc::clone(self).sample_loop(server.clone())),
                    importer,
                    checker: tokio::spawn(Arc::clone(self).checks_loop(server.clone())),
                },
            );
        }
    }

    pub fn settings(&self) -> Settings {
        *self.settings.read().unwrap_or_else(|p| p.into_inner())
    }

    /// Applies and keeps a change of settings; the next cycle of each server follows it.
    pub async fn change_settings(
        &self,
        update: SettingsUpdate,
    ) -> Result<Settings, crate::api::ApiError> {
        let mut changes = self.changes.lock().await;
        let saved = changes.then(&update);
        self.config
            .change(Needs::Store, move |dir| settings_file::save(dir, &saved))
            .await??;
        Ok(self.apply_settings(&mut changes, saved))
    }

    fn apply_settings(&self, changes: &mut SettingsUpdate, saved: SettingsUpdate) -> Settings {
        *changes = saved;
        let next = saved.applied_to(self.schedule.defaults);
        *self.settings.write().unwrap_or_else(|p| p.into_inner()) = next;
        self.settings_changed.notify_waiters();
        next
    }

    /// Reads `settings.json` again (another replica changed it).
    pub async fn reload_settings(&self) {
        let mut changes = self.changes.lock().await;
        let dir = Arc::clone(self.config.dir());
        match tokio::task::spawn_blocking(move || settings_file::load(&dir)).await {
            Ok(Ok(saved)) if saved != *changes => {
                self.apply_settings(&mut changes, saved);
            }
            Ok(Ok(_)) => {}
            Ok(Err(e)) => tracing::warn!(error = %e, "rereading settings.json failed"),
            Err(e) => tracing::warn!(error = %e, "rereading settings.json failed"),
        }
    }

    /// Sleeps until `after(self)` past `started`, worked out again whenever the settings
    /// change: a shorter interval takes effect at once, not after the current one.
    async fn wait_until(&self, started: Instant, after: impl Fn(&Self) -> Duration) {
        loop {
            // Registered before the deadline is read, so no change slips between.
            let changed = self.settings_changed.notified();
            let deadline = started + after(self);
            tokio::select! {
                _ = tokio::time::sleep_until(deadline.into()) => return,
                _ = changed => {}
            }
        }
    }

    fn global_interval(&self) -> Duration {
        Duration::from_secs(self.settings().collect_interval)
    }

    /// A server's interval; a hand-written entry's is held to the API's bounds, so no
    /// instant it is added to can overflow.
    fn interval_of(&self, server: &Server) -> Duration {
        let seconds = server
            .collect_interval
            .unwrap_or(self.settings().collect_interval);
        Duration::from_secs(seconds.min(pgmon_common::servers::MAX_COLLECT_INTERVAL))
    }

    async fn sample_loop(self: Arc<Self>, server: Server) {
        if self.interval_of(&server).is_zero() {
            return self.catalogue_loop(server).await;
        }
        if self.leases.shared().is_some() {
            return self.slot_loop(server).await;
        }
        let spread = self.interval_of(&server).min(MAX_JITTER);
        let jitter = rand::rng().random_range(Duration::ZERO..=spread);
        let first = Instant::now();
        self.wait_until(first, |me| jitter.min(me.interval_of(&server)))
            .await;
        let mut taken = Taken::default();
        loop {
            let started = Instant::now();
            let sample = Box::pin(self.sample_once(&server, &mut taken)).await;
            if let Err(e) = Box::pin(self.store.record(sample)).await {
                tracing::warn!(server = %server.name, error = %e, "storing a sample failed");
            }
            self.wait_until(started, |me| me.interval_of(&server)).await;
        }
    }

    /// With replicas sharing a store: samples `server` once per interval, at the same point
    /// of each interval whichever replica holds its lease, while this one does. A server just
    /// taken over also gets the interval before, when the replica that held it left it
    /// without a sample (it died first).
    async fn slot_loop(self: Arc<Self>, server: Server) {
        let (Some(store), Some(outbox)) = (self.leases.shared().cloned(), self.outbox.clone())
        else {
            return;
        };
        let mut taken = Taken::default();
        let mut done: Option<i64> = None;
        let mut round = None;
        loop {
            let interval = i64::try_from(self.interval_of(&server).as_millis()).unwrap_or(i64::MAX);
            let phase = crate::store::leases::phase(&server.name, interval);
            let now = chrono::Utc::now().timestamp_millis();
            let slot = (now - phase).div_euclid(interval);
            let changed = self.leases.changed.notified();
            let held = self.leases.held(&server.name);
            let fresh = held.is_some() && held != round;
            round = held;
            if held.is_some() {
                let due: Vec<i64> = match fresh {
                    true => vec![slot - 1, slot],
                    false => vec![slot],
                };
                for s in due {
                    let slot_ms = s * interval;
                    if done.is_some_and(|d| s <= d)
                        || outbox.holds(&server.name, slot_ms)
                        || (fresh
                            && Box::pin(store.has_sample(&server.name, slot_ms))
                                .await
                                .unwrap_or(false))
                    {
                        continue;
                    }
                    // Boxed, as every await of the loops: between samples a task holds only
                    // its loop's state (a replica has thousands of tasks).
                    let sample = Box::pin(self.sample_once(&server, &mut taken)).await;
                    outbox.put(&sample, slot_ms);
                    done = Some(s);
                }
            }
            let next = (slot + 1) * interval + phase;
            let wait = u64::try_from(next - chrono::Utc::now().timestamp_millis()).unwrap_or(0);
            tokio::select! {
                _ = tokio::time::sleep(Duration::from_millis(wait)) => {}
                _ = changed => {}
                _ = self.settings_changed.notified() => {}
            }
        }
    }

    /// Samples `server` now (bounded in time, taking a turn), keeps it as the newest and shows
    /// it to the alerts.
    async fn sample_once(&self, server: &Server, taken: &mut Taken) -> ServerSample {
        let started = Instant::now();
        let size_interval = Duration::from_secs(self.settings().size_interval);
        let with_sizes = taken.sized_at.is_none_or(|t| t.elapsed() >= size_interval);
        let at = chrono::Utc::now().timestamp();
        let outcome = {
            let _permit = self.permits.acquire().await;
            match tokio::time::timeout(
                SAMPLE_DEADLINE,
                // Boxed: a task waiting for its turn holds a small future, not the whole
                // sample's (a thousand of them wait at once after a start).
                Box::pin(self.sample(server, with_sizes, &mut taken.previous)),
            )
            .await
            {
                Ok(read) => read,
                Err(_) => Err(MonitorError::Timeout),
            }
        };
        if outcome.is_ok() && with_sizes {
            taken.sized_at = Some(started);
        }
        let unreachable = outcome.as_ref().is_err_and(MonitorError::is_unreachable);
        let outcome = outcome.map_err(|e| e.status());
        if let Err(e) = &outcome {
            tracing::debug!(server = %server.name, error = %e, "sample failed");
        }
        let duration_ms = started.elapsed().as_millis() as u64;
        let sample = ServerSample {
            server: server.name.clone(),
            at,
            duration_ms,
            outcome: outcome
                .as_ref()
                .map(|l| l.observed.clone())
                .map_err(Clone::clone),
        };
        let latest = self.keep_latest(&server.name, at, duration_ms, outcome, unreachable);
        self.alerts.observe(
            &server.name,
            crate::alerts::Observation {
                sample: latest,
                checks: self.checks_in_memory_of(&server.name),
                settings: self.settings(),
            },
        );
        sample
    }

    /// For a server that is not sampled: its list of databases still follows the server (for
    /// `exists` in the history answers), refreshed each interval.
    async fn catalogue_loop(self: Arc<Self>, server: Server) {
        loop {
            let started = Instant::now();
            Box::pin(self.record_catalogue(&server)).await;
            self.wait_until(started, Self::global_interval).await;
        }
    }

    /// Reads which databases `server` has now and keeps that in the store (for `exists` in
    /// the history answers); a server that does not answer is left for the next turn.
    async fn record_catalogue(&self, server: &Server) {
        let read = tokio::time::timeout(
            SAMPLE_DEADLINE,
            self.monitor.with_client(server, live_db(server), |c| {
                let own = self.monitor.own_pids(server);
                async move { sample::read(&c, false, &mut HashMap::new(), own).await }
            }),
        )
        .await;
        let Ok(Ok(read)) = read else { return };
        let at = chrono::Utc::now().timestamp();
        if let Err(e) = self
            .store
            .record_catalogue(&server.name, at, read.databases)
            .await
        {
            tracing::warn!(server = %server.name, error = %e, "storing databases failed");
        }
    }

    async fn sample(
        &self,
        server: &Server,
        with_sizes: bool,
        previous: &mut HashMap<i64, (sample::Counters, Option<i64>)>,
    ) -> Result<Live, MonitorError> {
        // The counters of the sample before stay as they are until a read succeeds.
        let before = &*previous;
        let (read, counters) = self
            .monitor
            .with_client(server, live_db(server), |c| {
                let mut counters = before.clone();
                let own = self.monitor.own_pids(server);
                async move {
                    let r = sample::read(&c, with_sizes, &mut counters, own).await?;
                    Ok((r, counters))
                }
            })
            .await?;
        let totals = counters.iter().map(|(oid, (c, _))| (*oid, *c)).collect();
        *previous = counters;
        let disk = match read.data_dir.as_deref() {
            Some(d) => match self.monitor.disk_usage(server, d).await {
                Some(Ok(u)) => Some((clamp(u.free), clamp(u.total))),
                _ => None,
            },
            None => None,
        };
        Ok(Live {
            observed: Observed {
                connections: read.connections,
                max_connections: read.max_connections,
                freeze_max_age: Some(read.freeze_max_age),
                disk,
                databases: read.databases,
            },
            version: read.version,
            started_at: read.started_at,
            totals,
            replication: read.replication,
            ages: read.ages,
            certificate_expiry: self.monitor.certificate_expiry(server),
        })
    }

    fn keep_latest(
        &self,
        server: &str,
        at: i64,
        duration_ms: u64,
        outcome: Result<Live, String>,
        unreachable: bool,
    ) -> Arc<LatestSample> {
        let mut latest = lock(&self.latest);
        let (samples, failures, in_row) = latest
            .get(server)
            .map_or((0, 0, 0), |l| (l.samples, l.failures, l.failures_in_row));
        let failed = outcome.is_err();
        let sample = Arc::new(LatestSample {
            at,
            duration_ms,
            outcome,
            unreachable,
            failures_in_row: if failed { in_row + 1 } else { 0 },
            samples: samples + 1,
            failures: failures + u64::from(failed),
        });
        latest.insert(server.to_owned(), Arc::clone(&sample));
        sample
    }

    /// The newest sample of every server sampled since pgmond started.
    pub fn latest(&self) -> HashMap<String, Arc<LatestSample>> {
        lock(&self.latest).clone()
    }

    pub fn store_size(&self) -> u64 {
        self.store.size_on_disk()
    }

    async fn import_loop(self: Arc<Self>, server: Server) {
        let had_rows = matches!(self.store.legacy_cursor(&server.name).await, Ok(Some(_)));
        self.set_import(&server.name, |i| i.had_rows = had_rows);
        loop {
            let started = Instant::now();
            self.set_import(&server.name, |i| {
                if i.state == ImportState::Pending {
                    i.state = ImportState::Importing;
                }
            });
            // A pass takes a turn as a sample does: a start does not open every server's stats
            // database at once.
            let pass = {
                let _permit = self.permits.acquire().await;
                tokio::time::timeout(
                    IMPORT_DEADLINE,
                    Box::pin(legacy::import_pass(&self.monitor, &self.store, &server)),
                )
                .await
            };
            // Before the answers move to the store, the store learns which databases exist
            // now: its first sample may be a minute away, and until then every database would
            // read as gone.
            let caught_up = lock(&self.imports)
                .get(&server.name)
                .is_some_and(|i| i.state == ImportState::CaughtUp);
            if matches!(pass, Ok(Ok(_))) && !caught_up {
                Box::pin(self.record_catalogue(&server)).await;
            }
            self.set_import(&server.name, |i| match pass {
                Ok(Ok(rows)) => {
                    i.rows += rows;
                    i.state = ImportState::CaughtUp;
                    i.error = None;
                }
                Ok(Err(ImportError::Absent(why))) => {
                    if i.state != ImportState::CaughtUp {
                        i.state = ImportState::None;
                    }
                    i.error = (i.state == ImportState::CaughtUp).then_some(why);
                }
                Ok(Err(e)) => {
                    // Nothing read yet: not "importing" (a server without a stats database
                    // read so while it could not be asked), pending with the reason.
                    if i.state == ImportState::Importing && i.rows == 0 {
                        i.state = ImportState::Pending;
                    }
                    i.error = Some(e.to_string());
                }
                Err(_) => i.error = Some("import pass timed out; resumes next interval".into()),
            });
            if let Some(e) = lock(&self.imports)
                .get(&server.name)
                .and_then(|i| i.error.clone())
            {
                tracing::debug!(server = %server.name, error = %e, "legacy import");
            }
            self.wait_until(started, Self::global_interval).await;
        }
    }

    fn set_import(&self, name: &str, change: impl FnOnce(&mut Import)) {
        if let Some(i) = lock(&self.imports).get_mut(name) {
            change(i);
        }
    }

    /// Whether the history of `name` is answered from the store (else from its legacy tables,
    /// until the import has caught up).
    pub fn answers_from_store(&self, name: &str) -> bool {
        match lock(&self.imports).get(name) {
            Some(i) => i.had_rows || matches!(i.state, ImportState::CaughtUp | ImportState::None),
            // A server another replica works on: with no import, the store answers unless the
            // server names a stats database (then that does, live).
            None => {
                self.leases.shared().is_some()
                    && !self.schedule.legacy_import
                    && self
                        .fleet
                        .get()
                        .server(name)
                        .is_some_and(|s| s.stats_db.is_none())
            }
        }
    }

    /// `GET /collector/status`: the store's counts with what the tasks know.
    pub async fn status(&self, servers: &[Server]) -> Result<CollectorStatus, HistoryError> {
        let counts = self.store.counts().await?;
        let imports = lock(&self.imports).clone();
        let list = servers
            .iter()
            .map(|s| {
                let c = counts.get(&s.name);
                let i = imports.get(&s.name);
                CollectorServer {
                    name: s.name.clone(),
                    interval: self.interval_of(s).as_secs(),
                    last_sample: c
                        .and_then(|c| c.last_sample)
                        .map(|t| iso_micros(t * 1_000_000)),
                    last_duration_ms: c.and_then(|c| c.last_duration_ms).map(|d| d.max(0) as u64),
                    last_error: c.and_then(|c| c.last_error.clone()),
                    samples: c.map_or(0, |c| c.samples.max(0) as u64),
                    rows_stored: c.map_or(0, |c| c.rows.max(0) as u64),
                    legacy_import: LegacyImport {
                        state: i.map_or(ImportState::Pending, |i| i.state),
                        rows_imported: i.map_or(0, |i| i.rows),
                        last_imported: c.and_then(|c| c.legacy_t_us).map(iso_micros),
                        error: i.and_then(|i| i.error.clone()),
                    },
                }
            })
            .collect();
        Ok(CollectorStatus {
            servers: list,
            store_bytes: self.store.size_on_disk(),
        })
    }
}
