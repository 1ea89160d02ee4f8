//! `pgmonctl top` in a real terminal (tmux): the fleet, a server's sessions with a running
//! `pg_sleep`, the filter, the cancel key with its confirmation, and the session gone from the
//! screen once cancelled; a viewer is offered no action keys; `--once` snapshots.

use std::time::Duration;

use pgmon_tests::bins;
use pgmon_tests::daemon::{Daemon, add_local_server, json_of};
use pgmon_tests::fixtures::seed_config;
use pgmon_tests::postgres::TestCluster;
use pgmon_tests::tmux::Tmux;

// Threads of its own for the runtime: the test blocks on tmux while the query runs.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn top_cancels_a_running_query() {
    let pg = TestCluster::shared();
    pg.create_database("top_db").await;
    let sleeper = pg.client("top_db").await;
    let pid: i32 = sleeper
        .query_one("SELECT pg_backend_pid()", &[])
        .await
        .unwrap()
        .get(0);
    let sleeping = tokio::spawn(async move {
        let out = sleeper
            .query("SELECT pg_sleep(600) AS top_test_sleep", &[])
            .await
            .map(|_| ())
            .map_err(|e| e.as_db_error().map(|d| d.message().to_owned()));
        (sleeper, out)
    });

    let (_tmp, dir) = seed_config();
    add_local_server(&dir, "live", pg.port, None);
    let daemon = Daemon::start(&dir);
    let socket = daemon.socket.to_str().unwrap().to_owned();

    let top = Tmux::start(
        &bins::pgmonctl(),
        &["--socket", &socket, "top", "--interval", "1"],
        &[],
    );
    let fleet = top.wait_for("the fleet lists the server", |s| {
        s.contains("SERVER")
            && s.lines()
                .any(|l| l.starts_with("live ") && l.contains(" ok "))
    });
    // The seed config's servers come first: down to `live`.
    let rows: Vec<&str> = fleet
        .lines()
        .skip_while(|l| !l.starts_with("SERVER"))
        .skip(1)
        .collect();
    let at = rows.iter().position(|l| l.starts_with("live ")).unwrap();
    for _ in 0..at {
        top.keys(&["Down"]);
    }
    top.keys(&["Enter"]);
    top.wait_for("the server's sessions", |s| s.starts_with("live:"));
    top.wait_for("the sleeping query is listed", |s| {
        s.contains("top_test_sleep")
    });
    top.keys(&["/"]);
    top.literal("top_test_sleep");
    top.keys(&["Enter"]);
    top.wait_for("only the sleeping session, the filter set", |s| {
        s.contains("1 sessions shown")
            && s.contains("filter \"top_test_sleep\"")
            && s.contains(&pid.to_string())
            && s.contains("c cancel")
    });
    top.keys(&["c"]);
    top.wait_for("a confirmation", |s| {
        s.contains(&format!("Cancel the query of {pid} (postgres@top_db)?"))
    });
    top.keys(&["y"]);
    top.wait_for("the outcome", |s| {
        s.contains(&format!("Query of backend {pid} cancelled"))
    });
    // The session stays (idle) for the snapshot below.
    let (_idle, ended) = tokio::time::timeout(Duration::from_secs(10), sleeping)
        .await
        .expect("pg_sleep still running")
        .unwrap();
    assert_eq!(
        ended,
        Err(Some("canceling statement due to user request".into()))
    );
    // Idle now, so hidden; the next refresh shows it gone.
    top.wait_for("the session gone", |s| {
        s.contains("0 sessions shown") && !s.contains("pg_sleep(600)")
    });
    top.keys(&["q"]);
    top.wait_for("top ended", |_| top.ended());

    // A viewer sees the sessions but no action keys, and `c` asks nothing.
    let view = daemon.api().token("view", "view-pass-1").await;
    let url = format!("http://127.0.0.1:{}", daemon.port);
    let env = [("PGMON_TOKEN", view.as_str())];
    let viewer = Tmux::start(
        &bins::pgmonctl(),
        &["--url", &url, "top", "live", "--idle"],
        &env,
    );
    let screen = viewer.wait_for("a viewer's session list", |s| {
        s.contains("live:") && s.contains("t tree")
    });
    assert!(!screen.contains("c cancel"), "{screen}");
    viewer.keys(&["c"]);
    std::thread::sleep(Duration::from_millis(300));
    assert!(!viewer.screen().contains("Cancel the query"));
    viewer.keys(&["q"]);
    viewer.wait_for("top ended", |_| viewer.ended());

    // One snapshot for scripts.
    let out = daemon.pgmonctl_socket(&["--output", "json", "top", "--once", "live", "--idle"], "");
    let snap = json_of(&out);
    let live = snap["servers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == "live")
        .unwrap_or_else(|| panic!("live not in the fleet: {snap}"));
    assert_eq!(live["status"], "ok");
    assert!(live["sessions"].as_i64().unwrap() >= 1, "{live}");
    assert!(
        snap["sessions"]
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s["pid"] == pid && s["state"] == "idle"),
        "{snap}"
    );
    let not_a_tty = daemon.pgmonctl_socket(&["top"], "");
    assert_eq!(not_a_tty.status.code(), Some(2));
}
