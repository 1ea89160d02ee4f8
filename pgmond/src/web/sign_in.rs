//! Signing in and out: a session of the API's own kind, its tokens kept in cookies.

use axum::Form;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use maud::html;
use serde::Deserialize;

use super::layout::{bare, notice};
use super::session::{Leave, Visit, safe_next, see_other};

#[derive(Deserialize)]
pub struct Next {
    next: Option<String>,
}

fn login_page(next: &str, failed: Option<&str>) -> maud::Markup {
    bare(
        "Sign in",
        html! {
            h1 { "pgmon" }
            @if let Some(why) = failed { (notice(false, why)) }
            form method="post" action="/ui/login" {
                input type="hidden" name="next" value=(next);
                p {
                    label for="username" { "Login" } br;
                    input #username name="username" autocomplete="username" required autofocus;
                }
                p {
                    label for="password" { "Password" } br;
                    input #password type="password" name="password" autocomplete="current-password" required;
                }
                p { button.primary type="submit" { "Sign in" } }
            }
        },
    )
}

pub async fn form(v: Visit, axum::extract::Query(q): axum::extract::Query<Next>) -> Response {
    let next = safe_next(q.next.as_deref());
    if v.signed_in() {
        return see_other(&next);
    }
    login_page(&next, None).into_response()
}

#[derive(Deserialize)]
pub struct Credentials {
    username: String,
    password: String,
    next: Option<String>,
}

pub async fn submit(mut v: Visit, Form(c): Form<Credentials>) -> Response {
    // No CSRF token exists before a session; a sign-in from another site is refused by origin.
    if let Err(e) = v.check_origin() {
        return e.into_response();
    }
    let next = safe_next(c.next.as_deref());
    match v.sign_in(&c.username, &c.password).await {
        Ok(()) => see_other(&next),
        Err(refused) => {
            let status = match refused.status {
                StatusCode::TOO_MANY_REQUESTS | StatusCode::SERVICE_UNAVAILABLE => refused.status,
                _ => StatusCode::UNAUTHORIZED,
            };
            (status, login_page(&next, Some(&refused.detail()))).into_response()
        }
    }
}

#[derive(Deserialize)]
pub struct Csrf {
    pub csrf: String,
}

pub async fn sign_out(mut v: Visit, Form(f): Form<Csrf>) -> Result<Response, Leave> {
    v.check(&f.csrf)?;
    v.sign_out().await;
    Ok(see_other("/ui/login"))
}
