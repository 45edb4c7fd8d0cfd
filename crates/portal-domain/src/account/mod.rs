//! The Account aggregate: profile, owner, memberships, invites and contacts, under one version.
//!
//! Everything rule 1 and rule 4 talk about lives in one aggregate so one version check guards it:
//! two admins racing cannot leave an account with no owner or two.

mod access;
mod audit;
mod command;
mod decide;
mod event;
mod restore;
pub mod routing;
mod view;

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Duration, Utc};

pub use crate::invite_status::InviteStatus;
pub use access::{Access, AccountSummary};
pub use audit::AuditEntry;
pub use audit::StoredEvent;
pub use command::{AccountCommand, ContactPatch, EditMember, InviteMember, InviteOffer, NewContact, ProfilePatch};
pub use decide::open_account;
pub use event::{AccountChange, AccountEvent, Target};
pub use restore::{AccountParts, ContactParts, InviteParts, MembershipParts};
pub use view::View;

use crate::error::DomainError;
use crate::ids::{AccountId, ContactId, IdHashBuilder, InviteId, UserId};
use crate::notification::CategorySet;
use crate::permission::{Permission, PermissionSet};
use crate::values::{CompanyName, EmailAddress, PersonName, PhoneNumber, PostalAddress, RoleLabel, TaxId, TokenDigest};

/// How long an invite link stays valid after it is sent or re-sent.
pub const INVITE_TTL: Duration = Duration::days(7);

/// The account's master profile: what `account.profile.manage` protects.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Profile {
    /// The name shown in the account picker.
    pub display_name: CompanyName,
    /// The legal company name, if any.
    pub company: Option<CompanyName>,
    /// Where account notices go when nobody else is chosen.
    pub primary_email: EmailAddress,
    /// The account's phone number.
    pub phone: Option<PhoneNumber>,
    /// The billing address.
    pub address: Option<PostalAddress>,
    /// The tax id printed on invoices.
    pub tax_id: Option<TaxId>,
}

/// Whether the account can still change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum AccountStatus {
    /// In use.
    Active,
    /// Closed by its owner; read-only from then on.
    Closed,
}

/// A user's place in one account.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Membership {
    pub(crate) user: UserId,
    pub(crate) permissions: PermissionSet,
    pub(crate) role: Option<RoleLabel>,
    pub(crate) invited_by: Option<UserId>,
    pub(crate) invite: Option<InviteId>,
    pub(crate) granted_by: Option<UserId>,
    pub(crate) joined_at: DateTime<Utc>,
    pub(crate) ends_at: Option<DateTime<Utc>>,
    pub(crate) last_active_at: Option<DateTime<Utc>>,
    pub(crate) version: u64,
}

impl Membership {
    /// The member.
    pub fn user(&self) -> UserId {
        self.user
    }
    /// The permissions granted (whether or not the membership has ended).
    pub fn permissions(&self) -> PermissionSet {
        self.permissions
    }
    /// The role label chosen when the permissions were last set.
    pub fn role(&self) -> Option<&RoleLabel> {
        self.role.as_ref()
    }
    /// Who invited the member (`None` for the account's creator).
    pub fn invited_by(&self) -> Option<UserId> {
        self.invited_by
    }
    /// The invite the member accepted, if they joined by one.
    pub fn invite(&self) -> Option<InviteId> {
        self.invite
    }
    /// Who last set the permissions (`None` when they come from creation or ownership).
    pub fn granted_by(&self) -> Option<UserId> {
        self.granted_by
    }
    /// When the member joined (accepted the invite).
    pub fn joined_at(&self) -> DateTime<Utc> {
        self.joined_at
    }
    /// From this instant the membership grants nothing (time-limited access).
    pub fn ends_at(&self) -> Option<DateTime<Utc>> {
        self.ends_at
    }
    /// The member's last recorded activity in the account.
    pub fn last_active_at(&self) -> Option<DateTime<Utc>> {
        self.last_active_at
    }
    /// Bumped on every change to this membership (an ETag).
    pub fn version(&self) -> u64 {
        self.version
    }
    /// Whether the membership still grants anything at `now`.
    #[inline]
    pub fn is_active(&self, now: DateTime<Utc>) -> bool {
        self.ends_at.is_none_or(|end| now < end)
    }
    /// What the membership grants at `now`: nothing once it has ended.
    #[inline]
    pub fn effective_permissions(&self, now: DateTime<Utc>) -> PermissionSet {
        if self.is_active(now) { self.permissions } else { PermissionSet::EMPTY }
    }
}

/// Where an invite stands, as stored. Expiry is derived from time: see [`Invite::status`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum InviteState {
    /// Sent and waiting.
    Pending,
    /// Accepted by this user.
    Accepted {
        /// Who accepted.
        by: UserId,
        /// When.
        at: DateTime<Utc>,
    },
    /// Declined by the person invited.
    Declined {
        /// When.
        at: DateTime<Utc>,
    },
    /// Cancelled by a member.
    Cancelled {
        /// When.
        at: DateTime<Utc>,
    },
}

/// An invitation to join an account with a given set of permissions.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Invite {
    pub(crate) id: InviteId,
    pub(crate) email: EmailAddress,
    pub(crate) name: Option<PersonName>,
    pub(crate) permissions: PermissionSet,
    pub(crate) role: Option<RoleLabel>,
    pub(crate) access_ends_at: Option<DateTime<Utc>>,
    pub(crate) invited_by: UserId,
    pub(crate) created_at: DateTime<Utc>,
    pub(crate) expires_at: DateTime<Utc>,
    pub(crate) sent_count: u32,
    pub(crate) last_sent_at: DateTime<Utc>,
    pub(crate) state: InviteState,
    pub(crate) token: Option<TokenDigest>,
    pub(crate) version: u64,
}

impl Invite {
    /// The invite's id.
    pub fn id(&self) -> InviteId {
        self.id
    }
    /// The address invited; only a user with this verified address can accept.
    pub fn email(&self) -> &EmailAddress {
        &self.email
    }
    /// The invitee's name as the inviter typed it.
    pub fn name(&self) -> Option<&PersonName> {
        self.name.as_ref()
    }
    /// The permissions the membership will have.
    pub fn permissions(&self) -> PermissionSet {
        self.permissions
    }
    /// The role label the membership will have.
    pub fn role(&self) -> Option<&RoleLabel> {
        self.role.as_ref()
    }
    /// When the membership made from this invite will end, for time-limited access.
    pub fn access_ends_at(&self) -> Option<DateTime<Utc>> {
        self.access_ends_at
    }
    /// Who sent the invite.
    pub fn invited_by(&self) -> UserId {
        self.invited_by
    }
    /// When it was first sent.
    pub fn created_at(&self) -> DateTime<Utc> {
        self.created_at
    }
    /// When the current link stops working.
    pub fn expires_at(&self) -> DateTime<Utc> {
        self.expires_at
    }
    /// How many times it was sent (1 + re-sends).
    pub fn sent_count(&self) -> u32 {
        self.sent_count
    }
    /// When it was last sent.
    pub fn last_sent_at(&self) -> DateTime<Utc> {
        self.last_sent_at
    }
    /// The stored state.
    pub fn state(&self) -> &InviteState {
        &self.state
    }
    /// The digest of the current link's token; `None` once the store has forgotten a spent
    /// link (see [`Invite::link_spent`]).
    pub fn token(&self) -> Option<&TokenDigest> {
        self.token.as_ref()
    }
    /// Whether the link's token can no longer matter at `now`: the invite is settled (accepted,
    /// declined or cancelled) and its link has expired, so the link could only answer "not
    /// found" or "expired" anyway. A store's housekeeping forgets such tokens.
    pub fn link_spent(&self, now: DateTime<Utc>) -> bool {
        !matches!(self.state, InviteState::Pending) && now >= self.expires_at
    }
    /// Bumped on every change to this invite (an ETag).
    pub fn version(&self) -> u64 {
        self.version
    }
    /// Whether holding this invite's link proves that `email` is the holder's: the link was
    /// mailed to the invited address, so it does when `email` is that address.
    pub fn proven_by_link(&self, email: &EmailAddress) -> bool {
        self.email == *email
    }
    /// What the holder of the link may be shown at `now`: a pending or an expired invite (the
    /// page offers a fresh link); any other is settled and not shown.
    pub fn previewable(&self, now: DateTime<Utc>) -> Result<InviteStatus, DomainError> {
        match self.status(now) {
            status @ (InviteStatus::Pending | InviteStatus::Expired) => Ok(status),
            other => Err(DomainError::InviteNotPending(other)),
        }
    }
    /// Where the invite stands at `now`.
    pub fn status(&self, now: DateTime<Utc>) -> InviteStatus {
        match self.state {
            InviteState::Pending if now >= self.expires_at => InviteStatus::Expired,
            InviteState::Pending => InviteStatus::Pending,
            InviteState::Accepted { .. } => InviteStatus::Accepted,
            InviteState::Declined { .. } => InviteStatus::Declined,
            InviteState::Cancelled { .. } => InviteStatus::Cancelled,
        }
    }
    /// Whether the invite is still waiting for an answer (expired or not): at most one per email.
    pub fn is_open(&self) -> bool {
        self.state == InviteState::Pending
    }
}

/// Someone who receives the account's notices but never logs in.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Contact {
    pub(crate) id: ContactId,
    pub(crate) name: PersonName,
    pub(crate) email: EmailAddress,
    pub(crate) phone: Option<PhoneNumber>,
    pub(crate) company: Option<CompanyName>,
    pub(crate) categories: CategorySet,
    pub(crate) created_at: DateTime<Utc>,
    pub(crate) version: u64,
}

impl Contact {
    /// The contact's id.
    pub fn id(&self) -> ContactId {
        self.id
    }
    /// The contact's name.
    pub fn name(&self) -> &PersonName {
        &self.name
    }
    /// Where the notices go (a person or a shared inbox).
    pub fn email(&self) -> &EmailAddress {
        &self.email
    }
    /// The contact's phone.
    pub fn phone(&self) -> Option<&PhoneNumber> {
        self.phone.as_ref()
    }
    /// The contact's company.
    pub fn company(&self) -> Option<&CompanyName> {
        self.company.as_ref()
    }
    /// The categories of notices the contact receives.
    pub fn categories(&self) -> CategorySet {
        self.categories
    }
    /// When the contact was added.
    pub fn created_at(&self) -> DateTime<Utc> {
        self.created_at
    }
    /// Bumped on every change to this contact (an ETag).
    pub fn version(&self) -> u64 {
        self.version
    }
}

/// The last access review recorded on the account.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct ReviewRecord {
    /// Who recorded it.
    pub by: UserId,
    /// When.
    pub at: DateTime<Utc>,
}

/// A customer account. Built only by folding [`AccountEvent`]s (or deserialized, then checked
/// by [`Account::check_invariants`]).
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize), serde(try_from = "AccountRepr"))]
pub struct Account {
    pub(crate) id: AccountId,
    pub(crate) profile: Profile,
    pub(crate) status: AccountStatus,
    pub(crate) owner: UserId,
    pub(crate) members: HashMap<UserId, Membership, IdHashBuilder>,
    pub(crate) invites: BTreeMap<InviteId, Invite>,
    pub(crate) contacts: BTreeMap<ContactId, Contact>,
    pub(crate) created_at: DateTime<Utc>,
    pub(crate) last_review: Option<ReviewRecord>,
    pub(crate) version: u64,
}

impl Account {
    /// The account's id.
    pub fn id(&self) -> AccountId {
        self.id
    }
    /// The master profile.
    pub fn profile(&self) -> &Profile {
        &self.profile
    }
    /// Active or closed.
    pub fn status(&self) -> AccountStatus {
        self.status
    }
    /// The one owner.
    pub fn owner(&self) -> UserId {
        self.owner
    }
    /// When the account was opened.
    pub fn created_at(&self) -> DateTime<Utc> {
        self.created_at
    }
    /// The last recorded access review.
    pub fn last_review(&self) -> Option<&ReviewRecord> {
        self.last_review.as_ref()
    }
    /// The number of events applied so far; a save states the version it read.
    pub fn version(&self) -> u64 {
        self.version
    }
    /// One member's membership (ended or not).
    pub fn member(&self, user: UserId) -> Option<&Membership> {
        self.members.get(&user)
    }
    /// Every membership, ordered by user id (ended ones included).
    pub fn members(&self) -> Vec<&Membership> {
        let mut all: Vec<&Membership> = self.members.values().collect();
        all.sort_unstable_by_key(|m| m.user);
        all
    }
    /// How many memberships the account has (ended ones included).
    pub fn member_count(&self) -> usize {
        self.members.len()
    }
    /// One invite, whatever its state.
    pub fn invite(&self, id: InviteId) -> Option<&Invite> {
        self.invites.get(&id)
    }
    /// Every invite, by id (oldest first for v7 ids).
    pub fn invites(&self) -> impl Iterator<Item = &Invite> {
        self.invites.values()
    }
    /// The invite whose current link has this token digest.
    pub fn invite_by_token(&self, token: &TokenDigest) -> Option<&Invite> {
        self.invites.values().find(|i| i.token.as_ref() == Some(token))
    }
    /// Housekeeping for stores: forgets the token digest of up to `max` invites whose link is
    /// spent at `now` ([`Invite::link_spent`]) and returns their ids. Not an event: nothing a
    /// member can see changes, so no version moves.
    pub fn forget_spent_links(&mut self, now: DateTime<Utc>, max: usize) -> Vec<InviteId> {
        let mut forgotten = Vec::new();
        for invite in self.invites.values_mut() {
            if forgotten.len() >= max {
                break;
            }
            if invite.token.is_some() && invite.link_spent(now) {
                invite.token = None;
                forgotten.push(invite.id);
            }
        }
        forgotten
    }
    /// One contact.
    pub fn contact(&self, id: ContactId) -> Option<&Contact> {
        self.contacts.get(&id)
    }
    /// Every contact, by id.
    pub fn contacts(&self) -> impl Iterator<Item = &Contact> {
        self.contacts.values()
    }

    /// What `user` may do in the account at `now`: the hot path of every request (rule 2, rule 7).
    /// Nothing for a non-member, an ended membership or a closed account.
    #[inline]
    pub fn permissions_of(&self, user: UserId, now: DateTime<Utc>) -> PermissionSet {
        if self.status == AccountStatus::Closed {
            return PermissionSet::EMPTY;
        }
        self.members.get(&user).map_or(PermissionSet::EMPTY, |m| m.effective_permissions(now))
    }

    /// Whether `user` holds `permission` in the account at `now`.
    #[inline]
    pub fn permits(&self, user: UserId, permission: Permission, now: DateTime<Utc>) -> bool {
        self.permissions_of(user, now).contains(permission)
    }

    /// Whether `user` can see the account at `now` (an active membership; closed accounts stay
    /// visible to their members, read-only).
    pub fn is_visible_to(&self, user: UserId, now: DateTime<Utc>) -> bool {
        self.members.get(&user).is_some_and(|m| m.is_active(now))
    }

    /// Records a member's activity; not a versioned change (it would make every request a write
    /// that conflicts with real edits).
    pub fn touch(&mut self, user: UserId, at: DateTime<Utc>) {
        if let Some(m) = self.members.get_mut(&user) {
            m.last_active_at = Some(m.last_active_at.map_or(at, |prev| prev.max(at)));
        }
    }

    /// Checks rule 1 and the aggregate's internal consistency; `Err` says what is broken.
    /// Stores and property tests call it; decisions never produce a state that fails it.
    pub fn check_invariants(&self) -> Result<(), String> {
        let owner = self.members.get(&self.owner).ok_or("the owner is not a member")?;
        if owner.permissions != PermissionSet::ALL {
            return Err(format!("the owner holds {:?}, not every permission", owner.permissions));
        }
        if owner.ends_at.is_some() {
            return Err("the owner's membership has an end date".into());
        }
        let mut open = std::collections::HashSet::new();
        for invite in self.invites.values().filter(|i| i.is_open()) {
            if !open.insert(invite.email.normalized()) {
                return Err(format!("two open invites for {}", invite.email));
            }
        }
        for (id, m) in &self.members {
            if *id != m.user {
                return Err(format!("membership of {} filed under {}", m.user, id));
            }
        }
        Ok(())
    }
}

/// The wire form of [`Account`]: a snapshot that must pass [`Account::check_invariants`] to load.
#[cfg(feature = "serde")]
#[derive(serde::Deserialize)]
struct AccountRepr {
    id: AccountId,
    profile: Profile,
    status: AccountStatus,
    owner: UserId,
    members: HashMap<UserId, Membership, IdHashBuilder>,
    invites: BTreeMap<InviteId, Invite>,
    contacts: BTreeMap<ContactId, Contact>,
    created_at: DateTime<Utc>,
    last_review: Option<ReviewRecord>,
    version: u64,
}

#[cfg(feature = "serde")]
impl TryFrom<AccountRepr> for Account {
    type Error = String;
    fn try_from(r: AccountRepr) -> Result<Self, String> {
        let account = Self {
            id: r.id,
            profile: r.profile,
            status: r.status,
            owner: r.owner,
            members: r.members,
            invites: r.invites,
            contacts: r.contacts,
            created_at: r.created_at,
            last_review: r.last_review,
            version: r.version,
        };
        account.check_invariants()?;
        Ok(account)
    }
}
