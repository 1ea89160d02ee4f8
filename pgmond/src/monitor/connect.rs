//! How pgmon opens a session to a monitored server: its own TCP connect (timeout, keepalives),
//! then tokio-postgres's startup over a stream that watches the server's authentication
//! request. A server that asks for the password in cleartext over an unencrypted connection
//! is refused before the password is sent, as libpq's `require_auth=!password` does, unless the
//! server entry allows it (`"allow_cleartext_password": true`): anyone who can take over the
//! host name or address would otherwise collect it. Over TLS whose certificate was not checked
//! against `sslrootcert` the same watch reads the decrypted messages: such a certificate says
//! nothing of who answers.

use std::collections::HashMap;
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::pin::Pin;
use std::sync::atomic::{AtomicI32, Ordering};
use std::sync::{Arc, LazyLock, Mutex, OnceLock};
use std::task::{Context, Poll, ready};
use std::time::{Duration, Instant};

use deadpool_postgres::Connect;
use futures::future::BoxFuture;
use hickory_resolver::TokioResolver;
use hickory_resolver::config::ResolveHosts;
use socket2::{SockRef, TcpKeepalive};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio_postgres::{Client, Config, NoTls};

use super::pools::CONNECT_TIMEOUT;
use super::tls::{Connector, TlsSettings, TlsSetupError};
use tokio_postgres::tls::{ChannelBinding, MakeTlsConnect, TlsConnect, TlsStream};

/// The error a refused cleartext request carries inside the driver's I/O error, so the status
/// can name it.
#[derive(Debug, thiserror::Error)]
#[error("cleartext password refused (no verified TLS)")]
pub struct CleartextRefused;

/// The backend pids of pgmon's own open sessions, by `host:port`: how pgmon tells its own
/// sessions from others (an `application_name` is anyone's to set). Beside them, when each
/// endpoint's TLS certificate expires, as its last handshake showed (for the alerts).
#[derive(Default)]
pub struct OwnPids {
    pids: Mutex<HashMap<String, Vec<i32>>>,
    /// `notAfter`, seconds since the epoch.
    certificates: Mutex<HashMap<String, i64>>,
}

impl OwnPids {
    fn endpoint(host: &str, port: u16) -> String {
        format!("{host}:{port}")
    }

    /// pgmon's sessions open on `host:port` now.
    pub fn of(&self, host: &str, port: u16) -> Vec<i32> {
        let all = self.pids.lock().unwrap_or_else(|p| p.into_inner());
        all.get(&Self::endpoint(host, port))
            .cloned()
            .unwrap_or_default()
    }

    /// When the certificate `host:port` last showed expires (seconds since the epoch).
    pub fn certificate_expiry(&self, host: &str, port: u16) -> Option<i64> {
        let all = self.certificates.lock().unwrap_or_else(|p| p.into_inner());
        all.get(&Self::endpoint(host, port)).copied()
    }

    fn note_certificate(&self, host: &str, port: u16, not_after: i64) {
        let mut all = self.certificates.lock().unwrap_or_else(|p| p.into_inner());
        all.insert(Self::endpoint(host, port), not_after);
    }

    fn add(self: &Arc<Self>, host: &str, port: u16, pid: i32) -> Registered {
        let endpoint = Self::endpoint(host, port);
        let mut all = self.pids.lock().unwrap_or_else(|p| p.into_inner());
        all.entry(endpoint.clone()).or_default().push(pid);
        Registered {
            own: Arc::clone(self),
            endpoint,
            pid,
        }
    }
}

/// A session's place in [`OwnPids`], given up when the session ends.
struct Registered {
    own: Arc<OwnPids>,
    endpoint: String,
    pid: i32,
}

impl Drop for Registered {
    fn drop(&mut self) {
        let mut all = self.own.pids.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(pids) = all.get_mut(&self.endpoint) {
            if let Some(at) = pids.iter().position(|p| *p == self.pid) {
                pids.swap_remove(at);
            }
            if pids.is_empty() {
                all.remove(&self.endpoint);
            }
        }
    }
}

/// Opens sessions to one `host:port`.
pub struct GuardedConnect {
    pub host: String,
    pub port: u16,
    pub allow_cleartext: bool,
    pub tls: TlsSettings,
    own: Arc<OwnPids>,
    /// The TLS connector, made (files read) at the first connect.
    connector: tokio::sync::OnceCell<Result<Option<Arc<Connector>>, String>>,
}

impl GuardedConnect {
    pub fn new(
        (host, port): (String, u16),
        allow_cleartext: bool,
        tls: TlsSettings,
        own: Arc<OwnPids>,
    ) -> Self {
        GuardedConnect {
            host,
            port,
            allow_cleartext,
            tls,
            own,
            connector: tokio::sync::OnceCell::new(),
        }
    }

    async fn connector(&self) -> io::Result<Option<Arc<Connector>>> {
        let made = self
            .connector
            .get_or_init(|| async {
                let tls = self.tls.clone();
                let make = move || tls.connector().map(|c| c.map(Arc::new)).map_err(|e| e.0);
                // Without files to read it is a little memory work: done here, rather than a
                // thousand first connects queueing on the blocking pool.
                if !self.tls.reads_files() {
                    return make();
                }
                super::tls_files::off_thread(make).await
            })
            .await;
        made.clone()
            .map_err(|why| io::Error::other(TlsSetupError(why)))
    }
}

impl Connect for GuardedConnect {
    fn connect(
        &self,
        config: &Config,
    ) -> BoxFuture<'_, Result<(Client, tokio::task::JoinHandle<()>), tokio_postgres::Error>> {
        let mut config = config.clone();
        Box::pin(async move {
            // The driver turns only its own I/O into errors, so a failed TCP connect (or TLS
            // set-up) travels as a stream that fails on first use: the caller sees the same
            // I/O error kinds (refused, timed out) as from the driver's own connect.
            let pid = Arc::new(AtomicI32::new(0));
            let (connector, stream) = match self.connector().await {
                Err(e) => (None, Guarded::Failed(Some(e))),
                Ok(tls) => {
                    let stream = match tcp_connect(&self.host, self.port).await {
                        Ok(tcp) => Guarded::Open(AuthWatch::new(
                            tcp,
                            self.allow_cleartext,
                            tls.is_some(),
                            Arc::clone(&pid),
                        )),
                        Err(e) => Guarded::Failed(Some(e)),
                    };
                    (tls, stream)
                }
            };
            // Without a connector the driver must not ask for TLS: its first write is what
            // reports the failure above.
            config.ssl_mode(match connector {
                Some(_) => self.tls.driver_mode(),
                None => tokio_postgres::config::SslMode::Disable,
            });
            let (client, task) = match connector {
                Some(c) => {
                    let tls =
                        MakeTlsConnect::<Guarded>::make_tls_connect(&mut c.tls.clone(), &self.host)
                            .unwrap_or_else(|e| match e {});
                    let tls = WatchedTls {
                        inner: tls,
                        allow_cleartext: self.allow_cleartext || c.verified,
                        pid: Arc::clone(&pid),
                    };
                    let connected = config.connect_raw(stream, tls).await?;
                    if let Some(t) = c.not_after() {
                        self.own.note_certificate(&self.host, self.port, t);
                    }
                    spawn(connected, self.register(&pid))
                }
                None => {
                    let connected = config.connect_raw(stream, NoTls).await?;
                    spawn(connected, self.register(&pid))
                }
            };
            Ok((client, task))
        })
    }
}

impl GuardedConnect {
    /// Notes the new session's backend pid (from its BackendKeyData) as pgmon's own.
    fn register(&self, pid: &AtomicI32) -> Option<Registered> {
        match pid.load(Ordering::SeqCst) {
            0 => None,
            pid => Some(self.own.add(&self.host, self.port, pid)),
        }
    }
}

/// Runs a session's connection until it ends; its pid stays pgmon's own until then.
fn spawn<S, T>(
    (client, connection): (Client, tokio_postgres::Connection<S, T>),
    registered: Option<Registered>,
) -> (Client, tokio::task::JoinHandle<()>)
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
    T: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let task = tokio::spawn(async move {
        let _registered = registered;
        if let Err(e) = connection.await {
            tracing::debug!(error = %e, "PostgreSQL connection ended");
        }
    });
    (client, task)
}

/// How long a failed name look-up is answered from memory. Failed servers are re-checked
/// about every second, and each look-up takes a blocking-pool thread (getaddrinfo) for as long
/// as the resolver needs: a fleet with names that no longer resolve would otherwise keep the
/// resolver and the pool busy. A name fixed in DNS shows ok within this much longer.
const FAILED_LOOKUP_TTL: Duration = Duration::from_secs(5);

/// A failed look-up: when, and the error's kind and text.
type FailedLookup = (Instant, io::ErrorKind, String);

static FAILED_LOOKUPS: LazyLock<Mutex<HashMap<String, FailedLookup>>> =
    LazyLock::new(Mutex::default);

/// The resolver: asynchronous (no thread per look-up, so a thousand names that never resolve
/// hold no thread at all), reading `/etc/resolv.conf` (or asking the `dns_servers` of
/// pgmond.toml instead) and `/etc/hosts`, caching answers for their TTL. `None` when the
/// system's configuration cannot be read: then libc's resolver on the blocking pool, a few
/// look-ups at a time. Set once, at start ([`use_name_servers`]); the system's otherwise.
static RESOLVER: OnceLock<Option<TokioResolver>> = OnceLock::new();

/// Makes look-ups ask `servers` (port 53 unless given) rather than resolv.conf's; none keeps
/// the system's. The first call wins (one resolver a process).
pub fn use_name_servers(servers: &[SocketAddr]) {
    RESOLVER.get_or_init(|| build_resolver(servers));
}

fn build_resolver(servers: &[SocketAddr]) -> Option<TokioResolver> {
    use hickory_resolver::config::{NameServerConfigGroup, ResolverConfig};
    use hickory_resolver::name_server::TokioConnectionProvider;
    let builder = match servers {
        [] => TokioResolver::builder_tokio(),
        given => {
            let mut group = NameServerConfigGroup::new();
            for addr in given {
                group.merge(NameServerConfigGroup::from_ips_clear(
                    &[addr.ip()],
                    addr.port(),
                    true,
                ));
            }
            let config = ResolverConfig::from_parts(None, Vec::new(), group);
            Ok(TokioResolver::builder_with_config(
                config,
                TokioConnectionProvider::default(),
            ))
        }
    };
    match builder {
        Ok(mut builder) => {
            let opts = builder.options_mut();
            // Within the connect timeout: two tries of two seconds.
            opts.timeout = Duration::from_secs(2);
            opts.attempts = 2;
            opts.use_hosts_file = ResolveHosts::Always;
            Some(builder.build())
        }
        Err(e) => {
            tracing::warn!(error = %e, "the system resolver configuration cannot be read: using libc's, a few look-ups at a time");
            None
        }
    }
}

/// Look-ups through libc at once, when that is the resolver: each holds a blocking thread.
static LIBC_LOOKUPS: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(8);
/// Look-ups in flight at once: each holds a socket and its buffers while a resolver that does
/// not answer keeps it waiting (a thousand at once took 40 MiB). A healthy resolver answers in
/// milliseconds, so the queue drains at once; a broken one fails every name anyway, and a
/// name queued past the connect timeout fails as timed out without being asked.
static LOOKUPS: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(128);

/// The addresses of `host` from the resolver, within the connect timeout.
async fn look_up(host: &str, port: u16) -> io::Result<Vec<SocketAddr>> {
    let timed_out = || io::Error::new(io::ErrorKind::TimedOut, "name look-up timed out");
    let lookup = async {
        let _turn = LOOKUPS.acquire().await.map_err(io::Error::other)?;
        match RESOLVER.get_or_init(|| build_resolver(&[])) {
            Some(resolver) => resolver
                .lookup_ip(host)
                .await
                .map(|ips| ips.iter().map(|ip| SocketAddr::new(ip, port)).collect())
                .map_err(|e| match e.is_no_records_found() || e.is_nx_domain() {
                    true => io::Error::new(io::ErrorKind::NotFound, e.to_string()),
                    false if e.to_string().contains("timed out") => timed_out(),
                    false => io::Error::other(e.to_string()),
                }),
            None => {
                let _turn = LIBC_LOOKUPS.acquire().await.map_err(io::Error::other)?;
                tokio::net::lookup_host((host, port))
                    .await
                    .map(|addrs| addrs.collect())
            }
        }
    };
    tokio::time::timeout(CONNECT_TIMEOUT, lookup)
        .await
        .unwrap_or_else(|_| Err(timed_out()))
}

/// The addresses of `host`, or the failure of a look-up of it in the last few seconds.
async fn resolve(host: &str, port: u16) -> io::Result<Vec<SocketAddr>> {
    if let Ok(ip) = host.parse::<IpAddr>() {
        return Ok(vec![SocketAddr::new(ip, port)]);
    }
    let failures = || FAILED_LOOKUPS.lock().unwrap_or_else(|p| p.into_inner());
    if let Some((at, kind, why)) = failures().get(host).cloned()
        && at.elapsed() < FAILED_LOOKUP_TTL
    {
        return Err(io::Error::new(kind, why));
    }
    match look_up(host, port).await {
        Ok(addrs) if !addrs.is_empty() => {
            failures().remove(host);
            Ok(addrs)
        }
        looked_up => {
            let e = looked_up
                .err()
                .unwrap_or_else(|| io::Error::new(io::ErrorKind::NotFound, "no address"));
            // Not the driver's kinds: anything but a time-out reads as "host unreachable".
            let kind = match e.kind() {
                io::ErrorKind::TimedOut => io::ErrorKind::TimedOut,
                _ => io::ErrorKind::NotFound,
            };
            let mut f = failures();
            f.retain(|_, (at, ..)| at.elapsed() < FAILED_LOOKUP_TTL);
            f.insert(host.to_owned(), (Instant::now(), kind, e.to_string()));
            Err(io::Error::new(kind, e.to_string()))
        }
    }
}

/// TCP to the first address of `host` that answers, within the connect timeout.
async fn tcp_connect(host: &str, port: u16) -> io::Result<TcpStream> {
    let host = host.trim_start_matches('[').trim_end_matches(']');
    let attempt = async {
        let mut last = io::Error::new(io::ErrorKind::NotFound, "host name not resolved");
        for addr in resolve(host, port).await? {
            match TcpStream::connect(addr).await {
                Ok(s) => return Ok(s),
                Err(e) => last = e,
            }
        }
        Err(last)
    };
    let stream = tokio::time::timeout(CONNECT_TIMEOUT, attempt)
        .await
        .map_err(|_| io::Error::from(io::ErrorKind::TimedOut))??;
    stream.set_nodelay(true)?;
    // A dead peer is noticed within a minute instead of the kernel's two hours.
    SockRef::from(&stream).set_tcp_keepalive(
        &TcpKeepalive::new()
            .with_time(Duration::from_secs(30))
            .with_interval(Duration::from_secs(5))
            .with_retries(5),
    )?;
    Ok(stream)
}

enum Guarded {
    Open(AuthWatch<TcpStream>),
    Failed(Option<io::Error>),
}

/// The connect error, on first use; after that, "not connected".
fn failure(e: &mut Option<io::Error>) -> io::Error {
    e.take()
        .unwrap_or_else(|| io::Error::from(io::ErrorKind::NotConnected))
}

impl AsyncRead for Guarded {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Guarded::Open(s) => Pin::new(s).poll_read(cx, buf),
            Guarded::Failed(e) => Poll::Ready(Err(failure(e))),
        }
    }
}

impl AsyncWrite for Guarded {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            Guarded::Open(s) => Pin::new(&mut s.inner).poll_write(cx, buf),
            Guarded::Failed(e) => Poll::Ready(Err(failure(e))),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Guarded::Open(s) => Pin::new(&mut s.inner).poll_flush(cx),
            Guarded::Failed(e) => Poll::Ready(Err(failure(e))),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Guarded::Open(s) => Pin::new(&mut s.inner).poll_shutdown(cx),
            Guarded::Failed(_) => Poll::Ready(Ok(())),
        }
    }
}

/// `AuthenticationOk` and `AuthenticationCleartextPassword` codes of the `R` message.
const AUTH_OK: u32 = 0;
const AUTH_CLEARTEXT: u32 = 3;

/// Reads the server's messages as they pass until the session is ready (`Z`): authentication
/// requests until `AuthenticationOk`, then the `K` (BackendKeyData) message, whose body starts
/// with the session's backend pid. Each backend message is a type byte, a 4-byte length
/// (counting itself) and the body; an `R` body starts with the 4-byte request code.
struct AuthWatch<S> {
    inner: S,
    allow_cleartext: bool,
    /// `AuthenticationOk` seen: no password is asked for any more.
    authenticated: bool,
    /// Where the backend pid goes (0 until seen).
    pid: Arc<AtomicI32>,
    /// The driver asked for TLS: the server's first byte is its one-byte answer, `S` (what
    /// follows is TLS: nothing to read, and no password in the clear) or `N` (plain messages
    /// follow).
    ssl_reply: bool,
    /// Bytes of the current message's head (type, length, first 4 body bytes) seen so far.
    head: [u8; 9],
    have: usize,
    /// Body bytes of the current message still to pass unread.
    skip: usize,
    done: bool,
}

impl<S> AuthWatch<S> {
    fn new(inner: S, allow_cleartext: bool, ssl_reply: bool, pid: Arc<AtomicI32>) -> AuthWatch<S> {
        AuthWatch {
            inner,
            allow_cleartext,
            authenticated: false,
            pid,
            ssl_reply,
            head: [0; 9],
            have: 0,
            skip: 0,
            done: false,
        }
    }

    /// Follows the message boundaries through `bytes`; an error when the server asks for a
    /// cleartext password that may not be sent.
    fn watch(&mut self, mut bytes: &[u8]) -> io::Result<()> {
        if self.ssl_reply && !bytes.is_empty() {
            self.ssl_reply = false;
            match bytes[0] {
                b'S' => self.done = true,
                b'N' => bytes = &bytes[1..],
                // An error message instead (a server too old for TLS): read as any message.
                _ => {}
            }
        }
        while !self.done && !bytes.is_empty() {
            if self.skip > 0 {
                let n = self.skip.min(bytes.len());
                self.skip -= n;
                bytes = &bytes[n..];
                continue;
            }
            if self.have == 0 {
                self.head[0] = bytes[0];
                self.have = 1;
                bytes = &bytes[1..];
                continue;
            }
            let need = if matches!(self.head[0], b'R' | b'K') {
                9
            } else {
                5
            };
            let n = (need - self.have).min(bytes.len());
            self.head[self.have..self.have + n].copy_from_slice(&bytes[..n]);
            self.have += n;
            bytes = &bytes[n..];
            if self.have < need {
                continue;
            }
            let len = u32::from_be_bytes([self.head[1], self.head[2], self.head[3], self.head[4]]);
            let body = (len as usize).saturating_sub(4);
            let first = [self.head[5], self.head[6], self.head[7], self.head[8]];
            match self.head[0] {
                b'R' if !self.authenticated => {
                    match u32::from_be_bytes(first) {
                        AUTH_OK => self.authenticated = true,
                        AUTH_CLEARTEXT if !self.allow_cleartext => {
                            return Err(io::Error::new(
                                io::ErrorKind::PermissionDenied,
                                CleartextRefused,
                            ));
                        }
                        _ => {}
                    }
                    self.skip = body.saturating_sub(4);
                }
                b'K' => {
                    self.pid.store(i32::from_be_bytes(first), Ordering::SeqCst);
                    self.skip = body.saturating_sub(4);
                }
                b'R' => self.skip = body.saturating_sub(4),
                b'Z' => self.done = true,
                _ => self.skip = body,
            }
            self.have = 0;
        }
        Ok(())
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for AuthWatch<S> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().inner).poll_write(cx, buf)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_shutdown(cx)
    }
}

impl<S: TlsStream + Unpin> TlsStream for AuthWatch<S> {
    fn channel_binding(&self) -> ChannelBinding {
        self.inner.channel_binding()
    }
}

/// The TLS handshake, then the watch over what it decrypts.
struct WatchedTls<T> {
    inner: T,
    allow_cleartext: bool,
    pid: Arc<AtomicI32>,
}

impl<S, T> TlsConnect<S> for WatchedTls<T>
where
    T: TlsConnect<S>,
    T::Future: Send + 'static,
    T::Stream: Send + 'static,
    T::Error: 'static,
{
    type Stream = AuthWatch<T::Stream>;
    type Error = T::Error;
    type Future = BoxFuture<'static, Result<AuthWatch<T::Stream>, T::Error>>;

    fn connect(self, stream: S) -> Self::Future {
        let (handshake, allow, pid) = (self.inner.connect(stream), self.allow_cleartext, self.pid);
        Box::pin(async move { Ok(AuthWatch::new(handshake.await?, allow, false, pid)) })
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for AuthWatch<S> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let before = buf.filled().len();
        ready!(Pin::new(&mut this.inner).poll_read(cx, buf))?;
        this.watch(&buf.filled()[before..])?;
        Poll::Ready(Ok(()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn auth(code: u32, extra: &[u8]) -> Vec<u8> {
        let mut m = vec![b'R'];
        m.extend_from_slice(&(8 + extra.len() as u32).to_be_bytes());
        m.extend_from_slice(&code.to_be_bytes());
        m.extend_from_slice(extra);
        m
    }

    #[test]
    /// A cleartext request is found however the bytes are split; SCRAM and MD5 pass, and
    /// after AuthenticationOk nothing is inspected; an entry that allows cleartext passes it.
    fn finds_cleartext_requests() {
        let notice = [b'N', 0, 0, 0, 6, b'x', 0];
        let mut stream = notice.to_vec();
        stream.extend(auth(AUTH_CLEARTEXT, &[]));
        for split in 0..stream.len() {
            let mut w = AuthWatch::new((), false, false, Arc::default());
            let (a, b) = stream.split_at(split);
            let refused = w.watch(a).and_then(|_| w.watch(b)).unwrap_err();
            assert!(refused.get_ref().unwrap().is::<CleartextRefused>());
        }
        let mut allowed = AuthWatch::new((), true, false, Arc::default());
        assert!(allowed.watch(&stream).is_ok());

        let mut scram = auth(10, b"SCRAM-SHA-256\0\0");
        scram.extend(auth(5, &[1, 2, 3, 4]));
        scram.extend(auth(AUTH_OK, &[]));
        scram.extend(auth(AUTH_CLEARTEXT, &[]));
        // BackendKeyData (pid 4242, key), then ReadyForQuery.
        scram.extend([b'K', 0, 0, 0, 12, 0, 0, 0x10, 0x92, 9, 9, 9, 9]);
        scram.extend([b'Z', 0, 0, 0, 5, b'I']);
        let mut w = AuthWatch::new((), false, false, Arc::default());
        for byte in &scram {
            w.watch(std::slice::from_ref(byte)).unwrap();
        }
        assert!(w.done);
        assert_eq!(w.pid.load(Ordering::SeqCst), 4242);
    }

    #[test]
    /// After asking for TLS: `N` and a cleartext request is refused as ever; `S` means the rest
    /// is TLS, never inspected.
    fn reads_the_answer_to_a_tls_request() {
        let mut plain = vec![b'N'];
        plain.extend(auth(AUTH_CLEARTEXT, &[]));
        let mut w = AuthWatch::new((), false, true, Arc::default());
        let refused = w.watch(&plain).unwrap_err();
        assert!(refused.get_ref().unwrap().is::<CleartextRefused>());
        let mut tls = vec![b'S'];
        tls.extend(auth(AUTH_CLEARTEXT, &[]));
        let mut w = AuthWatch::new((), false, true, Arc::default());
        w.watch(&tls).unwrap();
        assert!(w.done);
    }

    #[tokio::test]
    /// A failed look-up is answered from memory for a few seconds, then asked again; an
    /// address is never looked up.
    async fn failed_lookups_are_remembered_briefly() {
        let failures = || FAILED_LOOKUPS.lock().unwrap();
        let missing = "pgmon-no-such-host.invalid";
        let e = resolve(missing, 5432).await.unwrap_err();
        assert!(
            matches!(e.kind(), io::ErrorKind::NotFound | io::ErrorKind::TimedOut),
            "{e:?}"
        );
        assert!(failures().contains_key(missing));

        let remembered = (
            Instant::now(),
            io::ErrorKind::NotFound,
            "remembered".to_owned(),
        );
        failures().insert("localhost".into(), remembered);
        let e = resolve("localhost", 1).await.unwrap_err();
        assert_eq!(e.to_string(), "remembered");
        let expired = Instant::now() - FAILED_LOOKUP_TTL;
        failures().insert(
            "localhost".into(),
            (expired, io::ErrorKind::NotFound, "old".into()),
        );
        assert!(!resolve("localhost", 1).await.unwrap().is_empty());
        assert!(!failures().contains_key("localhost"));

        let addr = resolve("127.0.0.1", 7).await.unwrap();
        assert_eq!(addr, [SocketAddr::from(([127, 0, 0, 1], 7))]);
    }
}
