//! Opaque secrets the core stores but never computes: password hashes and token digests.

use std::fmt;

/// A password hash made by the [`PasswordHasher`](crate::ports::PasswordHasher) port (an Argon2id
/// PHC string in the server). Opaque to the core; never printed.
#[derive(Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize), serde(transparent))]
pub struct PasswordHash(String);

impl PasswordHash {
    /// Wraps a hash string produced by a hasher.
    pub fn new(phc: impl Into<String>) -> Self {
        Self(phc.into())
    }

    /// What the history keeps in place of a hash ([`crate::user::UserEvent::for_history`]):
    /// matches no password.
    pub fn redacted() -> Self {
        Self(String::new())
    }

    /// The hash string, for the store and the hasher only.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for PasswordHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PasswordHash(<redacted>)")
    }
}

/// The digest of a one-time token (invite link, session, reset): what is stored instead of the
/// token, so a leaked database holds no usable token.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize), serde(transparent))]
pub struct TokenDigest(String);

impl TokenDigest {
    /// Wraps a digest made by the [`TokenDigester`](crate::ports::TokenDigester) port.
    pub fn new(hex: impl Into<String>) -> Self {
        Self(hex.into())
    }

    /// What the history keeps in place of a digest: matches no token.
    pub fn redacted() -> Self {
        Self(String::new())
    }

    /// The digest text, for the store only.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for TokenDigest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("TokenDigest(<redacted>)")
    }
}

/// A second-factor secret sealed by the [`SecondFactor`](crate::ports::SecondFactor) port
/// (encrypted at rest with the server's key). Opaque to the core; never printed.
#[derive(Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize), serde(transparent))]
pub struct SealedSecret(String);

impl SealedSecret {
    /// Wraps a sealed secret made by the port.
    pub fn new(sealed: impl Into<String>) -> Self {
        Self(sealed.into())
    }

    /// What the history keeps in place of a sealed secret: opens to nothing.
    pub fn redacted() -> Self {
        Self(String::new())
    }

    /// The sealed text, for the store and the port only.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for SealedSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SealedSecret(<redacted>)")
    }
}
