//! Alert channels in `apply` files (`alert_channels:`): each channel as the file says it,
//! compared with `GET /alerts/channels` field by field. Secrets (a webhook's `secret`, an SMTP
//! `password`) come from `_env` or `_file` like the others; the daemon never shows them, so a
//! stored one is sent again only with `--update-secrets`. Extra webhook headers are not in
//! files (their values are secrets with no `_env` form): set them through the API. Channels
//! live in the daemon: a file with channels needs `--url` or `--socket`.

use std::path::PathBuf;

use pgmon_common::api::alerts::{AlertSeverity, Channel, ChannelKind, ChannelSpec, SmtpTls};
use serde::{Deserialize, Serialize};

use super::plan::{Action, Op, Options, Outcome, action, check_unique, read};
use super::spec::{SecretSource, env_name};
use crate::error::CliError;

fn is_false(b: &bool) -> bool {
    !*b
}

/// A channel as the file describes it.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChannelFile {
    pub name: String,
    pub kind: ChannelKind,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    #[serde(default, skip_serializing_if = "is_false")]
    pub text: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret_env: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret_file: Option<PathBuf>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub smtp_host: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub smtp_port: Option<u16>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tls: Option<SmtpTls>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password_env: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password_file: Option<PathBuf>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub to: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_severity: Option<AlertSeverity>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub servers: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub repeat_seconds: Option<u64>,
}

/// What apply does to a channel.
pub enum ChannelOp {
    Create(ChannelSpec),
    Update(ChannelSpec),
    Delete(String),
}

impl ChannelFile {
    fn secret(&self) -> SecretSource {
        SecretSource {
            inline: self.secret.clone(),
            env: self.secret_env.clone(),
            file: self.secret_file.clone(),
        }
    }

    fn password(&self) -> SecretSource {
        SecretSource {
            inline: self.password.clone(),
            env: self.password_env.clone(),
            file: self.password_file.clone(),
        }
    }

    /// The API's body, without secrets.
    fn body(&self) -> ChannelSpec {
        let webhook = self.kind == ChannelKind::Webhook;
        ChannelSpec {
            name: self.name.clone(),
            kind: Some(self.kind),
            url: self.url.clone(),
            text: webhook.then_some(self.text),
            smtp_host: self.smtp_host.clone(),
            smtp_port: self.smtp_port,
            tls: self.tls,
            username: self.username.clone(),
            from: self.from.clone(),
            to: (self.kind == ChannelKind::Email).then(|| self.to.clone()),
            min_severity: self.min_severity,
            servers: self.servers.clone(),
            repeat_seconds: self.repeat_seconds,
            ..ChannelSpec::default()
        }
    }

    /// The fields whose values differ from `now`'s (what the daemon shows of it).
    fn differs(&self, now: &Channel) -> Vec<String> {
        let mut fields = Vec::new();
        let mut check = |name: &str, same: bool| {
            if !same {
                fields.push(name.to_owned());
            }
        };
        check("kind", now.kind == self.kind);
        check("url", now.url == self.url);
        check("text", now.text == self.text);
        check("smtp_host", now.smtp_host == self.smtp_host);
        check(
            "smtp_port",
            self.smtp_port.is_none_or(|p| now.smtp_port == Some(p)),
        );
        check("tls", self.tls.is_none_or(|t| now.tls == Some(t)));
        check("username", now.username == self.username);
        check("from", now.from == self.from);
        check("to", now.to == self.to);
        check(
            "min_severity",
            now.min_severity == self.min_severity.unwrap_or(AlertSeverity::Warning),
        );
        check("servers", now.servers == self.servers);
        check(
            "repeat_seconds",
            self.repeat_seconds.is_none_or(|r| now.repeat_seconds == r),
        );
        fields
    }

    /// The file's form of a channel the daemon has: secrets as `_env` references.
    pub fn of(c: &Channel) -> ChannelFile {
        ChannelFile {
            name: c.name.clone(),
            kind: c.kind,
            url: c.url.clone(),
            text: c.text,
            secret: None,
            secret_env: c.secret_set.then(|| env_name("CHANNEL", &c.name, "SECRET")),
            secret_file: None,
            smtp_host: c.smtp_host.clone(),
            smtp_port: c.smtp_port,
            tls: c.tls,
            username: c.username.clone(),
            password: None,
            password_env: c
                .password_set
                .then(|| env_name("CHANNEL", &c.name, "PASSWORD")),
            password_file: None,
            from: c.from.clone(),
            to: c.to.clone(),
            min_severity: Some(c.min_severity),
            servers: c.servers.clone(),
            repeat_seconds: Some(c.repeat_seconds),
        }
    }
}

/// The channel actions that make `now` match `wanted`.
pub fn plan(wanted: &[ChannelFile], now: &[Channel], o: &Options) -> Result<Vec<Action>, CliError> {
    check_unique(wanted.iter().map(|c| c.name.as_str()), "alert_channels")?;
    let mut actions = Vec::new();
    for c in wanted {
        let at = |field: &str| format!("alert_channels[{}].{field}", c.name);
        let mut body = c.body();
        let stored = now.iter().find(|n| n.name == c.name);
        let mut fields = stored.map(|n| c.differs(n)).unwrap_or_default();
        let secrets = [
            ("secret", c.secret(), stored.is_some_and(|n| n.secret_set)),
            (
                "password",
                c.password(),
                stored.is_some_and(|n| n.password_set),
            ),
        ];
        for (field, source, set) in secrets {
            if source.is_given() && (o.update_secrets || !set) {
                let value = read(&source, &at(field), o)?;
                match field {
                    "secret" => body.secret = value,
                    _ => body.password = value,
                }
                fields.push(field.to_owned());
            }
        }
        let (outcome, op) = match stored {
            None => (Outcome::Created, Some(ChannelOp::Create(body))),
            Some(_) if fields.is_empty() => (Outcome::Unchanged, None),
            Some(_) => (Outcome::Updated, Some(ChannelOp::Update(body))),
        };
        let fields = if outcome == Outcome::Created {
            vec![]
        } else {
            fields
        };
        actions.push(action(
            "alert_channel",
            &c.name,
            outcome,
            fields,
            op.map(Op::Channel),
        ));
    }
    if o.prune {
        for n in now
            .iter()
            .filter(|n| !wanted.iter().any(|c| c.name == n.name))
        {
            let op = Op::Channel(ChannelOp::Delete(n.name.clone()));
            actions.push(action(
                "alert_channel",
                &n.name,
                Outcome::Deleted,
                vec![],
                Some(op),
            ));
        }
    }
    Ok(actions)
}
