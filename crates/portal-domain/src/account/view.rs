//! Which permission each read of an account needs (rule 2 for reads).

use chrono::{DateTime, Utc};

use super::Account;
use crate::actor::Actor;
use crate::error::DomainError;
use crate::permission::{Permission, PermissionSet};

/// A part of an account someone may want to read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum View {
    /// Its name and the caller's own membership (the account picker).
    Summary,
    /// The master profile, billing details included.
    Profile,
    /// Members and their permissions.
    Members,
    /// Invites.
    Invites,
    /// Contacts.
    Contacts,
    /// Notices and their recipients.
    Notices,
    /// The audit trail and the access review.
    Audit,
}

impl View {
    /// Whether a member holding `held` may read this view; if not, the permission it needs.
    pub fn open_to(self, held: PermissionSet) -> Result<(), DomainError> {
        match self.permission() {
            Some(p) if !held.contains(p) => Err(DomainError::MissingPermission(p)),
            _ => Ok(()),
        }
    }

    /// The permission a member needs for this view; `None` when every member may.
    pub const fn permission(self) -> Option<Permission> {
        match self {
            Self::Summary => None,
            Self::Profile => Some(Permission::AccountProfileManage),
            Self::Members | Self::Invites => Some(Permission::UsersManage),
            Self::Contacts => Some(Permission::ContactsManage),
            Self::Notices => Some(Permission::NoticesView),
            Self::Audit => Some(Permission::AuditView),
        }
    }
}

impl Account {
    /// Whether `actor` may read `view` at `now`: a current member holding the view's permission,
    /// or the operator. A non-member gets [`DomainError::AccountNotFound`], never a hint that the
    /// account exists.
    pub fn authorize_view(&self, actor: &Actor, view: View, now: DateTime<Utc>) -> Result<(), DomainError> {
        match actor {
            Actor::Operator => Ok(()),
            Actor::InviteHolder => Err(DomainError::AccountNotFound),
            Actor::User(user) => {
                // Reads go by the membership itself, so a closed account stays readable to its members.
                let access = self.members.get(user).map(|m| super::Access {
                    membership: m.clone(),
                    is_owner: *user == self.owner,
                    account_status: self.status,
                    owner: self.owner,
                });
                super::Access::authorize_view(access.as_ref(), view, now)
            }
        }
    }
}
