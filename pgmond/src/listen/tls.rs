//! HTTPS on the TCP listener, for installs without a proxy in front (`tls_cert` and `tls_key`
//! of pgmond.toml; a relative path is read from the config dir). The certificate and key are
//! read again on SIGHUP: new connections get the new pair, connections already open keep
//! theirs, so a renewal drops nothing; a pair that does not load leaves the old one serving.
//! The handshake runs in the connection's task, bounded by the header timeout, so a client
//! that stalls it holds only its own connection.

use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};
use std::time::Duration;

use rustls::ServerConfig;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio_rustls::TlsAcceptor;
use tokio_rustls::server::TlsStream;
use tokio_util::sync::CancellationToken;

use crate::monitor::tls::{certificates, private_key};

pub struct Tls {
    cert: PathBuf,
    key: PathBuf,
    config: RwLock<Arc<ServerConfig>>,
}

fn load(cert: &Path, key: &Path) -> anyhow::Result<Arc<ServerConfig>> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .with_no_client_auth()
        .with_single_cert(
            certificates(cert, "tls_cert")?,
            private_key(key, "tls_key")?,
        )
        .map_err(|e| anyhow::anyhow!("tls_cert/tls_key: {e}"))?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}

impl Tls {
    pub fn load(cert: PathBuf, key: PathBuf) -> anyhow::Result<Tls> {
        let config = load(&cert, &key)?;
        Ok(Tls {
            cert,
            key,
            config: RwLock::new(config),
        })
    }

    /// Reads the pair again; on failure the one in use stays.
    pub fn reload(&self) -> anyhow::Result<()> {
        let fresh = load(&self.cert, &self.key)?;
        *self.config.write().unwrap_or_else(|p| p.into_inner()) = fresh;
        Ok(())
    }

    /// The TLS side of a new connection, or none if its handshake fails or takes too long.
    pub async fn handshake<I>(&self, io: I, limit: Duration) -> Option<TlsStream<I>>
    where
        I: AsyncRead + AsyncWrite + Unpin,
    {
        let config = self
            .config
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone();
        match tokio::time::timeout(limit, TlsAcceptor::from(config).accept(io)).await {
            Ok(Ok(stream)) => Some(stream),
            Ok(Err(e)) => {
                tracing::debug!(error = %e, "TLS handshake failed");
                None
            }
            Err(_) => None,
        }
    }
}

/// Reloads the certificate and key on each SIGHUP until shutdown. Without HTTPS there is
/// nothing to reload, but SIGHUP is still taken (its default would end the process).
pub async fn reload_on_sighup(
    tls: Option<Arc<Tls>>,
    shutdown: CancellationToken,
) -> std::io::Result<()> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut hup = signal(SignalKind::hangup())?;
    loop {
        tokio::select! {
            _ = hup.recv() => {}
            _ = shutdown.cancelled() => return Ok(()),
        }
        let Some(tls) = tls.clone() else {
            tracing::info!("SIGHUP: no HTTPS certificate to reload");
            continue;
        };
        match tokio::task::spawn_blocking(move || tls.reload()).await {
            Ok(Ok(())) => tracing::info!("SIGHUP: TLS certificate and key reloaded"),
            Ok(Err(e)) => {
                tracing::error!(error = %format!("{e:#}"), "SIGHUP: TLS reload failed, the old certificate stays")
            }
            Err(e) => tracing::error!(error = %e, "SIGHUP: TLS reload failed"),
        }
    }
}
