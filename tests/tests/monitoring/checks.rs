//! Health checks (issue 29) on whatever major the suite runs: a database built with each
//! problem and a clean one; every problem found with its object and fix, nothing at all in the
//! clean database; the bloat estimate against `pgstattuple`; a fixed problem leaves the open
//! findings and stays in their history; a role with only `pg_monitor` is told what it lacks,
//! and a database it may not connect to is reported once, not tried.

use std::time::Duration;

use pgmon_tests::daemon::{Daemon, add_local_server, set_server_field, stdout_of};
use pgmon_tests::fixtures::seed_config;
use pgmon_tests::postgres::{BLOATED_TABLE, TestCluster, measured_waste};
use serde_json::{Value, json};

/// A table name meant to break out of SQL, a shell line and markup.
const HOSTILE: &str = "Robert'); DROP TABLE t_idx;--<b>";

/// Each problem, built in its own sessions so every statistic is flushed before it is read.
async fn build_problems(pg: &TestCluster) {
    let c = pg.client("checks_bad").await;
    c.batch_execute(&format!(
        "CREATE TABLE t_idx (id int PRIMARY KEY, a int, b int, c text);
         INSERT INTO t_idx SELECT g, g % 100, g % 7, 'x' || g FROM generate_series(1, 1000) g;
         CREATE INDEX t_idx_unused ON t_idx (c);
         CREATE INDEX t_idx_a ON t_idx (a);
         CREATE INDEX t_idx_a_dup ON t_idx (a);
         CREATE INDEX t_idx_a_b ON t_idx (a, b);
         CREATE TABLE t_invalid (id int PRIMARY KEY, v int);
         INSERT INTO t_invalid VALUES (1, 1), (2, 1);
         CREATE SEQUENCE s_full AS integer;
         SELECT setval('s_full', 2040109466);
         CREATE TABLE t_serial (id serial PRIMARY KEY, v int);
         SELECT setval('t_serial_id_seq', 2100000000);
         CREATE TABLE t_nopk (a int, b text);
         CREATE TABLE \"{}\" (a int);
         {BLOATED_TABLE}
         CREATE TABLE t_scan (id int PRIMARY KEY, v int);
         INSERT INTO t_scan SELECT g, g FROM generate_series(1, 20000) g;
         CREATE TABLE t_old (id int PRIMARY KEY)
             WITH (autovacuum_freeze_max_age = 100000, autovacuum_enabled = false);
         INSERT INTO t_old VALUES (1);
         CREATE PROCEDURE burn(n int) LANGUAGE plpgsql AS $$
         BEGIN
             FOR i IN 1..n LOOP PERFORM txid_current(); COMMIT; END LOOP;
         END $$;",
        HOSTILE.replace('"', "\"\"")
    ))
    .await
    .unwrap();
    // A failed CREATE INDEX CONCURRENTLY leaves its index invalid.
    let failed = c
        .batch_execute("CREATE UNIQUE INDEX CONCURRENTLY t_invalid_v ON t_invalid (v)")
        .await;
    assert!(failed.is_err(), "the duplicate value should fail the build");
    // 60,000 transactions: t_old's relfrozenxid is 60 % of its own freeze limit old.
    c.batch_execute("CALL burn(60000)").await.unwrap();
    for i in 0..110 {
        c.query_one("SELECT count(*) FROM t_scan WHERE v = $1", &[&i])
            .await
            .unwrap();
    }
    c.batch_execute("SET enable_seqscan = off; SELECT * FROM t_idx WHERE a = 5 AND b = 1")
        .await
        .unwrap();
    drop(c);
    settle(pg, "checks_bad", "t_scan").await;
    pg.client("checks_bad")
        .await
        .batch_execute("ANALYZE")
        .await
        .unwrap();
}

/// A database with nothing to report: keys, a used index, statistics fresh, nothing dead.
async fn build_clean(pg: &TestCluster) {
    let c = pg.client("checks_clean").await;
    c.batch_execute(
        "CREATE TABLE c_items (id int PRIMARY KEY, name text NOT NULL);
         INSERT INTO c_items SELECT g, 'item ' || g FROM generate_series(1, 500) g;
         CREATE INDEX c_items_name ON c_items (name);
         CREATE TABLE c_log (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, at timestamptz);
         INSERT INTO c_log (at) SELECT now() FROM generate_series(1, 100);
         SET enable_seqscan = off;
         SELECT * FROM c_items WHERE name = 'item 7';",
    )
    .await
    .unwrap();
    drop(c);
    settle(pg, "checks_clean", "c_items").await;
    pg.client("checks_clean")
        .await
        .batch_execute("VACUUM ANALYZE")
        .await
        .unwrap();
}

/// Waits until the sessions that built `db` have published their statistics (a backend
/// publishes them as it exits, a moment after the client hangs up).
async fn settle(pg: &TestCluster, db: &str, table: &str) {
    let c = pg.client(db).await;
    for _ in 0..100 {
        let row = c
            .query_one(
                "SELECT coalesce(n_live_tup, 0) FROM pg_stat_user_tables WHERE relname = $1",
                &[&table],
            )
            .await
            .unwrap();
        if row.get::<_, i64>(0) > 0 {
            tokio::time::sleep(Duration::from_millis(300)).await;
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("{db}.{table}: statistics never arrived");
}

fn findings<'a>(body: &'a Value, db: Option<&str>) -> Vec<&'a Value> {
    body["checks"]
        .as_array()
        .unwrap_or_else(|| panic!("no checks: {body}"))
        .iter()
        .filter(|f| f["database"].as_str() == db)
        .collect()
}

#[tokio::test]
async fn checks_find_each_problem_and_nothing_in_a_clean_database() {
    let pg = TestCluster::shared();
    pg.create_database("checks_bad").await;
    pg.create_database("checks_clean").await;
    build_problems(pg).await;
    build_clean(pg).await;

    let (_tmp, dir) = seed_config();
    add_local_server(&dir, "checked", pg.port, None);
    let daemon = Daemon::start(&dir);
    let admin = daemon.api_as("admin", "admin-pass-1").await;
    let oper = daemon.api_as("oper", "oper-pass-1").await;
    let view = daemon.api_as("view", "view-pass-1").await;
    // The test tables are small: waste counts from 1 MiB.
    let set = admin.put("/settings", &json!({"bloat_min_mib": 1})).await;
    assert_eq!(set.status, 200, "{}", set.body);

    assert_eq!(
        view.post("/server/checked/checks", &json!({})).await.status,
        403
    );
    let run = oper.post("/server/checked/checks", &json!({})).await;
    assert_eq!(run.status, 200, "{}", run.body);
    let body = run.body;
    let errors: Vec<&Value> = body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| matches!(e["database"].as_str(), Some("checks_bad" | "checks_clean")))
        .collect();
    assert!(errors.is_empty(), "{errors:?}");
    assert!(body["ran_at"].is_string(), "{body}");

    let bad = findings(&body, Some("checks_bad"));
    let hostile = format!("public.\"{}\"", HOSTILE.replace('"', "\"\""));
    let expected: Vec<(&str, String, String)> = vec![
        (
            "unused_index",
            "public.t_idx_unused".into(),
            "DROP INDEX CONCURRENTLY public.t_idx_unused;".into(),
        ),
        (
            "duplicate_index",
            "public.t_idx_a_dup".into(),
            "DROP INDEX CONCURRENTLY public.t_idx_a_dup;".into(),
        ),
        (
            "duplicate_index",
            "public.t_idx_a".into(),
            "DROP INDEX CONCURRENTLY public.t_idx_a;".into(),
        ),
        (
            "invalid_index",
            "public.t_invalid_v".into(),
            "REINDEX INDEX CONCURRENTLY public.t_invalid_v;".into(),
        ),
        (
            "missing_index",
            "public.t_scan".into(),
            "CREATE INDEX CONCURRENTLY ON public.t_scan".into(),
        ),
        (
            "table_bloat",
            "public.t_bloat".into(),
            "VACUUM (FULL, ANALYZE, VERBOSE) public.t_bloat;".into(),
        ),
        (
            "sequence_exhaustion",
            "public.s_full".into(),
            "ALTER SEQUENCE public.s_full AS bigint;".into(),
        ),
        (
            "sequence_exhaustion",
            "public.t_serial_id_seq".into(),
            "ALTER TABLE public.t_serial ALTER COLUMN id TYPE bigint;".into(),
        ),
        (
            "vacuum_overdue",
            "public.t_bloat".into(),
            "VACUUM (ANALYZE, VERBOSE) public.t_bloat;".into(),
        ),
        (
            "wraparound",
            "public.t_old".into(),
            "VACUUM (FREEZE, VERBOSE) public.t_old;".into(),
        ),
        (
            "no_primary_key",
            "public.t_nopk".into(),
            "ALTER TABLE public.t_nopk ADD PRIMARY KEY".into(),
        ),
        (
            "no_primary_key",
            hostile.clone(),
            format!("ALTER TABLE {hostile} ADD PRIMARY KEY"),
        ),
        (
            "setting",
            "public.t_bloat".into(),
            "ALTER TABLE public.t_bloat RESET (autovacuum_enabled);".into(),
        ),
    ];
    for (kind, object, fix) in &expected {
        let f = bad
            .iter()
            .find(|f| f["kind"] == *kind && f["object"] == *object)
            .unwrap_or_else(|| panic!("{kind} {object} not found in {bad:#?}"));
        assert!(f["fix"].as_str().unwrap().contains(fix.as_str()), "{f}");
        assert_eq!(f["first_seen"], f["last_seen"], "{f}");
    }
    let dup = bad
        .iter()
        .find(|f| f["kind"] == "duplicate_index" && f["object"] == "public.t_idx_a_dup")
        .unwrap();
    assert_eq!(dup["figures"]["covered_by"], "public.t_idx_a", "{dup}");
    let seq = bad.iter().find(|f| f["object"] == "public.s_full").unwrap();
    assert_eq!(
        (
            seq["severity"].as_str(),
            seq["figures"]["used_percent"].as_f64()
        ),
        (Some("critical"), Some(95.0))
    );
    // Nothing else is reported about the indexes that are fine.
    assert!(
        !bad.iter()
            .any(|f| f["object"] == "public.t_idx_a_b" || f["object"] == "public.t_idx_pkey"),
        "{bad:#?}"
    );

    // The clean database: no finding at all.
    let clean = findings(&body, Some("checks_clean"));
    assert!(
        clean.is_empty(),
        "findings in the clean database: {clean:#?}"
    );
    // Server-wide: the test clusters run with fsync off, from the command line.
    let server_wide = findings(&body, None);
    let fsync = server_wide
        .iter()
        .find(|f| f["object"] == "fsync")
        .unwrap_or_else(|| panic!("fsync = off not reported: {server_wide:#?}"));
    assert_eq!(
        (
            fsync["severity"].as_str(),
            fsync["figures"]["source"].as_str()
        ),
        (Some("critical"), Some("command line"))
    );
    assert!(
        fsync["fix"]
            .as_str()
            .unwrap()
            .contains("ALTER SYSTEM SET fsync = on;")
    );

    // The estimate against pgstattuple's measurement of the same table.
    let c = pg.client("checks_bad").await;
    let (measured, size) = measured_waste(&c, "t_bloat").await;
    let bloat = bad
        .iter()
        .find(|f| f["kind"] == "table_bloat" && f["object"] == "public.t_bloat")
        .unwrap();
    let estimated = bloat["figures"]["wasted_bytes"].as_i64().unwrap();
    let error = (estimated - measured).abs() as f64 / measured as f64;
    println!(
        "bloat of t_bloat: estimated {estimated} bytes, pgstattuple {measured} of {size} (error {:.1} %)",
        error * 100.0
    );
    assert!(
        error < 0.25,
        "estimate {estimated} against {measured} measured"
    );

    // Readers: one server with filters, the fleet, /metrics, and pgmonctl on the admin socket.
    let critical = view
        .get("/server/checked/checks?database=checks_bad&severity=critical")
        .await;
    assert!(
        critical.body["checks"]
            .as_array()
            .unwrap()
            .iter()
            .all(|f| f["severity"] == "critical")
            && !critical.body["checks"].as_array().unwrap().is_empty(),
        "{}",
        critical.body
    );
    let fleet = view
        .get("/checks?server=checked&kind=duplicate_index")
        .await;
    assert_eq!(
        fleet.body["checks"].as_array().unwrap().len(),
        2,
        "{}",
        fleet.body
    );
    assert!(
        fleet.body["checks"]
            .as_array()
            .unwrap()
            .iter()
            .all(|f| f["server"] == "checked")
    );
    assert_eq!(view.get("/checks?kind=bogus").await.status, 422);
    let metrics = view.get_text("/metrics").await;
    assert!(
        metrics.contains(
            r#"pgmon_check_findings{server="checked",kind="duplicate_index",severity="warning"} 2"#
        ),
        "{}",
        metrics
            .lines()
            .filter(|l| l.contains("check"))
            .collect::<Vec<_>>()
            .join("\n")
    );
    let out = daemon.pgmonctl_socket(&["checks", "checked", "--database", "checks_bad"], "");
    let text = stdout_of(&out);
    assert!(
        text.contains("public.t_idx_unused") && text.contains("DROP INDEX CONCURRENTLY"),
        "{text}"
    );
    // The hostile name reaches the terminal as text: no raw control characters, markup as typed.
    assert!(text.contains("DROP TABLE t_idx;--<b>"), "{text}");

    // Fixed: the duplicate goes from the open findings and stays in their history.
    c.batch_execute("DROP INDEX t_idx_a_dup").await.unwrap();
    let again = oper.post("/server/checked/checks", &json!({})).await;
    assert_eq!(again.status, 200);
    let bad = findings(&again.body, Some("checks_bad"));
    assert!(
        !bad.iter().any(|f| f["object"] == "public.t_idx_a_dup"),
        "{bad:#?}"
    );
    let unused = bad
        .iter()
        .find(|f| f["object"] == "public.t_idx_unused")
        .unwrap();
    assert_ne!(unused["first_seen"], unused["last_seen"], "{unused}");
    let history = view
        .get("/server/checked/checks?resolved=true&kind=duplicate_index&database=checks_bad")
        .await;
    let gone = history.body["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["object"] == "public.t_idx_a_dup")
        .unwrap_or_else(|| panic!("{}", history.body));
    assert!(gone["resolved_at"].is_string(), "{gone}");
}

#[tokio::test]
async fn checks_as_a_pg_monitor_role_say_what_is_missing() {
    let pg = TestCluster::shared();
    pg.create_database("checks_private").await;
    pg.create_database("checks_closed").await;
    // A database the role may not even connect to.
    pg.client("postgres")
        .await
        .batch_execute("REVOKE CONNECT ON DATABASE checks_closed FROM PUBLIC")
        .await
        .unwrap();
    let c = pg.client("checks_private").await;
    c.batch_execute(
        "DO $$ BEGIN
             IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'checks_watch') THEN
                 CREATE ROLE checks_watch LOGIN;
             END IF;
         END $$;
         GRANT pg_monitor TO checks_watch;
         CREATE TABLE p_rows (id int PRIMARY KEY, v text);
         INSERT INTO p_rows SELECT g, 'v' FROM generate_series(1, 100) g;
         CREATE TABLE p_nokey (v int);
         CREATE SEQUENCE p_seq;
         SELECT nextval('p_seq');
         ANALYZE;",
    )
    .await
    .unwrap();
    let (_tmp, dir) = seed_config();
    add_local_server(&dir, "watched", pg.port, None);
    set_server_field(&dir, "watched", "user", json!("checks_watch"));
    let daemon = Daemon::start(&dir);
    let oper = daemon.api_as("oper", "oper-pass-1").await;
    let run = oper.post("/server/watched/checks", &json!({})).await;
    assert_eq!(run.status, 200, "{}", run.body);
    let errors: Vec<&Value> = run.body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["database"] == "checks_private")
        .collect();
    let says = |check: &str, needle: &str| {
        errors
            .iter()
            .any(|e| e["check"] == check && e["message"].as_str().unwrap().contains(needle))
    };
    assert!(says("bloat", "grant SELECT"), "{errors:?}");
    let closed: Vec<&Value> = run.body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["database"] == "checks_closed")
        .collect();
    assert!(
        closed.len() == 1
            && closed[0]["check"] == "connect"
            && closed[0]["message"]
                .as_str()
                .unwrap()
                .contains("no CONNECT privilege"),
        "{closed:?}"
    );
    assert!(says("sequences", "neither USAGE nor SELECT"), "{errors:?}");
    // What the catalogs tell anyone is still checked.
    let private = findings(&run.body, Some("checks_private"));
    assert!(
        private
            .iter()
            .any(|f| f["kind"] == "no_primary_key" && f["object"] == "public.p_nokey"),
        "{private:#?}"
    );
}
