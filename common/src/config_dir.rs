//! The config directory: where each file lives, how it is opened, and how a missing one is
//! created on first start.

use std::fs;
use std::io::ErrorKind;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use crate::crypto::Cipher;
use crate::servers::Server;
use crate::ssh_keys::SshKeyMeta;
use crate::store::{JsonStore, create_private_dir, create_private_file};
use crate::users::User;
use crate::{Error, Result};

/// Where the Python backend kept its files; pgmon's default too.
pub const DEFAULT_CONFIG_DIR: &str = "/etc/pg_activity_monitor";

pub const KEY_FILE: &str = "encryption_key.key";
pub const SECRET_KEY_FILE: &str = "secret_key";

pub struct ConfigDir {
    root: PathBuf,
    cipher: OnceLock<Cipher>,
    min_password_length: usize,
    pub users: JsonStore<User>,
    pub servers: JsonStore<Server>,
    pub ssh_keys: JsonStore<SshKeyMeta>,
}

/// What [`ConfigDir::initialize`] had to create.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Created {
    pub dir: bool,
    pub encryption_key: bool,
    pub secret_key: bool,
}

impl ConfigDir {
    /// Opens an existing config dir. Files are read when first used, so a dir that lacks
    /// one file still serves the others.
    pub fn open(root: impl Into<PathBuf>) -> Result<ConfigDir> {
        let root = root.into();
        match fs::metadata(&root) {
            Ok(m) if m.is_dir() => {}
            Ok(_) => {
                return Err(Error::io("opening config dir", &root)(std::io::Error::new(
                    ErrorKind::NotADirectory,
                    "not a directory",
                )));
            }
            Err(e) => return Err(Error::io("opening config dir", &root)(e)),
        }
        let ssh = root.join("ssh_keys");
        Ok(ConfigDir {
            users: JsonStore::new(root.join("users.json"), root.join("backups"), "users"),
            servers: JsonStore::new(root.join("servers.json"), root.join("backups"), "servers"),
            ssh_keys: JsonStore::new(ssh.join("keys.json"), ssh.join("backups"), "keys"),
            cipher: OnceLock::new(),
            min_password_length: crate::users::DEFAULT_MIN_PASSWORD_LENGTH,
            root,
        })
    }

    /// Creates what a first start needs and is missing: the folder (0700), the Fernet key and
    /// the JWT secret (0600), the key folders and empty stores. Existing files are never
    /// replaced.
    pub fn initialize(root: impl Into<PathBuf>) -> Result<(ConfigDir, Created)> {
        let root = root.into();
        let mut created = Created {
            dir: !root.exists(),
            ..Created::default()
        };
        create_private_dir(&root)?;
        let dir = ConfigDir::open(root)?;
        create_private_dir(&dir.private_keys_dir())?;
        let key = dir.root.join(KEY_FILE);
        if !key.exists() {
            create_private_file(&key, Cipher::generate_key().as_bytes())?;
            created.encryption_key = true;
        }
        let secret = dir.root.join(SECRET_KEY_FILE);
        if !secret.exists() {
            let bytes: [u8; 32] = rand::random();
            let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
            create_private_file(&secret, hex.as_bytes())?;
            created.secret_key = true;
        }
        for store in [dir.servers.path(), dir.ssh_keys.path()] {
            if !store.exists() {
                crate::store::write_atomic(store, b"[]\n")?;
            }
        }
        Ok((dir, created))
    }

    /// The same dir, requiring new passwords of at least `n` characters.
    pub fn with_min_password_length(mut self, n: usize) -> ConfigDir {
        self.min_password_length = n;
        self
    }

    pub fn min_password_length(&self) -> usize {
        self.min_password_length
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The Fernet cipher, loaded from `encryption_key.key` on first use.
    pub fn cipher(&self) -> Result<&Cipher> {
        if let Some(c) = self.cipher.get() {
            return Ok(c);
        }
        let path = self.root.join(KEY_FILE);
        let text = fs::read_to_string(&path).map_err(Error::io("reading", &path))?;
        let cipher = Cipher::from_key_text(&text).ok_or_else(|| Error::BadKeyFile {
            path,
            reason: "not a Fernet key (url-safe base64 of 32 bytes)".into(),
        })?;
        Ok(self.cipher.get_or_init(|| cipher))
    }

    /// The JWT signing secret from the `secret_key` file (whitespace trimmed).
    pub fn read_secret_key(&self) -> Result<String> {
        let path = self.root.join(SECRET_KEY_FILE);
        let text = fs::read_to_string(&path).map_err(Error::io("reading", &path))?;
        let secret = text.trim();
        if secret.len() < 32 {
            return Err(Error::BadKeyFile {
                path,
                reason: "secret shorter than 32 characters".into(),
            });
        }
        Ok(secret.to_owned())
    }

    pub fn private_keys_dir(&self) -> PathBuf {
        self.root.join("ssh_keys").join("private")
    }
}
