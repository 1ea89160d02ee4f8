//! Benchmark (not a test) of `GET /server/{name}/statements` against a full
//! `pg_stat_statements` (about 5,000 distinct statements, its default `max`): the first call
//! (two snapshots a second apart), then calls a little over a second apart (each takes a new
//! snapshot and reads the texts of the rows shown), and pgmond's resident memory after.
//!
//!     cargo build --release --workspace && cargo bench -p pgmon-tests --bench statements_view

use std::time::{Duration, Instant};

use pgmon_tests::daemon::{Daemon, add_local_server};
use pgmon_tests::fixtures::seed_config;
use pgmon_tests::postgres::TestCluster;

const TABLES: usize = 100;
const CALLS: usize = 20;

/// 50 shapes of query on each table: distinct query ids.
fn statements() -> Vec<String> {
    let columns = [
        "a", "b", "c", "a, b", "a, c", "b, c", "a, b, c", "count(*)", "max(a)", "min(b)",
    ];
    let filters = ["a = 1", "b = 1", "c = 1", "a > 1", "b < 1"];
    let mut all = Vec::new();
    for t in 0..TABLES {
        for c in columns {
            for f in filters {
                all.push(format!("SELECT {c} FROM s{t} WHERE {f}"));
            }
        }
    }
    all
}

#[tokio::main]
async fn main() {
    let pg = TestCluster::start();
    let c = pg.client("postgres").await;
    c.batch_execute("CREATE EXTENSION pg_stat_statements")
        .await
        .unwrap();
    for t in 0..TABLES {
        c.batch_execute(&format!("CREATE TABLE s{t} (a int, b int, c int)"))
            .await
            .unwrap();
    }
    for sql in statements() {
        c.batch_execute(&sql).await.unwrap();
    }
    let held: i64 = c
        .query_one("SELECT count(*) FROM pg_stat_statements", &[])
        .await
        .unwrap()
        .get(0);

    let (_tmp, dir) = seed_config();
    add_local_server(&dir, "full", pg.port, None);
    let d = Daemon::binary(&dir, &[]);
    let api = d.api_as("view", "view-pass-1").await;
    let path = "/server/full/statements?limit=20";
    let start = Instant::now();
    let first = api.get(path).await;
    let first_ms = start.elapsed().as_secs_f64() * 1000.0;
    assert!(first.body["error"].is_null(), "{}", first.body);
    let mut took = Vec::new();
    for _ in 0..CALLS {
        tokio::time::sleep(Duration::from_millis(1100)).await;
        let start = Instant::now();
        let a = api.get(path).await;
        took.push(start.elapsed().as_secs_f64() * 1000.0);
        assert_eq!(a.status, 200);
    }
    took.sort_by(f64::total_cmp);
    println!(
        "statements view, pg_stat_statements holding {held} statements, top 20 by total time:"
    );
    println!(
        "  first call {first_ms:.0} ms (two snapshots a second apart); then {CALLS} calls: p50 {:.1} ms, max {:.1} ms; pgmond RSS {:.1} MiB",
        took[CALLS / 2],
        took[CALLS - 1],
        d.rss_kib() as f64 / 1024.0
    );
}
