//! The library's error type. Each variant names what failed; [`Error::code`]
//! is the one place errors become API error codes (and, in the server, statuses).

use std::path::PathBuf;

/// Result with [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// What went wrong.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A file or directory could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The path involved.
        path: PathBuf,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
    /// Another process holds the index writer lock.
    #[error("index {0} is locked by another process (is another `coe serve` or `coe index` running?)")]
    Locked(PathBuf),
    /// The index could not be opened or written.
    #[error("index error: {0}")]
    Index(#[from] tantivy::TantivyError),
    /// A query did not parse.
    #[error("{0}")]
    BadQuery(String),
    /// A request parameter is invalid.
    #[error("{0}")]
    BadParam(String),
    /// No such document.
    #[error("no CoE with id `{0}`")]
    NotFound(String),
    /// Configuration is invalid.
    #[error("{0}")]
    Config(String),
    /// Anything else.
    #[error("{0}")]
    Other(String),
}

/// Stable error codes of the API.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorCode {
    /// The client sent something invalid.
    BadRequest,
    /// Not found.
    NotFound,
    /// Busy (locked, overloaded).
    Unavailable,
    /// A bug or an I/O failure on our side.
    Internal,
}

impl ErrorCode {
    /// The code string used in JSON error bodies.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::BadRequest => "bad_request",
            ErrorCode::NotFound => "not_found",
            ErrorCode::Unavailable => "unavailable",
            ErrorCode::Internal => "internal",
        }
    }
}

impl Error {
    /// Wrap an I/O error with its path.
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io { path: path.into(), source }
    }

    /// The API error code of this error.
    pub fn code(&self) -> ErrorCode {
        match self {
            Error::BadQuery(_) | Error::BadParam(_) => ErrorCode::BadRequest,
            Error::NotFound(_) => ErrorCode::NotFound,
            Error::Locked(_) => ErrorCode::Unavailable,
            Error::Io { .. } | Error::Index(_) | Error::Config(_) | Error::Other(_) => ErrorCode::Internal,
        }
    }
}
