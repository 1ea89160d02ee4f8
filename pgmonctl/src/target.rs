//! Which pgmon to talk to (SPEC C), and what `login` saves.
//!
//! Order: `--url`/`PGMON_URL` (HTTP), then `--socket`/`PGMON_SOCKET`, then an explicitly named
//! config dir (`--config-dir`/`PGMON_CONFIG_DIR`), then the daemon of the last `login`, then the
//! default admin socket if a daemon answers there, then the default config dir. An explicitly
//! named config dir is honoured before anything remembered, so a command never silently works
//! on another directory than the one named. When nothing is found, the error lists the ways to
//! name one.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use pgmon_common::ConfigDir;
use pgmon_common::client::ApiClient;
use pgmon_common::config_dir::DEFAULT_CONFIG_DIR;
use pgmon_common::store::{create_private_dir, write_atomic};
use serde::{Deserialize, Serialize};

use crate::backend::{Local, Remote};
use crate::cli::Cli;
use crate::error::CliError;

/// Where `pgmond` puts its admin socket by default.
pub const DEFAULT_SOCKET: &str = "/run/pgmon/pgmond.sock";

pub enum Target {
    Local(Box<Local>),
    Remote(Remote),
}

/// A daemon over HTTP, with the token from `PGMON_TOKEN` or the one saved for `url`.
fn remote(cli: &Cli, url: &str, saved: &mut Saved) -> Result<Target, CliError> {
    let token = match std::env::var("PGMON_TOKEN") {
        Ok(t) if !t.is_empty() => Some(t),
        _ => saved.tokens.remove(url),
    };
    Ok(Target::Remote(Remote(ApiClient::tcp(
        url,
        token,
        cli.cacert.as_deref(),
    )?)))
}

pub async fn choose(cli: &Cli) -> Result<Target, CliError> {
    if let Some(url) = &cli.url {
        return remote(cli, url, &mut SavedFile::locate().load()?);
    }
    if let Some(socket) = &cli.socket {
        return Ok(Target::Remote(Remote(ApiClient::socket(socket)?)));
    }
    if let Some(dir) = &cli.config_dir {
        return Ok(Target::Local(Box::new(Local(ConfigDir::open(dir)?))));
    }
    let mut saved = SavedFile::locate().load()?;
    if let Some(url) = saved.daemon.clone() {
        return remote(cli, &url, &mut saved);
    }
    let default_socket = Path::new(DEFAULT_SOCKET);
    if default_socket.exists() {
        let client = ApiClient::socket(default_socket)?;
        if client.ping().await {
            return Ok(Target::Remote(Remote(client)));
        }
    }
    match ConfigDir::open(DEFAULT_CONFIG_DIR) {
        Ok(dir) => Ok(Target::Local(Box::new(Local(dir)))),
        Err(e) => Err(CliError::Usage(format!(
            "no pgmon to talk to ({e}); name one: `pgmonctl login --url http://HOST:PORT` \
             (remembered for later commands), --url or PGMON_URL, --socket or PGMON_SOCKET, \
             or --config-dir or PGMON_CONFIG_DIR"
        ))),
    }
}

/// What `login` keeps: the daemon logged in to last (used when no target is named) and a
/// token per daemon URL.
#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Saved {
    #[serde(default)]
    pub daemon: Option<String>,
    #[serde(default)]
    pub tokens: BTreeMap<String, String>,
}

/// The file as earlier versions wrote it (URL -> token) is still read.
#[derive(Deserialize)]
#[serde(untagged)]
enum OnDisk {
    Current(Saved),
    Tokens(BTreeMap<String, String>),
}

/// `$XDG_CONFIG_HOME/pgmonctl/tokens.json` (else `~/.config/...`), file 0600, per user.
pub struct SavedFile(PathBuf);

impl SavedFile {
    pub fn locate() -> SavedFile {
        let base = std::env::var_os("XDG_CONFIG_HOME")
            .map(PathBuf::from)
            .filter(|p| p.is_absolute())
            .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".config")))
            .unwrap_or_else(|| PathBuf::from("."));
        SavedFile(base.join("pgmonctl").join("tokens.json"))
    }

    pub fn load(&self) -> Result<Saved, CliError> {
        match std::fs::read(&self.0) {
            Ok(bytes) => match serde_json::from_slice(&bytes) {
                Ok(OnDisk::Current(saved)) => Ok(saved),
                Ok(OnDisk::Tokens(tokens)) => Ok(Saved {
                    daemon: None,
                    tokens,
                }),
                Err(e) => Err(CliError::Failed(format!(
                    "{}: malformed content: {e}",
                    self.0.display()
                ))),
            },
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Saved::default()),
            Err(e) => Err(CliError::Failed(format!(
                "reading {}: {e}",
                self.0.display()
            ))),
        }
    }

    pub fn save(&self, saved: &Saved) -> Result<(), CliError> {
        if let Some(dir) = self.0.parent() {
            create_private_dir(dir)?;
        }
        let text = serde_json::to_vec_pretty(saved).map_err(|e| CliError::Failed(e.to_string()))?;
        Ok(write_atomic(&self.0, &text)?)
    }

    pub fn path(&self) -> &Path {
        &self.0
    }
}
