//! What happened to an account: the audit trail, and the only way its state changes.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Utc};

use super::routing::Recipient;
use super::{
    Account, AccountStatus, Contact, ContactPatch, Invite, InviteState, Membership, Profile, ProfilePatch, ReviewRecord,
};
use crate::actor::Actor;
use crate::ids::{AccountId, ContactId, InviteId, NoticeId, UserId};
use crate::notification::{CategorySet, NotificationCategory};
use crate::permission::PermissionSet;
#[cfg(feature = "serde")]
use crate::serde_util::clearable;
use crate::values::{CompanyName, EmailAddress, PersonName, PhoneNumber, RoleLabel, TokenDigest};

/// One change to one account: who did it, when, to what, and what changed.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct AccountEvent {
    /// The account.
    pub account: AccountId,
    /// Who did it.
    pub actor: Actor,
    /// When.
    pub at: DateTime<Utc>,
    /// What changed.
    pub change: AccountChange,
}

/// What an event is about, for "what happened to this member / invite / contact".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum Target {
    /// The account itself (profile, ownership, status, reviews).
    Account,
    /// A member, by user.
    Member(UserId),
    /// An invite.
    Invite(InviteId),
    /// A contact.
    Contact(ContactId),
    /// A notice.
    Notice(NoticeId),
}

/// The changes an account goes through.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum AccountChange {
    /// The account was opened with this owner and profile.
    Opened {
        /// The first owner.
        owner: UserId,
        /// The profile.
        profile: Profile,
    },
    /// Profile fields changed (only the changed ones are set).
    ProfileUpdated {
        /// The new values.
        patch: ProfilePatch,
    },
    /// An invite was sent.
    MemberInvited {
        /// The invite.
        invite: InviteId,
        /// To whom.
        email: EmailAddress,
        /// Their name, as typed.
        name: Option<PersonName>,
        /// With which permissions.
        permissions: PermissionSet,
        /// With which role label.
        role: Option<RoleLabel>,
        /// Until when the access would last.
        access_ends_at: Option<DateTime<Utc>>,
        /// When the link expires.
        expires_at: DateTime<Utc>,
        /// The link's token digest.
        token: TokenDigest,
    },
    /// An invite was sent again with a new link.
    InviteResent {
        /// The invite.
        invite: InviteId,
        /// The new expiry.
        expires_at: DateTime<Utc>,
        /// The new token digest; the old one stops working.
        token: TokenDigest,
    },
    /// An invite was cancelled.
    InviteCancelled {
        /// The invite.
        invite: InviteId,
    },
    /// An invite was accepted and the user became a member.
    InviteAccepted {
        /// The invite.
        invite: InviteId,
        /// The new member.
        user: UserId,
        /// Their permissions.
        permissions: PermissionSet,
        /// Their role label.
        role: Option<RoleLabel>,
        /// Who invited them (and so granted the permissions).
        invited_by: UserId,
        /// When their access ends.
        ends_at: Option<DateTime<Utc>>,
    },
    /// An invite was declined.
    InviteDeclined {
        /// The invite.
        invite: InviteId,
    },
    /// A member's access changed (only the changed fields are set).
    MemberEdited {
        /// The member.
        user: UserId,
        /// New permissions.
        permissions: Option<PermissionSet>,
        /// New role label, or cleared.
        #[cfg_attr(feature = "serde", serde(default, skip_serializing_if = "Option::is_none", with = "clearable"))]
        role: Option<Option<RoleLabel>>,
        /// New end date, or cleared.
        #[cfg_attr(feature = "serde", serde(default, skip_serializing_if = "Option::is_none", with = "clearable"))]
        ends_at: Option<Option<DateTime<Utc>>>,
    },
    /// A member was removed by another.
    MemberRemoved {
        /// The member.
        user: UserId,
    },
    /// A member left.
    MemberLeft {
        /// The member.
        user: UserId,
    },
    /// Ownership moved.
    OwnershipTransferred {
        /// The previous owner.
        from: UserId,
        /// The new owner.
        to: UserId,
    },
    /// The account was closed.
    Closed,
    /// A contact was added.
    ContactAdded {
        /// The contact.
        contact: ContactId,
        /// Name.
        name: PersonName,
        /// Email.
        email: EmailAddress,
        /// Phone.
        phone: Option<PhoneNumber>,
        /// Company.
        company: Option<CompanyName>,
        /// Categories received.
        categories: CategorySet,
    },
    /// A contact changed (only the changed fields are set).
    ContactEdited {
        /// The contact.
        contact: ContactId,
        /// The new values.
        patch: ContactPatch,
    },
    /// A contact was removed.
    ContactRemoved {
        /// The contact.
        contact: ContactId,
    },
    /// An access review was completed.
    AccessReviewRecorded {
        /// Members confirmed as they are.
        confirmed: Vec<UserId>,
        /// Members removed by the review.
        removed: Vec<UserId>,
    },
    /// A notice was sent to these recipients, each with its reason.
    NoticeRecorded {
        /// The notice.
        notice: NoticeId,
        /// Its category.
        category: NotificationCategory,
        /// Its subject.
        subject: CompanyName,
        /// Who received it, and why.
        recipients: Vec<Recipient>,
    },
}

impl AccountChange {
    /// A stable name for the kind of change, for storage and the API.
    pub const fn kind(&self) -> &'static str {
        match self {
            Self::Opened { .. } => "account.opened",
            Self::ProfileUpdated { .. } => "account.profile_updated",
            Self::MemberInvited { .. } => "invite.sent",
            Self::InviteResent { .. } => "invite.resent",
            Self::InviteCancelled { .. } => "invite.cancelled",
            Self::InviteAccepted { .. } => "invite.accepted",
            Self::InviteDeclined { .. } => "invite.declined",
            Self::MemberEdited { .. } => "member.edited",
            Self::MemberRemoved { .. } => "member.removed",
            Self::MemberLeft { .. } => "member.left",
            Self::OwnershipTransferred { .. } => "account.ownership_transferred",
            Self::Closed => "account.closed",
            Self::ContactAdded { .. } => "contact.added",
            Self::ContactEdited { .. } => "contact.edited",
            Self::ContactRemoved { .. } => "contact.removed",
            Self::AccessReviewRecorded { .. } => "access_review.recorded",
            Self::NoticeRecorded { .. } => "notice.recorded",
        }
    }

    /// What the change is about.
    pub const fn target(&self) -> Target {
        match self {
            Self::Opened { .. }
            | Self::ProfileUpdated { .. }
            | Self::OwnershipTransferred { .. }
            | Self::Closed
            | Self::AccessReviewRecorded { .. } => Target::Account,
            Self::MemberInvited { invite, .. }
            | Self::InviteResent { invite, .. }
            | Self::InviteCancelled { invite }
            | Self::InviteDeclined { invite } => Target::Invite(*invite),
            Self::InviteAccepted { user, .. }
            | Self::MemberEdited { user, .. }
            | Self::MemberRemoved { user }
            | Self::MemberLeft { user } => Target::Member(*user),
            Self::ContactAdded { contact, .. }
            | Self::ContactEdited { contact, .. }
            | Self::ContactRemoved { contact } => Target::Contact(*contact),
            Self::NoticeRecorded { notice, .. } => Target::Notice(*notice),
        }
    }

    /// The permissions this change grants to a member, with that member: what rule 3 is about.
    pub fn grant(&self) -> Option<(UserId, PermissionSet)> {
        match self {
            Self::InviteAccepted { user, permissions, .. } => Some((*user, *permissions)),
            Self::MemberEdited { user, permissions: Some(p), .. } => Some((*user, *p)),
            _ => None,
        }
    }
}

impl Account {
    /// Builds the account from its first event; `None` if that event is not [`AccountChange::Opened`].
    pub fn from_opened(event: &AccountEvent) -> Option<Self> {
        let AccountChange::Opened { owner, profile } = &event.change else {
            return None;
        };
        let mut members = HashMap::default();
        members.insert(
            *owner,
            Membership {
                user: *owner,
                permissions: PermissionSet::ALL,
                role: None,
                invited_by: None,
                invite: None,
                granted_by: None,
                joined_at: event.at,
                ends_at: None,
                last_active_at: None,
                version: 1,
            },
        );
        Some(Self {
            id: event.account,
            profile: profile.clone(),
            status: AccountStatus::Active,
            owner: *owner,
            members,
            invites: BTreeMap::new(),
            contacts: BTreeMap::new(),
            created_at: event.at,
            last_review: None,
            version: 1,
        })
    }

    /// Folds one event into the state. Events come from [`Account::decide`], so they fit the
    /// state; one that names something missing changes nothing but the version.
    pub fn apply(&mut self, event: &AccountEvent) {
        self.version += 1;
        let at = event.at;
        match &event.change {
            AccountChange::Opened { .. } => {}
            AccountChange::ProfileUpdated { patch } => {
                let p = &mut self.profile;
                if let Some(v) = &patch.display_name {
                    p.display_name = v.clone();
                }
                if let Some(v) = &patch.company {
                    p.company = v.clone();
                }
                if let Some(v) = &patch.primary_email {
                    p.primary_email = v.clone();
                }
                if let Some(v) = &patch.phone {
                    p.phone = v.clone();
                }
                if let Some(v) = &patch.address {
                    p.address = v.clone();
                }
                if let Some(v) = &patch.tax_id {
                    p.tax_id = v.clone();
                }
            }
            AccountChange::MemberInvited {
                invite,
                email,
                name,
                permissions,
                role,
                access_ends_at,
                expires_at,
                token,
            } => {
                let invited_by = match event.actor {
                    Actor::User(u) => u,
                    _ => self.owner,
                };
                self.invites.insert(
                    *invite,
                    Invite {
                        id: *invite,
                        email: email.clone(),
                        name: name.clone(),
                        permissions: *permissions,
                        role: role.clone(),
                        access_ends_at: *access_ends_at,
                        invited_by,
                        created_at: at,
                        expires_at: *expires_at,
                        sent_count: 1,
                        last_sent_at: at,
                        state: InviteState::Pending,
                        token: Some(token.clone()),
                        version: 1,
                    },
                );
            }
            AccountChange::InviteResent { invite, expires_at, token } => {
                if let Some(i) = self.invites.get_mut(invite) {
                    i.expires_at = *expires_at;
                    i.token = Some(token.clone());
                    i.sent_count += 1;
                    i.last_sent_at = at;
                    i.version += 1;
                }
            }
            AccountChange::InviteCancelled { invite } => self.set_invite_state(*invite, InviteState::Cancelled { at }),
            AccountChange::InviteDeclined { invite } => self.set_invite_state(*invite, InviteState::Declined { at }),
            AccountChange::InviteAccepted { invite, user, permissions, role, invited_by, ends_at } => {
                self.set_invite_state(*invite, InviteState::Accepted { by: *user, at });
                let version = self.members.get(user).map_or(1, |m| m.version + 1);
                self.members.insert(
                    *user,
                    Membership {
                        user: *user,
                        permissions: *permissions,
                        role: role.clone(),
                        invited_by: Some(*invited_by),
                        invite: Some(*invite),
                        granted_by: Some(*invited_by),
                        joined_at: at,
                        ends_at: *ends_at,
                        last_active_at: Some(at),
                        version,
                    },
                );
            }
            AccountChange::MemberEdited { user, permissions, role, ends_at } => {
                if let Some(m) = self.members.get_mut(user) {
                    if let Some(p) = permissions {
                        m.permissions = *p;
                        m.granted_by = event.actor.user();
                    }
                    if let Some(r) = role {
                        m.role = r.clone();
                    }
                    if let Some(e) = ends_at {
                        m.ends_at = *e;
                    }
                    m.version += 1;
                }
            }
            AccountChange::MemberRemoved { user } | AccountChange::MemberLeft { user } => {
                self.members.remove(user);
            }
            AccountChange::OwnershipTransferred { from: _, to } => {
                self.owner = *to;
                if let Some(m) = self.members.get_mut(to) {
                    m.permissions = PermissionSet::ALL;
                    m.ends_at = None;
                    m.granted_by = None;
                    m.version += 1;
                }
            }
            AccountChange::Closed => self.status = AccountStatus::Closed,
            AccountChange::ContactAdded { contact, name, email, phone, company, categories } => {
                self.contacts.insert(
                    *contact,
                    Contact {
                        id: *contact,
                        name: name.clone(),
                        email: email.clone(),
                        phone: phone.clone(),
                        company: company.clone(),
                        categories: *categories,
                        created_at: at,
                        version: 1,
                    },
                );
            }
            AccountChange::ContactEdited { contact, patch } => {
                if let Some(c) = self.contacts.get_mut(contact) {
                    if let Some(v) = &patch.name {
                        c.name = v.clone();
                    }
                    if let Some(v) = &patch.email {
                        c.email = v.clone();
                    }
                    if let Some(v) = &patch.phone {
                        c.phone = v.clone();
                    }
                    if let Some(v) = &patch.company {
                        c.company = v.clone();
                    }
                    if let Some(v) = patch.categories {
                        c.categories = v;
                    }
                    c.version += 1;
                }
            }
            AccountChange::ContactRemoved { contact } => {
                self.contacts.remove(contact);
            }
            AccountChange::AccessReviewRecorded { .. } => {
                if let Some(by) = event.actor.user() {
                    self.last_review = Some(ReviewRecord { by, at });
                }
            }
            AccountChange::NoticeRecorded { .. } => {}
        }
    }

    fn set_invite_state(&mut self, invite: InviteId, state: InviteState) {
        if let Some(i) = self.invites.get_mut(&invite) {
            i.state = state;
            i.version += 1;
        }
    }

    /// Folds a whole history, from its `Opened` event; `None` for an empty or malformed history.
    pub fn replay<'a>(events: impl IntoIterator<Item = &'a AccountEvent>) -> Option<Self> {
        let mut events = events.into_iter();
        let mut account = Self::from_opened(events.next()?)?;
        for e in events {
            account.apply(e);
        }
        Some(account)
    }
}
