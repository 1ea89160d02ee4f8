//! The role matrix: every endpoint group against every role, table-driven.

use pgmon_tests::daemon::Daemon;
use pgmon_tests::fixtures::seed_config;
use pgmon_tests::http::Api;
use reqwest::Method;
use serde_json::{Value, json};

#[derive(Clone, Copy, PartialEq, PartialOrd, Debug)]
enum Who {
    Anonymous,
    Viewer,
    Operator,
    Admin,
}

fn server_body(name: &str) -> Value {
    json!({"name": name, "host": "db.invalid", "user": "u", "password": "p", "port": 5432})
}

/// (method, path, body, least role, status once allowed). Requests are chosen so they change
/// nothing (unknown targets, duplicates, invalid names): the matrix can run in any order.
fn matrix() -> Vec<(Method, &'static str, Option<Value>, Who, u16)> {
    use Who::*;
    vec![
        (Method::GET, "/", None, Anonymous, 200),
        (Method::GET, "/api/health", None, Anonymous, 200),
        (Method::GET, "/openapi.json", None, Anonymous, 200),
        (Method::GET, "/redoc", None, Anonymous, 200),
        (Method::GET, "/api/pools/status", None, Viewer, 200),
        (Method::GET, "/servers", None, Viewer, 200),
        (Method::GET, "/servers/local-pg", None, Viewer, 200),
        (
            Method::POST,
            "/servers?check=false",
            Some(server_body("bad name")),
            Operator,
            400,
        ),
        (
            Method::PUT,
            "/servers/nope",
            Some(server_body("nope")),
            Operator,
            404,
        ),
        (Method::DELETE, "/servers/nope", None, Operator, 404),
        (Method::GET, "/users/me", None, Viewer, 200),
        (Method::GET, "/users", None, Admin, 200),
        (
            Method::POST,
            "/users",
            Some(json!({"login": "oper", "password": "long-pass-1"})),
            Admin,
            400,
        ),
        (Method::GET, "/users/oper", None, Admin, 200),
        (
            Method::PUT,
            "/users/nope",
            Some(json!({"role": "viewer"})),
            Admin,
            404,
        ),
        (Method::DELETE, "/users/nope", None, Admin, 404),
        (Method::GET, "/ssh-keys", None, Operator, 200),
        (Method::GET, "/ssh-keys/nope", None, Operator, 404),
        (
            Method::POST,
            "/ssh-keys/generate",
            Some(json!({"name": "k", "key_type": "dsa"})),
            Operator,
            400,
        ),
        (
            Method::POST,
            "/ssh-keys/import",
            Some(json!({"name": "k", "private_key": "junk"})),
            Operator,
            400,
        ),
        (
            Method::PUT,
            "/ssh-keys/nope",
            Some(json!({"name": "x"})),
            Operator,
            404,
        ),
        (Method::DELETE, "/ssh-keys/nope", None, Operator, 404),
        (Method::GET, "/ssh-keys/nope/servers", None, Viewer, 404),
        (
            Method::GET,
            "/ssh-keys/nope/download-public",
            None,
            Admin,
            404,
        ),
        (Method::POST, "/servers/nope/test-ssh", None, Operator, 404),
        (Method::GET, "/server_stats/nope", None, Viewer, 404),
        (Method::GET, "/server/nope/stats", None, Viewer, 404),
        (Method::GET, "/server/nope/db/x", None, Viewer, 404),
        (Method::GET, "/server/nope/db/x/stats", None, Viewer, 404),
    ]
}

async fn call(api: &Api, method: &Method, path: &str, body: &Option<Value>) -> (u16, Value) {
    let mut r = api.request(method.clone(), path);
    if let Some(b) = body {
        r = r.json(b);
    }
    let a = api.send(r).await;
    (a.status, a.body)
}

#[tokio::test]
/// Below its least role an endpoint answers 401 (no token) or 403 with a detail; at or above
/// it, the endpoint's own answer.
async fn role_matrix() {
    let (_tmp, dir) = seed_config();
    let d = Daemon::start(&dir);
    let clients = [
        (Who::Anonymous, d.api()),
        (Who::Viewer, d.api_as("view", "view-pass-1").await),
        (Who::Operator, d.api_as("oper", "oper-pass-1").await),
        (Who::Admin, d.api_as("admin", "admin-pass-1").await),
    ];
    for (method, path, body, least, allowed) in matrix() {
        for (who, api) in &clients {
            let (status, reply) = call(api, &method, path, &body).await;
            let expect = if *who >= least {
                allowed
            } else if *who == Who::Anonymous {
                401
            } else {
                403
            };
            assert_eq!(status, expect, "{who:?} {method} {path}: {reply}");
            if status == 403 {
                let detail = reply["detail"].as_str().unwrap_or_default();
                assert!(detail.contains("role required"), "{detail}");
            }
        }
    }
}

#[tokio::test]
/// Operators see SSH keys with the public key hidden; admins see it.
async fn public_key_hidden_from_operators() {
    let (_tmp, dir) = seed_config();
    let d = Daemon::start(&dir);
    let oper = d.api_as("oper", "oper-pass-1").await.get("/ssh-keys").await;
    let admin = d
        .api_as("admin", "admin-pass-1")
        .await
        .get("/ssh-keys")
        .await;
    assert_eq!(oper.body[0]["public_key"], "[hidden]");
    assert!(
        admin.body[0]["public_key"]
            .as_str()
            .unwrap()
            .starts_with("ssh-rsa ")
    );
    assert_eq!(admin.body[0]["servers_count"], 1);
    assert_eq!(admin.body[0]["created_at"], "2025-07-10T11:37:38.123456Z");
}
