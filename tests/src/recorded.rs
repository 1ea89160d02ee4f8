//! The Python backend's recorded answers (`tests/fixtures/recorded`), and replaying them.

use serde_json::Value;

use crate::fixtures::fixtures_dir;

/// One recording: the request as sent and the answer as received.
pub struct Recording {
    pub name: String,
    pub method: String,
    /// Path with its query string.
    pub path: String,
    /// The login whose token the request carried, if any.
    pub token_of: Option<String>,
    pub status: u16,
    pub body: Value,
}

pub fn load(name: &str) -> Recording {
    let path = fixtures_dir().join("recorded").join(format!("{name}.json"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let r: Value = serde_json::from_str(&text).unwrap();
    let auth = r["request"]["headers"]["Authorization"]
        .as_str()
        .unwrap_or("");
    let token_of = auth
        .strip_prefix("Bearer <token of ")
        .and_then(|s| s.strip_suffix('>'))
        .map(str::to_owned);
    Recording {
        name: name.to_owned(),
        method: r["request"]["method"].as_str().unwrap().to_owned(),
        path: r["request"]["path"].as_str().unwrap().to_owned(),
        token_of,
        status: r["status"].as_u64().unwrap() as u16,
        body: r["body"].clone(),
    }
}

/// Makes two history answers comparable: lists the original left unordered are sorted.
pub fn normalise_history(mut body: Value) -> Value {
    if let Some(dbs) = body.get_mut("databases").and_then(Value::as_array_mut) {
        dbs.sort_by_key(|d| d["name"].as_str().unwrap_or_default().to_owned());
    }
    if let Some(points) = body
        .get_mut("connection_timeline")
        .and_then(Value::as_array_mut)
    {
        points.sort_by_key(|p| {
            (
                p["ts"].as_str().unwrap_or_default().to_owned(),
                p["datname"].as_str().unwrap_or_default().to_owned(),
            )
        });
    }
    body
}
