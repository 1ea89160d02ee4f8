//! `pgmonctl` local mode on a copy of the Python backend's config dir: it reads the files as
//! they are, and what it writes the Python libraries read back.

use std::fs;

use pgmon_tests::daemon::{pgmonctl, pgmonctl_json, stdout_of};
use pgmon_tests::fixtures::{PLAINTEXT_SECRETS, seed_config};
use pgmon_tests::python;
use serde_json::Value;

fn assert_no_secret(text: &str) {
    for s in PLAINTEXT_SECRETS {
        assert!(!text.contains(s), "secret {s} in output:\n{text}");
    }
    for marker in ["gAAAAA", "$2b$", "\"password\":"] {
        assert!(!text.contains(marker), "{marker} in output:\n{text}");
    }
}

#[test]
/// `users list` shows the 4 users with their roles and no password field.
fn users_list_reads_python_users() {
    let (_tmp, dir) = seed_config();
    let text = stdout_of(&pgmonctl(&dir, &["--output", "json", "users", "list"], ""));
    assert_no_secret(&text);
    let users: Value = serde_json::from_str(&text).unwrap();
    let roles: Vec<(String, String, bool)> = users
        .as_array()
        .unwrap()
        .iter()
        .map(|u| {
            (
                u["login"].as_str().unwrap().to_owned(),
                u["role"].as_str().unwrap().to_owned(),
                u["is_active"].as_bool().unwrap(),
            )
        })
        .collect();
    let expect = [
        ("admin", "admin", true),
        ("oper", "operator", true),
        ("view", "viewer", true),
        ("gone", "viewer", false),
    ];
    let expect: Vec<_> = expect
        .iter()
        .map(|(l, r, a)| (l.to_string(), r.to_string(), *a))
        .collect();
    assert_eq!(roles, expect);
    assert_eq!(users[0]["created_at"], "2025-06-18T09:14:41.707282Z");
}

#[test]
/// `servers list` shows the 5 servers, each with `has_password: true`, and no secret.
fn servers_list_hides_secrets() {
    let (_tmp, dir) = seed_config();
    let text = stdout_of(&pgmonctl(
        &dir,
        &["--output", "json", "servers", "list"],
        "",
    ));
    assert_no_secret(&text);
    let servers: Value = serde_json::from_str(&text).unwrap();
    let servers = servers.as_array().unwrap();
    assert_eq!(servers.len(), 5);
    for s in servers {
        assert_eq!(s["has_password"], true, "{s}");
    }
    let names: Vec<&str> = servers
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        ["local-pg", "billing", "warehouse", "archive", "legacy"]
    );
    assert_eq!(servers[2]["ssh_key_info"]["name"], "prod-rsa");
    assert_eq!(servers[4]["has_ssh_password"], true);
    assert_eq!(servers[4]["ssh_auth_type"], "password");
    // The table form hides them too.
    let table = pgmonctl(&dir, &["servers", "list"], "");
    assert_no_secret(&String::from_utf8_lossy(&table.stdout));
}

#[test]
/// A user added by pgmonctl verifies with Python's bcrypt; the hash is `$2b$12$`.
fn added_user_verifies_in_python() {
    let (_tmp, dir) = seed_config();
    let user = pgmonctl_json(
        &dir,
        &[
            "users",
            "add",
            "carol",
            "--role",
            "operator",
            "--email",
            "carol@example.com",
            "--password-stdin",
        ],
        "carol-pass-1\n",
    );
    assert_eq!(user["login"], "carol");
    assert_eq!(user["role"], "operator");
    let script = r#"
import json, sys, bcrypt
users = json.load(open(sys.argv[1]))
u = [u for u in users if u["login"] == "carol"][0]
assert u["password"].startswith("$2b$12$"), u["password"]
print(bcrypt.checkpw(b"carol-pass-1", u["password"].encode()), bcrypt.checkpw(b"wrong", u["password"].encode()))
"#;
    let users_json = dir.join("users.json");
    assert_eq!(
        python::run(script, &[users_json.to_str().unwrap()]),
        "True False"
    );
    // The old users still log in with their old hashes.
    let script = r#"
import json, sys, bcrypt
users = {u["login"]: u for u in json.load(open(sys.argv[1]))}
print(bcrypt.checkpw(b"admin-pass-1", users["admin"]["password"].encode()))
"#;
    assert_eq!(python::run(script, &[users_json.to_str().unwrap()]), "True");
}

#[test]
/// A server updated by pgmonctl decrypts with Python's Fernet, and the write turns the
/// hand-written plaintext secrets of `legacy` into Fernet tokens that Python decrypts.
fn updated_server_decrypts_in_python() {
    let (_tmp, dir) = seed_config();
    pgmonctl_json(
        &dir,
        &[
            "servers",
            "update",
            "billing",
            "--port",
            "6543",
            "--password-stdin",
        ],
        "new-billing-pass\n",
    );
    let script = r#"
import json, sys
from cryptography.fernet import Fernet
f = Fernet(open(sys.argv[1] + "/encryption_key.key", "rb").read().strip())
servers = {s["name"]: s for s in json.load(open(sys.argv[1] + "/servers.json"))}
b, l = servers["billing"], servers["legacy"]
out = [b["port"], f.decrypt(b["password"].encode()).decode(), f.decrypt(b["ssh_password"].encode()).decode()]
assert l["password"].startswith("gAAAAA") and l["ssh_password"].startswith("gAAAAA"), l
out += [f.decrypt(l["password"].encode()).decode(), f.decrypt(l["ssh_password"].encode()).decode()]
a = servers["archive"]
out.append(f.decrypt(a["ssh_key_passphrase"].encode()).decode())
print(" ".join(map(str, out)))
"#;
    assert_eq!(
        python::run(script, &[dir.to_str().unwrap()]),
        "6543 new-billing-pass billing-ssh-pass legacy-plain-pass legacy-ssh-plain key-pass-9"
    );
}

#[test]
/// Fields pgmon does not know survive a rewrite, in users.json and servers.json alike.
fn unknown_fields_survive_rewrite() {
    let (_tmp, dir) = seed_config();
    for (file, marker) in [("users.json", "login"), ("servers.json", "name")] {
        let path = dir.join(file);
        let mut items: Value = serde_json::from_str(&fs::read_to_string(&path).unwrap()).unwrap();
        for item in items.as_array_mut().unwrap() {
            item["x_custom"] = serde_json::json!({"team": "dba", "n": [1, 2]});
        }
        fs::write(&path, serde_json::to_string_pretty(&items).unwrap()).unwrap();
        assert!(items[0].get(marker).is_some());
    }
    pgmonctl_json(&dir, &["users", "update", "view", "--role", "operator"], "");
    pgmonctl_json(&dir, &["servers", "update", "legacy", "--port", "5440"], "");
    for file in ["users.json", "servers.json"] {
        let items: Value =
            serde_json::from_str(&fs::read_to_string(dir.join(file)).unwrap()).unwrap();
        for item in items.as_array().unwrap() {
            assert_eq!(item["x_custom"]["team"], "dba", "{file}: {item}");
            assert_eq!(item["x_custom"]["n"][1], 2);
        }
    }
    // The minimal entry stays minimal apart from what changed: no invented created_at.
    let users: Value =
        serde_json::from_str(&fs::read_to_string(dir.join("users.json")).unwrap()).unwrap();
    let view = users
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["login"] == "view")
        .unwrap();
    assert_eq!(view["role"], "operator");
    assert!(view.get("created_at").is_none());
    // Backups of the old files were taken.
    let backups: Vec<String> = fs::read_dir(dir.join("backups"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(
        backups.iter().any(|b| b.starts_with("users_")),
        "{backups:?}"
    );
    assert!(
        backups.iter().any(|b| b.starts_with("servers_")),
        "{backups:?}"
    );
}

#[test]
/// The SSH key metadata with a space in `created_at` loads, and a server can be pointed at a key
/// by its name.
fn ssh_key_metadata_loads() {
    let (_tmp, dir) = seed_config();
    let s = pgmonctl_json(
        &dir,
        &["servers", "update", "legacy", "--ssh-key", "backup-ed25519"],
        "",
    );
    assert_eq!(s["ssh_auth_type"], "key");
    assert_eq!(s["ssh_key_id"], "8c1d2e3f-4a5b-4c6d-8e7f-9a0b1c2d3e4f");
    assert_eq!(
        s["ssh_key_info"]["fingerprint"],
        "SHA256:ztmN1Zk2rOz0dUrdLFsF3ElDn8iSCglwK9gupPHfMxY"
    );
}
