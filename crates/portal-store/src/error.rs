//! Database errors become domain errors here, and only here.

use portal_domain::ports::{CommitError, StoreError};
use sea_orm::{DbErr, SqlErr};

/// Wraps a database error with what the store was doing.
pub(crate) fn db(doing: &'static str) -> impl FnOnce(DbErr) -> StoreError {
    move |e| StoreError::with_source(format!("database error while trying to {doing}"), e)
}

/// A failed write inside a commit: a unique violation on the user email key is `EmailTaken`;
/// any other unique violation means another writer got there first, which is a `Conflict` (the
/// use case decides again on fresh state); anything else is a store failure.
pub(crate) fn commit(doing: &'static str) -> impl FnOnce(DbErr) -> CommitError {
    move |e| match e.sql_err() {
        // Only the users' email index: invites and contacts have an `email_key` column too.
        // SQLite names the column (`users.email_key`), PostgreSQL the index (`users_email_key`).
        Some(SqlErr::UniqueConstraintViolation(message))
            if message.contains("users.email_key") || message.contains("users_email_key") =>
        {
            CommitError::EmailTaken
        }
        Some(SqlErr::UniqueConstraintViolation(_)) => CommitError::Conflict,
        _ => CommitError::Store(db(doing)(e)),
    }
}
