//! One member's access to one account, without loading the account: what every request checks.

use chrono::{DateTime, Utc};

use super::{Account, AccountStatus, Membership, View};
use crate::error::DomainError;
use crate::ids::{AccountId, UserId};
use crate::permission::PermissionSet;
use crate::values::{CompanyName, RoleLabel};

/// A member's standing in an account: their membership, whether they own it, and the account's
/// status. What a store returns from one indexed read for each request (rule 7: re-read every
/// time, never cached in a token).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Access {
    /// The membership.
    pub membership: Membership,
    /// Whether the member owns the account.
    pub is_owner: bool,
    /// The account's status.
    pub account_status: AccountStatus,
    /// The account's owner.
    pub owner: crate::ids::UserId,
}

impl Access {
    /// The same decision as [`Account::authorize_view`](super::Account::authorize_view) for a user,
    /// from the member's row alone.
    pub fn authorize_view(access: Option<&Access>, view: View, now: DateTime<Utc>) -> Result<(), DomainError> {
        let membership =
            access.map(|a| &a.membership).filter(|m| m.is_active(now)).ok_or(DomainError::AccountNotFound)?;
        view.open_to(membership.permissions)
    }
}

/// One account as its member sees it in the account picker.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountSummary {
    /// The account.
    pub id: AccountId,
    /// Its display name.
    pub display_name: CompanyName,
    /// Whether the member owns it.
    pub is_owner: bool,
    /// The member's permissions there.
    pub permissions: PermissionSet,
    /// The member's role label there.
    pub role: Option<RoleLabel>,
    /// Whether the account is closed.
    pub closed: bool,
}

impl AccountSummary {
    /// Whether the member may read `view` (what [`Access::authorize_view`] decides for an active
    /// membership, which every summary is): for a page to offer only the sections that open.
    pub fn may_view(&self, view: View) -> bool {
        self.authorize_view(view).is_ok()
    }

    /// [`AccountSummary::may_view`] with the reason when not: the permission `view` needs.
    pub fn authorize_view(&self, view: View) -> Result<(), DomainError> {
        view.open_to(self.permissions)
    }

    /// Whether the member may grant `granted` (rule 3), and if not, why: for a form to disable
    /// what would be refused, with the reason.
    pub fn may_grant(&self, granted: PermissionSet) -> Result<(), DomainError> {
        super::decide::may_grant(self.permissions, self.is_owner, granted)
    }

    /// The picker's entry for `user`'s `access` to an account at `now`; `None` once the
    /// membership has ended (an ended membership opens nothing, so the picker does not offer it).
    pub fn of(
        id: AccountId,
        display_name: CompanyName,
        access: Access,
        user: UserId,
        now: DateTime<Utc>,
    ) -> Option<Self> {
        access.membership.is_active(now).then(|| Self {
            id,
            display_name,
            is_owner: access.owner == user,
            permissions: access.membership.permissions(),
            role: access.membership.role().cloned(),
            closed: access.account_status == AccountStatus::Closed,
        })
    }
}

impl Account {
    /// The picker's entry for `user` in this account at `now`, if they are an active member.
    pub fn summary_for(&self, user: UserId, now: DateTime<Utc>) -> Option<AccountSummary> {
        let membership = self.member(user)?.clone();
        let access =
            Access { membership, is_owner: self.owner() == user, account_status: self.status(), owner: self.owner() };
        AccountSummary::of(self.id(), self.profile().display_name.clone(), access, user, now)
    }
}
