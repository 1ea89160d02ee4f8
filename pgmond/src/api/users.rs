//! `/users`: accounts of the API. Admins only, but for `/users/me`.

use axum::Json;
use axum::extract::{Path, State};
use pgmon_common::api::{ErrorBody, Message, UserCreate, UserResponse, UserUpdate};
use pgmon_common::users::{NewUser, UserChange};

use super::ApiError;
use super::extract::JsonBody;
use crate::auth::{Admin, Auth, Viewer};
use crate::state::AppState;

/// List the users.
///
/// Every account, without password hashes.
#[utoipa::path(
    get, path = "/users", tag = "users",
    responses((status = 200, body = [UserResponse]), Auth<Admin>)
)]
pub async fn list(
    _: Auth<Admin>,
    State(state): State<AppState>,
) -> Result<Json<Vec<UserResponse>>, ApiError> {
    let users = state.store(|dir| dir.list_users()).await?;
    Ok(Json(users.iter().map(UserResponse::from).collect()))
}

/// Add a user.
///
/// Login, password (at least the length pgmond.toml requires), role and e-mail. Recorded in the
/// audit trail.
#[utoipa::path(
    post, path = "/users", tag = "users", request_body = UserCreate,
    responses((status = 200, body = UserResponse), (status = 400, body = ErrorBody), Auth<Admin>)
)]
pub async fn create(
    Auth(caller, ..): Auth<Admin>,
    State(state): State<AppState>,
    JsonBody(body): JsonBody<UserCreate>,
) -> Result<Json<UserResponse>, ApiError> {
    let new = NewUser {
        login: body.login,
        password: body.password,
        role: body.role,
        email: body.email,
    };
    let user = state.store(move |dir| dir.create_user(new)).await?;
    tracing::info!(actor = %caller.actor(), login = %user.login, role = %user.role, "user created");
    Ok(Json(UserResponse::from(&user)))
}

/// The caller's own account.
///
/// The user the token speaks for (the admin socket has none: 400).
#[utoipa::path(
    get, path = "/users/me", tag = "users",
    responses((status = 200, body = UserResponse), (status = 400, body = ErrorBody), Auth<Viewer>)
)]
pub async fn me(
    Auth(caller, ..): Auth<Viewer>,
    State(state): State<AppState>,
) -> Result<Json<UserResponse>, ApiError> {
    let login = caller
        .login
        .ok_or_else(|| ApiError::BadRequest("The admin socket has no user account".into()))?;
    let user = state.store(move |dir| dir.get_user(&login)).await?;
    Ok(Json(UserResponse::from(&user)))
}

/// One user.
///
/// The account of `login`.
#[utoipa::path(
    get, path = "/users/{login}", tag = "users",
    params(("login" = String, Path)),
    responses((status = 200, body = UserResponse), Auth<Admin>)
)]
pub async fn get(
    _: Auth<Admin>,
    State(state): State<AppState>,
    Path(login): Path<String>,
) -> Result<Json<UserResponse>, ApiError> {
    let user = state.store(move |dir| dir.get_user(&login)).await?;
    Ok(Json(UserResponse::from(&user)))
}

/// Change a user.
///
/// Password, role, e-mail or whether the account is active; tokens issued before a password or role
/// change stop working. Recorded in the audit trail.
#[utoipa::path(
    put, path = "/users/{login}", tag = "users",
    params(("login" = String, Path)), request_body = UserUpdate,
    responses((status = 200, body = UserResponse), (status = 400, body = ErrorBody), Auth<Admin>)
)]
pub async fn update(
    Auth(caller, ..): Auth<Admin>,
    State(state): State<AppState>,
    Path(login): Path<String>,
    JsonBody(body): JsonBody<UserUpdate>,
) -> Result<Json<UserResponse>, ApiError> {
    let change = UserChange {
        password: body.password,
        role: body.role,
        email: body.email,
        is_active: body.is_active,
    };
    let user = state
        .store(move |dir| dir.update_user(&login, change))
        .await?;
    tracing::info!(actor = %caller.actor(), login = %user.login, "user updated");
    Ok(Json(UserResponse::from(&user)))
}

/// Delete a user.
///
/// Nobody deletes their own account, nor the last active admin (400). Recorded in the audit trail.
#[utoipa::path(
    delete, path = "/users/{login}", tag = "users",
    params(("login" = String, Path)),
    responses((status = 200, body = Message), (status = 400, body = ErrorBody), Auth<Admin>)
)]
pub async fn delete(
    Auth(caller, ..): Auth<Admin>,
    State(state): State<AppState>,
    Path(login): Path<String>,
) -> Result<Json<Message>, ApiError> {
    let actor = caller.login.clone();
    let target = login.clone();
    state
        .store(move |dir| dir.delete_user(&target, actor.as_deref()))
        .await?;
    tracing::info!(actor = %caller.actor(), %login, "user deleted");
    Ok(Json(Message {
        message: format!("User {login} deleted"),
    }))
}
