//! A newcomer's first hour with pgmonctl: daemon URLs checked as usage errors, the daemon of
//! the last login remembered, errors that say what to do, activity that admits a down server,
//! tables for people, help that describes every flag, and the small rules (password length,
//! name rules, pgmon's own sessions out of activity).

use std::path::Path;
use std::process::Output;

use pgmon_tests::daemon::{Daemon, add_local_server, json_of, pgmonctl, run_pgmonctl, stdout_of};
use pgmon_tests::fixtures::seed_config;
use pgmon_tests::net::free_port;
use pgmon_tests::postgres::TestCluster;
use serde_json::Value;

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// `pgmonctl` with its saved logins in `xdg` (never the user's own).
fn ctl(xdg: &Path, args: &[&str], stdin: &str) -> Output {
    run_pgmonctl(args, stdin, &[("XDG_CONFIG_HOME", xdg.to_str().unwrap())])
}

#[test]
/// URLs without a scheme, with a path or a bad port are usage errors (exit 2) that name the
/// expected form, from the flag and from PGMON_URL alike.
fn malformed_urls_are_usage_errors() {
    let xdg = tempfile::tempdir().unwrap();
    for url in [
        "localhost:8000",
        "127.0.0.1:8000",
        "http://127.0.0.1:8000/api",
        "http://h:0",
    ] {
        let out = ctl(xdg.path(), &["--url", url, "health"], "");
        assert_eq!(out.status.code(), Some(2), "{url}: {}", stderr(&out));
        assert!(
            stderr(&out).contains("expected http(s)://HOST:PORT"),
            "{url}: {}",
            stderr(&out)
        );
        let out = run_pgmonctl(
            &["health"],
            "",
            &[
                ("PGMON_URL", url),
                ("XDG_CONFIG_HOME", xdg.path().to_str().unwrap()),
            ],
        );
        assert_eq!(out.status.code(), Some(2), "PGMON_URL={url}");
    }
}

#[tokio::test]
/// `login` remembers the daemon: later commands without a target use it, with or without a
/// trailing slash on the URL; without a token the error says how to log in; after `logout`
/// a bare command names every way to pick a target.
async fn login_remembers_the_daemon() {
    let (_tmp, dir) = seed_config();
    let d = Daemon::start(&dir);
    let xdg = tempfile::tempdir().unwrap();
    let url = d.url("");

    let out = ctl(xdg.path(), &["--url", &url, "users", "list"], "");
    assert_eq!(out.status.code(), Some(3));
    assert!(
        stderr(&out).contains(&format!("pgmonctl --url {url} login")),
        "{}",
        stderr(&out)
    );

    let with_slash = format!("{url}/");
    let out = ctl(
        xdg.path(),
        &[
            "--url",
            &with_slash,
            "login",
            "--user",
            "admin",
            "--password-stdin",
        ],
        "admin-pass-1\n",
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let saved = xdg.path().join("pgmonctl/tokens.json");
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(
        std::fs::metadata(&saved).unwrap().permissions().mode() & 0o777,
        0o600
    );

    // No target named: the daemon logged in to.
    let users = json_of(&ctl(xdg.path(), &["--output", "json", "users", "list"], ""));
    assert!(
        users
            .as_array()
            .unwrap()
            .iter()
            .any(|u| u["login"] == "oper")
    );
    // The same daemon spelt without the slash finds the same token.
    let out = ctl(xdg.path(), &["--url", &url, "users", "list"], "");
    assert!(out.status.success(), "{}", stderr(&out));

    let out = ctl(xdg.path(), &["logout"], "");
    assert!(stdout_of(&out).contains(&format!("Logged out of {url}")));
    let out = ctl(xdg.path(), &["--url", &url, "users", "list"], "");
    assert_eq!(out.status.code(), Some(3));

    // Nothing named, nothing remembered, no daemon on the default socket, no default config
    // dir (as on any machine without a pgmon install): the error lists the ways.
    assert!(
        !Path::new("/etc/pg_activity_monitor").exists() && !Path::new("/run/pgmon").exists(),
        "this test needs a machine without a pgmon install"
    );
    let out = ctl(xdg.path(), &["health"], "");
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    for hint in [
        "pgmonctl login --url",
        "PGMON_URL",
        "--socket",
        "--config-dir",
    ] {
        assert!(
            stderr(&out).contains(hint),
            "no {hint:?} in {}",
            stderr(&out)
        );
    }
}

#[tokio::test]
/// Activity of a server that cannot be asked prints its (empty) table, names the failure and
/// exits 1, in JSON too; a live server's activity leaves out pgmon's own sessions.
async fn activity_tells_a_down_server_and_hides_pgmon() {
    let pg = TestCluster::shared();
    // A database of this test's own: other tests' daemons (other pgmons) use the cluster too.
    pg.create_database("newcomer_db").await;
    let (_tmp, dir) = seed_config();
    add_local_server(&dir, "down", free_port(), None);
    add_local_server(&dir, "live", pg.port, Some("newcomer_db"));
    let d = Daemon::start(&dir);

    let out = d.pgmonctl_socket(&["stats", "activity", "down"], "");
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stdout).contains("PID"));
    assert!(
        stderr(&out).contains("PostgreSQL: host unreachable"),
        "{}",
        stderr(&out)
    );
    let out = d.pgmonctl_socket(&["--output", "json", "stats", "activity", "down"], "");
    assert_eq!(out.status.code(), Some(1));
    let body: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(body["error"], "PostgreSQL: host unreachable");

    // A status check leaves pgmon sessions in the pool; none of them is listed.
    stdout_of(&d.pgmonctl_socket(&["servers", "show", "live"], ""));
    let body = json_of(&d.pgmonctl_socket(&["--output", "json", "stats", "activity", "live"], ""));
    let queries = body["sessions"].as_array().unwrap();
    for q in queries.iter().filter(|q| q["datname"] == "newcomer_db") {
        let text = q["query"].as_str().unwrap_or_default();
        assert!(
            !text.contains("pg_postmaster_start_time") && !text.contains("pg_stat_activity"),
            "pgmon's own session listed: {q}"
        );
    }
}

#[tokio::test]
/// Tables: `-` for a server without SSH, times as dates, background sessions by that name.
async fn tables_read_as_text() {
    let pg = TestCluster::shared();
    let (_tmp, dir) = seed_config();
    add_local_server(&dir, "plain", pg.port, None);
    let list = stdout_of(&pgmonctl(&dir, &["servers", "list"], ""));
    let row = list.lines().find(|l| l.contains(" plain ")).unwrap();
    assert!(row.contains(" - ") && !row.contains("password"), "{row}");

    let d = Daemon::start(&dir);
    let shown = stdout_of(&d.pgmonctl_socket(&["servers", "show", "plain"], ""));
    let timestamp = shown.lines().find(|l| l.contains("timestamp")).unwrap();
    assert!(timestamp.contains(" UTC"), "{timestamp}");
    let connections = shown.lines().find(|l| l.contains("connections")).unwrap();
    assert!(connections.contains("background="), "{connections}");
    assert!(!connections.contains("None"), "{connections}");
}

#[test]
/// Help names what each flag is, marks the required ones and shows defaults and choices.
fn help_describes_every_flag() {
    let xdg = tempfile::tempdir().unwrap();
    let help = stdout_of(&ctl(xdg.path(), &["servers", "add", "--help"], ""));
    assert!(
        help.contains("--host <HOST> --user <USER> <NAME>"),
        "{help}"
    );
    assert!(
        help.contains("[default: 5432]") && help.contains("[default: 22]"),
        "{help}"
    );
    assert!(help.contains("Host name or address"), "{help}");
    let help = stdout_of(&ctl(xdg.path(), &["users", "add", "--help"], ""));
    assert!(help.contains("admin, operator or viewer"), "{help}");
    let help = stdout_of(&ctl(xdg.path(), &["ssh-keys", "generate", "--help"], ""));
    assert!(help.contains("[possible values: rsa, ed25519]"), "{help}");
}

#[tokio::test]
/// New passwords have at least 8 characters (over the API and locally; existing hashes keep
/// working), and a refused name states the rule.
async fn password_length_and_name_rules() {
    let (_tmp, dir) = seed_config();
    let out = pgmonctl(
        &dir,
        &["users", "add", "bob", "--password-stdin"],
        "short\n",
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("at least 8 characters"),
        "{}",
        stderr(&out)
    );
    let out = pgmonctl(
        &dir,
        &["users", "add", "bob", "--password-stdin"],
        "long-enough\n",
    );
    assert!(out.status.success(), "{}", stderr(&out));

    let out = pgmonctl(
        &dir,
        &[
            "servers",
            "add",
            "bad name",
            "--host",
            "h",
            "--user",
            "u",
            "--no-check",
        ],
        "\n",
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("Invalid server name: 1 to 64 letters"),
        "{}",
        stderr(&out)
    );

    let d = Daemon::start(&dir);
    let admin = d.api_as("admin", "admin-pass-1").await;
    let a = admin
        .post(
            "/users",
            &serde_json::json!({"login": "carl", "password": "1234567"}),
        )
        .await;
    assert_eq!(a.status, 400, "{}", a.body);
    assert_eq!(
        a.body["detail"],
        "Password too short: at least 8 characters"
    );
}

#[tokio::test]
/// A database named with a newline, a quote and an ANSI escape (anyone who may create a
/// database can name one so) is shown escaped in the tables that list databases and sessions:
/// no raw escape reaches the terminal, no row breaks; JSON keeps the name as it is.
async fn hostile_names_are_escaped_in_tables() {
    let pg = TestCluster::shared();
    let name = "evil\n\"db\u{1b}[31m";
    let quoted = name.replace('"', "\"\"");
    let admin = pg.client("postgres").await;
    admin
        .batch_execute(&format!("DROP DATABASE IF EXISTS \"{quoted}\""))
        .await
        .unwrap();
    admin
        .batch_execute(&format!("CREATE DATABASE \"{quoted}\""))
        .await
        .unwrap();
    let mut config = tokio_postgres::Config::new();
    config
        .host("127.0.0.1")
        .port(pg.port)
        .user("postgres")
        .dbname(name);
    let (inside, connection) = config.connect(tokio_postgres::NoTls).await.unwrap();
    tokio::spawn(connection);
    let (_tmp, dir) = seed_config();
    add_local_server(&dir, "hostile", pg.port, None);
    let d = Daemon::start(&dir);
    let shown = "evil\\n\"db\\u{1b}[31m";
    for args in [
        ["stats", "databases", "hostile"],
        ["stats", "activity", "hostile"],
    ] {
        let text = stdout_of(&d.pgmonctl_socket(&args, ""));
        assert!(!text.contains('\u{1b}'), "{args:?}: a raw escape: {text:?}");
        assert!(text.contains(shown), "{args:?}: {text}");
    }
    let json =
        json_of(&d.pgmonctl_socket(&["--output", "json", "stats", "databases", "hostile"], ""));
    let listed = json["databases"].as_array().unwrap();
    assert!(listed.iter().any(|db| db["datname"] == name), "{json}");
    drop(inside);
}
