//! Sessions that end. A login starts a session: its access token and its refresh token carry
//! the session's id (`sid`) and their own (`jti`). A refresh token is good for one exchange
//! (`POST /token/refresh` answers a new pair and the old refresh token is spent); a spent one
//! presented again means it was copied, so the whole session ends. `POST /logout` ends the
//! session of the token presented. Tokens without a session (the Python backend's) are revoked
//! one by one, by signature.
//!
//! What has ended is kept in `revoked.json` in the config dir (written atomically; only pgmond
//! writes it), each entry until the last token it concerns has expired, so the file stays
//! small and a restart forgets nothing that still matters. Checked on every request, in memory.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Mutex;

use pgmon_common::{ConfigDir, Error, Result};
use serde::{Deserialize, Serialize};

pub const REVOKED_FILE: &str = "revoked.json";

#[derive(Default, Serialize, Deserialize)]
#[serde(default)]
struct Revoked {
    /// Ended sessions: id → when their last token expires (seconds since the epoch).
    sessions: HashMap<String, u64>,
    /// Revoked tokens that have no session, by signature → expiry.
    tokens: HashMap<String, u64>,
    /// Spent refresh tokens: jti → expiry.
    spent: HashMap<String, u64>,
}

impl Revoked {
    fn prune(&mut self, now: u64) {
        for list in [&mut self.sessions, &mut self.tokens, &mut self.spent] {
            list.retain(|_, exp| *exp > now);
        }
    }
}

/// What an exchange of a refresh token found.
#[derive(Debug, PartialEq, Eq)]
pub enum Exchange {
    /// First use: the token is spent now.
    Fresh,
    /// Spent before: the session has been ended.
    Reused,
}

pub struct Sessions {
    path: PathBuf,
    revoked: Mutex<Revoked>,
}

fn now() -> u64 {
    chrono::Utc::now().timestamp().max(0) as u64
}

impl Sessions {
    /// Reads `revoked.json` (none yet is an empty list).
    pub fn load(dir: &ConfigDir) -> Result<Sessions> {
        let path = dir.root().join(REVOKED_FILE);
        let mut revoked: Revoked = match std::fs::read(&path) {
            Ok(text) => serde_json::from_slice(&text).map_err(|source| Error::Malformed {
                path: path.clone(),
                source,
            })?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Revoked::default(),
            Err(e) => return Err(Error::io("reading", &path)(e)),
        };
        revoked.prune(now());
        Ok(Sessions {
            path,
            revoked: Mutex::new(revoked),
        })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Revoked> {
        self.revoked.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Whether a token of session `sid` (or, without one, with signature `signature`) has been
    /// revoked.
    pub fn is_revoked(&self, sid: Option<&str>, signature: &str) -> bool {
        let r = self.lock();
        match sid {
            Some(sid) => r.sessions.contains_key(sid),
            None => r.tokens.contains_key(signature),
        }
    }

    /// Applies `change` and writes the file; blocking (file write and fsync).
    fn change<T>(&self, change: impl FnOnce(&mut Revoked) -> T) -> Result<T> {
        let mut r = self.lock();
        let out = change(&mut r);
        r.prune(now());
        let mut text = serde_json::to_vec(&*r).expect("revocations serialize");
        text.push(b'\n');
        pgmon_common::store::write_atomic(&self.path, &text)?;
        Ok(out)
    }

    /// Ends session `sid` (its tokens expire by `until`), or revokes the single token with
    /// `signature` when it has no session.
    pub fn revoke(&self, sid: Option<&str>, signature: &str, until: u64) -> Result<()> {
        self.change(|r| match sid {
            Some(sid) => r.sessions.insert(sid.to_owned(), until),
            None => r.tokens.insert(signature.to_owned(), until),
        })
        .map(drop)
    }

    /// Spends refresh token `jti` of session `sid`; a token spent before ends the session.
    pub fn exchange(&self, sid: &str, jti: &str, until: u64) -> Result<Exchange> {
        self.change(|r| {
            if r.sessions.contains_key(sid) || r.spent.contains_key(jti) {
                r.sessions.insert(sid.to_owned(), until);
                Exchange::Reused
            } else {
                r.spent.insert(jti.to_owned(), until);
                Exchange::Fresh
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    /// Revocations survive a reload, and expired ones are dropped.
    fn revocations_persist_and_expire() {
        let tmp = tempfile::tempdir().unwrap();
        let (dir, _) = ConfigDir::initialize(tmp.path().join("cfg")).unwrap();
        let s = Sessions::load(&dir).unwrap();
        let later = now() + 3_600;
        assert_eq!(s.exchange("s1", "r1", later).unwrap(), Exchange::Fresh);
        assert!(!s.is_revoked(Some("s1"), "x"));
        s.revoke(None, "sig", later).unwrap();
        s.revoke(Some("old"), "y", now() - 1).unwrap();
        let again = Sessions::load(&dir).unwrap();
        assert!(again.is_revoked(None, "sig"));
        assert!(!again.is_revoked(Some("old"), "y"), "expired entry kept");
        assert_eq!(again.exchange("s1", "r1", later).unwrap(), Exchange::Reused);
        assert!(again.is_revoked(Some("s1"), "z"));
        // A session ended, even a fresh refresh token of it is refused.
        assert_eq!(again.exchange("s1", "r2", later).unwrap(), Exchange::Reused);
    }
}
