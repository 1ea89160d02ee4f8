//! Several `pgmond` replicas on one shared store (SPEC B7), each on a fixed loopback port so it
//! can be killed and started again where the load balancer expects it, and Debian's HAProxy in
//! front of them.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use tempfile::TempDir;

use crate::daemon::{Daemon, add_settings};
use crate::fixtures::{copy_tree, fixtures_dir};
use crate::net::{free_port, is_listening, wait_until};

/// The JWT secret every replica shares (each would make its own otherwise).
pub const SECRET: &str = "replicas-share-this-secret-of-forty-chars";

/// One replica's config dir (the seed config's key file and users, no servers) and port.
pub struct Replica {
    pub dir: PathBuf,
    pub port: u16,
    pub daemon: Option<Daemon>,
    store: String,
}

impl Replica {
    /// Starts (or starts again) this replica's binary.
    pub fn start(&mut self) {
        let listen = format!("127.0.0.1:{}", self.port);
        let env = [
            ("SECRET_KEY", SECRET),
            ("PGMON_LISTEN", listen.as_str()),
            ("PGMON_STORE", self.store.as_str()),
        ];
        self.daemon = Some(Daemon::binary(&self.dir, &env));
    }

    /// SIGKILL.
    pub fn kill(&mut self) {
        self.daemon = None;
    }

    pub fn daemon(&self) -> &Daemon {
        self.daemon.as_ref().expect("the replica runs")
    }

    pub fn api(&self) -> crate::http::Api {
        crate::http::Api::new(&format!("http://127.0.0.1:{}", self.port))
    }
}

/// `n` replicas on the store at `store_url`, sampling every `interval` seconds.
pub fn replicas(tmp: &TempDir, n: usize, store_url: &str, interval: u64) -> Vec<Replica> {
    (0..n)
        .map(|i| {
            let dir = tmp.path().join(format!("replica-{i}"));
            copy_tree(&fixtures_dir().join("seed-config"), &dir, &[], None);
            std::fs::write(dir.join("servers.json"), "[]").unwrap();
            add_settings(&dir, &format!("collect_interval_seconds = {interval}\n"));
            let mut r = Replica {
                dir,
                port: free_port(),
                daemon: None,
                store: store_url.to_owned(),
            };
            r.start();
            r
        })
        .collect()
}

/// HAProxy balancing HTTP round robin over some ports, each checked on `/api/health`.
pub struct Haproxy {
    child: Child,
    pub port: u16,
    _dir: TempDir,
}

impl Haproxy {
    pub fn start(backends: &[u16]) -> Haproxy {
        let bin = ["/usr/sbin/haproxy", "/usr/bin/haproxy"]
            .into_iter()
            .map(Path::new)
            .find(|p| p.exists())
            .unwrap_or_else(|| panic!("haproxy not found: install the Debian package `haproxy`"));
        let dir = tempfile::tempdir().unwrap();
        let port = free_port();
        let servers: String = backends
            .iter()
            .enumerate()
            .map(|(i, p)| format!("  server r{i} 127.0.0.1:{p} check\n"))
            .collect();
        let config = format!(
            "global\n  maxconn 512\n\
             defaults\n  mode http\n  timeout connect 1s\n  timeout client 20s\n  timeout server 20s\n  \
             retries 3\n  option redispatch\n\
             frontend api\n  bind 127.0.0.1:{port}\n  default_backend replicas\n\
             backend replicas\n  balance roundrobin\n  option httpchk GET /api/health\n  \
             http-check expect status 200\n  default-server inter 300ms fall 1 rise 1\n{servers}"
        );
        let path = dir.path().join("haproxy.cfg");
        std::fs::write(&path, config).unwrap();
        let log = std::fs::File::create(dir.path().join("haproxy.log")).unwrap();
        let child = Command::new(bin)
            .arg("-db")
            .arg("-f")
            .arg(&path)
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .expect("starting haproxy");
        let log_path = dir.path().join("haproxy.log");
        wait_until(
            Duration::from_secs(10),
            Duration::from_millis(50),
            "haproxy listening",
            || is_listening(port),
            || std::fs::read_to_string(&log_path).unwrap_or_default(),
        );
        Haproxy {
            child,
            port,
            _dir: dir,
        }
    }

    pub fn api(&self) -> crate::http::Api {
        crate::http::Api::new(&format!("http://127.0.0.1:{}", self.port))
    }
}

impl Drop for Haproxy {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
