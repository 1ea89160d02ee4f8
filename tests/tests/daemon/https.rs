//! HTTPS without a proxy: pgmond serves TLS with a certificate from its config dir, pgmonctl
//! verifies it (`--cacert`), HSTS is sent, and a renewed certificate is picked up on SIGHUP
//! without a restart (a pair that does not load leaves the old one serving).

use std::os::unix::fs::PermissionsExt;
use std::time::{Duration, Instant};

use pgmon_tests::certs::TestCerts;
use pgmon_tests::daemon::{Daemon, add_settings, pgmonctl_login, pgmond_to_exit, run_pgmonctl};
use pgmon_tests::fixtures::seed_config;

fn install(certs: &TestCerts, name: &str, dir: &std::path::Path) {
    for (from, to) in [("crt", "tls.crt"), ("key", "tls.key")] {
        std::fs::copy(certs.path(&format!("{name}.{from}")), dir.join(to)).unwrap();
    }
    std::fs::set_permissions(dir.join("tls.key"), std::fs::Permissions::from_mode(0o600)).unwrap();
}

/// `pgmonctl health` against `url`, trusting `ca` (else the system's roots only).
fn health(url: &str, ca: Option<&std::path::Path>) -> std::process::Output {
    let mut args = vec!["--url", url, "--output", "json"];
    if let Some(ca) = ca {
        args.extend(["--cacert", ca.to_str().unwrap()]);
    }
    args.push("health");
    run_pgmonctl(&args, "", &[])
}

#[tokio::test]
async fn https_verified_and_renewed_on_sighup() {
    let certs = TestCerts::new();
    certs.renewed("renewed");
    let (_tmp, dir) = seed_config();
    install(&certs, "server", &dir);
    add_settings(&dir, "tls_cert = \"tls.crt\"\ntls_key = \"tls.key\"");
    let d = Daemon::binary_https(&dir);
    let url = format!("https://localhost:{}", d.port);
    let (ca, other) = (certs.path("ca.crt"), certs.path("other-ca.crt"));

    let out = health(&url, Some(&ca));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for (trust, what) in [
        (None, "system roots"),
        (Some(other.as_path()), "another CA"),
    ] {
        let out = health(&url, trust);
        assert!(!out.status.success(), "trusted with {what}");
        let err = String::from_utf8_lossy(&out.stderr).to_lowercase();
        assert!(err.contains("certificate"), "{what}: {err}");
    }
    let plain = health(&format!("http://localhost:{}", d.port), None);
    assert!(!plain.status.success());

    // A login over HTTPS, then a command with the saved token.
    let xdg = tempfile::tempdir().unwrap();
    let env = [("XDG_CONFIG_HOME", xdg.path().to_str().unwrap())];
    let ca_arg = ca.to_str().unwrap();
    let out = pgmonctl_login(&url, "admin", "admin-pass-1", &["--cacert", ca_arg], &env);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = run_pgmonctl(&["--cacert", ca_arg, "users", "list"], "", &env);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    // HSTS, and a client trusting both CAs that keeps its connection across the reload.
    let both = reqwest::Client::builder()
        .add_root_certificate(reqwest::Certificate::from_pem(&std::fs::read(&ca).unwrap()).unwrap())
        .add_root_certificate(
            reqwest::Certificate::from_pem(&std::fs::read(&other).unwrap()).unwrap(),
        )
        .build()
        .unwrap();
    let a = both.get(format!("{url}/api/health")).send().await.unwrap();
    assert_eq!(a.status(), 200);
    assert_eq!(a.headers()["strict-transport-security"], "max-age=31536000");

    // Renewal: the new pair in place, SIGHUP, and the new CA is what verifies.
    install(&certs, "renewed", &dir);
    let pid = nix::unistd::Pid::from_raw(d.pid() as i32);
    nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGHUP).unwrap();
    let start = Instant::now();
    while !health(&url, Some(&other)).status.success() {
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "the renewed certificate was not served: {}",
            d.log()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    assert!(
        !health(&url, Some(&ca)).status.success(),
        "old certificate still served"
    );
    assert_eq!(
        both.get(format!("{url}/api/health"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    assert!(
        d.log().contains("TLS certificate and key reloaded"),
        "{}",
        d.log()
    );

    // A broken pair on the next SIGHUP: logged, and the renewed one keeps serving.
    std::fs::write(dir.join("tls.crt"), "not a certificate").unwrap();
    nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGHUP).unwrap();
    let start = Instant::now();
    while !d.log().contains("TLS reload failed") {
        assert!(start.elapsed() < Duration::from_secs(10), "{}", d.log());
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(health(&url, Some(&other)).status.success());
}

#[test]
/// Half a pair, or a key others can read, stops pgmond at start with the reason. (A relative
/// path is read from the config dir.)
fn bad_tls_settings_stop_pgmond() {
    let certs = TestCerts::new();
    let (tmp, dir) = seed_config();
    install(&certs, "server", &dir);
    let socket = tmp.path().join("s.sock");
    add_settings(&dir, "tls_cert = \"tls.crt\"");
    let out = pgmond_to_exit(&dir, &socket, &[]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("tls_cert and tls_key go together"), "{err}");

    // Outside the config dir, whose own files pgmond tightens at start.
    let loose = certs.path("server.key");
    std::fs::set_permissions(&loose, std::fs::Permissions::from_mode(0o644)).unwrap();
    add_settings(&dir, &format!("tls_key = {:?}", loose.to_str().unwrap()));
    let out = pgmond_to_exit(&dir, &socket, &[]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("0600"), "{err}");
}
