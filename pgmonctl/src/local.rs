//! Local mode: commands run directly on a config directory, under the same file locks as the
//! daemon. File work is synchronous here: a CLI process has nothing else to serve meanwhile.

use pgmon_common::ConfigDir;
use pgmon_common::api::{Message, ServerStatus, UserResponse};
use pgmon_common::net::{CONNECT_TIMEOUT, is_reachable};
use pgmon_common::servers::{ServerInput, SshAuthType};
use pgmon_common::users::{NewUser, UserChange};

use crate::cli::{ServerFields, ServersCommand, UsersCommand};
use crate::error::CliError;
use crate::output::{Column, Printer, col};
use crate::secrets::{StdinSecrets, read_optional_secret, read_secret};

const USER_COLUMNS: &[Column] = &[
    col("LOGIN", "login"),
    col("ROLE", "role"),
    col("EMAIL", "email"),
    col("ACTIVE", "is_active"),
    col("CREATED", "created_at"),
    col("LAST LOGIN", "last_login"),
];

const SERVER_COLUMNS: &[Column] = &[
    col("NAME", "name"),
    col("HOST", "host"),
    col("PORT", "port"),
    col("USER", "user"),
    col("STATS DB", "stats_db"),
    col("SSH", "ssh_auth_type"),
    col("STATUS", "status"),
];

pub fn users(dir: &ConfigDir, cmd: UsersCommand, out: &Printer) -> Result<(), CliError> {
    let mut stdin = StdinSecrets::new();
    match cmd {
        UsersCommand::List => {
            let users: Vec<UserResponse> = dir.list_users()?.iter().map(Into::into).collect();
            out.list(&users, USER_COLUMNS)?;
        }
        UsersCommand::Show { login } => {
            out.record(&UserResponse::from(&dir.get_user(&login)?))?;
        }
        UsersCommand::Add {
            login,
            role,
            email,
            password_stdin,
        } => {
            let password = read_secret(&mut stdin, password_stdin, "password", true)?;
            let user = dir.create_user(NewUser {
                login,
                password,
                role,
                email,
            })?;
            out.record(&UserResponse::from(&user))?;
        }
        UsersCommand::Update {
            login,
            role,
            email,
            active,
            password_stdin,
        } => {
            let password = password_stdin.then(|| stdin.next("password")).transpose()?;
            let change = UserChange {
                password,
                role,
                email,
                is_active: active,
            };
            out.record(&UserResponse::from(&dir.update_user(&login, change)?))?;
        }
        UsersCommand::Delete { login } => {
            dir.delete_user(&login, None)?;
            out.message(&Message {
                message: format!("User {login} deleted"),
            })?;
        }
        UsersCommand::Passwd {
            login,
            password_stdin,
        } => {
            let password = read_secret(&mut stdin, password_stdin, "new password", true)?;
            let change = UserChange {
                password: Some(password),
                ..UserChange::default()
            };
            dir.update_user(&login, change)?;
            out.message(&Message {
                message: format!("Password of {login} changed"),
            })?;
        }
    }
    Ok(())
}

pub async fn servers(dir: &ConfigDir, cmd: ServersCommand, out: &Printer) -> Result<(), CliError> {
    match cmd {
        ServersCommand::List => {
            let keys = dir.list_ssh_keys()?;
            let rows: Vec<ServerStatus> = dir
                .list_servers()?
                .iter()
                .map(|s| ServerStatus::stored(s, &keys))
                .collect();
            out.list(&rows, SERVER_COLUMNS)?;
        }
        ServersCommand::Show { name } => {
            let server = dir.get_server(&name)?;
            out.record(&ServerStatus::stored(&server, &dir.list_ssh_keys()?))?;
        }
        ServersCommand::Add {
            name,
            fields,
            no_check,
        } => {
            let mut input = ServerInput {
                name,
                ..ServerInput::default()
            };
            let (Some(_), Some(_)) = (&fields.host, &fields.user) else {
                return Err(CliError::Usage(
                    "servers add needs --host and --user".into(),
                ));
            };
            apply_fields(dir, &mut input, fields, true)?;
            if !no_check && !is_reachable(&input.host, input.port, CONNECT_TIMEOUT).await {
                return Err(CliError::Failed(format!(
                    "Server {}:{} is unreachable. Check address and port.",
                    input.host, input.port
                )));
            }
            let server = dir.create_server(input)?;
            out.record(&ServerStatus::stored(&server, &dir.list_ssh_keys()?))?;
        }
        ServersCommand::Update {
            name,
            new_name,
            fields,
        } => {
            let mut input = ServerInput::from_server(&dir.get_server(&name)?);
            if let Some(n) = new_name {
                input.name = n;
            }
            apply_fields(dir, &mut input, fields, false)?;
            let (_, server) = dir.update_server(&name, input)?;
            out.record(&ServerStatus::stored(&server, &dir.list_ssh_keys()?))?;
        }
        ServersCommand::Remove { name } => {
            dir.remove_server(&name)?;
            out.message(&Message {
                message: format!("Server {name} deleted"),
            })?;
        }
    }
    Ok(())
}

/// Lays the given flags over `input`. Secrets are read from stdin or a prompt (the prompt only
/// when adding: an update keeps stored secrets unless asked).
fn apply_fields(
    dir: &ConfigDir,
    input: &mut ServerInput,
    f: ServerFields,
    adding: bool,
) -> Result<(), CliError> {
    let mut stdin = StdinSecrets::new();
    if f.password_stdin || adding {
        input.password = read_optional_secret(&mut stdin, f.password_stdin, "PostgreSQL password")?;
    }
    if f.ssh_password_stdin {
        input.ssh_password = Some(stdin.next("SSH password")?);
        input.ssh_auth_type = SshAuthType::Password;
    }
    if let Some(key) = f.ssh_key {
        let key = dir.find_ssh_key(&key)?;
        input.ssh_key_id = Some(key.id);
        input.ssh_auth_type = SshAuthType::Key;
    }
    set(&mut input.host, f.host);
    set(&mut input.port, f.port);
    set(&mut input.user, f.user);
    set(&mut input.ssh_port, f.ssh_port);
    if f.stats_db.is_some() {
        input.stats_db = f.stats_db;
    }
    if f.ssh_user.is_some() {
        input.ssh_user = f.ssh_user;
    }
    Ok(())
}

fn set<T>(field: &mut T, value: Option<T>) {
    if let Some(v) = value {
        *field = v;
    }
}
