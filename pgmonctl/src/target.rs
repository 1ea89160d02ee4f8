//! Which pgmon to talk to (SPEC C), and the tokens `login` saves.
//!
//! Order: `--url`/`PGMON_URL` (HTTP), then `--socket`/`PGMON_SOCKET`, then an explicitly named
//! config dir (`--config-dir`/`PGMON_CONFIG_DIR`), then the default admin socket if a daemon
//! answers there, then the default config dir. An explicitly named config dir is honoured before
//! the default socket, so a command never silently works on another directory than the one named.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use pgmon_common::ConfigDir;
use pgmon_common::client::ApiClient;
use pgmon_common::config_dir::DEFAULT_CONFIG_DIR;
use pgmon_common::store::{create_private_dir, write_atomic};

use crate::backend::{Local, Remote};
use crate::cli::Cli;
use crate::error::CliError;

/// Where `pgmond` puts its admin socket by default.
pub const DEFAULT_SOCKET: &str = "/run/pgmon/pgmond.sock";

pub enum Target {
    Local(Box<Local>),
    Remote(Remote),
}

pub async fn choose(cli: &Cli) -> Result<Target, CliError> {
    if let Some(url) = &cli.url {
        let token = match std::env::var("PGMON_TOKEN") {
            Ok(t) if !t.is_empty() => Some(t),
            _ => TokenFile::locate().load()?.remove(url),
        };
        return Ok(Target::Remote(Remote(ApiClient::tcp(url, token)?)));
    }
    if let Some(socket) = &cli.socket {
        return Ok(Target::Remote(Remote(ApiClient::socket(socket)?)));
    }
    if let Some(dir) = &cli.config_dir {
        return Ok(Target::Local(Box::new(Local(ConfigDir::open(dir)?))));
    }
    let default_socket = Path::new(DEFAULT_SOCKET);
    if default_socket.exists() {
        let client = ApiClient::socket(default_socket)?;
        if client.ping().await {
            return Ok(Target::Remote(Remote(client)));
        }
    }
    Ok(Target::Local(Box::new(Local(ConfigDir::open(
        DEFAULT_CONFIG_DIR,
    )?))))
}

/// `$XDG_CONFIG_HOME/pgmonctl/tokens.json` (else `~/.config/...`): URL → token, file 0600.
pub struct TokenFile(PathBuf);

impl TokenFile {
    pub fn locate() -> TokenFile {
        let base = std::env::var_os("XDG_CONFIG_HOME")
            .map(PathBuf::from)
            .filter(|p| p.is_absolute())
            .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".config")))
            .unwrap_or_else(|| PathBuf::from("."));
        TokenFile(base.join("pgmonctl").join("tokens.json"))
    }

    pub fn load(&self) -> Result<BTreeMap<String, String>, CliError> {
        match std::fs::read(&self.0) {
            Ok(bytes) => serde_json::from_slice(&bytes).map_err(|e| {
                CliError::Failed(format!("{}: malformed content: {e}", self.0.display()))
            }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(BTreeMap::new()),
            Err(e) => Err(CliError::Failed(format!(
                "reading {}: {e}",
                self.0.display()
            ))),
        }
    }

    pub fn save(&self, tokens: &BTreeMap<String, String>) -> Result<(), CliError> {
        if let Some(dir) = self.0.parent() {
            create_private_dir(dir)?;
        }
        let text =
            serde_json::to_vec_pretty(tokens).map_err(|e| CliError::Failed(e.to_string()))?;
        Ok(write_atomic(&self.0, &text)?)
    }

    pub fn path(&self) -> &Path {
        &self.0
    }
}
