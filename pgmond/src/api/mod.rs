//! The HTTP API: the route table, and the handlers grouped by resource.

mod alerts;
pub mod audit;
mod backends;
mod checks;
mod collector;
pub(crate) mod docs;
mod error;
mod extract;
mod fleet;
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
use axum::routing::get;
use axum::{Json, Router};
use serde_json::json;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::cors::{AllowHeaders, AllowMethods, AllowOrigin, CorsLayer};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub use error::ApiError;

use crate::settings::FileSettings;
use crate::state::AppState;

pub use metrics::metrics_router;

pub fn router(state: AppState, settings: &FileSettings) -> Router {
    let (routes, doc) = documented_routes();
    let api = routes
        .merge(docs::router(docs::finish(doc)))
        .fallback(not_found)
        .layer(DefaultBodyLimit::max(settings.max_body_bytes))
        .layer(CatchPanicLayer::custom(middleware::panic_response))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            audit::record,
        ))
        .with_state(state.clone());
    // The console calls `api` in-process; off, `/ui/` is the API's 404 like any unknown path.
    let app = match settings.ui {
        true => crate::web::mount(api, settings.tls_cert.is_some()),
        false => api,
    };
    app.layer(CatchPanicLayer::custom(middleware::panic_response))
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
}

/// Every route with its OpenAPI operation, from the same `#[utoipa::path]`: one `routes!` a
/// path.
fn documented_routes() -> (Router<AppState>, utoipa::openapi::OpenApi) {
    OpenApiRouter::with_openapi(docs::base())
        .routes(routes!(health::root))
        .routes(routes!(health::health))
        .routes(routes!(health::pools_status))
        .routes(routes!(token::login))
        .routes(routes!(token::refresh))
        .routes(routes!(token::logout))
        .routes(routes!(users::list, users::create))
        .routes(routes!(users::me))
        .routes(routes!(users::get, users::update, users::delete))
        .routes(routes!(servers::list, servers::create))
        .routes(routes!(servers::get, servers::update, servers::delete))
        .routes(routes!(fleet::overview))
        .routes(routes!(fleet::timeline))
        .routes(routes!(stats::activity))
        .routes(routes!(stats::server_history))
        .routes(routes!(stats::db_info))
        .routes(routes!(stats::db_history))
        .routes(routes!(stats::analysis))
        .routes(routes!(backends::server_activity))
        .routes(routes!(live::databases))
        .routes(routes!(live::replication))
        .routes(routes!(live::statements))
        .routes(routes!(backends::cancel))
        .routes(routes!(backends::terminate))
        .routes(routes!(checks::server_checks, checks::run_checks))
        .routes(routes!(checks::fleet_checks))
        .routes(routes!(servers::test_ssh))
        .routes(routes!(servers::test_pg))
        .routes(routes!(servers::test_unsaved))
        // `/servers/test` is also the path of a server named "test": `/servers/{name}`'s
        // operations, which the document describes once.
        .route(
            "/servers/test",
            get(servers::get_named_test)
                .put(servers::update_named_test)
                .delete(servers::delete_named_test),
        )
        .routes(routes!(collector::status))
        .routes(routes!(settings::get, settings::update))
        .routes(routes!(audit::list))
        .routes(routes!(metrics::scrape))
        .routes(routes!(ssh_keys::list))
        .routes(routes!(ssh_keys::generate))
        .routes(routes!(ssh_keys::import))
        .routes(routes!(ssh_keys::import_file))
        .routes(routes!(ssh_keys::get, ssh_keys::update, ssh_keys::delete))
        .routes(routes!(ssh_keys::servers))
        .routes(routes!(ssh_keys::download_public))
        .routes(routes!(alerts::list))
        .routes(routes!(alerts::history))
        .routes(routes!(alerts::channels, alerts::add_channel))
        .routes(routes!(alerts::replace_channel, alerts::delete_channel))
        .routes(routes!(alerts::silences, alerts::add_silence))
        .routes(routes!(alerts::expire_silence))
        .routes(routes!(alerts::test))
        .routes(routes!(alerts::rules))
        .routes(routes!(alerts::update_rule))
        .split_for_parts()
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
