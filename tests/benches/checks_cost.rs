//! Benchmark (not a test) of the health checks' cost (issue 29): a database of 10,000 tables
//! and 20,000 indexes (a primary key and one more each, ten rows, analyzed) on a throwaway
//! cluster; one run of `POST /server/{name}/checks` with the default statement timeout, then
//! one with `checks_statement_timeout = 1`: its time, what timed out, and pgmond's peak RSS.
//!
//!     cargo build --release --workspace && cargo bench -p pgmon-tests --bench checks_cost

use std::time::Instant;

use pgmon_tests::daemon::{Daemon, add_local_server};
use pgmon_tests::fixtures::seed_config;
use pgmon_tests::postgres::{BLOATED_TABLE, TestCluster, measured_waste};
use serde_json::{Value, json};

const TABLES: i32 = 10_000;

async fn run(api: &pgmon_tests::http::Api) -> (f64, Value) {
    let started = Instant::now();
    let a = api.post("/server/wide/checks", &json!({})).await;
    assert_eq!(a.status, 200, "{}", a.body);
    (started.elapsed().as_secs_f64(), a.body)
}

fn summary(body: &Value) -> String {
    let mut kinds: Vec<(String, usize)> = Vec::new();
    for f in body["checks"].as_array().unwrap() {
        let k = f["kind"].as_str().unwrap_or_default().to_owned();
        match kinds.iter_mut().find(|(n, _)| *n == k) {
            Some((_, n)) => *n += 1,
            None => kinds.push((k, 1)),
        }
    }
    let errors: Vec<String> = body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| format!("{} {}: {}", e["database"], e["check"], e["message"]))
        .collect();
    format!("findings {kinds:?}; errors {errors:?}")
}

#[tokio::main]
async fn main() {
    let pg = TestCluster::start();
    pg.create_database("wide").await;
    let c = pg.client("wide").await;
    let started = Instant::now();
    c.batch_execute(&format!(
        "CREATE PROCEDURE fill() LANGUAGE plpgsql AS $$
         BEGIN
             FOR i IN 1..{TABLES} LOOP
                 EXECUTE format('CREATE TABLE t%s (id int PRIMARY KEY, v int)', i);
                 EXECUTE format('CREATE INDEX ON t%s (v)', i);
                 EXECUTE format('INSERT INTO t%s SELECT g, g FROM generate_series(1, 10) g', i);
                 IF i % 500 = 0 THEN COMMIT; END IF;
             END LOOP;
         END $$;"
    ))
    .await
    .unwrap();
    // A statement of its own: a procedure that commits cannot run in a multi-statement batch.
    c.batch_execute("CALL fill()").await.unwrap();
    // And one table bloated by updates with autovacuum off, for the estimate's error.
    c.batch_execute(BLOATED_TABLE).await.unwrap();
    c.batch_execute("ANALYZE").await.unwrap();
    let counts = c
        .query_one(
            "SELECT count(*) FILTER (WHERE relkind = 'r'), count(*) FILTER (WHERE relkind = 'i')
             FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
             WHERE n.nspname = 'public'",
            &[],
        )
        .await
        .unwrap();
    let (tables, indexes): (i64, i64) = (counts.get(0), counts.get(1));
    println!(
        "built {tables} tables and {indexes} indexes in {:.0} s",
        started.elapsed().as_secs_f64()
    );

    let (_tmp, dir) = seed_config();
    add_local_server(&dir, "wide", pg.port, Some("wide"));
    let d = Daemon::binary(&dir, &[]);
    let admin = d.api_as("admin", "admin-pass-1").await;
    let before = d.proc_status("VmRSS") as f64 / 1024.0;
    let set = admin.put("/settings", &json!({"bloat_min_mib": 1})).await;
    assert_eq!(set.status, 200);
    let (took, body) = run(&admin).await;
    let estimated = body["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["kind"] == "table_bloat" && f["object"] == "public.t_bloat")
        .and_then(|f| f["figures"]["wasted_bytes"].as_i64())
        .expect("t_bloat's bloat found");
    let (measured, size) = measured_waste(&c, "t_bloat").await;
    println!(
        "bloat of t_bloat (50,000 rows updated three times, autovacuum off): estimated {estimated} \
         bytes wasted, pgstattuple dead_tuple_len + free_space {measured} of {size}: error {:.1} % \
         (target under 25 %)",
        (estimated - measured).abs() as f64 * 100.0 / measured as f64
    );
    println!(
        "one run, statement timeout 30 s: {took:.1} s; {}\n  pgmond RSS {before:.1} MiB before, \
         peak {:.1} MiB (target under 64 MiB)",
        summary(&body),
        d.proc_status("VmHWM") as f64 / 1024.0
    );
    let set = admin
        .put("/settings", &json!({"checks_statement_timeout": 1}))
        .await;
    assert_eq!(set.status, 200);
    // An index locked by a REINDEX that does not end: reading its size waits for the lock,
    // and the checks' one-second lock timeout cuts that short (reported, not waited out).
    let hold = pg.client("wide").await;
    let holder = tokio::spawn(async move {
        hold.batch_execute("BEGIN; REINDEX INDEX t1_v_idx; SELECT pg_sleep(20); COMMIT")
            .await
    });
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    let (took, body) = run(&admin).await;
    println!(
        "one run, statement timeout 1 s, an index locked: {took:.1} s; {}\n  pgmond peak RSS {:.1} MiB",
        summary(&body),
        d.proc_status("VmHWM") as f64 / 1024.0
    );
    holder.abort();
}
