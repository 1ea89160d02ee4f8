//! Body, query and path extractors whose rejections are FastAPI's 422 list naming what is
//! wrong (`["query", "limit"]`), so clients written against the Python backend, and clients
//! generated from the OpenAPI document, read them the same way; and where a request comes from.

use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::StatusCode;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

use super::ApiError;

/// Where a request comes from: the TCP peer's address, or the admin socket.
pub enum Source {
    Tcp(Option<std::net::IpAddr>),
    AdminSocket,
}

impl Source {
    /// How logs and the audit trail name it: the address, or `admin-socket`.
    pub fn label(&self) -> String {
        match self {
            Source::AdminSocket => "admin-socket".into(),
            Source::Tcp(Some(ip)) => ip.to_string(),
            Source::Tcp(None) => "unknown".into(),
        }
    }
}

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for Source {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        _: &S,
    ) -> Result<Self, Self::Rejection> {
        use axum::extract::ConnectInfo;
        if parts
            .extensions
            .get::<ConnectInfo<crate::listen::SocketPeer>>()
            .is_some()
        {
            return Ok(Source::AdminSocket);
        }
        let addr = parts
            .extensions
            .get::<ConnectInfo<std::net::SocketAddr>>()
            .map(|c| c.0.ip());
        Ok(Source::Tcp(addr))
    }
}

/// A JSON body.
pub struct JsonBody<T>(pub T);

/// An `application/x-www-form-urlencoded` body.
pub struct FormBody<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for JsonBody<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        let bytes = body_bytes(req, state).await?;
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Err(ApiError::validation(
                vec![json!("body")],
                "missing",
                "Field required",
            ));
        }
        let de = &mut serde_json::Deserializer::from_slice(&bytes);
        match serde_path_to_error::deserialize(de) {
            Ok(v) => Ok(JsonBody(v)),
            // serde_json reports a value of the wrong kind for an enum (`null`, `true`) as a
            // syntax error; when the body is valid JSON, it is the field that is wrong.
            Err(e)
                if e.inner().is_syntax()
                    && serde_json::from_slice::<serde::de::IgnoredAny>(&bytes).is_ok() =>
            {
                Err(data_error(
                    &e.path().to_string(),
                    "invalid value: not one this field accepts",
                ))
            }
            Err(e) if e.inner().is_syntax() || e.inner().is_eof() => Err(ApiError::validation(
                vec![json!("body"), json!(e.inner().column())],
                "json_invalid",
                "JSON decode error",
            )),
            Err(e) => {
                let path = e.path().to_string();
                Err(data_error(&path, &e.inner().to_string()))
            }
        }
    }
}

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for FormBody<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        let bytes = body_bytes(req, state).await?;
        // Form fields are flat, so the message alone locates the error.
        serde_urlencoded::from_bytes(&bytes)
            .map(FormBody)
            .map_err(|e| data_error("", &e.to_string()))
    }
}

async fn body_bytes<S: Send + Sync>(req: Request, state: &S) -> Result<Bytes, ApiError> {
    Bytes::from_request(req, state).await.map_err(|r| {
        if r.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::TooLarge
        } else {
            ApiError::BadRequest(r.body_text())
        }
    })
}

/// Turns a serde data error into a 422 item: a missing field is FastAPI's `missing` at
/// `["body", field]`; anything else is a `value_error` at the path where it happened.
fn data_error(path: &str, message: &str) -> ApiError {
    let mut loc: Vec<Value> = vec![json!("body")];
    loc.extend(
        path.split('.')
            .filter(|p| !p.is_empty() && *p != "?")
            .map(|p| json!(p)),
    );
    let message = message.split(" at line ").next().unwrap_or(message);
    if let Some(field) = missing_field(message) {
        loc.push(json!(field));
        return ApiError::validation(loc, "missing", "Field required");
    }
    ApiError::validation(loc, "value_error", message)
}

/// The field serde says is missing (`missing field `name``), if that is the error.
fn missing_field(message: &str) -> Option<&str> {
    message
        .strip_prefix("missing field `")
        .and_then(|m| m.strip_suffix('`'))
}

/// Query parameters. A value that does not parse (`limit=abc`, `order=bogus`) is a 422 naming
/// the parameter, as an out-of-range one is, rather than axum's plain 400.
pub struct QueryParams<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> axum::extract::FromRequestParts<S> for QueryParams<T> {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        _: &S,
    ) -> Result<Self, ApiError> {
        let query = parts.uri.query().unwrap_or_default();
        let de = serde_urlencoded::Deserializer::new(form_urlencoded::parse(query.as_bytes()));
        serde_path_to_error::deserialize(de)
            .map(QueryParams)
            .map_err(|e| param_error("query", &e.path().to_string(), &e.inner().to_string()))
    }
}

/// Path parameters: one that does not parse (`/backends/abc/cancel`) is a 422 naming it.
pub struct PathParams<T>(pub T);

impl<T: DeserializeOwned + Send, S: Send + Sync> axum::extract::FromRequestParts<S>
    for PathParams<T>
{
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        state: &S,
    ) -> Result<Self, ApiError> {
        use axum::extract::path::{ErrorKind, Path, RawPathParams};
        use axum::extract::rejection::PathRejection;
        match Path::<T>::from_request_parts(parts, state).await {
            Ok(Path(v)) => Ok(PathParams(v)),
            Err(PathRejection::FailedToDeserializePathParams(e)) => {
                let names: Vec<String> = RawPathParams::from_request_parts(parts, state)
                    .await
                    .map(|p| p.iter().map(|(k, _)| k.to_owned()).collect())
                    .unwrap_or_default();
                let (name, msg) = match e.kind() {
                    ErrorKind::ParseErrorAtKey {
                        key, expected_type, ..
                    } => (key.clone(), expected(expected_type)),
                    ErrorKind::ParseErrorAtIndex {
                        index,
                        expected_type,
                        ..
                    } => (
                        names.get(*index).cloned().unwrap_or_default(),
                        expected(expected_type),
                    ),
                    other => (String::new(), other.to_string()),
                };
                Err(param_error("path", &name, &msg))
            }
            Err(other) => Err(ApiError::BadRequest(other.body_text())),
        }
    }
}

/// FastAPI's words for a Rust type a path value did not parse as (`i32` is an integer).
fn expected(rust_type: &str) -> String {
    let digits = rust_type.trim_start_matches(['i', 'u']);
    let kind = match rust_type {
        "bool" => "boolean",
        _ if digits == "size" || (digits != rust_type && digits.parse::<u8>().is_ok()) => "integer",
        other => other,
    };
    format!("Input should be a valid {kind}")
}

/// A 422 item for a query or path parameter, typed as FastAPI types them.
fn param_error(place: &str, name: &str, message: &str) -> ApiError {
    if let Some(field) = missing_field(message) {
        return ApiError::validation(
            vec![json!(place), json!(field)],
            "missing",
            "Field required",
        );
    }
    // FastAPI's type and words, with serde's reason after them.
    let (kind, words) = if message.starts_with("unknown variant") {
        ("enum", "Input should be one of the values listed")
    } else if message.contains("digit") || message.contains("number") || message.contains("integer")
    {
        ("int_parsing", "Input should be a valid integer")
    } else if message.contains("`true` or `false`") || message.contains("boolean") {
        ("bool_parsing", "Input should be a valid boolean")
    } else {
        ("value_error", "Input is not valid")
    };
    let msg = if message.starts_with(words) {
        message.to_owned()
    } else {
        format!("{words}: {message}")
    };
    let mut loc = vec![json!(place)];
    if !name.is_empty() {
        loc.push(json!(name));
    }
    ApiError::validation(loc, kind, msg)
}
