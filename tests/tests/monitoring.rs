//! Live status and activity against real PostgreSQL servers, including ones that stop, come
//! back, or hang.

use std::time::{Duration, Instant};

use pgmon_tests::daemon::{Daemon, add_local_server, pgmonctl};
use pgmon_tests::fixtures::seed_config;
use pgmon_tests::http::Api;
use pgmon_tests::postgres::TestCluster;
use pgmon_tests::tarpit::Tarpit;
use serde_json::Value;

async fn status_of(api: &Api, name: &str) -> Value {
    let a = api.get(&format!("/servers/{name}")).await;
    assert_eq!(a.status, 200, "{}", a.body);
    a.body
}

#[tokio::test]
/// An up server: status ok, its real version, sessions by state, uptime, data dir; a session
/// opened here shows in `/server_stats`; the pool shows in `/api/pools/status`.
async fn up_server_reports_live_facts() {
    let pg = TestCluster::shared();
    pg.create_database("mon_up").await;
    let (_tmp, dir) = seed_config();
    add_local_server(&dir, "up", pg.port, Some("mon_up"));
    let d = Daemon::start(&dir, &[]);
    let api = d.api_as("view", "view-pass-1").await;

    let mine = pg.client("mon_up").await;
    let pid: i32 = mine
        .query_one("SELECT pg_backend_pid()", &[])
        .await
        .unwrap()
        .get(0);
    let version: String = mine
        .query_one("SHOW server_version", &[])
        .await
        .unwrap()
        .get(0);
    mine.batch_execute("SELECT 42").await.unwrap();

    let s = status_of(&api, "up").await;
    assert_eq!(s["status"], "ok", "{s}");
    assert_eq!(s["version"], version.as_str());
    assert_eq!(s["data_dir"], pg.data_dir().to_str().unwrap());
    assert!(s["uptime_hours"].as_f64().unwrap() >= 0.0);
    let conns = s["connections"].as_object().unwrap();
    assert!(conns["idle"].as_i64().unwrap() >= 1, "{s}");
    assert!(
        conns.contains_key("active") && conns.contains_key("None"),
        "{s}"
    );

    let activity = api.get("/server_stats/up").await;
    assert_eq!(activity.status, 200);
    let sessions = activity.body["queries"].as_array().unwrap();
    let me = sessions
        .iter()
        .find(|q| q["pid"] == pid)
        .unwrap_or_else(|| panic!("pid {pid} not in {sessions:?}"));
    assert_eq!(
        (&me["datname"], &me["state"], &me["query"]),
        (&"mon_up".into(), &"idle".into(), &"SELECT 42".into())
    );
    assert!(sessions.iter().all(|q| q["state"].is_string()));

    let pools = api.get("/api/pools/status").await.body;
    let key = format!("127.0.0.1:{}:postgres:mon_up", pg.port);
    assert_eq!(
        (
            &pools[&key]["minconn"],
            &pools[&key]["maxconn"],
            &pools[&key]["closed"]
        ),
        (&2.into(), &10.into(), &false.into()),
        "{pools}"
    );
    assert!(
        d.api().get("/api/health").await.body["pools_count"]
            .as_u64()
            .unwrap()
            >= 1
    );

    // pgmon says who it is in pg_stat_activity.
    let row = pg
        .client("postgres")
        .await
        .query_one("SELECT count(*) FROM pg_stat_activity WHERE application_name = 'pgmon' AND datname = 'mon_up'", &[])
        .await
        .unwrap();
    assert!(row.get::<_, i64>(0) >= 1);
}

#[tokio::test]
/// A server stopped mid-test degrades to a `PostgreSQL: ...` status within the cache TTL plus
/// one timeout, health stays fast meanwhile, and a restart is seen without restarting pgmond.
async fn stopped_and_restarted_server() {
    let mut pg = TestCluster::start();
    let (_tmp, dir) = seed_config();
    add_local_server(&dir, "flaky", pg.port, None);
    let d = Daemon::start(&dir, &[]);
    let api = d.api_as("view", "view-pass-1").await;
    assert_eq!(status_of(&api, "flaky").await["status"], "ok");

    pg.stop();
    let stopped = Instant::now();
    let status = loop {
        let s = status_of(&api, "flaky").await;
        if s["status"] != "ok" {
            break s;
        }
        assert!(
            stopped.elapsed() < Duration::from_secs(12),
            "still ok after {:?}",
            stopped.elapsed()
        );
        let t = Instant::now();
        assert_eq!(d.api().get("/api/health").await.status, 200);
        assert!(
            t.elapsed() < Duration::from_millis(200),
            "health slow: {:?}",
            t.elapsed()
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    };
    assert_eq!(status["status"], "PostgreSQL: host unreachable", "{status}");
    assert!(status["version"].is_null() && status["connections"].is_null());
    let a = api.get("/server_stats/flaky").await;
    assert_eq!(a.status, 200);
    assert_eq!(
        (&a.body["queries"], &a.body["error"]),
        (
            &serde_json::json!([]),
            &"PostgreSQL: host unreachable".into()
        )
    );
    // Failures are not cached: the restart shows at once.
    pg.start_server();
    let s = status_of(&api, "flaky").await;
    assert_eq!(s["status"], "ok", "{s}");
    assert_eq!(api.get("/server_stats/flaky").await.status, 200);
}

#[tokio::test]
/// A server that accepts TCP and never answers costs one timeout, not a hang, and does not
/// hold up health or the other servers in the list.
async fn tarpit_times_out_without_stalling() {
    let pg = TestCluster::shared();
    let tarpit = Tarpit::start();
    let (_tmp, dir) = seed_config();
    add_local_server(&dir, "tarpit", tarpit.port, None);
    add_local_server(&dir, "alive", pg.port, None);
    let d = Daemon::start(&dir, &[]);
    let api = d.api_as("view", "view-pass-1").await;

    let list = {
        let api = api.clone();
        tokio::spawn(async move {
            let t = Instant::now();
            let a = api.get("/servers").await;
            (t.elapsed(), a.body)
        })
    };
    tokio::time::sleep(Duration::from_millis(300)).await;
    for _ in 0..10 {
        let t = Instant::now();
        assert_eq!(d.api().get("/api/health").await.status, 200);
        assert!(
            t.elapsed() < Duration::from_millis(200),
            "health slow: {:?}",
            t.elapsed()
        );
    }
    let (took, body) = list.await.unwrap();
    assert!(took < Duration::from_secs(8), "/servers took {took:?}");
    let by_name = |n: &str| {
        body.as_array()
            .unwrap()
            .iter()
            .find(|s| s["name"] == n)
            .unwrap()
            .clone()
    };
    assert_eq!(by_name("tarpit")["status"], "PostgreSQL: operation timeout");
    assert_eq!(by_name("alive")["status"], "ok");
    // The five seed servers with .invalid hosts are reported, not fatal.
    assert_eq!(by_name("billing")["status"], "PostgreSQL: host unreachable");
    assert!(tarpit.accepted() >= 1);
}

#[tokio::test]
/// `pgmonctl stats status` and `stats activity` over the socket: the API's JSON, or tables; in
/// local mode they say they need the daemon (exit 5).
async fn pgmonctl_stats() {
    let pg = TestCluster::shared();
    let (_tmp, dir) = seed_config();
    add_local_server(&dir, "alive", pg.port, None);
    let d = Daemon::start(&dir, &[]);
    let out = d.pgmonctl_socket(&["--output", "json", "stats", "status"], "");
    let servers: Value = serde_json::from_slice(&out.stdout).unwrap();
    let alive = servers
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == "alive")
        .unwrap();
    assert_eq!(alive["status"], "ok");
    let table = String::from_utf8(d.pgmonctl_socket(&["stats", "status"], "").stdout).unwrap();
    for text in [
        "NAME",
        "STATUS",
        "SESSIONS",
        "alive",
        "ok",
        "PostgreSQL: host unreachable",
    ] {
        assert!(table.contains(text), "{text} missing:\n{table}");
    }
    // A session of the test's own, idle after a query it can recognise.
    let probe = pg.client("postgres").await;
    probe.simple_query("SELECT 'activity-probe'").await.unwrap();
    let table = String::from_utf8(
        d.pgmonctl_socket(&["stats", "activity", "alive"], "")
            .stdout,
    )
    .unwrap();
    assert!(table.contains("activity-probe"), "{table}");
    let missing = d.pgmonctl_socket(&["stats", "activity", "nope"], "");
    assert_eq!(missing.status.code(), Some(4));
    let local = pgmonctl(&dir, &["stats", "status"], "");
    assert_eq!(local.status.code(), Some(5));
    assert!(String::from_utf8_lossy(&local.stderr).contains("needs the daemon"));
}

#[tokio::test]
/// `GET /servers` answers from memory once it has been asked: a server that never answers
/// costs its timeout once, then the list comes back at once, the dead server with the time
/// its outage began (`down_since`, unchanged while it lasts), the live one ok.
async fn list_answers_from_memory_with_down_since() {
    let pg = TestCluster::shared();
    let tarpit = Tarpit::start();
    let (_tmp, dir) = seed_config();
    std::fs::write(dir.join("servers.json"), "[]").unwrap();
    add_local_server(&dir, "alive", pg.port, None);
    add_local_server(&dir, "hangs", tarpit.port, None);
    let d = Daemon::start(&dir, &[]);
    let api = d.api_as("view", "view-pass-1").await;
    let by_name = |list: &Value, name: &str| {
        list.as_array()
            .unwrap()
            .iter()
            .find(|s| s["name"] == name)
            .cloned()
            .unwrap()
    };
    let cold = api.get("/servers").await.body;
    assert_eq!(by_name(&cold, "alive")["status"], "ok", "{cold}");
    let first_down = by_name(&cold, "hangs")["down_since"]
        .as_f64()
        .expect("down_since");
    for _ in 0..10 {
        tokio::time::sleep(Duration::from_millis(700)).await;
        let t = Instant::now();
        let warm = api.get("/servers").await.body;
        assert!(
            t.elapsed() < Duration::from_millis(500),
            "list took {:?}",
            t.elapsed()
        );
        assert_eq!(by_name(&warm, "alive")["status"], "ok", "{warm}");
        assert!(by_name(&warm, "alive")["down_since"].is_null());
        let hangs = by_name(&warm, "hangs");
        assert_eq!(hangs["status"], "PostgreSQL: operation timeout", "{hangs}");
        assert_eq!(hangs["down_since"].as_f64(), Some(first_down), "{hangs}");
    }
    // Checked again in the background, not once per list.
    assert!(tarpit.accepted() >= 2, "{}", tarpit.accepted());
}
