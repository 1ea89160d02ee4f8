//! schemathesis, driven by `/openapi.json`, against a live pgmond as each role: no 5xx, and
//! every answer matches the schema the document declares for it.

use std::process::Command;

use pgmon_tests::daemon::{Daemon, add_local_server};
use pgmon_tests::fixtures::seed_config;
use pgmon_tests::postgres::TestCluster;

const INSTALL_HINT: &str =
    "run the tests with `tests/run`, which installs schemathesis into target/test-venv";

#[tokio::test]
/// Admin with more examples; operator and viewer (whose answers are mostly 403) with fewer.
async fn schemathesis_finds_nothing() {
    // A cluster of its own: the fuzzer cancels and terminates whatever pids it makes up.
    let pg = TestCluster::start();
    for (login, password, examples) in [
        ("admin", "admin-pass-1", "5"),
        ("oper", "oper-pass-1", "2"),
        ("view", "view-pass-1", "2"),
    ] {
        let (tmp, dir) = seed_config();
        add_local_server(&dir, "live", pg.port, None);
        let d = Daemon::binary(&dir, &[]);
        let token = d.api().token(login, password).await;
        let examples = (examples.parse::<u64>().unwrap() * pgmon_tests::soak_factor()).to_string();
        // `/logout` ends the session of the token schemathesis holds: it runs last, alone.
        for only in [["--exclude-path", "/logout"], ["--include-path", "/logout"]] {
            let out = Command::new("schemathesis")
                .args(["run", &d.url("/openapi.json")])
                .args(only)
                .args(["--header", &format!("Authorization: Bearer {token}")])
                .args(["--checks", "not_a_server_error,response_schema_conformance"])
                .args([
                    "--max-examples",
                    &examples,
                    "--seed",
                    "20261125",
                    "--request-timeout",
                    "15",
                ])
                .env("SCHEMATHESIS_HOOKS", "")
                // schemathesis keeps a cache in its working folder; the checkout stays clean.
                .current_dir(tmp.path())
                .env("NO_COLOR", "1")
                .output()
                .unwrap_or_else(|e| panic!("running schemathesis: {e}; {INSTALL_HINT}"));
            let report = String::from_utf8_lossy(&out.stdout);
            assert!(
                out.status.success(),
                "schemathesis as {login} found failures:\n{report}\n{}",
                String::from_utf8_lossy(&out.stderr)
            );
            assert!(report.contains("Tested:"), "no operation tested:\n{report}");
        }
        assert!(!d.log().contains("panicked"), "{}", d.log());
    }
}
