//! The file `pgmonctl apply` reads and `pgmonctl export` writes: servers, users, SSH key
//! references and alert channels, in YAML (or JSON, which YAML reads too). Fields left out take the defaults a
//! new object gets, so the file says the whole desired state. Secrets are never needed inline:
//! each can come from `<field>_env` (an environment variable) or `<field>_file` (a file's first
//! line); an inline one works but is warned about. They are read only when a change needs them.

use std::path::{Path, PathBuf};

use pgmon_common::servers::{SshAuthType, SslMode};
use pgmon_common::users::Role;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use zeroize::Zeroizing;

use crate::error::CliError;

fn default_pg_port() -> u16 {
    5432
}

fn default_ssh_port() -> u16 {
    22
}

fn yes() -> bool {
    true
}

fn is_default_pg_port(p: &u16) -> bool {
    *p == 5432
}

fn is_default_ssh_port(p: &u16) -> bool {
    *p == 22
}

fn is_true(b: &bool) -> bool {
    *b
}

fn is_false(b: &bool) -> bool {
    !*b
}

/// Where a secret comes from: inline, an environment variable, or a file.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct SecretSource {
    pub inline: Option<String>,
    pub env: Option<String>,
    pub file: Option<PathBuf>,
}

impl SecretSource {
    pub fn is_given(&self) -> bool {
        self.inline.is_some() || self.env.is_some() || self.file.is_some()
    }

    /// The secret; `at` names the object and field in errors and warnings.
    pub fn read(&self, at: &str) -> Result<Option<Zeroizing<String>>, CliError> {
        let given = [
            self.inline.is_some(),
            self.env.is_some(),
            self.file.is_some(),
        ];
        if given.iter().filter(|g| **g).count() > 1 {
            return Err(CliError::Usage(format!(
                "{at}: give one of the secret, its _env or its _file"
            )));
        }
        if let Some(s) = &self.inline {
            eprintln!(
                "pgmonctl: apply: {at}: secret written in the file; prefer {at}_env or {at}_file"
            );
            return Ok(Some(Zeroizing::new(s.clone())));
        }
        if let Some(var) = &self.env {
            return match std::env::var(var) {
                Ok(v) if !v.is_empty() => Ok(Some(Zeroizing::new(v))),
                _ => Err(CliError::Usage(format!(
                    "{at}_env: environment variable {var} is not set"
                ))),
            };
        }
        if let Some(path) = &self.file {
            let text = std::fs::read_to_string(path).map_err(|e| {
                CliError::Usage(format!("{at}_file: cannot read {}: {e}", path.display()))
            })?;
            let text = Zeroizing::new(text);
            let line = text.lines().next().unwrap_or_default();
            if line.is_empty() {
                return Err(CliError::Usage(format!(
                    "{at}_file: {} is empty",
                    path.display()
                )));
            }
            return Ok(Some(Zeroizing::new(line.to_owned())));
        }
        Ok(None)
    }
}

/// A server as the file describes it.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServerSpec {
    pub name: String,
    pub host: String,
    #[serde(
        default = "default_pg_port",
        skip_serializing_if = "is_default_pg_port"
    )]
    pub port: u16,
    pub user: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stats_db: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password_env: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password_file: Option<PathBuf>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ssh_user: Option<String>,
    #[serde(
        default = "default_ssh_port",
        skip_serializing_if = "is_default_ssh_port"
    )]
    pub ssh_port: u16,
    /// `key` when `ssh_key` is given, else `password`, unless said here.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ssh_auth_type: Option<SshAuthType>,
    /// An SSH key's name (or id).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ssh_key: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ssh_password: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ssh_password_env: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ssh_password_file: Option<PathBuf>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ssh_key_passphrase: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ssh_key_passphrase_env: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ssh_key_passphrase_file: Option<PathBuf>,
    #[serde(default, skip_serializing_if = "is_false")]
    pub allow_cleartext_password: bool,
    /// Seconds between the collector's samples of this server (0: not sampled); absent
    /// follows the collector's setting.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub collect_interval: Option<u64>,
    #[serde(default, skip_serializing_if = "SslMode::is_default")]
    pub sslmode: SslMode,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sslrootcert: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sslcert: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sslkey: Option<String>,
}

impl ServerSpec {
    pub fn password(&self) -> SecretSource {
        source(&self.password, &self.password_env, &self.password_file)
    }

    pub fn ssh_password(&self) -> SecretSource {
        source(
            &self.ssh_password,
            &self.ssh_password_env,
            &self.ssh_password_file,
        )
    }

    pub fn ssh_key_passphrase(&self) -> SecretSource {
        source(
            &self.ssh_key_passphrase,
            &self.ssh_key_passphrase_env,
            &self.ssh_key_passphrase_file,
        )
    }

    pub fn auth_type(&self) -> SshAuthType {
        self.ssh_auth_type.unwrap_or(match self.ssh_key {
            Some(_) => SshAuthType::Key,
            None => SshAuthType::Password,
        })
    }
}

fn source(inline: &Option<String>, env: &Option<String>, file: &Option<PathBuf>) -> SecretSource {
    SecretSource {
        inline: inline.clone(),
        env: env.clone(),
        file: file.clone(),
    }
}

/// A user as the file describes it.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UserSpec {
    pub login: String,
    #[serde(default)]
    pub role: Role,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(default = "yes", skip_serializing_if = "is_true")]
    pub is_active: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password_env: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password_file: Option<PathBuf>,
}

impl UserSpec {
    pub fn password(&self) -> SecretSource {
        source(&self.password, &self.password_env, &self.password_file)
    }
}

/// An SSH key the servers may name. Keys hold private material, so the file only refers to
/// them: they must exist (created with `pgmonctl ssh-keys`), and `apply` never adds or deletes one.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeySpec {
    pub name: String,
    /// When given, the stored key must have this fingerprint.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fingerprint: Option<String>,
}

#[derive(Debug, Default, Serialize)]
pub struct Spec {
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub ssh_keys: Vec<KeySpec>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub servers: Vec<ServerSpec>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub users: Vec<UserSpec>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub alert_channels: Vec<super::channels::ChannelFile>,
}

/// The file's top level, before each object is read on its own (so an error can name it).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSpec {
    #[serde(default)]
    ssh_keys: Vec<Value>,
    #[serde(default)]
    servers: Vec<Value>,
    #[serde(default)]
    users: Vec<Value>,
    #[serde(default)]
    alert_channels: Vec<Value>,
}

/// Reads `path` (`-`: standard input).
pub fn load(path: &Path) -> Result<Spec, CliError> {
    let text = if path == Path::new("-") {
        std::io::read_to_string(std::io::stdin())?
    } else {
        std::fs::read_to_string(path)
            .map_err(|e| CliError::Usage(format!("cannot read {}: {e}", path.display())))?
    };
    parse(&text)
}

/// The parser's budget sized to the file: every node and event takes at least a byte of the
/// text, so a fleet of any size fits, while what aliases expand to (a YAML bomb) stays within
/// the file's own size.
fn options_for(text: &str) -> serde_saphyr::Options {
    let mut budget = serde_saphyr::Budget::default();
    budget.max_nodes = budget.max_nodes.max(text.len());
    budget.max_events = budget.max_events.max(text.len().saturating_mul(2));
    budget.max_total_scalar_bytes = budget.max_total_scalar_bytes.max(text.len());
    let mut options = serde_saphyr::Options::default();
    options.budget = Some(budget);
    options
}

pub fn parse(text: &str) -> Result<Spec, CliError> {
    let raw: RawSpec = if text.trim().is_empty() {
        RawSpec {
            ssh_keys: Vec::new(),
            servers: Vec::new(),
            users: Vec::new(),
            alert_channels: Vec::new(),
        }
    } else {
        serde_saphyr::from_str_with_options(text, options_for(text))
            .map_err(|e| CliError::Usage(format!("{e}")))?
    };
    Ok(Spec {
        ssh_keys: objects("ssh_keys", "name", raw.ssh_keys)?,
        servers: objects("servers", "name", raw.servers)?,
        users: objects("users", "login", raw.users)?,
        alert_channels: objects("alert_channels", "name", raw.alert_channels)?,
    })
}

/// Each object of a list, with errors as `servers[db1].port: invalid type ...`.
fn objects<T: DeserializeOwned>(
    list: &str,
    key: &str,
    values: Vec<Value>,
) -> Result<Vec<T>, CliError> {
    values
        .into_iter()
        .enumerate()
        .map(|(i, v)| {
            let name = v
                .get(key)
                .and_then(Value::as_str)
                .map_or_else(|| format!("#{}", i + 1), str::to_owned);
            serde_path_to_error::deserialize(v).map_err(|e| {
                let field = e.path().to_string();
                let at = if field == "." {
                    format!("{list}[{name}]")
                } else {
                    format!("{list}[{name}].{field}")
                };
                CliError::Usage(format!("{at}: {}", e.inner()))
            })
        })
        .collect()
}

/// The text of `spec` in `format`.
pub fn render(spec: &Spec, format: crate::cli::ExportFormat) -> Result<String, CliError> {
    match format {
        crate::cli::ExportFormat::Json => {
            serde_json::to_string_pretty(spec).map_err(|e| CliError::Failed(e.to_string()))
        }
        crate::cli::ExportFormat::Yaml => {
            serde_saphyr::to_string(spec).map_err(|e| CliError::Failed(e.to_string()))
        }
    }
}

/// The environment variable `export` names for a secret: `PGMON_<KIND>_<NAME>_<FIELD>`, in
/// capitals, anything but letters and digits as `_`.
pub fn env_name(kind: &str, name: &str, field: &str) -> String {
    let name: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_uppercase()
            } else {
                '_'
            }
        })
        .collect();
    format!("PGMON_{kind}_{name}_{field}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    /// Defaults fill what is left out; errors name the object and the field.
    fn parsing() {
        let spec = parse(
            "servers:\n  - name: db1\n    host: 10.0.0.5\n    user: monitor\n    password_env: DB1\nusers:\n  - login: ann\n",
        )
        .unwrap();
        let s = &spec.servers[0];
        assert_eq!(
            (s.port, s.ssh_port, s.auth_type()),
            (5432, 22, SshAuthType::Password)
        );
        assert_eq!(s.password().env.as_deref(), Some("DB1"));
        assert_eq!(spec.users[0].role, Role::Viewer);
        assert!(spec.users[0].is_active);

        let e = parse("servers:\n  - name: db1\n    host: h\n    user: u\n    port: high\n")
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("servers[db1].port: invalid type"), "{e}");
        let e = parse("servers:\n  - name: db1\n    hots: h\n    user: u\n")
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("servers[db1]") && e.contains("hots"), "{e}");
        let e = parse("users:\n  - role: admin\n").unwrap_err().to_string();
        assert!(e.starts_with("users[#1]") && e.contains("login"), "{e}");
        assert!(
            parse("servrs: []\n")
                .unwrap_err()
                .to_string()
                .contains("servrs")
        );
        assert_eq!(
            env_name("SERVER", "db-1.x", "PASSWORD"),
            "PGMON_SERVER_DB_1_X_PASSWORD"
        );
    }

    #[test]
    /// A fleet of 50,000 users parses (the budget follows the file); a billion laughs in a
    /// few hundred bytes is still refused.
    fn budget_follows_the_file() {
        let mut text = String::from("users:\n");
        for i in 0..50_000 {
            text.push_str(&format!(
                "  - login: user{i}\n    role: viewer\n    is_active: true\n"
            ));
        }
        assert_eq!(parse(&text).unwrap().users.len(), 50_000);
        let mut bomb = String::from("a: &a [x, x, x, x, x, x, x, x, x, x]\n");
        for (i, prev) in ["b", "c", "d", "e", "f", "g", "h", "i"]
            .iter()
            .zip("abcdefgh".chars())
        {
            let refs = vec![format!("*{prev}"); 10].join(", ");
            bomb.push_str(&format!("{i}: &{i} [{refs}]\n"));
        }
        bomb.push_str("users: []\n");
        assert!(parse(&bomb).is_err(), "a YAML bomb was expanded");
    }

    #[test]
    /// A secret from the environment or a file; a missing one names the field.
    fn secrets() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("pw");
        std::fs::write(&file, "from-file\nignored\n").unwrap();
        let from_file = SecretSource {
            file: Some(file),
            ..SecretSource::default()
        };
        assert_eq!(
            from_file
                .read("servers[a].password")
                .unwrap()
                .unwrap()
                .as_str(),
            "from-file"
        );
        let missing = SecretSource {
            env: Some("PGMON_TEST_SURELY_UNSET".into()),
            ..SecretSource::default()
        };
        let e = missing.read("servers[a].password").unwrap_err().to_string();
        assert_eq!(
            e,
            "servers[a].password_env: environment variable PGMON_TEST_SURELY_UNSET is not set"
        );
    }
}
