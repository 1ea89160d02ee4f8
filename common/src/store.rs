//! One JSON-array file of the config dir (`users.json`, `servers.json`, `ssh_keys/keys.json`).
//!
//! Readers take a shared `flock` on a lock file beside the data file; writers take it
//! exclusively, keep a backup of the old file (a 0600 copy, with plaintext secrets sealed where
//! the store says how), write a temp file, fsync it, rename it over the old one and fsync the
//! folder. A crash at any point leaves either the old or the new file,
//! never a torn one. A reader keeps the parsed content and re-reads only when the file's identity
//! (inode, size, mtime) changes, so a daemon sees edits made by `pgmonctl` or by hand.

use std::fs::{self, File, OpenOptions};
use std::io::{ErrorKind, Write};
use std::os::unix::fs::{DirBuilderExt, MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::{Error, Result};

/// Backups kept per store; older ones are pruned so frequent writes (logins) do not fill the disk.
pub const BACKUPS_KEPT: usize = 20;

/// Mode of every file the store writes: they hold hashes and encrypted secrets.
pub const FILE_MODE: u32 = 0o600;
/// Mode of every folder the config dir creates.
pub const DIR_MODE: u32 = 0o700;

/// What identifies one version of the file on disk.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
struct Stamp {
    dev: u64,
    ino: u64,
    size: u64,
    mtime_ns: i128,
}

impl Stamp {
    fn of(meta: &fs::Metadata) -> Stamp {
        Stamp {
            dev: meta.dev(),
            ino: meta.ino(),
            size: meta.size(),
            mtime_ns: i128::from(meta.mtime()) * 1_000_000_000 + i128::from(meta.mtime_nsec()),
        }
    }
}

struct Cached<T> {
    stamp: Option<Stamp>,
    items: Arc<Vec<T>>,
}

/// Puts the old content right before it is kept as a backup; says whether it changed anything.
pub type Scrub<'a, T> = &'a dyn Fn(&mut Vec<T>) -> bool;

pub struct JsonStore<T> {
    path: PathBuf,
    lock_path: PathBuf,
    backup_dir: PathBuf,
    backup_prefix: &'static str,
    cache: Mutex<Option<Cached<T>>>,
}

impl<T: Serialize + DeserializeOwned + Clone> JsonStore<T> {
    /// A store for `path`; backups go to `backup_dir/<prefix>_<YYYYmmdd_HHMMSS>.json`.
    pub fn new(path: PathBuf, backup_dir: PathBuf, backup_prefix: &'static str) -> JsonStore<T> {
        let lock_path = sibling(&path, ".lock");
        JsonStore {
            path,
            lock_path,
            backup_dir,
            backup_prefix,
            cache: Mutex::new(None),
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The current content; a missing file is an empty list.
    pub fn load(&self) -> Result<Arc<Vec<T>>> {
        let _lock = self.lock(false)?;
        let stamp = self.stamp()?;
        let mut cache = self.cache.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(c) = cache.as_ref().filter(|c| c.stamp == stamp) {
            return Ok(Arc::clone(&c.items));
        }
        let items = Arc::new(self.read_file(stamp)?);
        *cache = Some(Cached {
            stamp,
            items: Arc::clone(&items),
        });
        Ok(items)
    }

    /// Applies `change` to a fresh read of the file under the exclusive lock and writes the
    /// result. Nothing is written when `change` fails.
    pub fn update<R>(&self, change: impl FnOnce(&mut Vec<T>) -> Result<R>) -> Result<R> {
        self.update_scrubbed(change, None)
    }

    /// Like [`update`](Self::update); the backup of the old file goes through `scrub` first,
    /// which returns whether it changed anything (so that a secret the new file holds only
    /// sealed is not kept in plaintext in a backup).
    pub fn update_scrubbed<R>(
        &self,
        change: impl FnOnce(&mut Vec<T>) -> Result<R>,
        scrub: Option<Scrub<'_, T>>,
    ) -> Result<R> {
        self.write_under_lock(change, Some(scrub))
    }

    /// Like [`update`](Self::update) without a backup: for bookkeeping (a login's time) that
    /// must not push the backup of a real change out of the folder.
    pub fn update_unbacked<R>(&self, change: impl FnOnce(&mut Vec<T>) -> Result<R>) -> Result<R> {
        self.write_under_lock(change, None)
    }

    /// The update; `backup` says whether (and through which scrub) the old file is kept.
    fn write_under_lock<R>(
        &self,
        change: impl FnOnce(&mut Vec<T>) -> Result<R>,
        backup: Option<Option<Scrub<'_, T>>>,
    ) -> Result<R> {
        let _lock = self.lock(true)?;
        let stamp = self.stamp()?;
        let old = match stamp {
            Some(_) => Some(fs::read(&self.path).map_err(Error::io("reading", &self.path))?),
            None => None,
        };
        let mut items = match &old {
            Some(bytes) => self.parse(bytes)?,
            None => Vec::new(),
        };
        // The old content, kept for the scrubbed backup before `change` alters it.
        let before = backup.map(|scrub| scrub.map(|scrub| (scrub, items.clone())));
        let out = change(&mut items)?;
        if let (Some(bytes), Some(before)) = (&old, before) {
            self.backup(bytes, before)?;
        }
        self.write_file(&items)?;
        let mut cache = self.cache.lock().unwrap_or_else(|p| p.into_inner());
        *cache = Some(Cached {
            stamp: self.stamp()?,
            items: Arc::new(items),
        });
        Ok(out)
    }

    fn stamp(&self) -> Result<Option<Stamp>> {
        match fs::metadata(&self.path) {
            Ok(meta) => Ok(Some(Stamp::of(&meta))),
            Err(e) if e.kind() == ErrorKind::NotFound => Ok(None),
            Err(e) => Err(Error::io("reading", &self.path)(e)),
        }
    }

    fn read_file(&self, stamp: Option<Stamp>) -> Result<Vec<T>> {
        if stamp.is_none() {
            return Ok(Vec::new());
        }
        let bytes = fs::read(&self.path).map_err(Error::io("reading", &self.path))?;
        self.parse(&bytes)
    }

    fn parse(&self, bytes: &[u8]) -> Result<Vec<T>> {
        serde_json::from_slice(bytes).map_err(|source| Error::Malformed {
            path: self.path.clone(),
            source,
        })
    }

    /// Takes the store's lock. Readers of a read-only copy (where the lock file cannot be
    /// created) go on unlocked: nobody can be writing there.
    fn lock(&self, exclusive: bool) -> Result<Option<File>> {
        let opened = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .mode(FILE_MODE)
            .custom_flags(libc::O_NOFOLLOW)
            .open(&self.lock_path);
        let file = match opened {
            Ok(f) => f,
            Err(e) if !exclusive && is_read_only(&e) => return Ok(None),
            Err(e) => return Err(Error::io("creating lock file", &self.lock_path)(e)),
        };
        let locked = if exclusive {
            file.lock()
        } else {
            file.lock_shared()
        };
        locked.map_err(Error::io("locking", &self.lock_path))?;
        Ok(Some(file))
    }

    /// Copies the old file into the backup folder, mode 0600 whatever the original had; with a
    /// scrub, its scrubbed content when the scrub changed anything. (A hard link would keep a
    /// hand-written file's wider mode.)
    fn backup(&self, old: &[u8], scrub: Option<(Scrub<'_, T>, Vec<T>)>) -> Result<()> {
        create_private_dir(&self.backup_dir)?;
        // To the microsecond, and never over another: two writes in one second keep two.
        let stamp = chrono::Local::now().format("%Y%m%d_%H%M%S_%6f");
        let mut target = self
            .backup_dir
            .join(format!("{}_{stamp}.json", self.backup_prefix));
        for n in 1.. {
            if fs::symlink_metadata(&target).is_err() {
                break;
            }
            target = self
                .backup_dir
                .join(format!("{}_{stamp}_{n}.json", self.backup_prefix));
        }
        let scrubbed = match scrub {
            Some((scrub, mut items)) => scrub(&mut items).then_some(self.render(&items)?),
            None => None,
        };
        create_private_file(&target, scrubbed.as_deref().unwrap_or(old))?;
        self.prune_backups()
    }

    fn prune_backups(&self) -> Result<()> {
        let prefix = format!("{}_", self.backup_prefix);
        let mut names: Vec<_> = fs::read_dir(&self.backup_dir)
            .map_err(Error::io("listing", &self.backup_dir))?
            .filter_map(|e| e.ok())
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| n.starts_with(&prefix) && n.ends_with(".json"))
            .collect();
        names.sort();
        let excess = names.len().saturating_sub(BACKUPS_KEPT);
        for old in &names[..excess] {
            let _ = fs::remove_file(self.backup_dir.join(old));
        }
        Ok(())
    }

    /// The file's text for `items`: indent-2 JSON and a final newline, as Python wrote it.
    fn render(&self, items: &[T]) -> Result<Vec<u8>> {
        let mut text = serde_json::to_vec_pretty(items).map_err(|source| Error::Malformed {
            path: self.path.clone(),
            source,
        })?;
        text.push(b'\n');
        Ok(text)
    }

    fn write_file(&self, items: &[T]) -> Result<()> {
        write_atomic(&self.path, &self.render(items)?)
    }
}

/// Writes `bytes` to `path` atomically and durably: temp file in the same folder, fsync, rename,
/// fsync of the folder. Temp files left by a killed writer are removed first; callers hold the
/// exclusive lock, so no other writer can own them.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    remove_stale_temp_files(path);
    let tmp = sibling(
        path,
        &format!(".tmp-{}-{}", std::process::id(), rand::random::<u32>()),
    );
    let result = (|| {
        let mut f = OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(FILE_MODE)
            .open(&tmp)
            .map_err(Error::io("creating", &tmp))?;
        f.write_all(bytes).map_err(Error::io("writing", &tmp))?;
        f.sync_all().map_err(Error::io("syncing", &tmp))?;
        fs::rename(&tmp, path).map_err(Error::io("replacing", path))?;
        File::open(dir)
            .and_then(|d| d.sync_all())
            .map_err(Error::io("syncing folder", dir))
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result
}

/// Creates a file that must not be replaced if it exists (keys), mode 0600, synced.
pub fn create_private_file(path: &Path, bytes: &[u8]) -> Result<()> {
    let mut f = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(FILE_MODE)
        .open(path)
        .map_err(Error::io("creating", path))?;
    f.write_all(bytes).map_err(Error::io("writing", path))?;
    f.sync_all().map_err(Error::io("syncing", path))
}

/// Creates a folder (and parents) with mode 0700; an existing one is left as it is.
pub fn create_private_dir(dir: &Path) -> Result<()> {
    if dir.is_dir() {
        return Ok(());
    }
    fs::DirBuilder::new()
        .recursive(true)
        .mode(DIR_MODE)
        .create(dir)
        .map_err(Error::io("creating folder", dir))
}

/// `dir/.<file name><suffix>`: hidden helpers beside a data file.
fn sibling(path: &Path, suffix: &str) -> PathBuf {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    path.with_file_name(format!(".{name}{suffix}"))
}

fn remove_stale_temp_files(path: &Path) {
    let prefix = sibling(path, ".tmp-");
    let (Some(dir), Some(prefix)) = (path.parent(), prefix.file_name()) else {
        return;
    };
    let prefix = prefix.to_string_lossy().into_owned();
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for e in entries.filter_map(|e| e.ok()) {
        if e.file_name().to_string_lossy().starts_with(&prefix) {
            let _ = fs::remove_file(e.path());
        }
    }
}

fn is_read_only(e: &std::io::Error) -> bool {
    matches!(
        e.kind(),
        ErrorKind::PermissionDenied | ErrorKind::ReadOnlyFilesystem
    )
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::PermissionsExt;

    use super::*;

    fn store(dir: &Path) -> JsonStore<serde_json::Value> {
        JsonStore::new(dir.join("items.json"), dir.join("backups"), "items")
    }

    #[test]
    /// Writes in the same second keep a backup each (named to the microsecond, never over
    /// another); an unbacked write (a login's time) takes none.
    fn backups_are_unique_and_bookkeeping_takes_none() {
        let tmp = tempfile::tempdir().unwrap();
        let s = store(tmp.path());
        for i in 0..5 {
            s.update(|items| {
                items.push(serde_json::json!(i));
                Ok(())
            })
            .unwrap();
        }
        let count = || fs::read_dir(tmp.path().join("backups")).unwrap().count();
        assert_eq!(
            count(),
            4,
            "one backup for each write over an existing file"
        );
        s.update_unbacked(|items| {
            items.push(serde_json::json!("login"));
            Ok(())
        })
        .unwrap();
        assert_eq!(count(), 4);
        assert_eq!(s.load().unwrap().len(), 6);
    }

    #[test]
    /// A missing file reads as empty; a write creates it 0600 with indent-2 JSON and a backup of
    /// the old version on the next write.
    fn write_creates_file_and_backups() {
        let dir = tempfile::tempdir().unwrap();
        let s = store(dir.path());
        assert!(s.load().unwrap().is_empty());
        s.update(|v| {
            v.push(serde_json::json!({"a": 1}));
            Ok(())
        })
        .unwrap();
        let text = fs::read_to_string(s.path()).unwrap();
        assert_eq!(text, "[\n  {\n    \"a\": 1\n  }\n]\n");
        let mode = fs::metadata(s.path()).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        s.update(|v| {
            v.clear();
            Ok(())
        })
        .unwrap();
        let backups: Vec<_> = fs::read_dir(dir.path().join("backups")).unwrap().collect();
        assert_eq!(backups.len(), 1);
        let b = backups[0].as_ref().unwrap().path();
        assert_eq!(fs::read_to_string(b).unwrap(), text);
    }

    #[test]
    /// A failing change writes nothing.
    fn failed_change_leaves_file() {
        let dir = tempfile::tempdir().unwrap();
        let s = store(dir.path());
        fs::write(s.path(), "[1]").unwrap();
        let r: Result<()> = s.update(|v| {
            v.clear();
            Err(Error::invalid("no"))
        });
        assert!(r.is_err());
        assert_eq!(fs::read_to_string(s.path()).unwrap(), "[1]");
    }

    #[test]
    /// An edit by another writer is seen by a reader that cached the old content.
    fn reader_sees_outside_edit() {
        let dir = tempfile::tempdir().unwrap();
        let s = store(dir.path());
        fs::write(s.path(), "[1]").unwrap();
        assert_eq!(s.load().unwrap().len(), 1);
        write_atomic(s.path(), b"[1, 2]").unwrap();
        assert_eq!(s.load().unwrap().len(), 2);
    }

    #[test]
    /// A malformed file gives an error naming it, and an update refuses to overwrite it.
    fn malformed_file_is_named_and_kept() {
        let dir = tempfile::tempdir().unwrap();
        let s = store(dir.path());
        fs::write(s.path(), "[{").unwrap();
        let e = s.load().unwrap_err().to_string();
        assert!(e.contains("items.json"), "{e}");
        assert!(s.update(|_| Ok(())).is_err());
        assert_eq!(fs::read_to_string(s.path()).unwrap(), "[{");
    }

    #[test]
    /// Stale temp files of a killed writer are cleaned up by the next write.
    fn stale_temp_files_removed() {
        let dir = tempfile::tempdir().unwrap();
        let s = store(dir.path());
        let stale = dir.path().join(".items.json.tmp-1-2");
        fs::write(&stale, "[").unwrap();
        s.update(|_| Ok(())).unwrap();
        assert!(!stale.exists());
    }

    #[test]
    /// Only the newest backups are kept.
    fn backups_are_pruned() {
        let dir = tempfile::tempdir().unwrap();
        let backups = dir.path().join("backups");
        create_private_dir(&backups).unwrap();
        for i in 0..BACKUPS_KEPT + 5 {
            fs::write(
                backups.join(format!("items_20000101_0000{i:02}.json")),
                "[]",
            )
            .unwrap();
        }
        let s = store(dir.path());
        fs::write(s.path(), "[]").unwrap();
        s.update(|_| Ok(())).unwrap();
        assert_eq!(fs::read_dir(&backups).unwrap().count(), BACKUPS_KEPT);
    }
}
