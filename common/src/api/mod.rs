//! JSON shapes of the API that both the daemon and `pgmonctl` speak. Responses never carry a
//! password, hash, token secret or private key.

pub mod activity;
pub mod alerts;
pub mod analysis;
pub mod audit;
pub mod checks;
pub mod databases;
pub mod fleet;
pub mod history;
pub mod nullable;
pub mod replication;
pub mod settings;
pub mod statements;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::secret;
use crate::servers::{Server, SshAuthType, SslMode};
use crate::ssh_keys::SshKeyMeta;
use crate::users::{Role, User};

/// The one of `all` whose name is `s`: how the API's small enums are read from a flag.
pub fn named<T: Copy>(all: &[T], name: fn(T) -> &'static str, s: &str) -> Option<T> {
    all.iter().copied().find(|v| name(*v) == s)
}

/// A user as the API shows it (`GET /users`, `/users/me`).
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, ToSchema)]
pub struct UserResponse {
    pub login: String,
    pub role: Role,
    pub email: Option<String>,
    #[schema(format = DateTime)]
    pub created_at: Option<String>,
    #[schema(format = DateTime)]
    pub last_login: Option<String>,
    pub is_active: bool,
}

impl From<&User> for UserResponse {
    fn from(u: &User) -> UserResponse {
        UserResponse {
            login: u.login.clone(),
            role: u.role,
            email: u.email.clone(),
            created_at: u.created_at.map(|t| t.to_api()),
            last_login: u.last_login.map(|t| t.to_api()),
            is_active: u.is_active,
        }
    }
}

/// `POST /users`.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct UserCreate {
    pub login: String,
    pub password: String,
    #[serde(default, deserialize_with = "nullable::or_default")]
    pub role: Role,
    #[serde(default)]
    pub email: Option<String>,
}

/// `PUT /users/{login}`: only the fields given change; an empty e-mail clears it.
#[derive(Clone, Debug, Default, Serialize, Deserialize, ToSchema)]
pub struct UserUpdate {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<Role>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_active: Option<bool>,
}

/// `POST /token` answer.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct Token {
    pub access_token: String,
    pub token_type: String,
    /// For `POST /token/refresh` (pgmon's; the Python backend had none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<String>,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, ToSchema)]
pub struct SshKeyInfo {
    pub name: String,
    pub fingerprint: String,
}

/// The status object of a server (SPEC A4): stored fields plus what a live check found. Until
/// a check has run, the live fields are null and `status` is `"pending"`.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, ToSchema)]
pub struct ServerStatus {
    pub name: String,
    pub host: String,
    pub user: String,
    pub port: u16,
    pub ssh_user: Option<String>,
    pub ssh_port: u16,
    pub has_password: bool,
    pub has_ssh_password: bool,
    pub ssh_auth_type: SshAuthType,
    pub ssh_key_id: Option<String>,
    pub ssh_key_info: Option<SshKeyInfo>,
    pub version: Option<String>,
    pub free_space: Option<u64>,
    pub total_space: Option<u64>,
    /// Sessions by state; a NULL state is counted under `"None"`, as the original sent it.
    #[schema(value_type = Option<SessionsByState>)]
    pub connections: Option<serde_json::Map<String, serde_json::Value>>,
    pub uptime_hours: Option<f64>,
    pub stats_db: Option<String>,
    pub data_dir: Option<String>,
    pub status: String,
    /// Epoch seconds of the data.
    pub timestamp: f64,
    /// Whether the password may go to a server asking for it in cleartext over plain TCP
    /// (pgmon's addition; shown only when set).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub allow_cleartext_password: bool,
    /// The server's own collection interval, when it has one (pgmon's addition).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub collect_interval: Option<u64>,
    /// TLS settings (pgmon's addition; shown when not the default `prefer` or when set).
    #[serde(default, skip_serializing_if = "SslMode::is_default")]
    pub sslmode: SslMode,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sslrootcert: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sslcert: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sslkey: Option<String>,
    /// Whether the status check's session was encrypted (pgmon's addition; once checked).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ssl: Option<bool>,
    /// Epoch seconds since when the server has failed every check (pgmon's addition; only on
    /// a server that is down).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub down_since: Option<f64>,
    /// Only in the answer to an update: stored secrets that were cleared because the host,
    /// port or user they were for changed and the update brought no new one (pgmon's addition).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cleared_secrets: Option<Vec<String>>,
}

pub const STATUS_PENDING: &str = "pending";

impl ServerStatus {
    /// The stored facts of `server`, with its key's name and fingerprint when it has one.
    pub fn stored(server: &Server, keys: &[SshKeyMeta]) -> ServerStatus {
        let key = server
            .ssh_key_id
            .as_deref()
            .and_then(|id| keys.iter().find(|k| k.id == id));
        ServerStatus {
            name: server.name.clone(),
            host: server.host.clone(),
            user: server.user.clone(),
            port: server.port,
            ssh_user: server.ssh_user.clone(),
            ssh_port: server.ssh_port,
            has_password: secret::is_set(&server.password),
            has_ssh_password: secret::is_set(&server.ssh_password),
            ssh_auth_type: server.ssh_auth_type,
            ssh_key_id: server.ssh_key_id.clone(),
            ssh_key_info: key.map(|k| SshKeyInfo {
                name: k.name.clone(),
                fingerprint: k.fingerprint.clone(),
            }),
            version: None,
            free_space: None,
            total_space: None,
            connections: None,
            uptime_hours: None,
            stats_db: server.stats_db.clone(),
            data_dir: None,
            status: STATUS_PENDING.to_owned(),
            timestamp: chrono::Utc::now().timestamp_micros() as f64 / 1e6,
            allow_cleartext_password: server.allow_cleartext_password,
            collect_interval: server.collect_interval,
            sslmode: server.sslmode,
            sslrootcert: server.sslrootcert.clone(),
            sslcert: server.sslcert.clone(),
            sslkey: server.sslkey.clone(),
            ssl: None,
            down_since: None,
            cleared_secrets: None,
        }
    }
}

/// An SSH key as the API shows it; the public key is `"[hidden]"` for operators.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, ToSchema)]
pub struct SshKeyResponse {
    pub id: String,
    pub name: String,
    pub fingerprint: String,
    pub key_type: String,
    #[schema(format = DateTime)]
    pub created_at: String,
    pub created_by: Option<String>,
    pub public_key: String,
    pub has_passphrase: bool,
    pub servers_count: u32,
    pub description: Option<String>,
}

pub const HIDDEN: &str = "[hidden]";

impl SshKeyResponse {
    /// `servers_count` is recounted from the servers, since hand edits drift from the stored one.
    pub fn new(key: &SshKeyMeta, servers: &[Server], show_public_key: bool) -> SshKeyResponse {
        SshKeyResponse {
            id: key.id.clone(),
            name: key.name.clone(),
            fingerprint: key.fingerprint.clone(),
            key_type: key.key_type.clone(),
            created_at: key.created_at.to_api(),
            created_by: key.created_by.clone(),
            public_key: if show_public_key {
                key.public_key.clone()
            } else {
                HIDDEN.to_owned()
            },
            has_passphrase: key.has_passphrase,
            servers_count: servers
                .iter()
                .filter(|s| s.ssh_key_id.as_deref() == Some(key.id.as_str()))
                .count() as u32,
            description: key.description.clone(),
        }
    }
}

fn rsa() -> String {
    "rsa".into()
}

fn rsa_bits() -> usize {
    2048
}

fn rsa_when_null<'de, D: serde::Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    Ok(Option::<String>::deserialize(d)?.unwrap_or_else(rsa))
}

/// `POST /ssh-keys/generate`.
#[derive(Clone, Serialize, Deserialize, ToSchema)]
pub struct GenerateKey {
    pub name: String,
    /// `rsa` or `ed25519`
    #[serde(default = "rsa", deserialize_with = "rsa_when_null")]
    pub key_type: String,
    /// RSA only: 2048 to 8192
    #[serde(
        default = "rsa_bits",
        deserialize_with = "nullable::usize_or::<2048, _>"
    )]
    pub key_size: usize,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub passphrase: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
}

/// `POST /ssh-keys/import`.
#[derive(Clone, Serialize, Deserialize, ToSchema)]
pub struct ImportKey {
    pub name: String,
    /// OpenSSH, PKCS#1 or PKCS#8 PEM text
    pub private_key: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub passphrase: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
}

/// `PUT /ssh-keys/{id}`: only the fields given change.
#[derive(Clone, Debug, Default, Serialize, Deserialize, ToSchema)]
pub struct UpdateKey {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

/// `GET /ssh-keys/{id}/servers`.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct KeyServers {
    pub key_name: String,
    pub servers_count: usize,
    pub servers: Vec<KeyServer>,
}

#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct KeyServer {
    pub name: String,
    pub host: String,
}

impl KeyServers {
    pub fn new(key: &SshKeyMeta, users: Vec<Server>) -> KeyServers {
        KeyServers {
            key_name: key.name.clone(),
            servers_count: users.len(),
            servers: users
                .into_iter()
                .map(|s| KeyServer {
                    name: s.name,
                    host: s.host,
                })
                .collect(),
        }
    }
}

/// `GET /ssh-keys/{id}/download-public`.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct PublicKeyFile {
    pub filename: String,
    pub content: String,
    pub content_type: String,
}

impl From<&SshKeyMeta> for PublicKeyFile {
    fn from(key: &SshKeyMeta) -> PublicKeyFile {
        PublicKeyFile {
            filename: format!("{}_id_{}.pub", key.name, key.key_type),
            content: key.public_key.clone(),
            content_type: "text/plain".into(),
        }
    }
}

/// `POST /servers/{name}/test-pg`: 200 whatever the outcome.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct PgTest {
    pub success: bool,
    /// `Connection successful`, or the status a check would show (`PostgreSQL: ...`).
    pub message: String,
    /// `server_version`, when connected.
    pub version: Option<String>,
    /// Whether the session was encrypted (`pg_stat_ssl`).
    pub ssl: bool,
}

/// `POST /servers/test`: a server body checked without storing it; `ssh` is null when the
/// body configures no SSH.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct ServerTest {
    pub postgres: PgTest,
    pub ssh: Option<SshTest>,
}

/// `POST /servers/{name}/test-ssh`: 200 whatever the outcome.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct SshTest {
    pub success: bool,
    pub message: String,
    pub auth_type: String,
}

/// `{"message": ...}` answers of deletes and `GET /`.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, ToSchema)]
pub struct Message {
    pub message: String,
}

/// `GET /api/health`.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, ToSchema)]
pub struct Health {
    pub status: String,
    #[schema(format = DateTime)]
    pub timestamp: String,
    pub pools_count: usize,
    pub version: String,
    /// With a shared store (SPEC B7) only: whether this replica reaches it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub store: Option<StoreHealth>,
}

/// The shared store as one replica sees it.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, ToSchema)]
pub struct StoreHealth {
    /// `ok`, or `degraded` while the store cannot be reached: reads answer from what this
    /// replica holds, changes are refused (503), samples wait in memory.
    pub status: String,
    /// Since when it has been so.
    #[schema(format = DateTime)]
    pub since: String,
    /// Why it cannot be reached.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// This replica's name in the store.
    pub replica: String,
    /// Servers this replica samples (holds the lease of).
    pub servers_collected: usize,
    /// Samples waiting to be written to the store.
    pub samples_waiting: usize,
}

/// The schema of `ServerStatus.connections`: a count of sessions for each state (`active`,
/// `idle`, `idle in transaction`..., `None` for a NULL state).
#[derive(ToSchema)]
pub struct SessionsByState(pub std::collections::BTreeMap<String, u64>);

/// `GET /api/pools/status`: every pool, keyed by `host:port:user:db`.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[serde(transparent)]
pub struct PoolsStatus(pub std::collections::BTreeMap<String, PoolStatus>);

/// One pool of `GET /api/pools/status`, keyed by `host:port:user:db`.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, ToSchema)]
pub struct PoolStatus {
    pub minconn: usize,
    pub maxconn: usize,
    pub closed: bool,
    /// Connections open now (idle and in use).
    pub size: usize,
    /// Idle connections ready for use.
    pub available: usize,
}

/// `{"detail": "..."}`: every error answer. A 422's `detail` is a list instead
/// ([`ValidationErrorBody`]); clients reading any error take both through [`Detail`].
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct ErrorBody {
    /// What went wrong, in words.
    #[schema(value_type = String)]
    pub detail: Detail,
}

/// `{"detail": [...]}`: a 422, FastAPI's list of what does not fit.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct ValidationErrorBody {
    pub detail: Vec<ValidationError>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Detail {
    Message(String),
    Validation(Vec<ValidationError>),
}

/// One item of a 422 answer, as FastAPI writes them.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct ValidationError {
    /// `missing`, `value_error`, `int_parsing`, `enum`, `json_invalid`...
    #[serde(rename = "type")]
    pub kind: String,
    /// Where: `"body"`, `"query"` or `"path"`, then field names or a byte offset.
    pub loc: Vec<LocItem>,
    pub msg: String,
}

/// A step of a 422's `loc`: a name, or an offset.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[serde(untagged)]
pub enum LocItem {
    Name(String),
    Index(u64),
}
