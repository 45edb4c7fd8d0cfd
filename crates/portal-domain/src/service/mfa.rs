//! The second factor: TOTP enrolment and removal, recovery codes, the second sign-in step, and
//! the re-authentication sensitive changes ask for. Wrong codes are counted per ticket and per
//! user, apart from wrong passwords (Keycloak #46164: one shared counter lets anyone lock a user
//! out), and every accepted TOTP step is recorded atomically so no code works twice.

use chrono::{DateTime, Utc};

use super::run::{Decided, saved};
use super::security::{made_from, security_notice};
use super::{AuthError, AuthResult, Login, NewSession, Portal, ServiceError, ServiceResult};
use crate::actor::Actor;
use crate::credentials::{Redemption, Revocation, SessionsEnd, TokenPurpose, credential_stamp, recently_authenticated};
use crate::error::DomainError;
use crate::ids::{SessionId, UserId};
use crate::limits::key;
use crate::mfa::{
    MFA_FAILURES_PER_USER, MFA_WINDOW, RECOVERY_CODES, TICKET_ATTEMPTS, format_recovery_code, is_totp_code,
    normalize_recovery_code, recovery_code_digest,
};
use crate::ports::{Changes, Enrolment, PasswordHasher, SecondFactor, SecurityNotice, SessionStore, Store};
use crate::user::{MfaState, User, UserCommand};
use crate::values::{ClientInfo, SealedSecret, TokenDigest};

/// What the password step of a sign-in gave.
// Made once per sign-in and matched at once: boxing would only add an allocation.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone)]
pub enum SignIn {
    /// Signed in: no second factor is on.
    Session(Login, NewSession),
    /// The password was right; the second factor is asked for with this ticket.
    SecondFactor(MfaTicket),
}

impl SignIn {
    /// The session, or the ticket when a second factor is still asked for.
    pub fn into_session(self) -> Result<(Login, NewSession), MfaTicket> {
        match self {
            Self::Session(login, session) => Ok((login, session)),
            Self::SecondFactor(ticket) => Err(ticket),
        }
    }
}

/// The ticket between the password and the second factor: single use, bound to the user and
/// their password, [`MFA_TICKET_TTL`](crate::credentials::MFA_TICKET_TTL) long.
#[derive(Clone)]
pub struct MfaTicket {
    /// The ticket. Never logged; only its digest is stored.
    pub token: String,
    /// When it lapses.
    pub expires_at: DateTime<Utc>,
}

impl std::fmt::Debug for MfaTicket {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MfaTicket").field("token", &"<redacted>").field("expires_at", &self.expires_at).finish()
    }
}

/// What a request for a sensitive change carries to prove its sender is the user: the password
/// and, when the second factor is on, a code. Either may be left out when the session gave it
/// within [`REAUTH_WINDOW`](crate::credentials::REAUTH_WINDOW).
#[derive(Clone, Copy, Default)]
pub struct Proof<'a> {
    /// The current password.
    pub password: Option<&'a str>,
    /// A TOTP code or a recovery code.
    pub code: Option<&'a str>,
}

impl std::fmt::Debug for Proof<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Proof")
            .field("password", &self.password.map(|_| "<redacted>"))
            .field("code", &self.code.map(|_| "<redacted>"))
            .finish()
    }
}

/// The mark of a user who just confirmed who they are for a sensitive change (ownership
/// transfer, closing an account): only [`Portal::confirm_sensitive`] makes one, so those use
/// cases cannot be reached without it.
#[derive(Debug)]
pub struct Confirmed {
    user: UserId,
}

impl Confirmed {
    /// Who confirmed.
    pub fn user(&self) -> UserId {
        self.user
    }
}

impl<S: Store + SessionStore, H: PasswordHasher> Portal<S, H> {
    /// Confirms that the user of `session` is who they say for a sensitive change: the password
    /// and (with the second factor on) a code, in `proof` or given to this session within
    /// [`REAUTH_WINDOW`](crate::credentials::REAUTH_WINDOW); otherwise
    /// [`DomainError::ReauthenticationRequired`]. The answer is the same whatever the change is
    /// about, so it tells nothing of accounts the user cannot see.
    pub async fn confirm_sensitive(
        &self,
        client: &ClientInfo,
        session: SessionId,
        user: UserId,
        proof: Proof<'_>,
    ) -> AuthResult<Confirmed> {
        let me = self.active_user(user).await?;
        self.confirm_identity(client, session, &me, proof).await?;
        Ok(Confirmed { user })
    }

    /// The second factor, if the core has one (deny by default).
    fn totp(&self) -> ServiceResult<&dyn SecondFactor> {
        self.second_factor.as_deref().ok_or(ServiceError::Unavailable("two-factor authentication"))
    }

    /// The ticket for a user whose password was just checked and whose second factor is on.
    pub(super) async fn mfa_ticket(&self, user: &User) -> AuthResult<MfaTicket> {
        let (token, raw) = self.issue(user, TokenPurpose::MfaTicket, self.clock.now());
        let expires_at = token.expires_at;
        self.store.commit(Changes::default().issuing(token)).await?;
        Ok(MfaTicket { token: raw, expires_at })
    }

    /// The second sign-in step: a TOTP code or a recovery code for the ticket of the password
    /// step. A ticket takes [`TICKET_ATTEMPTS`] codes, counted before any is checked (of many
    /// racing guesses no more get through), then dies; wrong codes also count per user. One
    /// answer for a wrong code and a dead ticket. Right, the ticket is used up and the session
    /// starts.
    pub async fn sign_in_second_factor(
        &self,
        client: &ClientInfo,
        ticket: &str,
        code: &str,
    ) -> AuthResult<(Login, NewSession)> {
        let digest = self.digester.digest(ticket);
        let ticket_key = key(&*self.digester, &["mfa", "ticket", digest.as_str()]);
        let within = [(ticket_key.as_str(), TICKET_ATTEMPTS)];
        if !self.store.rate_limit_hits(&within, self.clock.now(), TokenPurpose::MfaTicket.lifetime()).await? {
            return Err(AuthError::InvalidSecondFactor);
        }
        let token = self.store.token(&digest).await?.filter(|t| t.purpose == TokenPurpose::MfaTicket);
        let token = token.ok_or(AuthError::InvalidSecondFactor)?;
        let user = self.store.user(token.user).await?.ok_or(AuthError::InvalidSecondFactor)?;
        let stamp = credential_stamp(&*self.digester, &user);
        token
            .holds(TokenPurpose::MfaTicket, &user, &stamp, self.clock.now())
            .map_err(|_| AuthError::InvalidSecondFactor)?;
        user.ensure_active()?;
        self.check_second_factor(client, &user, code).await.map_err(|e| match e {
            AuthError::WrongCode => AuthError::InvalidSecondFactor,
            e => e,
        })?;
        let used = Changes { redeemed: vec![Redemption { digest, at: self.clock.now() }], ..Changes::default() };
        // A racing request with another right code may have used the ticket first.
        self.store.commit(used).await.map_err(|_| AuthError::InvalidSecondFactor)?;
        let user = self.active_user(user.id()).await?;
        self.signed_in(client, user).await
    }

    /// Checks a second factor of `me` (whose second factor is on): refused while the user has
    /// had [`MFA_FAILURES_PER_USER`] wrong codes in [`MFA_WINDOW`]; a wrong code is counted.
    async fn check_second_factor(&self, client: &ClientInfo, me: &User, code: &str) -> AuthResult<()> {
        let MfaState::On { secret, .. } = me.mfa() else { return Err(AuthError::WrongCode) };
        self.check_code(client, me, secret, code, true).await
    }

    /// Whether `code` is a TOTP code of `secret` for a step after any accepted (the step is then
    /// recorded) or, when `recovery` allows, an unspent recovery code of `me` (then spent, and
    /// the user told). Counted per user as [`Portal::check_second_factor`] says.
    async fn check_code(
        &self,
        client: &ClientInfo,
        me: &User,
        secret: &SealedSecret,
        code: &str,
        recovery: bool,
    ) -> AuthResult<()> {
        let user_key = key(&*self.digester, &["mfa", "user", &me.id().to_string()]);
        let limit = [(user_key.as_str(), MFA_FAILURES_PER_USER)];
        self.check_limits_in(&limit, MFA_WINDOW).await?;
        let code = code.trim();
        let matched = if is_totp_code(code) {
            match self.totp()?.check(me.id(), secret, code, self.clock.now())? {
                Some(step) => self.store.advance_totp_step(me.id(), step).await?,
                None => false,
            }
        } else if recovery && let Some(digest) = recovery_code_digest(&*self.digester, code) {
            self.spend_recovery_code(client, me.id(), &digest).await?
        } else {
            false
        };
        if matched {
            return Ok(());
        }
        self.store.rate_limit_hits(&limit, self.clock.now(), MFA_WINDOW).await?;
        Err(AuthError::WrongCode)
    }

    /// Spends one of the user's recovery codes, if it is one: `false` for an unknown or spent
    /// code (of two racing uses of one code, the loser's retry finds it spent).
    async fn spend_recovery_code(
        &self,
        client: &ClientInfo,
        user: UserId,
        digest: &TokenDigest,
    ) -> ServiceResult<bool> {
        self.run(|now| async move {
            let me = self.active_user(user).await?;
            let events = match me.decide(&Actor::User(user), UserCommand::UseRecoveryCode(digest.clone()), now) {
                Err(DomainError::RecoveryCodeUnknown | DomainError::MfaNotOn) => {
                    return Ok(Decided { changes: Changes::default(), value: false });
                }
                decided => made_from(decided?, client),
            };
            let (next, save) = saved(&me, events);
            let notice = SecurityNotice::RecoveryCodeUsed { left: next.recovery_codes().len() };
            let changes =
                Changes { users: vec![save], outbox: vec![security_notice(&me, notice)], ..Changes::default() };
            Ok(Decided { changes, value: true })
        })
        .await
    }

    /// Proves the sender of a sensitive change is the user of `session`: the password and (when
    /// the second factor is on) a code, each either in `proof` or given to this session within
    /// [`REAUTH_WINDOW`](crate::credentials::REAUTH_WINDOW); otherwise
    /// [`DomainError::ReauthenticationRequired`]. A full proof renews the session's window.
    pub(super) async fn confirm_identity(
        &self,
        client: &ClientInfo,
        session: SessionId,
        me: &User,
        proof: Proof<'_>,
    ) -> AuthResult<()> {
        let now = self.clock.now();
        let sessions = self.store.sessions_of(me.id(), now).await?;
        let recent =
            sessions.iter().find(|s| s.id == session).is_some_and(|s| recently_authenticated(s.authenticated_at, now));
        let needs_code = me.mfa().is_on();
        if !recent && (proof.password.is_none() || (needs_code && proof.code.is_none())) {
            return Err(DomainError::ReauthenticationRequired.into());
        }
        if let Some(password) = proof.password {
            self.check_current_password(me, password).await?;
        }
        if needs_code && let Some(code) = proof.code {
            self.check_second_factor(client, me, code).await?;
        }
        if proof.password.is_some() && (!needs_code || proof.code.is_some()) {
            self.store.reauthenticated(session, self.clock.now()).await?;
        }
        Ok(())
    }

    /// Re-authenticates the session: the password, and a code when the second factor is on, so
    /// the sensitive changes of the next [`REAUTH_WINDOW`](crate::credentials::REAUTH_WINDOW)
    /// need neither again.
    pub async fn reauthenticate(
        &self,
        client: &ClientInfo,
        session: SessionId,
        user: UserId,
        password: &str,
        code: Option<&str>,
    ) -> AuthResult<()> {
        let me = self.active_user(user).await?;
        if me.mfa().is_on() && code.is_none() {
            return Err(DomainError::ReauthenticationRequired.into());
        }
        self.confirm_identity(client, session, &me, Proof { password: Some(password), code }).await
    }

    /// Begins TOTP enrolment: a new secret, sealed and kept pending until its first code is
    /// confirmed; the secret, its URI and QR code are for this answer only.
    pub async fn start_totp(&self, client: &ClientInfo, user: UserId) -> AuthResult<Enrolment> {
        let me = self.active_user(user).await?;
        me.ensure_verified()?;
        let enrolment = self.totp()?.enrol(user, me.email())?;
        let sealed = &enrolment.sealed;
        self.run(|now| async move {
            let me = self.active_user(user).await?;
            let events = made_from(me.decide(&Actor::User(user), UserCommand::StartMfa(sealed.clone()), now)?, client);
            Ok(Decided { changes: Changes { users: vec![saved(&me, events).1], ..Changes::default() }, value: () })
        })
        .await?;
        Ok(enrolment)
    }

    /// Turns the pending second factor on with its first code (whose step is then used, so even
    /// the enrolment code works once), and returns the first recovery codes, shown this once.
    pub async fn confirm_totp(
        &self,
        client: &ClientInfo,
        session: SessionId,
        user: UserId,
        code: &str,
    ) -> AuthResult<Vec<String>> {
        let me = self.active_user(user).await?;
        let secret = match me.mfa() {
            MfaState::Pending { secret } => secret.clone(),
            MfaState::On { .. } => return Err(DomainError::MfaAlreadyOn.into()),
            MfaState::Off => return Err(DomainError::MfaNotPending.into()),
        };
        self.check_code(client, &me, &secret, code, false).await?;
        let (shown, digests) = self.recovery_codes()?;
        let (secret, digests) = (&secret, &digests);
        self.run(|now| async move {
            let me = self.active_user(user).await?;
            // Another enrolment may have replaced the secret the code was checked against.
            if !matches!(me.mfa(), MfaState::Pending { secret: pending } if pending == secret) {
                return Err(DomainError::MfaNotPending.into());
            }
            let events =
                made_from(me.decide(&Actor::User(user), UserCommand::EnableMfa(digests.clone()), now)?, client);
            let changes = Changes {
                users: vec![saved(&me, events).1],
                outbox: vec![security_notice(&me, SecurityNotice::MfaEnabled)],
                ..Changes::default()
            };
            Ok(Decided { changes, value: () })
        })
        .await?;
        self.store.reauthenticated(session, self.clock.now()).await?;
        Ok(shown)
    }

    /// Replaces the recovery codes (a sensitive change: [`Proof`]); the old set stops working.
    pub async fn renew_recovery_codes(
        &self,
        client: &ClientInfo,
        session: SessionId,
        user: UserId,
        proof: Proof<'_>,
    ) -> AuthResult<Vec<String>> {
        let me = self.active_user(user).await?;
        me.ensure_mfa_on()?;
        self.confirm_identity(client, session, &me, proof).await?;
        let (shown, digests) = self.recovery_codes()?;
        let digests = &digests;
        self.run(|now| async move {
            let me = self.active_user(user).await?;
            let command = UserCommand::RenewRecoveryCodes(digests.clone());
            let events = made_from(me.decide(&Actor::User(user), command, now)?, client);
            Ok(Decided { changes: Changes { users: vec![saved(&me, events).1], ..Changes::default() }, value: () })
        })
        .await?;
        Ok(shown)
    }

    /// Turns the second factor off: the password and a current code or recovery code are both
    /// needed, in the request itself. Open sign-in tickets end; the user is told.
    pub async fn disable_totp(
        &self,
        client: &ClientInfo,
        session: SessionId,
        user: UserId,
        password: &str,
        code: &str,
    ) -> AuthResult<()> {
        let me = self.active_user(user).await?;
        me.ensure_mfa_on()?;
        self.confirm_identity(client, session, &me, Proof { password: Some(password), code: Some(code) }).await?;
        self.mfa_off(user, Actor::User(user), Some(client), SecurityNotice::MfaDisabled).await?;
        Ok(())
    }

    /// The operator turns a user's second factor off (they lost it and proved who they are
    /// another way): recorded as the operator's, and the user is told.
    pub async fn reset_mfa(&self, user: UserId) -> ServiceResult<User> {
        self.mfa_off(user, Actor::Operator, None, SecurityNotice::MfaReset).await
    }

    /// The second factor off by `actor`, with `notice` to the user and open tickets ended.
    async fn mfa_off(
        &self,
        user: UserId,
        actor: Actor,
        client: Option<&ClientInfo>,
        notice: SecurityNotice,
    ) -> ServiceResult<User> {
        let (actor, notice) = (&actor, &notice);
        self.run(|now| async move {
            let me = self.store.user(user).await?.ok_or(DomainError::UserNotFound)?;
            let command = if *actor == Actor::Operator { UserCommand::ResetMfa } else { UserCommand::DisableMfa };
            let mut events = me.decide(actor, command, now)?;
            if let Some(client) = client {
                events = made_from(events, client);
            }
            if events.is_empty() {
                return Ok(Decided { changes: Changes::default(), value: me });
            }
            let (next, save) = saved(&me, events);
            let ended = Revocation { user, sessions: SessionsEnd::None, tokens: vec![TokenPurpose::MfaTicket] };
            let changes = Changes {
                users: vec![save],
                outbox: vec![security_notice(&me, notice.clone())],
                revocations: vec![ended],
                ..Changes::default()
            };
            Ok(Decided { changes, value: next })
        })
        .await
    }

    /// A new set of recovery codes: as shown (dashed groups) and as kept (digests).
    fn recovery_codes(&self) -> ServiceResult<(Vec<String>, Vec<TokenDigest>)> {
        let mut shown = Vec::with_capacity(RECOVERY_CODES);
        let mut digests = Vec::with_capacity(RECOVERY_CODES);
        for _ in 0..RECOVERY_CODES {
            let code = normalize_recovery_code(&self.tokens.recovery_code())
                .ok_or(ServiceError::Internal("the token generator made a malformed recovery code"))?;
            digests.push(recovery_code_digest(&*self.digester, &code).ok_or(ServiceError::Internal("recovery code"))?);
            shown.push(format_recovery_code(&code));
        }
        Ok((shown, digests))
    }
}
