//! Sign-in that withstands guessing: failed logins are counted per source address and per
//! login from that address, and past the limit the address (any login from it), or the login
//! from that address, is refused (429 with `Retry-After`) before any password is checked, for a
//! minute, then twice as long each time the limit is reached again; a success clears the
//! login's count at that address. The answer is the same whether the login exists.
//!
//! There is no account-wide block: one would let anyone lock the owner out by guessing wrong
//! from anywhere (five guesses at `admin` used to keep the real admin out for 15 minutes). A
//! guesser spread over many addresses is held by each address's own limit, and by the password
//! checks, which run a few at a time (bcrypt, a quarter of a second of CPU each), so a flood
//! of guesses cannot take the cores the rest of the API needs. A request without an address
//! (none on TCP: a test's in-process client) is counted per login. The admin socket is not
//! throttled.

use std::collections::{HashMap, VecDeque};
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::sync::{Semaphore, SemaphorePermit};
use tokio_util::sync::CancellationToken;

use crate::store::{LoginOutcome, Shared};

/// The window failures are counted in.
const WINDOW: Duration = Duration::from_secs(60);
/// Entries kept at most; past it, those with nothing to remember are dropped first.
const MAX_ENTRIES: usize = 100_000;
/// Logins are remembered by at most this many characters (they come from anyone).
const MAX_LOGIN_CHARS: usize = 64;
/// How long a login waits for a turn to check its password before being told to retry.
const CHECK_WAIT: Duration = Duration::from_secs(2);

/// Limits from pgmond.toml.
#[derive(Clone, Copy, Debug)]
pub struct ThrottleLimits {
    /// Failures per minute for one login from one address before that pair is blocked.
    pub per_login: usize,
    /// Failures per minute from one address before it is blocked.
    pub per_source: usize,
    /// The longest block.
    pub max_block: Duration,
    /// Password checks at once.
    pub concurrent_checks: usize,
}

#[derive(Clone, PartialEq, Eq, Hash)]
enum Key {
    Source(IpAddr),
    /// A login tried from an address.
    Pair(IpAddr, String),
    /// A login tried with no address known.
    Login(String),
}

#[derive(Default)]
struct Record {
    failures: VecDeque<Instant>,
    blocked_until: Option<Instant>,
    /// How often the limit was reached: each block lasts twice as long as the one before.
    strikes: u32,
}

impl Record {
    fn forget_old(&mut self, now: Instant) {
        while self.failures.front().is_some_and(|t| now - *t > WINDOW) {
            self.failures.pop_front();
        }
    }

    fn is_idle(&self, now: Instant) -> bool {
        self.failures.is_empty() && self.blocked_until.is_none_or(|t| t <= now)
    }
}

pub struct LoginThrottle {
    limits: ThrottleLimits,
    records: Mutex<HashMap<Key, Record>>,
    checks: Semaphore,
    /// The shared store, through which replicas tell each other of every outcome, so a
    /// guesser spread over them is counted as one.
    shared: Option<Arc<Shared>>,
}

/// Why a login is not checked now.
#[derive(Debug, PartialEq, Eq)]
pub enum Refusal {
    /// Too many failures: 429, retry after this long.
    Blocked(Duration),
    /// Every password-check turn is taken: 503, retry shortly.
    Busy,
}

fn login_key(source: Option<IpAddr>, login: &str) -> Key {
    let login = login.chars().take(MAX_LOGIN_CHARS).collect();
    match source {
        Some(addr) => Key::Pair(addr, login),
        None => Key::Login(login),
    }
}

impl LoginThrottle {
    pub fn new(limits: ThrottleLimits) -> LoginThrottle {
        LoginThrottle {
            checks: Semaphore::new(limits.concurrent_checks.max(1)),
            limits,
            records: Mutex::new(HashMap::new()),
            shared: None,
        }
    }

    /// Outcomes told to (and counted from) the other replicas of the shared store.
    pub fn shared_through(mut self, store: Arc<Shared>) -> LoginThrottle {
        self.shared = Some(store);
        self
    }

    /// Counts the outcomes other replicas announce, until `shutdown`.
    pub async fn follow_store(self: Arc<Self>, shutdown: CancellationToken) {
        let Some(store) = self.shared.clone() else {
            return;
        };
        let mut told = store.logins();
        loop {
            let outcome = tokio::select! {
                _ = shutdown.cancelled() => return,
                o = told.recv() => o,
            };
            match outcome {
                Ok(o) if o.failed => self.count_failure(o.source, &o.login),
                Ok(o) => self.count_success(o.source, &o.login),
                Err(tokio::sync::broadcast::error::RecvError::Lagged(n)) => {
                    tracing::warn!(missed = n, "login outcomes from other replicas were missed");
                }
                Err(tokio::sync::broadcast::error::RecvError::Closed) => return,
            }
        }
    }

    fn announce(&self, source: Option<IpAddr>, login: &str, failed: bool) {
        if let Some(store) = &self.shared {
            let (store, outcome) = (
                Arc::clone(store),
                LoginOutcome {
                    replica: store.replica.clone(),
                    source,
                    login: login.chars().take(MAX_LOGIN_CHARS).collect(),
                    failed,
                },
            );
            tokio::spawn(async move { store.announce_login(outcome).await });
        }
    }

    fn keys(source: Option<IpAddr>, login: &str) -> Vec<Key> {
        let mut keys = vec![login_key(source, login)];
        keys.extend(source.map(Key::Source));
        keys
    }

    /// Refuses when the source or the login is blocked; else waits for a turn to check the
    /// password (held by the returned permit).
    pub async fn admit(
        &self,
        source: Option<IpAddr>,
        login: &str,
    ) -> Result<SemaphorePermit<'_>, Refusal> {
        self.check_blocked(source, login)?;
        let permit = match tokio::time::timeout(CHECK_WAIT, self.checks.acquire()).await {
            Ok(Ok(permit)) => permit,
            _ => return Err(Refusal::Busy),
        };
        // Guesses that queued before their source or login was blocked drop out here rather
        // than spend a password check each, so the queue empties for everyone else.
        self.check_blocked(source, login)?;
        Ok(permit)
    }

    fn check_blocked(&self, source: Option<IpAddr>, login: &str) -> Result<(), Refusal> {
        let now = Instant::now();
        let records = self.records.lock().unwrap_or_else(|p| p.into_inner());
        let wait = Self::keys(source, login)
            .iter()
            .filter_map(|k| records.get(k)?.blocked_until)
            .filter(|t| *t > now)
            .max();
        match wait {
            Some(until) => Err(Refusal::Blocked(until - now)),
            None => Ok(()),
        }
    }

    /// Counts a failed login; blocks the source or the login that reached its limit.
    pub fn failed(&self, source: Option<IpAddr>, login: &str) {
        self.count_failure(source, login);
        self.announce(source, login, true);
    }

    fn count_failure(&self, source: Option<IpAddr>, login: &str) {
        let now = Instant::now();
        let mut records = self.records.lock().unwrap_or_else(|p| p.into_inner());
        if records.len() >= MAX_ENTRIES {
            records.retain(|_, r| {
                r.forget_old(now);
                !r.is_idle(now)
            });
        }
        for key in Self::keys(source, login) {
            let limit = match key {
                Key::Source(_) => self.limits.per_source,
                Key::Pair(..) | Key::Login(_) => self.limits.per_login,
            };
            let r = records.entry(key).or_default();
            r.forget_old(now);
            r.failures.push_back(now);
            if r.failures.len() >= limit.max(1) {
                r.strikes = r.strikes.saturating_add(1);
                let block = WINDOW
                    .saturating_mul(1 << (r.strikes - 1).min(16))
                    .min(self.limits.max_block);
                r.blocked_until = Some(now + block);
                r.failures.clear();
            }
        }
    }

    /// A successful login clears its login's record at its address (not the address's own:
    /// one good password does not excuse a flood of guesses from the same address).
    pub fn succeeded(&self, source: Option<IpAddr>, login: &str) {
        self.count_success(source, login);
        self.announce(source, login, false);
    }

    fn count_success(&self, source: Option<IpAddr>, login: &str) {
        let mut records = self.records.lock().unwrap_or_else(|p| p.into_inner());
        records.remove(&login_key(source, login));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn throttle() -> LoginThrottle {
        LoginThrottle::new(ThrottleLimits {
            per_login: 3,
            per_source: 5,
            max_block: Duration::from_secs(150),
            concurrent_checks: 1,
        })
    }

    #[tokio::test]
    /// A login is blocked at its limit from the guessing address only, for a minute, then for
    /// twice as long; a success clears it; the same login from another address is not
    /// affected; blocks are capped.
    async fn limits_and_backoff() {
        let t = throttle();
        let a: IpAddr = "127.0.0.2".parse().unwrap();
        let b: IpAddr = "127.0.0.3".parse().unwrap();
        for _ in 0..2 {
            assert!(t.admit(Some(a), "bob").await.is_ok());
            t.failed(Some(a), "bob");
        }
        assert!(t.admit(Some(a), "bob").await.is_ok());
        t.failed(Some(a), "bob");
        let Err(Refusal::Blocked(wait)) = t.admit(Some(a), "bob").await else {
            panic!("bob not blocked");
        };
        assert!(wait > Duration::from_secs(59) && wait <= WINDOW);
        assert!(
            t.admit(Some(b), "bob").await.is_ok(),
            "the owner locked out"
        );
        assert!(t.admit(Some(b), "carol").await.is_ok());
        // The second strike doubles the block; the third is capped at 150 s.
        for (n, expected) in [(2u64, 120u64), (3, 150)] {
            {
                let mut records = t.records.lock().unwrap();
                records
                    .get_mut(&login_key(Some(a), "bob"))
                    .unwrap()
                    .blocked_until = None;
            }
            for _ in 0..3 {
                t.failed(Some(a), "bob");
            }
            let Err(Refusal::Blocked(wait)) = t.admit(Some(a), "bob").await else {
                panic!("strike {n}: bob not blocked");
            };
            assert!(
                wait > Duration::from_secs(expected - 1),
                "strike {n}: {wait:?}"
            );
            assert!(
                wait <= Duration::from_secs(expected),
                "strike {n}: {wait:?}"
            );
        }
        t.succeeded(Some(a), "bob");
        let records = t.records.lock().unwrap();
        assert!(!records.contains_key(&login_key(Some(a), "bob")));
    }

    #[tokio::test]
    /// An address is blocked at its own limit, whatever logins it tries.
    async fn sources_are_limited() {
        let t = throttle();
        let a: IpAddr = "127.0.0.4".parse().unwrap();
        for i in 0..5 {
            t.failed(Some(a), &format!("user{i}"));
        }
        assert!(matches!(
            t.admit(Some(a), "new").await,
            Err(Refusal::Blocked(_))
        ));
        assert!(t.admit(None, "new").await.is_ok());
    }
}
