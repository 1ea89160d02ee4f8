//! `POST /token`: the OAuth2 password flow of the Python backend, which also starts a session
//! (see `auth::sessions`); `POST /token/refresh` and `POST /logout` continue and end it.

use axum::Extension;
use axum::Json;
use axum::extract::State;
use pgmon_common::api::{ErrorBody, Token};
use serde::Deserialize;
use utoipa::ToSchema;

use super::ApiError;
use super::audit::AuditSlot;
use super::extract::{FormBody, JsonBody, Source};
use crate::auth::jwt::new_session;
use crate::auth::sessions::Exchange;
use crate::auth::throttle::Refusal;
use crate::auth::{Auth, Viewer, bearer_token, token_user};
use crate::state::AppState;

/// How long a refusal of the throttle takes to answer: about a password check's time.
const REFUSAL_PACE: std::time::Duration = std::time::Duration::from_millis(250);

#[derive(Deserialize, ToSchema)]
pub struct TokenForm {
    username: String,
    password: String,
}

/// Sign in.
///
/// OAuth2 password flow (form fields `username`, `password`): an access token and a refresh token
/// that starts a session. Failed logins are throttled per address and per address and login (429
/// with Retry-After).
#[utoipa::path(
    post, path = "/token", tag = "auth",
    request_body(content = TokenForm, content_type = "application/x-www-form-urlencoded"),
    responses((status = 200, body = Token),
              (status = 401, description = "Unknown login, wrong password or inactive account", body = ErrorBody),
              (status = 429, description = "Too many failed logins (Retry-After)", body = ErrorBody),
              (status = 503, description = "Too many logins at once (Retry-After)", body = ErrorBody))
)]
pub async fn login(
    State(state): State<AppState>,
    source: Source,
    audit: Option<Extension<AuditSlot>>,
    FormBody(form): FormBody<TokenForm>,
) -> Result<Json<Token>, ApiError> {
    if let Some(Extension(slot)) = audit {
        slot.set_actor(form.username.clone());
    }
    let shown = source.label();
    // The admin socket's callers are admins already; only TCP is throttled.
    let addr = match source {
        Source::Tcp(addr) => Some(addr),
        Source::AdminSocket => None,
    };
    let turn = match addr {
        Some(addr) => match state.throttle.admit(addr, &form.username).await {
            Ok(turn) => Some(turn),
            Err(Refusal::Blocked(wait)) => {
                // A guesser waits for each refusal as for a password check: a flood from a
                // client that does not honour Retry-After slows to its connections' pace
                // instead of costing pgmond a request's work each time it can send one.
                tokio::time::sleep(REFUSAL_PACE).await;
                return Err(ApiError::TooManyAttempts(wait));
            }
            Err(Refusal::Busy) => return Err(ApiError::Busy),
        },
        None => None,
    };
    let login = form.username.clone();
    // `last_login` is bookkeeping: a login goes on when the shared store cannot take it.
    let user = state
        .store_with(crate::store::documents::Needs::Nothing, move |dir| {
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
    let Some(user) = user else {
        if let Some(addr) = addr {
            state.throttle.failed(addr, &login);
        }
        // One line fail2ban can match: see the README for the filter.
        // The login is anyone's text: cut as the audit actor is.
        let tried: String = login.chars().take(256).collect();
        tracing::warn!("login failed for {} from {shown}", tried.escape_debug());
        return Err(ApiError::BadCredentials);
    };
    if let Some(addr) = addr {
        state.throttle.succeeded(addr, &user.login);
    }
    tracing::info!("login succeeded for {} from {shown}", user.login);
    let session = new_session();
    let pair = state.tokens.issue(&user, &session);
    let (sessions, until) = (state.sessions.clone(), state.tokens.session_end());
    let (login, refresh_id) = (user.login.clone(), pair.refresh_id.clone());
    tokio::task::spawn_blocking(move || sessions.start(&session, &login, &refresh_id, until))
        .await??;
    Ok(Json(token(pair)))
}

fn token(pair: crate::auth::jwt::Pair) -> Token {
    Token {
        access_token: pair.access,
        token_type: "bearer".into(),
        refresh_token: Some(pair.refresh),
    }
}

#[derive(Deserialize, ToSchema)]
pub struct RefreshBody {
    refresh_token: String,
}

/// Exchange a refresh token for a new pair.
///
/// The refresh token sent is spent; sending a spent one again ends its session.
#[utoipa::path(
    post, path = "/token/refresh", tag = "auth", request_body = RefreshBody,
    responses((status = 200, description = "A new pair; the refresh token sent is spent", body = Token),
              (status = 401, description = "Invalid, expired or spent (the session is then ended)", body = ErrorBody))
)]
pub async fn refresh(
    State(state): State<AppState>,
    audit: Option<Extension<AuditSlot>>,
    JsonBody(body): JsonBody<RefreshBody>,
) -> Result<Json<Token>, ApiError> {
    let subject = state.tokens.verify(&body.refresh_token)?;
    if let Some(Extension(slot)) = audit {
        slot.set_actor(subject.login.clone());
    }
    let (true, Some(session), Some(id)) =
        (subject.refresh, subject.session.clone(), subject.id.clone())
    else {
        return Err(ApiError::InvalidToken);
    };
    let snapshot = state.fleet.get();
    let user = token_user(&snapshot, &state.tokens, &subject)?.clone();
    let pair = state.tokens.issue(&user, &session);
    let (sessions, until) = (state.sessions.clone(), state.tokens.session_end());
    let (login, next) = (user.login.clone(), pair.refresh_id.clone());
    let exchange = tokio::task::spawn_blocking(move || {
        sessions.exchange((&session, &login), &id, &next, until)
    })
    .await??;
    if exchange == Exchange::Reused {
        tracing::warn!(
            "refresh token reused for {}: session ended",
            user.login.escape_debug()
        );
        return Err(ApiError::TokenRevoked);
    }
    Ok(Json(token(pair)))
}

/// Sign out.
///
/// Ends the session of the token sent, on the daemon: its refresh token stops working too.
#[utoipa::path(
    post, path = "/logout", tag = "auth",
    responses((status = 200, description = "The session of the token sent is ended", body = pgmon_common::api::Message),
              (status = 400, description = "On the admin socket, there is no session", body = ErrorBody), Auth<Viewer>)
)]
pub async fn logout(
    State(state): State<AppState>,
    Auth(caller, _): Auth<Viewer>,
    headers: axum::http::HeaderMap,
) -> Result<Json<pgmon_common::api::Message>, ApiError> {
    let Some(token) = bearer_token(&headers).filter(|_| caller.socket_uid.is_none()) else {
        return Err(ApiError::BadRequest(
            "No session to end: the admin socket needs no login".into(),
        ));
    };
    let subject = state.tokens.verify(token)?;
    // A session's refresh token outlives its access token; a lone token only itself.
    let until = match subject.session {
        Some(_) => state.tokens.session_end(),
        None => subject.expires,
    };
    let sessions = state.sessions.clone();
    tokio::task::spawn_blocking(move || {
        sessions.revoke(subject.session.as_deref(), &subject.signature, until)
    })
    .await??;
    tracing::info!("logout of {}", caller.actor());
    Ok(Json(pgmon_common::api::Message {
        message: "Logged out".into(),
    }))
}
