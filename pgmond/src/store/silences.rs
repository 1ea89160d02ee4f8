//! Alert silences in the shared store: one list for every replica, since the replica that
//! judges a server is not always the one an operator silenced it on. Each replica keeps the
//! list in memory (the alert engine's), read again when another announces a change.

use pgmon_common::api::alerts::{Matchers, Silence};

use super::{Shared, StoreError, channels};
use crate::history::alerts::silence;

impl Shared {
    /// Every silence, oldest first, with when each ends (milliseconds).
    pub async fn silences(&self) -> Result<Vec<(Silence, i64)>, StoreError> {
        let rows = self
            .rows(
                "SELECT id, server, rule, database, created, until, author, comment
                 FROM pgmon.silence ORDER BY id",
                &[],
            )
            .await?;
        Ok(rows
            .iter()
            .map(|r| {
                let matchers = Matchers {
                    server: r.get(1),
                    rule: r.get(2),
                    database: r.get(3),
                };
                silence(r.get(0), matchers, r.get(4), r.get(5), r.get(6), r.get(7))
            })
            .collect())
    }

    /// Adds a silence and tells the other replicas; its id.
    pub async fn add_silence(
        &self,
        m: &Matchers,
        created: i64,
        until: i64,
        author: &str,
        comment: &str,
    ) -> Result<i64, StoreError> {
        self.announced(None, channels::SILENCES, async |tx| {
            Ok(tx
                .query_one(
                    "INSERT INTO pgmon.silence
                         (server, rule, database, created, until, author, comment)
                     VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
                    &[
                        &m.server,
                        &m.rule,
                        &m.database,
                        &created,
                        &until,
                        &author,
                        &comment,
                    ],
                )
                .await?
                .get(0))
        })
        .await
    }

    /// Ends silence `id` at `now` and tells the other replicas; whether one was running.
    pub async fn expire_silence(&self, id: i64, now: i64) -> Result<bool, StoreError> {
        self.announced(None, channels::SILENCES, async |tx| {
            let n = tx
                .execute(
                    "UPDATE pgmon.silence SET until = $2 WHERE id = $1 AND until > $2",
                    &[&id, &now],
                )
                .await?;
            Ok(n > 0)
        })
        .await
    }

    /// Forgets silences ended before `cutoff` (milliseconds); every replica's housekeeping
    /// runs it, to the same end.
    pub async fn forget_silences(&self, cutoff: i64) -> Result<u64, StoreError> {
        self.call(async |c| {
            c.execute("DELETE FROM pgmon.silence WHERE until < $1", &[&cutoff])
                .await
        })
        .await
    }
}
