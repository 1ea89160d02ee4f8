//! The fixes of issue 23 (a second attack and a code review), each shown against the real
//! daemon by first trying the attack: TLS file paths, slow bodies, session state per refresh,
//! the owner locked out, sessions hiding as pgmon, absurd intervals, a change without its
//! audit entry, a huge login in the log, a linked store, the WAL left at a stop, a client that
//! hangs up mid-change, NULLs in legacy tables, pools that outlive their server, history that
//! follows a renamed server, and a cleartext password asked for inside TLS nobody checked.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use pgmon_tests::daemon::{
    Daemon, add_local_server, add_settings, collector_entry, pgmonctl, set_server_field,
};
use pgmon_tests::fixtures::seed_config;
use pgmon_tests::hostile::CleartextServer;
use pgmon_tests::http::Api;
use pgmon_tests::postgres::TestCluster;
use serde_json::{Value, json};

const WAIT: Duration = Duration::from_secs(30);

/// The 422 item's `loc` field and message.
fn refused_field(a: &pgmon_tests::http::Answer) -> (String, String) {
    assert_eq!(a.status, 422, "{}", a.body);
    let item = &a.body["detail"][0];
    (
        item["loc"][1].as_str().unwrap_or_default().to_owned(),
        item["msg"].as_str().unwrap_or_default().to_owned(),
    )
}

fn local_body(name: &str, port: u16) -> Value {
    json!({"name": name, "host": "127.0.0.1", "port": port, "user": "postgres"})
}

#[tokio::test]
/// `/dev/zero`, a FIFO, pgmond's own secrets (also through a hard link under a certificate's
/// name) and files outside the allowed folders are refused as TLS files with a 422 naming the
/// field, at once, through `POST /servers/test`, `POST /servers` and `PUT`, all with the same
/// words whether the file exists or not; written into servers.json by hand they leave pgmond
/// running, its memory and threads flat, and the server's status naming the file.
async fn tls_files_are_confined() {
    let (tmp, dir) = seed_config();
    let fifo = tmp.path().join("fifo.crt");
    nix::unistd::mkfifo(&fifo, nix::sys::stat::Mode::S_IRWXU).unwrap();
    std::fs::hard_link(dir.join("encryption_key.key"), dir.join("alias.key")).unwrap();
    std::fs::write(dir.join("ca.crt"), "not a certificate").unwrap();
    let d = Daemon::binary(&dir, &[]);
    let oper = d.api_as("oper", "oper-pass-1").await;
    let fifo = fifo.display().to_string();
    let cases = [
        ("sslrootcert", "/dev/zero"),
        ("sslrootcert", fifo.as_str()),
        ("sslrootcert", "encryption_key.key"),
        ("sslrootcert", "secret_key"),
        ("sslrootcert", "alias.key"),
        ("sslrootcert", "ssh_keys/keys.json"),
        ("sslrootcert", "/etc/passwd"),
        ("sslrootcert", "missing.crt"),
        ("sslcert", "/dev/zero"),
        ("sslkey", "encryption_key.key"),
    ];
    let mut texts = std::collections::HashSet::new();
    for (field, path) in cases {
        let mut body = local_body("tls-probe", 1);
        body[field] = json!(path);
        if field != "sslrootcert" {
            body["sslcert"] = json!(path);
            body["sslkey"] = json!(path);
        }
        let started = Instant::now();
        for a in [
            oper.post("/servers/test", &body).await,
            oper.post("/servers?check=false", &body).await,
            oper.put("/servers/local-pg", &body).await,
        ] {
            let (loc, msg) = refused_field(&a);
            assert!(loc.starts_with("ssl"), "{path}: {}", a.body);
            // `<file>: <field> refused: <the rule>`: the rule reads the same for every file.
            texts.insert(msg.split_once(" refused: ").unwrap().1.to_owned());
        }
        assert!(
            started.elapsed() < Duration::from_secs(2),
            "{path} took long"
        );
    }
    assert_eq!(texts.len(), 1, "refusals differ: {texts:?}");
    // An allowed file is taken (and fails later as what it is: not a certificate).
    let mut body = local_body("tls-ok", 1);
    body["sslrootcert"] = json!("ca.crt");
    assert_eq!(oper.post("/servers/test", &body).await.status, 200);

    // By hand: pgmond keeps running; the status names the file.
    let (rss, threads) = (d.rss_kib(), d.proc_status("Threads"));
    set_server_field(&dir, "local-pg", "sslrootcert", json!("/dev/zero"));
    set_server_field(&dir, "billing", "sslrootcert", json!(fifo));
    for (name, file) in [("local-pg", "zero"), ("billing", "fifo.crt")] {
        oper.get_until(&format!("/servers/{name}"), WAIT, "the refusal", |s| {
            s["status"].as_str().is_some_and(|t| t.contains(file))
        })
        .await;
    }
    tokio::time::sleep(Duration::from_secs(5)).await;
    assert_eq!(d.api().get("/api/health").await.status, 200);
    assert!(
        d.rss_kib() < rss + 32 * 1024,
        "RSS grew: {rss} -> {}",
        d.rss_kib()
    );
    assert!(d.proc_status("Threads") <= threads + 16, "threads grew");
    assert!(!d.log().contains("panicked"), "{}", d.log());
}

/// Opens a connection that sends a request's headers and then one body byte a second.
fn slow_body(port: u16) -> TcpStream {
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.write_all(
        b"POST /token HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\n\
          Content-Length: 100\r\n\r\nu",
    )
    .unwrap();
    s
}

#[tokio::test]
/// 55 connections that send their headers and then a body byte now and then, against
/// `max_connections = 50`: each gets 408 within the header timeout and is closed, and health
/// answers again within that bound.
async fn slow_bodies_are_cut_off() {
    let (_tmp, dir) = seed_config();
    add_settings(&dir, "max_connections = 50\nheader_timeout_seconds = 2");
    let d = Daemon::binary(&dir, &[]);
    let started = Instant::now();
    let mut slow: Vec<TcpStream> = (0..55).map(|_| slow_body(d.port)).collect();
    let trickle = std::thread::spawn({
        let mut writers: Vec<TcpStream> = slow.iter().map(|s| s.try_clone().unwrap()).collect();
        move || {
            for _ in 0..6 {
                std::thread::sleep(Duration::from_millis(700));
                for w in &mut writers {
                    let _ = w.write_all(b"x");
                }
            }
        }
    });
    let health = d.api();
    loop {
        let probe = tokio::time::timeout(Duration::from_secs(1), health.get("/api/health")).await;
        if matches!(probe, Ok(ref a) if a.status == 200) {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(6),
            "health did not answer within the bound"
        );
    }
    let mut timed_out = 0;
    for s in &mut slow {
        s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        let mut reply = Vec::new();
        let _ = s.read_to_end(&mut reply);
        timed_out += usize::from(reply.starts_with(b"HTTP/1.1 408"));
    }
    // A reset can overtake an answer on a connection the client kept writing to.
    assert!(timed_out >= 50, "{timed_out} of 55 answered 408");
    trickle.join().unwrap();
}

async fn refresh(api: &Api, token: &str) -> (u16, Value) {
    let a = api
        .post("/token/refresh", &json!({"refresh_token": token}))
        .await;
    (a.status, a.body)
}

/// Bytes of the session state pgmond keeps in the config dir.
fn session_state_bytes(dir: &std::path::Path) -> u64 {
    ["revoked.json", "revoked.journal"]
        .iter()
        .filter_map(|f| std::fs::metadata(dir.join(f)).ok())
        .map(|m| m.len())
        .sum()
}

#[tokio::test]
/// 1,200 refreshes over 4 sessions: the state on disk grows by less than 64 KiB, `/users/me`
/// keeps its p99 under 50 ms, reuse still ends a session, and a user's sessions are capped.
async fn refreshes_do_not_grow_the_state() {
    let (_tmp, dir) = seed_config();
    let d = Daemon::start(&dir);
    let api = d.api();
    let before = session_state_bytes(&dir);
    let mut refresh_tokens = Vec::new();
    for _ in 0..4 {
        let a = api
            .send(
                api.request(reqwest::Method::POST, "/token")
                    .form(&[("username", "view"), ("password", "view-pass-1")]),
            )
            .await;
        refresh_tokens.push(a.body["refresh_token"].as_str().unwrap().to_owned());
    }
    let mut access = String::new();
    for round in 0..300 {
        for token in &mut refresh_tokens {
            let (status, body) = refresh(&api, token).await;
            assert_eq!(status, 200, "round {round}: {body}");
            *token = body["refresh_token"].as_str().unwrap().to_owned();
            access = body["access_token"].as_str().unwrap().to_owned();
        }
    }
    // The background fold runs every few seconds.
    tokio::time::sleep(Duration::from_secs(6)).await;
    let grown = session_state_bytes(&dir).saturating_sub(before);
    assert!(grown < 64 * 1024, "session state grew by {grown} bytes");
    let me = api.with_token(&access);
    let mut times: Vec<Duration> = Vec::new();
    for _ in 0..200 {
        let t = Instant::now();
        assert_eq!(me.get("/users/me").await.status, 200);
        times.push(t.elapsed());
    }
    times.sort();
    let p99 = times[times.len() * 99 / 100];
    assert!(p99 < Duration::from_millis(50), "p99 {p99:?}");
    // A token exchanged once more is a copy: its session ends.
    let first = refresh_tokens[0].clone();
    assert_eq!(refresh(&api, &first).await.0, 200);
    assert_eq!(refresh(&api, &first).await.0, 401);
}

/// `POST /token` from source address `from` (a loopback address of its own).
async fn login_from(port: u16, from: &str, login: &str, password: &str) -> u16 {
    let client = reqwest::Client::builder()
        .local_address(from.parse::<std::net::IpAddr>().unwrap())
        .build()
        .unwrap();
    client
        .post(format!("http://127.0.0.1:{port}/token"))
        .form(&[("username", login), ("password", password)])
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

#[tokio::test]
/// Guesses at `admin` from several addresses block those addresses, while the owner's
/// correct password from another address still logs in, during the flood and after it.
async fn the_owner_logs_in_during_a_flood() {
    let (_tmp, dir) = seed_config();
    let d = Daemon::start(&dir);
    let flood = async {
        let mut answers = Vec::new();
        for round in 0..8 {
            for from in ["127.0.0.2", "127.0.0.3", "127.0.0.4"] {
                answers.push(login_from(d.port, from, "admin", &format!("guess{round}")).await);
            }
        }
        answers
    };
    let owner = async {
        tokio::time::sleep(Duration::from_millis(1500)).await;
        login_from(d.port, "127.0.0.9", "admin", "admin-pass-1").await
    };
    let (answers, during) = tokio::join!(flood, owner);
    assert_eq!(during, 200, "the owner was refused during the flood");
    assert!(
        answers.contains(&429),
        "the guessers were never blocked: {answers:?}"
    );
    assert_eq!(
        login_from(d.port, "127.0.0.2", "admin", "admin-pass-1").await,
        429,
        "a guessing address is blocked whatever it sends"
    );
    assert_eq!(
        login_from(d.port, "127.0.0.10", "admin", "admin-pass-1").await,
        200
    );
}

#[tokio::test]
/// A database session that calls itself `pgmon` is listed in `/activity` and
/// `/server_stats`, counted, and cancelled like any other; pgmon's own sessions stay out.
async fn a_session_named_pgmon_is_listed_and_cancelled() {
    let pg = TestCluster::shared();
    // A database of this test's own: other tests' daemons watch the same cluster.
    pg.create_database("named_db").await;
    let (_tmp, dir) = seed_config();
    add_local_server(&dir, "named", pg.port, Some("named_db"));
    let d = Daemon::start(&dir);
    let oper = d.api_as("oper", "oper-pass-1").await;
    let (client, connection) = tokio_postgres::connect(
        &format!("{} application_name=pgmon", pg.conninfo("named_db")),
        tokio_postgres::NoTls,
    )
    .await
    .unwrap();
    tokio::spawn(connection);
    let pid: i32 = client
        .query_one("SELECT pg_backend_pid()", &[])
        .await
        .unwrap()
        .get(0);
    let sleeper = tokio::spawn(async move {
        let r = client.batch_execute("SELECT pg_sleep(60)").await;
        (client, r)
    });
    let activity = oper
        .get_until("/server/named/activity", WAIT, "the hiding session", |b| {
            b["sessions"]
                .as_array()
                .unwrap()
                .iter()
                .any(|s| s["pid"] == pid && s["state"] == "active")
        })
        .await;
    let named_pgmon: Vec<&Value> = activity["sessions"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["application_name"] == "pgmon" && s["datname"] == "named_db")
        .collect();
    assert_eq!(
        named_pgmon.len(),
        1,
        "pgmon's own sessions listed: {named_pgmon:?}"
    );
    let old = oper.get("/server_stats/named").await.body;
    assert!(
        old["queries"]
            .as_array()
            .unwrap()
            .iter()
            .any(|q| q["pid"] == pid),
        "{old}"
    );
    let a = oper
        .post(
            &format!("/server/named/backends/{pid}/cancel"),
            &Value::Null,
        )
        .await;
    assert_eq!(a.status, 200, "{}", a.body);
    let (_client, r) = sleeper.await.unwrap();
    let e = r.expect_err("the query was not cancelled");
    let why = e.as_db_error().map(|d| d.message().to_owned());
    assert!(
        why.as_deref()
            .is_some_and(|w| w.contains("canceling statement")),
        "{e:?}"
    );
}

#[tokio::test]
/// A per-server interval of 2^64-1 is a 422 naming the field; one written by hand leaves
/// the collector running with no panic; a pgmond.toml duration out of range stops the start
/// with a message naming the setting.
async fn absurd_intervals_are_refused() {
    let pg = TestCluster::shared();
    let (_tmp, dir) = seed_config();
    add_local_server(&dir, "absurd", pg.port, None);
    set_server_field(&dir, "absurd", "collect_interval", json!(u64::MAX));
    let d = Daemon::binary(&dir, &[]);
    let oper = d.api_as("oper", "oper-pass-1").await;
    let mut body = local_body("absurd2", pg.port);
    body["collect_interval"] = json!(u64::MAX);
    let (loc, msg) = refused_field(&oper.post("/servers?check=false", &body).await);
    assert_eq!(loc, "collect_interval", "{msg}");
    assert!(msg.contains("86400"), "{msg}");
    let (loc, _) = refused_field(&oper.put("/servers/local-pg", &body).await);
    assert_eq!(loc, "collect_interval");
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(d.api().get("/api/health").await.status, 200);
    // The collector holds the hand-written interval to the API's bound: every instant it is
    // added to (each wait for the next sample) stays in range.
    let status = oper.get("/collector/status").await.body;
    assert_eq!(
        collector_entry(&status, "absurd")["interval"],
        86_400,
        "{status}"
    );
    let log = d.log();
    assert!(
        !log.contains("panicked") && !log.contains("overflow"),
        "{log}"
    );
    drop(d);

    for line in [
        "audit_retention_days = 9223372036854775807",
        "token_expiration_minutes = 0",
    ] {
        let (_tmp2, dir2) = seed_config();
        add_settings(&dir2, line);
        let out = pgmon_tests::daemon::pgmond_to_exit(&dir2, &dir2.with_extension("sock"), &[]);
        assert!(!out.status.success());
        let err = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        let setting = line.split(' ').next().unwrap();
        assert!(
            err.contains(setting) && err.contains("out of range"),
            "{err}"
        );
    }
}

#[tokio::test]
/// With audit.log unwritable (a folder in its place), a change is refused with 503 naming
/// the audit log and not made; reads go on; `GET /audit` says what is wrong. Once the log is
/// back, the change goes through with its entry.
async fn no_change_without_its_audit_entry() {
    let (_tmp, dir) = seed_config();
    let d = Daemon::start(&dir);
    let admin = d.api_as("admin", "admin-pass-1").await;
    let log = dir.join("audit.log");
    let _ = std::fs::remove_file(&log);
    std::fs::create_dir(&log).unwrap();
    let user = json!({"login": "ghost", "password": "ghost-pass-1", "role": "viewer"});
    let a = admin.post("/users", &user).await;
    assert_eq!(a.status, 503, "{}", a.body);
    assert!(
        a.body["detail"].as_str().unwrap().contains("audit"),
        "{}",
        a.body
    );
    let users = std::fs::read_to_string(dir.join("users.json")).unwrap();
    assert!(!users.contains("ghost"), "the user was created");
    assert_eq!(admin.get("/users").await.status, 200);
    let a = admin.get("/audit").await;
    assert_eq!(a.status, 503, "{}", a.body);
    assert!(
        a.body["detail"].as_str().unwrap().contains("audit.log"),
        "{}",
        a.body
    );
    std::fs::remove_dir(&log).unwrap();
    assert_eq!(admin.post("/users", &user).await.status, 200);
    let entries = admin.get("/audit?action=user.create").await.body;
    assert_eq!(entries["entries"][0]["target"], "ghost", "{entries}");
}

#[tokio::test]
/// A failed login with a 100,000-character name writes a log line of bounded length.
async fn a_huge_login_is_cut_in_the_log() {
    let (_tmp, dir) = seed_config();
    let d = Daemon::binary(&dir, &[]);
    let name = "n".repeat(100_000);
    let a = d
        .api()
        .send(
            d.api()
                .request(reqwest::Method::POST, "/token")
                .form(&[("username", name.as_str()), ("password", "x")]),
        )
        .await;
    assert_eq!(a.status, 401);
    tokio::time::sleep(Duration::from_millis(200)).await;
    let log = d.log();
    let line = log
        .lines()
        .find(|l| l.contains("login failed"))
        .expect("no login line");
    assert!(line.len() < 1_000, "a line of {} bytes", line.len());
}

#[tokio::test]
/// `history.db` as a symbolic link stops the start with a message; the link's target is left
/// as it was.
async fn a_linked_store_is_refused() {
    let (tmp, dir) = seed_config();
    let target = tmp.path().join("elsewhere.db");
    std::fs::write(&target, b"").unwrap();
    std::os::unix::fs::symlink(&target, dir.join("history.db")).unwrap();
    let out = pgmon_tests::daemon::pgmond_to_exit(&dir, &dir.with_extension("sock"), &[]);
    assert!(!out.status.success());
    let err = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(err.contains("symbolic link"), "{err}");
    let meta = std::fs::metadata(&target).unwrap();
    assert_eq!(meta.len(), 0, "the target was written");
}

#[tokio::test]
/// After SIGTERM every sample is in history.db: no write-ahead log is left with data in it.
async fn a_clean_stop_leaves_no_wal() {
    let pg = TestCluster::shared();
    let (_tmp, dir) = seed_config();
    add_settings(&dir, "collect_interval_seconds = 1");
    add_local_server(&dir, "walled", pg.port, None);
    let mut d = Daemon::binary(&dir, &[]);
    let api = d.api_as("view", "view-pass-1").await;
    api.get_until("/collector/status", WAIT, "samples", |s| {
        pgmon_tests::daemon::collector_entry(s, "walled")["samples"].as_u64() > Some(2)
    })
    .await;
    assert!(d.terminate().unwrap().success());
    let wal = std::fs::metadata(dir.join("history.db-wal")).map_or(0, |m| m.len());
    assert_eq!(wal, 0, "samples left in the WAL");
}

/// Sends a whole request and hangs up `after` later, without reading the answer.
fn hang_up(port: u16, request: &str, after: Duration) {
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.write_all(request.as_bytes()).unwrap();
    std::thread::sleep(after);
    let _ = s.shutdown(std::net::Shutdown::Both);
}

fn request(method: &str, path: &str, token: &str, body: &Value) -> String {
    let body = body.to_string();
    format!(
        "{method} {path} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
}

/// Whether the audit trail has an entry of `action` on `target`.
async fn audited(api: &Api, action: &str, target: &str) -> bool {
    let page = api
        .get(&format!("/audit?action={action}&limit=100"))
        .await
        .body;
    page["entries"]
        .as_array()
        .unwrap()
        .iter()
        .any(|e| e["target"] == target)
}

/// Waits up to 10 s for the entry (a change that began finishes within its own bounds), then
/// says whether it came.
async fn settled(api: &Api, action: &str, target: &str) -> bool {
    let until = Instant::now() + Duration::from_secs(10);
    loop {
        if audited(api, action, target).await {
            return true;
        }
        if Instant::now() > until {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
/// A create, an update and a settings change whose client hangs up 1 to 50 ms after sending
/// each leave the file, the audit entry and the running state in agreement: all of the change,
/// or (when the hang-up came before the whole request was taken in) none of it.
async fn changes_finish_when_the_client_hangs_up() {
    let (_tmp, dir) = seed_config();
    let d = Daemon::start(&dir);
    let admin = d.api_as("admin", "admin-pass-1").await;
    let token = admin.token("admin", "admin-pass-1").await;
    let mut server = "legacy".to_owned();
    let (mut made, mut settings_changes) = (0, 0);
    for (i, ms) in [1u64, 5, 20, 50, 1, 5, 20, 50].into_iter().enumerate() {
        let after = Duration::from_millis(ms);
        let login = format!("hangup{i}");
        let user = json!({"login": login, "password": "hangup-pass-1", "role": "viewer"});
        hang_up(d.port, &request("POST", "/users", &token, &user), after);
        let renamed = format!("renamed{i}");
        let body = json!({"name": renamed, "host": "db.invalid", "port": 5432, "user": "monitor"});
        hang_up(
            d.port,
            &request("PUT", &format!("/servers/{server}"), &token, &body),
            after,
        );
        let days = 40 + i as u64;
        hang_up(
            d.port,
            &request("PUT", "/settings", &token, &json!({"unused_days": days})),
            after,
        );

        let created = settled(&admin, "user.create", &login).await;
        let in_memory = admin
            .get("/users")
            .await
            .body
            .as_array()
            .unwrap()
            .iter()
            .any(|u| u["login"] == login);
        let in_file = std::fs::read_to_string(dir.join("users.json"))
            .unwrap()
            .contains(&format!("\"{login}\""));
        assert_eq!(
            (in_memory, in_file),
            (created, created),
            "{login} after {ms} ms"
        );

        let moved = settled(&admin, "server.update", &server).await;
        let shown = admin.get(&format!("/servers/{renamed}")).await.status == 200;
        let in_file = std::fs::read_to_string(dir.join("servers.json"))
            .unwrap()
            .contains(&format!("\"{renamed}\""));
        assert_eq!(
            (shown, in_file),
            (moved, moved),
            "{server} -> {renamed} after {ms} ms"
        );

        let entries = |v: &Value| v["entries"].as_array().map_or(0, Vec::len);
        let until = Instant::now() + Duration::from_secs(10);
        let mut changed = false;
        while !changed && Instant::now() < until {
            changed = admin.get("/settings").await.body["unused_days"] == days;
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let saved: Value = serde_json::from_str(
            &std::fs::read_to_string(dir.join("settings.json")).unwrap_or_default(),
        )
        .unwrap_or(Value::Null);
        let logged = entries(
            &admin
                .get("/audit?action=settings.update&limit=100")
                .await
                .body,
        );
        assert_eq!(
            saved["unused_days"] == days,
            changed,
            "settings after {ms} ms"
        );
        settings_changes += usize::from(changed);
        assert_eq!(logged, settings_changes, "settings entries after {ms} ms");
        made += usize::from(created) + usize::from(moved) + usize::from(changed);
        if moved {
            server = renamed;
        }
    }
    assert!(made > 0, "no change went through: the test showed nothing");
}

#[tokio::test]
/// NULL `datname` and `creation_time` in a server's legacy tables are imported around, with
/// no panic, and its history answers 200 every time.
async fn nulls_in_legacy_tables() {
    let pg = TestCluster::shared();
    pg.create_database("nulls_stats").await;
    pg.client("nulls_stats")
        .await
        .batch_execute(
            "CREATE TABLE pg_statistics (id serial, ts timestamptz, datname text,
                 numbackends integer, xact_commit bigint, db_size bigint);
             CREATE TABLE db_creation (datname text, creation_time timestamptz, oid oid);
             INSERT INTO pg_statistics (ts, datname, numbackends, xact_commit, db_size)
                 VALUES (now() - interval '2 minutes', NULL, 1, 1, 1),
                        (now() - interval '1 minute', 'postgres', 2, 2, 2),
                        (NULL, 'postgres', 3, 3, 3);
             INSERT INTO db_creation VALUES (NULL, now(), 1), ('postgres', NULL, 5);",
        )
        .await
        .unwrap();
    let (_tmp, dir) = seed_config();
    add_local_server(&dir, "nulls", pg.port, Some("nulls_stats"));
    let d = Daemon::binary(&dir, &[]);
    let api = d.api_as("view", "view-pass-1").await;
    api.get_until("/collector/status", WAIT, "the import", |s| {
        pgmon_tests::daemon::collector_entry(s, "nulls")["legacy_import"]["state"] == "caught_up"
    })
    .await;
    for _ in 0..3 {
        assert_eq!(api.get("/server/nulls/stats").await.status, 200);
    }
    assert!(!d.log().contains("panicked"), "{}", d.log());
}

/// pgmond's sessions on `db` of `pg`.
async fn pgmon_sessions(pg: &TestCluster, db: &str) -> i64 {
    pg.client("postgres")
        .await
        .query_one(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = $1 AND application_name = 'pgmon'",
            &[&db],
        )
        .await
        .unwrap()
        .get(0)
}

#[tokio::test]
/// A server removed with `pgmonctl --config-dir` while pgmond runs leaves no session of
/// pgmond's open on its PostgreSQL within a few seconds.
async fn a_server_removed_behind_pgmonds_back_leaves_no_session() {
    let pg = TestCluster::shared();
    pg.create_database("removed_db").await;
    let (_tmp, dir) = seed_config();
    add_settings(&dir, "collect_interval_seconds = 1");
    let d = Daemon::start(&dir);
    add_local_server(&dir, "gone-soon", pg.port, Some("removed_db"));
    let until = Instant::now() + WAIT;
    while pgmon_sessions(pg, "removed_db").await == 0 {
        assert!(Instant::now() < until, "pgmond never connected");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let out = pgmonctl(&dir, &["servers", "remove", "gone-soon"], "");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let until = Instant::now() + Duration::from_secs(10);
    while pgmon_sessions(pg, "removed_db").await > 0 {
        assert!(
            Instant::now() < until,
            "sessions left open after the removal"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    drop(d);
}

fn timeline_len(body: &Value) -> usize {
    body["connection_timeline"].as_array().map_or(0, Vec::len)
}

#[tokio::test]
/// A renamed server keeps its history; a new server under the old name starts empty.
async fn history_follows_the_server() {
    let pg = TestCluster::shared();
    let (_tmp, dir) = seed_config();
    add_settings(&dir, "collect_interval_seconds = 1\nlegacy_import = false");
    add_local_server(&dir, "hist-a", pg.port, None);
    let d = Daemon::start(&dir);
    let oper = d.api_as("oper", "oper-pass-1").await;
    let now = chrono::Utc::now();
    let window = format!(
        "start_date={}&end_date={}",
        (now - chrono::Duration::minutes(10)).format("%Y-%m-%dT%H:%M:%SZ"),
        (now + chrono::Duration::minutes(10)).format("%Y-%m-%dT%H:%M:%SZ"),
    );
    let before = oper
        .get_until(
            &format!("/server/hist-a/stats?{window}"),
            WAIT,
            "samples",
            |b| timeline_len(b) >= 5,
        )
        .await;
    let a = oper
        .put("/servers/hist-a", &local_body("hist-b", pg.port))
        .await;
    assert_eq!(a.status, 200, "{}", a.body);
    let after = oper
        .get_until(
            &format!("/server/hist-b/stats?{window}"),
            WAIT,
            "the moved history",
            |b| timeline_len(b) >= timeline_len(&before),
        )
        .await;
    assert!(timeline_len(&after) >= 2);
    let a = oper
        .post("/servers?check=false", &local_body("hist-a", pg.port))
        .await;
    assert_eq!(a.status, 200, "{}", a.body);
    let fresh = oper
        .get(&format!("/server/hist-a/stats?{window}"))
        .await
        .body;
    // Its own first sample or two may be in already; the old five are not.
    assert!(
        timeline_len(&fresh) <= 2,
        "the new hist-a inherited the history: {fresh}"
    );
}

#[tokio::test]
/// A fake server that answers `S`, completes TLS with a self-signed certificate and asks for
/// the password in cleartext gets nothing; the status says why.
async fn cleartext_inside_unverified_tls_gets_nothing() {
    let certs = pgmon_tests::certs::TestCerts::new();
    let fake = CleartextServer::start_tls(&certs.path("server.crt"), &certs.path("server.key"));
    let (_tmp, dir) = seed_config();
    let d = Daemon::start(&dir);
    let oper = d.api_as("oper", "oper-pass-1").await;
    let mut body = local_body("tls-fake", fake.port);
    body["password"] = json!("very-secret-pass");
    for sslmode in ["prefer", "require"] {
        body["sslmode"] = json!(sslmode);
        let a = oper.post("/servers/test", &body).await;
        assert_eq!(a.status, 200, "{}", a.body);
        let message = a.body["postgres"]["message"].as_str().unwrap();
        assert!(message.contains("cleartext password refused"), "{message}");
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(!fake.got_password(), "the password went out");
}
