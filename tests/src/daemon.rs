//! The real `pgmond` binary on a temp config dir and a free port, and `pgmonctl` runs.

use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::Duration;

use crate::bins;
use crate::net::{free_port, wait_until};

pub struct Daemon {
    child: Option<Child>,
    pub port: u16,
    pub config_dir: PathBuf,
    /// The admin socket, beside the config dir (never the system default).
    pub socket: PathBuf,
    log: PathBuf,
}

impl Daemon {
    /// Starts `pgmond` on `config_dir` with extra environment, and waits for `/api/health`.
    pub fn start(config_dir: &Path, env: &[(&str, &str)]) -> Daemon {
        Self::spawn(config_dir, env, Duration::from_millis(50), None)
    }

    /// Like [`start`](Self::start), under `ulimit -n nofile` (soft and hard).
    pub fn start_with_nofile(config_dir: &Path, nofile: u64) -> Daemon {
        Self::spawn(config_dir, &[], Duration::from_millis(50), Some(nofile))
    }

    fn spawn(
        config_dir: &Path,
        env: &[(&str, &str)],
        poll: Duration,
        nofile: Option<u64>,
    ) -> Daemon {
        let port = free_port();
        let log = config_dir.with_extension("pgmond.log");
        let socket = config_dir.with_extension("sock");
        let log_file = File::create(&log).expect("creating pgmond log");
        let mut cmd = Command::new(bins::pgmond());
        cmd.arg("--config-dir")
            .arg(config_dir)
            .arg("--listen")
            .arg(format!("127.0.0.1:{port}"))
            .arg("--admin-socket")
            .arg(&socket)
            .env_remove("PGMON_ADMIN_PASSWORD")
            .env_remove("SECRET_KEY")
            .envs(env.iter().copied())
            .stdin(Stdio::null())
            .stdout(log_file.try_clone().unwrap())
            .stderr(log_file);
        if let Some(n) = nofile {
            use std::os::unix::process::CommandExt;
            // SAFETY: setrlimit is async-signal-safe and touches only the child's limits.
            unsafe {
                cmd.pre_exec(move || {
                    nix::sys::resource::setrlimit(nix::sys::resource::Resource::RLIMIT_NOFILE, n, n)
                        .map_err(std::io::Error::from)
                });
            }
        }
        let child = cmd.spawn().expect("starting pgmond");
        let d = Daemon {
            child: Some(child),
            port,
            config_dir: config_dir.to_owned(),
            socket,
            log,
        };
        wait_until(
            Duration::from_secs(20),
            poll,
            "pgmond answering /api/health",
            || http_get_status(port, "/api/health") == Some(200),
            || d.log(),
        );
        d
    }

    /// Like [`start`](Self::start), polling every millisecond: for start-up timing.
    pub fn start_fast(config_dir: &Path) -> Daemon {
        Self::spawn(config_dir, &[], Duration::from_millis(1), None)
    }

    pub fn pid(&self) -> u32 {
        self.child.as_ref().map(Child::id).unwrap_or_default()
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// An HTTP client for this daemon with no token.
    pub fn api(&self) -> crate::http::Api {
        crate::http::Api::new(&format!("http://127.0.0.1:{}", self.port))
    }

    /// An HTTP client logged in as `login` with `password`.
    pub async fn api_as(&self, login: &str, password: &str) -> crate::http::Api {
        let api = self.api();
        let token = api.token(login, password).await;
        api.with_token(&token)
    }

    /// Runs `pgmonctl` against this daemon's admin socket.
    pub fn pgmonctl_socket(&self, args: &[&str], stdin: &str) -> Output {
        let mut full: Vec<&str> = vec!["--socket", self.socket.to_str().unwrap()];
        full.extend_from_slice(args);
        run_pgmonctl(&full, stdin, &[])
    }

    /// Sends SIGTERM and returns the exit status.
    pub fn terminate(&mut self) -> Option<std::process::ExitStatus> {
        let mut child = self.child.take()?;
        let pid = nix::unistd::Pid::from_raw(child.id() as i32);
        let _ = nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGTERM);
        child.wait().ok()
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

/// Runs `pgmond` on `config_dir` with `socket` as its admin socket and extra environment, for
/// starts that must fail: it exits on its own, and its output says why.
pub fn pgmond_to_exit(config_dir: &Path, socket: &Path, env: &[(&str, &str)]) -> Output {
    Command::new(bins::pgmond())
        .arg("--config-dir")
        .arg(config_dir)
        .args(["--listen", "127.0.0.1:0", "--admin-socket"])
        .arg(socket)
        .env_remove("SECRET_KEY")
        .envs(env.iter().copied())
        .stdin(Stdio::null())
        .output()
        .expect("running pgmond")
}

/// A bare HTTP/1.1 GET, for readiness checks that must not depend on a client library.
fn http_get_status(port: u16, path: &str) -> Option<u16> {
    use std::io::Read;
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(2))).ok()?;
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    )
    .ok()?;
    let mut buf = String::new();
    s.read_to_string(&mut buf).ok()?;
    buf.split_whitespace().nth(1)?.parse().ok()
}

/// Runs `pgmonctl --config-dir DIR <args>` with `stdin` fed in, and returns its output.
pub fn pgmonctl(config_dir: &Path, args: &[&str], stdin: &str) -> Output {
    let mut full: Vec<&str> = vec!["--config-dir", config_dir.to_str().unwrap()];
    full.extend_from_slice(args);
    run_pgmonctl(&full, stdin, &[])
}

/// Runs `pgmonctl <args>` with `stdin` fed in and extra environment; the `PGMON_*` variables
/// of the test's own environment are removed first.
pub fn run_pgmonctl(args: &[&str], stdin: &str, env: &[(&str, &str)]) -> Output {
    let mut child = Command::new(bins::pgmonctl())
        .args(args)
        .env_remove("PGMON_CONFIG_DIR")
        .env_remove("PGMON_URL")
        .env_remove("PGMON_SOCKET")
        .env_remove("PGMON_TOKEN")
        .envs(env.iter().copied())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("starting pgmonctl");
    child.stdin.take().unwrap().write_all(stdin.as_bytes()).ok();
    child.wait_with_output().expect("waiting for pgmonctl")
}

/// The standard output of a `pgmonctl` run that must have succeeded (else a panic with its
/// stderr).
pub fn stdout_of(out: &Output) -> String {
    assert!(
        out.status.success(),
        "pgmonctl failed ({}): {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout.clone()).expect("pgmonctl printed invalid UTF-8")
}

/// The standard output of a successful `pgmonctl --output json` run, parsed.
pub fn json_of(out: &Output) -> serde_json::Value {
    serde_json::from_str(&stdout_of(out)).expect("pgmonctl printed invalid JSON")
}

/// Runs `pgmonctl --output json` on the config dir and parses what it printed.
pub fn pgmonctl_json(config_dir: &Path, args: &[&str], stdin: &str) -> serde_json::Value {
    let mut full = vec!["--output", "json"];
    full.extend_from_slice(args);
    json_of(&pgmonctl(config_dir, &full, stdin))
}

/// `pgmonctl servers add` of server `name` at 127.0.0.1:`port` as user postgres.
pub fn local_server_args<'a>(name: &'a str, port: &'a str) -> Vec<&'a str> {
    let host = ["--host", "127.0.0.1", "--port", port, "--user", "postgres"];
    ["servers", "add", name].into_iter().chain(host).collect()
}

/// Adds server `name` at 127.0.0.1:`port` as user postgres to the config dir through
/// `pgmonctl` (no reachability check), with an optional stats database.
pub fn add_local_server(config_dir: &Path, name: &str, port: u16, stats_db: Option<&str>) {
    let port = port.to_string();
    let mut args = local_server_args(name, &port);
    args.push("--no-check");
    if let Some(db) = stats_db {
        args.extend(["--stats-db", db]);
    }
    let out = pgmonctl(config_dir, &args, "");
    assert!(
        out.status.success(),
        "adding {name}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Sets `key` of server `name` in `servers.json` to `value`: for fields that only a hand-edited
/// entry carries.
pub fn set_server_field(config_dir: &Path, name: &str, key: &str, value: serde_json::Value) {
    let path = config_dir.join("servers.json");
    let mut servers: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    let entry = servers
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .find(|s| s["name"] == name)
        .unwrap_or_else(|| panic!("no server {name} in {}", path.display()));
    entry[key] = value;
    std::fs::write(&path, serde_json::to_vec_pretty(&servers).unwrap()).unwrap();
}

/// Adds lines to the config dir's `pgmond.toml`.
pub fn add_settings(config_dir: &Path, lines: &str) {
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(config_dir.join("pgmond.toml"))
        .unwrap();
    writeln!(f, "{lines}").unwrap();
}

/// A collector status entry by server name.
pub fn collector_entry<'a>(status: &'a serde_json::Value, name: &str) -> &'a serde_json::Value {
    status["servers"]
        .as_array()
        .and_then(|l| l.iter().find(|s| s["name"] == name))
        .unwrap_or_else(|| panic!("{name} not in collector status: {status}"))
}
