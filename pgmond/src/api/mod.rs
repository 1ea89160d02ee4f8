//! The HTTP API: the route table, and the handlers grouped by resource.

pub mod audit;
mod backends;
mod collector;
mod docs;
mod error;
mod extract;
mod health;
mod live;
mod metrics;
mod middleware;
mod servers;
mod settings;
mod ssh_keys;
mod stats;
mod token;
mod users;

use std::time::Duration;

use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderValue, StatusCode};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::json;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::cors::{AllowHeaders, AllowMethods, AllowOrigin, CorsLayer};

pub use error::ApiError;

use crate::settings::FileSettings;
use crate::state::AppState;

pub use metrics::metrics_router;

pub fn router(state: AppState, settings: &FileSettings) -> Router {
    Router::new()
        .route("/", get(health::root))
        .route("/api/health", get(health::health))
        .route("/api/pools/status", get(health::pools_status))
        .route("/token", post(token::login))
        .route("/token/refresh", post(token::refresh))
        .route("/logout", post(token::logout))
        .route("/users", get(users::list).post(users::create))
        .route("/users/me", get(users::me))
        .route(
            "/users/{login}",
            get(users::get).put(users::update).delete(users::delete),
        )
        .route("/servers", get(servers::list).post(servers::create))
        .route(
            "/servers/{name}",
            get(servers::get)
                .put(servers::update)
                .delete(servers::delete),
        )
        .route("/server_stats/{name}", get(stats::activity))
        .route("/server/{name}/stats", get(stats::server_history))
        .route("/server/{name}/db/{db}", get(stats::db_info))
        .route("/server/{name}/db/{db}/stats", get(stats::db_history))
        .route("/server/{name}/analysis", get(stats::analysis))
        .route("/server/{name}/activity", get(backends::server_activity))
        .route("/server/{name}/databases", get(live::databases))
        .route("/server/{name}/replication", get(live::replication))
        .route("/server/{name}/statements", get(live::statements))
        .route(
            "/server/{name}/backends/{pid}/cancel",
            post(backends::cancel),
        )
        .route(
            "/server/{name}/backends/{pid}/terminate",
            post(backends::terminate),
        )
        .route("/servers/{name}/test-ssh", post(servers::test_ssh))
        .route("/servers/{name}/test-pg", post(servers::test_pg))
        .route(
            "/servers/test",
            post(servers::test_unsaved)
                .get(servers::get_named_test)
                .put(servers::update_named_test)
                .delete(servers::delete_named_test),
        )
        .route("/collector/status", get(collector::status))
        .route("/settings", get(settings::get).put(settings::update))
        .route("/audit", get(audit::list))
        .route("/metrics", get(metrics::scrape))
        .route("/ssh-keys", get(ssh_keys::list))
        .route("/ssh-keys/generate", post(ssh_keys::generate))
        .route("/ssh-keys/import", post(ssh_keys::import))
        .route("/ssh-keys/import-file", post(ssh_keys::import_file))
        .route(
            "/ssh-keys/{id}",
            get(ssh_keys::get)
                .put(ssh_keys::update)
                .delete(ssh_keys::delete),
        )
        .route("/ssh-keys/{id}/servers", get(ssh_keys::servers))
        .route(
            "/ssh-keys/{id}/download-public",
            get(ssh_keys::download_public),
        )
        .merge(docs::router())
        .fallback(not_found)
        .layer(DefaultBodyLimit::max(settings.max_body_bytes))
        .layer(CatchPanicLayer::custom(middleware::panic_response))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            audit::record,
        ))
        .layer(axum::middleware::from_fn_with_state(
            (
                Duration::from_secs(settings.header_timeout_seconds),
                settings.max_body_bytes,
            ),
            middleware::read_body_in_time,
        ))
        .layer(axum::middleware::map_response(middleware::json_errors))
        .layer(axum::middleware::from_fn(middleware::log_requests))
        .layer(axum::middleware::from_fn({
            let m = state.metrics.clone();
            move |r, n| crate::metrics::track(m.clone(), r, n)
        }))
        .layer(cors(&settings.allowed_origins))
        .layer(compression())
        .layer(axum::middleware::map_response(middleware::security_headers))
        .layer(
            tower_http::set_header::SetResponseHeaderLayer::if_not_present(
                axum::http::header::STRICT_TRANSPORT_SECURITY,
                // Only over HTTPS: a browser takes the header from HTTPS answers alone anyway.
                settings
                    .tls_cert
                    .is_some()
                    .then(|| HeaderValue::from_static("max-age=31536000")),
            ),
        )
        .with_state(state)
}

/// gzip for clients that ask (Prometheus does: a 1,000-server scrape is 12 MB of text),
/// answers over a KiB.
pub fn compression() -> tower_http::compression::CompressionLayer<
    tower_http::compression::predicate::And<
        tower_http::compression::predicate::SizeAbove,
        tower_http::compression::DefaultPredicate,
    >,
> {
    use tower_http::compression::predicate::{Predicate, SizeAbove};
    tower_http::compression::CompressionLayer::new()
        .gzip(true)
        .compress_when(SizeAbove::new(1024).and(tower_http::compression::DefaultPredicate::new()))
}

/// Whether the request's `Accept-Encoding` takes gzip.
pub fn accepts_gzip(headers: &axum::http::HeaderMap) -> bool {
    headers
        .get_all(axum::http::header::ACCEPT_ENCODING)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|e| {
            let mut parts = e.split(';');
            let name = parts.next().unwrap_or_default().trim();
            let refused = parts.any(|p| matches!(p.trim(), "q=0" | "q=0.0" | "q=0.00" | "q=0.000"));
            name.eq_ignore_ascii_case("gzip") && !refused
        })
}

/// CORS for the browser front end: only the configured origins, with credentials, methods and
/// headers mirrored from the preflight, as the Python backend's middleware did.
fn cors(origins: &[String]) -> CorsLayer {
    let origins: Vec<HeaderValue> = origins
        .iter()
        .filter_map(|o| match HeaderValue::from_str(o) {
            Ok(v) => Some(v),
            Err(_) => {
                tracing::warn!(origin = %o, "ignoring an allowed origin that is not a valid header value");
                None
            }
        })
        .collect();
    CorsLayer::new()
        .allow_origin(AllowOrigin::list(origins))
        .allow_credentials(true)
        .allow_methods(AllowMethods::mirror_request())
        .allow_headers(AllowHeaders::mirror_request())
        .max_age(Duration::from_secs(600))
}

/// Unknown routes answer as the Python backend's handler did.
async fn not_found() -> (StatusCode, Json<serde_json::Value>) {
    (StatusCode::NOT_FOUND, Json(json!({"message": "Not Found"})))
}
