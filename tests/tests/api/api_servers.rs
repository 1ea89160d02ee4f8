//! `/servers`: each endpoint's happy path and each error the SPEC names.

use std::fs;
use std::net::TcpListener;

use pgmon_common::ConfigDir;
use pgmon_tests::daemon::Daemon;
use pgmon_tests::fixtures::{PLAINTEXT_SECRETS, seed_config};
use pgmon_tests::http::raw_get;
use serde_json::{Value, json};

/// The decrypted secrets of a stored server, read as the daemon would.
fn secrets(dir: &std::path::Path, name: &str) -> (String, String) {
    let cfg = ConfigDir::open(dir).unwrap();
    let s = cfg.get_server(name).unwrap();
    let c = cfg.cipher().unwrap();
    let reveal = |v: &Option<pgmon_common::secret::StoredSecret>| {
        v.as_ref()
            .map(|v| v.reveal(c, "x").unwrap())
            .unwrap_or_default()
    };
    (reveal(&s.password), reveal(&s.ssh_password))
}

#[tokio::test]
/// The list has every server in the A4 shape, with no secret.
async fn list_shape_without_secrets() {
    let (_tmp, dir) = seed_config();
    let d = Daemon::start(&dir);
    let a = d.api_as("view", "view-pass-1").await.get("/servers").await;
    assert_eq!(a.status, 200);
    let text = a.body.to_string();
    for s in PLAINTEXT_SECRETS.iter().chain(&["gAAAAA"]) {
        assert!(!text.contains(s), "{s} leaked: {text}");
    }
    let servers = a.body.as_array().unwrap();
    assert_eq!(servers.len(), 5);
    let keys: Vec<&str> = servers[0]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    // The A4 keys in their order, then only pgmon's documented extra keys.
    let (a4, extra) = keys.split_at(keys.len().min(20));
    let extras = [
        "ssl",
        "down_since",
        "sslmode",
        "sslrootcert",
        "collect_interval",
    ];
    assert!(extra.iter().all(|k| extras.contains(k)), "{extra:?}");
    assert_eq!(
        a4,
        [
            "name",
            "host",
            "user",
            "port",
            "ssh_user",
            "ssh_port",
            "has_password",
            "has_ssh_password",
            "ssh_auth_type",
            "ssh_key_id",
            "ssh_key_info",
            "version",
            "free_space",
            "total_space",
            "connections",
            "uptime_hours",
            "stats_db",
            "data_dir",
            "status",
            "timestamp"
        ]
    );
    assert_eq!(
        servers[3]["ssh_key_info"],
        json!({"name": "backup-ed25519", "fingerprint": "SHA256:ztmN1Zk2rOz0dUrdLFsF3ElDn8iSCglwK9gupPHfMxY"})
    );
    assert!(servers[0]["timestamp"].as_f64().unwrap() > 1.7e9);
}

#[tokio::test]
/// Create: reachable servers are added (localhost accepted), unreachable ones refused unless
/// `check=false`; bad names, hosts, duplicates, unknown keys and malformed bodies refused.
async fn create() {
    let (_tmp, dir) = seed_config();
    let d = Daemon::start(&dir);
    let oper = d.api_as("oper", "oper-pass-1").await;
    let listening = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listening.local_addr().unwrap().port();
    let body = json!({"name": "new-pg", "host": "localhost", "user": "postgres", "password": "np", "port": port,
        "ssh_user": "postgres", "ssh_password": "sp", "stats_db": "stats_db"});
    let a = oper.post("/servers", &body).await;
    assert_eq!(a.status, 200, "{}", a.body);
    assert_eq!(
        (
            &a.body["name"],
            &a.body["has_password"],
            &a.body["has_ssh_password"],
            &a.body["stats_db"]
        ),
        (
            &json!("new-pg"),
            &json!(true),
            &json!(true),
            &json!("stats_db")
        )
    );
    assert_eq!(secrets(&dir, "new-pg"), ("np".into(), "sp".into()));
    drop(listening);

    let dead =
        json!({"name": "dead", "host": "127.0.0.1", "user": "u", "password": "p", "port": 1});
    let a = oper.post("/servers", &dead).await;
    assert_eq!(
        (a.status, a.body),
        (
            400,
            json!({"detail": "Server 127.0.0.1:1 is unreachable. Check address and port."})
        )
    );
    assert_eq!(oper.post("/servers?check=false", &dead).await.status, 200);

    let refused: &[(Value, u16, &str)] = &[
        (
            json!({"name": "local-pg", "host": "h.invalid", "user": "u"}),
            400,
            "Server with this name already exists",
        ),
        (
            json!({"name": "../etc", "host": "h.invalid", "user": "u"}),
            400,
            "Invalid server name",
        ),
        (
            json!({"name": "x", "host": "h;rm -rf /", "user": "u"}),
            400,
            "Invalid host address",
        ),
        (
            json!({"name": "x", "host": "h.invalid", "user": "u", "ssh_auth_type": "key", "ssh_key_id": "no-such-key"}),
            400,
            "SSH key not found: no-such-key",
        ),
        (json!({"name": "x", "host": "h.invalid"}), 422, "user"),
        (
            json!({"name": "x", "host": "h.invalid", "user": "u", "port": "nan"}),
            422,
            "port",
        ),
        (
            json!({"name": "x", "host": "h.invalid", "user": "u", "port": 70000}),
            422,
            "port",
        ),
        (
            json!({"name": "x", "host": "h.invalid", "user": "u", "ssh_auth_type": "telnet"}),
            422,
            "ssh_auth_type",
        ),
    ];
    let before = fs::read(dir.join("servers.json")).unwrap();
    for (body, status, text) in refused {
        let a = oper.post("/servers?check=false", body).await;
        assert_eq!(a.status, *status, "{body}: {}", a.body);
        assert!(
            a.body["detail"].to_string().contains(text),
            "{body}: {}",
            a.body
        );
    }
    let a = oper
        .send(
            oper.request(reqwest::Method::POST, "/servers")
                .header("content-type", "application/json")
                .body("{\"name\": \"bad\","),
        )
        .await;
    assert_eq!(a.status, 422);
    assert_eq!(a.body["detail"][0]["type"], "json_invalid");
    assert_eq!(fs::read(dir.join("servers.json")).unwrap(), before);
}

#[tokio::test]
/// Update: secrets absent, null or empty keep their stored value (the old backend wiped them);
/// given ones replace it; renames work, a rename onto another name is refused.
async fn update_keeps_secrets_and_renames() {
    let (_tmp, dir) = seed_config();
    let d = Daemon::start(&dir);
    let oper = d.api_as("oper", "oper-pass-1").await;
    let base = json!({"name": "billing", "host": "pg-billing.invalid", "user": "monitor", "port": 5433,
        "ssh_user": "pgadmin", "ssh_port": 2222, "stats_db": "stats_db"});
    for secret in [None, Some(Value::Null), Some(json!(""))] {
        let mut body = base.clone();
        if let Some(s) = secret {
            body["password"] = s.clone();
            body["ssh_password"] = s;
        }
        let a = oper.put("/servers/billing", &body).await;
        assert_eq!(a.status, 200, "{}", a.body);
        assert_eq!(
            secrets(&dir, "billing"),
            ("billing-db-pass".into(), "billing-ssh-pass".into())
        );
    }
    let mut body = base.clone();
    body["password"] = json!("rotated");
    body["name"] = json!("billing-eu");
    let a = oper.put("/servers/billing", &body).await;
    assert_eq!((a.status, &a.body["name"]), (200, &json!("billing-eu")));
    assert_eq!(
        secrets(&dir, "billing-eu"),
        ("rotated".into(), "billing-ssh-pass".into())
    );
    assert_eq!(oper.get("/servers/billing").await.status, 404);

    body["name"] = json!("legacy");
    let a = oper.put("/servers/billing-eu", &body).await;
    assert_eq!(
        (a.status, a.body),
        (
            400,
            json!({"detail": "Server with this name already exists"})
        )
    );
    let a = oper.put("/servers/nope", &base).await;
    assert_eq!(
        (a.status, a.body),
        (404, json!({"detail": "Server not found"}))
    );
    // The legacy entry's plaintext secrets were encrypted by these writes.
    let raw = fs::read_to_string(dir.join("servers.json")).unwrap();
    assert!(!raw.contains("legacy-plain-pass") && !raw.contains("legacy-ssh-plain"));
}

#[tokio::test]
/// Delete: the message, then 404. Path tricks in names reach no other resource.
async fn delete_and_path_tricks() {
    let (_tmp, dir) = seed_config();
    let d = Daemon::start(&dir);
    let oper = d.api_as("oper", "oper-pass-1").await;
    let a = oper.delete("/servers/legacy").await;
    assert_eq!(
        (a.status, a.body),
        (200, json!({"message": "Server legacy deleted"}))
    );
    assert_eq!(oper.delete("/servers/legacy").await.status, 404);
    let token = d.api().token("oper", "oper-pass-1").await;
    for path in [
        "/servers/..%2Fusers",
        "/servers/%2e%2e",
        "/servers/..",
        "/servers/a%00b",
        "/servers/%2F",
        "/servers/local-pg%2F..",
        "/servers/%ff%fe",
        "/users/%2e%2e%2fadmin",
        "/servers/../users",
    ] {
        let (status, body) = raw_get(d.port, path, &token);
        assert!(matches!(status, 400 | 403 | 404), "{path}: {status} {body}");
        assert!(
            body.get("detail").is_some() || body.get("message").is_some(),
            "{path}: {body}"
        );
        assert_ne!(
            body.as_array().map(|a| a.len()),
            Some(4),
            "{path} listed the users"
        );
    }
    // Percent-encoded names that exist are found.
    assert_eq!(oper.get("/servers/local%2Dpg").await.status, 200);
}

/// An Ed25519 private key in OpenSSH format, made by ssh-keygen.
fn openssh_key() -> String {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("k");
    let out = std::process::Command::new("ssh-keygen")
        .args(["-q", "-t", "ed25519", "-N", "", "-f"])
        .arg(&path)
        .output()
        .expect("running ssh-keygen (Debian package openssh-client)");
    assert!(out.status.success());
    fs::read_to_string(path).unwrap()
}

#[tokio::test]
/// Every optional field of every request accepts `null` as its default (as the Python models
/// read it), unknown fields are ignored, and a value of the wrong kind is a 422 naming the
/// field. Table-driven: one request per (endpoint, field).
async fn every_optional_field_accepts_null() {
    let (_tmp, dir) = seed_config();
    let d = Daemon::start(&dir);
    let admin = d.api_as("admin", "admin-pass-1").await;
    let server = |name: &str| json!({"name": name, "host": "127.0.0.1", "user": "postgres", "frontend_only": 1});
    assert_eq!(
        admin
            .post("/servers?check=false", &server("null-base"))
            .await
            .status,
        200
    );
    let key = admin
        .post(
            "/ssh-keys/generate",
            &json!({"name": "null-key", "key_type": "ed25519"}),
        )
        .await;
    assert_eq!(key.status, 200, "{}", key.body);
    let key_id = key.body["id"].as_str().unwrap().to_owned();
    let server_fields = [
        "stats_db",
        "password",
        "port",
        "ssh_user",
        "ssh_password",
        "ssh_port",
        "ssh_auth_type",
        "ssh_key_id",
        "ssh_key_passphrase",
        "allow_cleartext_password",
        "collect_interval",
    ];
    // (method, path, body before the null, optional fields); `{i}` makes names unique.
    let table: Vec<(&str, String, Value, &[&str])> = vec![
        (
            "POST",
            "/servers?check=false".into(),
            server("null-s{i}"),
            &server_fields,
        ),
        (
            "PUT",
            "/servers/null-base".into(),
            server("null-base"),
            &server_fields,
        ),
        (
            "POST",
            "/users".into(),
            json!({"login": "null-u{i}", "password": "long-pass-1", "frontend_only": 1}),
            &["role", "email"],
        ),
        (
            "PUT",
            "/users/view".into(),
            json!({"frontend_only": 1}),
            &["password", "role", "email", "is_active"],
        ),
        (
            "POST",
            "/ssh-keys/generate".into(),
            json!({"name": "null-k{i}", "key_type": "ed25519", "frontend_only": 1}),
            &["key_type", "key_size", "passphrase", "description"],
        ),
        (
            "POST",
            "/ssh-keys/import".into(),
            json!({"name": "null-i{i}", "frontend_only": 1}),
            &["passphrase", "description"],
        ),
        (
            "PUT",
            format!("/ssh-keys/{key_id}"),
            json!({"frontend_only": 1}),
            &["name", "description"],
        ),
        (
            "PUT",
            "/settings".into(),
            json!({}),
            &[
                "collect_interval",
                "size_interval",
                "raw_retention_days",
                "unused_days",
            ],
        ),
    ];
    let mut i = 0;
    for (method, path, base, fields) in &table {
        for field in fields.iter() {
            i += 1;
            let text = base.to_string().replace("{i}", &i.to_string());
            let mut body: Value = serde_json::from_str(&text).unwrap();
            body[*field] = Value::Null;
            if path == "/ssh-keys/import" {
                // A key is stored once: each import brings its own.
                body["private_key"] = json!(openssh_key());
            }
            let a = match *method {
                "POST" => admin.post(path, &body).await,
                _ => admin.put(path, &body).await,
            };
            assert_eq!(a.status, 200, "{method} {path} {field}: null: {}", a.body);
        }
    }
    // The old front end's Ed25519 generation.
    let ed = admin
        .post(
            "/ssh-keys/generate",
            &json!({"name": "front-end-ed", "key_type": "ed25519", "key_size": null}),
        )
        .await;
    assert_eq!(ed.status, 200, "{}", ed.body);
    // A value of the wrong kind names its field.
    let mut bad = server("null-bad");
    bad["ssh_auth_type"] = json!(true);
    let a = admin.post("/servers?check=false", &bad).await;
    assert_eq!(a.status, 422, "{}", a.body);
    assert_eq!(
        a.body["detail"][0]["loc"],
        json!(["body", "ssh_auth_type"]),
        "{}",
        a.body
    );
}
