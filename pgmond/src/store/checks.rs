//! Health-check findings in the shared store: each server's as its last run left them (open
//! findings, when it ran, what could not be checked), written by the replica that ran it, so
//! every replica answers `/checks` for the whole fleet and a replica that takes a server over
//! runs its checks when they are due, not again at once. Writes are numbered in commit order;
//! each replica reads only what came after what it has.

use pgmon_common::api::checks::ServerChecks;
use tokio_postgres::types::Json;

use super::{Shared, StoreError, channels, locks};

impl Shared {
    /// Writes `server`'s findings and tells the other replicas.
    pub async fn put_checks(&self, server: &str, checks: &ServerChecks) -> Result<(), StoreError> {
        self.announced(Some(locks::CHECKS), channels::CHECKS, async |tx| {
            tx.execute(
                "INSERT INTO pgmon.checks (server, version, checks)
                 VALUES ($1, nextval('pgmon.checks_version'), $2)
                 ON CONFLICT (server) DO UPDATE SET version = excluded.version,
                     checks = excluded.checks",
                &[&server, &Json(checks)],
            )
            .await
            .map(drop)
        })
        .await
    }

    /// Findings written after version `after`, in the order they were: (version, server,
    /// findings); a row that does not parse is logged and passed over.
    pub async fn checks_after(
        &self,
        after: i64,
    ) -> Result<Vec<(i64, String, ServerChecks)>, StoreError> {
        let rows = self
            .rows(
                "SELECT version, server, checks FROM pgmon.checks WHERE version > $1
                     ORDER BY version",
                &[&after],
            )
            .await?;
        Ok(rows
            .iter()
            .filter_map(|r| match r.try_get::<_, Json<ServerChecks>>(2) {
                Ok(Json(c)) => Some((r.get(0), r.get(1), c)),
                Err(e) => {
                    tracing::warn!(error = %e, "health-check findings in the shared store do not parse");
                    None
                }
            })
            .collect())
    }
}
