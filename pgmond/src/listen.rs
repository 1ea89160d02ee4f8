//! Serving the API on TCP and on the admin Unix socket until shutdown. Both take listeners that
//! are already bound, so `main` and tests start them the same way.

use std::fs;
use std::io::{self, ErrorKind};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use axum::Router;
use axum::extract::connect_info::Connected;
use axum::serve::IncomingStream;
use tokio::net::{TcpListener, UnixListener, UnixStream};
use tokio_util::sync::CancellationToken;

/// Mode of the admin socket: the daemon's user and group may connect, nobody else.
const SOCKET_MODE: u32 = 0o660;

/// Who is on the other end of an admin-socket connection (SO_PEERCRED).
#[derive(Clone, Copy, Debug)]
pub struct SocketPeer {
    pub uid: u32,
    pub pid: Option<i32>,
}

impl Connected<IncomingStream<'_, UnixListener>> for SocketPeer {
    fn connect_info(stream: IncomingStream<'_, UnixListener>) -> SocketPeer {
        match stream.io().peer_cred() {
            Ok(cred) => SocketPeer {
                uid: cred.uid(),
                pid: cred.pid(),
            },
            // Without credentials the caller is logged as uid u32::MAX; the socket's 0660 mode
            // already limited who could connect.
            Err(_) => SocketPeer {
                uid: u32::MAX,
                pid: None,
            },
        }
    }
}

/// Binds the admin socket. A live daemon already on it is an error; a stale file left by a
/// crash is removed.
pub async fn bind_admin_socket(path: &Path) -> anyhow::Result<UnixListener> {
    if fs::symlink_metadata(path).is_ok() {
        if UnixStream::connect(path).await.is_ok() {
            bail!(
                "another pgmond is serving the admin socket {}",
                path.display()
            );
        }
        fs::remove_file(path)
            .with_context(|| format!("removing stale socket {}", path.display()))?;
    }
    let listener = UnixListener::bind(path)
        .with_context(|| format!("binding admin socket {}", path.display()))?;
    fs::set_permissions(path, fs::Permissions::from_mode(SOCKET_MODE))
        .with_context(|| format!("setting mode of {}", path.display()))?;
    Ok(listener)
}

/// Serves `app` on TCP and, if given, the admin socket, until `shutdown` is cancelled; then
/// stops accepting, lets requests in flight finish and removes the socket file.
pub async fn serve(
    tcp: TcpListener,
    admin: Option<(UnixListener, PathBuf)>,
    app: Router,
    shutdown: CancellationToken,
) -> io::Result<()> {
    let tcp_server = axum::serve(tcp, app.clone().into_make_service())
        .with_graceful_shutdown(shutdown.clone().cancelled_owned());
    match admin {
        None => tcp_server.await,
        Some((listener, path)) => {
            let unix_server = axum::serve(
                listener,
                app.into_make_service_with_connect_info::<SocketPeer>(),
            )
            .with_graceful_shutdown(shutdown.cancelled_owned());
            let result = tokio::try_join!(async { tcp_server.await }, async { unix_server.await });
            match fs::remove_file(&path) {
                Err(e) if e.kind() != ErrorKind::NotFound => {
                    tracing::warn!(path = %path.display(), error = %e, "could not remove admin socket")
                }
                _ => {}
            }
            result.map(|_| ())
        }
    }
}

/// Cancels `token` on SIGTERM (systemd stop) or SIGINT (Ctrl-C).
pub async fn cancel_on_signal(token: CancellationToken) -> io::Result<()> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut term = signal(SignalKind::terminate())?;
    let mut int = signal(SignalKind::interrupt())?;
    tokio::select! {
        _ = term.recv() => tracing::info!("SIGTERM received, shutting down"),
        _ = int.recv() => tracing::info!("SIGINT received, shutting down"),
    }
    token.cancel();
    Ok(())
}
