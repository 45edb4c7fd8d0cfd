//! The one error every decision returns, each variant tied to the rule that stopped the command.

use std::fmt;

use crate::invite_status::InviteStatus;
use crate::notification::PreferencesError;
use crate::permission::{Permission, PermissionSet};

/// A rule of DESIGN.md §1, by number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Rule {
    /// 1. Exactly one owner, who holds every permission.
    OneOwner = 1,
    /// 2. Deny by default: every action names the permission it needs.
    DenyByDefault = 2,
    /// 3. No escalation: grant only what you hold; only the owner grants the master profile.
    NoEscalation = 3,
    /// 4. Edit or remove only a non-owner who holds nothing you lack.
    ProtectedMembers = 4,
    /// 5. The owner stays until ownership is transferred.
    OwnerStays = 5,
    /// 6. Invites are single-use, expiring, bound to their email, one pending per email.
    Invites = 6,
    /// 7. Removal, cancellation, disabling and closing take effect on the next request.
    ImmediateEffect = 7,
    /// 8. A notice always reaches someone, once per address, with a reason.
    NoticeNeverLost = 8,
}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "rule {}", *self as u8)
    }
}

/// Why a command was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DomainError {
    /// The account does not exist or the actor cannot see it (not a member, or no longer one).
    #[error("account not found")]
    AccountNotFound,
    /// No such member in the account.
    #[error("member not found")]
    MemberNotFound,
    /// No such invite in the account, or the link is not (or no longer) valid.
    #[error("invite not found")]
    InviteNotFound,
    /// No such contact in the account.
    #[error("contact not found")]
    ContactNotFound,
    /// No such session among the user's own.
    #[error("session not found")]
    SessionNotFound,
    /// No such user, or not one the actor may act on.
    #[error("user not found")]
    UserNotFound,

    /// Rule 2: the actor lacks the permission the action needs.
    #[error("this needs the {0} permission")]
    MissingPermission(Permission),
    /// Rule 2: only the account owner may do this.
    #[error("only the account owner can do this")]
    OwnerOnly,
    /// Rule 2: only the provider's operator may do this.
    #[error("only the provider's operator can do this")]
    OperatorOnly,
    /// Rule 7: the account is closed; nothing more can change in it.
    #[error("the account is closed")]
    AccountClosed,
    /// Rule 7: the user is disabled and can do nothing.
    #[error("the user is disabled")]
    UserDisabled,

    /// Rule 3: the actor tried to grant permissions it does not hold.
    #[error("you cannot grant permissions you do not hold: {missing:?}")]
    Escalation {
        /// The permissions granted that the actor lacks.
        missing: PermissionSet,
    },
    /// Rule 3: only the owner grants `account.profile.manage`.
    #[error("only the account owner can grant account.profile.manage")]
    OnlyOwnerGrantsProfile,
    /// Rule 3: the member who sent the invite no longer holds what it grants (or has left), so
    /// accepting it would grant permissions nobody backs.
    #[error("the person who invited you no longer holds these permissions; ask for a new invite")]
    InviteNoLongerBacked,
    /// Rule 3: nobody edits or removes themselves through member management.
    #[error("you cannot change your own access; ask another administrator, or leave the account")]
    SelfEdit,

    /// Rule 4: the owner cannot be edited or removed.
    #[error("the account owner cannot be edited or removed")]
    TargetIsOwner,
    /// Rule 4: the member holds permissions the actor lacks.
    #[error("this member holds permissions you lack: {missing:?}")]
    TargetOutranksActor {
        /// The member's permissions that the actor lacks.
        missing: PermissionSet,
    },

    /// Rule 5: the owner cannot leave; transfer ownership first.
    #[error("the owner cannot leave the account; transfer ownership first")]
    OwnerCannotLeave,
    /// Rule 5: ownership moves only to another current member.
    #[error("ownership can only move to another current member")]
    InvalidNewOwner,

    /// Rule 6: the invite was accepted, declined or cancelled already.
    #[error("the invite is no longer pending ({0})")]
    InviteNotPending(InviteStatus),
    /// Rule 6: the invite has expired; it can be re-sent.
    #[error("the invite has expired; ask for it to be re-sent")]
    InviteExpired,
    /// Rule 6: the invite was made for another email address.
    #[error("the invite was sent to another email address")]
    InviteEmailMismatch,
    /// Rule 6: the accepting user's email is not verified.
    #[error("verify your email address before accepting an invite")]
    EmailNotVerified,
    /// Rule 6: the person is already a member of the account.
    #[error("this person is already a member of the account")]
    AlreadyMember,
    /// Rule 6: an invite is already pending for this email; re-send it instead.
    #[error("an invite is already pending for this email address; re-send it instead")]
    InviteAlreadyPending,

    /// An email change to the address the user has already.
    #[error("that is your email address already")]
    SameEmail,
    /// A user with this email address exists already.
    #[error("a user with this email address exists already")]
    EmailTaken,
    /// The second factor is on already; turn it off first to enrol a new one.
    #[error("two-factor authentication is on already")]
    MfaAlreadyOn,
    /// There is no enrolment to confirm; start one first.
    #[error("start two-factor enrolment first")]
    MfaNotPending,
    /// The second factor is off.
    #[error("two-factor authentication is off")]
    MfaNotOn,
    /// The recovery code is not one of the user's unspent codes.
    #[error("the code is wrong")]
    RecoveryCodeUnknown,
    /// A sensitive change needs the password (and the second factor, when on) given within the
    /// last [`REAUTH_WINDOW`](crate::credentials::REAUTH_WINDOW) or in the request itself.
    #[error("confirm your password (and two-factor code) to do this")]
    ReauthenticationRequired,
    /// Another contact of the account has this email address.
    #[error("a contact with this email address exists already")]
    ContactEmailTaken,
    /// A review cannot both confirm and remove the same member.
    #[error("member {0} is both confirmed and removed")]
    ConfirmedAndRemoved(crate::ids::UserId),
    /// The access end date of an invite is outside its window.
    #[error(transparent)]
    InviteEndDate(crate::values::EndDateError),
    /// The end date of a membership is outside its window.
    #[error(transparent)]
    MemberEndDate(crate::values::EndDateError),
    /// The notification preferences are not acceptable.
    #[error(transparent)]
    Preferences(#[from] PreferencesError),
}

impl DomainError {
    /// The rule of DESIGN.md that refused the command, where one did.
    pub const fn rule(&self) -> Option<Rule> {
        use DomainError::*;
        match self {
            AccountNotFound | MemberNotFound | InviteNotFound | ContactNotFound | UserNotFound | SessionNotFound => {
                None
            }
            MissingPermission(_) | OwnerOnly | OperatorOnly => Some(Rule::DenyByDefault),
            AccountClosed | UserDisabled => Some(Rule::ImmediateEffect),
            Escalation { .. } | OnlyOwnerGrantsProfile | InviteNoLongerBacked | SelfEdit => Some(Rule::NoEscalation),
            TargetIsOwner | TargetOutranksActor { .. } => Some(Rule::ProtectedMembers),
            OwnerCannotLeave | InvalidNewOwner => Some(Rule::OwnerStays),
            InviteNotPending(_) | InviteExpired | InviteEmailMismatch | EmailNotVerified | AlreadyMember
            | InviteAlreadyPending => Some(Rule::Invites),
            ReauthenticationRequired => Some(Rule::DenyByDefault),
            EmailTaken
            | MfaAlreadyOn
            | MfaNotPending
            | MfaNotOn
            | RecoveryCodeUnknown
            | SameEmail
            | ContactEmailTaken
            | ConfirmedAndRemoved(_)
            | InviteEndDate(_)
            | MemberEndDate(_)
            | Preferences(_) => None,
        }
    }
}
