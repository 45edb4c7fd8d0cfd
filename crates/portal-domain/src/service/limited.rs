//! The rate-limited doors: sign-in, sign-up and invites, each checked against its windows
//! before any work (a read that writes nothing) and counted after.

use crate::account::Invite;
use crate::actor::Actor;
use crate::ids::{AccountId, InviteId, UserId};
use crate::limits::{
    INVITES_PER_MEMBER, LOGIN_ATTEMPTS_PER_CLIENT, LOGIN_FAILURES_PER_EMAIL, LOGIN_FAILURES_PER_PAIR, RATE_WINDOW,
    RetryAfter, SIGNUPS_PER_CLIENT, SignInKeys, admit, key,
};
use crate::ports::{PasswordHasher, SessionStore, Store};
use crate::user::User;
use crate::{Account, service::*};

impl<S: Store + SessionStore, H: PasswordHasher> Portal<S, H> {
    /// Refuses, writing nothing, when one more hit on any of `limits` would pass its max.
    async fn check_limits(&self, limits: &[(&str, u32)]) -> ServiceResult<()> {
        let keys: Vec<&str> = limits.iter().map(|(k, _)| *k).collect();
        let windows = self.store.rate_limit_windows(&keys).await?;
        let counters: Vec<_> = windows.into_iter().zip(limits).map(|(w, (_, max))| (w, *max)).collect();
        admit(&counters, self.clock.now(), RATE_WINDOW).map_err(ServiceError::RateLimited)
    }

    /// Checks `key` against `max`, then counts the hit; refused, it writes nothing.
    async fn within_limit(&self, key: &str, max: u32) -> ServiceResult<()> {
        self.check_limits(&[(key, max)]).await?;
        if self.store.rate_limit_hits(&[(key, max)], self.clock.now(), RATE_WINDOW).await? {
            Ok(())
        } else {
            // Another request took the last hit between the check and the count.
            Err(ServiceError::RateLimited(RetryAfter(RATE_WINDOW)))
        }
    }

    /// Signs in from a client (its network address, as the transport determined it). Refused
    /// before any password is hashed when the client has made too many attempts or this email
    /// has failed too often from this client or from everywhere; then the password is checked
    /// and the attempt counted: for the client always, for the email only when it failed.
    pub async fn sign_in_from(&self, client: &str, email: &str, password: &str) -> ServiceResult<(Login, NewSession)> {
        let keys = SignInKeys::new(&*self.digester, client, email);
        let (client_key, pair, address) = (keys.client.as_str(), keys.pair.as_str(), keys.email.as_str());
        self.check_limits(&[
            (client_key, LOGIN_ATTEMPTS_PER_CLIENT),
            (pair, LOGIN_FAILURES_PER_PAIR),
            (address, LOGIN_FAILURES_PER_EMAIL),
        ])
        .await?;
        let checked: ServiceResult<User> = self.check_password(email, password).await;
        let now = self.clock.now();
        let counted: &[(&str, u32)] = match checked {
            Ok(_) => &[(client_key, LOGIN_ATTEMPTS_PER_CLIENT)],
            Err(_) => &[
                (client_key, LOGIN_ATTEMPTS_PER_CLIENT),
                (pair, LOGIN_FAILURES_PER_PAIR),
                (address, LOGIN_FAILURES_PER_EMAIL),
            ],
        };
        // The verdict was given before the hash; this only counts.
        self.store.rate_limit_hits(counted, now, RATE_WINDOW).await?;
        self.signed_in(checked?).await
    }

    /// Signs up from a client, within the per-client sign-up limit.
    pub async fn signup_from(&self, client: &str, signup: Signup) -> ServiceResult<(User, Account)> {
        self.within_limit(key(&*self.digester, &["signup", "client", client]).as_str(), SIGNUPS_PER_CLIENT).await?;
        self.signup(signup).await
    }

    /// Invites someone, within the per-member invite limit.
    pub async fn invite_limited(&self, actor: &Actor, id: AccountId, request: InviteRequest) -> ServiceResult<Invite> {
        if let Some(user) = actor.user() {
            self.within_limit(invite_key(self, user).as_str(), INVITES_PER_MEMBER).await?;
        }
        self.invite(actor, id, request).await
    }

    /// Re-sends an invite, within the same per-member limit as sending.
    pub async fn resend_limited(&self, actor: &Actor, id: AccountId, invite: InviteId) -> ServiceResult<Invite> {
        if let Some(user) = actor.user() {
            self.within_limit(invite_key(self, user).as_str(), INVITES_PER_MEMBER).await?;
        }
        self.resend_invite(actor, id, invite).await
    }
}

fn invite_key<S: Store, H: PasswordHasher>(portal: &Portal<S, H>, user: UserId) -> crate::values::TokenDigest {
    key(&*portal.digester, &["invite", &user.to_string()])
}
