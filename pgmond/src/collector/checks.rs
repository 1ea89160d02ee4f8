//! The health checks' schedule (SPEC B10): a run of every server every `checks_interval`
//! (the first once its last run in the store is that old, spread by a jitter; a server never
//! checked waits five minutes and a share of a spread that grows with the servers), and a run
//! on demand; never two at once for one server, and at most [`RUNS_AT_ONCE`] servers at a time,
//! each one database (one session) at a time. A run's findings are merged into the store and
//! kept in memory for the API and `/metrics`: a reader never starts a check. With a shared
//! store, findings are written there too; memory keeps the findings of the servers this
//! replica checks and, of every other server, its last run in brief (the fleet's overview and
//! a takeover's schedule need no more): a reader of the others' findings reads the store.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use pgmon_common::api::checks::{CheckSeverity, ServerChecks};
use pgmon_common::api::fleet::FindingCounts;
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

/// The first runs of servers never checked are spread over this long a server (at least
/// [`MAX_JITTER`], at most half the checks interval): a round of 2,000 servers over a bit more
/// than an hour, a few percent of a core, rather than four servers at a time for five minutes
/// at a fifth of one; the rounds after keep the spread, each server `checks_interval` after
/// its last.
const FIRST_ROUND_EACH: Duration = Duration::from_secs(2);

/// Over how long the first runs of `servers` never checked are spread.
fn first_round_spread(servers: usize, checks_interval: Duration) -> Duration {
    let each = FIRST_ROUND_EACH.saturating_mul(u32::try_from(servers).unwrap_or(u32::MAX));
    each.min(checks_interval / 2).max(MAX_JITTER)
}

/// Rows of the shared store's findings read at a time.
const PAGE: i64 = 100;

/// A server's last run in brief: when, and its open findings by severity.
#[derive(Clone, Debug, Default)]
pub struct RunBrief {
    pub ran_at: Option<String>,
    pub counts: FindingCounts,
}

impl RunBrief {
    pub fn of(checks: &ServerChecks) -> RunBrief {
        let mut counts = FindingCounts::default();
        for f in &checks.checks {
            match f.severity {
                CheckSeverity::Critical => counts.critical += 1,
                CheckSeverity::Warning => counts.warning += 1,
                CheckSeverity::Info => counts.info += 1,
            }
        }
        RunBrief {
            ran_at: checks.ran_at.clone(),
            counts,
        }
    }
}

/// The fleet's findings for a reader.
#[derive(Default)]
pub struct FleetFindings {
    /// Each server's open findings and last run, from memory or the shared store.
    pub full: HashMap<String, Arc<ServerChecks>>,
    /// The servers whose findings could not be read (the shared store away): their last run
    /// in brief, as memory has it.
    pub brief: HashMap<String, RunBrief>,
}

/// What the collector keeps of the checks.
pub struct Checks {
    /// The open findings and last run of each server checked here (every server without a
    /// shared store; those it holds with one), as its last run left them in the store.
    latest: Mutex<HashMap<String, Arc<ServerChecks>>>,
    /// With a shared store: every server's last run in brief, whichever replica ran it.
    briefs: Mutex<HashMap<String, RunBrief>>,
    /// One run at a time per server: a second asker waits and gets the run's answer.
    running: Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
    permits: Semaphore,
}

impl Default for Checks {
    fn default() -> Checks {
        Checks {
            latest: Mutex::default(),
            briefs: Mutex::default(),
            running: Mutex::default(),
            permits: Semaphore::new(RUNS_AT_ONCE),
        }
    }
}

impl Checks {
    /// Forgets what memory holds of `server` (removed or renamed: the store follows it).
    pub fn forget(&self, server: &str) {
        lock(&self.latest).remove(server);
        lock(&self.briefs).remove(server);
        lock(&self.running).remove(server);
    }

    /// Lets go of the findings of `server`, which another replica checks now (its brief
    /// stays).
    pub fn let_go(&self, server: &str) {
        lock(&self.latest).remove(server);
    }
}

/// When a run that ended at `ran_at` (RFC 3339) ran, in milliseconds since the epoch.
fn ran_ms(ran_at: Option<&str>) -> Option<i64> {
    chrono::DateTime::parse_from_rfc3339(ran_at?)
        .ok()
        .map(|t| t.timestamp_millis())
}

/// When `checks` last ran, in milliseconds since the epoch.
pub fn last_run_ms(checks: &ServerChecks) -> Option<i64> {
    ran_ms(checks.ran_at.as_deref())
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

    /// With a shared store: follows every replica's runs as they are written, a page at a
    /// time, until `shutdown`: the findings of the servers held here (when they ran later than
    /// what memory has), every server's run in brief.
    pub async fn follow_shared_checks(self: Arc<Self>, shutdown: CancellationToken) {
        let Some(shared) = self.leases.shared().cloned() else {
            return;
        };
        let mut seen = 0;
        while crate::store::next_look(&shared.wakes.checks, &shutdown).await {
            loop {
                let page = match shared.checks_after(seen, PAGE).await {
                    Ok(page) => page,
                    Err(e) => {
                        tracing::debug!(error = %e, "reading health checks from the shared store failed");
                        break;
                    }
                };
                let last = page.len() < PAGE as usize;
                let held: Vec<bool> = self
                    .leases
                    .hold_each(page.iter().map(|(_, s, _)| s.as_str()));
                let mut latest = lock(&self.checks.latest);
                let mut briefs = lock(&self.checks.briefs);
                for ((version, server, checks), held) in page.into_iter().zip(held) {
                    seen = version;
                    let brief = RunBrief::of(&checks);
                    let known = briefs.get(&server).map(|b| ran_ms(b.ran_at.as_deref()));
                    if known.is_some_and(|k| k > ran_ms(brief.ran_at.as_deref())) {
                        continue;
                    }
                    match held {
                        true => {
                            latest.insert(server.clone(), Arc::new(checks));
                        }
                        false => {
                            latest.remove(&server);
                        }
                    }
                    briefs.insert(server, brief);
                }
                if last {
                    break;
                }
            }
        }
    }

    /// `server`'s open findings and last run: from memory, or read once from the store
    /// (with a shared store, the shared one first; kept in memory if it is held here).
    pub async fn server_checks(&self, name: &str) -> Result<Arc<ServerChecks>, HistoryError> {
        if let Some(known) = lock(&self.checks.latest).get(name) {
            return Ok(Arc::clone(known));
        }
        let keep = match self.leases.shared() {
            None => true,
            Some(shared) => match shared
                .read_if_reachable("health checks", shared.checks_of(name))
                .await
            {
                Some(Some(found)) => {
                    let found = Arc::new(found);
                    if self.leases.held(name).is_some() {
                        lock(&self.checks.latest).insert(name.to_owned(), Arc::clone(&found));
                    }
                    return Ok(found);
                }
                // Never run by any replica: what this one's store has (nothing, or a run
                // whose write to the shared store failed).
                Some(None) => self.leases.held(name).is_some(),
                // The shared store away: what this one's store has, for now.
                None => false,
            },
        };
        let stored = Arc::new(self.store.server_checks(name, false).await?);
        if keep {
            lock(&self.checks.latest).insert(name.to_owned(), Arc::clone(&stored));
        }
        Ok(stored)
    }

    /// The findings memory holds: every server's without a shared store, those of the
    /// servers checked here with one (for `/metrics` and the alert rules).
    pub fn checks_in_memory(&self) -> HashMap<String, Arc<ServerChecks>> {
        lock(&self.checks.latest).clone()
    }

    /// `server`'s findings in memory, for the alert rules.
    pub fn checks_in_memory_of(&self, server: &str) -> Option<Arc<ServerChecks>> {
        lock(&self.checks.latest).get(server).cloned()
    }

    /// Every server's last run in brief, from memory (for the fleet's overview).
    pub fn check_briefs(&self) -> HashMap<String, RunBrief> {
        let mut all = lock(&self.checks.briefs).clone();
        for (name, checks) in lock(&self.checks.latest).iter() {
            all.insert(name.clone(), RunBrief::of(checks));
        }
        all
    }

    /// Every server's findings for `GET /checks`: memory's, and with a shared store the
    /// others' read from it; while it is away, the others' runs in brief.
    pub async fn fleet_findings(&self) -> FleetFindings {
        let mut full = self.checks_in_memory();
        let Some(shared) = self.leases.shared() else {
            return FleetFindings {
                full,
                brief: HashMap::new(),
            };
        };
        let here: Vec<String> = full.keys().cloned().collect();
        let others = shared
            .read_if_reachable("health checks", shared.checks_but(&here))
            .await;
        match others {
            Some(rows) => {
                full.extend(rows.into_iter().map(|(_, s, c)| (s, Arc::new(c))));
                FleetFindings {
                    full,
                    brief: HashMap::new(),
                }
            }
            None => {
                let mut brief = lock(&self.checks.briefs).clone();
                brief.retain(|name, _| !full.contains_key(name));
                FleetFindings { full, brief }
            }
        }
    }

    /// Fills memory with every server's findings from the store (at start; with a shared
    /// store, memory follows that one instead, and each server's as it is taken).
    pub(super) async fn load_checks(&self) {
        if self.leases.shared().is_some() {
            return;
        }
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
        // The task waits hours between runs holding only its loop: what a run and the first
        // read take is boxed, for as long as they last (a replica has thousands of these).
        let since_last = Box::pin(self.server_checks(&server.name))
            .await
            .ok()
            .and_then(|c| last_run_ms(&c))
            .map(|ms| {
                let ago = chrono::Utc::now().timestamp_millis().saturating_sub(ms);
                Duration::from_millis(u64::try_from(ago).unwrap_or(0))
            });
        let spread = match since_last {
            Some(_) => MAX_JITTER,
            None => first_round_spread(lock(&self.tasks).len(), self.checks_interval()),
        };
        let jitter = rand::rng().random_range(Duration::ZERO..=spread);
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
            if let Err(e) = Box::pin(self.run_checks(&server)).await {
                tracing::warn!(server = %server.name, error = %e, "storing health checks failed");
            }
            self.wait_until(started, Self::checks_interval).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_first_round_is_spread_by_the_servers_it_has() {
        let six_hours = Duration::from_secs(21_600);
        assert_eq!(first_round_spread(0, six_hours), MAX_JITTER);
        assert_eq!(first_round_spread(10, six_hours), MAX_JITTER);
        assert_eq!(
            first_round_spread(2_000, six_hours),
            Duration::from_secs(4_000)
        );
        assert_eq!(first_round_spread(100_000, six_hours), six_hours / 2);
        // A short interval still leaves every server its minute.
        assert_eq!(
            first_round_spread(2_000, Duration::from_secs(60)),
            MAX_JITTER
        );
    }
}
