//! `POST /token`: the OAuth2 password flow of the Python backend.

use axum::Json;
use axum::extract::State;
use pgmon_common::api::{ErrorBody, Token};
use serde::Deserialize;
use utoipa::ToSchema;

use super::ApiError;
use super::extract::FormBody;
use crate::state::AppState;

#[derive(Deserialize, ToSchema)]
pub struct TokenForm {
    username: String,
    password: String,
}

#[utoipa::path(
    post, path = "/token", tag = "auth",
    request_body(content = TokenForm, content_type = "application/x-www-form-urlencoded"),
    responses((status = 200, body = Token), (status = 401, body = ErrorBody), (status = 422, body = ErrorBody))
)]
pub async fn login(
    State(state): State<AppState>,
    FormBody(form): FormBody<TokenForm>,
) -> Result<Json<Token>, ApiError> {
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
        .await?
        .ok_or(ApiError::BadCredentials)?;
    tracing::info!(login = %user.login, "token issued");
    Ok(Json(Token {
        access_token: state.tokens.issue(&user.login),
        token_type: "bearer".into(),
    }))
}
