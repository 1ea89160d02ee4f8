//! What every request handler can reach.

use std::collections::BTreeMap;
use std::sync::Arc;

use pgmon_common::ConfigDir;
use pgmon_common::api::PoolStatus;

use crate::alerts::Alerts;
use crate::api::ApiError;
use crate::audit::AuditLog;
use crate::auth::jwt::TokenKeys;
use crate::auth::sessions::Sessions;
use crate::auth::throttle::LoginThrottle;
use crate::collector::{Collector, Schedule};
use crate::fleet::{Fleet, Snapshot};
use crate::history::HistoryStore;
use crate::metrics::Metrics;
use crate::monitor::tls_files::TlsFiles;
use crate::monitor::{CacheTtls, Monitor};
use crate::store::documents::{ConfigStore, Needs};
use crate::store::leases::Leases;
use pgmon_common::api::settings::SettingsUpdate;

#[derive(Clone)]
pub struct AppState {
    pub dir: Arc<ConfigDir>,
    /// The config dir as changes reach it: through the shared store when there is one.
    pub config: Arc<ConfigStore>,
    pub tokens: Arc<TokenKeys>,
    pub monitor: Arc<Monitor>,
    /// Monitored servers at most (`max_servers` of pgmond.toml).
    pub max_servers: usize,
    pub throttle: Arc<LoginThrottle>,
    pub collector: Arc<Collector>,
    pub alerts: Arc<Alerts>,
    pub fleet: Arc<Fleet>,
    pub metrics: Arc<Metrics>,
    /// `metrics_token` of pgmond.toml: a bearer token good for `/metrics` only.
    pub metrics_token: Option<Arc<str>>,
    pub sessions: Arc<Sessions>,
    pub audit: Arc<AuditLog>,
    /// Which TLS files server entries may name.
    pub tls_files: Arc<TlsFiles>,
}

impl AppState {
    pub fn new(
        config: Arc<ConfigStore>,
        (tokens, sessions, audit): (TokenKeys, Sessions, AuditLog),
        (ttls, tls_files): (CacheTtls, TlsFiles),
        max_servers: usize,
        throttle: LoginThrottle,
        history: (HistoryStore, Schedule, SettingsUpdate),
        snapshot: Snapshot,
    ) -> AppState {
        let dir = Arc::clone(config.dir());
        let fleet = Arc::new(Fleet::new(Arc::clone(&dir), snapshot));
        let tls_files = Arc::new(tls_files);
        let monitor = Arc::new(Monitor::new(Arc::clone(&dir), ttls, Arc::clone(&tls_files)));
        let (store, schedule, settings) = history;
        let leases = Arc::new(Leases::new(config.shared().cloned()));
        let alerts = Arc::new(Alerts::new(
            store.clone(),
            Arc::clone(&config),
            Arc::clone(&fleet),
            Arc::clone(&monitor),
            Arc::clone(&leases),
        ));
        let collector = Arc::new(Collector::new(
            Arc::clone(&config),
            Arc::clone(&fleet),
            Arc::clone(&monitor),
            (store, Arc::clone(&alerts)),
            schedule,
            settings,
            leases,
        ));
        AppState {
            metrics: Arc::new(Metrics::new(
                Arc::clone(&fleet),
                Arc::clone(&collector),
                Arc::clone(&monitor),
                &alerts.metrics,
            )),
            alerts,
            metrics_token: None,
            sessions: Arc::new(sessions),
            audit: Arc::new(audit),
            collector,
            monitor,
            fleet,
            dir,
            config,
            tokens: Arc::new(tokens),
            max_servers,
            throttle: Arc::new(throttle),
            tls_files,
        }
    }

    /// Runs store work (file locks, fsync, bcrypt) on the blocking pool, never on the runtime
    /// threads that serve requests, and brings the in-memory snapshot up to date in the same
    /// trip, so the next read sees a change. With a shared store, a change is refused (503)
    /// when it cannot be written there.
    pub async fn store<T, F>(&self, work: F) -> Result<T, ApiError>
    where
        T: Send + 'static,
        F: FnOnce(&ConfigDir) -> pgmon_common::Result<T> + Send + 'static,
    {
        self.store_with(Needs::Store, work).await
    }

    /// As [`AppState::store`]; `needs` says whether a change that cannot reach the shared
    /// store fails the request.
    pub async fn store_with<T, F>(&self, needs: Needs, work: F) -> Result<T, ApiError>
    where
        T: Send + 'static,
        F: FnOnce(&ConfigDir) -> pgmon_common::Result<T> + Send + 'static,
    {
        let out = self.config.change(needs, work).await;
        let fleet = Arc::clone(&self.fleet);
        let read = tokio::task::spawn_blocking(move || fleet.read(&fleet.dir())).await?;
        // A failed reread leaves the snapshot to the background check.
        let _ = self.fleet.offer(read);
        Ok(out??)
    }

    pub fn pools_count(&self) -> usize {
        self.monitor.pool_count()
    }

    /// `host:port:user:db` -> pool facts, for `/api/pools/status`.
    pub fn pool_statuses(&self) -> BTreeMap<String, PoolStatus> {
        self.monitor.pool_statuses()
    }
}
