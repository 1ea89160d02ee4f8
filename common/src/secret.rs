//! A secret as it is stored in `servers.json`: a Fernet token, or plaintext in hand-written files.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::Result;
use crate::crypto::Cipher;

/// Prefix of every Fernet token (version byte 0x80 and the first timestamp bytes).
const FERNET_PREFIX: &str = "gAAAAA";

/// The stored form of a secret. Never printed: `Debug` hides it.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct StoredSecret(String);

impl fmt::Debug for StoredSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("StoredSecret(***)")
    }
}

impl StoredSecret {
    /// Encrypts a plaintext secret; an empty one stays empty ("no secret").
    pub fn seal(plaintext: &str, cipher: &Cipher) -> StoredSecret {
        if plaintext.is_empty() {
            StoredSecret(String::new())
        } else {
            StoredSecret(cipher.encrypt(plaintext))
        }
    }

    /// The text as stored (a Fernet token, or a hand-written plaintext): only to tell two
    /// stored secrets apart, never to show.
    pub fn stored_form(&self) -> &str {
        &self.0
    }

    pub fn is_set(&self) -> bool {
        !self.0.is_empty()
    }

    pub fn is_encrypted(&self) -> bool {
        self.0.starts_with(FERNET_PREFIX)
    }

    /// The plaintext; a hand-written plaintext value is returned as it is.
    pub fn reveal(&self, cipher: &Cipher, what: &str) -> Result<String> {
        if self.is_encrypted() {
            cipher.decrypt(&self.0, what)
        } else {
            Ok(self.0.clone())
        }
    }

    /// The same secret in encrypted form, so plaintext never survives a rewrite.
    pub fn sealed(self, cipher: &Cipher) -> StoredSecret {
        if self.is_set() && !self.is_encrypted() {
            StoredSecret::seal(&self.0, cipher)
        } else {
            self
        }
    }
}

/// Whether an optional stored secret holds a value (null and "" both mean none).
pub fn is_set(secret: &Option<StoredSecret>) -> bool {
    secret.as_ref().is_some_and(StoredSecret::is_set)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    /// Plaintext from hand-written files is read as is and encrypted on sealing; tokens are kept.
    fn plaintext_is_sealed_and_tokens_kept() {
        let c = Cipher::from_key_text(&Cipher::generate_key()).unwrap();
        let plain = StoredSecret("legacy".into());
        assert_eq!(plain.reveal(&c, "p").unwrap(), "legacy");
        let sealed = plain.sealed(&c);
        assert!(sealed.is_encrypted());
        assert_eq!(sealed.reveal(&c, "p").unwrap(), "legacy");
        assert_eq!(sealed.clone().sealed(&c), sealed);
        assert!(!StoredSecret::seal("", &c).is_set());
        assert_eq!(format!("{sealed:?}"), "StoredSecret(***)");
    }
}
