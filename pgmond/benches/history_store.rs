//! Benchmark (not a test) of the embedded history store: one server with 10 databases sampled
//! every 10 minutes for a year (52,560 samples, 525,600 database rows, values shaped like a busy
//! server's), written through the store as the collector writes them. Prints the bytes on disk
//! per database sample (tables and indexes) and the time of a one-year history query, server
//! and database, for every aggregation.
//!
//!     cargo bench -p pgmond --bench history_store

use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use pgmond::history::answers::Figures;
use pgmond::history::window::{Aggregation, HistoryWindow};
use pgmond::history::{Connections, DbObservation, HistoryStore, Observed, ServerSample};

const DATABASES: i64 = 10;
const SAMPLES: i64 = 365 * 144;
const START: i64 = 1_767_225_600; // 2026-01-01T00:00:00Z

/// A small deterministic generator, so every run stores the same bytes.
struct Lcg(u64);

impl Lcg {
    fn below(&mut self, n: i64) -> i64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((self.0 >> 33) % n.max(1) as u64) as i64
    }
}

fn sample(i: i64, rng: &mut Lcg, commits: &mut [i64]) -> ServerSample {
    let databases = (0..DATABASES)
        .map(|d| {
            commits[d as usize] += 500 + rng.below(5_000);
            let increases = [
                rng.below(5),
                rng.below(2_000),
                10_000 + rng.below(1_000_000),
                10_000 + rng.below(5_000_000),
                1_000 + rng.below(500_000),
                rng.below(5_000),
                rng.below(5_000),
                rng.below(2_000),
                rng.below(2),
                if rng.below(10) == 0 {
                    rng.below(100 << 20)
                } else {
                    0
                },
                0,
            ]
            .map(Some);
            DbObservation {
                oid: 16_384 + d,
                datname: format!("db{d}"),
                created_us: None,
                figures: Figures::sample(
                    Some(rng.below(50)),
                    Some(commits[d as usize]),
                    // Sizes are read every 30 minutes and carried forward between.
                    Some((1 + d) * (1 << 30) + (i - i % 3) * 8_192),
                    Some(100_000_000 + i * 500),
                    increases,
                ),
            }
        })
        .collect();
    ServerSample {
        server: "busy".into(),
        at: START + i * 600,
        duration_ms: 20 + rng.below(30) as u64,
        outcome: Ok(Observed {
            connections: Connections {
                active: rng.below(20),
                idle: rng.below(100),
                idle_in_transaction: rng.below(5),
                other: 0,
            },
            max_connections: 200,
            freeze_max_age: Some(200_000_000),
            disk: Some((500 << 30, 1 << 40)),
            databases,
        }),
    }
}

fn at(s: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(s, 0).unwrap()
}

#[tokio::main]
async fn main() {
    let dir = tempfile::tempdir().unwrap();
    let store = HistoryStore::open(dir.path()).unwrap();
    let (mut rng, mut commits) = (Lcg(7), vec![0; DATABASES as usize]);
    let started = Instant::now();
    for i in 0..SAMPLES {
        store
            .record(sample(i, &mut rng, &mut commits))
            .await
            .unwrap();
    }
    let wrote = started.elapsed();
    drop(store); // the last connection closed checkpoints the WAL into the file
    let bytes = std::fs::metadata(dir.path().join("history.db"))
        .unwrap()
        .len();
    // To look inside (`sqlite3_analyzer`, the dbstat table): keep a copy.
    if let Some(keep) = std::env::var_os("PGMON_BENCH_KEEP") {
        std::fs::copy(dir.path().join("history.db"), keep).unwrap();
    }
    let rows = SAMPLES * DATABASES;
    println!(
        "wrote {SAMPLES} samples ({rows} database rows) in {:.1} s, one transaction each",
        wrote.as_secs_f64()
    );
    println!(
        "store: {bytes} bytes = {:.1} bytes per database sample (target <= 48)",
        bytes as f64 / rows as f64
    );

    let store = HistoryStore::open(dir.path()).unwrap();
    let year = |aggregation| HistoryWindow {
        start: at(START),
        end: at(START + SAMPLES * 600),
        aggregation,
    };
    for aggregation in [
        Aggregation::Raw,
        Aggregation::Hour,
        Aggregation::FourHour,
        Aggregation::Day,
    ] {
        let w = year(aggregation);
        let mut times = Vec::new();
        let mut points = 0;
        for _ in 0..5 {
            let t = Instant::now();
            let h = store.server_history("busy", &w).await.unwrap();
            times.push(t.elapsed());
            points = h.connection_timeline.len();
        }
        let mut db_times = Vec::new();
        for _ in 0..5 {
            let t = Instant::now();
            store.db_history("busy", "db3", &w).await.unwrap();
            db_times.push(t.elapsed());
        }
        let median = |mut v: Vec<Duration>| {
            v.sort();
            v[v.len() / 2].as_secs_f64() * 1000.0
        };
        println!(
            "1-year query, {:>5}: server {:.0} ms ({points} points), one database {:.0} ms (median of 5; target < 200 ms)",
            aggregation.name(),
            median(times),
            median(db_times)
        );
    }
}
