//! History (SPEC A5) on the fixture data set: pgmon gives the Python backend's recorded answers.

use pgmon_tests::daemon::{
    Daemon, add_local_server, add_settings, collector_entry, set_server_field,
};
use pgmon_tests::fixtures::{load_stats_db, seed_config};
use pgmon_tests::http::Api;
use pgmon_tests::postgres::TestCluster;
use pgmon_tests::recorded::{self, normalise_history};
use serde_json::{Value, json};

/// The recordings pgmon answers exactly as the Python backend did.
const SAME: [&str; 12] = [
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

/// Panics at the first line where two history answers differ (unordered lists as sets).
fn assert_same_history(what: &str, got: Value, want: Value) {
    let (got, want) = (normalise_history(got), normalise_history(want));
    if got != want {
        let g = serde_json::to_string_pretty(&got).unwrap();
        let w = serde_json::to_string_pretty(&want).unwrap();
        let first = g
            .lines()
            .zip(w.lines())
            .position(|(a, b)| a != b)
            .unwrap_or(0);
        panic!(
            "{what} differs at line {first}:\n got: {:?}\nwant: {:?}",
            g.lines().nth(first),
            w.lines().nth(first)
        );
    }
}

/// Every recording of `SAME` asked of `api` gives the recorded status and body.
async fn assert_recorded_answers(api: &Api) {
    for name in SAME {
        let r = recorded::load(name);
        assert_eq!(r.method, "GET");
        let a = api.get(&r.path).await;
        assert_eq!(a.status, r.status, "{name}: {}", a.body);
        assert_same_history(name, a.body, r.body);
    }
}

/// A config dir with server `local` on `pg` reading `stats_db`, which the collector does not
/// sample (so that only the fixture's rows are history).
fn fixture_config(pg: &TestCluster, settings: &str) -> (tempfile::TempDir, std::path::PathBuf) {
    let (tmp, dir) = seed_config();
    add_local_server(&dir, "local", pg.port, Some("stats_db"));
    set_server_field(&dir, "local", "collect_interval", json!(0));
    add_settings(&dir, settings);
    (tmp, dir)
}

#[tokio::test]
/// Read live from the legacy tables (import off), every history recording is answered the same
/// (bodies compared whole, unordered lists as sets); the deliberate differences of the
/// recordings' README are checked as pgmon's own.
async fn recorded_history_answers() {
    let pg = TestCluster::start();
    load_stats_db(&pg).await;
    let (_tmp, dir) = fixture_config(&pg, "legacy_import = false");
    let d = Daemon::start(&dir);
    let api = d.api_as("view", "view-pass-1").await;
    assert_recorded_answers(&api).await;
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
/// Read live (import off), a server without its stats database still answers 200, with empty
/// history, live facts, and `history_error` saying why.
async fn missing_stats_database_is_reported_not_fatal() {
    let pg = TestCluster::shared();
    pg.create_database("hist_live_only").await;
    let (_tmp, dir) = seed_config();
    add_local_server(&dir, "nostats", pg.port, Some("no_such_stats_db"));
    add_settings(&dir, "legacy_import = false");
    let d = Daemon::start(&dir);
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

/// Windows that cut hours, days and buckets at odd places, of every aggregation, inside,
/// across and outside the fixture's data (2026-07-01 to 2026-11-01).
fn windows() -> Vec<(String, String)> {
    let starts = [
        "2026-06-20T00:00:00Z",
        "2026-07-01T00:00:00Z",
        "2026-07-14T21:07:13.5Z",
        "2026-08-31T23:59:59Z",
        "2026-10-30T12:34:56+03:00",
    ];
    let hours = [
        1.0, 5.5, 24.0, 47.0, 49.0, 72.0, 200.0, 336.0, 337.0, 1000.0, 2160.0, 2200.0, 3000.0,
    ];
    let mut out = Vec::new();
    for start in starts {
        let from = chrono::DateTime::parse_from_rfc3339(start).unwrap();
        for h in hours {
            let to = from + chrono::Duration::milliseconds((h * 3_600_000.0) as i64);
            out.push((start.to_owned(), to.to_rfc3339()));
        }
    }
    out
}

fn query(from: &str, to: &str) -> String {
    let enc = |s: &str| s.replace('+', "%2B").replace(':', "%3A");
    format!("start_date={}&end_date={}", enc(from), enc(to))
}

#[tokio::test]
/// The fixture's `stats_db` imported into pgmon's store: over 65 windows the store answers as
/// the legacy tables do, and with those tables gone every recording is still answered the
/// same, now from the store alone.
async fn imported_history_matches_legacy_and_recordings() {
    let pg = TestCluster::start();
    load_stats_db(&pg).await;
    let (_tmp_l, legacy_dir) = fixture_config(&pg, "legacy_import = false");
    let (_tmp_s, store_dir) = fixture_config(&pg, "");
    let legacy = Daemon::start(&legacy_dir);
    let stored = Daemon::start(&store_dir);
    let (legacy_api, api) = (
        legacy.api_as("view", "view-pass-1").await,
        stored.api_as("view", "view-pass-1").await,
    );
    let status = api
        .get_until(
            "/collector/status",
            std::time::Duration::from_secs(120),
            "the import to catch up",
            |s| collector_entry(s, "local")["legacy_import"]["state"] == "caught_up",
        )
        .await;
    let local = collector_entry(&status, "local");
    assert_eq!(
        local["legacy_import"]["rows_imported"],
        17713 * 5 + 2016,
        "{local}"
    );
    assert_eq!(
        local["legacy_import"]["last_imported"],
        "2026-11-01T00:00:00+00:00"
    );
    assert_eq!(local["samples"], 0, "{local}");
    // Not sampled, its databases are still listed (for `exists`).
    api.get_until(
        &recorded::load("server_stats_raw").path,
        std::time::Duration::from_secs(30),
        "the database list",
        |b| {
            b["databases"]
                .as_array()
                .is_some_and(|l| l.iter().any(|d| d["exists"] == true))
        },
    )
    .await;

    for (from, to) in windows() {
        let q = query(&from, &to);
        for path in [
            format!("/server/local/stats?{q}"),
            format!("/server/local/db/app_main/stats?{q}"),
            format!("/server/local/db/legacy_db/stats?{q}"),
        ] {
            let (want, got) = (legacy_api.get(&path).await, api.get(&path).await);
            assert_eq!(
                (got.status, want.status),
                (200, 200),
                "{path}: {}",
                got.body
            );
            assert_same_history(&path, got.body, want.body);
        }
    }
    for db in ["app_main", "reports", "legacy_db", "postgres"] {
        let path = format!("/server/local/db/{db}");
        assert_same_history(
            &path,
            api.get(&path).await.body,
            legacy_api.get(&path).await.body,
        );
    }

    // The legacy tables gone, the answers come from the store alone.
    pg.client("stats_db")
        .await
        .batch_execute("ALTER TABLE pg_statistics RENAME TO pg_statistics_retired")
        .await
        .unwrap();
    assert!(
        legacy_api.get("/server/local/stats").await.body["history_error"].is_string(),
        "the legacy reader still reads the table"
    );
    assert_recorded_answers(&api).await;
}
