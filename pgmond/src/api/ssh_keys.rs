//! `/ssh-keys`: stored SSH keys. Operators manage them but see no public key text; only admins
//! see and download it. Private keys never leave the config dir.

use axum::Json;
use axum::extract::{Multipart, Path, State};
use pgmon_common::api::{
    ErrorBody, GenerateKey, ImportKey, KeyServers, Message, PublicKeyFile, SshKeyResponse,
    UpdateKey,
};
use pgmon_common::ssh_keys::material::{self, KeyMaterial};
use pgmon_common::ssh_keys::{NewKey, SshKeyMeta};
use pgmon_common::users::Role;
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use zeroize::Zeroizing;

use super::ApiError;
use super::extract::{JsonBody, QueryParams};
use crate::auth::{Admin, Auth, Caller, Operator, Viewer};
use crate::ssh::key_work;
use crate::state::AppState;

/// Fields of `import-file` that may come as query parameters instead of form fields.
#[derive(Deserialize, IntoParams, Default)]
#[into_params(parameter_in = Query)]
pub struct ImportFileQuery {
    /// The key's name (default: the file's name without `.pem` or `.key`).
    name: Option<String>,
    /// The key's passphrase, if it has one (better as a form field: query strings get logged).
    passphrase: Option<String>,
    description: Option<String>,
}

/// The multipart body of `POST /ssh-keys/import-file`: the key file, and the fields that may
/// come as query parameters instead (a form field wins).
#[derive(ToSchema)]
pub struct ImportFileForm {
    /// The private key file (OpenSSH or PEM), and the name it was sent under.
    #[schema(value_type = String, format = Binary, required = true)]
    file: Option<(Zeroizing<String>, Option<String>)>,
    /// The key's name (default: the file's name without `.pem` or `.key`).
    name: Option<String>,
    /// The key's passphrase, if it has one.
    passphrase: Option<String>,
    description: Option<String>,
}

/// A multipart body that cannot be read: 413 when it is over the body limit, else 400.
fn multipart_error(e: axum::extract::multipart::MultipartError) -> ApiError {
    if e.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
        ApiError::TooLarge
    } else {
        ApiError::BadRequest(format!("Malformed multipart body: {}", e.body_text()))
    }
}

/// The key as this caller may see it.
async fn respond(
    state: &AppState,
    caller: &Caller,
    key: SshKeyMeta,
) -> Result<Json<SshKeyResponse>, ApiError> {
    let servers = state.store(|dir| dir.list_servers()).await?;
    Ok(Json(SshKeyResponse::new(
        &key,
        &servers,
        caller.role == Role::Admin,
    )))
}

async fn store_key(
    state: &AppState,
    caller: &Caller,
    name: String,
    description: Option<String>,
    material: KeyMaterial,
) -> Result<Json<SshKeyResponse>, ApiError> {
    let new = NewKey {
        name,
        description,
        created_by: caller.actor(),
        material,
    };
    let key = state.store(move |dir| dir.add_ssh_key(new)).await?;
    tracing::info!(actor = %caller.actor(), key = %key.name, id = %key.id, fingerprint = %key.fingerprint, "SSH key stored");
    respond(state, caller, key).await
}

/// Parses (and decrypts) a key as bounded key work; RSA and scrypt-style KDFs are slow.
async fn import_material(
    text: Zeroizing<String>,
    passphrase: Option<Zeroizing<String>>,
) -> Result<KeyMaterial, ApiError> {
    Ok(key_work::run(key_work::DECRYPT_LIMIT, move || {
        material::import(&text, passphrase.as_deref().map(|p| p.as_str()))
    })
    .await??)
}

/// List the SSH keys.
///
/// Public parts and fingerprints only: private keys never leave pgmond.
#[utoipa::path(
    get, path = "/ssh-keys", tag = "ssh-keys",
    responses((status = 200, body = [SshKeyResponse]), Auth<Operator>)
)]
pub async fn list(
    Auth(caller, ..): Auth<Operator>,
    State(state): State<AppState>,
) -> Result<Json<Vec<SshKeyResponse>>, ApiError> {
    let show = caller.role == Role::Admin;
    let (keys, servers) = state
        .store(|dir| Ok((dir.list_ssh_keys()?, dir.list_servers()?)))
        .await?;
    Ok(Json(
        keys.iter()
            .map(|k| SshKeyResponse::new(k, &servers, show))
            .collect(),
    ))
}

/// One SSH key.
///
/// Its public part, fingerprint and the servers that use it.
#[utoipa::path(
    get, path = "/ssh-keys/{id}", tag = "ssh-keys",
    params(("id" = String, Path)),
    responses((status = 200, body = SshKeyResponse), Auth<Operator>)
)]
pub async fn get(
    Auth(caller, ..): Auth<Operator>,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<SshKeyResponse>, ApiError> {
    let key = state.store(move |dir| dir.get_ssh_key(&id)).await?;
    respond(&state, &caller, key).await
}

/// Generate an SSH key.
///
/// Ed25519 or RSA, stored encrypted. Recorded in the audit trail.
#[utoipa::path(
    post, path = "/ssh-keys/generate", tag = "ssh-keys", request_body = GenerateKey,
    responses((status = 200, body = SshKeyResponse), (status = 400, body = ErrorBody), Auth<Operator>)
)]
pub async fn generate(
    Auth(caller, ..): Auth<Operator>,
    State(state): State<AppState>,
    JsonBody(body): JsonBody<GenerateKey>,
) -> Result<Json<SshKeyResponse>, ApiError> {
    let name = body.name.clone();
    let taken = state
        .store(move |dir| Ok(dir.list_ssh_keys()?.iter().any(|k| k.name == name)))
        .await?;
    if taken {
        return Err(ApiError::BadRequest(format!(
            "Key with name '{}' already exists",
            body.name
        )));
    }
    let passphrase = body.passphrase.map(Zeroizing::new);
    let (key_type, size) = (body.key_type, body.key_size);
    let material = key_work::run(key_work::GENERATE_LIMIT, move || {
        material::generate(&key_type, size, passphrase.as_deref().map(|p| p.as_str()))
    })
    .await??;
    store_key(&state, &caller, body.name, body.description, material).await
}

/// Import an SSH key.
///
/// A private key in OpenSSH or PEM form (with its passphrase if it has one), stored encrypted.
/// Recorded in the audit trail.
#[utoipa::path(
    post, path = "/ssh-keys/import", tag = "ssh-keys", request_body = ImportKey,
    responses((status = 200, body = SshKeyResponse), (status = 400, body = ErrorBody), Auth<Operator>)
)]
pub async fn import(
    Auth(caller, ..): Auth<Operator>,
    State(state): State<AppState>,
    JsonBody(body): JsonBody<ImportKey>,
) -> Result<Json<SshKeyResponse>, ApiError> {
    let material = import_material(
        Zeroizing::new(body.private_key),
        body.passphrase.map(Zeroizing::new),
    )
    .await?;
    store_key(&state, &caller, body.name, body.description, material).await
}

/// Import an SSH key from a file upload.
///
/// The same as `POST /ssh-keys/import`, the key as the multipart field `file`. Recorded in the
/// audit trail.
#[utoipa::path(
    post, path = "/ssh-keys/import-file", tag = "ssh-keys",
    params(ImportFileQuery),
    request_body(content = ImportFileForm, content_type = "multipart/form-data"),
    responses((status = 200, body = SshKeyResponse), (status = 400, body = ErrorBody), Auth<Operator>)
)]
pub async fn import_file(
    Auth(caller, ..): Auth<Operator>,
    State(state): State<AppState>,
    QueryParams(query): QueryParams<ImportFileQuery>,
    mut form: Multipart,
) -> Result<Json<SshKeyResponse>, ApiError> {
    let mut fields = ImportFileForm {
        file: None,
        name: query.name,
        passphrase: query.passphrase,
        description: query.description,
    };
    while let Some(field) = form.next_field().await.map_err(multipart_error)? {
        let name = field.name().unwrap_or_default().to_owned();
        let file_name = field.file_name().map(str::to_owned);
        let text = Zeroizing::new(field.text().await.map_err(multipart_error)?);
        match name.as_str() {
            "file" => fields.file = Some((text, file_name)),
            "name" => fields.name = Some(text.to_string()),
            "passphrase" => fields.passphrase = Some(text.to_string()),
            "description" => fields.description = Some(text.to_string()),
            _ => {}
        }
    }
    let Some((text, file_name)) = fields.file else {
        return Err(ApiError::validation(
            vec!["body".into(), "file".into()],
            "missing",
            "Field required",
        ));
    };
    let name = fields
        .name
        .filter(|n| !n.is_empty())
        .or_else(|| file_name.map(|f| default_key_name(&f)))
        .ok_or_else(|| {
            ApiError::BadRequest("A key name is needed (name field or file name)".into())
        })?;
    let material = import_material(text, fields.passphrase.map(Zeroizing::new)).await?;
    store_key(&state, &caller, name, fields.description, material).await
}

/// The file's base name without `.pem` or `.key`.
fn default_key_name(file_name: &str) -> String {
    let base = file_name.rsplit(['/', '\\']).next().unwrap_or(file_name);
    base.strip_suffix(".pem")
        .or_else(|| base.strip_suffix(".key"))
        .unwrap_or(base)
        .to_owned()
}

/// Rename or describe an SSH key.
///
/// Recorded in the audit trail.
#[utoipa::path(
    put, path = "/ssh-keys/{id}", tag = "ssh-keys",
    params(("id" = String, Path)), request_body = UpdateKey,
    responses((status = 200, body = SshKeyResponse), (status = 400, body = ErrorBody), Auth<Operator>)
)]
pub async fn update(
    Auth(caller, ..): Auth<Operator>,
    State(state): State<AppState>,
    Path(id): Path<String>,
    JsonBody(body): JsonBody<UpdateKey>,
) -> Result<Json<SshKeyResponse>, ApiError> {
    let key = state
        .store(move |dir| dir.update_ssh_key(&id, body.name, body.description))
        .await?;
    tracing::info!(actor = %caller.actor(), key = %key.name, id = %key.id, "SSH key updated");
    respond(&state, &caller, key).await
}

/// Delete an SSH key.
///
/// Refused (400) while a server uses it. Recorded in the audit trail.
#[utoipa::path(
    delete, path = "/ssh-keys/{id}", tag = "ssh-keys",
    params(("id" = String, Path)),
    responses((status = 200, body = Message), (status = 400, body = ErrorBody), Auth<Operator>)
)]
pub async fn delete(
    Auth(caller, ..): Auth<Operator>,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<Message>, ApiError> {
    let target = id.clone();
    state.store(move |dir| dir.delete_ssh_key(&target)).await?;
    tracing::info!(actor = %caller.actor(), %id, "SSH key deleted");
    Ok(Json(Message {
        message: "SSH key deleted".into(),
    }))
}

/// The servers that use an SSH key.
///
/// Their names.
#[utoipa::path(
    get, path = "/ssh-keys/{id}/servers", tag = "ssh-keys",
    params(("id" = String, Path)),
    responses((status = 200, body = KeyServers), Auth<Viewer>)
)]
pub async fn servers(
    _: Auth<Viewer>,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<KeyServers>, ApiError> {
    let servers = state
        .store(move |dir| {
            Ok(KeyServers::new(
                &dir.get_ssh_key(&id)?,
                dir.servers_using_key(&id)?,
            ))
        })
        .await?;
    Ok(Json(servers))
}

/// An SSH key's public part.
///
/// As an `authorized_keys` line, with a file name to save it under.
#[utoipa::path(
    get, path = "/ssh-keys/{id}/download-public", tag = "ssh-keys",
    params(("id" = String, Path)),
    responses((status = 200, body = PublicKeyFile), Auth<Admin>)
)]
pub async fn download_public(
    _: Auth<Admin>,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<PublicKeyFile>, ApiError> {
    let key = state.store(move |dir| dir.get_ssh_key(&id)).await?;
    Ok(Json(PublicKeyFile::from(&key)))
}
