//! `pgmond`'s command line, without a config dir to serve.

use std::process::Command;

#[test]
/// A config dir that cannot be created is a one-line error and exit 1, not a panic.
fn unusable_config_dir_is_reported() {
    let out = Command::new(env!("CARGO_BIN_EXE_pgmond"))
        .args([
            "--config-dir",
            "/proc/pgmon-cannot-exist",
            "--listen",
            "127.0.0.1:0",
        ])
        .env_remove("PGMON_CONFIG_DIR")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("pgmond: ") && err.contains("/proc/pgmon-cannot-exist"),
        "{err}"
    );
    assert!(!err.contains("panicked"), "{err}");
}

#[test]
/// `--help` documents the flags and their environment variables.
fn help_names_flags_and_env() {
    let out = Command::new(env!("CARGO_BIN_EXE_pgmond"))
        .arg("--help")
        .output()
        .unwrap();
    let help = String::from_utf8_lossy(&out.stdout);
    for s in [
        "--config-dir",
        "PGMON_CONFIG_DIR",
        "--listen",
        "PGMON_LISTEN",
        "LOG_LEVEL",
    ] {
        assert!(help.contains(s), "{s} missing from --help");
    }
}
