//! Benchmark (not a test) of the alerts' cost, in two parts.
//!
//! 1. Evaluation: one cycle judges the newest sample of 1,000 servers (10 databases, two
//!    standbys and two slots each) with every rule, moves states and plans notifications for
//!    three channels; 10 % of the servers breach a threshold (a lock wait and a lagging
//!    standby each). Timed in process over 300 cycles after the first (in which the 100 fire).
//! 2. The collector with alerts on: the `collector_load` fleet (1,000 servers on one cluster
//!    sampled every 60 s) with 100 of them pointing at a closed port, so 10 % fire
//!    `server_down`, and a webhook channel to a receiver; pgmond's CPU and RSS over two minutes.
//!
//!     cargo build --release --workspace && cargo bench -p pgmon-tests --bench alert_eval

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use pgmon_common::api::alerts::{ChannelKind, ChannelSpec};
use pgmon_common::api::replication::{Sender, ServerReplication, Slot};
use pgmon_common::api::settings::Settings;
use pgmon_common::crypto::Cipher;
use pgmon_tests::daemon::{Daemon, add_settings};
use pgmon_tests::fixtures::{fleet_on_one_cluster, write_servers};
use pgmon_tests::measure::{cpu_seconds, ms, percentile};
use pgmon_tests::receivers::WebhookSink;
use pgmond::alerts::channels::StoredChannel;
use pgmond::alerts::engine::Engine;
use pgmond::alerts::{Observation, cycle, rules::RuleConfigs};
use pgmond::history::alerts::AlertWrite;
use pgmond::history::answers::Figures;
use pgmond::history::{Connections, DbObservation, Observed};
use pgmond::{LatestSample, Live, SessionAges};

const SERVERS: usize = 1_000;
const CYCLES: usize = 300;
const MIB: i64 = 1024 * 1024;

fn sender(name: &str, lag: i64) -> Sender {
    Sender {
        pid: 100,
        usename: Some("replicator".into()),
        application_name: Some(name.into()),
        client_addr: Some("10.0.0.2".into()),
        state: Some("streaming".into()),
        sync_state: Some("async".into()),
        sent_lsn: None,
        write_lsn: None,
        flush_lsn: None,
        replay_lsn: None,
        write_lag_bytes: Some(lag),
        flush_lag_bytes: Some(lag),
        replay_lag_bytes: Some(lag),
        write_lag_seconds: None,
        flush_lag_seconds: None,
        replay_lag_seconds: Some(if lag > 0 { 900.0 } else { 0.1 }),
        backend_start: None,
    }
}

fn slot(name: &str) -> Slot {
    Slot {
        slot_name: name.into(),
        slot_type: Some("physical".into()),
        plugin: None,
        database: None,
        active: true,
        active_pid: Some(100),
        restart_lsn: None,
        retained_bytes: Some(MIB),
        wal_status: Some("reserved".into()),
        safe_wal_size: None,
    }
}

/// Server `i`'s newest sample; `breaching` ones wait on a lock and have a lagging standby.
fn sample(i: usize, breaching: bool) -> Arc<LatestSample> {
    let lag = if breaching { 4096 * MIB } else { 0 };
    let databases = (0..10)
        .map(|d| DbObservation {
            oid: 16_384 + d,
            datname: format!("app_{d}"),
            created_us: None,
            figures: Figures::sample(
                Some(5),
                Some(1_000),
                Some(100 * MIB),
                Some(50_000_000),
                [Some(1); 11],
            ),
        })
        .collect();
    Arc::new(LatestSample {
        at: 0,
        duration_ms: 20,
        outcome: Ok(Live {
            observed: Observed {
                connections: Connections {
                    active: 5,
                    idle: 20,
                    idle_in_transaction: 1,
                    other: 0,
                },
                max_connections: 100,
                freeze_max_age: Some(200_000_000),
                disk: Some((60 * 1024 * MIB, 100 * 1024 * MIB)),
                databases,
            },
            version: "16.4".into(),
            started_at: 0.0,
            totals: HashMap::new(),
            replication: ServerReplication {
                in_recovery: Some(false),
                senders: vec![
                    sender(&format!("standby-{i}-a"), lag),
                    sender(&format!("standby-{i}-b"), 0),
                ],
                slots: vec![slot("a"), slot("b")],
                standby: None,
                findings: Vec::new(),
                error: None,
            },
            ages: SessionAges {
                transaction: Some(12.0),
                idle_in_transaction: Some(3.0),
                query: Some(if breaching { 400.0 } else { 2.0 }),
                lock_wait: Some(if breaching { 400.0 } else { 0.5 }),
            },
            certificate_expiry: None,
        }),
        unreachable: false,
        failures_in_row: 0,
        samples: 100,
        failures: 0,
    })
}

fn channels() -> Vec<StoredChannel> {
    let cipher = Cipher::from_key_text(&Cipher::generate_key()).unwrap();
    ["ops", "pager", "am"]
        .into_iter()
        .map(|name| {
            let spec = ChannelSpec {
                name: name.into(),
                kind: Some(if name == "am" {
                    ChannelKind::Alertmanager
                } else {
                    ChannelKind::Webhook
                }),
                url: Some("http://127.0.0.1:9/hook".into()),
                ..ChannelSpec::default()
            };
            StoredChannel::from_spec(spec, None, &cipher).unwrap()
        })
        .collect()
}

fn evaluation() {
    let batch: Vec<(String, Observation)> = (0..SERVERS)
        .map(|i| {
            let o = Observation {
                sample: sample(i, i % 10 == 0),
                checks: None,
                settings: Settings::DEFAULT,
            };
            (format!("pg-{i:04}"), o)
        })
        .collect();
    let (configs, channels) = (RuleConfigs::new(), channels());
    let mut engine = Engine::default();
    let mut times = Vec::with_capacity(CYCLES);
    let mut first = None;
    let mut now = 1_800_000_000_000_i64;
    for n in 0..=CYCLES {
        let mut w = AlertWrite::default();
        let start = Instant::now();
        let fired = cycle(&mut engine, &batch, &configs, &channels, &[], now, &mut w);
        let took = start.elapsed();
        match n {
            0 => first = Some((took, fired.len(), w.notifications.len())),
            _ => times.push(took),
        }
        now += 60_000;
    }
    let (took, fired, notes) = first.unwrap();
    let firing = engine.all().count();
    times.sort();
    println!(
        "alert evaluation, {SERVERS} servers (10 databases, 2 standbys, 2 slots each), 10 % breaching:"
    );
    println!(
        "  first cycle (the {fired} alerts fire, {notes} notifications planned) {:.2} ms",
        ms(took)
    );
    println!(
        "  per cycle after it ({CYCLES} cycles, {firing} alerts firing): p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms (target < 10 ms)",
        ms(percentile(&times, 0.5)),
        ms(percentile(&times, 0.99)),
        ms(*times.last().unwrap())
    );
}

async fn collector_with_alerts() {
    const WARM_UP: Duration = Duration::from_secs(75);
    const MEASURE: Duration = Duration::from_secs(120);
    let (pg, _tmp, dir) = fleet_on_one_cluster(SERVERS).await;
    let closed = pgmon_tests::net::free_port();
    write_servers(
        &dir,
        (0..SERVERS).map(|i| {
            let port = if i % 10 == 0 { closed } else { pg.port };
            (format!("pg-{i:04}"), "127.0.0.1".to_owned(), port)
        }),
    );
    add_settings(&dir, "collect_interval_seconds = 60");
    let hook = WebhookSink::start();
    let d = Daemon::binary(&dir, &[]);
    let admin = d.api_as("admin", "admin-pass-1").await;
    let c = admin
        .post(
            "/alerts/channels",
            &serde_json::json!({"name": "hook", "kind": "webhook", "url": hook.url()}),
        )
        .await;
    assert_eq!(c.status, 201, "{}", c.body);
    tokio::time::sleep(WARM_UP).await;
    let (cpu0, start) = (cpu_seconds(d.pid()), Instant::now());
    let mut rss_max: f64 = 0.0;
    while start.elapsed() < MEASURE {
        rss_max = rss_max.max(d.rss_kib() as f64 / 1024.0);
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
    let cpu1 = cpu_seconds(d.pid());
    let took = start.elapsed().as_secs_f64();
    let firing = admin.get("/alerts").await.body["alerts"]
        .as_array()
        .map_or(0, Vec::len);
    println!(
        "collector with alerts, {SERVERS} servers every 60 s, {firing} alerts firing, {} webhook notifications received:",
        hook.received().len()
    );
    println!(
        "  pgmond CPU {:.1}% of one core (target < 10%), RSS max {:.1} MiB (target < 64 MiB)",
        (cpu1 - cpu0) / took * 100.0,
        rss_max
    );
}

#[tokio::main]
async fn main() {
    evaluation();
    collector_with_alerts().await;
}
