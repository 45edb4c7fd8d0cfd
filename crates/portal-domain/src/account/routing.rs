//! Notification routing (rule 8): who receives a notice of a category, once each, and why.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};

use super::Account;
use crate::ids::{ContactId, IdHashBuilder, UserId};
use crate::notification::{NotificationCategory, NotificationPreferences};
use crate::permission::{Permission, PermissionSet};
use crate::values::EmailAddress;

/// What routing needs to know of a member's user: where to write and what they turned off.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct MemberAddress {
    /// The user.
    pub user: UserId,
    /// Their login email.
    pub email: EmailAddress,
    /// Their notification preferences.
    pub preferences: NotificationPreferences,
    /// Whether the user is disabled (disabled users receive nothing but the owner fallback).
    pub disabled: bool,
}

/// The addresses of an account's members, looked up by user.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MemberDirectory(HashMap<UserId, MemberAddress, IdHashBuilder>);

impl MemberDirectory {
    /// A directory from the members' addresses.
    pub fn new(entries: impl IntoIterator<Item = MemberAddress>) -> Self {
        Self(entries.into_iter().map(|e| (e.user, e)).collect())
    }

    /// One member's address.
    pub fn get(&self, user: UserId) -> Option<&MemberAddress> {
        self.0.get(&user)
    }

    /// How many addresses it holds.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether it is empty.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// Who a recipient is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum RecipientKind {
    /// A member (a user who logs in).
    Member(UserId),
    /// A contact of the account.
    Contact(ContactId),
    /// The account's primary email from its profile.
    PrimaryEmail,
}

/// Why a recipient was chosen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum Reason {
    /// A security notice reaches every member; it cannot be turned off.
    SecurityNotice,
    /// The member holds the permission the category is about.
    HoldsPermission(Permission),
    /// The category concerns every member, and this one has not turned it off.
    AllMembers,
    /// The contact is subscribed to the category.
    SubscribedContact,
    /// Nobody else would receive it, so the owner does (rule 8).
    OwnerFallback,
    /// Nobody else would receive it and the owner's address is unknown, so the account's primary email does.
    PrimaryEmailFallback,
}

impl Reason {
    /// A stable key.
    pub const fn key(self) -> &'static str {
        match self {
            Self::SecurityNotice => "security_notice",
            Self::HoldsPermission(_) => "holds_permission",
            Self::AllMembers => "all_members",
            Self::SubscribedContact => "subscribed_contact",
            Self::OwnerFallback => "owner_fallback",
            Self::PrimaryEmailFallback => "primary_email_fallback",
        }
    }
}

/// One recipient of a notice.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Recipient {
    /// Where the notice goes.
    pub email: EmailAddress,
    /// Who that is.
    pub kind: RecipientKind,
    /// Why they receive it.
    pub reason: Reason,
}

/// Routes a notice of `category` on `account` at `now`: members who hold the category's
/// permission and have not opted out, then subscribed contacts; each address once (the first
/// reason found wins: members before contacts, by id); the owner when nobody else is chosen.
/// Never empty (rule 8).
pub fn route(
    account: &Account,
    directory: &MemberDirectory,
    category: NotificationCategory,
    now: DateTime<Utc>,
) -> Vec<Recipient> {
    let mut members: Vec<_> = account
        .members
        .values()
        .filter(|m| m.is_active(now))
        .filter_map(|m| {
            let address = directory.get(m.user).filter(|a| !a.disabled)?;
            let reason = member_reason(category, m.permissions, address.preferences)?;
            Some((m.user, address, reason))
        })
        .collect();
    members.sort_unstable_by_key(|(user, _, _)| *user);

    let mut seen: HashSet<&str> = HashSet::with_capacity(members.len() + account.contacts.len());
    let mut out = Vec::with_capacity(members.len() + account.contacts.len());
    for (user, address, reason) in members {
        if seen.insert(address.email.normalized()) {
            out.push(Recipient { email: address.email.clone(), kind: RecipientKind::Member(user), reason });
        }
    }
    for contact in account.contacts.values().filter(|c| c.categories.contains(category)) {
        if seen.insert(contact.email.normalized()) {
            out.push(Recipient {
                email: contact.email.clone(),
                kind: RecipientKind::Contact(contact.id),
                reason: Reason::SubscribedContact,
            });
        }
    }
    if out.is_empty() {
        out.push(match directory.get(account.owner) {
            Some(owner) => Recipient {
                email: owner.email.clone(),
                kind: RecipientKind::Member(account.owner),
                reason: Reason::OwnerFallback,
            },
            None => Recipient {
                email: account.profile.primary_email.clone(),
                kind: RecipientKind::PrimaryEmail,
                reason: Reason::PrimaryEmailFallback,
            },
        });
    }
    out
}

fn member_reason(
    category: NotificationCategory,
    held: PermissionSet,
    preferences: NotificationPreferences,
) -> Option<Reason> {
    if category == NotificationCategory::Security {
        return Some(Reason::SecurityNotice);
    }
    if !preferences.receives(category) {
        return None;
    }
    match category.permission() {
        Some(p) if held.contains(p) => Some(Reason::HoldsPermission(p)),
        Some(_) => None,
        None => Some(Reason::AllMembers),
    }
}
