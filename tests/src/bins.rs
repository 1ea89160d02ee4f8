//! Paths of the binaries under test, built by `cargo test` next to the test executables.

use std::path::PathBuf;

/// `target/<profile>/<name>`, found from the running test executable
/// (`target/<profile>/deps/<test>`).
pub fn bin_path(name: &str) -> PathBuf {
    let exe = std::env::current_exe().expect("locating the test executable");
    let profile_dir = exe
        .parent()
        .and_then(|deps| deps.parent())
        .expect("test executable outside target/<profile>/deps");
    let path = profile_dir.join(name);
    assert!(
        path.exists(),
        "{} is missing: run the tests with `cargo test --workspace`, which builds it",
        path.display()
    );
    path
}

pub fn pgmond() -> PathBuf {
    bin_path("pgmond")
}

pub fn pgmonctl() -> PathBuf {
    bin_path("pgmonctl")
}
