//! `pgmonctl apply` and `export` on all three targets, the idempotent imperative forms, the
//! cron check, and the example Ansible playbook run by a real `ansible-playbook`.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::SystemTime;

use pgmon_tests::daemon::{Daemon, json_of, run_pgmonctl};
use pgmon_tests::fixtures::seed_config;
use pgmon_tests::python;
use serde_json::Value;

/// How a test reaches pgmon: the files, the admin socket, or HTTP after a login.
enum Via<'a> {
    Files(&'a Path),
    Socket(&'a Daemon),
    Http(&'a Daemon, &'a Path),
}

impl Via<'_> {
    fn run(&self, args: &[&str], env: &[(&str, &str)]) -> Output {
        let mut full: Vec<String> = match self {
            Via::Files(dir) => vec!["--config-dir".into(), dir.display().to_string()],
            Via::Socket(d) => vec!["--socket".into(), d.socket.display().to_string()],
            Via::Http(d, _) => vec!["--url".into(), d.url("")],
        };
        full.extend(args.iter().map(|a| a.to_string()));
        let mut env: Vec<(&str, String)> = env.iter().map(|(k, v)| (*k, v.to_string())).collect();
        if let Via::Http(_, xdg) = self {
            env.push(("XDG_CONFIG_HOME", xdg.display().to_string()));
        }
        let args: Vec<&str> = full.iter().map(String::as_str).collect();
        let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
        run_pgmonctl(&args, "", &env)
    }

    /// `apply --output json` of `file` with `extra` flags: the report.
    fn apply(&self, file: &Path, extra: &[&str], env: &[(&str, &str)]) -> Value {
        let mut args = vec!["--output", "json", "apply", "-f", file.to_str().unwrap()];
        args.extend_from_slice(extra);
        json_of(&self.run(&args, env))
    }
}

fn mtimes(dir: &Path) -> Vec<SystemTime> {
    ["servers.json", "users.json"]
        .iter()
        .map(|f| std::fs::metadata(dir.join(f)).unwrap().modified().unwrap())
        .collect()
}

/// `(kind, name) -> (action, fields)` of a report.
fn actions(report: &Value) -> Vec<(String, String, String, Vec<String>)> {
    report["actions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            let fields = a["fields"]
                .as_array()
                .map(|f| f.iter().map(|x| x.as_str().unwrap().to_owned()).collect())
                .unwrap_or_default();
            (
                a["kind"].as_str().unwrap().to_owned(),
                a["name"].as_str().unwrap().to_owned(),
                a["action"].as_str().unwrap().to_owned(),
                fields,
            )
        })
        .collect()
}

fn action_of(report: &Value, name: &str) -> (String, Vec<String>) {
    actions(report)
        .into_iter()
        .find(|(_, n, _, _)| n == name)
        .map(|(_, _, a, f)| (a, f))
        .unwrap_or_else(|| panic!("no action for {name}: {report}"))
}

const SPEC: &str = "
servers:
  - name: app-db
    host: 127.0.0.1
    port: 6001
    user: monitor
    password_env: APP_DB_PASSWORD
  - name: report-db
    host: 127.0.0.1
    port: 6002
    user: monitor
    password_file: PASSWORD_FILE
  - name: tls-db
    host: 127.0.0.1
    port: 6004
    user: monitor
    stats_db: stats
    ssh_user: postgres
    ssh_port: 2222
    allow_cleartext_password: true
    collect_interval: 120
    sslmode: verify-ca
    sslrootcert: ca.crt
    sslcert: client.crt
    sslkey: client.key
users:
  - login: admin
    role: admin
    email: dba@example.com
  - login: oncall
    role: operator
    email: oncall@example.com
    password_env: ONCALL_PASSWORD
";

/// The TLS files tls-db names, in config dir `dir` where a relative path is read.
fn tls_files(dir: &Path) {
    for file in ["ca.crt", "client.crt", "client.key"] {
        std::fs::write(dir.join(file), "-----BEGIN CERTIFICATE-----\n").unwrap();
        std::fs::set_permissions(
            dir.join(file),
            std::os::unix::fs::PermissionsExt::from_mode(0o600),
        )
        .unwrap();
    }
}

/// Spec file `name` in `tmp`, with its password file.
fn spec_file(tmp: &Path, name: &str, text: &str) -> PathBuf {
    let secret = tmp.join("report-db.pw");
    std::fs::write(&secret, "from-a-file\n").unwrap();
    let path = tmp.join(name);
    std::fs::write(
        &path,
        text.replace("PASSWORD_FILE", secret.to_str().unwrap()),
    )
    .unwrap();
    path
}

const SECRETS: &[(&str, &str)] = &[
    ("APP_DB_PASSWORD", "from-the-env"),
    ("ONCALL_PASSWORD", "oncall-pass-1"),
];

/// The whole cycle on one target: create, repeat (nothing written), one field changed,
/// dry run, prune (refusing the last admin, then deleting), export then apply.
fn cycle(via: &Via, dir: &Path, tmp: &Path) {
    tls_files(dir);
    let spec = spec_file(tmp, "inventory.yml", SPEC);
    let first = via.apply(&spec, &[], SECRETS);
    assert_eq!(first["changed"], true, "{first}");
    assert_eq!(action_of(&first, "tls-db").0, "created", "{first}");
    assert_eq!(action_of(&first, "app-db").0, "created");
    assert_eq!(action_of(&first, "oncall").0, "created");
    assert_eq!(action_of(&first, "admin").0, "unchanged");

    let before = mtimes(dir);
    // No secrets in the environment now: nothing needs them.
    let again = via.apply(&spec, &[], &[]);
    assert_eq!(again["changed"], false, "{again}");
    assert!(
        actions(&again).iter().all(|(_, _, a, _)| a == "unchanged"),
        "{again}"
    );
    assert_eq!(mtimes(dir), before, "a no-op apply wrote a file");

    let moved = spec_file(tmp, "moved.yml", &SPEC.replace("port: 6002", "port: 6003"));
    let dry = via.apply(&moved, &["--dry-run"], &[]);
    assert_eq!(
        (dry["changed"].clone(), dry["dry_run"].clone()),
        (true.into(), true.into())
    );
    assert_eq!(mtimes(dir), before, "a dry run wrote a file");
    let changed = via.apply(&moved, &[], &[]);
    // The password file moves with it, since the target changed.
    assert_eq!(
        action_of(&changed, "report-db"),
        ("updated".into(), vec!["port".into(), "password".into()])
    );
    assert_eq!(action_of(&changed, "app-db").0, "unchanged");
    assert_eq!(action_of(&changed, "oncall").0, "unchanged");

    // Prune: without the admin in the file it refuses; with it, the rest goes (after --yes).
    let no_admin = spec_file(
        tmp,
        "no-admin.yml",
        &SPEC.replace(
            "  - login: admin\n    role: admin\n    email: dba@example.com\n",
            "",
        ),
    );
    let out = via.run(
        &[
            "apply",
            "-f",
            no_admin.to_str().unwrap(),
            "--prune",
            "--yes",
        ],
        &[],
    );
    assert_ne!(out.status.code(), Some(0));
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(err.contains("admin"), "{err}");
    let out = via.run(&["apply", "-f", moved.to_str().unwrap(), "--prune"], &[]);
    assert_eq!(
        out.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(err.contains("--yes"), "{err}");
    let pruned = via.apply(&moved, &["--prune", "--yes"], &[]);
    for gone in ["local-pg", "billing", "oper", "view", "gone"] {
        assert_eq!(action_of(&pruned, gone).0, "deleted", "{pruned}");
    }

    // What export writes, apply finds already true.
    let exported = via.run(&["export"], &[]);
    assert!(
        exported.status.success(),
        "{}",
        String::from_utf8_lossy(&exported.stderr)
    );
    let text = String::from_utf8(exported.stdout).unwrap();
    assert!(
        !text.contains("from-the-env") && !text.contains("gAAAAA"),
        "{text}"
    );
    // Every field of a server goes out, so the replay below changes nothing.
    for field in [
        "collect_interval: 120",
        "sslmode: verify-ca",
        "sslrootcert: ca.crt",
        "sslcert: client.crt",
        "sslkey: client.key",
        "allow_cleartext_password: true",
        "ssh_port: 2222",
        "stats_db: stats",
    ] {
        assert!(text.contains(field), "{field} not exported:\n{text}");
    }
    let export_file = tmp.join("export.yml");
    std::fs::write(&export_file, text).unwrap();
    let before = mtimes(dir);
    let replay = via.apply(&export_file, &[], &[]);
    assert_eq!(replay["changed"], false, "{replay}");
    assert_eq!(mtimes(dir), before);
}

#[test]
/// On the config dir: the cycle, and the secrets stored as Fernet tokens Python decrypts.
fn apply_on_files() {
    let (tmp, dir) = seed_config();
    cycle(&Via::Files(&dir), &dir, tmp.path());
    let script = r#"
import json, sys
from cryptography.fernet import Fernet
f = Fernet(open(sys.argv[1] + "/encryption_key.key", "rb").read().strip())
s = {x["name"]: x for x in json.load(open(sys.argv[1] + "/servers.json"))}
print(f.decrypt(s["app-db"]["password"].encode()).decode(), f.decrypt(s["report-db"]["password"].encode()).decode())
"#;
    assert_eq!(
        python::run(script, &[dir.to_str().unwrap()]),
        "from-the-env from-a-file"
    );
}

#[tokio::test]
/// Through the admin socket: the same cycle.
async fn apply_on_the_socket() {
    let (tmp, dir) = seed_config();
    let d = Daemon::start(&dir);
    cycle(&Via::Socket(&d), &dir, tmp.path());
}

#[tokio::test]
/// Over HTTP as a logged-in admin: the same cycle; prune never deletes the caller.
async fn apply_over_http() {
    let (tmp, dir) = seed_config();
    let d = Daemon::start(&dir);
    let xdg = tmp.path().join("xdg");
    let login = run_pgmonctl(
        &[
            "--url",
            &d.url(""),
            "login",
            "--user",
            "admin",
            "--password-stdin",
        ],
        "admin-pass-1\n",
        &[("XDG_CONFIG_HOME", xdg.to_str().unwrap())],
    );
    assert!(login.status.success());
    let via = Via::Http(&d, &xdg);
    // A file without the caller (but with another admin) is refused under --prune.
    let other_admin = spec_file(
        tmp.path(),
        "other-admin.yml",
        &SPEC.replace(
            "login: admin\n    role: admin",
            "login: oncall2\n    role: admin\n    password_env: ONCALL_PASSWORD",
        ),
    );
    let out = via.run(
        &[
            "apply",
            "-f",
            other_admin.to_str().unwrap(),
            "--prune",
            "--yes",
        ],
        SECRETS,
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("would delete admin"));
    cycle(&via, &dir, tmp.path());
}

#[test]
/// An unknown field, a wrong type, a missing variable and an unreadable file each give one
/// error naming the object and the field, and nothing is written.
fn bad_files_change_nothing() {
    let (tmp, dir) = seed_config();
    let via = Via::Files(&dir);
    let before = mtimes(&dir);
    let cases = [
        (
            SPEC.replace("    port: 6001\n", "    prot: 6001\n"),
            "servers[app-db]",
            "prot",
        ),
        (
            SPEC.replace("port: 6001", "port: high"),
            "servers[app-db].port",
            "invalid type",
        ),
        (
            SPEC.to_owned(),
            "servers[app-db].password_env",
            "APP_DB_PASSWORD is not set",
        ),
        (
            SPEC.replace(
                "password_env: APP_DB_PASSWORD",
                "password_file: /nonexistent/pw",
            ),
            "servers[app-db].password_file",
            "cannot read /nonexistent/pw",
        ),
    ];
    for (text, at, why) in cases {
        let file = spec_file(tmp.path(), "bad.yml", &text);
        let out = via.run(
            &["apply", "-f", file.to_str().unwrap()],
            &[("ONCALL_PASSWORD", "oncall-pass-1")],
        );
        let err = String::from_utf8_lossy(&out.stderr).into_owned();
        assert_eq!(out.status.code(), Some(2), "{at}: {err}");
        assert!(
            err.contains(at) && err.contains(why),
            "expected {at} / {why}: {err}"
        );
        assert_eq!(err.trim_end().lines().count(), 1, "{err}");
        assert_eq!(mtimes(&dir), before, "{at}: a file was written");
    }
    // A change refused by the store (a duplicate rename target) leaves both files too.
    let bad_user = spec_file(
        tmp.path(),
        "bad-user.yml",
        &SPEC.replace("login: oncall", "login: \"bad login\""),
    );
    let out = via.run(&["apply", "-f", bad_user.to_str().unwrap()], SECRETS);
    assert_ne!(out.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&out.stderr).contains("user bad login: Invalid login"));
    assert_eq!(mtimes(&dir), before);
}

#[tokio::test]
/// `--if-not-exists` and `--if-exists` say whether they changed anything and succeed either
/// way; `stats status --fail-on-down` lists only the servers that are down and exits 1.
async fn idempotent_commands_and_the_cron_check() {
    let (_tmp, dir) = seed_config();
    let via = Via::Files(&dir);
    let add = [
        "--output",
        "json",
        "servers",
        "add",
        "x1",
        "--host",
        "127.0.0.1",
        "--user",
        "u",
        "--no-check",
        "--if-not-exists",
    ];
    assert_eq!(json_of(&via.run(&add, &[]))["changed"], true);
    assert_eq!(json_of(&via.run(&add, &[]))["changed"], false);
    let remove = ["--output", "json", "servers", "remove", "x1", "--if-exists"];
    assert_eq!(json_of(&via.run(&remove, &[]))["changed"], true);
    assert_eq!(json_of(&via.run(&remove, &[]))["changed"], false);
    let out = via.run(&["servers", "remove", "x1"], &[]);
    assert_eq!(out.status.code(), Some(4));
    let user = [
        "--output",
        "json",
        "users",
        "add",
        "oper",
        "--if-not-exists",
    ];
    assert_eq!(json_of(&via.run(&user, &[]))["changed"], false);
    let delete = [
        "--output",
        "json",
        "users",
        "delete",
        "nobody",
        "--if-exists",
    ];
    assert_eq!(json_of(&via.run(&delete, &[]))["changed"], false);

    let d = Daemon::start(&dir);
    let out = Via::Socket(&d).run(
        &["--output", "json", "stats", "status", "--fail-on-down"],
        &[],
    );
    assert_eq!(out.status.code(), Some(1));
    let down: Value = serde_json::from_slice(&out.stdout).unwrap();
    let names: Vec<&str> = down
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert!(names.contains(&"billing") && !names.is_empty(), "{names:?}");
    assert!(down.as_array().unwrap().iter().all(|s| s["status"] != "ok"));
    assert!(String::from_utf8_lossy(&out.stderr).contains("servers not ok"));
}

#[tokio::test]
/// The example playbook, run twice by ansible-playbook against a throwaway daemon: the first
/// run reports `changed=1`, the second `changed=0`.
async fn ansible_playbook_reports_changed_truthfully() {
    let (tmp, dir) = seed_config();
    tls_files(&dir);
    let d = Daemon::start(&dir);
    let spec = spec_file(tmp.path(), "inventory.yml", SPEC);
    let playbook =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../packaging/examples/pgmon-apply.yml");
    let home = tmp.path().join("ansible");
    let run = || {
        Command::new("ansible-playbook")
            .args(["-i", "localhost,", playbook.to_str().unwrap()])
            .arg("-e")
            .arg(format!("pgmonctl={}", pgmon_tests::bins::pgmonctl().display()))
            .arg("-e")
            .arg(format!("pgmon_spec={}", spec.display()))
            .arg("-e")
            .arg("ansible_python_interpreter=python3")
            .env("PGMON_SOCKET", &d.socket)
            .env("ANSIBLE_HOME", &home)
            .env("ANSIBLE_LOCAL_TEMP", home.join("tmp"))
            .env("ANSIBLE_NOCOLOR", "1")
            .env("LC_ALL", "C.UTF-8")
            .envs(SECRETS.iter().copied())
            .output()
            .unwrap_or_else(|e| panic!("running ansible-playbook: {e}; run the tests with `tests/run`, which installs ansible-core into target/test-venv"))
    };
    for expected in ["changed=1", "changed=0"] {
        let out = run();
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        assert!(
            out.status.success(),
            "{text}\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let recap = text
            .lines()
            .skip_while(|l| !l.starts_with("PLAY RECAP"))
            .nth(1)
            .unwrap_or_default();
        assert!(recap.contains(expected), "expected {expected}: {text}");
    }
}

#[tokio::test]
/// Over the API each change is its own request: when one is refused, the report shows what
/// was made, which change failed and why, and what was not tried; the exit code is not 0.
async fn remote_apply_says_where_it_stopped() {
    let (tmp, dir) = seed_config();
    // The seed has 5 servers: the sixth fits, the seventh does not.
    std::fs::write(dir.join("pgmond.toml"), "max_servers = 6\n").unwrap();
    let d = Daemon::start(&dir);
    let spec = spec_file(tmp.path(), "inventory.yml", SPEC);
    let out = Via::Socket(&d).run(
        &["--output", "json", "apply", "-f", spec.to_str().unwrap()],
        SECRETS,
    );
    assert_eq!(out.status.code(), Some(1));
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["changed"], true);
    assert_eq!(action_of(&report, "app-db").0, "created");
    assert_eq!(action_of(&report, "report-db").0, "failed");
    assert_eq!(action_of(&report, "oncall").0, "skipped");
    let failed = &report["actions"][1];
    assert!(
        failed["error"]
            .as_str()
            .unwrap()
            .contains("Server limit reached"),
        "{report}"
    );
}

#[test]
/// A dry run of changes whose secrets are not at hand (their variables unset, as outside the
/// CI job that has them) shows the plan and says the real run will need them; the real run
/// without them still refuses.
fn a_dry_run_names_the_secrets_the_real_run_needs() {
    let (tmp, dir) = seed_config();
    tls_files(&dir);
    let spec = spec_file(tmp.path(), "inventory.yml", SPEC);
    let via = Via::Files(&dir);
    let out = via.run(
        &[
            "--output",
            "json",
            "apply",
            "-f",
            spec.to_str().unwrap(),
            "--dry-run",
        ],
        &[],
    );
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.status.success(), "{err}");
    assert!(
        err.contains("APP_DB_PASSWORD is not set: the real run will need it"),
        "{err}"
    );
    let report = json_of(&out);
    assert_eq!(action_of(&report, "app-db").0, "created", "{report}");
    let real = via.run(&["apply", "-f", spec.to_str().unwrap()], &[]);
    assert_eq!(real.status.code(), Some(2));
}

#[tokio::test]
/// Alert channels in a file, through the socket: created with the secret from the environment
/// (never echoed), unchanged on a second run, a changed field updated, `--prune` deleting the
/// one the file dropped, `export` listing them with `_env` references; the files refuse them.
async fn alert_channels_in_apply_files() {
    let (tmp, dir) = seed_config();
    let d = Daemon::start(&dir);
    let via = Via::Socket(&d);
    let text = "
alert_channels:
  - name: ops
    kind: webhook
    url: https://hooks.example.test/pgmon
    secret_env: HOOK_SECRET
    min_severity: critical
    servers: [\"prod-*\"]
  - name: am
    kind: alertmanager
    url: http://127.0.0.1:9093
";
    let file = spec_file(tmp.path(), "channels.yml", text);
    let env = [("HOOK_SECRET", "hm4c-from-env")];
    let first = via.apply(&file, &[], &env);
    assert_eq!(action_of(&first, "ops").0, "created", "{first}");
    assert_eq!(action_of(&first, "am").0, "created");
    let again = via.apply(&file, &[], &env);
    assert_eq!(again["changed"], false, "{again}");
    let changed = spec_file(
        tmp.path(),
        "channels2.yml",
        &text.replace("min_severity: critical", "min_severity: warning"),
    );
    let second = via.apply(&changed, &[], &env);
    assert_eq!(
        action_of(&second, "ops"),
        ("updated".into(), vec!["min_severity".into()])
    );
    let export = String::from_utf8(via.run(&["export"], &[]).stdout).unwrap();
    assert!(
        export.contains("secret_env: PGMON_CHANNEL_OPS_SECRET"),
        "{export}"
    );
    assert!(!export.contains("hm4c-from-env"), "{export}");
    // The export without `am`, pruned: only `am` goes.
    let without_am = export.split("- name: am").next().unwrap().to_owned();
    let fewer = spec_file(tmp.path(), "channels3.yml", &without_am);
    let pruned = via.apply(
        &fewer,
        &["--prune", "--yes"],
        &[("PGMON_CHANNEL_OPS_SECRET", "x")],
    );
    let changes: Vec<_> = actions(&pruned)
        .into_iter()
        .filter(|a| a.2 != "unchanged")
        .collect();
    assert_eq!(
        changes,
        [(
            "alert_channel".into(),
            "am".into(),
            "deleted".into(),
            vec![]
        )],
        "{pruned}"
    );
    let stored = std::fs::read_to_string(dir.join("alert_channels.json")).unwrap();
    assert!(!stored.contains("hm4c-from-env"), "{stored}");
    let local = Via::Files(&dir).run(&["apply", "-f", file.to_str().unwrap()], &env);
    assert_eq!(local.status.code(), Some(5), "{local:?}");
}
