//! Replication as both sides see it: a throwaway primary and a streaming standby made from a
//! base backup of it. With the standby's replay paused and WAL written on the primary, the lag
//! shows on both sides (and as findings past the thresholds); resumed, it drains. An inactive
//! slot is reported with the WAL it holds back.

use std::time::{Duration, Instant};

use pgmon_tests::daemon::{Daemon, add_local_server, add_settings, stdout_of};
use pgmon_tests::fixtures::seed_config;
use pgmon_tests::postgres::TestCluster;
use serde_json::{Value, json};

const MIB: i64 = 1024 * 1024;
const WAIT: Duration = Duration::from_secs(20);

fn find<'a>(list: &'a Value, key: &str, value: &str) -> Option<&'a Value> {
    list.as_array()?.iter().find(|x| x[key] == value)
}

fn has_finding(body: &Value, kind: &str, name: &str) -> bool {
    body["findings"]
        .as_array()
        .unwrap()
        .iter()
        .any(|f| f["kind"] == kind && f["name"] == name)
}

#[tokio::test]
async fn primary_standby_lag_and_slots() {
    let primary = TestCluster::start();
    let standby = primary.standby("standby1_slot").await;
    let p = primary.client("postgres").await;
    p.batch_execute("CREATE TABLE r (id int); INSERT INTO r SELECT generate_series(1, 1000)")
        .await
        .unwrap();
    p.execute(
        "SELECT pg_create_physical_replication_slot('idle_slot', true)",
        &[],
    )
    .await
    .unwrap();

    let (_tmp, dir) = seed_config();
    add_local_server(&dir, "primary", primary.port, None);
    add_local_server(&dir, "standby", standby.port, None);
    // Samples every second, for the metrics.
    add_settings(
        &dir,
        "collect_interval_seconds = 1\nsize_interval_seconds = 1",
    );
    let daemon = Daemon::start(&dir);
    let view = daemon.api_as("view", "view-pass-1").await;
    let admin = daemon.api_as("admin", "admin-pass-1").await;
    let set = admin
        .put(
            "/settings",
            &json!({"slot_retained_mib": 1, "replication_lag_mib": 1}),
        )
        .await;
    assert_eq!(set.status, 200, "{}", set.body);

    // Streaming, caught up.
    let on_primary = view
        .get_until(
            "/server/primary/replication",
            WAIT,
            "standby1 streaming",
            |b| {
                find(&b["senders"], "application_name", "standby1")
                    .is_some_and(|s| s["state"] == "streaming" && s["replay_lag_bytes"] == 0)
            },
        )
        .await;
    assert_eq!(on_primary["in_recovery"], false);
    let sender = find(&on_primary["senders"], "application_name", "standby1").unwrap();
    assert_eq!(sender["client_addr"], "127.0.0.1");
    assert!(sender["replay_lsn"].is_string(), "{sender}");
    let used = find(&on_primary["slots"], "slot_name", "standby1_slot").expect("standby1_slot");
    assert_eq!(
        (&used["active"], &used["slot_type"]),
        (&json!(true), &json!("physical"))
    );
    let on_standby = view
        .get_until(
            "/server/standby/replication",
            WAIT,
            "standby caught up",
            |b| {
                b["standby"]["replay_lag_bytes"] == 0
                    && b["standby"]["receiver_status"] == "streaming"
            },
        )
        .await;
    assert_eq!(on_standby["in_recovery"], true);
    let own = &on_standby["standby"];
    assert_eq!(own["sender_port"], primary.port);
    assert_eq!(own["slot_name"], "standby1_slot");
    assert_eq!(own["replay_paused"], false);

    // Replay paused on the standby, WAL written on the primary: both sides see the lag.
    let s = standby.client("postgres").await;
    s.batch_execute("SELECT pg_wal_replay_pause()")
        .await
        .unwrap();
    p.batch_execute("INSERT INTO r SELECT generate_series(1, 100000)")
        .await
        .unwrap();
    let lagging = view
        .get_until(
            "/server/primary/replication",
            WAIT,
            "lag on the primary",
            |b| {
                find(&b["senders"], "application_name", "standby1")
                    .is_some_and(|s| s["replay_lag_bytes"].as_i64().unwrap_or(0) > MIB)
            },
        )
        .await;
    assert!(
        has_finding(&lagging, "replication_lag", "standby1"),
        "{}",
        lagging["findings"]
    );
    let behind = view
        .get_until(
            "/server/standby/replication",
            WAIT,
            "lag on the standby",
            |b| b["standby"]["replay_lag_bytes"].as_i64().unwrap_or(0) > MIB,
        )
        .await;
    assert_eq!(behind["standby"]["replay_paused"], true);
    assert!(
        behind["standby"]["replay_delay_seconds"].is_f64(),
        "{behind}"
    );
    assert!(
        has_finding(&behind, "replication_lag", "this standby"),
        "{}",
        behind["findings"]
    );
    let rows = |c: tokio_postgres::Client| async move {
        let n: i64 = c
            .query_one("SELECT count(*) FROM r", &[])
            .await
            .unwrap()
            .get(0);
        (c, n)
    };
    let (s, seen) = rows(s).await;
    assert_eq!(seen, 1000, "paused replay showed new rows");

    // Resumed: the lag drains, the rows arrive, the findings go.
    s.batch_execute("SELECT pg_wal_replay_resume()")
        .await
        .unwrap();
    let drained = view
        .get_until("/server/standby/replication", WAIT, "lag drained", |b| {
            b["standby"]["replay_lag_bytes"] == 0
        })
        .await;
    assert!(
        drained["findings"].as_array().unwrap().is_empty(),
        "{drained}"
    );
    assert!(
        drained["standby"]["last_replay_at"].is_string(),
        "{drained}"
    );
    assert_eq!(rows(s).await.1, 101_000);

    // The inactive slot holds back everything written since it was made.
    let slots = view
        .get_until(
            "/server/primary/replication",
            WAIT,
            "idle slot retains",
            |b| {
                find(&b["slots"], "slot_name", "idle_slot")
                    .is_some_and(|s| s["retained_bytes"].as_i64().unwrap_or(0) > MIB)
            },
        )
        .await;
    let idle = find(&slots["slots"], "slot_name", "idle_slot").unwrap();
    assert_eq!(idle["active"], false);
    assert!(idle["restart_lsn"].is_string(), "{idle}");
    assert!(
        has_finding(&slots, "inactive_slot", "idle_slot"),
        "{}",
        slots["findings"]
    );
    assert!(!has_finding(&slots, "inactive_slot", "standby1_slot"));

    // /metrics, from the collector's samples.
    let start = Instant::now();
    let series = loop {
        let out = daemon.pgmonctl_socket(&["--output", "json", "metrics", "--match", "pgmon_"], "");
        let all: Vec<Value> = serde_json::from_slice(&out.stdout).unwrap_or_default();
        let find = |name: &str, label: (&str, &str)| {
            all.iter()
                .find(|s| s["series"] == name && s["labels"][label.0] == label.1)
                .map(|s| s["value"].as_str().unwrap().to_owned())
        };
        let got = (
            find(
                "pgmon_replication_replay_lag_bytes",
                ("standby", "standby1"),
            ),
            find("pgmon_replication_slot_active", ("slot", "idle_slot")),
            find(
                "pgmon_replication_slot_retained_bytes",
                ("slot", "idle_slot"),
            ),
            find("pgmon_standby_replay_lag_bytes", ("server", "standby")),
        );
        if let (Some(a), Some(b), Some(c), Some(d)) = got {
            break (a, b, c, d);
        }
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "no replication series: {all:?}"
        );
        tokio::time::sleep(Duration::from_millis(300)).await;
    };
    assert!(series.0.parse::<i64>().unwrap() >= 0, "{series:?}");
    assert_eq!(series.1, "0");
    assert!(series.2.parse::<i64>().unwrap() >= 0, "{series:?}");
    assert!(series.3.parse::<i64>().unwrap() >= 0, "{series:?}");

    // pgmonctl shows the same, as a table and as JSON.
    let table = stdout_of(&daemon.pgmonctl_socket(&["stats", "replication", "primary"], ""));
    for want in ["standby1", "streaming", "idle_slot", "inactive_slot"] {
        assert!(table.contains(want), "{want} in:\n{table}");
    }
    let table = stdout_of(&daemon.pgmonctl_socket(&["stats", "replication", "standby"], ""));
    assert!(
        table.contains("standby1_slot") && table.contains("streaming"),
        "{table}"
    );

    // A viewer may look; nobody gets a server that is not there.
    assert_eq!(view.get("/server/nope/replication").await.status, 404);
    assert_eq!(
        daemon.api().get("/server/primary/replication").await.status,
        401
    );
}
