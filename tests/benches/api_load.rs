//! Benchmarks (not tests) of pgmond against a throwaway cluster: throughput and latency at 64
//! concurrent clients, the cost of one uncached status against the raw SQL it runs, memory idle
//! and after a 1,000-server sweep, and start-up time. Prints its figures.
//!
//!     cargo build --release --workspace && cargo bench -p pgmon-tests --bench api_load

use std::sync::Arc;
use std::time::{Duration, Instant};

use pgmon_common::ConfigDir;
use pgmon_common::servers::ServerInput;
use pgmon_tests::daemon::Daemon;
use pgmon_tests::fixtures::{empty_config, seed_config};
use pgmon_tests::measure::percentile;
use pgmon_tests::postgres::TestCluster;
use reqwest::Method;

const CLIENTS: usize = 64;

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1000.0)
}

/// Runs `CLIENTS` loops of one request for `length`; prints requests/s, p50 and p99.
async fn load(
    label: &str,
    client: &reqwest::Client,
    make: Arc<dyn Fn(&reqwest::Client) -> reqwest::RequestBuilder + Send + Sync>,
    length: Duration,
) {
    let start = Instant::now();
    let workers: Vec<_> = (0..CLIENTS)
        .map(|_| {
            let (client, make) = (client.clone(), Arc::clone(&make));
            tokio::spawn(async move {
                let mut times = Vec::new();
                while start.elapsed() < length {
                    let t = Instant::now();
                    let r = make(&client).send().await.expect("request failed");
                    assert!(r.status().is_success(), "{}", r.status());
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
    let took = start.elapsed();
    all.sort();
    println!(
        "  {label:<34} {:>9.0} req/s   p50 {:>9}   p99 {:>9}   ({} requests)",
        all.len() as f64 / took.as_secs_f64(),
        ms(percentile(&all, 0.5)),
        ms(percentile(&all, 0.99)),
        all.len()
    );
}

fn add_servers(dir: &std::path::Path, servers: impl Iterator<Item = (String, String, u16)>) {
    std::fs::write(dir.join("servers.json"), "[]").unwrap();
    let cfg = ConfigDir::open(dir).unwrap();
    for (name, host, port) in servers {
        let input = ServerInput {
            name,
            host,
            port,
            user: "postgres".into(),
            ..ServerInput::default()
        };
        cfg.create_server(input, usize::MAX).unwrap();
    }
}

#[tokio::main]
async fn main() {
    let pg = TestCluster::start();
    let (_tmp, dir) = seed_config();
    add_servers(
        &dir,
        (0..20).map(|i| (format!("pg-{i:02}"), "127.0.0.1".into(), pg.port)),
    );
    let d = Daemon::binary(&dir, &[]);
    let token = d.api().token("admin", "admin-pass-1").await;
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(CLIENTS)
        .build()
        .unwrap();
    let base = d.url("");
    let url = move |path: &str| format!("{base}{path}");

    println!("Throughput at {CLIENTS} concurrent clients (keep-alive), 5 s each:");
    let (u, t) = (url.clone(), token.clone());
    load(
        "GET /api/health",
        &client,
        Arc::new(move |c| c.get(u("/api/health"))),
        Duration::from_secs(5),
    )
    .await;
    client
        .get(url("/servers"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    let u = url.clone();
    load(
        "GET /servers (20, cached)",
        &client,
        Arc::new(move |c| c.get(u("/servers")).bearer_auth(&t)),
        Duration::from_secs(5),
    )
    .await;
    let (u, t) = (url.clone(), token.clone());
    load(
        "GET /server_stats/{name}",
        &client,
        Arc::new(move |c| c.get(u("/server_stats/pg-00")).bearer_auth(&t)),
        Duration::from_secs(5),
    )
    .await;
    let u = url.clone();
    load(
        "POST /token (bcrypt cost 12)",
        &client,
        Arc::new(move |c| {
            c.request(Method::POST, u("/token"))
                .form(&[("username", "admin"), ("password", "admin-pass-1")])
        }),
        Duration::from_secs(5),
    )
    .await;

    // One uncached status (caching off) against its two queries on one plain connection.
    std::fs::write(dir.join("pgmond.toml"), "status_cache_ttl_seconds = 0\n").unwrap();
    drop(d);
    let d = Daemon::binary(&dir, &[]);
    let token = d.api().token("admin", "admin-pass-1").await;
    let status_url = d.url("/servers/pg-00");
    let raw = pg.client("postgres").await;
    const ROUNDS: usize = 300;
    for _ in 0..20 {
        client
            .get(&status_url)
            .bearer_auth(&token)
            .send()
            .await
            .unwrap()
            .bytes()
            .await
            .unwrap();
    }
    let t = Instant::now();
    for _ in 0..ROUNDS {
        let body = client
            .get(&status_url)
            .bearer_auth(&token)
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(body.contains("\"status\":\"ok\""), "{body}");
    }
    let api = t.elapsed() / ROUNDS as u32;
    let settings = "SELECT current_setting('server_version'), CASE WHEN pg_has_role(current_user, 'pg_read_all_settings', 'MEMBER') THEN current_setting('data_directory') END, round((extract(epoch FROM now() - pg_postmaster_start_time()) / 3600)::numeric, 2)::float8";
    let sessions =
        "SELECT coalesce(state, 'None'), count(*) FROM pg_stat_activity GROUP BY 1 ORDER BY 1";
    let t = Instant::now();
    for _ in 0..ROUNDS {
        tokio::try_join!(raw.query_one(settings, &[]), raw.query(sessions, &[])).unwrap();
    }
    let sql = t.elapsed() / ROUNDS as u32;
    println!(
        "Uncached status, mean of {ROUNDS}: GET /servers/{{name}} {} vs raw SQL {} = {:.2}x",
        ms(api),
        ms(sql),
        api.as_secs_f64() / sql.as_secs_f64()
    );
    // Where the difference goes: the HTTP round trip alone, and with authentication.
    for (label, path, auth) in [
        ("GET /api/health (HTTP only)", "/api/health", false),
        ("GET /users/me (HTTP + auth)", "/users/me", true),
    ] {
        let url = d.url(path);
        let t = Instant::now();
        for _ in 0..ROUNDS {
            let mut r = client.get(&url);
            if auth {
                r = r.bearer_auth(&token);
            }
            r.send().await.unwrap().bytes().await.unwrap();
        }
        println!("  {label:<30} mean {}", ms(t.elapsed() / ROUNDS as u32));
    }
    drop(d);

    // Memory: idle, then after a sweep of 1,000 servers that never resolve.
    let (_tmp2, big) = seed_config();
    add_servers(
        &big,
        (0..1000).map(|i| (format!("far-{i:04}"), format!("db{i}.invalid"), 5432)),
    );
    let d = Daemon::binary(&big, &[]);
    tokio::time::sleep(Duration::from_millis(500)).await;
    let idle = d.rss_kib();
    let token = d.api().token("admin", "admin-pass-1").await;
    let t = Instant::now();
    let sweep = client
        .get(d.url("/servers"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let sweep_time = t.elapsed();
    let unreachable = sweep.matches("PostgreSQL: host unreachable").count();
    let timeouts = sweep.matches("PostgreSQL: operation timeout").count();
    assert_eq!(unreachable + timeouts, 1000, "every server reported down");
    let after = d.rss_kib();
    println!(
        "Memory (VmRSS): idle {:.1} MiB, after a sweep of 1,000 servers {:.1} MiB (sweep took {}: {unreachable} unreachable, {timeouts} timed out)",
        idle as f64 / 1024.0,
        after as f64 / 1024.0,
        ms(sweep_time)
    );
    drop(d);

    // Start-up: from exec to the first 200 of /api/health, on an existing config dir.
    let mut times = Vec::new();
    for _ in 0..10 {
        let (_t, fresh) = empty_config();
        let first = Daemon::binary(&fresh, &[("PGMON_ADMIN_PASSWORD", "x-start-pw")]);
        drop(first);
        let t = Instant::now();
        let again = Daemon::start_fast(&fresh);
        times.push(t.elapsed());
        drop(again);
    }
    times.sort();
    println!(
        "Start-up to first /api/health 200 (existing config dir): median {}, max {}",
        ms(percentile(&times, 0.5)),
        ms(*times.last().unwrap())
    );
}
