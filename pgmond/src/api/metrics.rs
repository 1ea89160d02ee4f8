//! `GET /metrics`: for Prometheus, with a token of any role, the `metrics_token` of
//! pgmond.toml, or on the admin socket; and, when `metrics_listen` is set, on a listener of its
//! own without authentication.

use std::sync::Arc;

use axum::Router;
use axum::extract::{FromRequestParts, Request, State};
use axum::http::HeaderMap;
use axum::http::header::{ACCEPT, CONTENT_TYPE};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use super::ApiError;
use crate::auth::{Auth, Viewer, bearer_token};
use crate::metrics::{Metrics, format};
use crate::state::AppState;

/// Whether the request carries the metrics token, compared in constant time.
fn has_metrics_token(headers: &HeaderMap, token: &str) -> bool {
    let Some(given) = bearer_token(headers).map(str::as_bytes) else {
        return false;
    };
    given.len() == token.len()
        && given
            .iter()
            .zip(token.as_bytes())
            .fold(0u8, |acc, (a, b)| acc | (a ^ b))
            == 0
}

async fn exposition(metrics: Arc<Metrics>, headers: &HeaderMap) -> Result<Response, ApiError> {
    let accept = headers
        .get(ACCEPT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let openmetrics = format::wants_openmetrics(accept);
    // A thousand servers make a few megabytes of text: written off the runtime threads.
    let (content_type, body) =
        tokio::task::spawn_blocking(move || metrics.render(openmetrics)).await?;
    Ok(([(CONTENT_TYPE, content_type)], body).into_response())
}

/// Prometheus metrics.
///
/// The fleet's series from pgmond's memory. Also open with pgmond.toml's `metrics_token` as the
/// bearer token, and without a token on `metrics_listen`.
#[utoipa::path(
    get, path = "/metrics", tag = "monitoring",
    responses(
        (status = 200, description = "Prometheus text format 0.0.4, or OpenMetrics 1.0 when asked by Accept",
         content(
             (String = "text/plain; version=0.0.4; charset=utf-8"),
             (String = "application/openmetrics-text; version=1.0.0; charset=utf-8"),
         )),
        Auth<Viewer>
    )
)]
pub async fn scrape(State(state): State<AppState>, request: Request) -> Result<Response, ApiError> {
    let (mut parts, _) = request.into_parts();
    let by_token = state
        .metrics_token
        .as_deref()
        .is_some_and(|t| has_metrics_token(&parts.headers, t));
    if !by_token {
        Auth::<Viewer>::from_request_parts(&mut parts, &state).await?;
    }
    exposition(state.metrics.clone(), &parts.headers).await
}

async fn scrape_open(State(metrics): State<Arc<Metrics>>, headers: HeaderMap) -> Response {
    exposition(metrics, &headers)
        .await
        .unwrap_or_else(IntoResponse::into_response)
}

/// `metrics_listen`'s whole API.
pub fn metrics_router(metrics: Arc<Metrics>) -> Router {
    Router::new()
        .route("/metrics", get(scrape_open))
        .layer(super::compression())
        .with_state(metrics)
}

#[cfg(test)]
mod tests {
    use axum::http::header::AUTHORIZATION;

    use super::*;

    #[test]
    fn only_the_exact_token_passes() {
        let token = "m".repeat(40);
        let with = |v: &str| {
            let mut h = HeaderMap::new();
            h.insert(AUTHORIZATION, v.parse().unwrap());
            h
        };
        assert!(has_metrics_token(&with(&format!("Bearer {token}")), &token));
        assert!(has_metrics_token(&with(&format!("bearer {token}")), &token));
        assert!(!has_metrics_token(
            &with(&format!("Bearer {token}x")),
            &token
        ));
        assert!(!has_metrics_token(&with(&format!("Basic {token}")), &token));
        assert!(!has_metrics_token(&with("Bearer "), &token));
        assert!(!has_metrics_token(&HeaderMap::new(), &token));
    }
}
