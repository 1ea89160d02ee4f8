//! `GET /server/{name}/databases`: `pg_stat_database` with each database's size and freeze age,
//! as the server has them now. One query for PostgreSQL 12 to 18.

use pgmon_common::api::databases::LiveDatabase;
use pgmon_common::servers::Server;

use super::{Monitor, MonitorError, live_db};
use crate::history::window::iso;

/// A database the role may not connect to has no size rather than an error; templates and
/// databases that take no connections are left out, as the collector leaves them.
const DATABASES: &str = "
    SELECT d.datname::text,
           CASE WHEN has_database_privilege(d.oid, 'CONNECT') THEN pg_database_size(d.oid) END,
           s.numbackends, s.xact_commit, s.xact_rollback, s.blks_read, s.blks_hit,
           s.tup_returned, s.tup_fetched, s.tup_inserted, s.tup_updated, s.tup_deleted,
           s.conflicts, s.deadlocks, s.temp_files::int8, s.temp_bytes,
           age(d.datfrozenxid)::int8, s.stats_reset
    FROM pg_database d
    LEFT JOIN pg_stat_database s ON s.datid = d.oid
    WHERE NOT d.datistemplate AND d.datallowconn
    ORDER BY d.datname";

impl Monitor {
    pub async fn databases(&self, server: &Server) -> Result<Vec<LiveDatabase>, MonitorError> {
        self.with_client(server, live_db(server), |c| async move {
            let rows = c.query(DATABASES, &[]).await?;
            Ok(rows
                .iter()
                .map(|r| {
                    let (read, hit): (Option<i64>, Option<i64>) = (r.get(5), r.get(6));
                    LiveDatabase {
                        datname: r.get(0),
                        size_bytes: r.get(1),
                        numbackends: r.get(2),
                        xact_commit: r.get(3),
                        xact_rollback: r.get(4),
                        blks_read: read,
                        blks_hit: hit,
                        cache_hit_ratio: hit_ratio(hit, read),
                        tup_returned: r.get(7),
                        tup_fetched: r.get(8),
                        tup_inserted: r.get(9),
                        tup_updated: r.get(10),
                        tup_deleted: r.get(11),
                        conflicts: r.get(12),
                        deadlocks: r.get(13),
                        temp_files: r.get(14),
                        temp_bytes: r.get(15),
                        frozen_xid_age: r.get(16),
                        stats_reset: iso(r.get(17)),
                    }
                })
                .collect())
        })
        .await
    }
}

fn hit_ratio(hit: Option<i64>, read: Option<i64>) -> Option<f64> {
    let (hit, read) = (hit? as f64, read? as f64);
    (hit + read > 0.0).then(|| hit / (hit + read))
}
