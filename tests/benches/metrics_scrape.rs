//! Benchmark (not a test) of `/metrics` over a large fleet: 1,000 servers (names on one
//! throwaway cluster with 10 databases) sampled once, then scraped 30 times. The cluster logs
//! every statement with its application name, so the statements pgmon sent while scraping are
//! counted from the server's own log (there must be none).
//!
//!     cargo build --release --workspace && cargo bench -p pgmon-tests --bench metrics_scrape

use std::time::{Duration, Instant};

use pgmon_tests::daemon::{Daemon, add_settings};
use pgmon_tests::fixtures::fleet_on_one_cluster;
use pgmon_tests::postgres::TestCluster;

const SERVERS: usize = 1_000;
const SCRAPES: usize = 30;
const TOKEN: &str = "bench-metrics-token-0123456789abcdef0123";

/// Statements the server logged for pgmon's sessions (`log_line_prefix = '%a '`).
fn pgmon_statements(pg: &TestCluster) -> usize {
    let log = pg.data_dir().parent().unwrap().join("postgres.log");
    std::fs::read_to_string(log)
        .unwrap_or_default()
        .lines()
        .filter(|l| l.starts_with("pgmon ") && l.contains("statement: "))
        .count()
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

#[tokio::main]
async fn main() {
    let (pg, _tmp, dir) = fleet_on_one_cluster(SERVERS).await;
    let admin = pg.client("postgres").await;
    for sql in [
        "ALTER SYSTEM SET log_statement = 'all'",
        "ALTER SYSTEM SET log_line_prefix = '%a '",
        "SELECT pg_reload_conf()",
    ] {
        admin.batch_execute(sql).await.unwrap();
    }
    drop(admin);
    // One sample of each server within the first minute (the start-up jitter), then none for
    // an hour.
    add_settings(
        &dir,
        &format!(
            "collect_interval_seconds = 3600\nlegacy_import = false\nmetrics_token = \"{TOKEN}\""
        ),
    );
    let d = Daemon::binary(&dir, &[]);
    let api = d.api_as("view", "view-pass-1").await;
    let started = Instant::now();
    loop {
        let s = api.get("/collector/status").await.body;
        let sampled = s["servers"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["samples"].as_u64() > Some(0))
            .count();
        if sampled == SERVERS {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(180),
            "{sampled} sampled"
        );
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
    // Let the last samples' statements reach the log.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let before = pgmon_statements(&pg);

    let client = reqwest::Client::new();
    let scrape = || async {
        let r = client.get(d.url("/metrics")).bearer_auth(TOKEN).send();
        r.await.unwrap().text().await.unwrap()
    };
    let mut times = Vec::with_capacity(SCRAPES);
    let mut bytes = 0;
    let mut lines = 0;
    for _ in 0..SCRAPES {
        let t = Instant::now();
        let body = scrape().await;
        times.push(t.elapsed().as_secs_f64() * 1000.0);
        bytes = body.len();
        lines = body.lines().filter(|l| !l.starts_with('#')).count();
    }
    tokio::time::sleep(Duration::from_secs(2)).await;
    let sent = pgmon_statements(&pg) - before;
    // pgmond's own view of the same requests: time to build the answer.
    let own = scrape().await;
    let value = |series: &str| -> f64 {
        own.lines()
            .find_map(|l| l.strip_prefix(series)?.trim().parse().ok())
            .unwrap()
    };
    let route = "{route=\"/metrics\"}";
    let server_mean = value(&format!("pgmon_http_request_duration_seconds_sum{route}"))
        / value(&format!("pgmon_http_request_duration_seconds_count{route}"))
        * 1000.0;
    times.sort_by(f64::total_cmp);
    println!(
        "/metrics, {SERVERS} servers x 10 databases: {lines} samples, {:.1} MB, {SCRAPES} scrapes",
        bytes as f64 / 1e6
    );
    println!(
        "  round trip: p50 {:.1} ms, p95 {:.1} ms, max {:.1} ms (target: renders in < 50 ms)",
        percentile(&times, 0.5),
        percentile(&times, 0.95),
        times[times.len() - 1]
    );
    println!("  pgmond's answer time (its own histogram): mean {server_mean:.1} ms");
    println!("  statements pgmon sent to the cluster while scraping: {sent} (target 0)");
}
