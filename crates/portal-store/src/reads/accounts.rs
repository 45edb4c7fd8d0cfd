//! Accounts: one account whole, by an invite token, a user's account ids, the operator's list, and
//! one member's standing.

use portal_domain::account::{Access, Account};
use portal_domain::ids::{AccountId, UserId};
use portal_domain::ports::{AccountListing, Page, PageRequest, StoreError, standing_of};
use portal_domain::user::UserStatus;
use portal_domain::values::TokenDigest;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

use crate::SqlStore;
use crate::convert::{self};
use crate::entity::{accounts, contacts, invites, memberships};
use crate::error::db;
use crate::reads::cached::{first, limited};
use crate::reads::{access_from, fetch_limit};
use crate::sqlite;

impl SqlStore {
    pub(crate) async fn account(&self, id: AccountId) -> Result<Option<Account>, StoreError> {
        let conn = self.conn();
        let Some(row) =
            accounts::Entity::find_by_id(id.as_uuid()).all(conn).await.map(first).map_err(db("read an account"))?
        else {
            return Ok(None);
        };
        let key = id.as_uuid();
        let members = memberships::Entity::find()
            .filter(memberships::Column::AccountId.eq(key))
            .all(conn)
            .await
            .map_err(db("read memberships"))?;
        let invites = invites::Entity::find()
            .filter(invites::Column::AccountId.eq(key))
            .all(conn)
            .await
            .map_err(db("read invites"))?;
        let contacts = contacts::Entity::find()
            .filter(contacts::Column::AccountId.eq(key))
            .all(conn)
            .await
            .map_err(db("read contacts"))?;
        convert::account_from_rows(row, members, invites, contacts).map(Some)
    }

    pub(crate) async fn account_by_invite_token(&self, token: &TokenDigest) -> Result<Option<AccountId>, StoreError> {
        let row = invites::Entity::find()
            .filter(invites::Column::TokenDigest.eq(token.as_str()))
            .all(self.conn())
            .await
            .map(first)
            .map_err(db("find an invite by token"))?;
        Ok(row.map(|r| AccountId::from_uuid(r.account_id)))
    }

    pub(crate) async fn accounts_of(
        &self,
        user: UserId,
        req: PageRequest<AccountId>,
    ) -> Result<Page<AccountId, AccountId>, StoreError> {
        let mut query = memberships::Entity::find()
            .filter(memberships::Column::UserId.eq(user.as_uuid()))
            .order_by_asc(memberships::Column::AccountId);
        if let Some(after) = req.after {
            query = query.filter(memberships::Column::AccountId.gt(after.as_uuid()));
        }
        // The ids alone: a membership whose other columns do not decode still has its key.
        let ids: Vec<uuid::Uuid> = query
            .select_only()
            .column(memberships::Column::AccountId)
            .limit(fetch_limit(req.limit))
            .into_tuple()
            .all(self.conn())
            .await
            .map_err(db("list a user's accounts"))?;
        Ok(Page::from_overfetch(ids.into_iter().map(AccountId::from_uuid).collect(), req.limit, |a| *a))
    }

    pub(crate) async fn access(&self, account: AccountId, user: UserId) -> Result<Option<Access>, StoreError> {
        if let Some(row) =
            self.read_inline("read a membership", |c| sqlite::access(c, account.as_uuid(), user.as_uuid()))
        {
            return row?
                .map(|(membership, status, owner)| access_from(account, membership, &status, owner))
                .transpose();
        }
        let Some((membership, owner_account)) = self.membership_with_account(account, user).await? else {
            return Ok(None);
        };
        let owner_account = owner_account
            .ok_or_else(|| StoreError::corrupt("memberships", format!("{account}/{user}"), "no account"))?;
        access_from(account, membership, &owner_account.status, owner_account.owner_id).map(Some)
    }

    pub(crate) async fn standing(
        &self,
        account: AccountId,
        user: UserId,
    ) -> Result<Option<(UserStatus, Option<Access>)>, StoreError> {
        let Some(row) =
            self.read_inline("read a user's standing", |c| sqlite::standing(c, account.as_uuid(), user.as_uuid()))
        else {
            return standing_of(self, account, user).await;
        };
        let Some((status, access)) = row? else { return Ok(None) };
        let access = access
            .map(|(membership, account_status, owner)| access_from(account, membership, &account_status, owner))
            .transpose()?;
        Ok(Some((convert::user_status(&user, &status)?, access)))
    }

    pub(crate) async fn accounts_page(
        &self,
        req: PageRequest<AccountId>,
    ) -> Result<Page<AccountListing, AccountId>, StoreError> {
        let mut query = accounts::Entity::find().order_by_asc(accounts::Column::Id);
        if let Some(after) = req.after {
            query = query.filter(accounts::Column::Id.gt(after.as_uuid()));
        }
        let rows = limited(query, fetch_limit(req.limit), self.conn()).await.map_err(db("list accounts"))?;
        let items = rows.into_iter().map(convert::listing_from_row).collect::<Result<Vec<_>, _>>()?;
        Ok(Page::from_overfetch(items, req.limit, |l| l.id))
    }
}
