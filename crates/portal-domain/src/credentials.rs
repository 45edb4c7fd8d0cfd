//! One-time links and what ends them: email verification, password reset, email change and the
//! second-factor ticket, each a random token stored only as its digest, bound to its user and to
//! what it was issued over (the address it was sent to, or the password it may replace), single
//! use, expiring, and superseded by a newer one of its kind.

use chrono::{DateTime, Duration, Utc};

use crate::ids::{SessionId, UserId};
use crate::ports::TokenDigester;
use crate::user::User;
use crate::values::{EmailAddress, TokenDigest};

/// How long a verification link lives.
pub const VERIFY_EMAIL_TTL: Duration = Duration::hours(24);
/// How long a password-reset link lives.
pub const PASSWORD_RESET_TTL: Duration = Duration::minutes(30);
/// How long an email-change confirmation link lives.
pub const EMAIL_CHANGE_TTL: Duration = Duration::hours(24);
/// How long the ticket between the password step and the second factor lives.
pub const MFA_TICKET_TTL: Duration = Duration::minutes(5);
/// How long the "this was not me" link of a new-sign-in notice lives.
pub const END_SESSION_TTL: Duration = Duration::days(7);
/// An unverified registration holds its address this long; after it, a new registration of the
/// address takes the record over.
pub const UNVERIFIED_HOLD: Duration = Duration::days(7);
/// How recently the password (and second factor) must have been given for a sensitive change.
pub const REAUTH_WINDOW: Duration = Duration::minutes(10);
/// A sign-in from a client (address and user agent) not seen for the user this long is told to
/// them, with a link that ends the session.
pub const KNOWN_CLIENT_FOR: Duration = Duration::days(90);
/// Mails about an address's password (reset links, "you already have an account") per hour.
pub const RESET_MAILS_PER_ADDRESS: u32 = 3;
/// The window [`RESET_MAILS_PER_ADDRESS`] counts in.
pub const RESET_MAIL_WINDOW: Duration = Duration::hours(1);

/// What a one-time token is for. A token of one purpose never acts as another.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TokenPurpose {
    /// Proves the user receives mail at their address.
    VerifyEmail,
    /// Sets a new password without the old one.
    PasswordReset,
    /// Proves the user receives mail at the new address they asked for.
    EmailChange,
    /// The second sign-in step, after the password.
    MfaTicket,
    /// Ends one session from the new-sign-in notice.
    EndSession,
}

impl TokenPurpose {
    /// Every purpose.
    pub const ALL: [Self; 5] =
        [Self::VerifyEmail, Self::PasswordReset, Self::EmailChange, Self::MfaTicket, Self::EndSession];

    /// How long a token of this purpose lives.
    pub const fn lifetime(self) -> Duration {
        match self {
            Self::VerifyEmail => VERIFY_EMAIL_TTL,
            Self::PasswordReset => PASSWORD_RESET_TTL,
            Self::EmailChange => EMAIL_CHANGE_TTL,
            Self::MfaTicket => MFA_TICKET_TTL,
            Self::EndSession => END_SESSION_TTL,
        }
    }

    /// Whether a new token of this purpose ends the user's older ones (a user has one live reset
    /// link, not one per request; tickets and end-session links stand alone).
    pub const fn supersedes(self) -> bool {
        matches!(self, Self::VerifyEmail | Self::PasswordReset | Self::EmailChange)
    }

    /// The stored name.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::VerifyEmail => "verify_email",
            Self::PasswordReset => "password_reset",
            Self::EmailChange => "email_change",
            Self::MfaTicket => "mfa_ticket",
            Self::EndSession => "end_session",
        }
    }

    /// The purpose of a stored name.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|p| p.as_str() == s)
    }
}

/// What a token was issued over, beyond its user: once that changes, the token is void.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Binding {
    /// The address the link was sent to (verification, email change).
    Address(EmailAddress),
    /// A stamp of the user's address and password when it was issued ([`credential_stamp`]):
    /// a reset link or a ticket dies with a password or email change.
    Credentials(TokenDigest),
    /// The session the link ends.
    Session(SessionId),
}

/// A one-time token as stored: never the token, only its digest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserToken {
    /// The digest of the token.
    pub digest: TokenDigest,
    /// Whose it is.
    pub user: UserId,
    /// What it is for.
    pub purpose: TokenPurpose,
    /// What it was issued over.
    pub binding: Binding,
    /// When it was issued.
    pub created_at: DateTime<Utc>,
    /// When it stops working.
    pub expires_at: DateTime<Utc>,
}

/// Why a token does not act: one answer for all, so a caller learns nothing from it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the link is not valid (it may have expired or been used)")]
pub struct InvalidToken;

/// The stamp a reset link or a ticket is bound to: the digest of the user's address and password
/// hash, so either changing voids it without a write to every token.
pub fn credential_stamp(digester: &(impl TokenDigester + ?Sized), user: &User) -> TokenDigest {
    digester.digest(&format!("stamp\u{1f}{}\u{1f}{}", user.email().normalized(), user.password_hash().as_str()))
}

impl UserToken {
    /// A new token of `purpose` for `user` over `binding`, issued at `now`.
    pub fn issue(
        digest: TokenDigest,
        user: UserId,
        purpose: TokenPurpose,
        binding: Binding,
        now: DateTime<Utc>,
    ) -> Self {
        Self { digest, user, purpose, binding, created_at: now, expires_at: now + purpose.lifetime() }
    }

    /// What storing this token ends: the user's older tokens of its purpose, when it supersedes them.
    pub fn superseding(&self) -> Option<Revocation> {
        self.purpose.supersedes().then(|| Revocation {
            user: self.user,
            sessions: SessionsEnd::None,
            tokens: vec![self.purpose],
        })
    }

    /// Whether it acts at `now` as `purpose` for `user` as the user stands (`stamp` is
    /// [`credential_stamp`] of them): the right purpose, not expired, the user's own, and what
    /// it was bound to unchanged. Single use is the store's part ([`crate::ports::Changes::redeemed`]).
    pub fn holds(
        &self,
        purpose: TokenPurpose,
        user: &User,
        stamp: &TokenDigest,
        now: DateTime<Utc>,
    ) -> Result<(), InvalidToken> {
        let bound = match &self.binding {
            Binding::Address(address) => match purpose {
                // A verification link proves the address the user still has.
                TokenPurpose::VerifyEmail => address == user.email(),
                // An email-change link proves the address the user still asks for.
                _ => user.pending_email() == Some(address),
            },
            Binding::Credentials(at_issue) => at_issue == stamp,
            Binding::Session(_) => true,
        };
        let valid = self.purpose == purpose && self.user == user.id() && now < self.expires_at && bound;
        if valid { Ok(()) } else { Err(InvalidToken) }
    }
}

/// A one-time token used up by a change, at the change's time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Redemption {
    /// The token's digest.
    pub digest: TokenDigest,
    /// When it was used.
    pub at: DateTime<Utc>,
}

/// What a change ends beside itself: the user's sessions (all, or all but the one that made the
/// change) and their open links of some purposes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Revocation {
    /// Whose.
    pub user: UserId,
    /// Which sessions end.
    pub sessions: SessionsEnd,
    /// Which kinds of open link end.
    pub tokens: Vec<TokenPurpose>,
}

/// Which of a user's sessions a change ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionsEnd {
    /// None.
    None,
    /// Every one (a password reset: whoever had the old password is out).
    All,
    /// Every one but this (a password change keeps the session that made it).
    AllBut(SessionId),
}

impl Revocation {
    /// What a new password ends: every open reset link, ticket and email-change link (the
    /// email-change notice tells the old address that a password change undoes the request), and
    /// the sessions `sessions` names (Keycloak #8920, Kratos #3513: no session survives a reset).
    pub fn new_password(user: UserId, sessions: SessionsEnd) -> Self {
        Self {
            user,
            sessions,
            tokens: vec![TokenPurpose::PasswordReset, TokenPurpose::MfaTicket, TokenPurpose::EmailChange],
        }
    }

    /// What a takeover ends: everything the old holder of the record had.
    pub fn taken_over(user: UserId) -> Self {
        Self { user, sessions: SessionsEnd::All, tokens: TokenPurpose::ALL.to_vec() }
    }

    /// What a new address ends: the links mailed to the old one (KEYCLOAK-15170).
    pub fn new_address(user: UserId) -> Self {
        Self {
            user,
            sessions: SessionsEnd::None,
            tokens: vec![TokenPurpose::PasswordReset, TokenPurpose::VerifyEmail, TokenPurpose::EmailChange],
        }
    }
}

/// The key a client is remembered under for its user: a digest of its address and user agent,
/// so the store keeps neither.
pub fn client_key(digester: &(impl TokenDigester + ?Sized), client: &crate::values::ClientInfo) -> TokenDigest {
    digester.digest(&format!("client\u{1f}{}\u{1f}{}", client.address(), client.user_agent()))
}

/// Whether a sign-in from a client last seen at `last_seen` (`None`: never) is news to its user
/// at `now`: a client unseen for [`KNOWN_CLIENT_FOR`] is.
pub fn is_new_client(last_seen: Option<DateTime<Utc>>, now: DateTime<Utc>) -> bool {
    last_seen.is_none_or(|seen| now - seen > KNOWN_CLIENT_FOR)
}

/// Whether the password (and second factor) given at `authenticated_at` is recent enough at
/// `now` for a sensitive change.
pub fn recently_authenticated(authenticated_at: DateTime<Utc>, now: DateTime<Utc>) -> bool {
    now - authenticated_at <= REAUTH_WINDOW
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_purpose_parses_back_from_its_name() {
        for p in TokenPurpose::ALL {
            assert_eq!(TokenPurpose::parse(p.as_str()), Some(p));
        }
        assert_eq!(TokenPurpose::parse("session"), None);
    }

    #[test]
    fn a_client_unseen_for_ninety_days_is_new_again() {
        let t0 = DateTime::<Utc>::UNIX_EPOCH;
        assert!(is_new_client(None, t0));
        assert!(!is_new_client(Some(t0), t0 + KNOWN_CLIENT_FOR));
        assert!(is_new_client(Some(t0), t0 + KNOWN_CLIENT_FOR + Duration::seconds(1)));
    }

    #[test]
    fn reauthentication_lapses_after_ten_minutes() {
        let t0 = DateTime::<Utc>::UNIX_EPOCH;
        assert!(recently_authenticated(t0, t0 + REAUTH_WINDOW));
        assert!(!recently_authenticated(t0, t0 + REAUTH_WINDOW + Duration::seconds(1)));
    }
}
