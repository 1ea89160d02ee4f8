//! Alerts (SPEC B9): what fires now, what fired, where notifications go, what is silenced, and
//! the rules. Shapes of `/alerts`, `/alerts/history`, `/alerts/channels`, `/alerts/silences`,
//! `/alerts/rules` and `/alerts/test`.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// How much an alert matters; ordered, so a channel can take "at least critical".
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, ToSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum AlertSeverity {
    Warning,
    Critical,
}

impl AlertSeverity {
    pub fn as_str(self) -> &'static str {
        match self {
            AlertSeverity::Warning => "warning",
            AlertSeverity::Critical => "critical",
        }
    }
}

impl std::str::FromStr for AlertSeverity {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        let all = [AlertSeverity::Warning, AlertSeverity::Critical];
        super::named(&all, AlertSeverity::as_str, s)
            .ok_or_else(|| format!("not a severity: {s:?} (warning or critical)"))
    }
}

/// Where an alert is in its life.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum AlertState {
    /// Past its threshold, not yet for the rule's `for_seconds`.
    Pending,
    Firing,
    Resolved,
}

impl AlertState {
    pub fn as_str(self) -> &'static str {
        match self {
            AlertState::Pending => "pending",
            AlertState::Firing => "firing",
            AlertState::Resolved => "resolved",
        }
    }
}

/// An alert: one rule about one thing (a server, a database, a standby, a slot).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Alert {
    pub id: i64,
    pub rule: String,
    pub severity: AlertSeverity,
    pub state: AlertState,
    /// `server` always; `database`, `standby`, `slot` or `kind` where the rule is about one.
    pub labels: BTreeMap<String, String>,
    /// When the condition was first seen (pending from then).
    #[schema(format = DateTime)]
    pub since: String,
    /// When it began to fire.
    #[schema(format = DateTime)]
    pub fired_at: Option<String>,
    /// The figure that crossed the threshold, in the rule's unit, as last seen.
    pub value: f64,
    pub summary: String,
    /// A silence matches it: it shows, nothing is sent.
    pub silenced: bool,
}

/// `GET /alerts`: what is pending or firing now, most severe first.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct AlertList {
    pub alerts: Vec<Alert>,
}

/// What a notification told.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum NotificationKind {
    Firing,
    /// Still firing, told again after the channel's repeat interval.
    Repeat,
    Resolved,
    /// `POST /alerts/test`.
    Test,
}

impl NotificationKind {
    pub fn as_str(self) -> &'static str {
        match self {
            NotificationKind::Firing => "firing",
            NotificationKind::Repeat => "repeat",
            NotificationKind::Resolved => "resolved",
            NotificationKind::Test => "test",
        }
    }
}

/// One notification to one channel, and how its delivery went.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Notification {
    pub id: i64,
    pub channel: String,
    pub kind: NotificationKind,
    /// The idempotency key receivers see (`Idempotency-Key`, the body's `key`, the e-mail's
    /// Message-ID): the same for every attempt.
    pub key: String,
    #[schema(format = DateTime)]
    pub created_at: String,
    pub attempts: u32,
    #[schema(format = DateTime)]
    pub delivered_at: Option<String>,
    /// While undelivered: when the next attempt is due.
    #[schema(format = DateTime)]
    pub next_attempt_at: Option<String>,
    pub last_error: Option<String>,
}

/// An alert with its end, the evidence kept when it fired and every notification sent for it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct AlertRecord {
    #[serde(flatten)]
    pub alert: Alert,
    #[schema(format = DateTime)]
    pub resolved_at: Option<String>,
    /// What pgmon saw when it fired: the sessions and blocking tree (session, lock and
    /// transaction rules), the replication view (lag, slots), the last error (down); bounded.
    #[schema(value_type = Option<Object>)]
    pub evidence: Option<serde_json::Value>,
    pub notifications: Vec<Notification>,
}

/// `GET /alerts/history`: newest first.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct AlertHistory {
    pub alerts: Vec<AlertRecord>,
}

/// Filters of `GET /alerts/history`.
#[derive(Clone, Debug, Default, Deserialize, Serialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct HistoryQuery {
    pub server: Option<String>,
    pub rule: Option<String>,
    /// Alerts that began at or after this time (RFC 3339).
    pub since: Option<String>,
    /// ...and at or before this one.
    pub until: Option<String>,
    /// At most this many (1 to 1000; 100 unless given).
    pub limit: Option<u32>,
    /// This alert only.
    pub id: Option<i64>,
}

/// Where notifications go.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum ChannelKind {
    /// An HTTP POST of JSON, signed with HMAC-SHA256 when a secret is set.
    Webhook,
    /// E-mail over SMTP.
    Email,
    /// Alertmanager's v2 API.
    Alertmanager,
}

impl ChannelKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ChannelKind::Webhook => "webhook",
            ChannelKind::Email => "email",
            ChannelKind::Alertmanager => "alertmanager",
        }
    }
}

/// How an SMTP connection is secured.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum SmtpTls {
    /// Plain text (a relay on the same host or network).
    None,
    /// Plain, then STARTTLS before anything is sent (required, not opportunistic).
    #[default]
    Starttls,
    /// TLS from the first byte (port 465).
    Tls,
}

/// `POST /alerts/channels`, `PUT /alerts/channels/{name}`: a channel as given. Which fields
/// apply depends on `kind`; a secret (`secret`, `password`, a header's value) left out of a
/// `PUT` keeps the one stored.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChannelSpec {
    pub name: String,
    pub kind: Option<ChannelKind>,
    /// webhook, alertmanager: `http://` or `https://`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// webhook: extra request headers (values are kept encrypted and never shown).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub headers: Option<BTreeMap<String, String>>,
    /// webhook: key of the `X-Pgmon-Signature: sha256=<hex HMAC of the body>` header.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret: Option<String>,
    /// webhook: send `{"text": ...}` (Slack, Mattermost) instead of pgmon's JSON.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<bool>,
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
    pub from: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to: Option<Vec<String>>,
    /// Only alerts at least this severe (warning unless given).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_severity: Option<AlertSeverity>,
    /// Only alerts of these servers (names; `*` matches any run of characters); all if absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub servers: Option<Vec<String>>,
    /// Seconds between reminders of what still fires (60 to 604800; 14400 unless given).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub repeat_seconds: Option<u64>,
}

/// A channel as the API shows it: no secret, only whether one is set.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Channel {
    pub name: String,
    pub kind: ChannelKind,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// webhook: the names of the extra headers (their values are secrets).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub header_names: Vec<String>,
    pub secret_set: bool,
    pub text: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub smtp_host: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub smtp_port: Option<u16>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tls: Option<SmtpTls>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    pub password_set: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub to: Vec<String>,
    pub min_severity: AlertSeverity,
    pub servers: Option<Vec<String>>,
    pub repeat_seconds: u64,
}

/// `GET /alerts/channels`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ChannelList {
    pub channels: Vec<Channel>,
}

/// What a silence matches; a field left out matches anything.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Matchers {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub server: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rule: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub database: Option<String>,
}

/// `POST /alerts/silences`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SilenceNew {
    #[serde(default)]
    pub matchers: Matchers,
    /// When it ends (RFC 3339, in the future); required.
    #[schema(format = DateTime)]
    pub until: Option<String>,
    #[serde(default)]
    pub comment: String,
}

/// A silence (or maintenance window).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Silence {
    pub id: i64,
    pub matchers: Matchers,
    #[schema(format = DateTime)]
    pub created_at: String,
    #[schema(format = DateTime)]
    pub until: String,
    pub author: String,
    pub comment: String,
    /// Ended (its time passed, or it was expired early).
    pub expired: bool,
}

/// `GET /alerts/silences`: the active ones, and those ended in the last day.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct SilenceList {
    pub silences: Vec<Silence>,
}

/// `POST /alerts/test`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TestRequest {
    pub channel: String,
}

/// What a test notification did.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct TestOutcome {
    pub channel: String,
    pub delivered: bool,
    pub error: Option<String>,
}

/// A rule's exception for one server.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RuleOverride {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enabled: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub threshold: Option<f64>,
}

/// A rule as in force.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Rule {
    pub rule: String,
    pub description: String,
    pub enabled: bool,
    pub severity: AlertSeverity,
    /// Seconds past the threshold before it fires.
    pub for_seconds: u64,
    /// In `unit`; where the rule has none given, the matching setting of `/settings`.
    pub threshold: Option<f64>,
    pub unit: String,
    pub servers: BTreeMap<String, RuleOverride>,
}

/// `GET /alerts/rules`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct RuleList {
    pub rules: Vec<Rule>,
}

/// `PUT /alerts/rules/{rule}`: only the fields given change; `servers` replaces the exceptions.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RuleUpdate {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enabled: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub severity: Option<AlertSeverity>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub for_seconds: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub threshold: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub servers: Option<BTreeMap<String, RuleOverride>>,
}
