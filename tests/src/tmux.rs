//! A terminal program driven as a person would: run in a detached tmux session of its own
//! server (its own `-L` socket, so tests never meet), keys sent with `send-keys`, the screen
//! read with `capture-pane`.

use std::process::{Command, Output};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

const INSTALL_HINT: &str = "install the Debian package `tmux`";

pub struct Tmux {
    server: String,
}

impl Tmux {
    /// Runs `program` with `args` and `env` in a 200x40 terminal.
    pub fn start(program: &std::path::Path, args: &[&str], env: &[(&str, &str)]) -> Tmux {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let server = format!(
            "pgmon-test-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        );
        let tmux = Tmux { server };
        // The pane stays after the program ends, so its last screen can still be read.
        let mut cmd = vec!["set-option", "-g", "remain-on-exit", "on", ";"];
        cmd.extend(["new-session", "-d", "-x", "200", "-y", "40"]);
        let pairs: Vec<String> = env.iter().map(|(k, v)| format!("{k}={v}")).collect();
        for pair in &pairs {
            cmd.extend(["-e", pair]);
        }
        cmd.push(program.to_str().unwrap());
        cmd.extend(args);
        tmux.run(&cmd);
        tmux
    }

    fn run(&self, args: &[&str]) -> Output {
        let out = Command::new("tmux")
            .args(["-L", &self.server, "-f", "/dev/null"])
            .args(args)
            .env_remove("TMUX")
            .output()
            .unwrap_or_else(|e| panic!("running tmux: {e}; {INSTALL_HINT}"));
        assert!(
            out.status.success(),
            "tmux {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        out
    }

    /// Sends keys as tmux names them (`Enter`, `Escape`, `q`); `literal` text is typed as is.
    pub fn keys(&self, keys: &[&str]) {
        let mut args = vec!["send-keys", "-t", "0"];
        args.extend(keys);
        self.run(&args);
    }

    pub fn literal(&self, text: &str) {
        self.run(&["send-keys", "-t", "0", "-l", text]);
    }

    pub fn screen(&self) -> String {
        String::from_utf8_lossy(&self.run(&["capture-pane", "-p", "-t", "0"]).stdout).into_owned()
    }

    /// The screen once `ok` holds of it, within 15 s (else a panic showing the screen).
    pub fn wait_for(&self, what: &str, ok: impl Fn(&str) -> bool) -> String {
        let start = Instant::now();
        loop {
            let screen = self.screen();
            if ok(&screen) {
                return screen;
            }
            assert!(
                start.elapsed() < Duration::from_secs(15),
                "{what}; the screen:\n{screen}"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Whether the program in the pane has ended.
    pub fn ended(&self) -> bool {
        let out = self.run(&["display-message", "-p", "-t", "0", "#{pane_dead}"]);
        String::from_utf8_lossy(&out.stdout).trim() == "1"
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = Command::new("tmux")
            .args(["-L", &self.server, "kill-server"])
            .output();
    }
}
