//! Failures of a command and the exit code each one maps to (SPEC C: 0 ok, 1 error, 2 usage,
//! 3 not authenticated or forbidden, 4 not found, 5 daemon unreachable).

use pgmon_common::Error as CommonError;

#[derive(Debug, thiserror::Error)]
pub enum CliError {
    #[error("{0}")]
    Usage(String),
    #[error("{0}")]
    Denied(String),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Unreachable(String),
    #[error("{0}")]
    Failed(String),
}

impl CliError {
    pub fn exit_code(&self) -> i32 {
        match self {
            CliError::Failed(_) => 1,
            CliError::Usage(_) => 2,
            CliError::Denied(_) => 3,
            CliError::NotFound(_) => 4,
            CliError::Unreachable(_) => 5,
        }
    }
}

impl From<CommonError> for CliError {
    fn from(e: CommonError) -> CliError {
        match e {
            CommonError::NotFound(m) => CliError::NotFound(m),
            CommonError::Api {
                status: 401 | 403,
                detail,
            } => CliError::Denied(detail),
            CommonError::Api {
                status: 404,
                detail,
            } => CliError::NotFound(detail),
            e @ CommonError::Unreachable { .. } => CliError::Unreachable(e.to_string()),
            other => CliError::Failed(other.to_string()),
        }
    }
}

impl From<std::io::Error> for CliError {
    fn from(e: std::io::Error) -> CliError {
        CliError::Failed(e.to_string())
    }
}

impl From<serde_json::Error> for CliError {
    fn from(e: serde_json::Error) -> CliError {
        CliError::Failed(format!("unexpected answer from the daemon: {e}"))
    }
}
