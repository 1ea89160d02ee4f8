//! SSH keys (operators): the list, generate, import, delete; the public key downloaded as a
//! file (admins, as the API allows).

use std::sync::Arc;

use axum::extract::{Path, Query};
use axum::http::Method;
use axum::http::header::{CONTENT_DISPOSITION, CONTENT_TYPE};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use maud::{Markup, html};
use pgmon_common::api::SshKeyResponse;
use pgmon_common::users::Role;
use serde::Deserialize;
use serde_json::json;

use super::{Fields, change, done_notice, field, text_or_null};
use crate::web::Console;
use crate::web::layout::{Section, csrf_field, page, time};
use crate::web::server::segment;
use crate::web::session::{Leave, Visit};

pub fn routes() -> Router<Arc<Console>> {
    Router::new()
        .route("/ui/admin/keys", get(list))
        .route("/ui/admin/keys/generate", post(generate))
        .route("/ui/admin/keys/import", post(import))
        .route(
            "/ui/admin/keys/{id}/delete",
            super::deletes("/ssh-keys", "/ui/admin/keys"),
        )
        .route("/ui/admin/keys/{id}/public", get(public))
}

const DONE: &[(&str, &str)] = &[
    ("generated", "Key generated."),
    ("imported", "Key imported."),
    ("deleted", "Key deleted."),
];

async fn list(mut v: Visit, Query(q): Query<Fields>) -> Result<Markup, Leave> {
    let who = v.who().await?;
    let keys: Vec<SshKeyResponse> = v.get("/ssh-keys").await?;
    let admin = who.role >= Role::Admin;
    let body = html! {
        h1 { "SSH keys" }
        (done_notice(q.get("done"), DONE))
        @if keys.is_empty() { p.empty { "No SSH key yet: generate one below (its public key goes into the server's authorized_keys), or import one." } }
        @else { div.scroll { table {
            thead { tr { th { "Name" } th { "Type" } th { "Fingerprint" } th.num { "Servers" } th { "Created" } th { "Actions" } } }
            tbody { @for k in &keys {
                @let base = format!("/ui/admin/keys/{}", segment(&k.id));
                tr {
                    td { (k.name) @if let Some(d) = &k.description { br; span.muted { (d) } } }
                    td { (k.key_type) }
                    td { code { (k.fingerprint) } }
                    td.num { (k.servers_count) }
                    td { (time(Some(&k.created_at))) }
                    td {
                        @if admin { a href=(format!("{base}/public")) download { "Public key" } " " }
                        (super::delete_button(&format!("{base}/delete"), &who.csrf, &format!("Delete key {}", k.name)))
                    }
                }
            } }
        } } }
        h2 { "Generate a key" }
        form method="post" action="/ui/admin/keys/generate" {
            (csrf_field(&who.csrf))
            div.fields {
                label { "Name" input name="name" required; }
                label { "Type" select name="key_type" { option value="ed25519" { "Ed25519" } option value="rsa" { "RSA" } } }
                label { "RSA bits" input type="number" name="key_size" min="2048" max="8192" step="1024" value="4096"; }
                label { "Passphrase (optional)" input type="password" name="passphrase" autocomplete="new-password"; }
                label { "Description (optional)" input name="description"; }
                button.primary type="submit" { "Generate" }
            }
        }
        h2 { "Import a private key" }
        form method="post" action="/ui/admin/keys/import" {
            (csrf_field(&who.csrf))
            div.fields {
                label { "Name" input name="name" required; }
                label { "Passphrase (if it has one)" input type="password" name="passphrase" autocomplete="off"; }
                label { "Description (optional)" input name="description"; }
            }
            p { label { "Private key (OpenSSH or PEM)" br; textarea name="private_key" required spellcheck="false" {} } }
            button.primary type="submit" { "Import" }
        }
    };
    Ok(page(&who, Some(Section::Keys), "SSH keys", 0, body))
}

async fn generate(mut v: Visit, Form(f): Form<Fields>) -> Result<Response, Leave> {
    let rsa = field(&f, "key_type") == "rsa";
    let size = if rsa {
        json!(field(&f, "key_size").parse::<u64>().unwrap_or(4096))
    } else {
        serde_json::Value::Null
    };
    let body = json!({
        "name": field(&f, "name"),
        "key_type": if rsa { "rsa" } else { "ed25519" },
        "key_size": size,
        "passphrase": text_or_null(&f, "passphrase"),
        "description": text_or_null(&f, "description"),
    });
    let to = ("/ui/admin/keys", "generated");
    change(
        &mut v,
        &f,
        (Method::POST, "/ssh-keys/generate", Some(body)),
        to,
    )
    .await
}

async fn import(mut v: Visit, Form(f): Form<Fields>) -> Result<Response, Leave> {
    let body = json!({
        "name": field(&f, "name"),
        "private_key": f.get("private_key").cloned().unwrap_or_default(),
        "passphrase": text_or_null(&f, "passphrase"),
        "description": text_or_null(&f, "description"),
    });
    let to = ("/ui/admin/keys", "imported");
    change(
        &mut v,
        &f,
        (Method::POST, "/ssh-keys/import", Some(body)),
        to,
    )
    .await
}

#[derive(Deserialize)]
struct Download {
    filename: String,
    content: String,
}

/// A file name the header can carry as it is: letters, digits, `.`, `-`, `_` only.
fn plain_name(name: &str) -> String {
    let kept: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || ".-_".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    if kept.trim_matches(['.', '_']).is_empty() {
        "key.pub".into()
    } else {
        kept
    }
}

async fn public(mut v: Visit, Path(id): Path<String>) -> Result<Response, Leave> {
    let d: Download = v
        .get(&format!("/ssh-keys/{}/download-public", segment(&id)))
        .await?;
    let disposition = format!("attachment; filename=\"{}\"", plain_name(&d.filename));
    Ok((
        [
            (CONTENT_TYPE, "text/plain; charset=utf-8".to_owned()),
            (CONTENT_DISPOSITION, disposition),
        ],
        d.content,
    )
        .into_response())
}

#[cfg(test)]
mod tests {
    #[test]
    /// A key's name cannot break out of the header's quoted file name.
    fn download_names_are_plain() {
        assert_eq!(super::plain_name("a\"b\r\n.pub"), "a_b__.pub");
        assert_eq!(super::plain_name("../.."), "key.pub");
        assert_eq!(super::plain_name("ok_id_ed25519.pub"), "ok_id_ed25519.pub");
    }
}
