//! A small HTTP client for the tests: every answer as (status, JSON body).

use reqwest::{Method, RequestBuilder};
use serde_json::Value;

#[derive(Clone)]
pub struct Api {
    client: reqwest::Client,
    base: String,
    token: Option<String>,
}

/// An answer: status, headers and the body parsed as JSON (`Value::Null` if it is not JSON).
pub struct Answer {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub body: Value,
}

impl Api {
    pub fn new(base: &str) -> Api {
        Api {
            client: reqwest::Client::new(),
            base: base.to_owned(),
            token: None,
        }
    }

    pub fn with_token(&self, token: &str) -> Api {
        Api {
            token: Some(token.to_owned()),
            ..self.clone()
        }
    }

    /// Logs in through `POST /token` and returns the access token.
    pub async fn token(&self, login: &str, password: &str) -> String {
        let a = self
            .send(
                self.request(Method::POST, "/token")
                    .form(&[("username", login), ("password", password)]),
            )
            .await;
        assert_eq!(a.status, 200, "login of {login} failed: {}", a.body);
        a.body["access_token"].as_str().unwrap().to_owned()
    }

    pub fn request(&self, method: Method, path: &str) -> RequestBuilder {
        let r = self.client.request(method, format!("{}{path}", self.base));
        match &self.token {
            Some(t) => r.bearer_auth(t),
            None => r,
        }
    }

    pub async fn send(&self, request: RequestBuilder) -> Answer {
        let r = request.send().await.expect("request failed");
        let status = r.status().as_u16();
        let headers = r.headers().clone();
        let text = r.text().await.unwrap_or_default();
        Answer {
            status,
            headers,
            body: serde_json::from_str(&text).unwrap_or(Value::Null),
        }
    }

    pub async fn get(&self, path: &str) -> Answer {
        self.send(self.request(Method::GET, path)).await
    }

    /// GETs `path` until `done` holds for a 200 body (within `limit`), and returns that body;
    /// panics with `what` and the last answer otherwise.
    pub async fn get_until(
        &self,
        path: &str,
        limit: std::time::Duration,
        what: &str,
        done: impl Fn(&Value) -> bool,
    ) -> Value {
        let until = std::time::Instant::now() + limit;
        loop {
            let a = self.get(path).await;
            if a.status == 200 && done(&a.body) {
                return a.body;
            }
            assert!(
                std::time::Instant::now() < until,
                "waited {limit:?} for {what}; last answer {}: {}",
                a.status,
                a.body
            );
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
    }

    /// `GET <path>` whose answer is text (`/metrics`).
    pub async fn get_text(&self, path: &str) -> String {
        let r = self
            .request(Method::GET, path)
            .send()
            .await
            .expect("request failed");
        r.text().await.expect("reading the answer")
    }

    pub async fn delete(&self, path: &str) -> Answer {
        self.send(self.request(Method::DELETE, path)).await
    }

    pub async fn post(&self, path: &str, body: &Value) -> Answer {
        self.send(self.request(Method::POST, path).json(body)).await
    }

    pub async fn put(&self, path: &str, body: &Value) -> Answer {
        self.send(self.request(Method::PUT, path).json(body)).await
    }
}

/// Sends one request exactly as written (no URL normalisation, any bytes in the path) over a
/// new TCP connection, and returns the status and body. For path tricks and fuzzing, where a
/// client library would clean the request up first.
pub fn raw_request(
    port: u16,
    method: &str,
    path: &[u8],
    headers: &[(&str, &str)],
    body: &[u8],
) -> (u16, Value) {
    use std::io::{Read, Write};
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).expect("connecting to pgmond");
    s.set_read_timeout(Some(std::time::Duration::from_secs(10)))
        .unwrap();
    let mut req = Vec::new();
    req.extend_from_slice(method.as_bytes());
    req.push(b' ');
    req.extend_from_slice(path);
    req.extend_from_slice(b" HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n");
    for (k, v) in headers {
        req.extend_from_slice(format!("{k}: {v}\r\n").as_bytes());
    }
    req.extend_from_slice(format!("Content-Length: {}\r\n\r\n", body.len()).as_bytes());
    req.extend_from_slice(body);
    s.write_all(&req).expect("sending request");
    let mut reply = Vec::new();
    let _ = s.read_to_end(&mut reply);
    let text = String::from_utf8_lossy(&reply);
    let status = text
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or_else(|| {
            panic!(
                "no HTTP status in reply to {}: {text:?}",
                String::from_utf8_lossy(path)
            )
        });
    let body = text.split_once("\r\n\r\n").map(|(_, b)| b).unwrap_or("");
    (status, serde_json::from_str(body).unwrap_or(Value::Null))
}

/// A raw `GET` of `path` with a bearer token (see [`raw_request`]).
pub fn raw_get(port: u16, path: &str, token: &str) -> (u16, Value) {
    let auth = format!("Bearer {token}");
    raw_request(
        port,
        "GET",
        path.as_bytes(),
        &[("Authorization", &auth)],
        b"",
    )
}
