//! `POST /token` and bearer tokens: the exact answers of the Python backend, and strict checks.

use std::time::{SystemTime, UNIX_EPOCH};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use pgmon_tests::daemon::{Daemon, pgmonctl};
use pgmon_tests::fixtures::seed_config;
use serde_json::{Value, json};

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

fn jwt(secret: &[u8], sub: &str, exp: u64) -> String {
    jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        &json!({"sub": sub, "exp": exp}),
        &EncodingKey::from_secret(secret),
    )
    .unwrap()
}

fn secret_of(d: &Daemon) -> Vec<u8> {
    std::fs::read_to_string(d.config_dir.join("secret_key"))
        .unwrap()
        .trim()
        .as_bytes()
        .to_vec()
}

#[tokio::test]
/// Good, bad and missing credentials at `/token`; inactive users cannot log in; `last_login`
/// is recorded.
async fn token_endpoint() {
    let (_tmp, dir) = seed_config();
    let d = Daemon::binary(&dir, &[]);
    let api = d.api();
    let form = |pairs: &[(&str, &str)]| {
        api.request(reqwest::Method::POST, "/token").form(
            &pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect::<Vec<_>>(),
        )
    };
    let ok = api
        .send(form(&[("username", "admin"), ("password", "admin-pass-1")]))
        .await;
    assert_eq!(ok.status, 200);
    assert_eq!(ok.body["token_type"], "bearer");
    let token = ok.body["access_token"].as_str().unwrap();
    let header: Value = serde_json::from_slice(
        &URL_SAFE_NO_PAD
            .decode(token.split('.').next().unwrap())
            .unwrap(),
    )
    .unwrap();
    assert_eq!(header["alg"], "HS256");
    let claims: Value = serde_json::from_slice(
        &URL_SAFE_NO_PAD
            .decode(token.split('.').nth(1).unwrap())
            .unwrap(),
    )
    .unwrap();
    assert_eq!(claims["sub"], "admin");
    let exp = claims["exp"].as_u64().unwrap();
    assert!(
        (now() + 3590..=now() + 3610).contains(&exp),
        "60-minute lifetime: {exp}"
    );

    for (user, pass) in [
        ("admin", "wrong-pass"),
        ("nobody", "x"),
        ("gone", "gone-pass-1"),
        ("admin", ""),
    ] {
        let a = api
            .send(form(&[("username", user), ("password", pass)]))
            .await;
        assert_eq!(
            (a.status, &a.body),
            (401, &json!({"detail": "Invalid credentials"})),
            "{user}"
        );
    }
    let a = api.send(form(&[("username", "admin")])).await;
    assert_eq!(a.status, 422);
    assert_eq!(a.body["detail"][0]["loc"], json!(["body", "password"]));
    assert_eq!(a.body["detail"][0]["type"], "missing");

    let me = api.with_token(token).get("/users/me").await;
    assert_eq!(me.status, 200);
    assert!(
        me.body["last_login"]
            .as_str()
            .is_some_and(|t| t.ends_with('Z')),
        "{}",
        me.body
    );
    assert!(!d.log().contains("admin-pass-1"), "password in log");
}

#[tokio::test]
/// Every way a token can be wrong gets the Python backend's 401 body, and only "Not
/// authenticated" carries `WWW-Authenticate: Bearer`.
async fn bad_tokens_are_refused() {
    let (_tmp, dir) = seed_config();
    let d = Daemon::start(&dir);
    let secret = secret_of(&d);
    let alg_none = format!(
        "{}.{}.",
        URL_SAFE_NO_PAD.encode(r#"{"alg":"none","typ":"JWT"}"#),
        URL_SAFE_NO_PAD.encode(format!(r#"{{"sub":"admin","exp":{}}}"#, now() + 3600))
    );
    let hs512 = jsonwebtoken::encode(
        &Header::new(Algorithm::HS512),
        &json!({"sub": "admin", "exp": now() + 3600}),
        &EncodingKey::from_secret(&secret),
    )
    .unwrap();
    let no_exp = jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        &json!({"sub": "admin"}),
        &EncodingKey::from_secret(&secret),
    )
    .unwrap();
    let cases: Vec<(Option<String>, &str)> = vec![
        (None, "Not authenticated"),
        (Some("Basic YWRtaW46eA==".into()), "Not authenticated"),
        (Some("Bearer".into()), "Not authenticated"),
        (
            Some(format!("Bearer {}", jwt(&secret, "admin", now() - 3600))),
            "Token expired",
        ),
        (
            Some(format!(
                "Bearer {}",
                jwt(b"a-different-secret-a-different-se", "admin", now() + 3600)
            )),
            "Invalid token",
        ),
        (Some("Bearer garbage.token.value".into()), "Invalid token"),
        (Some(format!("Bearer {alg_none}")), "Invalid token"),
        (Some(format!("Bearer {hs512}")), "Invalid token"),
        (Some(format!("Bearer {no_exp}")), "Invalid token"),
        (
            Some(format!("Bearer {}", jwt(&secret, "ghost", now() + 3600))),
            "Invalid credentials",
        ),
        (
            Some(format!("Bearer {}", jwt(&secret, "gone", now() + 3600))),
            "Invalid credentials",
        ),
    ];
    let api = d.api();
    for (auth, detail) in cases {
        let mut r = api.request(reqwest::Method::GET, "/users/me");
        if let Some(a) = &auth {
            r = r.header("Authorization", a);
        }
        let a = api.send(r).await;
        assert_eq!(
            (a.status, &a.body),
            (401, &json!({"detail": detail})),
            "{auth:?}"
        );
        let www = a
            .headers
            .get("www-authenticate")
            .map(|v| v.to_str().unwrap().to_owned());
        let expect = (detail == "Not authenticated").then(|| "Bearer".to_owned());
        assert_eq!(www, expect, "{auth:?}");
    }
}

#[tokio::test]
/// A user deleted (or deactivated) after logging in loses access with the same token.
async fn deleted_and_deactivated_users_lose_access() {
    let (_tmp, dir) = seed_config();
    let d = Daemon::start(&dir);
    let view = d.api_as("view", "view-pass-1").await;
    let oper = d.api_as("oper", "oper-pass-1").await;
    assert_eq!(view.get("/users/me").await.status, 200);
    // Changed behind the daemon's back, by pgmonctl on the files: the daemon sees it within
    // its 100 ms revalidation.
    assert!(
        pgmonctl(&dir, &["users", "delete", "view"], "")
            .status
            .success()
    );
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let a = view.get("/users/me").await;
    assert_eq!(
        (a.status, a.body),
        (401, json!({"detail": "Invalid credentials"}))
    );
    let admin = d.api_as("admin", "admin-pass-1").await;
    assert_eq!(
        admin
            .put("/users/oper", &json!({"is_active": false}))
            .await
            .status,
        200
    );
    let a = oper.get("/servers").await;
    assert_eq!(
        (a.status, a.body),
        (401, json!({"detail": "Invalid credentials"}))
    );
}

#[tokio::test]
/// `SECRET_KEY` in the environment replaces the secret file: tokens signed with the file's
/// secret are then refused.
async fn secret_key_env_wins() {
    let (_tmp, dir) = seed_config();
    let env_secret = "env-secret-env-secret-env-secret-0123";
    let d = Daemon::binary(&dir, &[("SECRET_KEY", env_secret)]);
    let file_secret = secret_of(&d);
    let api = d.api();
    let with_env = api.with_token(&jwt(env_secret.as_bytes(), "admin", now() + 60));
    assert_eq!(with_env.get("/users/me").await.status, 200);
    let with_file = api.with_token(&jwt(&file_secret, "admin", now() + 60));
    assert_eq!(
        with_file.get("/users/me").await.body,
        json!({"detail": "Invalid token"})
    );
}
