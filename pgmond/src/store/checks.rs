//! Health-check findings in the shared store: each server's as its last run left them (open
//! findings, when it ran, what could not be checked), written by the replica that ran it, so
//! every replica answers `/checks` for the whole fleet and a replica that takes a server over
//! runs its checks when they are due, not again at once. Writes are numbered in commit order;
//! each replica reads only what came after what it has, a page at a time, and keeps of the
//! servers it does not check only each run's time and counts (the findings are read from
//! here when asked).

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

    /// At most `limit` findings written after version `after`, in the order they were:
    /// (version, server, findings).
    pub async fn checks_after(
        &self,
        after: i64,
        limit: i64,
    ) -> Result<Vec<(i64, String, ServerChecks)>, StoreError> {
        let rows = self
            .rows(
                "SELECT version, server, checks FROM pgmon.checks WHERE version > $1
                     ORDER BY version LIMIT $2",
                &[&after, &limit],
            )
            .await?;
        Ok(parse(&rows))
    }

    /// The findings of every server but `but` (those whose findings the asker holds), read
    /// when asked: a replica keeps in memory only the findings of the servers it checks.
    pub async fn checks_but(
        &self,
        but: &[String],
    ) -> Result<Vec<(i64, String, ServerChecks)>, StoreError> {
        let rows = self
            .rows(
                "SELECT version, server, checks FROM pgmon.checks
                 WHERE server NOT IN (SELECT unnest($1::text[]))",
                &[&but],
            )
            .await?;
        Ok(parse(&rows))
    }

    /// `server`'s findings, if any run wrote them.
    pub async fn checks_of(&self, server: &str) -> Result<Option<ServerChecks>, StoreError> {
        let rows = self
            .rows(
                "SELECT version, server, checks FROM pgmon.checks WHERE server = $1",
                &[&server],
            )
            .await?;
        Ok(parse(&rows).pop().map(|(_, _, c)| c))
    }
}

/// (version, server, findings) of rows; one that does not parse is logged and passed over.
fn parse(rows: &[tokio_postgres::Row]) -> Vec<(i64, String, ServerChecks)> {
    rows.iter()
        .filter_map(|r| match r.try_get::<_, Json<ServerChecks>>(2) {
            Ok(Json(c)) => Some((r.get(0), r.get(1), c)),
            Err(e) => {
                tracing::warn!(error = %e, "health-check findings in the shared store do not parse");
                None
            }
        })
        .collect()
}
