//! The OpenAPI document (`/openapi.json`) and its two readers, `/docs` (Swagger UI, served from
//! the binary) and `/redoc` (a small page of pgmon's own). Nothing is fetched from a CDN: the
//! daemon often runs where the internet is not.

use axum::Router;
use axum::response::Html;
use axum::routing::get;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};
use utoipa_swagger_ui::SwaggerUi;

use super::{health, servers, ssh_keys, stats, token, users};
use crate::state::AppState;

#[derive(OpenApi)]
#[openapi(
    info(title = "pgmon", description = "PostgreSQL activity monitor API (compatible with the Python backend)"),
    paths(
        health::root, health::health, health::pools_status,
        token::login,
        users::list, users::create, users::me, users::get, users::update, users::delete,
        servers::list, servers::get, servers::create, servers::update, servers::delete,
        stats::activity, stats::server_history, stats::db_info, stats::db_history,
        servers::test_ssh,
        ssh_keys::list, ssh_keys::get, ssh_keys::generate, ssh_keys::import, ssh_keys::import_file,
        ssh_keys::update, ssh_keys::delete, ssh_keys::servers, ssh_keys::download_public,
    ),
    modifiers(&BearerAuth)
)]
pub struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .build(),
            ),
        );
    }
}

pub fn router() -> Router<AppState> {
    Router::new()
        .merge(SwaggerUi::new("/docs").url("/openapi.json", ApiDoc::openapi()))
        .route("/redoc", get(redoc))
}

async fn redoc() -> Html<&'static str> {
    Html(include_str!("redoc.html"))
}
