//! The config as the API reads it: users, servers and SSH keys held in memory, so that an
//! authenticated read (`GET /servers`, every token check) never waits for a file lock or the
//! blocking pool. Writes go through the locked, atomic store and refresh the snapshot before
//! they answer; changes made behind pgmond's back (pgmonctl on the files) are picked up by a
//! background check every 100 ms, which costs a `stat` per unchanged file.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::Duration;

use pgmon_common::ConfigDir;
use pgmon_common::servers::Server;
use pgmon_common::ssh_keys::SshKeyMeta;
use pgmon_common::users::User;
use tokio_util::sync::CancellationToken;

const REVALIDATE_EVERY: Duration = Duration::from_millis(100);

/// The three lists as loaded: shared, never copied.
pub struct Snapshot {
    pub users: Arc<Vec<User>>,
    pub servers: Arc<Vec<Server>>,
    pub keys: Arc<Vec<SshKeyMeta>>,
}

impl Snapshot {
    /// Reads the lists (each file is parsed again only when its stamp changed).
    pub fn read(dir: &ConfigDir) -> pgmon_common::Result<Snapshot> {
        Ok(Snapshot {
            users: dir.users.load()?,
            servers: dir.servers.load()?,
            keys: dir.ssh_keys.load()?,
        })
    }

    pub fn user(&self, login: &str) -> Option<&User> {
        self.users.iter().find(|u| u.login == login)
    }

    pub fn server(&self, name: &str) -> Option<&Server> {
        self.servers.iter().find(|s| s.name == name)
    }
}

pub struct Fleet {
    dir: Arc<ConfigDir>,
    current: RwLock<Arc<Snapshot>>,
    /// Counts snapshots put in place after a write, so a background read that began before
    /// one cannot put an older view back.
    writes: AtomicU64,
}

impl Fleet {
    pub fn new(dir: Arc<ConfigDir>, first: Snapshot) -> Fleet {
        Fleet {
            dir,
            current: RwLock::new(Arc::new(first)),
            writes: AtomicU64::new(0),
        }
    }

    pub fn get(&self) -> Arc<Snapshot> {
        Arc::clone(&self.current.read().unwrap_or_else(|p| p.into_inner()))
    }

    /// Puts the snapshot read right after a write in place.
    pub fn set(&self, next: Snapshot) {
        let mut current = self.current.write().unwrap_or_else(|p| p.into_inner());
        self.writes.fetch_add(1, Ordering::SeqCst);
        *current = Arc::new(next);
    }

    /// Revalidates every 100 ms until `shutdown`.
    pub async fn run(self: Arc<Self>, shutdown: CancellationToken) {
        loop {
            tokio::select! {
                _ = shutdown.cancelled() => return,
                _ = tokio::time::sleep(REVALIDATE_EVERY) => {}
            }
            let dir = Arc::clone(&self.dir);
            let writes = self.writes.load(Ordering::SeqCst);
            match tokio::task::spawn_blocking(move || Snapshot::read(&dir)).await {
                Ok(Ok(next)) => {
                    let mut current = self.current.write().unwrap_or_else(|p| p.into_inner());
                    if self.writes.load(Ordering::SeqCst) == writes {
                        *current = Arc::new(next);
                    }
                }
                Ok(Err(e)) => tracing::warn!(error = %e, "rereading the config failed"),
                Err(e) => tracing::warn!(error = %e, "rereading the config failed"),
            }
        }
    }
}
