//! Replicas on a shared PostgreSQL store (SPEC B7), with real parts: a throwaway cluster as the
//! store, `pgmond` binaries as replicas, Debian's HAProxy in front. Config, sessions and login
//! throttling across replicas; collection split so every server is sampled once per interval
//! (rows counted in the store), through SIGKILLs; the store stopped for a minute, then
//! replaced by a promoted standby.

use std::collections::{BTreeMap, HashMap};
use std::time::{Duration, Instant};

use pgmon_tests::http::Api;
use pgmon_tests::net::{eventually, free_port};
use pgmon_tests::postgres::TestCluster;
use pgmon_tests::receivers::WebhookSink;
use pgmon_tests::replicas::{Haproxy, Replica, replicas};
use serde_json::json;

/// Seconds between samples in these tests: longer than a lease's life (3 s), as a real
/// interval is.
const INTERVAL: i64 = 5;

/// A store database on `cluster`, and its URL.
async fn store_on(cluster: &TestCluster) -> String {
    cluster.create_database("pgmon_store").await;
    format!("postgres://postgres@127.0.0.1:{}/pgmon_store", cluster.port)
}

/// `n` servers, all the same cluster under different names, added through `admin`. Through a
/// balancer, an add may reach a replica that has not yet taken in the one before (within a
/// second, longer on a loaded machine): it is refused with 409 and, as it says, tried again.
async fn add_servers(admin: &Api, cluster: &TestCluster, n: usize) -> Vec<String> {
    let mut names = Vec::new();
    for i in 0..n {
        let name = format!("watched-{i}");
        let mut tries = 0;
        loop {
            let a = admin
                .post(
                    "/servers?check=false",
                    &json!({"name": name, "host": "127.0.0.1", "port": cluster.port,
                            "user": "postgres", "password": "unused", "dbname": "postgres"}),
                )
                .await;
            tries += 1;
            if a.status == 409 && tries < 10 {
                tokio::time::sleep(Duration::from_millis(500)).await;
                continue;
            }
            assert_eq!(a.status, 200, "{}", a.body);
            break;
        }
        names.push(name);
    }
    names
}

/// Every sample in the store: server → slot (seconds) → (replica, when taken, seconds).
async fn samples(store: &tokio_postgres::Client) -> HashMap<String, BTreeMap<i64, (String, f64)>> {
    let rows = store
        .query(
            "SELECT server, extract(epoch FROM slot)::int8, replica, extract(epoch FROM at)::float8
             FROM pgmon.sample",
            &[],
        )
        .await
        .unwrap();
    let mut out: HashMap<String, BTreeMap<i64, (String, f64)>> = HashMap::new();
    for r in rows {
        let previous = out
            .entry(r.get(0))
            .or_default()
            .insert(r.get(1), (r.get(2), r.get(3)));
        assert!(previous.is_none(), "a slot stored twice");
    }
    out
}

/// The slots from `from` to `to` (seconds, inclusive) each `server` lacks.
fn missing(
    all: &HashMap<String, BTreeMap<i64, (String, f64)>>,
    servers: &[String],
    from: i64,
    to: i64,
) -> Vec<(String, i64)> {
    let first = from.div_euclid(INTERVAL) * INTERVAL;
    let mut out = Vec::new();
    for s in servers {
        let mut slot = first;
        while slot <= to {
            if !all.get(s).is_some_and(|m| m.contains_key(&slot)) {
                out.push((s.clone(), slot));
            }
            slot += INTERVAL;
        }
    }
    out
}

fn now() -> f64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs_f64()
}

async fn login_status(api: &Api, login: &str, password: &str) -> u16 {
    api.send(
        api.request(reqwest::Method::POST, "/token")
            .form(&[("username", login), ("password", password)]),
    )
    .await
    .status
}

/// Waits until every server is held by some replica (the leases have settled).
async fn settled(replicas: &[Replica], servers: usize) {
    eventually(
        "every server held by a replica",
        Duration::from_secs(20),
        async || {
            let mut held = 0;
            for r in replicas.iter().filter(|r| r.daemon.is_some()) {
                held += r.api().get("/api/health").await.body["store"]["servers_collected"]
                    .as_u64()
                    .unwrap_or(0);
            }
            held == servers as u64
        },
    )
    .await;
}

/// Three replicas on a store of their own, HAProxy in front.
struct Behind {
    _cluster: TestCluster,
    /// A client of the store's database, to count rows.
    store: tokio_postgres::Client,
    _tmp: tempfile::TempDir,
    set: Vec<Replica>,
    lb: Haproxy,
}

async fn three_behind_haproxy() -> Behind {
    let cluster = TestCluster::start();
    let url = store_on(&cluster).await;
    let store = cluster.client("pgmon_store").await;
    let tmp = tempfile::tempdir().unwrap();
    let set = replicas(&tmp, 3, &url, INTERVAL as u64);
    let lb = Haproxy::start(&set.iter().map(|r| r.port).collect::<Vec<_>>());
    Behind {
        _cluster: cluster,
        store,
        _tmp: tmp,
        set,
        lb,
    }
}

#[tokio::test]
async fn three_replicas_behind_haproxy_share_config_sessions_throttle_and_collection() {
    let Behind {
        _cluster,
        store,
        _tmp,
        mut set,
        lb,
    } = three_behind_haproxy().await;
    let watched = TestCluster::shared();
    let admin: Vec<Api> = {
        let mut v = Vec::new();
        for r in &set {
            v.push(r.daemon().api_as("admin", "admin-pass-1").await);
        }
        v
    };

    // A user added through one replica logs in through the others within a second.
    let a = admin[0]
        .post(
            "/users",
            &json!({"login": "dba", "password": "dba-pass-123", "role": "operator",
                    "email": "dba@example.com"}),
        )
        .await;
    assert_eq!(a.status, 200, "{}", a.body);
    let added = Instant::now();
    for r in &set[1..] {
        eventually(
            "the new user logs in on another replica",
            Duration::from_secs(1),
            async || login_status(&r.api(), "dba", "dba-pass-123").await == 200,
        )
        .await;
    }
    println!(
        "user seen by the other replicas after {:?}",
        added.elapsed()
    );

    // A session ended on one replica is refused by all.
    let token = set[0].api().token("dba", "dba-pass-123").await;
    for r in &set {
        assert_eq!(
            r.api().with_token(&token).get("/users/me").await.status,
            200
        );
    }
    let out = set[1]
        .api()
        .with_token(&token)
        .send(
            set[1]
                .api()
                .with_token(&token)
                .request(reqwest::Method::POST, "/logout"),
        )
        .await;
    assert_eq!(out.status, 200, "{}", out.body);
    for r in &set {
        eventually(
            "the ended session refused",
            Duration::from_secs(1),
            async || r.api().with_token(&token).get("/users/me").await.status == 401,
        )
        .await;
    }

    // Guesses spread over the replicas are counted as one guesser: five failures for a login
    // from an address, whichever replica saw them, block it on all three.
    for i in 0..5 {
        let s = login_status(&set[i % 3].api(), "view", "wrong-guess").await;
        assert_eq!(s, 401, "guess {i}");
        tokio::time::sleep(Duration::from_millis(150)).await;
    }
    for r in &set {
        assert_eq!(login_status(&r.api(), "view", "view-pass-1").await, 429);
    }
    // Through the balancer too, and the audit trail is one: every replica lists the failures.
    assert_eq!(login_status(&lb.api(), "view", "view-pass-1").await, 429);
    for a in &admin {
        let trail = a.get("/audit?action=login&actor=view&limit=100").await;
        let failures = trail.body["entries"]
            .as_array()
            .map_or(0, |e| e.iter().filter(|e| e["status"] == 401).count());
        assert!(failures >= 5, "{}", trail.body);
    }

    // Silences are one list: the replica that judges a server is not always the one it was
    // silenced on. Added through one, listed by the others within a second; ended through a
    // third, listed as ended by all.
    let until = (chrono::Utc::now() + chrono::Duration::hours(1)).to_rfc3339();
    let s = admin[0]
        .post(
            "/alerts/silences",
            &json!({"matchers": {"server": "pg-a"}, "until": until, "comment": "reindexing"}),
        )
        .await;
    assert_eq!(s.status, 201, "{}", s.body);
    let id = s.body["id"].as_i64().unwrap();
    let silence = async |a: &Api| {
        a.get("/alerts/silences").await.body["silences"]
            .as_array()
            .and_then(|l| l.iter().find(|s| s["id"] == id).cloned())
    };
    for a in &admin[1..] {
        eventually(
            "the silence on another replica",
            Duration::from_secs(1),
            async || {
                silence(a)
                    .await
                    .is_some_and(|s| s["comment"] == "reindexing")
            },
        )
        .await;
    }
    let ended = admin[2].delete(&format!("/alerts/silences/{id}")).await;
    assert_eq!(ended.status, 200, "{}", ended.body);
    for a in &admin {
        eventually(
            "the silence ended on every replica",
            Duration::from_secs(1),
            async || silence(a).await.is_some_and(|s| s["expired"] == true),
        )
        .await;
    }

    // Collection: each server sampled once per interval, over ten intervals.
    let lb_admin = lb
        .api()
        .with_token(&lb.api().token("admin", "admin-pass-1").await);
    let servers = add_servers(&lb_admin, watched, 6).await;
    settled(&set, servers.len()).await;
    let from = now() as i64 + INTERVAL;
    tokio::time::sleep(Duration::from_secs(11 * INTERVAL as u64)).await;
    let to = from + 9 * INTERVAL;
    let all = samples(&store).await;
    assert_eq!(missing(&all, &servers, from, to), vec![], "ten intervals");
    let by: HashMap<&str, usize> = all
        .values()
        .flat_map(|m| m.range(from..=to).map(|(_, (r, _))| r.as_str()))
        .fold(HashMap::new(), |mut m, r| {
            *m.entry(r).or_default() += 1;
            m
        });
    assert!(by.len() >= 2, "the work is shared: {by:?}");
    // Every replica answers the history of every server, whoever sampled it.
    for a in &admin {
        eventually(
            "history copied to every replica",
            Duration::from_secs(5),
            async || {
                let h = a
                    .get(&format!("/server/{}/stats?hours=1", servers[0]))
                    .await;
                h.body["databases"]
                    .as_array()
                    .is_some_and(|d| !d.is_empty())
            },
        )
        .await;
    }

    // SIGKILL of the replica holding most: its servers are sampled by the others within an
    // interval, and no interval of any server is lost or doubled.
    let mut held = Vec::new();
    for (i, r) in set.iter().enumerate() {
        let h = r.api().get("/api/health").await.body["store"]["replica"].clone();
        held.push((i, h.as_str().unwrap().to_owned()));
    }
    let leases: Vec<(String, String)> = store
        .query("SELECT server, holder FROM pgmon.lease", &[])
        .await
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect();
    let (victim, victim_id) = held
        .iter()
        .max_by_key(|(_, id)| leases.iter().filter(|(_, h)| h == id).count())
        .cloned()
        .unwrap();
    let orphans: Vec<String> = leases
        .iter()
        .filter(|(_, h)| *h == victim_id)
        .map(|(s, _)| s.clone())
        .collect();
    assert!(!orphans.is_empty());
    let killed = now();
    set[victim].kill();
    tokio::time::sleep(Duration::from_secs(4 * INTERVAL as u64)).await;
    let all = samples(&store).await;
    assert_eq!(
        missing(&all, &servers, from, killed as i64 + 2 * INTERVAL),
        vec![],
        "after the kill"
    );
    let mut takeover = 0f64;
    for s in &orphans {
        let first = all[s]
            .values()
            .filter(|(r, at)| *r != victim_id && *at > killed)
            .map(|(_, at)| *at)
            .fold(f64::MAX, f64::min);
        takeover = takeover.max(first - killed);
    }
    println!("servers of the killed replica sampled again after {takeover:.1} s");
    assert!(takeover <= INTERVAL as f64 + 1.0, "{takeover} s");

    // The balancer goes on without it: a change through it is acknowledged and seen by both
    // remaining replicas.
    let a = lb_admin
        .post(
            "/users",
            &json!({"login": "after-kill", "password": "after-kill-1", "role": "viewer",
                    "email": "a@example.com"}),
        )
        .await;
    assert_eq!(a.status, 200, "{}", a.body);
    for r in set.iter().filter(|r| r.daemon.is_some()) {
        eventually("the change seen", Duration::from_secs(1), async || {
            login_status(&r.api(), "after-kill", "after-kill-1").await == 200
        })
        .await;
    }
    // Back (under a new id), it takes its share again: every lease ends with the replica that
    // rendezvous hashing gives it among the three. Its share may be none of the six servers
    // (about one start in eleven), so what it collects is compared with what it owns.
    set[victim].start();
    let mut live = Vec::new();
    for r in &set {
        let id = r.api().get("/api/health").await.body["store"]["replica"].clone();
        live.push(id.as_str().unwrap().to_owned());
    }
    let owned = servers
        .iter()
        .filter(|s| pgmond::lease_owner(s, &live) == Some(live[victim].as_str()))
        .count();
    eventually(
        "every lease held by its owner among the three",
        Duration::from_secs(10),
        async || {
            let rows = store
                .query(
                    "SELECT server, holder FROM pgmon.lease WHERE until > now()",
                    &[],
                )
                .await
                .unwrap();
            servers.iter().all(|s| {
                rows.iter().any(|r| {
                    r.get::<_, String>(0) == *s
                        && pgmond::lease_owner(s, &live) == Some(r.get::<_, String>(1).as_str())
                })
            })
        },
    )
    .await;
    eventually(
        "the restarted replica collects its share",
        Duration::from_secs(5),
        async || {
            set[victim].api().get("/api/health").await.body["store"]["servers_collected"].as_u64()
                == Some(owned as u64)
        },
    )
    .await;
    drop(lb);
}

/// 20 SIGKILLs of random replicas (and restarts) over five minutes while changes go through the
/// balancer: every interval of every server has exactly one sample, and every change the API
/// acknowledged is on every replica at the end.
#[tokio::test]
async fn twenty_kills_in_five_minutes_lose_and_double_nothing() {
    let Behind {
        _cluster,
        store,
        _tmp,
        mut set,
        lb,
    } = three_behind_haproxy().await;
    let watched = TestCluster::shared();
    let lb_admin = lb
        .api()
        .with_token(&lb.api().token("admin", "admin-pass-1").await);
    let servers = add_servers(&lb_admin, watched, 6).await;
    settled(&set, servers.len()).await;
    let from = now() as i64 + INTERVAL;

    // A writer through the balancer: what was answered 200 was acknowledged.
    let stop = tokio_util::sync::CancellationToken::new();
    let writer = {
        let (api, stop) = (lb_admin.clone(), stop.clone());
        tokio::spawn(async move {
            let mut acknowledged = Vec::new();
            let mut i = 0;
            while !stop.is_cancelled() {
                let login = format!("user-{i}");
                let sent = api
                    .request(reqwest::Method::POST, "/users")
                    .json(
                        &json!({"login": login, "password": "a-password-1", "role": "viewer",
                                  "email": "u@example.com"}),
                    )
                    .send()
                    .await;
                if sent.is_ok_and(|r| r.status().as_u16() == 200) {
                    acknowledged.push(login);
                }
                i += 1;
                tokio::time::sleep(Duration::from_millis(500)).await;
            }
            acknowledged
        })
    };

    let started = Instant::now();
    let pace = Duration::from_secs(15) * pgmon_tests::soak_factor() as u32;
    for kill in 0..20 {
        let victim = rand::random_range(0..set.len());
        set[victim].kill();
        tokio::time::sleep(Duration::from_millis(500)).await;
        set[victim].start();
        tokio::time::sleep(pace.saturating_sub(Duration::from_millis(500))).await;
        println!("kill {kill} of replica {victim} at {:?}", started.elapsed());
    }
    stop.cancel();
    let acknowledged = writer.await.unwrap();
    settled(&set, servers.len()).await;
    tokio::time::sleep(Duration::from_secs(2 * INTERVAL as u64)).await;
    let to = now() as i64 - 2 * INTERVAL;
    let all = samples(&store).await;
    assert_eq!(missing(&all, &servers, from, to), vec![], "over the kills");
    let intervals = (to - from) / INTERVAL;
    println!(
        "{} intervals of {} servers, each with one sample; {} changes acknowledged",
        intervals,
        servers.len(),
        acknowledged.len()
    );
    assert!(acknowledged.len() > 100, "{}", acknowledged.len());
    for r in &set {
        let admin = r.daemon().api_as("admin", "admin-pass-1").await;
        let users = admin.get("/users").await.body;
        let logins: Vec<&str> = users
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|u| u["login"].as_str())
            .collect();
        let lost: Vec<&String> = acknowledged
            .iter()
            .filter(|l| !logins.contains(&l.as_str()))
            .collect();
        assert!(lost.is_empty(), "acknowledged but gone: {lost:?}");
    }
}

/// The store stopped for a minute: reads answer, changes are refused with a 503 that says why,
/// health says degraded, samples wait and are written when it is back. Then the store's
/// primary is replaced by a promoted standby named in a multi-host URL: the replicas go on
/// without a restart.
#[tokio::test]
async fn store_outage_then_promoted_standby() {
    let mut primary = TestCluster::start();
    let _ = store_on(&primary).await;
    let mut standby = primary.standby("pgmon_store_standby").await;
    let url = format!(
        "postgres://postgres@127.0.0.1:{},127.0.0.1:{}/pgmon_store?target_session_attrs=read-write",
        primary.port, standby.port
    );
    let watched = TestCluster::shared();
    let tmp = tempfile::tempdir().unwrap();
    let set = replicas(&tmp, 2, &url, INTERVAL as u64);
    let admin = set[0].daemon().api_as("admin", "admin-pass-1").await;
    let other = set[1].daemon().api_as("admin", "admin-pass-1").await;
    let servers = add_servers(&admin, watched, 4).await;
    settled(&set, servers.len()).await;
    let from = now() as i64 + INTERVAL;
    tokio::time::sleep(Duration::from_secs(2 * INTERVAL as u64)).await;
    // A health-checks run, which both replicas list before and through the outage (the one
    // that does not hold the server from its brief of the run while the store is away).
    let ran = admin
        .post(&format!("/server/{}/checks", servers[0]), &json!({}))
        .await;
    assert_eq!(ran.status, 200, "{}", ran.body);
    let run_of = async |api: &Api| {
        let checks = api.get("/checks").await;
        assert_eq!(checks.status, 200, "{}", checks.body);
        checks.body["runs"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["server"] == servers[0].as_str())
            .map(|r| (r["ran_at"].clone(), r["findings"].clone()))
    };
    let listed = Some((
        ran.body["ran_at"].clone(),
        json!(ran.body["checks"].as_array().unwrap().len()),
    ));
    eventually(
        "the run on both replicas",
        Duration::from_secs(2),
        async || run_of(&admin).await == listed && run_of(&other).await == listed,
    )
    .await;

    primary.stop();
    let stopped = Instant::now();
    let mut refused = 0;
    while stopped.elapsed() < Duration::from_secs(60) {
        for api in [&admin, &other] {
            assert_eq!(api.get("/users").await.status, 200, "reads go on");
            assert_eq!(api.get("/servers").await.status, 200);
            assert_eq!(run_of(api).await, listed, "the fleet's findings");
            assert_eq!(api.get("/alerts").await.status, 200);
            let health = api.get("/api/health").await.body;
            if stopped.elapsed() > Duration::from_secs(5) {
                assert_eq!(health["store"]["status"], "degraded", "{health}");
            }
        }
        let a = admin
            .post(
                "/users",
                &json!({"login": format!("during-{refused}"), "password": "during-pass-1",
                        "role": "viewer", "email": "d@example.com"}),
            )
            .await;
        if stopped.elapsed() > Duration::from_secs(5) {
            assert_eq!(a.status, 503, "{}", a.body);
            let detail = a.body["detail"].as_str().unwrap();
            assert!(detail.contains("shared store is unreachable"), "{detail}");
            refused += 1;
        }
        tokio::time::sleep(Duration::from_secs(2)).await;
    }
    let mut waiting = 0;
    for api in [&admin, &other] {
        waiting += api.get("/api/health").await.body["store"]["samples_waiting"]
            .as_u64()
            .unwrap();
    }
    // Twelve intervals of four servers: most of their samples wait (all of them do, unless a
    // loaded machine made a sample late; whether any is lost is counted in the store below).
    assert!(waiting >= 20, "samples wait in memory: {waiting}");
    // Nothing refused was kept.
    assert!(
        admin
            .get("/users")
            .await
            .body
            .as_array()
            .unwrap()
            .iter()
            .all(|u| { !u["login"].as_str().unwrap().starts_with("during-") })
    );
    primary.start_server();
    let back = Instant::now();
    for api in [&admin, &other] {
        eventually(
            "the store reachable again",
            Duration::from_secs(30),
            async || {
                let h = api.get("/api/health").await.body;
                h["store"]["status"] == "ok" && h["store"]["samples_waiting"] == 0
            },
        )
        .await;
    }
    println!(
        "store away 60 s: {refused} changes refused; back: health ok and samples written after {:?}",
        back.elapsed()
    );
    let store = primary.client("pgmon_store").await;
    let all = samples(&store).await;
    assert_eq!(
        missing(&all, &servers, from, now() as i64 - INTERVAL),
        vec![],
        "the buffered samples of the outage written"
    );
    // One refusal every two seconds or so after the first five; fewer on a loaded machine,
    // where each round of requests takes longer.
    assert!(refused >= 5, "{refused}");
    let a = admin
        .post(
            "/users",
            &json!({"login": "after", "password": "after-pass-1", "role": "viewer",
                    "email": "a@example.com"}),
        )
        .await;
    assert_eq!(a.status, 200, "{}", a.body);

    // The primary replaced by its standby, promoted: same URL, no restart.
    tokio::time::sleep(Duration::from_secs(2)).await;
    primary.stop();
    let promote = standby.client("postgres").await;
    promote.execute("SELECT pg_promote()", &[]).await.unwrap();
    let failover = Instant::now();
    eventually(
        "a change accepted by the promoted standby",
        Duration::from_secs(30),
        async || {
            admin
                .post(
                    "/users",
                    &json!({"login": "on-standby", "password": "standby-pass-1",
                        "role": "viewer", "email": "s@example.com"}),
                )
                .await
                .status
                == 200
        },
    )
    .await;
    println!(
        "changes accepted {:?} after the promotion",
        failover.elapsed()
    );
    eventually(
        "seen by the other replica",
        Duration::from_secs(10),
        async || login_status(&set[1].api(), "on-standby", "standby-pass-1").await == 200,
    )
    .await;
    let store = standby.client("pgmon_store").await;
    let promoted_at = now() as i64;
    tokio::time::sleep(Duration::from_secs(3 * INTERVAL as u64)).await;
    let all = samples(&store).await;
    assert_eq!(
        missing(
            &all,
            &servers,
            promoted_at + INTERVAL,
            now() as i64 - INTERVAL
        ),
        vec![],
        "sampling goes on into the promoted standby"
    );
    standby.stop();
}

/// What pgmonctl answers over a daemon's admin socket, as the API's JSON: the config lists and a
/// year of one server's history (a fixed window, so answers can be compared).
fn answers(d: &pgmon_tests::daemon::Daemon, from: &str, to: &str) -> Vec<serde_json::Value> {
    let ask = |args: &[&str]| {
        let mut full = vec!["--output", "json"];
        full.extend_from_slice(args);
        let out = d.pgmonctl_socket(&full, "");
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice::<serde_json::Value>(&out.stdout).unwrap()
    };
    // What the list says of each server's state now (checked when asked) is not the config's.
    let mut servers = ask(&["servers", "list"]);
    for s in servers.as_array_mut().unwrap() {
        for live in [
            "status",
            "error",
            "timestamp",
            "down_since",
            "free_space",
            "total_space",
            "ssl",
            "data_dir",
            "connections",
            "version",
            "uptime_hours",
        ] {
            s.as_object_mut().unwrap().remove(live);
        }
    }
    vec![
        ask(&["users", "list"]),
        servers,
        ask(&["ssh-keys", "list"]),
        ask(&["stats", "server", "warehouse", "--from", from, "--to", to]),
        ask(&[
            "stats",
            "db",
            "warehouse",
            "db3",
            "--from",
            from,
            "--to",
            to,
        ]),
    ]
}

/// The seed config dir and a year of embedded history, into a store and back: every answer the
/// same before, on a replica of the store, and after; the dir that comes back read by the old
/// backend's own libraries; a dry run that changes nothing; a non-empty target refused.
#[tokio::test]
async fn migrate_a_year_there_and_back() {
    use pgmon_tests::daemon::{Daemon, run_pgmonctl, set_server_field};
    let (tmp, dir) = pgmon_tests::fixtures::seed_config();
    // Nothing sampled while answers are compared (the seed's hosts do not exist anyway).
    for s in ["local-pg", "billing", "warehouse", "archive", "legacy"] {
        set_server_field(&dir, s, "collect_interval", json!(0));
    }
    // Nor imported from legacy tables: the history answers come from the store alone.
    pgmon_tests::daemon::add_settings(&dir, "legacy_import = false");
    let start = (now() as i64 - 365 * 86_400) / 600 * 600;
    {
        let history = pgmond::history::HistoryStore::open(&dir).unwrap();
        pgmon_tests::year::write_year(&history, "warehouse", start).await;
        history.checkpoint().await.unwrap();
    }
    let (from, to) = (
        chrono::DateTime::from_timestamp(start, 0)
            .unwrap()
            .to_rfc3339(),
        chrono::DateTime::from_timestamp(start + 366 * 86_400, 0)
            .unwrap()
            .to_rfc3339(),
    );
    let before = {
        let mut d = Daemon::start(&dir);
        // An audit trail to carry.
        let admin = d.api_as("admin", "admin-pass-1").await;
        let a = admin
            .post(
                "/users",
                &json!({"login": "migrated", "password": "migrated-pass-1", "role": "viewer",
                        "email": "m@example.com"}),
            )
            .await;
        assert_eq!(a.status, 200, "{}", a.body);
        let answers = answers(&d, &from, &to);
        d.stop();
        answers
    };
    assert!(
        before[3]["databases"]
            .as_array()
            .is_some_and(|d| d.len() == 10),
        "{}",
        before[3]
    );

    let store_cluster = TestCluster::start();
    let url = store_on(&store_cluster).await;
    let store = store_cluster.client("pgmon_store").await;
    let migrate = |args: &[&str]| {
        let mut full = vec!["--output", "json", "store", "migrate"];
        full.extend_from_slice(args);
        run_pgmonctl(&full, "", &[])
    };
    let dir_s = dir.to_str().unwrap();
    let dry = migrate(&["--from", dir_s, "--to", &url, "--dry-run"]);
    assert!(
        dry.status.success(),
        "{}",
        String::from_utf8_lossy(&dry.stderr)
    );
    let counted: serde_json::Value = serde_json::from_slice(&dry.stdout).unwrap();
    assert_eq!(counted["samples"], pgmon_tests::year::SAMPLES, "{counted}");
    assert!(counted["audit_entries"].as_u64().unwrap() >= 2, "{counted}");
    let held: i64 = store
        .query_one("SELECT count(*) FROM pgmon.sample", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(held, 0, "a dry run writes nothing");
    let started = Instant::now();
    let done = migrate(&["--from", dir_s, "--to", &url]);
    assert!(
        done.status.success(),
        "{}",
        String::from_utf8_lossy(&done.stderr)
    );
    println!("a year migrated to the store in {:?}", started.elapsed());
    let again = migrate(&["--from", dir_s, "--to", &url]);
    assert_eq!(again.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&again.stderr).contains("--force"));
    let with_password = migrate(&["--from", dir_s, "--to", "postgres://u:secret@127.0.0.1/x"]);
    assert_eq!(with_password.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&with_password.stderr).contains("PGPASSWORD"));

    // A replica on the store (its own dir: the key file, the JWT secret, pgmond.toml) answers the
    // same once it has copied the samples.
    let replica_dir = tmp.path().join("replica");
    std::fs::create_dir(&replica_dir).unwrap();
    for f in ["encryption_key.key", "secret_key", "pgmond.toml"] {
        std::fs::copy(dir.join(f), replica_dir.join(f)).unwrap();
    }
    let replica = Daemon::binary(&replica_dir, &[("PGMON_STORE", url.as_str())]);
    let copying = Instant::now();
    loop {
        let got = answers(&replica, &from, &to);
        // A year is 52,560 samples: copied in under a minute here, more on a loaded machine
        // running a debug build (the release figure is in docs/benchmarks.md).
        if got == before || copying.elapsed() > Duration::from_secs(400) {
            for (g, b) in got.iter().zip(&before) {
                assert_eq!(g, b, "the replica answers as the dir did");
            }
            break;
        }
        tokio::time::sleep(Duration::from_secs(3)).await;
    }
    println!(
        "the replica answered as the dir did after {:?}",
        copying.elapsed()
    );
    drop(replica);

    // And back, into a dir holding only the key file, the secret and pgmond.toml.
    let back = tmp.path().join("back");
    std::fs::create_dir(&back).unwrap();
    for f in ["encryption_key.key", "secret_key", "pgmond.toml"] {
        std::fs::copy(dir.join(f), back.join(f)).unwrap();
    }
    let out = migrate(&["--from", &url, "--to", back.to_str().unwrap()]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["samples"], pgmon_tests::year::SAMPLES, "{report}");
    let refused = migrate(&["--from", &url, "--to", back.to_str().unwrap()]);
    assert_eq!(
        refused.status.code(),
        Some(2),
        "a config dir that holds a config"
    );
    let mut d = Daemon::start(&back);
    assert_eq!(answers(&d, &from, &to), before, "the dir that came back");
    d.stop();
    let trail = std::fs::read_to_string(back.join("audit.log")).unwrap();
    assert!(trail.contains("\"user.create\""), "{trail}");

    // The old backend's libraries read what came back.
    let script = r#"
import json, sys, bcrypt
from cryptography.fernet import Fernet
d = sys.argv[1]
f = Fernet(open(d + "/encryption_key.key", "rb").read().strip())
users = {u["login"]: u for u in json.load(open(d + "/users.json"))}
servers = {s["name"]: s for s in json.load(open(d + "/servers.json"))}
keys = json.load(open(d + "/ssh_keys/keys.json"))
pems = [f.decrypt(open(d + "/ssh_keys/private/key_" + k["id"] + ".pem", "rb").read()) for k in keys]
print(bcrypt.checkpw(b"admin-pass-1", users["admin"]["password"].encode()),
      bcrypt.checkpw(b"migrated-pass-1", users["migrated"]["password"].encode()),
      f.decrypt(servers["billing"]["password"].encode()).decode(),
      all(b"PRIVATE KEY" in p for p in pems), len(pems))
"#;
    let read = pgmon_tests::python::run(script, &[back.to_str().unwrap()]);
    assert!(
        read.starts_with("True True ") && read.ends_with(" True 2"),
        "{read}"
    );
    assert_eq!(
        read,
        pgmon_tests::python::run(script, &[dir.to_str().unwrap()])
    );
}

/// TLS to the store, checked against `store_sslrootcert` (host name too): a replica trusting
/// the store's CA connects encrypted; one trusting another CA does not start, and says why; a
/// password in the URL or the environment never reaches the log.
#[tokio::test]
async fn store_over_checked_tls() {
    use pgmon_tests::daemon::{Daemon, add_settings, pgmond_to_exit};
    let certs = pgmon_tests::certs::TestCerts::new();
    let mut cluster = TestCluster::start();
    // TLS offered (the harness's own client speaks plain); the replicas insist on it.
    cluster.enable_ssl(&certs, false);
    cluster.create_database("pgmon_store").await;
    let url = format!(
        "postgres://postgres@localhost:{}/pgmon_store?sslmode=require",
        cluster.port
    );
    let (_tmp, dir) = pgmon_tests::fixtures::seed_config();
    std::fs::write(dir.join("servers.json"), "[]").unwrap();
    std::fs::copy(certs.path("ca.crt"), dir.join("store-ca.crt")).unwrap();
    std::fs::copy(certs.path("other-ca.crt"), dir.join("other-ca.crt")).unwrap();
    let good = dir.with_file_name("good");
    pgmon_tests::fixtures::copy_tree(&dir, &good, &[], None);
    add_settings(&good, "store_sslrootcert = \"store-ca.crt\"");
    let d = Daemon::binary(
        &good,
        &[
            ("PGMON_STORE", url.as_str()),
            ("PGPASSWORD", "never-logged-9"),
        ],
    );
    let health = d.api().get("/api/health").await.body;
    assert_eq!(health["store"]["status"], "ok", "{health}");
    let c = cluster.client("postgres").await;
    let encrypted: i64 = c
        .query_one(
            "SELECT count(*) FROM pg_stat_ssl JOIN pg_stat_activity USING (pid)
             WHERE application_name = 'pgmond' AND ssl",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert!(encrypted >= 1);
    assert!(!d.log().contains("never-logged-9"));
    drop(d);

    let bad = dir.with_file_name("bad");
    pgmon_tests::fixtures::copy_tree(&dir, &bad, &[], None);
    add_settings(&bad, "store_sslrootcert = \"other-ca.crt\"");
    let out = pgmond_to_exit(
        &bad,
        &bad.with_extension("sock"),
        &[("PGMON_STORE", url.as_str())],
    );
    assert!(!out.status.success());
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(said.contains("certificate"), "{said}");
}

/// The `server_down` alerts `api` lists: (id, state).
async fn down_alerts(api: &Api) -> Vec<(i64, String)> {
    crate::alerts::listed(api)
        .await
        .iter()
        .filter(|a| a["rule"] == "server_down")
        .map(|a| {
            (
                a["id"].as_i64().unwrap(),
                a["state"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

/// An alert follows its server from a killed replica to the one that takes it over: every
/// replica lists it under one id, it is told once when it fires and not again after the
/// takeover, and its end is told by the replica that took it over. Health-check findings are
/// every replica's too.
#[tokio::test]
async fn an_alert_follows_its_server_to_another_replica() {
    let cluster = TestCluster::start();
    let url = store_on(&cluster).await;
    let store = cluster.client("pgmon_store").await;
    let tmp = tempfile::tempdir().unwrap();
    let mut set = replicas(&tmp, 2, &url, INTERVAL as u64);
    let hook = WebhookSink::start();
    let admin = set[0].daemon().api_as("admin", "admin-pass-1").await;
    let a = admin
        .post(
            "/alerts/channels",
            &json!({"name": "hook", "kind": "webhook", "url": hook.url()}),
        )
        .await;
    assert_eq!(a.status, 201, "{}", a.body);
    // Nothing listens on its port: `server_down` fires with its first sample.
    let a = admin
        .post(
            "/servers?check=false",
            &json!({"name": "down-0", "host": "127.0.0.1", "port": free_port(),
                    "user": "postgres", "password": "unused", "dbname": "postgres"}),
        )
        .await;
    assert_eq!(a.status, 200, "{}", a.body);
    let told = |kind: &'static str| {
        hook.received()
            .iter()
            .filter(|r| {
                r.body["kind"] == kind
                    && r.body["alerts"]
                        .as_array()
                        .is_some_and(|l| l.iter().any(|x| x["rule"] == "server_down"))
            })
            .count()
    };
    hook.wait_for(Duration::from_secs(30), "server_down firing", |r| {
        r.body["kind"] == "firing"
    })
    .await;
    let second = set[1].daemon().api_as("admin", "admin-pass-1").await;
    let mut id = None;
    eventually(
        "one firing alert, the same on both replicas",
        Duration::from_secs(5),
        async || {
            let (a, b) = (down_alerts(&admin).await, down_alerts(&second).await);
            id = a.first().map(|x| x.0);
            a.len() == 1 && a == b && a[0].1 == "firing"
        },
    )
    .await;

    // Its replica killed, the other takes the server over and carries the alert on.
    let holder: String = store
        .query_one(
            "SELECT holder FROM pgmon.lease WHERE server = 'down-0'",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    let mut victim = 0;
    for (i, r) in set.iter().enumerate() {
        if r.api().get("/api/health").await.body["store"]["replica"] == holder.as_str() {
            victim = i;
        }
    }
    let other = 1 - victim;
    set[victim].kill();
    let survivor = set[other].daemon().api_as("admin", "admin-pass-1").await;
    eventually(
        "the server taken over",
        Duration::from_secs(10),
        async || {
            survivor.get("/api/health").await.body["store"]["servers_collected"].as_u64() == Some(1)
        },
    )
    .await;
    tokio::time::sleep(Duration::from_secs(3 * INTERVAL as u64)).await;
    assert_eq!(
        down_alerts(&survivor).await,
        vec![(id.unwrap(), "firing".to_owned())]
    );
    assert_eq!(told("firing"), 1, "told again after the takeover");

    // Back: the alert resolves, and the replica that took it over tells the channel.
    let mut entry = survivor.get("/servers/down-0").await.body;
    entry["port"] = json!(cluster.port);
    let a = survivor.put("/servers/down-0?check=false", &entry).await;
    assert_eq!(a.status, 200, "{}", a.body);
    hook.wait_for(Duration::from_secs(30), "server_down resolved", |r| {
        r.body["kind"] == "resolved"
    })
    .await;
    eventually("no alert left", Duration::from_secs(5), async || {
        down_alerts(&survivor).await.is_empty()
    })
    .await;
    assert_eq!((told("firing"), told("resolved")), (1, 1));
    let resolved = store
        .query_one("SELECT count(*) FROM pgmon.alert", &[])
        .await
        .unwrap()
        .get::<_, i64>(0);
    assert_eq!(resolved, 0, "the store still holds an open alert");

    // The killed replica back lists no stale alert.
    set[victim].start();
    let back = set[victim].daemon().api_as("admin", "admin-pass-1").await;
    eventually(
        "nothing listed on the restarted replica",
        Duration::from_secs(5),
        async || down_alerts(&back).await.is_empty(),
    )
    .await;

    // Health checks run on one replica are every replica's within a second.
    let ran = survivor.post("/server/down-0/checks", &json!({})).await;
    assert_eq!(ran.status, 200, "{}", ran.body);
    assert!(ran.body["ran_at"].is_string(), "{}", ran.body);
    eventually(
        "the findings on the other replica",
        Duration::from_secs(1),
        async || back.get("/server/down-0/checks").await.body == ran.body,
    )
    .await;
    let fleet = back.get("/checks").await.body;
    assert_eq!(fleet["runs"][0]["ran_at"], ran.body["ran_at"], "{fleet}");
}
