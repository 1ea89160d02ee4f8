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
use std::sync::atomic::{AtomicI64, Ordering};

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
    /// The `notAfter` of the last certificate a server showed it (seconds since the epoch;
    /// `i64::MIN` before any).
    not_after: Arc<AtomicI64>,
}

impl Connector {
    /// When the certificate of the last handshake expires.
    pub fn not_after(&self) -> Option<i64> {
        Some(self.not_after.load(Ordering::Relaxed)).filter(|t| *t != i64::MIN)
    }
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

    /// TLS to the shared store: a root certificate (`store_sslrootcert`) makes it checked,
    /// host name and all; without one it encrypts unchecked, as libpq's `prefer` and `require`
    /// do. Whether TLS is used at all is the URL's `sslmode` (prefer by default).
    pub fn for_store(files: &Arc<TlsFiles>, rootcert: Option<String>) -> TlsSettings {
        TlsSettings {
            mode: match rootcert {
                Some(_) => SslMode::VerifyFull,
                None => SslMode::Require,
            },
            files: Arc::clone(files),
            rootcert,
            client: None,
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
        let not_after = Arc::new(AtomicI64::new(i64::MIN));
        let verifier = Arc::new(Noting {
            inner: verifier,
            not_after: Arc::clone(&not_after),
        });
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
            not_after,
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

/// Any of the verifiers, noting when the certificate it is shown expires (the alerts'
/// `certificate_expiry`), whatever it decides.
#[derive(Debug)]
struct Noting {
    inner: Arc<dyn ServerCertVerifier>,
    not_after: Arc<AtomicI64>,
}

impl ServerCertVerifier for Noting {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        if let Some(t) = not_after(end_entity) {
            self.not_after.store(t, Ordering::Relaxed);
        }
        self.inner
            .verify_server_cert(end_entity, intermediates, server_name, ocsp, now)
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.inner.supported_verify_schemes()
    }
}

/// One DER element at the start of `der`: its tag, its contents and what follows it.
fn element(der: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let (&tag, rest) = der.split_first()?;
    let (&first, rest) = rest.split_first()?;
    let (len, rest) = if first < 0x80 {
        (usize::from(first), rest)
    } else {
        let n = usize::from(first & 0x7f);
        if n == 0 || n > 4 || rest.len() < n {
            return None;
        }
        let len = rest[..n]
            .iter()
            .fold(0usize, |l, b| (l << 8) | usize::from(*b));
        (len, &rest[n..])
    };
    (rest.len() >= len).then(|| (tag, &rest[..len], &rest[len..]))
}

/// The `notAfter` of an X.509 certificate, in seconds since the epoch: certificate → tbs →
/// (version) serial, signature algorithm, issuer, validity → its second time.
pub fn not_after(cert: &[u8]) -> Option<i64> {
    let (_, certificate, _) = element(cert)?;
    let (_, tbs, _) = element(certificate)?;
    let (tag, _, mut rest) = element(tbs)?;
    if tag != 0xa0 {
        // No explicit version: what was read is the serial number.
        rest = tbs;
    }
    for _ in 0..3 {
        rest = element(rest)?.2; // serial, signature algorithm, issuer
    }
    let (_, validity, _) = element(rest)?;
    let (_, _, after) = element(validity)?; // past notBefore
    let (tag, after, _) = element(after)?;
    let format = match (tag, after.len()) {
        (0x17, 13) => "%y%m%d%H%M%SZ", // UTCTime
        (0x18, 15) => "%Y%m%d%H%M%SZ", // GeneralizedTime
        _ => return None,
    };
    let text = std::str::from_utf8(after).ok()?;
    chrono::NaiveDateTime::parse_from_str(text, format)
        .ok()
        .map(|t| t.and_utc().timestamp())
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

#[cfg(test)]
mod tests {
    #[test]
    /// `notAfter` read from certificates openssl makes, with and without a version field.
    fn not_after_of_a_certificate() {
        let dir = tempfile::tempdir().unwrap();
        let (key, cert) = (dir.path().join("k.pem"), dir.path().join("c.der"));
        let made = std::process::Command::new("openssl")
            .args([
                "req",
                "-x509",
                "-newkey",
                "ec",
                "-pkeyopt",
                "ec_paramgen_curve:P-256",
            ])
            .args([
                "-nodes", "-subj", "/CN=pg", "-days", "30", "-outform", "DER",
            ])
            .arg("-keyout")
            .arg(&key)
            .arg("-out")
            .arg(&cert)
            .output()
            .expect("openssl (Debian package openssl) makes the test certificate");
        assert!(
            made.status.success(),
            "{}",
            String::from_utf8_lossy(&made.stderr)
        );
        let t = super::not_after(&std::fs::read(&cert).unwrap()).unwrap();
        let days = (t - chrono::Utc::now().timestamp()) as f64 / 86_400.0;
        assert!((29.9..=30.1).contains(&days), "{days}");
        assert_eq!(super::not_after(b"\x30\x03\x02\x01"), None);
        assert_eq!(super::not_after(&[]), None);
    }
}
