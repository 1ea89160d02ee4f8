//! Live status and activity against real PostgreSQL servers, including ones that stop, come
//! back, or hang.

use std::time::{Duration, Instant};

use pgmon_tests::daemon::{Daemon, add_local_server, add_settings, local_server_args, pgmonctl};
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
    let d = Daemon::start(&dir);
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

    // The start's own check may be cached for the TTL: wait for one that saw `mine`.
    let s = api
        .get_until(
            "/servers/up",
            Duration::from_secs(15),
            "mine counted",
            |s| s["connections"]["idle"].as_i64() >= Some(1),
        )
        .await;
    assert_eq!(s["status"], "ok", "{s}");
    assert_eq!(s["version"], version.as_str());
    // Under `tests/pg-majors`, the major it asked for.
    if let Ok(major) = std::env::var("PGMON_PG_MAJOR") {
        assert!(
            version.starts_with(&format!("{major}.")),
            "{version} is not {major}"
        );
    }
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
    let d = Daemon::start(&dir);
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
    let d = Daemon::start(&dir);
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
    let d = Daemon::start(&dir);
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
    let d = Daemon::start(&dir);
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

#[tokio::test]
/// Testing a server before saving it: a live one connects (version, plain TCP) and is not
/// stored; a tarpit answers within the status check's deadline; a stored one is tested by
/// name; a server named `test` is still served at `/servers/test`; pgmonctl `servers test` and
/// `servers add --test` (which adds nothing when the test fails).
async fn servers_are_tested_before_saving() {
    let pg = TestCluster::shared();
    let tarpit = Tarpit::start();
    let (_tmp, dir) = seed_config();
    add_local_server(&dir, "stored", pg.port, None);
    let d = Daemon::start(&dir);
    let oper = d.api_as("oper", "oper-pass-1").await;
    let body = |name: &str, port: u16| {
        serde_json::json!({"name": name, "host": "127.0.0.1", "port": port, "user": "postgres",
                           "ssh_auth_type": null, "key_size": null})
    };

    let a = oper.post("/servers/test", &body("try-live", pg.port)).await;
    assert_eq!(a.status, 200, "{}", a.body);
    assert_eq!(a.body["postgres"]["success"], true, "{}", a.body);
    assert_eq!(a.body["postgres"]["ssl"], false);
    assert!(
        a.body["postgres"]["version"]
            .as_str()
            .unwrap()
            .starts_with(char::is_numeric)
    );
    assert!(a.body["ssh"].is_null(), "{}", a.body);
    assert_eq!(oper.get("/servers/try-live").await.status, 404, "stored");

    let started = Instant::now();
    let a = oper
        .post("/servers/test", &body("try-tarpit", tarpit.port))
        .await;
    let took = started.elapsed();
    assert_eq!(a.body["postgres"]["success"], false, "{}", a.body);
    assert_eq!(
        a.body["postgres"]["message"],
        "PostgreSQL: operation timeout"
    );
    assert!(took < Duration::from_secs(8), "{took:?}");

    let view = d.api_as("view", "view-pass-1").await;
    assert_eq!(
        view.post("/servers/test", &body("x", pg.port)).await.status,
        403
    );
    let bad = oper.post("/servers/test", &body("../x", pg.port)).await;
    assert_eq!(bad.status, 400, "{}", bad.body);

    let stored = oper.post("/servers/stored/test-pg", &Value::Null).await;
    assert_eq!(stored.body["success"], true, "{}", stored.body);
    assert_eq!(
        oper.post("/servers/nope/test-pg", &Value::Null)
            .await
            .status,
        404
    );

    // A server named `test` keeps its own paths.
    let created = oper
        .post("/servers?check=false", &body("test", pg.port))
        .await;
    assert_eq!(created.status, 200, "{}", created.body);
    assert_eq!(status_of(&oper, "test").await["name"], "test");
    assert_eq!(oper.delete("/servers/test").await.status, 200);
    assert_eq!(oper.get("/servers/test").await.status, 404);

    let ok = d.pgmonctl_socket(&["servers", "test", "stored"], "");
    assert!(
        ok.status.success(),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    let add_tested = |name: &str, port: u16| {
        let port = port.to_string();
        let mut args = local_server_args(name, &port);
        args.push("--test");
        d.pgmonctl_socket(&args, "")
    };
    let refused = add_tested("hanging", tarpit.port);
    assert_eq!(refused.status.code(), Some(1), "{refused:?}");
    assert!(String::from_utf8_lossy(&refused.stderr).contains("not added"));
    assert_eq!(oper.get("/servers/hanging").await.status, 404);
    let added = add_tested("tested", pg.port);
    assert!(
        added.status.success(),
        "{}",
        String::from_utf8_lossy(&added.stderr)
    );
    assert_eq!(status_of(&oper, "tested").await["status"], "ok");
    let local = pgmonctl(&dir, &["servers", "test", "stored"], "");
    assert_eq!(local.status.code(), Some(5), "{local:?}");
}

#[tokio::test]
/// TLS to PostgreSQL against a cluster with `ssl = on`, a certificate for `localhost` signed by
/// a CA the test makes, and a `hostssl`-only pg_hba.conf: the default mode connects encrypted
/// (`pg_stat_ssl`), verify-full works by name with the right CA (a relative path, read from the
/// config dir) and fails on an address with the mismatch status, verify-ca checks the chain
/// only, another CA is not trusted, `disable` is told SSL is required; `require` against a
/// server without SSL fails clearly. None of them hangs.
async fn tls_modes_as_libpq_has_them() {
    let certs = pgmon_tests::certs::TestCerts::new();
    let mut pg = TestCluster::start();
    pg.enable_ssl(&certs, true);
    let plain = TestCluster::shared();
    let (_tmp, dir) = seed_config();
    std::fs::copy(certs.path("ca.crt"), dir.join("pg-ca.crt")).unwrap();
    // Absolute paths are read from a tls_dirs folder only.
    add_settings(
        &dir,
        &format!("tls_dirs = [{:?}]", certs.path("").display().to_string()),
    );
    let other_ca = certs.path("other-ca.crt").display().to_string();
    let d = Daemon::start(&dir);
    let oper = d.api_as("oper", "oper-pass-1").await;
    let cases: [(&str, &str, u16, Value, &str); 7] = [
        (
            "tls-default",
            "127.0.0.1",
            pg.port,
            serde_json::json!({}),
            "ok",
        ),
        (
            "tls-full",
            "localhost",
            pg.port,
            serde_json::json!({"sslmode": "verify-full", "sslrootcert": "pg-ca.crt"}),
            "ok",
        ),
        (
            "tls-mismatch",
            "127.0.0.1",
            pg.port,
            serde_json::json!({"sslmode": "verify-full", "sslrootcert": "pg-ca.crt"}),
            "PostgreSQL: certificate name mismatch",
        ),
        (
            "tls-ca",
            "127.0.0.1",
            pg.port,
            serde_json::json!({"sslmode": "verify-ca", "sslrootcert": "pg-ca.crt"}),
            "ok",
        ),
        (
            "tls-untrusted",
            "localhost",
            pg.port,
            serde_json::json!({"sslmode": "verify-ca", "sslrootcert": other_ca}),
            "PostgreSQL: certificate not trusted",
        ),
        (
            "tls-disabled",
            "127.0.0.1",
            pg.port,
            serde_json::json!({"sslmode": "disable"}),
            "PostgreSQL: SSL required by server",
        ),
        (
            "plain-require",
            "127.0.0.1",
            plain.port,
            serde_json::json!({"sslmode": "require"}),
            "PostgreSQL: SSL not supported by server",
        ),
    ];
    for (name, host, port, tls, want) in &cases {
        let mut body =
            serde_json::json!({"name": name, "host": host, "port": port, "user": "postgres"});
        for (k, v) in tls.as_object().unwrap() {
            body[k] = v.clone();
        }
        let created = oper.post("/servers?check=false", &body).await;
        assert_eq!(created.status, 200, "{name}: {}", created.body);
        let started = Instant::now();
        let s = status_of(&oper, name).await;
        assert!(
            started.elapsed() < Duration::from_secs(7),
            "{name} took {:?}",
            started.elapsed()
        );
        let status = s["status"].as_str().unwrap();
        assert!(
            status == *want || want.ends_with(' ') && status.starts_with(want),
            "{name}: {s}"
        );
        if *want == "ok" {
            assert_eq!(s["ssl"], true, "{name} not encrypted: {s}");
        }
    }
    let tested = oper.post("/servers/tls-full/test-pg", &Value::Null).await;
    assert_eq!(tested.body["ssl"], true, "{}", tested.body);
    // A CA file that is not there is refused when saved, naming the field.
    let missing = oper
        .post(
            "/servers?check=false",
            &serde_json::json!({"name": "tls-missing-ca", "host": "127.0.0.1", "port": pg.port,
                                "user": "postgres", "sslmode": "verify-ca",
                                "sslrootcert": "missing.crt"}),
        )
        .await;
    assert_eq!(missing.status, 422, "{}", missing.body);
    assert_eq!(missing.body["detail"][0]["loc"][1], "sslrootcert");
    // A verify mode without a CA to verify against is refused up front.
    let bad = oper
        .post(
            "/servers?check=false",
            &serde_json::json!({"name": "no-ca", "host": "localhost", "port": pg.port,
                                "user": "postgres", "sslmode": "verify-full"}),
        )
        .await;
    assert_eq!(bad.status, 400, "{}", bad.body);
    assert!(bad.body["detail"].as_str().unwrap().contains("sslrootcert"));
    // pgmonctl takes the same options.
    let port = pg.port.to_string();
    let mut args = local_server_args("tls-cli", &port);
    args.extend(["--sslmode", "verify-ca", "--sslrootcert", "pg-ca.crt"]);
    let out = d.pgmonctl_socket(&args, "");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let s = status_of(&oper, "tls-cli").await;
    assert_eq!(
        (s["status"].as_str(), s["sslmode"].as_str()),
        (Some("ok"), Some("verify-ca")),
        "{s}"
    );
}
