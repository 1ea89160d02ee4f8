//! `pgmond` as a library: [`run`] is the daemon the binary starts; [`serve`] runs the same daemon
//! on listeners its caller has bound (the end-to-end tests bind port 0 and serve in their own
//! process); [`history`] is the store its benchmarks drive directly.

pub mod alerts;
mod api;
mod audit;
mod auth;
pub mod checks;
mod collector;
pub use collector::sample::SessionAges;
pub use collector::{LatestSample, Live};
mod first_start;
mod fleet;
pub mod history;
mod listen;
mod metrics;
mod monitor;
mod settings;
mod ssh;
mod state;
mod store;
mod web;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::Context;
use tokio::net::{TcpListener, UnixListener};
use tokio_util::sync::CancellationToken;

use auth::jwt::TokenKeys;
use settings::{DEFAULT_ADMIN_SOCKET, FileSettings};
use state::AppState;

pub use settings::Flags;
pub use store::leases::owner as lease_owner;
pub use store::migrate::{MigrateError, Place, Report as MigrationReport, migrate};

/// Environment variable that overrides the `secret_key` file as the JWT signing secret.
const SECRET_KEY_ENV: &str = "SECRET_KEY";
/// Shortest JWT secret accepted, from the environment as from the file.
const MIN_SECRET_LEN: usize = 32;

/// The sockets a daemon serves on, bound by its caller.
pub struct Listeners {
    /// The HTTP API.
    pub tcp: TcpListener,
    /// The admin socket and its path (removed at shutdown); callers on it act as admin.
    pub admin: Option<(UnixListener, PathBuf)>,
    /// `/metrics` alone, without authentication (`metrics_listen` of pgmond.toml).
    pub metrics: Option<TcpListener>,
}

/// The daemon as the binary runs it: prepares the config dir, binds what the flags and
/// `pgmond.toml` say, and serves until SIGTERM or SIGINT.
pub async fn run(flags: Flags) -> anyhow::Result<()> {
    let daemon = Daemon::open(&flags.config_dir).await?;
    let metrics = match daemon.file.metrics_listen {
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
    let admin = admin_socket(&flags, &daemon.file).await?;
    let shutdown = CancellationToken::new();
    tokio::spawn(listen::cancel_on_signal(shutdown.clone()));
    let listeners = Listeners {
        tcp,
        admin,
        metrics,
    };
    daemon.serve(listeners, shutdown).await
}

/// Serves the config dir `config_dir` (prepared on a first start, as [`run`] does) on
/// `listeners` until `shutdown` is cancelled, then stops its collector and closes its pools.
/// Reads `SECRET_KEY` and, on a first start, `PGMON_ADMIN_PASSWORD` from the environment as
/// the binary does.
pub async fn serve(
    config_dir: &Path,
    listeners: Listeners,
    shutdown: CancellationToken,
) -> anyhow::Result<()> {
    Daemon::open(config_dir)
        .await?
        .serve(listeners, shutdown)
        .await
}

/// A config dir made ready to serve: files read, store open, state built.
struct Daemon {
    config_dir: PathBuf,
    file: FileSettings,
    state: AppState,
    /// The HTTPS certificate and key, when `tls_cert` is set.
    tls: Option<Arc<listen::tls::Tls>>,
}

impl Daemon {
    async fn open(config_dir: &Path) -> anyhow::Result<Daemon> {
        let root = config_dir.to_owned();
        let dir = tokio::task::spawn_blocking(move || first_start::prepare(&root)).await??;
        let file = FileSettings::load(config_dir)?;
        monitor::use_name_servers(&file.dns_servers);
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
        let history_dir = config_dir.to_owned();
        let store = tokio::task::spawn_blocking(move || history::HistoryStore::open(&history_dir))
            .await??;
        let shared = match &file.store {
            None => None,
            Some(url) => {
                let tls = monitor::tls::TlsSettings::for_store(
                    &Arc::new(file.tls_files_rule(config_dir)),
                    file.store_sslrootcert.clone(),
                );
                let shared = store::Shared::open(url, tls).await?;
                tracing::info!(store = %shared.describe(), replica = %shared.replica, "shared store");
                Some(Arc::new(shared))
            }
        };
        let dir = Arc::new(dir.with_min_password_length(file.min_password_length));
        let config = Arc::new(store::documents::ConfigStore::new(
            Arc::clone(&dir),
            shared.clone(),
        ));
        // The store's config first: the snapshot below is read from the copy.
        config.follow().await?;
        let snapshot = {
            let dir = Arc::clone(&dir);
            tokio::task::spawn_blocking(move || fleet::Snapshot::read(&dir)).await??
        };
        let mut schedule = file.schedule();
        if shared.is_some() && schedule.legacy_import {
            // Imported rows would stay in the importing replica's own history: with a shared
            // store, servers naming a stats database are answered from it live, on every
            // replica alike.
            tracing::info!("legacy_import is off with a shared store");
            schedule.legacy_import = false;
        }
        let settings = collector::settings_file::load(&dir)?;
        let mut audit = audit::AuditLog::new(
            config_dir,
            file.audit_max_bytes,
            file.audit_retention_days,
            file.audit_max_files,
        );
        let mut throttle = auth::throttle::LoginThrottle::new(file.throttle_limits());
        let sessions = match &shared {
            None => auth::sessions::Sessions::load(&dir)?,
            Some(s) => {
                audit = audit.in_store(Arc::clone(s));
                throttle = throttle.shared_through(Arc::clone(s));
                let sessions = auth::sessions::Sessions::in_store(&dir, Arc::clone(s));
                sessions.copy_from_store().await?;
                sessions
            }
        };
        let mut state = AppState::new(
            config,
            (
                TokenKeys::new(
                    secret.as_bytes(),
                    file.token_lifetime(),
                    file.refresh_lifetime(),
                ),
                sessions,
                audit,
            ),
            (file.cache_ttls(), file.tls_files_rule(config_dir)),
            file.max_servers,
            throttle,
            (store, schedule, settings),
            snapshot,
        );
        state.metrics_token = file.metrics_token.as_deref().map(Arc::from);
        let tls = match file.tls_files(config_dir) {
            None => None,
            Some((cert, key)) => Some(Arc::new(
                tokio::task::spawn_blocking(move || listen::tls::Tls::load(cert, key)).await??,
            )),
        };
        Ok(Daemon {
            config_dir: config_dir.to_owned(),
            file,
            state,
            tls,
        })
    }

    async fn serve(self, listeners: Listeners, shutdown: CancellationToken) -> anyhow::Result<()> {
        let Daemon {
            config_dir,
            file,
            state,
            tls,
        } = self;
        let app = api::router(state.clone(), &file);
        let scheme = if tls.is_some() { "https" } else { "http" };
        let console = match file.ui {
            true => format!("{scheme}://{}/ui/", listeners.tcp.local_addr()?),
            false => "off (ui = false)".to_owned(),
        };
        tracing::info!(
            listen = %listeners.tcp.local_addr()?,
            %console,
            admin_socket = ?listeners.admin.as_ref().map(|(_, p)| p.display().to_string()),
            config_dir = %config_dir.display(),
            version = env!("CARGO_PKG_VERSION"),
            "pgmond started"
        );
        let collector = tokio::spawn(state.collector.clone().run(shutdown.clone()));
        let shared = follow_shared_store(&state, &shutdown);
        let alerts = tokio::spawn(state.alerts.clone().run(shutdown.clone()));
        tokio::spawn(state.fleet.clone().run(shutdown.clone()));
        tokio::spawn(
            state
                .sessions
                .clone()
                .compact_in_background(shutdown.clone()),
        );
        let leases = state.collector.leases().clone();
        tokio::spawn(state.monitor.clone().refresh_statuses(
            state.fleet.clone(),
            move |servers| leases.hold_each(servers.iter().map(|s| s.name.as_str())),
            shutdown.clone(),
        ));
        if let Some(tcp) = listeners.metrics {
            tracing::info!(metrics_listen = %tcp.local_addr()?, "serving /metrics without authentication");
            let app = api::metrics_router(state.metrics.clone());
            let (shutdown, limits) = (shutdown.clone(), file.serve_limits());
            tokio::spawn(async move {
                if let Err(e) = listen::serve((tcp, None), None, app, shutdown, limits).await {
                    tracing::error!(error = %e, "the metrics listener stopped");
                }
            });
        }
        if tls.is_some() {
            tracing::info!("serving HTTPS");
        }
        tokio::spawn(listen::tls::reload_on_sighup(tls.clone(), shutdown.clone()));
        listen::serve(
            (listeners.tcp, tls),
            listeners.admin,
            app,
            shutdown,
            file.serve_limits(),
        )
        .await?;
        collector.await?;
        alerts.await?;
        for task in shared {
            task.await?;
        }
        state.monitor.close();
        tracing::info!("pgmond stopped");
        Ok(())
    }
}

/// With a shared store: the tasks that follow it (its announcements, the config, sessions and
/// logins of other replicas, every replica's samples), hold this replica's leases and write
/// its samples. Those whose end matters at shutdown (leases given up, samples written) are
/// returned.
fn follow_shared_store(
    state: &AppState,
    shutdown: &CancellationToken,
) -> Vec<tokio::task::JoinHandle<()>> {
    let Some(shared) = state.config.shared().cloned() else {
        return Vec::new();
    };
    tokio::spawn(Arc::clone(&shared).listen(shutdown.clone()));
    let collector = state.collector.clone();
    tokio::spawn(
        Arc::clone(&state.config).follow_until(shutdown.clone(), move || {
            let collector = Arc::clone(&collector);
            tokio::spawn(async move { collector.reload_settings().await });
        }),
    );
    tokio::spawn(state.sessions.clone().follow_store(shutdown.clone()));
    tokio::spawn(state.throttle.clone().follow_store(shutdown.clone()));
    tokio::spawn(
        state
            .collector
            .clone()
            .follow_shared_checks(shutdown.clone()),
    );
    tokio::spawn(store::samples::copy_into(
        Arc::clone(&shared),
        state.collector.store().clone(),
        shutdown.clone(),
    ));
    let fleet = state.fleet.clone();
    let sampled = move || fleet.get().servers.iter().map(|s| s.name.clone()).collect();
    let mut ending = vec![tokio::spawn(
        Arc::clone(state.collector.leases()).run(sampled, shutdown.clone()),
    )];
    if let Some(outbox) = state.collector.outbox() {
        ending.push(tokio::spawn(
            Arc::clone(outbox).deliver(shared, shutdown.clone()),
        ));
    }
    ending
}

/// The admin socket: where the flag or `pgmond.toml` says (failing to bind it is an error), else
/// the default path, skipped with a warning when its folder is missing or not ours (a
/// development run outside systemd).
async fn admin_socket(
    flags: &Flags,
    file: &FileSettings,
) -> anyhow::Result<Option<(UnixListener, PathBuf)>> {
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
