//! The session port: sign-in sessions, rate-limit counters, operator keys and housekeeping.

use super::*;

use crate::credentials::UserToken;
pub use crate::session::SESSION_TOUCH_RESOLUTION;
use crate::session::SessionTimes;
use crate::values::ClientInfo;

/// A session to store: its id, the digest of its token, its user and the times the domain gave
/// it ([`SessionTimes::start`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionStart {
    /// The session's public id.
    pub id: SessionId,
    /// The digest of its bearer token (the token itself is never stored).
    pub token: TokenDigest,
    /// Whose it is.
    pub user: UserId,
    /// When it began and when it ends.
    pub times: SessionTimes,
    /// Where it was started from.
    pub client: ClientInfo,
}

/// A session as its user may see it (never its token).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionInfo {
    /// The session's public id (for revoking it).
    pub id: SessionId,
    /// Its user.
    pub user: UserId,
    /// When it began.
    pub created_at: DateTime<Utc>,
    /// When it was last used.
    pub last_seen_at: DateTime<Utc>,
    /// When it ends however active it is.
    pub absolute_expires_at: DateTime<Utc>,
    /// Where it was started from.
    pub client: ClientInfo,
    /// When its holder last gave the password (and second factor): sign-in or re-authentication.
    pub authenticated_at: DateTime<Utc>,
}

/// [`SessionStore::session_user`] from [`SessionStore::use_session`] and [`Store::user`]: its
/// default, for a store that has no better way.
pub async fn session_user_of<S: Store + SessionStore + ?Sized>(
    store: &S,
    token: &TokenDigest,
    now: DateTime<Utc>,
    idle: chrono::Duration,
) -> Result<Option<(SessionId, User)>, StoreError> {
    let Some((session, user)) = store.use_session(token, now, idle).await? else { return Ok(None) };
    Ok(store.user(user).await?.map(|user| (session, user)))
}

/// [`SessionStore::session_holder`] from [`SessionStore::use_session`] and
/// [`Store::user_status`]: its default, for a store that has no better way.
pub async fn session_holder_of<S: Store + SessionStore + ?Sized>(
    store: &S,
    token: &TokenDigest,
    now: DateTime<Utc>,
    idle: chrono::Duration,
) -> Result<Option<(SessionId, UserId, UserStatus)>, StoreError> {
    let Some((session, user)) = store.use_session(token, now, idle).await? else { return Ok(None) };
    Ok(store.user_status(user).await?.map(|status| (session, user, status)))
}

/// Sign-in sessions and rate-limit counters, shared by every server process.
pub trait SessionStore: Send + Sync {
    /// Stores a new session under the digest of its token.
    fn create_session(&self, session: &SessionStart) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// Stores a session as [`SessionStore::create_session`] does and records its start as the
    /// user's last login ([`Store::record_login`]). The default does the two in turn; a SQL
    /// store writes both in one transaction (one durable write per sign-in, not two).
    fn create_login_session(&self, session: &SessionStart) -> impl Future<Output = Result<(), StoreError>> + Send
    where
        Self: Store,
    {
        async move {
            self.record_login(session.user, session.times.created_at).await?;
            self.create_session(session).await
        }
    }

    /// The session and user of a live token, extending its idle expiry (a store may skip the
    /// write while the last extension is under [`SESSION_TOUCH_RESOLUTION`] old). MUST return
    /// `None` once either expiry has passed, and from then on.
    fn use_session(
        &self,
        token: &TokenDigest,
        now: DateTime<Utc>,
        idle: chrono::Duration,
    ) -> impl Future<Output = Result<Option<(SessionId, UserId)>, StoreError>> + Send;

    /// [`SessionStore::use_session`] with the session's user as last committed (the per-request
    /// authentication). The default uses the session, then reads the user; a SQL store reads
    /// both in one join when the session needs no write.
    fn session_user(
        &self,
        token: &TokenDigest,
        now: DateTime<Utc>,
        idle: chrono::Duration,
    ) -> impl Future<Output = Result<Option<(SessionId, User)>, StoreError>> + Send
    where
        Self: Store,
    {
        session_user_of(self, token, now, idle)
    }

    /// [`SessionStore::use_session`] with the status of the session's user (the per-request
    /// authentication when only the user's id is needed), or `None` as `use_session` answers or
    /// when the user is gone. The default uses the session, then reads the status; a SQL store
    /// reads both in one join when the session needs no write.
    fn session_holder(
        &self,
        token: &TokenDigest,
        now: DateTime<Utc>,
        idle: chrono::Duration,
    ) -> impl Future<Output = Result<Option<(SessionId, UserId, UserStatus)>, StoreError>> + Send
    where
        Self: Store,
    {
        session_holder_of(self, token, now, idle)
    }

    /// Ends the session of a token (logout).
    fn end_session(&self, token: &TokenDigest) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// Ends one of `user`'s sessions by id. MUST return `false` and end nothing for another user's session.
    fn end_session_by_id(&self, user: UserId, id: SessionId) -> impl Future<Output = Result<bool, StoreError>> + Send;

    /// Ends every session of `user`.
    fn end_sessions_of(&self, user: UserId) -> impl Future<Output = Result<u64, StoreError>> + Send;

    /// `user`'s live sessions, newest first.
    fn sessions_of(
        &self,
        user: UserId,
        now: DateTime<Utc>,
    ) -> impl Future<Output = Result<Vec<SessionInfo>, StoreError>> + Send;

    /// Records `step` as `user`'s last accepted TOTP time step if it is later than the one
    /// recorded (or none is): `true` then, `false` (and nothing written) otherwise. MUST be
    /// atomic (`UPDATE ... WHERE last_step IS NULL OR last_step < step`), so of many requests
    /// racing with one code exactly one gets `true`, and a code is never accepted twice. `false`
    /// for an unknown user.
    fn advance_totp_step(&self, user: UserId, step: u64) -> impl Future<Output = Result<bool, StoreError>> + Send;

    /// Records that `user` signed in from the client of `key` ([`crate::credentials::client_key`])
    /// at `now`, and answers when that client was last recorded before (`None`: never).
    fn note_client(
        &self,
        user: UserId,
        key: &TokenDigest,
        now: DateTime<Utc>,
    ) -> impl Future<Output = Result<Option<DateTime<Utc>>, StoreError>> + Send;

    /// Records that the holder of session `id` gave the password again at `at`.
    fn reauthenticated(&self, id: SessionId, at: DateTime<Utc>) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// The unused one-time token with this digest, expired or not (the domain decides:
    /// [`UserToken::holds`]). Reading MUST NOT use it: mail scanners open links.
    fn token(&self, digest: &TokenDigest) -> impl Future<Output = Result<Option<UserToken>, StoreError>> + Send;

    /// Stores an operator key under the digest of its secret.
    fn create_operator_key(
        &self,
        id: uuid::Uuid,
        token: &TokenDigest,
        label: &str,
        now: DateTime<Utc>,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// Whether an operator key with this digest exists.
    fn operator_key_exists(&self, token: &TokenDigest) -> impl Future<Output = Result<bool, StoreError>> + Send;

    /// Counts a hit on `key` in a fixed window; `true` while the window has seen at most `max`.
    /// MUST count hits from every caller together (atomically).
    fn rate_limit_hit(
        &self,
        key: &str,
        now: DateTime<Utc>,
        window: chrono::Duration,
        max: u32,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send;

    /// The current window of each key, in order (`None`: never hit, or purged). MUST NOT
    /// write: a refused request leaves nothing behind. The default knows no windows, so every
    /// check passes and only [`SessionStore::rate_limit_hits`] refuses.
    fn rate_limit_windows(
        &self,
        keys: &[&str],
    ) -> impl Future<Output = Result<Vec<Option<crate::window::Window>>, StoreError>> + Send {
        let none = vec![None; keys.len()];
        async move { Ok(none) }
    }

    /// Deletes at most `batch` rows of each kind that can no longer matter at `now`: rate-limit
    /// windows lapsed for `window`, sessions past their idle or absolute expiry, and the token
    /// digests of spent invite links ([`crate::account::Invite::link_spent`]), and clients not
    /// seen for [`KNOWN_CLIENT_FOR`](crate::credentials::KNOWN_CLIENT_FOR). Returns how many
    /// went. MUST leave every live window, session, link and known client alone.
    fn purge_expired(
        &self,
        now: DateTime<Utc>,
        window: chrono::Duration,
        batch: u32,
    ) -> impl Future<Output = Result<u64, StoreError>> + Send {
        let _ = (now, window, batch);
        async { Ok(0) }
    }

    /// Counts a hit on every key of `limits` (each with its `max`), as
    /// [`SessionStore::rate_limit_hit`] does; `true` while every one is within its max. The
    /// default counts them in turn; a SQL store counts them in one statement.
    fn rate_limit_hits(
        &self,
        limits: &[(&str, u32)],
        now: DateTime<Utc>,
        window: chrono::Duration,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send {
        async move {
            let mut within = true;
            for (key, max) in limits {
                within &= self.rate_limit_hit(key, now, window, *max).await?;
            }
            Ok(within)
        }
    }
}
