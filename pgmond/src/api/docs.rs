//! The OpenAPI document (`/openapi.json`) and its two readers, `/docs` (Swagger UI, served from
//! the binary) and `/redoc` (a small page of pgmon's own). Nothing is fetched from a CDN: the
//! daemon often runs where the internet is not.

use axum::Router;
use axum::response::Html;
use axum::routing::get;
use utoipa::openapi::RefOr;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};
use utoipa_swagger_ui::SwaggerUi;

use super::{
    audit, backends, collector, health, live, metrics, servers, settings, ssh_keys, stats, token,
    users,
};
use crate::state::AppState;

#[derive(OpenApi)]
#[openapi(
    info(title = "pgmon", description = "PostgreSQL activity monitor API (compatible with the Python backend)"),
    paths(
        health::root, health::health, health::pools_status,
        token::login, token::refresh, token::logout, audit::list,
        users::list, users::create, users::me, users::get, users::update, users::delete,
        servers::list, servers::get, servers::create, servers::update, servers::delete,
        stats::activity, backends::server_activity, backends::cancel, backends::terminate, live::databases, live::replication, live::statements, stats::server_history, stats::db_info, stats::db_history, stats::analysis,
        collector::status, settings::get, settings::update, metrics::scrape,
        servers::test_ssh, servers::test_pg, servers::test_unsaved,
        ssh_keys::list, ssh_keys::get, ssh_keys::generate, ssh_keys::import, ssh_keys::import_file,
        ssh_keys::update, ssh_keys::delete, ssh_keys::servers, ssh_keys::download_public,
    ),
    modifiers(&BearerAuth, &OperationDetails)
)]
pub struct ApiDoc;

struct BearerAuth;

/// What OpenAPI requires and the handlers' names do not give: operation ids unique across
/// resources (`users_list`, not `list`), and a description on every response (the status's
/// reason phrase).
struct OperationDetails;

impl Modify for OperationDetails {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        for item in openapi.paths.paths.values_mut() {
            let operations = [
                &mut item.get,
                &mut item.put,
                &mut item.post,
                &mut item.delete,
            ];
            for op in operations.into_iter().flatten() {
                let tag = op
                    .tags
                    .as_ref()
                    .and_then(|t| t.first())
                    .cloned()
                    .unwrap_or_default();
                if let Some(id) = &op.operation_id {
                    op.operation_id = Some(format!("{tag}_{id}").replace('-', "_"));
                }
                for (code, response) in op.responses.responses.iter_mut() {
                    if let RefOr::T(r) = response
                        && r.description.is_empty()
                    {
                        r.description = code
                            .parse::<u16>()
                            .ok()
                            .and_then(|c| axum::http::StatusCode::from_u16(c).ok())
                            .and_then(|c| c.canonical_reason())
                            .unwrap_or("Response")
                            .to_owned();
                    }
                }
            }
        }
    }
}

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
