//! What happens to a user, how it folds into the state, and the form a change is kept in the
//! history: who, when, from which client, never a secret.

use chrono::{DateTime, Utc};

use super::{MfaState, User, UserStatus};
use crate::actor::Actor;
use crate::ids::UserId;
use crate::notification::NotificationPreferences;
#[cfg(feature = "serde")]
use crate::serde_util::clearable;
use crate::values::{ClientInfo, EmailAddress, PasswordHash, PersonName, PhoneNumber, SealedSecret, TokenDigest};

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
        /// Password hash (blank in the history: [`UserEvent::for_history`]).
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
    /// The password changed, the old one given.
    PasswordChanged {
        /// The new hash (blank in the history).
        password: PasswordHash,
    },
    /// The password was set from a reset link.
    PasswordReset {
        /// The new hash (blank in the history).
        password: PasswordHash,
    },
    /// A move to a new address was asked for; it waits for the link mailed there.
    EmailChangeRequested {
        /// The address asked for.
        to: EmailAddress,
    },
    /// The login moved to a new, proven address.
    EmailChanged {
        /// The address it had.
        from: EmailAddress,
        /// The address it has.
        to: EmailAddress,
    },
    /// Someone who proved the address (or registered it after an unverified registration lapsed)
    /// took the record over: a new name and password, and the old holder's sessions end.
    TakenOver {
        /// The new name.
        name: PersonName,
        /// The new hash (blank in the history).
        password: PasswordHash,
        /// Whether the address was proven in doing so (an invite link).
        email_verified: bool,
    },
    /// TOTP enrolment began with a new secret (replacing one still pending).
    MfaEnrolmentStarted {
        /// The secret, sealed (blank in the history).
        secret: SealedSecret,
    },
    /// The first code matched: the second factor is on, with a first set of recovery codes.
    MfaEnabled {
        /// The recovery codes' digests (blank in the history).
        recovery_codes: Vec<TokenDigest>,
    },
    /// A new set of recovery codes replaced the old one.
    RecoveryCodesRenewed {
        /// The new codes' digests (blank in the history).
        recovery_codes: Vec<TokenDigest>,
    },
    /// A recovery code stood in for a TOTP code, and is spent.
    RecoveryCodeUsed {
        /// The spent code's digest (blank in the history).
        code: TokenDigest,
    },
    /// The user turned the second factor off (or dropped an enrolment).
    MfaDisabled,
    /// The operator turned the user's second factor off (the user lost it).
    MfaReset,
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
            Self::PasswordReset { .. } => "user.password_reset",
            Self::EmailChangeRequested { .. } => "user.email_change_requested",
            Self::EmailChanged { .. } => "user.email_changed",
            Self::TakenOver { .. } => "user.taken_over",
            Self::MfaEnrolmentStarted { .. } => "user.mfa_enrolment_started",
            Self::MfaEnabled { .. } => "user.mfa_enabled",
            Self::RecoveryCodesRenewed { .. } => "user.recovery_codes_renewed",
            Self::RecoveryCodeUsed { .. } => "user.recovery_code_used",
            Self::MfaDisabled => "user.mfa_disabled",
            Self::MfaReset => "user.mfa_reset",
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
    /// From where, when a request made it.
    #[cfg_attr(feature = "serde", serde(default, skip_serializing_if = "Option::is_none"))]
    pub client: Option<ClientInfo>,
}

impl UserEvent {
    /// The event as the history keeps it: every password hash, sealed secret and digest blanked
    /// (a set of recovery codes keeps only its size). The state holds them; the history says
    /// only that they changed, so no reader of events ever sees one.
    pub fn for_history(&self) -> Self {
        let mut kept = self.clone();
        match &mut kept.change {
            UserChange::Registered { password, .. }
            | UserChange::PasswordChanged { password }
            | UserChange::PasswordReset { password }
            | UserChange::TakenOver { password, .. } => *password = PasswordHash::redacted(),
            UserChange::MfaEnrolmentStarted { secret } => *secret = SealedSecret::redacted(),
            UserChange::MfaEnabled { recovery_codes } | UserChange::RecoveryCodesRenewed { recovery_codes } => {
                recovery_codes.iter_mut().for_each(|c| *c = TokenDigest::redacted());
            }
            UserChange::RecoveryCodeUsed { code } => *code = TokenDigest::redacted(),
            _ => {}
        }
        kept
    }

    /// The event, made from `client`.
    pub fn from_client(mut self, client: &ClientInfo) -> Self {
        self.client = Some(client.clone());
        self
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
            UserChange::PasswordChanged { password } | UserChange::PasswordReset { password } => {
                self.password = password.clone();
            }
            UserChange::EmailChangeRequested { to } => self.pending_email = Some(to.clone()),
            UserChange::EmailChanged { to, .. } => {
                self.email = to.clone();
                self.pending_email = None;
                self.email_verified_at = Some(event.at);
            }
            UserChange::TakenOver { name, password, email_verified } => {
                self.name = name.clone();
                self.password = password.clone();
                self.phone = None;
                self.pending_email = None;
                self.email_verified_at = email_verified.then_some(event.at);
                // Nothing the squatter set stays: not a second factor they enrolled, not their choices.
                self.mfa = MfaState::Off;
                self.recovery_codes.clear();
                self.preferences = NotificationPreferences::default();
                self.preferences_version += 1;
                // The squatter's registration counts as made now: its 7 days start again.
                self.created_at = event.at;
            }
            UserChange::MfaEnrolmentStarted { secret } => self.mfa = MfaState::Pending { secret: secret.clone() },
            UserChange::MfaEnabled { recovery_codes } => {
                if let MfaState::Pending { secret } = &self.mfa {
                    self.mfa = MfaState::On { since: event.at, secret: secret.clone() };
                }
                self.recovery_codes = recovery_codes.clone();
            }
            UserChange::RecoveryCodesRenewed { recovery_codes } => self.recovery_codes = recovery_codes.clone(),
            UserChange::RecoveryCodeUsed { code } => self.recovery_codes.retain(|c| c != code),
            UserChange::MfaDisabled | UserChange::MfaReset => {
                self.mfa = MfaState::Off;
                self.recovery_codes.clear();
            }
            UserChange::Disabled => self.status = UserStatus::Disabled,
        }
    }
}
