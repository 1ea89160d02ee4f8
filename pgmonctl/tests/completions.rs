//! The completion scripts shipped in `completions/` are the ones `pgmonctl completions` prints.

use std::path::Path;
use std::process::Command;

#[test]
/// Regenerate with `pgmonctl completions <shell> > completions/<file>` when this fails.
fn shipped_completions_are_current() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../completions");
    for (shell, file) in [
        ("bash", "pgmonctl.bash"),
        ("zsh", "_pgmonctl"),
        ("fish", "pgmonctl.fish"),
    ] {
        let out = Command::new(env!("CARGO_BIN_EXE_pgmonctl"))
            .args(["completions", shell])
            .output()
            .unwrap();
        assert!(out.status.success());
        let shipped = std::fs::read(dir.join(file)).unwrap_or_default();
        assert!(
            shipped == out.stdout,
            "completions/{file} is stale: run `pgmonctl completions {shell} > completions/{file}`"
        );
    }
}
