//! Infrastructure failures behind a port, and why a commit wrote nothing.

use super::*;

/// An infrastructure failure behind a port (database down, corrupt row, hasher failure).
/// Opaque to the core: it is logged with its cause chain and answered with a generic 500.
#[derive(Debug)]
pub struct StoreError {
    message: String,
    source: Option<Box<dyn StdError + Send + Sync>>,
}

impl StoreError {
    /// A failure described in words.
    pub fn new(message: impl Into<String>) -> Self {
        Self { message: message.into(), source: None }
    }

    /// A failure with its cause.
    pub fn with_source(message: impl Into<String>, source: impl StdError + Send + Sync + 'static) -> Self {
        Self { message: message.into(), source: Some(Box::new(source)) }
    }

    /// A stored row that does not parse back into a domain value.
    pub fn corrupt(table: &str, id: impl fmt::Display, reason: impl fmt::Display) -> Self {
        Self::new(format!("corrupt row in {table} (id {id}): {reason}"))
    }
}

impl fmt::Display for StoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl StdError for StoreError {
    fn source(&self) -> Option<&(dyn StdError + 'static)> {
        self.source.as_deref().map(|e| e as &(dyn StdError + 'static))
    }
}

/// Why a [`Store::commit`] wrote nothing.
#[derive(Debug, thiserror::Error)]
pub enum CommitError {
    /// An aggregate's stored version differs from the one the change was decided on.
    #[error("the data changed since it was read")]
    Conflict,
    /// A new user's email (compared case-insensitively) belongs to another user.
    #[error("a user with this email address exists already")]
    EmailTaken,
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}
