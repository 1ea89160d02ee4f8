//! `pgmonctl`: the admin CLI of pgmon.

mod cli;
mod error;
mod local;
mod output;
mod secrets;

use std::io::{self, ErrorKind};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{CommandFactory, Parser};
use pgmon_common::ConfigDir;
use pgmon_common::config_dir::DEFAULT_CONFIG_DIR;

use cli::{Cli, Command, ServersCommand, UsersCommand};
use error::CliError;
use output::Printer;

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
    let printer = Printer { format: cli.output };
    let config_dir = cli
        .config_dir
        .unwrap_or_else(|| PathBuf::from(DEFAULT_CONFIG_DIR));
    match cli.command {
        Command::Completions { shell } => {
            clap_complete::generate(shell, &mut Cli::command(), "pgmonctl", &mut io::stdout());
            Ok(())
        }
        Command::Users(cmd) => local::users(&ConfigDir::open(config_dir)?, cmd, &printer),
        Command::Servers(cmd) => local::servers(&ConfigDir::open(config_dir)?, cmd, &printer).await,
    }
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
            UsersCommand::Passwd { login, .. } => format!("users passwd {login}"),
        },
        Command::Servers(s) => match s {
            ServersCommand::List => "servers list".into(),
            ServersCommand::Show { name } => format!("servers show {name}"),
            ServersCommand::Add { name, .. } => format!("servers add {name}"),
            ServersCommand::Update { name, .. } => format!("servers update {name}"),
            ServersCommand::Remove { name } => format!("servers remove {name}"),
        },
        Command::Completions { .. } => "completions".into(),
    }
}

/// A reader that closed our stdout (`pgmonctl ... | head`) is not an error.
fn is_broken_pipe(message: &str) -> bool {
    message == io::Error::from(ErrorKind::BrokenPipe).to_string()
}
