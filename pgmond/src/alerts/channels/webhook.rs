//! A webhook: one POST per notification. The body is the payload as JSON (or, with `text`,
//! `{"text": ...}` for Slack and Mattermost); `Idempotency-Key` carries the payload's key and,
//! with a secret, `X-Pgmon-Signature: sha256=<hex>` the HMAC-SHA256 of the body with it.

use std::sync::OnceLock;
use std::time::Duration;

use hmac::{Hmac, Mac};
use pgmon_common::crypto::Cipher;
use sha2::Sha256;

use super::StoredChannel;
use crate::alerts::payload::Payload;

/// One client for every webhook and Alertmanager: connections are reused; redirects are not
/// followed (a receiver cannot bounce pgmon's request, with its signature, elsewhere).
pub fn client() -> &'static reqwest::Client {
    static CLIENT: OnceLock<reqwest::Client> = OnceLock::new();
    CLIENT.get_or_init(|| {
        reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .connect_timeout(Duration::from_secs(5))
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("pgmond/", env!("CARGO_PKG_VERSION")))
            .build()
            .unwrap_or_default()
    })
}

/// The signature header's value for `body`.
pub fn signature(secret: &str, body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes any key");
    mac.update(body);
    let hex: String = mac
        .finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    format!("sha256={hex}")
}

/// Posts `body` to `url`; a 2xx answer is delivery.
pub async fn post(
    url: &str,
    body: Vec<u8>,
    headers: reqwest::header::HeaderMap,
) -> Result<(), String> {
    let answer = client()
        .post(url)
        .headers(headers)
        .header(reqwest::header::CONTENT_TYPE, "application/json")
        .body(body)
        .send()
        .await
        .map_err(|e| one_line(&e))?;
    let status = answer.status();
    if status.is_success() {
        Ok(())
    } else {
        Err(format!("answered {status}"))
    }
}

/// A reqwest error as one line, without the URL (it may hold a token in its query).
fn one_line(e: &reqwest::Error) -> String {
    let what = if e.is_timeout() {
        "timed out"
    } else if e.is_connect() {
        "could not connect"
    } else {
        "request failed"
    };
    let mut source = std::error::Error::source(e);
    let mut why = String::new();
    while let Some(s) = source {
        why = s.to_string();
        source = s.source();
    }
    if why.is_empty() {
        what.into()
    } else {
        format!("{what}: {why}")
    }
}

pub async fn send(c: &StoredChannel, p: &Payload, cipher: &Cipher) -> Result<(), String> {
    let url = c.url.as_deref().ok_or("no url")?;
    let body = if c.text {
        serde_json::json!({ "text": super::plain_text(p) }).to_string()
    } else {
        serde_json::to_string(p).map_err(|e| e.to_string())?
    }
    .into_bytes();
    let mut headers = reqwest::header::HeaderMap::new();
    for (name, value) in &c.headers {
        let value = value
            .reveal(cipher, "a webhook header")
            .map_err(|e| e.to_string())?;
        if let (Ok(n), Ok(v)) = (
            reqwest::header::HeaderName::from_bytes(name.as_bytes()),
            reqwest::header::HeaderValue::from_str(&value),
        ) {
            headers.insert(n, v);
        }
    }
    if let Ok(v) = reqwest::header::HeaderValue::from_str(&p.key) {
        headers.insert("idempotency-key", v);
    }
    if let Some(secret) = c.secret.as_ref().filter(|s| s.is_set()) {
        let key = secret
            .reveal(cipher, "a webhook secret")
            .map_err(|e| e.to_string())?;
        if let Ok(v) = reqwest::header::HeaderValue::from_str(&signature(&key, &body)) {
            headers.insert("x-pgmon-signature", v);
        }
    }
    post(url, body, headers).await
}

#[cfg(test)]
mod tests {
    #[test]
    /// RFC 4231 test case 2.
    fn hmac_sha256_signature() {
        assert_eq!(
            super::signature("Jefe", b"what do ya want for nothing?"),
            "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }
}
