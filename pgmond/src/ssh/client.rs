//! One SSH session per call: connect, check the host key, authenticate, run one command.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use russh::client::{self, Handle, Handler};
use russh::keys::{PrivateKey, PrivateKeyWithHashAlg, PublicKey, PublicKeyOrCertificate};
use russh::{ChannelMsg, Disconnect};
use zeroize::Zeroizing;

use super::SshError;

/// How long a command may run once connected.
const COMMAND_TIMEOUT: Duration = Duration::from_secs(10);

pub enum Credentials {
    Password(Zeroizing<String>),
    /// A decrypted key, alive only for this call.
    Key(Arc<PrivateKey>),
}

pub struct SshTarget {
    pub host: String,
    pub port: u16,
    pub user: String,
    pub credentials: Credentials,
    /// `known_hosts` in the config dir.
    pub known_hosts: PathBuf,
    /// Off only where the server entry says `"ssh_host_key_check": false`.
    pub verify_host_key: bool,
}

/// What a command printed, and how it exited.
pub struct Output {
    pub status: Option<u32>,
    pub stdout: String,
    pub stderr: String,
}

/// Runs `command` on the target. `connect_timeout` bounds connecting, key exchange and
/// authentication together.
pub async fn run(
    target: &SshTarget,
    command: &str,
    connect_timeout: Duration,
) -> Result<Output, SshError> {
    let changed = Arc::new(AtomicBool::new(false));
    let handler = HostKeyCheck {
        host: target.host.clone(),
        port: target.port,
        known_hosts: target.known_hosts.clone(),
        verify: target.verify_host_key,
        changed: Arc::clone(&changed),
    };
    let session = tokio::time::timeout(connect_timeout, open(target, handler))
        .await
        .map_err(|_| SshError::Timeout)?
        .map_err(|e| classify(e, changed.load(Ordering::SeqCst)))?;
    let output = tokio::time::timeout(COMMAND_TIMEOUT, exec(&session, command))
        .await
        .map_err(|_| SshError::Timeout)?
        .map_err(|e| SshError::Protocol(e.to_string()));
    let _ = session
        .disconnect(Disconnect::ByApplication, "", "en")
        .await;
    output
}

enum OpenError {
    Ssh(russh::Error),
    Auth,
}

impl From<russh::Error> for OpenError {
    fn from(e: russh::Error) -> OpenError {
        OpenError::Ssh(e)
    }
}

async fn open(
    target: &SshTarget,
    handler: HostKeyCheck,
) -> Result<Handle<HostKeyCheck>, OpenError> {
    let config = Arc::new(client::Config {
        inactivity_timeout: Some(Duration::from_secs(30)),
        ..Default::default()
    });
    let host = target.host.trim_start_matches('[').trim_end_matches(']');
    let mut session = client::connect(config, (host, target.port), handler).await?;
    let result = match &target.credentials {
        Credentials::Password(p) => {
            session
                .authenticate_password(&target.user, p.as_str())
                .await?
        }
        Credentials::Key(key) => {
            // OpenSSH 9 refuses SHA-1 RSA signatures: use the best hash the server offers.
            let hash = session.best_supported_rsa_hash().await?.flatten();
            let key = PrivateKeyWithHashAlg::new(Arc::clone(key), hash);
            session.authenticate_publickey(&target.user, key).await?
        }
    };
    if result.success() {
        Ok(session)
    } else {
        Err(OpenError::Auth)
    }
}

fn classify(e: OpenError, host_key_changed: bool) -> SshError {
    match e {
        OpenError::Auth => SshError::AuthFailed,
        _ if host_key_changed => SshError::HostKeyChanged,
        OpenError::Ssh(russh::Error::IO(_)) | OpenError::Ssh(russh::Error::Disconnect) => {
            SshError::Unreachable
        }
        OpenError::Ssh(russh::Error::ConnectionTimeout) => SshError::Timeout,
        OpenError::Ssh(other) => SshError::Protocol(other.to_string()),
    }
}

/// Output kept of a command, per stream: `df` of one mount point prints a few hundred bytes;
/// a host that sends more is not believed past this.
const MAX_OUTPUT: usize = 64 << 10;

/// Appends what fits under [`MAX_OUTPUT`].
fn keep(buf: &mut Vec<u8>, data: &[u8]) {
    let room = MAX_OUTPUT.saturating_sub(buf.len());
    buf.extend_from_slice(&data[..data.len().min(room)]);
}

async fn exec(session: &Handle<HostKeyCheck>, command: &str) -> Result<Output, russh::Error> {
    let mut channel = session.channel_open_session().await?;
    channel.exec(true, command).await?;
    let (mut stdout, mut stderr, mut status) = (Vec::new(), Vec::new(), None);
    while let Some(msg) = channel.wait().await {
        match msg {
            ChannelMsg::Data { data } => keep(&mut stdout, &data),
            ChannelMsg::ExtendedData { data, .. } => keep(&mut stderr, &data),
            ChannelMsg::ExitStatus { exit_status } => status = Some(exit_status),
            _ => {}
        }
    }
    Ok(Output {
        status,
        stdout: String::from_utf8_lossy(&stdout).into_owned(),
        stderr: String::from_utf8_lossy(&stderr).into_owned(),
    })
}

/// Trust on first use: a host's key is recorded the first time, and any other key for the same
/// `host:port` later is refused.
struct HostKeyCheck {
    host: String,
    port: u16,
    known_hosts: PathBuf,
    verify: bool,
    changed: Arc<AtomicBool>,
}

impl Handler for HostKeyCheck {
    type Error = russh::Error;

    async fn check_server_key(
        &mut self,
        server_key: &PublicKeyOrCertificate,
    ) -> Result<bool, Self::Error> {
        if !self.verify {
            return Ok(true);
        }
        let PublicKeyOrCertificate::PublicKey { key, .. } = server_key else {
            // Host certificates would need a CA to trust; none is configured.
            return Ok(false);
        };
        let (path, entry, key) = (
            self.known_hosts.clone(),
            host_entry(&self.host, self.port),
            key.clone(),
        );
        let trusted = tokio::task::spawn_blocking(move || trust_on_first_use(&path, &entry, &key))
            .await
            .map_err(|e| russh::Error::IO(std::io::Error::other(e)))??;
        if !trusted {
            tracing::warn!(host = %self.host, port = self.port, "SSH host key changed: refusing the connection");
            self.changed.store(true, Ordering::SeqCst);
        }
        Ok(trusted)
    }
}

/// `host` for port 22, `[host]:port` otherwise, as OpenSSH writes them.
fn host_entry(host: &str, port: u16) -> String {
    if port == 22 {
        host.to_owned()
    } else {
        format!("[{host}]:{port}")
    }
}

/// Whether `key` may be trusted for `entry`: yes if recorded, yes (and recorded) if the host
/// is new, no if another key is recorded for it.
fn trust_on_first_use(path: &Path, entry: &str, key: &PublicKey) -> Result<bool, russh::Error> {
    let wanted = key_text(key)?;
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(e) => return Err(russh::Error::IO(e)),
    };
    let mut known_other = false;
    for line in text.lines() {
        let mut parts = line.split_whitespace();
        let (Some(hosts), Some(kind), Some(blob)) = (parts.next(), parts.next(), parts.next())
        else {
            continue;
        };
        if hosts.split(',').any(|h| h == entry) {
            if format!("{kind} {blob}") == wanted {
                return Ok(true);
            }
            known_other = true;
        }
    }
    if known_other {
        return Ok(false);
    }
    use std::os::unix::fs::OpenOptionsExt;
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .custom_flags(nix::libc::O_NOFOLLOW)
        .open(path)?;
    std::fs::set_permissions(path, std::os::unix::fs::PermissionsExt::from_mode(0o600))?;
    writeln!(file, "{entry} {wanted}")?;
    file.sync_all()?;
    Ok(true)
}

/// `<type> <base64>` without the comment.
fn key_text(key: &PublicKey) -> Result<String, russh::Error> {
    let mut bare = key.clone();
    bare.set_comment("");
    Ok(bare
        .to_openssh()
        .map_err(russh::keys::Error::from)?
        .trim()
        .to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    /// A host that sends without end is believed for 64 KiB a stream.
    fn output_is_capped() {
        let mut out = Vec::new();
        for _ in 0..100 {
            keep(&mut out, &[b'x'; 4096]);
        }
        assert_eq!(out.len(), MAX_OUTPUT);
    }

    fn key(n: u8) -> PublicKey {
        let line = match n {
            1 => {
                "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIK6vkyJsYSYVVMjYFMhgt9w377I//LWP6dtrQCDyqVVq a"
            }
            _ => {
                "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIPlHU7meY/hYySiIJMHJSniN36w5FZ46YcC/H40ZJIRM b"
            }
        };
        PublicKey::from_openssh(line).unwrap()
    }

    #[test]
    /// First contact records the key; the same key is trusted again, another one is not, and
    /// other hosts and ports are separate.
    fn trust_on_first_use_pins_keys() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("known_hosts");
        let h = host_entry("db1", 2222);
        assert_eq!(h, "[db1]:2222");
        assert!(trust_on_first_use(&path, &h, &key(1)).unwrap());
        assert!(trust_on_first_use(&path, &h, &key(1)).unwrap());
        assert!(!trust_on_first_use(&path, &h, &key(2)).unwrap());
        assert!(trust_on_first_use(&path, &host_entry("db1", 22), &key(2)).unwrap());
        let text = std::fs::read_to_string(&path).unwrap();
        assert_eq!(text.lines().count(), 2, "{text}");
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(
            std::fs::metadata(&path).unwrap().permissions().mode() & 0o777,
            0o600
        );
    }
}
