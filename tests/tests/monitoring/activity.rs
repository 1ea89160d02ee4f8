//! A DBA's activity view on a real lock chain: A holds two rows, B waits on A, C waits on B, D
//! waits on A; `/server/{name}/activity` shows the tree A -> {B -> C, D}; cancelling C ends its
//! query; terminating A frees B and D; findings for A idle in its transaction and the waits on
//! locks; refusals for viewers, autovacuum without force, pgmon's
//! own session and a pid that is gone; every action in the audit log with its actor.

use std::time::{Duration, Instant};

use pgmon_tests::daemon::{Daemon, add_local_server, set_server_field, stdout_of};
use pgmon_tests::fixtures::seed_config;
use pgmon_tests::http::Api;
use pgmon_tests::postgres::TestCluster;
use serde_json::{Value, json};

async fn pid_of(c: &tokio_postgres::Client) -> i32 {
    c.query_one("SELECT pg_backend_pid()", &[])
        .await
        .unwrap()
        .get(0)
}

/// The tree under `root` as `1(2(3),4)`, or None if `root` is not a root.
fn shape_under(activity: &Value, root: i32) -> Option<String> {
    fn shape(n: &Value) -> String {
        let kids: Vec<String> = n["blocks"].as_array().unwrap().iter().map(shape).collect();
        if kids.is_empty() {
            n["pid"].to_string()
        } else {
            format!("{}({})", n["pid"], kids.join(","))
        }
    }
    activity["blocking"]
        .as_array()?
        .iter()
        .find(|n| n["pid"] == root)
        .map(shape)
}

async fn post(api: &Api, path: &str) -> (u16, Value) {
    let a = api.post(path, &json!({})).await;
    (a.status, a.body)
}

#[tokio::test]
async fn lock_chain_tree_cancel_terminate() {
    // Its own cluster: the test asserts on every session of the server, and the other tests'
    // daemons open sessions named `pgmon` on the shared one that are not this daemon's.
    let pg = TestCluster::start();
    pg.create_database("chain").await;
    let setup = pg.client("chain").await;
    setup
        .batch_execute("CREATE TABLE t (id int PRIMARY KEY); INSERT INTO t VALUES (1), (2), (3)")
        .await
        .unwrap();
    let (a, b, c, d) = (
        pg.client("chain").await,
        pg.client("chain").await,
        pg.client("chain").await,
        pg.client("chain").await,
    );
    let pids = (
        pid_of(&a).await,
        pid_of(&b).await,
        pid_of(&c).await,
        pid_of(&d).await,
    );
    a.batch_execute("BEGIN; SELECT * FROM t WHERE id IN (1, 3) FOR UPDATE")
        .await
        .unwrap();
    b.batch_execute("BEGIN; SELECT * FROM t WHERE id = 2 FOR UPDATE")
        .await
        .unwrap();
    let waiting = |client: tokio_postgres::Client, id: i32| {
        tokio::spawn(async move {
            let out = client
                .query("SELECT * FROM t WHERE id = $1 FOR UPDATE", &[&id])
                .await
                .map(|_| ())
                .map_err(|e| e.as_db_error().map(|d| d.message().to_owned()));
            (client, out)
        })
    };
    let b_wait = waiting(b, 1);
    tokio::time::sleep(Duration::from_millis(200)).await;
    let c_wait = waiting(c, 2);
    let d_wait = waiting(d, 3);

    let (_tmp, dir) = seed_config();
    add_local_server(&dir, "live", pg.port, None);
    let daemon = Daemon::start(&dir);
    let view = daemon.api_as("view", "view-pass-1").await;
    let oper = daemon.api_as("oper", "oper-pass-1").await;
    let admin = daemon.api_as("admin", "admin-pass-1").await;

    let want = format!("{}({}({}),{})", pids.0, pids.1, pids.2, pids.3);
    let start = Instant::now();
    let activity = loop {
        let got = view.get("/server/live/activity").await;
        assert_eq!(got.status, 200, "{}", got.body);
        if shape_under(&got.body, pids.0).as_deref() == Some(want.as_str()) {
            break got.body;
        }
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "no tree {want}: {}",
            got.body["blocking"]
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let session = |pid: i32| {
        activity["sessions"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["pid"] == pid)
            .unwrap_or_else(|| panic!("{pid} not listed"))
            .clone()
    };
    let holder = session(pids.0);
    assert_eq!(holder["state"], "idle in transaction");
    assert_eq!(holder["datname"], "chain");
    assert_eq!(holder["backend_type"], "client backend");
    assert!(holder["xact_seconds"].as_f64().unwrap() >= 0.0);
    let c_row = session(pids.2);
    assert_eq!(c_row["state"], "active");
    assert_eq!(c_row["wait_event_type"], "Lock");
    assert!(
        c_row["blocked_by"]
            .as_array()
            .unwrap()
            .contains(&json!(pids.1))
    );
    assert!(c_row["waiting_for"]["mode"].is_string(), "{c_row}");
    assert!(c_row["query"].as_str().unwrap().contains("FOR UPDATE"));
    // pgmon's own sessions are not listed.
    assert!(
        activity["sessions"]
            .as_array()
            .unwrap()
            .iter()
            .all(|s| s["application_name"] != "pgmon")
    );

    // Findings, with the thresholds lowered: A idle in its transaction for long, C waiting on a
    // lock, D's query running long.
    let set = admin
        .put(
            "/settings",
            &json!({"idle_in_transaction_seconds": 1, "lock_wait_seconds": 1,
                    "long_transaction_seconds": 1, "long_query_seconds": 1}),
        )
        .await;
    assert_eq!(set.status, 200, "{}", set.body);
    let found = |body: &Value, kind: &str, pid: i32| {
        body["findings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["kind"] == kind && f["pid"] == pid)
    };
    let start = Instant::now();
    let findings = loop {
        let got = view.get("/server/live/activity").await.body;
        if found(&got, "idle_in_transaction", pids.0)
            && found(&got, "lock_wait", pids.2)
            && found(&got, "long_transaction", pids.0)
            && found(&got, "long_query", pids.3)
        {
            break got["findings"].clone();
        }
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "no findings: {}",
            got["findings"]
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    let wait = findings
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["kind"] == "lock_wait" && f["pid"] == pids.2)
        .unwrap();
    assert_eq!(wait["unit"], "seconds");
    assert!(wait["value"].as_f64().unwrap() > 1.0, "{wait}");
    let mode = c_row["waiting_for"]["mode"].as_str().unwrap();
    assert!(
        wait["message"]
            .as_str()
            .unwrap()
            .contains(&format!("waited for {mode} on ")),
        "{wait}"
    );

    // The same tree through pgmonctl, and its refusals.
    let tree = stdout_of(&daemon.pgmonctl_socket(&["stats", "activity", "live", "--tree"], ""));
    let lines: Vec<&str> = tree.lines().collect();
    let at = lines
        .iter()
        .position(|l| l.starts_with(&format!("{} ", pids.0)))
        .unwrap_or_else(|| panic!("no root {} in:\n{tree}", pids.0));
    for (offset, start) in [
        (1, format!("├─ {} ", pids.1)),
        (2, format!("│  └─ {} ", pids.2)),
        (3, format!("└─ {} ", pids.3)),
    ] {
        assert!(
            lines[at + offset].starts_with(&start),
            "{start:?} in:\n{tree}"
        );
    }
    assert!(
        lines[at].contains("postgres@chain idle in transaction"),
        "{tree}"
    );
    // The table: each waiting session with its lock, how long, and who blocks it.
    let table = stdout_of(&daemon.pgmonctl_socket(&["stats", "activity", "live"], ""));
    for header in ["APPLICATION", "CLIENT", "WAIT", "FOR", "XACT", "BLOCKED BY"] {
        assert!(
            table.contains(header),
            "{header} missing:
{table}"
        );
    }
    let row_of = |pid: i32| {
        table
            .lines()
            .find(|l| l.contains(&format!(" {pid} ")))
            .unwrap_or_else(|| {
                panic!(
                    "no row for {pid}:
{table}"
                )
            })
    };
    let waiting = row_of(pids.2);
    assert!(
        waiting.contains("transactionid ShareLock") && waiting.contains(&pids.1.to_string()),
        "{waiting}"
    );
    assert!(row_of(pids.0).contains("idle in transaction"), "{table}");
    // JSON: the activity endpoint's own answer.
    let json = pgmon_tests::daemon::json_of(
        &daemon.pgmonctl_socket(&["--output", "json", "stats", "activity", "live"], ""),
    );
    let c_session = json["sessions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["pid"] == pids.2)
        .unwrap_or_else(|| panic!("no session {} in {json}", pids.2));
    assert_eq!(
        c_session["blocked_by"],
        serde_json::json!([pids.1]),
        "{c_session}"
    );
    assert_eq!(c_session["waiting_for"]["locktype"], "transactionid");
    assert!(json["blocking"].is_array(), "{json}");
    let gone = daemon.pgmonctl_socket(&["backend", "cancel", "live", "999999"], "");
    assert_eq!(
        gone.status.code(),
        Some(4),
        "{}",
        String::from_utf8_lossy(&gone.stderr)
    );

    // Refusals.
    let cancel = |pid: i32| format!("/server/live/backends/{pid}/cancel");
    assert_eq!(post(&view, &cancel(pids.2)).await.0, 403);
    let (status, body) = post(&oper, &cancel(999_999)).await;
    assert_eq!(
        (status, body["detail"].as_str()),
        (404, Some("No backend with pid 999999"))
    );
    assert_eq!(post(&oper, "/server/nope/backends/1/cancel").await.0, 404);
    let launcher = activity["sessions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["backend_type"] == "autovacuum launcher")
        .expect("an autovacuum launcher")["pid"]
        .as_i64()
        .unwrap();
    let (status, body) = post(&oper, &cancel(launcher as i32)).await;
    assert_eq!(status, 409, "{body}");
    assert!(
        body["detail"]
            .as_str()
            .unwrap()
            .contains("autovacuum launcher"),
        "{body}"
    );
    let forced = format!("{}?force=true", cancel(launcher as i32));
    assert_eq!(post(&oper, &forced).await.0, 403);
    let ours: i32 = setup
        .query_one(
            "SELECT pid FROM pg_stat_activity WHERE application_name = 'pgmon' LIMIT 1",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    let (status, body) = post(&admin, &cancel(ours)).await;
    assert_eq!(status, 409, "{body}");

    // Cancel C: its statement ends with PostgreSQL's own message; the others still wait.
    let (status, body) = post(&oper, &cancel(pids.2)).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["datname"], "chain");
    let (_, c_out) = tokio::time::timeout(Duration::from_secs(10), c_wait)
        .await
        .expect("C's query did not end")
        .unwrap();
    assert_eq!(
        c_out,
        Err(Some("canceling statement due to user request".into()))
    );
    assert!(!b_wait.is_finished() && !d_wait.is_finished());

    // Terminate A: B and D get their rows.
    let (status, body) = post(
        &oper,
        &format!("/server/live/backends/{}/terminate", pids.0),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    for (who, wait) in [("B", b_wait), ("D", d_wait)] {
        let (_, out) = tokio::time::timeout(Duration::from_secs(10), wait)
            .await
            .unwrap_or_else(|_| panic!("{who} still waits after A ended"))
            .unwrap();
        assert_eq!(out, Ok(()), "{who}");
    }
    assert!(a.query_one("SELECT 1", &[]).await.is_err(), "A still alive");

    // The audit log: both actions with their actor and target, and the refusals.
    let trail = admin.get("/audit?action=backend.").await.body;
    let entries = trail["entries"].as_array().unwrap();
    let find = |action: &str, target: String| {
        entries
            .iter()
            .find(|e| {
                e["action"] == action && e["target"] == target.as_str() && e["outcome"] == "success"
            })
            .unwrap_or_else(|| panic!("no {action} of {target}: {trail}"))
    };
    let terminated = find("backend.terminate", format!("live/{}", pids.0));
    assert_eq!(terminated["actor"], "oper");
    let detail = terminated["detail"].as_str().unwrap();
    assert!(
        detail.contains("user=postgres") && detail.contains("database=chain"),
        "{detail}"
    );
    assert_eq!(
        find("backend.cancel", format!("live/{}", pids.2))["actor"],
        "oper"
    );
    assert!(
        entries
            .iter()
            .any(|e| e["actor"] == "view" && e["outcome"] == "denied"),
        "{trail}"
    );
}

/// PostgreSQL's own refusals reach the caller as 403 with its reason: a monitoring role
/// without `pg_signal_backend`, and one with it facing a superuser's session.
#[tokio::test]
async fn the_servers_refusal_is_a_403_with_its_reason() {
    let pg = TestCluster::shared();
    let admin_db = pg.client("postgres").await;
    admin_db
        .batch_execute(
            "DO $$ BEGIN CREATE ROLE pgmon_weak LOGIN; EXCEPTION WHEN duplicate_object THEN END $$",
        )
        .await
        .unwrap();
    let sleeper = pg.client("postgres").await;
    let pid = pid_of(&sleeper).await;
    let sleeping = tokio::spawn(async move { sleeper.query("SELECT pg_sleep(60)", &[]).await });

    let (_tmp, dir) = seed_config();
    add_local_server(&dir, "weak", pg.port, None);
    set_server_field(&dir, "weak", "user", json!("pgmon_weak"));
    let daemon = Daemon::start(&dir);
    let oper = daemon.api_as("oper", "oper-pass-1").await;
    let path = format!("/server/weak/backends/{pid}/cancel");
    for grant in ["REVOKE", "GRANT"] {
        let to = if grant == "GRANT" { "TO" } else { "FROM" };
        admin_db
            .batch_execute(&format!("{grant} pg_signal_backend {to} pgmon_weak"))
            .await
            .unwrap();
        let (status, body) = post(&oper, &path).await;
        assert_eq!(status, 403, "{grant}: {body}");
        let detail = body["detail"].as_str().unwrap();
        assert!(
            detail.contains("superuser") || detail.contains("SUPERUSER"),
            "{grant}: {detail}"
        );
    }
    assert!(!sleeping.is_finished(), "the query was cancelled after all");
    admin_db
        .query_one("SELECT pg_cancel_backend($1)", &[&pid])
        .await
        .unwrap();
    let _ = sleeping.await;
}
