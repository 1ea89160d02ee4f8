//! The audit trail in the shared store: one trail for every replica, read newest first.

use pgmon_common::api::audit::AuditEntry;

use super::{Shared, StoreError};

/// Entries read per query while a page is filled.
pub const READ_BATCH: i64 = 1_000;

impl Shared {
    pub async fn append_audit(&self, entry: &AuditEntry) -> Result<(), StoreError> {
        let body = serde_json::to_value(entry).expect("audit entries serialize");
        self.call(async |c| {
            c.execute(
                "INSERT INTO pgmon.audit (at, entry) VALUES (now(), $1)",
                &[&body],
            )
            .await
        })
        .await
        .map(drop)
    }

    /// Up to [`READ_BATCH`] entries older than row `before` (none: the newest), newest first,
    /// with their row ids; none written before `since` (RFC 3339).
    pub async fn audit_before(
        &self,
        before: Option<i64>,
        since: Option<&str>,
    ) -> Result<Vec<(i64, AuditEntry)>, StoreError> {
        let before = before.unwrap_or(i64::MAX);
        let since = since.map(str::to_owned);
        let rows = self
            .rows(
                "SELECT id, entry FROM pgmon.audit
                     WHERE id < $1 AND ($2::text IS NULL OR entry->>'time' >= $2)
                     ORDER BY id DESC LIMIT $3",
                &[&before, &since, &READ_BATCH],
            )
            .await?;
        Ok(rows
            .iter()
            .filter_map(|r| {
                let entry: serde_json::Value = r.get(1);
                Some((r.get(0), serde_json::from_value(entry).ok()?))
            })
            .collect())
    }
}
