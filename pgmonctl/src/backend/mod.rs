//! Where a command's data comes from: the config dir itself, or a daemon over HTTP or its admin
//! socket. Commands are written once against [`Backend`].

mod local;
mod remote;

use std::collections::BTreeMap;

use pgmon_common::api::activity::{BackendAction, ServerActivity};
use pgmon_common::api::audit::{AuditPage, AuditQuery};
use pgmon_common::api::checks::{ChecksQuery, FleetChecks};
use pgmon_common::api::history::CollectorStatus;
use pgmon_common::api::settings::{Settings, SettingsUpdate};
use pgmon_common::api::{
    GenerateKey, Health, ImportKey, KeyServers, Message, PgTest, PoolStatus, PublicKeyFile,
    ServerStatus, ServerTest, SshKeyResponse, SshTest, UpdateKey, UserCreate, UserResponse,
    UserUpdate,
};
use pgmon_common::servers::ServerInput;

pub use local::Local;
pub use remote::Remote;

use crate::apply::Op;
use crate::error::CliError;

pub type Result<T> = std::result::Result<T, CliError>;

pub trait Backend {
    async fn list_users(&self) -> Result<Vec<UserResponse>>;
    async fn get_user(&self, login: &str) -> Result<UserResponse>;
    /// The user this backend acts as.
    async fn me(&self) -> Result<UserResponse>;
    async fn create_user(&self, body: UserCreate) -> Result<UserResponse>;
    async fn update_user(&self, login: &str, body: UserUpdate) -> Result<UserResponse>;
    async fn delete_user(&self, login: &str) -> Result<Message>;
    async fn list_servers(&self) -> Result<Vec<ServerStatus>>;
    async fn get_server(&self, name: &str) -> Result<ServerStatus>;
    /// Adds a server; with `check`, refuses one whose host:port does not answer.
    async fn create_server(&self, input: ServerInput, check: bool) -> Result<ServerStatus>;
    async fn update_server(&self, name: &str, input: ServerInput) -> Result<ServerStatus>;
    async fn remove_server(&self, name: &str) -> Result<Message>;
    /// The id of the SSH key named by `key`: an id, or a name only one key has.
    async fn ssh_key_id(&self, key: &str) -> Result<String>;
    async fn test_ssh(&self, name: &str) -> Result<SshTest>;
    async fn test_pg(&self, name: &str) -> Result<PgTest>;
    /// Tests a server body without storing it.
    async fn test_server(&self, input: ServerInput) -> Result<ServerTest>;
    async fn list_keys(&self) -> Result<Vec<SshKeyResponse>>;
    async fn get_key(&self, id: &str) -> Result<SshKeyResponse>;
    async fn generate_key(&self, body: GenerateKey) -> Result<SshKeyResponse>;
    async fn import_key(&self, body: ImportKey) -> Result<SshKeyResponse>;
    async fn update_key(&self, id: &str, body: UpdateKey) -> Result<SshKeyResponse>;
    async fn delete_key(&self, id: &str) -> Result<Message>;
    async fn key_servers(&self, id: &str) -> Result<KeyServers>;
    async fn key_public(&self, id: &str) -> Result<PublicKeyFile>;
    async fn health(&self) -> Result<Health>;
    /// `GET <path>` of a monitoring endpoint, as the API's JSON.
    async fn monitoring(&self, path: &str) -> Result<serde_json::Value>;
    /// A change the daemon makes (`POST`, `PUT` with `body`; `DELETE`), as the API's JSON.
    async fn change(
        &self,
        method: reqwest::Method,
        path: &str,
        body: serde_json::Value,
    ) -> Result<serde_json::Value>;
    async fn pools(&self) -> Result<BTreeMap<String, PoolStatus>>;
    async fn settings(&self) -> Result<Settings>;
    async fn change_settings(&self, update: SettingsUpdate) -> Result<Settings>;
    async fn collector_status(&self) -> Result<CollectorStatus>;
    /// `/metrics` in the Prometheus text format.
    async fn metrics(&self) -> Result<String>;
    async fn audit(&self, query: &AuditQuery) -> Result<AuditPage>;
    /// Health-check findings: the fleet's, or `server`'s (after a run now when `run`).
    async fn checks(
        &self,
        server: Option<&str>,
        query: &ChecksQuery,
        run: bool,
    ) -> Result<FleetChecks>;
    async fn activity(&self, server: &str) -> Result<ServerActivity>;
    /// Cancels (or terminates) backend `pid` of `server`.
    async fn signal_backend(
        &self,
        server: &str,
        pid: i32,
        terminate: bool,
        force: bool,
    ) -> Result<BackendAction>;
    /// Carries out `apply`'s changes in order. On failure: how many were made before it.
    async fn apply_ops(&self, ops: Vec<Op>) -> std::result::Result<(), (usize, CliError)>;
}
