//! `pgmonctl`: the admin CLI of pgmon.

mod backend;
mod cli;
mod commands;
mod error;
mod keys;
mod output;
mod secrets;
mod stats;
mod target;

use std::io::{self, ErrorKind};
use std::process::ExitCode;

use clap::{CommandFactory, Parser};
use pgmon_common::api::Message;
use pgmon_common::client::ApiClient;

use cli::{Cli, Command, KeysCommand, ServersCommand, StatsCommand, UsersCommand};
use error::CliError;
use output::Printer;
use secrets::{StdinSecrets, read_secret};
use target::{Target, TokenFile};

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    let what = describe(&cli.command);
    match run(cli).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(CliError::Failed(m)) if is_broken_pipe(&m) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("pgmonctl: {what}: {e}");
            ExitCode::from(e.exit_code() as u8)
        }
    }
}

async fn run(cli: Cli) -> Result<(), CliError> {
    let out = Printer { format: cli.output };
    match &cli.command {
        Command::Completions { shell } => {
            clap_complete::generate(*shell, &mut Cli::command(), "pgmonctl", &mut io::stdout());
            return Ok(());
        }
        Command::Login {
            user,
            password_stdin,
        } => return login(&cli, user.clone(), *password_stdin, &out).await,
        Command::Logout => return logout(&cli, &out),
        _ => {}
    }
    match target::choose(&cli).await? {
        Target::Local(b) => dispatch(b.as_ref(), cli.command, &out).await,
        Target::Remote(b) => dispatch(&b, cli.command, &out).await,
    }
}

async fn dispatch(b: &impl backend::Backend, cmd: Command, out: &Printer) -> Result<(), CliError> {
    match cmd {
        Command::Users(c) => commands::users(b, c, out).await,
        Command::Servers(c) => commands::servers(b, c, out).await,
        Command::SshKeys(c) => keys::run(b, c, out).await,
        Command::Stats(c) => stats::run(b, c, out).await,
        Command::Health => commands::health(b, out).await,
        Command::Pools => commands::pools(b, out).await,
        Command::Login { .. } | Command::Logout | Command::Completions { .. } => Ok(()),
    }
}

fn url_of(cli: &Cli) -> Result<&str, CliError> {
    cli.url
        .as_deref()
        .ok_or_else(|| CliError::Usage("needs --url or PGMON_URL".into()))
}

async fn login(
    cli: &Cli,
    user: Option<String>,
    stdin: bool,
    out: &Printer,
) -> Result<(), CliError> {
    let url = url_of(cli)?;
    let user = user
        .or_else(|| std::env::var("USER").ok())
        .ok_or_else(|| CliError::Usage("no --user given and $USER is not set".into()))?;
    let password = read_secret(&mut StdinSecrets::new(), stdin, "password", false)?;
    let token = ApiClient::tcp(url, None)?.login(&user, &password).await?;
    let file = TokenFile::locate();
    let mut tokens = file.load()?;
    tokens.insert(url.to_owned(), token.access_token);
    file.save(&tokens)?;
    out.message(&Message {
        message: format!(
            "Logged in to {url} as {user} (token saved in {})",
            file.path().display()
        ),
    })?;
    Ok(())
}

fn logout(cli: &Cli, out: &Printer) -> Result<(), CliError> {
    let url = url_of(cli)?;
    let file = TokenFile::locate();
    let mut tokens = file.load()?;
    let message = if tokens.remove(url).is_some() {
        file.save(&tokens)?;
        format!("Logged out of {url}")
    } else {
        format!("No token saved for {url}")
    };
    out.message(&Message { message })?;
    Ok(())
}

/// The command as the error line names it, e.g. `users add bob`.
fn describe(cmd: &Command) -> String {
    match cmd {
        Command::Users(u) => match u {
            UsersCommand::List => "users list".into(),
            UsersCommand::Show { login } => format!("users show {login}"),
            UsersCommand::Add { login, .. } => format!("users add {login}"),
            UsersCommand::Update { login, .. } => format!("users update {login}"),
            UsersCommand::Delete { login } => format!("users delete {login}"),
            UsersCommand::Passwd { login, .. } => {
                format!("users passwd {}", login.as_deref().unwrap_or(""))
                    .trim_end()
                    .to_owned()
            }
        },
        Command::Servers(s) => match s {
            ServersCommand::List => "servers list".into(),
            ServersCommand::Show { name } => format!("servers show {name}"),
            ServersCommand::Add { name, .. } => format!("servers add {name}"),
            ServersCommand::Update { name, .. } => format!("servers update {name}"),
            ServersCommand::Remove { name } => format!("servers remove {name}"),
            ServersCommand::TestSsh { name } => format!("servers test-ssh {name}"),
        },
        Command::SshKeys(k) => match k {
            KeysCommand::List => "ssh-keys list".into(),
            KeysCommand::Show { key } => format!("ssh-keys show {key}"),
            KeysCommand::Generate { name, .. } => format!("ssh-keys generate {name}"),
            KeysCommand::Import { name, .. } => format!("ssh-keys import {name}"),
            KeysCommand::Update { key, .. } => format!("ssh-keys update {key}"),
            KeysCommand::Delete { key } => format!("ssh-keys delete {key}"),
            KeysCommand::Servers { key } => format!("ssh-keys servers {key}"),
            KeysCommand::Public { key, .. } => format!("ssh-keys public {key}"),
        },
        Command::Login { .. } => "login".into(),
        Command::Logout => "logout".into(),
        Command::Stats(s) => match s {
            StatsCommand::Status => "stats status".into(),
            StatsCommand::Server { name, .. } => format!("stats server {name}"),
            StatsCommand::Db { name, db, .. } => format!("stats db {name} {db}"),
            StatsCommand::Activity { name } => format!("stats activity {name}"),
        },
        Command::Health => "health".into(),
        Command::Pools => "pools".into(),
        Command::Completions { .. } => "completions".into(),
    }
}

/// A reader that closed our stdout (`pgmonctl ... | head`) is not an error.
fn is_broken_pipe(message: &str) -> bool {
    message == io::Error::from(ErrorKind::BrokenPipe).to_string()
}
