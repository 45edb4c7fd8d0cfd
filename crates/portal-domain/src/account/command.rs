//! What may be asked of an account. Commands say what is wanted; the account says what exists.

use chrono::{DateTime, Utc};

use super::routing::MemberDirectory;
use crate::ids::{ContactId, InviteId, NoticeId, UserId};
use crate::notification::{CategorySet, NotificationCategory};
use crate::permission::PermissionSet;
#[cfg(feature = "serde")]
use crate::serde_util::clearable;
use crate::values::{CompanyName, EmailAddress, PersonName, PhoneNumber, PostalAddress, RoleLabel, TaxId, TokenDigest};

/// Changes to the master profile; `None` leaves a field as it is, `Some(None)` clears it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct ProfilePatch {
    /// New display name.
    pub display_name: Option<CompanyName>,
    /// New company name, or cleared.
    #[cfg_attr(feature = "serde", serde(default, skip_serializing_if = "Option::is_none", with = "clearable"))]
    pub company: Option<Option<CompanyName>>,
    /// New primary email.
    pub primary_email: Option<EmailAddress>,
    /// New phone, or cleared.
    #[cfg_attr(feature = "serde", serde(default, skip_serializing_if = "Option::is_none", with = "clearable"))]
    pub phone: Option<Option<PhoneNumber>>,
    /// New address, or cleared.
    #[cfg_attr(feature = "serde", serde(default, skip_serializing_if = "Option::is_none", with = "clearable"))]
    pub address: Option<Option<PostalAddress>>,
    /// New tax id, or cleared.
    #[cfg_attr(feature = "serde", serde(default, skip_serializing_if = "Option::is_none", with = "clearable"))]
    pub tax_id: Option<Option<TaxId>>,
}

impl ProfilePatch {
    /// Whether the patch changes nothing.
    pub fn is_empty(&self) -> bool {
        self == &Self::default()
    }
}

/// What an invite offers: who is invited, and the access they will have on accepting.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InviteOffer {
    /// Who is invited.
    pub email: EmailAddress,
    /// Their name, for the email greeting.
    pub name: Option<PersonName>,
    /// The permissions they will have (a role's preset, possibly adjusted).
    pub permissions: PermissionSet,
    /// The role label they will have.
    pub role: Option<RoleLabel>,
    /// When their access will end, for contractors.
    pub access_ends_at: Option<DateTime<Utc>>,
}

/// Invite someone by email to join with the given permissions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InviteMember {
    /// The new invite's id.
    pub id: InviteId,
    /// Whom, with what.
    pub offer: InviteOffer,
    /// The digest of the link's token (the token itself goes only into the email).
    pub token: TokenDigest,
    /// The user already registered with this email, if any: the store's answer, so the core can
    /// refuse an invite for a current member.
    pub existing_user: Option<UserId>,
}

/// Change another member's access; `None` leaves a field as it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EditMember {
    /// The member to change.
    pub user: UserId,
    /// Their new permissions.
    pub permissions: Option<PermissionSet>,
    /// Their new role label, or cleared.
    pub role: Option<Option<RoleLabel>>,
    /// Their new end date, or cleared.
    pub ends_at: Option<Option<DateTime<Utc>>>,
}

/// A contact to add.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewContact {
    /// The new contact's id.
    pub id: ContactId,
    /// Name.
    pub name: PersonName,
    /// Where notices go.
    pub email: EmailAddress,
    /// Phone.
    pub phone: Option<PhoneNumber>,
    /// Company.
    pub company: Option<CompanyName>,
    /// The categories it receives.
    pub categories: CategorySet,
}

/// Changes to a contact; `None` leaves a field as it is, `Some(None)` clears it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct ContactPatch {
    /// New name.
    pub name: Option<PersonName>,
    /// New email.
    pub email: Option<EmailAddress>,
    /// New phone, or cleared.
    #[cfg_attr(feature = "serde", serde(default, skip_serializing_if = "Option::is_none", with = "clearable"))]
    pub phone: Option<Option<PhoneNumber>>,
    /// New company, or cleared.
    #[cfg_attr(feature = "serde", serde(default, skip_serializing_if = "Option::is_none", with = "clearable"))]
    pub company: Option<Option<CompanyName>>,
    /// New categories.
    pub categories: Option<CategorySet>,
}

impl ContactPatch {
    /// Whether the patch changes nothing.
    pub fn is_empty(&self) -> bool {
        self == &Self::default()
    }
}

/// Every command an existing account can be asked to carry out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AccountCommand {
    /// Change the master profile (needs `account.profile.manage`).
    UpdateProfile(ProfilePatch),
    /// Invite a teammate (needs `users.manage`; rules 3 and 6).
    Invite(InviteMember),
    /// Send an open invite again with a new link and expiry; the old link stops working.
    ResendInvite {
        /// The invite.
        invite: InviteId,
        /// The new token's digest.
        token: TokenDigest,
    },
    /// Cancel an open invite; its link stops working.
    CancelInvite {
        /// The invite.
        invite: InviteId,
    },
    /// Accept an invite, as the user the actor is.
    AcceptInvite {
        /// The digest of the token from the link.
        token: TokenDigest,
        /// The accepting user's email.
        email: EmailAddress,
        /// Whether that email is verified.
        email_verified: bool,
    },
    /// Decline an invite, as whoever holds its link.
    DeclineInvite {
        /// The digest of the token from the link.
        token: TokenDigest,
    },
    /// Change another member's access (rules 3 and 4).
    EditMember(EditMember),
    /// Remove another member (rule 4).
    RemoveMember {
        /// The member to remove.
        user: UserId,
    },
    /// Leave the account (rule 5: not the owner).
    Leave,
    /// Hand ownership to another member (owner only).
    TransferOwnership {
        /// The new owner.
        to: UserId,
    },
    /// The provider's operator names a new owner, for an owner who has gone.
    ReassignOwner {
        /// The new owner, a current member.
        to: UserId,
        /// Whether the previous owner's membership ends with it.
        remove_previous: bool,
    },
    /// Close the account (owner only); nothing changes in it afterwards.
    Close,
    /// Add a contact (needs `contacts.manage`).
    AddContact(NewContact),
    /// Change a contact.
    EditContact {
        /// The contact.
        contact: ContactId,
        /// The changes.
        patch: ContactPatch,
    },
    /// Remove a contact.
    RemoveContact {
        /// The contact.
        contact: ContactId,
    },
    /// Record a completed access review: who was confirmed, who was removed (needs `users.manage`).
    RecordAccessReview {
        /// Members whose access was confirmed as it is.
        confirmed: Vec<UserId>,
        /// Members removed by the review (each under rule 4).
        removed: Vec<UserId>,
    },
    /// Record a notice sent by the provider, routed to its recipients (operator only).
    RecordNotice {
        /// The notice's id.
        notice: NoticeId,
        /// Its category.
        category: NotificationCategory,
        /// Its subject line.
        subject: CompanyName,
        /// The members' addresses and preferences, for routing.
        directory: MemberDirectory,
    },
}
