//! `pgmonctl ssh-keys` and `servers test-ssh`.

use pgmon_common::api::{GenerateKey, ImportKey, UpdateKey};

use crate::backend::Backend;
use crate::cli::KeysCommand;
use crate::error::CliError;
use crate::output::{Column, Printer, col};
use crate::secrets::{StdinSecrets, read_optional_secret};

const KEY_COLUMNS: &[Column] = &[
    col("ID", "id"),
    col("NAME", "name"),
    col("TYPE", "key_type"),
    col("FINGERPRINT", "fingerprint"),
    col("PASSPHRASE", "has_passphrase"),
    col("SERVERS", "servers_count"),
    col("CREATED", "created_at"),
];

const KEY_SERVER_COLUMNS: &[Column] = &[col("SERVER", "name"), col("HOST", "host")];

pub async fn run(b: &impl Backend, cmd: KeysCommand, out: &Printer) -> Result<(), CliError> {
    let mut stdin = StdinSecrets::new();
    match cmd {
        KeysCommand::List => out.list(&b.list_keys().await?, KEY_COLUMNS)?,
        KeysCommand::Show { key } => out.record(&b.get_key(&b.ssh_key_id(&key).await?).await?)?,
        KeysCommand::Generate {
            name,
            key_type,
            bits,
            passphrase_stdin,
            description,
        } => {
            let passphrase = read_optional_secret(&mut stdin, passphrase_stdin, "key passphrase")?;
            let body = GenerateKey {
                name,
                key_type,
                key_size: bits,
                passphrase,
                description,
            };
            out.record(&b.generate_key(body).await?)?
        }
        KeysCommand::Import {
            name,
            file,
            passphrase_stdin,
            description,
        } => {
            let private_key = std::fs::read_to_string(&file)
                .map_err(|e| CliError::Failed(format!("reading {}: {e}", file.display())))?;
            let passphrase = read_optional_secret(&mut stdin, passphrase_stdin, "key passphrase")?;
            let body = ImportKey {
                name,
                private_key,
                passphrase,
                description,
            };
            out.record(&b.import_key(body).await?)?
        }
        KeysCommand::Update {
            key,
            name,
            description,
        } => {
            let id = b.ssh_key_id(&key).await?;
            out.record(&b.update_key(&id, UpdateKey { name, description }).await?)?
        }
        KeysCommand::Delete { key } => {
            out.message(&b.delete_key(&b.ssh_key_id(&key).await?).await?)?
        }
        KeysCommand::Servers { key } => {
            let servers = b.key_servers(&b.ssh_key_id(&key).await?).await?;
            if out.is_json() {
                out.record(&servers)?
            } else {
                out.list(&servers.servers, KEY_SERVER_COLUMNS)?
            }
        }
        KeysCommand::Public { key, out: file } => {
            let public = b.key_public(&b.ssh_key_id(&key).await?).await?;
            match file {
                Some(path) => {
                    std::fs::write(&path, format!("{}\n", public.content)).map_err(|e| {
                        CliError::Failed(format!("writing {}: {e}", path.display()))
                    })?;
                    out.message(&pgmon_common::api::Message {
                        message: format!("Public key written to {}", path.display()),
                    })?
                }
                None if out.is_json() => out.record(&public)?,
                None => out.message(&pgmon_common::api::Message {
                    message: public.content,
                })?,
            }
        }
    }
    Ok(())
}

/// `servers test-ssh`: prints the outcome; a failed login is exit 1, for scripts.
pub async fn test_ssh(b: &impl Backend, name: &str, out: &Printer) -> Result<(), CliError> {
    let result = b.test_ssh(name).await?;
    out.record(&result)?;
    if result.success {
        Ok(())
    } else {
        Err(CliError::Failed(result.message))
    }
}
