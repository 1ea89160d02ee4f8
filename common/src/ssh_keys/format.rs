//! Which private-key files pgmon reads, and what deriving a key from their passphrase may cost.
//!
//! An encrypted key names its own key-derivation parameters, and the decoder would honour any of
//! them: a PKCS#8 key with scrypt N = 2^40 asks for a petabyte, an OpenSSH key with 2^32-1
//! bcrypt-pbkdf rounds for a year of CPU. The parameters are read here, before anything is
//! derived, and refused beyond bounds that no real tool writes. Only the formats the README lists
//! get through: one PEM block of an OpenSSH, PKCS#1 (RSA), PKCS#8 (plain or PBES2-encrypted) or
//! SEC1 (EC) key. PuTTY files, PBES1 and anything else are refused before decoding.

use base64::Engine;
use russh::keys::ssh_key::{Kdf, PrivateKey};

use crate::{Error, Result};

/// bcrypt-pbkdf rounds of an OpenSSH key; `ssh-keygen` writes 16, `-a 100` is a careful user.
pub const MAX_BCRYPT_ROUNDS: u32 = 1_000;
/// PBKDF2 iterations of a PKCS#8 key; OpenSSL writes 2,048, OWASP asks for 600,000.
pub const MAX_PBKDF2_ITERATIONS: u32 = 1_000_000;
/// scrypt memory (N * r * 128 bytes) of a PKCS#8 key; OpenSSL's own ceiling is 32 MiB.
pub const MAX_SCRYPT_MEMORY: u64 = 64 * 1024 * 1024;
/// scrypt parallelisation of a PKCS#8 key (the work is this many times the memory pass).
pub const MAX_SCRYPT_PARALLELISM: u16 = 16;

/// The PEM labels pgmon accepts.
const LABELS: [&str; 5] = [
    "OPENSSH PRIVATE KEY",
    "RSA PRIVATE KEY",
    "PRIVATE KEY",
    "ENCRYPTED PRIVATE KEY",
    "EC PRIVATE KEY",
];

/// One PEM block of a supported kind, as it will be handed to the decoder.
pub struct PemBlock<'a> {
    pub label: &'static str,
    /// From the BEGIN line to the END line, both included.
    pub text: &'a str,
}

fn not_a_key() -> Error {
    Error::invalid("Not a private key: expected an OpenSSH or PEM private key")
}

fn unsupported(what: &str) -> Error {
    Error::invalid(format!(
        "Unsupported key format: {what} (OpenSSH, PKCS#1, PKCS#8 or SEC1 PEM)"
    ))
}

/// The single supported PEM block in `text`. Text around it is ignored; a second BEGIN line (of
/// any kind) is refused, so what is checked here is what the decoder reads.
pub fn pem_block(text: &str) -> Result<PemBlock<'_>> {
    let text = text.trim();
    if text.starts_with("PuTTY-User-Key-File-") {
        return Err(unsupported("PuTTY key file"));
    }
    let mut begins = text.match_indices("-----BEGIN ");
    let Some((start, _)) = begins.next() else {
        return Err(not_a_key());
    };
    if begins.next().is_some() {
        return Err(Error::invalid("More than one PEM block: give one key"));
    }
    let header = &text[start..];
    let header_line = header.lines().next().unwrap_or_default().trim_end();
    let label = header_line
        .strip_prefix("-----BEGIN ")
        .and_then(|l| l.strip_suffix("-----"))
        .ok_or_else(not_a_key)?;
    let label = LABELS.into_iter().find(|l| *l == label).ok_or_else(|| {
        match label.contains("PRIVATE KEY") {
            true => unsupported(label),
            false => not_a_key(),
        }
    })?;
    let end_line = format!("-----END {label}-----");
    let end = header.find(&end_line).ok_or_else(not_a_key)?;
    Ok(PemBlock {
        label,
        text: &header[..end + end_line.len()],
    })
}

impl PemBlock<'_> {
    /// Refuses key-derivation parameters beyond the bounds above, without deriving anything.
    pub fn check_kdf(&self) -> Result<()> {
        match self.label {
            "OPENSSH PRIVATE KEY" => match PrivateKey::from_openssh(self.text) {
                Ok(key) => check_bcrypt(key.kdf()),
                // Undecodable: the decoder will say so, at no cost.
                Err(_) => Ok(()),
            },
            "ENCRYPTED PRIVATE KEY" => check_pkcs8(&self.der()?),
            // PKCS#1 and SEC1 keys are plain, or legacy-encrypted with a single MD5 round.
            _ => Ok(()),
        }
    }

    /// The base64 body, decoded (PEM headers such as `Proc-Type` skipped).
    fn der(&self) -> Result<Vec<u8>> {
        let body: String = self
            .text
            .lines()
            .skip(1)
            .take_while(|l| !l.starts_with("-----END "))
            .filter(|l| !l.contains(':'))
            .map(str::trim)
            .collect();
        base64::engine::general_purpose::STANDARD
            .decode(body)
            .map_err(|_| Error::invalid("Not a valid private key"))
    }
}

fn check_bcrypt(kdf: &Kdf) -> Result<()> {
    match kdf {
        Kdf::Bcrypt { rounds, .. } if *rounds > MAX_BCRYPT_ROUNDS => Err(too_costly(format!(
            "{rounds} bcrypt-pbkdf rounds (at most {MAX_BCRYPT_ROUNDS})"
        ))),
        _ => Ok(()),
    }
}

fn check_pkcs8(der: &[u8]) -> Result<()> {
    use pkcs8::pkcs5::EncryptionScheme;
    use pkcs8::pkcs5::pbes2::Kdf as Pbes2Kdf;

    let info = pkcs8::EncryptedPrivateKeyInfoRef::try_from(der)
        .map_err(|_| unsupported("encrypted PKCS#8 with an unknown scheme"))?;
    let params = match info.encryption_algorithm {
        EncryptionScheme::Pbes2(p) => p,
        _ => return Err(unsupported("PKCS#8 encrypted without PBES2")),
    };
    match params.kdf {
        Pbes2Kdf::Pbkdf2(p) if p.iteration_count > MAX_PBKDF2_ITERATIONS => {
            Err(too_costly(format!(
                "{} PBKDF2 iterations (at most {MAX_PBKDF2_ITERATIONS})",
                p.iteration_count
            )))
        }
        Pbes2Kdf::Pbkdf2(_) => Ok(()),
        Pbes2Kdf::Scrypt(s) => {
            let memory = u128::from(s.cost_parameter) * u128::from(s.block_size) * 128;
            if memory > u128::from(MAX_SCRYPT_MEMORY) {
                return Err(too_costly(format!(
                    "scrypt needs {} MiB (at most {} MiB)",
                    memory / (1024 * 1024),
                    MAX_SCRYPT_MEMORY / (1024 * 1024)
                )));
            }
            if s.parallelization > MAX_SCRYPT_PARALLELISM {
                return Err(too_costly(format!(
                    "scrypt parallelism {} (at most {MAX_SCRYPT_PARALLELISM})",
                    s.parallelization
                )));
            }
            Ok(())
        }
        _ => Err(unsupported(
            "PKCS#8 with an unknown key-derivation function",
        )),
    }
}

fn too_costly(what: String) -> Error {
    Error::invalid(format!(
        "Key refused: its passphrase derivation is too costly: {what}"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    /// One block of a listed kind is found with text around it; a second block, an unlisted
    /// label, a PuTTY file and text without a key are refused.
    fn blocks() {
        let key = "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----";
        let text = format!("comment\n{key}\ntrailer");
        let b = pem_block(&text).unwrap();
        assert_eq!((b.label, b.text), ("PRIVATE KEY", key));
        assert!(pem_block(&format!("{key}\n{key}")).is_err());
        let dsa = "-----BEGIN DSA PRIVATE KEY-----\nAAAA\n-----END DSA PRIVATE KEY-----";
        assert!(
            pem_block(dsa)
                .err()
                .unwrap()
                .to_string()
                .contains("Unsupported key format: DSA PRIVATE KEY")
        );
        assert!(pem_block("PuTTY-User-Key-File-3: ssh-ed25519\n").is_err());
        assert!(pem_block("hello").is_err());
    }

    #[test]
    /// The rounds `ssh-keygen` writes pass; 2^32-1 is refused by naming the count (the
    /// end-to-end tests send such a key file whole).
    fn openssh_rounds_are_bounded() {
        let key = crate::ssh_keys::material::generate("ed25519", 0, Some("pw")).unwrap();
        pem_block(&key.pem).unwrap().check_kdf().unwrap();
        let hostile = Kdf::Bcrypt {
            salt: vec![0; 16],
            rounds: u32::MAX,
        };
        let e = check_bcrypt(&hostile).unwrap_err().to_string();
        assert!(e.contains("4294967295 bcrypt-pbkdf rounds"), "{e}");
    }
}
