//! Monitored servers (`servers.json`) and the rules for changing them.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use utoipa::ToSchema;

use crate::api::ServerStatus;
use crate::config_dir::ConfigDir;
use crate::crypto::Cipher;
use crate::names::{check_name, is_valid_host};
use crate::secret::StoredSecret;
use crate::{Error, Result};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Default, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum SshAuthType {
    #[default]
    Password,
    Key,
}

/// How pgmon asks a server for TLS, with libpq's `sslmode` meanings: `prefer` uses TLS when
/// the server offers it; `require` insists on it; neither checks the certificate (libpq's own
/// `require` checks it when a root certificate is given, and so does pgmon); `verify-ca` checks
/// it against `sslrootcert`; `verify-full` also checks that it names the host.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Default, ToSchema)]
#[cfg_attr(feature = "clap", derive(clap::ValueEnum))]
#[serde(rename_all = "kebab-case")]
pub enum SslMode {
    Disable,
    #[default]
    Prefer,
    Require,
    VerifyCa,
    VerifyFull,
}

impl SslMode {
    pub fn is_default(&self) -> bool {
        *self == SslMode::default()
    }
}

/// A server's own collection interval in a request: seconds, or `"default"`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(untagged)]
pub enum IntervalInput {
    Seconds(u64),
    Named(IntervalName),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum IntervalName {
    /// Follow the collector's setting again.
    Default,
}

impl std::str::FromStr for IntervalInput {
    type Err = String;

    fn from_str(s: &str) -> std::result::Result<IntervalInput, String> {
        match s {
            "default" => Ok(IntervalInput::Named(IntervalName::Default)),
            n => n
                .parse()
                .map(IntervalInput::Seconds)
                .map_err(|_| format!("{s:?} is neither a number of seconds nor \"default\"")),
        }
    }
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
    /// Hand the password to a server that asks for it in cleartext over an unencrypted
    /// connection (refused unless set; pgmon's addition).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub allow_cleartext_password: bool,
    /// Seconds between the collector's samples of this server, instead of the setting; 0
    /// stops sampling it (pgmon's addition).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub collect_interval: Option<u64>,
    /// TLS to the server (pgmon's addition; `prefer` when absent, as libpq's default).
    #[serde(default, skip_serializing_if = "SslMode::is_default")]
    pub sslmode: SslMode,
    /// PEM file of the CA(s) the server's certificate must chain to; a relative path is read
    /// from the config dir.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sslrootcert: Option<String>,
    /// Client certificate and its key (PEM files; the key file must be 0600).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sslcert: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sslkey: Option<String>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl Server {
    /// The TLS settings make sense together (checked on the entry an input makes, since an
    /// update may give some and keep the others).
    fn check_tls(&self) -> Result<()> {
        if self.sslcert.is_some() != self.sslkey.is_some() {
            return Err(Error::invalid(
                "sslcert and sslkey go together: give both or neither",
            ));
        }
        if matches!(self.sslmode, SslMode::VerifyCa | SslMode::VerifyFull)
            && self.sslrootcert.is_none()
        {
            return Err(Error::invalid(
                "sslmode verify-ca and verify-full need sslrootcert (the CA's PEM file)",
            ));
        }
        Ok(())
    }

    /// Encrypts any plaintext secret (hand-written entries) before the file is written;
    /// returns whether there was one.
    fn seal_secrets(&mut self, cipher: &Cipher) -> bool {
        let mut sealed_any = false;
        for s in [
            &mut self.password,
            &mut self.ssh_password,
            &mut self.ssh_key_passphrase,
        ] {
            sealed_any |= s.as_ref().is_some_and(|v| v.is_set() && !v.is_encrypted());
            *s = s.take().map(|v| v.sealed(cipher));
        }
        sealed_any
    }
}

/// Where stored secrets go: a PostgreSQL password to host, port and user; an SSH password to
/// host, SSH port and SSH user. A stored secret stays only while its target does.
#[derive(Debug, PartialEq, Eq)]
pub struct Targets<'a> {
    pg: (&'a str, u16, &'a str),
    ssh: (&'a str, u16, Option<&'a str>),
}

impl<'a> Targets<'a> {
    pub fn new(
        host: &'a str,
        port: u16,
        user: &'a str,
        ssh_port: u16,
        ssh_user: Option<&'a str>,
    ) -> Targets<'a> {
        Targets {
            pg: (host, port, user),
            ssh: (host, ssh_port, ssh_user),
        }
    }

    /// Whether going to `next` moves the PostgreSQL target, and the SSH target.
    pub fn moved_to(&self, next: &Targets<'_>) -> (bool, bool) {
        (self.pg != next.pg, self.ssh != next.ssh)
    }
}

impl Server {
    pub fn targets(&self) -> Targets<'_> {
        Targets::new(
            &self.host,
            self.port,
            &self.user,
            self.ssh_port,
            self.ssh_user.as_deref(),
        )
    }
}

/// Seals every plaintext secret of `servers`; returns whether there was one.
pub fn seal_all(servers: &mut [Server], cipher: &Cipher) -> bool {
    servers
        .iter_mut()
        .fold(false, |any, s| s.seal_secrets(cipher) | any)
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
    #[serde(
        default = "default_pg_port",
        deserialize_with = "crate::api::nullable::u16_or::<5432, _>"
    )]
    pub port: u16,
    #[serde(default)]
    pub ssh_user: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ssh_password: Option<String>,
    #[serde(
        default = "default_ssh_port",
        deserialize_with = "crate::api::nullable::u16_or::<22, _>"
    )]
    pub ssh_port: u16,
    #[serde(default, deserialize_with = "crate::api::nullable::or_default")]
    pub ssh_auth_type: SshAuthType,
    #[serde(default)]
    pub ssh_key_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ssh_key_passphrase: Option<String>,
    /// See `Server::allow_cleartext_password`; absent keeps the stored setting.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allow_cleartext_password: Option<bool>,
    /// See `Server::collect_interval`: 0, or 10 seconds and more; `"default"` drops the
    /// server's own interval (the setting applies again); absent or null keeps the stored one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub collect_interval: Option<IntervalInput>,
    /// See `Server::sslmode`; absent or null keeps the stored one (`prefer` for a new server).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sslmode: Option<SslMode>,
    /// File paths (see `Server`); absent or null keeps the stored one, `""` clears it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sslrootcert: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sslcert: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sslkey: Option<String>,
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
            allow_cleartext_password: None,
            collect_interval: None,
            sslmode: None,
            sslrootcert: None,
            sslcert: None,
            sslkey: None,
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
            sslmode: Some(status.sslmode),
            ..ServerInput::default()
        }
    }

    pub fn targets(&self) -> Targets<'_> {
        Targets::new(
            &self.host,
            self.port,
            &self.user,
            self.ssh_port,
            self.ssh_user.as_deref(),
        )
    }

    /// The server this input describes, validated against the stored SSH keys `keys`, secrets
    /// sealed, not stored (for testing it before it is saved).
    pub fn unsaved(self, keys: &[crate::ssh_keys::SshKeyMeta], cipher: &Cipher) -> Result<Server> {
        self.validate_with(keys)?;
        let server = self.apply(None, cipher).0;
        server.check_tls()?;
        Ok(server)
    }

    /// The checks that need no store: name, host, ports, user.
    pub fn check_fields(&self) -> Result<()> {
        check_name("server name", &self.name)?;
        if !is_valid_host(&self.host) {
            return Err(Error::invalid("Invalid host address"));
        }
        if self.port == 0 || self.ssh_port == 0 {
            return Err(Error::invalid("Invalid port"));
        }
        if self.user.is_empty() {
            return Err(Error::invalid("User must not be empty"));
        }
        if let Some(why) = self.interval_out_of_range() {
            return Err(Error::invalid(why));
        }
        Ok(())
    }

    /// Why the body's `collect_interval` is out of its bounds, if it is.
    pub fn interval_out_of_range(&self) -> Option<String> {
        match self.collect_interval {
            Some(IntervalInput::Seconds(s))
                if s != 0 && !(MIN_COLLECT_INTERVAL..=MAX_COLLECT_INTERVAL).contains(&s) =>
            {
                Some(format!(
                    "collect_interval must be 0 (not sampled) or {MIN_COLLECT_INTERVAL} to \
                     {MAX_COLLECT_INTERVAL} seconds"
                ))
            }
            _ => None,
        }
    }

    fn validate(&self, dir: &ConfigDir) -> Result<()> {
        self.validate_with(&dir.ssh_keys.load()?)
    }

    /// The checks, against the stored SSH keys `keys`.
    pub(crate) fn validate_with(&self, keys: &[crate::ssh_keys::SshKeyMeta]) -> Result<()> {
        self.check_fields()?;
        if let Some(id) = self.ssh_key_id.as_deref().filter(|id| !id.is_empty()) {
            let known = keys.iter().any(|k| k.id == id);
            if !known {
                return Err(Error::invalid(format!("SSH key not found: {id}")));
            }
        }
        Ok(())
    }

    /// Applies the input over `stored` (or a new entry), keeping the fields pgmon does not know
    /// and the stored secrets that the input leaves absent or empty, but only while they would
    /// go where they went before: a PostgreSQL password to the same host, port and user, an SSH
    /// password to the same host, SSH port and SSH user. Otherwise the secret is cleared (and
    /// named in the returned list), so a changed target never receives the old one.
    fn apply(self, stored: Option<&Server>, cipher: &Cipher) -> (Server, Vec<&'static str>) {
        let mut cleared = Vec::new();
        let mut keep = |field: &'static str,
                        new: Option<String>,
                        old: Option<&Option<StoredSecret>>,
                        same_target: bool| match new {
            Some(s) if !s.is_empty() => Some(StoredSecret::seal(&s, cipher)),
            _ => {
                let old = old.cloned().flatten();
                if same_target || !crate::secret::is_set(&old) {
                    old
                } else {
                    cleared.push(field);
                    None
                }
            }
        };
        let (pg_moved, ssh_moved) =
            stored.map_or((false, false), |s| s.targets().moved_to(&self.targets()));
        let password = keep(
            "password",
            self.password,
            stored.map(|s| &s.password),
            !pg_moved,
        );
        let ssh_password = keep(
            "ssh_password",
            self.ssh_password,
            stored.map(|s| &s.ssh_password),
            !ssh_moved,
        );
        // The passphrase opens a key here; it is never sent anywhere.
        let ssh_key_passphrase = keep(
            "ssh_key_passphrase",
            self.ssh_key_passphrase,
            stored.map(|s| &s.ssh_key_passphrase),
            true,
        );
        let server = Server {
            password,
            ssh_password,
            ssh_key_passphrase,
            name: self.name,
            host: self.host,
            stats_db: self.stats_db.filter(|s| !s.is_empty()),
            user: self.user,
            port: self.port,
            ssh_user: self.ssh_user,
            ssh_port: self.ssh_port,
            ssh_auth_type: self.ssh_auth_type,
            ssh_key_id: self.ssh_key_id.filter(|s| !s.is_empty()),
            allow_cleartext_password: self
                .allow_cleartext_password
                .unwrap_or(stored.is_some_and(|s| s.allow_cleartext_password)),
            collect_interval: match self.collect_interval {
                Some(IntervalInput::Seconds(n)) => Some(n),
                Some(IntervalInput::Named(IntervalName::Default)) => None,
                None => stored.and_then(|s| s.collect_interval),
            },
            sslmode: self
                .sslmode
                .or(stored.map(|s| s.sslmode))
                .unwrap_or_default(),
            sslrootcert: kept_path(self.sslrootcert, stored.and_then(|s| s.sslrootcert.clone())),
            sslcert: kept_path(self.sslcert, stored.and_then(|s| s.sslcert.clone())),
            sslkey: kept_path(self.sslkey, stored.and_then(|s| s.sslkey.clone())),
            extra: stored.map(|s| s.extra.clone()).unwrap_or_default(),
        };
        (server, cleared)
    }
}

/// A path field of an input over the stored one: absent keeps it, empty clears it.
fn kept_path(given: Option<String>, stored: Option<String>) -> Option<String> {
    match given {
        Some(p) if p.is_empty() => None,
        Some(p) => Some(p),
        None => stored,
    }
}

/// What an update did: the entry before and after, and the stored secrets it cleared because
/// their target changed without a new secret.
#[derive(Debug)]
pub struct ServerUpdate {
    pub old: Server,
    pub new: Server,
    pub cleared: Vec<&'static str>,
}

impl ServerUpdate {
    /// `cleared_secrets` of the answer: the cleared fields, or nothing when none was.
    pub fn cleared_secrets(&self) -> Option<Vec<String>> {
        (!self.cleared.is_empty()).then(|| self.cleared.iter().map(|f| f.to_string()).collect())
    }
}

/// Adds `input` (validated) to `servers`.
pub(crate) fn create_in(
    servers: &mut Vec<Server>,
    input: ServerInput,
    cipher: &Cipher,
    max_servers: usize,
) -> Result<Server> {
    let (server, _) = input.apply(None, cipher);
    server.check_tls()?;
    if servers.iter().any(|s| s.name == server.name) {
        return Err(Error::invalid(DUPLICATE));
    }
    if servers.len() >= max_servers {
        return Err(Error::invalid(format!(
            "Server limit reached: {max_servers} servers (max_servers in pgmond.toml)"
        )));
    }
    servers.push(server.clone());
    Ok(server)
}

/// Replaces server `name` in `servers` with `input` (validated).
pub(crate) fn update_in(
    servers: &mut [Server],
    name: &str,
    input: ServerInput,
    cipher: &Cipher,
) -> Result<ServerUpdate> {
    let i = position(servers, name)?;
    if input.name != name && servers.iter().any(|s| s.name == input.name) {
        return Err(Error::invalid(DUPLICATE));
    }
    let old = servers[i].clone();
    let (new, cleared) = input.apply(Some(&old), cipher);
    new.check_tls()?;
    servers[i] = new.clone();
    Ok(ServerUpdate { old, new, cleared })
}

pub(crate) fn remove_in(servers: &mut Vec<Server>, name: &str) -> Result<Server> {
    let i = position(servers, name)?;
    Ok(servers.remove(i))
}

fn position(servers: &[Server], name: &str) -> Result<usize> {
    servers
        .iter()
        .position(|s| s.name == name)
        .ok_or_else(|| Error::not_found("Server not found"))
}

const DUPLICATE: &str = "Server with this name already exists";

/// Monitored servers at most, unless `max_servers` in pgmond.toml says otherwise: every write
/// rewrites the whole file, so an unbounded list is a slow-down anyone with the operator role
/// could cause.
pub const DEFAULT_MAX_SERVERS: usize = 10_000;

/// The shortest per-server collection interval the API accepts (pgmond.toml may set shorter
/// ones for tests).
pub const MIN_COLLECT_INTERVAL: u64 = 10;
/// The longest collection interval, as for the collector's setting: a day.
pub const MAX_COLLECT_INTERVAL: u64 = 86_400;

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

    /// Adds a server, while there are fewer than `max_servers`.
    pub fn create_server(&self, input: ServerInput, max_servers: usize) -> Result<Server> {
        input.validate(self)?;
        let cipher = self.cipher()?;
        self.update_servers(|servers| create_in(servers, input, cipher, max_servers))
    }

    /// Replaces server `name` (possibly renaming it). Returns the old and the new entry, so the
    /// caller can drop pools and caches of the old endpoint, and which secrets were cleared.
    pub fn update_server(&self, name: &str, input: ServerInput) -> Result<ServerUpdate> {
        input.validate(self)?;
        let cipher = self.cipher()?;
        self.update_servers(|servers| update_in(servers, name, input, cipher))
    }

    pub fn remove_server(&self, name: &str) -> Result<Server> {
        self.update_servers(|servers| remove_in(servers, name))
    }

    /// Every write of `servers.json` goes through here, so no plaintext secret survives one,
    /// in the new file or in the backup of the old one.
    pub(crate) fn update_servers<R>(
        &self,
        change: impl FnOnce(&mut Vec<Server>) -> Result<R>,
    ) -> Result<R> {
        let cipher = self.cipher()?;
        let scrub = |old: &mut Vec<Server>| seal_all(old, cipher);
        self.servers.update_scrubbed(
            |servers| {
                let out = change(servers)?;
                seal_all(servers, cipher);
                Ok(out)
            },
            Some(&scrub),
        )
    }
}
