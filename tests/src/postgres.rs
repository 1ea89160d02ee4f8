//! Throwaway PostgreSQL clusters: `initdb` into a temp dir and `postgres` on a free loopback
//! port, from the installed server binaries. Run as root (CI), both are started as the
//! `postgres` user, since they refuse to run as root.

use std::fs::{self, File};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::Duration;

use nix::unistd::{Gid, Uid, User, chown};
use tempfile::TempDir;

use crate::cleanup;
use crate::fixtures::copy_tree;
use crate::net::{free_port, is_listening, wait_until};

const INSTALL_HINT: &str = "install the Debian package `postgresql` (initdb and postgres)";

pub struct TestCluster {
    dir: TempDir,
    bindir: PathBuf,
    owner: Option<(Uid, Gid)>,
    pub port: u16,
    child: Option<Child>,
}

impl TestCluster {
    /// A new cluster, initialised and running, with trust authentication on 127.0.0.1.
    pub fn start() -> TestCluster {
        let bindir = find_bindir();
        let dir = tempfile::Builder::new()
            .prefix("pgmon-pg-")
            .tempdir()
            .expect("creating a temp dir for PostgreSQL");
        let owner = postgres_owner();
        if let Some((uid, gid)) = owner {
            chown(dir.path(), Some(uid), Some(gid)).expect("giving the cluster dir to postgres");
        }
        let mut cluster = TestCluster {
            dir,
            bindir,
            owner,
            port: free_port(),
            child: None,
        };
        cluster.initdb();
        cluster.start_server();
        cluster
    }

    /// The cluster every test of this binary shares (stopped when the process exits); tests
    /// that stop or break a server start their own.
    pub fn shared() -> &'static TestCluster {
        static SHARED: OnceLock<TestCluster> = OnceLock::new();
        SHARED.get_or_init(|| {
            let c = TestCluster::start();
            let pid = c.child.as_ref().map(Child::id).unwrap_or_default();
            cleanup::at_exit(pid, c.dir.path().to_owned());
            c
        })
    }

    pub fn data_dir(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    fn log_path(&self) -> PathBuf {
        self.dir.path().join("postgres.log")
    }

    fn command(&self, program: &str) -> Command {
        let mut cmd = Command::new(self.bindir.join(program));
        // A major from `tests/pg-majors` brings its own libraries beside its binaries.
        if std::env::var_os(BINDIR_ENV).is_some() {
            cmd.env("LD_LIBRARY_PATH", self.bindir.join("../lib"));
        }
        if let Some((uid, gid)) = self.owner {
            cmd.uid(uid.as_raw()).gid(gid.as_raw());
        }
        cmd.current_dir(self.dir.path());
        cmd
    }

    fn initdb(&self) {
        let out = self
            .command("initdb")
            .args([
                "-U",
                "postgres",
                "--auth=trust",
                "-E",
                "UTF8",
                "--locale=C",
                "--no-sync",
                "-D",
            ])
            .arg(self.data_dir())
            .output()
            .unwrap_or_else(|e| panic!("running initdb: {e}; {INSTALL_HINT}"));
        assert!(
            out.status.success(),
            "initdb failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    /// Starts `postgres` (again, after [`stop`](Self::stop)) on the same port and data dir.
    pub fn start_server(&mut self) {
        assert!(self.child.is_none(), "PostgreSQL already running");
        let log = File::create(self.log_path()).expect("creating postgres.log");
        if let Some((uid, gid)) = self.owner {
            chown(&self.log_path(), Some(uid), Some(gid)).ok();
        }
        let child = self
            .command("postgres")
            .arg("-D")
            .arg(self.data_dir())
            .args(["-p", &self.port.to_string()])
            .args(["-c", "listen_addresses=127.0.0.1"])
            .arg("-c")
            .arg(format!(
                "unix_socket_directories={}",
                self.dir.path().display()
            ))
            .args(["-c", "fsync=off", "-c", "full_page_writes=off"])
            .args(["-c", "shared_buffers=16MB", "-c", "max_connections=200"])
            // Every cluster can show statements (the view still needs CREATE EXTENSION).
            .args(["-c", "shared_preload_libraries=pg_stat_statements"])
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("cloning log handle"))
            .stderr(log)
            .spawn()
            .unwrap_or_else(|e| panic!("starting postgres: {e}; {INSTALL_HINT}"));
        self.child = Some(child);
        let port = self.port;
        wait_until(
            Duration::from_secs(30),
            Duration::from_millis(50),
            "PostgreSQL accepting connections",
            || self.is_ready(),
            || self.log_tail(),
        );
        assert!(is_listening(port));
    }

    /// Whether the server takes connections, as `pg_isready` asks it (the binaries of other
    /// majors come without it): a startup packet answered with anything but "starting up".
    fn is_ready(&self) -> bool {
        use std::io::{Read, Write};
        let addr = std::net::SocketAddr::from(([127, 0, 0, 1], self.port));
        let Ok(mut s) = std::net::TcpStream::connect_timeout(&addr, Duration::from_secs(1)) else {
            return false;
        };
        let _ = s.set_read_timeout(Some(Duration::from_secs(2)));
        let mut body = 196_608u32.to_be_bytes().to_vec(); // protocol 3.0
        for part in ["user", "postgres", "database", "postgres", ""] {
            body.extend(part.as_bytes());
            body.push(0);
        }
        let mut packet = ((body.len() + 4) as u32).to_be_bytes().to_vec();
        packet.extend(body);
        let mut head = [0u8; 5];
        if s.write_all(&packet).is_err() || s.read_exact(&mut head).is_err() {
            return false;
        }
        match head[0] {
            b'R' => true,
            b'E' => {
                let len = u32::from_be_bytes([head[1], head[2], head[3], head[4]]) as usize;
                let mut error = vec![0u8; len.saturating_sub(4)];
                // 57P03: cannot_connect_now ("the database system is starting up").
                s.read_exact(&mut error).is_ok() && !error.windows(5).any(|w| w == b"57P03")
            }
            _ => false,
        }
    }

    /// A streaming standby of this cluster on a port of its own, replicating through the
    /// physical slot `slot`: a base backup by `pg_basebackup` where the installed one can take
    /// it (its major at least the primary's; the other majors' packages come without it),
    /// else by the same steps done by hand (`pg_backup_start`, a copy of the data directory,
    /// `pg_backup_stop`'s label), then `standby.signal` and `primary_conninfo`.
    pub async fn standby(&self, slot: &str) -> TestCluster {
        let dir = tempfile::Builder::new()
            .prefix("pgmon-pg-standby-")
            .tempdir()
            .expect("creating a temp dir for a standby");
        if let Some((uid, gid)) = self.owner {
            chown(dir.path(), Some(uid), Some(gid)).expect("giving the standby dir to postgres");
        }
        let mut standby = TestCluster {
            dir,
            bindir: self.bindir.clone(),
            owner: self.owner,
            port: free_port(),
            child: None,
        };
        let major = major_of(&self.data_dir());
        let conninfo = format!(
            "host=127.0.0.1 port={} user=postgres application_name=standby1",
            self.port
        );
        match pg_basebackup().filter(|(_, m)| *m >= major) {
            Some((program, _)) => {
                let mut cmd = Command::new(program);
                if let Some((uid, gid)) = self.owner {
                    cmd.uid(uid.as_raw()).gid(gid.as_raw());
                }
                let out = cmd
                    .current_dir(standby.dir.path())
                    .args([
                        "-h",
                        "127.0.0.1",
                        "-p",
                        &self.port.to_string(),
                        "-U",
                        "postgres",
                    ])
                    .args(["-X", "stream", "-C", "-S", slot, "-R", "--no-sync", "-D"])
                    .arg(standby.data_dir())
                    .output()
                    .expect("running pg_basebackup");
                assert!(
                    out.status.success(),
                    "pg_basebackup failed: {}",
                    String::from_utf8_lossy(&out.stderr)
                );
            }
            None => self.backup_by_hand(&standby, slot).await,
        }
        let data = standby.data_dir();
        standby.write_owned(&data.join("standby.signal"), "");
        let auto = data.join("postgresql.auto.conf");
        let mut conf = fs::read_to_string(&auto).unwrap_or_default();
        conf.push_str(&format!(
            "\nprimary_conninfo = '{conninfo}'\nprimary_slot_name = '{slot}'\n"
        ));
        standby.write_owned(&auto, &conf);
        standby.start_server();
        standby
    }

    /// A base backup through the SQL functions (PostgreSQL 15 and later name them so): the
    /// slot reserves WAL from before the backup starts, so the standby can stream from there.
    async fn backup_by_hand(&self, standby: &TestCluster, slot: &str) {
        let c = self.client("postgres").await;
        c.execute(
            "SELECT pg_create_physical_replication_slot($1, true)",
            &[&slot],
        )
        .await
        .expect("creating the standby's slot");
        c.batch_execute("SELECT pg_backup_start('pgmon-test', true)")
            .await
            .expect("starting a backup");
        let skip = ["postmaster.pid", "postmaster.opts", "pg_wal", "pg_replslot"];
        copy_tree(&self.data_dir(), &standby.data_dir(), &skip, self.owner);
        for empty in ["pg_wal/archive_status", "pg_replslot"] {
            let d = standby.data_dir().join(empty);
            fs::create_dir_all(&d).unwrap();
            standby.give(&d);
        }
        standby.give(&standby.data_dir().join("pg_wal"));
        let label: String = c
            .query_one("SELECT labelfile FROM pg_backup_stop(false)", &[])
            .await
            .expect("ending the backup")
            .get(0);
        standby.write_owned(&standby.data_dir().join("backup_label"), &label);
    }

    fn give(&self, path: &Path) {
        if let Some((uid, gid)) = self.owner {
            chown(path, Some(uid), Some(gid)).expect("giving a file to postgres");
        }
    }

    fn write_owned(&self, path: &Path, text: &str) {
        fs::write(path, text).expect("writing a standby file");
        self.give(path);
    }

    /// Turns TLS on with `certs`' server certificate and key, and with `hostssl_only`, allows
    /// TCP logins over TLS only; restarts the server.
    pub fn enable_ssl(&mut self, certs: &crate::certs::TestCerts, hostssl_only: bool) {
        let data = self.data_dir();
        for file in ["server.crt", "server.key"] {
            let to = data.join(file);
            fs::copy(certs.path(file), &to).expect("copying a certificate");
            use std::os::unix::fs::PermissionsExt;
            fs::set_permissions(&to, fs::Permissions::from_mode(0o600)).unwrap();
            if let Some((uid, gid)) = self.owner {
                chown(&to, Some(uid), Some(gid)).unwrap();
            }
        }
        let conf = data.join("postgresql.conf");
        let mut text = fs::read_to_string(&conf).unwrap();
        text.push_str("\nssl = on\nssl_cert_file = 'server.crt'\nssl_key_file = 'server.key'\n");
        fs::write(&conf, text).unwrap();
        if hostssl_only {
            let hba = "local all all trust\nhostssl all all 127.0.0.1/32 trust\n\
                       hostssl all all ::1/128 trust\n";
            fs::write(data.join("pg_hba.conf"), hba).unwrap();
        }
        self.stop();
        self.start_server();
    }

    /// Stops the server (fast shutdown: sessions are cut, as in a real outage) and waits.
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let pid = nix::unistd::Pid::from_raw(child.id() as i32);
            let _ = nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGINT);
            let _ = child.wait();
        }
    }

    pub fn log_tail(&self) -> String {
        let text = fs::read_to_string(self.log_path()).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(20)..].join("\n")
    }

    /// `host=127.0.0.1 port=... user=postgres dbname=<db>`.
    pub fn conninfo(&self, db: &str) -> String {
        format!(
            "host=127.0.0.1 port={} user=postgres dbname={db}",
            self.port
        )
    }

    /// A client on database `db`; its connection task runs on the current runtime.
    pub async fn client(&self, db: &str) -> tokio_postgres::Client {
        let (client, conn) = tokio_postgres::connect(&self.conninfo(db), tokio_postgres::NoTls)
            .await
            .unwrap_or_else(|e| panic!("connecting to test cluster: {e}\n{}", self.log_tail()));
        tokio::spawn(conn);
        client
    }

    /// A database of its own for one test, so tests sharing the cluster do not meet.
    pub async fn create_database(&self, name: &str) {
        let c = self.client("postgres").await;
        for sql in ["DROP DATABASE IF EXISTS", "CREATE DATABASE"] {
            c.batch_execute(&format!("{sql} \"{name}\""))
                .await
                .expect("creating a test database");
        }
    }
}

impl Drop for TestCluster {
    fn drop(&mut self) {
        self.stop();
    }
}

/// The folder of `initdb` and `postgres`: `pg_config --bindir`, else the newest
/// `/usr/lib/postgresql/<major>/bin`.
/// Where another major's binaries are (`tests/pg-majors` sets it); else the installed ones.
const BINDIR_ENV: &str = "PGMON_PG_BINDIR";

fn find_bindir() -> PathBuf {
    if let Some(dir) = std::env::var_os(BINDIR_ENV) {
        let dir = PathBuf::from(dir);
        assert!(
            has_server_binaries(&dir),
            "{BINDIR_ENV}={}: no initdb and postgres there",
            dir.display()
        );
        return dir;
    }
    let from_pg_config = Command::new("pg_config")
        .arg("--bindir")
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| PathBuf::from(String::from_utf8_lossy(&o.stdout).trim()));
    let mut candidates: Vec<PathBuf> = from_pg_config.into_iter().collect();
    let mut majors: Vec<PathBuf> = fs::read_dir("/usr/lib/postgresql")
        .map(|d| {
            d.filter_map(|e| e.ok())
                .map(|e| e.path().join("bin"))
                .collect()
        })
        .unwrap_or_default();
    majors.sort_by_key(|p| {
        p.parent()
            .and_then(|m| m.file_name())
            .and_then(|m| m.to_str())
            .and_then(|m| m.parse::<u32>().ok())
            .unwrap_or(0)
    });
    candidates.extend(majors.into_iter().rev());
    candidates
        .into_iter()
        .find(|d| has_server_binaries(d))
        .unwrap_or_else(|| panic!("PostgreSQL server binaries not found: {INSTALL_HINT}"))
}

/// The major of the cluster in `data` (its `PG_VERSION`).
fn major_of(data: &Path) -> u32 {
    fs::read_to_string(data.join("PG_VERSION"))
        .ok()
        .and_then(|v| v.trim().parse().ok())
        .expect("reading PG_VERSION")
}

/// The installed `pg_basebackup` and its major.
fn pg_basebackup() -> Option<(PathBuf, u32)> {
    let out = Command::new("pg_basebackup")
        .arg("--version")
        .output()
        .ok()?;
    // "pg_basebackup (PostgreSQL) 15.14 (Debian 15.14-0+deb12u1)"
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let version = text.split_whitespace().nth(2)?;
    let major = version.split('.').next()?.parse().ok()?;
    Some((PathBuf::from("pg_basebackup"), major))
}

fn has_server_binaries(dir: &Path) -> bool {
    ["initdb", "postgres"].iter().all(|b| dir.join(b).exists())
}

/// When running as root, the `postgres` user to run the server as.
fn postgres_owner() -> Option<(Uid, Gid)> {
    if !Uid::effective().is_root() {
        return None;
    }
    let user = User::from_name("postgres")
        .ok()
        .flatten()
        .unwrap_or_else(|| panic!("running as root needs a `postgres` user: {INSTALL_HINT}"));
    Some((user.uid, user.gid))
}

/// A table bloated by updates, for the health checks' bloat estimate: 50,000 rows of about
/// 130 bytes, updated three times with autovacuum off (three dead versions of every row).
pub const BLOATED_TABLE: &str = "
    CREATE TABLE t_bloat (id int PRIMARY KEY, v int, pad text) WITH (autovacuum_enabled = false);
    INSERT INTO t_bloat SELECT g, 0, repeat('p', 100) FROM generate_series(1, 50000) g;
    UPDATE t_bloat SET v = v + 1;
    UPDATE t_bloat SET v = v + 1;
    UPDATE t_bloat SET v = v + 1;";

/// What `pgstattuple` measures of `table` as wasted (dead tuples and free space) and its
/// size, in bytes; creates the extension (contrib) where missing.
pub async fn measured_waste(c: &tokio_postgres::Client, table: &str) -> (i64, i64) {
    c.batch_execute("CREATE EXTENSION IF NOT EXISTS pgstattuple")
        .await
        .expect("pgstattuple (PostgreSQL's contrib) for the bloat measurement");
    let row = c
        .query_one(
            "SELECT (dead_tuple_len + free_space)::int8, table_len::int8 FROM pgstattuple($1::text::regclass)",
            &[&table],
        )
        .await
        .unwrap();
    (row.get(0), row.get(1))
}
