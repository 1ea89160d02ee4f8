//! Monitored servers (`servers.json`) and the rules for changing them.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use utoipa::ToSchema;

use crate::api::ServerStatus;
use crate::config_dir::ConfigDir;
use crate::crypto::Cipher;
use crate::names::{is_valid_host, is_valid_name};
use crate::secret::StoredSecret;
use crate::{Error, Result};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Default, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum SshAuthType {
    #[default]
    Password,
    Key,
}

impl SshAuthType {
    pub fn as_str(self) -> &'static str {
        match self {
            SshAuthType::Password => "password",
            SshAuthType::Key => "key",
        }
    }
}

fn default_pg_port() -> u16 {
    5432
}

fn default_ssh_port() -> u16 {
    22
}

/// One entry of `servers.json`. Secrets stay in their stored (encrypted) form in memory and
/// are revealed only where a connection needs them.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Server {
    pub name: String,
    pub host: String,
    #[serde(default)]
    pub stats_db: Option<String>,
    pub user: String,
    #[serde(default)]
    pub password: Option<StoredSecret>,
    #[serde(default = "default_pg_port")]
    pub port: u16,
    #[serde(default)]
    pub ssh_user: Option<String>,
    #[serde(default)]
    pub ssh_password: Option<StoredSecret>,
    #[serde(default = "default_ssh_port")]
    pub ssh_port: u16,
    #[serde(default)]
    pub ssh_auth_type: SshAuthType,
    #[serde(default)]
    pub ssh_key_id: Option<String>,
    #[serde(default)]
    pub ssh_key_passphrase: Option<StoredSecret>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl Server {
    /// Encrypts any plaintext secret (hand-written entries) before the file is written.
    fn seal_secrets(&mut self, cipher: &Cipher) {
        for s in [
            &mut self.password,
            &mut self.ssh_password,
            &mut self.ssh_key_passphrase,
        ] {
            *s = s.take().map(|v| v.sealed(cipher));
        }
    }
}

/// The body of a create or full update (the API's `Server` model). Secrets are plaintext; on
/// update an absent, null or empty secret keeps the stored one.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct ServerInput {
    pub name: String,
    pub host: String,
    #[serde(default)]
    pub stats_db: Option<String>,
    pub user: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password: Option<String>,
    #[serde(default = "default_pg_port")]
    pub port: u16,
    #[serde(default)]
    pub ssh_user: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ssh_password: Option<String>,
    #[serde(default = "default_ssh_port")]
    pub ssh_port: u16,
    #[serde(default)]
    pub ssh_auth_type: SshAuthType,
    #[serde(default)]
    pub ssh_key_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ssh_key_passphrase: Option<String>,
}

impl Default for ServerInput {
    fn default() -> ServerInput {
        ServerInput {
            name: String::new(),
            host: String::new(),
            stats_db: None,
            user: String::new(),
            password: None,
            port: default_pg_port(),
            ssh_user: None,
            ssh_password: None,
            ssh_port: default_ssh_port(),
            ssh_auth_type: SshAuthType::Password,
            ssh_key_id: None,
            ssh_key_passphrase: None,
        }
    }
}

impl ServerInput {
    /// The input that, applied as an update, leaves the server shown by `status` as it is
    /// (secrets absent, so kept).
    pub fn from_status(status: &ServerStatus) -> ServerInput {
        ServerInput {
            name: status.name.clone(),
            host: status.host.clone(),
            stats_db: status.stats_db.clone(),
            user: status.user.clone(),
            port: status.port,
            ssh_user: status.ssh_user.clone(),
            ssh_port: status.ssh_port,
            ssh_auth_type: status.ssh_auth_type,
            ssh_key_id: status.ssh_key_id.clone(),
            ..ServerInput::default()
        }
    }

    /// The checks that need no store: name, host, ports, user.
    pub fn check_fields(&self) -> Result<()> {
        if !is_valid_name(&self.name) {
            return Err(Error::invalid("Invalid server name"));
        }
        if !is_valid_host(&self.host) {
            return Err(Error::invalid("Invalid host address"));
        }
        if self.port == 0 || self.ssh_port == 0 {
            return Err(Error::invalid("Invalid port"));
        }
        if self.user.is_empty() {
            return Err(Error::invalid("User must not be empty"));
        }
        Ok(())
    }

    fn validate(&self, dir: &ConfigDir) -> Result<()> {
        self.check_fields()?;
        if let Some(id) = self.ssh_key_id.as_deref().filter(|id| !id.is_empty()) {
            let known = dir.ssh_keys.load()?.iter().any(|k| k.id == id);
            if !known {
                return Err(Error::invalid(format!("SSH key not found: {id}")));
            }
        }
        Ok(())
    }

    /// Applies the input over `stored` (or a new entry), keeping stored secrets that the input
    /// leaves absent or empty, and the fields pgmon does not know.
    fn apply(self, stored: Option<&Server>, cipher: &Cipher) -> Server {
        let keep = |new: Option<String>, old: Option<&Option<StoredSecret>>| match new {
            Some(s) if !s.is_empty() => Some(StoredSecret::seal(&s, cipher)),
            _ => old.cloned().flatten(),
        };
        Server {
            password: keep(self.password, stored.map(|s| &s.password)),
            ssh_password: keep(self.ssh_password, stored.map(|s| &s.ssh_password)),
            ssh_key_passphrase: keep(
                self.ssh_key_passphrase,
                stored.map(|s| &s.ssh_key_passphrase),
            ),
            name: self.name,
            host: self.host,
            stats_db: self.stats_db.filter(|s| !s.is_empty()),
            user: self.user,
            port: self.port,
            ssh_user: self.ssh_user,
            ssh_port: self.ssh_port,
            ssh_auth_type: self.ssh_auth_type,
            ssh_key_id: self.ssh_key_id.filter(|s| !s.is_empty()),
            extra: stored.map(|s| s.extra.clone()).unwrap_or_default(),
        }
    }
}

fn position(servers: &[Server], name: &str) -> Result<usize> {
    servers
        .iter()
        .position(|s| s.name == name)
        .ok_or_else(|| Error::not_found("Server not found"))
}

const DUPLICATE: &str = "Server with this name already exists";

impl ConfigDir {
    pub fn list_servers(&self) -> Result<Vec<Server>> {
        Ok(self.servers.load()?.to_vec())
    }

    pub fn get_server(&self, name: &str) -> Result<Server> {
        let servers = self.servers.load()?;
        Ok(servers[position(&servers, name)?].clone())
    }

    /// The status object of `server` with only its stored facts (no live check).
    pub fn stored_status(&self, server: &Server) -> Result<ServerStatus> {
        Ok(ServerStatus::stored(server, &self.ssh_keys.load()?))
    }

    pub fn stored_statuses(&self) -> Result<Vec<ServerStatus>> {
        let keys = self.ssh_keys.load()?;
        let servers = self.servers.load()?;
        Ok(servers
            .iter()
            .map(|s| ServerStatus::stored(s, &keys))
            .collect())
    }

    pub fn create_server(&self, input: ServerInput) -> Result<Server> {
        input.validate(self)?;
        let cipher = self.cipher()?;
        let server = input.apply(None, cipher);
        self.update_servers(|servers| {
            if servers.iter().any(|s| s.name == server.name) {
                return Err(Error::invalid(DUPLICATE));
            }
            servers.push(server.clone());
            Ok(server)
        })
    }

    /// Replaces server `name` (possibly renaming it). Returns the old and the new entry, so the
    /// caller can drop pools and caches of the old endpoint.
    pub fn update_server(&self, name: &str, input: ServerInput) -> Result<(Server, Server)> {
        input.validate(self)?;
        let cipher = self.cipher()?;
        self.update_servers(|servers| {
            let i = position(servers, name)?;
            if input.name != name && servers.iter().any(|s| s.name == input.name) {
                return Err(Error::invalid(DUPLICATE));
            }
            let old = servers[i].clone();
            servers[i] = input.apply(Some(&old), cipher);
            Ok((old, servers[i].clone()))
        })
    }

    pub fn remove_server(&self, name: &str) -> Result<Server> {
        self.update_servers(|servers| {
            let i = position(servers, name)?;
            Ok(servers.remove(i))
        })
    }

    /// Every write of `servers.json` goes through here, so no plaintext secret survives one.
    fn update_servers<R>(&self, change: impl FnOnce(&mut Vec<Server>) -> Result<R>) -> Result<R> {
        let cipher = self.cipher()?;
        self.servers.update(|servers| {
            let out = change(servers)?;
            servers.iter_mut().for_each(|s| s.seal_secrets(cipher));
            Ok(out)
        })
    }
}
