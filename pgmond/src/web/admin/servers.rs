//! Servers (operators): the list; a new server, tested before it is saved; edit; delete.

use std::sync::Arc;

use axum::extract::{Path, Query};
use axum::http::{Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Form, Router};
use maud::{Markup, html};
use pgmon_common::api::{ServerStatus, SshKeyResponse};
use pgmon_common::users::Role;
use serde_json::{Value, json};

use super::{Fields, change, done_notice, field, text_or_null};
use crate::web::Console;
use crate::web::layout::{Section, Who, csrf_field, notice, page};
use crate::web::server::segment;
use crate::web::session::{Leave, Visit, see_other};

pub fn routes() -> Router<Arc<Console>> {
    Router::new()
        .route("/ui/admin/servers", get(list))
        .route("/ui/admin/servers/new", get(new).post(create))
        .route("/ui/admin/servers/{name}/edit", get(edit).post(update))
        .route(
            "/ui/admin/servers/{name}/delete",
            super::deletes("/servers", "/ui/admin/servers"),
        )
}

const DONE: &[(&str, &str)] = &[
    (
        "created",
        "Server saved after a successful test: the collector samples it from now on.",
    ),
    ("updated", "Server changed."),
    ("deleted", "Server deleted (its history is set aside)."),
];
const SSL_MODES: [&str; 5] = ["disable", "prefer", "require", "verify-ca", "verify-full"];

async fn list(mut v: Visit, Query(q): Query<Fields>) -> Result<Markup, Leave> {
    // Viewers may read the list through the API; this page is for changing it.
    let who = super::at_least(&mut v, Role::Operator).await?;
    let servers: Vec<ServerStatus> = v.get("/servers").await?;
    let body = html! {
        h1 { "Servers" }
        (done_notice(q.get("done"), DONE))
        p { a href="/ui/admin/servers/new" { "Add a server" } }
        @if servers.is_empty() { p.empty { "No servers yet: add one (its connection is tested before it is saved)." } }
        @else { div.scroll { table {
            thead { tr { th { "Name" } th { "Address" } th { "User" } th { "TLS" } th { "SSH" } th { "Actions" } } }
            tbody { @for s in &servers {
                @let base = format!("/ui/admin/servers/{}", segment(&s.name));
                tr {
                    td { a href=(format!("/ui/server/{}", segment(&s.name))) { (s.name) } }
                    td { (s.host) ":" (s.port) }
                    td { (s.user) }
                    td { (json!(s.sslmode).as_str().unwrap_or("")) }
                    td { (s.ssh_user.as_deref().unwrap_or("—")) }
                    td {
                        a href=(format!("{base}/edit")) aria-label=(format!("Edit {}", s.name)) { "Edit" }
                        " "
                        (super::delete_button(&format!("{base}/delete"), &who.csrf, &format!("Delete {}", s.name)))
                    }
                }
            } }
        } } }
    };
    Ok(page(&who, Some(Section::Servers), "Servers", 0, body))
}

/// The server form, filled with `values` (never a secret: those are typed again).
fn form(
    who: &Who,
    action: &str,
    values: &Fields,
    keys: &[SshKeyResponse],
    editing: bool,
) -> Markup {
    let val = |k: &str| field(values, k).to_owned();
    let sslmode = if val("sslmode").is_empty() {
        "prefer".to_owned()
    } else {
        val("sslmode")
    };
    let secret_hint = if editing {
        "blank keeps the stored one"
    } else {
        ""
    };
    html! {
        form method="post" action=(action) {
            (csrf_field(&who.csrf))
            fieldset {
                legend { "PostgreSQL" }
                div.fields {
                    label { "Name" input name="name" required value=(val("name")); }
                    label { "Host" input name="host" required value=(val("host")); }
                    label { "Port" input type="number" name="port" min="1" max="65535" value=(if val("port").is_empty() { "5432".to_owned() } else { val("port") }); }
                    label { "User" input name="user" required value=(val("user")); }
                    label { "Password " span.muted { (secret_hint) } input type="password" name="password" autocomplete="new-password"; }
                    label { "TLS" select name="sslmode" { @for m in SSL_MODES { option value=(m) selected[sslmode == m] { (m) } } } }
                    label { "Collection interval, s (blank: the setting)" input type="number" name="collect_interval" min="0" value=(val("collect_interval")); }
                }
            }
            fieldset {
                legend { "SSH (optional: disk space)" }
                div.fields {
                    label { "SSH user" input name="ssh_user" value=(val("ssh_user")); }
                    label { "SSH port" input type="number" name="ssh_port" min="1" max="65535" value=(if val("ssh_port").is_empty() { "22".to_owned() } else { val("ssh_port") }); }
                    label { "Authentication" select name="ssh_auth_type" {
                        option value="password" selected[val("ssh_auth_type") != "key"] { "password" }
                        option value="key" selected[val("ssh_auth_type") == "key"] { "key" }
                    } }
                    label { "SSH password " span.muted { (secret_hint) } input type="password" name="ssh_password" autocomplete="new-password"; }
                    label { "SSH key" select name="ssh_key_id" {
                        option value="" { "none" }
                        @for k in keys { option value=(k.id) selected[val("ssh_key_id") == k.id] { (k.name) } }
                    } }
                }
            }
            p {
                @if editing {
                    button.primary type="submit" { "Save" }
                } @else {
                    button.primary type="submit" name="intent" value="save" { "Test and save" }
                    " "
                    button type="submit" name="intent" value="test" { "Test only" }
                    " "
                    label { input type="checkbox" name="save_anyway" value="true"; " save even if the test fails" }
                }
            }
        }
    }
}

/// The API's body for the form's fields.
fn body(f: &Fields) -> Value {
    let number = |k: &str| field(f, k).parse::<u64>().map_or(Value::Null, Value::from);
    let mut b = json!({
        "name": field(f, "name"),
        "host": field(f, "host"),
        "port": number("port"),
        "user": field(f, "user"),
        "sslmode": text_or_null(f, "sslmode"),
        "ssh_user": text_or_null(f, "ssh_user"),
        "ssh_port": number("ssh_port"),
        "ssh_auth_type": text_or_null(f, "ssh_auth_type"),
        "ssh_key_id": text_or_null(f, "ssh_key_id"),
        "collect_interval": match field(f, "collect_interval") { "" => json!("default"), _ => number("collect_interval") },
    });
    for secret in ["password", "ssh_password"] {
        if let Some(s) = f.get(secret).filter(|s| !s.is_empty()) {
            b[secret] = json!(s);
        }
    }
    b
}

async fn form_page(
    v: &mut Visit,
    (action, title): (&str, &str),
    values: &Fields,
    outcome: Option<Markup>,
    editing: bool,
) -> Result<Markup, Leave> {
    let who = v.who().await?;
    let keys: Vec<SshKeyResponse> = v.get("/ssh-keys").await?;
    let body = html! {
        h1 { (title) }
        @if let Some(o) = outcome { (o) }
        (form(&who, action, values, &keys, editing))
        p { a href="/ui/admin/servers" { "Back to the servers" } }
    };
    Ok(page(&who, Some(Section::Servers), title, 0, body))
}

async fn new(mut v: Visit) -> Result<Markup, Leave> {
    form_page(
        &mut v,
        ("/ui/admin/servers/new", "Add a server"),
        &Fields::new(),
        None,
        false,
    )
    .await
}

/// What `POST /servers/test` found, as a notice: whether the test passed.
fn tested(a: &crate::web::session::Answer) -> (bool, Markup) {
    if !a.ok() {
        return (false, notice(false, &format!("Not tested: {}", a.detail())));
    }
    let v: Value = serde_json::from_slice(&a.body).unwrap_or_default();
    let pg = &v["postgres"];
    let mut ok = pg["success"].as_bool() == Some(true);
    let mut lines = vec![format!(
        "PostgreSQL: {}{}",
        pg["message"].as_str().unwrap_or(""),
        pg["version"]
            .as_str()
            .map(|v| format!(" ({v})"))
            .unwrap_or_default()
    )];
    if let Some(ssh) = v["ssh"].as_object() {
        ok &= ssh.get("success").and_then(Value::as_bool) == Some(true);
        lines.push(format!(
            "SSH: {}",
            ssh.get("message").and_then(Value::as_str).unwrap_or("")
        ));
    }
    (ok, notice(ok, &lines.join(" · ")))
}

async fn create(mut v: Visit, Form(f): Form<Fields>) -> Result<Response, Leave> {
    v.check(field(&f, "csrf"))?;
    let b = body(&f);
    let test = v.send(Method::POST, "/servers/test", &b).await?;
    let (passed, shown) = tested(&test);
    let save = field(&f, "intent") == "save" && (passed || field(&f, "save_anyway") == "true");
    if save {
        let a = v.send(Method::POST, "/servers", &b).await?;
        if a.ok() {
            return Ok(see_other("/ui/admin/servers?done=created"));
        }
        let refused = html! { (shown) (notice(false, &format!("Not saved: {}", a.detail()))) };
        let page = form_page(
            &mut v,
            ("/ui/admin/servers/new", "Add a server"),
            &f,
            Some(refused),
            false,
        )
        .await?;
        return Ok((a.status, page).into_response());
    }
    let status = if passed {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let page = form_page(
        &mut v,
        ("/ui/admin/servers/new", "Add a server"),
        &f,
        Some(shown),
        false,
    )
    .await?;
    Ok((status, page).into_response())
}

async fn edit(mut v: Visit, Path(name): Path<String>) -> Result<Markup, Leave> {
    let s: ServerStatus = v.get(&format!("/servers/{}", segment(&name))).await?;
    let stored = serde_json::to_value(&s).unwrap_or_default();
    let mut values = Fields::new();
    for k in [
        "name",
        "host",
        "port",
        "user",
        "sslmode",
        "ssh_user",
        "ssh_port",
        "ssh_auth_type",
        "ssh_key_id",
        "collect_interval",
    ] {
        match &stored[k] {
            Value::String(t) => values.insert(k.to_owned(), t.clone()),
            Value::Number(n) => values.insert(k.to_owned(), n.to_string()),
            _ => None,
        };
    }
    let action = format!("/ui/admin/servers/{}/edit", segment(&name));
    form_page(
        &mut v,
        (&action, &format!("Edit {name}")),
        &values,
        None,
        true,
    )
    .await
}

async fn update(
    mut v: Visit,
    Path(name): Path<String>,
    Form(f): Form<Fields>,
) -> Result<Response, Leave> {
    let uri = format!("/servers/{}", segment(&name));
    change(
        &mut v,
        &f,
        (Method::PUT, &uri, Some(body(&f))),
        ("/ui/admin/servers", "updated"),
    )
    .await
}
