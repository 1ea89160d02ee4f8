//! CORS for the web front end, from `allowed_origins` in `pgmond.toml`.

use pgmon_tests::daemon::Daemon;
use pgmon_tests::fixtures::seed_config;

#[tokio::test]
/// Allowed origins get the preflight and simple-request headers; others get no allow-origin.
async fn cors_follows_allowed_origins() {
    let (_tmp, dir) = seed_config();
    std::fs::write(
        dir.join("pgmond.toml"),
        "allowed_origins = [\"https://ui.example\"]\n",
    )
    .unwrap();
    let d = Daemon::start(&dir);
    let client = reqwest::Client::new();
    let pre = client
        .request(reqwest::Method::OPTIONS, d.url("/servers"))
        .header("Origin", "https://ui.example")
        .header("Access-Control-Request-Method", "POST")
        .header(
            "Access-Control-Request-Headers",
            "authorization,content-type",
        )
        .send()
        .await
        .unwrap();
    assert_eq!(pre.status(), 200);
    let h = |name: &str| {
        pre.headers()
            .get(name)
            .map(|v| v.to_str().unwrap().to_owned())
    };
    assert_eq!(
        h("access-control-allow-origin").as_deref(),
        Some("https://ui.example")
    );
    assert_eq!(
        h("access-control-allow-credentials").as_deref(),
        Some("true")
    );
    assert_eq!(
        h("access-control-allow-headers").as_deref(),
        Some("authorization,content-type")
    );
    assert!(h("access-control-allow-methods").unwrap().contains("POST"));
    assert_eq!(h("access-control-max-age").as_deref(), Some("600"));

    for (origin, allowed) in [("https://ui.example", true), ("http://evil.example", false)] {
        let r = client
            .get(d.url("/api/health"))
            .header("Origin", origin)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        let acao = r
            .headers()
            .get("access-control-allow-origin")
            .map(|v| v.to_str().unwrap().to_owned());
        assert_eq!(acao, allowed.then(|| origin.to_owned()), "{origin}");
        // Credentials only beside an allowed origin.
        let credentials = r
            .headers()
            .get("access-control-allow-credentials")
            .is_some();
        assert_eq!(credentials, allowed, "{origin}");
    }
}

#[test]
/// A typo in pgmond.toml stops the daemon with the file and key named.
fn bad_settings_file_is_named() {
    let (_tmp, dir) = seed_config();
    std::fs::write(dir.join("pgmond.toml"), "alowed_origins = []\n").unwrap();
    let out = pgmon_tests::daemon::pgmond_to_exit(&dir, &dir.join("s.sock"), &[]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("pgmond.toml") && err.contains("alowed_origins"),
        "{err}"
    );
}
