//! Benchmark (not a test) of one replica's cost in a fleet of 10,000 servers shared by five
//! replicas, simulated where this machine (two cores) cannot run five replicas and 10,000
//! real servers: one real `pgmond` replica on a throwaway store, and the four others simulated in
//! the store itself — their rows in `pgmon.replica` kept alive each second, so the real one's
//! rendezvous share is a fifth of the fleet, and their servers' samples written into
//! `pgmon.sample` at the rate they would take them (8,000 servers every 60 s), so the real
//! replica copies the whole fleet's samples into its embedded store as it would in production.
//! The fleet is 10,000 names on one throwaway cluster with 10 databases. The replica's CPU time
//! and resident memory are read from /proc over three periods: from 90 s after its start to the
//! end of the five minutes in which a start keeps its servers' statuses fresh (every 2.5 s,
//! as one pgmond does); the first health-checks round of its servers, which starts five
//! minutes after the start, spread over about an hour (2 s a server), measured until every
//! server it holds has been checked or for 15 minutes (then a round every six hours); and two
//! minutes of the steady state after that (the round going on), once
//! the simulated replicas' findings and open alerts are in the store too (copies of the real
//! one's, one alert a server), since every replica follows the whole fleet's runs. Its
//! servers' samples are counted in the store: each once per interval.
//!
//!     cargo build --release --workspace && cargo bench -p pgmon-tests --bench replica_scale

use std::collections::HashMap;
use std::time::{Duration, Instant};

use pgmon_tests::daemon::{Daemon, add_settings};
use pgmon_tests::fixtures::fleet_on_one_cluster;
use pgmon_tests::measure::cpu_seconds;
use pgmon_tests::postgres::TestCluster;

const SERVERS: usize = 10_000;
const REPLICAS: usize = 5;
const INTERVAL: i64 = 60;
const WARM_UP: Duration = Duration::from_secs(90);
/// The five minutes after a start in which statuses are kept fresh; the first health-checks
/// run begins then.
const START_WINDOW: Duration = Duration::from_secs(300);
/// How long the first checks round is measured at most: it begins at the window's end, spread
/// over about an hour at a fifth of the fleet, and this much of it tells its cost.
const CHECKS_RUN_MAX: Duration = Duration::from_secs(900);
/// The health checks run every `checks_interval`, 6 hours by default.
const CHECKS_EVERY: f64 = 21_600.0;
const MEASURE: Duration = Duration::from_secs(120);

/// What one period cost the replica.
struct Period {
    /// Percent of one core.
    cpu: f64,
    rss_max_mib: f64,
    seconds: f64,
}

/// What `replica` costs from now until `until`, or until `done` says so (asked every 5 s).
async fn measure(replica: &Daemon, until: Instant, mut done: impl AsyncFnMut() -> bool) -> Period {
    let (cpu0, start) = (cpu_seconds(replica.pid()), Instant::now());
    let mut rss_max: f64 = 0.0;
    let mut asked = Instant::now();
    while Instant::now() < until {
        rss_max = rss_max.max(replica.rss_kib() as f64 / 1024.0);
        if asked.elapsed() >= Duration::from_secs(5) {
            asked = Instant::now();
            if done().await {
                break;
            }
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
    let seconds = start.elapsed().as_secs_f64();
    Period {
        cpu: (cpu_seconds(replica.pid()) - cpu0) / seconds * 100.0,
        rss_max_mib: rss_max,
        seconds,
    }
}

/// How many servers have had their health checks run: counted in the store, which the
/// replica writes each run's findings to (asking the replica would cost it more than the
/// checks).
async fn checked(store: &tokio_postgres::Client) -> usize {
    store
        .query_one("SELECT count(*) FROM pgmon.checks", &[])
        .await
        .unwrap()
        .get::<_, i64>(0) as usize
}

/// The simulated replicas' health-check findings and open alerts, which every replica takes
/// in (each run's time and counts) or reads when asked: for each server the real replica does not hold, a copy of
/// the findings and of the open alert of one of its own (it has one each: the fleet's
/// databases are alike), announced as a replica's writes are. How many servers got them.
async fn others_findings(store: &tokio_postgres::Client) -> u64 {
    let servers = store
        .execute(
            "INSERT INTO pgmon.checks (server, version, checks)
             SELECT n.s, nextval('pgmon.checks_version'), t.checks
             FROM generate_series(0, $1 - 1) i,
                  LATERAL (SELECT format('pg-%s', lpad(i::text, 4, '0')) AS s) n,
                  (SELECT checks FROM pgmon.checks LIMIT 1) t
             WHERE n.s NOT IN (SELECT server FROM pgmon.lease)
             ON CONFLICT (server) DO NOTHING",
            &[&(SERVERS as i32)],
        )
        .await
        .unwrap();
    store
        .batch_execute(
            "WITH t AS (SELECT server, key, alert FROM pgmon.alert LIMIT 1),
                  b AS (SELECT nextval('pgmon.alert_block') * 1000000000 AS first),
                  c AS (SELECT server, row_number() OVER () AS n FROM pgmon.checks
                        WHERE server NOT IN (SELECT server FROM pgmon.lease))
             INSERT INTO pgmon.alert (server, key, alert)
             SELECT c.server, replace(t.key, t.server, c.server),
                    jsonb_set(jsonb_set(jsonb_set(t.alert,
                        '{labels,server}', to_jsonb(c.server)),
                        '{key}', to_jsonb(replace(t.key, t.server, c.server))),
                        '{id}', to_jsonb(b.first + c.n))
             FROM c, t, b
             ON CONFLICT DO NOTHING;
             NOTIFY pgmon_checks;",
        )
        .await
        .unwrap();
    servers
}

/// A sample as a simulated replica writes it: one server, 10 databases.
fn body(server: &str, at: i64) -> serde_json::Value {
    let databases: Vec<serde_json::Value> = (0..10)
        .map(|d| {
            serde_json::json!({"oid": 16_384 + d, "datname": format!("app_{d}"),
                "created_us": null, "figures": {"nb_n": 1, "nb_sum": 3, "nb_min": 3, "nb_max": 3,
                "size_n": 0, "size_sum": 0, "size_max": null, "commit_n": 1,
                "commit_sum": at, "age_max": 1000, "increases": null}})
        })
        .collect();
    serde_json::json!({"server": server, "at": at, "duration_ms": 12, "outcome": {"Ok": {
        "connections": {"active": 1, "idle": 2, "idle_in_transaction": 0, "other": 0},
        "max_connections": 200, "freeze_max_age": 200_000_000, "disk": null,
        "databases": databases}}})
}

#[tokio::main]
async fn main() {
    let (_watched, tmp, dir) = fleet_on_one_cluster(SERVERS).await;
    let store_cluster = TestCluster::start();
    store_cluster.create_database("pgmon_store").await;
    let url = format!(
        "postgres://postgres@127.0.0.1:{}/pgmon_store",
        store_cluster.port
    );
    add_settings(&dir, &format!("collect_interval_seconds = {INTERVAL}"));
    // The store's schema first, so the simulated replicas can say they are alive before the
    // real one looks.
    pgmond::migrate(
        &pgmond::Place::Dir(dir.clone()),
        &pgmond::Place::Store(url.clone()),
        false,
        false,
    )
    .await
    .unwrap();
    // The four simulated replicas: alive in the store (every half second, on a connection of
    // their own), and writing their servers' samples.
    let phantoms: Vec<String> = (0..REPLICAS - 1)
        .map(|i| format!("simulated-{i}"))
        .collect();
    let alive = {
        let c = store_cluster.client("pgmon_store").await;
        tokio::spawn(async move {
            loop {
                for p in &phantoms {
                    c.execute(
                        "INSERT INTO pgmon.replica VALUES ($1, now(), now())
                         ON CONFLICT (id) DO UPDATE SET seen = now()",
                        &[p],
                    )
                    .await
                    .unwrap();
                }
                tokio::time::sleep(Duration::from_millis(500)).await;
            }
        })
    };
    tokio::time::sleep(Duration::from_secs(1)).await;
    let replica = Daemon::binary(&dir, &[("PGMON_STORE", url.as_str())]);
    let started = Instant::now();
    let store = store_cluster.client("pgmon_store").await;

    let simulator = {
        let c = store_cluster.client("pgmon_store").await;
        tokio::spawn(async move {
            let names: Vec<String> = (0..SERVERS).map(|i| format!("pg-{i:04}")).collect();
            let mut written: HashMap<String, i64> = HashMap::new();
            loop {
                // Servers held by no live lease of the real replica are the simulated ones'.
                let real: std::collections::HashSet<String> = c
                    .query("SELECT server FROM pgmon.lease", &[])
                    .await
                    .unwrap()
                    .iter()
                    .map(|r| r.get(0))
                    .collect();
                let now = chrono::Utc::now().timestamp();
                let slot = now.div_euclid(INTERVAL) * INTERVAL;
                let tx_rows: Vec<(String, serde_json::Value)> = names
                    .iter()
                    .filter(|n| !real.contains(*n) && written.get(*n) != Some(&slot))
                    .take(SERVERS / INTERVAL as usize + 1)
                    .map(|n| (n.clone(), body(n, now)))
                    .collect();
                for (n, b) in &tx_rows {
                    c.execute(
                        "INSERT INTO pgmon.sample (server, slot, at, replica, body)
                         VALUES ($1, to_timestamp($2), now(), 'simulated', $3)
                         ON CONFLICT DO NOTHING",
                        &[n, &(slot as f64), b],
                    )
                    .await
                    .ok();
                    written.insert(n.clone(), slot);
                }
                c.execute("SELECT pg_notify('pgmon_samples', '')", &[])
                    .await
                    .unwrap();
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        })
    };

    tokio::time::sleep(WARM_UP).await;
    let start = measure(&replica, started + START_WINDOW, async || false).await;
    let held_now = async || {
        store
            .query_one(
                "SELECT count(*) FROM pgmon.lease l JOIN pgmon.replica r ON r.id = l.holder
                 WHERE r.id NOT LIKE 'simulated-%'",
                &[],
            )
            .await
            .unwrap()
            .get::<_, i64>(0) as usize
    };
    let checks = measure(&replica, Instant::now() + CHECKS_RUN_MAX, async || {
        checked(&store).await >= held_now().await
    })
    .await;
    let checks_seconds = checks.cpu / 100.0 * checks.seconds;
    let checked = checked(&store).await;
    let others = others_findings(&store).await;
    // Taken in by the replica before the steady state: in a real fleet they come during the
    // other replicas' own first runs, beside this one's.
    tokio::time::sleep(Duration::from_secs(20)).await;
    let steady_from = started.elapsed();
    let from = chrono::Utc::now().timestamp().div_euclid(INTERVAL) * INTERVAL + INTERVAL;
    let steady = measure(&replica, Instant::now() + MEASURE, async || false).await;
    let to = chrono::Utc::now().timestamp().div_euclid(INTERVAL) * INTERVAL - INTERVAL;
    simulator.abort();
    alive.abort();
    let me: String = store
        .query_one(
            "SELECT id FROM pgmon.replica WHERE id NOT LIKE 'simulated-%'",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    let held: i64 = store
        .query_one("SELECT count(*) FROM pgmon.lease WHERE holder = $1", &[&me])
        .await
        .unwrap()
        .get(0);
    let per_slot: Vec<(i64, i64, i64)> = store
        .query(
            "SELECT extract(epoch FROM slot)::int8, count(*), count(DISTINCT server)
             FROM pgmon.sample WHERE replica = $1 AND slot >= to_timestamp($2) AND slot <= to_timestamp($3)
             GROUP BY 1 ORDER BY 1",
            &[&me, &(from as f64), &(to as f64)],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2)))
        .collect();
    let copied: i64 = store
        .query_one("SELECT count(*) FROM pgmon.sample", &[])
        .await
        .unwrap()
        .get(0);
    let open_alerts: i64 = store
        .query_one(
            "SELECT count(*) FROM pgmon.alert a JOIN pgmon.lease l USING (server)",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    let (anon, file) = (
        replica.proc_status("RssAnon") as f64 / 1024.0,
        replica.proc_status("RssFile") as f64 / 1024.0,
    );
    let budget = 64.0 + held as f64 * 20.0 / 1024.0;
    println!(
        "one replica of {REPLICAS} over {SERVERS} servers every {INTERVAL} s (the other {} simulated in the store):",
        REPLICAS - 1
    );
    println!(
        "  servers it collects {held} (a fair share is {}); targets: CPU < 10% of one core, RSS < {budget:.1} MiB = 64 MiB + 20 KiB x {held}",
        SERVERS / REPLICAS
    );
    println!(
        "  steady state ({} s from {} s after the start): CPU {:.1}%, RSS max {:.1} MiB",
        MEASURE.as_secs(),
        steady_from.as_secs(),
        steady.cpu,
        steady.rss_max_mib
    );
    println!(
        "  the first health-checks round ({} s to {} s, {checked} of {held} servers checked): CPU {:.1}% \
         ({checks_seconds:.0} CPU-seconds, {:.2}% of a core over the {} h between rounds), RSS max {:.1} MiB",
        START_WINDOW.as_secs(),
        steady_from.as_secs(),
        checks.cpu,
        checks_seconds / CHECKS_EVERY * 100.0,
        CHECKS_EVERY / 3600.0,
        checks.rss_max_mib
    );
    println!(
        "  while a start keeps its servers' statuses fresh ({} s to {} s): CPU {:.1}%, RSS max {:.1} MiB",
        WARM_UP.as_secs(),
        START_WINDOW.as_secs(),
        start.cpu,
        start.rss_max_mib
    );
    for (slot, rows, servers) in &per_slot {
        println!(
            "  interval {slot}: {rows} samples of {servers} servers (each once: {})",
            rows == servers && *servers == held
        );
    }
    println!("  samples in the store (every replica's, copied into this one's history): {copied}");
    println!(
        "  the other replicas' findings and one open alert each, for {others} servers, in the store (in this one's memory in brief)"
    );
    println!(
        "  at the end: RSS {anon:.1} MiB anonymous + {file:.1} MiB of files; open alerts of its servers {open_alerts}, \
         health checks kept of {checked} servers"
    );
    drop(replica);
    drop(tmp);
}
