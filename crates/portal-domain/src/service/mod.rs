//! The use cases: load, decide, save, one file per area. No rule is written here; each is in a
//! `decide`, a value or a view of the domain, and [`run`](self) holds the one loop that loads,
//! decides and commits.

mod access;
mod accounts;
mod contacts;
mod error;
mod governance;
mod identity;
mod invites;
mod limits;
mod members;
mod mfa;
mod notices;
mod operator;
mod run;
mod security;

use chrono::{DateTime, Utc};

pub use crate::account::AccountSummary;
pub use crate::account::InviteOffer;
pub use crate::ports::MemberView;
use crate::ports::{Clock, IdSource, PasswordHasher, SecondFactor, SessionStore, Store, TokenDigester, TokenGenerator};
use crate::values::TokenDigest;
pub use contacts::ContactRequest;
pub use error::{AuthError, AuthResult, ServiceError, ServiceResult};
pub use identity::{
    ACTIVITY_RESOLUTION, Joined, LOGIN_ATTEMPTS, Login, NewSession, RATE_WINDOW, SESSION_ABSOLUTE, SESSION_IDLE,
    SignedUp, Signup,
};
pub use invites::InvitePreview;
pub use mfa::{Confirmed, MfaTicket, Proof, SignIn};
pub use run::MAX_ATTEMPTS;
pub use security::{MySession, RESETS_PER_CLIENT, Verified};

/// The use cases over the ports. Every store it runs on keeps both the data ([`Store`]) and the
/// sessions and counters ([`SessionStore`]): the doors that are rate limited have no way around.
pub struct Portal<S, H> {
    store: S,
    hasher: H,
    digester: Box<dyn TokenDigester>,
    tokens: Box<dyn TokenGenerator>,
    clock: Box<dyn Clock>,
    ids: Box<dyn IdSource>,
    second_factor: Option<Box<dyn SecondFactor>>,
}

impl<S, H> std::fmt::Debug for Portal<S, H> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Portal").finish_non_exhaustive()
    }
}

impl<S: Store + SessionStore, H: PasswordHasher> Portal<S, H> {
    /// Wires the use cases to their ports.
    pub fn new(
        store: S,
        hasher: H,
        digester: impl TokenDigester + 'static,
        tokens: impl TokenGenerator + 'static,
        clock: impl Clock + 'static,
        ids: impl IdSource + 'static,
    ) -> Self {
        Self {
            store,
            hasher,
            digester: Box::new(digester),
            tokens: Box::new(tokens),
            clock: Box::new(clock),
            ids: Box::new(ids),
            second_factor: None,
        }
    }

    /// The use cases with a TOTP second factor. Without one, nobody can enrol, and a user whose
    /// second factor is on cannot finish signing in (deny by default).
    pub fn with_second_factor(mut self, second_factor: impl SecondFactor + 'static) -> Self {
        self.second_factor = Some(Box::new(second_factor));
        self
    }

    /// The store, for reads the use cases do not wrap.
    pub fn store(&self) -> &S {
        &self.store
    }

    /// The current time by the configured clock.
    pub fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    /// The digest of a token, as stored.
    pub fn digest(&self, token: &str) -> TokenDigest {
        self.digester.digest(token)
    }
}
