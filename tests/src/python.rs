//! Interop checks run with the Python libraries the old backend used (`cryptography`,
//! `bcrypt`), so compatibility is proven by the other side itself.

use std::process::Command;

const INSTALL_HINT: &str = "run the tests with `tests/run`, which installs `cryptography`, `bcrypt` \
     and `openapi-spec-validator` into target/test-venv";

/// Runs a Python script with `args` (available as `sys.argv[1:]`) and returns its stdout.
pub fn run(script: &str, args: &[&str]) -> String {
    let out = Command::new("python3")
        .arg("-c")
        .arg(script)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("running python3: {e}; {INSTALL_HINT}"));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        !stderr.contains("ModuleNotFoundError"),
        "Python modules missing: {INSTALL_HINT}\n{stderr}"
    );
    assert!(out.status.success(), "python3 failed: {stderr}");
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}
