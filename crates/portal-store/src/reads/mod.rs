//! The reads behind the store port, by what they read. The SQLite in-line readers (`crate::sqlite`)
//! serve the per-request ones when they can; every read here also works without them.

use portal_domain::account::Access;
use portal_domain::ids::{AccountId, UserId};
use portal_domain::ports::StoreError;
use sea_orm::EntityTrait;

use crate::SqlStore;
use crate::convert::{self};
use crate::entity::memberships;
use crate::error::db;
use crate::reads::cached::first;

pub(crate) mod accounts;
pub(crate) mod cached;
pub(crate) mod events;
pub(crate) mod lists;
pub(crate) mod picker;
pub(crate) mod users;

impl SqlStore {
    /// A membership row and its account's row, by primary keys, in one query.
    pub(crate) async fn membership_with_account(
        &self,
        account: AccountId,
        user: UserId,
    ) -> Result<Option<(memberships::Model, Option<crate::entity::accounts::Model>)>, StoreError> {
        memberships::Entity::find_by_id((account.as_uuid(), user.as_uuid()))
            .find_also_related(crate::entity::accounts::Entity)
            .all(self.conn())
            .await
            .map(first)
            .map_err(db("read a membership"))
    }
}

pub(crate) fn access_from(
    account: AccountId,
    membership: memberships::Model,
    status: &str,
    owner: uuid::Uuid,
) -> Result<Access, StoreError> {
    let is_owner = membership.is_owner;
    Ok(Access {
        membership: convert::membership_from_row(membership)?,
        is_owner,
        account_status: convert::account_status(&account, status)?,
        owner: UserId::from_uuid(owner),
    })
}

pub(crate) fn fetch_limit(limit: usize) -> u64 {
    u64::try_from(limit.saturating_add(1)).unwrap_or(u64::MAX)
}
