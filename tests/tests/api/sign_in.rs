//! Sign-in that withstands guessing: failed logins throttled per login and per address with
//! `Retry-After`, the same answer whether a login exists, one log line per attempt for
//! fail2ban, the admin socket exempt; and the headers every answer carries.

use std::io::{Read, Write};

use pgmon_tests::daemon::Daemon;
use pgmon_tests::fixtures::seed_config;
use pgmon_tests::http::Api;
use serde_json::Value;

async fn try_login(api: &Api, login: &str, password: &str) -> (u16, Option<String>, Value) {
    let a = api
        .send(
            api.request(reqwest::Method::POST, "/token")
                .form(&[("username", login), ("password", password)]),
        )
        .await;
    let retry = a
        .headers
        .get("retry-after")
        .map(|v| v.to_str().unwrap().to_owned());
    (a.status, retry, a.body)
}

#[tokio::test]
/// Five failures for a login block it (429, Retry-After about a minute), an unknown login
/// exactly alike; another user's right password still gets in; each failure is one log line
/// with the login and the address; the admin socket is never throttled.
async fn failed_logins_are_throttled() {
    let (_tmp, dir) = seed_config();
    let d = Daemon::binary(&dir, &[]);
    let api = d.api();
    let mut blocked = Vec::new();
    for login in ["oper", "nobody-such"] {
        for _ in 0..5 {
            assert_eq!(try_login(&api, login, "wrong-guess").await.0, 401);
        }
        let (status, retry, body) = try_login(&api, login, "wrong-guess").await;
        assert_eq!(status, 429, "{login}: {body}");
        let retry: u64 = retry.expect("Retry-After").parse().unwrap();
        assert!((55..=60).contains(&retry), "{retry}");
        blocked.push(body);
    }
    assert_eq!(
        blocked[0], blocked[1],
        "the answer tells which logins exist"
    );
    assert_eq!(
        blocked[0]["detail"],
        "Too many failed logins, try again later"
    );
    // Even the right password waits out the block...
    assert_eq!(try_login(&api, "oper", "oper-pass-1").await.0, 429);
    // ...but other users are not locked out by someone guessing at oper.
    assert_eq!(try_login(&api, "view", "view-pass-1").await.0, 200);

    let log = d.log();
    let failures = log
        .lines()
        .filter(|l| l.contains("WARN") && l.contains("login failed for oper from 127.0.0.1"))
        .count();
    assert_eq!(failures, 5, "{log}");
    assert!(
        log.contains("login succeeded for view from 127.0.0.1"),
        "{log}"
    );

    // The admin socket: wrong passwords are answered 401, as often as asked.
    for _ in 0..8 {
        let mut s = std::os::unix::net::UnixStream::connect(&d.socket).unwrap();
        let body = "username=admin&password=wrong-guess";
        write!(
            s,
            "POST /token HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        )
        .unwrap();
        let mut reply = String::new();
        s.read_to_string(&mut reply).unwrap();
        assert!(reply.starts_with("HTTP/1.1 401"), "{reply}");
    }
}

#[tokio::test]
/// Every answer, success or error, API or docs, carries the security headers.
async fn security_headers_on_every_answer() {
    let (_tmp, dir) = seed_config();
    let d = Daemon::start(&dir);
    let admin = d.api_as("admin", "admin-pass-1").await;
    let anonymous = d.api();
    let answers = [
        anonymous.get("/api/health").await,
        anonymous.get("/servers").await,
        anonymous.get("/no/such/route").await,
        anonymous.get("/openapi.json").await,
        admin.get("/users").await,
        admin.get("/users/nobody").await,
        admin.delete("/servers").await,
    ];
    let docs = reqwest::get(d.url("/docs/")).await.unwrap();
    let mut headers: Vec<_> = answers.iter().map(|a| a.headers.clone()).collect();
    headers.push(docs.headers().clone());
    // Every route and method the document lists, as an admin with no body (so mostly errors:
    // 404, 422; `/logout` last, it ends the admin's session).
    let doc = anonymous.get("/openapi.json").await.body;
    let mut routes: Vec<(String, String)> = doc["paths"]
        .as_object()
        .unwrap()
        .iter()
        .flat_map(|(path, item)| {
            let path = path.replace(['{', '}'], "");
            item.as_object()
                .unwrap()
                .keys()
                .map(move |m| (m.to_uppercase(), path.clone()))
        })
        .collect();
    routes.sort_by_key(|(_, p)| p == "/logout");
    assert!(routes.len() >= 39, "{routes:?}");
    for (method, path) in &routes {
        let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        headers.push(admin.send(admin.request(method, path)).await.headers);
    }
    for (i, h) in headers.iter().enumerate() {
        for (name, value) in [
            ("x-content-type-options", "nosniff"),
            ("x-frame-options", "DENY"),
            ("referrer-policy", "no-referrer"),
            ("cache-control", "no-store"),
        ] {
            assert_eq!(
                h.get(name).and_then(|v| v.to_str().ok()),
                Some(value),
                "answer {i} ({:?}): {name}",
                routes.get(i.wrapping_sub(answers.len() + 1))
            );
        }
        assert!(
            h.get("access-control-allow-credentials").is_none(),
            "answer {i}"
        );
    }
}

#[tokio::test]
/// A token stops working when its user's password or role changes, or when the login is
/// deleted and created again; a token issued afterwards works.
async fn tokens_follow_their_user() {
    let (_tmp, dir) = seed_config();
    let d = Daemon::start(&dir);
    let admin = d.api_as("admin", "admin-pass-1").await;
    let changes: [(&str, serde_json::Value); 2] = [
        ("password", serde_json::json!({"password": "oper-pass-2"})),
        ("role", serde_json::json!({"role": "viewer"})),
    ];
    let mut password = "oper-pass-1";
    for (what, change) in changes {
        let oper = d.api_as("oper", password).await;
        assert_eq!(oper.get("/users/me").await.status, 200);
        assert_eq!(
            admin.put("/users/oper", &change).await.status,
            200,
            "{what}"
        );
        let a = oper.get("/users/me").await;
        assert_eq!(
            (a.status, &a.body["detail"]),
            (401, &"Token revoked".into()),
            "{what}"
        );
        password = "oper-pass-2";
        assert_eq!(
            d.api_as("oper", password)
                .await
                .get("/users/me")
                .await
                .status,
            200
        );
    }

    let view = d.api_as("view", "view-pass-1").await;
    assert_eq!(admin.delete("/users/view").await.status, 200);
    let again = serde_json::json!({"login": "view", "password": "view-pass-1", "role": "admin"});
    assert_eq!(admin.post("/users", &again).await.status, 200);
    let a = view.get("/users").await;
    assert_eq!(
        a.status, 401,
        "the old view's token works for the new view: {}",
        a.body
    );
}
