//! Benchmark (not a test) of a cold start (issue 24):
//! (a) 1,000 servers whose names never resolve: pgmond asks a name server on loopback that
//!     reads every query and never answers (a broken resolver; `dns_servers` in pgmond.toml):
//!     threads 5 s after start, the first `GET /servers`, peak RSS;
//! (b) 700 names on one throwaway cluster and 300 tarpits (TCP accepted, not a byte back):
//!     the first `GET /servers` and its statuses, then `wrk -t2 -c16 -d10s` on the list
//!     (Debian package `wrk`): requests a second and peak RSS.
//!
//!     cargo build --release --workspace && cargo bench -p pgmon-tests --bench cold_start

use std::process::Command;
use std::time::{Duration, Instant};

use pgmon_tests::daemon::{Daemon, add_settings};
use pgmon_tests::fixtures::{seed_config, write_servers};
use pgmon_tests::postgres::TestCluster;
use pgmon_tests::tarpit::Tarpit;
use serde_json::Value;

const SERVERS: usize = 1_000;

/// A UDP name server on loopback that never answers; its port.
fn black_hole_dns() -> u16 {
    let socket = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    let port = socket.local_addr().unwrap().port();
    std::thread::spawn(move || {
        let mut buf = [0; 1500];
        while socket.recv_from(&mut buf).is_ok() {}
    });
    port
}

/// The first list: how long it took, and how many servers it showed with each status.
async fn first_list(d: &Daemon) -> (f64, Vec<(String, usize)>) {
    let api = d.api_as("view", "view-pass-1").await;
    let started = Instant::now();
    let a = api.get("/servers").await;
    let took = started.elapsed().as_secs_f64();
    assert_eq!(a.status, 200);
    let mut counts: Vec<(String, usize)> = Vec::new();
    for s in a.body.as_array().unwrap() {
        let status = s["status"].as_str().unwrap_or_default();
        // The kind, not each server's own words.
        let kind = status.split(" (").next().unwrap_or(status).to_owned();
        match counts.iter_mut().find(|(k, _)| *k == kind) {
            Some((_, n)) => *n += 1,
            None => counts.push((kind, 1)),
        }
    }
    (took, counts)
}

fn wrk(url: &str, token: &str) -> String {
    let out = Command::new("wrk")
        .args(["-t2", "-c16", "-d10s", "--latency"])
        .args(["-H", &format!("Authorization: Bearer {token}")])
        .arg(url)
        .output()
        .expect("wrk (Debian package wrk) drives the load");
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    text.lines()
        .filter(|l| {
            let l = l.trim_start();
            l.starts_with("Requests/sec") || l.starts_with("Transfer/sec") || l.starts_with("99%")
        })
        .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
        .collect::<Vec<_>>()
        .join(", ")
}

#[tokio::main]
async fn main() {
    pgmon_tests::measure::raise_nofile();

    let dns = black_hole_dns();
    let (_tmp, dir) = seed_config();
    add_settings(&dir, &format!("dns_servers = [\"127.0.0.1:{dns}\"]"));
    write_servers(
        &dir,
        (0..SERVERS).map(|i| {
            (
                format!("db-{i:04}"),
                format!("db-{i:04}.fleet.example"),
                5432,
            )
        }),
    );
    let started = Instant::now();
    let d = Daemon::binary(&dir, &[]);
    tokio::time::sleep(Duration::from_secs(5).saturating_sub(started.elapsed())).await;
    let threads = d.proc_status("Threads");
    let (took, counts) = first_list(&d).await;
    tokio::time::sleep(Duration::from_secs(20)).await;
    println!(
        "(a) {SERVERS} names that never resolve (a name server that never answers):\n  \
         threads 5 s after start {threads} (target < 100); first GET /servers {took:.1} s \
         (target <= 8 s): {counts:?}; peak RSS {:.1} MiB after 25 s (target < 64 MiB)",
        d.proc_status("VmHWM") as f64 / 1024.0
    );
    drop(d);

    let pg = TestCluster::start();
    let tarpits: Vec<Tarpit> = (0..30).map(|_| Tarpit::start()).collect();
    let (_tmp, dir) = seed_config();
    let live = (0..700).map(|i| (format!("live-{i:03}"), "127.0.0.1".to_owned(), pg.port));
    let dead = tarpits.iter().enumerate().flat_map(|(t, tp)| {
        (0..10).map(move |i| (format!("never-{t:02}-{i}"), "127.0.0.1".to_owned(), tp.port))
    });
    write_servers(&dir, live.chain(dead));
    let d = Daemon::binary(&dir, &[]);
    let (took, counts) = first_list(&d).await;
    println!(
        "(b) 700 live + 300 hanging: first GET /servers {took:.1} s (target <= 8 s): {counts:?}"
    );
    tokio::time::sleep(Duration::from_secs(8)).await;
    let token = d.api().token("view", "view-pass-1").await;
    let again: Value = d.api().with_token(&token).get("/servers").await.body;
    let ok = again
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["status"] == "ok")
        .count();
    println!("  warm: {ok} ok of {}", again.as_array().unwrap().len());
    println!(
        "  wrk -t2 -c16 -d10s GET /servers: {}; peak RSS {:.1} MiB (targets 2,000 req/s, < 64 MiB)",
        wrk(&d.url("/servers"), &token),
        d.proc_status("VmHWM") as f64 / 1024.0
    );
}
