//! `POST /token`: the OAuth2 password flow of the Python backend.

use axum::Json;
use axum::extract::State;
use pgmon_common::api::{ErrorBody, Token};
use serde::Deserialize;
use utoipa::ToSchema;

use super::ApiError;
use super::extract::{FormBody, Source};
use crate::auth::throttle::Refusal;
use crate::state::AppState;

#[derive(Deserialize, ToSchema)]
pub struct TokenForm {
    username: String,
    password: String,
}

#[utoipa::path(
    post, path = "/token", tag = "auth",
    request_body(content = TokenForm, content_type = "application/x-www-form-urlencoded"),
    responses((status = 200, body = Token), (status = 401, body = ErrorBody), (status = 422, body = ErrorBody),
              (status = 429, description = "Too many failed logins (Retry-After)", body = ErrorBody),
              (status = 503, description = "Too many logins at once (Retry-After)", body = ErrorBody))
)]
pub async fn login(
    State(state): State<AppState>,
    source: Source,
    FormBody(form): FormBody<TokenForm>,
) -> Result<Json<Token>, ApiError> {
    // The admin socket's callers are admins already; only TCP is throttled.
    let addr = match source {
        Source::Tcp(addr) => Some(addr),
        Source::AdminSocket => None,
    };
    let turn = match addr {
        Some(addr) => Some(state.throttle.admit(addr, &form.username).await.map_err(
            |refusal| match refusal {
                Refusal::Blocked(wait) => ApiError::TooManyAttempts(wait),
                Refusal::Busy => ApiError::Busy,
            },
        )?),
        None => None,
    };
    let login = form.username.clone();
    let user = state
        .store(move |dir| {
            let user = dir.authenticate(&form.username, &form.password)?;
            if let Some(u) = &user {
                // A failed bookkeeping write must not lock people out.
                if let Err(e) = dir.touch_last_login(&u.login) {
                    tracing::warn!(login = %u.login, error = %e, "could not record last_login");
                }
            }
            Ok(user)
        })
        .await?;
    drop(turn);
    let shown = addr
        .flatten()
        .map_or_else(|| "admin-socket".to_owned(), |a| a.to_string());
    let Some(user) = user else {
        if let Some(addr) = addr {
            state.throttle.failed(addr, &login);
        }
        // One line fail2ban can match: see the README for the filter.
        tracing::warn!("login failed for {} from {shown}", login.escape_debug());
        return Err(ApiError::BadCredentials);
    };
    state.throttle.succeeded(&user.login);
    tracing::info!("login succeeded for {} from {shown}", user.login);
    Ok(Json(Token {
        access_token: state.tokens.issue(&user),
        token_type: "bearer".into(),
    }))
}
