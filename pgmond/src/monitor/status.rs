//! The live part of a server's status object (SPEC A4): version, sessions by state, uptime and
//! data directory, read in one round trip of two pipelined queries.

use serde_json::{Map, Value};
use tokio_postgres::Client;

use super::error::MonitorError;

/// Whether this session is encrypted comes from `pg_stat_ssl` (PostgreSQL 9.5 and later).
/// `data_directory` is readable only with `pg_read_all_settings` (or as superuser); others get
/// null rather than an error.
const SETTINGS: &str = "
    SELECT current_setting('server_version'),
           CASE WHEN pg_has_role(current_user, 'pg_read_all_settings', 'MEMBER')
                THEN current_setting('data_directory') END,
           round((extract(epoch FROM now() - pg_postmaster_start_time()) / 3600)::numeric, 2)::float8,
           coalesce((SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()), false)";

/// Sessions by state; background processes have no state and count as "None", as the Python
/// backend's `str(None)` had it.
const CONNECTIONS: &str = "
    SELECT coalesce(state, 'None'), count(*)
    FROM pg_stat_activity
    GROUP BY 1
    ORDER BY 1";

#[derive(Clone, Debug)]
pub struct LiveFacts {
    pub version: String,
    pub data_dir: Option<String>,
    pub uptime_hours: f64,
    pub connections: Map<String, Value>,
    pub ssl: bool,
    /// Epoch seconds when the facts were read.
    pub at: f64,
}

pub async fn read(client: &Client) -> Result<LiveFacts, MonitorError> {
    let (settings, sessions) = tokio::try_join!(
        client.query_one(SETTINGS, &[]),
        client.query(CONNECTIONS, &[])
    )?;
    let connections = sessions
        .iter()
        .map(|r| (r.get::<_, String>(0), Value::from(r.get::<_, i64>(1))))
        .collect();
    Ok(LiveFacts {
        version: settings.get(0),
        data_dir: settings.get(1),
        uptime_hours: settings.get(2),
        ssl: settings.get(3),
        connections,
        at: now_epoch(),
    })
}

pub fn now_epoch() -> f64 {
    chrono::Utc::now().timestamp_micros() as f64 / 1e6
}
