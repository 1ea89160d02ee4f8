//! Users (admin): the list, a new user, role and activity changes, removal.

use std::sync::Arc;

use axum::extract::{Path, Query};
use axum::http::Method;
use axum::response::Response;
use axum::routing::post;
use axum::{Form, Router};
use maud::{Markup, html};
use pgmon_common::api::UserResponse;
use pgmon_common::users::Role;
use serde_json::json;

use super::{Fields, change, done_notice, field, text_or_null};
use crate::web::Console;
use crate::web::layout::{Section, csrf_field, page, time};
use crate::web::server::segment;
use crate::web::session::{Leave, Visit};

pub fn routes() -> Router<Arc<Console>> {
    Router::new()
        .route("/ui/admin/users", axum::routing::get(list).post(create))
        .route("/ui/admin/users/{login}", post(update))
        .route(
            "/ui/admin/users/{login}/delete",
            super::deletes("/users", "/ui/admin/users"),
        )
}

const DONE: &[(&str, &str)] = &[
    ("created", "User created."),
    ("updated", "User changed."),
    ("deleted", "User deleted."),
];
const ROLES: [Role; 3] = [Role::Viewer, Role::Operator, Role::Admin];

async fn list(mut v: Visit, Query(q): Query<Fields>) -> Result<Markup, Leave> {
    let who = v.who().await?;
    let users: Vec<UserResponse> = v.get("/users").await?;
    let body = html! {
        h1 { "Users" }
        (done_notice(q.get("done"), DONE))
        div.scroll { table {
            thead { tr { th { "Login" } th { "E-mail" } th { "Last sign-in" } th { "Role and access" } th { "Remove" } } }
            tbody { @for u in &users {
                @let path = format!("/ui/admin/users/{}", segment(&u.login));
                tr {
                    td { (u.login) @if !u.is_active { br; span.status-bad { "deactivated" } } }
                    td { (u.email.as_deref().unwrap_or("—")) }
                    td { (time(u.last_login.as_deref())) }
                    td {
                        form.inline method="post" action=(path) {
                            (csrf_field(&who.csrf))
                            label { span.muted { "Role " }
                                select name="role" aria-label=(format!("Role of {}", u.login)) {
                                    @for r in ROLES { option value=(r.as_str()) selected[u.role == r] { (r.as_str()) } }
                                }
                            }
                            " "
                            label { input type="checkbox" name="is_active" value="true" checked[u.is_active]; " active" }
                            " "
                            button type="submit" aria-label=(format!("Save {}", u.login)) { "Save" }
                        }
                    }
                    td {
                        @if u.login != who.login {
                            (super::delete_button(&format!("{path}/delete"), &who.csrf, &format!("Delete {}", u.login)))
                        }
                    }
                }
            } }
        } }
        h2 { "New user" }
        form method="post" action="/ui/admin/users" {
            (csrf_field(&who.csrf))
            div.fields {
                label { "Login" input name="login" required autocomplete="off"; }
                label { "Password" input type="password" name="password" required autocomplete="new-password"; }
                label { "Role" select name="role" { @for r in ROLES { option value=(r.as_str()) { (r.as_str()) } } } }
                label { "E-mail (optional)" input type="email" name="email"; }
                button.primary type="submit" { "Create user" }
            }
        }
    };
    Ok(page(&who, Some(Section::Users), "Users", 0, body))
}

async fn create(mut v: Visit, Form(f): Form<Fields>) -> Result<Response, Leave> {
    let body = json!({
        "login": field(&f, "login"),
        "password": f.get("password").cloned().unwrap_or_default(),
        "role": field(&f, "role"),
        "email": text_or_null(&f, "email"),
    });
    change(
        &mut v,
        &f,
        (Method::POST, "/users", Some(body)),
        ("/ui/admin/users", "created"),
    )
    .await
}

async fn update(
    mut v: Visit,
    Path(login): Path<String>,
    Form(f): Form<Fields>,
) -> Result<Response, Leave> {
    let body = json!({ "role": field(&f, "role"), "is_active": field(&f, "is_active") == "true" });
    let uri = format!("/users/{}", segment(&login));
    change(
        &mut v,
        &f,
        (Method::PUT, &uri, Some(body)),
        ("/ui/admin/users", "updated"),
    )
    .await
}
