//! Benchmark (not a test) of history through the shared store, beside `history_store`'s embedded
//! figures: the same year (one server, 10 databases, a sample every 10 minutes: 52,560 samples)
//! written into a config dir's embedded store, migrated into a throwaway PostgreSQL store with
//! `pgmonctl store migrate`'s code, then a replica started on the store copies it into its own
//! history. Prints the migration's and the copy's time and the one-year history queries the
//! replica answers over HTTP (server and database), which read its copy, not the database.
//!
//!     cargo build --release --workspace && cargo bench -p pgmon-tests --bench replica_history

use std::time::{Duration, Instant};

use pgmon_tests::daemon::{Daemon, add_settings};
use pgmon_tests::fixtures::seed_config;
use pgmon_tests::postgres::TestCluster;
use pgmon_tests::year::{SAMPLES, write_year};
use pgmond::history::HistoryStore;

fn median(mut v: Vec<Duration>) -> f64 {
    v.sort();
    v[v.len() / 2].as_secs_f64() * 1000.0
}

#[tokio::main]
async fn main() {
    let (tmp, dir) = seed_config();
    std::fs::write(dir.join("servers.json"), "[]").unwrap();
    add_settings(&dir, "legacy_import = false");
    let start = (chrono::Utc::now().timestamp() - 365 * 86_400) / 600 * 600;
    {
        let history = HistoryStore::open(&dir).unwrap();
        write_year(&history, "busy", start).await;
        history.checkpoint().await.unwrap();
    }
    let store = TestCluster::start();
    store.create_database("pgmon_store").await;
    let url = format!("postgres://postgres@127.0.0.1:{}/pgmon_store", store.port);
    let t = Instant::now();
    let report = pgmond::migrate(
        &pgmond::Place::Dir(dir.clone()),
        &pgmond::Place::Store(url.clone()),
        false,
        false,
    )
    .await
    .unwrap();
    let migrated = t.elapsed();

    // The replica: the key file and pgmond.toml (it makes its own JWT secret: the bench signs
    // in on it alone); a server entry for the history.
    let replica = tmp.path().join("replica");
    std::fs::create_dir(&replica).unwrap();
    for f in ["encryption_key.key", "pgmond.toml"] {
        std::fs::copy(dir.join(f), replica.join(f)).unwrap();
    }
    let t = Instant::now();
    let d = Daemon::binary(&replica, &[("PGMON_STORE", url.as_str())]);
    let admin = d.api_as("admin", "admin-pass-1").await;
    let a = admin
        .post(
            "/servers?check=false",
            &serde_json::json!({"name": "busy", "host": "127.0.0.1", "port": 1,
                "user": "postgres", "password": "unused", "collect_interval": 0}),
        )
        .await;
    assert_eq!(a.status, 200, "{}", a.body);
    let from = chrono::DateTime::from_timestamp(start, 0)
        .unwrap()
        .to_rfc3339();
    let to = chrono::DateTime::from_timestamp(start + SAMPLES * 600, 0)
        .unwrap()
        .to_rfc3339();
    let query = |path: &str| {
        format!(
            "{path}?start_date={}&end_date={}",
            urlencode(&from),
            urlencode(&to)
        )
    };
    loop {
        let status = admin.get("/collector/status").await.body;
        let samples = status["servers"]
            .as_array()
            .and_then(|s| s.iter().find(|e| e["name"] == "busy"))
            .and_then(|e| e["samples"].as_u64())
            .unwrap_or(0);
        if samples >= SAMPLES as u64 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let copied = t.elapsed();
    let (mut server, mut database) = (Vec::new(), Vec::new());
    for _ in 0..5 {
        let t = Instant::now();
        let h = admin.get(&query("/server/busy/stats")).await;
        assert_eq!(h.status, 200);
        server.push(t.elapsed());
        let t = Instant::now();
        let h = admin.get(&query("/server/busy/db/db3/stats")).await;
        assert_eq!(h.status, 200);
        database.push(t.elapsed());
    }
    println!("a year of one server (10 databases, {SAMPLES} samples) through the shared store:");
    println!(
        "  migrated into the store in {:.1} s ({} samples, {} documents, {} audit entries)",
        migrated.as_secs_f64(),
        report.samples,
        report.documents,
        report.audit_entries
    );
    println!(
        "  copied by a new replica into its history in {:.1} s (start included)",
        copied.as_secs_f64()
    );
    println!(
        "  1-year query on the replica over HTTP: server {:.0} ms, one database {:.0} ms (median of 5; target < 200 ms)",
        median(server),
        median(database)
    );
}

fn urlencode(s: &str) -> String {
    s.replace('+', "%2B").replace(':', "%3A")
}
