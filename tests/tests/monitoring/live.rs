//! A server's live figures: `/server/{name}/databases` against what the test did to its own
//! database, and `/server/{name}/statements` from pg_stat_statements (loaded through
//! `shared_preload_libraries` in every test cluster) with the exact call counts of statements
//! the test ran, as rates; a database without the extension gets the way to install it.

use std::time::Duration;

use pgmon_tests::daemon::{Daemon, add_local_server, stdout_of};
use pgmon_tests::fixtures::seed_config;
use pgmon_tests::net::free_port;
use pgmon_tests::postgres::TestCluster;
use serde_json::Value;

/// The statement of `body` whose text has `marker`.
fn statement<'a>(body: &'a Value, marker: &str) -> Option<&'a Value> {
    body["statements"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["query"].as_str().is_some_and(|q| q.contains(marker)))
}

async fn run_marked(c: &tokio_postgres::Client, times: i32) {
    for i in 0..times {
        c.query_one("SELECT $1::int AS pgmon_marked_statement", &[&i])
            .await
            .unwrap();
    }
}

#[tokio::test]
async fn databases_and_statement_rates() {
    let pg = TestCluster::shared();
    pg.create_database("live_stmts").await;
    pg.create_database("live_bare").await;
    let c = pg.client("live_stmts").await;
    c.batch_execute(
        "CREATE EXTENSION IF NOT EXISTS pg_stat_statements;
         CREATE TABLE filled AS SELECT generate_series(1, 20000) AS id",
    )
    .await
    .unwrap();

    let (_tmp, dir) = seed_config();
    add_local_server(&dir, "live", pg.port, Some("live_stmts"));
    add_local_server(&dir, "bare", pg.port, Some("live_bare"));
    add_local_server(&dir, "twin", pg.port, Some("live_stmts"));
    add_local_server(&dir, "down", free_port(), None);
    let daemon = Daemon::start(&dir);
    let view = daemon.api_as("view", "view-pass-1").await;

    // Databases: the test's own, with its connection, size and counters (PostgreSQL 15 and
    // later publish a session's counters when it has been idle a moment: polled).
    let mine = |body: &Value| {
        body["databases"]
            .as_array()
            .unwrap()
            .iter()
            .find(|d| d["datname"] == "live_stmts")
            .cloned()
            .unwrap_or_else(|| panic!("live_stmts not listed: {body}"))
    };
    let dbs = view
        .get_until(
            "/server/live/databases",
            Duration::from_secs(10),
            "live_stmts' counters",
            |b| {
                mine(b)["xact_commit"].as_i64().unwrap_or(0) > 0
                    && mine(b)["cache_hit_ratio"].is_f64()
            },
        )
        .await;
    let mine = mine(&dbs);
    assert!(mine["numbackends"].as_i64().unwrap() >= 1, "{mine}");
    assert!(mine["size_bytes"].as_i64().unwrap() > 500_000, "{mine}");
    assert!(mine["xact_commit"].as_i64().unwrap() > 0, "{mine}");
    let ratio = mine["cache_hit_ratio"].as_f64().unwrap();
    assert!((0.0..=1.0).contains(&ratio), "{mine}");
    assert!(mine["frozen_xid_age"].as_i64().unwrap() >= 0);
    assert!(
        dbs["databases"]
            .as_array()
            .unwrap()
            .iter()
            .all(|d| d["datname"] != "template0" && d["datname"] != "template1")
    );

    // Statements: the first call takes two snapshots, so it already has an interval.
    let first = view.get("/server/live/statements").await;
    assert_eq!(first.status, 200, "{}", first.body);
    assert!(
        first.body["interval_seconds"]
            .as_f64()
            .is_some_and(|s| s >= 1.0),
        "{}",
        first.body
    );
    for times in [25, 10] {
        run_marked(&c, times).await;
        // The newest snapshot must be a second old for the next call to take another.
        tokio::time::sleep(Duration::from_millis(1100)).await;
        let got = view
            .get("/server/live/statements?order=calls&limit=100")
            .await;
        assert_eq!(got.status, 200, "{}", got.body);
        let s = statement(&got.body, "pgmon_marked_statement")
            .unwrap_or_else(|| panic!("marked statement missing: {}", got.body));
        let seconds = got.body["interval_seconds"].as_f64().unwrap();
        assert_eq!(s["calls"], times, "{s}");
        let rate = s["calls_per_second"].as_f64().unwrap();
        assert!(
            (rate - times as f64 / seconds).abs() < 1e-9,
            "{s} over {seconds}"
        );
        assert_eq!(s["rows"], times);
        assert_eq!(
            (&s["datname"], &s["usename"]),
            (&"live_stmts".into(), &"postgres".into())
        );
        assert!(s["mean_time_ms"].as_f64().unwrap() >= 0.0);
    }
    // Asked again at once: the same snapshots, the same answer.
    let again = view
        .get("/server/live/statements?order=calls&limit=100")
        .await;
    let count = |b: &Value| statement(b, "pgmon_marked_statement").map(|s| s["calls"].clone());
    assert_eq!(count(&again.body), Some(10.into()));
    // Nothing ran since: the marked statement is not among those that ran.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let quiet = view.get("/server/live/statements?limit=1000").await.body;
    assert_eq!(count(&quiet), None, "{quiet}");

    // First calls that come together wait for one pair of snapshots a second apart.
    let (x, y) = tokio::join!(
        view.get("/server/twin/statements"),
        view.get("/server/twin/statements")
    );
    for a in [&x, &y] {
        let seconds = a.body["interval_seconds"].as_f64();
        assert!(seconds.is_some_and(|s| s >= 1.0), "{}", a.body);
    }
    assert_eq!(x.body["taken_at"], y.body["taken_at"]);
    // Bad parameters, no extension, no server.
    for bad in ["limit=0", "limit=1001", "order=fastest"] {
        let a = view.get(&format!("/server/live/statements?{bad}")).await;
        assert!(
            matches!(a.status, 400 | 422),
            "{bad}: {} {}",
            a.status,
            a.body
        );
        assert!(
            a.body["detail"].is_string() || a.body["detail"].is_array(),
            "{}",
            a.body
        );
    }
    let bare = view.get("/server/bare/statements").await.body;
    assert!(
        bare["error"]
            .as_str()
            .unwrap()
            .contains("not installed in database live_bare"),
        "{bare}"
    );
    let hint = bare["hint"].as_str().unwrap();
    assert!(hint.contains("shared_preload_libraries") && hint.contains("CREATE EXTENSION"));
    for path in ["databases", "statements", "replication", "activity"] {
        let a = view.get(&format!("/server/down/{path}")).await;
        assert_eq!(a.status, 200, "{path}: {}", a.body);
        assert_eq!(a.body["error"], "PostgreSQL: host unreachable", "{path}");
        assert_eq!(view.get(&format!("/server/nope/{path}")).await.status, 404);
    }

    // pgmonctl.
    let table = stdout_of(&daemon.pgmonctl_socket(&["stats", "databases", "live"], ""));
    assert!(table.contains("live_stmts"), "{table}");
    run_marked(&c, 3).await;
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let table = stdout_of(&daemon.pgmonctl_socket(
        &[
            "stats",
            "statements",
            "live",
            "--order",
            "calls",
            "--limit",
            "50",
        ],
        "",
    ));
    assert!(table.contains("pgmon_marked_statement"), "{table}");
    let out = daemon.pgmonctl_socket(&["stats", "statements", "bare"], "");
    assert_eq!(out.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("CREATE EXTENSION"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
