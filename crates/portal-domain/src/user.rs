//! The User aggregate: one global login identity, its preferences and its security state.

use chrono::{DateTime, Utc};

use crate::actor::Actor;
use crate::error::DomainError;
use crate::ids::UserId;
use crate::notification::NotificationPreferences;
#[cfg(feature = "serde")]
use crate::serde_util::clearable;
use crate::values::{EmailAddress, PasswordHash, PersonName, PhoneNumber, TokenDigest};

/// Whether the user can sign in and act.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum UserStatus {
    /// Can sign in.
    Active,
    /// Disabled by the operator: can do nothing (rule 7).
    Disabled,
}

/// Where the user's TOTP second factor stands. The secret is opaque to the core (the adapter
/// seals it); the core only tracks the state.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum MfaState {
    /// No second factor.
    #[default]
    Off,
    /// Enrolment started, waiting for the first code.
    Pending,
    /// Codes are required at sign-in.
    On {
        /// When it was confirmed.
        since: DateTime<Utc>,
    },
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

/// A new user's registration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Registration {
    /// The new user's id.
    pub id: UserId,
    /// Login email.
    pub email: EmailAddress,
    /// Name.
    pub name: PersonName,
    /// Password hash.
    pub password: PasswordHash,
    /// Whether the email is already proven (the user came by an invite link sent to it).
    pub email_verified: bool,
}

/// Every command a user can be asked to carry out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UserCommand {
    /// Change name or phone (`None` leaves a field, `Some(None)` clears the phone).
    UpdateProfile {
        /// New name.
        name: Option<PersonName>,
        /// New phone, or cleared.
        phone: Option<Option<PhoneNumber>>,
    },
    /// Replace the notification preferences.
    SetPreferences(NotificationPreferences),
    /// Mark the email as verified (the user proved they receive mail there).
    VerifyEmail,
    /// Store a new password hash.
    ChangePassword(PasswordHash),
    /// Disable the user everywhere (operator only).
    Disable,
}

/// What happened to a user.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum UserChange {
    /// The user registered.
    Registered {
        /// Login email.
        email: EmailAddress,
        /// Name.
        name: PersonName,
        /// Password hash (never shown by the API).
        password: PasswordHash,
        /// Whether the email was proven at registration.
        email_verified: bool,
    },
    /// Name or phone changed.
    ProfileUpdated {
        /// New name.
        name: Option<PersonName>,
        /// New phone, or cleared.
        #[cfg_attr(feature = "serde", serde(default, skip_serializing_if = "Option::is_none", with = "clearable"))]
        phone: Option<Option<PhoneNumber>>,
    },
    /// Preferences replaced.
    PreferencesSet {
        /// The new preferences.
        preferences: NotificationPreferences,
    },
    /// The email was verified.
    EmailVerified,
    /// The password changed.
    PasswordChanged {
        /// The new hash.
        password: PasswordHash,
    },
    /// The user was disabled.
    Disabled,
}

impl UserChange {
    /// A stable name for the kind of change.
    pub const fn kind(&self) -> &'static str {
        match self {
            Self::Registered { .. } => "user.registered",
            Self::ProfileUpdated { .. } => "user.profile_updated",
            Self::PreferencesSet { .. } => "user.preferences_set",
            Self::EmailVerified => "user.email_verified",
            Self::PasswordChanged { .. } => "user.password_changed",
            Self::Disabled => "user.disabled",
        }
    }
}

/// One change to one user.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct UserEvent {
    /// The user.
    pub user: UserId,
    /// Who did it.
    pub actor: Actor,
    /// When.
    pub at: DateTime<Utc>,
    /// What changed.
    pub change: UserChange,
}

/// Registers a new user (the store refuses a taken email with [`DomainError::EmailTaken`]).
pub fn register_user(registration: Registration, now: DateTime<Utc>) -> UserEvent {
    let Registration { id, email, name, password, email_verified } = registration;
    UserEvent {
        user: id,
        actor: Actor::User(id),
        at: now,
        change: UserChange::Registered { email, name, password, email_verified },
    }
}

impl User {
    /// Builds the user from its first event; `None` if it is not `Registered`.
    pub fn from_registered(event: &UserEvent) -> Option<Self> {
        let UserChange::Registered { email, name, password, email_verified } = &event.change else {
            return None;
        };
        Some(Self {
            id: event.user,
            email: email.clone(),
            name: name.clone(),
            phone: None,
            password: password.clone(),
            email_verified_at: email_verified.then_some(event.at),
            pending_email: None,
            mfa: MfaState::Off,
            recovery_codes: Vec::new(),
            preferences: NotificationPreferences::default(),
            preferences_version: 1,
            status: UserStatus::Active,
            created_at: event.at,
            last_login_at: None,
            version: 1,
        })
    }

    /// Decides a command on this user.
    pub fn decide(
        &self,
        actor: &Actor,
        command: UserCommand,
        now: DateTime<Utc>,
    ) -> Result<Vec<UserEvent>, DomainError> {
        let change = match command {
            UserCommand::Disable => {
                if *actor != Actor::Operator {
                    return Err(if actor.user() == Some(self.id) {
                        DomainError::OperatorOnly
                    } else {
                        DomainError::UserNotFound
                    });
                }
                if self.status == UserStatus::Disabled {
                    return Ok(vec![]);
                }
                UserChange::Disabled
            }
            other => {
                // Only the user changes their own profile; anyone else cannot see it.
                if actor.user() != Some(self.id) {
                    return Err(DomainError::UserNotFound);
                }
                self.ensure_active()?;
                match other {
                    UserCommand::UpdateProfile { name, phone } => {
                        let name = name.filter(|n| *n != self.name);
                        let phone = phone.filter(|p| *p != self.phone);
                        if name.is_none() && phone.is_none() {
                            return Ok(vec![]);
                        }
                        UserChange::ProfileUpdated { name, phone }
                    }
                    UserCommand::SetPreferences(preferences) => {
                        if preferences == self.preferences {
                            return Ok(vec![]);
                        }
                        UserChange::PreferencesSet { preferences }
                    }
                    UserCommand::VerifyEmail => {
                        if self.email_verified() {
                            return Ok(vec![]);
                        }
                        UserChange::EmailVerified
                    }
                    UserCommand::ChangePassword(password) => UserChange::PasswordChanged { password },
                    UserCommand::Disable => UserChange::Disabled,
                }
            }
        };
        Ok(vec![UserEvent { user: self.id, actor: *actor, at: now, change }])
    }

    /// Folds one event into the state.
    pub fn apply(&mut self, event: &UserEvent) {
        self.version += 1;
        match &event.change {
            UserChange::Registered { .. } => {}
            UserChange::ProfileUpdated { name, phone } => {
                if let Some(n) = name {
                    self.name = n.clone();
                }
                if let Some(p) = phone {
                    self.phone = p.clone();
                }
            }
            UserChange::PreferencesSet { preferences } => {
                self.preferences = *preferences;
                self.preferences_version += 1;
            }
            UserChange::EmailVerified => self.email_verified_at = Some(event.at),
            UserChange::PasswordChanged { password } => self.password = password.clone(),
            UserChange::Disabled => self.status = UserStatus::Disabled,
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
