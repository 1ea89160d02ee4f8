//! The one error type of the library. Variants carry enough context (file, action) that the
//! binaries can print them as one line and map them to an HTTP status or an exit code.

use std::io;
use std::path::PathBuf;

pub type Result<T, E = Error> = std::result::Result<T, E>;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{action} {}: {source}", path.display())]
    Io {
        path: PathBuf,
        action: &'static str,
        source: io::Error,
    },
    #[error("{}: malformed content: {source}", path.display())]
    Malformed {
        path: PathBuf,
        source: serde_json::Error,
    },
    #[error("{}: {reason}", path.display())]
    BadKeyFile { path: PathBuf, reason: String },
    /// A secret could not be decrypted: the key does not match the token, or the token is damaged.
    #[error("cannot decrypt {what}: wrong encryption key or damaged token")]
    Decrypt { what: String },
    #[error("password hashing failed: {0}")]
    Hash(#[from] bcrypt::BcryptError),
    /// The request is understood but refused (the Python backend answered these with 400).
    #[error("{0}")]
    Invalid(String),
    #[error("{0}")]
    NotFound(String),
    /// The daemon answered with an error status; `detail` is its `{"detail"}` text.
    #[error("{detail}")]
    Api { status: u16, detail: String },
    /// The daemon could not be reached (connection refused, timeout, bad address).
    #[error("cannot reach {target}: {reason}")]
    Unreachable { target: String, reason: String },
}

impl Error {
    pub fn io(action: &'static str, path: impl Into<PathBuf>) -> impl FnOnce(io::Error) -> Error {
        let path = path.into();
        move |source| Error::Io {
            path,
            action,
            source,
        }
    }

    pub fn invalid(msg: impl Into<String>) -> Error {
        Error::Invalid(msg.into())
    }

    pub fn not_found(msg: impl Into<String>) -> Error {
        Error::NotFound(msg.into())
    }
}
