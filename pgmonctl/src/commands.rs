//! Each command, written once against a [`Backend`] and printed by the one [`Printer`].

use pgmon_common::api::{ServerStatus, ServerTest, UserCreate, UserUpdate};
use pgmon_common::servers::{ServerInput, SshAuthType};

use crate::backend::Backend;
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
    col("SSH", "ssh"),
    col("STATUS", "status"),
];

const POOL_COLUMNS: &[Column] = &[
    col("POOL", "pool"),
    col("MIN", "minconn"),
    col("MAX", "maxconn"),
    col("OPEN", "size"),
    col("IDLE", "available"),
    col("CLOSED", "closed"),
];

pub async fn users(b: &impl Backend, cmd: UsersCommand, out: &Printer) -> Result<(), CliError> {
    let mut stdin = StdinSecrets::new();
    match cmd {
        UsersCommand::List => out.list(&b.list_users().await?, USER_COLUMNS)?,
        UsersCommand::Show { login } => out.record(&b.get_user(&login).await?)?,
        UsersCommand::Add {
            login,
            role,
            email,
            password_stdin,
            if_not_exists,
        } => {
            if if_not_exists && found(b.get_user(&login).await)? {
                return outcome(out, false, format!("User {login} exists: unchanged"));
            }
            let password = read_secret(&mut stdin, password_stdin, "password", true)?;
            let body = UserCreate {
                login: login.clone(),
                password,
                role,
                email,
            };
            let user = b.create_user(body).await?;
            if if_not_exists {
                return outcome(out, true, format!("User {login} added"));
            }
            out.record(&user)?
        }
        UsersCommand::Update {
            login,
            role,
            email,
            active,
            password_stdin,
        } => {
            let password = password_stdin.then(|| stdin.next("password")).transpose()?;
            let body = UserUpdate {
                password,
                role,
                email,
                is_active: active,
            };
            out.record(&b.update_user(&login, body).await?)?
        }
        UsersCommand::Delete { login, if_exists } => match b.delete_user(&login).await {
            Err(CliError::NotFound(_)) if if_exists => {
                return outcome(out, false, format!("No user {login}: unchanged"));
            }
            Ok(_) if if_exists => return outcome(out, true, format!("User {login} deleted")),
            deleted => out.message(&deleted?)?,
        },
        UsersCommand::Passwd {
            login,
            password_stdin,
        } => {
            let login = match login {
                Some(l) => l,
                None => b.me().await?.login,
            };
            let password = read_secret(&mut stdin, password_stdin, "new password", true)?;
            let body = UserUpdate {
                password: Some(password),
                ..UserUpdate::default()
            };
            b.update_user(&login, body).await?;
            out.message(&pgmon_common::api::Message {
                message: format!("Password of {login} changed"),
            })?
        }
    }
    Ok(())
}

pub async fn servers(b: &impl Backend, cmd: ServersCommand, out: &Printer) -> Result<(), CliError> {
    match cmd {
        ServersCommand::List => {
            let servers = b.list_servers().await?;
            if out.is_json() {
                out.list(&servers, SERVER_COLUMNS)?
            } else {
                let rows: Vec<serde_json::Value> = servers.iter().map(server_row).collect();
                out.list(&rows, SERVER_COLUMNS)?
            }
        }
        ServersCommand::Show { name } => out.record(&b.get_server(&name).await?)?,
        ServersCommand::Add {
            name,
            fields,
            no_check,
            test,
            if_not_exists,
        } => {
            if if_not_exists && found(b.get_server(&name).await)? {
                return outcome(out, false, format!("Server {name} exists: unchanged"));
            }
            let mut input = ServerInput {
                name: name.clone(),
                ..ServerInput::default()
            };
            apply_fields(b, &mut input, fields, true).await?;
            if test {
                let result = b.test_server(input.clone()).await?;
                if let Some(failed) = failure(&result) {
                    out.record(&result)?;
                    return Err(CliError::Failed(format!("{name} not added: {failed}")));
                }
            }
            let server = b.create_server(input, !no_check).await?;
            if if_not_exists {
                return outcome(out, true, format!("Server {name} added"));
            }
            out.record(&server)?
        }
        ServersCommand::Update {
            name,
            new_name,
            fields,
        } => {
            let mut input = ServerInput::from_status(&b.get_server(&name).await?);
            if let Some(n) = new_name {
                input.name = n;
            }
            apply_fields(b, &mut input, fields, false).await?;
            out.record(&b.update_server(&name, input).await?)?
        }
        ServersCommand::Remove { name, if_exists } => match b.remove_server(&name).await {
            Err(CliError::NotFound(_)) if if_exists => {
                return outcome(out, false, format!("No server {name}: unchanged"));
            }
            Ok(_) if if_exists => return outcome(out, true, format!("Server {name} deleted")),
            removed => out.message(&removed?)?,
        },
        ServersCommand::Test { name } => {
            let status = b.get_server(&name).await?;
            let postgres = b.test_pg(&name).await?;
            let ssh = match status.ssh_user.as_deref() {
                Some(u) if !u.is_empty() => Some(b.test_ssh(&name).await?),
                _ => None,
            };
            let result = ServerTest { postgres, ssh };
            out.record(&result)?;
            if let Some(failed) = failure(&result) {
                return Err(CliError::Failed(failed));
            }
        }
        ServersCommand::TestSsh { name } => crate::keys::test_ssh(b, &name, out).await?,
    }
    Ok(())
}

/// What failed in a server test, if anything.
fn failure(t: &ServerTest) -> Option<String> {
    let mut failed = Vec::new();
    if !t.postgres.success {
        failed.push(t.postgres.message.clone());
    }
    if let Some(ssh) = t.ssh.as_ref().filter(|s| !s.success) {
        failed.push(ssh.message.clone());
    }
    (!failed.is_empty()).then(|| failed.join("; "))
}

/// Whether a lookup found its object (not found is an answer, not an error).
fn found<T>(lookup: Result<T, CliError>) -> Result<bool, CliError> {
    match lookup {
        Ok(_) => Ok(true),
        Err(CliError::NotFound(_)) => Ok(false),
        Err(e) => Err(e),
    }
}

/// What an `--if-exists`/`--if-not-exists` command did: `{"changed", "message"}` in JSON, the
/// message in a table.
fn outcome(out: &Printer, changed: bool, message: String) -> Result<(), CliError> {
    #[derive(serde::Serialize)]
    struct Outcome {
        changed: bool,
        message: String,
    }
    Ok(out.message(&Outcome { changed, message })?)
}

/// A server in the list: its SSH login kind only when it has an SSH user (`-` otherwise).
fn server_row(s: &ServerStatus) -> serde_json::Value {
    let mut row = serde_json::to_value(s).unwrap_or_default();
    let has_ssh = s.ssh_user.as_deref().is_some_and(|u| !u.is_empty());
    row["ssh"] = serde_json::json!(has_ssh.then(|| s.ssh_auth_type.as_str()));
    row
}

pub async fn health(b: &impl Backend, out: &Printer) -> Result<(), CliError> {
    Ok(out.record(&b.health().await?)?)
}

pub async fn pools(b: &impl Backend, out: &Printer) -> Result<(), CliError> {
    let pools = b.pools().await?;
    if out.is_json() {
        return Ok(out.record(&pools)?);
    }
    let rows: Vec<serde_json::Value> = pools
        .iter()
        .map(|(key, p)| {
            let mut row = serde_json::to_value(p).unwrap_or_default();
            row["pool"] = key.as_str().into();
            row
        })
        .collect();
    Ok(out.list(&rows, POOL_COLUMNS)?)
}

/// Lays the given flags over `input`. Secrets are read from stdin or a prompt (the prompt only
/// when adding: an update keeps stored secrets unless asked).
async fn apply_fields(
    b: &impl Backend,
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
        input.ssh_key_id = Some(b.ssh_key_id(&key).await?);
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
    input.allow_cleartext_password = f.allow_cleartext_password;
    input.collect_interval = f.collect_interval;
    input.sslmode = f.sslmode.or(input.sslmode);
    input.sslrootcert = f.sslrootcert;
    input.sslcert = f.sslcert;
    input.sslkey = f.sslkey;
    Ok(())
}

fn set<T>(field: &mut T, value: Option<T>) {
    if let Some(v) = value {
        *field = v;
    }
}
