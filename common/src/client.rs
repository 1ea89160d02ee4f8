//! The API client `pgmonctl` uses: one `reqwest` client for TCP and for the admin Unix socket.

use std::path::Path;
use std::time::Duration;

pub use reqwest::Method;
use reqwest::{RequestBuilder, Response};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::api::Token;
use crate::{Error, Result};

const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// Long enough for a `/servers` sweep that waits on one dead server's connect timeout.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(60);

pub struct ApiClient {
    http: reqwest::Client,
    base: String,
    token: Option<String>,
    /// What error messages call the daemon: its URL or socket path.
    target: String,
}

impl ApiClient {
    /// A client for the daemon at `url` (`http://host:port` or `https://`), with an optional
    /// bearer token. Over HTTPS the daemon's certificate is verified against the system's
    /// roots and, if given, the CA certificates of PEM file `cacert`.
    pub fn tcp(url: &str, token: Option<String>, cacert: Option<&Path>) -> Result<ApiClient> {
        let mut b = builder();
        if let Some(path) = cacert {
            let pem = std::fs::read(path).map_err(Error::io("reading", path))?;
            let certs = reqwest::Certificate::from_pem_bundle(&pem)
                .map_err(|e| Error::invalid(format!("{}: {e}", path.display())))?;
            if certs.is_empty() {
                return Err(Error::invalid(format!(
                    "{}: no certificate in it",
                    path.display()
                )));
            }
            for cert in certs {
                b = b.add_root_certificate(cert);
            }
        }
        let http = b.build().map_err(|e| unreachable(url, &e))?;
        Ok(ApiClient {
            http,
            base: url.trim_end_matches('/').to_owned(),
            token,
            target: url.to_owned(),
        })
    }

    /// A client for the admin socket, where the daemon takes the caller as admin.
    pub fn socket(path: &Path) -> Result<ApiClient> {
        let target = path.display().to_string();
        let http = builder()
            .unix_socket(path)
            .build()
            .map_err(|e| unreachable(&target, &e))?;
        Ok(ApiClient {
            http,
            base: "http://pgmond".into(),
            token: None,
            target,
        })
    }

    pub fn target(&self) -> &str {
        &self.target
    }

    /// Whether the daemon answers `/api/health`.
    pub async fn ping(&self) -> bool {
        self.request(Method::GET, "/api/health")
            .timeout(Duration::from_secs(2))
            .send()
            .await
            .is_ok_and(|r| r.status().is_success())
    }

    pub async fn get<T: DeserializeOwned>(&self, path: &str) -> Result<T> {
        self.call(self.request(Method::GET, path)).await
    }

    pub async fn delete<T: DeserializeOwned>(&self, path: &str) -> Result<T> {
        self.call(self.request(Method::DELETE, path)).await
    }

    pub async fn send<B: Serialize, T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        body: &B,
    ) -> Result<T> {
        self.call(self.request(method, path).json(body)).await
    }

    /// A GET whose answer is text (`/metrics`).
    pub async fn get_text(&self, path: &str) -> Result<String> {
        let response = self.checked(self.request(Method::GET, path)).await?;
        let status = response.status().as_u16();
        response.text().await.map_err(|e| Error::Api {
            status,
            detail: format!("unreadable answer from the daemon: {e}"),
        })
    }

    /// `POST /token` with the OAuth2 password form.
    pub async fn login(&self, username: &str, password: &str) -> Result<Token> {
        let form = [("username", username), ("password", password)];
        self.call(self.request(Method::POST, "/token").form(&form))
            .await
    }

    fn request(&self, method: Method, path: &str) -> RequestBuilder {
        let r = self.http.request(method, format!("{}{path}", self.base));
        match &self.token {
            Some(t) => r.bearer_auth(t),
            None => r,
        }
    }

    /// The answer of a request that succeeded; an error answer as `Error::Api`.
    async fn checked(&self, request: RequestBuilder) -> Result<Response> {
        let response = request
            .send()
            .await
            .map_err(|e| unreachable(&self.target, &e))?;
        let status = response.status();
        if !status.is_success() {
            return Err(Error::Api {
                status: status.as_u16(),
                detail: detail_of(response).await,
            });
        }
        Ok(response)
    }

    async fn call<T: DeserializeOwned>(&self, request: RequestBuilder) -> Result<T> {
        let response = self.checked(request).await?;
        let status = response.status();
        response.json().await.map_err(|e| Error::Api {
            status: status.as_u16(),
            detail: format!("unexpected answer from the daemon: {e}"),
        })
    }
}

fn builder() -> reqwest::ClientBuilder {
    reqwest::Client::builder()
        .connect_timeout(CONNECT_TIMEOUT)
        .timeout(REQUEST_TIMEOUT)
}

fn unreachable(target: &str, e: &reqwest::Error) -> Error {
    // reqwest's own text names the URL; the source says why (refused, timed out, ...).
    let mut reason = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        reason = s.to_string();
        source = s.source();
    }
    // rustls's words for a plain-HTTP answer to a TLS hello.
    if reason.contains("InvalidContentType") || reason.contains("corrupt message") {
        reason = "the daemon does not speak TLS there: is it http:// rather than https://?".into();
    }
    Error::Unreachable {
        target: target.to_owned(),
        reason,
    }
}

/// The `detail` of an error answer as one line: the text, or the messages of a 422 list.
async fn detail_of(response: Response) -> String {
    let status = response.status();
    // How long to wait, when the daemon says (429, 503).
    let retry = response
        .headers()
        .get(reqwest::header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    let text = response.text().await.unwrap_or_default();
    match serde_json::from_str::<Value>(&text)
        .ok()
        .map(|v| v["detail"].clone())
    {
        Some(Value::String(s)) => match retry {
            Some(seconds) => format!("{s} (retry in {seconds} s)"),
            None => s,
        },
        Some(Value::Array(items)) => items
            .iter()
            .map(|i| {
                let loc: Vec<String> = i["loc"]
                    .as_array()
                    .map(|l| l.iter().map(|p| p.to_string().replace('"', "")).collect())
                    .unwrap_or_default();
                format!(
                    "{}: {}",
                    loc.join("."),
                    i["msg"].as_str().unwrap_or("invalid")
                )
            })
            .collect::<Vec<_>>()
            .join("; "),
        _ => status.canonical_reason().unwrap_or("error").to_owned(),
    }
}

/// Percent-encodes one path segment (a user login, server name or key id) so that `/`, `?`,
/// `%` or `..` in a name can never change the path the request goes to.
pub fn segment(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    /// Separators and dots are encoded, so a name is always exactly one segment.
    fn segments_are_encoded() {
        assert_eq!(segment("local-pg"), "local-pg");
        assert_eq!(segment("../x"), "%2E%2E%2Fx");
        assert_eq!(segment("a b?c%"), "a%20b%3Fc%25");
        assert_eq!(segment("db@eu.1"), "db%40eu%2E1");
    }
}
