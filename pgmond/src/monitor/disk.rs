//! The SSH side of a server's status: disk usage of its data directory (cached 30 s), and the
//! test-ssh check.

use std::sync::Arc;
use std::time::{Duration, Instant};

use pgmon_common::api::SshTest;
use pgmon_common::servers::{Server, SshAuthType};
use pgmon_common::ssh_keys::material;

use super::Monitor;
use crate::ssh::{self, Credentials, DiskUsage, SshError, SshTarget};

const SSH_CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
const TEST_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// Whether the entry has what an SSH login needs: a user, and a password or a key.
pub fn ssh_configured(server: &Server) -> bool {
    let has_user = server.ssh_user.as_deref().is_some_and(|u| !u.is_empty());
    has_user
        && match server.ssh_auth_type {
            SshAuthType::Password => pgmon_common::secret::is_set(&server.ssh_password),
            SshAuthType::Key => server.ssh_key_id.is_some(),
        }
}

/// What one disk reading stands for: the SSH endpoint and login, and a digest of the stored
/// credentials, so an entry with wrong credentials never shows another entry's reading.
pub fn ssh_login_key(server: &Server) -> String {
    fn stored(s: &Option<pgmon_common::secret::StoredSecret>) -> &str {
        s.as_ref().map(|s| s.stored_form()).unwrap_or_default()
    }
    let tag = super::digest(&[
        server.ssh_auth_type.as_str(),
        stored(&server.ssh_password),
        server.ssh_key_id.as_deref().unwrap_or_default(),
        stored(&server.ssh_key_passphrase),
    ]);
    format!(
        "{}:{}:{}#{tag:016x}",
        server.host,
        server.ssh_port,
        server.ssh_user.as_deref().unwrap_or_default()
    )
}

impl Monitor {
    /// Credentials for `server`, decrypted now (as key work: off the async threads, bounded)
    /// and dropped with the target after the call.
    async fn ssh_target(&self, server: &Server) -> Result<SshTarget, SshError> {
        let dir = Arc::clone(&self.dir);
        let entry = server.clone();
        let credentials = ssh::key_work::run(
            ssh::key_work::DECRYPT_LIMIT,
            move || -> Result<Credentials, SshError> {
                let cipher = dir
                    .cipher()
                    .map_err(|e| SshError::Credentials(e.to_string()))?;
                let what = format!("SSH secret of server {}", entry.name);
                let reveal = |s: &Option<pgmon_common::secret::StoredSecret>| {
                    s.as_ref()
                        .map(|s| s.reveal(cipher, &what))
                        .transpose()
                        .map_err(|e| SshError::Credentials(e.to_string()))
                };
                match entry.ssh_auth_type {
                    SshAuthType::Password => Ok(Credentials::Password(
                        reveal(&entry.ssh_password)?.unwrap_or_default().into(),
                    )),
                    SshAuthType::Key => {
                        let id = entry.ssh_key_id.as_deref().unwrap_or_default();
                        let pem = dir
                            .private_key_pem(id)
                            .map_err(|e| SshError::Credentials(e.to_string()))?;
                        let passphrase = zeroize::Zeroizing::new(
                            reveal(&entry.ssh_key_passphrase)?.unwrap_or_default(),
                        );
                        let key = material::parse(
                            &pem,
                            Some(passphrase.as_str()).filter(|p| !p.is_empty()),
                        )
                        .map_err(|e| SshError::Credentials(format!("SSH key {id}: {e}")))?;
                        Ok(Credentials::Key(Arc::new(key)))
                    }
                }
            },
        )
        .await??;
        Ok(SshTarget {
            host: server.host.clone(),
            port: server.ssh_port,
            user: server.ssh_user.clone().unwrap_or_default(),
            credentials,
            known_hosts: self.dir.root().join("known_hosts"),
            verify_host_key: server
                .extra
                .get("ssh_host_key_check")
                .and_then(|v| v.as_bool())
                != Some(false),
        })
    }

    /// Disk usage of the filesystem holding `data_dir`, or `None` when the server has no SSH
    /// login configured.
    pub async fn disk_usage(
        &self,
        server: &Server,
        data_dir: &str,
    ) -> Option<Result<DiskUsage, SshError>> {
        if !ssh_configured(server) {
            return None;
        }
        // Per data directory too: two clusters on one host are on different file systems.
        let key = format!("{}\0{data_dir}", ssh_login_key(server));
        if let Some(d) = self.cached_disk(&key) {
            return Some(Ok(d));
        }
        let read = async {
            let mount = ssh::mount_point(data_dir)?;
            let target = self.ssh_target(server).await?;
            let out = ssh::run(&target, &ssh::df_command(&mount), SSH_CONNECT_TIMEOUT).await?;
            if out.status != Some(0) {
                let why = out
                    .stderr
                    .lines()
                    .next()
                    .unwrap_or("exit status not 0")
                    .trim()
                    .to_owned();
                return Err(SshError::Df(why));
            }
            ssh::parse_df(&out.stdout)
        };
        let result = read.await;
        if let Ok(d) = &result {
            let mut cache = self.disk_cache.lock().unwrap_or_else(|p| p.into_inner());
            cache.insert(key, (Instant::now(), *d));
        }
        Some(result)
    }

    fn cached_disk(&self, key: &str) -> Option<DiskUsage> {
        let cache = self.disk_cache.lock().unwrap_or_else(|p| p.into_inner());
        cache
            .get(key)
            .filter(|(at, _)| at.elapsed() < self.ttls.ssh)
            .map(|(_, d)| *d)
    }

    /// Logs in and runs `echo`, with the longer test timeout.
    pub async fn test_ssh(&self, server: &Server) -> SshTest {
        let auth_type = server.ssh_auth_type.as_str().to_owned();
        if !ssh_configured(server) {
            return SshTest {
                success: false,
                message: "SSH is not configured for this server (user and password or key needed)"
                    .into(),
                auth_type,
            };
        }
        let outcome = async {
            let target = self.ssh_target(server).await?;
            ssh::run(&target, "echo pgmon-ssh-ok", TEST_CONNECT_TIMEOUT).await
        }
        .await;
        let (success, message) = match outcome {
            Ok(out) if out.status == Some(0) && out.stdout.trim() == "pgmon-ssh-ok" => {
                (true, "SSH connection successful".to_owned())
            }
            Ok(out) => (
                false,
                format!("SSH command failed: exit status {:?}", out.status),
            ),
            Err(e) => (false, format!("SSH connection failed: {e}")),
        };
        SshTest {
            success,
            message,
            auth_type,
        }
    }
}
