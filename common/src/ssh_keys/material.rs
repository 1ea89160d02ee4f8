//! SSH key material: generation, import from the formats people have (OpenSSH, PKCS#1,
//! PKCS#8, SEC1; RSA, Ed25519, ECDSA), fingerprints as `ssh-keygen -l -E sha256` prints them.
//! Private keys are held in `Zeroizing` buffers and never formatted into errors.

use russh::keys::ssh_key::{
    self, Algorithm, HashAlg, LineEnding, PrivateKey, getrandom::SysRng, rand_core::UnwrapErr,
};
use zeroize::Zeroizing;

use crate::{Error, Result};

/// The comment of every public key pgmon hands out.
pub const KEY_COMMENT: &str = "pgmon@activity-monitor";
pub const RSA_BITS: std::ops::RangeInclusive<usize> = 2048..=8192;

/// A private key ready to store: its PEM text (as it will be encrypted on disk) and what the
/// metadata says about it.
pub struct KeyMaterial {
    pub pem: Zeroizing<String>,
    pub key_type: String,
    pub public_key: String,
    pub fingerprint: String,
    pub has_passphrase: bool,
}

impl std::fmt::Debug for KeyMaterial {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "KeyMaterial({} {})", self.key_type, self.fingerprint)
    }
}

/// `rsa`, `ed25519` or `ecdsa`: what `keys.json` calls the algorithm.
fn key_type(alg: &Algorithm) -> Result<&'static str> {
    match alg {
        Algorithm::Rsa { .. } => Ok("rsa"),
        Algorithm::Ed25519 => Ok("ed25519"),
        Algorithm::Ecdsa { .. } => Ok("ecdsa"),
        other => Err(Error::invalid(format!(
            "Unsupported key type: {}",
            other.as_str()
        ))),
    }
}

/// The public half as one `authorized_keys` line with pgmon's comment, and its fingerprint.
fn public_facts(key: &PrivateKey) -> Result<(String, String)> {
    let mut public = key.public_key().clone();
    public.set_comment(KEY_COMMENT);
    let line = public
        .to_openssh()
        .map_err(|_| Error::invalid("Could not encode the public key"))?;
    Ok((line, public.fingerprint(HashAlg::Sha256).to_string()))
}

/// A new key: RSA of `bits` (2048..=8192) or Ed25519, in OpenSSH format, encrypted with the
/// passphrase when one is given. RSA generation takes seconds: call off async threads.
pub fn generate(key_type_name: &str, bits: usize, passphrase: Option<&str>) -> Result<KeyMaterial> {
    let mut rng = UnwrapErr(SysRng);
    let mut key = match key_type_name {
        "ed25519" => PrivateKey::random(&mut rng, Algorithm::Ed25519),
        "rsa" if RSA_BITS.contains(&bits) => {
            ssh_key::private::RsaKeypair::random(&mut rng, bits).map(PrivateKey::from)
        }
        "rsa" => {
            return Err(Error::invalid(
                "RSA key size must be between 2048 and 8192 bits",
            ));
        }
        other => {
            return Err(Error::invalid(format!(
                "Unsupported key type: {other} (rsa or ed25519)"
            )));
        }
    }
    .map_err(|_| Error::invalid("Key generation failed"))?;
    key.set_comment(KEY_COMMENT);
    let (public_key, fingerprint) = public_facts(&key)?;
    let passphrase = passphrase.filter(|p| !p.is_empty());
    if let Some(p) = passphrase {
        key = key
            .encrypt(&mut SysRng, p)
            .map_err(|_| Error::invalid("Could not encrypt the key with the passphrase"))?;
    }
    let pem = key
        .to_openssh(LineEnding::LF)
        .map_err(|_| Error::invalid("Could not encode the private key"))?;
    Ok(KeyMaterial {
        pem: Zeroizing::new(pem.to_string()),
        key_type: key_type_name.to_owned(),
        public_key,
        fingerprint,
        has_passphrase: passphrase.is_some(),
    })
}

/// Reads a private key in any supported format, decrypting it with `passphrase` if needed.
/// The key's PEM block is kept as given (it is what gets stored); a wrong passphrase and text that is not
/// a key are told apart.
pub fn import(text: &str, passphrase: Option<&str>) -> Result<KeyMaterial> {
    let passphrase = passphrase.filter(|p| !p.is_empty());
    let block = super::format::pem_block(text)?.text;
    let key = parse(block, passphrase)?;
    let key_type = key_type(&key.algorithm())?.to_owned();
    let (public_key, fingerprint) = public_facts(&key)?;
    Ok(KeyMaterial {
        pem: Zeroizing::new(block.to_owned() + "\n"),
        key_type,
        public_key,
        fingerprint,
        has_passphrase: is_encrypted(block),
    })
}

/// The usable (decrypted) key from stored PEM text. The key-derivation parameters are checked
/// before the passphrase is used (see [`super::format`]), wherever the key comes from.
pub fn parse(text: &str, passphrase: Option<&str>) -> Result<PrivateKey> {
    let block = super::format::pem_block(text)?;
    let encrypted = is_encrypted(block.text);
    if encrypted && passphrase.is_none() {
        return Err(Error::invalid(
            "The key is encrypted: a passphrase is needed",
        ));
    }
    block.check_kdf()?;
    match russh::keys::decode_secret_key(block.text, passphrase) {
        Ok(key) if key.is_encrypted() => Err(Error::invalid("Wrong passphrase")),
        Ok(key) => Ok(key),
        Err(_) if encrypted => Err(Error::invalid("Wrong passphrase")),
        Err(_) => Err(Error::invalid("Not a valid private key")),
    }
}

/// Whether PEM text holds an encrypted key (OpenSSH with a cipher, PKCS#8 encrypted, or a
/// legacy `Proc-Type: 4,ENCRYPTED` PEM).
fn is_encrypted(text: &str) -> bool {
    if text.contains("ENCRYPTED") {
        return true;
    }
    PrivateKey::from_openssh(text.trim()).is_ok_and(|k| k.is_encrypted())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    /// A generated Ed25519 key round-trips, with and without passphrase; a wrong passphrase
    /// and garbage are refused with different messages.
    fn generate_and_reimport() {
        let k = generate("ed25519", 0, None).unwrap();
        assert!(
            k.public_key.starts_with("ssh-ed25519 ")
                && k.public_key.ends_with(" pgmon@activity-monitor")
        );
        assert!(k.fingerprint.starts_with("SHA256:") && !k.fingerprint.ends_with('='));
        let again = import(&k.pem, None).unwrap();
        assert_eq!(again.fingerprint, k.fingerprint);
        assert!(!again.has_passphrase);

        let locked = generate("ed25519", 0, Some("pw")).unwrap();
        assert!(locked.has_passphrase);
        assert_eq!(
            import(&locked.pem, Some("pw")).unwrap().fingerprint,
            locked.fingerprint
        );
        let wrong = import(&locked.pem, Some("nope")).unwrap_err().to_string();
        assert_eq!(wrong, "Wrong passphrase");
        assert!(
            import(&locked.pem, None)
                .unwrap_err()
                .to_string()
                .contains("passphrase")
        );
        assert_eq!(
            import("hello", None).unwrap_err().to_string(),
            "Not a private key: expected an OpenSSH or PEM private key"
        );
        let broken =
            "-----BEGIN OPENSSH PRIVATE KEY-----\nAAAA\n-----END OPENSSH PRIVATE KEY-----\n";
        assert_eq!(
            import(broken, None).unwrap_err().to_string(),
            "Not a valid private key"
        );
        assert!(generate("rsa", 1024, None).is_err());
        assert!(generate("dsa", 0, None).is_err());
    }

    #[test]
    /// RSA keys are generated at the asked size.
    fn rsa_generation() {
        let k = generate("rsa", 2048, None).unwrap();
        assert!(k.public_key.starts_with("ssh-rsa "));
        assert_eq!(import(&k.pem, None).unwrap().key_type, "rsa");
    }
}
