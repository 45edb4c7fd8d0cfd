//! The audit trail as one reader sees it: a value only to who may read it elsewhere.
//!
//! `audit.view` shows who changed what and when. The values of the master profile (tax id,
//! phone, address, ...) stay behind `account.profile.manage` and a contact's details behind
//! `contacts.manage`, the permissions that show them anywhere else; a reader without one sees
//! which fields changed, and who changed them. (Invites and notices carry what the access
//! review and the notice list already show to `audit.view` readers.)

use chrono::{DateTime, Utc};

use super::{AccountChange, AccountEvent, Target, View};
use crate::actor::Actor;
use crate::permission::PermissionSet;

/// One entry of an account's audit trail, for one reader. The change is reachable only through
/// [`AuditEntry::change`], which is `None` when its values are withheld from this reader.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEntry {
    seq: u64,
    event: AccountEvent,
    withheld: Vec<&'static str>,
}

impl AuditEntry {
    /// `stored` as a reader holding `permissions` may see it (the operator holds all).
    pub fn for_reader(stored: StoredEvent, permissions: PermissionSet) -> Self {
        let withheld = match stored.event.change.values_view().and_then(View::permission) {
            Some(needed) if !permissions.contains(needed) => stored.event.change.fields(),
            _ => Vec::new(),
        };
        Self { seq: stored.seq, event: stored.event, withheld }
    }

    /// Position in the account's history (1 is the opening).
    pub fn seq(&self) -> u64 {
        self.seq
    }
    /// Who made the change.
    pub fn actor(&self) -> Actor {
        self.event.actor
    }
    /// When.
    pub fn at(&self) -> DateTime<Utc> {
        self.event.at
    }
    /// The kind of change ([`AccountChange::kind`]).
    pub fn kind(&self) -> &'static str {
        self.event.change.kind()
    }
    /// What it is about.
    pub fn target(&self) -> Target {
        self.event.change.target()
    }
    /// The change with its values, or `None` when they are withheld from this reader.
    pub fn change(&self) -> Option<&AccountChange> {
        self.withheld.is_empty().then_some(&self.event.change)
    }
    /// The fields whose values are withheld (empty when [`AuditEntry::change`] shows them).
    pub fn withheld(&self) -> &[&'static str] {
        &self.withheld
    }
}

impl AccountChange {
    /// The part of the account whose readers may see this change's values; `None` when the
    /// change carries nothing beyond ids, permissions and times (visible with `audit.view`).
    pub const fn values_view(&self) -> Option<View> {
        match self {
            Self::Opened { .. } | Self::ProfileUpdated { .. } => Some(View::Profile),
            Self::ContactAdded { .. } | Self::ContactEdited { .. } => Some(View::Contacts),
            Self::MemberInvited { .. }
            | Self::NoticeRecorded { .. }
            | Self::InviteResent { .. }
            | Self::InviteCancelled { .. }
            | Self::InviteAccepted { .. }
            | Self::InviteDeclined { .. }
            | Self::MemberEdited { .. }
            | Self::MemberRemoved { .. }
            | Self::MemberLeft { .. }
            | Self::OwnershipTransferred { .. }
            | Self::Closed
            | Self::ContactRemoved { .. }
            | Self::AccessReviewRecorded { .. } => None,
        }
    }

    /// The names of the value fields this change sets (for a patch, only the changed ones),
    /// where [`AccountChange::values_view`] guards them; empty for the rest.
    pub fn fields(&self) -> Vec<&'static str> {
        fn set(out: &mut Vec<&'static str>, name: &'static str, is_set: bool) {
            if is_set {
                out.push(name);
            }
        }
        let mut out = Vec::new();
        match self {
            Self::Opened { profile, .. } => {
                out.extend(["display_name", "primary_email"]);
                set(&mut out, "company", profile.company.is_some());
                set(&mut out, "phone", profile.phone.is_some());
                set(&mut out, "address", profile.address.is_some());
                set(&mut out, "tax_id", profile.tax_id.is_some());
            }
            Self::ProfileUpdated { patch } => {
                set(&mut out, "display_name", patch.display_name.is_some());
                set(&mut out, "company", patch.company.is_some());
                set(&mut out, "primary_email", patch.primary_email.is_some());
                set(&mut out, "phone", patch.phone.is_some());
                set(&mut out, "address", patch.address.is_some());
                set(&mut out, "tax_id", patch.tax_id.is_some());
            }
            Self::ContactAdded { phone, company, .. } => {
                out.extend(["name", "email"]);
                set(&mut out, "phone", phone.is_some());
                set(&mut out, "company", company.is_some());
                out.push("categories");
            }
            Self::ContactEdited { patch, .. } => {
                set(&mut out, "name", patch.name.is_some());
                set(&mut out, "email", patch.email.is_some());
                set(&mut out, "phone", patch.phone.is_some());
                set(&mut out, "company", patch.company.is_some());
                set(&mut out, "categories", patch.categories.is_some());
            }
            _ => {}
        }
        out
    }
}

/// An account event with its position in the account's history (1 for `Opened`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredEvent {
    /// The account's version once this event was applied.
    pub seq: u64,
    /// The event.
    pub event: AccountEvent,
}
