//! `audit.log` in the config dir: the audit trail as JSON lines, each appended and fsynced
//! before the answer it records goes out. At `audit_max_bytes` the file is renamed
//! `audit.log.<UTC time>` and a new one started; renamed files older than
//! `audit_retention_days` are deleted, and past `audit_max_files` renamed files the oldest go,
//! so the trail's size on disk is bounded. Entries hold who, from where, what, to what and how it
//! ended, never a request body, so no secret can reach them.

use std::fs::{File, OpenOptions};
use std::io::{self, BufRead, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use pgmon_common::api::audit::{AuditEntry, AuditPage};

use crate::store::Shared;

pub const AUDIT_FILE: &str = "audit.log";

pub struct AuditLog {
    path: PathBuf,
    file: Mutex<Option<File>>,
    max_bytes: u64,
    keep: Duration,
    max_files: usize,
    /// The shared store that keeps the trail instead of the file, and the runtime its calls
    /// run on (the log's methods are called on the blocking pool).
    shared: Option<(Arc<Shared>, tokio::runtime::Handle)>,
}

/// Collects a page of entries offered newest first.
struct Pager<'a> {
    filter: &'a Filter,
    offset: usize,
    limit: usize,
    skipped: usize,
    entries: Vec<AuditEntry>,
}

impl Pager<'_> {
    /// Takes the next older entry; the page when it is complete (or nothing older can match).
    fn offer(&mut self, e: AuditEntry) -> Option<AuditPage> {
        if self
            .filter
            .since
            .as_deref()
            .is_some_and(|s| e.time.as_str() < s)
        {
            // Entries are appended in time order: the rest are older still.
            return Some(self.end(None));
        }
        if !self.filter.matches(&e) {
            return None;
        }
        if self.skipped < self.offset {
            self.skipped += 1;
        } else if self.entries.len() < self.limit {
            self.entries.push(e);
        } else {
            return Some(self.end(Some(self.offset + self.limit)));
        }
        None
    }

    fn end(&mut self, next_offset: Option<usize>) -> AuditPage {
        AuditPage {
            entries: std::mem::take(&mut self.entries),
            next_offset,
        }
    }
}

/// What `GET /audit` narrows the entries to; `None` matches anything.
#[derive(Default)]
pub struct Filter {
    pub actor: Option<String>,
    /// An action, or a family of them ending in a dot (`server.`).
    pub action: Option<String>,
    pub target: Option<String>,
    pub outcome: Option<String>,
    /// Times as entries write them (RFC 3339, UTC, microseconds): comparable as text.
    pub since: Option<String>,
    pub until: Option<String>,
}

impl Filter {
    fn matches(&self, e: &AuditEntry) -> bool {
        let eq = |want: &Option<String>, have: &str| want.as_deref().is_none_or(|w| w == have);
        let action = self
            .action
            .as_deref()
            .is_none_or(|a| a == e.action || (a.ends_with('.') && e.action.starts_with(a)));
        action
            && eq(&self.actor, &e.actor)
            && eq(&self.outcome, &e.outcome)
            && self
                .target
                .as_deref()
                .is_none_or(|t| e.target.as_deref() == Some(t))
            && self.since.as_deref().is_none_or(|s| e.time.as_str() >= s)
            && self.until.as_deref().is_none_or(|u| e.time.as_str() <= u)
    }
}

/// The time a renamed file's name gives, as entries write times (`audit.log.<UTC time>`).
fn renamed_at(path: &Path) -> Option<String> {
    let name = path.file_name()?.to_str()?;
    let stamp = name.strip_prefix(&format!("{AUDIT_FILE}."))?;
    let stamp = stamp.split('-').next()?;
    let t = chrono::NaiveDateTime::parse_from_str(stamp, "%Y%m%dT%H%M%S%.fZ").ok()?;
    Some(self::stamp(t.and_utc()))
}

/// The time as entries write it.
pub fn stamp(t: chrono::DateTime<chrono::Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
}

impl AuditLog {
    pub fn new(
        config_dir: &Path,
        max_bytes: u64,
        retention_days: u64,
        max_files: usize,
    ) -> AuditLog {
        AuditLog {
            path: config_dir.join(AUDIT_FILE),
            file: Mutex::new(None),
            max_bytes,
            keep: Duration::from_secs(retention_days.saturating_mul(86_400)),
            max_files,
            shared: None,
        }
    }

    /// The trail kept in the shared store instead of `audit.log`.
    pub fn in_store(mut self, store: Arc<Shared>) -> AuditLog {
        self.shared = Some((store, tokio::runtime::Handle::current()));
        self
    }

    /// The file at the log's path, open for appending: the one held while it is still there,
    /// else opened anew (it was rotated, removed or replaced by hand). Never through a link.
    fn current<'a>(&self, held: &'a mut Option<File>) -> io::Result<&'a mut File> {
        use std::os::unix::fs::MetadataExt;
        let here = std::fs::symlink_metadata(&self.path).ok();
        let same = |f: &File| {
            f.metadata()
                .ok()
                .zip(here.as_ref())
                .is_some_and(|(a, b)| (a.dev(), a.ino()) == (b.dev(), b.ino()))
        };
        if !held.as_ref().is_some_and(same) {
            *held = None;
            let file = OpenOptions::new()
                .create(true)
                .append(true)
                .mode(0o600)
                .custom_flags(nix::libc::O_NOFOLLOW)
                .open(&self.path)?;
            if !file.metadata()?.is_file() {
                return Err(io::Error::other("audit.log is not a regular file"));
            }
            *held = Some(file);
        }
        Ok(held.as_mut().expect("just opened"))
    }

    /// Whether an entry can be written now (the file opens for appending). Blocking.
    pub fn ready(&self) -> io::Result<()> {
        if let Some((store, _)) = &self.shared {
            let h = store.health();
            return match h.reachable {
                true => Ok(()),
                false => Err(io::Error::other(format!(
                    "the shared store is unreachable ({})",
                    h.error.unwrap_or_default()
                ))),
            };
        }
        let mut guard = self.file.lock().unwrap_or_else(|p| p.into_inner());
        self.current(&mut guard).map(drop)
    }

    /// Appends `entry` and syncs it to disk. Blocking.
    pub fn append(&self, entry: &AuditEntry) -> io::Result<()> {
        if let Some((store, runtime)) = &self.shared {
            return runtime
                .block_on(store.append_audit(entry))
                .map_err(io::Error::other);
        }
        let mut line = serde_json::to_vec(entry)?;
        line.push(b'\n');
        let mut guard = self.file.lock().unwrap_or_else(|p| p.into_inner());
        let len = self.current(&mut guard)?.metadata()?.len();
        if len > 0 && len.saturating_add(line.len() as u64) > self.max_bytes {
            *guard = None;
            self.rotate()?;
        }
        let file = self.current(&mut guard)?;
        file.write_all(&line)?;
        file.sync_data()
    }

    fn rotate(&self) -> io::Result<()> {
        let stamp = chrono::Utc::now().format("%Y%m%dT%H%M%S%.6fZ").to_string();
        // Never over an earlier file of the same microsecond (a clock set back).
        let mut to = self.path.with_extension(format!("log.{stamp}"));
        for n in 1.. {
            if !to.exists() {
                break;
            }
            to = self.path.with_extension(format!("log.{stamp}-{n}"));
        }
        std::fs::rename(&self.path, to)?;
        let cutoff = SystemTime::now().checked_sub(self.keep);
        for (n, old) in self.rotated()?.into_iter().enumerate() {
            let modified = std::fs::metadata(&old).and_then(|m| m.modified())?;
            if n >= self.max_files || cutoff.is_some_and(|c| modified < c) {
                std::fs::remove_file(&old)?;
            }
        }
        Ok(())
    }

    /// Renamed files, newest first (their names sort by time).
    fn rotated(&self) -> io::Result<Vec<PathBuf>> {
        let dir = self.path.parent().unwrap_or(Path::new("."));
        let prefix = format!("{AUDIT_FILE}.");
        let mut found: Vec<PathBuf> = std::fs::read_dir(dir)?
            .filter_map(|e| e.ok())
            .filter(|e| e.file_name().to_string_lossy().starts_with(&prefix))
            .map(|e| e.path())
            .collect();
        found.sort();
        found.reverse();
        Ok(found)
    }

    /// The entries matching `filter`, newest first, `offset` of them skipped, at most `limit`.
    /// Blocking.
    pub fn read(&self, filter: &Filter, offset: usize, limit: usize) -> io::Result<AuditPage> {
        let mut pager = Pager {
            filter,
            offset,
            limit,
            skipped: 0,
            entries: Vec::new(),
        };
        if let Some((store, runtime)) = &self.shared {
            let mut before = None;
            loop {
                let batch = runtime
                    .block_on(store.audit_before(before, filter.since.as_deref()))
                    .map_err(io::Error::other)?;
                let full = batch.len() as i64 == crate::store::audit::READ_BATCH;
                for (id, e) in batch {
                    before = Some(id);
                    if let Some(page) = pager.offer(e) {
                        return Ok(page);
                    }
                }
                if !full {
                    return Ok(pager.end(None));
                }
            }
        }
        let files = std::iter::once(self.path.clone()).chain(self.rotated()?);
        for path in files {
            // A renamed file holds nothing newer than its name's time: one renamed before
            // `since` (and every older one) has nothing to match.
            if let (Some(since), Some(renamed)) = (&filter.since, renamed_at(&path))
                && renamed < *since
            {
                break;
            }
            let file = match File::open(&path) {
                Ok(f) => f,
                Err(e) if e.kind() == io::ErrorKind::NotFound => continue,
                Err(e) => return Err(e),
            };
            let lines: Vec<String> = io::BufReader::new(file).lines().collect::<Result<_, _>>()?;
            // A line cut short by a crash does not parse and is passed over.
            let newest_first = lines
                .iter()
                .rev()
                .filter_map(|l| serde_json::from_str::<AuditEntry>(l).ok());
            for e in newest_first {
                if let Some(page) = pager.offer(e) {
                    return Ok(page);
                }
            }
        }
        Ok(pager.end(None))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(i: usize, actor: &str, action: &str) -> AuditEntry {
        AuditEntry {
            time: format!("2026-11-29T05:00:{i:02}.000000Z"),
            actor: actor.into(),
            source: "127.0.0.1".into(),
            action: action.into(),
            target: Some(format!("t{i}")),
            outcome: "success".into(),
            status: 200,
            detail: None,
        }
    }

    #[test]
    /// With `since`, a file renamed before it is never opened (a folder in its place would
    /// fail the read), and reading stops at the first older entry.
    fn since_stops_early() {
        let dir = tempfile::tempdir().unwrap();
        let log = AuditLog::new(dir.path(), 1 << 20, 90, 20);
        log.append(&entry(30, "admin", "user.create")).unwrap();
        std::fs::create_dir(dir.path().join("audit.log.20200101T000000.000000Z")).unwrap();
        let all = Filter::default();
        assert!(
            log.read(&all, 0, 10).is_err(),
            "the folder is read without since"
        );
        let recent = Filter {
            since: Some("2026-11-29T05:00:00.000000Z".into()),
            ..Filter::default()
        };
        assert_eq!(log.read(&recent, 0, 10).unwrap().entries.len(), 1);
    }

    #[test]
    /// Renamed files are capped by count, and a retention of any size does not overflow.
    fn rotated_files_are_capped() {
        let dir = tempfile::tempdir().unwrap();
        let log = AuditLog::new(dir.path(), 300, u64::MAX, 2);
        for i in 0..30 {
            log.append(&entry(i % 60, "admin", "server.update"))
                .unwrap();
        }
        assert_eq!(log.rotated().unwrap().len(), 2);
    }

    #[test]
    /// Entries across a rotation come back newest first, filtered and paged; a torn last line
    /// is passed over; files are 0600.
    fn append_rotate_read() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let log = AuditLog::new(dir.path(), 1_000, 90, 100);
        for i in 0..20 {
            let (actor, action) = if i % 2 == 0 {
                ("admin", "server.update")
            } else {
                ("oper", "user.create")
            };
            log.append(&entry(i, actor, action)).unwrap();
        }
        assert!(!log.rotated().unwrap().is_empty(), "never rotated");
        let mode = std::fs::metadata(dir.path().join(AUDIT_FILE))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
        std::fs::OpenOptions::new()
            .append(true)
            .open(dir.path().join(AUDIT_FILE))
            .unwrap()
            .write_all(b"{\"time\": \"2026")
            .unwrap();

        let all = log.read(&Filter::default(), 0, 100).unwrap();
        let times: Vec<&str> = all.entries.iter().map(|e| &e.time[17..19]).collect();
        assert_eq!(times.len(), 20);
        assert_eq!(times[0], "19");
        assert_eq!(times[19], "00");
        assert_eq!(all.next_offset, None);

        let oper = Filter {
            actor: Some("oper".into()),
            since: Some("2026-11-29T05:00:05.000000Z".into()),
            until: Some("2026-11-29T05:00:15.000000Z".into()),
            ..Filter::default()
        };
        let page = log.read(&oper, 0, 2).unwrap();
        let targets: Vec<_> = page.entries.iter().map(|e| e.target.clone()).collect();
        assert_eq!(targets, [Some("t15".into()), Some("t13".into())]);
        assert_eq!(page.next_offset, Some(2));
        let rest = log.read(&oper, 2, 10).unwrap();
        assert_eq!(rest.entries.len(), 4);
        let family = Filter {
            action: Some("server.".into()),
            ..Filter::default()
        };
        assert_eq!(log.read(&family, 0, 100).unwrap().entries.len(), 10);
    }
}
