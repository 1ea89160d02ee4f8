//! Random requests thrown at the router: no 5xx, no hang, always a JSON answer, and the daemon
//! keeps serving. Seeded, so a failure replays.

use pgmon_tests::daemon::Daemon;
use pgmon_tests::fixtures::seed_config;
use pgmon_tests::http::raw_request;

/// xorshift64*: small, seeded, good enough to pick shapes.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
    fn bytes(&mut self, n: usize) -> Vec<u8> {
        (0..n).map(|_| self.next() as u8).collect()
    }
}

const PATHS: &[&str] = &[
    "/",
    "/token",
    "/users",
    "/users/me",
    "/users/admin",
    "/users/{x}",
    "/servers",
    "/servers/local-pg",
    "/servers/{x}",
    "/servers?check=false",
    "/servers?check={x}",
    "/ssh-keys",
    "/ssh-keys/{x}",
    "/api/health",
    "/api/pools/status",
    "/openapi.json",
    "/docs/",
    "/redoc",
    "/{x}",
    "/servers/{x}/{x}",
];
const SEGMENTS: &[&str] = &[
    "..",
    "%2e%2e",
    "%2F",
    "a%00b",
    "%ff",
    "local-pg",
    "%",
    "%zz",
    "a%20b",
    "%C3%A9",
    "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
    "admin",
    "me",
    "%252e",
    "../../etc/passwd",
    "null",
    "{}",
    "-1",
    "true",
];
const METHODS: &[&str] = &["GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "HEAD"];
const CONTENT_TYPES: &[&str] = &[
    "application/json",
    "application/x-www-form-urlencoded",
    "text/plain",
    "multipart/form-data; boundary=x",
    "",
];
const BODIES: &[&str] = &[
    "",
    "{}",
    "[]",
    "null",
    "{\"name\":",
    "{\"name\": \"x\", \"host\": \"h\", \"user\": \"u\", \"port\": -1}",
    "{\"login\": \"{x}\", \"password\": \"{x}\", \"role\": \"{x}\"}",
    "username=admin&password=",
    "username=%ff&password=%00",
    "{\"name\": 1e999}",
    "{\"password\": null, \"role\": null, \"is_active\": null}",
    "\"\\ud800\"",
    "{\"a\":[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]}",
];

#[tokio::test]
/// 600 random requests as anonymous, viewer and admin: every answer is below 500, and health
/// still answers at the end.
async fn random_requests_never_5xx() {
    let (_tmp, dir) = seed_config();
    let d = Daemon::binary(&dir, &[]);
    let admin = format!("Bearer {}", d.api().token("admin", "admin-pass-1").await);
    let viewer = format!("Bearer {}", d.api().token("view", "view-pass-1").await);
    let auths = [
        "",
        admin.as_str(),
        viewer.as_str(),
        "Bearer x.y.z",
        "Basic Zm9vOmJhcg==",
    ];
    let mut rng = Rng(0x5eed_1234_abcd_0001);
    for i in 0..600 * pgmon_tests::soak_factor() {
        let mut path = rng.pick(PATHS).to_string();
        while path.contains("{x}") {
            let seg = *rng.pick(SEGMENTS);
            path = path.replacen("{x}", seg, 1);
        }
        let method = *rng.pick(METHODS);
        let filler = *rng.pick(SEGMENTS);
        let mut body = rng.pick(BODIES).replace("{x}", filler);
        if rng.below(10) == 0 {
            let n = rng.below(200);
            body = String::from_utf8_lossy(&rng.bytes(n)).into_owned();
        }
        let mut headers = vec![];
        let auth = *rng.pick(&auths);
        if !auth.is_empty() {
            headers.push(("Authorization", auth));
        }
        let ct = *rng.pick(CONTENT_TYPES);
        if !ct.is_empty() {
            headers.push(("Content-Type", ct));
        }
        if rng.below(8) == 0 {
            headers.push(("Origin", "http://evil.example"));
        }
        // Admin writes may succeed (that is fine); what matters is that nothing breaks.
        let (status, reply) =
            raw_request(d.port, method, path.as_bytes(), &headers, body.as_bytes());
        assert!(
            status < 500,
            "#{i} {method} {path} body {body:?}: {status} {reply}\n{}",
            d.log()
        );
        if status >= 400 && method != "HEAD" {
            assert!(
                reply.is_object(),
                "#{i} {method} {path}: non-JSON error {reply}"
            );
        }
    }
    // Over-long bodies are refused before they are read in full.
    let big = vec![b'a'; 2 * 1024 * 1024];
    let (status, reply) = raw_request(
        d.port,
        "POST",
        b"/users",
        &[
            ("Authorization", &admin),
            ("Content-Type", "application/json"),
        ],
        &big,
    );
    assert_eq!(
        (status, reply["detail"].as_str()),
        (413, Some("Request body too large"))
    );
    assert_eq!(d.api().get("/api/health").await.status, 200);
    assert!(!d.log().contains("panicked"), "{}", d.log());
}
