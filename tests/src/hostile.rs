//! Hostile inputs for the security tests: private keys whose passphrase derivation would cost
//! years or petabytes if honoured, and a fake PostgreSQL server that asks for the password in
//! cleartext and records whether it got one.

use std::io::{Read, Write};
use std::net::TcpListener;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;

fn pem(label: &str, der: &[u8]) -> String {
    let text = B64.encode(der);
    let lines: Vec<&str> = text
        .as_bytes()
        .chunks(64)
        .map(|c| std::str::from_utf8(c).unwrap())
        .collect();
    format!(
        "-----BEGIN {label}-----\n{}\n-----END {label}-----\n",
        lines.join("\n")
    )
}

/// One DER element: tag, definite length, content.
fn tlv(tag: u8, content: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    let len = content.len();
    if len < 0x80 {
        out.push(len as u8);
    } else {
        let bytes: Vec<u8> = len
            .to_be_bytes()
            .into_iter()
            .skip_while(|b| *b == 0)
            .collect();
        out.push(0x80 | bytes.len() as u8);
        out.extend(bytes);
    }
    out.extend_from_slice(content);
    out
}

fn seq(parts: &[Vec<u8>]) -> Vec<u8> {
    tlv(0x30, &parts.concat())
}

fn int(n: u64) -> Vec<u8> {
    let mut bytes: Vec<u8> = n
        .to_be_bytes()
        .into_iter()
        .skip_while(|b| *b == 0)
        .collect();
    if bytes.first().is_none_or(|b| b & 0x80 != 0) {
        bytes.insert(0, 0);
    }
    tlv(0x02, &bytes)
}

fn octets(bytes: &[u8]) -> Vec<u8> {
    tlv(0x04, bytes)
}

const OID_PBES2: &[u8] = &[0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x05, 0x0D];
const OID_PBKDF2: &[u8] = &[0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x05, 0x0C];
const OID_HMAC_SHA256: &[u8] = &[0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x02, 0x09];
const OID_SCRYPT: &[u8] = &[0x2B, 0x06, 0x01, 0x04, 0x01, 0xDA, 0x47, 0x04, 0x0B];
const OID_AES256_CBC: &[u8] = &[0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x01, 0x2A];

/// An encrypted PKCS#8 key (PBES2, AES-256-CBC) with the given key-derivation function.
fn encrypted_pkcs8(kdf: Vec<u8>) -> String {
    let scheme = seq(&[tlv(0x06, OID_AES256_CBC), octets(&[7; 16])]);
    let algorithm = seq(&[tlv(0x06, OID_PBES2), seq(&[kdf, scheme])]);
    pem(
        "ENCRYPTED PRIVATE KEY",
        &seq(&[algorithm, octets(&[0; 64])]),
    )
}

/// PKCS#8 with scrypt N = 2^40, r = 8: 1 PiB of memory if honoured.
pub fn pkcs8_scrypt_petabyte() -> String {
    let params = seq(&[octets(&[1; 16]), int(1 << 40), int(8), int(1)]);
    encrypted_pkcs8(seq(&[tlv(0x06, OID_SCRYPT), params]))
}

/// PKCS#8 with PBKDF2-HMAC-SHA256 at 2^32-1 iterations: minutes of CPU if honoured.
pub fn pkcs8_pbkdf2_forever() -> String {
    let prf = seq(&[tlv(0x06, OID_HMAC_SHA256), tlv(0x05, &[])]);
    let params = seq(&[octets(&[1; 16]), int(u64::from(u32::MAX)), prf]);
    encrypted_pkcs8(seq(&[tlv(0x06, OID_PBKDF2), params]))
}

/// `pem`, an encrypted OpenSSH key, claiming `rounds` bcrypt-pbkdf rounds.
pub fn openssh_with_rounds(pem_text: &str, rounds: u32) -> String {
    let body: String = pem_text
        .lines()
        .filter(|l| !l.starts_with("-----"))
        .collect();
    let mut raw = B64.decode(body).expect("OpenSSH key body");
    // The magic, then ciphername, kdfname and kdfoptions as length-prefixed strings; the
    // options end with the rounds.
    let mut at = b"openssh-key-v1\0".len();
    for _ in 0..3 {
        let len = u32::from_be_bytes(raw[at..at + 4].try_into().unwrap()) as usize;
        at += 4 + len;
    }
    raw[at - 4..at].copy_from_slice(&rounds.to_be_bytes());
    pem("OPENSSH PRIVATE KEY", &raw)
}

/// A fake PostgreSQL server on loopback: it answers every startup with
/// AuthenticationCleartextPassword and notes whether a password message comes back. Without
/// TLS it answers a TLS request `N`, as a server without SSL does; with a certificate it
/// answers `S` and speaks TLS (a self-signed certificate: what anyone who took over the host
/// name could present).
pub struct CleartextServer {
    pub port: u16,
    got_password: Arc<AtomicBool>,
}

/// Reads one startup-phase packet (length, then body); `None` when the peer is gone.
fn packet(conn: &mut impl Read) -> Option<Vec<u8>> {
    let mut len = [0; 4];
    conn.read_exact(&mut len).ok()?;
    let mut body = vec![0; (u32::from_be_bytes(len) as usize).saturating_sub(4)];
    conn.read_exact(&mut body).ok()?;
    Some(body)
}

/// The startup packet, then 'R' length 8 code 3 (send the password in cleartext), and whether a
/// password message ('p') came back.
fn ask_for_password(conn: &mut (impl Read + Write)) -> bool {
    if packet(conn).is_none() {
        return false;
    }
    conn.write_all(&[b'R', 0, 0, 0, 8, 0, 0, 0, 3]).ok();
    conn.flush().ok();
    let mut kind = [0; 1];
    conn.read_exact(&mut kind).is_ok() && kind[0] == b'p'
}

const SSL_REQUEST: u32 = 80_877_103;

impl CleartextServer {
    pub fn start() -> CleartextServer {
        Self::serve(None)
    }

    /// The same over TLS with the certificate and key of PEM files `cert` and `key`.
    pub fn start_tls(cert: &std::path::Path, key: &std::path::Path) -> CleartextServer {
        use rustls::pki_types::pem::PemObject;
        use rustls::pki_types::{CertificateDer, PrivateKeyDer};
        let chain = CertificateDer::pem_file_iter(cert)
            .unwrap()
            .collect::<Result<Vec<_>, _>>()
            .unwrap();
        let key = PrivateKeyDer::from_pem_file(key).unwrap();
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_no_client_auth()
            .with_single_cert(chain, key)
            .unwrap();
        Self::serve(Some(Arc::new(config)))
    }

    fn serve(tls: Option<Arc<rustls::ServerConfig>>) -> CleartextServer {
        let listener = TcpListener::bind("127.0.0.1:0").expect("binding the fake server");
        let port = listener.local_addr().unwrap().port();
        let got_password = Arc::new(AtomicBool::new(false));
        let flag = Arc::clone(&got_password);
        std::thread::spawn(move || {
            for conn in listener.incoming() {
                let Ok(mut conn) = conn else { continue };
                let (flag, tls) = (Arc::clone(&flag), tls.clone());
                std::thread::spawn(move || {
                    conn.set_read_timeout(Some(Duration::from_secs(10))).ok();
                    let mut peek = [0; 8];
                    if conn.peek(&mut peek).ok() != Some(8) {
                        return;
                    }
                    let asks_tls = peek[4..] == SSL_REQUEST.to_be_bytes();
                    let got = match (asks_tls, tls) {
                        (true, Some(config)) => {
                            packet(&mut conn);
                            conn.write_all(b"S").ok();
                            let server = rustls::ServerConnection::new(config).unwrap();
                            ask_for_password(&mut rustls::StreamOwned::new(server, conn))
                        }
                        (true, None) => {
                            packet(&mut conn);
                            conn.write_all(b"N").ok();
                            ask_for_password(&mut conn)
                        }
                        (false, _) => ask_for_password(&mut conn),
                    };
                    if got {
                        flag.store(true, Ordering::SeqCst);
                    }
                });
            }
        });
        CleartextServer { port, got_password }
    }

    pub fn got_password(&self) -> bool {
        self.got_password.load(Ordering::SeqCst)
    }
}
