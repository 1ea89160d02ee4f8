//! Alerts (SPEC B9): rules on each sample the collector takes, alert states kept in the store,
//! notifications through an outbox to webhooks, e-mail and Alertmanager, silences, and the
//! evidence seen when an alert fired.
//!
//! The collector hands each new sample to [`Alerts::observe`], which only notes it and wakes
//! the evaluator: a sample is never held up by an alert, a store write or a channel. The
//! evaluator judges what came in, moves states, and writes the changes with the notifications
//! they owe in one store transaction; the outbox worker then delivers them, each channel on
//! its own, retrying with backoff until delivered. An alert that fires keeps its evidence.

pub mod channels;
pub mod engine;
mod evidence;
mod outbox;
pub mod payload;
pub mod rules;

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use pgmon_common::ConfigDir;
use pgmon_common::api::alerts::{
    AlertHistory, AlertList, ChannelList, ChannelSpec, HistoryQuery, RuleList, RuleUpdate,
    SilenceList, SilenceNew, TestOutcome,
};
use pgmon_common::api::checks::ServerChecks;
use pgmon_common::api::settings::Settings;
use pgmon_common::store::JsonStore;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use serde::{Deserialize, Serialize};
use serde_json::json;
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

use crate::api::ApiError;
use crate::collector::LatestSample;
use crate::fleet::Fleet;
use crate::history::HistoryStore;
use crate::history::alerts::{AlertWrite, HistoryFilter, StoredAlert};
use crate::monitor::Monitor;
use crate::store::Shared;
use crate::store::documents::{ConfigStore, Needs};
use crate::store::leases::Leases;
use channels::{CHANNELS_FILE, StoredChannel};
use engine::{ActiveSilence, Engine};
use rules::RuleConfigs;

pub const RULES_FILE: &str = "alert_rules.json";
/// Retention and ended silences are looked at this often.
const HOUSEKEEPING_EVERY: Duration = Duration::from_secs(600);
const MAX_COMMENT: usize = 1_000;
/// With a shared store, a new block of alert ids is taken when fewer than this many are left:
/// more than any one cycle gives.
const ID_MARGIN: i64 = 1_000_000;

/// One rule's changes as `alert_rules.json` keeps them.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct NamedRule {
    pub rule: String,
    #[serde(flatten)]
    pub config: RuleUpdate,
}

/// What the collector saw of a server, waiting to be judged.
pub struct Observation {
    pub sample: Arc<LatestSample>,
    pub checks: Option<Arc<ServerChecks>>,
    pub settings: Settings,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash, EncodeLabelSet)]
struct StateLabels {
    state: &'static str,
    severity: &'static str,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash, EncodeLabelSet)]
struct OutcomeLabels {
    channel: String,
    outcome: &'static str,
}

/// The alerts' series of `/metrics`.
#[derive(Default, Clone)]
pub struct AlertMetrics {
    alerts: Family<StateLabels, Gauge>,
    notifications: Family<OutcomeLabels, Counter>,
}

impl AlertMetrics {
    pub fn register(&self, registry: &mut prometheus_client::registry::Registry) {
        registry.register(
            "pgmon_alerts",
            "Alerts pending or firing now, by state and severity",
            self.alerts.clone(),
        );
        registry.register(
            "pgmon_alert_notifications",
            "Notification deliveries by channel and outcome (delivered, failed: retried)",
            self.notifications.clone(),
        );
    }

    fn delivery(&self, channel: &str, delivered: bool) {
        self.notifications
            .get_or_create(&OutcomeLabels {
                channel: channel.to_owned(),
                outcome: if delivered { "delivered" } else { "failed" },
            })
            .inc();
    }
}

pub struct Alerts {
    store: HistoryStore,
    dir: Arc<ConfigDir>,
    /// Where the alerts' files are changed (through the shared store, when there is one).
    config: Arc<ConfigStore>,
    fleet: Arc<Fleet>,
    monitor: Arc<Monitor>,
    channels: Arc<JsonStore<StoredChannel>>,
    rules: Arc<JsonStore<NamedRule>>,
    /// The settings of the newest observation (for retention).
    settings: Mutex<Settings>,
    engine: Mutex<Engine>,
    /// Who judges which server, with a shared store.
    leases: Arc<Leases>,
    /// With a shared store: the servers whose alerts the engine carries on, each with the
    /// lease it took them over with (a server taken again is read from the store again).
    adopted: Mutex<HashMap<String, u64>>,
    /// Which change of the leases `let_go_lost` last looked at.
    lost_looked: AtomicU64,
    /// With a shared store: changes not written there yet (it was away), by alert id.
    unsaved: Mutex<HashMap<i64, StoredAlert>>,
    /// Every silence the store holds, ended ones too (`GET /alerts/silences` answers from
    /// here); with a shared store, read again whenever a replica announces a change.
    silences: Mutex<Arc<Vec<ActiveSilence>>>,
    /// Samples not yet judged, the newest per server.
    waiting: Mutex<HashMap<String, Observation>>,
    /// Servers removed from the fleet: their alerts resolve.
    gone: Mutex<Vec<String>>,
    wake: Notify,
    outbox: Notify,
    pub metrics: AlertMetrics,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

pub fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

fn field_error(field: &str, why: impl Into<String>) -> ApiError {
    ApiError::validation(vec![json!("body"), json!(field)], "value_error", why)
}

/// An RFC 3339 time of the query or the body, in milliseconds.
fn instant(place: &str, field: &str, value: &str) -> Result<i64, ApiError> {
    ApiError::parse_time(place, field, value).map(|t| t.timestamp_millis())
}

/// The current content of one of the alerts' files, read on the blocking pool (a shared lock
/// and a stat; the file is parsed again only when it changed); none when it cannot be read.
async fn load<T>(file: &Arc<JsonStore<T>>) -> Arc<Vec<T>>
where
    T: Serialize + serde::de::DeserializeOwned + Clone + Send + Sync + 'static,
{
    let file = Arc::clone(file);
    let path = file.path().to_owned();
    match tokio::task::spawn_blocking(move || file.load()).await {
        Ok(Ok(list)) => list,
        Ok(Err(e)) => {
            tracing::warn!(file = %path.display(), error = %e, "reading failed: taken as empty");
            Arc::default()
        }
        Err(_) => Arc::default(),
    }
}

impl Alerts {
    pub fn new(
        store: HistoryStore,
        config: Arc<ConfigStore>,
        fleet: Arc<Fleet>,
        monitor: Arc<Monitor>,
        leases: Arc<Leases>,
    ) -> Alerts {
        let dir = Arc::clone(config.dir());
        let root = dir.root().to_owned();
        Alerts {
            channels: Arc::new(JsonStore::new(
                root.join(CHANNELS_FILE),
                root.join("backups"),
                "alert_channels",
            )),
            rules: Arc::new(JsonStore::new(
                root.join(RULES_FILE),
                root.join("backups"),
                "alert_rules",
            )),
            settings: Mutex::new(Settings::DEFAULT),
            store,
            dir,
            config,
            fleet,
            monitor,
            engine: Mutex::new(Engine::default()),
            leases,
            adopted: Mutex::default(),
            lost_looked: AtomicU64::new(0),
            unsaved: Mutex::default(),
            silences: Mutex::default(),
            waiting: Mutex::default(),
            gone: Mutex::default(),
            wake: Notify::new(),
            outbox: Notify::new(),
            metrics: AlertMetrics::default(),
        }
    }

    /// A new sample of `server`: judged by the evaluator soon, never here.
    pub fn observe(&self, server: &str, o: Observation) {
        *lock(&self.settings) = o.settings;
        lock(&self.waiting).insert(server.to_owned(), o);
        self.wake.notify_one();
    }

    /// `server` left the fleet (removed or renamed): its alerts resolve.
    pub fn forget_server(&self, server: &str) {
        lock(&self.waiting).remove(server);
        lock(&self.gone).push(server.to_owned());
        self.wake.notify_one();
    }

    /// Every rule's changes, by rule.
    async fn rule_configs(&self) -> RuleConfigs {
        load(&self.rules)
            .await
            .iter()
            .map(|r| (r.rule.clone(), r.config.clone()))
            .collect()
    }

    async fn channel_list(&self) -> Arc<Vec<StoredChannel>> {
        load(&self.channels).await
    }

    /// Loads the open alerts and the silences, then judges samples as they come and delivers
    /// what is owed, until `shutdown`. With a shared store the engine starts with no alert
    /// and no id: each server's alerts are read from the store when it is first judged here,
    /// and ids come in blocks from the store.
    pub async fn run(self: Arc<Self>, shutdown: CancellationToken) {
        let shared = self.config.shared().cloned();
        match &shared {
            Some(_) => lock(&self.engine).take_ids(1, 0),
            None => match self.store.run(|s| s.open_alerts()).await {
                Ok((open, max_id)) => *lock(&self.engine) = Engine::new(open, max_id),
                Err(e) => {
                    tracing::error!(error = %e, "reading open alerts failed: starting with none")
                }
            },
        }
        self.reload_silences().await;
        self.update_gauges();
        let deliver = tokio::spawn(outbox::run(Arc::clone(&self), shutdown.clone()));
        let mut housekeeping = tokio::time::interval(HOUSEKEEPING_EVERY);
        let changed = async |wake: fn(&Shared) -> &Notify| match &shared {
            Some(store) => crate::store::next_look(wake(store), &shutdown).await,
            None => std::future::pending().await,
        };
        loop {
            tokio::select! {
                _ = shutdown.cancelled() => break,
                _ = self.wake.notified() => self.judge_waiting().await,
                _ = housekeeping.tick() => self.housekeeping().await,
                _ = self.leases.changed.notified() => self.let_go_lost(),
                true = changed(|s| &s.wakes.silences) => self.reload_silences().await,
            }
        }
        let _ = deliver.await;
    }

    /// Whether this replica's engine judges `server` now (always, without a shared store).
    fn judged_here(&self, adopted: &HashMap<String, u64>, server: &str) -> bool {
        self.leases.shared().is_none()
            || adopted
                .get(server)
                .is_some_and(|round| self.leases.held(server) == Some(*round))
    }

    /// Lets go of the alerts of servers another replica judges now (its lease moved): they
    /// stay open, in the store, for that replica to carry on.
    fn let_go_lost(&self) {
        if self.leases.shared().is_none() {
            return;
        }
        // This runs before every judging: only a change of what is held is worth a look
        // (the counter moves after the change, so a look never misses one).
        let changes = self.leases.changes();
        if self.lost_looked.swap(changes, Ordering::SeqCst) == changes {
            return;
        }
        let mut engine = lock(&self.engine);
        let mut adopted = lock(&self.adopted);
        let before = adopted.len();
        adopted.retain(|server, round| self.leases.held(server) == Some(*round));
        engine.let_go(|server| adopted.contains_key(server));
        let dropped = adopted.len() != before;
        drop((engine, adopted));
        if dropped {
            self.update_gauges();
        }
    }

    /// With a shared store, before a cycle: observations of servers this replica no longer
    /// holds are dropped; the alerts of servers it just took over are read from the store;
    /// ids are at hand. What cannot be judged yet (the store is away) waits for the next
    /// sample.
    async fn follow_leases(&self, shared: &Shared, batch: &mut Vec<(String, Observation)>) {
        self.let_go_lost();
        batch.retain(|(server, _)| self.leases.held(server).is_some());
        let fresh: Vec<String> = {
            let adopted = lock(&self.adopted);
            batch
                .iter()
                .filter(|(server, _)| !adopted.contains_key(server))
                .map(|(server, _)| server.clone())
                .collect()
        };
        let mut later: Vec<String> = Vec::new();
        if !fresh.is_empty() {
            match shared.open_alerts_of(&fresh).await {
                Ok(mut found) => {
                    let carried = !found.is_empty();
                    {
                        let mut engine = lock(&self.engine);
                        let mut adopted = lock(&self.adopted);
                        for server in fresh {
                            if let Some(round) = self.leases.held(&server) {
                                engine.adopt(&server, found.remove(&server).unwrap_or_default());
                                adopted.insert(server, round);
                            }
                        }
                    }
                    if carried {
                        self.update_gauges();
                    }
                }
                Err(e) => {
                    tracing::debug!(error = %e, "reading the alerts of servers taken over failed");
                    later = fresh;
                }
            }
        }
        if lock(&self.engine).ids_left() < ID_MARGIN {
            match shared.alert_ids().await {
                Ok((first, last)) => lock(&self.engine).take_ids(first, last),
                Err(e) => {
                    tracing::debug!(error = %e, "taking alert ids from the shared store failed");
                    later = batch.iter().map(|(server, _)| server.clone()).collect();
                }
            }
        }
        if later.is_empty() {
            return;
        }
        let later: std::collections::HashSet<String> = later.into_iter().collect();
        let (now, wait): (Vec<_>, Vec<_>) = std::mem::take(batch)
            .into_iter()
            .partition(|(server, _)| !later.contains(server));
        *batch = now;
        let mut waiting = lock(&self.waiting);
        for (server, o) in wait {
            // A newer sample that came meanwhile is the one to judge.
            waiting.entry(server).or_insert(o);
        }
    }

    /// Writes alert changes to the shared store, with any an earlier write could not.
    async fn save_shared(&self, shared: &Shared, changed: Vec<StoredAlert>) {
        let all: Vec<StoredAlert> = {
            let mut unsaved = lock(&self.unsaved);
            for a in changed {
                unsaved.insert(a.id, a);
            }
            unsaved.values().cloned().collect()
        };
        if all.is_empty() {
            return;
        }
        match shared.put_alerts(&all).await {
            Ok(()) => {
                let mut unsaved = lock(&self.unsaved);
                for a in &all {
                    if unsaved.get(&a.id) == Some(a) {
                        unsaved.remove(&a.id);
                    }
                }
            }
            Err(e) => {
                tracing::debug!(error = %e, waiting = all.len(), "writing alerts to the shared store failed")
            }
        }
    }

    /// Judges every sample waiting, writes what changed and what is owed, then keeps the
    /// evidence of what fired.
    async fn judge_waiting(&self) {
        let mut batch: Vec<(String, Observation)> = lock(&self.waiting).drain().collect();
        let gone: Vec<String> = std::mem::take(&mut *lock(&self.gone));
        let shared = self.config.shared().cloned();
        if let Some(shared) = &shared {
            self.follow_leases(shared, &mut batch).await;
        }
        if batch.is_empty() && gone.is_empty() {
            return;
        }
        let now = now_ms();
        let configs = self.rule_configs().await;
        let channels = self.channel_list().await;
        let silences = Arc::clone(&lock(&self.silences));
        let mut w = AlertWrite::default();
        let fired = {
            let mut engine = lock(&self.engine);
            for server in &gone {
                let resolved = engine.forget_server(server, now, &mut w);
                engine.notify(server, now, &resolved, &channels, &silences, &mut w);
            }
            cycle(
                &mut engine,
                &batch,
                &configs,
                &channels,
                &silences,
                now,
                &mut w,
            )
        };
        // Counts move only with alerts that changed.
        let recount = !w.alerts.is_empty();
        if !w.is_empty() {
            let write = std::mem::take(&mut w);
            let owed = !write.notifications.is_empty();
            let changed = shared.as_ref().map(|_| write.alerts.clone());
            let written = self.store.run(move |s| s.write_alerts(&write)).await;
            if let Err(e) = &written {
                tracing::error!(error = %e, "writing alerts to the store failed");
            }
            // In the shared store before the outbox is woken: a replica that takes the server
            // over once this one is told carries on what was sent.
            if let (Some(shared), Some(changed)) = (&shared, changed) {
                self.save_shared(shared, changed).await;
            }
            if written.is_ok() && owed {
                self.outbox.notify_one();
            }
        }
        if recount {
            self.update_gauges();
        }
        let samples: HashMap<String, Arc<LatestSample>> = batch
            .into_iter()
            .map(|(name, o)| (name, o.sample))
            .collect();
        for alert in fired {
            if let Some(sample) = samples.get(alert.server()) {
                evidence::keep(self, alert, Arc::clone(sample));
            }
        }
    }

    /// Counted here, then set: the family's map is touched once per state and severity, not
    /// once per alert.
    fn update_gauges(&self) {
        let mut counts: HashMap<StateLabels, i64> = HashMap::new();
        for a in lock(&self.engine).all() {
            *counts
                .entry(StateLabels {
                    state: a.state.as_str(),
                    severity: a.severity.as_str(),
                })
                .or_default() += 1;
        }
        self.metrics.alerts.clear();
        for (labels, n) in counts {
            self.metrics.alerts.get_or_create(&labels).set(n);
        }
    }

    async fn reload_silences(&self) {
        let read = match self.config.shared() {
            Some(shared) => shared.silences().await.map_err(ApiError::from),
            None => self
                .store
                .run(|s| s.silences())
                .await
                .map_err(ApiError::from),
        };
        match read {
            Ok(all) => {
                let active = all
                    .into_iter()
                    .map(|(silence, until)| ActiveSilence { silence, until })
                    .collect();
                *lock(&self.silences) = Arc::new(active);
            }
            // An unreachable shared store is looked at every second and shown by the health:
            // not a warning each time.
            Err(ApiError::Shared(e)) => tracing::debug!(error = %e, "reading silences failed"),
            Err(e) => tracing::warn!(error = %e, "reading silences failed"),
        }
    }

    async fn housekeeping(&self) {
        let days = lock(&self.settings).alert_retention_days;
        let cutoff = now_ms().saturating_sub((days as i64).saturating_mul(86_400_000));
        match self.store.run(move |s| s.forget_alerts(cutoff)).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(alerts = n, "forgot alerts past alert_retention_days"),
            Err(e) => tracing::warn!(error = %e, "alert retention failed"),
        }
        if let Some(shared) = self.config.shared() {
            if let Err(e) = shared.forget_silences(cutoff).await {
                tracing::warn!(error = %e, "silence retention in the shared store failed");
            }
            let fleet: Vec<String> = self
                .fleet
                .get()
                .servers
                .iter()
                .map(|s| s.name.clone())
                .collect();
            if let Err(e) = shared.forget_alerts_but(&fleet).await {
                tracing::warn!(error = %e, "removing alerts of removed servers from the shared store failed");
            }
            self.save_shared(shared, Vec::new()).await;
        }
        self.reload_silences().await;
    }

    /// `GET /alerts`: the engine's, and with a shared store the other servers' as the store
    /// has them now (servers still in the fleet); while the store is away, the engine's.
    pub async fn list(&self) -> AlertList {
        let others = match self.config.shared() {
            None => Vec::new(),
            Some(shared) => {
                let here: Vec<String> = {
                    let adopted = lock(&self.adopted);
                    adopted
                        .keys()
                        .filter(|s| self.judged_here(&adopted, s))
                        .cloned()
                        .collect()
                };
                // While the store is away: the engine's alone.
                shared
                    .read_if_reachable("the other servers' alerts", shared.open_alerts_but(&here))
                    .await
                    .unwrap_or_default()
            }
        };
        let now = now_ms();
        let silences = Arc::clone(&lock(&self.silences));
        let fleet = self.fleet.get();
        let names: std::collections::HashSet<&str> = match others.is_empty() {
            true => Default::default(),
            false => fleet.servers.iter().map(|s| s.name.as_str()).collect(),
        };
        let engine = lock(&self.engine);
        let adopted = lock(&self.adopted);
        let mut all: Vec<&StoredAlert> =
            engine
                .all()
                .filter(|a| self.judged_here(&adopted, a.server()))
                .chain(others.iter().filter(|a| {
                    names.contains(a.server()) && !self.judged_here(&adopted, a.server())
                }))
                .collect();
        engine::sort_listed(&mut all);
        AlertList {
            alerts: all
                .into_iter()
                .map(|a| a.view(engine::silenced(&silences, a, now)))
                .collect(),
        }
    }

    /// `GET /alerts/history`.
    pub async fn history(&self, q: HistoryQuery) -> Result<AlertHistory, ApiError> {
        let limit = q.limit.unwrap_or(100);
        if !(1..=1000).contains(&limit) {
            return Err(ApiError::validation(
                vec![json!("query"), json!("limit")],
                "value_error",
                "must be from 1 to 1000",
            ));
        }
        let f = HistoryFilter {
            server: q.server,
            rule: q.rule,
            since: q
                .since
                .as_deref()
                .map(|s| instant("query", "since", s))
                .transpose()?,
            until: q
                .until
                .as_deref()
                .map(|s| instant("query", "until", s))
                .transpose()?,
            id: q.id,
            limit,
        };
        let alerts = self.store.run(move |s| s.alert_history(&f)).await?;
        Ok(AlertHistory { alerts })
    }

    pub async fn channels(&self) -> ChannelList {
        ChannelList {
            channels: self
                .channel_list()
                .await
                .iter()
                .map(StoredChannel::view)
                .collect(),
        }
    }

    /// Adds (`replacing` none) or replaces a channel; an e-mail channel's server must answer.
    pub async fn save_channel(
        &self,
        spec: ChannelSpec,
        replacing: Option<&str>,
    ) -> Result<pgmon_common::api::alerts::Channel, ApiError> {
        let cipher = self.dir.cipher()?.clone();
        let existing = self.channel_list().await;
        let old = match replacing {
            Some(name) => Some(
                existing
                    .iter()
                    .find(|c| c.name == name)
                    .ok_or_else(|| ApiError::NotFound(format!("Channel {name} not found")))?,
            ),
            None => None,
        };
        let stored = StoredChannel::from_spec(spec, old, &cipher)
            .map_err(|e| field_error(e.field, e.why))?;
        stored
            .probe(&cipher)
            .await
            .map_err(|e| field_error(e.field, e.why))?;
        let (saved, replacing) = (stored.clone(), replacing.map(str::to_owned));
        let channels = Arc::clone(&self.channels);
        self.config
            .change(Needs::Store, move |_| {
                channels.update(|list| {
                    let clash = list.iter().any(|c| {
                        c.name == saved.name && Some(c.name.as_str()) != replacing.as_deref()
                    });
                    if clash {
                        return Err(pgmon_common::Error::invalid(format!(
                            "Channel {} already exists",
                            saved.name
                        )));
                    }
                    match &replacing {
                        Some(name) => match list.iter_mut().find(|c| &c.name == name) {
                            Some(slot) => *slot = saved,
                            None => {
                                return Err(pgmon_common::Error::NotFound(format!(
                                    "Channel {name} not found"
                                )));
                            }
                        },
                        None => list.push(saved),
                    }
                    Ok(())
                })
            })
            .await??;
        Ok(stored.view())
    }

    pub async fn delete_channel(&self, name: &str) -> Result<(), ApiError> {
        let (channels, name) = (Arc::clone(&self.channels), name.to_owned());
        self.config
            .change(Needs::Store, move |_| {
                channels.update(|list| {
                    let before = list.len();
                    list.retain(|c| c.name != name);
                    if list.len() == before {
                        return Err(pgmon_common::Error::NotFound(format!(
                            "Channel {name} not found"
                        )));
                    }
                    Ok(())
                })
            })
            .await??;
        Ok(())
    }

    /// `POST /alerts/test`: a notification sent now, outside the outbox.
    pub async fn test(&self, channel: &str) -> Result<TestOutcome, ApiError> {
        let channels = self.channel_list().await;
        let c = channels
            .iter()
            .find(|c| c.name == channel)
            .ok_or_else(|| ApiError::NotFound(format!("Channel {channel} not found")))?;
        let cipher = self.dir.cipher()?.clone();
        let payload = payload::test_payload();
        let outcome = c.send(&payload, &cipher).await;
        self.metrics.delivery(&c.name, outcome.is_ok());
        Ok(TestOutcome {
            channel: c.name.clone(),
            delivered: outcome.is_ok(),
            error: outcome.err(),
        })
    }

    /// `GET /alerts/silences`: running ones and those ended in the last day, from memory.
    pub fn silences(&self) -> SilenceList {
        let now = now_ms();
        let all = Arc::clone(&lock(&self.silences));
        SilenceList {
            silences: all
                .iter()
                .filter(|a| a.until > now - 86_400_000)
                .map(|a| {
                    let mut s = a.silence.clone();
                    s.expired = a.until <= now;
                    s
                })
                .collect(),
        }
    }

    pub async fn add_silence(
        &self,
        new: SilenceNew,
        author: String,
    ) -> Result<pgmon_common::api::alerts::Silence, ApiError> {
        let now = now_ms();
        let until = new
            .until
            .as_deref()
            .ok_or_else(|| field_error("until", "required: a silence must end"))?;
        let until = instant("body", "until", until)?;
        if until <= now {
            return Err(field_error("until", "must be in the future"));
        }
        if until - now > 366 * 86_400_000 {
            return Err(field_error("until", "at most a year ahead"));
        }
        if new.comment.chars().count() > MAX_COMMENT
            || new.comment.chars().any(|c| c.is_control() && c != '\n')
        {
            return Err(field_error(
                "comment",
                format!("at most {MAX_COMMENT} characters, no control characters"),
            ));
        }
        let m = new.matchers;
        for (field, v) in [
            ("server", &m.server),
            ("rule", &m.rule),
            ("database", &m.database),
        ] {
            if v.as_deref()
                .is_some_and(|v| v.is_empty() || v.len() > 128 || v.chars().any(char::is_control))
            {
                return Err(ApiError::validation(
                    vec![json!("body"), json!("matchers"), json!(field)],
                    "value_error",
                    "1 to 128 characters, no control characters",
                ));
            }
        }
        if let Some(r) = m.rule.as_deref().filter(|r| rules::def(r).is_none()) {
            return Err(ApiError::validation(
                vec![json!("body"), json!("matchers"), json!("rule")],
                "value_error",
                format!("no rule {r:?}"),
            ));
        }
        let id = match self.config.shared() {
            Some(shared) => {
                shared
                    .add_silence(&m, now, until, &author, &new.comment)
                    .await?
            }
            None => {
                let (matchers, comment, author) = (m.clone(), new.comment.clone(), author.clone());
                self.store
                    .run(move |s| s.add_silence(&matchers, now, until, &author, &comment))
                    .await?
            }
        };
        self.reload_silences().await;
        Ok(pgmon_common::api::alerts::Silence {
            id,
            matchers: m,
            created_at: crate::history::alerts::time(now),
            until: crate::history::alerts::time(until),
            author,
            comment: new.comment,
            expired: false,
        })
    }

    pub async fn expire_silence(&self, id: i64) -> Result<(), ApiError> {
        let now = now_ms();
        let ended = match self.config.shared() {
            Some(shared) => shared.expire_silence(id, now).await?,
            None => self.store.run(move |s| s.expire_silence(id, now)).await?,
        };
        if !ended {
            return Err(ApiError::NotFound(format!("No running silence {id}")));
        }
        // What the silence held back goes out with each server's next sample.
        self.reload_silences().await;
        Ok(())
    }

    pub async fn rules_view(&self, s: &Settings) -> RuleList {
        let configs = self.rule_configs().await;
        RuleList {
            rules: rules::DEFS
                .iter()
                .map(|d| rules::view(d, configs.get(d.id), s))
                .collect(),
        }
    }

    pub async fn update_rule(
        &self,
        id: &str,
        update: RuleUpdate,
        s: &Settings,
    ) -> Result<pgmon_common::api::alerts::Rule, ApiError> {
        let d = rules::def(id).ok_or_else(|| ApiError::NotFound(format!("No rule {id}")))?;
        rules::check_update(id, &update).map_err(|(loc, why)| {
            ApiError::validation(
                loc.into_iter().map(serde_json::Value::from).collect(),
                "value_error",
                why,
            )
        })?;
        let store = Arc::clone(&self.rules);
        let rule = id.to_owned();
        let config = self
            .config
            .change(Needs::Store, move |_| {
                store.update(|list| {
                    let at = match list.iter().position(|r| r.rule == rule) {
                        Some(i) => i,
                        None => {
                            list.push(NamedRule {
                                rule: rule.clone(),
                                config: RuleUpdate::default(),
                            });
                            list.len() - 1
                        }
                    };
                    rules::merge(&mut list[at].config, update);
                    Ok(list[at].config.clone())
                })
            })
            .await??;
        Ok(rules::view(d, Some(&config), s))
    }
}

/// One evaluation cycle: every observation judged, states moved, notifications planned, into
/// `w`; the alerts that began firing are returned (for their evidence). What the benchmark
/// times.
pub fn cycle(
    engine: &mut Engine,
    batch: &[(String, Observation)],
    configs: &RuleConfigs,
    channels: &[StoredChannel],
    silences: &[ActiveSilence],
    now: i64,
    w: &mut AlertWrite,
) -> Vec<crate::history::alerts::StoredAlert> {
    let mut fired = Vec::new();
    for (server, o) in batch {
        let subject = rules::Subject {
            server,
            sample: &o.sample,
            checks: o.checks.as_deref(),
        };
        let (found, judged) = rules::evaluate(&subject, configs, &o.settings);
        let (step, resolved) = engine.step(server, now, found, &judged, configs, w);
        engine.notify(server, now, &resolved, channels, silences, w);
        fired.extend(step.fired);
    }
    fired
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    /// `alert_rules.json` is a list of `{rule, ...changes}`, read back as written.
    fn rules_file_round_trip() {
        let text = r#"[{"rule":"lock_wait","threshold":5.0,"servers":{"db1":{"enabled":false}}}]"#;
        let read: Vec<NamedRule> = serde_json::from_str(text).unwrap();
        assert_eq!(read[0].rule, "lock_wait");
        assert_eq!(read[0].config.threshold, Some(5.0));
        assert_eq!(serde_json::to_string(&read).unwrap(), text);
    }
}
