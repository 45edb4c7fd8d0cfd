//! Account security: email verification, password reset and change, email change, and the
//! signed-in user's sessions. Every link is a one-time token ([`crate::credentials`]) used up in
//! the same commit as the change it makes.

use chrono::{DateTime, Utc};

use super::mfa::Proof;
use super::run::{Decided, saved};
use super::{AuthError, AuthResult, Portal, ServiceError, ServiceResult};
use crate::actor::Actor;
use crate::credentials::{
    Binding, InvalidToken, RESET_MAIL_WINDOW, RESET_MAILS_PER_ADDRESS, Redemption, Revocation, SessionsEnd,
    TokenPurpose, UserToken, client_key, credential_stamp, is_new_client,
};
use crate::error::DomainError;
use crate::ids::{SessionId, UserId};
use crate::limits::{LOGIN_FAILURES_PER_PAIR, key};
use crate::ports::{Changes, Message, OutgoingEmail, PasswordHasher, SecurityNotice, SessionInfo, SessionStore, Store};
use crate::user::{User, UserCommand};
use crate::values::{ClientInfo, EmailAddress, Password, TokenDigest};

/// Password-reset requests allowed per client in [`crate::limits::RATE_WINDOW`] (each may mail).
pub const RESETS_PER_CLIENT: u32 = 10;

/// What following a mailed link confirmed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verified {
    /// The address the user signed up with.
    Email,
    /// The new address of an email change: the login moved there.
    EmailChange,
}

/// One of the signed-in user's sessions, as they see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MySession {
    /// The session.
    pub info: SessionInfo,
    /// Whether it is the one asking.
    pub current: bool,
}

impl<S: Store + SessionStore, H: PasswordHasher> Portal<S, H> {
    /// A new one-time token of `purpose` for `user` over `binding`: the raw token (for the mail
    /// only) and what the store keeps.
    pub(super) fn issue_bound(
        &self,
        user: UserId,
        purpose: TokenPurpose,
        binding: Binding,
        now: DateTime<Utc>,
    ) -> (UserToken, String) {
        let raw = self.tokens.generate();
        (UserToken::issue(self.digester.digest(&raw), user, purpose, binding, now), raw)
    }

    /// A token of `purpose` bound to `user`'s address and password as they are now.
    pub(super) fn issue(&self, user: &User, purpose: TokenPurpose, now: DateTime<Utc>) -> (UserToken, String) {
        self.issue_bound(user.id(), purpose, Binding::Credentials(credential_stamp(&*self.digester, user)), now)
    }

    /// The verification link for `user`'s address, and its mail.
    pub(super) fn verification_link(&self, user: &User, now: DateTime<Utc>) -> (UserToken, OutgoingEmail) {
        let binding = Binding::Address(user.email().clone());
        let (token, raw) = self.issue_bound(user.id(), TokenPurpose::VerifyEmail, binding, now);
        let expires_at = token.expires_at;
        (token, OutgoingEmail { to: user.email().clone(), message: Message::VerifyEmail { token: raw, expires_at } })
    }

    /// Whether `email` may get one more mail about its password this hour; counts it if so.
    pub(super) async fn reset_mail_allowed(&self, email: &EmailAddress) -> ServiceResult<bool> {
        let key = key(&*self.digester, &["reset-mail", email.normalized()]);
        match self.within_limit_in(key.as_str(), RESET_MAILS_PER_ADDRESS, RESET_MAIL_WINDOW).await {
            Ok(()) => Ok(true),
            Err(ServiceError::RateLimited(_)) => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// Mails a reset link to `email` if it belongs to an active user and has reset mails left
    /// this hour. Answers alike in every case but a client over its limit: the caller learns
    /// nothing about the address.
    pub async fn request_password_reset(&self, client: &ClientInfo, email: &EmailAddress) -> ServiceResult<()> {
        let client_key = key(&*self.digester, &["reset", "client", client.address()]);
        self.within_limit(client_key.as_str(), RESETS_PER_CLIENT).await?;
        let Some(user) = self.store.user_by_email(email).await?.filter(|u| u.ensure_active().is_ok()) else {
            return Ok(());
        };
        if !self.reset_mail_allowed(email).await? {
            return Ok(());
        }
        let now = self.clock.now();
        let (token, raw) = self.issue(&user, TokenPurpose::PasswordReset, now);
        let message = Message::PasswordReset { token: raw, expires_at: token.expires_at };
        let outbox = vec![OutgoingEmail { to: user.email().clone(), message }];
        Ok(self.store.commit(Changes { outbox, ..Changes::default() }.issuing(token)).await?)
    }

    /// The unused token of `raw` for one of `purposes`, and its user as they stand, if the token
    /// holds for them now. Reads only: opening a link uses nothing.
    async fn token_holder(&self, raw: &str, purposes: &[TokenPurpose]) -> AuthResult<(TokenDigest, UserToken, User)> {
        let digest = self.digester.digest(raw);
        let token = self.store.token(&digest).await?.filter(|t| purposes.contains(&t.purpose)).ok_or(InvalidToken)?;
        let user = self.store.user(token.user).await?.ok_or(InvalidToken)?;
        token.holds(token.purpose, &user, &credential_stamp(&*self.digester, &user), self.clock.now())?;
        user.ensure_active()?;
        Ok((digest, token, user))
    }

    /// Inside a decision: the user of the token `digest` (still unused) as they stand at `now`, if
    /// it still holds for them. A racing use that won makes the loser's retry land here and stop.
    async fn holder_now(&self, digest: &TokenDigest, user: UserId, now: DateTime<Utc>) -> ServiceResult<User> {
        let token = self.store.token(digest).await?.ok_or(InvalidToken)?;
        let user = self.store.user(user).await?.ok_or(InvalidToken)?;
        token.holds(token.purpose, &user, &credential_stamp(&*self.digester, &user), now)?;
        Ok(user)
    }

    /// Sets a new password from a reset link: the policy first (a refused password leaves the
    /// link usable), then, in one commit, the new hash, the link used up, every session and open
    /// link of the user ended, and a security notice. Signs nobody in, so a second factor is
    /// still asked for at the next sign-in.
    pub async fn reset_password(&self, client: &ClientInfo, raw: &str, new_password: &str) -> AuthResult<()> {
        let (digest, token, user) = self.token_holder(raw, &[TokenPurpose::PasswordReset]).await?;
        let password = Password::parse(new_password, user.email())?;
        let hash = self.hasher.hash(&password).await?;
        let (digest, token, hash) = (&digest, &token, &hash);
        self.run(|now| async move {
            let user = self.holder_now(digest, token.user, now).await?;
            let events =
                made_from(user.decide(&Actor::User(user.id()), UserCommand::ResetPassword(hash.clone()), now)?, client);
            let (_, save) = saved(&user, events);
            let changes = Changes {
                users: vec![save],
                outbox: vec![security_notice(&user, SecurityNotice::PasswordReset)],
                revocations: vec![Revocation::new_password(user.id(), SessionsEnd::All)],
                redeemed: vec![Redemption { digest: digest.clone(), at: now }],
                ..Changes::default()
            };
            Ok(Decided { changes, value: () })
        })
        .await
        .map_err(token_race)
    }

    /// Confirms a mailed link: a verification link verifies the address; an email-change link
    /// moves the login to the new address, if it is still free, and tells the old one.
    pub async fn verify_email(&self, client: &ClientInfo, raw: &str) -> AuthResult<Verified> {
        let (digest, token, _) =
            self.token_holder(raw, &[TokenPurpose::VerifyEmail, TokenPurpose::EmailChange]).await?;
        let (digest, token) = (&digest, &token);
        self.run(|now| async move {
            let user = self.holder_now(digest, token.user, now).await?;
            let actor = Actor::User(user.id());
            let redeemed = vec![Redemption { digest: digest.clone(), at: now }];
            let changes = if token.purpose == TokenPurpose::VerifyEmail {
                let events = made_from(user.decide(&actor, UserCommand::VerifyEmail, now)?, client);
                Changes { users: vec![saved(&user, events).1], redeemed, ..Changes::default() }
            } else {
                let events = made_from(user.decide(&actor, UserCommand::ConfirmEmailChange, now)?, client);
                let (next, save) = saved(&user, events);
                let notice = SecurityNotice::EmailChanged { to: next.email().clone() };
                Changes {
                    users: vec![save],
                    outbox: vec![security_notice(&user, notice)],
                    revocations: vec![Revocation::new_address(user.id())],
                    redeemed,
                    ..Changes::default()
                }
            };
            let verified =
                if token.purpose == TokenPurpose::VerifyEmail { Verified::Email } else { Verified::EmailChange };
            Ok(Decided { changes, value: verified })
        })
        .await
        .map_err(token_race)
    }

    /// Checks the signed-in user's current password (for a sensitive change), counting failures
    /// per user apart from sign-in's, so a stolen session cannot guess at leisure.
    pub(super) async fn check_current_password(&self, user: &User, password: &str) -> AuthResult<()> {
        let key = key(&*self.digester, &["reauth", &user.id().to_string()]);
        let limit = [(key.as_str(), LOGIN_FAILURES_PER_PAIR)];
        self.check_limits(&limit).await?;
        if self.hasher.verify(password, user.password_hash()).await {
            return Ok(());
        }
        self.store.rate_limit_hits(&limit, self.clock.now(), crate::limits::RATE_WINDOW).await?;
        Err(AuthError::WrongPassword)
    }

    /// Changes the signed-in user's password: the current one is checked (with a second-factor
    /// `code` when that is on and the session did not give one lately: [`Proof`]), every other
    /// session and every open reset link ends, the current session stays, and a security notice
    /// goes out.
    pub async fn change_password(
        &self,
        client: &ClientInfo,
        session: SessionId,
        user: UserId,
        current: &str,
        new_password: &str,
        code: Option<&str>,
    ) -> AuthResult<()> {
        let me = self.active_user(user).await?;
        self.confirm_identity(client, session, &me, Proof { password: Some(current), code }).await?;
        let password = Password::parse(new_password, me.email())?;
        let hash = self.hasher.hash(&password).await?;
        let hash = &hash;
        self.run(|now| async move {
            let me = self.active_user(user).await?;
            let events =
                made_from(me.decide(&Actor::User(user), UserCommand::ChangePassword(hash.clone()), now)?, client);
            let changes = Changes {
                users: vec![saved(&me, events).1],
                outbox: vec![security_notice(&me, SecurityNotice::PasswordChanged)],
                revocations: vec![Revocation::new_password(user, SessionsEnd::AllBut(session))],
                ..Changes::default()
            };
            Ok(Decided { changes, value: () })
        })
        .await?;
        Ok(())
    }

    /// Asks to move the signed-in user's login to `to`: the current password is checked (and a
    /// second-factor `code` as for a password change); a confirmation link goes to `to` and a
    /// notice to the old address, which keeps signing in until the link is followed. Whether
    /// `to` is free is decided then, not now, so the answer tells nothing about who has an
    /// account.
    pub async fn request_email_change(
        &self,
        client: &ClientInfo,
        session: SessionId,
        user: UserId,
        current: &str,
        to: &EmailAddress,
        code: Option<&str>,
    ) -> AuthResult<()> {
        let me = self.active_user(user).await?;
        self.confirm_identity(client, session, &me, Proof { password: Some(current), code }).await?;
        self.run(|now| async move {
            let me = self.active_user(user).await?;
            let events =
                made_from(me.decide(&Actor::User(user), UserCommand::RequestEmailChange(to.clone()), now)?, client);
            let (token, raw) = self.issue_bound(user, TokenPurpose::EmailChange, Binding::Address(to.clone()), now);
            let link = Message::ConfirmEmailChange { token: raw, expires_at: token.expires_at };
            let changes = Changes {
                users: vec![saved(&me, events).1],
                outbox: vec![
                    OutgoingEmail { to: to.clone(), message: link },
                    security_notice(&me, SecurityNotice::EmailChangeRequested { to: to.clone() }),
                ],
                ..Changes::default()
            }
            .issuing(token);
            Ok(Decided { changes, value: () })
        })
        .await?;
        Ok(())
    }

    /// Records the client of a new session of `user` and, when the user has signed in before but
    /// not from this client in [`KNOWN_CLIENT_FOR`](crate::credentials::KNOWN_CLIENT_FOR), mails
    /// them a notice with a link that ends the session.
    pub(super) async fn tell_of_new_client(
        &self,
        client: &ClientInfo,
        user: &User,
        session: SessionId,
        now: DateTime<Utc>,
    ) -> ServiceResult<()> {
        let seen = self.store.note_client(user.id(), &client_key(&*self.digester, client), now).await?;
        if user.last_login_at().is_none() || !is_new_client(seen, now) {
            return Ok(());
        }
        let (token, raw) = self.issue_bound(user.id(), TokenPurpose::EndSession, Binding::Session(session), now);
        let notice =
            SecurityNotice::NewSignIn { client: client.clone(), at: now, token: raw, expires_at: token.expires_at };
        let changes = Changes { outbox: vec![security_notice(user, notice)], ..Changes::default() }.issuing(token);
        Ok(self.store.commit(changes).await?)
    }

    /// Ends the session a new-sign-in notice's link names ("this was not me"). The link is used
    /// up; it ends that one session and nothing else.
    pub async fn end_session_by_link(&self, raw: &str) -> AuthResult<()> {
        let (digest, token, user) = self.token_holder(raw, &[TokenPurpose::EndSession]).await?;
        let Binding::Session(session) = token.binding else { return Err(InvalidToken.into()) };
        let used = Changes { redeemed: vec![Redemption { digest, at: self.clock.now() }], ..Changes::default() };
        self.store.commit(used).await.map_err(|_| AuthError::from(InvalidToken))?;
        self.store.end_session_by_id(user.id(), session).await?;
        Ok(())
    }

    /// The signed-in user's live sessions, newest first, the asking one marked.
    pub async fn my_sessions(&self, user: UserId, current: SessionId) -> ServiceResult<Vec<MySession>> {
        let sessions = self.store.sessions_of(user, self.clock.now()).await?;
        Ok(sessions.into_iter().map(|info| MySession { current: info.id == current, info }).collect())
    }

    /// Ends one of the signed-in user's sessions; another user's is not found.
    pub async fn end_my_session(&self, user: UserId, id: SessionId) -> ServiceResult<()> {
        if self.store.end_session_by_id(user, id).await? { Ok(()) } else { Err(DomainError::SessionNotFound.into()) }
    }

    /// Ends every session of the signed-in user but the asking one.
    pub async fn end_other_sessions(&self, user: UserId, current: SessionId) -> ServiceResult<()> {
        let revocation = Revocation { user, sessions: SessionsEnd::AllBut(current), tokens: vec![] };
        Ok(self.store.commit(Changes { revocations: vec![revocation], ..Changes::default() }).await?)
    }
}

/// `events`, each marked as made from `client`.
pub(super) fn made_from(events: Vec<crate::user::UserEvent>, client: &ClientInfo) -> Vec<crate::user::UserEvent> {
    events.into_iter().map(|e| e.from_client(client)).collect()
}

/// A security notice to `user`'s address as it is.
pub(super) fn security_notice(user: &User, notice: SecurityNotice) -> OutgoingEmail {
    OutgoingEmail { to: user.email().clone(), message: Message::Security(notice) }
}

/// A link used up by racing requests answers as any spent link does.
fn token_race(e: ServiceError) -> AuthError {
    match e {
        ServiceError::Conflict => ServiceError::InvalidToken.into(),
        e => e.into(),
    }
}

impl From<InvalidToken> for AuthError {
    fn from(_: InvalidToken) -> Self {
        Self::Service(ServiceError::InvalidToken)
    }
}

impl From<InvalidToken> for ServiceError {
    fn from(_: InvalidToken) -> Self {
        Self::InvalidToken
    }
}
