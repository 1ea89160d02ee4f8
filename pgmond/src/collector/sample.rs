//! One sample of one server: every database's counters, size and freeze age, and the server's
//! sessions by state, read on one pooled connection in one round trip.

use std::collections::HashMap;

use deadpool_postgres::Client;
use pgmon_common::api::replication::ServerReplication;

use crate::history::answers::{Figures, INCREASES};
use crate::history::{Connections, DbObservation};
use crate::monitor::MonitorError;

/// Sizes need a `pg_database_size` per database (a walk of its files), so they are read only
/// when due (`$1`). A database the role may not connect to has no size rather than an error,
/// and creation times come from the `PG_VERSION` file's time, where the role may stat files.
/// Sessions are the clients': pgmon's own (backend pids `$2`) are not counted, so a database
/// nobody else uses shows none (the analysis calls it unused), as `/server_stats` leaves them
/// out too.
const DATABASES: &str = "
    SELECT d.oid::int8, d.datname::text,
           greatest(s.numbackends - coalesce(own.n, 0), 0)::int8, s.xact_commit, s.xact_rollback,
           s.blks_read, s.blks_hit, s.tup_returned, s.tup_fetched, s.tup_inserted,
           s.tup_updated, s.tup_deleted, s.temp_files::int8, s.temp_bytes, s.deadlocks,
           age(d.datfrozenxid)::int8,
           CASE WHEN $1 AND has_database_privilege(d.oid, 'CONNECT')
                THEN pg_database_size(d.oid) END,
           CASE WHEN has_function_privilege('pg_stat_file(text, boolean)', 'EXECUTE')
                THEN (pg_stat_file('base/' || d.oid || '/PG_VERSION', true)).modification END
    FROM pg_database d
    LEFT JOIN pg_stat_database s ON s.datid = d.oid
    LEFT JOIN (SELECT datid, count(*) AS n FROM pg_stat_activity
               WHERE pid = ANY($2::int4[]) GROUP BY datid) own ON own.datid = d.oid
    WHERE NOT d.datistemplate
    ORDER BY d.datname";

/// Client sessions by state (pgmon's own left out), the oldest transaction, idle-in-transaction
/// session, running query and lock wait (for the alerts), the connection limit, the freeze age at
/// which autovacuum forces a vacuum (for the wraparound analysis), the data directory (for
/// disk usage over SSH; readable with `pg_read_all_settings` only), version and start time.
const SERVER: &str = "
    SELECT count(*) FILTER (WHERE state = 'active'),
           count(*) FILTER (WHERE state = 'idle'),
           count(*) FILTER (WHERE state LIKE 'idle in transaction%'),
           count(*) FILTER (WHERE state IS NULL
                            OR state NOT IN ('active', 'idle')
                               AND state NOT LIKE 'idle in transaction%'),
           current_setting('max_connections')::int8,
           CASE WHEN pg_has_role(current_user, 'pg_read_all_settings', 'MEMBER')
                THEN current_setting('data_directory') END,
           current_setting('autovacuum_freeze_max_age')::int8,
           current_setting('server_version'),
           extract(epoch FROM pg_postmaster_start_time())::float8,
           max(extract(epoch FROM now() - xact_start))::float8,
           max(extract(epoch FROM now() - state_change))
               FILTER (WHERE state LIKE 'idle in transaction%')::float8,
           max(extract(epoch FROM now() - query_start)) FILTER (WHERE state = 'active')::float8,
           max(extract(epoch FROM now() - state_change))
               FILTER (WHERE wait_event_type = 'Lock')::float8
    FROM pg_stat_activity
    WHERE backend_type = 'client backend' AND pid <> ALL($1::int4[])";

/// The longest of each kind of wait among client sessions, in seconds (none: no such session).
/// A lock wait is timed from the session's last change of state, as PostgreSQL 12 and 13 have
/// no `waitstart`.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct SessionAges {
    pub transaction: Option<f64>,
    pub idle_in_transaction: Option<f64>,
    pub query: Option<f64>,
    pub lock_wait: Option<f64>,
}

/// The cumulative counters of a database, to turn the next sample's into increases.
pub type Counters = [i64; INCREASES.len()];

pub struct Read {
    pub connections: Connections,
    pub ages: SessionAges,
    pub max_connections: i64,
    pub freeze_max_age: i64,
    pub data_dir: Option<String>,
    pub version: String,
    pub started_at: f64,
    pub databases: Vec<DbObservation>,
    /// Senders, slots and a standby's delay, for the metrics.
    pub replication: ServerReplication,
}

/// Reads a sample. `previous` holds each database's counters and last size (by oid) from the
/// sample before, and is updated: increases are against it, and a size not read this time is
/// carried forward (each row has one, as the old collector's rows did).
pub async fn read(
    client: &Client,
    with_sizes: bool,
    previous: &mut HashMap<i64, (Counters, Option<i64>)>,
    own: Vec<i32>,
) -> Result<Read, MonitorError> {
    type Param<'a> = &'a (dyn tokio_postgres::types::ToSql + Sync);
    let db_params: [Param; 2] = [&with_sizes, &own];
    let server_params: [Param; 1] = [&own];
    let (dbs, server) = tokio::try_join!(
        client.query(DATABASES, &db_params),
        client.query_one(SERVER, &server_params)
    )?;
    // After, not beside, the two above: four more statements in flight at once grow every
    // connection's buffers for good (collector_load: 74 MiB resident for 1,000 servers
    // pipelined, 57 MiB after).
    let replication = crate::monitor::replication::read(client).await?;
    let mut next = HashMap::with_capacity(dbs.len());
    let databases = dbs
        .iter()
        .map(|r| {
            let oid: i64 = r.get(0);
            let counters: Counters =
                std::array::from_fn(|i| r.get::<_, Option<i64>>(4 + i).unwrap_or(0));
            let before = previous.get(&oid);
            let increases = std::array::from_fn(|i| {
                // A counter below its previous value was reset: it counts from zero again.
                before
                    .map(|(c, _)| counters[i] - c[i])
                    .map(|d| if d < 0 { counters[i] } else { d })
            });
            let size = r.get::<_, Option<i64>>(16).or(before.and_then(|(_, s)| *s));
            next.insert(oid, (counters, size));
            DbObservation {
                oid,
                datname: r.get(1),
                created_us: r
                    .get::<_, Option<chrono::DateTime<chrono::Utc>>>(17)
                    .map(|t| t.timestamp_micros()),
                figures: Figures::sample(r.get(2), r.get(3), size, r.get(15), increases),
            }
        })
        .collect();
    *previous = next;
    Ok(Read {
        connections: Connections {
            active: server.get(0),
            idle: server.get(1),
            idle_in_transaction: server.get(2),
            other: server.get(3),
        },
        ages: SessionAges {
            transaction: server.get(9),
            idle_in_transaction: server.get(10),
            query: server.get(11),
            lock_wait: server.get(12),
        },
        max_connections: server.get(4),
        data_dir: server.get(5),
        freeze_max_age: server.get(6),
        version: server.get(7),
        started_at: server.get(8),
        databases,
        replication,
    })
}
