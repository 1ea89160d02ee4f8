//! Who samples which server, when replicas share a store. Each replica says it is alive once a
//! second; every server goes to one live replica by rendezvous hashing (each replica computes
//! the same answer; a replica that joins takes about its share, one that leaves gives up only
//! its own), and the replica it goes to takes a lease on it in the store, which it renews each
//! second. A lease is taken only once the last holder's has ended or been given up, so a server
//! is never sampled by two replicas at once; one whose replica died is taken over when its
//! lease runs out ([`LEASE_TTL`]).
//!
//! While the store cannot be reached a replica keeps what it held: the others cannot take it
//! meanwhile, and if they can reach the store and take it over, the store keeps one sample per
//! server and interval whoever wrote first.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

use super::{Shared, locks};

/// How long a lease lasts unless renewed.
pub const LEASE_TTL: Duration = Duration::from_secs(3);
/// How often leases are renewed and replicas' liveness looked at.
pub const RENEW_EVERY: Duration = Duration::from_secs(1);

/// A stable 64-bit hash: every replica, of any build, must rank alike. FNV-1a, then
/// MurmurHash3's finalizer: FNV alone leaves the high bits of similar short strings alike, and
/// rendezvous hashing compares whole values (a replica named like another got half the fleet).
fn fnv(parts: &[&str]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for p in parts {
        for b in p.bytes().chain(std::iter::once(0)) {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
    }
    h ^= h >> 33;
    h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
    h ^= h >> 33;
    h = h.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
    h ^ (h >> 33)
}

/// The live replica `server` goes to (rendezvous hashing).
pub fn owner<'a>(server: &str, live: &'a [String]) -> Option<&'a str> {
    live.iter()
        .max_by_key(|r| fnv(&[server, r]))
        .map(String::as_str)
}

/// Where in each interval `server` is sampled, in milliseconds, so that a fleet's samples
/// spread over the interval and every replica agrees on when.
pub fn phase(server: &str, interval_ms: i64) -> i64 {
    (fnv(&[server]) % interval_ms.max(1) as u64) as i64
}

pub struct Leases {
    store: Option<Arc<Shared>>,
    /// Servers held, with the round that took each (a new number: taken over, so the
    /// interval before may need a sample).
    held: RwLock<HashMap<String, u64>>,
    /// Until when what is held may be sampled without a renewal.
    valid_until: RwLock<Instant>,
    /// Woken when what is held changes.
    pub changed: Notify,
    /// How many times what is held has changed.
    changes: std::sync::atomic::AtomicU64,
    /// Tells the collector's supervisor (once, kept until it looks) that what is held changed.
    pub reconcile: Notify,
}

impl Leases {
    pub fn new(store: Option<Arc<Shared>>) -> Leases {
        Leases {
            store,
            held: RwLock::new(HashMap::new()),
            valid_until: RwLock::new(Instant::now()),
            changed: Notify::new(),
            changes: std::sync::atomic::AtomicU64::new(0),
            reconcile: Notify::new(),
        }
    }

    /// Whether replicas share the work (else this one samples everything).
    pub fn shared(&self) -> Option<&Arc<Shared>> {
        self.store.as_ref()
    }

    /// The round in which `server` was taken, when this replica holds it now.
    pub fn held(&self, server: &str) -> Option<u64> {
        if self.store.is_none() {
            return Some(0);
        }
        if !self.usable() {
            return None;
        }
        self.held
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .get(server)
            .copied()
    }

    /// Whether this replica holds each of `servers` now, asked under one lock (for loops
    /// over the whole fleet).
    pub fn hold_each<'a>(&self, servers: impl Iterator<Item = &'a str>) -> Vec<bool> {
        if self.store.is_none() || !self.usable() {
            return servers.map(|_| self.store.is_none()).collect();
        }
        let held = self.held.read().unwrap_or_else(|p| p.into_inner());
        servers.map(|s| held.contains_key(s)).collect()
    }

    /// Whether what is held may be worked on: the leases were renewed in time, or the store
    /// is away (then samples wait for it, and the leases are renewed when it is back).
    fn usable(&self) -> bool {
        let reachable = self.store.as_ref().is_some_and(|s| s.reachable());
        !reachable || *self.valid_until.read().unwrap_or_else(|p| p.into_inner()) > Instant::now()
    }

    /// How many times what is held has changed (and so which servers this replica works on).
    pub fn changes(&self) -> u64 {
        self.changes.load(std::sync::atomic::Ordering::SeqCst)
    }

    pub fn held_count(&self) -> usize {
        self.held.read().unwrap_or_else(|p| p.into_inner()).len()
    }

    /// Renews, takes and gives up leases every second until `shutdown`; `servers` says which
    /// servers are sampled now. At shutdown every lease is given up, so others take over at
    /// once.
    pub async fn run(
        self: Arc<Self>,
        servers: impl Fn() -> Vec<String>,
        shutdown: CancellationToken,
    ) {
        let Some(store) = self.store.clone() else {
            return;
        };
        let mut round = 0u64;
        loop {
            round += 1;
            let started = Instant::now();
            match self.round(&store, servers(), round).await {
                Ok(()) => {
                    *self.valid_until.write().unwrap_or_else(|p| p.into_inner()) =
                        started + LEASE_TTL - RENEW_EVERY / 2;
                }
                Err(e) => tracing::debug!(error = %e, "renewing leases failed"),
            }
            tokio::select! {
                _ = shutdown.cancelled() => break,
                _ = tokio::time::sleep(RENEW_EVERY.saturating_sub(started.elapsed())) => {}
            }
        }
        let me = store.replica.clone();
        let _ = store
            .call(async |c| {
                c.execute("DELETE FROM pgmon.lease WHERE holder = $1", &[&me])
                    .await?;
                c.execute("DELETE FROM pgmon.replica WHERE id = $1", &[&me])
                    .await
            })
            .await;
    }

    async fn round(
        &self,
        store: &Shared,
        servers: Vec<String>,
        round: u64,
    ) -> Result<(), super::StoreError> {
        let me = store.replica.clone();
        let ttl = LEASE_TTL.as_secs_f64();
        let held: HashSet<String> = store
            .call(async |c| {
                let tx = c.transaction().await?;
                tx.execute("SELECT pg_advisory_xact_lock($1)", &[&locks::LEASES])
                    .await?;
                tx.execute(
                    "INSERT INTO pgmon.replica (id, started, seen) VALUES ($1, now(), now())
                     ON CONFLICT (id) DO UPDATE SET seen = now()",
                    &[&me],
                )
                .await?;
                tx.execute(
                    "DELETE FROM pgmon.replica WHERE seen < now() - make_interval(secs => $1)",
                    &[&ttl],
                )
                .await?;
                let live: Vec<String> = tx
                    .query("SELECT id FROM pgmon.replica ORDER BY id", &[])
                    .await?
                    .iter()
                    .map(|r| r.get(0))
                    .collect();
                // Only the servers this replica goes to travel, not the fleet: a lease of a
                // server that left the fleet is given up by its holder, or runs out.
                let mine: Vec<&str> = servers
                    .iter()
                    .filter(|s| owner(s, &live) == Some(me.as_str()))
                    .map(String::as_str)
                    .collect();
                tx.execute(
                    "DELETE FROM pgmon.lease
                     WHERE until < now()
                        OR holder = $1 AND server NOT IN (SELECT unnest($2::text[]))",
                    &[&me, &mine],
                )
                .await?;
                // Taken or renewed where free or ours; what another still holds is answered
                // (none, but while a server moves).
                let refused: HashSet<String> = tx
                    .query(
                        "WITH taken AS (
                             INSERT INTO pgmon.lease (server, holder, until)
                             SELECT s, $1, now() + make_interval(secs => $3)
                             FROM unnest($2::text[]) s
                             ON CONFLICT (server) DO UPDATE SET holder = excluded.holder,
                                 until = excluded.until
                             WHERE pgmon.lease.holder = excluded.holder
                             RETURNING server)
                         SELECT s FROM unnest($2::text[]) s
                         WHERE s NOT IN (SELECT server FROM taken)",
                        &[&me, &mine, &ttl],
                    )
                    .await?
                    .iter()
                    .map(|r| r.get(0))
                    .collect();
                tx.commit().await?;
                Ok(mine
                    .into_iter()
                    .filter(|s| !refused.contains(*s))
                    .map(str::to_owned)
                    .collect())
            })
            .await?;
        let mut current = self.held.write().unwrap_or_else(|p| p.into_inner());
        let before = current.len();
        current.retain(|s, _| held.contains(s));
        let mut moved = current.len() != before;
        for s in held {
            current.entry(s).or_insert_with(|| {
                moved = true;
                round
            });
        }
        drop(current);
        if moved {
            self.changes
                .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            self.changed.notify_waiters();
            self.reconcile.notify_one();
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    /// Each replica of three gets about a third of 3,000 servers; a fourth takes about a
    /// quarter, only from the others' shares; a replica leaving moves only its own.
    fn rendezvous_is_fair_and_moves_little() {
        let servers: Vec<String> = (0..3000).map(|i| format!("db-{i}")).collect();
        let three: Vec<String> = ["a", "b", "c"].map(String::from).to_vec();
        let four: Vec<String> = ["a", "b", "c", "d"].map(String::from).to_vec();
        let count =
            |live: &[String], r: &str| servers.iter().filter(|s| owner(s, live) == Some(r)).count();
        for r in &three {
            let n = count(&three, r);
            assert!((850..1150).contains(&n), "{r}: {n}");
        }
        let d = count(&four, "d");
        assert!((600..900).contains(&d), "d: {d}");
        for s in &servers {
            let (before, after) = (owner(s, &three).unwrap(), owner(s, &four).unwrap());
            assert!(
                before == after || after == "d",
                "{s} moved between old replicas"
            );
        }
        let two: Vec<String> = ["a", "c"].map(String::from).to_vec();
        for s in &servers {
            if owner(s, &three) != Some("b") {
                assert_eq!(
                    owner(s, &three),
                    owner(s, &two),
                    "{s} moved though its replica stayed"
                );
            }
        }
        // Names as replicas have them (a random id) beside names alike but for a digit.
        let five: Vec<String> = std::iter::once("7597b30851794eca82bf862e6035c7e4".to_owned())
            .chain((0..4).map(|i| format!("simulated-{i}")))
            .collect();
        for r in &five {
            let n = count(&five, r);
            assert!((480..720).contains(&n), "{r}: {n} of 3,000");
        }
        assert!(phase("db-1", 10_000) < 10_000);
        assert_eq!(phase("db-1", 10_000), phase("db-1", 10_000));
    }
}
