//! The command line grammar (SPEC C). Doc comments double as `--help` text.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};
use pgmon_common::api::settings::SettingsUpdate;
use pgmon_common::servers::{IntervalInput, SslMode};
use pgmon_common::users::Role;

#[derive(Parser, Debug)]
#[command(
    name = "pgmonctl",
    version,
    about = "Administer pgmon: users, monitored servers and statistics"
)]
pub struct Cli {
    /// pgmond to talk to over HTTP, as http(s)://HOST:PORT (token from PGMON_TOKEN or
    /// `login`; after a `login`, commands without a target use its daemon)
    #[arg(long, global = true, env = "PGMON_URL", value_name = "URL", value_parser = parse_url)]
    pub url: Option<String>,

    /// CA certificates (PEM) to trust for an https:// daemon, besides the system's
    #[arg(long, global = true, env = "PGMON_CACERT", value_name = "FILE")]
    pub cacert: Option<PathBuf>,

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

/// `pgmonctl backend`.
#[derive(Subcommand, Debug)]
pub enum BackendCommand {
    /// Cancel the running query of a backend (pg_cancel_backend)
    Cancel(BackendTarget),
    /// End a backend and its session (pg_terminate_backend)
    Terminate(BackendTarget),
}

#[derive(Args, Debug)]
pub struct BackendTarget {
    /// Server name
    pub name: String,
    /// The backend's pid (see `stats activity`)
    pub pid: i32,
    /// Also a backend that is not a client's (autovacuum, walsender...): admin only
    #[arg(long)]
    pub force: bool,
}

/// `pgmonctl store`.
#[derive(Subcommand, Debug)]
pub enum StoreCommand {
    /// Copy a config dir (documents, audit trail, raw history) into a shared store, or a
    /// shared store back into a config dir (which must hold the key file already). A URL's
    /// password comes from PGPASSWORD, never from the command line
    Migrate {
        /// A config dir, or a postgres:// URL
        #[arg(long)]
        from: String,
        /// A postgres:// URL, or a config dir
        #[arg(long)]
        to: String,
        /// Count what would be copied; change nothing
        #[arg(long)]
        dry_run: bool,
        /// Replace what the target already holds
        #[arg(long)]
        force: bool,
    },
}

/// `pgmonctl alerts`.
#[derive(Subcommand, Debug)]
pub enum AlertsCommand {
    /// Alerts pending or firing now, most severe first
    List,
    /// Alerts that fired, newest first, with their notifications (and, for one, its evidence)
    History {
        /// Only this server's
        #[arg(long)]
        server: Option<String>,
        /// Only this rule's (server_down, lock_wait, replication_lag_bytes, ...)
        #[arg(long)]
        rule: Option<String>,
        /// Only alerts that began at or after this time (RFC 3339, or 1h, 7d...)
        #[arg(long, value_parser = crate::when::parse)]
        since: Option<String>,
        /// At most this many
        #[arg(long, default_value_t = 50, value_parser = clap::value_parser!(u32).range(1..=1000))]
        limit: u32,
        /// One alert, with the evidence kept when it fired
        #[arg(long)]
        id: Option<i64>,
    },
    /// Silences: hold notifications back for maintenance (operator)
    #[command(subcommand)]
    Silence(SilenceCommand),
    /// Send a test notification through a channel now (admin)
    Test {
        /// The channel's name
        channel: String,
    },
}

/// `pgmonctl alerts silence`.
#[derive(Subcommand, Debug)]
pub enum SilenceCommand {
    /// Silence the alerts matching every matcher given, until a time
    Add {
        /// Only alerts of this server (`*` matches any run of characters)
        #[arg(long)]
        server: Option<String>,
        /// Only alerts of this rule
        #[arg(long)]
        rule: Option<String>,
        /// Only alerts about this database (`*` as for --server)
        #[arg(long)]
        database: Option<String>,
        /// When it ends (RFC 3339)
        #[arg(long, value_parser = crate::when::parse, required_unless_present = "duration", conflicts_with = "duration")]
        until: Option<String>,
        /// ...or how long it lasts from now (30m, 2h, 1d)
        #[arg(long = "for", value_name = "SPAN", value_parser = crate::when::ahead)]
        duration: Option<String>,
        /// Why (shown with the silence)
        #[arg(long, default_value = "")]
        comment: String,
    },
    /// Silences running, and those ended in the last day
    List,
    /// End a silence now
    Expire {
        /// The silence's id (see `alerts silence list`)
        id: i64,
    },
}

/// `pgmonctl checks`.
#[derive(Args, Debug)]
pub struct ChecksArgs {
    /// Only this server (all servers when left out)
    pub server: Option<String>,
    /// Only findings in this database
    #[arg(long)]
    pub database: Option<String>,
    /// Only this kind (unused_index, duplicate_index, invalid_index, missing_index,
    /// table_bloat, index_bloat, sequence_exhaustion, vacuum_overdue, wraparound,
    /// no_primary_key, setting)
    #[arg(long)]
    pub kind: Option<pgmon_common::api::checks::CheckKind>,
    /// Only findings at least this severe
    #[arg(long, value_parser = clap::builder::TypedValueParser::try_map(
        clap::builder::PossibleValuesParser::new(["info", "warning", "critical"]),
        |s| s.parse::<pgmon_common::api::checks::CheckSeverity>()))]
    pub severity: Option<pgmon_common::api::checks::CheckSeverity>,
    /// Run the checks on SERVER now and show what they found (operator)
    #[arg(long, requires = "server")]
    pub run: bool,
    /// Also the findings later runs no longer found, with when
    #[arg(long)]
    pub resolved: bool,
}

/// `pgmonctl audit`.
#[derive(Args, Debug)]
pub struct AuditArgs {
    /// Only what this user did (`socket:uid=N` for the admin socket)
    #[arg(long)]
    pub actor: Option<String>,
    /// Only this action (`server.update`), or a family of them (`server.`)
    #[arg(long)]
    pub action: Option<String>,
    /// Only what was done to this server, login or key
    #[arg(long)]
    pub target: Option<String>,
    /// Only this outcome
    #[arg(long, value_parser = clap::builder::TypedValueParser::try_map(
        clap::builder::PossibleValuesParser::new(["success", "denied", "failed"]),
        |s| s.parse::<pgmon_common::api::audit::AuditOutcome>()))]
    pub outcome: Option<pgmon_common::api::audit::AuditOutcome>,
    /// Only entries at or after this time: RFC 3339 (2026-11-29T00:00:00Z), a date, today,
    /// yesterday, or a span back (90m, 1h, 7d, "10 minutes ago")
    #[arg(long, value_parser = crate::when::parse)]
    pub since: Option<String>,
    /// Only entries at or before this time (as --since)
    #[arg(long, value_parser = crate::when::parse)]
    pub until: Option<String>,
    /// How many entries at most (1 to 1000)
    #[arg(long, default_value_t = 50)]
    pub limit: usize,
    /// Keep printing new entries as they come, oldest first, one a line
    #[arg(long, short = 'f')]
    pub follow: bool,
}

/// `pgmonctl apply`.
#[derive(Args, Debug)]
pub struct ApplyArgs {
    /// The file of desired servers, users and SSH key references (`-` for standard input)
    #[arg(short = 'f', long = "file", value_name = "FILE")]
    pub file: PathBuf,
    /// Print what would change, change nothing
    #[arg(long)]
    pub dry_run: bool,
    /// Also delete the servers and users the file does not list (never the last admin or you)
    #[arg(long)]
    pub prune: bool,
    /// Delete without asking (what --prune needs when not on a terminal)
    #[arg(long)]
    pub yes: bool,
    /// Also set the secrets the file gives for objects that exist (otherwise they are set only
    /// when an object is created, has none, or moves to another host, port or user)
    #[arg(long)]
    pub update_secrets: bool,
}

#[derive(Copy, Clone, Debug, PartialEq, Eq, ValueEnum)]
pub enum ExportFormat {
    Yaml,
    Json,
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
    /// The collector's intervals and retention (admin; needs the daemon)
    #[command(subcommand)]
    Settings(SettingsCommand),
    /// The built-in collector (needs the daemon)
    #[command(subcommand)]
    Collector(CollectorCommand),
    /// The daemon's Prometheus metrics as a table, for people without Prometheus
    Metrics {
        /// Only series whose name contains this (`pgmon_up`, `database_size`)
        #[arg(long = "match", value_name = "TEXT")]
        filter: Option<String>,
    },
    /// The audit trail: changes and logins, newest first (admin; needs the daemon)
    Audit(AuditArgs),
    /// Health-check findings of the fleet, or of a server: indexes, bloat, sequences, vacuum,
    /// keys and settings, each with a fix to review (needs the daemon)
    Checks(ChecksArgs),
    /// Cancel a backend's query or terminate it (operator; needs the daemon)
    #[command(subcommand)]
    Backend(BackendCommand),
    /// Alerts firing now, their history, silences and test notifications (needs the daemon)
    #[command(subcommand)]
    Alerts(AlertsCommand),
    /// A live view of the fleet and a server's sessions (needs the daemon). Keys: arrows or
    /// j/k select, Enter opens a server, s sorts (duration, cpu, user), / filters, i shows idle
    /// sessions, t the blocking tree, c cancels and K terminates the selected session after a
    /// confirmation (operators and admins), Esc goes back, q quits
    Top(TopArgs),
    /// Make servers and users match a file (YAML or JSON), reporting what changed
    Apply(ApplyArgs),
    /// Print the servers, users and SSH key references as an `apply` file, without secrets
    Export {
        /// Output format
        #[arg(long, value_enum, default_value_t = ExportFormat::Yaml)]
        format: ExportFormat,
    },
    /// The shared PostgreSQL store of replicas (SPEC B7); works on the files and the
    /// database directly, no daemon needed
    #[command(subcommand)]
    Store(StoreCommand),
    /// The daemon's health
    Health,
    /// The daemon's connection pools
    Pools,
    /// Print a shell completion script
    Completions {
        /// Shell to complete for
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
}

#[derive(Subcommand, Debug)]
pub enum UsersCommand {
    /// List users
    List,
    /// Show one user
    Show {
        /// Login name
        login: String,
    },
    /// Add a user (password from a TTY prompt or --password-stdin; at least 8 characters)
    Add {
        /// Login name: letters, digits, '.', '_', '@' and '-', starting with a letter or digit
        login: String,
        /// Succeed without a change when the user exists (reports whether it changed anything)
        #[arg(long)]
        if_not_exists: bool,
        /// Role: admin, operator or viewer
        #[arg(long, value_parser = parse_role, default_value = "viewer", value_name = "ROLE")]
        role: Role,
        /// E-mail address
        #[arg(long)]
        email: Option<String>,
        /// Read the password from standard input
        #[arg(long)]
        password_stdin: bool,
    },
    /// Change a user's role, e-mail, active flag or password
    Update {
        /// Login name
        login: String,
        /// New role: admin, operator or viewer
        #[arg(long, value_parser = parse_role, value_name = "ROLE")]
        role: Option<Role>,
        /// New e-mail ("" clears it)
        #[arg(long)]
        email: Option<String>,
        /// Whether the user may log in
        #[arg(long, value_name = "true|false")]
        active: Option<bool>,
        /// Read a new password from standard input
        #[arg(long)]
        password_stdin: bool,
    },
    /// Delete a user
    Delete {
        /// Login name
        login: String,
        /// Succeed without a change when there is no such user
        #[arg(long)]
        if_exists: bool,
    },
    /// Set a user's password (your own when LOGIN is left out; at least 8 characters)
    Passwd {
        /// Login name
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
    Show {
        /// Server name
        name: String,
    },
    /// Add a server (--host and --user are required)
    Add {
        /// Server name: letters, digits, '.', '_', '@' and '-', starting with a letter or digit
        name: String,
        #[command(flatten)]
        fields: ServerFields,
        /// Add it even if host:port does not answer now
        #[arg(long)]
        no_check: bool,
        /// Connect to it (PostgreSQL, and SSH when configured) first, through the daemon, and
        /// add it only if that works; exit 1 otherwise
        #[arg(long)]
        test: bool,
        /// Succeed without a change when the server exists (reports whether it changed anything)
        #[arg(long)]
        if_not_exists: bool,
    },
    /// Change a server; flags not given keep their value (a new host, port or user clears the
    /// stored password unless a new one is given)
    Update {
        /// Server name
        name: String,
        /// Rename the server
        #[arg(long, value_name = "NAME")]
        new_name: Option<String>,
        #[command(flatten)]
        fields: ServerFields,
    },
    /// Remove a server
    Remove {
        /// Server name
        name: String,
        /// Succeed without a change when there is no such server
        #[arg(long)]
        if_exists: bool,
    },
    /// Connect to PostgreSQL, and log in over SSH when configured (needs the daemon); exit 1
    /// when either fails
    Test {
        /// Server name
        name: String,
    },
    /// Log in over SSH and run `echo` (needs the daemon); exit 1 when it fails
    TestSsh {
        /// Server name
        name: String,
    },
}

#[derive(Subcommand, Debug)]
pub enum KeysCommand {
    /// List keys
    List,
    /// Show one key
    Show {
        /// Key id or unique name
        key: String,
    },
    /// Generate a key pair
    Generate {
        /// Key name
        name: String,
        /// Key type
        #[arg(long = "type", value_parser = ["rsa", "ed25519"], default_value = "rsa")]
        key_type: String,
        /// RSA key size in bits, 2048 to 8192
        #[arg(long, default_value_t = 2048)]
        bits: usize,
        /// Read a passphrase to encrypt the key with from standard input
        #[arg(long)]
        passphrase_stdin: bool,
        /// What the key is for
        #[arg(long)]
        description: Option<String>,
    },
    /// Import a private key file (OpenSSH, PKCS#1, PKCS#8 or SEC1 PEM)
    Import {
        /// Key name
        name: String,
        /// The private key file
        #[arg(long, value_name = "PATH")]
        file: PathBuf,
        /// Read the key's passphrase from standard input
        #[arg(long)]
        passphrase_stdin: bool,
        /// What the key is for
        #[arg(long)]
        description: Option<String>,
    },
    /// Rename a key or change its description
    Update {
        /// Key id or unique name
        key: String,
        /// New name
        #[arg(long)]
        name: Option<String>,
        /// New description
        #[arg(long)]
        description: Option<String>,
    },
    /// Delete a key no server uses
    Delete {
        /// Key id or unique name
        key: String,
    },
    /// Servers that use a key
    Servers {
        /// Key id or unique name
        key: String,
    },
    /// Print a key's public half, or write it to a file
    Public {
        /// Key id or unique name
        key: String,
        /// Write the public key to FILE instead of printing it
        #[arg(short = 'o', long = "out", value_name = "FILE")]
        out: Option<PathBuf>,
    },
}

/// Connection settings of a server. With both `--password-stdin` and `--ssh-password-stdin`,
/// standard input holds the PostgreSQL password on its first line and the SSH password on
/// its second.
#[derive(Args, Debug, Default)]
pub struct ServerFields {
    /// Host name or address of the PostgreSQL server
    #[arg(long)]
    pub host: Option<String>,
    /// PostgreSQL port
    #[arg(long)]
    pub port: Option<u16>,
    /// PostgreSQL user pgmon logs in as
    #[arg(long)]
    pub user: Option<String>,
    /// Read the PostgreSQL password from standard input
    #[arg(long)]
    pub password_stdin: bool,
    /// Database holding the history tables ("" for none)
    #[arg(long, value_name = "DB")]
    pub stats_db: Option<String>,
    /// User for SSH logins (disk usage); none: no SSH
    #[arg(long)]
    pub ssh_user: Option<String>,
    /// SSH port
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
    /// Seconds between the collector's samples of this server instead of the setting (0: not
    /// sampled; else at least 10; "default": follow the setting again)
    #[arg(long, value_name = "SECONDS")]
    pub collect_interval: Option<IntervalInput>,
    /// TLS to PostgreSQL, as libpq's sslmode [default for a new server: prefer]
    #[arg(long, value_enum, value_name = "MODE")]
    pub sslmode: Option<SslMode>,
    /// CA certificate(s) the server's must chain to, a PEM file on the daemon's machine (a
    /// relative path is read from the config dir; "" removes it)
    #[arg(long, value_name = "PATH")]
    pub sslrootcert: Option<String>,
    /// Client certificate, a PEM file (with --sslkey; "" removes it)
    #[arg(long, value_name = "PATH")]
    pub sslcert: Option<String>,
    /// Client key, a PEM file readable by its owner only (0600; "" removes it)
    #[arg(long, value_name = "PATH")]
    pub sslkey: Option<String>,
}

/// The grammar as clap runs it: the derived one, with what only `servers add` requires and
/// defaults (its flags are shared with `servers update`, where everything is optional).
pub fn command() -> clap::Command {
    use clap::CommandFactory;
    Cli::command().mut_subcommand("servers", |servers| {
        servers.mut_subcommand("add", |add| {
            add.mut_arg("host", |a| a.required(true))
                .mut_arg("user", |a| a.required(true))
                .mut_arg("port", |a| a.default_value("5432"))
                .mut_arg("ssh_port", |a| a.default_value("22"))
        })
    })
}

/// A daemon URL: `http://` or `https://`, a host (name, IPv4 or `[IPv6]`), an optional port,
/// and nothing after but an optional `/`, which is dropped so one daemon has one spelling.
pub fn parse_url(text: &str) -> Result<String, String> {
    let bad = || format!("{text:?} is not a daemon URL: expected http(s)://HOST:PORT");
    let (scheme, rest) = ["http://", "https://"]
        .into_iter()
        .find_map(|s| text.strip_prefix(s).map(|rest| (s, rest)))
        .ok_or_else(bad)?;
    let authority = rest.strip_suffix('/').unwrap_or(rest);
    let (host, port) = match authority.rsplit_once(':') {
        Some((h, _)) if !h.ends_with(']') && h.contains(':') => (authority, None),
        Some((h, p)) => (h, Some(p)),
        None => (authority, None),
    };
    let host_ok = match host.strip_prefix('[').and_then(|h| h.strip_suffix(']')) {
        Some(v6) => v6.parse::<std::net::Ipv6Addr>().is_ok(),
        None => {
            !host.is_empty()
                && host
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-')
        }
    };
    let port_ok = port.is_none_or(|p| p.parse::<u16>().is_ok_and(|n| n > 0));
    if !(host_ok && port_ok) {
        return Err(bad());
    }
    Ok(format!("{scheme}{authority}"))
}

fn parse_role(text: &str) -> Result<Role, String> {
    Role::parse(text).ok_or_else(|| format!("unknown role {text:?} (admin, operator or viewer)"))
}

#[derive(Subcommand, Debug)]
pub enum StatsCommand {
    /// Every server's live status
    Status {
        /// Print only the servers that are not ok, and exit 1 if there is one (for cron)
        #[arg(long)]
        fail_on_down: bool,
    },
    /// A server's history: totals, databases, timeline
    Server {
        /// Server name
        name: String,
        #[command(flatten)]
        range: TimeRange,
    },
    /// One database: latest figures and history
    Db {
        /// Server name
        name: String,
        /// Database name
        db: String,
        #[command(flatten)]
        range: TimeRange,
    },
    /// Sessions of a server (pg_stat_activity); exit 1 when the server cannot be asked
    Activity {
        /// Server name
        name: String,
        /// The blocking tree instead: who blocks whom, and the lock each waits for
        #[arg(long)]
        tree: bool,
    },
    /// A server's databases now: size, sessions, commits, cache hit ratio, deadlocks, temp
    /// bytes, freeze age (pg_stat_database)
    Databases {
        /// Server name
        name: String,
    },
    /// Standbys with their lag, replication slots with the WAL each holds back, a standby's
    /// recovery, and findings past the thresholds; exit 1 when the server cannot be asked
    Replication {
        /// Server name
        name: String,
        /// Exit 1 when there is a finding (lag or an inactive slot past its threshold)
        #[arg(long)]
        fail_on_findings: bool,
    },
    /// The top statements of pg_stat_statements, as rates between pgmond's two newest
    /// snapshots of it (never reset); exit 1 when the extension is missing, with how to
    /// install it
    Statements {
        /// Server name
        name: String,
        /// Ranked by
        #[arg(long, default_value = "total_time", value_parser = ["total_time", "calls", "mean_time", "rows", "shared_blks_hit", "shared_blks_read"])]
        order: String,
        /// How many (1 to 1000)
        #[arg(long, default_value_t = 20, value_parser = clap::value_parser!(u16).range(1..=1000))]
        limit: u16,
    },
    /// Databases unused, static, fast-growing or near wraparound, from pgmon's history (the
    /// thresholds are in `settings show`)
    Analysis {
        /// Server name
        name: String,
        /// Exit 1 when a database is flagged (for cron and monitoring checks)
        #[arg(long)]
        fail_on_findings: bool,
    },
}

#[derive(Subcommand, Debug)]
pub enum SettingsCommand {
    /// Print the settings in force
    Show,
    /// Change some settings; the others stay (kept in settings.json in the config dir)
    Set {
        #[command(flatten)]
        update: Box<SettingsUpdate>,
    },
}

#[derive(Subcommand, Debug)]
pub enum CollectorCommand {
    /// Per server: last sample, its duration and error, rows stored, legacy import
    Status,
}

#[derive(Args, Debug)]
pub struct TopArgs {
    /// Open this server's sessions at once
    pub server: Option<String>,
    /// Seconds between refreshes
    #[arg(long, default_value_t = 2, value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub interval: u64,
    /// Print one snapshot (the fleet, and the server's sessions when one is named) and exit
    #[arg(long)]
    pub once: bool,
    /// Only sessions whose user, database, state or query contains this
    #[arg(long)]
    pub filter: Option<String>,
    /// Show idle sessions too
    #[arg(long)]
    pub idle: bool,
    /// Order of the sessions
    #[arg(long, default_value = "duration", value_parser = ["duration", "cpu", "user"])]
    pub sort: String,
}

/// A history window; ISO-8601 (`2026-10-31T00:00:00Z`); default the last 7 days.
#[derive(Args, Debug, Default)]
pub struct TimeRange {
    /// Start of the window: RFC 3339 (UTC without an offset), a date, today, yesterday, or a
    /// span back (90m, 1h, 7d, "10 minutes ago") [default: 24h, so a new server's samples show]
    #[arg(long, value_name = "T", value_parser = crate::when::parse)]
    pub from: Option<String>,
    /// End of the window (as --from) [default: now]
    #[arg(long, value_name = "T", value_parser = crate::when::parse)]
    pub to: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    /// clap's own consistency checks (unique flags and short options across subcommands).
    fn grammar_is_consistent() {
        command().debug_assert();
    }
}

#[cfg(test)]
mod urls {
    use super::parse_url;

    #[test]
    /// Daemon URLs are taken with or without a trailing slash; anything else is refused
    /// with the expected form named.
    fn daemon_urls() {
        for (given, kept) in [
            ("http://127.0.0.1:8000", "http://127.0.0.1:8000"),
            ("http://127.0.0.1:8000/", "http://127.0.0.1:8000"),
            ("https://monitor.example.com", "https://monitor.example.com"),
            ("http://[::1]:8000/", "http://[::1]:8000"),
        ] {
            assert_eq!(parse_url(given).as_deref(), Ok(kept));
        }
        for bad in [
            "localhost:8000",
            "127.0.0.1:8000",
            "http://",
            "http://host:0",
            "http://host:99999",
            "http://host:8000/api",
            "ftp://host",
            "http://user@host",
        ] {
            let e = parse_url(bad).unwrap_err();
            assert!(e.contains("expected http(s)://HOST:PORT"), "{bad}: {e}");
        }
    }
}

#[cfg(test)]
mod man_page {
    use std::collections::BTreeMap;

    /// Every page clap renders: `pgmonctl.1` and one per subcommand at every level
    /// (`pgmonctl-servers-add.1`), synopses as `pgmonctl servers add`.
    fn pages() -> BTreeMap<String, Vec<u8>> {
        fn walk(cmd: &clap::Command, out: &mut BTreeMap<String, Vec<u8>>) {
            for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
                walk(sub, out);
            }
            let man = clap_mangen::Man::new(cmd.clone())
                .source(format!("pgmonctl {}", env!("CARGO_PKG_VERSION")));
            let mut page = Vec::new();
            man.render(&mut page).unwrap();
            out.insert(man.get_filename(), page);
        }
        let mut cmd = super::command().disable_help_subcommand(true);
        cmd.build();
        let mut out = BTreeMap::new();
        walk(&cmd, &mut out);
        out
    }

    #[test]
    /// `packaging/man/pgmonctl*.1` are exactly the pages clap renders, and every page another
    /// one names exists. Regenerate with `PGMON_UPDATE_MAN=1 cargo test -p pgmonctl man_page`.
    fn shipped_man_pages_are_current() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../packaging/man");
        let pages = pages();
        let shipped: Vec<String> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.starts_with("pgmonctl") && n.ends_with(".1"))
            .collect();
        if std::env::var_os("PGMON_UPDATE_MAN").is_some() {
            for old in &shipped {
                std::fs::remove_file(dir.join(old)).unwrap();
            }
            for (file, page) in &pages {
                std::fs::write(dir.join(file), page).unwrap();
            }
        }
        for (file, page) in &pages {
            let on_disk = std::fs::read(dir.join(file)).unwrap_or_default();
            assert!(
                &on_disk == page,
                "{file} is stale: PGMON_UPDATE_MAN=1 cargo test -p pgmonctl man_page"
            );
            let text = String::from_utf8_lossy(page);
            for reference in text
                .split_whitespace()
                .filter_map(|w| w.strip_suffix("(1)"))
            {
                let name = reference
                    .replace("\\fB", "")
                    .replace("\\fR", "")
                    .replace('\\', "");
                let target = format!("{name}.1");
                assert!(
                    pages.contains_key(&target),
                    "{file} names {target}, which is not shipped"
                );
            }
        }
        let orphans: Vec<_> = shipped.iter().filter(|f| !pages.contains_key(*f)).collect();
        assert!(
            orphans.is_empty(),
            "shipped, but clap renders no such page: {orphans:?}"
        );
    }

    #[test]
    /// Every argument and flag of every command says what it is.
    fn every_argument_is_described() {
        fn walk(cmd: &clap::Command, path: &str) {
            for arg in cmd.get_arguments() {
                let id = arg.get_id().as_str();
                if id == "help" || id == "version" {
                    continue;
                }
                assert!(arg.get_help().is_some(), "{path}: {id} has no help text");
            }
            for sub in cmd.get_subcommands() {
                assert!(
                    sub.get_about().is_some(),
                    "{path} {} has no description",
                    sub.get_name()
                );
                walk(sub, &format!("{path} {}", sub.get_name()));
            }
        }
        let mut cmd = super::command().disable_help_subcommand(true);
        cmd.build();
        walk(&cmd, "pgmonctl");
    }
}
