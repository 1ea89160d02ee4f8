//! History (SPEC A5) on the fixture data set: pgmon gives the Python backend's recorded answers.

use pgmon_tests::daemon::{Daemon, add_local_server};
use pgmon_tests::fixtures::{fixtures_dir, seed_config};
use pgmon_tests::postgres::TestCluster;
use pgmon_tests::recorded::{self, normalise_history};
use serde_json::json;

/// Creates the fixture's databases and loads its history into `stats_db`.
async fn load_fixture(pg: &TestCluster) {
    let admin = pg.client("postgres").await;
    let setup =
        std::fs::read_to_string(fixtures_dir().join("stats_db/setup_databases.sql")).unwrap();
    // CREATE DATABASE cannot share a multi-statement query: one statement at a time.
    for stmt in setup
        .lines()
        .filter(|l| !l.trim_start().starts_with("--"))
        .collect::<String>()
        .split(';')
    {
        if !stmt.trim().is_empty() {
            admin.batch_execute(stmt).await.expect(stmt);
        }
    }
    let data =
        std::fs::read_to_string(fixtures_dir().join("stats_db/stats_db_fixture.sql")).unwrap();
    pg.client("stats_db")
        .await
        .batch_execute(&data)
        .await
        .expect("loading the history fixture");
}

#[tokio::test]
/// Every history recording is answered the same (bodies compared whole, unordered lists as
/// sets); the deliberate differences of the recordings' README are checked as pgmon's own.
async fn recorded_history_answers() {
    let pg = TestCluster::start();
    load_fixture(&pg).await;
    let (_tmp, dir) = seed_config();
    add_local_server(&dir, "local", pg.port, Some("stats_db"));
    let d = Daemon::start(&dir, &[]);
    let api = d.api_as("view", "view-pass-1").await;
    let same = [
        "server_stats_default_window",
        "server_stats_hour",
        "server_stats_offset_dates",
        "server_stats_raw",
        "db_info_app_main",
        "db_info_legacy_db",
        "db_stats_app_main_day",
        "db_stats_app_main_default_window",
        "db_stats_app_main_raw",
        "db_stats_nosuchdb",
        "server_nope_stats_404",
        "server_nope_stats_404_with_dates",
    ];
    for name in same {
        let r = recorded::load(name);
        assert_eq!(r.method, "GET");
        let a = api.get(&r.path).await;
        assert_eq!(a.status, r.status, "{name}: {}", a.body);
        let (got, want) = (normalise_history(a.body), normalise_history(r.body));
        if got != want {
            let g = serde_json::to_string_pretty(&got).unwrap();
            let w = serde_json::to_string_pretty(&want).unwrap();
            let first = g
                .lines()
                .zip(w.lines())
                .position(|(a, b)| a != b)
                .unwrap_or(0);
            panic!(
                "{name} differs at line {first}:\n got: {:?}\nwant: {:?}",
                g.lines().nth(first),
                w.lines().nth(first)
            );
        }
    }
    // Deliberate differences: bad dates are 400 (not 500), a naive date is UTC, an unknown
    // database is 404 (not 500).
    let bad = api
        .get(&recorded::load("server_stats_bad_date_500").path)
        .await;
    assert_eq!(bad.status, 400);
    assert!(
        bad.body["detail"].as_str().unwrap().contains("not-a-date"),
        "{}",
        bad.body
    );
    let naive = api
        .get(&recorded::load("server_stats_naive_start_only_500").path)
        .await;
    assert_eq!(
        (naive.status, &naive.body["aggregation"]),
        (200, &json!("4hour")),
        "{}",
        naive.body
    );
    let nosuch = api.get(&recorded::load("db_info_nosuchdb_500").path).await;
    assert_eq!(
        (nosuch.status, nosuch.body),
        (404, json!({"detail": "Database not found"}))
    );
    // A database name is data, never SQL.
    let inject = api
        .get("/server/local/db/x'%3B%20DROP%20TABLE%20pg_statistics%3B--/stats")
        .await;
    assert_eq!((inject.status, &inject.body["timeline"]), (200, &json!([])));
    assert_eq!(api.get("/server/local/db/app_main").await.status, 200);

    // pgmonctl prints the same JSON, and a table for people.
    let window = [
        "--from",
        "2026-10-31T00:00:00Z",
        "--to",
        "2026-11-01T00:00:00Z",
    ];
    let mut args = vec!["--output", "json", "stats", "server", "local"];
    args.extend(window);
    let out = d.pgmonctl_socket(&args, "");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let printed: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let api_answer = api
        .get("/server/local/stats?start_date=2026-10-31T00:00:00Z&end_date=2026-11-01T00:00:00Z")
        .await
        .body;
    assert_eq!(printed, api_answer);
    let mut args = vec!["stats", "db", "local", "app_main"];
    args.extend(window);
    let table = String::from_utf8(d.pgmonctl_socket(&args, "").stdout).unwrap();
    for text in ["134.6 MiB", "2026-11-01T00:00:00+00:00", "10/22", "raw"] {
        assert!(table.contains(text), "{text} missing:\n{table}");
    }
}

#[tokio::test]
/// A server without a stats database still answers 200, with empty history, live facts, and
/// `history_error` saying why.
async fn missing_stats_database_is_reported_not_fatal() {
    let pg = TestCluster::shared();
    pg.create_database("hist_live_only").await;
    let (_tmp, dir) = seed_config();
    add_local_server(&dir, "nostats", pg.port, Some("no_such_stats_db"));
    let d = Daemon::start(&dir, &[]);
    let api = d.api_as("view", "view-pass-1").await;
    let s = api.get("/server/nostats/stats").await;
    assert_eq!(s.status, 200, "{}", s.body);
    assert_eq!(
        (&s.body["total_connections"], &s.body["connection_timeline"]),
        (&json!(0), &json!([]))
    );
    assert!(
        s.body["history_error"]
            .as_str()
            .unwrap()
            .contains("no_such_stats_db"),
        "{}",
        s.body
    );
    let db = api.get("/server/nostats/db/hist_live_only").await;
    assert_eq!(db.status, 200, "{}", db.body);
    assert!(
        db.body["size_mb"].as_f64().unwrap() > 1.0,
        "live size: {}",
        db.body
    );
    assert!(db.body["history_error"].is_string());
    let dbs = api.get("/server/nostats/db/hist_live_only/stats?start_date=2026-10-01T00:00:00Z&end_date=2026-11-01T00:00:00Z").await;
    assert_eq!(
        (dbs.status, &dbs.body["aggregation"]),
        (200, &json!("4hour"))
    );
    assert!(dbs.body["history_error"].is_string());
}
