//! JSON shapes of the API that both the daemon and `pgmonctl` speak. They never carry a
//! password, hash, token or key.

use serde::{Deserialize, Serialize};

use crate::secret;
use crate::servers::Server;
use crate::ssh_keys::SshKeyMeta;
use crate::users::{Role, User};

/// A user as the API shows it (`GET /users`, `/users/me`).
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct UserResponse {
    pub login: String,
    pub role: Role,
    pub email: Option<String>,
    pub created_at: Option<String>,
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

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct SshKeyInfo {
    pub name: String,
    pub fingerprint: String,
}

/// The status object of a server (SPEC A4): stored fields plus what a live check found. Until
/// a check has run, the live fields are null and `status` is `"pending"`.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct ServerStatus {
    pub name: String,
    pub host: String,
    pub user: String,
    pub port: u16,
    pub ssh_user: Option<String>,
    pub ssh_port: u16,
    pub has_password: bool,
    pub has_ssh_password: bool,
    pub ssh_auth_type: String,
    pub ssh_key_id: Option<String>,
    pub ssh_key_info: Option<SshKeyInfo>,
    pub version: Option<String>,
    pub free_space: Option<u64>,
    pub total_space: Option<u64>,
    pub connections: Option<serde_json::Map<String, serde_json::Value>>,
    pub uptime_hours: Option<f64>,
    pub stats_db: Option<String>,
    pub data_dir: Option<String>,
    pub status: String,
    pub timestamp: f64,
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
            ssh_auth_type: server.ssh_auth_type.as_str().to_owned(),
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
        }
    }
}

/// `{"message": ...}` answers of deletes and `GET /`.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Message {
    pub message: String,
}

/// `GET /api/health`.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Health {
    pub status: String,
    pub timestamp: String,
    pub pools_count: usize,
    pub version: String,
}
