//! The latest status of every server, so that `GET /servers` answers from memory. While
//! someone has asked for the list in the last five minutes, a background loop keeps it fresh:
//! an ok status is rechecked before it is half the cache TTL old (so none shown is older than
//! the TTL), a failed one a second after its last check ended (so a recovered server shows ok
//! as soon as it would without the memory). Idle, nothing is checked, the memory ages out, and
//! the next list is checked live, as before.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures::StreamExt;
use pgmon_common::api::ServerStatus;
use pgmon_common::servers::Server;
use pgmon_common::ssh_keys::SshKeyMeta;
use tokio::sync::Semaphore;
use tokio_util::sync::CancellationToken;

use super::{Monitor, STATUS_CONCURRENCY, live_db, pools};
use crate::fleet::Fleet;

/// How long after the last list the background checks go on.
const DEMAND_WINDOW: Duration = Duration::from_secs(300);
/// A failed server is checked again this long after its last check ended.
const RECHECK_FAILED: Duration = Duration::from_secs(1);
/// A failed status is shown from memory while younger than this (a check of a server that
/// never answers takes up to the check deadline, 6 s).
const FAILED_FRESH: Duration = Duration::from_secs(10);
const LOOP_EVERY: Duration = Duration::from_millis(250);
/// Background checks at once. A check of a server that never answers mostly waits on its
/// timeout, so many can wait together: 300 such servers must all be rechecked well within
/// `FAILED_FRESH`.
const REFRESH_CONCURRENCY: usize = 1024;

struct Entry {
    status: ServerStatus,
    at: Instant,
    ok: bool,
    /// The status object as the list shows it, in JSON, for the config it was made with: the
    /// list reuses it until the entry or the config changes (holding the config's `Arc`s, so a
    /// new config is never taken for the old one).
    shown: Option<Shown>,
}

struct Shown {
    servers: Arc<Vec<Server>>,
    keys: Arc<Vec<SshKeyMeta>>,
    json: Arc<str>,
}

#[derive(Default)]
pub(super) struct Latest {
    entries: Mutex<HashMap<String, Entry>>,
    in_flight: Mutex<HashSet<String>>,
    demand: Mutex<Option<Instant>>,
    /// The memory's keys of the servers of one config, made once per config.
    keys: Mutex<Option<KeysOf>>,
}

/// A config's servers and their keys in the memory.
type KeysOf = (Arc<Vec<Server>>, Arc<Vec<String>>);

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// The memory's key: the server's name and where its session goes, so an entry edited behind
/// pgmond's back is not taken for the old one.
fn key(server: &Server) -> String {
    format!(
        "{}\0{}",
        server.name,
        pools::session_key(server, live_db(server))
    )
}

fn to_json(status: &ServerStatus) -> Arc<str> {
    serde_json::to_string(status)
        .expect("a status object serialises")
        .into()
}

fn is_ok(status: &ServerStatus) -> bool {
    status.status.starts_with("ok")
}

/// The stored facts as they are now, with the live ones of a check.
fn overlay(mut now: ServerStatus, checked: &ServerStatus) -> ServerStatus {
    now.version = checked.version.clone();
    now.free_space = checked.free_space;
    now.total_space = checked.total_space;
    now.connections = checked.connections.clone();
    now.uptime_hours = checked.uptime_hours;
    now.ssl = checked.ssl;
    now.data_dir = checked.data_dir.clone();
    now.status = checked.status.clone();
    now.timestamp = checked.timestamp;
    now.down_since = checked.down_since;
    now
}

impl Latest {
    /// Keeps a check's result; a failure after a failure keeps the first one's `down_since`.
    fn record(&self, server: &Server, status: &mut ServerStatus) {
        let ok = is_ok(status);
        let mut entries = lock(&self.entries);
        let key = key(server);
        status.down_since = match entries.get(&key) {
            _ if ok => None,
            Some(before) if !before.ok => before.status.down_since,
            _ => Some(status.timestamp),
        };
        entries.insert(
            key,
            Entry {
                status: status.clone(),
                at: Instant::now(),
                ok,
                shown: None,
            },
        );
    }

    /// The memory's key of each of `servers`, computed once per config.
    fn keys_of(&self, servers: &Arc<Vec<Server>>) -> Arc<Vec<String>> {
        let mut cached = lock(&self.keys);
        match &*cached {
            Some((of, keys)) if Arc::ptr_eq(of, servers) => Arc::clone(keys),
            _ => {
                let keys = Arc::new(servers.iter().map(key).collect::<Vec<_>>());
                *cached = Some((Arc::clone(servers), Arc::clone(&keys)));
                keys
            }
        }
    }

    fn due(&self, server: &Server, ttl: Duration) -> bool {
        lock(&self.entries)
            .get(&key(server))
            .is_none_or(|e| e.at.elapsed() >= if e.ok { ttl / 2 } else { RECHECK_FAILED })
    }

    fn wanted(&self) -> bool {
        lock(&self.demand).is_some_and(|t| t.elapsed() < DEMAND_WINDOW)
    }

    pub(super) fn forget(&self, server: &Server) {
        lock(&self.entries).remove(&key(server));
    }
}

impl Monitor {
    /// `GET /servers`: the status objects of all `servers` in their order, as a JSON array:
    /// from memory where it is fresh (each object serialised once per check and config),
    /// checked live (concurrently) where it is not.
    pub async fn statuses_json(
        &self,
        servers: &Arc<Vec<Server>>,
        keys: &Arc<Vec<SshKeyMeta>>,
    ) -> String {
        *lock(&self.latest.demand) = Some(Instant::now());
        let memory_keys = self.latest.keys_of(servers);
        // From memory in one pass under one lock; only what is missing is checked.
        let remembered: Vec<Option<Arc<str>>> = {
            let mut entries = lock(&self.latest.entries);
            servers
                .iter()
                .zip(memory_keys.iter())
                .map(|(s, k)| {
                    let e = entries.get_mut(k)?;
                    let fresh = if e.ok { self.ttls.status } else { FAILED_FRESH };
                    if e.at.elapsed() >= fresh {
                        return None;
                    }
                    let current = e
                        .shown
                        .as_ref()
                        .filter(|c| Arc::ptr_eq(&c.servers, servers) && Arc::ptr_eq(&c.keys, keys));
                    if let Some(c) = current {
                        return Some(Arc::clone(&c.json));
                    }
                    let json = to_json(&overlay(ServerStatus::stored(s, keys), &e.status));
                    e.shown = Some(Shown {
                        servers: Arc::clone(servers),
                        keys: Arc::clone(keys),
                        json: Arc::clone(&json),
                    });
                    Some(json)
                })
                .collect()
        };
        // The futures are built first: a closure inside the stream would not be general enough
        // over the borrowed servers for axum's `Send` handler bound.
        let checks: Vec<_> = servers
            .iter()
            .zip(remembered)
            .map(|(s, known)| async move {
                match known {
                    Some(json) => json,
                    None => to_json(&self.status(s, keys).await),
                }
            })
            .collect();
        let parts: Vec<Arc<str>> = futures::stream::iter(checks)
            .buffered(STATUS_CONCURRENCY)
            .collect()
            .await;
        let mut out = String::with_capacity(parts.iter().map(|p| p.len() + 1).sum::<usize>() + 2);
        out.push('[');
        for (i, p) in parts.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            out.push_str(p);
        }
        out.push(']');
        out
    }

    /// Keeps the memory fresh while it is wanted; see the module's notes.
    pub async fn refresh_statuses(self: Arc<Self>, fleet: Arc<Fleet>, shutdown: CancellationToken) {
        let permits = Arc::new(Semaphore::new(REFRESH_CONCURRENCY));
        loop {
            tokio::select! {
                _ = shutdown.cancelled() => return,
                _ = tokio::time::sleep(LOOP_EVERY) => {}
            }
            if !self.latest.wanted() {
                continue;
            }
            let snapshot = fleet.get();
            for server in snapshot.servers.iter() {
                if !self.latest.due(server, self.ttls.status)
                    || !lock(&self.latest.in_flight).insert(server.name.clone())
                {
                    continue;
                }
                let (this, permits) = (Arc::clone(&self), Arc::clone(&permits));
                let (server, snapshot) = (server.clone(), Arc::clone(&snapshot));
                tokio::spawn(async move {
                    if let Ok(_turn) = permits.acquire().await {
                        this.status(&server, &snapshot.keys).await;
                    }
                    lock(&this.latest.in_flight).remove(&server.name);
                });
            }
        }
    }

    pub(super) fn remember(&self, server: &Server, status: &mut ServerStatus) {
        self.latest.record(server, status);
    }
}
