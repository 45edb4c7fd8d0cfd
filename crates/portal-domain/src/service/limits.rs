//! The rate-limit gate the limited doors share: each is checked against its windows before any
//! work (a read that writes nothing), and counted after.

use chrono::Duration;

use super::{Portal, ServiceError, ServiceResult};
use crate::ids::UserId;
use crate::limits::{RATE_WINDOW, RetryAfter, admit, key};
use crate::ports::{PasswordHasher, SessionStore, Store};
use crate::values::TokenDigest;

impl<S: Store + SessionStore, H: PasswordHasher> Portal<S, H> {
    /// Refuses, writing nothing, when one more hit on any of `limits` would pass its max.
    pub(super) async fn check_limits(&self, limits: &[(&str, u32)]) -> ServiceResult<()> {
        self.check_limits_in(limits, RATE_WINDOW).await
    }

    /// [`Portal::check_limits`] over windows of `window`.
    pub(super) async fn check_limits_in(&self, limits: &[(&str, u32)], window: Duration) -> ServiceResult<()> {
        let keys: Vec<&str> = limits.iter().map(|(k, _)| *k).collect();
        let windows = self.store.rate_limit_windows(&keys).await?;
        let counters: Vec<_> = windows.into_iter().zip(limits).map(|(w, (_, max))| (w, *max)).collect();
        admit(&counters, self.clock.now(), window).map_err(ServiceError::RateLimited)
    }

    /// Checks `key` against `max`, then counts the hit; refused, it writes nothing.
    pub(super) async fn within_limit(&self, key: &str, max: u32) -> ServiceResult<()> {
        self.within_limit_in(key, max, RATE_WINDOW).await
    }

    /// [`Portal::within_limit`] over a window of `window`.
    pub(super) async fn within_limit_in(&self, key: &str, max: u32, window: Duration) -> ServiceResult<()> {
        self.check_limits_in(&[(key, max)], window).await?;
        if self.store.rate_limit_hits(&[(key, max)], self.clock.now(), window).await? {
            Ok(())
        } else {
            // Another request took the last hit between the check and the count.
            Err(ServiceError::RateLimited(RetryAfter(window)))
        }
    }

    /// The counter of invites and re-sends by `user`.
    pub(super) fn invite_key(&self, user: UserId) -> TokenDigest {
        key(&*self.digester, &["invite", &user.to_string()])
    }

    /// The counter of sign-ups from `client`.
    pub(super) fn signup_key(&self, client: &str) -> TokenDigest {
        key(&*self.digester, &["signup", "client", client])
    }
}
