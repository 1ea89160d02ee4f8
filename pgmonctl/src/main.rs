//! `pgmonctl`: the admin CLI of pgmon.

mod alerts;
mod apply;
mod audit;
mod backend;
mod chart;
mod checks;
mod cli;
mod collector;
mod commands;
mod error;
mod keys;
mod live;
mod metrics;
mod output;
mod secrets;
mod stats;
mod store;
mod target;
mod top;
mod when;

use std::io::{self, ErrorKind};
use std::process::ExitCode;

use clap::FromArgMatches;
use pgmon_common::api::Message;
use pgmon_common::client::ApiClient;

use cli::{
    AlertsCommand, BackendCommand, Cli, CollectorCommand, Command, KeysCommand, ServersCommand,
    SettingsCommand, SilenceCommand, StatsCommand, StoreCommand, UsersCommand,
};
use error::CliError;
use output::Printer;
use secrets::{StdinSecrets, read_secret};
use target::{SavedFile, Target};

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let cli = match Cli::from_arg_matches(&cli::command().get_matches()) {
        Ok(cli) => cli,
        Err(e) => e.exit(),
    };
    let what = describe(&cli.command);
    match run(cli).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(CliError::Failed(m)) if is_broken_pipe(&m) => ExitCode::SUCCESS,
        Err(e) => {
            // Errors carry names and texts from the daemon and its servers.
            eprintln!(
                "pgmonctl: {}: {}",
                output::safe(&what),
                output::safe(&e.to_string())
            );
            ExitCode::from(e.exit_code() as u8)
        }
    }
}

async fn run(cli: Cli) -> Result<(), CliError> {
    let out = Printer { format: cli.output };
    match &cli.command {
        Command::Completions { shell } => {
            clap_complete::generate(*shell, &mut cli::command(), "pgmonctl", &mut io::stdout());
            return Ok(());
        }
        Command::Login {
            user,
            password_stdin,
        } => return login(&cli, user.clone(), *password_stdin, &out).await,
        Command::Logout => return logout(&cli, &out).await,
        Command::Store(c) => return store::run(c, &out).await,
        _ => {}
    }
    match target::choose(&cli).await? {
        Target::Local(b) => dispatch(b.as_ref(), cli.command, false, &out).await,
        Target::Remote(b) => {
            let daemon = b.0.target().to_owned();
            dispatch(&b, cli.command, true, &out)
                .await
                .map_err(|e| with_login_hint(e, &daemon))
        }
    }
}

/// A refusal for want of a (valid) token says how to get one.
fn with_login_hint(e: CliError, daemon: &str) -> CliError {
    match e {
        CliError::Denied(d)
            if matches!(
                d.as_str(),
                "Not authenticated" | "Token expired" | "Token revoked"
            ) =>
        {
            CliError::Denied(format!(
                "{d}: log in with `pgmonctl --url {daemon} login` (or set PGMON_TOKEN)"
            ))
        }
        other => other,
    }
}

async fn dispatch(
    b: &impl backend::Backend,
    cmd: Command,
    remote: bool,
    out: &Printer,
) -> Result<(), CliError> {
    match cmd {
        Command::Apply(args) => apply::apply(b, args, remote, out).await,
        Command::Export { format } => apply::export(b, format, remote).await,
        Command::Users(c) => commands::users(b, c, out).await,
        Command::Servers(c) => commands::servers(b, c, out).await,
        Command::SshKeys(c) => keys::run(b, c, out).await,
        Command::Stats(c) => stats::run(b, c, out).await,
        Command::Settings(c) => collector::settings(b, c, out).await,
        Command::Collector(c) => collector::run(b, c, out).await,
        Command::Metrics { filter } => metrics::run(b, filter.as_deref(), out).await,
        Command::Audit(args) => audit::run(b, args, out).await,
        Command::Checks(args) => checks::run(b, args, out).await,
        Command::Alerts(c) => alerts::run(b, c, out).await,
        Command::Backend(cmd) => stats::signal(b, cmd, out).await,
        Command::Top(_) if !remote => Err(CliError::Unreachable(
            "top needs the daemon: use --url or --socket (local mode only manages files)".into(),
        )),
        Command::Top(args) => top::run(b, args, out).await,
        Command::Health => commands::health(b, out).await,
        Command::Pools => commands::pools(b, out).await,
        Command::Login { .. }
        | Command::Logout
        | Command::Store(_)
        | Command::Completions { .. } => Ok(()),
    }
}

/// The daemon `login` and `logout` are about: `--url`, else the one logged in to last.
fn daemon_url(cli: &Cli, saved: &target::Saved) -> Result<String, CliError> {
    cli.url
        .clone()
        .or_else(|| saved.daemon.clone())
        .ok_or_else(|| {
            CliError::Usage("which daemon? add --url http(s)://HOST:PORT (or set PGMON_URL)".into())
        })
}

async fn login(
    cli: &Cli,
    user: Option<String>,
    stdin: bool,
    out: &Printer,
) -> Result<(), CliError> {
    let file = SavedFile::locate();
    let mut saved = file.load()?;
    let url = daemon_url(cli, &saved)?;
    let user = user
        .or_else(|| std::env::var("USER").ok())
        .ok_or_else(|| CliError::Usage("no --user given and $USER is not set".into()))?;
    let password = read_secret(&mut StdinSecrets::new(), stdin, "password", false)?;
    let token = ApiClient::tcp(&url, None, cli.cacert.as_deref())?
        .login(&user, &password)
        .await?;
    saved.tokens.insert(url.clone(), token.access_token);
    saved.daemon = Some(url.clone());
    file.save(&saved)?;
    out.message(&Message {
        message: format!(
            "Logged in to {url} as {user} (token saved in {}; later commands without --url use this daemon)",
            file.path().display()
        ),
    })?;
    Ok(())
}

/// Ends the session on the daemon (`POST /logout`), then forgets the token. A daemon that
/// cannot be reached keeps the token saved (it would stay valid there until it expires), so
/// the logout can be tried again.
async fn logout(cli: &Cli, out: &Printer) -> Result<(), CliError> {
    let file = SavedFile::locate();
    let mut saved = file.load()?;
    let url = daemon_url(cli, &saved)?;
    let mut ended = "";
    if let Some(token) = saved.tokens.get(&url) {
        let daemon = ApiClient::tcp(&url, Some(token.clone()), cli.cacert.as_deref())?;
        match daemon
            .send::<_, Message>(pgmon_common::client::Method::POST, "/logout", &())
            .await
        {
            Ok(_) => ended = " (session ended on the daemon)",
            // Expired, revoked, or the user gone: nothing left to end.
            Err(pgmon_common::Error::Api { status: 401, .. }) => {
                ended = " (the token had already expired or been revoked)"
            }
            Err(e) => {
                return Err(CliError::Failed(format!(
                    "{e}; the token stays saved in {} until the daemon can end the session",
                    file.path().display()
                )));
            }
        }
    }
    let had_token = saved.tokens.remove(&url).is_some();
    let was_default = saved.daemon.as_deref() == Some(url.as_str());
    if was_default {
        saved.daemon = None;
    }
    let message = if had_token || was_default {
        file.save(&saved)?;
        format!("Logged out of {url}{ended}")
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
            UsersCommand::Delete { login, .. } => format!("users delete {login}"),
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
            ServersCommand::Remove { name, .. } => format!("servers remove {name}"),
            ServersCommand::Test { name } => format!("servers test {name}"),
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
            StatsCommand::Status { .. } => "stats status".into(),
            StatsCommand::Server { name, .. } => format!("stats server {name}"),
            StatsCommand::Db { name, db, .. } => format!("stats db {name} {db}"),
            StatsCommand::Activity { name, .. } => format!("stats activity {name}"),
            StatsCommand::Analysis { name, .. } => format!("stats analysis {name}"),
            StatsCommand::Databases { name } => format!("stats databases {name}"),
            StatsCommand::Replication { name, .. } => format!("stats replication {name}"),
            StatsCommand::Statements { name, .. } => format!("stats statements {name}"),
        },
        Command::Settings(SettingsCommand::Show) => "settings show".into(),
        Command::Settings(SettingsCommand::Set { .. }) => "settings set".into(),
        Command::Collector(CollectorCommand::Status) => "collector status".into(),
        Command::Metrics { .. } => "metrics".into(),
        Command::Audit(_) => "audit".into(),
        Command::Checks(a) => match (&a.server, a.run) {
            (Some(s), true) => format!("checks {s} --run"),
            (Some(s), false) => format!("checks {s}"),
            (None, _) => "checks".into(),
        },
        Command::Backend(BackendCommand::Cancel(t)) => {
            format!("backend cancel {} {}", t.name, t.pid)
        }
        Command::Backend(BackendCommand::Terminate(t)) => {
            format!("backend terminate {} {}", t.name, t.pid)
        }
        Command::Alerts(a) => match a {
            AlertsCommand::List => "alerts list".into(),
            AlertsCommand::History { .. } => "alerts history".into(),
            AlertsCommand::Silence(SilenceCommand::Add { .. }) => "alerts silence add".into(),
            AlertsCommand::Silence(SilenceCommand::List) => "alerts silence list".into(),
            AlertsCommand::Silence(SilenceCommand::Expire { id }) => {
                format!("alerts silence expire {id}")
            }
            AlertsCommand::Test { channel } => format!("alerts test {channel}"),
        },
        Command::Top(_) => "top".into(),
        Command::Apply(a) => format!("apply -f {}", a.file.display()),
        Command::Export { .. } => "export".into(),
        Command::Health => "health".into(),
        Command::Pools => "pools".into(),
        Command::Store(StoreCommand::Migrate { .. }) => "store migrate".into(),
        Command::Completions { .. } => "completions".into(),
    }
}

/// A reader that closed our stdout (`pgmonctl ... | head`) is not an error.
fn is_broken_pipe(message: &str) -> bool {
    message == io::Error::from(ErrorKind::BrokenPipe).to_string()
}
