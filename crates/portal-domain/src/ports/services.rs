//! The small ports: password hashing, the second factor, token digests and generation, the clock, ids.

use super::*;

/// A secret-handling port failed: the password hasher (it is closed, or the hash function refused
/// its input) or the second factor (a secret sealed with another key). Opaque to the core, like
/// [`StoreError`]: logged with its cause chain, answered with a generic 500.
#[derive(Debug)]
pub struct HashError {
    message: String,
    source: Option<Box<dyn StdError + Send + Sync>>,
}

impl HashError {
    /// A failure described by `message`.
    pub fn new(message: impl Into<String>) -> Self {
        Self { message: message.into(), source: None }
    }

    /// A failure with its cause.
    pub fn with_source(message: impl Into<String>, source: impl StdError + Send + Sync + 'static) -> Self {
        Self { message: message.into(), source: Some(Box::new(source)) }
    }
}

impl fmt::Display for HashError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl StdError for HashError {
    fn source(&self) -> Option<&(dyn StdError + 'static)> {
        self.source.as_deref().map(|e| e as &(dyn StdError + 'static))
    }
}

/// Hashes and checks passwords (Argon2id in the server). Slow on purpose, so async: the adapter
/// runs it off the request workers.
pub trait PasswordHasher: Send + Sync {
    /// A new salted hash of `password`.
    fn hash(&self, password: &Password) -> impl Future<Output = Result<PasswordHash, HashError>> + Send;
    /// Whether `password` matches `hash`. MUST take as long for a wrong password as a right one.
    fn verify(&self, password: &str, hash: &PasswordHash) -> impl Future<Output = bool> + Send;
    /// A valid hash of no one's password, checked when an email is unknown so that login does the
    /// same work whether or not the user exists.
    fn decoy(&self) -> &PasswordHash;
}

/// Digests one-time tokens (SHA-256 in the server); only digests are stored.
pub trait TokenDigester: Send + Sync {
    /// The digest of `token`. MUST be deterministic and MUST NOT reveal the token.
    fn digest(&self, token: &str) -> TokenDigest;
}

/// Makes new secret tokens (256 random bits in the server).
pub trait TokenGenerator: Send + Sync {
    /// A fresh unguessable token, URL-safe.
    fn generate(&self) -> String;
    /// A fresh recovery code: [`RECOVERY_CODE_GROUPS`](crate::mfa::RECOVERY_CODE_GROUPS) ×
    /// [`RECOVERY_GROUP_LEN`](crate::mfa::RECOVERY_GROUP_LEN) characters drawn uniformly from
    /// [`RECOVERY_ALPHABET`](crate::mfa::RECOVERY_ALPHABET), without separators.
    fn recovery_code(&self) -> String;
}

/// A TOTP secret made for enrolment: sealed for the store, and in the forms an authenticator
/// app takes, shown to the user once.
#[derive(Clone)]
pub struct Enrolment {
    /// The secret sealed with the server's key: all that is stored.
    pub sealed: SealedSecret,
    /// The secret in base32, for typing into an app.
    pub secret: String,
    /// The `otpauth://totp/...` URI the QR code holds.
    pub uri: String,
    /// The QR code of `uri`, as an SVG document.
    pub qr_svg: String,
}

impl fmt::Debug for Enrolment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Enrolment(<redacted>)")
    }
}

/// The TOTP second factor (RFC 6238 with SHA-1, 6 digits, 30-second steps in the server) and
/// the sealing of its secrets. Deny by default: a core without one enrols nobody and lets no
/// code through.
pub trait SecondFactor: Send + Sync {
    /// A new random secret (at least 160 bits) for `user`, who signs in as `label`, sealed for
    /// that user alone (a sealed secret copied to another user's row does not open).
    fn enrol(&self, user: UserId, label: &EmailAddress) -> Result<Enrolment, HashError>;
    /// The time step `code` matches under `user`'s secret `sealed` at `now`: the current step or one
    /// either side (clock skew), else `None`. MUST compare in constant time. An error means the
    /// secret does not open (another key): a fault of the server, never the user's.
    fn check(
        &self,
        user: UserId,
        sealed: &SealedSecret,
        code: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<u64>, HashError>;
}

/// Tells the time; the core never reads a clock itself.
pub trait Clock: Send + Sync {
    /// Now.
    fn now(&self) -> DateTime<Utc>;
}

/// A shared clock is a clock: a test keeps one handle to move time while the use cases read
/// the other.
impl<C: Clock + ?Sized> Clock for std::sync::Arc<C> {
    fn now(&self) -> chrono::DateTime<chrono::Utc> {
        (**self).now()
    }
}

/// Makes ids (UUID v7 in the server).
pub trait IdSource: Send + Sync {
    /// A new unique UUID.
    fn new_uuid(&self) -> Uuid;
}
