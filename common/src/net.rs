//! Small network helpers with the timeouts every network call must have.

use std::time::Duration;

use tokio::net::TcpStream;
use tokio::time::timeout;

/// Timeout of the reachability check made before a server is added.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// Whether a TCP connection to `host:port` opens within `limit` (name resolution included).
pub async fn is_reachable(host: &str, port: u16, limit: Duration) -> bool {
    let host = host.trim_start_matches('[').trim_end_matches(']');
    matches!(
        timeout(limit, TcpStream::connect((host, port))).await,
        Ok(Ok(_))
    )
}
