//! The config as the API reads it: users, servers and SSH keys held in memory, so that an
//! authenticated read (`GET /servers`, every token check) never waits for a file lock or the
//! blocking pool. Writes go through the locked, atomic store and refresh the snapshot before
//! they answer; changes made behind pgmond's back (pgmonctl on the files) are picked up by a
//! background check every 100 ms, which costs a `stat` per unchanged file.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use pgmon_common::ConfigDir;
use pgmon_common::servers::Server;
use pgmon_common::ssh_keys::SshKeyMeta;
use pgmon_common::users::User;
use tokio_util::sync::CancellationToken;

const REVALIDATE_EVERY: Duration = Duration::from_millis(100);

/// A value made from one list of servers (a snapshot's), kept until the list is another: for
/// work over the whole fleet that runs every few seconds, when the list changes far less
/// often.
pub struct PerServerList<T> {
    made: Mutex<Option<Made<T>>>,
}

/// The list a value was made of, and the value.
struct Made<T> {
    of: Arc<Vec<Server>>,
    value: Arc<T>,
}

impl<T> Default for PerServerList<T> {
    fn default() -> Self {
        PerServerList {
            made: Mutex::default(),
        }
    }
}

impl<T> PerServerList<T> {
    /// The value of `servers`, made by `make` when it was made of another list.
    pub fn get(&self, servers: &Arc<Vec<Server>>, make: impl FnOnce(&[Server]) -> T) -> Arc<T> {
        let mut made = self.made.lock().unwrap_or_else(|p| p.into_inner());
        match &*made {
            Some(m) if Arc::ptr_eq(&m.of, servers) => Arc::clone(&m.value),
            _ => {
                let value = Arc::new(make(servers));
                *made = Some(Made {
                    of: Arc::clone(servers),
                    value: Arc::clone(&value),
                });
                value
            }
        }
    }
}

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
    /// The snapshot in use, and the number of the read that made it.
    current: RwLock<(u64, Arc<Snapshot>)>,
    /// Numbers reads in the order they begin: a read that began later saw every change an
    /// earlier one saw, so the highest number in place is the newest view, whichever read
    /// (after an API write, or in the background) finishes last.
    reads: AtomicU64,
}

/// A snapshot and the number of its read.
pub struct Read(u64, pgmon_common::Result<Snapshot>);

impl Fleet {
    pub fn new(dir: Arc<ConfigDir>, first: Snapshot) -> Fleet {
        Fleet {
            dir,
            current: RwLock::new((0, Arc::new(first))),
            reads: AtomicU64::new(1),
        }
    }

    pub fn dir(&self) -> Arc<ConfigDir> {
        Arc::clone(&self.dir)
    }

    pub fn get(&self) -> Arc<Snapshot> {
        Arc::clone(&self.current.read().unwrap_or_else(|p| p.into_inner()).1)
    }

    /// Reads the lists now, numbered; blocking (run on the blocking pool).
    pub fn read(&self, dir: &ConfigDir) -> Read {
        let n = self.reads.fetch_add(1, Ordering::SeqCst);
        Read(n, Snapshot::read(dir))
    }

    /// Puts a read's snapshot in place unless a later read's already is; a failed read is
    /// returned as its error.
    pub fn offer(&self, read: Read) -> pgmon_common::Result<()> {
        let Read(n, snapshot) = read;
        let snapshot = snapshot?;
        let mut current = self.current.write().unwrap_or_else(|p| p.into_inner());
        if n > current.0 {
            *current = (n, Arc::new(snapshot));
        }
        Ok(())
    }

    /// Revalidates every 100 ms until `shutdown`.
    pub async fn run(self: Arc<Self>, shutdown: CancellationToken) {
        loop {
            tokio::select! {
                _ = shutdown.cancelled() => return,
                _ = tokio::time::sleep(REVALIDATE_EVERY) => {}
            }
            let me = Arc::clone(&self);
            match tokio::task::spawn_blocking(move || me.read(&me.dir)).await {
                Ok(read) => {
                    if let Err(e) = self.offer(read) {
                        tracing::warn!(error = %e, "rereading the config failed");
                    }
                }
                Err(e) => tracing::warn!(error = %e, "rereading the config failed"),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    /// Of two reads, the one that began later stays in place, whichever is offered last.
    fn the_newest_read_wins() {
        let tmp = tempfile::tempdir().unwrap();
        let (dir, _) = ConfigDir::initialize(tmp.path().join("cfg")).unwrap();
        let dir = Arc::new(dir);
        let fleet = Fleet::new(Arc::clone(&dir), Snapshot::read(&dir).unwrap());
        let older = fleet.read(&dir);
        dir.users
            .update(|u| {
                u.clear();
                Ok(())
            })
            .unwrap();
        let newer = fleet.read(&dir);
        fleet.offer(newer).unwrap();
        fleet.offer(older).unwrap();
        assert!(fleet.get().users.is_empty(), "the older view was put back");
    }
}
