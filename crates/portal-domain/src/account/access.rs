//! One member's access to one account, without loading the account: what every request checks.

use chrono::{DateTime, Utc};

use super::{AccountStatus, Membership, View};
use crate::error::DomainError;

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
        match view.permission() {
            Some(p) if !membership.permissions.contains(p) => Err(DomainError::MissingPermission(p)),
            _ => Ok(()),
        }
    }
}
