//! TLS to PostgreSQL through rustls (`tokio-postgres-rustls`): no system OpenSSL to build or
//! patch, the same TLS stack on every machine, and verifiers that map onto libpq's `sslmode`
//! exactly. `prefer` and `require` encrypt without checking the certificate, unless
//! `sslrootcert` is given (then they check the chain, as libpq does with a root certificate);
//! `verify-ca` checks the chain against `sslrootcert`; `verify-full` also the host name.
//! Files are read once per pool, on the blocking pool, through [`TlsFiles`] (which files may
//! be read at all), and a client key must be 0600.
//!
//! A certificate nobody checked proves nothing about who answers: whoever takes over the host
//! name can complete TLS with a certificate of its own. So unless the certificate was verified
//! against `sslrootcert`, the cleartext-password guard keeps reading inside TLS.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::sync::Arc;

use pgmon_common::servers::{Server, SslMode};
use rustls::client::WebPkiServerVerifier;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};
use rustls::{
    CertificateError, ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme,
};
use tokio_postgres_rustls::MakeRustlsConnect;

use super::tls_files::TlsFiles;

/// What stopped TLS from being set up (a file refused or unreadable, a key readable by
/// others), carried inside the driver's I/O error so the status can say it.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct TlsSetupError(pub String);

/// The TLS settings of a server, as its pool needs them.
#[derive(Clone)]
pub struct TlsSettings {
    pub mode: SslMode,
    files: Arc<TlsFiles>,
    rootcert: Option<String>,
    client: Option<(String, String)>,
}

/// A connector, and whether it checks the server's certificate against a root certificate.
pub struct Connector {
    pub tls: MakeRustlsConnect,
    pub verified: bool,
}

impl TlsSettings {
    pub fn of(server: &Server, files: &Arc<TlsFiles>) -> TlsSettings {
        TlsSettings {
            mode: server.sslmode,
            files: Arc::clone(files),
            rootcert: server.sslrootcert.clone(),
            client: server.sslcert.clone().zip(server.sslkey.clone()),
        }
    }

    /// Whether making the connector reads files (a root certificate, a client certificate).
    pub fn reads_files(&self) -> bool {
        self.mode != SslMode::Disable && (self.rootcert.is_some() || self.client.is_some())
    }

    /// The driver's mode: TLS tried, insisted on, or not asked for. Verification is ours.
    pub fn driver_mode(&self) -> tokio_postgres::config::SslMode {
        use tokio_postgres::config::SslMode as Driver;
        match self.mode {
            SslMode::Disable => Driver::Disable,
            SslMode::Prefer => Driver::Prefer,
            SslMode::Require | SslMode::VerifyCa | SslMode::VerifyFull => Driver::Require,
        }
    }

    /// The connector (none for `disable`); reads the files, so it runs on the blocking pool.
    pub fn connector(&self) -> Result<Option<Connector>, TlsSetupError> {
        if self.mode == SslMode::Disable {
            return Ok(None);
        }
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let roots = match &self.rootcert {
            Some(p) => Some(roots_from(&self.files.read("sslrootcert", p)?, p)?),
            None => None,
        };
        let verified = roots.is_some();
        let verifier: Arc<dyn ServerCertVerifier> = match (self.mode, roots) {
            (SslMode::VerifyFull, Some(roots)) => web_pki(roots, &provider)?,
            (_, Some(roots)) => Arc::new(ChainOnly(web_pki(roots, &provider)?)),
            (_, None) => Arc::new(AnyCertificate(Arc::clone(&provider))),
        };
        let builder = ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| TlsSetupError(format!("TLS: {e}")))?
            .dangerous()
            .with_custom_certificate_verifier(verifier);
        let config = match &self.client {
            None => builder.with_no_client_auth(),
            Some((cert, key)) => builder
                .with_client_auth_cert(
                    parse_certificates(&self.files.read("sslcert", cert)?, "sslcert", cert)?,
                    parse_private_key(&self.files.read("sslkey", key)?, "sslkey", key)?,
                )
                .map_err(|e| TlsSetupError(format!("sslcert/sslkey: {e}")))?,
        };
        Ok(Some(Connector {
            tls: MakeRustlsConnect::new(config),
            verified,
        }))
    }
}

fn roots_from(pem: &[u8], path: &str) -> Result<RootCertStore, TlsSetupError> {
    let mut roots = RootCertStore::empty();
    for cert in parse_certificates(pem, "sslrootcert", path)? {
        roots
            .add(cert)
            .map_err(|e| TlsSetupError(format!("sslrootcert {path}: {e}")))?;
    }
    if roots.is_empty() {
        return Err(TlsSetupError(format!(
            "sslrootcert {path}: no certificate in it"
        )));
    }
    Ok(roots)
}

/// The certificate chain in PEM text `pem` (`what` and `path` name it in errors).
fn parse_certificates(
    pem: &[u8],
    what: &str,
    path: &str,
) -> Result<Vec<CertificateDer<'static>>, TlsSetupError> {
    CertificateDer::pem_slice_iter(pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| TlsSetupError(format!("{what} {path}: {e}")))
}

/// The private key in PEM text `pem`.
fn parse_private_key(
    pem: &[u8],
    what: &str,
    path: &str,
) -> Result<PrivateKeyDer<'static>, TlsSetupError> {
    PrivateKeyDer::from_pem_slice(pem).map_err(|e| TlsSetupError(format!("{what} {path}: {e}")))
}

/// Reads a file pgmond's own settings name (HTTPS), at most a MiB.
fn read_setting_file(path: &Path, what: &str) -> Result<Vec<u8>, TlsSetupError> {
    use std::io::Read;
    let mut bytes = Vec::new();
    std::fs::File::open(path)
        .and_then(|f| {
            f.take(super::tls_files::MAX_TLS_FILE)
                .read_to_end(&mut bytes)
        })
        .map_err(|e| TlsSetupError(format!("{what} {}: {e}", path.display())))?;
    Ok(bytes)
}

/// The certificate chain of PEM file `path`, a setting of pgmond.toml (`what` names it).
pub fn certificates(
    path: &Path,
    what: &str,
) -> Result<Vec<CertificateDer<'static>>, TlsSetupError> {
    let shown = path.display().to_string();
    parse_certificates(&read_setting_file(path, what)?, what, &shown)
}

/// The private key of PEM file `path`, a setting of pgmond.toml, which only its owner may read.
pub fn private_key(path: &Path, what: &str) -> Result<PrivateKeyDer<'static>, TlsSetupError> {
    let mode = std::fs::metadata(path)
        .map_err(|e| TlsSetupError(format!("{what} {}: {e}", path.display())))?
        .permissions()
        .mode();
    if mode & 0o077 != 0 {
        return Err(TlsSetupError(format!(
            "{what} {} must be readable by its owner only (0600), not {:o}",
            path.display(),
            mode & 0o777
        )));
    }
    let shown = path.display().to_string();
    parse_private_key(&read_setting_file(path, what)?, what, &shown)
}

fn web_pki(
    roots: RootCertStore,
    provider: &Arc<CryptoProvider>,
) -> Result<Arc<WebPkiServerVerifier>, TlsSetupError> {
    WebPkiServerVerifier::builder_with_provider(Arc::new(roots), Arc::clone(provider))
        .build()
        .map_err(|e| TlsSetupError(format!("sslrootcert: {e}")))
}

/// `verify-ca`: the chain must lead to the root certificate; the name is not looked at.
#[derive(Debug)]
struct ChainOnly(Arc<WebPkiServerVerifier>);

impl ServerCertVerifier for ChainOnly {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        match self
            .0
            .verify_server_cert(end_entity, intermediates, server_name, ocsp, now)
        {
            Err(rustls::Error::InvalidCertificate(
                CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. },
            )) => Ok(ServerCertVerified::assertion()),
            other => other,
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.0.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.0.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.supported_verify_schemes()
    }
}

/// `prefer` and `require` without a root certificate: encrypted, the certificate taken as it
/// is (libpq's behaviour); the handshake's signatures are still checked.
#[derive(Debug)]
struct AnyCertificate(Arc<CryptoProvider>);

impl ServerCertVerifier for AnyCertificate {
    fn verify_server_cert(
        &self,
        _: &CertificateDer<'_>,
        _: &[CertificateDer<'_>],
        _: &ServerName<'_>,
        _: &[u8],
        _: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

/// The status text of a TLS failure found in an error's chain, if it is one.
pub fn failure_reason(e: &(dyn std::error::Error + 'static)) -> Option<String> {
    let mut source = Some(e);
    while let Some(mut s) = source {
        source = s.source();
        // An I/O error's `source` skips the error it wraps: that is where rustls's is.
        if let Some(inner) = s
            .downcast_ref::<std::io::Error>()
            .and_then(std::io::Error::get_ref)
        {
            s = inner;
        }
        if s.to_string() == "server does not support TLS" {
            return Some("SSL not supported by server".into());
        }
        if let Some(setup) = s.downcast_ref::<TlsSetupError>() {
            return Some(setup.0.clone());
        }
        if let Some(tls) = s.downcast_ref::<rustls::Error>() {
            return Some(match tls {
                rustls::Error::InvalidCertificate(
                    CertificateError::NotValidForName
                    | CertificateError::NotValidForNameContext { .. },
                ) => "certificate name mismatch".into(),
                rustls::Error::InvalidCertificate(
                    CertificateError::UnknownIssuer
                    | CertificateError::BadSignature
                    | CertificateError::UnknownRevocationStatus
                    | CertificateError::InvalidPurpose,
                ) => "certificate not trusted".into(),
                rustls::Error::InvalidCertificate(
                    CertificateError::Expired | CertificateError::ExpiredContext { .. },
                ) => "certificate expired".into(),
                other => format!("TLS: {other}"),
            });
        }
    }
    None
}
