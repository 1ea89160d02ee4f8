//! The admin Unix socket, and `pgmonctl` over the socket and over HTTP.

use std::os::unix::fs::{FileTypeExt, PermissionsExt};
use std::process::Command;

use pgmon_tests::daemon::{
    Daemon, json_of, pgmonctl, pgmonctl_login, pgmond_to_exit, run_pgmonctl,
};
use pgmon_tests::fixtures::seed_config;
use serde_json::Value;

fn curl_socket(d: &Daemon, path: &str) -> Value {
    let out = Command::new("curl")
        .args([
            "-s",
            "--fail-with-body",
            "--unix-socket",
            d.socket.to_str().unwrap(),
        ])
        .arg(format!("http://x{path}"))
        .output()
        .expect("running curl (install the Debian package `curl`)");
    assert!(
        out.status.success(),
        "curl {path}: {}",
        String::from_utf8_lossy(&out.stdout)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// The stored facts of a server list: the live ones (status, version, ...) differ between
/// local mode, which checks nothing, and the daemon, which checks each server.
fn stored_facts(mut v: Value) -> Value {
    const LIVE: &[&str] = &[
        "timestamp",
        "status",
        "version",
        "connections",
        "uptime_hours",
        "data_dir",
        "free_space",
        "total_space",
        "down_since",
        "ssl",
    ];
    for item in v.as_array_mut().unwrap() {
        let obj = item.as_object_mut().unwrap();
        for k in LIVE {
            obj.remove(*k);
        }
    }
    v
}

#[tokio::test]
/// The socket is 0660, answers admin endpoints without a token, and logs the peer's uid.
async fn socket_acts_as_admin() {
    let (_tmp, dir) = seed_config();
    let d = Daemon::binary(&dir, &[]);
    let meta = std::fs::metadata(&d.socket).unwrap();
    assert!(meta.file_type().is_socket());
    assert_eq!(meta.permissions().mode() & 0o777, 0o660);
    let users = curl_socket(&d, "/users");
    assert_eq!(users.as_array().unwrap().len(), 4);
    let uid = nix::unistd::Uid::effective().as_raw();
    assert!(d.log().contains(&format!("peer_uid={uid}")), "{}", d.log());
}

#[tokio::test]
/// `pgmonctl --socket` and `pgmonctl --url` after `login` print the same data as local mode.
async fn pgmonctl_modes_agree() {
    let (_tmp, dir) = seed_config();
    let d = Daemon::start(&dir);
    let local_users = json_of(&pgmonctl(&dir, &["--output", "json", "users", "list"], ""));
    let local_servers = json_of(&pgmonctl(
        &dir,
        &["--output", "json", "servers", "list"],
        "",
    ));

    let socket_servers = json_of(&d.pgmonctl_socket(&["--output", "json", "servers", "list"], ""));
    assert_eq!(
        stored_facts(socket_servers),
        stored_facts(local_servers.clone())
    );

    let xdg = tempfile::tempdir().unwrap();
    let env = [("XDG_CONFIG_HOME", xdg.path().to_str().unwrap())];
    let url = format!("http://127.0.0.1:{}", d.port);
    let login = pgmonctl_login(&url, "admin", "admin-pass-1", &[], &env);
    assert!(
        login.status.success(),
        "{}",
        String::from_utf8_lossy(&login.stderr)
    );
    let token_file = xdg.path().join("pgmonctl/tokens.json");
    assert_eq!(
        std::fs::metadata(&token_file).unwrap().permissions().mode() & 0o777,
        0o600
    );
    let remote_users = json_of(&run_pgmonctl(
        &["--url", &url, "--output", "json", "users", "list"],
        "",
        &env,
    ));
    // Logging in set admin's last_login; everything else is the same.
    let mut expect = local_users.clone();
    expect[0]["last_login"] = remote_users[0]["last_login"].clone();
    assert!(remote_users[0]["last_login"].is_string());
    assert_eq!(remote_users, expect);
    let remote_servers = json_of(&run_pgmonctl(
        &["--url", &url, "--output", "json", "servers", "list"],
        "",
        &env,
    ));
    assert_eq!(stored_facts(remote_servers), stored_facts(local_servers));

    // Writes over the wire land in the files.
    let added = run_pgmonctl(
        &[
            "--url",
            &url,
            "--output",
            "json",
            "servers",
            "add",
            "wire",
            "--host",
            "w.invalid",
            "--user",
            "u",
            "--no-check",
            "--password-stdin",
        ],
        "wire-pass\n",
        &env,
    );
    assert_eq!(json_of(&added)["has_password"], true);
    let shown = json_of(&pgmonctl(
        &dir,
        &["--output", "json", "servers", "show", "wire"],
        "",
    ));
    assert_eq!(shown["host"], "w.invalid");
    let updated = run_pgmonctl(
        &[
            "--url",
            &url,
            "--output",
            "json",
            "servers",
            "update",
            "wire",
            "--port",
            "6000",
            "--ssh-key",
            "prod-rsa",
        ],
        "",
        &env,
    );
    let updated = json_of(&updated);
    assert_eq!(
        (
            &updated["port"],
            &updated["ssh_auth_type"],
            &updated["has_password"]
        ),
        (&6000.into(), &"key".into(), &false.into())
    );
    // A new port without a new password: the stored one is not sent to the new target.
    assert_eq!(updated["cleared_secrets"], serde_json::json!(["password"]));

    let health = json_of(&run_pgmonctl(
        &["--url", &url, "--output", "json", "health"],
        "",
        &env,
    ));
    assert_eq!(health["status"], "ok");
    let pools = json_of(&d.pgmonctl_socket(&["--output", "json", "pools"], ""));
    assert!(pools.is_object());

    let logout = run_pgmonctl(&["--url", &url, "logout"], "", &env);
    assert!(logout.status.success());
    let after = run_pgmonctl(&["--url", &url, "users", "list"], "", &env);
    assert_eq!(
        after.status.code(),
        Some(3),
        "{}",
        String::from_utf8_lossy(&after.stderr)
    );
}

#[tokio::test]
/// HTTP errors map to pgmonctl's exit codes and one-line messages.
async fn exit_codes_over_the_wire() {
    let (_tmp, dir) = seed_config();
    let d = Daemon::start(&dir);
    let url = format!("http://127.0.0.1:{}", d.port);
    let xdg = tempfile::tempdir().unwrap();
    let xdg_env = ("XDG_CONFIG_HOME", xdg.path().to_str().unwrap());
    let view_token = d.api().token("view", "view-pass-1").await;
    let as_view = [xdg_env, ("PGMON_TOKEN", view_token.as_str())];
    type Case<'a> = (Vec<&'a str>, Vec<(&'a str, &'a str)>, i32, &'a str);
    let cases: Vec<Case> = vec![
        (
            vec!["--url", &url, "users", "list"],
            vec![xdg_env],
            3,
            "Not authenticated",
        ),
        (
            vec!["--url", &url, "users", "list"],
            as_view.to_vec(),
            3,
            "role required",
        ),
        (
            vec![
                "--socket",
                d.socket.to_str().unwrap(),
                "users",
                "show",
                "nobody",
            ],
            vec![],
            4,
            "User not found",
        ),
        (
            vec![
                "--socket",
                d.socket.to_str().unwrap(),
                "servers",
                "remove",
                "nope",
            ],
            vec![],
            4,
            "Server not found",
        ),
        (
            vec![
                "--socket",
                d.socket.to_str().unwrap(),
                "users",
                "add",
                "oper",
                "--password-stdin",
            ],
            vec![],
            1,
            "User oper already exists",
        ),
        (
            vec!["--url", "http://127.0.0.1:1", "health"],
            vec![xdg_env],
            5,
            "cannot reach",
        ),
        (
            vec!["--socket", "/nonexistent/pgmond.sock", "health"],
            vec![],
            5,
            "cannot reach",
        ),
        (
            vec!["--config-dir", dir.to_str().unwrap(), "health"],
            vec![],
            5,
            "needs the daemon",
        ),
        (
            vec!["login", "--user", "admin", "--password-stdin"],
            vec![xdg_env],
            2,
            "add --url",
        ),
    ];
    for (args, env, code, text) in cases {
        let out = run_pgmonctl(&args, "long-pass-1\n", &env);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(code), "{args:?}: {err}");
        assert!(err.contains(text), "{args:?}: {err}");
        assert_eq!(err.trim_end().lines().count(), 1, "{args:?}: {err}");
    }
    let bad_login = pgmonctl_login(&url, "admin", "wrong", &[], &[xdg_env]);
    assert_eq!(bad_login.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&bad_login.stderr).contains("Invalid credentials"));
}

#[tokio::test]
/// A second daemon refuses a socket that a live one serves; a stale socket file is replaced.
async fn socket_hygiene() {
    let (_tmp, dir) = seed_config();
    let mut first = Daemon::binary(&dir, &[]);
    let out = pgmond_to_exit(&dir, &first.socket, &[]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("another pgmond"));
    assert!(first.terminate().unwrap().success());
    assert!(!first.socket.exists(), "socket left after clean shutdown");

    // A stale socket file (a killed daemon's) does not stop the next start.
    let stale = std::os::unix::net::UnixListener::bind(&first.socket).unwrap();
    drop(stale);
    let second = Daemon::binary(&dir, &[]);
    assert_eq!(curl_socket(&second, "/api/health")["status"], "ok");
}
