//! SSH against a real throwaway sshd: keys generated and imported through the API, password
//! and key logins, disk usage in the status, host-key pinning, and secrets kept out of logs.

use std::process::Command;
use std::time::{Duration, Instant};

use pgmon_common::ConfigDir;
use pgmon_tests::daemon::{Daemon, add_local_server, json_of, pgmonctl};
use pgmon_tests::fixtures::seed_config;
use pgmon_tests::http::{Api, raw_get};
use pgmon_tests::postgres::TestCluster;
use pgmon_tests::sshd::{TEST_PASSWORD, TEST_USER, TestSshd, ensure_test_user};
use serde_json::{Value, json};

/// The seed-config server entry for `name`, pointed at the test cluster and sshd.
fn server_body(name: &str, pg: &TestCluster, sshd: &TestSshd) -> Value {
    json!({"name": name, "host": "127.0.0.1", "port": pg.port, "user": "postgres",
           "ssh_user": TEST_USER, "ssh_port": sshd.port})
}

async fn put_server(api: &Api, name: &str, body: Value) {
    let a = api.put(&format!("/servers/{name}"), &body).await;
    assert_eq!(a.status, 200, "{}", a.body);
}

async fn test_ssh(api: &Api, name: &str) -> Value {
    let a = api
        .send(api.request(reqwest::Method::POST, &format!("/servers/{name}/test-ssh")))
        .await;
    assert_eq!(a.status, 200, "{}", a.body);
    a.body
}

/// `df -P -B1` of `path` here (the test host is the database host): (total, available).
fn local_df(path: &str) -> (u64, u64) {
    let out = Command::new("df")
        .args(["-P", "-B1", path])
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    let cols: Vec<u64> = text
        .lines()
        .nth(1)
        .unwrap()
        .split_whitespace()
        .filter_map(|c| c.parse().ok())
        .collect();
    (cols[0], cols[2])
}

/// `ssh-keygen -lf` of a key file: its SHA256 fingerprint.
fn keygen_fingerprint(path: &std::path::Path) -> String {
    let out = Command::new("ssh-keygen")
        .args(["-l", "-E", "sha256", "-f"])
        .arg(path)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .unwrap()
        .split_whitespace()
        .nth(1)
        .unwrap()
        .to_owned()
}

#[tokio::test]
/// A key generated through the API and authorized on the host: test-ssh succeeds, and the
/// status carries the data directory's disk usage as `df` reports it. Password logins work the
/// same way; wrong passwords and unknown keys fail as `authentication failed`.
async fn key_and_password_logins_and_disk_usage() {
    ensure_test_user();
    let pg = TestCluster::shared();
    let sshd = TestSshd::start();
    let (_tmp, dir) = seed_config();
    add_local_server(&dir, "db", pg.port, None);
    let d = Daemon::binary(&dir, &[]);
    let admin = d.api_as("admin", "admin-pass-1").await;

    let key = admin
        .post(
            "/ssh-keys/generate",
            &json!({"name": "gen-ed", "key_type": "ed25519", "passphrase": "gen-pass-7"}),
        )
        .await;
    assert_eq!(key.status, 200, "{}", key.body);
    let id = key.body["id"].as_str().unwrap().to_owned();
    assert_eq!(
        (&key.body["has_passphrase"], &key.body["key_type"]),
        (&json!(true), &json!("ed25519"))
    );
    let public = admin
        .get(&format!("/ssh-keys/{id}/download-public"))
        .await
        .body;
    assert_eq!(public["filename"], "gen-ed_id_ed25519.pub");
    sshd.authorize(public["content"].as_str().unwrap());

    let mut body = server_body("db", pg, &sshd);
    body["ssh_auth_type"] = json!("key");
    body["ssh_key_id"] = json!(id);
    body["ssh_key_passphrase"] = json!("gen-pass-7");
    put_server(&admin, "db", body).await;
    let t = test_ssh(&admin, "db").await;
    assert_eq!(
        t,
        json!({"success": true, "message": "SSH connection successful", "auth_type": "key"}),
        "{}",
        sshd.log()
    );

    let status = admin.get("/servers/db").await.body;
    assert_eq!(status["status"], "ok", "{status}");
    let data_dir = status["data_dir"].as_str().unwrap();
    let (total, free) = local_df(data_dir);
    assert_eq!(status["total_space"].as_u64(), Some(total), "{status}");
    // Free space moves while the tests write; the reading must be the same filesystem's.
    let reported = status["free_space"].as_u64().unwrap();
    assert!(
        reported.abs_diff(free) < 256 * 1024 * 1024,
        "free {reported} vs df {free}"
    );
    let servers = admin.get(&format!("/ssh-keys/{id}/servers")).await.body;
    assert_eq!(
        servers,
        json!({"key_name": "gen-ed", "servers_count": 1, "servers": [{"name": "db", "host": "127.0.0.1"}]})
    );
    let used = admin.delete(&format!("/ssh-keys/{id}")).await;
    assert_eq!(
        (used.status, used.body),
        (400, json!({"detail": "Key is used by servers: db"}))
    );

    // Password login.
    let mut body = server_body("db", pg, &sshd);
    body["ssh_auth_type"] = json!("password");
    body["ssh_password"] = json!(TEST_PASSWORD);
    put_server(&admin, "db", body.clone()).await;
    assert_eq!(
        test_ssh(&admin, "db").await["success"],
        true,
        "{}",
        sshd.log()
    );
    assert!(
        admin.get("/servers/db").await.body["free_space"]
            .as_u64()
            .is_some()
    );

    // Wrong password: test-ssh and the status say so.
    body["ssh_password"] = json!("wrong-password");
    put_server(&admin, "db", body).await;
    let t = test_ssh(&admin, "db").await;
    assert_eq!(
        (&t["success"], &t["message"]),
        (
            &json!(false),
            &json!("SSH connection failed: authentication failed")
        )
    );
    let status = admin.get("/servers/db").await.body;
    assert_eq!(status["status"], "ok (SSH: authentication failed)");
    assert!(status["free_space"].is_null());

    // A key the host does not know.
    let stranger = admin
        .post(
            "/ssh-keys/generate",
            &json!({"name": "stranger", "key_type": "rsa", "key_size": 2048}),
        )
        .await
        .body;
    let mut body = server_body("db", pg, &sshd);
    body["ssh_auth_type"] = json!("key");
    body["ssh_key_id"] = stranger["id"].clone();
    put_server(&admin, "db", body).await;
    assert_eq!(
        test_ssh(&admin, "db").await["message"],
        "SSH connection failed: authentication failed"
    );

    // Nothing secret in the daemon's log.
    let log = d.log();
    for secret in [
        TEST_PASSWORD,
        "gen-pass-7",
        "BEGIN OPENSSH PRIVATE KEY",
        "wrong-password",
    ] {
        assert!(!log.contains(secret), "{secret} in the log");
    }
    let stored =
        std::fs::read_to_string(dir.join(format!("ssh_keys/private/key_{id}.pem"))).unwrap();
    assert!(
        stored.starts_with("gAAAAA"),
        "private key stored unencrypted"
    );
}

#[tokio::test]
/// A stopped sshd is `unreachable` at once; a host key that changes is refused until the
/// pinned one is removed from `known_hosts`.
async fn unreachable_and_changed_host_key() {
    ensure_test_user();
    let pg = TestCluster::shared();
    let mut sshd = TestSshd::start();
    let (_tmp, dir) = seed_config();
    add_local_server(&dir, "db", pg.port, None);
    let d = Daemon::start(&dir);
    let admin = d.api_as("admin", "admin-pass-1").await;
    let mut body = server_body("db", pg, &sshd);
    body["ssh_password"] = json!(TEST_PASSWORD);
    put_server(&admin, "db", body).await;
    assert_eq!(test_ssh(&admin, "db").await["success"], true);
    let known = std::fs::read_to_string(dir.join("known_hosts")).unwrap();
    assert!(
        known.contains(&format!("[127.0.0.1]:{}", sshd.port)),
        "{known}"
    );

    sshd.stop();
    let t0 = Instant::now();
    let t = test_ssh(&admin, "db").await;
    assert_eq!(t["message"], "SSH connection failed: unreachable");
    assert!(
        t0.elapsed() < Duration::from_secs(2),
        "took {:?}",
        t0.elapsed()
    );

    sshd.restart_with_new_host_key();
    let t = test_ssh(&admin, "db").await;
    assert_eq!(
        t["message"],
        "SSH connection failed: host key changed",
        "{}",
        sshd.log()
    );
    // Disk readings are cached for 30 s; a change of the entry drops the cache.
    let mut body = server_body("db", pg, &sshd);
    body["ssh_password"] = json!(TEST_PASSWORD);
    put_server(&admin, "db", body).await;
    let status = admin.get("/servers/db").await.body;
    assert_eq!(status["status"], "ok (SSH: host key changed)");
    // The entry may opt out of the check (the old backend's behaviour).
    let servers = dir.join("servers.json");
    let mut all: Value = serde_json::from_str(&std::fs::read_to_string(&servers).unwrap()).unwrap();
    for s in all.as_array_mut().unwrap() {
        if s["name"] == "db" {
            s["ssh_host_key_check"] = json!(false);
        }
    }
    std::fs::write(&servers, serde_json::to_string_pretty(&all).unwrap()).unwrap();
    assert_eq!(test_ssh(&admin, "db").await["success"], true);
}

#[tokio::test]
/// The fixture's passphrase-protected Ed25519 key logs in with the passphrase stored on the
/// server entry, as the Python backend used it.
async fn fixture_key_logs_in() {
    ensure_test_user();
    let pg = TestCluster::shared();
    let sshd = TestSshd::start();
    let (_tmp, dir) = seed_config();
    let cfg = ConfigDir::open(&dir).unwrap();
    let key = cfg.find_ssh_key("backup-ed25519").unwrap();
    sshd.authorize(&key.public_key);
    add_local_server(&dir, "db", pg.port, None);
    let d = Daemon::binary(&dir, &[]);
    let admin = d.api_as("admin", "admin-pass-1").await;
    let mut body = server_body("db", pg, &sshd);
    body["ssh_auth_type"] = json!("key");
    body["ssh_key_id"] = json!(key.id);
    body["ssh_key_passphrase"] = json!("key-pass-9");
    put_server(&admin, "db", body).await;
    assert_eq!(
        test_ssh(&admin, "db").await["success"],
        true,
        "{}",
        sshd.log()
    );
    assert!(!d.log().contains("key-pass-9"));
}

#[tokio::test]
/// Import: the fixture's encrypted Ed25519 key, a PKCS#8 RSA key and an ECDSA key from
/// ssh-keygen, each with the fingerprint ssh-keygen prints; wrong passphrases, garbage and
/// duplicates are 400; import-file takes the name from the file.
async fn import_keys() {
    let (tmp, dir) = seed_config();
    let d = Daemon::binary(&dir, &[]);
    let oper = d.api_as("oper", "oper-pass-1").await;
    let cfg = ConfigDir::open(&dir).unwrap();

    // The fixture key, decrypted from its Fernet file, imported again elsewhere.
    let fixture = cfg.find_ssh_key("backup-ed25519").unwrap();
    let pem = cfg.private_key_pem(&fixture.id).unwrap();
    let wrong = oper
        .post(
            "/ssh-keys/import",
            &json!({"name": "x", "private_key": pem.as_str(), "passphrase": "nope"}),
        )
        .await;
    assert_eq!(
        (wrong.status, wrong.body),
        (400, json!({"detail": "Wrong passphrase"}))
    );
    // Its fingerprint, computed from the decrypted key, is what ssh-keygen and the metadata say.
    let fixture_file = tmp.path().join("backup-ed25519");
    std::fs::write(&fixture_file, pem.as_str()).unwrap();
    let opened = pgmon_common::ssh_keys::material::import(&pem, Some("key-pass-9")).unwrap();
    assert_eq!(opened.fingerprint, keygen_fingerprint(&fixture_file));
    assert_eq!(opened.fingerprint, fixture.fingerprint);
    assert!(opened.has_passphrase);
    let dup = oper
        .post(
            "/ssh-keys/import",
            &json!({"name": "again", "private_key": pem.as_str(), "passphrase": "key-pass-9"}),
        )
        .await;
    assert_eq!(dup.status, 400, "{}", dup.body);
    assert!(
        dup.body["detail"]
            .as_str()
            .unwrap()
            .contains("backup-ed25519")
    );

    for (kind, extra) in [
        ("rsa", &["-b", "2048", "-m", "PKCS8"][..]),
        ("ecdsa", &["-b", "256"][..]),
    ] {
        let path = tmp.path().join(format!("id_{kind}"));
        let out = Command::new("ssh-keygen")
            .args(["-q", "-t", kind, "-N", "", "-f"])
            .arg(&path)
            .args(extra)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let text = std::fs::read_to_string(&path).unwrap();
        if kind == "rsa" {
            assert!(
                text.starts_with("-----BEGIN PRIVATE KEY-----"),
                "not PKCS#8: {}",
                &text[..40]
            );
        }
        let a = oper
            .post(
                "/ssh-keys/import",
                &json!({"name": format!("imp-{kind}"), "private_key": text}),
            )
            .await;
        assert_eq!(a.status, 200, "{kind}: {}", a.body);
        assert_eq!(a.body["key_type"], kind);
        assert_eq!(a.body["fingerprint"], keygen_fingerprint(&path), "{kind}");
        assert_eq!(a.body["public_key"], "[hidden]");
    }
    for garbage in [
        "",
        "hello",
        "-----BEGIN PRIVATE KEY-----\nnot base64!\n-----END PRIVATE KEY-----\n",
    ] {
        let a = oper
            .post(
                "/ssh-keys/import",
                &json!({"name": "junk", "private_key": garbage}),
            )
            .await;
        assert_eq!(a.status, 400, "{garbage:?}: {}", a.body);
    }

    // import-file: multipart, name from the file name, passphrase as a query parameter.
    let path = tmp.path().join("deploy.pem");
    let out = Command::new("ssh-keygen")
        .args(["-q", "-t", "ed25519", "-N", "file-pass", "-f"])
        .arg(&path)
        .output()
        .unwrap();
    assert!(out.status.success());
    let form = reqwest::multipart::Form::new().part(
        "file",
        reqwest::multipart::Part::bytes(std::fs::read(&path).unwrap()).file_name("deploy.pem"),
    );
    let a = oper
        .send(
            oper.request(
                reqwest::Method::POST,
                "/ssh-keys/import-file?passphrase=file-pass",
            )
            .multipart(form),
        )
        .await;
    assert_eq!(a.status, 200, "{}", a.body);
    assert_eq!(
        (&a.body["name"], &a.body["has_passphrase"]),
        (&json!("deploy"), &json!(true))
    );
    assert_eq!(a.body["fingerprint"], keygen_fingerprint(&path));
    let empty = reqwest::multipart::Form::new().text("name", "nofile");
    let a = oper
        .send(
            oper.request(reqwest::Method::POST, "/ssh-keys/import-file")
                .multipart(empty),
        )
        .await;
    assert_eq!(a.status, 422);

    // Update, delete, and the role rules on downloads.
    let id = a_key_id(&oper, "deploy").await;
    let renamed = oper
        .put(
            &format!("/ssh-keys/{id}"),
            &json!({"name": "deploy-2", "description": "ci"}),
        )
        .await;
    assert_eq!(
        (&renamed.body["name"], &renamed.body["description"]),
        (&json!("deploy-2"), &json!("ci"))
    );
    assert_eq!(
        oper.get(&format!("/ssh-keys/{id}/download-public"))
            .await
            .status,
        403
    );
    let gone = oper.delete(&format!("/ssh-keys/{id}")).await;
    assert_eq!(
        (gone.status, gone.body),
        (200, json!({"message": "SSH key deleted"}))
    );
    assert_eq!(oper.delete(&format!("/ssh-keys/{id}")).await.status, 404);
    assert!(!dir.join(format!("ssh_keys/private/key_{id}.pem")).exists());
    let token = d.api().token("oper", "oper-pass-1").await;
    for path in [
        "/ssh-keys/..%2F..%2Fusers",
        "/ssh-keys/%2e%2e",
        "/ssh-keys/..%2Fprivate%2Fkey_x/servers",
        "/ssh-keys/../../etc/passwd",
    ] {
        let (status, body) = raw_get(d.port, path, &token);
        assert_eq!(status, 404, "{path}: {body}");
    }
    let log = d.log();
    for secret in ["key-pass-9", "file-pass", "PRIVATE KEY"] {
        assert!(!log.contains(secret), "{secret} in the log");
    }
}

async fn a_key_id(api: &Api, name: &str) -> String {
    let keys = api.get("/ssh-keys").await.body;
    keys.as_array()
        .unwrap()
        .iter()
        .find(|k| k["name"] == name)
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

#[tokio::test]
/// `pgmonctl ssh-keys` in local mode and over the socket, and `servers test-ssh` exit codes.
async fn pgmonctl_keys_and_test_ssh() {
    ensure_test_user();
    let pg = TestCluster::shared();
    let sshd = TestSshd::start();
    let (tmp, dir) = seed_config();
    add_local_server(&dir, "db", pg.port, None);
    // Local mode: generate with a passphrase from stdin, write the public key to a file.
    let key = json_of(&pgmonctl(
        &dir,
        &[
            "--output",
            "json",
            "ssh-keys",
            "generate",
            "cli-ed",
            "--type",
            "ed25519",
            "--passphrase-stdin",
        ],
        "cli-pass\n",
    ));
    let user = std::env::var("USER").unwrap_or_else(|_| "unknown".into());
    assert_eq!(
        (&key["has_passphrase"], &key["created_by"]),
        (&json!(true), &json!(format!("local:{user}")))
    );
    let pub_file = tmp.path().join("cli-ed.pub");
    let out = pgmonctl(
        &dir,
        &[
            "ssh-keys",
            "public",
            "cli-ed",
            "-o",
            pub_file.to_str().unwrap(),
        ],
        "",
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let public = std::fs::read_to_string(&pub_file).unwrap();
    assert_eq!(public.trim(), key["public_key"].as_str().unwrap());
    sshd.authorize(public.trim());
    let listed = json_of(&pgmonctl(
        &dir,
        &["--output", "json", "ssh-keys", "list"],
        "",
    ));
    assert_eq!(listed.as_array().unwrap().len(), 3);

    // Point the server at it (by key name) and test over the daemon's socket.
    let port = sshd.port.to_string();
    let out = pgmonctl(
        &dir,
        &[
            "servers",
            "update",
            "db",
            "--ssh-user",
            TEST_USER,
            "--ssh-port",
            &port,
            "--ssh-key",
            "cli-ed",
        ],
        "",
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let d = Daemon::binary(&dir, &[]);
    // The key's passphrase lives on the server entry.
    let admin = d.api_as("admin", "admin-pass-1").await;
    let mut body = server_body("db", pg, &sshd);
    body["ssh_auth_type"] = json!("key");
    body["ssh_key_id"] = key["id"].clone();
    body["ssh_key_passphrase"] = json!("cli-pass");
    put_server(&admin, "db", body).await;
    let ok = d.pgmonctl_socket(&["--output", "json", "servers", "test-ssh", "db"], "");
    assert_eq!(json_of(&ok)["success"], true);
    let out = d.pgmonctl_socket(&["ssh-keys", "servers", "cli-ed"], "");
    assert!(String::from_utf8_lossy(&out.stdout).contains("127.0.0.1"));
    let refused = d.pgmonctl_socket(&["ssh-keys", "delete", "cli-ed"], "");
    assert_eq!(refused.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&refused.stderr).contains("Key is used by servers: db"));

    let out = pgmonctl(
        &dir,
        &["servers", "update", "db", "--ssh-password-stdin"],
        "not-the-password\n",
    );
    assert!(out.status.success());
    let failed = d.pgmonctl_socket(&["servers", "test-ssh", "db"], "");
    assert_eq!(failed.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&failed.stderr).contains("authentication failed"));
    let local = pgmonctl(&dir, &["servers", "test-ssh", "db"], "");
    assert_eq!(local.status.code(), Some(5));

    // Import from a file over the socket; garbage is refused.
    let path = tmp.path().join("id_ecdsa");
    assert!(
        Command::new("ssh-keygen")
            .args(["-q", "-t", "ecdsa", "-N", "", "-f"])
            .arg(&path)
            .status()
            .unwrap()
            .success()
    );
    let imported = json_of(&d.pgmonctl_socket(
        &[
            "--output",
            "json",
            "ssh-keys",
            "import",
            "cli-ec",
            "--file",
            path.to_str().unwrap(),
        ],
        "",
    ));
    assert_eq!(imported["fingerprint"], keygen_fingerprint(&path));
    std::fs::write(tmp.path().join("junk"), "junk").unwrap();
    let junk = d.pgmonctl_socket(
        &[
            "ssh-keys",
            "import",
            "junk",
            "--file",
            tmp.path().join("junk").to_str().unwrap(),
        ],
        "",
    );
    assert_eq!(junk.status.code(), Some(1));
    let gone = d.pgmonctl_socket(&["ssh-keys", "delete", "cli-ec"], "");
    assert!(gone.status.success());
    assert!(!d.log().contains("cli-pass"));
}
