//! Open alerts in the shared store: the replica that judges a server writes its pending and
//! firing alerts here and removes them as they resolve, so every replica lists the whole
//! fleet's (the others' read from here when asked, not kept in memory), and the replica that
//! takes a server over carries its alerts on (what fired stays fired, the channels told are
//! not told again). Ids come in blocks, one block per replica at a time, so two replicas
//! never give the same id. (Schema 2's `alerts_version` in `pgmon.meta` is no longer
//! written: nobody follows the list.)

use std::collections::HashMap;

use tokio_postgres::types::Json;

use super::{Shared, StoreError, locks};
use crate::history::alerts::StoredAlert;

/// Ids in a block.
pub const ID_BLOCK: i64 = 1_000_000_000;

/// The alerts of rows read from the store; one that does not parse is logged and passed over.
fn parse(rows: &[tokio_postgres::Row], column: usize) -> Vec<StoredAlert> {
    rows.iter()
        .filter_map(
            |r| match r.try_get::<_, Option<Json<StoredAlert>>>(column) {
                Ok(a) => a.map(|Json(a)| a),
                Err(e) => {
                    tracing::warn!(error = %e, "an alert in the shared store does not parse");
                    None
                }
            },
        )
        .collect()
}

impl Shared {
    /// A block of ids no other replica gets: its first and last.
    pub async fn alert_ids(&self) -> Result<(i64, i64), StoreError> {
        let block: i64 = self
            .call(async |c| {
                Ok(c.query_one("SELECT nextval('pgmon.alert_block')", &[])
                    .await?
                    .get(0))
            })
            .await?;
        let first = block.saturating_mul(ID_BLOCK).saturating_add(1);
        Ok((first, first.saturating_add(ID_BLOCK - 1)))
    }

    /// The open alerts of `servers`, by server.
    pub async fn open_alerts_of(
        &self,
        servers: &[String],
    ) -> Result<HashMap<String, Vec<StoredAlert>>, StoreError> {
        let rows = self
            .rows(
                "SELECT alert FROM pgmon.alert WHERE server = ANY($1)",
                &[&servers],
            )
            .await?;
        let mut by_server: HashMap<String, Vec<StoredAlert>> = HashMap::new();
        for a in parse(&rows, 0) {
            by_server.entry(a.server().to_owned()).or_default().push(a);
        }
        Ok(by_server)
    }

    /// Writes what a step changed: open alerts as they are now, resolved ones removed (only
    /// if no other alert took their place); tells the other replicas.
    pub async fn put_alerts(&self, alerts: &[StoredAlert]) -> Result<(), StoreError> {
        let (mut open, mut resolved) = (Vec::new(), Vec::new());
        for a in alerts {
            match a.resolved_at {
                None => open.push(a),
                Some(_) => resolved.push(a),
            }
        }
        let servers = |l: &[&StoredAlert]| -> Vec<String> {
            l.iter().map(|a| a.server().to_owned()).collect()
        };
        let keys =
            |l: &[&StoredAlert]| -> Vec<String> { l.iter().map(|a| a.key.clone()).collect() };
        let (open_servers, open_keys) = (servers(&open), keys(&open));
        let bodies: Vec<Json<&StoredAlert>> = open.iter().map(|a| Json(*a)).collect();
        let (gone_servers, gone_keys) = (servers(&resolved), keys(&resolved));
        let gone_ids: Vec<i64> = resolved.iter().map(|a| a.id).collect();
        self.locked(locks::ALERTS, async |tx| {
            tx.execute(
                "DELETE FROM pgmon.alert a
                 USING unnest($1::text[], $2::text[], $3::int8[]) AS g(server, key, id)
                 WHERE a.server = g.server AND a.key = g.key AND (a.alert->>'id')::int8 = g.id",
                &[&gone_servers, &gone_keys, &gone_ids],
            )
            .await?;
            tx.execute(
                "INSERT INTO pgmon.alert (server, key, alert)
                 SELECT * FROM unnest($1::text[], $2::text[], $3::jsonb[])
                 ON CONFLICT (server, key) DO UPDATE SET alert = excluded.alert",
                &[&open_servers, &open_keys, &bodies],
            )
            .await
            .map(drop)
        })
        .await
    }

    /// Removes the alerts of servers no longer in the fleet (`fleet`: the names that are);
    /// how many. Every replica's housekeeping runs it, to the same end.
    pub async fn forget_alerts_but(&self, fleet: &[String]) -> Result<u64, StoreError> {
        self.locked(locks::ALERTS, async |tx| {
            tx.execute(
                "DELETE FROM pgmon.alert WHERE server NOT IN (SELECT unnest($1::text[]))",
                &[&fleet],
            )
            .await
        })
        .await
    }

    /// The open alerts of every server but `judged_here` (those another replica judges, or
    /// nobody does now), read when asked: memory holds only the alerts a replica judges.
    pub async fn open_alerts_but(
        &self,
        judged_here: &[String],
    ) -> Result<Vec<StoredAlert>, StoreError> {
        let rows = self
            .rows(
                "SELECT alert FROM pgmon.alert WHERE server NOT IN (SELECT unnest($1::text[]))",
                &[&judged_here],
            )
            .await?;
        Ok(parse(&rows, 0))
    }
}
