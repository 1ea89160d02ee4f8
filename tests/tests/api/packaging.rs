//! The packaging files are what systemd accepts.

use std::path::Path;
use std::process::Command;

#[test]
/// `systemd-analyze verify` passes on the unit (pointed at the built binary; the man page it
/// names is installed by the package, so man lookups are off here).
fn unit_verifies() {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let unit = std::fs::read_to_string(repo.join("packaging/pgmond.service")).unwrap();
    let binary = pgmon_tests::bins::pgmond();
    let local = unit.replace(
        "ExecStart=/usr/bin/pgmond",
        &format!("ExecStart={}", binary.display()),
    );
    assert_ne!(local, unit, "ExecStart line not found");
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("pgmond.service");
    std::fs::write(&path, local).unwrap();
    let out = Command::new("systemd-analyze")
        .args(["verify", "--man=no"])
        .arg(&path)
        .output()
        .expect("systemd-analyze not found: install the Debian package `systemd`");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success() && err.trim().is_empty(),
        "systemd-analyze verify: {err}"
    );
    for needed in [
        "ProtectSystem=strict",
        "ReadWritePaths=/etc/pg_activity_monitor",
        "NoNewPrivileges=true",
        "RuntimeDirectory=pgmon",
        "PrivateTmp=true",
        "User=pgmon",
    ] {
        assert!(unit.contains(needed), "{needed} missing from the unit");
    }
}

#[test]
/// The sysusers entry creates the account and the tmpfiles entry the private config dir, in a
/// scratch root.
fn sysusers_and_tmpfiles_entries_parse() {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("etc")).unwrap();
    let out = Command::new("systemd-sysusers")
        .arg("--root")
        .arg(dir.path())
        .arg(repo.join("packaging/pgmon.sysusers"))
        .output()
        .expect("systemd-sysusers not found: install the Debian package `systemd`");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let passwd = std::fs::read_to_string(dir.path().join("etc/passwd")).unwrap();
    assert!(passwd.contains("pgmon:x:"), "{passwd}");
    let out = Command::new("systemd-tmpfiles")
        .args(["--create", "--root"])
        .arg(dir.path())
        .arg(repo.join("packaging/pgmon.tmpfiles"))
        .output()
        .expect("systemd-tmpfiles not found: install the Debian package `systemd`");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    use std::os::unix::fs::PermissionsExt;
    let meta = std::fs::metadata(dir.path().join("etc/pg_activity_monitor")).unwrap();
    assert_eq!(meta.permissions().mode() & 0o777, 0o700);
}
