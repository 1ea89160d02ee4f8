//! Benchmark (not a test) of the embedded history store: one server with 10 databases sampled
//! every 10 minutes for a year (52,560 samples, 525,600 database rows, values shaped like a busy
//! server's), written through the store as the collector writes them. Prints the bytes on disk
//! per database sample (tables and indexes) and the time of a one-year history query, server
//! and database, for every aggregation.
//!
//!     cargo bench -p pgmon-tests --bench history_store

use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use pgmon_tests::year::{DATABASES, SAMPLES, write_year};
use pgmond::history::HistoryStore;
use pgmond::history::window::{Aggregation, HistoryWindow};

const START: i64 = 1_767_225_600; // 2026-01-01T00:00:00Z

fn at(s: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(s, 0).unwrap()
}

#[tokio::main]
async fn main() {
    let dir = tempfile::tempdir().unwrap();
    let store = HistoryStore::open(dir.path()).unwrap();
    let wrote = write_year(&store, "busy", START).await;
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
