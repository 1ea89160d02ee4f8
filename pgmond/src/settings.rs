//! Flags and environment of `pgmond`.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::Parser;
use pgmon_common::config_dir::DEFAULT_CONFIG_DIR;

#[derive(Parser, Debug, Clone)]
#[command(
    name = "pgmond",
    version,
    about = "pgmon daemon: PostgreSQL activity monitor and REST API"
)]
pub struct Settings {
    /// Config directory (created with a key, a secret and an admin user if missing)
    #[arg(long, env = "PGMON_CONFIG_DIR", default_value = DEFAULT_CONFIG_DIR)]
    pub config_dir: PathBuf,

    /// Address the HTTP API listens on
    #[arg(long, env = "PGMON_LISTEN", default_value = "127.0.0.1:8000")]
    pub listen: SocketAddr,

    /// Log filter, e.g. `info` or `pgmond=debug`
    #[arg(long, env = "LOG_LEVEL", default_value = "info")]
    pub log_level: String,
}
