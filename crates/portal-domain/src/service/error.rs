//! Why a use case failed: [`ServiceError`] for what acts on accounts and users, and
//! [`AuthError`] for the doors that check a secret (sign-in, sign-up, sessions, operator keys),
//! which alone can answer "wrong credentials" or "weak password".

use crate::error::DomainError;
use crate::limits::RetryAfter;
use crate::ports::{CommitError, HashError, StoreError};
use crate::values::PasswordError;

/// Why a use case on an account or a user failed.
#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    /// A rule refused it.
    #[error(transparent)]
    Domain(#[from] DomainError),
    /// The resource changed since the version the caller stated (`If-Match`).
    #[error("the resource changed since you read it")]
    PreconditionFailed {
        /// Its current version.
        current: u64,
    },
    /// Other writers kept winning the race; try again.
    #[error("the data kept changing; try again")]
    Conflict,
    /// Too many attempts in a short time; try again after the wait it names.
    #[error("too many attempts; try again in {} seconds", .0.seconds())]
    RateLimited(RetryAfter),
    /// A mailed link (or its code) is unknown, used, expired, or no longer matches its user.
    #[error("the link is not valid (it may have expired or been used); ask for a new one")]
    InvalidToken,
    /// A part this core was built without (a second factor) was asked for: deny by default.
    #[error("{0} is not available on this server")]
    Unavailable(&'static str),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The password hasher failed.
    #[error(transparent)]
    Hasher(#[from] HashError),
    /// The core met a state it never makes (an event that does not fold, a change missing
    /// after its commit): a bug, not bad input.
    #[error("internal inconsistency: {0}")]
    Internal(&'static str),
}

impl From<CommitError> for ServiceError {
    fn from(e: CommitError) -> Self {
        match e {
            CommitError::Conflict => Self::Conflict,
            CommitError::EmailTaken => Self::Domain(DomainError::EmailTaken),
            CommitError::Store(e) => Self::Store(e),
        }
    }
}

/// Shorthand for a use case's result.
pub type ServiceResult<T> = Result<T, ServiceError>;

/// Why a door that checks a secret refused.
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    /// The email or password (or token, or key) is wrong; never says which.
    #[error("the email or password is wrong")]
    InvalidCredentials,
    /// The current password, given for a sensitive change, is wrong.
    #[error("the current password is wrong")]
    WrongPassword,
    /// The second sign-in step failed: the code is wrong, or the ticket is unknown, used,
    /// expired or out of attempts; never says which.
    #[error("the code is wrong or the sign-in expired; sign in again if it keeps failing")]
    InvalidSecondFactor,
    /// The two-factor code (or recovery code), given for a sensitive change, is wrong or used.
    #[error("the two-factor code is wrong")]
    WrongCode,
    /// The new password does not meet the policy.
    #[error("password {0}")]
    Password(#[from] PasswordError),
    /// What any use case can answer.
    #[error(transparent)]
    Service(#[from] ServiceError),
}

impl From<DomainError> for AuthError {
    fn from(e: DomainError) -> Self {
        Self::Service(e.into())
    }
}

impl From<HashError> for AuthError {
    fn from(e: HashError) -> Self {
        Self::Service(e.into())
    }
}

impl From<StoreError> for AuthError {
    fn from(e: StoreError) -> Self {
        Self::Service(e.into())
    }
}

impl From<CommitError> for AuthError {
    fn from(e: CommitError) -> Self {
        Self::Service(e.into())
    }
}

/// Shorthand for a secret-checking door's result.
pub type AuthResult<T> = Result<T, AuthError>;
