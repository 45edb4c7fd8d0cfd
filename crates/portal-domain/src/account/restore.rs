//! Rebuilding aggregates from stored rows: the adapters' way back in, checked like any input.

use chrono::{DateTime, Utc};

use super::{
    Account, AccountStatus, Contact, Invite, InviteOffer, InviteState, Membership, NewContact, Profile, ReviewRecord,
};
use crate::ids::{AccountId, InviteId, UserId};
use crate::permission::PermissionSet;
use crate::values::{RoleLabel, TokenDigest};

/// A stored membership's fields.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MembershipParts {
    /// The member.
    pub user: UserId,
    /// Permissions granted.
    pub permissions: PermissionSet,
    /// Role label.
    pub role: Option<RoleLabel>,
    /// Who invited.
    pub invited_by: Option<UserId>,
    /// The invite accepted.
    pub invite: Option<InviteId>,
    /// Who last set the permissions.
    pub granted_by: Option<UserId>,
    /// When they joined.
    pub joined_at: DateTime<Utc>,
    /// When access ends.
    pub ends_at: Option<DateTime<Utc>>,
    /// Last activity.
    pub last_active_at: Option<DateTime<Utc>>,
    /// Entity version.
    pub version: u64,
}

impl Membership {
    /// A membership from stored fields.
    pub fn restore(p: MembershipParts) -> Self {
        Self {
            user: p.user,
            permissions: p.permissions,
            role: p.role,
            invited_by: p.invited_by,
            invite: p.invite,
            granted_by: p.granted_by,
            joined_at: p.joined_at,
            ends_at: p.ends_at,
            last_active_at: p.last_active_at,
            version: p.version,
        }
    }
}

/// A stored invite's fields.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InviteParts {
    /// Id.
    pub id: InviteId,
    /// Whom, with what.
    pub offer: InviteOffer,
    /// Who invited.
    pub invited_by: UserId,
    /// First sent.
    pub created_at: DateTime<Utc>,
    /// Link expiry.
    pub expires_at: DateTime<Utc>,
    /// Times sent.
    pub sent_count: u32,
    /// Last sent.
    pub last_sent_at: DateTime<Utc>,
    /// State.
    pub state: InviteState,
    /// Current token digest (`None` once a spent link was forgotten).
    pub token: Option<TokenDigest>,
    /// Entity version.
    pub version: u64,
}

impl Invite {
    /// An invite from stored fields.
    pub fn restore(p: InviteParts) -> Self {
        let InviteOffer { email, name, permissions, role, access_ends_at } = p.offer;
        Self {
            id: p.id,
            email,
            name,
            permissions,
            role,
            access_ends_at,
            invited_by: p.invited_by,
            created_at: p.created_at,
            expires_at: p.expires_at,
            sent_count: p.sent_count,
            last_sent_at: p.last_sent_at,
            state: p.state,
            token: p.token,
            version: p.version,
        }
    }
}

/// A stored contact's fields.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContactParts {
    /// Its id, name, email, phone, company and categories.
    pub contact: NewContact,
    /// Added.
    pub created_at: DateTime<Utc>,
    /// Entity version.
    pub version: u64,
}

impl Contact {
    /// A contact from stored fields.
    pub fn restore(p: ContactParts) -> Self {
        let NewContact { id, name, email, phone, company, categories } = p.contact;
        Self { id, name, email, phone, company, categories, created_at: p.created_at, version: p.version }
    }
}

/// A stored account's fields and entities.
#[derive(Debug, Clone)]
pub struct AccountParts {
    /// Id.
    pub id: AccountId,
    /// Profile.
    pub profile: Profile,
    /// Status.
    pub status: AccountStatus,
    /// Owner.
    pub owner: UserId,
    /// Memberships.
    pub members: Vec<Membership>,
    /// Invites, any state.
    pub invites: Vec<Invite>,
    /// Contacts.
    pub contacts: Vec<Contact>,
    /// Opened.
    pub created_at: DateTime<Utc>,
    /// Last review.
    pub last_review: Option<ReviewRecord>,
    /// Aggregate version.
    pub version: u64,
}

impl Account {
    /// An account from stored parts; `Err` says which invariant the rows break.
    pub fn restore(p: AccountParts) -> Result<Self, String> {
        let account = Self {
            id: p.id,
            profile: p.profile,
            status: p.status,
            owner: p.owner,
            members: p.members.into_iter().map(|m| (m.user, m)).collect(),
            invites: p.invites.into_iter().map(|i| (i.id, i)).collect(),
            contacts: p.contacts.into_iter().map(|c| (c.id, c)).collect(),
            created_at: p.created_at,
            last_review: p.last_review,
            version: p.version,
        };
        account.check_invariants()?;
        Ok(account)
    }
}
