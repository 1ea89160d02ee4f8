//! The audit trail (SPEC B6): one entry per change and per login attempt, as `GET /audit`
//! answers it and as `audit.log` holds it, a JSON object a line.

use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, ToSchema)]
pub struct AuditEntry {
    /// UTC, RFC 3339 with microseconds.
    #[schema(format = DateTime)]
    pub time: String,
    /// The token's user, `socket:uid=N` on the admin socket, the login tried for a login, or
    /// `anonymous` when the request carried no valid credentials.
    pub actor: String,
    /// The client's address, or `admin-socket`.
    pub source: String,
    /// What was done, e.g. `server.update`, `user.delete`, `login`.
    pub action: String,
    /// What it was done to (a server, a login, a key id), where the path names one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
    /// `success` (2xx), `denied` (401, 403, 429) or `failed`.
    #[schema(value_type = AuditOutcome)]
    pub outcome: String,
    /// The HTTP status answered.
    pub status: u16,
    /// More about the target, where an action has it (a backend's user, database and query
    /// start).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

/// What `GET /audit` narrows the trail to; every filter is optional.
#[derive(Clone, Debug, Default, Serialize, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuditQuery {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub actor: Option<String>,
    /// An action (`server.update`), or a family ending in a dot (`server.`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub action: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outcome: Option<AuditOutcome>,
    /// RFC 3339; entries at or after.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[param(format = DateTime)]
    pub since: Option<String>,
    /// RFC 3339; entries at or before.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[param(format = DateTime)]
    pub until: Option<String>,
    /// Entries per page (default 100).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[param(minimum = 1, maximum = 1000)]
    pub limit: Option<usize>,
    /// Entries to skip, newest first (default 0).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub offset: Option<usize>,
}

/// How a recorded request ended: `success` (2xx), `denied` (401, 403, 429) or `failed`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum AuditOutcome {
    Success,
    Denied,
    Failed,
}

impl AuditOutcome {
    pub fn as_str(self) -> &'static str {
        match self {
            AuditOutcome::Success => "success",
            AuditOutcome::Denied => "denied",
            AuditOutcome::Failed => "failed",
        }
    }
}

impl std::str::FromStr for AuditOutcome {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        let all = [
            AuditOutcome::Success,
            AuditOutcome::Denied,
            AuditOutcome::Failed,
        ];
        super::named(&all, AuditOutcome::as_str, s)
            .ok_or_else(|| format!("not an outcome: {s:?} (success, denied or failed)"))
    }
}

/// A page of `GET /audit`, newest first.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, ToSchema)]
pub struct AuditPage {
    pub entries: Vec<AuditEntry>,
    /// The `offset` of the next page, if there are more entries.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_offset: Option<usize>,
}
