//! A cold start that answers (issue 24), against real PostgreSQL: history that is right at
//! every moment while the import and the first samples are in flight, settings that apply at
//! once, and `pgmon_up` for the whole fleet before any sample, and the server list compressed
//! for a client that asks.

use std::time::{Duration, Instant};

use pgmon_tests::daemon::{Daemon, add_local_server, add_settings, collector_entry};
use pgmon_tests::fixtures::{load_stats_db, seed_config};
use pgmon_tests::postgres::TestCluster;
use serde_json::{Value, json};

#[tokio::test]
/// A server with a legacy stats database, added while pgmond runs: polled every 200 ms from
/// its first answer until well after the import has caught up, every database that exists
/// reads `exists: true` in every answer (the store used to say `false` for all of them until
/// the first sample, up to a minute later).
async fn history_is_right_while_the_import_runs() {
    let pg = TestCluster::shared();
    load_stats_db(pg).await;
    let existing: Vec<String> = pg
        .client("postgres")
        .await
        .query("SELECT datname FROM pg_database", &[])
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    let (_tmp, dir) = seed_config();
    let d = Daemon::start(&dir);
    let oper = d.api_as("oper", "oper-pass-1").await;
    let body = json!({"name": "legacy-live", "host": "127.0.0.1", "port": pg.port,
                      "user": "postgres", "stats_db": "stats_db"});
    assert_eq!(oper.post("/servers?check=false", &body).await.status, 200);
    let end = (chrono::Utc::now() + chrono::Duration::days(1)).format("%Y-%m-%dT%H:%M:%SZ");
    let path = format!("/server/legacy-live/stats?start_date=2024-01-01T00:00:00Z&end_date={end}");
    let mut caught_up_at: Option<Instant> = None;
    let mut answers = 0;
    while caught_up_at.is_none_or(|t| t.elapsed() < Duration::from_secs(5)) {
        let a = oper.get(&path).await;
        assert_eq!(a.status, 200, "{}", a.body);
        let listed = a.body["databases"].as_array().unwrap();
        assert!(!listed.is_empty(), "no databases: {}", a.body);
        for db in listed {
            let name = db["name"].as_str().unwrap();
            if existing.iter().any(|e| e == name) {
                assert_eq!(
                    db["exists"], true,
                    "answer {answers}: {name} said gone: {db}"
                );
            }
        }
        answers += 1;
        if caught_up_at.is_none() {
            let status = oper.get("/collector/status").await.body;
            if collector_entry(&status, "legacy-live")["legacy_import"]["state"] == "caught_up" {
                caught_up_at = Some(Instant::now());
            }
        }
        assert!(answers < 500, "the import never caught up");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

async fn samples(api: &pgmon_tests::http::Api, name: &str) -> u64 {
    let s = api.get("/collector/status").await.body;
    collector_entry(&s, name)["samples"].as_u64().unwrap_or(0)
}

#[tokio::test]
/// With a 600 s interval, lowering it to 10 s takes effect at once: the server's next sample
/// comes within the new interval, not after the old one (its first would otherwise wait up to
/// a minute of start-up spread, then 600 s).
async fn a_shorter_interval_applies_at_once() {
    let pg = TestCluster::shared();
    let (_tmp, dir) = seed_config();
    add_settings(
        &dir,
        "collect_interval_seconds = 600\nlegacy_import = false",
    );
    add_local_server(&dir, "resched", pg.port, None);
    let d = Daemon::start(&dir);
    let admin = d.api_as("admin", "admin-pass-1").await;
    let before = samples(&admin, "resched").await;
    let a = admin
        .put("/settings", &json!({"collect_interval": 10}))
        .await;
    assert_eq!(a.status, 200, "{}", a.body);
    let changed = Instant::now();
    while samples(&admin, "resched").await < before + 2 {
        assert!(
            changed.elapsed() < Duration::from_secs(25),
            "two samples did not come within two new intervals"
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

#[tokio::test]
/// Right after a start (first samples spread over a minute), a scrape has `pgmon_up` for
/// every configured server: 1 for the live one, 0 for one that refuses and one whose name
/// does not resolve. The server list of a 50-server fleet sent to a client that asks for gzip
/// is compressed and decodes to the same list.
async fn the_whole_fleet_is_known_from_the_start() {
    let pg = TestCluster::shared();
    let (_tmp, dir) = seed_config();
    add_settings(
        &dir,
        "collect_interval_seconds = 600\nlegacy_import = false",
    );
    add_local_server(&dir, "up-live", pg.port, None);
    add_local_server(&dir, "up-refused", 1, None);
    let d = Daemon::start(&dir);
    let admin = d.api_as("admin", "admin-pass-1").await;
    let started = Instant::now();
    let wanted = [
        ("up-live", "1"),
        ("up-refused", "0"),
        ("billing", "0"),
        ("local-pg", ""),
    ];
    loop {
        let text = admin
            .request(reqwest::Method::GET, "/metrics")
            .send()
            .await
            .unwrap();
        let text = text.text().await.unwrap();
        let up = |name: &str| {
            text.lines()
                .find(|l| l.starts_with(&format!("pgmon_up{{server=\"{name}\"}}")))
                .map(|l| l.rsplit(' ').next().unwrap().to_owned())
        };
        let seen: Vec<Option<String>> = wanted.iter().map(|(n, _)| up(n)).collect();
        let done = wanted.iter().zip(&seen).all(|((_, want), got)| {
            got.as_deref()
                .is_some_and(|g| want.is_empty() || g == *want)
        });
        if done {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "pgmon_up not there for the whole fleet: {seen:?}"
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    // First samples are spread over a minute at random: a server may have had one already,
    // but the four together (each about 3 % likely within these seconds) have not, so at least
    // one `pgmon_up` above came from the start's status check alone.
    let status = admin.get("/collector/status").await.body;
    let unsampled = wanted
        .iter()
        .filter(|(name, _)| collector_entry(&status, name)["samples"] == 0)
        .count();
    assert!(unsampled > 0, "{status}");

    let plain = admin.get("/servers").await.body;
    let gz = admin
        .request(reqwest::Method::GET, "/servers")
        .header("accept-encoding", "gzip")
        .send()
        .await
        .unwrap();
    assert_eq!(gz.headers()["content-encoding"], "gzip");
    let bytes = gz.bytes().await.unwrap();
    let mut text = String::new();
    std::io::Read::read_to_string(&mut flate2::read::GzDecoder::new(&bytes[..]), &mut text)
        .unwrap();
    let decoded: Value = serde_json::from_str(&text).unwrap();
    let names = |v: &Value| -> Vec<String> {
        v.as_array()
            .unwrap()
            .iter()
            .map(|s| s["name"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(names(&decoded), names(&plain));
}
