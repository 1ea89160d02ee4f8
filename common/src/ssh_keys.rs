//! Metadata of stored SSH keys (`ssh_keys/keys.json`). The private key itself lives, Fernet
//! encrypted, in `ssh_keys/private/key_<id>.pem`.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::config_dir::ConfigDir;
use crate::timestamp::Timestamp;
use crate::{Error, Result};

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
