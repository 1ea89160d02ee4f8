//! A throwaway OpenSSH server: generated host key, free loopback port, `authorized_keys` in its
//! temp dir. It logs to `sshd.log` there.

use std::fs::{self, File};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use tempfile::TempDir;

use crate::net::{free_port, read_banner, wait_until};

const INSTALL_HINT: &str = "install the Debian package `openssh-server` (sshd and ssh-keygen)";

pub struct TestSshd {
    dir: TempDir,
    pub port: u16,
    child: Option<Child>,
    sshd: PathBuf,
}

/// The local account tests log in as (created on first use, with [`TEST_PASSWORD`]).
pub const TEST_USER: &str = "pgmon-ssh-test";
pub const TEST_PASSWORD: &str = "pgmon-ssh-test-pw-41";

impl TestSshd {
    pub fn start() -> TestSshd {
        let sshd = find_sshd();
        // sshd insists on its privilege-separation folder.
        fs::create_dir_all("/run/sshd").ok();
        let dir = tempfile::Builder::new()
            .prefix("pgmon-sshd-")
            .tempdir()
            .expect("creating a temp dir for sshd");
        new_host_key(dir.path());
        // sshd reads authorized_keys as the logging-in user: the folder and the (public) key
        // list must be readable by others.
        fs::set_permissions(dir.path(), fs::Permissions::from_mode(0o755)).unwrap();
        let authorized = dir.path().join("authorized_keys");
        File::create(&authorized).expect("creating authorized_keys");
        fs::set_permissions(&authorized, fs::Permissions::from_mode(0o644)).unwrap();
        let port = free_port();
        let config = dir.path().join("sshd_config");
        fs::write(&config, sshd_config(dir.path(), port)).expect("writing sshd_config");
        let mut s = TestSshd {
            dir,
            port,
            child: None,
            sshd: sshd.clone(),
        };
        let check = Command::new(&sshd)
            .arg("-t")
            .arg("-f")
            .arg(&config)
            .output()
            .expect("sshd -t");
        assert!(
            check.status.success(),
            "sshd -t: {}",
            String::from_utf8_lossy(&check.stderr)
        );
        s.spawn(&sshd);
        s
    }

    fn spawn(&mut self, sshd: &Path) {
        let log = File::create(self.dir.path().join("sshd.log")).expect("creating sshd.log");
        let child = Command::new(sshd)
            .args(["-D", "-e", "-f"])
            .arg(self.dir.path().join("sshd_config"))
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .unwrap_or_else(|e| panic!("starting sshd: {e}; {INSTALL_HINT}"));
        self.child = Some(child);
        let port = self.port;
        wait_until(
            Duration::from_secs(10),
            Duration::from_millis(50),
            "sshd answering",
            || read_banner(port).is_some_and(|b| b.starts_with("SSH-2.0-")),
            || self.log(),
        );
    }

    /// Stops the server, gives it a new host key, and starts it again on the same port: what
    /// a man in the middle (or a reinstalled host) looks like to a client.
    pub fn restart_with_new_host_key(&mut self) {
        self.stop();
        new_host_key(self.dir.path());
        let sshd = self.sshd.clone();
        self.spawn(&sshd);
    }

    /// Starts a stopped server again.
    pub fn restart(&mut self) {
        let sshd = self.sshd.clone();
        self.spawn(&sshd);
    }

    /// Authorizes a public key line for every user of this server.
    pub fn authorize(&self, public_key: &str) {
        use std::io::Write;
        let mut f = fs::OpenOptions::new()
            .append(true)
            .open(self.authorized_keys())
            .unwrap();
        writeln!(f, "{public_key}").unwrap();
    }

    pub fn authorized_keys(&self) -> PathBuf {
        self.dir.path().join("authorized_keys")
    }

    /// The server's public host key line (`ssh-ed25519 AAAA... pgmon-test-host`).
    pub fn host_public_key(&self) -> String {
        fs::read_to_string(self.dir.path().join("ssh_host_ed25519_key.pub"))
            .expect("reading host key")
            .trim()
            .to_owned()
    }

    pub fn log(&self) -> String {
        fs::read_to_string(self.dir.path().join("sshd.log")).unwrap_or_default()
    }

    pub fn stop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

impl Drop for TestSshd {
    fn drop(&mut self) {
        self.stop();
    }
}

fn new_host_key(dir: &Path) {
    let host_key = dir.join("ssh_host_ed25519_key");
    let _ = fs::remove_file(&host_key);
    let _ = fs::remove_file(host_key.with_extension("pub"));
    let out = Command::new("ssh-keygen")
        .args([
            "-q",
            "-t",
            "ed25519",
            "-N",
            "",
            "-C",
            "pgmon-test-host",
            "-f",
        ])
        .arg(&host_key)
        .output()
        .unwrap_or_else(|e| panic!("running ssh-keygen: {e}; {INSTALL_HINT}"));
    assert!(
        out.status.success(),
        "ssh-keygen failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Creates [`TEST_USER`] with [`TEST_PASSWORD`] if it does not exist (needs root, as in CI),
/// and removes it when this test process exits. Creation is serialised with a lock file in
/// case two test processes run at once.
pub fn ensure_test_user() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(create_test_user);
}

fn create_test_user() {
    let lock = File::create(std::env::temp_dir().join("pgmon-test-user.lock")).unwrap();
    lock.lock().unwrap();
    let exists = Command::new("id")
        .arg(TEST_USER)
        .output()
        .is_ok_and(|o| o.status.success());
    if !exists {
        let out = Command::new("useradd")
            .args(["--create-home", "--shell", "/bin/sh", TEST_USER])
            .output()
            .expect("running useradd (the SSH tests need root to create a test account)");
        assert!(
            out.status.success(),
            "useradd: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        crate::cleanup::account_at_exit(TEST_USER);
    }
    let mut chpasswd = Command::new("chpasswd")
        .stdin(Stdio::piped())
        .spawn()
        .expect("running chpasswd");
    use std::io::Write;
    writeln!(
        chpasswd.stdin.take().unwrap(),
        "{TEST_USER}:{TEST_PASSWORD}"
    )
    .unwrap();
    assert!(chpasswd.wait().unwrap().success(), "chpasswd failed");
}

fn sshd_config(dir: &Path, port: u16) -> String {
    let d = dir.display();
    format!(
        "Port {port}\n\
         ListenAddress 127.0.0.1\n\
         HostKey {d}/ssh_host_ed25519_key\n\
         PidFile {d}/sshd.pid\n\
         AuthorizedKeysFile {d}/authorized_keys\n\
         StrictModes no\n\
         UsePAM no\n\
         PermitRootLogin yes\n\
         PasswordAuthentication yes\n\
         KbdInteractiveAuthentication no\n\
         LogLevel VERBOSE\n"
    )
}

fn find_sshd() -> PathBuf {
    ["/usr/sbin/sshd", "/usr/local/sbin/sshd", "/sbin/sshd"]
        .iter()
        .map(PathBuf::from)
        .find(|p| p.exists())
        .unwrap_or_else(|| panic!("sshd not found: {INSTALL_HINT}"))
}
