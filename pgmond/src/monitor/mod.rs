//! The monitoring engine: pools to every server, live status with a short cache, activity, and
//! history from each server's stats database. A slow or dead server costs at most one timeout
//! and degrades to a status string; it never holds up the others.

pub mod backends;
mod connect;
pub mod databases;
mod disk;
mod error;
pub mod findings;
mod latest;
pub mod legacy_history;
mod pools;
pub mod replication;
pub mod statements;
mod status;
pub(crate) mod tls;
pub mod tls_files;

use std::collections::{BTreeMap, HashMap};
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use deadpool_postgres::Object;
use pgmon_common::ConfigDir;
use pgmon_common::api::{PgTest, PoolStatus, ServerStatus};
use pgmon_common::servers::Server;
use pgmon_common::ssh_keys::SshKeyMeta;
use serde::Serialize;

pub use connect::use_name_servers;
pub use disk::ssh_configured;
pub use error::MonitorError;
use pools::Pools;
use status::LiveFacts;
use tls_files::TlsFiles;

/// How long results are reused: ok statuses per session key (`SERVER_STATUS_CACHE_TTL`, 5 s)
/// and disk readings per SSH login (`SSH_CACHE_TTL`, 30 s).
#[derive(Clone, Copy, Debug)]
pub struct CacheTtls {
    pub status: Duration,
    pub ssh: Duration,
}
/// A whole status check (connect and queries) never takes longer than this.
const CHECK_DEADLINE: Duration = Duration::from_secs(6);
/// What any one call to a monitored server may take, connecting included (a statements
/// snapshot is two reads a second apart).
pub const CALL_DEADLINE: Duration = Duration::from_secs(10);

pub struct Monitor {
    dir: Arc<ConfigDir>,
    ttls: CacheTtls,
    pools: Pools,
    /// Ok statuses per session key: the same endpoint and credentials get the same answer.
    cache: Mutex<HashMap<String, (Instant, LiveFacts)>>,
    /// Disk readings per SSH login (`disk::ssh_login_key`).
    disk_cache: Mutex<HashMap<String, (Instant, crate::ssh::DiskUsage)>>,
    /// Every server's latest status, for the list.
    latest: latest::Latest,
    /// The two newest pg_stat_statements snapshots of each server.
    statements: statements::Snapshots,
}

/// A session of `/server_stats/{name}`, as the Python backend listed them.
#[derive(Serialize, utoipa::ToSchema)]
pub struct Session {
    pub pid: i32,
    pub usename: Option<String>,
    pub datname: Option<String>,
    pub query: Option<String>,
    pub state: Option<String>,
}

/// A digest of `parts` for cache and pool keys (in memory only, so collisions are only
/// a matter of chance, and secrets are never what is kept).
fn digest(parts: &[&str]) -> u64 {
    use std::hash::{BuildHasher, Hasher, RandomState};
    static KEYS: std::sync::OnceLock<RandomState> = std::sync::OnceLock::new();
    let mut h = KEYS.get_or_init(RandomState::new).build_hasher();
    for p in parts {
        h.write(p.as_bytes());
        h.write_u8(0);
    }
    h.finish()
}

/// The database the live connection goes to: the server's stats database, else `postgres`.
pub fn live_db(server: &Server) -> &str {
    server.stats_db.as_deref().unwrap_or("postgres")
}

/// `server_version_num` of the server `client` is connected to, for SQL that differs between
/// majors.
pub async fn version_num(client: &Object) -> Result<i32, MonitorError> {
    let row = client
        .query_one("SELECT current_setting('server_version_num')::int", &[])
        .await?;
    Ok(row.get(0))
}

impl Monitor {
    pub fn new(dir: Arc<ConfigDir>, ttls: CacheTtls, tls: Arc<TlsFiles>) -> Monitor {
        Monitor {
            dir,
            ttls,
            pools: Pools::new(tls),
            cache: Mutex::new(HashMap::new()),
            disk_cache: Mutex::new(HashMap::new()),
            latest: latest::Latest::default(),
            statements: statements::Snapshots::default(),
        }
    }

    /// Runs `work` on a pooled connection to `db`, once more on a fresh connection if the
    /// first one turned out broken (a restarted server leaves dead connections in the pool);
    /// all of it within [`CALL_DEADLINE`], so a silent network never holds a caller (or a lock
    /// it holds) for the TCP keepalive's minute.
    pub async fn with_client<T, F, Fut>(
        &self,
        server: &Server,
        db: &str,
        work: F,
    ) -> Result<T, MonitorError>
    where
        F: Fn(Object) -> Fut,
        Fut: Future<Output = Result<T, MonitorError>>,
    {
        self.with_client_within(CALL_DEADLINE, server, db, work)
            .await
    }

    /// [`with_client`](Self::with_client) with a deadline of the caller's.
    pub async fn with_client_within<T, F, Fut>(
        &self,
        deadline: Duration,
        server: &Server,
        db: &str,
        work: F,
    ) -> Result<T, MonitorError>
    where
        F: Fn(Object) -> Fut,
        Fut: Future<Output = Result<T, MonitorError>>,
    {
        let attempt = async {
            let first = work(self.pools.get(server, db, &self.dir).await?).await;
            match first {
                Err(e) if e.is_broken_connection() => {
                    tracing::debug!(server = %server.name, error = %e, "retrying on a fresh connection");
                    work(self.pools.get(server, db, &self.dir).await?).await
                }
                other => other,
            }
        };
        tokio::time::timeout(deadline, attempt)
            .await
            .unwrap_or(Err(MonitorError::Timeout))
    }

    /// The status object of `server`: stored facts plus live ones (cached for 5 s when ok),
    /// remembered for the list.
    pub async fn status(&self, server: &Server, keys: &[SshKeyMeta]) -> ServerStatus {
        let mut out = self.check(server, keys).await;
        self.remember(server, &mut out);
        out
    }

    async fn check(&self, server: &Server, keys: &[SshKeyMeta]) -> ServerStatus {
        let mut out = ServerStatus::stored(server, keys);
        match self.live_facts(server).await {
            Ok(f) => {
                out.status = "ok".into();
                // Disk usage needs the data directory, so it follows the PostgreSQL check.
                let disk = match f.data_dir.as_deref() {
                    Some(d) => self.disk_usage(server, d).await,
                    None => None,
                };
                match disk {
                    Some(Ok(d)) => {
                        out.free_space = Some(d.free);
                        out.total_space = Some(d.total);
                    }
                    Some(Err(e)) => out.status = format!("ok (SSH: {e})"),
                    None => {}
                }
                out.version = Some(f.version);
                out.connections = Some(f.connections);
                out.uptime_hours = Some(f.uptime_hours);
                out.ssl = Some(f.ssl);
                out.data_dir = f.data_dir;
                out.timestamp = f.at;
            }
            Err(e) => {
                tracing::debug!(server = %server.name, error = %e, "status check failed");
                out.status = e.status();
                out.timestamp = status::now_epoch();
            }
        }
        out
    }

    async fn live_facts(&self, server: &Server) -> Result<LiveFacts, MonitorError> {
        let key = pools::session_key(server, live_db(server));
        if let Some(f) = self.cached(&key) {
            return Ok(f);
        }
        let check = self.with_client(server, live_db(server), |c| async move {
            status::read(&c).await
        });
        let facts = tokio::time::timeout(CHECK_DEADLINE, check)
            .await
            .map_err(|_| MonitorError::Timeout)??;
        let mut cache = self.cache.lock().unwrap_or_else(|p| p.into_inner());
        cache.insert(key, (Instant::now(), facts.clone()));
        Ok(facts)
    }

    fn cached(&self, key: &str) -> Option<LiveFacts> {
        let cache = self.cache.lock().unwrap_or_else(|p| p.into_inner());
        cache
            .get(key)
            .filter(|(at, _)| at.elapsed() < self.ttls.status)
            .map(|(_, f)| f.clone())
    }

    /// When the TLS certificate `server`'s PostgreSQL last showed pgmon expires (seconds since
    /// the epoch); none without TLS.
    pub fn certificate_expiry(&self, server: &Server) -> Option<i64> {
        self.pools.own.certificate_expiry(&server.host, server.port)
    }

    /// The backend pids of pgmon's own sessions open on `server`'s PostgreSQL.
    pub fn own_pids(&self, server: &Server) -> Vec<i32> {
        self.pools.own.of(&server.host, server.port)
    }

    /// Sessions with a state (`/server_stats/{name}`), less pgmon's own (they are what asks).
    pub async fn sessions(&self, server: &Server) -> Result<Vec<Session>, MonitorError> {
        const SQL: &str = "SELECT pid, usename::text, datname::text, query, state
                           FROM pg_stat_activity
                           WHERE state IS NOT NULL
                             AND pid <> pg_backend_pid()
                             AND pid <> ALL($1::int4[])";
        self.with_client(server, live_db(server), |c| async move {
            let rows = c.query(SQL, &[&self.own_pids(server)]).await?;
            Ok(rows
                .iter()
                .map(|r| Session {
                    pid: r.get(0),
                    usename: r.get(1),
                    datname: r.get(2),
                    query: r.get(3),
                    state: r.get(4),
                })
                .collect())
        })
        .await
    }

    /// Connects once, outside the pools, within the status check's deadline: for a server
    /// about to be saved as much as for a stored one.
    pub async fn test_pg(&self, server: &Server) -> PgTest {
        let attempt = async {
            let client = self
                .pools
                .connect_once(server, live_db(server), &self.dir)
                .await?;
            let facts = status::read(&client).await?;
            Ok::<(String, bool), MonitorError>((facts.version, facts.ssl))
        };
        let outcome = tokio::time::timeout(CHECK_DEADLINE, attempt)
            .await
            .unwrap_or(Err(MonitorError::Timeout));
        let (success, message, version, ssl) = match outcome {
            Ok((v, ssl)) => (true, "Connection successful".to_owned(), Some(v), ssl),
            Err(e) => (false, e.status(), None, false),
        };
        PgTest {
            success,
            message,
            version,
            ssl,
        }
    }

    /// A session of its own on `db` (for the health checks), outside the pools, connected
    /// within the status check's deadline; it ends when dropped.
    pub async fn session(
        &self,
        server: &Server,
        db: &str,
    ) -> Result<tokio_postgres::Client, MonitorError> {
        tokio::time::timeout(
            CHECK_DEADLINE,
            self.pools.connect_once(server, db, &self.dir),
        )
        .await
        .unwrap_or(Err(MonitorError::Timeout))
    }

    /// Drops the pools and cached status of a server that was changed or deleted.
    pub fn forget(&self, server: &Server) {
        self.pools.close_server(server);
        self.latest.forget(server);
        self.statements.forget(&server.name);
        let key = pools::session_key(server, live_db(server));
        self.cache
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(&key);
        let login = disk::ssh_login_key(server);
        self.disk_cache
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .retain(|key, _| !key.starts_with(&login));
    }

    /// Lets go of every pool no entry of `servers` uses any more.
    pub fn keep_pools_of(&self, servers: &Arc<Vec<Server>>) {
        self.pools.keep_only(servers);
    }

    pub fn pool_count(&self) -> usize {
        self.pools.count()
    }

    pub fn pool_statuses(&self) -> BTreeMap<String, PoolStatus> {
        self.pools.statuses()
    }

    pub fn pool_gauges(&self) -> Vec<(String, [usize; 4])> {
        self.pools.gauges()
    }

    pub fn close(&self) {
        self.pools.close_all();
    }
}
