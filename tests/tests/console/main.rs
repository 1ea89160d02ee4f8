//! The web console in Debian's Chromium (driven by playwright-core, both installed by
//! tests/run), against pgmond serving a real PostgreSQL: every screen as viewer, operator and
//! admin at 1280 and 390 px (screenshots under `target/console-screens/`), a real lock chain
//! shown as a tree and its blocked session cancelled from the page, history charts from the
//! collector's samples, administration from forms, and hostile values everywhere they show.
//! The browser side is `tests/console/drive.cjs`; this side sets the scene and checks what
//! the daemon and PostgreSQL saw.

use std::path::{Path, PathBuf};
use std::time::Duration;

use pgmon_tests::daemon::{Daemon, add_settings, set_server_field};
use pgmon_tests::fixtures::{seed_config, write_servers};
use pgmon_tests::http::Api;
use pgmon_tests::net::eventually;
use pgmon_tests::postgres::TestCluster;
use serde_json::{Value, json};

const IMG: &str = "<img src=x onerror=alert(1)>";
const SCRIPT: &str = "</script><script>alert(2)</script>";
/// A server name (hand-written in servers.json: the API refuses it) that would close an
/// attribute and open an element.
const HOSTILE_SERVER: &str = "x\"><img src=x onerror=alert(3)>'";

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_owned()
}

/// Chromium and playwright-core, or what to install.
fn browser_parts() -> (PathBuf, PathBuf) {
    let chromium = PathBuf::from("/usr/bin/chromium");
    assert!(
        chromium.exists(),
        "the console tests need Debian's chromium: apt-get install chromium (tests/run does)"
    );
    let playwright = repo().join("target/test-npm/node_modules/playwright-core");
    assert!(
        playwright.exists(),
        "the console tests need playwright-core in target/test-npm: \
         npm install --prefix target/test-npm playwright-core (tests/run does)"
    );
    (chromium, playwright)
}

/// A client whose session shows `app` as its application name and runs `query` for minutes.
async fn hostile_session(pg: &TestCluster, app: &str, query: &str) -> tokio::task::JoinHandle<()> {
    let c = pg.client("shop").await;
    c.batch_execute(&format!("SET application_name = $a${app}$a$"))
        .await
        .unwrap();
    let query = query.to_owned();
    tokio::spawn(async move {
        let _ = c.batch_execute(&query).await;
    })
}

/// A session whose `SELECT` waits on the table's lock: its pid, and what its client gets.
async fn waiter(pg: &TestCluster) -> (i32, tokio::task::JoinHandle<Result<(), Option<String>>>) {
    let c = pg.client("shop").await;
    let pid: i32 = c
        .query_one("SELECT pg_backend_pid()", &[])
        .await
        .unwrap()
        .get(0);
    let waiting = tokio::spawn(async move {
        c.batch_execute("SELECT * FROM t")
            .await
            .map_err(|e| e.as_db_error().map(|d| d.message().to_owned()))
    });
    (pid, waiting)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn console_in_chromium() {
    let (chromium, playwright) = browser_parts();
    let pg = TestCluster::shared();
    pg.create_database("shop").await;
    let setup = pg.client("shop").await;
    setup
        .batch_execute("CREATE TABLE t (id int PRIMARY KEY); INSERT INTO t VALUES (1)")
        .await
        .unwrap();
    let closed_port = pgmon_tests::net::free_port();

    let (_tmp, dir) = seed_config();
    write_servers(
        &dir,
        [
            ("live".to_owned(), "127.0.0.1".to_owned(), pg.port),
            ("down".to_owned(), "127.0.0.1".to_owned(), closed_port),
            ("odd".to_owned(), "127.0.0.1".to_owned(), closed_port),
        ]
        .into_iter(),
    );
    set_server_field(&dir, "odd", "name", json!(HOSTILE_SERVER));
    set_server_field(&dir, "live", "collect_interval", json!(10));
    let d = Daemon::start(&dir);
    let admin = d
        .api()
        .with_token(&d.api().token("admin", "admin-pass-1").await);

    // The scene: hostile names and queries, and a lock chain.
    let _h1 = hostile_session(pg, IMG, &format!("SELECT pg_sleep(600) /* {SCRIPT} */")).await;
    let _h2 = hostile_session(pg, SCRIPT, &format!("SELECT '{IMG}', pg_sleep(600)")).await;
    let blocker = pg.client("shop").await;
    let blocker_pid: i32 = blocker
        .query_one("SELECT pg_backend_pid()", &[])
        .await
        .unwrap()
        .get(0);
    blocker
        .batch_execute("BEGIN; LOCK TABLE t IN ACCESS EXCLUSIVE MODE")
        .await
        .unwrap();
    // Two sessions wait on the blocker: the operator cancels the first from the page, the
    // second keeps the tree on every later screen.
    let (blocked_pid, waiting) = waiter(pg).await;
    let (staying_pid, _staying) = waiter(pg).await;
    eventually(
        "the blocked session in the tree",
        Duration::from_secs(20),
        async || {
            let a = admin.get("/server/live/activity").await;
            a.body["sessions"]
                .as_array()
                .into_iter()
                .flatten()
                .filter(|s| s["blocked_by"] == json!([blocker_pid]))
                .count()
                == 2
        },
    )
    .await;
    // The chain fires an alert the fleet and server pages show.
    let rule = admin
        .put("/alerts/rules/lock_wait", &json!({"threshold": 1}))
        .await;
    assert_eq!(rule.status, 200, "{}", rule.body);
    // Two samples make a line.
    eventually("two samples of live", Duration::from_secs(60), async || {
        let s = admin.get("/collector/status").await;
        pgmon_tests::daemon::collector_entry(&s.body, "live")["samples"]
            .as_u64()
            .unwrap_or(0)
            >= 2
    })
    .await;
    check_fleet_and_timeline(&admin).await;
    eventually(
        "lock_wait firing on live",
        Duration::from_secs(30),
        async || {
            admin.get("/alerts").await.body["alerts"]
                .as_array()
                .into_iter()
                .flatten()
                .any(|a| {
                    a["rule"] == "lock_wait"
                        && a["state"] == "firing"
                        && a["labels"]["server"] == "live"
                })
        },
    )
    .await;

    let screens = repo().join("target/console-screens");
    std::fs::create_dir_all(&screens).unwrap();
    let config = json!({
        "base": d.url(""),
        "chromium": chromium,
        "playwright": playwright,
        "screens": screens,
        "users": {
            "admin": ["admin", "admin-pass-1"],
            "operator": ["oper", "oper-pass-1"],
            "viewer": ["view", "view-pass-1"],
        },
        "live": "live",
        "down": "down",
        "database": "shop",
        "hostile_server": HOSTILE_SERVER,
        "hostile_texts": [IMG, SCRIPT],
        "blocker": blocker_pid,
        "blocked": blocked_pid,
        "staying": staying_pid,
        "blocked_user": "postgres",
        "alert_rule": "lock_wait",
        "closed_port": closed_port,
        "new_server": {"name": "console-new", "port": pg.port, "user": "postgres"},
        "new_user": "console-user",
        "new_key": "console-key",
        "forged_user": "forged",
    });
    let config_file = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(config_file.path(), config.to_string()).unwrap();
    let script = repo().join("tests/console/drive.cjs");
    let config_path = config_file.path().to_owned();
    let out = tokio::task::spawn_blocking(move || {
        std::process::Command::new("node")
            .arg(&script)
            .arg(&config_path)
            .output()
            .expect("node (Debian package nodejs) runs the browser driver")
    })
    .await
    .unwrap();
    let report: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "the driver printed no report ({e}): {}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    println!("console report: {report:#}");
    assert_eq!(
        report["failures"],
        json!([]),
        "what the browser found wrong"
    );
    assert_eq!(report["dialogs"], 0, "no dialog may open");
    assert_eq!(
        report["csp"],
        json!([]),
        "no Content-Security-Policy violation"
    );
    let shots = report["screens"].as_array().unwrap();
    // Nine screens for the viewer, 12 for the operator, 15 for the admin, at two widths, and
    // three of actions once.
    assert_eq!(shots.len(), 2 * (9 + 12 + 15) + 3, "{shots:?}");
    for s in shots {
        let len = std::fs::metadata(s.as_str().unwrap()).unwrap().len();
        assert!(len > 5_000, "{s}: {len} bytes");
    }

    // What the daemon and PostgreSQL saw.
    let cancelled = tokio::time::timeout(Duration::from_secs(10), waiting)
        .await
        .expect("the blocked client got its answer")
        .unwrap();
    assert_eq!(
        cancelled,
        Err(Some("canceling statement due to user request".to_owned())),
        "the blocked client saw its query cancelled"
    );
    for refused in ["forged", "viewer-made"] {
        assert_eq!(admin.get(&format!("/users/{refused}")).await.status, 404);
    }
    let user = admin.get("/users/console-user").await;
    assert_eq!(user.body["is_active"], false, "{:?}", user.body);
    let settings = admin.get("/settings").await;
    assert_eq!(settings.body["long_query_seconds"], 301);
    assert_eq!(admin.get("/servers/console-new").await.status, 404);
    let keys = admin.get("/ssh-keys").await;
    let key = keys
        .body
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["name"] == "console-key");
    let public = key.expect("the generated key")["public_key"]
        .as_str()
        .unwrap();
    assert_eq!(
        report["facts"]["public_key"].as_str().unwrap().trim(),
        public.trim()
    );
    let audit = admin.get("/audit?action=backend.cancel").await;
    let entry = &audit.body["entries"][0];
    assert_eq!(entry["actor"], "oper", "{entry}");
    assert_eq!(entry["source"], "127.0.0.1", "{entry}");
    assert_eq!(entry["target"], format!("live/{blocked_pid}"), "{entry}");
    let seen: Vec<&str> = report["facts"]["audit_actions"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .collect();
    for action in [
        "backend.cancel",
        "server.create",
        "server.update",
        "server.delete",
        "user.create",
        "user.update",
        "ssh_key.generate",
        "settings.update",
    ] {
        assert!(
            seen.contains(&action),
            "{action} not on the audit page: {seen:?}"
        );
    }
    drop(blocker);
}

/// `GET /fleet` and `GET /server/{name}/timeline` from the collector's samples.
async fn check_fleet_and_timeline(admin: &Api) {
    let fleet = admin.get("/fleet").await;
    assert_eq!(fleet.status, 200);
    let by_name = |n: &str| {
        fleet.body["servers"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["name"] == n)
            .cloned()
            .unwrap_or_else(|| panic!("{n} not in {}", fleet.body))
    };
    let live = by_name("live");
    assert_eq!(live["ok"], true, "{live}");
    assert!(live["sessions"]["active"].as_i64().unwrap() >= 2, "{live}");
    assert!(live["max_connections"].as_i64().unwrap() > 0, "{live}");
    assert!(live["total_bytes"].as_i64().unwrap() > 1_000_000, "{live}");
    let down = by_name("down");
    assert_eq!(down["ok"], false, "{down}");
    let hour_ago = (chrono::Utc::now() - chrono::Duration::hours(1)).to_rfc3339();
    let timeline = admin
        .get(&format!(
            "/server/live/timeline?start_date={}",
            hour_ago.replace('+', "%2B")
        ))
        .await;
    assert_eq!(timeline.body["aggregation"], "raw");
    assert_eq!(timeline.status, 200, "{}", timeline.body);
    let points = timeline.body["points"].as_array().unwrap();
    assert!(points.len() >= 2, "{}", timeline.body);
    let last = points.last().unwrap();
    assert!(last["sessions"].as_f64().unwrap() >= 2.0, "{last}");
    assert!(last["active"].as_f64().unwrap() >= 2.0, "{last}");
    assert!(last["total_bytes"].as_i64().unwrap() > 0, "{last}");
    assert!(last["cache_hit_ratio"].as_f64().is_some(), "{last}");
    assert_eq!(admin.get("/server/nope/timeline").await.status, 404);
    let bad = admin
        .get("/server/live/timeline?start_date=yesterday")
        .await;
    assert_eq!(bad.status, 400, "{}", bad.body);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
/// `ui = false`: `/ui/` is the API's 404, the API is unchanged.
async fn console_switched_off() {
    let (_tmp, dir) = seed_config();
    add_settings(&dir, "ui = false");
    let d = Daemon::start(&dir);
    for path in ["/ui/", "/ui/login", "/ui/assets/console.js"] {
        let r = d.api().get(path).await;
        assert_eq!(r.status, 404, "{path}");
        assert_eq!(r.body, json!({"message": "Not Found"}));
    }
    assert_eq!(d.api().get("/api/health").await.status, 200);
}
