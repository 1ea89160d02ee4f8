//! A throwaway certificate authority and certificates, made with the `openssl` command, for
//! TLS tests: a CA, a server certificate it signs for `localhost` only, and a second CA that
//! signed nothing here (for "not trusted").

use std::path::{Path, PathBuf};
use std::process::Command;

use tempfile::TempDir;

const INSTALL_HINT: &str = "install the Debian package `openssl`";

pub struct TestCerts {
    dir: TempDir,
}

/// `openssl req` with a new P-256 key (unencrypted) into `key`, writing `out`, and `more`.
fn new_key_request(dir: &Path, key: &str, out: &str, more: &[&str]) {
    let mut args = vec![
        "req",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:prime256v1",
    ];
    args.extend(["-nodes", "-keyout", key, "-out", out]);
    args.extend(more);
    openssl(dir, &args);
}

fn openssl(dir: &Path, args: &[&str]) {
    let out = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap_or_else(|e| panic!("running openssl: {e}; {INSTALL_HINT}"));
    assert!(
        out.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn self_signed_ca(dir: &Path, name: &str) {
    let (key, crt, subject) = (
        format!("{name}.key"),
        format!("{name}.crt"),
        format!("/CN={name}"),
    );
    new_key_request(
        dir,
        &key,
        &crt,
        &[
            "-x509",
            "-days",
            "2",
            "-subj",
            &subject,
            "-addext",
            "basicConstraints=critical,CA:TRUE",
            "-addext",
            "keyUsage=critical,keyCertSign",
        ],
    );
}

/// `{name}.key` and `{name}.crt`, for `localhost`, signed by CA `{ca}`.
fn server_cert(d: &Path, ca: &str, name: &str) {
    let (key, csr, crt) = (
        format!("{name}.key"),
        format!("{name}.csr"),
        format!("{name}.crt"),
    );
    new_key_request(d, &key, &csr, &["-subj", "/CN=localhost"]);
    std::fs::write(
        d.join("server.ext"),
        "subjectAltName=DNS:localhost\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n",
    )
    .unwrap();
    let (ca_crt, ca_key) = (format!("{ca}.crt"), format!("{ca}.key"));
    openssl(
        d,
        &[
            "x509",
            "-req",
            "-in",
            &csr,
            "-CA",
            &ca_crt,
            "-CAkey",
            &ca_key,
            "-CAcreateserial",
            "-out",
            &crt,
            "-days",
            "2",
            "-extfile",
            "server.ext",
        ],
    );
}

impl TestCerts {
    /// A second server certificate and key, `{name}.crt` and `{name}.key`, for `localhost`,
    /// signed by `other-ca` (a renewal from another CA).
    pub fn renewed(&self, name: &str) {
        server_cert(self.dir.path(), "other-ca", name);
    }

    pub fn new() -> TestCerts {
        let dir = tempfile::tempdir().expect("a temp dir for certificates");
        let d = dir.path();
        self_signed_ca(d, "ca");
        self_signed_ca(d, "other-ca");
        server_cert(d, "ca", "server");
        TestCerts { dir }
    }

    /// `ca.crt`, `other-ca.crt`, `server.crt`, `server.key`.
    pub fn path(&self, file: &str) -> PathBuf {
        self.dir.path().join(file)
    }
}

impl Default for TestCerts {
    fn default() -> Self {
        TestCerts::new()
    }
}
