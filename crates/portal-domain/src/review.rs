//! The access review of DESIGN.md §Governance: who has access, how they got it, what to look at.

use chrono::{DateTime, Duration, Utc};

use crate::account::{Account, InviteStatus, ReviewRecord};
use crate::ids::{AccountId, ContactId, InviteId, UserId};
use crate::notification::CategorySet;
use crate::permission::PermissionSet;
use crate::values::{EmailAddress, PersonName, RoleLabel};

/// No activity for this long makes a member stale.
pub const STALE_AFTER: Duration = Duration::days(90);
/// Access ending within this long is flagged as expiring.
pub const EXPIRING_WITHIN: Duration = Duration::days(14);

/// Flags that ask a reviewer to look twice at a member.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct ReviewFlags {
    /// No activity for [`STALE_AFTER`].
    pub stale: bool,
    /// Access ends within [`EXPIRING_WITHIN`].
    pub expiring: bool,
    /// Access has ended (the membership grants nothing).
    pub ended: bool,
    /// Holds at least one sensitive permission.
    pub sensitive: bool,
}

/// One member, as the review shows them.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct ReviewedMember {
    /// The member.
    pub user: UserId,
    /// Whether they own the account.
    pub is_owner: bool,
    /// What they hold.
    pub permissions: PermissionSet,
    /// The sensitive part of it.
    pub sensitive_permissions: PermissionSet,
    /// Their role label.
    pub role: Option<RoleLabel>,
    /// Who invited them.
    pub invited_by: Option<UserId>,
    /// Who last set their permissions.
    pub granted_by: Option<UserId>,
    /// Who accepted the invite (themselves) and when they joined.
    pub joined_at: DateTime<Utc>,
    /// Their last activity.
    pub last_active_at: Option<DateTime<Utc>>,
    /// When their access ends.
    pub ends_at: Option<DateTime<Utc>>,
    /// What to look at.
    pub flags: ReviewFlags,
}

/// One open invite, as the review shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct ReviewedInvite {
    /// The invite.
    pub invite: InviteId,
    /// To whom.
    pub email: EmailAddress,
    /// With what.
    pub permissions: PermissionSet,
    /// Who sent it.
    pub invited_by: UserId,
    /// Pending or expired.
    pub status: InviteStatus,
    /// When the link expires.
    pub expires_at: DateTime<Utc>,
}

/// One contact, as the review shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct ReviewedContact {
    /// The contact.
    pub contact: ContactId,
    /// Name.
    pub name: PersonName,
    /// Email.
    pub email: EmailAddress,
    /// What it receives.
    pub categories: CategorySet,
}

/// The access review of one account at one instant.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct AccessReview {
    /// The account.
    pub account: AccountId,
    /// When the review was computed.
    pub at: DateTime<Utc>,
    /// Every member, owner first, then by user id.
    pub members: Vec<ReviewedMember>,
    /// Invites still open (pending or expired), by id.
    pub pending_invites: Vec<ReviewedInvite>,
    /// Contacts, by id.
    pub contacts: Vec<ReviewedContact>,
    /// The last review recorded.
    pub last_review: Option<ReviewRecord>,
}

/// Computes the access review of `account` at `now`.
pub fn access_review(account: &Account, now: DateTime<Utc>) -> AccessReview {
    let mut members: Vec<ReviewedMember> = account
        .members()
        .into_iter()
        .map(|m| {
            let last_seen = m.last_active_at().unwrap_or(m.joined_at());
            let sensitive_permissions = m.permissions().sensitive();
            ReviewedMember {
                user: m.user(),
                is_owner: m.user() == account.owner(),
                permissions: m.permissions(),
                sensitive_permissions,
                role: m.role().cloned(),
                invited_by: m.invited_by(),
                granted_by: m.granted_by(),
                joined_at: m.joined_at(),
                last_active_at: m.last_active_at(),
                ends_at: m.ends_at(),
                flags: ReviewFlags {
                    stale: now - last_seen >= STALE_AFTER,
                    expiring: m.ends_at().is_some_and(|end| end > now && end - now <= EXPIRING_WITHIN),
                    ended: !m.is_active(now),
                    sensitive: !sensitive_permissions.is_empty(),
                },
            }
        })
        .collect();
    // Stable sort: the owner first, the rest stay in user-id order.
    members.sort_by_key(|m| !m.is_owner);
    AccessReview {
        account: account.id(),
        at: now,
        members,
        pending_invites: account
            .invites()
            .filter(|i| i.is_open())
            .map(|i| ReviewedInvite {
                invite: i.id(),
                email: i.email().clone(),
                permissions: i.permissions(),
                invited_by: i.invited_by(),
                status: i.status(now),
                expires_at: i.expires_at(),
            })
            .collect(),
        contacts: account
            .contacts()
            .map(|c| ReviewedContact {
                contact: c.id(),
                name: c.name().clone(),
                email: c.email().clone(),
                categories: c.categories(),
            })
            .collect(),
        last_review: account.last_review().cloned(),
    }
}

/// Who held which permissions at `instant`, replayed from an account's history (oldest first):
/// the events answer "who had which permission on a given day". Ended memberships count as
/// holding nothing. Members are in user-id order.
pub fn access_at(history: &[crate::account::AccountEvent], instant: DateTime<Utc>) -> Vec<(UserId, PermissionSet)> {
    let Some(account) = Account::replay(history.iter().take_while(|e| e.at <= instant)) else {
        return Vec::new();
    };
    account
        .members()
        .into_iter()
        .map(|m| (m.user(), m.effective_permissions(instant)))
        .filter(|(_, p)| !p.is_empty())
        .collect()
}
