//! Benchmark (not a test): `GET /servers` over 50 servers, 40 live (one throwaway cluster under
//! 40 names) and 10 tarpits that accept TCP and never answer, while a prober measures
//! `/api/health` latency. Prints the sweep wall times and health percentiles.
//!
//!     cargo build --release --workspace && cargo bench -p pgmon-tests --bench servers_sweep

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use pgmon_common::ConfigDir;
use pgmon_common::servers::ServerInput;
use pgmon_tests::daemon::Daemon;
use pgmon_tests::fixtures::seed_config;
use pgmon_tests::http::Api;
use pgmon_tests::measure::percentile;
use pgmon_tests::postgres::TestCluster;
use pgmon_tests::tarpit::Tarpit;

const LIVE: usize = 40;
const TARPITS: usize = 10;

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

#[tokio::main]
async fn main() {
    let pg = TestCluster::start();
    let tarpits: Vec<Tarpit> = (0..TARPITS).map(|_| Tarpit::start()).collect();
    let (_tmp, dir) = seed_config();
    std::fs::write(dir.join("servers.json"), "[]").unwrap();
    let cfg = ConfigDir::open(&dir).unwrap();
    let endpoints = (0..LIVE).map(|i| (format!("live-{i:02}"), pg.port)).chain(
        tarpits
            .iter()
            .enumerate()
            .map(|(i, t)| (format!("tarpit-{i:02}"), t.port)),
    );
    for (name, port) in endpoints {
        cfg.create_server(
            ServerInput {
                name,
                host: "127.0.0.1".into(),
                user: "postgres".into(),
                port,
                ..ServerInput::default()
            },
            usize::MAX,
        )
        .unwrap();
    }
    let d = Daemon::binary(&dir, &[]);
    let api = d.api_as("admin", "admin-pass-1").await;

    let stop = Arc::new(AtomicBool::new(false));
    let prober = {
        let (health, stop) = (Api::new(&d.url("")), Arc::clone(&stop));
        tokio::spawn(async move {
            let mut samples = Vec::new();
            while !stop.load(Ordering::Relaxed) {
                let t = Instant::now();
                assert_eq!(health.get("/api/health").await.status, 200);
                samples.push(t.elapsed());
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
            samples
        })
    };

    println!("GET /servers over {LIVE} live servers and {TARPITS} tarpits (connect timeout 5 s)");
    for (label, pause) in [
        ("cold (pools created)", 0),
        ("warm pools, status cache expired", 6),
        ("again, cache expired", 6),
    ] {
        tokio::time::sleep(Duration::from_secs(pause)).await;
        let t = Instant::now();
        let a = api.get("/servers").await;
        let took = t.elapsed();
        let list = a.body.as_array().expect("server list");
        let ok = list.iter().filter(|s| s["status"] == "ok").count();
        let timeouts = list
            .iter()
            .filter(|s| s["status"] == "PostgreSQL: operation timeout")
            .count();
        println!(
            "  sweep {label:<34} {:>9}   ok {ok:>2}, timeout {timeouts:>2}",
            ms(took)
        );
    }
    let t = Instant::now();
    api.get("/servers").await;
    println!(
        "  sweep {:<34} {:>9}   (live servers from the 5 s cache)",
        "right after",
        ms(t.elapsed())
    );

    stop.store(true, Ordering::Relaxed);
    let mut samples = prober.await.unwrap();
    samples.sort();
    println!(
        "/api/health during the sweeps: {} samples, p50 {}, p99 {}, max {}",
        samples.len(),
        ms(percentile(&samples, 0.5)),
        ms(percentile(&samples, 0.99)),
        ms(*samples.last().unwrap())
    );
}
