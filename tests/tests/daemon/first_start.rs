//! `pgmond` on a missing config dir creates a working one and serves health.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use pgmon_common::ConfigDir;
use pgmon_tests::daemon::Daemon;
use pgmon_tests::fixtures::{empty_config, seed_config};
use serde_json::Value;

fn mode(p: &Path) -> u32 {
    fs::metadata(p).unwrap().permissions().mode() & 0o777
}

async fn get_json(url: &str) -> (u16, Value) {
    let r = reqwest::get(url).await.unwrap();
    let status = r.status().as_u16();
    (status, r.json().await.unwrap())
}

#[tokio::test]
/// Keys 0600, folders 0700, an admin with the given password, health in the SPEC shape, and a
/// clean exit on SIGTERM.
async fn first_start_creates_config_and_serves_health() {
    let (_tmp, dir) = empty_config();
    let mut d = Daemon::binary(&dir, &[("PGMON_ADMIN_PASSWORD", "first-admin-pw")]);
    assert_eq!(mode(&dir), 0o700);
    for f in [
        "encryption_key.key",
        "secret_key",
        "users.json",
        "servers.json",
        "ssh_keys/keys.json",
    ] {
        assert_eq!(mode(&dir.join(f)), 0o600, "{f}");
    }
    for sub in ["ssh_keys", "ssh_keys/private"] {
        assert_eq!(mode(&dir.join(sub)), 0o700, "{sub}");
    }
    let (status, body) = get_json(&d.url("/api/health")).await;
    assert_eq!(status, 200);
    let keys: Vec<&str> = body
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(keys, ["status", "timestamp", "pools_count", "version"]);
    assert_eq!(body["status"], "ok");
    assert_eq!(body["pools_count"], 0);
    assert_eq!(body["version"], env!("CARGO_PKG_VERSION"));
    let ts = body["timestamp"].as_str().unwrap();
    assert!(
        ts.ends_with("+00:00") && pgmon_common::timestamp::Timestamp::parse(ts).is_some(),
        "{ts}"
    );
    let (status, root) = get_json(&d.url("/")).await;
    assert_eq!(
        (status, &root["docs"], &root["redoc"]),
        (200, &"/docs".into(), &"/redoc".into())
    );
    let (status, body) = get_json(&d.url("/no/such/route")).await;
    assert_eq!(
        (status, body),
        (404, serde_json::json!({"message": "Not Found"}))
    );

    let status = d.terminate().expect("pgmond exit status");
    assert!(status.success(), "pgmond exited with {status}\n{}", d.log());
    assert!(!d.log().contains("first-admin-pw"), "password logged");

    let cfg = ConfigDir::open(&dir).unwrap();
    let admin = cfg
        .authenticate("admin", "first-admin-pw")
        .unwrap()
        .expect("admin password");
    assert_eq!(admin.role.as_str(), "admin");
    assert!(cfg.cipher().is_ok());
    assert!(cfg.read_secret_key().unwrap().len() >= 32);
}

#[tokio::test]
/// Without PGMON_ADMIN_PASSWORD a random admin password is printed once and works; a second
/// start neither prints nor changes anything.
async fn random_admin_password_printed_once() {
    let (_tmp, dir) = empty_config();
    let mut d = Daemon::binary(&dir, &[]);
    d.terminate();
    let log = d.log();
    let password = log
        .lines()
        .find_map(|l| l.split("created user 'admin' with password: ").nth(1))
        .expect("password not printed")
        .trim()
        .to_owned();
    assert!(password.len() >= 16);
    let key_before = fs::read(dir.join("encryption_key.key")).unwrap();
    let mut again = Daemon::binary(&dir, &[]);
    again.terminate();
    assert!(!again.log().contains("with password"));
    assert_eq!(
        fs::read(dir.join("encryption_key.key")).unwrap(),
        key_before
    );
    let users = ConfigDir::open(&dir).unwrap().list_users().unwrap();
    assert_eq!(users.len(), 1);
    assert!(
        ConfigDir::open(&dir)
            .unwrap()
            .authenticate("admin", &password)
            .unwrap()
            .is_some()
    );
}

#[tokio::test]
/// An existing Python config dir is served as it is: no admin added, no file rewritten.
async fn existing_config_left_untouched() {
    let (_tmp, dir) = seed_config();
    let before = fs::read(dir.join("users.json")).unwrap();
    let servers_before = fs::read(dir.join("servers.json")).unwrap();
    let mut d = Daemon::binary(&dir, &[]);
    d.terminate();
    assert_eq!(fs::read(dir.join("users.json")).unwrap(), before);
    assert_eq!(fs::read(dir.join("servers.json")).unwrap(), servers_before);
    assert!(dir.join("secret_key").exists());
}
