//! Sessions and revocations in the shared store: each change a row, in the order replicas made
//! them (a lock orders the writers), copied by every replica into its memory, where each
//! request's check looks. Rows go once the tokens they concern have expired.

use serde_json::Value;

use super::{Shared, StoreError, channels, locks};

/// A change as the sessions keep it, and until when (seconds since the epoch) it matters.
pub struct Change {
    pub until: u64,
    pub change: Value,
}

impl Shared {
    /// Appends `changes`, announced to the other replicas.
    pub async fn append_session_changes(&self, changes: &[Change]) -> Result<(), StoreError> {
        let rows: Vec<(f64, &Value)> = changes
            .iter()
            .map(|c| (c.until as f64, &c.change))
            .collect();
        self.announced(Some(locks::SESSIONS), channels::SESSIONS, async |tx| {
            for (until, change) in &rows {
                tx.execute(
                    "INSERT INTO pgmon.session_change (until, change)
                     VALUES (to_timestamp($1), $2)",
                    &[until, change],
                )
                .await?;
            }
            Ok(())
        })
        .await
    }

    /// The changes after `after` (a row id), oldest first, at most `limit`.
    pub async fn session_changes(
        &self,
        after: i64,
        limit: i64,
    ) -> Result<Vec<(i64, Value)>, StoreError> {
        let rows = self
            .rows(
                "SELECT id, change FROM pgmon.session_change WHERE id > $1
                     ORDER BY id LIMIT $2",
                &[&after, &limit],
            )
            .await?;
        Ok(rows.iter().map(|r| (r.get(0), r.get(1))).collect())
    }

    /// Forgets changes whose tokens have all expired.
    pub async fn prune_session_changes(&self) -> Result<u64, StoreError> {
        self.call(async |c| {
            c.execute(
                "DELETE FROM pgmon.session_change WHERE until < now() - interval '1 minute'",
                &[],
            )
            .await
        })
        .await
    }
}
