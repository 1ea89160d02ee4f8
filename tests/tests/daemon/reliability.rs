//! Faults and secrets: the daemon killed during writes loses nothing it acknowledged, and no
//! secret of the fixture ever leaves in a response or a log line.

use std::collections::BTreeSet;
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use pgmon_tests::daemon::Daemon;
use pgmon_tests::fixtures::{PLAINTEXT_SECRETS, fixtures_dir, seed_config};
use serde_json::{Value, json};

fn names_in(path: &std::path::Path, field: &str) -> BTreeSet<String> {
    let text = std::fs::read_to_string(path).unwrap();
    let items: Value = serde_json::from_str(&text)
        .unwrap_or_else(|e| panic!("{} unparsable after a kill: {e}\n{text}", path.display()));
    items
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i[field].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
/// 50 times: a stream of server writes through the API, then SIGKILL at a varying moment.
/// Every file still parses and every write that was answered 200 is there.
async fn sigkill_during_writes_loses_nothing_acknowledged() {
    let (_tmp, dir) = seed_config();
    let mut acknowledged: BTreeSet<String> = BTreeSet::new();
    for round in 0..50 * pgmon_tests::soak_factor() {
        let d = Daemon::start(&dir);
        let api = d.api_as("oper", "oper-pass-1").await;
        let writer = tokio::spawn(async move {
            let mut done = Vec::new();
            for i in 0.. {
                let name = format!("r{round}-{i}");
                let body =
                    json!({"name": name, "host": "db.invalid", "user": "u", "password": "p"});
                let r = api
                    .request(reqwest::Method::POST, "/servers?check=false")
                    .json(&body)
                    .send()
                    .await;
                match r {
                    Ok(r) if r.status() == 200 => done.push(name),
                    Ok(r) => panic!("write refused: {}", r.status()),
                    Err(_) => break,
                }
            }
            done
        });
        tokio::time::sleep(Duration::from_millis(20 + (round * 37) % 200)).await;
        drop(d); // SIGKILL
        acknowledged.extend(writer.await.unwrap());
        let stored = names_in(&dir.join("servers.json"), "name");
        let lost: Vec<_> = acknowledged.difference(&stored).collect();
        assert!(
            lost.is_empty(),
            "round {round}: acknowledged but lost: {lost:?}"
        );
        assert_eq!(names_in(&dir.join("users.json"), "login").len(), 4);
    }
    assert!(
        acknowledged.len() > 50,
        "too few writes landed to mean anything: {}",
        acknowledged.len()
    );
}

/// Every secret of the fixture, in every form it has on disk or in clear.
fn fixture_secrets() -> Vec<String> {
    let mut secrets: Vec<String> = PLAINTEXT_SECRETS.iter().map(|s| s.to_string()).collect();
    secrets.push("BEGIN OPENSSH PRIVATE KEY".into());
    let seed = fixtures_dir().join("seed-config");
    for file in ["servers.json", "users.json"] {
        let items: Value =
            serde_json::from_str(&std::fs::read_to_string(seed.join(file)).unwrap()).unwrap();
        for item in items.as_array().unwrap() {
            for v in item.as_object().unwrap().values().filter_map(Value::as_str) {
                if v.starts_with("gAAAAA") || v.starts_with("$2b$") {
                    secrets.push(v.to_owned());
                }
            }
        }
    }
    for entry in std::fs::read_dir(seed.join("ssh_keys/private")).unwrap() {
        secrets.push(
            std::fs::read_to_string(entry.unwrap().path())
                .unwrap()
                .trim()
                .to_owned(),
        );
    }
    secrets.push(
        std::fs::read_to_string(seed.join("encryption_key.key"))
            .unwrap()
            .trim()
            .to_owned(),
    );
    secrets
}

#[tokio::test]
/// Every GET endpoint as admin, the socket, error answers and the log: no fixture secret, no
/// JWT secret. A token whose claims were edited is refused.
async fn no_secret_leaves() {
    let (_tmp, dir) = seed_config();
    let d = Daemon::binary(&dir, &[]);
    let admin = d.api_as("admin", "admin-pass-1").await;
    let mut secrets = fixture_secrets();
    secrets.push(
        std::fs::read_to_string(dir.join("secret_key"))
            .unwrap()
            .trim()
            .to_owned(),
    );
    let keys: Vec<String> = admin
        .get("/ssh-keys")
        .await
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["id"].as_str().unwrap().to_owned())
        .collect();
    let mut paths: Vec<String> = [
        "/",
        "/api/health",
        "/api/pools/status",
        "/servers",
        "/users",
        "/users/me",
        "/users/admin",
        "/ssh-keys",
        "/openapi.json",
        "/server_stats/local-pg",
        "/server/local-pg/stats",
        "/server/legacy/stats",
        "/server/local-pg/db/postgres",
        "/servers/legacy",
        "/servers/archive",
    ]
    .map(str::to_owned)
    .to_vec();
    for id in &keys {
        paths.extend([
            format!("/ssh-keys/{id}"),
            format!("/ssh-keys/{id}/servers"),
            format!("/ssh-keys/{id}/download-public"),
        ]);
    }
    let mut seen = 0;
    for path in &paths {
        let a = admin.get(path).await;
        let text = a.body.to_string();
        for s in &secrets {
            assert!(!text.contains(s.as_str()), "{path} answered with a secret");
        }
        seen += text.len();
    }
    for name in ["legacy", "archive", "local-pg"] {
        let a = admin
            .send(admin.request(reqwest::Method::POST, &format!("/servers/{name}/test-ssh")))
            .await;
        let text = a.body.to_string();
        assert!(
            secrets.iter().all(|s| !text.contains(s.as_str())),
            "test-ssh {name} leaked"
        );
    }
    assert!(
        seen > 10_000,
        "responses too small to have checked anything"
    );
    let log = d.log();
    for s in &secrets {
        assert!(!log.contains(s.as_str()), "a secret is in the log");
    }

    // A viewer's token edited to say `admin` keeps the viewer's signature: refused.
    let view = d.api().token("view", "view-pass-1").await;
    let mut parts: Vec<String> = view.split('.').map(str::to_owned).collect();
    let mut claims: Value =
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(&parts[1]).unwrap()).unwrap();
    claims["sub"] = json!("admin");
    parts[1] = URL_SAFE_NO_PAD.encode(claims.to_string());
    let forged = d.api().with_token(&parts.join("."));
    assert_eq!(
        forged.get("/users").await.body,
        json!({"detail": "Invalid token"})
    );
}

#[tokio::test]
/// Load while servers fail: 16 clients hammer the API while a cluster is stopped and started
/// again and another server hangs. No request outlives its timeouts, none is a 5xx, the pools
/// recover, and memory settles.
async fn load_with_faults() {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::time::Instant;

    let mut pg = pgmon_tests::postgres::TestCluster::start();
    let tarpit = pgmon_tests::tarpit::Tarpit::start();
    let (_tmp, dir) = seed_config();
    pgmon_tests::daemon::add_local_server(&dir, "live", pg.port, None);
    pgmon_tests::daemon::add_local_server(&dir, "hang", tarpit.port, None);
    let d = Daemon::binary(&dir, &[]);
    let api = d.api_as("view", "view-pass-1").await;
    assert_eq!(api.get("/servers/live").await.body["status"], "ok");
    let before = d.rss_kib();

    let stop = Arc::new(AtomicBool::new(false));
    let clients: Vec<_> = (0..16)
        .map(|i| {
            let (api, stop) = (api.clone(), Arc::clone(&stop));
            tokio::spawn(async move {
                // Half the clients ask what waits on the hanging server, half what does not.
                let paths: &[&str] = if i % 2 == 0 {
                    &["/servers", "/servers/hang"]
                } else {
                    &[
                        "/server_stats/live",
                        "/api/health",
                        "/server/live/stats",
                        "/servers/live",
                    ]
                };
                let (mut slowest, mut count) = (Duration::ZERO, 0);
                while !stop.load(Ordering::Relaxed) {
                    let path = paths[count % paths.len()];
                    let t = Instant::now();
                    let a = api.get(path).await;
                    assert!(a.status < 500, "{path}: {} {}", a.status, a.body);
                    slowest = slowest.max(t.elapsed());
                    count += 1;
                }
                (slowest, count)
            })
        })
        .collect();
    for _ in 0..pgmon_tests::soak_factor() {
        tokio::time::sleep(Duration::from_secs(2)).await;
        pg.stop();
        tokio::time::sleep(Duration::from_secs(3)).await;
        pg.start_server();
        tokio::time::sleep(Duration::from_secs(2)).await;
    }
    stop.store(true, Ordering::Relaxed);
    let mut total = 0;
    for c in clients {
        let (slowest, count) = c.await.unwrap();
        // A check never takes more than one 6 s deadline; a request waits for at most that.
        assert!(
            slowest < Duration::from_secs(8),
            "a request took {slowest:?}"
        );
        total += count;
    }
    assert!(
        total > 100,
        "the load was too light to mean anything: {total} requests"
    );
    assert_eq!(
        api.get("/servers/live").await.body["status"],
        "ok",
        "pools did not recover"
    );
    assert_eq!(
        api.get("/server_stats/live").await.body["error"],
        Value::Null
    );
    let after = d.rss_kib();
    assert!(
        after < before + 64 * 1024,
        "RSS grew from {before} KiB to {after} KiB"
    );
}
