//! Samples in the shared store: the replica holding a server's lease writes each interval's
//! sample once (a second write of the same interval is ignored), and every replica copies what
//! all of them wrote, in commit order, into its own embedded history store, which the history
//! endpoints answer from as they do without a shared store.
//!
//! While the store is away, samples wait in memory (at most [`BUFFER_BYTES`] of them; past it
//! the oldest go, and are counted in the log) and are written when it is back.

use std::collections::{HashSet, VecDeque};
use std::sync::{Arc, Mutex};

use tokio::sync::Notify;
use tokio_postgres::types::Json;
use tokio_util::sync::CancellationToken;

use super::{Shared, StoreError, channels, locks};
use crate::history::{HistoryStore, ServerSample};

/// Samples waiting for the store, at most this many bytes of them.
pub const BUFFER_BYTES: usize = 16 << 20;
/// How long a sample waits for others to be written with it.
const GATHER: std::time::Duration = std::time::Duration::from_millis(250);
/// Samples copied per query.
const COPY_BATCH: i64 = 1_000;
/// Samples written by one statement.
const ROWS_A_STATEMENT: usize = 100;
/// The key of `meta` in a replica's history store under which it keeps how far it copied
/// (the store's identity follows).
const COPIED_MARK: &str = "shared_copied:";

/// A sample on its way to the store.
struct Pending {
    server: String,
    /// The interval's start, in milliseconds since the epoch.
    slot_ms: i64,
    at: i64,
    /// The sample in JSON, made once: its length is what it weighs in the outbox.
    body: String,
}

/// Samples waiting to be written.
#[derive(Default)]
pub struct Outbox {
    queue: Mutex<(VecDeque<Pending>, usize)>,
    wake: Notify,
}

impl Pending {
    fn of(sample: &ServerSample, slot_ms: i64) -> Pending {
        Pending {
            server: sample.server.clone(),
            slot_ms,
            at: sample.at,
            body: serde_json::to_string(sample).expect("samples serialize"),
        }
    }

    fn bytes(&self) -> usize {
        self.body.len()
    }
}

impl Outbox {
    /// Queues `sample` as interval `slot_ms`'s.
    pub fn put(&self, sample: &ServerSample, slot_ms: i64) {
        let pending = Pending::of(sample, slot_ms);
        let bytes = pending.bytes();
        let mut q = self.queue.lock().unwrap_or_else(|p| p.into_inner());
        let mut dropped = 0;
        while q.1 + bytes > BUFFER_BYTES {
            let Some(old) = q.0.pop_front() else { break };
            q.1 -= old.bytes();
            dropped += 1;
        }
        if dropped > 0 {
            tracing::error!(
                dropped,
                "the shared store has been away too long: the oldest samples waiting for it were dropped"
            );
        }
        q.0.push_back(pending);
        q.1 += bytes;
        drop(q);
        self.wake.notify_one();
    }

    /// Samples waiting now.
    pub fn waiting(&self) -> usize {
        self.queue.lock().unwrap_or_else(|p| p.into_inner()).0.len()
    }

    /// Whether interval `slot_ms` of `server` waits here.
    pub fn holds(&self, server: &str, slot_ms: i64) -> bool {
        self.queue
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .0
            .iter()
            .any(|p| p.server == server && p.slot_ms == slot_ms)
    }

    /// Writes what waits as it comes, retrying each second while the store is away, until
    /// `shutdown` (then once more).
    pub async fn deliver(self: Arc<Self>, store: Arc<Shared>, shutdown: CancellationToken) {
        loop {
            let batch: Vec<Pending> = {
                let mut q = self.queue.lock().unwrap_or_else(|p| p.into_inner());
                q.1 = 0;
                q.0.drain(..).collect()
            };
            if !batch.is_empty()
                && let Err(e) = store.put_samples(&batch).await
            {
                tracing::debug!(error = %e, waiting = batch.len(), "writing samples to the shared store failed");
                {
                    let mut q = self.queue.lock().unwrap_or_else(|p| p.into_inner());
                    for p in batch.into_iter().rev() {
                        q.1 += p.bytes();
                        q.0.push_front(p);
                    }
                }
                tokio::select! {
                    _ = shutdown.cancelled() => return,
                    _ = tokio::time::sleep(super::CHECK_EVERY) => {}
                }
                continue;
            }
            if shutdown.is_cancelled() {
                return;
            }
            tokio::select! {
                _ = shutdown.cancelled() => {}
                _ = self.wake.notified() => {
                    // Samples that come together go in one transaction.
                    tokio::time::sleep(GATHER).await;
                }
            }
        }
    }
}

/// The first day of the month of `ms` and of the month after, as dates.
fn month_of(ms: i64) -> (chrono::NaiveDate, chrono::NaiveDate) {
    use chrono::Datelike;
    let day = chrono::DateTime::from_timestamp_millis(ms)
        .unwrap_or_default()
        .date_naive();
    let first = day.with_day(1).unwrap_or(day);
    let next = first
        .checked_add_months(chrono::Months::new(1))
        .unwrap_or(first);
    (first, next)
}

impl Shared {
    /// Writes samples (a month's partition made when missing), each interval of a server
    /// once; announced to the other replicas.
    async fn put_samples(&self, batch: &[Pending]) -> Result<(), StoreError> {
        let months: HashSet<(chrono::NaiveDate, chrono::NaiveDate)> =
            batch.iter().map(|p| month_of(p.slot_ms)).collect();
        let me = self.replica.clone();
        self.announced(Some(locks::SAMPLES), channels::SAMPLES, async |tx| {
            for (first, next) in &months {
                let name = format!("pgmon.sample_{}", first.format("%Y%m"));
                let exists: bool = tx
                    .query_one("SELECT to_regclass($1) IS NOT NULL", &[&name])
                    .await?
                    .get(0);
                if !exists {
                    tx.batch_execute(&format!(
                        "CREATE TABLE {name} PARTITION OF pgmon.sample
                         FOR VALUES FROM ('{first}') TO ('{next}')"
                    ))
                    .await?;
                }
            }
            // A statement per hundred samples: a round trip per sample would cost the store and
            // this replica more than the rows do, and one for a large batch (after an outage)
            // would leave a buffer that size in the connection for good.
            for part in batch.chunks(ROWS_A_STATEMENT) {
                let servers: Vec<&str> = part.iter().map(|p| p.server.as_str()).collect();
                let slots: Vec<f64> = part.iter().map(|p| p.slot_ms as f64).collect();
                let ats: Vec<f64> = part.iter().map(|p| p.at as f64).collect();
                let bodies: Vec<&str> = part.iter().map(|p| p.body.as_str()).collect();
                tx.execute(
                    "INSERT INTO pgmon.sample (server, slot, at, replica, body)
                     SELECT server, to_timestamp(slot / 1000), to_timestamp(at), $4, body::jsonb
                     FROM unnest($1::text[], $2::float8[], $3::float8[], $5::text[])
                          AS b(server, slot, at, body)
                     ON CONFLICT (server, slot) DO NOTHING",
                    &[&servers, &slots, &ats, &me, &bodies],
                )
                .await?;
            }
            Ok(())
        })
        .await
    }

    /// Whether interval `slot_ms` of `server` has its sample in the store.
    pub async fn has_sample(&self, server: &str, slot_ms: i64) -> Result<bool, StoreError> {
        let server = server.to_owned();
        self.call(async |c| {
            let r = c
                .query_opt(
                    "SELECT 1 FROM pgmon.sample
                     WHERE server = $1 AND slot = to_timestamp($2::float8 / 1000)",
                    &[&server, &(slot_ms as f64)],
                )
                .await?;
            Ok(r.is_some())
        })
        .await
    }

    /// Up to `limit` samples after row `after`, in the order they were committed, with their
    /// row ids (one that does not parse is logged and passed over).
    pub async fn history_after(
        &self,
        after: i64,
        limit: i64,
    ) -> Result<Vec<(i64, ServerSample)>, StoreError> {
        let rows = self
            .rows(
                "SELECT id, body FROM pgmon.sample WHERE id > $1 ORDER BY id LIMIT $2",
                &[&after, &limit],
            )
            .await?;
        Ok(rows
            .iter()
            .filter_map(|r| {
                let id: i64 = r.get(0);
                // Parsed from the row's bytes, with no JSON value in between.
                match r.try_get::<_, Json<ServerSample>>(1) {
                    Ok(Json(s)) => Some((id, s)),
                    Err(e) => {
                        tracing::warn!(id, error = %e, "a sample in the shared store does not parse");
                        None
                    }
                }
            })
            .collect())
    }

    /// Writes samples of the past (a migration), each keyed by its own second.
    pub async fn put_history(&self, samples: &[ServerSample]) -> Result<(), StoreError> {
        let batch: Vec<Pending> = samples
            .iter()
            .map(|s| Pending::of(s, super::migrate::history_slot(s)))
            .collect();
        self.put_samples(&batch).await
    }

    /// The store's identity (made with its schema).
    async fn identity(&self) -> Result<String, StoreError> {
        self.call(async |c| {
            let fresh = uuid::Uuid::new_v4().simple().to_string();
            c.execute(
                "INSERT INTO pgmon.meta VALUES ('identity', $1) ON CONFLICT (key) DO NOTHING",
                &[&fresh],
            )
            .await?;
            Ok(
                c.query_one("SELECT value FROM pgmon.meta WHERE key = 'identity'", &[])
                    .await?
                    .get(0),
            )
        })
        .await
    }

    /// Drops the months of samples that ended before `cutoff` (seconds); how many.
    pub async fn drop_old_samples(&self, cutoff: i64) -> Result<usize, StoreError> {
        let (before, _) = month_of(cutoff.saturating_mul(1000));
        self.call(async |c| {
            let old: Vec<String> = c
                .query(
                    "SELECT c.relname FROM pg_inherits i
                     JOIN pg_class c ON c.oid = i.inhrelid
                     JOIN pg_class p ON p.oid = i.inhparent
                     JOIN pg_namespace n ON n.oid = p.relnamespace
                     WHERE n.nspname = 'pgmon' AND p.relname = 'sample'
                       AND c.relname ~ '^sample_[0-9]{6}$'",
                    &[],
                )
                .await?
                .iter()
                .map(|r| r.get::<_, String>(0))
                .filter(|name| {
                    chrono::NaiveDate::parse_from_str(&format!("{}01", &name[7..]), "%Y%m%d")
                        .is_ok_and(|first| {
                            first
                                .checked_add_months(chrono::Months::new(1))
                                .is_some_and(|end| end <= before)
                        })
                })
                .collect();
            for name in &old {
                // Every replica runs retention: another may have dropped it first.
                c.batch_execute(&format!("DROP TABLE IF EXISTS pgmon.{name}"))
                    .await?;
            }
            Ok(old.len())
        })
        .await
    }
}

/// Copies every replica's samples into `history` as they are announced, from where the last
/// copy ended (kept in `history` with the samples, under the store's identity: a copy from
/// another store starts from its beginning), until `shutdown`.
pub async fn copy_into(store: Arc<Shared>, history: HistoryStore, shutdown: CancellationToken) {
    let mut cursor: Option<(String, i64)> = None;
    while super::next_look(&store.wakes.samples, &shutdown).await {
        if cursor.is_none() {
            let Ok(identity) = store.identity().await else {
                continue;
            };
            let mark = format!("{COPIED_MARK}{identity}");
            match history.mark(mark.clone()).await {
                Ok(copied) => cursor = Some((mark, copied.unwrap_or(0))),
                Err(e) => {
                    tracing::warn!(error = %e, "reading how far samples were copied failed");
                    continue;
                }
            }
        }
        let Some((mark, copied)) = &mut cursor else {
            continue;
        };
        loop {
            let rows = match store.history_after(*copied, COPY_BATCH).await {
                Ok(rows) => rows,
                Err(e) => {
                    tracing::debug!(error = %e, "copying samples from the shared store failed");
                    break;
                }
            };
            let n = rows.len();
            let Some(last) = rows.last().map(|r| r.0) else {
                break;
            };
            let samples = rows.into_iter().map(|(_, s)| s).collect();
            if let Err(e) = history.record_copied(samples, mark.clone(), last).await {
                tracing::warn!(error = %e, "keeping copied samples failed");
                break;
            }
            *copied = last;
            if (n as i64) < COPY_BATCH {
                break;
            }
        }
    }
}
