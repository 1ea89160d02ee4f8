//! Serving the API on TCP and on the admin Unix socket until shutdown. Both take listeners that
//! are already bound, so `main` and tests start them the same way.
//!
//! pgmond drives hyper itself rather than through `axum::serve`, for what an API reachable from
//! an office network needs: a header-read timeout (which also ends idle keep-alive connections:
//! hyper starts it whenever it waits for a request), a cap on open TCP connections below the
//! descriptor limit, a separate small cap for the admin socket so it answers while TCP is full,
//! and a drain on shutdown that is bounded, so half-sent requests cannot hold SIGTERM up.

mod admin_socket;
mod canned;
pub mod tls;

use std::io::{self, ErrorKind};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::ConnectInfo;
use axum::serve::Listener;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::{TcpListener, TcpStream, UnixListener, UnixStream};
use tokio::sync::Semaphore;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tower::ServiceExt;

pub use admin_socket::bind_admin_socket;
use canned::JsonCannedErrors;

/// Connections the admin socket serves at once; its callers are admins' scripts.
const ADMIN_CONNECTIONS: usize = 64;
/// Descriptors kept free beyond the TCP cap: the admin socket's connections, pools to the
/// monitored servers, SSH, the config files.
const RESERVED_DESCRIPTORS: usize = 256;

/// Limits of the HTTP side, from `pgmond.toml`.
#[derive(Clone, Copy, Debug)]
pub struct ServeLimits {
    /// How long a client has to send a request's headers, and how long an idle keep-alive
    /// connection is kept.
    pub header_timeout: Duration,
    /// Open TCP connections at most (lowered to fit the descriptor limit).
    pub max_connections: usize,
    /// How long shutdown waits for requests in flight before closing their connections.
    pub drain: Duration,
}

impl ServeLimits {
    /// The TCP cap that fits `descriptors` (the soft `RLIMIT_NOFILE`) with room to spare.
    pub fn tcp_cap(&self, descriptors: usize) -> usize {
        self.max_connections
            .min(descriptors.saturating_sub(RESERVED_DESCRIPTORS))
            .max(1)
    }
}

/// Who is on the other end of an admin-socket connection (SO_PEERCRED).
#[derive(Clone, Copy, Debug)]
pub struct SocketPeer {
    pub uid: u32,
    pub pid: Option<i32>,
}

/// What a connection tells the handlers about its peer: the address on TCP (for throttling
/// and logs), the process on the admin socket.
trait Peer {
    fn peer(&self) -> Option<SocketPeer> {
        None
    }

    fn addr(&self) -> Option<SocketAddr> {
        None
    }
}

impl Peer for TcpStream {
    fn addr(&self) -> Option<SocketAddr> {
        self.peer_addr().ok()
    }
}

impl<I: Peer> Peer for tokio_rustls::server::TlsStream<I> {
    fn peer(&self) -> Option<SocketPeer> {
        self.get_ref().0.peer()
    }

    fn addr(&self) -> Option<SocketAddr> {
        self.get_ref().0.addr()
    }
}

impl Peer for UnixStream {
    fn peer(&self) -> Option<SocketPeer> {
        Some(match self.peer_cred() {
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
        })
    }
}

/// Raises the soft descriptor limit to the hard one and returns it: an API under a flood of
/// connections should run out of its own cap, not of descriptors.
pub fn raise_descriptor_limit() -> usize {
    use nix::sys::resource::{Resource, getrlimit, setrlimit};
    let Ok((soft, hard)) = getrlimit(Resource::RLIMIT_NOFILE) else {
        return 1024;
    };
    let now = if soft < hard && setrlimit(Resource::RLIMIT_NOFILE, hard, hard).is_ok() {
        hard
    } else {
        soft
    };
    usize::try_from(now).unwrap_or(usize::MAX)
}

/// Serves `app` on TCP and, if given, the admin socket, until `shutdown` is cancelled; then
/// stops accepting, lets requests in flight finish for at most the drain bound, and removes
/// the socket file.
pub async fn serve(
    (tcp, tls): (TcpListener, Option<Arc<tls::Tls>>),
    admin: Option<(UnixListener, PathBuf)>,
    app: Router,
    shutdown: CancellationToken,
    limits: ServeLimits,
) -> io::Result<()> {
    let cap = limits.tcp_cap(raise_descriptor_limit());
    tracing::debug!(tcp_connections = cap, "connection cap");
    let connections = TaskTracker::new();
    let tcp_loop = accept_loop(tcp, tls, cap, app.clone(), &shutdown, &connections, limits);
    let socket_path = match admin {
        None => {
            tcp_loop.await;
            None
        }
        Some((listener, path)) => {
            let admin_loop = accept_loop(
                listener,
                None,
                ADMIN_CONNECTIONS,
                app,
                &shutdown,
                &connections,
                limits,
            );
            tokio::join!(tcp_loop, admin_loop);
            Some(path)
        }
    };
    connections.close();
    if tokio::time::timeout(limits.drain, connections.wait())
        .await
        .is_err()
    {
        tracing::warn!(
            open = connections.len(),
            "drain time over: closing the remaining connections"
        );
    }
    if let Some(path) = socket_path {
        match std::fs::remove_file(&path) {
            Err(e) if e.kind() != ErrorKind::NotFound => {
                tracing::warn!(path = %path.display(), error = %e, "could not remove admin socket")
            }
            _ => {}
        }
    }
    Ok(())
}

/// Accepts connections while fewer than `cap` are open (past it, new ones wait in the kernel's
/// backlog), each served (over TLS when given) until it ends or shutdown.
async fn accept_loop<L>(
    mut listener: L,
    tls: Option<Arc<tls::Tls>>,
    cap: usize,
    app: Router,
    shutdown: &CancellationToken,
    connections: &TaskTracker,
    limits: ServeLimits,
) where
    L: Listener,
    L::Io: Peer,
{
    let open = Arc::new(Semaphore::new(cap));
    loop {
        let turn = tokio::select! {
            turn = Arc::clone(&open).acquire_owned() => turn,
            _ = shutdown.cancelled() => return,
        };
        let Ok(turn) = turn else { return };
        // `Listener::accept` retries on its own: after a connection error at once, after
        // running out of descriptors in a second.
        let (io, _) = tokio::select! {
            accepted = listener.accept() => accepted,
            _ = shutdown.cancelled() => return,
        };
        let (app, shutdown, tls) = (app.clone(), shutdown.clone(), tls.clone());
        connections.spawn(async move {
            match tls {
                None => serve_connection(io, app, shutdown, limits).await,
                Some(tls) => {
                    if let Some(io) = tls.handshake(io, limits.header_timeout).await {
                        serve_connection(io, app, shutdown, limits).await;
                    }
                }
            }
            drop(turn);
        });
    }
}

async fn serve_connection<I>(io: I, app: Router, shutdown: CancellationToken, limits: ServeLimits)
where
    I: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + Peer + 'static,
{
    let (peer, addr) = (io.peer(), io.addr());
    let service = hyper::service::service_fn(move |mut request: hyper::Request<Incoming>| {
        if let Some(p) = peer {
            request.extensions_mut().insert(ConnectInfo(p));
        }
        if let Some(a) = addr {
            request.extensions_mut().insert(ConnectInfo(a));
        }
        app.clone().oneshot(request.map(axum::body::Body::new))
    });
    let io = JsonCannedErrors::new(io);
    let connection = hyper::server::conn::http1::Builder::new()
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_timeout)
        .serve_connection(TokioIo::new(io), service);
    tokio::pin!(connection);
    let result = tokio::select! {
        result = connection.as_mut() => result,
        _ = shutdown.cancelled() => {
            // Idle connections close now; one mid-request finishes it (or the drain ends it).
            connection.as_mut().graceful_shutdown();
            connection.await
        }
    };
    if let Err(e) = result {
        tracing::debug!(error = %e, "connection ended with an error");
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
