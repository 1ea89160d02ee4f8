//! Where notifications go: `alert_channels.json` in the config dir (written as the other files
//! are: under a lock, atomically, 0600, with backups), each channel's secrets (webhook key,
//! header values, SMTP password) Fernet-encrypted with the config dir's key and never shown.

mod alertmanager;
mod email;
mod webhook;

use std::collections::BTreeMap;
use std::time::Duration;

use pgmon_common::api::alerts::{
    AlertSeverity, Channel, ChannelKind, ChannelSpec, NotificationKind, SmtpTls,
};
use pgmon_common::crypto::Cipher;
use pgmon_common::secret::StoredSecret;
use serde::{Deserialize, Serialize};

use super::payload::Payload;

pub const CHANNELS_FILE: &str = "alert_channels.json";
/// A delivery (or a test) gives up after this long.
pub const SEND_DEADLINE: Duration = Duration::from_secs(15);
/// Reminders of what still fires, unless the channel says otherwise; Alertmanager is told
/// more often, as it ends an alert it has not heard of again by its `endsAt`.
const REPEAT_SECONDS: u64 = 14_400;
const ALERTMANAGER_REPEAT_SECONDS: u64 = 300;
pub const REPEAT_LIMITS: (u64, u64) = (60, 604_800);
const MAX_HEADERS: usize = 20;
const MAX_RECIPIENTS: usize = 50;
const MAX_URL: usize = 2_048;

/// A channel as `alert_channels.json` keeps it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StoredChannel {
    pub name: String,
    pub kind: ChannelKind,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub headers: BTreeMap<String, StoredSecret>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret: Option<StoredSecret>,
    #[serde(default)]
    pub text: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub smtp_host: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub smtp_port: Option<u16>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tls: Option<SmtpTls>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password: Option<StoredSecret>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub to: Vec<String>,
    pub min_severity: AlertSeverity,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub servers: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub repeat_seconds: Option<u64>,
}

/// A field of a channel that is wrong, and why: a 422 naming it.
#[derive(Debug)]
pub struct Invalid {
    pub field: &'static str,
    pub why: String,
}

fn invalid(field: &'static str, why: impl Into<String>) -> Invalid {
    Invalid {
        field,
        why: why.into(),
    }
}

/// `*` matches any run of characters; everything else itself.
pub fn glob(pattern: &str, name: &str) -> bool {
    match pattern.split_once('*') {
        None => pattern == name,
        Some((head, rest)) => {
            let Some(tail) = name.strip_prefix(head) else {
                return false;
            };
            (0..=tail.len())
                .filter(|i| tail.is_char_boundary(*i))
                .any(|i| glob(rest, &tail[i..]))
        }
    }
}

fn check_url(url: Option<&str>) -> Result<String, Invalid> {
    let url = url.ok_or_else(|| invalid("url", "required for this kind"))?;
    let parsed = reqwest::Url::parse(url).map_err(|e| invalid("url", format!("not a URL: {e}")))?;
    if !matches!(parsed.scheme(), "http" | "https") || parsed.host_str().is_none() {
        return Err(invalid(
            "url",
            "must be an http:// or https:// URL with a host",
        ));
    }
    if url.len() > MAX_URL || !parsed.username().is_empty() || parsed.password().is_some() {
        return Err(invalid(
            "url",
            format!("at most {MAX_URL} characters, no user or password (use headers)"),
        ));
    }
    Ok(url.to_owned())
}

fn header_name_ok(name: &str) -> bool {
    reqwest::header::HeaderName::from_bytes(name.as_bytes()).is_ok()
        && !matches!(
            name.to_ascii_lowercase().as_str(),
            "content-type" | "content-length" | "host" | "idempotency-key" | "x-pgmon-signature"
        )
}

impl StoredChannel {
    /// Builds the stored form of `spec`, encrypting its secrets; a secret `spec` leaves out
    /// is taken from `old` (a `PUT` that does not repeat the password keeps it).
    pub fn from_spec(
        spec: ChannelSpec,
        old: Option<&StoredChannel>,
        cipher: &Cipher,
    ) -> Result<StoredChannel, Invalid> {
        if !pgmon_common::names::is_valid_name(&spec.name) {
            return Err(invalid("name", pgmon_common::names::NAME_RULE));
        }
        let kind = spec
            .kind
            .ok_or_else(|| invalid("kind", "required: webhook, email or alertmanager"))?;
        let old = old.filter(|o| o.kind == kind);
        if let Some(r) = spec.repeat_seconds
            && !(REPEAT_LIMITS.0..=REPEAT_LIMITS.1).contains(&r)
        {
            return Err(invalid(
                "repeat_seconds",
                format!("must be from {} to {}", REPEAT_LIMITS.0, REPEAT_LIMITS.1),
            ));
        }
        for p in spec.servers.iter().flatten() {
            if p.is_empty() || p.len() > 64 || p.chars().any(char::is_control) {
                return Err(invalid(
                    "servers",
                    "names or patterns of 1 to 64 characters",
                ));
            }
        }
        let mut out = StoredChannel {
            name: spec.name,
            kind,
            url: None,
            headers: BTreeMap::new(),
            secret: None,
            text: false,
            smtp_host: None,
            smtp_port: None,
            tls: None,
            username: None,
            password: None,
            from: None,
            to: Vec::new(),
            min_severity: spec.min_severity.unwrap_or(AlertSeverity::Warning),
            servers: spec.servers,
            repeat_seconds: spec.repeat_seconds,
        };
        // Each field belongs to some kinds; one given for another kind is refused by name.
        let (webhook, email, am) = (
            ChannelKind::Webhook,
            ChannelKind::Email,
            ChannelKind::Alertmanager,
        );
        let fields: [(&'static str, bool, &[ChannelKind]); 11] = [
            ("url", spec.url.is_some(), &[webhook, am]),
            ("headers", spec.headers.is_some(), &[webhook]),
            ("secret", spec.secret.is_some(), &[webhook]),
            ("text", spec.text.is_some(), &[webhook]),
            ("smtp_host", spec.smtp_host.is_some(), &[email]),
            ("smtp_port", spec.smtp_port.is_some(), &[email]),
            ("tls", spec.tls.is_some(), &[email]),
            ("username", spec.username.is_some(), &[email]),
            ("password", spec.password.is_some(), &[email]),
            ("from", spec.from.is_some(), &[email]),
            ("to", spec.to.is_some(), &[email]),
        ];
        if let Some((field, ..)) = fields
            .iter()
            .find(|(_, given, kinds)| *given && !kinds.contains(&kind))
        {
            return Err(invalid(
                field,
                format!("not a field of a {} channel", kind.as_str()),
            ));
        }
        if kind != email {
            out.url = Some(check_url(spec.url.as_deref())?);
        }
        if kind == ChannelKind::Webhook {
            let headers = spec.headers.unwrap_or_default();
            if headers.len() > MAX_HEADERS {
                return Err(invalid("headers", format!("at most {MAX_HEADERS}")));
            }
            for (name, value) in headers {
                if !header_name_ok(&name) {
                    return Err(invalid(
                        "headers",
                        format!("{name:?} is not a header name pgmon lets a channel set"),
                    ));
                }
                // Left empty in a PUT: the stored value stays.
                let stored = match (value.is_empty(), old.and_then(|o| o.headers.get(&name))) {
                    (true, Some(kept)) => kept.clone(),
                    _ => {
                        if reqwest::header::HeaderValue::from_str(&value).is_err() {
                            return Err(invalid(
                                "headers",
                                format!("the value of {name:?} is not a header value"),
                            ));
                        }
                        StoredSecret::seal(&value, cipher)
                    }
                };
                out.headers.insert(name, stored);
            }
            out.secret = match spec.secret {
                Some(s) => Some(StoredSecret::seal(&s, cipher)).filter(StoredSecret::is_set),
                None => old.and_then(|o| o.secret.clone()),
            };
            out.text = spec.text.unwrap_or(false);
        }
        if kind == ChannelKind::Email {
            let host = spec
                .smtp_host
                .ok_or_else(|| invalid("smtp_host", "required"))?;
            if !pgmon_common::names::is_valid_host(&host) {
                return Err(invalid("smtp_host", "not a host name or address"));
            }
            let tls = spec.tls.unwrap_or_default();
            out.smtp_port = Some(match spec.smtp_port {
                Some(0) => return Err(invalid("smtp_port", "must be from 1 to 65535")),
                Some(p) => p,
                None if tls == SmtpTls::Tls => 465,
                None => 587,
            });
            out.smtp_host = Some(host);
            out.tls = Some(tls);
            if let Some(u) = spec.username.filter(|u| !u.is_empty()) {
                if u.len() > 256 || u.chars().any(char::is_control) {
                    return Err(invalid(
                        "username",
                        "at most 256 characters, none a control",
                    ));
                }
                out.username = Some(u);
            }
            out.password = match spec.password {
                Some(p) => Some(StoredSecret::seal(&p, cipher)).filter(StoredSecret::is_set),
                None => old.and_then(|o| o.password.clone()),
            };
            let email = |field: &'static str, a: &str| {
                if pgmon_common::names::is_valid_email(a) {
                    Ok(())
                } else {
                    Err(invalid(field, format!("{a:?} is not an e-mail address")))
                }
            };
            let from = spec.from.ok_or_else(|| invalid("from", "required"))?;
            email("from", &from)?;
            out.from = Some(from);
            let to = spec.to.unwrap_or_default();
            if to.is_empty() || to.len() > MAX_RECIPIENTS {
                return Err(invalid("to", format!("1 to {MAX_RECIPIENTS} addresses")));
            }
            for a in &to {
                email("to", a)?;
            }
            out.to = to;
        }
        Ok(out)
    }

    /// As the API shows it: which secrets are set, never their values.
    pub fn view(&self) -> Channel {
        Channel {
            name: self.name.clone(),
            kind: self.kind,
            url: self.url.clone(),
            header_names: self.headers.keys().cloned().collect(),
            secret_set: pgmon_common::secret::is_set(&self.secret),
            text: self.text,
            smtp_host: self.smtp_host.clone(),
            smtp_port: self.smtp_port,
            tls: self.tls,
            username: self.username.clone(),
            password_set: pgmon_common::secret::is_set(&self.password),
            from: self.from.clone(),
            to: self.to.clone(),
            min_severity: self.min_severity,
            servers: self.servers.clone(),
            repeat_seconds: self.repeat_seconds(),
        }
    }

    pub fn repeat_seconds(&self) -> u64 {
        self.repeat_seconds.unwrap_or(match self.kind {
            ChannelKind::Alertmanager => ALERTMANAGER_REPEAT_SECONDS,
            _ => REPEAT_SECONDS,
        })
    }

    /// Whether alerts of `server` at `severity` go to this channel.
    pub fn routes(&self, server: &str, severity: AlertSeverity) -> bool {
        severity >= self.min_severity
            && self
                .servers
                .as_ref()
                .is_none_or(|p| p.iter().any(|p| glob(p, server)))
    }

    /// Delivers `payload` (its key is the idempotency key). The error is one line, safe to keep
    /// and show: never a secret.
    pub async fn send(&self, payload: &Payload, cipher: &Cipher) -> Result<(), String> {
        let sent = async {
            match self.kind {
                ChannelKind::Webhook => webhook::send(self, payload, cipher).await,
                ChannelKind::Email => email::send(self, payload, cipher).await,
                ChannelKind::Alertmanager => {
                    alertmanager::send(self, payload, self.repeat_seconds()).await
                }
            }
        };
        match tokio::time::timeout(SEND_DEADLINE, sent).await {
            Ok(r) => r,
            Err(_) => Err(format!("no answer in {} s", SEND_DEADLINE.as_secs())),
        }
    }

    /// For a new or changed e-mail channel: whether its SMTP server answers (a host that never
    /// does is refused, naming `smtp_host`).
    pub async fn probe(&self, cipher: &Cipher) -> Result<(), Invalid> {
        if self.kind != ChannelKind::Email {
            return Ok(());
        }
        email::probe(self, cipher)
            .await
            .map_err(|why| invalid("smtp_host", why))
    }
}

/// The subject line (and Slack-style text's first line) of a notification.
pub fn headline(p: &Payload) -> String {
    let what = match p.kind {
        NotificationKind::Firing => "FIRING",
        NotificationKind::Repeat => "STILL FIRING",
        NotificationKind::Resolved => "RESOLVED",
        NotificationKind::Test => "TEST",
    };
    let n = p.alerts.len();
    format!(
        "[pgmon {what}] {}: {n} alert{}",
        p.server,
        if n == 1 { "" } else { "s" }
    )
}

/// The notification as plain text: a headline, then a line per alert.
pub fn plain_text(p: &Payload) -> String {
    let mut out = headline(p);
    for a in &p.alerts {
        out.push_str(&format!(
            "\n- [{}] {} {}: {}",
            a.severity.as_str(),
            a.state.as_str(),
            a.rule,
            a.summary
        ));
    }
    // Values from monitored servers (database names in a summary) are hostile: no control
    // characters reach a chat or a mail body.
    out.chars()
        .map(|c| if c.is_control() && c != '\n' { '?' } else { c })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs() {
        assert!(glob("prod-*", "prod-eu-1"));
        assert!(glob("*", "anything"));
        assert!(glob("a*c*e", "abcde"));
        assert!(!glob("prod-*", "staging-1"));
        assert!(!glob("db", "db2"));
    }

    fn cipher() -> Cipher {
        Cipher::from_key_text(&Cipher::generate_key()).unwrap()
    }

    fn spec(kind: ChannelKind) -> ChannelSpec {
        ChannelSpec {
            name: "ops".into(),
            kind: Some(kind),
            ..ChannelSpec::default()
        }
    }

    #[test]
    fn bad_fields_are_named() {
        let c = cipher();
        let field = |s: ChannelSpec| StoredChannel::from_spec(s, None, &c).unwrap_err().field;
        let mut w = spec(ChannelKind::Webhook);
        w.url = Some("ftp://example.test/x".into());
        assert_eq!(field(w.clone()), "url");
        w.url = Some("file:///etc/passwd".into());
        assert_eq!(field(w.clone()), "url");
        w.url = Some("https://example.test/hook".into());
        w.smtp_host = Some("mail".into());
        assert_eq!(field(w.clone()), "smtp_host");
        w.smtp_host = None;
        w.headers = Some(BTreeMap::from([("Host".into(), "x".into())]));
        assert_eq!(field(w.clone()), "headers");
        w.headers = None;
        w.repeat_seconds = Some(5);
        assert_eq!(field(w), "repeat_seconds");
        let mut e = spec(ChannelKind::Email);
        e.smtp_host = Some("mail.example.test".into());
        e.from = Some("pgmon@example.test".into());
        assert_eq!(field(e.clone()), "to");
        e.to = Some(vec!["not an address".into()]);
        assert_eq!(field(e), "to");
        assert_eq!(field(ChannelSpec::default()), "name");
    }

    #[test]
    fn secrets_are_sealed_kept_and_never_shown() {
        let c = cipher();
        let mut w = spec(ChannelKind::Webhook);
        w.url = Some("https://example.test/hook".into());
        w.secret = Some("s3cret".into());
        w.headers = Some(BTreeMap::from([(
            "Authorization".into(),
            "Bearer t0ken".into(),
        )]));
        let stored = StoredChannel::from_spec(w.clone(), None, &c).unwrap();
        let json = serde_json::to_string(&stored).unwrap();
        assert!(
            !json.contains("s3cret") && !json.contains("t0ken"),
            "{json}"
        );
        let shown = serde_json::to_string(&stored.view()).unwrap();
        assert!(!shown.contains("s3cret") && !shown.contains("t0ken") && !shown.contains("gAAAA"));
        // A PUT without the secret and with the header left empty keeps both.
        w.secret = None;
        w.headers = Some(BTreeMap::from([("Authorization".into(), String::new())]));
        let again = StoredChannel::from_spec(w, Some(&stored), &c).unwrap();
        assert_eq!(again.secret, stored.secret);
        assert_eq!(again.headers, stored.headers);
    }
}
