//! The built-in collector and pgmon's own history store (SPEC B4) against throwaway clusters:
//! samples on a one-second interval, their figures against `pg_stat_database`, a restart, a
//! stopped server, a dropped database, and SIGKILL in the middle of collection.

use std::collections::BTreeSet;
use std::time::Duration;

use pgmon_tests::daemon::{Daemon, add_local_server, add_settings, collector_entry};
use pgmon_tests::fixtures::seed_config;
use pgmon_tests::http::Api;
use pgmon_tests::postgres::TestCluster;
use serde_json::Value;

const FAST: &str = "collect_interval_seconds = 1\nsize_interval_seconds = 1";
const WAIT: Duration = Duration::from_secs(30);

/// The ends of a raw window around now (the last ten minutes).
fn recent_ends() -> (String, String) {
    let now = chrono::Utc::now();
    (
        (now - chrono::Duration::minutes(10)).to_rfc3339(),
        (now + chrono::Duration::minutes(1)).to_rfc3339(),
    )
}

fn recent() -> String {
    let (from, to) = recent_ends();
    format!(
        "start_date={}&end_date={}",
        urlencode(&from),
        urlencode(&to)
    )
}

fn urlencode(s: &str) -> String {
    s.replace('+', "%2B").replace(':', "%3A")
}

async fn stat_database(pg: &TestCluster, db: &str) -> (i64, i64) {
    // Asked from another database, so the asking adds nothing to `db`'s counters.
    let r = pg
        .client("postgres")
        .await
        .query_one(
            "SELECT xact_commit, xact_rollback FROM pg_stat_database WHERE datname = $1",
            &[&db],
        )
        .await
        .unwrap();
    (r.get(0), r.get(1))
}

/// The counters of `db` once they stop moving (statistics reach the view with a delay).
async fn settled(pg: &TestCluster, db: &str) -> (i64, i64) {
    let mut last = stat_database(pg, db).await;
    loop {
        tokio::time::sleep(Duration::from_millis(1200)).await;
        let now = stat_database(pg, db).await;
        if now == last {
            return now;
        }
        last = now;
    }
}

async fn samples(api: &Api, name: &str) -> u64 {
    let s = api.get("/collector/status").await.body;
    collector_entry(&s, name)["samples"].as_u64().unwrap()
}

/// `/settings` with the analysis thresholds at their defaults.
fn with_other_defaults(mut schedule: Value) -> Value {
    let analysis = serde_json::json!({"unused_days": 30, "static_days": 30,
        "growth_window_days": 7, "growth_mb_per_day": 1024, "wraparound_percent": 50,
        "activity_query_chars": 4096, "idle_in_transaction_seconds": 300,
        "long_transaction_seconds": 3600, "long_query_seconds": 300, "lock_wait_seconds": 60,
        "replication_lag_seconds": 300, "replication_lag_mib": 1024, "slot_retained_mib": 1024,
        "checks_interval": 21600, "checks_statement_timeout": 30, "bloat_percent": 50,
        "bloat_min_mib": 64, "sequence_percent": 75, "vacuum_rows": 10000, "vacuum_percent": 20,
        "missing_index_rows": 10000, "down_samples": 2, "connections_percent": 90,
        "disk_free_percent": 10, "certificate_days": 14, "alert_retention_days": 90});
    for (k, v) in analysis.as_object().unwrap() {
        schedule[k] = v.clone();
    }
    schedule
}

fn timeline(body: &Value) -> &Vec<Value> {
    body["timeline"].as_array().unwrap()
}

#[tokio::test]
/// With a 1 s interval the history endpoints return the collected rows; the stored commit
/// counts are `pg_stat_database`'s own, so their deltas match what was done, and rollbacks
/// show as increases; a restart keeps every row.
async fn samples_match_pg_stat_database_and_survive_a_restart() {
    let pg = TestCluster::shared();
    pg.create_database("coll_counts").await;
    let (_tmp, dir) = seed_config();
    add_settings(&dir, FAST);
    add_local_server(&dir, "c1", pg.port, None);
    let mut d = Daemon::binary(&dir, &[]);
    let api = d.api_as("view", "view-pass-1").await;

    let (c0, r0) = settled(pg, "coll_counts").await;
    let info = "/server/c1/db/coll_counts";
    api.get_until(info, WAIT, "a sample with the settled commits", |b| {
        b["commits"] == c0
    })
    .await;
    let work = pg.client("coll_counts").await;
    for _ in 0..25 {
        work.batch_execute("SELECT 1").await.unwrap();
    }
    for _ in 0..3 {
        work.batch_execute("BEGIN; SELECT 1; ROLLBACK")
            .await
            .unwrap();
    }
    drop(work);
    let (c1, r1) = settled(pg, "coll_counts").await;
    assert!(c1 - c0 >= 25, "{c0} -> {c1}");
    api.get_until(info, WAIT, "a sample with the new commits", |b| {
        b["commits"] == c1
    })
    .await;

    let path = format!("/server/c1/db/coll_counts/stats?{}", recent());
    let h = api.get(&path).await.body;
    assert_eq!(h["aggregation"], "raw", "{h}");
    let points = timeline(&h);
    let at = |c: i64| points.iter().position(|p| p["commits"] == c);
    let (from, to) = (at(c0).expect("c0 stored"), at(c1).expect("c1 stored"));
    assert!(from < to);
    let commits: Vec<i64> = points
        .iter()
        .map(|p| p["commits"].as_i64().unwrap())
        .collect();
    assert!(commits.windows(2).all(|w| w[0] <= w[1]), "{commits:?}");
    let rollbacks: i64 = points[from + 1..=to]
        .iter()
        .map(|p| p["rollbacks"].as_i64().unwrap_or(0))
        .sum();
    assert_eq!(rollbacks, r1 - r0, "{h}");
    assert!(points.iter().all(|p| p["size_mb"].as_f64().unwrap() > 1.0));
    assert!(points[to]["frozen_xid_age"].as_i64().is_some());
    let server = api
        .get(&format!("/server/c1/stats?{}", recent()))
        .await
        .body;
    let listed: Vec<&str> = server["databases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["name"].as_str().unwrap())
        .collect();
    assert!(listed.contains(&"coll_counts"), "{server}");
    assert!(server["history_error"].is_null(), "{server}");
    let status = api.get("/collector/status").await.body;
    let me = collector_entry(&status, "c1");
    assert_eq!(me["interval"], 1);
    assert!(me["last_error"].is_null(), "{me}");
    assert!(me["rows_stored"].as_u64().unwrap() >= points.len() as u64);
    assert_eq!(me["legacy_import"]["state"], "none", "{me}");

    d.terminate();
    let d = Daemon::binary(&dir, &[]);
    let api = d.api_as("view", "view-pass-1").await;
    let again = api.get(&path).await.body;
    assert_eq!(
        &timeline(&again)[..points.len()],
        &points[..],
        "history lost"
    );

    // pgmonctl draws the trend.
    let (from, to) = recent_ends();
    let args = [
        "stats",
        "db",
        "c1",
        "coll_counts",
        "--from",
        &from,
        "--to",
        &to,
    ];
    let out = d.pgmonctl_socket(&args, "");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(text.contains("sessions over the window"), "{text}");
    assert!(
        text.chars().any(|c| ('▁'..='█').contains(&c)),
        "no chart:\n{text}"
    );
    // The charts with their axes, over the default window (the last day) and a relative one.
    let braille = |t: &str| t.chars().any(|c| ('\u{2801}'..='\u{28ff}').contains(&c));
    for args in [
        vec!["stats", "db", "c1", "coll_counts", "--from", "1h"],
        vec!["stats", "server", "c1"],
        vec!["stats", "server", "c1", "--from", "10 minutes ago"],
    ] {
        let out = d.pgmonctl_socket(&args, "");
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(
            braille(&text) && text.contains(" UTC"),
            "{args:?}: no chart:\n{text}"
        );
    }
    let server = String::from_utf8_lossy(&d.pgmonctl_socket(&["stats", "server", "c1"], "").stdout)
        .into_owned();
    assert!(server.contains("sessions, all databases"), "{server}");
    assert!(server.contains("size now (all databases)"), "{server}");
    // A time the CLI cannot read is a usage error naming its own flag.
    let bad = d.pgmonctl_socket(&["stats", "server", "c1", "--from", "soon"], "");
    assert_eq!(bad.status.code(), Some(2));
    let err = String::from_utf8_lossy(&bad.stderr);
    assert!(
        err.contains("--from") && !err.contains("start_date"),
        "{err}"
    );
}

#[tokio::test]
/// A stopped cluster yields failed samples, recorded with their reason; collection resumes
/// when it is back.
async fn stopped_server_is_recorded_and_collection_resumes() {
    let mut pg = TestCluster::start();
    let (_tmp, dir) = seed_config();
    add_settings(&dir, FAST);
    add_local_server(&dir, "flaky", pg.port, None);
    let d = Daemon::start(&dir);
    let api = d.api_as("view", "view-pass-1").await;
    let entry = |s: &Value| collector_entry(s, "flaky").clone();
    api.get_until("/collector/status", WAIT, "a good sample", |s| {
        entry(s)["rows_stored"].as_u64() > Some(0)
    })
    .await;

    pg.stop();
    let down = api
        .get_until("/collector/status", WAIT, "a failed sample", |s| {
            entry(s)["last_error"].is_string()
        })
        .await;
    let down = entry(&down);
    assert!(
        down["last_error"]
            .as_str()
            .unwrap()
            .starts_with("PostgreSQL:"),
        "{down}"
    );
    let failed_from = down["samples"].as_u64().unwrap();
    let rows_down = down["rows_stored"].as_u64().unwrap();
    let more = api
        .get_until("/collector/status", WAIT, "more failed samples", |s| {
            entry(s)["samples"].as_u64() >= Some(failed_from + 2)
        })
        .await;
    assert_eq!(entry(&more)["rows_stored"].as_u64(), Some(rows_down));

    pg.start_server();
    let back = api
        .get_until("/collector/status", WAIT, "collection resumed", |s| {
            entry(s)["last_error"].is_null() && entry(s)["rows_stored"].as_u64() > Some(rows_down)
        })
        .await;
    assert!(entry(&back)["samples"].as_u64() > Some(failed_from + 2));
}

#[tokio::test]
/// A dropped database stops being sampled and stays in history as not existing.
async fn dropped_database_stays_in_history() {
    let pg = TestCluster::shared();
    pg.create_database("coll_dropped").await;
    let (_tmp, dir) = seed_config();
    add_settings(&dir, FAST);
    add_local_server(&dir, "c2", pg.port, None);
    let d = Daemon::start(&dir);
    let api = d.api_as("view", "view-pass-1").await;
    let entry = |b: &Value| {
        b["databases"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["name"] == "coll_dropped")
            .cloned()
    };
    let path = format!("/server/c2/stats?{}", recent());
    api.get_until(&path, WAIT, "the database sampled", |b| {
        entry(b).is_some_and(|e| e["exists"] == true)
    })
    .await;
    pg.client("postgres")
        .await
        .batch_execute("DROP DATABASE coll_dropped")
        .await
        .unwrap();
    let gone = api
        .get_until(&path, WAIT, "the database marked gone", |b| {
            entry(b).is_some_and(|e| e["exists"] == false)
        })
        .await;
    let last_point = |b: &Value| {
        b["connection_timeline"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|p| p["datname"] == "coll_dropped")
            .map(|p| p["ts"].as_str().unwrap().to_owned())
            .max()
    };
    let last = last_point(&gone);
    assert!(last.is_some(), "{gone}");
    let before = samples(&api, "c2").await;
    api.get_until("/collector/status", WAIT, "two more samples", |s| {
        collector_entry(s, "c2")["samples"].as_u64() >= Some(before + 2)
    })
    .await;
    let later = api.get(&path).await.body;
    assert_eq!(last_point(&later), last, "a dropped database was sampled");
    assert_eq!(entry(&later).unwrap()["exists"], false);
}

#[tokio::test]
/// SIGKILL at any moment of collection, 20 times: the store opens each time, and every
/// sample seen before a kill is still there after it.
async fn sigkill_during_collection_loses_no_stored_sample() {
    let pg = TestCluster::shared();
    pg.create_database("coll_kill").await;
    let (_tmp, dir) = seed_config();
    add_settings(
        &dir,
        "collect_interval_seconds = 1\nsize_interval_seconds = 1",
    );
    // Several entries on one cluster keep the store busy writing.
    for i in 0..8 {
        add_local_server(&dir, &format!("k{i}"), pg.port, None);
    }
    let path = format!("/server/k0/db/coll_kill/stats?{}", recent());
    let mut seen: BTreeSet<String> = BTreeSet::new();
    for round in 0..20u64 {
        let d = Daemon::start(&dir);
        let api = d.api_as("view", "view-pass-1").await;
        let now: BTreeSet<String> = timeline(&api.get(&path).await.body)
            .iter()
            .map(|p| p["ts"].as_str().unwrap().to_owned())
            .collect();
        let lost: Vec<_> = seen.difference(&now).collect();
        assert!(lost.is_empty(), "round {round}: lost {lost:?}");
        // Kill at a different point of the one-second cycle each round.
        tokio::time::sleep(Duration::from_millis(400 + round * 97 % 900)).await;
        seen = timeline(&api.get(&path).await.body)
            .iter()
            .map(|p| p["ts"].as_str().unwrap().to_owned())
            .collect();
        drop(d); // SIGKILL
    }
    assert!(seen.len() >= 10, "too few samples taken: {}", seen.len());
}

#[test]
/// A store file that is not a store, or one of a newer schema, stops pgmond at start with a
/// message naming the file, and is left exactly as it was.
fn foreign_or_newer_store_file_stops_pgmond_untouched() {
    let python_sqlite = |path: &std::path::Path, sql: &str| {
        let script = format!(
            "import sqlite3; c = sqlite3.connect({:?}); c.executescript({sql:?}); c.commit()",
            path.to_str().unwrap()
        );
        let out = std::process::Command::new("python3")
            .args(["-c", &script])
            .output()
            .expect("python3 (Debian package python3) makes the test stores");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    type Make<'a> = &'a dyn Fn(&std::path::Path);
    let cases: [(&str, Make, &str); 3] = [
        (
            "text",
            &|p| {
                std::fs::write(
                    p,
                    "these are not the rows you are looking for\n".repeat(200),
                )
                .unwrap()
            },
            "not a pgmon history store",
        ),
        (
            "another application's database",
            &|p| {
                python_sqlite(
                    p,
                    "CREATE TABLE notes (body TEXT); INSERT INTO notes VALUES ('x');",
                )
            },
            "not a pgmon history store",
        ),
        (
            "a newer schema",
            &|p| {
                python_sqlite(
                    p,
                    "PRAGMA application_id = 1885826414; PRAGMA user_version = 99; \
                     CREATE TABLE future (x);",
                )
            },
            "newer pgmond",
        ),
    ];
    for (what, make, says) in cases {
        let (_tmp, dir) = seed_config();
        let store = dir.join("history.db");
        make(&store);
        let before = std::fs::read(&store).unwrap();
        let out = pgmon_tests::daemon::pgmond_to_exit(&dir, &dir.join("s.sock"), &[]);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{what}: pgmond started");
        assert!(
            stderr.contains(says) && stderr.contains("history.db"),
            "{what}: {stderr}"
        );
        assert_eq!(
            std::fs::read(&store).unwrap(),
            before,
            "{what}: the file changed"
        );
        assert!(
            !dir.join("history.db-wal").exists(),
            "{what}: a WAL was made"
        );
    }
}

#[tokio::test]
/// `/settings`: admins only; out-of-range or unknown fields are 422 naming the field and
/// change nothing; a change is kept across a restart and the collector follows it.
async fn settings_are_validated_kept_and_followed() {
    let (_tmp, dir) = seed_config();
    add_settings(&dir, FAST);
    let mut d = Daemon::binary(&dir, &[]);
    let admin = d.api_as("admin", "admin-pass-1").await;
    for (login, password) in [("view", "view-pass-1"), ("oper", "oper-pass-1")] {
        let api = d.api_as(login, password).await;
        assert_eq!(api.get("/settings").await.status, 403, "{login}");
        let put = api
            .put("/settings", &serde_json::json!({"collect_interval": 60}))
            .await;
        assert_eq!(put.status, 403, "{login}");
    }
    let defaults = admin.get("/settings").await;
    assert_eq!(
        defaults.body,
        with_other_defaults(
            serde_json::json!({"collect_interval": 1, "size_interval": 1, "raw_retention_days": 365})
        )
    );
    for (body, field) in [
        (
            serde_json::json!({"collect_interval": 9}),
            "collect_interval",
        ),
        (serde_json::json!({"size_interval": 0}), "size_interval"),
        (
            serde_json::json!({"raw_retention_days": 100000}),
            "raw_retention_days",
        ),
        (
            serde_json::json!({"collect_interval": "often"}),
            "collect_interval",
        ),
        (
            serde_json::json!({"collect_interval": -5}),
            "collect_interval",
        ),
        (
            serde_json::json!({"colect_interval": 60}),
            "colect_interval",
        ),
        (
            serde_json::json!({"wraparound_percent": 0}),
            "wraparound_percent",
        ),
    ] {
        let a = admin.put("/settings", &body).await;
        assert_eq!(a.status, 422, "{body}: {}", a.body);
        assert!(
            a.body["detail"].to_string().contains(field),
            "{body}: {}",
            a.body
        );
    }
    assert_eq!(
        admin.get("/settings").await.body,
        defaults.body,
        "a refused change stuck"
    );
    assert!(!dir.join("settings.json").exists());

    let changed = admin
        .put(
            "/settings",
            &serde_json::json!({"collect_interval": 30, "raw_retention_days": 30}),
        )
        .await;
    assert_eq!(changed.status, 200, "{}", changed.body);
    let want = with_other_defaults(
        serde_json::json!({"collect_interval": 30, "size_interval": 1, "raw_retention_days": 30}),
    );
    assert_eq!(changed.body, want);
    d.terminate();
    let d = Daemon::binary(&dir, &[]);
    let admin = d.api_as("admin", "admin-pass-1").await;
    assert_eq!(admin.get("/settings").await.body, want);
    let status = admin.get("/collector/status").await.body;
    assert_eq!(
        collector_entry(&status, "local-pg")["interval"],
        30,
        "{status}"
    );

    // The same through pgmonctl on the admin socket.
    let refused = d.pgmonctl_socket(&["settings", "set", "--collect-interval", "5"], "");
    assert_eq!(refused.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(
        stderr.contains("collect_interval must be between 10"),
        "{stderr}"
    );
    let set = d.pgmonctl_socket(
        &[
            "--output",
            "json",
            "settings",
            "set",
            "--size-interval",
            "120",
        ],
        "",
    );
    assert!(
        set.status.success(),
        "{}",
        String::from_utf8_lossy(&set.stderr)
    );
    let printed: Value = serde_json::from_slice(&set.stdout).unwrap();
    assert_eq!(printed["size_interval"], 120);
    assert_eq!(printed["collect_interval"], 30);

    // A server's own interval: 0 or at least 10 s, through the API and pgmonctl.
    let oper = d.api_as("oper", "oper-pass-1").await;
    let mut entry = oper.get("/servers/local-pg").await.body;
    entry["collect_interval"] = serde_json::json!(5);
    let short = oper.put("/servers/local-pg", &entry).await;
    assert_eq!(short.status, 422, "{}", short.body);
    assert_eq!(
        short.body["detail"][0]["loc"][1], "collect_interval",
        "{}",
        short.body
    );
    entry["collect_interval"] = serde_json::json!(45);
    let own = oper.put("/servers/local-pg", &entry).await;
    assert_eq!(
        (own.status, &own.body["collect_interval"]),
        (200, &serde_json::json!(45))
    );
    let status = admin.get("/collector/status").await.body;
    assert_eq!(
        collector_entry(&status, "local-pg")["interval"],
        45,
        "{status}"
    );
    let off = d.pgmonctl_socket(
        &["servers", "update", "local-pg", "--collect-interval", "0"],
        "",
    );
    assert!(
        off.status.success(),
        "{}",
        String::from_utf8_lossy(&off.stderr)
    );
    let table = d.pgmonctl_socket(&["collector", "status"], "");
    let text = String::from_utf8_lossy(&table.stdout);
    for word in ["SERVER", "LAST SAMPLE", "local-pg", "off", "30s"] {
        assert!(text.contains(word), "{word} missing:\n{text}");
    }
    // `default` drops the server's own interval: the setting applies again.
    let back = d.pgmonctl_socket(
        &[
            "servers",
            "update",
            "local-pg",
            "--collect-interval",
            "default",
        ],
        "",
    );
    assert!(
        back.status.success(),
        "{}",
        String::from_utf8_lossy(&back.stderr)
    );
    let shown = oper.get("/servers/local-pg").await.body;
    assert!(shown.get("collect_interval").is_none(), "{shown}");
    let status = admin.get("/collector/status").await.body;
    assert_eq!(
        collector_entry(&status, "local-pg")["interval"],
        30,
        "{status}"
    );
    entry["collect_interval"] = serde_json::json!("sometimes");
    let bad = oper.put("/servers/local-pg", &entry).await;
    assert_eq!(bad.status, 422, "{}", bad.body);
    assert_eq!(
        bad.body["detail"][0]["loc"],
        serde_json::json!(["body", "collect_interval"])
    );
}

#[tokio::test]
/// `/server/{name}/analysis` from collected samples: the newest figures as the server has them
/// (sessions without pgmon's own), autovacuum_freeze_max_age read from the server, and the
/// wraparound flag following the threshold in `/settings`; `pgmonctl stats analysis` prints it
/// and fails on findings when asked.
async fn analysis_flags_follow_the_server_and_the_settings() {
    let mut pg = TestCluster::start();
    pg.client("postgres")
        .await
        .batch_execute("ALTER SYSTEM SET autovacuum_freeze_max_age = 100000")
        .await
        .unwrap();
    pg.stop();
    pg.start_server();
    pg.create_database("wrapdb").await;
    let keep = pg.client("wrapdb").await;
    // Each subtransaction that writes takes a transaction ID: three thousand of them age every
    // database by as much.
    keep.batch_execute(
        "CREATE TABLE burn (i int);
         DO $$ BEGIN FOR i IN 1..3000 LOOP
             BEGIN INSERT INTO burn VALUES (i); EXCEPTION WHEN others THEN NULL; END;
         END LOOP; END $$;",
    )
    .await
    .unwrap();
    let age: i64 = keep
        .query_one(
            "SELECT age(datfrozenxid)::int8 FROM pg_database WHERE datname = 'wrapdb'",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert!(age > 3_000, "{age}");

    let (_tmp, dir) = seed_config();
    add_settings(&dir, FAST);
    add_local_server(&dir, "wrap", pg.port, None);
    let mut d = Daemon::binary(&dir, &[]);
    let view = d.api_as("view", "view-pass-1").await;
    let db = |a: &Value, name: &str| -> Value {
        a["databases"]
            .as_array()
            .unwrap()
            .iter()
            .find(|d| d["datname"] == name)
            .cloned()
            .unwrap_or(Value::Null)
    };
    let a = view
        // A sample may still see a session of the harness's that is closing; pgmon's own are
        // never counted, so the count settles at 0 (it never would if they were).
        .get_until(
            "/server/wrap/analysis",
            WAIT,
            "wrapdb sampled, postgres idle",
            |a| db(a, "wrapdb")["frozen_age"] == age && db(a, "postgres")["connections"] == 0,
        )
        .await;
    assert_eq!(a["server"], "wrap");
    assert_eq!(a["autovacuum_freeze_max_age"], 100_000, "{a}");
    assert_eq!(a["wraparound_age"], 50_000, "{a}");
    assert_eq!(a["findings"], serde_json::json!([]), "{a}");
    assert_eq!(db(&a, "wrapdb")["connections"], 1, "{a}");
    assert_eq!(
        db(&a, "postgres")["connections"],
        0,
        "pgmon's own sessions counted: {a}"
    );
    assert!(db(&a, "wrapdb")["size_mb"].as_f64().unwrap() > 1.0, "{a}");
    assert!(db(&a, "wrapdb")["history_since"].is_string(), "{a}");

    let admin = d.api_as("admin", "admin-pass-1").await;
    let set = admin
        .put("/settings", &serde_json::json!({"wraparound_percent": 1}))
        .await;
    assert_eq!(set.status, 200, "{}", set.body);
    let a = view.get("/server/wrap/analysis").await.body;
    assert_eq!(a["wraparound_age"], 1_000, "{a}");
    assert_eq!(a["thresholds"]["wraparound_percent"], 1, "{a}");
    let flagged: BTreeSet<&str> = a["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["kind"] == "near_wraparound")
        .map(|f| f["datname"].as_str().unwrap())
        .collect();
    assert!(flagged.contains("wrapdb"), "{a}");
    assert_eq!(
        db(&a, "wrapdb")["flags"],
        serde_json::json!(["near_wraparound"])
    );

    assert_eq!(view.get("/server/nope/analysis").await.status, 404);
    let anonymous = Api::new(&d.url(""));
    assert_eq!(anonymous.get("/server/wrap/analysis").await.status, 401);

    let table = d.pgmonctl_socket(&["stats", "analysis", "wrap"], "");
    let text = String::from_utf8_lossy(&table.stdout);
    assert!(
        table.status.success(),
        "{}",
        String::from_utf8_lossy(&table.stderr)
    );
    assert!(
        text.contains("near wraparound") && text.contains("wrapdb"),
        "{text}"
    );
    let failing = d.pgmonctl_socket(&["stats", "analysis", "wrap", "--fail-on-findings"], "");
    assert_eq!(failing.status.code(), Some(1), "{failing:?}");
    let json = d.pgmonctl_socket(&["--output", "json", "stats", "analysis", "wrap"], "");
    let parsed: Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(parsed["findings"], a["findings"]);
    d.terminate();
}
