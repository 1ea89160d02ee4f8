//! A year of a busy server's history, written through pgmon's own store as the collector writes
//! it: one server with 10 databases sampled every 10 minutes (52,560 samples, 525,600 database
//! rows), values shaped like a busy server's and the same bytes every run. For the benchmarks
//! of the store and of the console's year-long page.

use std::time::{Duration, Instant};

use pgmond::history::answers::Figures;
use pgmond::history::{Connections, DbObservation, HistoryStore, Observed, ServerSample};

pub const DATABASES: i64 = 10;
/// A year of samples, one every 10 minutes.
pub const SAMPLES: i64 = 365 * 144;

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

fn sample(server: &str, start: i64, i: i64, rng: &mut Lcg, commits: &mut [i64]) -> ServerSample {
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
        server: server.to_owned(),
        at: start + i * 600,
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

/// Writes a year of samples of `server` from `start` (seconds since the epoch) into `store`,
/// one transaction each; answers how long it took.
pub async fn write_year(store: &HistoryStore, server: &str, start: i64) -> Duration {
    let (mut rng, mut commits) = (Lcg(7), vec![0; DATABASES as usize]);
    let started = Instant::now();
    for i in 0..SAMPLES {
        store
            .record(sample(server, start, i, &mut rng, &mut commits))
            .await
            .unwrap();
    }
    started.elapsed()
}
