//! The latest status of every server, so that `GET /servers` answers from memory. For five
//! minutes after the start (of the servers this replica collects, when replicas share a
//! store: the others' are their holders' to check), and while someone has asked for the list
//! in the last five minutes (of every server), a background loop keeps it fresh:
//! an ok status is rechecked before it is half the cache TTL old (so none shown is older than
//! the TTL), a failed one a second after its last check ended (so a recovered server shows ok
//! as soon as it would without the memory). Idle, nothing is checked, the memory ages out, and
//! the next list is checked live, as before.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use pgmon_common::api::ServerStatus;
use pgmon_common::servers::Server;
use pgmon_common::ssh_keys::SshKeyMeta;
use tokio::sync::{Notify, Semaphore};
use tokio_util::sync::CancellationToken;

use super::{Monitor, live_db, pools};
use crate::fleet::{Fleet, PerServerList};

/// How long after the last list the background checks go on.
const DEMAND_WINDOW: Duration = Duration::from_secs(300);
/// A failed server is checked again this long after its last check ended.
const RECHECK_FAILED: Duration = Duration::from_secs(1);
/// A failed status is shown from memory while younger than this (a check of a server that
/// never answers takes up to the check deadline, 6 s).
const FAILED_FRESH: Duration = Duration::from_secs(10);
const LOOP_EVERY: Duration = Duration::from_millis(250);
/// Checks at once. A check of a server that never answers mostly waits on its timeout (no
/// thread: connects and name look-ups are asynchronous), so a whole fleet can wait together:
/// the bound is sockets, one a check.
const CHECK_CONCURRENCY: usize = 2048;
/// How long a list waits for the checks it needs: a check's own deadline and a second.
const LIST_DEADLINE: Duration = Duration::from_secs(7);
/// A whole list is reused for at most this long.
const LIST_REUSE: Duration = Duration::from_secs(1);

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

pub(super) struct Latest {
    entries: Mutex<HashMap<String, Entry>>,
    in_flight: Mutex<HashSet<String>>,
    demand: Mutex<Option<Instant>>,
    /// The memory's keys of the servers of one config, made once per config.
    keys: PerServerList<Vec<String>>,
    /// Checks at once, from the list and the background loop together.
    checks: Semaphore,
    /// Counts changes to `entries`, so a built list knows whether it still holds.
    version: AtomicU64,
    /// Wakes lists waiting for checks.
    recorded: Notify,
    /// The last whole list built with nothing missing.
    list: Mutex<Option<BuiltList>>,
}

impl Default for Latest {
    fn default() -> Latest {
        Latest {
            entries: Mutex::default(),
            in_flight: Mutex::default(),
            demand: Mutex::default(),
            keys: PerServerList::default(),
            checks: Semaphore::new(CHECK_CONCURRENCY),
            version: AtomicU64::new(0),
            recorded: Notify::new(),
            list: Mutex::default(),
        }
    }
}

struct BuiltList {
    servers: Arc<Vec<Server>>,
    keys: Arc<Vec<SshKeyMeta>>,
    version: u64,
    at: Instant,
    list: Arc<StatusList>,
}

/// The server list as sent: its JSON, and the gzip of it made the first time a client asks
/// for that (so clients at once share one compression too).
pub struct StatusList {
    pub json: Bytes,
    gzip: std::sync::OnceLock<Bytes>,
}

impl StatusList {
    fn new(json: Bytes) -> StatusList {
        StatusList {
            json,
            gzip: std::sync::OnceLock::new(),
        }
    }

    pub fn gzip(&self) -> Bytes {
        self.gzip
            .get_or_init(|| {
                use std::io::Write;
                let mut gz = flate2::write::GzEncoder::new(
                    Vec::with_capacity(self.json.len() / 8),
                    flate2::Compression::fast(),
                );
                gz.write_all(&self.json)
                    .and_then(|()| gz.finish())
                    .map(Bytes::from)
                    .expect("gzip into memory cannot fail")
            })
            .clone()
    }
}

/// `[a,b,...]` of the parts, a stored object with status `pending` for a missing one.
fn join(servers: &[Server], keys: &[SshKeyMeta], parts: Vec<Option<Arc<str>>>) -> Bytes {
    let parts: Vec<Arc<str>> = servers
        .iter()
        .zip(parts)
        .map(|(s, p)| p.unwrap_or_else(|| to_json(&ServerStatus::stored(s, keys))))
        .collect();
    let mut out = Vec::with_capacity(parts.iter().map(|p| p.len() + 1).sum::<usize>() + 2);
    out.push(b'[');
    for (i, p) in parts.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        out.extend_from_slice(p.as_bytes());
    }
    out.push(b']');
    Bytes::from(out)
}

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
        drop(entries);
        self.version.fetch_add(1, Ordering::SeqCst);
        self.recorded.notify_waiters();
    }

    /// The memory's key of each of `servers`, computed once per config.
    fn keys_of(&self, servers: &Arc<Vec<Server>>) -> Arc<Vec<String>> {
        self.keys.get(servers, |s| s.iter().map(key).collect())
    }

    /// Whether the entry under `key` (see [`key`]) is due for a check.
    fn due(&self, key: &str, ttl: Duration) -> bool {
        lock(&self.entries)
            .get(key)
            .is_none_or(|e| e.at.elapsed() >= if e.ok { ttl / 2 } else { RECHECK_FAILED })
    }

    fn wanted(&self) -> bool {
        lock(&self.demand).is_some_and(|t| t.elapsed() < DEMAND_WINDOW)
    }

    pub(super) fn forget(&self, server: &Server) {
        lock(&self.entries).remove(&key(server));
        self.version.fetch_add(1, Ordering::SeqCst);
    }

    /// The list built last, if nothing in it changed and it is under a second old.
    fn reusable(
        &self,
        servers: &Arc<Vec<Server>>,
        keys: &Arc<Vec<SshKeyMeta>>,
    ) -> Option<Arc<StatusList>> {
        let list = lock(&self.list);
        let l = list.as_ref()?;
        let same = Arc::ptr_eq(&l.servers, servers)
            && Arc::ptr_eq(&l.keys, keys)
            && l.version == self.version.load(Ordering::SeqCst)
            && l.at.elapsed() < LIST_REUSE;
        same.then(|| Arc::clone(&l.list))
    }

    fn keep_list(
        &self,
        servers: &Arc<Vec<Server>>,
        keys: &Arc<Vec<SshKeyMeta>>,
        version: u64,
        list: &Arc<StatusList>,
    ) {
        *lock(&self.list) = Some(BuiltList {
            servers: Arc::clone(servers),
            keys: Arc::clone(keys),
            version,
            at: Instant::now(),
            list: Arc::clone(list),
        });
    }

    /// Each server's object from memory where it is fresh, in one pass under one lock.
    fn remembered(
        &self,
        servers: &Arc<Vec<Server>>,
        keys: &Arc<Vec<SshKeyMeta>>,
        memory_keys: &[String],
        ttl: Duration,
    ) -> Vec<Option<Arc<str>>> {
        let mut entries = lock(&self.entries);
        servers
            .iter()
            .zip(memory_keys.iter())
            .map(|(s, k)| {
                let e = entries.get_mut(k)?;
                let fresh = if e.ok { ttl } else { FAILED_FRESH };
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
    }
}

impl Monitor {
    /// `GET /servers`: the status objects of all `servers` in their order, as a JSON array:
    /// from memory where it is fresh (each object serialised once per check and config).
    /// Where it is not, a check starts in the background (all of them at once, bounded by
    /// sockets), and the list waits for them up to [`LIST_DEADLINE`], about one connect
    /// timeout; a server still being checked then is shown as it is stored with the status
    /// `pending`, and its check goes on into memory. The whole list, once built, is reused
    /// while nothing in it changed (for at most a second), so clients at once share one copy.
    pub async fn statuses_json(
        self: &Arc<Self>,
        servers: &Arc<Vec<Server>>,
        keys: &Arc<Vec<SshKeyMeta>>,
    ) -> Arc<StatusList> {
        *lock(&self.latest.demand) = Some(Instant::now());
        if let Some(list) = self.latest.reusable(servers, keys) {
            return list;
        }
        let memory_keys = self.latest.keys_of(servers);
        let deadline = tokio::time::Instant::now() + LIST_DEADLINE;
        loop {
            let version = self.latest.version.load(Ordering::SeqCst);
            let recorded = self.latest.recorded.notified();
            let parts = self
                .latest
                .remembered(servers, keys, &memory_keys, self.ttls.status);
            let missing: Vec<&Server> = servers
                .iter()
                .zip(&parts)
                .filter(|(_, p)| p.is_none())
                .map(|(s, _)| s)
                .collect();
            if missing.is_empty() || tokio::time::Instant::now() >= deadline {
                let list = Arc::new(StatusList::new(join(servers, keys, parts)));
                if missing.is_empty() {
                    self.latest.keep_list(servers, keys, version, &list);
                }
                return list;
            }
            for server in missing {
                self.check_in_background(server, keys);
            }
            // Woken by each check that lands; the short bound covers one that landed between
            // the look at memory and the wait.
            let _ = tokio::time::timeout_at(
                deadline.min(tokio::time::Instant::now() + Duration::from_millis(100)),
                recorded,
            )
            .await;
        }
    }

    /// Starts a check of `server` that puts its result in memory, unless one is under way.
    fn check_in_background(self: &Arc<Self>, server: &Server, keys: &Arc<Vec<SshKeyMeta>>) {
        if !lock(&self.latest.in_flight).insert(server.name.clone()) {
            return;
        }
        let (this, server, keys) = (Arc::clone(self), server.clone(), Arc::clone(keys));
        tokio::spawn(async move {
            if let Ok(_turn) = this.latest.checks.acquire().await {
                this.status(&server, &keys).await;
            }
            lock(&this.latest.in_flight).remove(&server.name);
        });
    }

    /// Keeps the memory fresh while it is wanted; see the module's notes. A start counts as
    /// wanting it for the servers `collects` says this replica samples (all of them on one
    /// machine): they are checked at once, so `/metrics` and the first list know them within
    /// about a connect timeout. With a shared store the rest of the fleet would otherwise be
    /// checked by every replica, a cost that grows with the fleet instead of the share.
    pub async fn refresh_statuses(
        self: Arc<Self>,
        fleet: Arc<Fleet>,
        collects: impl Fn(&[Server]) -> Vec<bool> + Send + 'static,
        shutdown: CancellationToken,
    ) {
        let started = Instant::now();
        loop {
            let listed = self.latest.wanted();
            if listed || started.elapsed() < DEMAND_WINDOW {
                // Four times a second over the whole fleet: the keys are the list's (made
                // once per config), and what this replica collects is asked once a loop.
                let snapshot = fleet.get();
                let keys = self.latest.keys_of(&snapshot.servers);
                let ours = (!listed).then(|| collects(&snapshot.servers));
                for (i, server) in snapshot.servers.iter().enumerate() {
                    if ours.as_ref().is_none_or(|o| o[i])
                        && self.latest.due(&keys[i], self.ttls.status)
                    {
                        self.check_in_background(server, &snapshot.keys);
                    }
                }
            }
            tokio::select! {
                _ = shutdown.cancelled() => return,
                _ = tokio::time::sleep(LOOP_EVERY) => {}
            }
        }
    }

    /// The latest status of `server` in memory, if it has been checked.
    pub fn latest_status(&self, server: &Server) -> Option<ServerStatus> {
        lock(&self.latest.entries)
            .get(&key(server))
            .map(|e| e.status.clone())
    }

    pub(super) fn remember(&self, server: &Server, status: &mut ServerStatus) {
        self.latest.record(server, status);
    }
}
