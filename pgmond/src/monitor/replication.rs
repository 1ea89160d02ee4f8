//! `GET /server/{name}/replication`: WAL senders with their lag, replication slots with the WAL
//! each holds back, and a standby's own recovery state. The slots' `wal_status` and
//! `safe_wal_size` exist from PostgreSQL 13; everything else is in 12.

use pgmon_common::api::replication::{Sender, ServerReplication, Slot, Standby};
use pgmon_common::servers::Server;

use super::{Monitor, MonitorError, live_db};
use crate::history::window::iso;

/// The server's newest WAL position: written on a primary, received on a standby (where
/// `pg_current_wal_lsn()` is an error).
const NEWEST_LSN: &str = "(SELECT CASE WHEN pg_is_in_recovery() THEN pg_last_wal_receive_lsn()
                                 ELSE pg_current_wal_lsn() END AS lsn) cur";

const SENDERS: &str = "
    SELECT r.pid, r.usename::text, r.application_name, host(r.client_addr), r.state,
           r.sync_state, r.sent_lsn::text, r.write_lsn::text, r.flush_lsn::text,
           r.replay_lsn::text, pg_wal_lsn_diff(cur.lsn, r.write_lsn)::int8,
           pg_wal_lsn_diff(cur.lsn, r.flush_lsn)::int8, pg_wal_lsn_diff(cur.lsn, r.replay_lsn)::int8,
           extract(epoch FROM r.write_lag)::float8, extract(epoch FROM r.flush_lag)::float8,
           extract(epoch FROM r.replay_lag)::float8, r.backend_start
    FROM pg_stat_replication r, {newest}
    ORDER BY r.application_name, r.pid";

/// `{wal_status}` and `{safe_wal_size}` are the columns from PostgreSQL 13, NULLs before.
const SLOTS: &str = "
    SELECT s.slot_name::text, s.slot_type, s.plugin::text, s.database::text, s.active,
           s.active_pid, s.restart_lsn::text, pg_wal_lsn_diff(cur.lsn, s.restart_lsn)::int8,
           {wal_status}, {safe_wal_size}
    FROM pg_replication_slots s, {newest}
    ORDER BY s.slot_name";

const STANDBY: &str = "
    SELECT pg_last_wal_receive_lsn()::text, pg_last_wal_replay_lsn()::text,
           pg_wal_lsn_diff(pg_last_wal_receive_lsn(), pg_last_wal_replay_lsn())::int8,
           extract(epoch FROM now() - pg_last_xact_replay_timestamp())::float8,
           pg_last_xact_replay_timestamp(), pg_is_wal_replay_paused(),
           w.status, w.sender_host, w.sender_port, w.slot_name::text
    FROM (SELECT 1) one LEFT JOIN pg_stat_wal_receiver w ON true";

impl Monitor {
    /// Senders, slots and (on a standby) recovery; findings are the caller's.
    pub async fn replication(&self, server: &Server) -> Result<ServerReplication, MonitorError> {
        self.with_client(
            server,
            live_db(server),
            |c| async move { Ok(read(&c).await?) },
        )
        .await
    }
}

/// What `client`'s server says of its replication (the collector reads it too, for the
/// metrics).
pub async fn read(c: &tokio_postgres::Client) -> Result<ServerReplication, tokio_postgres::Error> {
    let head = c
        .query_one(
            "SELECT pg_is_in_recovery(), current_setting('server_version_num')::int",
            &[],
        )
        .await?;
    let (in_recovery, version): (bool, i32) = (head.get(0), head.get(1));
    let (wal_status, safe_wal_size) = if version >= 130_000 {
        ("s.wal_status", "s.safe_wal_size")
    } else {
        ("NULL::text", "NULL::int8")
    };
    let senders = SENDERS.replace("{newest}", NEWEST_LSN);
    let slots = SLOTS
        .replace("{newest}", NEWEST_LSN)
        .replace("{wal_status}", wal_status)
        .replace("{safe_wal_size}", safe_wal_size);
    // One at a time: the collector reads this on each of a thousand connections, and
    // statements sent together keep their buffers large (see collector::sample).
    let senders = c.query(&senders, &[]).await?;
    let slots = c.query(&slots, &[]).await?;
    let standby = match in_recovery {
        true => Some(c.query_one(STANDBY, &[]).await?),
        false => None,
    };
    Ok(ServerReplication {
        in_recovery: Some(in_recovery),
        senders: senders.iter().map(sender).collect(),
        slots: slots.iter().map(slot).collect(),
        standby: standby.as_ref().map(standby_state),
        findings: Vec::new(),
        error: None,
    })
}

fn sender(r: &tokio_postgres::Row) -> Sender {
    Sender {
        pid: r.get(0),
        usename: r.get(1),
        application_name: r.get(2),
        client_addr: r.get(3),
        state: r.get(4),
        sync_state: r.get(5),
        sent_lsn: r.get(6),
        write_lsn: r.get(7),
        flush_lsn: r.get(8),
        replay_lsn: r.get(9),
        write_lag_bytes: r.get(10),
        flush_lag_bytes: r.get(11),
        replay_lag_bytes: r.get(12),
        write_lag_seconds: r.get(13),
        flush_lag_seconds: r.get(14),
        replay_lag_seconds: r.get(15),
        backend_start: iso(r.get(16)),
    }
}

fn slot(r: &tokio_postgres::Row) -> Slot {
    Slot {
        slot_name: r.get(0),
        slot_type: r.get(1),
        plugin: r.get(2),
        database: r.get(3),
        active: r.get(4),
        active_pid: r.get(5),
        restart_lsn: r.get(6),
        retained_bytes: r.get(7),
        wal_status: r.get(8),
        safe_wal_size: r.get(9),
    }
}

fn standby_state(r: &tokio_postgres::Row) -> Standby {
    Standby {
        receive_lsn: r.get(0),
        replay_lsn: r.get(1),
        replay_lag_bytes: r.get(2),
        replay_delay_seconds: r.get(3),
        last_replay_at: iso(r.get(4)),
        replay_paused: r.get(5),
        receiver_status: r.get(6),
        sender_host: r.get(7),
        sender_port: r.get(8),
        slot_name: r.get(9),
    }
}
