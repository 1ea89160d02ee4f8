//! Benchmark (not a test) of the collector's own cost: 1,000 servers (names on one throwaway
//! cluster with 10 databases) sampled every 60 s. After a warm-up that covers the start-up
//! jitter, pgmond's CPU time and resident memory are read from /proc for two minutes.
//!
//!     cargo build --release --workspace && cargo bench -p pgmon-tests --bench collector_load

use std::time::{Duration, Instant};

use pgmon_tests::daemon::{Daemon, add_settings};
use pgmon_tests::fixtures::fleet_on_one_cluster;
use pgmon_tests::measure::cpu_seconds;

const SERVERS: usize = 1_000;
const WARM_UP: Duration = Duration::from_secs(75);
const MEASURE: Duration = Duration::from_secs(120);

async fn samples(api: &pgmon_tests::http::Api) -> u64 {
    let s = api.get("/collector/status").await.body;
    s["servers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["samples"].as_u64().unwrap_or(0))
        .sum()
}

#[tokio::main]
async fn main() {
    let (_pg, _tmp, dir) = fleet_on_one_cluster(SERVERS).await;
    add_settings(&dir, "collect_interval_seconds = 60");
    let d = Daemon::binary(&dir, &[]);
    let api = d.api_as("view", "view-pass-1").await;
    tokio::time::sleep(WARM_UP).await;
    let (cpu0, samples0, start) = (cpu_seconds(d.pid()), samples(&api).await, Instant::now());
    let mut rss_max: f64 = 0.0;
    while start.elapsed() < MEASURE {
        rss_max = rss_max.max(d.rss_kib() as f64 / 1024.0);
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
    let (cpu1, samples1) = (cpu_seconds(d.pid()), samples(&api).await);
    let took = start.elapsed().as_secs_f64();
    println!(
        "collector, {SERVERS} servers every 60 s (10 databases each), {took:.0} s after a {} s warm-up:",
        WARM_UP.as_secs()
    );
    println!(
        "  samples stored {} ({:.1}/s), pgmond CPU {:.1}% of one core (target < 10%), RSS max {:.1} MiB (target < 64 MiB)",
        samples1 - samples0,
        (samples1 - samples0) as f64 / took,
        (cpu1 - cpu0) / took * 100.0,
        rss_max
    );
}
