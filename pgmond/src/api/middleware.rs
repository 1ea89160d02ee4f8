//! Layers around every route: errors always in the `{"detail"}` shape, panics as a plain 500,
//! bodies that must arrive in time, and one log line per request (with the peer uid on the
//! admin socket).

use std::any::Any;
use std::time::{Duration, Instant};

use axum::Json;
use axum::extract::{ConnectInfo, Request};
use axum::http::StatusCode;
use axum::http::header::CONTENT_TYPE;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::listen::SocketPeer;

/// Rejections that axum itself produces (405, a bad path segment, a bad query) come as plain
/// text; clients of the Python backend expect `{"detail": ...}` everywhere. The web console's
/// pages (HTML) are left as they are.
pub async fn json_errors(response: Response) -> Response {
    let status = response.status();
    let is_json = response.headers().get(CONTENT_TYPE).is_some_and(|v| {
        v.as_bytes().starts_with(b"application/json") || v.as_bytes().starts_with(b"text/html")
    });
    if !(status.is_client_error() || status.is_server_error()) || is_json {
        return response;
    }
    let detail = status.canonical_reason().unwrap_or("Error");
    let mut replaced = (status, Json(json!({ "detail": detail }))).into_response();
    for (name, value) in response.headers() {
        if name != CONTENT_TYPE && name != axum::http::header::CONTENT_LENGTH {
            replaced.headers_mut().insert(name.clone(), value.clone());
        }
    }
    replaced
}

/// Headers every answer carries: no type sniffing, no framing, no referrer (the console's pages
/// say `same-origin`, so their forms' `Origin` can be checked), no caching (answers hold fleet
/// data and user lists). CORS credentials are allowed only beside an allowed origin:
/// the CORS layer would send `allow-credentials` to any caller.
pub async fn security_headers(mut response: Response) -> Response {
    use axum::http::HeaderValue;
    use axum::http::header::{
        ACCESS_CONTROL_ALLOW_CREDENTIALS, ACCESS_CONTROL_ALLOW_ORIGIN, CACHE_CONTROL,
        REFERRER_POLICY, X_CONTENT_TYPE_OPTIONS, X_FRAME_OPTIONS,
    };
    let h = response.headers_mut();
    h.insert(X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    if !h.contains_key(REFERRER_POLICY) {
        h.insert(REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    }
    if !h.contains_key(CACHE_CONTROL) {
        h.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    if !h.contains_key(ACCESS_CONTROL_ALLOW_ORIGIN) {
        h.remove(ACCESS_CONTROL_ALLOW_CREDENTIALS);
    }
    response
}

/// The whole request body, read before any handler runs, within `deadline` and `max` bytes:
/// hyper's header timeout ends at the last header, so a client sending one byte every few
/// seconds would otherwise hold its connection (and a place under `max_connections`) for
/// good. Too slow: 408 and the connection closed; too large: 413.
pub async fn read_body_in_time(
    axum::extract::State((deadline, max)): axum::extract::State<(Duration, usize)>,
    request: Request,
    next: Next,
) -> Response {
    use http_body_util::{BodyExt, LengthLimitError, Limited};
    let (parts, body) = request.into_parts();
    let read = tokio::time::timeout(deadline, Limited::new(body, max).collect()).await;
    let bytes = match read {
        Ok(Ok(collected)) => collected.to_bytes(),
        Ok(Err(e)) if e.is::<LengthLimitError>() => {
            return crate::api::ApiError::TooLarge.into_response();
        }
        Ok(Err(_)) => {
            return (
                StatusCode::BAD_REQUEST,
                Json(json!({"detail": "Request body could not be read"})),
            )
                .into_response();
        }
        Err(_) => {
            let mut late = (
                StatusCode::REQUEST_TIMEOUT,
                Json(json!({"detail": "Request body not received in time"})),
            )
                .into_response();
            late.headers_mut().insert(
                axum::http::header::CONNECTION,
                axum::http::HeaderValue::from_static("close"),
            );
            return late;
        }
    };
    next.run(Request::from_parts(parts, axum::body::Body::from(bytes)))
        .await
}

/// A panic in a handler becomes a generic 500; the daemon keeps serving.
pub fn panic_response(panic: Box<dyn Any + Send + 'static>) -> Response {
    let what = panic
        .downcast_ref::<String>()
        .map(String::as_str)
        .or_else(|| panic.downcast_ref::<&str>().copied())
        .unwrap_or("unknown panic");
    tracing::error!(panic = what, "handler panicked");
    (
        StatusCode::INTERNAL_SERVER_ERROR,
        Json(json!({"detail": "Internal server error"})),
    )
        .into_response()
}

/// Logs each request. Admin-socket requests are logged at info with the caller's uid (they act
/// as admin); TCP requests at debug, since health checks would flood the journal.
pub async fn log_requests(request: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = request.method().clone();
    let path = request.uri().path().to_owned();
    let peer = request
        .extensions()
        .get::<ConnectInfo<SocketPeer>>()
        .map(|c| c.0);
    let response = next.run(request).await;
    let status = response.status().as_u16();
    let ms = started.elapsed().as_secs_f64() * 1000.0;
    match peer {
        Some(p) => {
            tracing::info!(%method, %path, status, ms, peer_uid = p.uid, peer_pid = p.pid, "admin socket request")
        }
        None => tracing::debug!(%method, %path, status, ms, "request"),
    }
    response
}

#[cfg(test)]
mod tests {
    use axum::Router;
    use axum::body::{Body, to_bytes};
    use axum::http::Request;
    use axum::routing::get;
    use tower::ServiceExt;
    use tower_http::catch_panic::CatchPanicLayer;

    use super::*;

    async fn boom() -> &'static str {
        panic!("secret internals")
    }

    #[tokio::test]
    /// A panicking handler answers a JSON 500 with no internals, and the service still serves.
    async fn panic_becomes_generic_500() {
        let app = Router::new()
            .route("/boom", get(boom))
            .route("/fine", get(|| async { "ok" }))
            .layer(CatchPanicLayer::custom(panic_response))
            .layer(axum::middleware::map_response(json_errors));
        let r = app
            .clone()
            .oneshot(Request::get("/boom").body(Body::empty()).unwrap())
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::INTERNAL_SERVER_ERROR);
        let body = to_bytes(r.into_body(), 1024).await.unwrap();
        assert_eq!(&body[..], br#"{"detail":"Internal server error"}"#);
        let r = app
            .oneshot(Request::get("/fine").body(Body::empty()).unwrap())
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK);
    }

    #[tokio::test]
    /// Plain-text rejections (405 here) become `{"detail"}` with headers such as `Allow` kept.
    async fn text_errors_become_json() {
        let app = Router::new()
            .route("/only-get", get(|| async { "ok" }))
            .layer(axum::middleware::map_response(json_errors));
        let r = app
            .oneshot(Request::post("/only-get").body(Body::empty()).unwrap())
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::METHOD_NOT_ALLOWED);
        assert!(r.headers().get("allow").is_some());
        let body = to_bytes(r.into_body(), 1024).await.unwrap();
        assert_eq!(&body[..], br#"{"detail":"Method Not Allowed"}"#);
    }
}
