//! Sessions that end. A login starts a session: its access token and its refresh token carry
//! the session's id (`sid`) and their own (`jti`). A refresh token is good for one exchange
//! (`POST /token/refresh` answers a new pair and the old refresh token is spent); the session
//! remembers only its current refresh token, so one presented after it was exchanged means it
//! was copied, and the whole session ends. `POST /logout` ends the session of the token
//! presented. Tokens without a session (the Python backend's) are revoked one by one, by
//! signature. A user keeps at most [`MAX_SESSIONS_PER_USER`] sessions: a new login ends the
//! oldest.
//!
//! So the state grows with sessions, not with refreshes. It is kept in memory (every request's
//! check is a map look-up) and on disk as `revoked.json` (the state as of the last compaction,
//! written atomically) plus `revoked.journal`, one JSON line per change appended and synced
//! before the answer goes out: no change rewrites a whole file on the request path. A
//! background task folds the journal into `revoked.json` once it passes [`COMPACT_AT`] bytes.
//! Every entry is kept only until the last token it concerns has expired.

use std::collections::HashMap;
use std::fs::{File, OpenOptions};
use std::io::{BufRead, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use pgmon_common::{ConfigDir, Error, Result};
use serde::{Deserialize, Serialize};
use tokio_util::sync::CancellationToken;

use crate::store::{Shared, StoreError};

pub const REVOKED_FILE: &str = "revoked.json";
pub const JOURNAL_FILE: &str = "revoked.journal";
/// Sessions one user keeps at once.
pub const MAX_SESSIONS_PER_USER: usize = 32;
/// The journal is folded into `revoked.json` past this size.
pub const COMPACT_AT: u64 = 32 << 10;
/// How often the background task looks at the journal's size.
const COMPACT_EVERY: Duration = Duration::from_secs(5);
/// Changes copied from the shared store per query.
const COPY_BATCH: i64 = 10_000;
/// How often expired changes are forgotten, with a shared store.
const PRUNE_EVERY: Duration = Duration::from_secs(60);

/// A session that has not ended.
#[derive(Clone, Serialize, Deserialize)]
struct Live {
    user: String,
    /// The one refresh token of it that may be exchanged now (its `jti`).
    refresh: String,
    /// When it started (microseconds since the epoch), and until when its tokens can be valid
    /// (seconds).
    started: u64,
    until: u64,
}

#[derive(Default, Serialize, Deserialize)]
#[serde(default)]
struct State {
    live: HashMap<String, Live>,
    /// Ended sessions → when their last token expires (`sessions` in files of pgmond 0.x).
    #[serde(alias = "sessions")]
    ended: HashMap<String, u64>,
    /// Revoked tokens that have no session, by signature → expiry.
    tokens: HashMap<String, u64>,
}

/// One change, as the journal holds it.
#[derive(Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
enum Change {
    Start {
        sid: String,
        live: Live,
    },
    Next {
        sid: String,
        refresh: String,
        until: u64,
    },
    End {
        sid: String,
        until: u64,
    },
    Revoke {
        signature: String,
        until: u64,
    },
}

impl State {
    fn apply(&mut self, change: &Change) {
        match change {
            Change::Start { sid, live } => {
                self.live.insert(sid.clone(), live.clone());
            }
            Change::Next {
                sid,
                refresh,
                until,
            } => {
                if let Some(l) = self.live.get_mut(sid) {
                    l.refresh.clone_from(refresh);
                    l.until = *until;
                }
            }
            Change::End { sid, until } => {
                self.live.remove(sid);
                self.ended.insert(sid.clone(), *until);
            }
            Change::Revoke { signature, until } => {
                self.tokens.insert(signature.clone(), *until);
            }
        }
    }

    fn prune(&mut self, now: u64) {
        self.live.retain(|_, l| l.until > now);
        for list in [&mut self.ended, &mut self.tokens] {
            list.retain(|_, exp| *exp > now);
        }
    }
}

/// What an exchange of a refresh token found.
#[derive(Debug, PartialEq, Eq)]
pub enum Exchange {
    /// The session's current refresh token: the new one takes its place.
    Fresh,
    /// Spent before, or of an ended session: the session has been ended.
    Reused,
}

impl Change {
    /// Until when (seconds) the change matters: then its tokens have all expired.
    fn until(&self) -> u64 {
        match self {
            Change::Start { live, .. } => live.until,
            Change::Next { until, .. }
            | Change::End { until, .. }
            | Change::Revoke { until, .. } => *until,
        }
    }
}

struct Inner {
    state: State,
    /// The journal file; none with a shared store.
    journal: Option<File>,
    /// With a shared store: the last change copied from it.
    copied: i64,
}

pub struct Sessions {
    path: PathBuf,
    journal_path: PathBuf,
    inner: Mutex<Inner>,
    /// The shared store that keeps the changes instead of the journal, and the runtime its
    /// calls run on (the sessions' methods are called on the blocking pool).
    shared: Option<(Arc<Shared>, tokio::runtime::Handle)>,
}

fn now() -> u64 {
    chrono::Utc::now().timestamp().max(0) as u64
}

fn now_micros() -> u64 {
    chrono::Utc::now().timestamp_micros().max(0) as u64
}

fn open_journal(path: &PathBuf) -> Result<File> {
    OpenOptions::new()
        .create(true)
        .append(true)
        .mode(0o600)
        .custom_flags(nix::libc::O_NOFOLLOW)
        .open(path)
        .map_err(Error::io("opening", path))
}

impl Sessions {
    /// Reads `revoked.json` and the journal (none yet is no session), and folds them into a
    /// new `revoked.json`.
    pub fn load(dir: &ConfigDir) -> Result<Sessions> {
        let path = dir.root().join(REVOKED_FILE);
        let journal_path = dir.root().join(JOURNAL_FILE);
        let mut state: State = match std::fs::read(&path) {
            Ok(text) => serde_json::from_slice(&text).map_err(|source| Error::Malformed {
                path: path.clone(),
                source,
            })?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => State::default(),
            Err(e) => return Err(Error::io("reading", &path)(e)),
        };
        match File::open(&journal_path) {
            // A line cut short by a crash does not parse: it was never answered.
            Ok(f) => std::io::BufReader::new(f)
                .lines()
                .map_while(std::result::Result::ok)
                .filter_map(|l| serde_json::from_str::<Change>(&l).ok())
                .for_each(|c| state.apply(&c)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(Error::io("reading", &journal_path)(e)),
        }
        let sessions = Sessions {
            inner: Mutex::new(Inner {
                state,
                journal: Some(open_journal(&journal_path)?),
                copied: 0,
            }),
            path,
            journal_path,
            shared: None,
        };
        sessions.compact()?;
        Ok(sessions)
    }

    /// Sessions kept in the shared store, copied from it by [`Sessions::follow_store`].
    pub fn in_store(dir: &ConfigDir, store: Arc<Shared>) -> Sessions {
        Sessions {
            path: dir.root().join(REVOKED_FILE),
            journal_path: dir.root().join(JOURNAL_FILE),
            inner: Mutex::new(Inner {
                state: State::default(),
                journal: None,
                copied: 0,
            }),
            shared: Some((store, tokio::runtime::Handle::current())),
        }
    }

    /// Copies the changes other replicas made since the last copy; how many came.
    pub async fn copy_from_store(&self) -> std::result::Result<usize, StoreError> {
        let Some((store, _)) = &self.shared else {
            return Ok(0);
        };
        let mut count = 0;
        loop {
            let after = self.lock().copied;
            let rows = store.session_changes(after, COPY_BATCH).await?;
            let mut inner = self.lock();
            let full = rows.len() as i64 == COPY_BATCH;
            for (id, change) in rows {
                if id <= inner.copied {
                    continue;
                }
                if let Ok(c) = serde_json::from_value::<Change>(change) {
                    inner.state.apply(&c);
                    count += 1;
                }
                inner.copied = id;
            }
            if !full {
                return Ok(count);
            }
        }
    }

    /// With a shared store: copies changes as they are announced and forgets expired ones,
    /// until `shutdown`.
    pub async fn follow_store(self: Arc<Self>, shutdown: CancellationToken) {
        let Some((store, _)) = self.shared.clone() else {
            return;
        };
        let mut pruned = std::time::Instant::now();
        while crate::store::next_look(&store.wakes.sessions, &shutdown).await {
            if let Err(e) = self.copy_from_store().await {
                tracing::debug!(error = %e, "copying sessions from the shared store failed");
            }
            if pruned.elapsed() >= PRUNE_EVERY {
                pruned = std::time::Instant::now();
                self.lock().state.prune(now());
                if let Err(e) = store.prune_session_changes().await {
                    tracing::debug!(error = %e, "forgetting expired sessions in the store failed");
                }
            }
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Whether a token of session `sid` (or, without one, with signature `signature`) has been
    /// revoked.
    pub fn is_revoked(&self, sid: Option<&str>, signature: &str) -> bool {
        let inner = self.lock();
        match sid {
            Some(sid) => inner.state.ended.contains_key(sid),
            None => inner.state.tokens.contains_key(signature),
        }
    }

    /// Journals `changes` (appended and synced, or written to the shared store), then
    /// applies them; blocking. The shared store is written without holding the lock that
    /// every request's check takes.
    fn record(&self, mut inner: MutexGuard<'_, Inner>, changes: &[Change]) -> Result<()> {
        let Some(journal) = inner.journal.as_mut() else {
            drop(inner);
            let Some((store, runtime)) = &self.shared else {
                unreachable!("sessions have a journal or a store");
            };
            let rows: Vec<crate::store::sessions::Change> = changes
                .iter()
                .map(|c| crate::store::sessions::Change {
                    until: c.until(),
                    change: serde_json::to_value(c).expect("changes serialize"),
                })
                .collect();
            runtime
                .block_on(store.append_session_changes(&rows))
                .map_err(|e| Error::Unreachable {
                    target: "the shared store".into(),
                    reason: match e {
                        StoreError::Unavailable(why) => why,
                        other => other.to_string(),
                    },
                })?;
            let mut inner = self.lock();
            changes.iter().for_each(|c| inner.state.apply(c));
            return Ok(());
        };
        let mut lines = Vec::new();
        for c in changes {
            serde_json::to_writer(&mut lines, c).expect("changes serialize");
            lines.push(b'\n');
        }
        journal
            .write_all(&lines)
            .and_then(|()| journal.sync_data())
            .map_err(|e| Error::io("writing", JOURNAL_FILE)(e))?;
        changes.iter().for_each(|c| inner.state.apply(c));
        Ok(())
    }

    /// Starts session `sid` of `user`, whose refresh token is `refresh`, valid until `until`;
    /// ends the user's oldest sessions past the cap. Blocking.
    pub fn start(&self, sid: &str, user: &str, refresh: &str, until: u64) -> Result<()> {
        let inner = self.lock();
        let mut theirs: Vec<(u64, &String)> = inner
            .state
            .live
            .iter()
            .filter(|(_, l)| l.user == user)
            .map(|(sid, l)| (l.started, sid))
            .collect();
        theirs.sort();
        let over = (theirs.len() + 1).saturating_sub(MAX_SESSIONS_PER_USER);
        let mut changes: Vec<Change> = theirs[..over]
            .iter()
            .map(|(_, sid)| Change::End {
                sid: (*sid).clone(),
                until,
            })
            .collect();
        changes.push(Change::Start {
            sid: sid.to_owned(),
            live: Live {
                user: user.to_owned(),
                refresh: refresh.to_owned(),
                started: now_micros(),
                until,
            },
        });
        self.record(inner, &changes)
    }

    /// Ends session `sid` (its tokens expire by `until`), or revokes the single token with
    /// `signature` when it has no session. Blocking.
    pub fn revoke(&self, sid: Option<&str>, signature: &str, until: u64) -> Result<()> {
        let change = match sid {
            Some(sid) => Change::End {
                sid: sid.to_owned(),
                until,
            },
            None => Change::Revoke {
                signature: signature.to_owned(),
                until,
            },
        };
        self.record(self.lock(), &[change])
    }

    /// Exchanges refresh token `jti` of session `sid` for `next` (of user `user`): fresh when
    /// it is the session's current one; a session from before pgmon kept its current token
    /// starts being followed now. Anything else ends the session. Blocking.
    pub fn exchange(
        &self,
        (sid, user): (&str, &str),
        jti: &str,
        next: &str,
        until: u64,
    ) -> Result<Exchange> {
        let inner = self.lock();
        let current = inner.state.live.get(sid).map(|l| l.refresh == jti);
        let (change, outcome) = match (inner.state.ended.contains_key(sid), current) {
            (false, Some(true)) => (
                Change::Next {
                    sid: sid.to_owned(),
                    refresh: next.to_owned(),
                    until,
                },
                Exchange::Fresh,
            ),
            (false, None) => (
                Change::Start {
                    sid: sid.to_owned(),
                    live: Live {
                        user: user.to_owned(),
                        refresh: next.to_owned(),
                        started: now_micros(),
                        until,
                    },
                },
                Exchange::Fresh,
            ),
            _ => (
                Change::End {
                    sid: sid.to_owned(),
                    until,
                },
                Exchange::Reused,
            ),
        };
        self.record(inner, &[change])?;
        Ok(outcome)
    }

    /// Writes the state to `revoked.json` and empties the journal. Blocking.
    fn compact(&self) -> Result<()> {
        let mut inner = self.lock();
        inner.state.prune(now());
        let Some(journal) = &inner.journal else {
            return Ok(());
        };
        let mut text = serde_json::to_vec(&inner.state).expect("sessions serialize");
        text.push(b'\n');
        pgmon_common::store::write_atomic(&self.path, &text)?;
        journal
            .set_len(0)
            .and_then(|()| journal.sync_data())
            .map_err(Error::io("truncating", &self.journal_path))
    }

    /// Bytes in the journal now.
    fn journal_len(&self) -> u64 {
        self.lock()
            .journal
            .as_ref()
            .and_then(|j| j.metadata().ok())
            .map_or(0, |m| m.len())
    }

    /// Folds the journal into `revoked.json` whenever it has grown past [`COMPACT_AT`], off
    /// the requests' path, until `shutdown`.
    pub async fn compact_in_background(self: std::sync::Arc<Self>, shutdown: CancellationToken) {
        loop {
            tokio::select! {
                _ = shutdown.cancelled() => return,
                _ = tokio::time::sleep(COMPACT_EVERY) => {}
            }
            if self.journal_len() < COMPACT_AT {
                continue;
            }
            let me = std::sync::Arc::clone(&self);
            match tokio::task::spawn_blocking(move || me.compact()).await {
                Ok(Ok(())) => {}
                Ok(Err(e)) => tracing::warn!(error = %e, "compacting the sessions failed"),
                Err(e) => tracing::warn!(error = %e, "compacting the sessions failed"),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    /// Revocations and current refresh tokens survive a reload (journal and compaction alike),
    /// expired entries are dropped, a spent token ends its session, and a user's oldest session
    /// ends past the cap.
    fn sessions_persist_expire_and_are_capped() {
        let tmp = tempfile::tempdir().unwrap();
        let (dir, _) = ConfigDir::initialize(tmp.path().join("cfg")).unwrap();
        let s = Sessions::load(&dir).unwrap();
        let later = now() + 3_600;
        s.start("s1", "bob", "r1", later).unwrap();
        assert_eq!(
            s.exchange(("s1", "bob"), "r1", "r2", later).unwrap(),
            Exchange::Fresh
        );
        assert!(!s.is_revoked(Some("s1"), "x"));
        s.revoke(None, "sig", later).unwrap();
        s.revoke(Some("old"), "y", now() - 1).unwrap();
        drop(s);
        let again = Sessions::load(&dir).unwrap();
        assert!(again.is_revoked(None, "sig"));
        assert!(!again.is_revoked(Some("old"), "y"), "expired entry kept");
        assert_eq!(
            again.exchange(("s1", "bob"), "r2", "r3", later).unwrap(),
            Exchange::Fresh
        );
        // r2 was spent: presenting it again ends the session, r3 included.
        assert_eq!(
            again.exchange(("s1", "bob"), "r2", "r4", later).unwrap(),
            Exchange::Reused
        );
        assert!(again.is_revoked(Some("s1"), "z"));
        assert_eq!(
            again.exchange(("s1", "bob"), "r3", "r5", later).unwrap(),
            Exchange::Reused
        );
        for i in 0..MAX_SESSIONS_PER_USER {
            again.start(&format!("c{i}"), "carol", "r", later).unwrap();
        }
        again.start("newest", "carol", "r", later).unwrap();
        let ended = (0..MAX_SESSIONS_PER_USER)
            .filter(|i| again.is_revoked(Some(&format!("c{i}")), ""))
            .count();
        assert_eq!(ended, 1, "one oldest session ends");
        assert!(!again.is_revoked(Some("newest"), ""));
        again.compact().unwrap();
        assert_eq!(again.journal_len(), 0);
        drop(again);
        let third = Sessions::load(&dir).unwrap();
        assert!(third.is_revoked(Some("s1"), ""));
        assert!(!third.is_revoked(Some("newest"), ""));
    }
}
