//! Servers shared by all tests of a binary live in statics, which Rust never drops. They are
//! registered here and stopped, with their folders removed, when the test process exits.

use std::path::PathBuf;
use std::sync::{Mutex, Once};

static LEFT_OVER: Mutex<Vec<(i32, PathBuf)>> = Mutex::new(Vec::new());
static REGISTER: Once = Once::new();

/// Stops process `pid` (SIGQUIT: immediate, no checkpoint) and removes `dir` at exit.
pub fn at_exit(pid: u32, dir: PathBuf) {
    REGISTER.call_once(|| {
        // SAFETY: registering a plain `extern "C"` function with no captured state.
        unsafe { libc::atexit(run) };
    });
    LEFT_OVER
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .push((pid as i32, dir));
}

extern "C" fn run() {
    let items = std::mem::take(&mut *LEFT_OVER.lock().unwrap_or_else(|p| p.into_inner()));
    for (pid, dir) in items {
        // SAFETY: signalling and reaping our own child processes.
        unsafe {
            libc::kill(pid, libc::SIGQUIT);
            libc::waitpid(pid, std::ptr::null_mut(), 0);
        }
        let _ = std::fs::remove_dir_all(dir);
    }
}
