//! The web console under `/ui/`: pages rendered by pgmond from its own API's answers (see
//! `session`), a style sheet and a small script compiled in, charts drawn as SVG. Every answer
//! carries a policy that runs no script but the console's own file and loads nothing from
//! elsewhere.

mod admin;
mod alerts;
mod assets;
mod chart;
mod fleet;
mod layout;
mod server;
mod session;
mod sessions;
mod sign_in;

use std::sync::Arc;

use axum::Router;
use axum::extract::Request;
use axum::http::HeaderValue;
use axum::http::header::{CONTENT_SECURITY_POLICY, REFERRER_POLICY, SET_COOKIE, X_FRAME_OPTIONS};
use axum::middleware::Next;
use axum::response::Response;
use axum::routing::{get, post};

use session::{Exchanges, Jar};

/// `default-src 'self'` and nothing inline: no inline script or style, no eval, no plugin, no
/// framing, forms only to pgmond.
const POLICY: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; \
     object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/// What the console's handlers share.
pub struct Console {
    /// The API router, called in-process with the visitor's token.
    api: Router,
    /// Whether cookies are `Secure` (pgmond serves HTTPS).
    secure: bool,
    exchanges: Exchanges,
}

/// The console's routes beside `api`'s (which it calls); `/ui` itself leads to `/ui/`.
pub fn mount(api: Router, secure: bool) -> Router {
    let console = Arc::new(Console {
        api: api.clone(),
        secure,
        exchanges: Exchanges::default(),
    });
    let pages = Router::new()
        .route("/ui", get(|| async { session::see_other("/ui/") }))
        .route("/ui/", get(fleet::show))
        .route("/ui/assets/console.css", get(assets::css))
        .route("/ui/assets/console.js", get(assets::js))
        .route("/ui/login", get(sign_in::form).post(sign_in::submit))
        .route("/ui/logout", post(sign_in::sign_out))
        .merge(server::routes())
        .merge(sessions::routes())
        .merge(admin::routes())
        .with_state(console)
        .layer(axum::middleware::from_fn(finish));
    api.merge(pages)
}

/// Gives each console request its cookie jar, then writes what it gathered, the policy, and
/// `text/html` errors left as they are (the API's layers would make them JSON).
async fn finish(mut request: Request, next: Next) -> Response {
    let jar = Jar::default();
    request.extensions_mut().insert(jar.clone());
    let mut response = next.run(request).await;
    let h = response.headers_mut();
    for c in jar.take() {
        h.append(SET_COOKIE, c);
    }
    h.insert(CONTENT_SECURITY_POLICY, HeaderValue::from_static(POLICY));
    h.insert(X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    // With `no-referrer`, Chromium sends `Origin: null` on the console's own form posts.
    h.insert(REFERRER_POLICY, HeaderValue::from_static("same-origin"));
    response
}
