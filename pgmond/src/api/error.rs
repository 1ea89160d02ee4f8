//! The one place where errors become HTTP answers: `{"detail": ...}` with the status and text the
//! Python backend used.

use axum::Json;
use axum::http::header::{RETRY_AFTER, WWW_AUTHENTICATE};
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use pgmon_common::users::Role;
use serde_json::{Value, json};

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error(transparent)]
    Store(#[from] pgmon_common::Error),
    #[error("Not authenticated")]
    NotAuthenticated,
    #[error("Token expired")]
    TokenExpired,
    #[error("Invalid token")]
    InvalidToken,
    #[error("Token revoked")]
    TokenRevoked,
    #[error("Invalid credentials")]
    BadCredentials,
    #[error("Not enough permissions: {} role required", .0)]
    Forbidden(Role),
    /// A request that does not fit the schema: FastAPI's list of `{loc, msg, type}`.
    #[error("validation failed")]
    Validation(Vec<Value>),
    #[error("{0}")]
    BadRequest(String),
    #[error("Request body too large")]
    TooLarge,
    #[error("{0}")]
    NotFound(String),
    #[error("background task failed: {0}")]
    Task(#[from] tokio::task::JoinError),
    #[error(transparent)]
    KeyWork(#[from] crate::ssh::key_work::KeyWorkError),
    /// Too many failed logins from the source or for the login: retry after this long.
    #[error("Too many failed logins, try again later")]
    TooManyAttempts(std::time::Duration),
    #[error(transparent)]
    History(#[from] crate::history::HistoryError),
    /// Every password-check turn is taken.
    #[error("Too many logins at once, try again shortly")]
    Busy,
    /// The audit log cannot be written (or read): changes are refused until it can.
    #[error("The audit log (audit.log in the config dir) cannot be used: {0}")]
    AuditUnavailable(String),
    /// Something pgmond itself got wrong (logged; the client sees a plain 500).
    #[error("{0}")]
    Internal(String),
    /// A backend action the server or pgmon will not carry out.
    #[error(transparent)]
    Action(#[from] crate::monitor::backends::ActionError),
    /// The shared store refused or could not take a change.
    #[error(transparent)]
    Shared(#[from] crate::store::StoreError),
}

impl From<crate::auth::jwt::TokenError> for ApiError {
    fn from(e: crate::auth::jwt::TokenError) -> ApiError {
        match e {
            crate::auth::jwt::TokenError::Expired => ApiError::TokenExpired,
            crate::auth::jwt::TokenError::Invalid => ApiError::InvalidToken,
        }
    }
}

impl ApiError {
    /// One 422 item, as FastAPI writes them.
    pub fn validation(loc: Vec<Value>, kind: &str, msg: impl Into<String>) -> ApiError {
        ApiError::Validation(vec![json!({"type": kind, "loc": loc, "msg": msg.into()})])
    }

    /// An RFC 3339 time the client gave in `place` (`query`, `body`) as `field`, or the 422
    /// naming it.
    pub fn parse_time(
        place: &str,
        field: &str,
        value: &str,
    ) -> Result<chrono::DateTime<chrono::Utc>, ApiError> {
        chrono::DateTime::parse_from_rfc3339(value)
            .map(|t| t.with_timezone(&chrono::Utc))
            .map_err(|e| {
                ApiError::validation(
                    vec![place.into(), field.into()],
                    "datetime_parsing",
                    format!("Input should be an RFC 3339 date and time: {e}"),
                )
            })
    }

    fn status(&self) -> StatusCode {
        use pgmon_common::Error as E;
        match self {
            ApiError::Store(E::Invalid(_)) | ApiError::BadRequest(_) => StatusCode::BAD_REQUEST,
            ApiError::Store(E::NotFound(_)) | ApiError::NotFound(_) => StatusCode::NOT_FOUND,
            // The sessions' changes could not reach the shared store.
            ApiError::Store(E::Unreachable { .. }) => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Store(_)
            | ApiError::Task(_)
            | ApiError::History(_)
            | ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
            ApiError::NotAuthenticated
            | ApiError::TokenExpired
            | ApiError::InvalidToken
            | ApiError::TokenRevoked
            | ApiError::BadCredentials => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden(_) => StatusCode::FORBIDDEN,
            ApiError::Validation(_) => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::KeyWork(_) | ApiError::Busy | ApiError::AuditUnavailable(_) => {
                StatusCode::SERVICE_UNAVAILABLE
            }
            ApiError::TooManyAttempts(_) => StatusCode::TOO_MANY_REQUESTS,
            ApiError::Shared(crate::store::StoreError::Conflict(_)) => StatusCode::CONFLICT,
            ApiError::Shared(crate::store::StoreError::Query(_)) => {
                StatusCode::INTERNAL_SERVER_ERROR
            }
            ApiError::Shared(_) => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Action(a) => {
                use crate::monitor::backends::ActionError as A;
                match a {
                    A::NoSuchBackend(_) => StatusCode::NOT_FOUND,
                    // A server down or slow is its state, not pgmond failing (no 5xx: one bad
                    // server is a status); the detail is its status text.
                    A::NotAClient { .. } | A::Ours(_) | A::Monitor(_) => StatusCode::CONFLICT,
                    A::NotAllowed(_) => StatusCode::FORBIDDEN,
                }
            }
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status();
        let detail = match &self {
            ApiError::Validation(items) => Value::Array(items.clone()),
            _ if status == StatusCode::INTERNAL_SERVER_ERROR => {
                // The cause goes to the log; the client gets no internals (paths, errors).
                tracing::error!(error = %self, "request failed");
                Value::String("Internal server error".into())
            }
            ApiError::Action(crate::monitor::backends::ActionError::Monitor(e)) => {
                Value::String(e.status())
            }
            other => Value::String(other.to_string()),
        };
        let mut response = (status, Json(json!({ "detail": detail }))).into_response();
        match self {
            ApiError::NotAuthenticated => {
                response
                    .headers_mut()
                    .insert(WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
            }
            ApiError::TooManyAttempts(wait) => {
                // Whole seconds, rounded up, so a client that waits that long is let in.
                let secs = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
                response
                    .headers_mut()
                    .insert(RETRY_AFTER, HeaderValue::from(secs));
            }
            ApiError::Busy | ApiError::Shared(_) => {
                response
                    .headers_mut()
                    .insert(RETRY_AFTER, HeaderValue::from_static("1"));
            }
            _ => {}
        }
        response
    }
}
