//! SSH to the database hosts: one fixed command at a time (`df` for disk usage, `echo` for
//! test-ssh), password or stored-key auth, host keys trusted on first use and pinned after.

mod client;
mod disk;
pub mod key_work;

pub use client::{Credentials, SshTarget, run};
pub use disk::{DiskUsage, df_command, mount_point, parse_df};

/// Why an SSH call failed, as the SPEC A6 status strings name it.
#[derive(Debug, thiserror::Error)]
pub enum SshError {
    #[error("unreachable")]
    Unreachable,
    #[error("timeout")]
    Timeout,
    #[error("authentication failed")]
    AuthFailed,
    #[error("host key changed")]
    HostKeyChanged,
    #[error("invalid mount point")]
    InvalidMountPoint,
    #[error("df error: {0}")]
    Df(String),
    #[error("invalid df output")]
    InvalidDfOutput,
    /// No usable credentials, or the stored key cannot be read (never its content).
    #[error("{0}")]
    Credentials(String),
    #[error("ssh error: {0}")]
    Protocol(String),
    #[error("{0}")]
    KeyWork(#[from] key_work::KeyWorkError),
}
