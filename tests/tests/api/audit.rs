//! The audit trail: every kind of change and every checked login, with the right actor (the
//! token's user, or the socket's uid), read back through `GET /audit` with its filters and
//! through `pgmonctl audit`; never a secret in `audit.log`.

use std::net::TcpListener;

use pgmon_tests::daemon::{Daemon, json_of, stdout_of};
use pgmon_tests::fixtures::{PLAINTEXT_SECRETS, seed_config};
use serde_json::{Value, json};

/// (actor, action, target, outcome) of every entry, oldest first.
fn facts(page: &Value) -> Vec<(String, String, String, String)> {
    let mut all: Vec<_> = page["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            let s = |k: &str| e[k].as_str().unwrap_or("-").to_owned();
            (s("actor"), s("action"), s("target"), s("outcome"))
        })
        .collect();
    all.reverse();
    all
}

fn fact(
    actor: &str,
    action: &str,
    target: &str,
    outcome: &str,
) -> (String, String, String, String) {
    (actor.into(), action.into(), target.into(), outcome.into())
}

#[tokio::test]
async fn changes_and_logins_are_audited() {
    let (_tmp, dir) = seed_config();
    let d = Daemon::start(&dir);
    let api = d.api();
    let bad = api
        .send(
            api.request(reqwest::Method::POST, "/token")
                .form(&[("username", "oper"), ("password", "wrong-pass-0")]),
        )
        .await;
    assert_eq!(bad.status, 401);
    let admin = d.api_as("admin", "admin-pass-1").await;
    let oper = d.api_as("oper", "oper-pass-1").await;
    let view = d.api_as("view", "view-pass-1").await;

    let a = admin
        .post(
            "/users",
            &json!({"login": "carol", "password": "carol-secret-77", "role": "viewer"}),
        )
        .await;
    assert_eq!(a.status, 200, "{}", a.body);
    assert_eq!(
        admin
            .put("/users/carol", &json!({"password": "carol-secret-88"}))
            .await
            .status,
        200
    );
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let server = json!({"name": "audited", "host": "127.0.0.1", "port": port, "user": "postgres",
        "password": "srv-secret-55"});
    let a = oper.post("/servers?check=false", &server).await;
    assert_eq!(a.status, 200, "{}", a.body);
    let mut changed = server.clone();
    changed["password"] = json!("srv-secret-66");
    let a = oper.put("/servers/audited", &changed).await;
    assert_eq!(a.status, 200, "{}", a.body);
    assert_eq!(view.delete("/servers/audited").await.status, 403);
    assert_eq!(oper.delete("/servers/audited").await.status, 200);
    assert_eq!(admin.delete("/users/carol").await.status, 200);
    let a = admin
        .put("/settings", &json!({"collect_interval": 1200}))
        .await;
    assert_eq!(a.status, 200, "{}", a.body);
    // Through the admin socket: the actor is the peer's uid.
    let out = d.pgmonctl_socket(
        &["ssh-keys", "generate", "audit-key", "--type", "ed25519"],
        "",
    );
    stdout_of(&out);
    // Probes and reads are not changes.
    assert_eq!(oper.post("/servers/test", &server).await.status, 200);
    assert_eq!(admin.get("/users").await.status, 200);

    let uid = nix::unistd::getuid().as_raw();
    let socket = format!("socket:uid={uid}");
    let page = admin.get("/audit?limit=1000").await;
    assert_eq!(page.status, 200, "{}", page.body);
    let expected = vec![
        fact("oper", "login", "-", "denied"),
        fact("admin", "login", "-", "success"),
        fact("oper", "login", "-", "success"),
        fact("view", "login", "-", "success"),
        fact("admin", "user.create", "carol", "success"),
        fact("admin", "user.update", "carol", "success"),
        fact("oper", "server.create", "audited", "success"),
        fact("oper", "server.update", "audited", "success"),
        fact("view", "server.delete", "audited", "denied"),
        fact("oper", "server.delete", "audited", "success"),
        fact("admin", "user.delete", "carol", "success"),
        fact("admin", "settings.update", "-", "success"),
        fact(&socket, "ssh_key.generate", "audit-key", "success"),
    ];
    assert_eq!(facts(&page.body), expected);
    let first = &page.body["entries"].as_array().unwrap().last().unwrap();
    assert_eq!(first["source"], "127.0.0.1");
    assert_eq!(first["status"], 401);

    // Filters and pages.
    let got = |q: &str| {
        let admin = &admin;
        let q = q.to_owned();
        async move {
            let a = admin.get(&format!("/audit?{q}")).await;
            assert_eq!(a.status, 200, "{q}: {}", a.body);
            a.body
        }
    };
    assert_eq!(facts(&got("actor=oper").await).len(), 5);
    assert_eq!(facts(&got("action=server.").await).len(), 4);
    assert_eq!(
        facts(&got("outcome=denied").await),
        [
            fact("oper", "login", "-", "denied"),
            fact("view", "server.delete", "audited", "denied")
        ]
    );
    assert_eq!(
        facts(&got("target=carol&action=user.delete").await).len(),
        1
    );
    assert!(facts(&got("since=2999-01-01T00:00:00Z").await).is_empty());
    assert_eq!(
        facts(&got("until=2000-01-01T00:00:00%2B02:00").await).len(),
        0
    );
    let p1 = got("limit=5").await;
    assert_eq!(p1["next_offset"], 5);
    let p3 = got("limit=5&offset=10").await;
    assert_eq!(facts(&p3).len(), 3);
    assert!(p3.get("next_offset").is_none());
    assert_eq!(facts(&p3)[0], expected[0]);

    // Refused: other roles, bad filters.
    assert_eq!(oper.get("/audit").await.status, 403);
    assert_eq!(api.get("/audit").await.status, 401);
    // Out of range or not parsing at all: 422 naming the parameter either way.
    for (q, field) in [
        ("since=yesterday", "since"),
        ("outcome=maybe", "outcome"),
        ("limit=0", "limit"),
        ("limit=x", "limit"),
        ("offset=-1", "offset"),
    ] {
        let a = admin.get(&format!("/audit?{q}")).await;
        assert_eq!(a.status, 422, "{q}: {}", a.body);
        assert_eq!(
            a.body["detail"][0]["loc"],
            json!(["query", field]),
            "{q}: {}",
            a.body
        );
    }

    // The file: 0600, one JSON object a line, no secret.
    let log = std::fs::read_to_string(dir.join("audit.log")).unwrap();
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(dir.join("audit.log"))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600);
    for secret in [
        "carol-secret-77",
        "carol-secret-88",
        "srv-secret-55",
        "srv-secret-66",
        "wrong-pass-0",
        "admin-pass-1",
        "oper-pass-1",
        "gAAAAA",
        "PRIVATE KEY",
    ]
    .iter()
    .chain(PLAINTEXT_SECRETS)
    {
        assert!(!log.contains(secret), "{secret} in audit.log");
    }
    assert!(
        log.lines()
            .all(|l| serde_json::from_str::<Value>(l).is_ok())
    );

    // pgmonctl, over the socket: a table, JSON, filters.
    let table = stdout_of(&d.pgmonctl_socket(&["audit", "--actor", "oper"], ""));
    assert!(
        table.contains("server.update") && table.contains("audited"),
        "{table}"
    );
    assert!(!table.contains("user.create"), "{table}");
    let listed = json_of(&d.pgmonctl_socket(
        &[
            "--output", "json", "audit", "--action", "user.", "--limit", "2",
        ],
        "",
    ));
    let actions: Vec<&str> = listed
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, ["user.delete", "user.update"]);
    let out = d.pgmonctl_socket(&["audit", "--since", "soon"], "");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success() && err.contains("since"), "{err}");
}

#[test]
/// A change made with `pgmonctl --config-dir` (a password reset on the machine) is in the
/// audit trail as pgmond writes it; with the trail unwritable the change is refused and not
/// made.
fn local_changes_are_audited() {
    let (_tmp, dir) = pgmon_tests::fixtures::seed_config();
    let out = pgmon_tests::daemon::pgmonctl(
        &dir,
        &["users", "passwd", "admin", "--password-stdin"],
        "a-new-admin-pass\n",
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let log = std::fs::read_to_string(dir.join("audit.log")).unwrap();
    let entry: serde_json::Value = serde_json::from_str(log.lines().last().unwrap()).unwrap();
    assert_eq!(
        (
            &entry["action"],
            &entry["target"],
            &entry["outcome"],
            &entry["source"]
        ),
        (
            &serde_json::json!("user.update"),
            &serde_json::json!("admin"),
            &serde_json::json!("success"),
            &serde_json::json!("config-dir")
        ),
        "{entry}"
    );
    assert!(
        entry["actor"].as_str().unwrap().starts_with("local:"),
        "{entry}"
    );
    assert!(!log.contains("a-new-admin-pass"), "a secret in the trail");

    std::fs::remove_file(dir.join("audit.log")).unwrap();
    std::fs::create_dir(dir.join("audit.log")).unwrap();
    let before = std::fs::read_to_string(dir.join("users.json")).unwrap();
    let out = pgmon_tests::daemon::pgmonctl(
        &dir,
        &["users", "passwd", "admin", "--password-stdin"],
        "another-admin-pass\n",
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("audit log"));
    assert_eq!(
        std::fs::read_to_string(dir.join("users.json")).unwrap(),
        before
    );
}
