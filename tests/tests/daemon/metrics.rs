//! `/metrics` (SPEC B5) against real parts: a daemon watching a live server, a stopped one and
//! a tarpit; `promtool check metrics` on its answer; a real Prometheus (Debian's binary, on a
//! loopback port, temp storage) scraping it with the metrics token and loading the alert rules.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use pgmon_tests::daemon::{Daemon, add_local_server, add_settings, collector_entry};
use pgmon_tests::fixtures::seed_config;
use pgmon_tests::http::Api;
use pgmon_tests::net::free_port;
use pgmon_tests::postgres::TestCluster;
use pgmon_tests::tarpit::Tarpit;
use serde_json::Value;

const TOKEN: &str = "metrics-token-for-tests-0123456789abcdef";
const WAIT: Duration = Duration::from_secs(60);
const INSTALL_HINT: &str = "install the Debian package `prometheus` (prometheus and promtool)";

fn repo_file(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join(rel)
}

/// `promtool` with `args`, `stdin` piped in: (success, stdout and stderr).
fn promtool(args: &[&str], stdin: &str) -> (bool, String) {
    let mut child = Command::new("promtool")
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("running promtool: {e}; {INSTALL_HINT}"));
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

async fn scrape(d: &Daemon, auth: Option<&str>, accept: Option<&str>) -> (u16, String, String) {
    let mut r = reqwest::Client::new().get(d.url("/metrics"));
    if let Some(a) = auth {
        r = r.bearer_auth(a);
    }
    if let Some(a) = accept {
        r = r.header("accept", a);
    }
    let resp = r.send().await.unwrap();
    let status = resp.status().as_u16();
    let ctype = resp
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    (status, ctype, resp.text().await.unwrap())
}

/// The value of the sample `name{labels}` in an exposition, by exact label text.
fn sample(text: &str, series: &str) -> Option<f64> {
    text.lines()
        .find_map(|l| l.strip_prefix(series)?.strip_prefix(' ')?.parse().ok())
}

struct Prometheus {
    child: Child,
    port: u16,
    _dir: tempfile::TempDir,
}

impl Drop for Prometheus {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Prometheus {
    fn start(target_port: u16) -> Prometheus {
        let dir = tempfile::tempdir().unwrap();
        let rules = repo_file("packaging/prometheus/pgmon-alerts.yml");
        let config = format!(
            "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n\
             rule_files:\n  - {}\n\
             scrape_configs:\n  - job_name: pgmon\n    authorization:\n      credentials: {TOKEN}\n    \
             static_configs:\n      - targets: ['127.0.0.1:{target_port}']\n",
            rules.display()
        );
        let config_path = dir.path().join("prometheus.yml");
        std::fs::write(&config_path, config).unwrap();
        let port = free_port();
        let log = std::fs::File::create(dir.path().join("prometheus.log")).unwrap();
        let child = Command::new("prometheus")
            .arg(format!("--config.file={}", config_path.display()))
            .arg(format!(
                "--storage.tsdb.path={}",
                dir.path().join("data").display()
            ))
            .arg(format!("--web.listen-address=127.0.0.1:{port}"))
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .unwrap_or_else(|e| panic!("starting prometheus: {e}; {INSTALL_HINT}"));
        Prometheus {
            child,
            port,
            _dir: dir,
        }
    }

    fn log(&self) -> String {
        std::fs::read_to_string(self._dir.path().join("prometheus.log")).unwrap_or_default()
    }

    async fn get(&self, path: &str) -> Option<Value> {
        let url = format!("http://127.0.0.1:{}{path}", self.port);
        reqwest::get(url).await.ok()?.json().await.ok()
    }

    /// `pgmon_up` by server, as Prometheus has stored it.
    async fn up(&self) -> Vec<(String, String)> {
        let Some(v) = self.get("/api/v1/query?query=pgmon_up").await else {
            return Vec::new();
        };
        let mut got: Vec<(String, String)> = v["data"]["result"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|r| {
                (
                    r["metric"]["server"].as_str().unwrap_or("").to_owned(),
                    r["value"][1].as_str().unwrap_or("").to_owned(),
                )
            })
            .collect();
        got.sort();
        got
    }
}

#[tokio::test]
/// A daemon watching a live server, a stopped one and a tarpit: its scrape passes
/// `promtool check metrics`, says up 1 / 0 / 0, carries the live server's databases with the
/// server's own counter totals, needs a token, and speaks OpenMetrics when asked. A real
/// Prometheus scrapes it with the metrics token, stores `pgmon_up` as 1 for the live server and
/// 0 for the stopped one, and loads the alert rules.
async fn prometheus_scrapes_the_fleet() {
    let live = TestCluster::shared();
    live.create_database("metrics_db").await;
    let work = live.client("metrics_db").await;
    for _ in 0..5 {
        work.batch_execute("SELECT 1").await.unwrap();
    }
    drop(work);
    let mut stopped = TestCluster::start();
    let stopped_port = stopped.port;
    stopped.stop();
    let tarpit = Tarpit::start();

    let (_tmp, dir) = seed_config();
    let open_port = free_port();
    add_settings(
        &dir,
        &format!(
            "collect_interval_seconds = 1\nsize_interval_seconds = 1\nmetrics_token = \"{TOKEN}\"\n\
             metrics_listen = \"127.0.0.1:{open_port}\""
        ),
    );
    add_local_server(&dir, "live", live.port, None);
    add_local_server(&dir, "stopped", stopped_port, None);
    add_local_server(&dir, "tarpit", tarpit.port, None);
    let d = Daemon::binary(&dir, &[]);
    let view = d.api_as("view", "view-pass-1").await;
    view.get_until("/collector/status", WAIT, "a sample of every server", |s| {
        ["live", "stopped", "tarpit"]
            .iter()
            .all(|n| collector_entry(s, n)["samples"].as_u64() > Some(0))
    })
    .await;

    let db = "{server=\"live\",datname=\"metrics_db\"}";
    let commits_of = |text: &str| sample(text, &format!("pgmon_database_xact_commit_total{db}"));
    // Statistics reach pg_stat_database a moment after the sessions end.
    let started = std::time::Instant::now();
    let (status, ctype, text) = loop {
        let got = scrape(&d, Some(TOKEN), None).await;
        if commits_of(&got.2) > Some(0.0) || started.elapsed() > WAIT {
            break got;
        }
        tokio::time::sleep(Duration::from_millis(300)).await;
    };
    assert_eq!(status, 200, "{text}");
    assert!(ctype.starts_with("text/plain; version=0.0.4"), "{ctype}");
    let (ok, said) = promtool(&["check", "metrics"], &text);
    assert!(ok, "promtool check metrics: {said}\n{text}");
    assert_eq!(
        sample(&text, "pgmon_up{server=\"live\"}"),
        Some(1.0),
        "{text}"
    );
    assert_eq!(sample(&text, "pgmon_up{server=\"stopped\"}"), Some(0.0));
    assert_eq!(sample(&text, "pgmon_up{server=\"tarpit\"}"), Some(0.0));
    assert!(
        text.contains("pgmon_server_info{server=\"tarpit\",host=\"127.0.0.1\""),
        "{text}"
    );
    assert!(sample(&text, &format!("pgmon_database_size_bytes{db}")).unwrap() > 1e6);
    let commits = commits_of(&text).unwrap();
    let server_commits: i64 = live
        .client("postgres")
        .await
        .query_one(
            "SELECT xact_commit FROM pg_stat_database WHERE datname = 'metrics_db'",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    // The server's own total (not an increase), at most what it says now.
    assert!(
        commits > 0.0 && commits <= server_commits as f64,
        "{commits} vs {server_commits}"
    );
    assert!(
        text.contains(
            "pgmon_http_requests_total{route=\"/collector/status\",method=\"GET\",status=\"200\"}"
        ),
        "{text}"
    );
    assert!(
        !text.contains("route=\"/server/"),
        "a path, not a template, as a label"
    );

    assert_eq!(scrape(&d, None, None).await.0, 401);
    assert_eq!(scrape(&d, Some("not-the-token"), None).await.0, 401);
    let viewer = Api::new(&d.url("")).token("view", "view-pass-1").await;
    assert_eq!(scrape(&d, Some(&viewer), None).await.0, 200);
    let (_, ctype, om) = scrape(
        &d,
        Some(TOKEN),
        Some("application/openmetrics-text;version=1.0.0,text/plain;q=0.5"),
    )
    .await;
    assert!(ctype.starts_with("application/openmetrics-text"), "{ctype}");
    assert!(om.ends_with("# EOF\n"));
    // `metrics_listen`: /metrics without a token, and nothing else.
    let open = |path: &str| format!("http://127.0.0.1:{open_port}{path}");
    let r = reqwest::get(open("/metrics")).await.unwrap();
    assert_eq!(r.status(), 200);
    assert!(
        r.text()
            .await
            .unwrap()
            .contains("pgmon_up{server=\"live\"} 1")
    );
    assert_eq!(reqwest::get(open("/servers")).await.unwrap().status(), 404);

    let via_socket = d.pgmonctl_socket(&["metrics"], "");
    let table = String::from_utf8_lossy(&via_socket.stdout);
    assert!(
        via_socket.status.success(),
        "{}",
        String::from_utf8_lossy(&via_socket.stderr)
    );
    assert!(
        table.contains("pgmon_up") && table.contains("server=live"),
        "{table}"
    );

    // Every series the alert rules and the dashboard name is one pgmond serves.
    let rules =
        std::fs::read_to_string(repo_file("packaging/prometheus/pgmon-alerts.yml")).unwrap();
    let dashboard =
        std::fs::read_to_string(repo_file("packaging/grafana/pgmon-dashboard.json")).unwrap();
    serde_json::from_str::<Value>(&dashboard).expect("the dashboard is JSON");
    for name in names_in(&rules).into_iter().chain(names_in(&dashboard)) {
        let served = name.strip_suffix("_bucket").unwrap_or(&name);
        assert!(
            text.contains(&format!("# TYPE {served} ")),
            "{name} is not served"
        );
    }
    let (ok, said) = promtool(
        &[
            "check",
            "rules",
            &repo_file("packaging/prometheus/pgmon-alerts.yml")
                .display()
                .to_string(),
        ],
        "",
    );
    assert!(ok, "{said}");

    let prometheus = Prometheus::start(d.port);
    let want = [
        ("live".to_owned(), "1".to_owned()),
        ("stopped".to_owned(), "0".to_owned()),
    ];
    let started = std::time::Instant::now();
    loop {
        let up = prometheus.up().await;
        if want.iter().all(|w| up.contains(w)) {
            break;
        }
        assert!(
            started.elapsed() < WAIT,
            "Prometheus never stored pgmon_up: {up:?}\n{}",
            prometheus.log()
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    let targets = prometheus.get("/api/v1/targets").await.unwrap();
    assert_eq!(
        targets["data"]["activeTargets"][0]["health"], "up",
        "{targets}"
    );
    let rules = prometheus.get("/api/v1/rules").await.unwrap();
    let loaded: Vec<&str> = rules["data"]["groups"][0]["rules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["name"].as_str().unwrap())
        .collect();
    assert!(loaded.contains(&"PostgresDown"), "{rules}");
    assert!(loaded.len() >= 8, "{rules}");
    drop(tarpit);
}

/// The `pgmon_*` series names a rules file or dashboard mentions.
fn names_in(text: &str) -> Vec<String> {
    let mut names: Vec<String> = text
        .match_indices("pgmon_")
        .map(|(i, _)| {
            text[i..]
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect()
        })
        .filter(|n: &String| n != "pgmon_")
        .collect();
    names.sort();
    names.dedup();
    names
}
