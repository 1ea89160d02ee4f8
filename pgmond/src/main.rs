//! `pgmond`: the pgmon daemon.

mod api;
mod first_start;
mod server;
mod settings;
mod state;

use std::io::IsTerminal;

use anyhow::Context;
use clap::Parser;
use tokio::net::TcpListener;
use tracing_subscriber::EnvFilter;

use settings::Settings;
use state::AppState;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let settings = Settings::parse();
    init_logging(&settings.log_level);
    match run(settings).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!("{e:#}");
            eprintln!("pgmond: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn run(settings: Settings) -> anyhow::Result<()> {
    let root = settings.config_dir.clone();
    let dir = tokio::task::spawn_blocking(move || first_start::prepare(&root)).await??;
    let listener = TcpListener::bind(settings.listen)
        .await
        .with_context(|| format!("listening on {}", settings.listen))?;
    tracing::info!(
        listen = %listener.local_addr()?,
        config_dir = %settings.config_dir.display(),
        version = env!("CARGO_PKG_VERSION"),
        "pgmond started"
    );
    server::run(listener, AppState::new(dir), server::shutdown_signal()).await?;
    tracing::info!("pgmond stopped");
    Ok(())
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
