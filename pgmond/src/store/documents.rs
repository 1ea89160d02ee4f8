//! The config dir's documents in the shared store. Every change still goes through the config
//! dir's own code (its locks, checks and atomic writes) on this replica's copy; what it changed
//! is then written to the store under a lock and announced, or, when that fails, put back as it
//! was and refused. Reads never wait for the store. Other replicas' changes are copied into the
//! config dir as they are announced (or found by the check each second), where the in-memory
//! snapshot picks them up.
//!
//! A change that finds its document changed in the store since this replica last copied it
//! (two replicas writing the same file in the same few milliseconds) is refused (409) rather
//! than merged.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use pgmon_common::ConfigDir;
use tokio_util::sync::CancellationToken;

use super::{Shared, StoreError, channels, locks};

/// The config dir's files that live in the store, relative to it. Not the key file, the JWT
/// secret or pgmond.toml: each replica has its own copy of those, given by the operator, so a
/// dump of the database alone decrypts nothing.
const FILES: [&str; 6] = [
    "users.json",
    "servers.json",
    "settings.json",
    "alert_channels.json",
    "alert_rules.json",
    "ssh_keys/keys.json",
];
/// The encrypted private keys' folder, relative to the config dir.
const PRIVATE_KEYS: &str = "ssh_keys/private";

/// Documents by path.
pub(super) type Documents = BTreeMap<String, Body>;
/// A document's content; none: removed.
pub(super) type Body = Option<Arc<[u8]>>;

/// Reads every document the config dir holds now. Blocking.
fn read_all(root: &Path) -> std::io::Result<Documents> {
    let mut docs = Documents::new();
    let mut read = |rel: String| -> std::io::Result<()> {
        match std::fs::read(root.join(&rel)) {
            Ok(bytes) => {
                docs.insert(rel, Some(bytes.into()));
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(e),
        }
        Ok(())
    };
    for f in FILES {
        read(f.to_owned())?;
    }
    match std::fs::read_dir(root.join(PRIVATE_KEYS)) {
        Ok(entries) => {
            for e in entries {
                let name = e?.file_name();
                let name = name.to_string_lossy();
                if name.starts_with("key_") && name.ends_with(".pem") {
                    read(format!("{PRIVATE_KEYS}/{name}"))?;
                }
            }
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(e),
    }
    Ok(docs)
}

/// Whether `rel` names a document (a path from the store is checked before it is written).
fn is_document(rel: &str) -> bool {
    FILES.contains(&rel)
        || rel.strip_prefix(PRIVATE_KEYS).is_some_and(|name| {
            name.strip_prefix("/key_")
                .and_then(|n| n.strip_suffix(".pem"))
                .is_some_and(|id| {
                    !id.is_empty()
                        && id
                            .chars()
                            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
                })
        })
}

/// Writes (atomically, 0600, never through a link) or removes documents. Blocking.
fn write_all(root: &Path, docs: &Documents) -> pgmon_common::Result<()> {
    for (rel, body) in docs {
        if !is_document(rel) {
            tracing::warn!(path = %rel.escape_debug(), "the store holds a document pgmond does not know: left out");
            continue;
        }
        let path = root.join(rel);
        match body {
            Some(bytes) => {
                if let Some(parent) = path.parent() {
                    pgmon_common::store::create_private_dir(parent)?;
                }
                pgmon_common::store::write_atomic(&path, bytes)?;
            }
            None => match std::fs::remove_file(&path) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(pgmon_common::Error::io("removing", &path)(e)),
            },
        }
    }
    Ok(())
}

/// How many documents the config dir at `root` holds.
pub(super) async fn local_documents(root: &Path) -> pgmon_common::Result<usize> {
    let root = root.to_owned();
    blocking(move || {
        read_all(&root)
            .map(|d| d.len())
            .map_err(|e| pgmon_common::Error::io("reading", &root)(e))
    })
    .await
}

/// Writes `docs` into the config dir at `root`. Blocking.
pub(super) fn write_documents(root: &Path, docs: &Documents) -> pgmon_common::Result<()> {
    write_all(root, docs)
}

/// What this replica last copied from (or wrote to) the store.
#[derive(Default)]
struct Copied {
    /// The highest version copied.
    seen: i64,
    /// Each document's version and content.
    docs: BTreeMap<String, (i64, Body)>,
}

impl Copied {
    /// The documents whose content in `now` differs from what the store has.
    fn changes(&self, now: &Documents) -> Documents {
        let mut out = Documents::new();
        for (rel, body) in now {
            if self.docs.get(rel).is_none_or(|(_, b)| b != body) {
                out.insert(rel.clone(), body.clone());
            }
        }
        for (rel, (_, body)) in &self.docs {
            if body.is_some() && !now.contains_key(rel) {
                out.insert(rel.clone(), None);
            }
        }
        out
    }

    /// What the store has of `paths`, to put back.
    fn as_stored(&self, paths: &Documents) -> Documents {
        paths
            .keys()
            .map(|rel| (rel.clone(), self.docs.get(rel).and_then(|(_, b)| b.clone())))
            .collect()
    }
}

/// How a change that cannot reach the store ends.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Needs {
    /// Refused: put back and answered 503.
    Store,
    /// Bookkeeping (a login's `last_login`): put back, and the answer stands.
    Nothing,
}

/// The config dir, shared through the store when there is one.
pub struct ConfigStore {
    dir: Arc<ConfigDir>,
    shared: Option<Arc<Shared>>,
    /// Changes and copies one at a time; holds what was last copied.
    copied: tokio::sync::Mutex<Copied>,
}

/// The outcome of a change: its own, or the store's refusal.
pub type Changed<T> = Result<pgmon_common::Result<T>, StoreError>;

impl ConfigStore {
    pub fn new(dir: Arc<ConfigDir>, shared: Option<Arc<Shared>>) -> ConfigStore {
        ConfigStore {
            dir,
            shared,
            copied: tokio::sync::Mutex::new(Copied::default()),
        }
    }

    pub fn dir(&self) -> &Arc<ConfigDir> {
        &self.dir
    }

    pub fn shared(&self) -> Option<&Arc<Shared>> {
        self.shared.as_ref()
    }

    /// Runs `work` on the config dir on the blocking pool; with a store, what it changed is
    /// written there before the answer.
    pub async fn change<T, F>(&self, needs: Needs, work: F) -> Changed<T>
    where
        T: Send + 'static,
        F: FnOnce(&ConfigDir) -> pgmon_common::Result<T> + Send + 'static,
    {
        let dir = Arc::clone(&self.dir);
        let Some(shared) = &self.shared else {
            return Ok(blocking(move || Ok(work(&dir))).await.and_then(|r| r));
        };
        let mut copied = self.copied.lock().await;
        let (out, now) = blocking(move || {
            let out = work(&dir);
            let now = read_all(dir.root())
                .map_err(|e| pgmon_common::Error::io("reading", dir.root())(e))?;
            Ok((out, now))
        })
        .await
        .map_err(|e| StoreError::Unavailable(format!("reading the config dir: {e}")))?;
        let changes = copied.changes(&now);
        if changes.is_empty() {
            return Ok(out);
        }
        // Known away (the leases' look each second says when it is back): refused at once.
        let pushed = match shared.health() {
            h if !h.reachable => Err(StoreError::Unavailable(h.error.unwrap_or_default())),
            _ => push(shared, &mut copied, &changes).await,
        };
        match pushed {
            Ok(()) => Ok(out),
            Err(e) => {
                let back = copied.as_stored(&changes);
                let root = self.dir.root().to_owned();
                if let Err(w) = blocking(move || write_all(&root, &back)).await {
                    tracing::error!(error = %w, "putting the config dir back as the store has it failed");
                }
                match needs {
                    Needs::Store => Err(e),
                    Needs::Nothing => Ok(out),
                }
            }
        }
    }

    /// Copies what changed in the store since the last copy into the config dir; at the first
    /// copy from an empty store, the config dir's documents become the store's.
    pub async fn follow(&self) -> Result<usize, StoreError> {
        let Some(shared) = &self.shared else {
            return Ok(0);
        };
        let mut copied = self.copied.lock().await;
        let seen = copied.seen;
        let rows = shared
            .rows(
                "SELECT path, body, version FROM pgmon.document WHERE version > $1
                     ORDER BY version",
                &[&seen],
            )
            .await?;
        if rows.is_empty() && seen == 0 {
            let root = self.dir.root().to_owned();
            let local = blocking(move || {
                read_all(&root).map_err(|e| pgmon_common::Error::io("reading", &root)(e))
            })
            .await
            .map_err(|e| StoreError::Unavailable(e.to_string()))?;
            if local.is_empty() {
                return Ok(0);
            }
            match push(shared, &mut copied, &local).await {
                Ok(()) => {
                    tracing::info!(
                        documents = local.len(),
                        "the shared store was empty: it now holds this config dir's documents"
                    );
                    return Ok(0);
                }
                // Another replica starting at the same time filled it first: take its.
                Err(StoreError::Conflict(_)) => {
                    drop(copied);
                    return Box::pin(self.follow()).await;
                }
                Err(e) => return Err(e),
            }
        }
        let mut fresh = Documents::new();
        for r in &rows {
            let (path, body, version): (String, Option<Vec<u8>>, i64) =
                (r.get(0), r.get(1), r.get(2));
            let body: Option<Arc<[u8]>> = body.map(Into::into);
            fresh.insert(path.clone(), body.clone());
            copied.docs.insert(path, (version, body));
            copied.seen = copied.seen.max(version);
        }
        let n = fresh.len();
        let root = self.dir.root().to_owned();
        blocking(move || write_all(&root, &fresh).map(|()| Ok(())))
            .await
            .and_then(|r| r)
            .map_err(|e| StoreError::Unavailable(format!("writing the config dir: {e}")))?;
        Ok(n)
    }

    /// Follows the store until `shutdown`, calling `then` after each copy that brought
    /// something.
    pub async fn follow_until(self: Arc<Self>, shutdown: CancellationToken, then: impl Fn()) {
        let Some(shared) = self.shared.clone() else {
            return;
        };
        while super::next_look(&shared.wakes.documents, &shutdown).await {
            match self.follow().await {
                Ok(0) => {}
                Ok(n) => {
                    tracing::debug!(documents = n, "config copied from the shared store");
                    then();
                }
                Err(e) => tracing::debug!(error = %e, "following the shared store's config"),
            }
        }
    }
}

/// Runs blocking work on the blocking pool; a worker that died is an I/O error.
async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> pgmon_common::Result<T> + Send + 'static,
) -> pgmon_common::Result<T> {
    tokio::task::spawn_blocking(work).await.unwrap_or_else(|e| {
        Err(pgmon_common::Error::io("working on", "config dir")(
            std::io::Error::other(e),
        ))
    })
}

/// Writes `changes` to the store in one transaction, unless another replica changed one of
/// them since this one copied it.
async fn push(shared: &Shared, copied: &mut Copied, changes: &Documents) -> Result<(), StoreError> {
    let paths: Vec<String> = changes.keys().cloned().collect();
    let known: Vec<i64> = paths
        .iter()
        .map(|p| copied.docs.get(p).map_or(0, |(v, _)| *v))
        .collect();
    let bodies: Vec<Option<Vec<u8>>> = changes
        .values()
        .map(|b| b.as_deref().map(<[u8]>::to_vec))
        .collect();
    let written = shared
        .announced(Some(locks::DOCUMENTS), channels::DOCUMENTS, async |tx| {
            let newer: Vec<String> = tx
                .query(
                    "SELECT d.path FROM pgmon.document d
                     JOIN unnest($1::text[], $2::int8[]) AS k(path, version) USING (path)
                     WHERE d.version > k.version",
                    &[&paths, &known],
                )
                .await?
                .iter()
                .map(|r| r.get(0))
                .collect();
            if !newer.is_empty() {
                // Nothing written: the announcement finds nothing new.
                return Ok(Err(newer));
            }
            let mut versions = Vec::new();
            for (path, body) in paths.iter().zip(&bodies) {
                let v: i64 = tx
                    .query_one(
                        "INSERT INTO pgmon.document (path, body, version)
                         VALUES ($1, $2, nextval('pgmon.document_version'))
                         ON CONFLICT (path) DO UPDATE
                             SET body = excluded.body, version = excluded.version
                         RETURNING version",
                        &[path, body],
                    )
                    .await?
                    .get(0);
                versions.push(v);
            }
            Ok(Ok(versions))
        })
        .await?;
    match written {
        Ok(versions) => {
            for ((path, body), v) in changes.iter().zip(versions) {
                copied.docs.insert(path.clone(), (v, body.clone()));
                // Versions between the last copy and this one are other replicas' changes to
                // other documents: the next copy brings them, so `seen` stays.
                if copied.seen == v - 1 {
                    copied.seen = v;
                }
            }
            Ok(())
        }
        Err(newer) => Err(StoreError::Conflict(newer.join(", "))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_known_documents_are_written() {
        assert!(is_document("users.json"));
        assert!(is_document("ssh_keys/private/key_5f2c-a_b.pem"));
        for bad in [
            "../users.json",
            "ssh_keys/private/key_../../x.pem",
            "ssh_keys/private/key_.pem",
            "encryption_key.key",
            "secret_key",
            "pgmond.toml",
            "/etc/passwd",
        ] {
            assert!(!is_document(bad), "{bad}");
        }
    }

    #[test]
    fn changes_are_what_differs_from_the_store() {
        let mut copied = Copied::default();
        copied
            .docs
            .insert("users.json".into(), (3, Some(Arc::from(&b"a"[..]))));
        copied
            .docs
            .insert("servers.json".into(), (4, Some(Arc::from(&b"s"[..]))));
        let mut now = Documents::new();
        now.insert("users.json".into(), Some(Arc::from(&b"b"[..])));
        now.insert("settings.json".into(), Some(Arc::from(&b"{}"[..])));
        let changes = copied.changes(&now);
        assert_eq!(
            changes.keys().collect::<Vec<_>>(),
            ["servers.json", "settings.json", "users.json"]
        );
        assert_eq!(changes["servers.json"], None, "a removed file is a change");
        let back = copied.as_stored(&changes);
        assert_eq!(back["users.json"].as_deref(), Some(&b"a"[..]));
        assert_eq!(
            back["settings.json"], None,
            "unknown to the store: removed again"
        );
    }
}
