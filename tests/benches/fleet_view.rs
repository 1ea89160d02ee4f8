//! Benchmark (not a test) of the fleet view from memory:
//! (a) cached `GET /servers` with one server beside `/api/health`, driven by wrk (2 threads,
//!     64 keep-alive connections, 10 s each; Debian package `wrk`);
//! (b) warm `GET /servers` over 1,000 servers, 300 of which never answer (tarpits: TCP
//!     accepted, not a byte back) and 700 names on one throwaway cluster: latency of 20 s of
//!     requests from 8 clients.
//!
//!     cargo build --release --workspace && cargo bench -p pgmon-tests --bench fleet_view

use std::process::Command;
use std::time::{Duration, Instant};

use pgmon_tests::daemon::Daemon;
use pgmon_tests::fixtures::{seed_config, write_servers};
use pgmon_tests::measure::percentile;
use pgmon_tests::postgres::TestCluster;
use pgmon_tests::tarpit::ThousandServers;

/// The servers, all at 127.0.0.1.
fn add_servers(dir: &std::path::Path, servers: impl Iterator<Item = (String, u16)>) {
    write_servers(dir, servers.map(|(n, p)| (n, "127.0.0.1".to_owned(), p)));
}

/// wrk's requests per second and latency line for `path`.
fn wrk(url: &str, token: Option<&str>) -> String {
    let mut cmd = Command::new("wrk");
    cmd.args(["-t2", "-c64", "-d10s", "--latency"]);
    if let Some(t) = token {
        cmd.args(["-H", &format!("Authorization: Bearer {t}")]);
    }
    let out = cmd
        .arg(url)
        .output()
        .expect("wrk (Debian package wrk) drives the load");
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let pick = |prefix: &str| {
        text.lines()
            .find(|l| l.trim_start().starts_with(prefix))
            .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
            .unwrap_or_else(|| format!("(no {prefix} in wrk output: {text})"))
    };
    format!("{}, {}, {}", pick("Requests/sec"), pick("50%"), pick("99%"))
}

#[tokio::main]
async fn main() {
    // The tarpits hold every connection they accept.
    pgmon_tests::measure::raise_nofile();
    let pg = TestCluster::start();

    let (_tmp, dir) = seed_config();
    add_servers(&dir, std::iter::once(("one".to_owned(), pg.port)));
    let d = Daemon::binary(&dir, &[]);
    let token = d.api().token("view", "view-pass-1").await;
    let api = d.api().with_token(&token);
    assert_eq!(api.get("/servers").await.status, 200);
    println!("(a) one server, wrk -t2 -c64 -d10s:");
    println!("  GET /api/health: {}", wrk(&d.url("/api/health"), None));
    println!(
        "  GET /servers:    {}",
        wrk(&d.url("/servers"), Some(&token))
    );
    drop(d);

    let fleet = ThousandServers::start();
    let (_tmp, dir) = seed_config();
    fleet.write(&dir, pg.port, &[]);
    let d = Daemon::binary(&dir, &[]);
    let api = d.api_as("view", "view-pass-1").await;
    let cold = Instant::now();
    let first = api.get("/servers").await;
    assert_eq!(first.status, 200);
    let servers = first.body.as_array().unwrap();
    let down = servers.iter().filter(|s| s["status"] != "ok").count();
    println!(
        "(b) {} servers ({down} not ok): cold list {:.1} s",
        servers.len(),
        cold.elapsed().as_secs_f64()
    );
    tokio::time::sleep(Duration::from_secs(3)).await;
    for clients in [1, 8] {
        warm(&d, clients).await;
    }
}

/// `clients` loops of `GET /servers` for 20 s; prints the latency percentiles.
async fn warm(d: &Daemon, clients: usize) {
    // The answers are read, not parsed: parsing 1,000 status objects 8 times over would take
    // the cores this measures.
    let (client, url) = (reqwest::Client::new(), d.url("/servers"));
    let token = d.api().token("view", "view-pass-1").await;
    let until = Instant::now() + Duration::from_secs(20);
    let workers: Vec<_> = (0..clients)
        .map(|_| {
            let (client, url, token) = (client.clone(), url.clone(), token.clone());
            tokio::spawn(async move {
                let mut times = Vec::new();
                while Instant::now() < until {
                    let t = Instant::now();
                    let r = client.get(&url).bearer_auth(&token).send().await.unwrap();
                    assert_eq!(r.status().as_u16(), 200);
                    r.bytes().await.unwrap();
                    times.push(t.elapsed());
                }
                times
            })
        })
        .collect();
    let mut all = Vec::new();
    for w in workers {
        all.extend(w.await.unwrap());
    }
    all.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!(
        "  warm GET /servers, {clients} clients, 20 s: {} requests, p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms (target p99 < 50 ms)",
        all.len(),
        ms(percentile(&all, 0.5)),
        ms(percentile(&all, 0.99)),
        ms(*all.last().unwrap())
    );
}
