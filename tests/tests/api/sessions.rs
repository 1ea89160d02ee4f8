//! Sessions that end: refresh tokens rotate and a reused one ends its session; logout ends the
//! session of the token sent (and a session-less token, the Python backend's, alone); what has
//! ended stays ended across a restart; `pgmonctl logout` ends the session on the daemon.

use std::time::{SystemTime, UNIX_EPOCH};

use jsonwebtoken::{Algorithm, EncodingKey, Header};
use pgmon_tests::daemon::{Daemon, pgmonctl_login, run_pgmonctl, stdout_of};
use pgmon_tests::fixtures::seed_config;
use pgmon_tests::http::Api;
use serde_json::{Value, json};

async fn login(api: &Api, login: &str, password: &str) -> (String, String) {
    let a = api
        .send(
            api.request(reqwest::Method::POST, "/token")
                .form(&[("username", login), ("password", password)]),
        )
        .await;
    assert_eq!(a.status, 200, "{}", a.body);
    assert_eq!(a.body["token_type"], "bearer");
    let field = |k: &str| a.body[k].as_str().unwrap().to_owned();
    (field("access_token"), field("refresh_token"))
}

async fn refresh(api: &Api, token: &str) -> (u16, Value) {
    let a = api
        .post("/token/refresh", &json!({"refresh_token": token}))
        .await;
    (a.status, a.body)
}

async fn me(api: &Api, token: &str) -> (u16, Value) {
    let a = api.with_token(token).get("/users/me").await;
    (a.status, a.body)
}

async fn logout(api: &Api, token: &str) -> (u16, Value) {
    let a = api.with_token(token).post("/logout", &json!({})).await;
    (a.status, a.body)
}

#[tokio::test]
/// Rotation, reuse, logout, and a restart in between.
async fn sessions_end_and_stay_ended() {
    let (_tmp, dir) = seed_config();
    let mut d = Daemon::start(&dir);
    let api = d.api();

    let (a1, r1) = login(&api, "admin", "admin-pass-1").await;
    assert_eq!(me(&api, &a1).await.0, 200);
    // A refresh token opens nothing but the next pair; an access token is no refresh token.
    assert_eq!(me(&api, &r1).await.0, 401);
    assert_eq!(refresh(&api, &a1).await.0, 401);
    let (status, body) = refresh(&api, "").await;
    assert_eq!(status, 401, "{body}");
    let a = api.post("/token/refresh", &json!({"token": r1})).await;
    assert_eq!(a.status, 422, "{}", a.body);
    assert_eq!(a.body["detail"][0]["loc"], json!(["body", "refresh_token"]));

    // Rotation: a new pair; the spent refresh token presented again ends the whole session.
    let (status, pair) = refresh(&api, &r1).await;
    assert_eq!(status, 200, "{pair}");
    let (a2, r2) = (
        pair["access_token"].as_str().unwrap().to_owned(),
        pair["refresh_token"].as_str().unwrap().to_owned(),
    );
    assert_ne!(r2, r1);
    assert_eq!(me(&api, &a2).await.0, 200);
    let (status, body) = refresh(&api, &r1).await;
    assert_eq!(
        (status, body["detail"].as_str()),
        (401, Some("Token revoked"))
    );
    for token in [&a1, &a2] {
        let (status, body) = me(&api, token).await;
        assert_eq!(
            (status, body["detail"].as_str()),
            (401, Some("Token revoked"))
        );
    }
    assert_eq!(refresh(&api, &r2).await.0, 401);

    // Logout ends its own session and no other.
    let (a3, r3) = login(&api, "admin", "admin-pass-1").await;
    let (other, _) = login(&api, "admin", "admin-pass-1").await;
    let (status, body) = logout(&api, &a3).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(me(&api, &a3).await.0, 401);
    assert_eq!(refresh(&api, &r3).await.0, 401);
    assert_eq!(me(&api, &other).await.0, 200);
    assert_eq!(logout(&api, &a3).await.0, 401);

    // A token of the Python backend (no session) is revoked alone.
    let secret = std::fs::read_to_string(dir.join("secret_key")).unwrap();
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let python = |exp: u64| {
        jsonwebtoken::encode(
            &Header::new(Algorithm::HS256),
            &json!({"sub": "oper", "exp": exp}),
            &EncodingKey::from_secret(secret.trim().as_bytes()),
        )
        .unwrap()
    };
    let (old1, old2) = (python(now + 600), python(now + 601));
    assert_eq!(logout(&api, &old1).await.0, 200);
    assert_eq!(me(&api, &old1).await.0, 401);
    assert_eq!(me(&api, &old2).await.0, 200);

    // What ended stays ended after a restart; the rest still works.
    d.stop();
    let d = Daemon::start(&dir);
    let api = d.api();
    for token in [&a1, &a2, &a3, &old1] {
        assert_eq!(me(&api, token).await.0, 401, "revocation lost at restart");
    }
    assert_eq!(refresh(&api, &r3).await.0, 401);
    assert_eq!(me(&api, &other).await.0, 200);
    assert_eq!(me(&api, &old2).await.0, 200);
    let saved = std::fs::read_to_string(dir.join("revoked.json")).unwrap();
    assert!(!saved.contains(&old1), "a whole token stored");
}

#[tokio::test]
/// `pgmonctl logout` ends the session on the daemon, not only in its own file.
async fn pgmonctl_logout_ends_the_session() {
    let (_tmp, dir) = seed_config();
    let d = Daemon::start(&dir);
    let xdg = tempfile::tempdir().unwrap();
    let env = [("XDG_CONFIG_HOME", xdg.path().to_str().unwrap())];
    let url = d.url("");
    let out = pgmonctl_login(&url, "view", "view-pass-1", &[], &env);
    stdout_of(&out);
    let saved: Value = serde_json::from_str(
        &std::fs::read_to_string(xdg.path().join("pgmonctl/tokens.json")).unwrap(),
    )
    .unwrap();
    let token = saved["tokens"][&url].as_str().unwrap().to_owned();
    assert_eq!(me(&d.api(), &token).await.0, 200);
    let out = run_pgmonctl(&["logout"], "", &env);
    assert!(
        stdout_of(&out).contains("session ended on the daemon"),
        "{}",
        stdout_of(&out)
    );
    let (status, body) = me(&d.api(), &token).await;
    assert_eq!(
        (status, body["detail"].as_str()),
        (401, Some("Token revoked"))
    );
}
