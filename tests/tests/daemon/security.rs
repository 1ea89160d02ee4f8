//! The security fixes of issue 14, each shown against the real daemon: hostile key imports
//! refused at once, stored secrets never sent to a new target, idle connections that cannot
//! stop the API, backups without plaintext, a socket path that deletes nothing, status that is
//! never borrowed from another entry, a pinned search_path, and the small ones.

use std::io::{Read, Write};
use std::os::unix::fs::PermissionsExt;
use std::time::{Duration, Instant};

use pgmon_common::ConfigDir;
use pgmon_common::ssh_keys::NewKey;
use pgmon_common::ssh_keys::material::{self, KeyMaterial};
use pgmon_tests::daemon::{Daemon, pgmond_to_exit};
use pgmon_tests::fixtures::seed_config;
use pgmon_tests::hostile::{self, CleartextServer};
use pgmon_tests::http::{Api, raw_request};
use pgmon_tests::postgres::TestCluster;
use serde_json::{Value, json};

/// `/api/health` over TCP answers, and how long it took.
async fn health_time(api: &Api) -> Duration {
    let started = Instant::now();
    let a = api.get("/api/health").await;
    assert_eq!(a.status, 200);
    started.elapsed()
}

fn mode(path: &std::path::Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

fn write_settings(dir: &std::path::Path, text: &str) {
    std::fs::write(dir.join("pgmond.toml"), text).unwrap();
}

#[tokio::test]
/// Keys whose passphrase derivation would take a petabyte, a year or hours are refused with a
/// 400 naming the cost within 2 s, as JSON and as a file upload, and the daemon answers health
/// within 100 ms right after each; so are PuTTY files. A key stored before the fix (written
/// straight into the config dir) fails test-ssh just as fast.
async fn hostile_key_imports_are_refused_at_once() {
    let (_tmp, dir) = seed_config();
    let d = Daemon::binary(&dir, &[]);
    let oper = d.api_as("oper", "oper-pass-1").await;
    let health = d.api();
    let openssh = material::generate("ed25519", 0, Some("pw")).unwrap();
    let cases = [
        ("scrypt", hostile::pkcs8_scrypt_petabyte(), "scrypt needs"),
        (
            "pbkdf2",
            hostile::pkcs8_pbkdf2_forever(),
            "PBKDF2 iterations",
        ),
        (
            "bcrypt",
            hostile::openssh_with_rounds(&openssh.pem, u32::MAX),
            "bcrypt-pbkdf rounds",
        ),
        (
            "putty",
            "PuTTY-User-Key-File-3: ssh-ed25519\nEncryption: aes256-cbc\n".to_owned(),
            "PuTTY",
        ),
    ];
    for (name, key, why) in &cases {
        let started = Instant::now();
        let a = oper
            .post(
                "/ssh-keys/import",
                &json!({"name": name, "private_key": key, "passphrase": "x"}),
            )
            .await;
        assert_eq!(a.status, 400, "{name}: {}", a.body);
        assert!(
            a.body["detail"].as_str().unwrap().contains(why),
            "{name}: {}",
            a.body
        );
        assert!(
            started.elapsed() < Duration::from_secs(2),
            "{name} took {:?}",
            started.elapsed()
        );
        let t = health_time(&health).await;
        assert!(
            t < Duration::from_millis(100),
            "health took {t:?} after {name}"
        );

        let form = reqwest::multipart::Form::new()
            .text("passphrase", "x")
            .part(
                "file",
                reqwest::multipart::Part::text(key.clone()).file_name(format!("{name}.key")),
            );
        let started = Instant::now();
        let a = oper
            .send(
                oper.request(reqwest::Method::POST, "/ssh-keys/import-file")
                    .multipart(form),
            )
            .await;
        assert_eq!(a.status, 400, "{name} file: {}", a.body);
        assert!(started.elapsed() < Duration::from_secs(2));
    }
    assert!(health_time(&health).await < Duration::from_millis(100));

    // A hostile key already in the store (as an older pgmond would have accepted it).
    let cfg = ConfigDir::open(&dir).unwrap();
    let stored = cfg
        .add_ssh_key(NewKey {
            name: "old-hostile".into(),
            description: None,
            created_by: "test".into(),
            material: KeyMaterial {
                pem: hostile::openssh_with_rounds(&openssh.pem, u32::MAX).into(),
                key_type: "ed25519".into(),
                public_key: openssh.public_key.clone(),
                fingerprint: "SHA256:hostile".into(),
                has_passphrase: true,
            },
        })
        .unwrap();
    let admin = d.api_as("admin", "admin-pass-1").await;
    let a = admin
        .put(
            "/servers/local-pg",
            &json!({"name": "local-pg", "host": "127.0.0.1", "user": "postgres",
                    "ssh_user": "nobody", "ssh_auth_type": "key", "ssh_key_id": stored.id,
                    "ssh_key_passphrase": "pw"}),
        )
        .await;
    assert_eq!(a.status, 200, "{}", a.body);
    let started = Instant::now();
    let a = admin
        .send(admin.request(reqwest::Method::POST, "/servers/local-pg/test-ssh"))
        .await;
    assert_eq!(a.body["success"], false);
    assert!(
        a.body["message"].as_str().unwrap().contains("too costly"),
        "{}",
        a.body
    );
    assert!(started.elapsed() < Duration::from_secs(2));
    assert!(health_time(&health).await < Duration::from_millis(100));
}

#[tokio::test]
/// Moving a server to another host, port or user without a new password clears the stored
/// one (the answer names it) and nothing reaches the new target; a new password offered to a
/// server that asks for it in cleartext over plain TCP is not sent, unless the entry allows
/// it. The SSH password follows the same rule through `ssh_port`.
async fn stored_secrets_never_follow_a_new_target() {
    let (_tmp, dir) = seed_config();
    let d = Daemon::binary(&dir, &[]);
    let oper = d.api_as("oper", "oper-pass-1").await;
    let fake = CleartextServer::start();
    let base = json!({"name": "local-pg", "host": "127.0.0.1", "port": fake.port,
                      "user": "postgres"});

    let a = oper.put("/servers/local-pg", &base).await;
    assert_eq!(a.status, 200, "{}", a.body);
    assert_eq!(a.body["cleared_secrets"], json!(["password"]));
    assert_eq!(a.body["has_password"], false);
    assert!(
        !fake.got_password(),
        "the stored password was sent to the new target"
    );

    let mut with_password = base.clone();
    with_password["password"] = json!("fresh-pass");
    let a = oper.put("/servers/local-pg", &with_password).await;
    assert_eq!(a.status, 200, "{}", a.body);
    assert!(a.body.get("cleared_secrets").is_none(), "{}", a.body);
    assert!(
        a.body["status"]
            .as_str()
            .unwrap()
            .contains("cleartext password refused"),
        "{}",
        a.body
    );
    std::thread::sleep(Duration::from_millis(200));
    assert!(!fake.got_password(), "a password went out in cleartext");

    // Allowed explicitly: then it goes (which also shows the fake server would have seen it).
    let mut allowed = with_password.clone();
    allowed["allow_cleartext_password"] = json!(true);
    let a = oper.put("/servers/local-pg", &allowed).await;
    assert_eq!(a.status, 200, "{}", a.body);
    let deadline = Instant::now() + Duration::from_secs(5);
    while !fake.got_password() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(fake.got_password());

    // billing keeps its SSH password while the SSH target stays, and loses it when it moves.
    let billing = json!({"name": "billing", "host": "pg-billing.invalid", "port": 5433,
                         "user": "monitor", "stats_db": "stats_db", "ssh_user": "pgadmin",
                         "ssh_port": 2222});
    let a = oper.put("/servers/billing", &billing).await;
    assert_eq!(a.body["has_ssh_password"], true, "{}", a.body);
    assert!(a.body.get("cleared_secrets").is_none());
    let mut moved = billing.clone();
    moved["ssh_port"] = json!(2223);
    let a = oper.put("/servers/billing", &moved).await;
    assert_eq!(
        a.body["cleared_secrets"],
        json!(["ssh_password"]),
        "{}",
        a.body
    );
    assert_eq!(a.body["has_ssh_password"], false);
    assert_eq!(a.body["has_password"], true);
}

/// Opens `n` TCP connections to `port` that send nothing.
fn idle_connections(port: u16, n: usize) -> Vec<std::net::TcpStream> {
    (0..n)
        .map(|_| std::net::TcpStream::connect(("127.0.0.1", port)).expect("idle connection"))
        .collect()
}

/// `GET /api/health` over the admin socket within `limit`.
fn socket_health(d: &Daemon, limit: Duration) -> bool {
    let Ok(mut s) = std::os::unix::net::UnixStream::connect(&d.socket) else {
        return false;
    };
    s.set_read_timeout(Some(limit)).unwrap();
    s.write_all(b"GET /api/health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .unwrap();
    let mut reply = String::new();
    let _ = s.read_to_string(&mut reply);
    reply.starts_with("HTTP/1.1 200")
}

/// `GET /api/health` over a new TCP connection within `limit`.
fn tcp_health(port: u16, limit: Duration) -> bool {
    let Ok(mut s) = std::net::TcpStream::connect(("127.0.0.1", port)) else {
        return false;
    };
    s.set_read_timeout(Some(limit)).unwrap();
    if s.write_all(b"GET /api/health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .is_err()
    {
        return false;
    }
    let mut reply = String::new();
    let _ = s.read_to_string(&mut reply);
    reply.starts_with("HTTP/1.1 200")
}

#[tokio::test]
/// Under `ulimit -n 1024`, 1,100 idle TCP connections: the admin socket answers throughout,
/// TCP health answers again within the header timeout, an idle keep-alive connection is
/// closed, and SIGTERM with a half-sent request open exits within the drain bound.
async fn idle_connections_cannot_stop_the_api() {
    let (soft, hard) =
        nix::sys::resource::getrlimit(nix::sys::resource::Resource::RLIMIT_NOFILE).unwrap();
    if soft < 4096 {
        nix::sys::resource::setrlimit(
            nix::sys::resource::Resource::RLIMIT_NOFILE,
            hard.min(65536),
            hard,
        )
        .expect("this test needs 4096 descriptors of its own");
    }
    let (_tmp, dir) = seed_config();
    write_settings(&dir, "header_timeout_seconds = 3\ndrain_seconds = 2\n");
    let mut d = Daemon::start_with_nofile(&dir, 1024);

    let flood = idle_connections(d.port, 1100);
    assert!(
        socket_health(&d, Duration::from_secs(2)),
        "admin socket silent under the flood"
    );
    assert!(
        d.log().lines().all(|l| !l.contains("Too many open files")),
        "{}",
        d.log()
    );
    // The flood is dropped after the header timeout; TCP answers again.
    let started = Instant::now();
    let mut back = false;
    while started.elapsed() < Duration::from_secs(8) {
        assert!(
            socket_health(&d, Duration::from_secs(2)),
            "admin socket silent under the flood"
        );
        if tcp_health(d.port, Duration::from_millis(500)) {
            back = true;
            break;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    assert!(back, "TCP health did not come back: {}", d.log());
    assert!(
        started.elapsed() < Duration::from_secs(3 + 4),
        "{:?}",
        started.elapsed()
    );
    drop(flood);

    // An idle keep-alive connection is closed after the header timeout.
    let mut keep = std::net::TcpStream::connect(("127.0.0.1", d.port)).unwrap();
    keep.write_all(b"GET /api/health HTTP/1.1\r\nHost: x\r\n\r\n")
        .unwrap();
    keep.set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let mut buf = vec![0; 4096];
    assert!(keep.read(&mut buf).unwrap() > 0);
    let idle_from = Instant::now();
    let mut rest = Vec::new();
    let _ = keep.read_to_end(&mut rest);
    assert!(
        idle_from.elapsed() < Duration::from_secs(6),
        "keep-alive held {:?}",
        idle_from.elapsed()
    );

    // A half-sent request does not hold shutdown past the drain bound (2 s, plus the grace).
    let mut half = std::net::TcpStream::connect(("127.0.0.1", d.port)).unwrap();
    half.write_all(b"POST /token HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nuser")
        .unwrap();
    std::thread::sleep(Duration::from_millis(100));
    let started = Instant::now();
    assert!(d.terminate().unwrap().success());
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "exit took {:?}",
        started.elapsed()
    );
}

#[tokio::test]
/// A hand-written plaintext secret is never kept in a backup once the live file seals it, every
/// backup is 0600, and wide modes found at start are tightened with a warning naming them.
async fn backups_hold_no_plaintext_and_modes_are_tightened() {
    let (_tmp, dir) = seed_config();
    let key = dir.join("encryption_key.key");
    std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o644)).unwrap();
    std::fs::set_permissions(
        dir.join("servers.json"),
        std::fs::Permissions::from_mode(0o644),
    )
    .unwrap();
    std::fs::set_permissions(dir.join("ssh_keys"), std::fs::Permissions::from_mode(0o755)).unwrap();
    let d = Daemon::binary(&dir, &[]);
    for path in [&key, &dir.join("servers.json")] {
        assert_eq!(mode(path), 0o600, "{}", path.display());
        assert!(
            d.log().contains(&path.display().to_string()),
            "no warning for {}",
            path.display()
        );
    }
    assert_eq!(mode(&dir.join("ssh_keys")), 0o700);

    let oper = d.api_as("oper", "oper-pass-1").await;
    let a = oper.delete("/servers/warehouse").await;
    assert_eq!(a.status, 200);
    let live = std::fs::read_to_string(dir.join("servers.json")).unwrap();
    assert!(!live.contains("legacy-plain-pass"));
    let backups: Vec<_> = std::fs::read_dir(dir.join("backups"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert!(!backups.is_empty());
    for b in &backups {
        assert_eq!(mode(b), 0o600, "{}", b.display());
        let text = std::fs::read_to_string(b).unwrap();
        for secret in ["legacy-plain-pass", "legacy-ssh-plain"] {
            assert!(!text.contains(secret), "{} keeps {secret}", b.display());
        }
        let name = b.file_name().unwrap().to_string_lossy().into_owned();
        if name.starts_with("servers_") {
            assert!(text.contains("warehouse"), "the backup is of the old file");
        }
    }
}

#[test]
/// `--admin-socket` pointing at a regular file or a folder stops pgmond with a message and
/// leaves the file as it was; a fresh socket is created with mode 0660.
fn admin_socket_path_deletes_nothing() {
    let (tmp, dir) = seed_config();
    let file = tmp.path().join("precious.txt");
    std::fs::write(&file, "keep me").unwrap();
    let out = pgmond_to_exit(&dir, &file, &[]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("is not a socket"));
    assert_eq!(std::fs::read_to_string(&file).unwrap(), "keep me");

    let folder = tmp.path().join("folder");
    std::fs::create_dir(&folder).unwrap();
    let out = pgmond_to_exit(&dir, &folder, &[]);
    assert_eq!(out.status.code(), Some(1));
    assert!(folder.is_dir());

    let d = Daemon::binary(&dir, &[]);
    assert_eq!(mode(&d.socket), 0o660);
    let leftovers: Vec<_> = std::fs::read_dir(d.socket.parent().unwrap())
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| {
            e.file_name()
                .to_string_lossy()
                .starts_with(".pgmond-socket-")
        })
        .collect();
    assert!(leftovers.is_empty(), "staging folder left behind");
}

#[tokio::test]
/// Two entries on the same host and port: the one with a user that does not exist shows its
/// own failure, not the cached `ok` of the other. A role whose search_path puts its own
/// `current_setting` first cannot change the version or data directory pgmon reports.
async fn status_is_never_borrowed_or_spoofed() {
    let pg = TestCluster::shared();
    let c = pg.client("postgres").await;
    c.batch_execute(
        "CREATE ROLE spoof LOGIN;
         GRANT pg_read_all_settings TO spoof;
         CREATE SCHEMA evil AUTHORIZATION spoof;
         CREATE FUNCTION evil.current_setting(text) RETURNS text
             LANGUAGE sql AS $$ SELECT '/spoofed' $$;
         ALTER ROLE spoof SET search_path = evil, pg_catalog;",
    )
    .await
    .unwrap();
    let (_tmp, dir) = seed_config();
    let d = Daemon::binary(&dir, &[]);
    let oper = d.api_as("oper", "oper-pass-1").await;
    for (name, user) in [
        ("good", "postgres"),
        ("wrong-user", "nosuchrole"),
        ("spoof", "spoof"),
    ] {
        let a = oper
            .post(
                "/servers?check=false",
                &json!({"name": name, "host": "127.0.0.1", "port": pg.port, "user": user}),
            )
            .await;
        assert_eq!(a.status, 200, "{}", a.body);
    }
    let good = oper.get("/servers/good").await.body;
    assert_eq!(good["status"], "ok");
    let wrong = oper.get("/servers/wrong-user").await.body;
    assert_ne!(wrong["status"], "ok", "{wrong}");
    assert!(
        wrong["status"].as_str().unwrap().contains("nosuchrole"),
        "{wrong}"
    );
    assert_eq!(wrong["version"], Value::Null);

    let spoof = oper.get("/servers/spoof").await.body;
    assert_eq!(spoof["status"], "ok", "{spoof}");
    assert_eq!(spoof["version"], good["version"]);
    assert_eq!(spoof["data_dir"], good["data_dir"]);
    assert_ne!(spoof["data_dir"], "/spoofed");
}

#[tokio::test]
/// The small ones: a short SECRET_KEY stops the start; hyper's own 414 and 431 and an
/// oversized multipart upload answer in the JSON error shape (413 for the upload); the server
/// count is capped.
async fn small_fixes() {
    let (_tmp, dir) = seed_config();
    let out = pgmond_to_exit(&dir, &dir.join("s.sock"), &[("SECRET_KEY", "short")]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("at least 32"));

    write_settings(&dir, "max_servers = 6\nmax_body_bytes = 4096\n");
    let d = Daemon::binary(&dir, &[]);
    let long_uri = format!("/{}", "a".repeat(70_000));
    let (status, body) = raw_request(d.port, "GET", long_uri.as_bytes(), &[], b"");
    assert_eq!((status, &body["detail"]), (414, &json!("URI Too Long")));
    let many: Vec<(String, String)> = (0..150).map(|i| (format!("x-h{i}"), "v".into())).collect();
    let headers: Vec<(&str, &str)> = many.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let (status, body) = raw_request(d.port, "GET", b"/api/health", &headers, b"");
    assert_eq!(
        (status, &body["detail"]),
        (431, &json!("Request Header Fields Too Large"))
    );

    let oper = d.api_as("oper", "oper-pass-1").await;
    let form = reqwest::multipart::Form::new().part(
        "file",
        reqwest::multipart::Part::text("x".repeat(8192)).file_name("big.key"),
    );
    let a = oper
        .send(
            oper.request(reqwest::Method::POST, "/ssh-keys/import-file")
                .multipart(form),
        )
        .await;
    assert_eq!(a.status, 413, "{}", a.body);
    assert_eq!(a.body["detail"], "Request body too large");

    // The seed has 5 servers; the sixth fits, the seventh does not.
    let server = |name: &str| json!({"name": name, "host": "127.0.0.1", "user": "u"});
    assert_eq!(
        oper.post("/servers?check=false", &server("six"))
            .await
            .status,
        200
    );
    let a = oper.post("/servers?check=false", &server("seven")).await;
    assert_eq!(a.status, 400, "{}", a.body);
    assert!(
        a.body["detail"]
            .as_str()
            .unwrap()
            .contains("Server limit reached")
    );
}
