//! `pgmond`: the pgmon daemon.

mod api;
mod auth;
mod collector;
mod first_start;
mod fleet;
mod listen;
mod metrics;
mod monitor;
mod settings;
mod ssh;
mod state;

use std::io::IsTerminal;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use clap::Parser;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tracing_subscriber::EnvFilter;

use auth::jwt::TokenKeys;
use pgmond::history;
use settings::{DEFAULT_ADMIN_SOCKET, FileSettings, Flags};
use state::AppState;

/// Environment variable that overrides the `secret_key` file as the JWT signing secret.
const SECRET_KEY_ENV: &str = "SECRET_KEY";
/// Shortest JWT secret accepted, from the environment as from the file.
const MIN_SECRET_LEN: usize = 32;
/// How long exit waits for blocking work still running (a key derivation, a store write).
const BLOCKING_GRACE: Duration = Duration::from_secs(2);

fn main() -> std::process::ExitCode {
    let flags = Flags::parse();
    init_logging(&flags.log_level);
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("pgmond: starting the runtime: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    let outcome = runtime.block_on(run(flags));
    // Dropping a runtime waits for its blocking threads without end; the drain bound would
    // mean little if one long job could still hold the exit up.
    runtime.shutdown_timeout(BLOCKING_GRACE);
    match outcome {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!("{e:#}");
            eprintln!("pgmond: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn run(flags: Flags) -> anyhow::Result<()> {
    let root = flags.config_dir.clone();
    let (dir, snapshot) = tokio::task::spawn_blocking(move || {
        let dir = first_start::prepare(&root)?;
        let snapshot = fleet::Snapshot::read(&dir)?;
        anyhow::Ok((dir, snapshot))
    })
    .await??;
    let file = FileSettings::load(&flags.config_dir)?;
    // Loaded now, so requests never read the key file.
    dir.cipher()?;
    let secret = match std::env::var(SECRET_KEY_ENV) {
        Ok(s) if s.len() < MIN_SECRET_LEN && !s.is_empty() => anyhow::bail!(
            "{SECRET_KEY_ENV} is {} bytes long: at least {MIN_SECRET_LEN} are needed",
            s.len()
        ),
        Ok(s) if !s.is_empty() => s,
        _ => dir.read_secret_key()?,
    };
    let history_dir = flags.config_dir.clone();
    let store =
        tokio::task::spawn_blocking(move || history::HistoryStore::open(&history_dir)).await??;
    let schedule = file.schedule();
    let settings = collector::settings_file::load(&dir)?;
    let mut state = AppState::new(
        dir.with_min_password_length(file.min_password_length),
        TokenKeys::new(secret.as_bytes(), file.token_lifetime()),
        file.cache_ttls(),
        file.max_servers,
        auth::throttle::LoginThrottle::new(file.throttle_limits()),
        (store, schedule, settings),
        snapshot,
    );
    state.metrics_token = file.metrics_token.as_deref().map(Arc::from);
    let app = api::router(state.clone(), &file);
    let metrics_tcp = match file.metrics_listen {
        Some(addr) => Some(
            TcpListener::bind(addr)
                .await
                .with_context(|| format!("metrics_listen on {addr}"))?,
        ),
        None => None,
    };

    let tcp = TcpListener::bind(flags.listen)
        .await
        .with_context(|| format!("listening on {}", flags.listen))?;
    let admin = admin_socket(&flags, &file).await?;
    tracing::info!(
        listen = %tcp.local_addr()?,
        admin_socket = ?admin.as_ref().map(|(_, p)| p.display().to_string()),
        config_dir = %flags.config_dir.display(),
        version = env!("CARGO_PKG_VERSION"),
        "pgmond started"
    );
    let shutdown = CancellationToken::new();
    tokio::spawn(listen::cancel_on_signal(shutdown.clone()));
    let collector = tokio::spawn(state.collector.clone().run(shutdown.clone()));
    tokio::spawn(state.fleet.clone().run(shutdown.clone()));
    tokio::spawn(
        state
            .monitor
            .clone()
            .refresh_statuses(state.fleet.clone(), shutdown.clone()),
    );
    if let Some(tcp) = metrics_tcp {
        tracing::info!(metrics_listen = %tcp.local_addr()?, "serving /metrics without authentication");
        let app = api::metrics_router(state.metrics.clone());
        let (shutdown, limits) = (shutdown.clone(), file.serve_limits());
        tokio::spawn(async move {
            if let Err(e) = listen::serve(tcp, None, app, shutdown, limits).await {
                tracing::error!(error = %e, "the metrics listener stopped");
            }
        });
    }
    listen::serve(tcp, admin, app, shutdown, file.serve_limits()).await?;
    collector.await?;
    state.monitor.close();
    tracing::info!("pgmond stopped");
    Ok(())
}

/// The admin socket: where the flag or `pgmond.toml` says (failing to bind it is an error), else
/// the default path, skipped with a warning when its folder is missing or not ours (a
/// development run outside systemd).
async fn admin_socket(
    flags: &Flags,
    file: &FileSettings,
) -> anyhow::Result<Option<(tokio::net::UnixListener, PathBuf)>> {
    if let Some(path) = flags
        .admin_socket
        .clone()
        .or_else(|| file.admin_socket.clone())
    {
        let listener = listen::bind_admin_socket(&path).await?;
        return Ok(Some((listener, path)));
    }
    let path = PathBuf::from(DEFAULT_ADMIN_SOCKET);
    match listen::bind_admin_socket(&path).await {
        Ok(listener) => Ok(Some((listener, path))),
        Err(e) => {
            tracing::warn!(error = %format!("{e:#}"), "admin socket disabled");
            Ok(None)
        }
    }
}

/// Logs go to stderr (journald picks them up), without colours unless on a terminal.
fn init_logging(level: &str) {
    let filter = EnvFilter::try_new(level).unwrap_or_else(|_| EnvFilter::new("info"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .init();
}
