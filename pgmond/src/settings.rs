//! Settings of `pgmond`: flags and environment, then the optional `pgmond.toml` in the config
//! dir for what changes rarely.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use clap::Parser;
use pgmon_common::api::settings::Settings;
use pgmon_common::config_dir::DEFAULT_CONFIG_DIR;
use serde::Deserialize;

/// Where the admin socket goes unless told otherwise (systemd's `RuntimeDirectory=pgmon`).
pub const DEFAULT_ADMIN_SOCKET: &str = "/run/pgmon/pgmond.sock";

#[derive(Parser, Debug, Clone)]
#[command(
    name = "pgmond",
    version,
    about = "pgmon daemon: PostgreSQL activity monitor and REST API"
)]
pub struct Flags {
    /// Config directory (created with a key, a secret and an admin user if missing)
    #[arg(long, env = "PGMON_CONFIG_DIR", default_value = DEFAULT_CONFIG_DIR)]
    pub config_dir: PathBuf,

    /// Address the HTTP API listens on
    #[arg(long, env = "PGMON_LISTEN", default_value = "127.0.0.1:8000")]
    pub listen: SocketAddr,

    /// Admin Unix socket (callers on it act as admin); default `admin_socket` of pgmond.toml,
    /// else /run/pgmon/pgmond.sock
    #[arg(long, env = "PGMON_ADMIN_SOCKET")]
    pub admin_socket: Option<PathBuf>,

    /// Log filter, e.g. `info` or `pgmond=debug`
    #[arg(long, env = "LOG_LEVEL", default_value = "info")]
    pub log_level: String,
}

/// `pgmond.toml`. Unknown keys are refused, so a typo does not silently do nothing.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct FileSettings {
    /// Origins the browser front end may call from (CORS); none by default.
    pub allowed_origins: Vec<String>,
    /// Lifetime of issued tokens, in minutes (`TOKEN_EXPIRATION`).
    pub token_expiration_minutes: u64,
    /// Lifetime of refresh tokens, in minutes: how long a login lasts without a password.
    pub refresh_token_expiration_minutes: u64,
    /// HTTPS on the TCP listener: certificate chain and private key (PEM; relative paths are
    /// read from the config dir; the key 0600). Both or neither.
    pub tls_cert: Option<PathBuf>,
    pub tls_key: Option<PathBuf>,
    /// Folders (absolute paths) whose files servers' `sslrootcert`, `sslcert` and `sslkey` may
    /// name, beside the config dir's own `.crt`, `.pem`, `.cer` and `.key` files.
    pub tls_dirs: Vec<PathBuf>,
    /// Name servers to ask instead of resolv.conf's (`host:port`), e.g. a split-horizon DNS
    /// for the monitored hosts.
    pub dns_servers: Vec<SocketAddr>,
    /// `audit.log` is renamed and a new one started past this size.
    pub audit_max_bytes: u64,
    /// Renamed audit logs are deleted after this many days.
    pub audit_retention_days: u64,
    /// Renamed audit logs kept at most (the oldest go first).
    pub audit_max_files: usize,
    pub admin_socket: Option<PathBuf>,
    /// Largest request body accepted, in bytes.
    pub max_body_bytes: usize,
    /// How long an ok server status is reused (`SERVER_STATUS_CACHE_TTL`); 0 turns caching off.
    pub status_cache_ttl_seconds: u64,
    /// How long a disk-usage reading over SSH is reused (`SSH_CACHE_TTL`).
    pub ssh_cache_ttl_seconds: u64,
    /// How long a client has to send a request's headers; also how long an idle keep-alive
    /// connection stays open.
    pub header_timeout_seconds: u64,
    /// Open TCP connections at most; lowered at start to fit the descriptor limit.
    pub max_connections: usize,
    /// How long shutdown waits for requests in flight.
    pub drain_seconds: u64,
    /// Monitored servers at most; adding one more is refused.
    pub max_servers: usize,
    /// Shortest new password accepted (existing ones keep working).
    pub min_password_length: usize,
    /// Failed logins per minute for one login before it is blocked.
    pub login_failures_per_minute: usize,
    /// Failed logins per minute from one address before it is blocked.
    pub source_failures_per_minute: usize,
    /// The longest block of a login or address (blocks double from a minute).
    pub login_block_max_seconds: u64,
    /// Password checks at once (bcrypt takes a core for a quarter second).
    pub concurrent_password_checks: usize,
    /// Seconds between samples of a server by the collector (any value here; the API keeps
    /// to 10 and more).
    pub collect_interval_seconds: u64,
    /// Seconds between readings of database sizes.
    pub size_interval_seconds: u64,
    /// Servers the collector samples at once.
    pub collect_concurrency: usize,
    /// Days samples are kept as taken; older ones are kept as hourly rollups.
    pub raw_retention_days: u64,
    /// Import legacy `stats_db` history into the store (else servers naming a stats database
    /// are answered from it live).
    pub legacy_import: bool,
    /// A bearer token that may read `/metrics` only (what Prometheus' `authorization` block
    /// sends); at least 32 characters.
    pub metrics_token: Option<String>,
    /// A second listener serving only `/metrics`, without authentication; a loopback or
    /// private address only.
    pub metrics_listen: Option<SocketAddr>,
    /// The web console under `/ui/`; `false` answers 404 there.
    pub ui: bool,
    /// A PostgreSQL connection string: config, sessions, audit and samples kept there, shared
    /// by every pgmond given the same (SPEC B7); `PGMON_STORE` when not set here. None: the
    /// config dir and its embedded history store, as on one machine.
    pub store: Option<String>,
    /// A root certificate (PEM, where `tls_dirs` allow) the shared store's certificate and host
    /// name are checked against; without it, TLS to the store (the URL's `sslmode`, `prefer`
    /// unless given) is not checked, as libpq's `prefer` and `require` are not.
    pub store_sslrootcert: Option<String>,
}

impl Default for FileSettings {
    fn default() -> FileSettings {
        FileSettings {
            allowed_origins: Vec::new(),
            token_expiration_minutes: 60,
            refresh_token_expiration_minutes: 7 * 24 * 60,
            tls_cert: None,
            tls_key: None,
            tls_dirs: Vec::new(),
            dns_servers: Vec::new(),
            audit_max_bytes: 10 << 20,
            audit_retention_days: 90,
            audit_max_files: 20,
            admin_socket: None,
            max_body_bytes: 1024 * 1024,
            status_cache_ttl_seconds: 5,
            ssh_cache_ttl_seconds: 30,
            header_timeout_seconds: 10,
            max_connections: 4096,
            drain_seconds: 10,
            max_servers: pgmon_common::servers::DEFAULT_MAX_SERVERS,
            min_password_length: pgmon_common::users::DEFAULT_MIN_PASSWORD_LENGTH,
            login_failures_per_minute: 5,
            source_failures_per_minute: 20,
            login_block_max_seconds: 900,
            // One core is left to the rest of the API.
            concurrent_password_checks: std::thread::available_parallelism()
                .map_or(1, |n| n.get().saturating_sub(1).max(1)),
            collect_interval_seconds: Settings::DEFAULT.collect_interval,
            size_interval_seconds: Settings::DEFAULT.size_interval,
            collect_concurrency: 16,
            raw_retention_days: Settings::DEFAULT.raw_retention_days,
            legacy_import: true,
            metrics_token: None,
            metrics_listen: None,
            ui: true,
            store: None,
            store_sslrootcert: None,
        }
    }
}

pub const SETTINGS_FILE: &str = "pgmond.toml";

impl FileSettings {
    /// Reads `pgmond.toml` from the config dir; a missing file means defaults.
    pub fn load(config_dir: &Path) -> anyhow::Result<FileSettings> {
        let path = config_dir.join(SETTINGS_FILE);
        let mut s: FileSettings = match std::fs::read_to_string(&path) {
            Ok(text) => toml::from_str(&text)
                .map_err(|e| anyhow::anyhow!("{}: {}", path.display(), e.message()))?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => FileSettings::default(),
            Err(e) => anyhow::bail!("reading {}: {e}", path.display()),
        };
        s.check()
            .map_err(|why| anyhow::anyhow!("{}: {why}", path.display()))?;
        if s.store.is_none() {
            s.store = std::env::var(crate::store::STORE_ENV)
                .ok()
                .filter(|v| !v.is_empty());
        }
        Ok(s)
    }

    /// What the types do not say: the metrics token is long enough to resist guessing, and
    /// the open metrics listener stays off public addresses.
    fn check(&self) -> Result<(), String> {
        if self.metrics_token.as_ref().is_some_and(|t| t.len() < 32) {
            return Err("metrics_token must be at least 32 characters".into());
        }
        if self.tls_cert.is_some() != self.tls_key.is_some() {
            return Err("tls_cert and tls_key go together: give both or neither".into());
        }
        // Durations are multiplied and added to instants: each is bounded here, when read.
        let bounds: [(&str, u64, u64, u64); 11] = [
            (
                "token_expiration_minutes",
                self.token_expiration_minutes,
                1,
                525_600,
            ),
            (
                "refresh_token_expiration_minutes",
                self.refresh_token_expiration_minutes,
                1,
                5_256_000,
            ),
            ("audit_retention_days", self.audit_retention_days, 1, 36_500),
            ("raw_retention_days", self.raw_retention_days, 1, 3_650),
            (
                "collect_interval_seconds",
                self.collect_interval_seconds,
                1,
                86_400,
            ),
            (
                "size_interval_seconds",
                self.size_interval_seconds,
                1,
                604_800,
            ),
            (
                "status_cache_ttl_seconds",
                self.status_cache_ttl_seconds,
                0,
                86_400,
            ),
            (
                "ssh_cache_ttl_seconds",
                self.ssh_cache_ttl_seconds,
                0,
                86_400,
            ),
            (
                "header_timeout_seconds",
                self.header_timeout_seconds,
                1,
                3_600,
            ),
            ("drain_seconds", self.drain_seconds, 0, 3_600),
            (
                "login_block_max_seconds",
                self.login_block_max_seconds,
                1,
                30 * 86_400,
            ),
        ];
        if let Some((name, value, min, max)) =
            bounds.iter().find(|(_, v, min, max)| v < min || v > max)
        {
            return Err(format!("{name} = {value} is out of range: {min} to {max}"));
        }
        if let Some(d) = self.tls_dirs.iter().find(|d| !d.is_absolute()) {
            return Err(format!("tls_dirs: {} is not an absolute path", d.display()));
        }
        if let Some(addr) = self.metrics_listen {
            let private = match addr.ip() {
                std::net::IpAddr::V4(ip) => {
                    ip.is_loopback() || ip.is_private() || ip.is_link_local()
                }
                std::net::IpAddr::V6(ip) => {
                    ip.is_loopback() || ip.is_unique_local() || ip.is_unicast_link_local()
                }
            };
            if !private {
                return Err(format!(
                    "metrics_listen {addr} serves /metrics without authentication: only a \
                     loopback or private address is allowed (use metrics_token on a public one)"
                ));
            }
        }
        Ok(())
    }

    pub fn token_lifetime(&self) -> Duration {
        Duration::from_secs(self.token_expiration_minutes * 60)
    }

    /// The HTTPS certificate and key, resolved against the config dir, if HTTPS is on.
    pub fn tls_files(&self, config_dir: &Path) -> Option<(PathBuf, PathBuf)> {
        Some((
            config_dir.join(self.tls_cert.as_ref()?),
            config_dir.join(self.tls_key.as_ref()?),
        ))
    }

    /// Where servers' TLS files may be read from; pgmond's HTTPS key is never one of them.
    pub fn tls_files_rule(&self, config_dir: &Path) -> crate::monitor::tls_files::TlsFiles {
        let https_key = self.tls_files(config_dir).map(|(_, key)| key);
        crate::monitor::tls_files::TlsFiles::new(config_dir, &self.tls_dirs, https_key)
    }

    pub fn refresh_lifetime(&self) -> Duration {
        Duration::from_secs(self.refresh_token_expiration_minutes * 60)
    }

    pub fn serve_limits(&self) -> crate::listen::ServeLimits {
        crate::listen::ServeLimits {
            header_timeout: Duration::from_secs(self.header_timeout_seconds.max(1)),
            max_connections: self.max_connections.max(1),
            drain: Duration::from_secs(self.drain_seconds),
        }
    }

    pub fn throttle_limits(&self) -> crate::auth::throttle::ThrottleLimits {
        crate::auth::throttle::ThrottleLimits {
            per_login: self.login_failures_per_minute,
            per_source: self.source_failures_per_minute,
            max_block: Duration::from_secs(self.login_block_max_seconds),
            concurrent_checks: self.concurrent_password_checks,
        }
    }

    pub fn schedule(&self) -> crate::collector::Schedule {
        crate::collector::Schedule {
            defaults: Settings {
                collect_interval: self.collect_interval_seconds.max(1),
                size_interval: self.size_interval_seconds.max(1),
                raw_retention_days: self.raw_retention_days.max(1),
                ..Settings::DEFAULT
            },
            concurrency: self.collect_concurrency.max(1),
            legacy_import: self.legacy_import,
        }
    }

    pub fn cache_ttls(&self) -> crate::monitor::CacheTtls {
        crate::monitor::CacheTtls {
            status: Duration::from_secs(self.status_cache_ttl_seconds),
            ssh: Duration::from_secs(self.ssh_cache_ttl_seconds),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    /// Defaults without a file; values from it; unknown keys refused with the file named.
    fn file_settings() {
        let dir = tempfile::tempdir().unwrap();
        let s = FileSettings::load(dir.path()).unwrap();
        assert_eq!(s.token_lifetime(), Duration::from_secs(3600));
        std::fs::write(
            dir.path().join(SETTINGS_FILE),
            "allowed_origins = [\"http://ui.example\"]\ntoken_expiration_minutes = 5\n",
        )
        .unwrap();
        let s = FileSettings::load(dir.path()).unwrap();
        assert_eq!(s.allowed_origins, ["http://ui.example"]);
        assert_eq!(s.token_lifetime(), Duration::from_secs(300));
        for (bad, says) in [
            ("metrics_token = \"short\"\n", "at least 32"),
            ("metrics_listen = \"0.0.0.0:9187\"\n", "loopback or private"),
            ("metrics_listen = \"8.8.8.8:9187\"\n", "loopback or private"),
        ] {
            std::fs::write(dir.path().join(SETTINGS_FILE), bad).unwrap();
            let e = FileSettings::load(dir.path()).unwrap_err().to_string();
            assert!(e.contains(says), "{bad}: {e}");
        }
        std::fs::write(
            dir.path().join(SETTINGS_FILE),
            "metrics_listen = \"10.1.2.3:9187\"\n",
        )
        .unwrap();
        assert!(FileSettings::load(dir.path()).is_ok());
        std::fs::write(dir.path().join(SETTINGS_FILE), "alowed_origins = []\n").unwrap();
        let e = FileSettings::load(dir.path()).unwrap_err().to_string();
        assert!(
            e.contains("pgmond.toml") && e.contains("alowed_origins"),
            "{e}"
        );
    }
}

#[cfg(test)]
mod man_page {
    use clap::CommandFactory;

    use super::Flags;

    /// What pgmond reads besides its flags, and the files it keeps: sections of `pgmond(8)`.
    const ENVIRONMENT_AND_FILES: &str = r#".SH ENVIRONMENT
.TP
\fBSECRET_KEY\fR
JWT signing secret (at least 32 bytes); without it, the \fIsecret_key\fR file of the config dir
.TP
\fBPGMON_ADMIN_PASSWORD\fR
Password of the \fIadmin\fR user created on first start; without it, a random one is printed once
.TP
\fBPGMON_CONFIG_DIR\fR, \fBPGMON_LISTEN\fR, \fBPGMON_ADMIN_SOCKET\fR, \fBLOG_LEVEL\fR
The flags above
.SH FILES
.TP
\fI/etc/pg_activity_monitor/\fR
Config dir (0700): \fIusers.json\fR, \fIservers.json\fR, \fIencryption_key.key\fR, \fIsecret_key\fR,
\fIknown_hosts\fR, \fIssh_keys/\fR, \fIbackups/\fR, \fIhistory.db\fR (the history store) (files 0600)
.TP
\fI/etc/pg_activity_monitor/pgmond.toml\fR
Optional settings: allowed_origins, token_expiration_minutes, admin_socket, max_body_bytes,
status_cache_ttl_seconds, ssh_cache_ttl_seconds, header_timeout_seconds, max_connections,
drain_seconds, max_servers, min_password_length, login_failures_per_minute,
source_failures_per_minute, login_block_max_seconds, concurrent_password_checks,
collect_interval_seconds, size_interval_seconds, collect_concurrency, raw_retention_days,
legacy_import, metrics_token, metrics_listen, ui (the web console under /ui/)
.TP
\fI/run/pgmon/pgmond.sock\fR
Admin socket (0660): callers act as admin
.SH SEE ALSO
\fBpgmonctl\fR(1)
"#;

    /// The page: clap's sections for the flags (with their environment variables), then the
    /// environment and files the flags do not show.
    fn render() -> Vec<u8> {
        let man = clap_mangen::Man::new(Flags::command()).section("8");
        let mut page = Vec::new();
        man.render_title(&mut page).unwrap();
        man.render_name_section(&mut page).unwrap();
        man.render_synopsis_section(&mut page).unwrap();
        man.render_description_section(&mut page).unwrap();
        man.render_options_section(&mut page).unwrap();
        page.extend_from_slice(ENVIRONMENT_AND_FILES.as_bytes());
        man.render_version_section(&mut page).unwrap();
        page
    }

    #[test]
    /// `packaging/man/pgmond.8` is the page rendered from these flags and the sections above.
    /// Regenerate with `PGMON_UPDATE_MAN=1 cargo test -p pgmond man_page`.
    fn shipped_man_page_is_current() {
        let page = render();
        let path =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../packaging/man/pgmond.8");
        if std::env::var_os("PGMON_UPDATE_MAN").is_some() {
            std::fs::write(&path, &page).unwrap();
        }
        let shipped = std::fs::read(&path).unwrap_or_default();
        assert!(
            shipped == page,
            "{} is stale: PGMON_UPDATE_MAN=1 cargo test -p pgmond man_page",
            path.display()
        );
        let text = String::from_utf8_lossy(&page);
        for name in [
            "PGMON_CONFIG_DIR",
            "PGMON_LISTEN",
            "PGMON_ADMIN_SOCKET",
            "LOG_LEVEL",
            "SECRET_KEY",
        ] {
            assert!(text.contains(name), "pgmond.8 does not name {name}");
        }
    }
}
