//! Benchmark (not a test) of the web console, on the release binary:
//! (a) the fleet page over 1,000 servers (700 on one throwaway cluster, 300 that never answer),
//!     warm: pgmond's answer time from 4 clients for 20 s (p50, p99), its bytes (plain and
//!     gzip), and Chromium's DOMContentLoaded and bytes moved;
//! (b) a server's page over a year of history (10 databases sampled every 10 minutes, 52,560
//!     samples written into the store before pgmond starts): answer time of 20 requests and
//!     Chromium's load (charts are drawn by pgmond as SVG, so load is when they show).
//! Chromium is Debian's, driven by playwright-core (tests/run installs both); screenshots of
//! both pages go to `target/console-screens/`.
//!
//!     cargo build --release --workspace && cargo bench -p pgmon-tests --bench console_pages

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use pgmon_tests::daemon::Daemon;
use pgmon_tests::fixtures::seed_config;
use pgmon_tests::measure::{ms, percentile, raise_nofile};
use pgmon_tests::postgres::TestCluster;
use pgmon_tests::tarpit::ThousandServers;
use pgmon_tests::year::write_year;
use serde_json::{Value, json};

const YEAR_PAGE: &str = "/ui/server/busy?range=1y";

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_owned()
}

/// Signs in through the console's form; answers the session's cookies as `name=value`.
async fn sign_in(d: &Daemon) -> Vec<(String, String)> {
    let r = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .post(d.url("/ui/login"))
        .form(&[("username", "view"), ("password", "view-pass-1")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 303);
    r.headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok()?.split(';').next()?.split_once('='))
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect()
}

/// `clients` loops of GET `path` for `length`: sorted times and the answer's bytes.
async fn load(
    d: &Daemon,
    cookie: &str,
    path: &str,
    (clients, length): (usize, Duration),
    gzip: bool,
) -> (Vec<Duration>, usize) {
    let client = reqwest::Client::new();
    let until = Instant::now() + length;
    let workers: Vec<_> = (0..clients)
        .map(|_| {
            let (client, url, cookie) = (client.clone(), d.url(path), cookie.to_owned());
            tokio::spawn(async move {
                let (mut times, mut bytes) = (Vec::new(), 0);
                while Instant::now() < until {
                    let t = Instant::now();
                    let mut r = client.get(&url).header("cookie", &cookie);
                    if gzip {
                        r = r.header("accept-encoding", "gzip");
                    }
                    let r = r.send().await.unwrap();
                    assert_eq!(r.status().as_u16(), 200, "{url}");
                    bytes = r.bytes().await.unwrap().len();
                    times.push(t.elapsed());
                }
                (times, bytes)
            })
        })
        .collect();
    let (mut all, mut bytes) = (Vec::new(), 0);
    for w in workers {
        let (t, b) = w.await.unwrap();
        all.extend(t);
        bytes = b;
    }
    all.sort();
    (all, bytes)
}

fn summary(label: &str, (times, bytes): &(Vec<Duration>, usize)) {
    println!(
        "  {label}: {} requests, p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms, {bytes} bytes",
        times.len(),
        ms(percentile(times, 0.5)),
        ms(percentile(times, 0.99)),
        ms(*times.last().unwrap()),
    );
}

/// Chromium's timings of `pages` (name, path, screenshot file), 10 loads each.
fn chromium(d: &Daemon, cookies: &[(String, String)], pages: &[(&str, &str, &str)]) -> Value {
    let screens = repo().join("target/console-screens");
    std::fs::create_dir_all(&screens).unwrap();
    let config = json!({
        "playwright": repo().join("target/test-npm/node_modules/playwright-core"),
        "chromium": "/usr/bin/chromium",
        "base": d.url(""),
        "cookies": cookies.iter().map(|(n, v)| json!({"name": n, "value": v})).collect::<Vec<_>>(),
        "runs": 10,
        "pages": pages.iter().map(|(n, u, s)| json!({"name": n, "url": u, "screenshot": screens.join(s)})).collect::<Vec<_>>(),
    });
    let file = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(file.path(), config.to_string()).unwrap();
    let out = std::process::Command::new("node")
        .arg(repo().join("tests/console/timing.cjs"))
        .arg(file.path())
        .output()
        .expect("node runs the timing script");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

fn browser_summary(name: &str, runs: &Value) {
    let mut dcl: Vec<f64> = runs
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["dcl"].as_f64().unwrap())
        .collect();
    let mut load: Vec<f64> = runs
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["load"].as_f64().unwrap())
        .collect();
    dcl.sort_by(f64::total_cmp);
    load.sort_by(f64::total_cmp);
    println!(
        "  Chromium {name}: DOMContentLoaded p50 {:.0} ms, max {:.0} ms; load p50 {:.0} ms, max {:.0} ms; first load moved {} bytes (10 loads)",
        dcl[dcl.len() / 2],
        dcl.last().unwrap(),
        load[load.len() / 2],
        load.last().unwrap(),
        runs[0]["bytes"]
    );
}

#[tokio::main]
async fn main() {
    raise_nofile();
    let pg = TestCluster::start();
    let fleet = ThousandServers::start();
    let (_tmp, dir) = seed_config();
    fleet.write(&dir, pg.port, &[("busy", pg.port)]);
    let store = pgmond::history::HistoryStore::open(&dir).unwrap();
    let year_ago = (chrono::Utc::now().timestamp() - 365 * 86_400) / 600 * 600;
    let wrote = write_year(&store, "busy", year_ago).await;
    drop(store);
    println!(
        "a year of history for busy written in {:.1} s",
        wrote.as_secs_f64()
    );

    let d = Daemon::binary(&dir, &[]);
    let cookies = sign_in(&d).await;
    let cookie = cookies
        .iter()
        .map(|(n, v)| format!("{n}={v}"))
        .collect::<Vec<_>>()
        .join("; ");
    // Warm: every server checked once (the tarpits' checks end at their deadline).
    let viewer = d.api_as("view", "view-pass-1").await;
    let started = Instant::now();
    loop {
        let f = viewer.get("/fleet").await;
        let pending = f.body["servers"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|s| s["status"] == "pending")
            .count();
        if pending == 0 || started.elapsed() > Duration::from_secs(60) {
            break;
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
    tokio::time::sleep(Duration::from_secs(3)).await;

    println!(
        "(a) fleet page, 1,000 servers (target: p99 < 50 ms, DOMContentLoaded < 1 s, < 300 KB):"
    );
    summary(
        "GET /ui/, 4 clients, 20 s",
        &load(&d, &cookie, "/ui/", (4, Duration::from_secs(20)), false).await,
    );
    summary(
        "GET /ui/ gzip, 1 client, 5 s",
        &load(&d, &cookie, "/ui/", (1, Duration::from_secs(5)), true).await,
    );
    println!(
        "(b) server page, a year of history, 10 databases (target: charts drawn < 1 s, < 300 KB):"
    );
    summary(
        "GET /ui/server/busy?range=1y, 1 client, 10 s",
        &load(&d, &cookie, YEAR_PAGE, (1, Duration::from_secs(10)), false).await,
    );
    summary(
        "the same, gzip",
        &load(&d, &cookie, YEAR_PAGE, (1, Duration::from_secs(5)), true).await,
    );
    let timings = chromium(
        &d,
        &cookies,
        &[
            ("fleet page", "/ui/", "bench-fleet-1000-1280.png"),
            ("year page", YEAR_PAGE, "bench-server-year-1280.png"),
        ],
    );
    browser_summary("fleet page", &timings["fleet page"]);
    browser_summary("year page", &timings["year page"]);
}
