//! The console's side of a visit: its session cookies, the CSRF check, and calls to pgmond's
//! own API in-process with the visitor's token. The console owns these and nothing else about
//! auth: every call goes through the API router, its role extractors and its audit trail, as
//! any HTTP client's would.
//!
//! Cookies (all `HttpOnly`, `SameSite=Strict`, `Path=/ui`, `Secure` under HTTPS, ending with
//! the browser session): `pgmon_access` and `pgmon_refresh` hold the session's tokens as
//! `POST /token` issued them, out of reach of page scripts; `pgmon_csrf` holds a random value
//! every form repeats in a hidden field (a page of another origin can neither read it nor set
//! it). A change is also refused when its `Origin` is not pgmond's own.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::{Body, Bytes};
use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::header::{AUTHORIZATION, CONTENT_TYPE, COOKIE, HOST, LOCATION, ORIGIN};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, Method, Request, StatusCode};
use axum::response::{IntoResponse, Response};
use pgmon_common::api::{Token, UserResponse};
use serde::de::DeserializeOwned;
use tower::ServiceExt;

use super::Console;

pub const ACCESS: &str = "pgmon_access";
pub const REFRESH: &str = "pgmon_refresh";
pub const CSRF: &str = "pgmon_csrf";

/// How long a spent refresh token's successor is handed to a second request that spent the
/// same one (two tabs, or a page and its live refresh, whose access token expired together):
/// without it, the second exchange would look like a stolen token and end the session.
const REFRESH_GRACE: Duration = Duration::from_secs(30);
/// The largest API answer the console reads (a 1,000-server fleet is about 600 KB).
const MAX_ANSWER: usize = 32 << 20;

#[derive(Clone)]
pub struct Tokens {
    pub access: String,
    pub refresh: String,
}

/// Refresh exchanges of the last `REFRESH_GRACE`, by the refresh token spent.
#[derive(Default)]
pub struct Exchanges(Mutex<HashMap<String, (Instant, Tokens)>>);

impl Exchanges {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, (Instant, Tokens)>> {
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn recent(&self, spent: &str) -> Option<Tokens> {
        let mut map = self.lock();
        map.retain(|_, (at, _)| at.elapsed() < REFRESH_GRACE);
        map.get(spent).map(|(_, t)| t.clone())
    }

    fn keep(&self, spent: &str, next: &Tokens) {
        self.lock()
            .insert(spent.to_owned(), (Instant::now(), next.clone()));
    }
}

/// Cookies a response must set, filled while the request is handled (a token refreshed on the
/// way) and written by `web::set_cookies`.
#[derive(Clone, Default)]
pub struct Jar(Arc<Mutex<Vec<HeaderValue>>>);

impl Jar {
    pub fn push(&self, cookie: HeaderValue) {
        self.0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(cookie);
    }

    pub fn take(&self) -> Vec<HeaderValue> {
        std::mem::take(&mut *self.0.lock().unwrap_or_else(|p| p.into_inner()))
    }
}

/// `name=value` with the console's attributes; an empty value deletes the cookie.
pub fn cookie(name: &str, value: &str, secure: bool) -> HeaderValue {
    let end = if value.is_empty() { "; Max-Age=0" } else { "" };
    let secure = if secure { "; Secure" } else { "" };
    HeaderValue::from_str(&format!(
        "{name}={value}; Path=/ui; HttpOnly; SameSite=Strict{secure}{end}"
    ))
    .expect("tokens and hex are header-safe")
}

fn cookies(headers: &HeaderMap) -> HashMap<String, String> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|c| c.trim().split_once('='))
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect()
}

/// A random value for the CSRF cookie: 32 bytes, hex.
pub fn new_csrf() -> String {
    use rand::RngCore;
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Whether `a` and `b` are equal, in time that does not depend on where they differ.
fn same(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

/// Whether the request's `Origin` (when it sends one) is pgmond's own, and the browser does
/// not say it comes from another site.
fn same_origin(headers: &HeaderMap) -> bool {
    let header = |name| {
        headers
            .get(name)
            .and_then(|v: &HeaderValue| v.to_str().ok())
    };
    if header("sec-fetch-site").is_some_and(|s| s == "cross-site" || s == "same-site") {
        return false;
    }
    match (header(ORIGIN.as_str()), header(HOST.as_str())) {
        (None, _) => true,
        (Some(origin), Some(host)) => {
            origin == format!("http://{host}") || origin == format!("https://{host}")
        }
        (Some(_), None) => false,
    }
}

/// An answer of the API.
pub struct Answer {
    pub status: StatusCode,
    pub body: Bytes,
}

impl Answer {
    pub fn ok(&self) -> bool {
        self.status.is_success()
    }

    /// The API's `detail` as a sentence: its text, or each 422 item's field and message.
    pub fn detail(&self) -> String {
        let v: serde_json::Value = serde_json::from_slice(&self.body).unwrap_or_default();
        match &v["detail"] {
            serde_json::Value::String(s) => s.clone(),
            serde_json::Value::Array(items) => items
                .iter()
                .map(|i| {
                    let field = i["loc"]
                        .as_array()
                        .and_then(|l| l.last())
                        .map(|f| f.to_string().trim_matches('"').to_owned())
                        .unwrap_or_default();
                    format!("{field}: {}", i["msg"].as_str().unwrap_or("invalid"))
                })
                .collect::<Vec<_>>()
                .join("; "),
            _ => self.status.canonical_reason().unwrap_or("Error").to_owned(),
        }
    }

    /// The answer if it is a success, else the page that shows the API's refusal.
    pub fn success(self) -> Result<Answer, Leave> {
        if self.ok() {
            return Ok(self);
        }
        Err(Leave::Failed {
            status: self.status,
            detail: self.detail(),
        })
    }

    pub fn json<T: DeserializeOwned>(&self) -> Result<T, Leave> {
        serde_json::from_slice(&self.body).map_err(|e| Leave::Failed {
            status: StatusCode::BAD_GATEWAY,
            detail: format!("pgmond's answer did not read: {e}"),
        })
    }
}

/// Why a page is not shown: the visitor must sign in (again), or the API refused.
pub enum Leave {
    SignIn { next: String },
    Failed { status: StatusCode, detail: String },
}

impl Leave {
    pub fn refused(detail: &str) -> Leave {
        Leave::Failed {
            status: StatusCode::FORBIDDEN,
            detail: detail.to_owned(),
        }
    }
}

impl IntoResponse for Leave {
    fn into_response(self) -> Response {
        match self {
            Leave::SignIn { next } => {
                let to = format!(
                    "/ui/login?{}",
                    form_urlencoded::Serializer::new(String::new())
                        .append_pair("next", &next)
                        .finish()
                );
                let mut r = StatusCode::SEE_OTHER.into_response();
                r.headers_mut().insert(
                    LOCATION,
                    HeaderValue::from_str(&to).unwrap_or(HeaderValue::from_static("/ui/login")),
                );
                r
            }
            Leave::Failed { status, detail } => {
                (status, super::layout::error_page(status, &detail)).into_response()
            }
        }
    }
}

/// One request to the console: who is visiting, with what tokens.
pub struct Visit {
    pub console: Arc<Console>,
    peer: Option<SocketAddr>,
    tokens: Option<Tokens>,
    pub csrf: String,
    jar: Jar,
    /// The page asked for (path and query), to come back to after signing in.
    pub here: String,
    same_origin: bool,
    me: Option<UserResponse>,
}

impl FromRequestParts<Arc<Console>> for Visit {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        console: &Arc<Console>,
    ) -> Result<Visit, Self::Rejection> {
        let jar = parts.extensions.get::<Jar>().cloned().unwrap_or_default();
        let c = cookies(&parts.headers);
        let tokens = match (c.get(ACCESS), c.get(REFRESH)) {
            (Some(a), Some(r)) if !a.is_empty() => Some(Tokens {
                access: a.clone(),
                refresh: r.clone(),
            }),
            _ => None,
        };
        Ok(Visit {
            console: Arc::clone(console),
            peer: parts
                .extensions
                .get::<ConnectInfo<SocketAddr>>()
                .map(|c| c.0),
            tokens,
            csrf: c.get(CSRF).cloned().unwrap_or_default(),
            jar,
            here: parts
                .uri
                .path_and_query()
                .map_or_else(|| "/ui/".to_owned(), |p| p.as_str().to_owned()),
            same_origin: same_origin(&parts.headers),
            me: None,
        })
    }
}

impl Visit {
    /// The request comes from pgmond's own pages.
    pub fn check_origin(&self) -> Result<(), Leave> {
        if !self.same_origin {
            return Err(Leave::refused(
                "Refused: the request came from another site",
            ));
        }
        Ok(())
    }

    /// A change may go ahead: same origin, and the form's token is the cookie's.
    pub fn check(&self, form_token: &str) -> Result<(), Leave> {
        self.check_origin()?;
        if self.csrf.is_empty() || !same(&self.csrf, form_token) {
            return Err(Leave::refused(
                "Refused: the form is out of date or not this console's; reload the page and try again",
            ));
        }
        Ok(())
    }

    pub fn signed_in(&self) -> bool {
        self.tokens.is_some()
    }

    fn sign_in_again(&self) -> Leave {
        Leave::SignIn {
            next: self.here.clone(),
        }
    }

    /// Sends one request to the API as the visitor; an expired access token is refreshed once
    /// (its new pair goes to the cookies), and a session that cannot be refreshed sends the
    /// visitor to sign in.
    pub async fn call(
        &mut self,
        method: Method,
        uri: &str,
        body: Option<(&'static str, Bytes)>,
    ) -> Result<Answer, Leave> {
        let Some(tokens) = self.tokens.clone() else {
            return Err(self.sign_in_again());
        };
        let first = self
            .console
            .call(
                self.peer,
                method.clone(),
                uri,
                Some(&tokens.access),
                body.clone(),
            )
            .await;
        if first.status != StatusCode::UNAUTHORIZED {
            return Ok(first);
        }
        let Some(next) = self.refresh(&tokens).await else {
            self.forget();
            return Err(self.sign_in_again());
        };
        let again = self
            .console
            .call(self.peer, method, uri, Some(&next.access), body)
            .await;
        if again.status == StatusCode::UNAUTHORIZED {
            self.forget();
            return Err(self.sign_in_again());
        }
        Ok(again)
    }

    async fn refresh(&mut self, spent: &Tokens) -> Option<Tokens> {
        let next = match self.console.exchanges.recent(&spent.refresh) {
            Some(t) => t,
            None => {
                let body = serde_json::json!({ "refresh_token": spent.refresh }).to_string();
                let a = self
                    .console
                    .call(
                        self.peer,
                        Method::POST,
                        "/token/refresh",
                        None,
                        Some(("application/json", Bytes::from(body))),
                    )
                    .await;
                let pair: Token = serde_json::from_slice(&a.body).ok().filter(|_| a.ok())?;
                let next = Tokens {
                    access: pair.access_token,
                    refresh: pair.refresh_token?,
                };
                self.console.exchanges.keep(&spent.refresh, &next);
                next
            }
        };
        self.keep(&next);
        Some(next)
    }

    /// Puts a session's tokens in the cookies of the answer.
    pub fn keep(&mut self, t: &Tokens) {
        let secure = self.console.secure;
        self.jar.push(cookie(ACCESS, &t.access, secure));
        self.jar.push(cookie(REFRESH, &t.refresh, secure));
        self.tokens = Some(t.clone());
    }

    /// Starts a console session: its tokens and a new CSRF value.
    pub fn start(&mut self, t: &Tokens) {
        self.keep(t);
        self.csrf = new_csrf();
        self.jar.push(cookie(CSRF, &self.csrf, self.console.secure));
    }

    /// Deletes the session's cookies.
    pub fn forget(&mut self) {
        for name in [ACCESS, REFRESH, CSRF] {
            self.jar.push(cookie(name, "", self.console.secure));
        }
        self.tokens = None;
    }

    /// Signs in with a login and password: the API's answer when it refused.
    pub async fn sign_in(&mut self, login: &str, password: &str) -> Result<(), Answer> {
        let body = form_urlencoded::Serializer::new(String::new())
            .append_pair("username", login)
            .append_pair("password", password)
            .finish();
        let a = self
            .console
            .call(
                self.peer,
                Method::POST,
                "/token",
                None,
                Some(("application/x-www-form-urlencoded", Bytes::from(body))),
            )
            .await;
        let pair: Option<Token> = serde_json::from_slice(&a.body).ok().filter(|_| a.ok());
        match pair.and_then(|p| Some((p.access_token, p.refresh_token?))) {
            Some((access, refresh)) => {
                self.start(&Tokens { access, refresh });
                Ok(())
            }
            None => Err(a),
        }
    }

    /// Ends the session on the daemon (`POST /logout`) and deletes the cookies.
    pub async fn sign_out(&mut self) {
        if self.tokens.is_some() {
            // An expired session is already over: the refresh inside `call` finds that out.
            let _ = self.call(Method::POST, "/logout", None).await;
        }
        self.forget();
    }

    /// A GET whose answer must be a success.
    pub async fn get<T: DeserializeOwned>(&mut self, uri: &str) -> Result<T, Leave> {
        self.call(Method::GET, uri, None).await?.success()?.json()
    }

    /// A change with a JSON body; the answer whatever its status (the page shows a refusal).
    pub async fn send(
        &mut self,
        method: Method,
        uri: &str,
        body: &serde_json::Value,
    ) -> Result<Answer, Leave> {
        let bytes = Bytes::from(body.to_string());
        self.call(method, uri, Some(("application/json", bytes)))
            .await
    }

    /// The signed-in user (`GET /users/me`, once a visit).
    pub async fn me(&mut self) -> Result<UserResponse, Leave> {
        if let Some(me) = &self.me {
            return Ok(me.clone());
        }
        let me: UserResponse = self.get("/users/me").await?;
        self.me = Some(me.clone());
        Ok(me)
    }

    /// The signed-in user as the page header shows them.
    pub async fn who(&mut self) -> Result<super::layout::Who, Leave> {
        let me = self.me().await?;
        Ok(super::layout::Who {
            login: me.login,
            role: me.role,
            csrf: self.csrf.clone(),
        })
    }
}

impl Console {
    /// One request to the API router, in-process, from the visitor's address (so the audit
    /// trail and the login throttle see the browser's source).
    async fn call(
        &self,
        peer: Option<SocketAddr>,
        method: Method,
        uri: &str,
        token: Option<&str>,
        body: Option<(&'static str, Bytes)>,
    ) -> Answer {
        let mut request = Request::builder().method(method).uri(uri);
        if let Some(t) = token {
            request = request.header(AUTHORIZATION, format!("Bearer {t}"));
        }
        let (kind, bytes) = body.unwrap_or(("", Bytes::new()));
        if !kind.is_empty() {
            request = request.header(CONTENT_TYPE, kind);
        }
        let mut request = match request.body(Body::from(bytes)) {
            Ok(r) => r,
            Err(e) => {
                return Answer {
                    status: StatusCode::BAD_REQUEST,
                    body: Bytes::from(
                        serde_json::json!({ "detail": format!("Bad request: {e}") }).to_string(),
                    ),
                };
            }
        };
        if let Some(p) = peer {
            request.extensions_mut().insert(ConnectInfo(p));
        }
        let response = match self.api.clone().oneshot(request).await {
            Ok(r) => r,
            Err(never) => match never {},
        };
        let (parts, body) = response.into_parts();
        let body = axum::body::to_bytes(body, MAX_ANSWER)
            .await
            .unwrap_or_default();
        Answer {
            status: parts.status,
            body,
        }
    }
}

/// A redirect after a change (303: the browser follows it with a GET).
pub fn see_other(to: &str) -> Response {
    let mut r = StatusCode::SEE_OTHER.into_response();
    if let Ok(v) = HeaderValue::from_str(to) {
        r.headers_mut().insert(LOCATION, v);
    }
    r
}

/// Where to go after signing in: a console page, never another site.
pub fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(n)
            if n.starts_with("/ui/")
                && !n.contains("//")
                && !n.contains('\\')
                && n.chars().all(|c| c.is_ascii_graphic()) =>
        {
            n.to_owned()
        }
        _ => "/ui/".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    /// Only console pages are where a sign-in leads.
    fn next_stays_in_the_console() {
        assert_eq!(
            safe_next(Some("/ui/server/a?range=1h")),
            "/ui/server/a?range=1h"
        );
        for bad in [
            "//evil.example/ui/",
            "https://evil.example",
            "/ui/\\evil",
            "/api",
            "/ui//x",
        ] {
            assert_eq!(safe_next(Some(bad)), "/ui/", "{bad}");
        }
        assert_eq!(safe_next(None), "/ui/");
    }

    #[test]
    /// Another origin, or a browser that says another site, is refused; no Origin is taken
    /// (a GET-less form post from the page itself always sends one in Chromium).
    fn origin_must_be_our_own() {
        let mut h = HeaderMap::new();
        h.insert(HOST, HeaderValue::from_static("127.0.0.1:8000"));
        assert!(same_origin(&h));
        h.insert(ORIGIN, HeaderValue::from_static("http://127.0.0.1:8000"));
        assert!(same_origin(&h));
        h.insert(ORIGIN, HeaderValue::from_static("http://127.0.0.1:9999"));
        assert!(!same_origin(&h));
        h.insert(ORIGIN, HeaderValue::from_static("null"));
        assert!(!same_origin(&h));
        h.insert(ORIGIN, HeaderValue::from_static("http://127.0.0.1:8000"));
        h.insert("sec-fetch-site", HeaderValue::from_static("cross-site"));
        assert!(!same_origin(&h));
    }
}
