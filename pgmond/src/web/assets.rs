//! The console's style sheet and script, compiled into pgmond (no CDN, no build step): served
//! under a path that names pgmond's version, so a browser keeps them for a day and an upgrade
//! is fetched at once.

use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE};
use axum::response::IntoResponse;

pub const CSS_PATH: &str = concat!("/ui/assets/console.css?v=", env!("CARGO_PKG_VERSION"));
pub const JS_PATH: &str = concat!("/ui/assets/console.js?v=", env!("CARGO_PKG_VERSION"));

const CSS: &str = include_str!("assets/console.css");
const JS: &str = include_str!("assets/console.js");

fn asset(kind: &'static str, text: &'static str) -> impl IntoResponse {
    (
        [
            (CONTENT_TYPE, kind),
            (CACHE_CONTROL, "public, max-age=86400"),
        ],
        text,
    )
}

pub async fn css() -> impl IntoResponse {
    asset("text/css; charset=utf-8", CSS)
}

pub async fn js() -> impl IntoResponse {
    asset("text/javascript; charset=utf-8", JS)
}
