//! `pgmond` on a temp config dir, and `pgmonctl` runs. A daemon runs in the test's own process
//! (the library's `serve` on a listener bound to port 0) unless the test needs what only a
//! process has: its log, its pid for signals and memory, a descriptor limit, its environment.

use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::thread::JoinHandle;
use std::time::Duration;

use tokio_util::sync::CancellationToken;

use crate::bins;
use crate::net::wait_until;

pub struct Daemon {
    runner: Option<Runner>,
    pub port: u16,
    pub config_dir: PathBuf,
    /// The admin socket, beside the config dir (never the system default).
    pub socket: PathBuf,
    log: PathBuf,
}

enum Runner {
    Process(Child),
    /// A thread with its own runtime serving until the token is cancelled.
    InProcess(CancellationToken, JoinHandle<anyhow::Result<()>>),
}

impl Daemon {
    /// Serves `config_dir` in this process on a loopback listener bound to port 0 and on an
    /// admin socket beside it, and waits for `/api/health`.
    pub fn start(config_dir: &Path) -> Daemon {
        let socket = config_dir.with_extension("sock");
        let shutdown = CancellationToken::new();
        let (bound, port) = std::sync::mpsc::channel();
        let thread = {
            let (config_dir, socket, shutdown) =
                (config_dir.to_owned(), socket.clone(), shutdown.clone());
            std::thread::spawn(move || {
                let runtime = tokio::runtime::Builder::new_multi_thread()
                    .worker_threads(2)
                    .enable_all()
                    .build()?;
                let outcome = runtime.block_on(async {
                    let tcp = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
                    let _ = std::fs::remove_file(&socket);
                    let admin = tokio::net::UnixListener::bind(&socket)?;
                    bound.send(tcp.local_addr()?.port())?;
                    let listeners = pgmond::Listeners {
                        tcp,
                        admin: Some((admin, socket)),
                        metrics: None,
                    };
                    pgmond::serve(&config_dir, listeners, shutdown).await
                });
                runtime.shutdown_timeout(Duration::from_secs(2));
                outcome
            })
        };
        let port = match port.recv() {
            Ok(port) => port,
            Err(_) => panic!("pgmond did not bind: {:?}", thread.join()),
        };
        let mut d = Daemon {
            runner: Some(Runner::InProcess(shutdown, thread)),
            port,
            config_dir: config_dir.to_owned(),
            socket,
            log: PathBuf::new(),
        };
        let start = std::time::Instant::now();
        while http_get_status(port, "/api/health") != Some(200) {
            if matches!(&d.runner, Some(Runner::InProcess(_, t)) if t.is_finished()) {
                let Some(Runner::InProcess(_, thread)) = d.runner.take() else {
                    unreachable!()
                };
                panic!("pgmond stopped: {:?}", thread.join());
            }
            assert!(
                start.elapsed() < Duration::from_secs(20),
                "pgmond did not answer /api/health within 20 s"
            );
            std::thread::sleep(Duration::from_millis(10));
        }
        d
    }

    /// Starts the `pgmond` binary on `config_dir` with extra environment, and waits for
    /// `/api/health`.
    pub fn binary(config_dir: &Path, env: &[(&str, &str)]) -> Daemon {
        Self::spawn(config_dir, env, Duration::from_millis(50), None)
    }

    /// Starts the `pgmond` binary serving HTTPS (`tls_cert` in its pgmond.toml), and waits
    /// until it listens (the harness's probe speaks plain HTTP).
    pub fn binary_https(config_dir: &Path) -> Daemon {
        Self::launch(
            config_dir,
            &[],
            Duration::from_millis(50),
            None,
            crate::net::is_listening,
        )
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
        Self::launch(config_dir, env, poll, nofile, |port| {
            http_get_status(port, "/api/health") == Some(200)
        })
    }

    fn launch(
        config_dir: &Path,
        env: &[(&str, &str)],
        poll: Duration,
        nofile: Option<u64>,
        ready: fn(u16) -> bool,
    ) -> Daemon {
        let log = config_dir.with_extension("pgmond.log");
        let socket = config_dir.with_extension("sock");
        let log_file = File::create(&log).expect("creating pgmond log");
        // A fixed port when the caller's environment names one (a replica started again where
        // its load balancer expects it).
        let listen = env
            .iter()
            .find(|(k, _)| *k == "PGMON_LISTEN")
            .map_or("127.0.0.1:0", |(_, v)| v);
        let mut cmd = Command::new(bins::pgmond());
        cmd.arg("--config-dir")
            .arg(config_dir)
            .args(["--listen", listen, "--admin-socket"])
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
        let mut d = Daemon {
            runner: Some(Runner::Process(child)),
            port: 0,
            config_dir: config_dir.to_owned(),
            socket,
            log,
        };
        // Port 0, so no other test can take the port between a probe and the bind: the port
        // is read from the start-up line.
        let mut port = None;
        wait_until(
            Duration::from_secs(20),
            poll,
            "pgmond answering /api/health",
            || {
                port = port.or_else(|| listening_port(&d.log()));
                port.is_some_and(ready)
            },
            || d.log(),
        );
        d.port = port.unwrap();
        d
    }

    /// Like [`start`](Self::start), polling every millisecond: for start-up timing.
    pub fn start_fast(config_dir: &Path) -> Daemon {
        Self::spawn(config_dir, &[], Duration::from_millis(1), None)
    }

    /// The process's resident memory (VmRSS), in KiB.
    pub fn rss_kib(&self) -> u64 {
        self.proc_status("VmRSS")
    }

    /// A number of the process's `/proc/<pid>/status` (`Threads`; `VmHWM`, peak RSS in KiB).
    pub fn proc_status(&self, field: &str) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.pid())).unwrap();
        let line = status
            .lines()
            .find(|l| l.strip_prefix(field).is_some_and(|r| r.starts_with(':')))
            .unwrap_or_else(|| panic!("no {field} in /proc/{}/status", self.pid()));
        line.split_whitespace().nth(1).unwrap().parse().unwrap()
    }

    /// The process's pid (a daemon in this process has none to signal).
    pub fn pid(&self) -> u32 {
        match &self.runner {
            Some(Runner::Process(child)) => child.id(),
            Some(Runner::InProcess(..)) => {
                panic!("an in-process pgmond has no pid: use Daemon::binary")
            }
            None => 0,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    /// What the process logged: an in-process daemon logs nowhere, so a test that reads the
    /// log must start the binary.
    pub fn log(&self) -> String {
        assert!(
            !matches!(self.runner, Some(Runner::InProcess(..))),
            "an in-process pgmond logs nowhere: use Daemon::binary"
        );
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
        let Some(Runner::Process(mut child)) = self.runner.take() else {
            panic!("an in-process pgmond takes no signal: use Daemon::binary or stop")
        };
        let pid = nix::unistd::Pid::from_raw(child.id() as i32);
        let _ = nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGTERM);
        child.wait().ok()
    }

    /// Shuts an in-process daemon down as SIGTERM does the binary, and waits until its
    /// collector has stopped and its store is closed.
    pub fn stop(&mut self) {
        let Some(Runner::InProcess(shutdown, thread)) = self.runner.take() else {
            panic!("stop is for an in-process pgmond: use terminate")
        };
        shutdown.cancel();
        let outcome = thread.join().expect("the pgmond thread panicked");
        outcome.expect("pgmond failed");
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        match self.runner.take() {
            Some(Runner::Process(mut c)) => {
                let _ = c.kill();
                let _ = c.wait();
            }
            Some(Runner::InProcess(shutdown, thread)) => {
                shutdown.cancel();
                let _ = thread.join();
            }
            None => {}
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

/// The TCP port of the API from pgmond's start-up line (` listen=127.0.0.1:PORT`).
fn listening_port(log: &str) -> Option<u16> {
    let (_, rest) = log.split_once(" listen=127.0.0.1:")?;
    // Only a whole number: the line may be half written when read.
    let end = rest.find(|c: char| !c.is_ascii_digit())?;
    rest[..end].parse().ok()
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

/// `pgmonctl [global...] --url URL login --user USER --password-stdin` with `password` on
/// stdin and `env` (where the token is saved: `XDG_CONFIG_HOME`).
pub fn pgmonctl_login(
    url: &str,
    user: &str,
    password: &str,
    global: &[&str],
    env: &[(&str, &str)],
) -> Output {
    let mut args = global.to_vec();
    args.extend(["--url", url, "login", "--user", user, "--password-stdin"]);
    run_pgmonctl(&args, &format!("{password}\n"), env)
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
