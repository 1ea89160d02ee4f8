//! `/openapi.json` is a valid OpenAPI 3 document of every route with real schemas, and the two
//! documentation pages are served by pgmond itself.

use std::collections::BTreeSet;

use pgmon_tests::daemon::Daemon;
use pgmon_tests::fixtures::seed_config;
use pgmon_tests::python;
use serde_json::Value;

/// Every `$ref` in `v`.
fn refs(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::Object(m) => {
            if let Some(Value::String(r)) = m.get("$ref") {
                out.push(r.clone());
            }
            m.values().for_each(|x| refs(x, out));
        }
        Value::Array(a) => a.iter().for_each(|x| refs(x, out)),
        _ => {}
    }
}

#[tokio::test]
/// Version 3, every served route with its methods, every operation with responses, every
/// `$ref` resolving to a schema, and the secured operations marked with the bearer scheme.
async fn openapi_document() {
    let (_tmp, dir) = seed_config();
    let d = Daemon::start(&dir);
    let doc = d.api().get("/openapi.json").await.body;
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    assert!(doc["info"]["title"].is_string() && doc["info"]["version"].is_string());
    let expect: &[(&str, &[&str])] = &[
        ("/", &["get"]),
        ("/token", &["post"]),
        ("/token/refresh", &["post"]),
        ("/logout", &["post"]),
        ("/api/health", &["get"]),
        ("/api/pools/status", &["get"]),
        ("/servers", &["get", "post"]),
        ("/servers/{name}", &["delete", "get", "put"]),
        ("/users", &["get", "post"]),
        ("/users/me", &["get"]),
        ("/users/{login}", &["delete", "get", "put"]),
        ("/servers/{name}/test-ssh", &["post"]),
        ("/servers/{name}/test-pg", &["post"]),
        ("/servers/test", &["post"]),
        ("/server_stats/{name}", &["get"]),
        ("/server/{name}/stats", &["get"]),
        ("/server/{name}/db/{db}", &["get"]),
        ("/server/{name}/db/{db}/stats", &["get"]),
        ("/server/{name}/analysis", &["get"]),
        ("/server/{name}/activity", &["get"]),
        ("/server/{name}/databases", &["get"]),
        ("/server/{name}/replication", &["get"]),
        ("/server/{name}/statements", &["get"]),
        ("/server/{name}/backends/{pid}/cancel", &["post"]),
        ("/server/{name}/backends/{pid}/terminate", &["post"]),
        ("/collector/status", &["get"]),
        ("/settings", &["get", "put"]),
        ("/audit", &["get"]),
        ("/metrics", &["get"]),
        ("/ssh-keys", &["get"]),
        ("/ssh-keys/generate", &["post"]),
        ("/ssh-keys/import", &["post"]),
        ("/ssh-keys/import-file", &["post"]),
        ("/ssh-keys/{id}", &["delete", "get", "put"]),
        ("/ssh-keys/{id}/servers", &["get"]),
        ("/ssh-keys/{id}/download-public", &["get"]),
    ];
    // Every path of the document is one of these: nothing undocumented, nothing extra.
    assert_eq!(doc["paths"].as_object().unwrap().len(), expect.len());
    for (path, methods) in expect {
        let item = doc["paths"][path]
            .as_object()
            .unwrap_or_else(|| panic!("{path} missing"));
        let have: BTreeSet<&str> = item.keys().map(String::as_str).collect();
        let want: BTreeSet<&str> = methods.iter().copied().collect();
        assert_eq!(have, want, "{path}");
        for (method, op) in item {
            assert!(
                op["responses"].as_object().is_some_and(|r| !r.is_empty()),
                "{method} {path}"
            );
            let public = matches!(*path, "/" | "/token" | "/token/refresh" | "/api/health");
            assert_eq!(
                op.get("security").is_none(),
                public,
                "{method} {path} security"
            );
        }
    }
    let mut all = Vec::new();
    refs(&doc, &mut all);
    assert!(all.len() > 20, "few schema references: {all:?}");
    for r in all {
        let name = r
            .strip_prefix("#/components/schemas/")
            .unwrap_or_else(|| panic!("odd ref {r}"));
        assert!(
            doc["components"]["schemas"][name].is_object(),
            "{r} does not resolve"
        );
    }
    let server_input = &doc["components"]["schemas"]["ServerInput"];
    let required: Vec<&str> = server_input["required"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert!(required.contains(&"name") && required.contains(&"host") && required.contains(&"user"));
    assert_eq!(
        doc["components"]["securitySchemes"]["bearer"]["scheme"],
        "bearer"
    );

    // And the reference validator agrees it is a valid OpenAPI document.
    let file = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(file.path(), doc.to_string()).unwrap();
    let verdict = python::run(
        "import json, sys\nfrom openapi_spec_validator import validate\nvalidate(json.load(open(sys.argv[1])))\nprint('valid')",
        &[file.path().to_str().unwrap()],
    );
    assert_eq!(verdict, "valid");
}

#[tokio::test]
/// `/docs` (Swagger UI) and `/redoc` are served from the binary and load nothing from a CDN.
async fn documentation_pages_are_local() {
    let (_tmp, dir) = seed_config();
    let d = Daemon::start(&dir);
    let client = reqwest::Client::new();
    for path in ["/docs/", "/redoc"] {
        let r = client.get(d.url(path)).send().await.unwrap();
        assert_eq!(r.status(), 200, "{path}");
        let html = r.text().await.unwrap();
        assert!(
            html.contains("<html") || html.contains("<!DOCTYPE") || html.contains("<!doctype"),
            "{path}"
        );
        for cdn in ["https://", "http://cdn", "unpkg", "jsdelivr"] {
            assert!(!html.contains(cdn), "{path} loads from {cdn}");
        }
    }
    let ui = client
        .get(d.url("/docs/swagger-ui-bundle.js"))
        .send()
        .await
        .unwrap();
    assert_eq!(ui.status(), 200);
}
