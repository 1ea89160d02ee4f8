//! A password-guessing flood against pgmond, measured (not a test): 64 clients post wrong
//! passwords to `/token` for 10 s from one address while a prober times `/api/health` every
//! 10 ms and, 3 s in, another user logs in from another loopback address. Prints how the
//! guesses were answered, health latency, and how long the real login took.
//!
//!     cargo build --release --workspace && cargo bench -p pgmon-tests --bench login_flood

use std::net::IpAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use pgmon_tests::daemon::Daemon;
use pgmon_tests::fixtures::seed_config;

const CLIENTS: usize = 64;
const LENGTH: Duration = Duration::from_secs(10);

fn client_from(source: &str) -> reqwest::Client {
    reqwest::Client::builder()
        .local_address(source.parse::<IpAddr>().unwrap())
        .build()
        .unwrap()
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1000.0)
}

#[tokio::main]
async fn main() {
    let (_tmp, dir) = seed_config();
    let d = Daemon::binary(&dir, &[]);
    let token_url = d.url("/token");
    let stop = Arc::new(AtomicBool::new(false));

    let guessers: Vec<_> = (0..CLIENTS)
        .map(|i| {
            let (client, url) = (client_from("127.0.0.1"), token_url.clone());
            tokio::spawn(async move {
                let mut by_status = std::collections::BTreeMap::<u16, usize>::new();
                let start = Instant::now();
                let mut n = 0;
                while start.elapsed() < LENGTH {
                    n += 1;
                    let guess = format!("guess-{i}-{n}");
                    let r = client
                        .post(&url)
                        .form(&[("username", "admin"), ("password", guess.as_str())])
                        .send()
                        .await
                        .expect("request failed");
                    *by_status.entry(r.status().as_u16()).or_default() += 1;
                }
                by_status
            })
        })
        .collect();

    let prober = {
        let (client, url, stop) = (
            client_from("127.0.0.1"),
            d.url("/api/health"),
            Arc::clone(&stop),
        );
        tokio::spawn(async move {
            let mut samples = Vec::new();
            while !stop.load(Ordering::Relaxed) {
                let t = Instant::now();
                let r = client.get(&url).send().await.expect("health failed");
                assert!(r.status().is_success());
                r.bytes().await.unwrap();
                samples.push(t.elapsed());
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
            samples
        })
    };

    tokio::time::sleep(Duration::from_secs(3)).await;
    let legit = client_from("127.0.0.2");
    let t = Instant::now();
    let r = legit
        .post(&token_url)
        .form(&[("username", "view"), ("password", "view-pass-1")])
        .send()
        .await
        .unwrap();
    let legit_time = t.elapsed();
    let legit_status = r.status().as_u16();

    let mut totals = std::collections::BTreeMap::<u16, usize>::new();
    for g in guessers {
        for (status, n) in g.await.unwrap() {
            *totals.entry(status).or_default() += n;
        }
    }
    stop.store(true, Ordering::Relaxed);
    let mut health = prober.await.unwrap();
    health.sort();
    let p = |q: f64| health[((health.len() - 1) as f64 * q).round() as usize];
    println!(
        "login flood: {CLIENTS} clients, {} s, one address, login admin",
        LENGTH.as_secs()
    );
    println!("  guesses answered by status: {totals:?}");
    println!(
        "  /api/health during the flood: p50 {}   p99 {}   max {}   ({} probes)",
        ms(p(0.5)),
        ms(p(0.99)),
        ms(*health.last().unwrap()),
        health.len()
    );
    println!(
        "  another user's login from another address: {legit_status} in {}",
        ms(legit_time)
    );
}
