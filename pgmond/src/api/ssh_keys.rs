//! `/ssh-keys`: stored SSH keys. Operators manage them but see no public key text; only admins
//! do.

use axum::Json;
use axum::extract::{Path, State};
use pgmon_common::api::{ErrorBody, SshKeyResponse};
use pgmon_common::users::Role;

use super::ApiError;
use crate::auth::{Auth, Operator};
use crate::state::AppState;

#[utoipa::path(
    get, path = "/ssh-keys", tag = "ssh-keys", security(("bearer" = [])),
    responses((status = 200, body = [SshKeyResponse]), (status = 403, body = ErrorBody))
)]
pub async fn list(
    Auth(caller, ..): Auth<Operator>,
    State(state): State<AppState>,
) -> Result<Json<Vec<SshKeyResponse>>, ApiError> {
    let show = caller.role == Role::Admin;
    let keys = state
        .store(move |dir| {
            let servers = dir.list_servers()?;
            let keys = dir.list_ssh_keys()?;
            Ok(keys
                .iter()
                .map(|k| SshKeyResponse::new(k, &servers, show))
                .collect())
        })
        .await?;
    Ok(Json(keys))
}

#[utoipa::path(
    get, path = "/ssh-keys/{id}", tag = "ssh-keys", security(("bearer" = [])),
    params(("id" = String, Path)),
    responses((status = 200, body = SshKeyResponse), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody))
)]
pub async fn get(
    Auth(caller, ..): Auth<Operator>,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<SshKeyResponse>, ApiError> {
    let show = caller.role == Role::Admin;
    let key = state
        .store(move |dir| {
            let key = dir
                .list_ssh_keys()?
                .into_iter()
                .find(|k| k.id == id)
                .ok_or_else(|| pgmon_common::Error::not_found("SSH key not found"))?;
            Ok(SshKeyResponse::new(&key, &dir.list_servers()?, show))
        })
        .await?;
    Ok(Json(key))
}
