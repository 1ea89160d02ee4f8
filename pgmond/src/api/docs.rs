//! The OpenAPI document (`/openapi.json`) and its two readers, `/docs` (Swagger UI, served from
//! the binary) and `/redoc` (a small page of pgmon's own). Nothing is fetched from a CDN: the
//! daemon often runs where the internet is not.
//!
//! The router and the document come from the same `#[utoipa::path]` declarations (`api::router`
//! registers them with `utoipa_axum::routes!`), so no route is served undocumented. [`finish`]
//! then adds what the layers every request passes through can answer, so no route can forget
//! those either: 401/403 come from `Auth<R>` itself (`auth::Auth`'s `IntoResponses`), and from
//! its least role the operation's security requirement and role sentence; 404 where a path names
//! something; 422 where a query, a path value or a body can be malformed; 408 and 413 where a
//! body is read; 503 where the change is one the audit trail must record.

use axum::Router;
use axum::http::Method;
use axum::response::Html;
use axum::routing::get;
use pgmon_common::api::{ErrorBody, ValidationErrorBody};
use utoipa::OpenApi;
use utoipa::openapi::path::{Operation, ParameterIn};
use utoipa::openapi::response::ResponseBuilder;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityRequirement, SecurityScheme};
use utoipa::openapi::{ContentBuilder, Ref, RefOr};
use utoipa_swagger_ui::SwaggerUi;

use crate::state::AppState;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "pgmon",
        description = "PostgreSQL activity monitor API (compatible with the Python backend).\n\n\
            Every operation names the least role it needs (viewer < operator < admin); a token \
            comes from `POST /token` and goes in `Authorization: Bearer`. On pgmond's admin \
            socket no token is needed: it acts as admin.\n\n\
            Errors are `{\"detail\": \"...\"}` (`ErrorBody`), and 422 is FastAPI's list of \
            `{loc, msg, type}` (`ValidationErrorBody`). A path that matches no route answers \
            404 with `{\"message\": \"Not Found\"}`, as the Python backend did."
    ),
    servers((url = "/", description = "The pgmond that serves this document")),
    // Schemas only parameters name (utoipa collects those of bodies by itself).
    components(schemas(ErrorBody, ValidationErrorBody, crate::monitor::statements::Order))
)]
struct ApiDoc;

/// The document of the routes `api::router` registered, before [`finish`].
pub fn base() -> utoipa::openapi::OpenApi {
    ApiDoc::openapi()
}

/// Completes the document: unique operation ids, the responses every layer can give, security
/// and the role sentence, and a description on every response.
pub fn finish(mut doc: utoipa::openapi::OpenApi) -> utoipa::openapi::OpenApi {
    doc.components
        .get_or_insert_with(Default::default)
        .add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .build(),
            ),
        );
    for (path, item) in doc.paths.paths.iter_mut() {
        let operations = [
            (Method::GET, &mut item.get),
            (Method::PUT, &mut item.put),
            (Method::POST, &mut item.post),
            (Method::DELETE, &mut item.delete),
        ];
        for (method, op) in operations {
            if let Some(op) = op {
                unique_id(op);
                layer_responses(&method, path, op);
                role(op);
                describe_responses(op);
            }
        }
    }
    doc
}

/// `users_list`, not `list`: the tag before the handler's name.
fn unique_id(op: &mut Operation) {
    let tag = op
        .tags
        .as_ref()
        .and_then(|t| t.first())
        .cloned()
        .unwrap_or_default();
    if let Some(id) = &op.operation_id {
        op.operation_id = Some(format!("{tag}_{id}").replace('-', "_"));
    }
}

/// An error answer: `description`, and a JSON body of the named schema.
pub fn error_response(description: &str, schema: &str) -> ResponseBuilder {
    ResponseBuilder::new()
        .description(description)
        .content("application/json", json_of(schema))
}

fn json_of(schema: &str) -> utoipa::openapi::Content {
    ContentBuilder::new()
        .schema(Some(Ref::from_schema_name(schema)))
        .build()
}

/// What an operation can answer before or around its handler.
fn layer_responses(method: &Method, path: &str, op: &mut Operation) {
    let params = op.parameters.as_deref().unwrap_or_default();
    let in_query = params
        .iter()
        .any(|p| matches!(p, RefOr::T(p) if p.parameter_in == ParameterIn::Query));
    // A path value that must parse (a pid): any other is a name looked up.
    let typed_path = params.iter().any(|p| {
        matches!(p, RefOr::T(p) if p.parameter_in == ParameterIn::Path
            && serde_json::to_value(&p.schema).is_ok_and(|s| s["type"] != "string"))
    });
    let body = op.request_body.is_some();
    let responses = &mut op.responses.responses;
    let mut add = |code: &str, description: &str, schema: &str| {
        responses
            .entry(code.to_owned())
            .or_insert_with(|| error_response(description, schema).build().into());
    };
    if path.contains('{') {
        add("404", "Nothing of that name or id", "ErrorBody");
    }
    if body {
        add(
            "408",
            "The body did not arrive within header_timeout_seconds",
            "ErrorBody",
        );
        add("413", "The body is over max_body_bytes", "ErrorBody");
    }
    if super::audit::refused_without_log(method, path) {
        add(
            "503",
            "The audit log cannot be written: changes are refused until it can",
            "ErrorBody",
        );
    }
    if in_query || typed_path || body {
        add("422", "", "ValidationErrorBody");
    }
    // A 422 is always the list, whatever the route wrote.
    if let Some(RefOr::T(r)) = responses.get_mut("422") {
        if r.description.is_empty() {
            r.description = "A parameter or the body does not fit: each problem with where it is \
                (`loc`), what (`msg`) and its kind (`type`)"
                .into();
        }
        r.content.insert(
            "application/json".into(),
            json_of("ValidationErrorBody").into(),
        );
    }
}

/// Bearer security and the role sentence where `Auth<R>` declared its 401; `security: []`
/// (public) where it did not.
fn role(op: &mut Operation) {
    let least = match op.responses.responses.get("401") {
        Some(RefOr::T(r)) => r
            .extensions
            .as_ref()
            .and_then(|e| e.get("x-least-role"))
            .and_then(|v| v.as_str())
            .map(str::to_owned),
        _ => None,
    };
    let sentence = match &least {
        Some(role) => {
            op.security = Some(vec![SecurityRequirement::new::<_, _, String>("bearer", [])]);
            format!("Least role: **{role}** (or pgmond's admin socket, with no token).")
        }
        None => {
            op.security = Some(Vec::new());
            "Public: no token needed.".to_owned()
        }
    };
    op.description = Some(match op.description.take().filter(|d| !d.is_empty()) {
        Some(d) => format!("{d}\n\n{sentence}"),
        None => sentence,
    });
}

/// Every response has a description (OpenAPI requires one): the status's reason phrase where
/// the route gave none.
fn describe_responses(op: &mut Operation) {
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

pub fn router(doc: utoipa::openapi::OpenApi) -> Router<AppState> {
    Router::new()
        .merge(SwaggerUi::new("/docs").url("/openapi.json", doc))
        .route("/redoc", get(redoc))
}

async fn redoc() -> Html<&'static str> {
    Html(include_str!("redoc.html"))
}
