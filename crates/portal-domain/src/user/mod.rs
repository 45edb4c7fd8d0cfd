//! The User aggregate: one global login identity, its preferences and its security state.

use chrono::{DateTime, Utc};

use crate::error::DomainError;
use crate::ids::UserId;
use crate::notification::NotificationPreferences;
use crate::values::{EmailAddress, PasswordHash, PersonName, PhoneNumber, SealedSecret, TokenDigest};

mod command;
mod event;

pub use command::{Registration, UserCommand, register_user};
pub use event::{UserChange, UserEvent};

/// Whether the user can sign in and act.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum UserStatus {
    /// Can sign in.
    Active,
    /// Disabled by the operator: can do nothing (rule 7).
    Disabled,
}

/// Where the user's TOTP second factor stands. The secret is sealed by the
/// [`SecondFactor`](crate::ports::SecondFactor) port; the core only keeps it and the state. The
/// last time step accepted is not here: the store advances it atomically
/// ([`SessionStore::advance_totp_step`](crate::ports::SessionStore::advance_totp_step)), so no
/// save of a stale user can move it back.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum MfaState {
    /// No second factor.
    #[default]
    Off,
    /// Enrolment started, waiting for the first code.
    Pending {
        /// The secret being enrolled, sealed.
        secret: SealedSecret,
    },
    /// Codes are required at sign-in.
    On {
        /// When it was confirmed.
        since: DateTime<Utc>,
        /// The secret, sealed.
        secret: SealedSecret,
    },
}

impl MfaState {
    /// Whether sign-in asks for a second factor.
    pub fn is_on(&self) -> bool {
        matches!(self, Self::On { .. })
    }
}

/// A login identity, existing once, globally, by email.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct User {
    pub(crate) id: UserId,
    pub(crate) email: EmailAddress,
    pub(crate) name: PersonName,
    pub(crate) phone: Option<PhoneNumber>,
    pub(crate) password: PasswordHash,
    pub(crate) email_verified_at: Option<DateTime<Utc>>,
    pub(crate) pending_email: Option<EmailAddress>,
    pub(crate) mfa: MfaState,
    pub(crate) recovery_codes: Vec<TokenDigest>,
    pub(crate) preferences: NotificationPreferences,
    pub(crate) preferences_version: u64,
    pub(crate) status: UserStatus,
    pub(crate) created_at: DateTime<Utc>,
    pub(crate) last_login_at: Option<DateTime<Utc>>,
    pub(crate) version: u64,
}

impl User {
    /// The user's id.
    pub fn id(&self) -> UserId {
        self.id
    }
    /// The login email.
    pub fn email(&self) -> &EmailAddress {
        &self.email
    }
    /// The user's name.
    pub fn name(&self) -> &PersonName {
        &self.name
    }
    /// The user's phone.
    pub fn phone(&self) -> Option<&PhoneNumber> {
        self.phone.as_ref()
    }
    /// The password hash, for the hasher only.
    pub fn password_hash(&self) -> &PasswordHash {
        &self.password
    }
    /// When the email was verified.
    pub fn email_verified_at(&self) -> Option<DateTime<Utc>> {
        self.email_verified_at
    }
    /// Whether the email is verified.
    pub fn email_verified(&self) -> bool {
        self.email_verified_at.is_some()
    }
    /// An email change waiting for verification.
    pub fn pending_email(&self) -> Option<&EmailAddress> {
        self.pending_email.as_ref()
    }
    /// The TOTP state.
    pub fn mfa(&self) -> &MfaState {
        &self.mfa
    }
    /// Digests of unused recovery codes.
    pub fn recovery_codes(&self) -> &[TokenDigest] {
        &self.recovery_codes
    }
    /// Notification preferences.
    pub fn preferences(&self) -> NotificationPreferences {
        self.preferences
    }
    /// Bumped on every change to the preferences (their ETag).
    pub fn preferences_version(&self) -> u64 {
        self.preferences_version
    }
    /// Active or disabled.
    pub fn status(&self) -> UserStatus {
        self.status
    }
    /// When the user registered.
    pub fn created_at(&self) -> DateTime<Utc> {
        self.created_at
    }
    /// The last successful sign-in.
    pub fn last_login_at(&self) -> Option<DateTime<Utc>> {
        self.last_login_at
    }
    /// The number of events applied; a save states the version it read.
    pub fn version(&self) -> u64 {
        self.version
    }
    /// Records a sign-in; not a versioned change, like account activity.
    pub fn touch_login(&mut self, at: DateTime<Utc>) {
        self.last_login_at = Some(at);
    }
    /// Rule 7: a disabled user can do nothing.
    pub fn ensure_active(&self) -> Result<(), DomainError> {
        UserStatus::may_act(Some(self.status))
    }
}

impl UserStatus {
    /// Rule 7 from a status alone (what every request reads): an active user may act, a
    /// disabled one may not, and an unknown one (`None`) is not found.
    pub fn may_act(status: Option<Self>) -> Result<(), DomainError> {
        match status {
            Some(Self::Active) => Ok(()),
            Some(Self::Disabled) => Err(DomainError::UserDisabled),
            None => Err(DomainError::UserNotFound),
        }
    }
}

/// A stored user's fields.
#[derive(Debug, Clone)]
pub struct UserParts {
    /// Id.
    pub id: UserId,
    /// Login email.
    pub email: EmailAddress,
    /// Name.
    pub name: PersonName,
    /// Phone.
    pub phone: Option<PhoneNumber>,
    /// Password hash.
    pub password: PasswordHash,
    /// When the email was verified.
    pub email_verified_at: Option<DateTime<Utc>>,
    /// Email change waiting for verification.
    pub pending_email: Option<EmailAddress>,
    /// TOTP state.
    pub mfa: MfaState,
    /// Recovery code digests.
    pub recovery_codes: Vec<TokenDigest>,
    /// Preferences.
    pub preferences: NotificationPreferences,
    /// Preferences version.
    pub preferences_version: u64,
    /// Status.
    pub status: UserStatus,
    /// Registered.
    pub created_at: DateTime<Utc>,
    /// Last sign-in.
    pub last_login_at: Option<DateTime<Utc>>,
    /// Aggregate version.
    pub version: u64,
}

impl User {
    /// A user from stored fields.
    pub fn restore(p: UserParts) -> Self {
        Self {
            id: p.id,
            email: p.email,
            name: p.name,
            phone: p.phone,
            password: p.password,
            email_verified_at: p.email_verified_at,
            pending_email: p.pending_email,
            mfa: p.mfa,
            recovery_codes: p.recovery_codes,
            preferences: p.preferences,
            preferences_version: p.preferences_version,
            status: p.status,
            created_at: p.created_at,
            last_login_at: p.last_login_at,
            version: p.version,
        }
    }
}
