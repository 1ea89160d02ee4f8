//! Stored SSH keys: metadata in `ssh_keys/keys.json`, the private key Fernet-encrypted in
//! `ssh_keys/private/key_<id>.pem` (0600). A private key is decrypted only in memory, only
//! while a connection is made.

pub mod format;
pub mod material;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use std::path::PathBuf;

use zeroize::Zeroizing;

use crate::config_dir::ConfigDir;
use crate::names::check_name;
use crate::servers::Server;
use crate::store::create_private_file;
use crate::timestamp::Timestamp;
use crate::{Error, Result};
use material::KeyMaterial;

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct SshKeyMeta {
    pub id: String,
    pub name: String,
    pub fingerprint: String,
    pub key_type: String,
    pub created_at: Timestamp,
    #[serde(default)]
    pub created_by: Option<String>,
    pub public_key: String,
    /// Informational only (an old install's absolute path); never used to open the key.
    #[serde(default)]
    pub private_key_path: Option<String>,
    #[serde(default)]
    pub has_passphrase: bool,
    #[serde(default)]
    pub servers_count: u32,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl ConfigDir {
    pub fn list_ssh_keys(&self) -> Result<Vec<SshKeyMeta>> {
        Ok(self.ssh_keys.load()?.to_vec())
    }

    /// A key by id, or by name when exactly one key has that name (what `pgmonctl` accepts).
    pub fn find_ssh_key(&self, id_or_name: &str) -> Result<SshKeyMeta> {
        let keys = self.ssh_keys.load()?;
        if let Some(k) = keys.iter().find(|k| k.id == id_or_name) {
            return Ok(k.clone());
        }
        let mut named = keys.iter().filter(|k| k.name == id_or_name);
        match (named.next(), named.next()) {
            (Some(k), None) => Ok(k.clone()),
            (Some(_), Some(_)) => Err(Error::invalid(format!(
                "Several SSH keys are named {id_or_name}: use the key id"
            ))),
            (None, _) => Err(Error::not_found(format!("SSH key not found: {id_or_name}"))),
        }
    }
}

/// A key to add: its material (generated or imported) and who and what it is for.
#[derive(Debug)]
pub struct NewKey {
    pub name: String,
    pub description: Option<String>,
    pub created_by: String,
    pub material: KeyMaterial,
}

fn key_not_found() -> Error {
    Error::not_found("SSH key not found")
}

/// Sets every key's `servers_count` from the servers that use it, so the file stays true for
/// the Python backend, which reads the count from it.
fn recount(keys: &mut [SshKeyMeta], servers: &[Server]) {
    for k in keys {
        k.servers_count = servers
            .iter()
            .filter(|s| s.ssh_key_id.as_deref() == Some(k.id.as_str()))
            .count() as u32;
    }
}

impl ConfigDir {
    pub fn get_ssh_key(&self, id: &str) -> Result<SshKeyMeta> {
        self.ssh_keys
            .load()?
            .iter()
            .find(|k| k.id == id)
            .cloned()
            .ok_or_else(key_not_found)
    }

    /// The private key file of `id`. Ids come from `keys.json`, which may have been edited by
    /// hand: only UUID-shaped ids ever become a path.
    fn private_key_file(&self, id: &str) -> Result<PathBuf> {
        let uuid_shaped = !id.is_empty()
            && id.len() <= 64
            && id.chars().all(|c| c.is_ascii_hexdigit() || c == '-');
        if !uuid_shaped {
            return Err(key_not_found());
        }
        Ok(self.private_keys_dir().join(format!("key_{id}.pem")))
    }

    /// Stores a new key: the encrypted private key file first (0600), then its metadata.
    pub fn add_ssh_key(&self, new: NewKey) -> Result<SshKeyMeta> {
        check_name("key name", &new.name)?;
        let id = uuid::Uuid::new_v4().to_string();
        let path = self.private_key_file(&id)?;
        let meta = SshKeyMeta {
            id: id.clone(),
            name: new.name,
            fingerprint: new.material.fingerprint.clone(),
            key_type: new.material.key_type.clone(),
            created_at: Timestamp::now(),
            created_by: Some(new.created_by),
            public_key: new.material.public_key.clone(),
            private_key_path: Some(path.display().to_string()),
            has_passphrase: new.material.has_passphrase,
            servers_count: 0,
            description: new.description,
            extra: Map::new(),
        };
        let servers = self.list_servers()?;
        let token = Zeroizing::new(self.cipher()?.encrypt(&new.material.pem));
        crate::store::create_private_dir(&self.private_keys_dir())?;
        let written = self.ssh_keys.update(|keys| {
            if keys.iter().any(|k| k.name == meta.name) {
                return Err(Error::invalid(format!(
                    "Key with name '{}' already exists",
                    meta.name
                )));
            }
            if let Some(k) = keys.iter().find(|k| k.fingerprint == meta.fingerprint) {
                return Err(Error::invalid(format!(
                    "This key is already stored as '{}'",
                    k.name
                )));
            }
            create_private_file(&path, token.as_bytes())?;
            keys.push(meta.clone());
            recount(keys, &servers);
            Ok(meta)
        });
        if written.is_err() {
            let _ = std::fs::remove_file(&path);
        }
        written
    }

    /// Renames a key or changes its description; `None` leaves a field as it is.
    pub fn update_ssh_key(
        &self,
        id: &str,
        name: Option<String>,
        description: Option<String>,
    ) -> Result<SshKeyMeta> {
        if let Some(n) = &name {
            check_name("key name", n)?;
        }
        let servers = self.list_servers()?;
        self.ssh_keys.update(|keys| {
            if let Some(n) = &name
                && keys.iter().any(|k| &k.name == n && k.id != id)
            {
                return Err(Error::invalid(format!(
                    "Key with name '{n}' already exists"
                )));
            }
            let key = keys
                .iter_mut()
                .find(|k| k.id == id)
                .ok_or_else(key_not_found)?;
            if let Some(n) = name {
                key.name = n;
            }
            if let Some(d) = description {
                key.description = Some(d).filter(|d| !d.is_empty());
            }
            let updated = key.clone();
            recount(keys, &servers);
            Ok(updated)
        })
    }

    /// Deletes a key that no server uses: metadata first, then the private key file.
    pub fn delete_ssh_key(&self, id: &str) -> Result<()> {
        let users: Vec<String> = self
            .servers_using_key(id)?
            .into_iter()
            .map(|s| s.name)
            .collect();
        if !users.is_empty() {
            return Err(Error::invalid(format!(
                "Key is used by servers: {}",
                users.join(", ")
            )));
        }
        let path = self.private_key_file(id)?;
        self.ssh_keys.update(|keys| {
            let before = keys.len();
            keys.retain(|k| k.id != id);
            if keys.len() == before {
                return Err(key_not_found());
            }
            Ok(())
        })?;
        match std::fs::remove_file(&path) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                Err(Error::io("removing", path)(e))
            }
            _ => Ok(()),
        }
    }

    pub fn servers_using_key(&self, id: &str) -> Result<Vec<Server>> {
        Ok(self
            .list_servers()?
            .into_iter()
            .filter(|s| s.ssh_key_id.as_deref() == Some(id))
            .collect())
    }

    /// The decrypted PEM text of key `id`, for the moment a connection is made.
    pub fn private_key_pem(&self, id: &str) -> Result<Zeroizing<String>> {
        let path = self.private_key_file(id)?;
        let token =
            Zeroizing::new(std::fs::read_to_string(&path).map_err(Error::io("reading", &path))?);
        Ok(Zeroizing::new(
            self.cipher()?
                .decrypt(token.trim(), &format!("SSH key {id}"))?,
        ))
    }
}
