//! Fernet for secrets at rest and bcrypt for user passwords, both byte-compatible with the Python
//! backend (`cryptography.fernet` and `bcrypt` with cost 12).

use std::fmt;

use crate::{Error, Result};

/// bcrypt cost the Python backend used; hashes must stay `$2b$12$`.
pub const BCRYPT_COST: u32 = 12;

/// Encrypts and decrypts secrets with the config dir's Fernet key.
#[derive(Clone)]
pub struct Cipher(fernet::Fernet);

impl fmt::Debug for Cipher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Cipher(***)")
    }
}

impl Cipher {
    /// Builds a cipher from the text of `encryption_key.key`, surrounding whitespace ignored.
    pub fn from_key_text(text: &str) -> Option<Cipher> {
        fernet::Fernet::new(text.trim()).map(Cipher)
    }

    /// A new random key, as url-safe base64 text.
    pub fn generate_key() -> String {
        fernet::Fernet::generate_key()
    }

    pub fn encrypt(&self, plaintext: &str) -> String {
        self.0.encrypt(plaintext.as_bytes())
    }

    /// Decrypts a token; `what` names the secret in the error (never its value).
    pub fn decrypt(&self, token: &str, what: &str) -> Result<String> {
        let bytes = self.0.decrypt(token).map_err(|_| Error::Decrypt {
            what: what.to_owned(),
        })?;
        String::from_utf8(bytes).map_err(|_| Error::Decrypt {
            what: what.to_owned(),
        })
    }
}

/// Longest password bcrypt can take whole; Python's bcrypt rejects longer ones, so do we.
pub const MAX_PASSWORD_BYTES: usize = 72;

fn check_password_length(password: &str) -> Result<()> {
    if password.is_empty() {
        return Err(Error::invalid("Password must not be empty"));
    }
    if password.len() > MAX_PASSWORD_BYTES {
        return Err(Error::invalid(format!(
            "Password is longer than {MAX_PASSWORD_BYTES} bytes"
        )));
    }
    Ok(())
}

/// Hashes a password as `$2b$12$...`. Slow by design (~0.25 s): call it off async threads.
pub fn hash_password(password: &str) -> Result<String> {
    check_password_length(password)?;
    Ok(bcrypt::non_truncating_hash(password, BCRYPT_COST)?)
}

/// Checks a password against a stored hash; a malformed hash counts as a mismatch.
pub fn verify_password(password: &str, hash: &str) -> bool {
    password.len() <= MAX_PASSWORD_BYTES
        && bcrypt::non_truncating_verify(password, hash).unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    /// A token encrypted here decrypts with the same key, and not with another.
    fn fernet_round_trip_and_wrong_key() {
        let c = Cipher::from_key_text(&Cipher::generate_key()).unwrap();
        let t = c.encrypt("s3cret");
        assert!(t.starts_with("gAAAAA"));
        assert_eq!(c.decrypt(&t, "x").unwrap(), "s3cret");
        let other = Cipher::from_key_text(&Cipher::generate_key()).unwrap();
        assert!(matches!(other.decrypt(&t, "x"), Err(Error::Decrypt { .. })));
    }

    #[test]
    /// Hashes use the `$2b$12$` form and reject empty and over-long passwords.
    fn bcrypt_format_and_limits() {
        let h = hash_password("pw").unwrap();
        assert!(h.starts_with("$2b$12$"), "{h}");
        assert!(verify_password("pw", &h));
        assert!(!verify_password("pX", &h));
        assert!(!verify_password("pw", "not a hash"));
        assert!(hash_password("").is_err());
        assert!(hash_password(&"a".repeat(73)).is_err());
    }
}
