//! Local mode: the config dir directly, under the same file locks as the daemon. File work is
//! synchronous here: a CLI process has nothing else to serve meanwhile.

use std::collections::BTreeMap;

use pgmon_common::ConfigDir;
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
use pgmon_common::net::{CONNECT_TIMEOUT, is_reachable};
use pgmon_common::servers::ServerInput;
use pgmon_common::ssh_keys::NewKey;
use pgmon_common::ssh_keys::material::{self, KeyMaterial};
use pgmon_common::users::{NewUser, UserChange};

use super::{Backend, Result};
use crate::apply::Op;
use crate::error::CliError;

pub struct Local(pub ConfigDir);

/// The audit trail pgmond keeps in the config dir: a change made on the files is written to it
/// too (a JSON line, appended and synced, as pgmond writes them), or not made when it cannot be.
const AUDIT_FILE: &str = "audit.log";

impl Local {
    /// Runs the change `work` of `action` on `target`, with its audit entry: refused when the
    /// trail cannot be opened, then written with the outcome.
    fn audited<T>(
        &self,
        action: &str,
        target: &str,
        work: impl FnOnce() -> Result<T>,
    ) -> Result<T> {
        use std::io::Write;
        use std::os::unix::fs::OpenOptionsExt;
        let path = self.0.root().join(AUDIT_FILE);
        let mut log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .mode(0o600)
            .custom_flags(libc::O_NOFOLLOW)
            .open(&path)
            .map_err(|e| {
                CliError::Failed(format!(
                    "the audit log {} cannot be written ({e}): nothing changed",
                    path.display()
                ))
            })?;
        let done = work();
        let status = match &done {
            Ok(_) => 200,
            Err(CliError::NotFound(_)) => 404,
            Err(CliError::Denied(_)) => 403,
            Err(_) => 400,
        };
        let user = std::env::var("USER").unwrap_or_else(|_| "unknown".into());
        let entry = pgmon_common::api::audit::AuditEntry {
            time: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
            actor: format!("local:{user}"),
            source: "config-dir".into(),
            action: action.to_owned(),
            target: Some(target.to_owned()),
            outcome: if status == 200 { "success" } else { "failed" }.into(),
            status,
            detail: None,
        };
        let mut line = serde_json::to_vec(&entry).expect("an entry serializes");
        line.push(b'\n');
        log.write_all(&line)
            .and_then(|()| log.sync_data())
            .map_err(|e| CliError::Failed(format!("writing {}: {e}", path.display())))?;
        done
    }

    /// Stores new key material; local changes are made by the Unix user running pgmonctl.
    fn store(
        &self,
        name: String,
        description: Option<String>,
        material: KeyMaterial,
    ) -> Result<SshKeyResponse> {
        let user = std::env::var("USER").unwrap_or_else(|_| "unknown".into());
        let key = self.0.add_ssh_key(NewKey {
            name,
            description,
            created_by: format!("local:{user}"),
            material,
        })?;
        Ok(SshKeyResponse::new(&key, &self.0.list_servers()?, true))
    }
}

fn needs_daemon(what: &str) -> CliError {
    CliError::Unreachable(format!(
        "{what} needs the daemon: use --url or --socket (local mode only manages files)"
    ))
}

impl Backend for Local {
    async fn list_users(&self) -> Result<Vec<UserResponse>> {
        Ok(self.0.list_users()?.iter().map(Into::into).collect())
    }

    async fn get_user(&self, login: &str) -> Result<UserResponse> {
        Ok((&self.0.get_user(login)?).into())
    }

    async fn me(&self) -> Result<UserResponse> {
        Err(CliError::Usage(
            "local mode has no logged-in user: name the user".into(),
        ))
    }

    async fn create_user(&self, body: UserCreate) -> Result<UserResponse> {
        let login = body.login.clone();
        self.audited("user.create", &login, || {
            let user = self.0.create_user(NewUser {
                login: body.login,
                password: body.password,
                role: body.role,
                email: body.email,
            })?;
            Ok((&user).into())
        })
    }

    async fn update_user(&self, login: &str, body: UserUpdate) -> Result<UserResponse> {
        let change = UserChange {
            password: body.password,
            role: body.role,
            email: body.email,
            is_active: body.is_active,
        };
        self.audited("user.update", login, || {
            Ok((&self.0.update_user(login, change)?).into())
        })
    }

    async fn delete_user(&self, login: &str) -> Result<Message> {
        self.audited("user.delete", login, || {
            self.0.delete_user(login, None)?;
            Ok(Message {
                message: format!("User {login} deleted"),
            })
        })
    }

    async fn list_servers(&self) -> Result<Vec<ServerStatus>> {
        Ok(self.0.stored_statuses()?)
    }

    async fn get_server(&self, name: &str) -> Result<ServerStatus> {
        Ok(self.0.stored_status(&self.0.get_server(name)?)?)
    }

    async fn create_server(&self, input: ServerInput, check: bool) -> Result<ServerStatus> {
        input.check_fields()?;
        if check && !is_reachable(&input.host, input.port, CONNECT_TIMEOUT).await {
            return Err(CliError::Failed(format!(
                "Server {}:{} is unreachable. Check address and port.",
                input.host, input.port
            )));
        }
        let name = input.name.clone();
        self.audited("server.create", &name, || {
            Ok(self
                .0
                .stored_status(&self.0.create_server(input, usize::MAX)?)?)
        })
    }

    async fn update_server(&self, name: &str, input: ServerInput) -> Result<ServerStatus> {
        self.audited("server.update", name, || {
            let update = self.0.update_server(name, input)?;
            let mut status = self.0.stored_status(&update.new)?;
            status.cleared_secrets = update.cleared_secrets();
            Ok(status)
        })
    }

    async fn remove_server(&self, name: &str) -> Result<Message> {
        self.audited("server.delete", name, || {
            self.0.remove_server(name)?;
            Ok(Message {
                message: format!("Server {name} deleted"),
            })
        })
    }

    async fn ssh_key_id(&self, key: &str) -> Result<String> {
        Ok(self.0.find_ssh_key(key)?.id)
    }

    async fn test_pg(&self, _name: &str) -> Result<PgTest> {
        Err(needs_daemon("servers test"))
    }

    async fn test_server(&self, _input: ServerInput) -> Result<ServerTest> {
        Err(needs_daemon("servers add --test"))
    }

    async fn test_ssh(&self, _name: &str) -> Result<SshTest> {
        Err(needs_daemon("test-ssh"))
    }

    async fn list_keys(&self) -> Result<Vec<SshKeyResponse>> {
        let servers = self.0.list_servers()?;
        Ok(self
            .0
            .list_ssh_keys()?
            .iter()
            .map(|k| SshKeyResponse::new(k, &servers, true))
            .collect())
    }

    async fn get_key(&self, id: &str) -> Result<SshKeyResponse> {
        Ok(SshKeyResponse::new(
            &self.0.get_ssh_key(id)?,
            &self.0.list_servers()?,
            true,
        ))
    }

    async fn generate_key(&self, body: GenerateKey) -> Result<SshKeyResponse> {
        let name = body.name.clone();
        self.audited("ssh_key.generate", &name, || {
            let m = material::generate(&body.key_type, body.key_size, body.passphrase.as_deref())?;
            self.store(body.name, body.description, m)
        })
    }

    async fn import_key(&self, body: ImportKey) -> Result<SshKeyResponse> {
        let name = body.name.clone();
        self.audited("ssh_key.import", &name, || {
            let m = material::import(&body.private_key, body.passphrase.as_deref())?;
            self.store(body.name, body.description, m)
        })
    }

    async fn update_key(&self, id: &str, body: UpdateKey) -> Result<SshKeyResponse> {
        self.audited("ssh_key.update", id, || {
            let key = self.0.update_ssh_key(id, body.name, body.description)?;
            Ok(SshKeyResponse::new(&key, &self.0.list_servers()?, true))
        })
    }

    async fn delete_key(&self, id: &str) -> Result<Message> {
        self.audited("ssh_key.delete", id, || {
            self.0.delete_ssh_key(id)?;
            Ok(Message {
                message: "SSH key deleted".into(),
            })
        })
    }

    async fn key_servers(&self, id: &str) -> Result<KeyServers> {
        Ok(KeyServers::new(
            &self.0.get_ssh_key(id)?,
            self.0.servers_using_key(id)?,
        ))
    }

    async fn key_public(&self, id: &str) -> Result<PublicKeyFile> {
        Ok(PublicKeyFile::from(&self.0.get_ssh_key(id)?))
    }

    async fn health(&self) -> Result<Health> {
        Err(needs_daemon("health"))
    }

    async fn pools(&self) -> Result<BTreeMap<String, PoolStatus>> {
        Err(needs_daemon("pools"))
    }

    async fn settings(&self) -> Result<Settings> {
        Err(needs_daemon("settings"))
    }

    async fn change_settings(&self, _update: SettingsUpdate) -> Result<Settings> {
        Err(needs_daemon("settings"))
    }

    async fn collector_status(&self) -> Result<CollectorStatus> {
        Err(needs_daemon("collector status"))
    }

    async fn metrics(&self) -> Result<String> {
        Err(needs_daemon("metrics"))
    }

    async fn checks(
        &self,
        _server: Option<&str>,
        _query: &ChecksQuery,
        _run: bool,
    ) -> Result<FleetChecks> {
        Err(needs_daemon("checks"))
    }

    async fn audit(&self, _query: &AuditQuery) -> Result<AuditPage> {
        Err(needs_daemon("audit"))
    }

    async fn activity(&self, _server: &str) -> Result<ServerActivity> {
        Err(needs_daemon("stats activity"))
    }

    async fn signal_backend(&self, _: &str, _: i32, _: bool, _: bool) -> Result<BackendAction> {
        Err(needs_daemon("backend"))
    }

    async fn monitoring(&self, _path: &str) -> Result<serde_json::Value> {
        Err(needs_daemon("stats"))
    }

    async fn change(
        &self,
        _method: reqwest::Method,
        _path: &str,
        _body: serde_json::Value,
    ) -> Result<serde_json::Value> {
        Err(needs_daemon("alerts"))
    }

    /// One transaction: all changes or none (see `ConfigDir::apply_batch`).
    async fn apply_ops(&self, ops: Vec<Op>) -> std::result::Result<(), (usize, CliError)> {
        let (mut servers, mut users) = (Vec::new(), Vec::new());
        for op in ops {
            match op {
                Op::Server(s) => servers.push(*s),
                Op::User(u) => users.push(u),
                Op::Channel(_) => return Err((0, needs_daemon("alert channels"))),
            }
        }
        // Whoever can write the config dir is not limited by the API's server cap.
        self.audited("apply", "config-dir", || {
            Ok(self.0.apply_batch(servers, users, usize::MAX)?)
        })
        .map_err(|e| (0, e))
    }
}
