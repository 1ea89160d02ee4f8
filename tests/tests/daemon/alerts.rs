//! Alerts end to end, against real receivers: a webhook receiver of the harness, aiosmtpd and
//! Alertmanager (its API read back). A monitored cluster stopped and started, a silence, a
//! standby whose replay is paused, a lock chain, a webhook down for five minutes, pgmond
//! SIGKILLed while an alert fires; bad input and roles.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use pgmon_tests::daemon::{Daemon, add_local_server, add_settings};
use pgmon_tests::fixtures::seed_config;
use pgmon_tests::http::Api;
use pgmon_tests::net::eventually;
use pgmon_tests::postgres::TestCluster;
use pgmon_tests::receivers::{Alertmanager, Received, SmtpSink, WebhookSink};
use pgmon_tests::tarpit::Tarpit;
use serde_json::{Value, json};

/// Seconds between samples in these tests.
const INTERVAL: u64 = 2;

/// The seed config's users, none of its servers (they are down, and would alert).
fn without_servers() -> (tempfile::TempDir, std::path::PathBuf) {
    let (tmp, dir) = seed_config();
    std::fs::write(dir.join("servers.json"), "[]").unwrap();
    (tmp, dir)
}

fn about(r: &Received, kind: &str, rule: &str) -> bool {
    r.body["kind"] == kind
        && r.body["alerts"]
            .as_array()
            .is_some_and(|a| a.iter().any(|x| x["rule"] == rule))
}

fn count(sink: &WebhookSink, kind: &str, rule: &str) -> usize {
    sink.received()
        .iter()
        .filter(|r| about(r, kind, rule))
        .count()
}

fn mails(smtp: &SmtpSink, what: &str) -> usize {
    smtp.messages().iter().filter(|m| m.contains(what)).count()
}

/// What `GET /alerts` lists.
pub async fn listed(api: &Api) -> Vec<Value> {
    let list = api.get("/alerts").await;
    assert_eq!(list.status, 200, "{}", list.body);
    list.body["alerts"].as_array().unwrap().clone()
}

async fn firing(api: &Api, rule: &str) -> Option<Value> {
    listed(api)
        .await
        .into_iter()
        .find(|a| a["rule"] == rule && a["state"] == "firing")
}

async fn add_channel(admin: &Api, body: Value) {
    let a = admin.post("/alerts/channels", &body).await;
    assert_eq!(a.status, 201, "{body}: {}", a.body);
}

fn am_alert<'a>(alerts: &'a [Value], rule: &str) -> Option<&'a Value> {
    alerts.iter().find(|a| a["labels"]["alertname"] == rule)
}

/// Down, resolved, pgmond killed while firing, silenced: at each step the three receivers get
/// exactly what they should.
#[tokio::test]
async fn down_and_back_reaches_webhook_mail_and_alertmanager_once() {
    let mut cluster = TestCluster::start();
    let hook = WebhookSink::start();
    let smtp = SmtpSink::start();
    let am = Alertmanager::start();
    let (_tmp, dir) = without_servers();
    add_local_server(&dir, "watched", cluster.port, None);
    add_settings(&dir, &format!("collect_interval_seconds = {INTERVAL}"));
    let mut daemon = Daemon::binary(&dir, &[]);
    let admin = daemon.api_as("admin", "admin-pass-1").await;
    add_channel(
        &admin,
        json!({"name": "hook", "kind": "webhook", "url": hook.url(), "secret": "k3y"}),
    )
    .await;
    add_channel(
        &admin,
        json!({"name": "mail", "kind": "email", "smtp_host": "127.0.0.1", "smtp_port": smtp.port,
               "tls": "none", "from": "pgmon@example.test", "to": ["dba@example.test"]}),
    )
    .await;
    add_channel(
        &admin,
        json!({"name": "am", "kind": "alertmanager", "url": am.url()}),
    )
    .await;
    // Sampled and healthy.
    eventually("a first sample", Duration::from_secs(30), async || {
        admin.get("/collector/status").await.body["servers"][0]["samples"].as_u64() > Some(0)
    })
    .await;

    // Down: within two intervals (and delivery), one notification reaches each receiver.
    cluster.stop();
    let stopped = Instant::now();
    let within = Duration::from_secs(2 * INTERVAL + 4);
    let got = hook
        .wait_for(within, "server_down firing", |r| {
            about(r, "firing", "server_down")
        })
        .await;
    let took = stopped.elapsed();
    assert!(took <= within, "{took:?}");
    // Signed with the channel's secret, keyed for the receiver.
    let sig = pgmon_tests::receivers::hmac_hex("k3y", &got.raw);
    assert_eq!(got.headers["x-pgmon-signature"], format!("sha256={sig}"));
    assert_eq!(
        got.headers["idempotency-key"],
        got.body["key"].as_str().unwrap()
    );
    assert_eq!(got.body["server"], "watched");
    eventually("the down mail", within, async || {
        mails(&smtp, "[pgmon FIRING] watched") == 1
    })
    .await;
    eventually("the alert in Alertmanager", within, async || {
        am_alert(&am.alerts().await, "server_down").is_some_and(|a| {
            a["labels"]["server"] == "watched" && a["labels"]["severity"] == "critical"
        })
    })
    .await;
    let evidence_of = |h: &Value| h["alerts"][0]["evidence"].clone();
    let history = admin.get("/alerts/history?rule=server_down").await.body;
    assert!(
        evidence_of(&history)["error"]
            .as_str()
            .is_some_and(|e| !e.is_empty()),
        "{history}"
    );

    // SIGKILL while it fires, and back: still firing, nothing sent again.
    drop(daemon);
    daemon = Daemon::binary(&dir, &[]);
    let admin = daemon.api_as("admin", "admin-pass-1").await;
    assert!(
        firing(&admin, "server_down").await.is_some(),
        "the alert survives the kill"
    );
    tokio::time::sleep(Duration::from_secs(3 * INTERVAL)).await;
    assert!(firing(&admin, "server_down").await.is_some());
    assert_eq!(
        count(&hook, "firing", "server_down"),
        1,
        "{:#?}",
        hook.received()
    );
    assert_eq!(mails(&smtp, "[pgmon FIRING] watched"), 1);

    // Back: one resolved notice each; Alertmanager ends the alert.
    cluster.start_server();
    hook.wait_for(
        Duration::from_secs(4 * INTERVAL + 4),
        "server_down resolved",
        |r| about(r, "resolved", "server_down"),
    )
    .await;
    eventually("the resolved mail", Duration::from_secs(10), async || {
        mails(&smtp, "[pgmon RESOLVED] watched") == 1
    })
    .await;
    eventually(
        "Alertmanager ends the alert",
        Duration::from_secs(10),
        async || am_alert(&am.alerts().await, "server_down").is_none(),
    )
    .await;
    assert_eq!(
        count(&hook, "resolved", "server_down"),
        1,
        "{:#?}",
        hook.received().iter().map(|r| &r.body).collect::<Vec<_>>()
    );
    assert!(firing(&admin, "server_down").await.is_none());

    // Silenced by an operator: down again, shown as silenced, nothing sent.
    let oper = daemon.api_as("oper", "oper-pass-1").await;
    let until = (chrono::Utc::now() + chrono::Duration::hours(1)).to_rfc3339();
    let s = oper
        .post(
            "/alerts/silences",
            &json!({"matchers": {"server": "watched"}, "until": until, "comment": "maintenance"}),
        )
        .await;
    assert_eq!(s.status, 201, "{}", s.body);
    assert_eq!(s.body["author"], "oper");
    let before = hook.received().len();
    cluster.stop();
    eventually(
        "the alert firing, silenced",
        Duration::from_secs(4 * INTERVAL + 4),
        async || {
            firing(&admin, "server_down")
                .await
                .is_some_and(|a| a["silenced"] == true)
        },
    )
    .await;
    tokio::time::sleep(Duration::from_secs(2 * INTERVAL)).await;
    assert_eq!(
        hook.received().len(),
        before,
        "nothing is sent while silenced"
    );
    assert_eq!(mails(&smtp, "[pgmon FIRING] watched"), 1);
    // The trail has the channels and the silence.
    let audit = admin.get("/audit?action=silence.create").await.body;
    assert_eq!(audit["entries"][0]["actor"], "oper", "{audit}");
    let audit = admin.get("/audit?action=alert_channel.create").await.body;
    assert_eq!(
        audit["entries"].as_array().map(Vec::len),
        Some(3),
        "{audit}"
    );
    // And /metrics counts them.
    let metrics = admin
        .request(reqwest::Method::GET, "/metrics")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        metrics.contains("pgmon_alerts{state=\"firing\",severity=\"critical\"} 1"),
        "{metrics}"
    );
    assert!(
        metrics.contains("pgmon_alert_notifications_total{channel=\"hook\",outcome=\"delivered\"}"),
        "{metrics}"
    );
}

/// A standby whose replay is paused falls behind: the lag fires with the replication view as
/// evidence, and resolves once replay resumes.
#[tokio::test]
async fn paused_standby_lag_fires_and_resolves() {
    let primary = TestCluster::start();
    let standby = primary.standby("alerts_slot").await;
    let hook = WebhookSink::start();
    let (_tmp, dir) = without_servers();
    add_local_server(&dir, "primary", primary.port, None);
    add_settings(&dir, "collect_interval_seconds = 1");
    let daemon = Daemon::start(&dir);
    let admin = daemon.api_as("admin", "admin-pass-1").await;
    add_channel(
        &admin,
        json!({"name": "hook", "kind": "webhook", "url": hook.url(), "text": false}),
    )
    .await;
    let r = admin
        .put(
            "/alerts/rules/replication_lag_bytes",
            &json!({"threshold": 1, "for_seconds": 0}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let p = primary.client("postgres").await;
    p.batch_execute("CREATE TABLE lag (id int)").await.unwrap();
    let s = standby.client("postgres").await;
    s.batch_execute("SELECT pg_wal_replay_pause()")
        .await
        .unwrap();
    p.batch_execute("INSERT INTO lag SELECT generate_series(1, 200000)")
        .await
        .unwrap();
    let got = hook
        .wait_for(Duration::from_secs(30), "lag firing", |r| {
            about(r, "firing", "replication_lag_bytes")
        })
        .await;
    let alert = &got.body["alerts"][0];
    assert!(alert["value"].as_f64().unwrap() > 1.0, "{alert}");
    assert!(alert["labels"]["standby"].is_string(), "{alert}");
    s.batch_execute("SELECT pg_wal_replay_resume()")
        .await
        .unwrap();
    hook.wait_for(Duration::from_secs(30), "lag resolved", |r| {
        about(r, "resolved", "replication_lag_bytes")
    })
    .await;
    let history = admin
        .get("/alerts/history?rule=replication_lag_bytes")
        .await
        .body;
    let entry = &history["alerts"][0];
    assert!(entry["resolved_at"].is_string(), "{entry}");
    assert!(
        entry["evidence"]["replication"]["senders"]
            .as_array()
            .is_some_and(|s| !s.is_empty()),
        "{entry}"
    );
    let kinds: Vec<&str> = entry["notifications"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["firing", "resolved"]);
}

/// A lock chain held past the threshold fires `lock_wait`; read after the chain is gone, its
/// history shows the tree as it was. A certificate near its end fires `certificate_expiry`.
/// Bad input is refused naming the field, and roles hold.
#[tokio::test]
async fn lock_chain_evidence_bad_input_and_roles() {
    let mut cluster = TestCluster::start();
    // TLS with the harness's certificates, which expire in two days: `certificate_expiry`
    // (14 days unless set) fires from what pgmon's own handshake saw.
    let certs = pgmon_tests::certs::TestCerts::new();
    cluster.enable_ssl(&certs, false);
    let (_tmp, dir) = without_servers();
    add_local_server(&dir, "locks", cluster.port, None);
    add_settings(&dir, "collect_interval_seconds = 1");
    let daemon = Daemon::start(&dir);
    let admin = daemon.api_as("admin", "admin-pass-1").await;
    let r = admin
        .put("/alerts/rules/lock_wait", &json!({"threshold": 2}))
        .await;
    assert_eq!(r.status, 200, "{}", r.body);

    let holder = cluster.client("postgres").await;
    holder
        .batch_execute("CREATE TABLE chained (id int)")
        .await
        .unwrap();
    let holder_pid: i32 = holder
        .query_one("SELECT pg_backend_pid()", &[])
        .await
        .unwrap()
        .get(0);
    holder
        .batch_execute("BEGIN; LOCK TABLE chained IN ACCESS EXCLUSIVE MODE")
        .await
        .unwrap();
    let start: String = holder
        .query_one("SELECT to_char(xact_start AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS') FROM pg_stat_activity WHERE pid = pg_backend_pid()", &[])
        .await
        .unwrap()
        .get(0);
    let waiter = cluster.client("postgres").await;
    let waiting =
        tokio::spawn(async move { waiter.batch_execute("SELECT count(*) FROM chained").await });
    eventually("lock_wait firing", Duration::from_secs(30), async || {
        firing(&admin, "lock_wait").await.is_some()
    })
    .await;
    // Its evidence is read as it fires.
    eventually("the evidence kept", Duration::from_secs(15), async || {
        !admin.get("/alerts/history?rule=lock_wait").await.body["alerts"][0]["evidence"].is_null()
    })
    .await;
    holder.batch_execute("COMMIT").await.unwrap();
    waiting.await.unwrap().unwrap();
    eventually("lock_wait resolved", Duration::from_secs(15), async || {
        firing(&admin, "lock_wait").await.is_none()
    })
    .await;
    let entry = admin.get("/alerts/history?rule=lock_wait").await.body["alerts"][0].clone();
    assert!(entry["resolved_at"].is_string(), "{entry}");
    let evidence = &entry["evidence"];
    let root = &evidence["blocking"][0];
    assert_eq!(root["pid"], holder_pid, "{evidence}");
    assert_eq!(
        root["blocks"].as_array().map(Vec::len),
        Some(1),
        "{evidence}"
    );
    let blocker = evidence["sessions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["pid"] == holder_pid)
        .unwrap();
    assert_eq!(blocker["usename"], "postgres");
    assert!(
        blocker["xact_start"].as_str().unwrap().starts_with(&start),
        "{blocker} vs {start}"
    );

    let expiring = firing(&admin, "certificate_expiry")
        .await
        .expect("certificate_expiry firing");
    let days = expiring["value"].as_f64().unwrap();
    assert!(days > 1.0 && days <= 2.0, "{expiring}");

    // Bad input: 422 naming the field, nothing stored.
    let tarpit = Tarpit::start();
    for (body, field) in [
        (
            json!({"name": "x", "kind": "webhook", "url": "file:///etc/passwd"}),
            "url",
        ),
        (
            json!({"name": "x", "kind": "alertmanager", "url": "gopher://am"}),
            "url",
        ),
        (
            json!({"name": "x", "kind": "email", "smtp_host": "127.0.0.1", "smtp_port": tarpit.port,
                   "tls": "none", "from": "a@example.test", "to": ["b@example.test"]}),
            "smtp_host",
        ),
    ] {
        let a = admin.post("/alerts/channels", &body).await;
        assert_eq!(a.status, 422, "{body}: {}", a.body);
        assert_eq!(a.body["detail"][0]["loc"][1], field, "{}", a.body);
    }
    assert_eq!(
        admin.get("/alerts/channels").await.body["channels"],
        json!([])
    );
    let before = admin.get("/alerts/rules").await.body;
    let a = admin
        .put("/alerts/rules/long_query", &json!({"threshold": -5}))
        .await;
    assert_eq!(
        (a.status, &a.body["detail"][0]["loc"][1]),
        (422, &json!("threshold")),
        "{}",
        a.body
    );
    assert_eq!(admin.get("/alerts/rules").await.body, before);
    let a = admin
        .post(
            "/alerts/silences",
            &json!({"matchers": {"server": "locks"}, "comment": "no end"}),
        )
        .await;
    assert_eq!(
        (a.status, &a.body["detail"][0]["loc"][1]),
        (422, &json!("until")),
        "{}",
        a.body
    );
    assert_eq!(
        admin.get("/alerts/silences").await.body["silences"],
        json!([])
    );

    // Roles: a viewer reads (no secret anywhere) and changes nothing; an operator silences but
    // does not touch channels or rules.
    let hook = WebhookSink::start();
    add_channel(
        &admin,
        json!({"name": "hook", "kind": "webhook", "url": hook.url(), "secret": "hm4c-secret",
               "headers": {"Authorization": "Bearer t0ken-value"}}),
    )
    .await;
    let view = daemon.api_as("view", "view-pass-1").await;
    let listed = view.get("/alerts/channels").await;
    assert_eq!(listed.status, 200);
    let text = listed.body.to_string();
    assert!(
        !text.contains("hm4c-secret") && !text.contains("t0ken-value"),
        "{text}"
    );
    assert_eq!(listed.body["channels"][0]["secret_set"], true);
    let stored = std::fs::read_to_string(dir.join("alert_channels.json")).unwrap();
    assert!(
        !stored.contains("hm4c-secret") && !stored.contains("t0ken-value"),
        "{stored}"
    );
    let until = (chrono::Utc::now() + chrono::Duration::minutes(5)).to_rfc3339();
    let silence = json!({"matchers": {"rule": "lock_wait"}, "until": until});
    let oper = daemon.api_as("oper", "oper-pass-1").await;
    for (who, status) in [(&view, 403), (&oper, 201)] {
        assert_eq!(who.post("/alerts/silences", &silence).await.status, status);
    }
    for who in [&view, &oper] {
        let statuses = [
            who.post(
                "/alerts/channels",
                &json!({"name": "y", "kind": "alertmanager", "url": "http://127.0.0.1:9"}),
            )
            .await
            .status,
            who.put(
                "/alerts/channels/hook",
                &json!({"name": "hook", "kind": "webhook", "url": "http://127.0.0.1:9"}),
            )
            .await
            .status,
            who.delete("/alerts/channels/hook").await.status,
            who.put("/alerts/rules/lock_wait", &json!({"enabled": false}))
                .await
                .status,
            who.post("/alerts/test", &json!({"channel": "hook"}))
                .await
                .status,
        ];
        assert_eq!(statuses, [403; 5]);
    }
    assert_eq!(view.delete("/alerts/silences/1").await.status, 403);
    // The admin's test notification arrives, marked as a test.
    let t = admin
        .post("/alerts/test", &json!({"channel": "hook"}))
        .await;
    assert_eq!(t.body["delivered"], true, "{}", t.body);
    let tests: Vec<_> = hook
        .received()
        .into_iter()
        .filter(|r| r.body["kind"] == "test")
        .collect();
    assert_eq!(tests.len(), 1, "{:#?}", hook.received());
}

/// A webhook receiver down for five minutes while an alert fires (and repeats every minute):
/// another channel is told at once, and on the receiver's return each notification arrives
/// exactly once.
#[tokio::test]
async fn webhook_down_five_minutes_then_each_notification_once() {
    let mut down = WebhookSink::start();
    down.stop();
    let up = WebhookSink::start();
    let nobody = pgmon_tests::net::free_port();
    let (_tmp, dir) = without_servers();
    add_local_server(&dir, "ghost", nobody, None);
    add_settings(&dir, "collect_interval_seconds = 1");
    let daemon = Daemon::start(&dir);
    let admin = daemon.api_as("admin", "admin-pass-1").await;
    for (name, sink) in [("down", &down), ("up", &up)] {
        add_channel(
            &admin,
            json!({"name": name, "kind": "webhook", "url": sink.url(), "repeat_seconds": 60}),
        )
        .await;
    }
    up.wait_for(
        Duration::from_secs(15),
        "the other channel told at once",
        |r| about(r, "firing", "server_down"),
    )
    .await;
    tokio::time::sleep(Duration::from_secs(300)).await;
    down.resume();
    // Every notification owed to `down`, by the store's own record.
    let owed = async || -> Vec<Value> {
        let h = admin.get("/alerts/history?rule=server_down").await.body;
        h["alerts"][0]["notifications"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|n| n["channel"] == "down")
            .cloned()
            .collect()
    };
    eventually(
        "every owed notification delivered",
        Duration::from_secs(90),
        async || {
            let o = owed().await;
            !o.is_empty() && o.iter().all(|n| n["delivered_at"].is_string())
        },
    )
    .await;
    let owed = owed().await;
    assert!(owed.len() >= 5, "a firing and a repeat a minute: {owed:#?}");
    assert!(
        owed[0]["attempts"].as_u64() > Some(1),
        "the first waited: {owed:#?}"
    );
    let mut seen: HashMap<String, usize> = HashMap::new();
    for r in down.received() {
        *seen
            .entry(r.headers["idempotency-key"].clone())
            .or_default() += 1;
    }
    let keys: HashMap<String, usize> = owed
        .iter()
        .map(|n| (n["key"].as_str().unwrap().to_owned(), 1))
        .collect();
    assert_eq!(seen, keys, "each notification once, by key");
}
