//! The in-memory store's one-time tokens: the same contract as the SQL store's (a use wins once,
//! before expiry; a revocation ends sessions and open links, before new tokens are kept).

use super::*;
use portal_domain::credentials::{Redemption, Revocation, SessionsEnd, UserToken};

#[derive(Clone)]
pub(super) struct StoredToken {
    pub(super) token: UserToken,
    pub(super) used: bool,
}

impl Inner {
    /// A commit whose uses do not all find an unused, unexpired token is a conflict.
    pub(super) fn check_redeemed(&self, redeemed: &[Redemption]) -> Result<(), CommitError> {
        let usable = |r: &Redemption| self.tokens.get(&r.digest).is_some_and(|t| !t.used && r.at < t.token.expires_at);
        if redeemed.iter().all(usable) { Ok(()) } else { Err(CommitError::Conflict) }
    }

    pub(super) fn write_tokens(&mut self, redeemed: &[Redemption], revocations: &[Revocation], issued: Vec<UserToken>) {
        for r in redeemed {
            if let Some(t) = self.tokens.get_mut(&r.digest) {
                t.used = true;
            }
        }
        for r in revocations {
            for t in self.tokens.values_mut().filter(|t| t.token.user == r.user && r.tokens.contains(&t.token.purpose))
            {
                t.used = true;
            }
            match r.sessions {
                SessionsEnd::None => {}
                SessionsEnd::All => self.sessions.retain(|_, s| s.user != r.user),
                SessionsEnd::AllBut(keep) => self.sessions.retain(|_, s| s.user != r.user || s.id == keep),
            }
        }
        for token in issued {
            self.tokens.insert(token.digest.clone(), StoredToken { token, used: false });
        }
    }
}
