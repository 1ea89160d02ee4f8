//! Failures of talking to a monitored server, and how each reads in a status string.

use std::io;

#[derive(Debug, thiserror::Error)]
pub enum MonitorError {
    #[error("operation timeout")]
    Timeout,
    #[error("{0}")]
    Postgres(#[from] tokio_postgres::Error),
    #[error("pool: {0}")]
    Pool(String),
    #[error(transparent)]
    Store(#[from] pgmon_common::Error),
}

impl From<deadpool_postgres::PoolError> for MonitorError {
    fn from(e: deadpool_postgres::PoolError) -> MonitorError {
        use deadpool_postgres::PoolError as P;
        match e {
            P::Backend(pg) => MonitorError::Postgres(pg),
            P::Timeout(_) => MonitorError::Timeout,
            other => MonitorError::Pool(other.to_string()),
        }
    }
}

impl MonitorError {
    /// The SPEC A4 status text: `PostgreSQL: host unreachable`, `PostgreSQL: operation timeout`
    /// or `PostgreSQL: <first 50 characters of the error>`.
    pub fn status(&self) -> String {
        format!(
            "PostgreSQL: {}",
            self.reason().chars().take(50).collect::<String>()
        )
    }

    /// What went wrong, in full: `host unreachable`, `operation timeout` or the server's message.
    pub fn reason(&self) -> String {
        if let MonitorError::Postgres(e) = self {
            if let Some(why) = super::tls::failure_reason(e) {
                return why;
            }
            if ssl_required(e) {
                return "SSL required by server".into();
            }
        }
        match self {
            MonitorError::Timeout => "operation timeout".to_owned(),
            // Any socket-level failure (refused, no route, name not resolved, reset) means the
            // host cannot be talked to; only a timeout is told apart.
            MonitorError::Postgres(e) if cleartext_refused(e) => {
                super::connect::CleartextRefused.to_string()
            }
            MonitorError::Postgres(e) => match io_kind(e) {
                Some(io::ErrorKind::TimedOut) => "operation timeout".to_owned(),
                Some(_) => "host unreachable".to_owned(),
                None => postgres_message(e),
            },
            other => other.to_string(),
        }
    }

    /// The server's SQLSTATE code, for errors the server reported.
    pub fn sqlstate(&self) -> Option<&str> {
        match self {
            MonitorError::Postgres(e) => e.as_db_error().map(|db| db.code().code()),
            _ => None,
        }
    }

    /// Whether the server could not be talked to at all (refused, unreachable, timed out,
    /// starting up or shutting down), as opposed to answering with an error.
    pub fn is_unreachable(&self) -> bool {
        match self {
            MonitorError::Timeout | MonitorError::Pool(_) => true,
            MonitorError::Postgres(e) => {
                io_kind(e).is_some()
                    || e.is_closed()
                    || e.as_db_error().is_some_and(|db| {
                        let code = db.code().code();
                        code.starts_with("57P") || code.starts_with("08")
                    })
            }
            MonitorError::Store(_) => false,
        }
    }

    /// Whether the connection itself broke (worth one retry on a fresh connection).
    pub fn is_broken_connection(&self) -> bool {
        matches!(self, MonitorError::Postgres(e)
            if (e.is_closed() || io_kind(e).is_some()) && !cleartext_refused(e))
    }
}

/// pg_hba.conf has only `hostssl` lines for us and we came without TLS (`sslmode=disable`):
/// PostgreSQL says "no pg_hba.conf entry ... no encryption" (before 15: "SSL off").
fn ssl_required(e: &tokio_postgres::Error) -> bool {
    e.as_db_error().is_some_and(|db| {
        db.code().code() == "28000"
            && (db.message().contains("no encryption") || db.message().contains("SSL off"))
    })
}

/// The server's own message for database errors, the driver's otherwise.
pub fn postgres_message(e: &tokio_postgres::Error) -> String {
    match e.as_db_error() {
        Some(db) => db.message().to_owned(),
        None => e.to_string(),
    }
}

/// The first I/O error in the chain of `e`.
fn io_error(e: &tokio_postgres::Error) -> Option<&io::Error> {
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        if let Some(io) = s.downcast_ref::<io::Error>() {
            return Some(io);
        }
        source = s.source();
    }
    None
}

fn io_kind(e: &tokio_postgres::Error) -> Option<io::ErrorKind> {
    io_error(e).map(io::Error::kind)
}

fn cleartext_refused(e: &tokio_postgres::Error) -> bool {
    io_error(e)
        .and_then(io::Error::get_ref)
        .is_some_and(|inner| inner.is::<super::connect::CleartextRefused>())
}
