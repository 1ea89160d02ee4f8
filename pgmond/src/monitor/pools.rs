//! Connection pools, one per `host:port:user:database` (SPEC A7), created on first use.
//!
//! Every session pgmon opens says who it is (`application_name = pgmon`) and never waits long:
//! a 5 s connect timeout, `statement_timeout` 5 s, `lock_timeout` 1 s (so a DBA's migration
//! holding a lock never queues pgmon behind it), and TCP keepalives that notice a dead peer.
//! Its `search_path` is pinned to `pg_catalog`, so a monitored role whose own `search_path`
//! puts a schema of its making first cannot stand in for the catalog functions pgmon calls
//! (startup options outrank `ALTER ROLE ... SET`).
//!
//! Pools are told apart by everything that decides what a session sees: the `host:port:user:db`
//! that `/api/pools/status` shows, and the credentials, so an entry with a wrong password never
//! borrows another entry's session.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use deadpool_postgres::{Manager, ManagerConfig, Object, Pool, RecyclingMethod, Runtime};
use pgmon_common::ConfigDir;
use pgmon_common::api::PoolStatus;
use pgmon_common::servers::Server;

use super::connect::{GuardedConnect, OwnPids};
use super::error::MonitorError;
use super::tls::TlsSettings;
use super::tls_files::TlsFiles;
use crate::fleet::PerServerList;

pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// How pgmon's sessions name themselves in `pg_stat_activity` (for the DBA's eye: pgmon knows
/// its own sessions by their pids, since anyone can take this name).
pub const APPLICATION_NAME: &str = "pgmon";
/// UTC, so `date_trunc` buckets and rendered times match the recorded answers everywhere.
const SESSION_OPTIONS: &str =
    "-c statement_timeout=5000 -c lock_timeout=1000 -c TimeZone=UTC -c search_path=pg_catalog";

/// Pool sizes (`POOL_CONFIGS` of the Python backend).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PoolProfile {
    pub min: usize,
    pub max: usize,
}

impl PoolProfile {
    pub const DEFAULT: PoolProfile = PoolProfile { min: 1, max: 5 };
    pub const STATS_DB: PoolProfile = PoolProfile { min: 2, max: 10 };
    pub const HIGH_LOAD: PoolProfile = PoolProfile { min: 5, max: 20 };

    /// `"pool": "high_load"` in the server entry wins; servers with a stats database get the
    /// larger `stats_db` profile.
    pub fn for_server(server: &Server) -> PoolProfile {
        match server.extra.get("pool").and_then(|v| v.as_str()) {
            Some("high_load") => PoolProfile::HIGH_LOAD,
            Some("default") => PoolProfile::DEFAULT,
            _ if server.stats_db.is_some() => PoolProfile::STATS_DB,
            _ => PoolProfile::DEFAULT,
        }
    }
}

struct Entry {
    pool: Pool,
    profile: PoolProfile,
    /// The endpoint and credentials it is for, whatever the database ([`owner_key`]).
    owner: String,
}

pub struct Pools {
    pools: Mutex<HashMap<String, Entry>>,
    /// Which TLS files the servers' entries may name.
    tls: Arc<TlsFiles>,
    /// The backend pids of the sessions pgmon has open.
    pub own: Arc<OwnPids>,
    /// The owners of a list of servers, as `keep_only` last made them: it runs every few
    /// seconds over the whole fleet, which changes far less often.
    owners: PerServerList<HashSet<String>>,
}

/// `host:port:user:db`, the key the Python backend showed in `/api/pools/status`.
pub fn pool_key(server: &Server, db: &str) -> String {
    format!("{}:{}:{}:{db}", server.host, server.port, server.user)
}

/// The pool key plus a digest of the credentials: what one pool, and one cached status, stand
/// for. The digest is of the stored (encrypted) form and stays in memory.
pub fn session_key(server: &Server, db: &str) -> String {
    format!("{}#{:016x}", pool_key(server, db), credentials_tag(server))
}

/// `host:port:user` and the credentials' digest: what every pool of an entry shares.
fn owner_key(server: &Server) -> String {
    format!(
        "{}:{}:{}#{:016x}",
        server.host,
        server.port,
        server.user,
        credentials_tag(server)
    )
}

fn credentials_tag(server: &Server) -> u64 {
    super::digest(&[
        server
            .password
            .as_ref()
            .map(|p| p.stored_form())
            .unwrap_or_default(),
        if server.allow_cleartext_password {
            "cleartext"
        } else {
            ""
        },
        // Servers at one endpoint with other TLS settings must not share sessions.
        &format!(
            "{:?}\0{:?}\0{:?}\0{:?}",
            server.sslmode, server.sslrootcert, server.sslcert, server.sslkey
        ),
    ])
}

impl Pools {
    pub fn new(tls: Arc<TlsFiles>) -> Pools {
        Pools {
            pools: Mutex::new(HashMap::new()),
            tls,
            own: Arc::default(),
            owners: PerServerList::default(),
        }
    }

    /// One session outside the pools (for testing a server, stored or not); it ends when the
    /// client is dropped.
    pub async fn connect_once(
        &self,
        server: &Server,
        db: &str,
        dir: &ConfigDir,
    ) -> Result<tokio_postgres::Client, MonitorError> {
        use deadpool_postgres::Connect;
        let (cfg, connect) = session(server, db, dir, (&self.tls, &self.own))?;
        Ok(connect.connect(&cfg).await?.0)
    }

    /// A connection to `db` on `server`, from its pool (created on first use).
    pub async fn get(
        &self,
        server: &Server,
        db: &str,
        dir: &ConfigDir,
    ) -> Result<Object, MonitorError> {
        let pool = self.pool(server, db, dir)?;
        // deadpool's own timeouts bound the wait; this one also bounds a server that accepts
        // TCP and then never answers the startup packet.
        match tokio::time::timeout(CONNECT_TIMEOUT + Duration::from_millis(500), pool.get()).await {
            Ok(r) => Ok(r?),
            Err(_) => Err(MonitorError::Timeout),
        }
    }

    fn pool(&self, server: &Server, db: &str, dir: &ConfigDir) -> Result<Pool, MonitorError> {
        let key = session_key(server, db);
        let mut pools = self.pools.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(e) = pools.get(&key).filter(|e| !e.pool.is_closed()) {
            return Ok(e.pool.clone());
        }
        let profile = PoolProfile::for_server(server);
        let pool = build_pool(server, db, dir, (&self.tls, &self.own), profile)?;
        pools.insert(
            key,
            Entry {
                pool: pool.clone(),
                profile,
                owner: owner_key(server),
            },
        );
        Ok(pool)
    }

    /// Closes and forgets every pool of `server`'s endpoint (it was changed or deleted).
    pub fn close_server(&self, server: &Server) {
        let prefix = format!("{}:{}:{}:", server.host, server.port, server.user);
        let mut pools = self.pools.lock().unwrap_or_else(|p| p.into_inner());
        pools.retain(|key, e| {
            let keep = !key.starts_with(&prefix);
            if !keep {
                e.pool.close();
            }
            keep
        });
    }

    /// Closes every pool that no entry of `servers` could use: one a check or sample in flight
    /// made again for an entry just changed or removed is let go on the next pass.
    pub fn keep_only(&self, servers: &Arc<Vec<Server>>) {
        let owners = self
            .owners
            .get(servers, |s| s.iter().map(owner_key).collect());
        let mut pools = self.pools.lock().unwrap_or_else(|p| p.into_inner());
        pools.retain(|_, e| {
            let keep = owners.contains(&e.owner);
            if !keep {
                e.pool.close();
            }
            keep
        });
    }

    pub fn close_all(&self) {
        let mut pools = self.pools.lock().unwrap_or_else(|p| p.into_inner());
        for (_, e) in pools.drain() {
            e.pool.close();
        }
    }

    pub fn count(&self) -> usize {
        self.pools.lock().unwrap_or_else(|p| p.into_inner()).len()
    }

    pub fn statuses(&self) -> BTreeMap<String, PoolStatus> {
        self.each(|e, s| PoolStatus {
            minconn: e.profile.min,
            maxconn: e.profile.max,
            closed: e.pool.is_closed(),
            size: s.size,
            available: s.available,
        })
        .into_iter()
        .collect()
    }

    /// Per pool: connections open, idle, callers waiting for one, and the most it opens.
    pub fn gauges(&self) -> Vec<(String, [usize; 4])> {
        self.each(|e, s| [s.size, s.available, s.waiting, e.profile.max])
    }

    /// `f` of each pool, by the name `/api/pools/status` shows: `host:port:user:db` as the
    /// Python backend showed it, with the credentials' tag added where two pools (an entry
    /// and its changed credentials, two entries at one endpoint) would share that name.
    fn each<T>(&self, f: impl Fn(&Entry, deadpool_postgres::Status) -> T) -> Vec<(String, T)> {
        let pools = self.pools.lock().unwrap_or_else(|p| p.into_inner());
        let shown = |k: &str| k.split_once('#').map_or(k, |(shown, _)| shown).to_owned();
        let mut uses: HashMap<String, usize> = HashMap::new();
        for k in pools.keys() {
            *uses.entry(shown(k)).or_default() += 1;
        }
        pools
            .iter()
            .map(|(k, e)| {
                let name = match shown(k) {
                    plain if uses[&plain] == 1 => plain,
                    _ => k.clone(),
                };
                (name, f(e, e.pool.status()))
            })
            .collect()
    }
}

/// How pgmon's sessions to `db` of `server` are opened: host, port, timeout and keepalives
/// are `GuardedConnect`'s; the config carries the rest.
fn session(
    server: &Server,
    db: &str,
    dir: &ConfigDir,
    (tls, own): (&Arc<TlsFiles>, &Arc<OwnPids>),
) -> Result<(tokio_postgres::Config, GuardedConnect), MonitorError> {
    let cipher = dir.cipher()?;
    let mut cfg = tokio_postgres::Config::new();
    cfg.user(&server.user)
        .dbname(db)
        .application_name(APPLICATION_NAME)
        .options(SESSION_OPTIONS);
    if let Some(p) = server.password.as_ref().filter(|p| p.is_set()) {
        cfg.password(p.reveal(cipher, &format!("password of server {}", server.name))?);
    }
    let connect = GuardedConnect::new(
        (server.host.clone(), server.port),
        server.allow_cleartext_password,
        TlsSettings::of(server, tls),
        Arc::clone(own),
    );
    Ok((cfg, connect))
}

fn build_pool(
    server: &Server,
    db: &str,
    dir: &ConfigDir,
    tls: (&Arc<TlsFiles>, &Arc<OwnPids>),
    profile: PoolProfile,
) -> Result<Pool, MonitorError> {
    let (cfg, connect) = session(server, db, dir, tls)?;
    let manager = Manager::from_connect(
        cfg,
        connect,
        ManagerConfig {
            recycling_method: RecyclingMethod::Fast,
        },
    );
    Pool::builder(manager)
        .max_size(profile.max)
        .runtime(Runtime::Tokio1)
        .wait_timeout(Some(CONNECT_TIMEOUT))
        .create_timeout(Some(CONNECT_TIMEOUT))
        .recycle_timeout(Some(CONNECT_TIMEOUT))
        .build()
        .map_err(|e| MonitorError::Pool(e.to_string()))
}

#[cfg(test)]
mod tests {
    use pgmon_common::servers::ServerInput;

    use super::*;

    fn server(name: &str, password: &str) -> Server {
        let input = ServerInput {
            name: name.into(),
            host: "db.example".into(),
            user: "monitor".into(),
            ..ServerInput::default()
        };
        let mut s: Server = serde_json::from_value(serde_json::to_value(&input).unwrap()).unwrap();
        s.password = Some(serde_json::from_value(serde_json::json!(password)).unwrap());
        s
    }

    #[tokio::test]
    /// Two pools of one endpoint (another password) show apart in `/api/pools/status`; one
    /// alone keeps the old backend's name; pools no entry uses are let go.
    async fn pools_are_told_apart_and_let_go() {
        let tmp = tempfile::tempdir().unwrap();
        let (dir, _) = ConfigDir::initialize(tmp.path().join("cfg")).unwrap();
        let pools = Pools::new(Arc::new(TlsFiles::new(dir.root(), &[], None)));
        let (a, b) = (server("a", "one"), server("b", "two"));
        pools.pool(&a, "postgres", &dir).unwrap();
        assert_eq!(
            pools.statuses().into_keys().collect::<Vec<_>>(),
            ["db.example:5432:monitor:postgres"]
        );
        pools.pool(&b, "postgres", &dir).unwrap();
        let names: Vec<String> = pools.statuses().into_keys().collect();
        assert_eq!(names.len(), 2, "{names:?}");
        assert!(names.iter().all(|n| n.contains('#')), "{names:?}");
        pools.keep_only(&Arc::new(vec![b]));
        assert_eq!(pools.count(), 1);
    }
}
