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

/// What the extractor answers in place of the handler, declared once for every route that takes
/// it: a `responses(Auth<Operator>)` in a route's `#[utoipa::path]` gives its 401 (and 403 above
/// the viewer role), and `x-least-role` on the 401, from which the document writes the
/// operation's role sentence and security requirement (`api/docs.rs`).
impl<R: MinRole> utoipa::IntoResponses for Auth<R> {
    fn responses() -> std::collections::BTreeMap<
        String,
        utoipa::openapi::RefOr<utoipa::openapi::response::Response>,
    > {
        use crate::api::docs::error_response;
        use utoipa::openapi::extensions::ExtensionsBuilder;
        let mut out = std::collections::BTreeMap::new();
        let unauthenticated = error_response(
            "No bearer token, or one that is malformed, expired, revoked, a refresh token, or \
             of a user since removed, deactivated or changed",
            "ErrorBody",
        )
        .extensions(Some(
            ExtensionsBuilder::new()
                .add("x-least-role", R::ROLE.as_str())
                .build(),
        ))
        .build();
        out.insert("401".to_owned(), unauthenticated.into());
        if R::ROLE > Role::Viewer {
            let below = format!("The caller's role is below {}", R::ROLE);
            let forbidden = error_response(&below, "ErrorBody").build();
            out.insert("403".to_owned(), forbidden.into());
        }
        out
    }
}

/// The user a verified token speaks for: still there and active, and unchanged since the token
/// was issued (a password or role change, or an earlier user of the same login, leaves it
/// behind). The Python backend's tokens carry no version and are taken as they are; pgmon's
/// (the ones with a session) always carry one.
pub fn token_user<'a>(
    snapshot: &'a crate::fleet::Snapshot,
    tokens: &jwt::TokenKeys,
    subject: &jwt::Subject,
) -> Result<&'a pgmon_common::users::User, ApiError> {
    let user = snapshot
        .user(&subject.login)
        .filter(|u| u.is_active)
        .ok_or(ApiError::BadCredentials)?;
    let current = match (&subject.version, &subject.session) {
        (Some(v), _) => *v == tokens.version(user),
        (None, session) => session.is_none(),
    };
    if !current {
        return Err(ApiError::TokenRevoked);
    }
    Ok(user)
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
    let snapshot = state.fleet.get();
    let user = token_user(&snapshot, &state.tokens, &subject)?;
    Ok(Caller {
        login: Some(subject.login),
        role: user.role,
        socket_uid: None,
    })
}
