//! The command line grammar (SPEC C). Doc comments double as `--help` text.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};
use pgmon_common::users::Role;

#[derive(Parser, Debug)]
#[command(
    name = "pgmonctl",
    version,
    about = "Administer pgmon: users, monitored servers and statistics"
)]
pub struct Cli {
    /// URL of a pgmond to talk to over HTTP (token from PGMON_TOKEN or `login`)
    #[arg(long, global = true, env = "PGMON_URL", value_name = "URL")]
    pub url: Option<String>,

    /// pgmond's admin Unix socket (acts as admin, no token)
    #[arg(long, global = true, env = "PGMON_SOCKET", value_name = "PATH")]
    pub socket: Option<PathBuf>,

    /// Config directory to work on directly (local mode)
    #[arg(long, global = true, env = "PGMON_CONFIG_DIR", value_name = "DIR")]
    pub config_dir: Option<PathBuf>,

    /// Output format
    #[arg(long, global = true, value_enum, default_value_t = OutputFormat::Table)]
    pub output: OutputFormat,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Copy, Clone, Debug, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    /// Tables for people
    Table,
    /// Exactly the API's JSON, for scripts
    Json,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Log in to the daemon at --url and save the token (0600) for later commands
    Login {
        /// Login name (default: $USER)
        #[arg(long)]
        user: Option<String>,
        /// Read the password from standard input
        #[arg(long)]
        password_stdin: bool,
    },
    /// Forget the token saved for --url
    Logout,
    /// Manage API users
    #[command(subcommand)]
    Users(UsersCommand),
    /// Manage monitored servers
    #[command(subcommand)]
    Servers(ServersCommand),
    /// Manage stored SSH keys
    #[command(subcommand, name = "ssh-keys")]
    SshKeys(KeysCommand),
    /// Live status, activity and history (needs the daemon)
    #[command(subcommand)]
    Stats(StatsCommand),
    /// The daemon's health
    Health,
    /// The daemon's connection pools
    Pools,
    /// Print a shell completion script
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
}

#[derive(Subcommand, Debug)]
pub enum UsersCommand {
    /// List users
    List,
    /// Show one user
    Show { login: String },
    /// Add a user (password from a TTY prompt or --password-stdin)
    Add {
        login: String,
        #[arg(long, value_parser = parse_role, default_value = "viewer")]
        role: Role,
        #[arg(long)]
        email: Option<String>,
        /// Read the password from standard input
        #[arg(long)]
        password_stdin: bool,
    },
    /// Change a user's role, e-mail, active flag or password
    Update {
        login: String,
        #[arg(long, value_parser = parse_role)]
        role: Option<Role>,
        /// New e-mail ("" clears it)
        #[arg(long)]
        email: Option<String>,
        #[arg(long, value_name = "true|false")]
        active: Option<bool>,
        /// Read a new password from standard input
        #[arg(long)]
        password_stdin: bool,
    },
    /// Delete a user
    Delete { login: String },
    /// Set a user's password (your own when LOGIN is left out)
    Passwd {
        login: Option<String>,
        /// Read the password from standard input
        #[arg(long)]
        password_stdin: bool,
    },
}

#[derive(Subcommand, Debug)]
pub enum ServersCommand {
    /// List servers
    List,
    /// Show one server
    Show { name: String },
    /// Add a server
    Add {
        name: String,
        #[command(flatten)]
        fields: ServerFields,
        /// Add it even if host:port does not answer now
        #[arg(long)]
        no_check: bool,
    },
    /// Change a server; flags not given keep their value
    Update {
        name: String,
        /// Rename the server
        #[arg(long, value_name = "NAME")]
        new_name: Option<String>,
        #[command(flatten)]
        fields: ServerFields,
    },
    /// Remove a server
    Remove { name: String },
    /// Log in over SSH and run `echo` (needs the daemon); exit 1 when it fails
    TestSsh { name: String },
}

#[derive(Subcommand, Debug)]
pub enum KeysCommand {
    /// List keys
    List,
    /// Show one key (KEY: id or unique name)
    Show { key: String },
    /// Generate a key pair
    Generate {
        name: String,
        #[arg(long = "type", value_name = "rsa|ed25519", default_value = "rsa")]
        key_type: String,
        /// RSA key size
        #[arg(long, default_value_t = 2048)]
        bits: usize,
        /// Read a passphrase to encrypt the key with from standard input
        #[arg(long)]
        passphrase_stdin: bool,
        #[arg(long)]
        description: Option<String>,
    },
    /// Import a private key file (OpenSSH, PKCS#1 or PKCS#8)
    Import {
        name: String,
        #[arg(long, value_name = "PATH")]
        file: PathBuf,
        /// Read the key's passphrase from standard input
        #[arg(long)]
        passphrase_stdin: bool,
        #[arg(long)]
        description: Option<String>,
    },
    /// Rename a key or change its description
    Update {
        key: String,
        #[arg(long)]
        name: Option<String>,
        #[arg(long)]
        description: Option<String>,
    },
    /// Delete a key no server uses
    Delete { key: String },
    /// Servers that use a key
    Servers { key: String },
    /// Print a key's public half, or write it to a file
    Public {
        key: String,
        #[arg(short = 'o', long = "out", value_name = "FILE")]
        out: Option<PathBuf>,
    },
}

/// Connection settings of a server. With both `--password-stdin` and `--ssh-password-stdin`,
/// standard input holds the PostgreSQL password on its first line and the SSH password on
/// its second.
#[derive(Args, Debug, Default)]
pub struct ServerFields {
    #[arg(long)]
    pub host: Option<String>,
    #[arg(long)]
    pub port: Option<u16>,
    #[arg(long)]
    pub user: Option<String>,
    /// Read the PostgreSQL password from standard input
    #[arg(long)]
    pub password_stdin: bool,
    /// Database holding the history tables ("" for none)
    #[arg(long, value_name = "DB")]
    pub stats_db: Option<String>,
    #[arg(long)]
    pub ssh_user: Option<String>,
    #[arg(long)]
    pub ssh_port: Option<u16>,
    /// SSH key (id or unique name) to log in with instead of a password
    #[arg(long, value_name = "KEY")]
    pub ssh_key: Option<String>,
    /// Read the SSH password from standard input
    #[arg(long)]
    pub ssh_password_stdin: bool,
    /// Send the password to a server that asks for it in cleartext over an unencrypted
    /// connection (refused by default)
    #[arg(long, value_name = "BOOL")]
    pub allow_cleartext_password: Option<bool>,
}

fn parse_role(text: &str) -> Result<Role, String> {
    Role::parse(text).ok_or_else(|| format!("unknown role {text:?} (admin, operator or viewer)"))
}

#[derive(Subcommand, Debug)]
pub enum StatsCommand {
    /// Every server's live status
    Status,
    /// A server's history: totals, databases, timeline
    Server {
        name: String,
        #[command(flatten)]
        range: TimeRange,
    },
    /// One database: latest figures and history
    Db {
        name: String,
        db: String,
        #[command(flatten)]
        range: TimeRange,
    },
    /// Sessions of a server (pg_stat_activity)
    Activity { name: String },
}

/// A history window; ISO-8601 (`2026-10-31T00:00:00Z`); default the last 7 days.
#[derive(Args, Debug, Default)]
pub struct TimeRange {
    #[arg(long, value_name = "T")]
    pub from: Option<String>,
    #[arg(long, value_name = "T")]
    pub to: Option<String>,
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    use super::*;

    #[test]
    /// clap's own consistency checks (unique flags and short options across subcommands).
    fn grammar_is_consistent() {
        Cli::command().debug_assert();
    }
}

#[cfg(test)]
mod man_page {
    use clap::CommandFactory;

    use super::Cli;

    #[test]
    /// `packaging/man/pgmonctl.1` and one page per subcommand (`pgmonctl-users.1`, ...) are
    /// what clap renders. Regenerate with `PGMON_UPDATE_MAN=1 cargo test -p pgmonctl man_page`.
    fn shipped_man_pages_are_current() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../packaging/man");
        let cli = Cli::command();
        let mut pages = vec![("pgmonctl.1".to_owned(), cli.clone())];
        for sub in cli.get_subcommands() {
            let name = format!("pgmonctl-{}", sub.get_name());
            let static_name: &'static str = Box::leak(name.clone().into_boxed_str());
            pages.push((format!("{name}.1"), sub.clone().name(static_name)));
        }
        for (file, command) in pages {
            let mut page = Vec::new();
            clap_mangen::Man::new(command).render(&mut page).unwrap();
            let path = dir.join(&file);
            if std::env::var_os("PGMON_UPDATE_MAN").is_some() {
                std::fs::write(&path, &page).unwrap();
            }
            let shipped = std::fs::read(&path).unwrap_or_default();
            assert!(
                shipped == page,
                "{file} is stale: PGMON_UPDATE_MAN=1 cargo test -p pgmonctl man_page"
            );
        }
    }
}
