//! A daemon over HTTP (`--url`) or its admin socket (`--socket`): the same API the web front end
//! uses.

use std::collections::BTreeMap;

use pgmon_common::api::activity::{BackendAction, ServerActivity};
use pgmon_common::api::audit::{AuditPage, AuditQuery};
use pgmon_common::api::checks::{ChecksQuery, FleetChecks, ServerChecks};
use pgmon_common::api::history::CollectorStatus;
use pgmon_common::api::settings::{Settings, SettingsUpdate};
use pgmon_common::api::{
    GenerateKey, Health, ImportKey, KeyServers, Message, PgTest, PoolStatus, PublicKeyFile,
    ServerStatus, ServerTest, SshKeyResponse, SshTest, UpdateKey, UserCreate, UserResponse,
    UserUpdate,
};
use pgmon_common::client::Method;
use pgmon_common::client::{ApiClient, segment};
use pgmon_common::servers::ServerInput;

use pgmon_common::batch::{ServerOp, UserOp};

use super::{Backend, Result};
use crate::apply::{ChannelOp, Op};
use crate::error::CliError;

pub struct Remote(pub ApiClient);

impl Backend for Remote {
    async fn list_users(&self) -> Result<Vec<UserResponse>> {
        Ok(self.0.get("/users").await?)
    }

    async fn get_user(&self, login: &str) -> Result<UserResponse> {
        Ok(self.0.get(&format!("/users/{}", segment(login))).await?)
    }

    async fn me(&self) -> Result<UserResponse> {
        Ok(self.0.get("/users/me").await?)
    }

    async fn create_user(&self, body: UserCreate) -> Result<UserResponse> {
        Ok(self.0.send(Method::POST, "/users", &body).await?)
    }

    async fn update_user(&self, login: &str, body: UserUpdate) -> Result<UserResponse> {
        let path = format!("/users/{}", segment(login));
        Ok(self.0.send(Method::PUT, &path, &body).await?)
    }

    async fn delete_user(&self, login: &str) -> Result<Message> {
        Ok(self.0.delete(&format!("/users/{}", segment(login))).await?)
    }

    async fn list_servers(&self) -> Result<Vec<ServerStatus>> {
        Ok(self.0.get("/servers").await?)
    }

    async fn get_server(&self, name: &str) -> Result<ServerStatus> {
        Ok(self.0.get(&format!("/servers/{}", segment(name))).await?)
    }

    async fn create_server(&self, input: ServerInput, check: bool) -> Result<ServerStatus> {
        let path = if check {
            "/servers"
        } else {
            "/servers?check=false"
        };
        Ok(self.0.send(Method::POST, path, &input).await?)
    }

    async fn update_server(&self, name: &str, input: ServerInput) -> Result<ServerStatus> {
        let path = format!("/servers/{}", segment(name));
        Ok(self.0.send(Method::PUT, &path, &input).await?)
    }

    async fn remove_server(&self, name: &str) -> Result<Message> {
        Ok(self
            .0
            .delete(&format!("/servers/{}", segment(name)))
            .await?)
    }

    async fn ssh_key_id(&self, key: &str) -> Result<String> {
        let keys: Vec<SshKeyResponse> = self.0.get("/ssh-keys").await?;
        if let Some(k) = keys.iter().find(|k| k.id == key) {
            return Ok(k.id.clone());
        }
        let named: Vec<&SshKeyResponse> = keys.iter().filter(|k| k.name == key).collect();
        match named.as_slice() {
            [k] => Ok(k.id.clone()),
            [] => Err(CliError::NotFound(format!("SSH key not found: {key}"))),
            _ => Err(CliError::Failed(format!(
                "Several SSH keys are named {key}: use the key id"
            ))),
        }
    }

    async fn test_pg(&self, name: &str) -> Result<PgTest> {
        let path = format!("/servers/{}/test-pg", segment(name));
        Ok(self
            .0
            .send(Method::POST, &path, &serde_json::json!({}))
            .await?)
    }

    async fn test_server(&self, input: ServerInput) -> Result<ServerTest> {
        Ok(self.0.send(Method::POST, "/servers/test", &input).await?)
    }

    async fn test_ssh(&self, name: &str) -> Result<SshTest> {
        let path = format!("/servers/{}/test-ssh", segment(name));
        Ok(self
            .0
            .send(Method::POST, &path, &serde_json::json!({}))
            .await?)
    }

    async fn list_keys(&self) -> Result<Vec<SshKeyResponse>> {
        Ok(self.0.get("/ssh-keys").await?)
    }

    async fn get_key(&self, id: &str) -> Result<SshKeyResponse> {
        Ok(self.0.get(&format!("/ssh-keys/{}", segment(id))).await?)
    }

    async fn generate_key(&self, body: GenerateKey) -> Result<SshKeyResponse> {
        Ok(self
            .0
            .send(Method::POST, "/ssh-keys/generate", &body)
            .await?)
    }

    async fn import_key(&self, body: ImportKey) -> Result<SshKeyResponse> {
        Ok(self.0.send(Method::POST, "/ssh-keys/import", &body).await?)
    }

    async fn update_key(&self, id: &str, body: UpdateKey) -> Result<SshKeyResponse> {
        let path = format!("/ssh-keys/{}", segment(id));
        Ok(self.0.send(Method::PUT, &path, &body).await?)
    }

    async fn delete_key(&self, id: &str) -> Result<Message> {
        Ok(self.0.delete(&format!("/ssh-keys/{}", segment(id))).await?)
    }

    async fn key_servers(&self, id: &str) -> Result<KeyServers> {
        Ok(self
            .0
            .get(&format!("/ssh-keys/{}/servers", segment(id)))
            .await?)
    }

    async fn key_public(&self, id: &str) -> Result<PublicKeyFile> {
        Ok(self
            .0
            .get(&format!("/ssh-keys/{}/download-public", segment(id)))
            .await?)
    }

    async fn health(&self) -> Result<Health> {
        Ok(self.0.get("/api/health").await?)
    }

    async fn pools(&self) -> Result<BTreeMap<String, PoolStatus>> {
        Ok(self.0.get("/api/pools/status").await?)
    }

    async fn monitoring(&self, path: &str) -> Result<serde_json::Value> {
        Ok(self.0.get(path).await?)
    }

    async fn change(
        &self,
        method: Method,
        path: &str,
        body: serde_json::Value,
    ) -> Result<serde_json::Value> {
        Ok(match method {
            Method::DELETE => self.0.delete(path).await?,
            m => self.0.send(m, path, &body).await?,
        })
    }

    async fn settings(&self) -> Result<Settings> {
        Ok(self.0.get("/settings").await?)
    }

    async fn change_settings(&self, update: SettingsUpdate) -> Result<Settings> {
        Ok(self.0.send(Method::PUT, "/settings", &update).await?)
    }

    async fn collector_status(&self) -> Result<CollectorStatus> {
        Ok(self.0.get("/collector/status").await?)
    }

    async fn metrics(&self) -> Result<String> {
        Ok(self.0.get_text("/metrics").await?)
    }

    async fn activity(&self, server: &str) -> Result<ServerActivity> {
        Ok(self
            .0
            .get(&format!("/server/{}/activity", segment(server)))
            .await?)
    }

    async fn signal_backend(
        &self,
        server: &str,
        pid: i32,
        terminate: bool,
        force: bool,
    ) -> Result<BackendAction> {
        let action = if terminate { "terminate" } else { "cancel" };
        let path = format!(
            "/server/{}/backends/{pid}/{action}?force={force}",
            segment(server)
        );
        Ok(self.0.send(Method::POST, &path, &()).await?)
    }

    async fn checks(
        &self,
        server: Option<&str>,
        query: &ChecksQuery,
        run: bool,
    ) -> Result<FleetChecks> {
        let q = serde_urlencoded::to_string(query).expect("a query of strings and flags");
        let Some(server) = server else {
            return Ok(self.0.get(&format!("/checks?{q}")).await?);
        };
        let path = format!("/server/{}/checks", segment(server));
        let mut one: ServerChecks = if run {
            self.0.send(Method::POST, &path, &()).await?
        } else {
            self.0.get(&format!("{path}?{q}")).await?
        };
        if run {
            one.checks.retain(|f| query.admits(f));
        }
        Ok(FleetChecks::of_server(server, one))
    }

    async fn audit(&self, query: &AuditQuery) -> Result<AuditPage> {
        let query = serde_urlencoded::to_string(query).expect("a query of strings and numbers");
        Ok(self.0.get(&format!("/audit?{query}")).await?)
    }

    /// One request per change, in order; stops at the first failure.
    async fn apply_ops(&self, ops: Vec<Op>) -> std::result::Result<(), (usize, CliError)> {
        for (done, op) in ops.into_iter().enumerate() {
            let made = match op {
                Op::Server(op) => match *op {
                    ServerOp::Create(input) => self.create_server(input, false).await.map(drop),
                    ServerOp::Update { name, input } => {
                        self.update_server(&name, input).await.map(drop)
                    }
                    ServerOp::Remove(name) => self.remove_server(&name).await.map(drop),
                },
                Op::User(UserOp::Create(new)) => self
                    .create_user(UserCreate {
                        login: new.login,
                        password: new.password,
                        role: new.role,
                        email: new.email,
                    })
                    .await
                    .map(drop),
                Op::User(UserOp::Update { login, change }) => self
                    .update_user(
                        &login,
                        UserUpdate {
                            password: change.password,
                            role: change.role,
                            email: change.email,
                            is_active: change.is_active,
                        },
                    )
                    .await
                    .map(drop),
                Op::User(UserOp::Delete(login)) => self.delete_user(&login).await.map(drop),
                Op::Channel(op) => self.change_channel(op).await,
            };
            made.map_err(|e| (done, e))?;
        }
        Ok(())
    }
}

impl Remote {
    /// One alert-channel change of `apply`.
    async fn change_channel(&self, op: ChannelOp) -> Result<()> {
        match op {
            ChannelOp::Create(body) => {
                self.0
                    .send::<_, serde_json::Value>(Method::POST, "/alerts/channels", &body)
                    .await?;
            }
            ChannelOp::Update(body) => {
                let path = format!("/alerts/channels/{}", segment(&body.name));
                self.0
                    .send::<_, serde_json::Value>(Method::PUT, &path, &body)
                    .await?;
            }
            ChannelOp::Delete(name) => {
                let path = format!("/alerts/channels/{}", segment(&name));
                self.0.delete::<serde_json::Value>(&path).await?;
            }
        }
        Ok(())
    }
}
