//! Administration: servers (operators), SSH keys (operators; public keys for admins), users,
//! settings and the audit trail (admins). Each change is a form posted to the console, which
//! checks its CSRF token and hands it to the API; what the API refuses is shown as it said it.

mod audit;
mod keys;
mod servers;
mod settings;
mod users;

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::Path;
use axum::http::Method;
use axum::response::Response;
use axum::routing::{MethodRouter, post};
use axum::{Form, Router};

use pgmon_common::users::Role;

use super::Console;
use super::layout::Who;
use super::server::segment;
use super::session::{Leave, Visit, see_other};

pub fn routes() -> Router<Arc<Console>> {
    Router::new()
        .merge(servers::routes())
        .merge(users::routes())
        .merge(keys::routes())
        .merge(settings::routes())
        .merge(audit::routes())
}

/// A posted form as field → value (the last of a repeated field).
pub type Fields = HashMap<String, String>;

/// A field's value, trimmed; empty when absent.
pub fn field<'a>(f: &'a Fields, name: &str) -> &'a str {
    f.get(name).map_or("", |v| v.trim())
}

/// A field as a JSON value: null when empty.
pub fn text_or_null(f: &Fields, name: &str) -> serde_json::Value {
    match field(f, name) {
        "" => serde_json::Value::Null,
        v => v.into(),
    }
}

/// Sends a change the form asked for (its CSRF token checked first) and goes to `then` with
/// `?done=<done>`; a refusal is shown with the API's words and status.
pub async fn change(
    v: &mut Visit,
    form: &Fields,
    (method, uri, body): (Method, &str, Option<serde_json::Value>),
    (then, done): (&str, &str),
) -> Result<Response, Leave> {
    v.check(field(form, "csrf"))?;
    let a = match body {
        Some(b) => v.send(method, uri, &b).await?,
        None => v.call(method, uri, None).await?,
    };
    a.success()?;
    Ok(see_other(&format!("{then}?done={done}")))
}

/// `POST <list>/{id}/delete`: `DELETE <api>/{id}`, then back to `list`.
pub fn deletes(api: &'static str, list: &'static str) -> MethodRouter<Arc<Console>> {
    post(
        move |mut v: Visit, Path(id): Path<String>, Form(f): Form<Fields>| async move {
            let uri = format!("{api}/{}", segment(&id));
            change(&mut v, &f, (Method::DELETE, &uri, None), (list, "deleted")).await
        },
    )
}

/// The button that posts to a list's delete route (`deletes`), named for screen readers.
pub fn delete_button(action: &str, csrf: &str, label: &str) -> maud::Markup {
    maud::html! {
        form.inline method="post" action=(action) {
            (super::layout::csrf_field(csrf))
            button.danger type="submit" aria-label=(label) { "Delete" }
        }
    }
}

/// The visitor, if their role is at least `least`: a page whose every control needs it is
/// refused as the API refuses (403) rather than shown bare.
pub async fn at_least(v: &mut Visit, least: Role) -> Result<Who, Leave> {
    let who = v.who().await?;
    if who.role < least {
        return Err(Leave::Failed {
            status: axum::http::StatusCode::FORBIDDEN,
            detail: format!("Not enough permissions: {least} role required"),
        });
    }
    Ok(who)
}

/// The notice for a `?done=` code a page knows; unknown codes show nothing.
pub fn done_notice(done: Option<&String>, known: &[(&str, &str)]) -> maud::Markup {
    match done.and_then(|d| known.iter().find(|k| k.0 == d)) {
        Some((_, text)) => super::layout::notice(true, text),
        None => maud::html! {},
    }
}
