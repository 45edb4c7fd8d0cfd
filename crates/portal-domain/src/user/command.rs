//! What a user can be asked to do, and the decision: who may, and what it changes.

use chrono::{DateTime, Utc};

use super::{MfaState, User, UserChange, UserEvent, UserStatus};
use crate::actor::Actor;
use crate::credentials::UNVERIFIED_HOLD;
use crate::error::DomainError;
use crate::ids::UserId;
use crate::notification::NotificationPreferences;
use crate::values::{EmailAddress, PasswordHash, PersonName, PhoneNumber, SealedSecret, TokenDigest};

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
    /// Store a new password hash (the old password was checked).
    ChangePassword(PasswordHash),
    /// Store a new password hash from a reset link (the link proved the address).
    ResetPassword(PasswordHash),
    /// Ask to move the login to `to`; it moves when the link mailed there is followed.
    RequestEmailChange(EmailAddress),
    /// The link mailed to the pending address was followed.
    ConfirmEmailChange,
    /// Take over an unverified registration of this address: by whoever proved the address
    /// (`proven`: an invite link), or by a new registration once [`UNVERIFIED_HOLD`] has passed.
    TakeOver {
        /// The new holder's name.
        name: PersonName,
        /// The new holder's password hash.
        password: PasswordHash,
        /// Whether the address was proven in doing so.
        proven: bool,
    },
    /// Begin TOTP enrolment with a new sealed secret (again: the new secret replaces a pending one).
    StartMfa(SealedSecret),
    /// Turn the pending second factor on (its first code matched), with the recovery codes' digests.
    EnableMfa(Vec<TokenDigest>),
    /// Replace the recovery codes.
    RenewRecoveryCodes(Vec<TokenDigest>),
    /// Spend one recovery code (it was given in place of a TOTP code).
    UseRecoveryCode(TokenDigest),
    /// Turn the second factor off (the password and a code were given).
    DisableMfa,
    /// Turn the second factor off for a user who lost it (operator only).
    ResetMfa,
    /// Disable the user everywhere (operator only).
    Disable,
}

/// Registers a new user (the store refuses a taken email with [`DomainError::EmailTaken`]).
pub fn register_user(registration: Registration, now: DateTime<Utc>) -> UserEvent {
    let Registration { id, email, name, password, email_verified } = registration;
    UserEvent {
        user: id,
        actor: Actor::User(id),
        at: now,
        change: UserChange::Registered { email, name, password, email_verified },
        client: None,
    }
}

impl User {
    /// Whether a registration of this user's address may take this record over at `now`: only
    /// an unverified, active one, and (unless the taker proved the address) only once it has
    /// waited [`UNVERIFIED_HOLD`] for its owner to confirm.
    pub fn may_be_taken_over(&self, proven: bool, now: DateTime<Utc>) -> bool {
        self.status == UserStatus::Active
            && !self.email_verified()
            && (proven || now >= self.created_at + UNVERIFIED_HOLD)
    }

    /// An unverified user may sign in and manage their own accounts, but neither sees invites
    /// nor sends them: an address nobody proved must not receive or hand out access.
    pub fn ensure_verified(&self) -> Result<(), DomainError> {
        if self.email_verified() { Ok(()) } else { Err(DomainError::EmailNotVerified) }
    }

    /// Only a user whose second factor is on has recovery codes to renew or spend.
    pub fn ensure_mfa_on(&self) -> Result<(), DomainError> {
        if self.mfa.is_on() { Ok(()) } else { Err(DomainError::MfaNotOn) }
    }

    /// Decides a command on this user.
    pub fn decide(
        &self,
        actor: &Actor,
        command: UserCommand,
        now: DateTime<Utc>,
    ) -> Result<Vec<UserEvent>, DomainError> {
        let change = match command {
            UserCommand::Disable | UserCommand::ResetMfa => {
                if *actor != Actor::Operator {
                    return Err(if actor.user() == Some(self.id) {
                        DomainError::OperatorOnly
                    } else {
                        DomainError::UserNotFound
                    });
                }
                match command {
                    UserCommand::Disable if self.status == UserStatus::Disabled => return Ok(vec![]),
                    UserCommand::Disable => UserChange::Disabled,
                    _ if self.mfa == MfaState::Off => return Ok(vec![]),
                    _ => UserChange::MfaReset,
                }
            }
            UserCommand::TakeOver { name, password, proven } => {
                // The taker is whoever holds the address; the record's holder so far is not.
                if !self.may_be_taken_over(proven, now) {
                    return Err(DomainError::EmailTaken);
                }
                UserChange::TakenOver { name, password, email_verified: proven }
            }
            other => {
                // Only the user changes their own profile; anyone else cannot see it.
                if actor.user() != Some(self.id) {
                    return Err(DomainError::UserNotFound);
                }
                self.ensure_active()?;
                match self.own_change(other)? {
                    Some(change) => change,
                    None => return Ok(vec![]),
                }
            }
        };
        Ok(vec![UserEvent { user: self.id, actor: *actor, at: now, change, client: None }])
    }

    /// The change a user's own command makes, `None` when it changes nothing.
    fn own_change(&self, command: UserCommand) -> Result<Option<UserChange>, DomainError> {
        Ok(match command {
            UserCommand::UpdateProfile { name, phone } => {
                let name = name.filter(|n| *n != self.name);
                let phone = phone.filter(|p| *p != self.phone);
                (name.is_some() || phone.is_some()).then_some(UserChange::ProfileUpdated { name, phone })
            }
            UserCommand::SetPreferences(preferences) => {
                (preferences != self.preferences).then_some(UserChange::PreferencesSet { preferences })
            }
            UserCommand::VerifyEmail => (!self.email_verified()).then_some(UserChange::EmailVerified),
            UserCommand::ChangePassword(password) => Some(UserChange::PasswordChanged { password }),
            UserCommand::ResetPassword(password) => Some(UserChange::PasswordReset { password }),
            UserCommand::RequestEmailChange(to) => {
                if to == self.email {
                    return Err(DomainError::SameEmail);
                }
                Some(UserChange::EmailChangeRequested { to })
            }
            UserCommand::ConfirmEmailChange => {
                let Some(to) = self.pending_email.clone() else { return Err(DomainError::UserNotFound) };
                Some(UserChange::EmailChanged { from: self.email.clone(), to })
            }
            UserCommand::StartMfa(secret) => {
                if self.mfa.is_on() {
                    return Err(DomainError::MfaAlreadyOn);
                }
                Some(UserChange::MfaEnrolmentStarted { secret })
            }
            UserCommand::EnableMfa(recovery_codes) => match self.mfa {
                MfaState::Pending { .. } => Some(UserChange::MfaEnabled { recovery_codes }),
                MfaState::On { .. } => return Err(DomainError::MfaAlreadyOn),
                MfaState::Off => return Err(DomainError::MfaNotPending),
            },
            UserCommand::RenewRecoveryCodes(recovery_codes) => {
                self.ensure_mfa_on()?;
                Some(UserChange::RecoveryCodesRenewed { recovery_codes })
            }
            UserCommand::UseRecoveryCode(code) => {
                self.ensure_mfa_on()?;
                // A spent or unknown code: the caller answers it as any wrong second factor.
                if !self.recovery_codes.contains(&code) {
                    return Err(DomainError::RecoveryCodeUnknown);
                }
                Some(UserChange::RecoveryCodeUsed { code })
            }
            UserCommand::DisableMfa => (self.mfa != MfaState::Off).then_some(UserChange::MfaDisabled),
            // Decided in `decide`, never as the user's own.
            UserCommand::Disable | UserCommand::ResetMfa | UserCommand::TakeOver { .. } => None,
        })
    }
}
