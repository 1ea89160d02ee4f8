//! Who is calling: a bearer token on TCP, or a local process on the admin socket (which acts as
//! admin). Handlers state the least role they need in their signature: `Auth<Operator>`.

pub mod jwt;
pub mod sessions;
pub mod throttle;

use std::marker::PhantomData;

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use pgmon_common::users::Role;

use crate::api::ApiError;
use crate::api::audit::AuditSlot;
use crate::listen::SocketPeer;
use crate::state::AppState;

#[derive(Clone, Debug)]
pub struct Caller {
    /// The login of a token's user; `None` on the admin socket.
    pub login: Option<String>,
    pub role: Role,
    /// The peer's uid on the admin socket.
    pub socket_uid: Option<u32>,
}

impl Caller {
    /// How the audit trail and logs name the caller.
    pub fn actor(&self) -> String {
        match (&self.login, self.socket_uid) {
            (Some(l), _) => l.clone(),
            (None, Some(uid)) => format!("socket:uid={uid}"),
            (None, None) => "unknown".into(),
        }
    }
}

/// The least role an endpoint needs.
pub trait MinRole {
    const ROLE: Role;
}

pub struct Viewer;
pub struct Operator;
pub struct Admin;

impl MinRole for Viewer {
    const ROLE: Role = Role::Viewer;
}
impl MinRole for Operator {
    const ROLE: Role = Role::Operator;
}
impl MinRole for Admin {
    const ROLE: Role = Role::Admin;
}

/// An authenticated caller with at least role `R`.
pub struct Auth<R>(pub Caller, pub PhantomData<R>);

impl<R: MinRole + Send + Sync> FromRequestParts<AppState> for Auth<R> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let caller = identify(parts, state).await?;
        if let Some(slot) = parts.extensions.get::<AuditSlot>() {
            slot.set_actor(caller.actor());
        }
        if caller.role < R::ROLE {
            return Err(ApiError::Forbidden(R::ROLE));
        }
        Ok(Auth(caller, PhantomData))
    }
}

/// The token of an `Authorization: Bearer` header, if there is a non-empty one.
pub fn bearer_token(headers: &axum::http::HeaderMap) -> Option<&str> {
    headers
        .get(AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            let (scheme, token) = v.split_once(' ')?;
            scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
        })
        .filter(|t| !t.is_empty())
}

async fn identify(parts: &Parts, state: &AppState) -> Result<Caller, ApiError> {
    if let Some(ConnectInfo(peer)) = parts.extensions.get::<ConnectInfo<SocketPeer>>() {
        return Ok(Caller {
            login: None,
            role: Role::Admin,
            socket_uid: Some(peer.uid),
        });
    }
    let token = bearer_token(&parts.headers).ok_or(ApiError::NotAuthenticated)?;
    let subject = state.tokens.verify(token)?;
    // A refresh token opens nothing but the next pair; an ended session nothing at all.
    if subject.refresh {
        return Err(ApiError::InvalidToken);
    }
    if state
        .sessions
        .is_revoked(subject.session.as_deref(), &subject.signature)
    {
        return Err(ApiError::TokenRevoked);
    }
    let login = subject.login;
    let snapshot = state.fleet.get();
    let user = snapshot.user(&login).ok_or(ApiError::BadCredentials)?;
    if !user.is_active {
        return Err(ApiError::BadCredentials);
    }
    // Issued before a password or role change, or to an earlier user of the same login.
    if subject
        .version
        .is_some_and(|v| v != state.tokens.version(user))
    {
        return Err(ApiError::TokenRevoked);
    }
    Ok(Caller {
        login: Some(login),
        role: user.role,
        socket_uid: None,
    })
}
