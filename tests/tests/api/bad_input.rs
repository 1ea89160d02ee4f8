//! Bad input gets a one-line error, the right exit code, and loses nothing.

use std::fs;

use pgmon_tests::daemon::pgmonctl;
use pgmon_tests::fixtures::seed_config;

fn stderr_line(out: &std::process::Output) -> String {
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(err.trim_end().lines().count(), 1, "not one line: {err:?}");
    assert!(err.starts_with("pgmonctl: "), "{err}");
    err
}

#[test]
/// A malformed users.json: exit 1, a one-line error naming the file, the file untouched.
fn malformed_users_file() {
    let (_tmp, dir) = seed_config();
    let path = dir.join("users.json");
    fs::write(&path, "[{\"login\": \"admin\",").unwrap();
    for args in [
        &["users", "list"][..],
        &["users", "add", "x", "--password-stdin"],
    ] {
        let out = pgmonctl(&dir, args, "long-pass-1\n");
        assert_eq!(out.status.code(), Some(1), "{args:?}");
        let err = stderr_line(&out);
        assert!(err.contains(&path.display().to_string()), "{err}");
        assert_eq!(
            fs::read_to_string(&path).unwrap(),
            "[{\"login\": \"admin\","
        );
    }
    // A wrong shape (a field of the wrong type) is just as clear.
    fs::write(&path, "[{\"login\": 1, \"password\": \"x\"}]").unwrap();
    let out = pgmonctl(&dir, &["users", "list"], "");
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr_line(&out).contains("users.json"));
}

#[test]
/// Unknown entries exit 4, refused changes exit 1, usage errors exit 2; nothing is written.
fn exit_codes() {
    let (_tmp, dir) = seed_config();
    let users = dir.join("users.json");
    let servers = dir.join("servers.json");
    let before = (fs::read(&users).unwrap(), fs::read(&servers).unwrap());
    let cases: &[(&[&str], &str, i32, &str)] = &[
        (&["users", "show", "nobody"], "", 4, "User not found"),
        (&["users", "delete", "nobody"], "", 4, "User not found"),
        (&["servers", "show", "nope"], "", 4, "Server not found"),
        (&["servers", "remove", "nope"], "", 4, "Server not found"),
        (
            &["users", "add", "admin", "--password-stdin"],
            "long-pass-1\n",
            1,
            "User admin already exists",
        ),
        (
            &["users", "add", "../etc", "--password-stdin"],
            "long-pass-1\n",
            1,
            "Invalid login",
        ),
        (
            &["users", "add", "new", "--password-stdin"],
            "",
            2,
            "no password on standard input",
        ),
        (&["users", "add", "new"], "", 2, "no password given"),
        (
            &["users", "add", "new", "--email", "nope", "--password-stdin"],
            "long-pass-1\n",
            1,
            "Invalid email",
        ),
        (
            &["users", "add", "new", "--role", "root"],
            "",
            2,
            "unknown role",
        ),
        (&["users", "delete", "admin"], "", 1, "last active admin"),
        (
            &["users", "update", "admin", "--role", "viewer"],
            "",
            1,
            "last active admin",
        ),
        (
            &["users", "update", "admin", "--active", "false"],
            "",
            1,
            "last active admin",
        ),
        (
            &[
                "servers",
                "add",
                "x",
                "--host",
                "h;rm -rf",
                "--user",
                "u",
                "--no-check",
            ],
            "",
            1,
            "Invalid host address",
        ),
        (
            &[
                "servers",
                "add",
                "a/b",
                "--host",
                "h",
                "--user",
                "u",
                "--no-check",
            ],
            "",
            1,
            "Invalid server name",
        ),
        (
            &["servers", "add", "x", "--user", "u"],
            "",
            2,
            "--host <HOST>",
        ),
        (
            &[
                "servers",
                "add",
                "local-pg",
                "--host",
                "h",
                "--user",
                "u",
                "--no-check",
            ],
            "",
            1,
            "already exists",
        ),
        (
            &["servers", "update", "billing", "--new-name", "legacy"],
            "",
            1,
            "already exists",
        ),
        (
            &["servers", "update", "billing", "--ssh-key", "no-such-key"],
            "",
            4,
            "SSH key not found",
        ),
        (
            &["servers", "update", "billing", "--port", "0"],
            "",
            1,
            "Invalid port",
        ),
        (
            &["servers", "update", "billing", "--port", "99999"],
            "",
            2,
            "99999",
        ),
        (&["users", "frobnicate"], "", 2, "frobnicate"),
    ];
    for (args, stdin, code, text) in cases {
        let out = pgmonctl(&dir, args, stdin);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(*code), "{args:?}: {err}");
        assert!(err.contains(text), "{args:?}: {err}");
        if *code != 2 {
            stderr_line(&out);
        }
    }
    assert_eq!(
        (fs::read(&users).unwrap(), fs::read(&servers).unwrap()),
        before
    );
}

#[test]
/// An unreachable server is refused unless --no-check is given (nothing listens on port 1).
fn unreachable_server_refused() {
    let (_tmp, dir) = seed_config();
    let out = pgmonctl(
        &dir,
        &[
            "servers",
            "add",
            "dead",
            "--host",
            "127.0.0.1",
            "--port",
            "1",
            "--user",
            "u",
        ],
        "",
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr_line(&out).contains("Server 127.0.0.1:1 is unreachable. Check address and port.")
    );
    let out = pgmonctl(
        &dir,
        &[
            "servers",
            "add",
            "dead",
            "--host",
            "127.0.0.1",
            "--port",
            "1",
            "--user",
            "u",
            "--no-check",
        ],
        "",
    );
    assert!(out.status.success());
}

#[test]
/// A missing config dir is named in a one-line error.
fn missing_config_dir() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("nope");
    let out = pgmonctl(&dir, &["users", "list"], "");
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr_line(&out).contains(&dir.display().to_string()));
}
