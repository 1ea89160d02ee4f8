//! Servers shared by all tests of a binary live in statics, which Rust never drops, and the SSH
//! tests' system account outlives every test that uses it. They are registered here and
//! removed when the test process exits, so a run leaves no process, folder or account behind.

use std::path::PathBuf;
use std::sync::{Mutex, Once};

enum LeftOver {
    Process { pid: i32, dir: PathBuf },
    Account(&'static str),
}

static LEFT_OVER: Mutex<Vec<LeftOver>> = Mutex::new(Vec::new());
static REGISTER: Once = Once::new();

fn register(item: LeftOver) {
    REGISTER.call_once(|| {
        // SAFETY: registering a plain `extern "C"` function with no captured state.
        unsafe { libc::atexit(run) };
    });
    LEFT_OVER
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .push(item);
}

/// Stops process `pid` (SIGQUIT: immediate, no checkpoint) and removes `dir` at exit.
pub fn at_exit(pid: u32, dir: PathBuf) {
    register(LeftOver::Process {
        pid: pid as i32,
        dir,
    });
}

/// Removes system account `name` and its home at exit (cargo runs test binaries one after
/// another, so the next binary that needs it creates it again).
pub fn account_at_exit(name: &'static str) {
    register(LeftOver::Account(name));
}

extern "C" fn run() {
    let items = std::mem::take(&mut *LEFT_OVER.lock().unwrap_or_else(|p| p.into_inner()));
    for item in items {
        match item {
            LeftOver::Process { pid, dir } => {
                // SAFETY: signalling and reaping our own child processes.
                unsafe {
                    libc::kill(pid, libc::SIGQUIT);
                    libc::waitpid(pid, std::ptr::null_mut(), 0);
                }
                let _ = std::fs::remove_dir_all(dir);
            }
            LeftOver::Account(name) => {
                let _ = std::process::Command::new("userdel")
                    .args(["--remove", name])
                    .output();
            }
        }
    }
}
