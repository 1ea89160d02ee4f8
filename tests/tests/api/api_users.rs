//! `/users`: each endpoint's happy path and each error the SPEC names.

use std::fs;

use pgmon_tests::daemon::Daemon;
use pgmon_tests::fixtures::seed_config;
use serde_json::{Value, json};

fn stored_users(d: &Daemon) -> Vec<Value> {
    serde_json::from_str::<Value>(&fs::read_to_string(d.config_dir.join("users.json")).unwrap())
        .unwrap()
        .as_array()
        .unwrap()
        .clone()
}

#[tokio::test]
/// List and read: the API's user shape, no password anywhere.
async fn list_and_get() {
    let (_tmp, dir) = seed_config();
    let d = Daemon::start(&dir);
    let admin = d.api_as("admin", "admin-pass-1").await;
    let list = admin.get("/users").await;
    assert_eq!(list.status, 200);
    let users = list.body.as_array().unwrap();
    assert_eq!(users.len(), 4);
    for u in users {
        let keys: Vec<&str> = u.as_object().unwrap().keys().map(String::as_str).collect();
        assert_eq!(
            keys,
            [
                "login",
                "role",
                "email",
                "created_at",
                "last_login",
                "is_active"
            ]
        );
    }
    assert_eq!(
        users[1],
        json!({"login": "oper", "role": "operator", "email": null,
        "created_at": "2025-06-20T10:00:00Z", "last_login": null, "is_active": true})
    );
    let one = admin.get("/users/gone").await;
    assert_eq!((one.status, &one.body["is_active"]), (200, &json!(false)));
    let missing = admin.get("/users/nobody").await;
    assert_eq!(
        (missing.status, missing.body),
        (404, json!({"detail": "User not found"}))
    );
    let me = d.api_as("view", "view-pass-1").await.get("/users/me").await;
    assert_eq!(me.body["role"], "viewer");
    assert_eq!(me.body["created_at"], Value::Null);
}

#[tokio::test]
/// Create: a new user can log in; duplicates, bad logins, e-mails, roles and passwords are
/// refused with 400 or 422 and nothing is written.
async fn create() {
    let (_tmp, dir) = seed_config();
    let d = Daemon::start(&dir);
    let admin = d.api_as("admin", "admin-pass-1").await;
    let a = admin
        .post("/users", &json!({"login": "dana", "password": "dana-pass-1", "role": "operator", "email": "dana@example.com"}))
        .await;
    assert_eq!(a.status, 200, "{}", a.body);
    assert_eq!(
        (&a.body["login"], &a.body["role"], &a.body["is_active"]),
        (&json!("dana"), &json!("operator"), &json!(true))
    );
    assert!(a.body["created_at"].as_str().unwrap().ends_with('Z'));
    d.api().token("dana", "dana-pass-1").await;
    let default_role = admin
        .post("/users", &json!({"login": "eve", "password": "eve-pass-1"}))
        .await;
    assert_eq!(default_role.body["role"], "viewer");

    let before = stored_users(&d);
    let refused: &[(Value, u16, &str)] = &[
        (
            json!({"login": "oper", "password": "long-pass-1"}),
            400,
            "User oper already exists",
        ),
        (
            json!({"login": "../x", "password": "long-pass-1"}),
            400,
            "Invalid login",
        ),
        (
            json!({"login": "a b", "password": "long-pass-1"}),
            400,
            "Invalid login",
        ),
        (
            json!({"login": "", "password": "long-pass-1"}),
            400,
            "Invalid login",
        ),
        (
            json!({"login": "f", "password": "long-pass-1", "email": "nope"}),
            400,
            "Invalid email",
        ),
        (
            json!({"login": "f", "password": ""}),
            400,
            "Password too short: at least 8 characters",
        ),
        (
            json!({"login": "f", "password": "x".repeat(73)}),
            400,
            "longer than 72 bytes",
        ),
        (json!({"login": "f"}), 422, "password"),
        (
            json!({"login": "f", "password": "long-pass-1", "role": "root"}),
            422,
            "role",
        ),
        (json!({"login": 5, "password": "long-pass-1"}), 422, "login"),
        (json!([1, 2]), 422, ""),
    ];
    for (body, status, text) in refused {
        let a = admin.post("/users", body).await;
        assert_eq!(a.status, *status, "{body}: {}", a.body);
        assert!(
            a.body["detail"].to_string().contains(text),
            "{body}: {}",
            a.body
        );
    }
    assert_eq!(stored_users(&d), before);
}

#[tokio::test]
/// Update: partial changes, a new password works and the old one not, `updated_at` set;
/// deactivation blocks login; the last active admin cannot be demoted or deactivated.
async fn update() {
    let (_tmp, dir) = seed_config();
    let d = Daemon::start(&dir);
    let admin = d.api_as("admin", "admin-pass-1").await;
    let a = admin
        .put("/users/view", &json!({"email": "view@example.com"}))
        .await;
    assert_eq!(
        (a.status, &a.body["email"], &a.body["role"]),
        (200, &json!("view@example.com"), &json!("viewer"))
    );
    let a = admin
        .put(
            "/users/view",
            &json!({"password": "view-pass-2", "role": "operator"}),
        )
        .await;
    assert_eq!(a.body["role"], "operator");
    d.api().token("view", "view-pass-2").await;
    let old = d
        .api()
        .send(
            d.api()
                .request(reqwest::Method::POST, "/token")
                .form(&[("username", "view"), ("password", "view-pass-1")]),
        )
        .await;
    assert_eq!(old.status, 401);
    let stored = stored_users(&d);
    let view = stored.iter().find(|u| u["login"] == "view").unwrap();
    assert!(view["updated_at"].as_str().is_some(), "{view}");
    assert!(view["password"].as_str().unwrap().starts_with("$2b$12$"));

    assert_eq!(
        admin
            .put("/users/view", &json!({"is_active": false}))
            .await
            .status,
        200
    );
    let blocked = d
        .api()
        .send(
            d.api()
                .request(reqwest::Method::POST, "/token")
                .form(&[("username", "view"), ("password", "view-pass-2")]),
        )
        .await;
    assert_eq!(blocked.status, 401);

    for body in [json!({"role": "viewer"}), json!({"is_active": false})] {
        let a = admin.put("/users/admin", &body).await;
        assert_eq!(
            (a.status, a.body),
            (
                400,
                json!({"detail": "Cannot remove or demote the last active admin"})
            )
        );
    }
    assert_eq!(
        admin
            .put("/users/nobody", &json!({"role": "viewer"}))
            .await
            .status,
        404
    );
    assert_eq!(
        admin
            .put("/users/view", &json!({"role": "boss"}))
            .await
            .status,
        422
    );
    assert_eq!(
        admin
            .put("/users/view", &json!({"is_active": "maybe"}))
            .await
            .status,
        422
    );
}

#[tokio::test]
/// Delete: the message, then 404; nobody deletes themselves; the last admin stays.
async fn delete() {
    let (_tmp, dir) = seed_config();
    let d = Daemon::start(&dir);
    let admin = d.api_as("admin", "admin-pass-1").await;
    let a = admin.delete("/users/oper").await;
    assert_eq!(
        (a.status, a.body),
        (200, json!({"message": "User oper deleted"}))
    );
    assert_eq!(admin.delete("/users/oper").await.status, 404);
    let a = admin.delete("/users/admin").await;
    assert_eq!(
        (a.status, a.body),
        (400, json!({"detail": "Cannot delete yourself"}))
    );
    // A second admin may delete the first, but not the other way round once alone.
    admin
        .post(
            "/users",
            &json!({"login": "root2", "password": "root2-pass", "role": "admin"}),
        )
        .await;
    let root2 = d.api_as("root2", "root2-pass").await;
    assert_eq!(root2.delete("/users/admin").await.status, 200);
    // Over the admin socket there is no "yourself": only the last-admin rule holds.
    let out = std::process::Command::new("curl")
        .args([
            "-s",
            "-X",
            "DELETE",
            "--unix-socket",
            d.socket.to_str().unwrap(),
            "http://x/users/root2",
        ])
        .output()
        .expect("curl");
    let body: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        body,
        json!({"detail": "Cannot remove or demote the last active admin"})
    );
}
