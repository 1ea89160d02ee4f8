//! What receives pgmon's alerts in the tests: a webhook receiver of the harness's own (it can
//! be stopped and brought back on the same port), a real SMTP server (aiosmtpd, from the test
//! venv) and a real Alertmanager (Debian's `prometheus-alertmanager`), each on loopback.

use std::collections::HashMap;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use serde_json::Value;

use crate::net::{free_port, wait_until};

/// The hex HMAC-SHA256 of `body` under `key`, as a receiver checks a signature.
pub fn hmac_hex(key: &str, body: &[u8]) -> String {
    use hmac::{Hmac, Mac};
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(key.as_bytes()).unwrap();
    mac.update(body);
    mac.finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// One request the webhook receiver took.
#[derive(Clone, Debug)]
pub struct Received {
    /// Header names in lower case.
    pub headers: HashMap<String, String>,
    pub raw: Vec<u8>,
    pub body: Value,
}

pub struct WebhookSink {
    pub port: u16,
    received: Arc<Mutex<Vec<Received>>>,
    running: Option<(tokio::sync::oneshot::Sender<()>, JoinHandle<()>)>,
}

impl WebhookSink {
    pub fn start() -> WebhookSink {
        let mut sink = WebhookSink {
            port: free_port(),
            received: Arc::default(),
            running: None,
        };
        sink.resume();
        sink
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}/hook", self.port)
    }

    /// Listens (again) on its port.
    pub fn resume(&mut self) {
        assert!(self.running.is_none(), "the receiver already runs");
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let (bound, bind) = std::sync::mpsc::channel();
        let (port, received) = (self.port, Arc::clone(&self.received));
        let thread = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            runtime.block_on(async move {
                let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await;
                let ok = listener.is_ok();
                bound.send(ok).unwrap();
                let Ok(listener) = listener else { return };
                let app = axum::Router::new().fallback(move |request: axum::extract::Request| {
                    let received = Arc::clone(&received);
                    async move {
                        let headers = request
                            .headers()
                            .iter()
                            .map(|(k, v)| {
                                (k.as_str().to_owned(), v.to_str().unwrap_or("").to_owned())
                            })
                            .collect();
                        let raw = axum::body::to_bytes(request.into_body(), 1 << 20)
                            .await
                            .unwrap_or_default()
                            .to_vec();
                        let body = serde_json::from_slice(&raw).unwrap_or(Value::Null);
                        received
                            .lock()
                            .unwrap()
                            .push(Received { headers, raw, body });
                        "ok"
                    }
                });
                tokio::select! {
                    _ = axum::serve(listener, app) => {}
                    _ = stopped => {}
                }
            });
            // Dropping the runtime closes every connection, kept-alive ones too.
            drop(runtime);
        });
        assert!(
            bind.recv().unwrap(),
            "the webhook receiver could not bind port {port}"
        );
        self.running = Some((stop, thread));
    }

    /// Stops listening: pgmond's requests are refused until `resume`.
    pub fn stop(&mut self) {
        if let Some((stop, thread)) = self.running.take() {
            let _ = stop.send(());
            thread.join().unwrap();
        }
    }

    pub fn received(&self) -> Vec<Received> {
        self.received.lock().unwrap().clone()
    }

    /// Waits until a request satisfies `done`, and returns it.
    pub async fn wait_for(
        &self,
        within: Duration,
        what: &str,
        done: impl Fn(&Received) -> bool,
    ) -> Received {
        let start = std::time::Instant::now();
        loop {
            if let Some(r) = self.received().into_iter().find(|r| done(r)) {
                return r;
            }
            assert!(
                start.elapsed() < within,
                "{what} did not reach the webhook within {within:?}; it got {:#?}",
                self.received().iter().map(|r| &r.body).collect::<Vec<_>>()
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

impl Drop for WebhookSink {
    fn drop(&mut self) {
        self.stop();
    }
}

const VENV_HINT: &str =
    "run the tests with `tests/run`, which installs aiosmtpd into target/test-venv";

/// A real SMTP server (aiosmtpd) keeping each message in a Maildir.
pub struct SmtpSink {
    pub port: u16,
    child: Child,
    _dir: tempfile::TempDir,
    maildir: PathBuf,
}

impl SmtpSink {
    pub fn start() -> SmtpSink {
        let dir = tempfile::Builder::new()
            .prefix("pgmon-smtp-")
            .tempdir()
            .unwrap();
        let maildir = dir.path().join("mail");
        let port = free_port();
        let child = Command::new("python3")
            .args(["-m", "aiosmtpd", "-n", "-l"])
            .arg(format!("127.0.0.1:{port}"))
            .args(["-c", "aiosmtpd.handlers.Mailbox"])
            .arg(&maildir)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("starting aiosmtpd: {e}; {VENV_HINT}"));
        crate::cleanup::at_exit(child.id(), dir.path().to_owned());
        let mut sink = SmtpSink {
            port,
            child,
            _dir: dir,
            maildir,
        };
        wait_until(
            Duration::from_secs(20),
            Duration::from_millis(100),
            "aiosmtpd listening",
            || {
                if let Ok(Some(status)) = sink.child.try_wait() {
                    panic!("aiosmtpd exited ({status}); {VENV_HINT}");
                }
                crate::net::read_banner(port).is_some_and(|b| b.starts_with("220"))
            },
            String::new,
        );
        sink
    }

    /// Every message received, as text.
    pub fn messages(&self) -> Vec<String> {
        let Ok(entries) = std::fs::read_dir(self.maildir.join("new")) else {
            return Vec::new();
        };
        let mut files: Vec<_> = entries.flatten().map(|e| e.path()).collect();
        files.sort();
        files
            .iter()
            .filter_map(|p| std::fs::read_to_string(p).ok())
            .collect()
    }
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A real Alertmanager with one receiver that sends nowhere; its API is read back.
pub struct Alertmanager {
    pub port: u16,
    child: Child,
    _dir: tempfile::TempDir,
}

impl Alertmanager {
    pub fn start() -> Alertmanager {
        let dir = tempfile::Builder::new()
            .prefix("pgmon-alertmanager-")
            .tempdir()
            .unwrap();
        let config = dir.path().join("alertmanager.yml");
        std::fs::write(
            &config,
            "route:\n  receiver: nowhere\n  group_wait: 1s\nreceivers:\n  - name: nowhere\n",
        )
        .unwrap();
        let port = free_port();
        let child = Command::new("prometheus-alertmanager")
            .arg(format!("--config.file={}", config.display()))
            .arg(format!("--storage.path={}", dir.path().join("data").display()))
            .arg(format!("--web.listen-address=127.0.0.1:{port}"))
            .arg("--cluster.listen-address=")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| {
                panic!("starting prometheus-alertmanager: {e}; apt-get install prometheus-alertmanager (tests/run does)")
            });
        crate::cleanup::at_exit(child.id(), dir.path().to_owned());
        let am = Alertmanager {
            port,
            child,
            _dir: dir,
        };
        wait_until(
            Duration::from_secs(30),
            Duration::from_millis(100),
            "Alertmanager listening",
            || crate::net::is_listening(port),
            String::new,
        );
        am
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// `GET /api/v2/alerts` (active ones, and with `all`, resolved and silenced too).
    pub async fn alerts(&self) -> Vec<Value> {
        let url = format!("{}/api/v2/alerts", self.url());
        let answer: Value = reqwest::get(url).await.unwrap().json().await.unwrap();
        answer.as_array().cloned().unwrap_or_default()
    }
}

impl Drop for Alertmanager {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
