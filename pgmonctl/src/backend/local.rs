//! Local mode: the config dir directly, under the same file locks as the daemon. File work is
//! synchronous here: a CLI process has nothing else to serve meanwhile.

use std::collections::BTreeMap;

use pgmon_common::ConfigDir;
use pgmon_common::api::{
    Health, Message, PoolStatus, ServerStatus, UserCreate, UserResponse, UserUpdate,
};
use pgmon_common::net::{CONNECT_TIMEOUT, is_reachable};
use pgmon_common::servers::ServerInput;
use pgmon_common::users::{NewUser, UserChange};

use super::{Backend, Result};
use crate::error::CliError;

pub struct Local(pub ConfigDir);

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
        let user = self.0.create_user(NewUser {
            login: body.login,
            password: body.password,
            role: body.role,
            email: body.email,
        })?;
        Ok((&user).into())
    }

    async fn update_user(&self, login: &str, body: UserUpdate) -> Result<UserResponse> {
        let change = UserChange {
            password: body.password,
            role: body.role,
            email: body.email,
            is_active: body.is_active,
        };
        Ok((&self.0.update_user(login, change)?).into())
    }

    async fn delete_user(&self, login: &str) -> Result<Message> {
        self.0.delete_user(login, None)?;
        Ok(Message {
            message: format!("User {login} deleted"),
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
        Ok(self.0.stored_status(&self.0.create_server(input)?)?)
    }

    async fn update_server(&self, name: &str, input: ServerInput) -> Result<ServerStatus> {
        let (_, server) = self.0.update_server(name, input)?;
        Ok(self.0.stored_status(&server)?)
    }

    async fn remove_server(&self, name: &str) -> Result<Message> {
        self.0.remove_server(name)?;
        Ok(Message {
            message: format!("Server {name} deleted"),
        })
    }

    async fn ssh_key_id(&self, key: &str) -> Result<String> {
        Ok(self.0.find_ssh_key(key)?.id)
    }

    async fn health(&self) -> Result<Health> {
        Err(needs_daemon("health"))
    }

    async fn pools(&self) -> Result<BTreeMap<String, PoolStatus>> {
        Err(needs_daemon("pools"))
    }

    async fn monitoring(&self, _path: &str) -> Result<serde_json::Value> {
        Err(needs_daemon("stats"))
    }
}
