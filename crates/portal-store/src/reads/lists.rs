//! The keyset-paginated lists: members (with and without who they are), a user's memberships,
//! invites, contacts, notices, and the invites waiting for an address.

use portal_domain::account::{Contact, Invite, Membership};
use portal_domain::ids::{AccountId, ContactId, InviteId, NoticeId, UserId};
use portal_domain::ports::{
    MemberView, MembershipListing, NoticeRecord, Page, PageRequest, StoreError, member_rows_of,
};
use portal_domain::values::EmailAddress;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};

use crate::SqlStore;
use crate::convert::{self};
use crate::entity::{contacts, invites, memberships, notices};
use crate::error::db;
use crate::reads::cached::limited;
use crate::reads::fetch_limit;
use crate::sqlite;

impl SqlStore {
    pub(crate) async fn members_page(
        &self,
        account: AccountId,
        req: PageRequest<UserId>,
    ) -> Result<Page<Membership, UserId>, StoreError> {
        let inline = self.read_inline("list members", |c| {
            sqlite::members(c, account.as_uuid(), req.after.map(|u| u.as_uuid()), fetch_limit(req.limit))
        });
        let rows = match inline {
            Some(rows) => rows?,
            None => {
                let mut query = memberships::Entity::find()
                    .filter(memberships::Column::AccountId.eq(account.as_uuid()))
                    .order_by_asc(memberships::Column::UserId);
                if let Some(after) = req.after {
                    query = query.filter(memberships::Column::UserId.gt(after.as_uuid()));
                }
                limited(query, fetch_limit(req.limit), self.conn()).await.map_err(db("list members"))?
            }
        };
        let items = rows.into_iter().map(convert::membership_from_row).collect::<Result<Vec<_>, _>>()?;
        Ok(Page::from_overfetch(items, req.limit, Membership::user))
    }

    pub(crate) async fn memberships_of(
        &self,
        user: UserId,
        req: PageRequest<AccountId>,
    ) -> Result<Page<MembershipListing, AccountId>, StoreError> {
        crate::reads::picker::memberships_of(self, user, req).await
    }

    pub(crate) async fn member_rows_page(
        &self,
        account: AccountId,
        owner: UserId,
        req: PageRequest<UserId>,
    ) -> Result<Page<MemberView, UserId>, StoreError> {
        let inline = self.read_inline("list members", |c| {
            sqlite::member_rows(c, account.as_uuid(), owner, req.after.map(|u| u.as_uuid()), fetch_limit(req.limit))
        });
        match inline {
            Some(rows) => {
                let items = rows?.into_iter().collect::<Result<Vec<_>, _>>()?;
                Ok(Page::from_overfetch(items, req.limit, |r| r.membership.user()))
            }
            None => member_rows_of(self, account, owner, req).await,
        }
    }

    pub(crate) async fn invites_page(
        &self,
        account: AccountId,
        req: PageRequest<InviteId>,
    ) -> Result<Page<Invite, InviteId>, StoreError> {
        let mut query = invites::Entity::find()
            .filter(invites::Column::AccountId.eq(account.as_uuid()))
            .order_by_asc(invites::Column::Id);
        if let Some(after) = req.after {
            query = query.filter(invites::Column::Id.gt(after.as_uuid()));
        }
        let rows = limited(query, fetch_limit(req.limit), self.conn()).await.map_err(db("list invites"))?;
        let items = rows.into_iter().map(convert::invite_from_row).collect::<Result<Vec<_>, _>>()?;
        Ok(Page::from_overfetch(items, req.limit, Invite::id))
    }

    pub(crate) async fn contacts_page(
        &self,
        account: AccountId,
        req: PageRequest<ContactId>,
    ) -> Result<Page<Contact, ContactId>, StoreError> {
        let mut query = contacts::Entity::find()
            .filter(contacts::Column::AccountId.eq(account.as_uuid()))
            .order_by_asc(contacts::Column::Id);
        if let Some(after) = req.after {
            query = query.filter(contacts::Column::Id.gt(after.as_uuid()));
        }
        let rows = limited(query, fetch_limit(req.limit), self.conn()).await.map_err(db("list contacts"))?;
        let items = rows.into_iter().map(convert::contact_from_row).collect::<Result<Vec<_>, _>>()?;
        Ok(Page::from_overfetch(items, req.limit, Contact::id))
    }

    pub(crate) async fn notices_page(
        &self,
        account: AccountId,
        req: PageRequest<NoticeId>,
    ) -> Result<Page<NoticeRecord, NoticeId>, StoreError> {
        let mut query = notices::Entity::find()
            .filter(notices::Column::AccountId.eq(account.as_uuid()))
            .order_by_desc(notices::Column::Id);
        if let Some(after) = req.after {
            query = query.filter(notices::Column::Id.lt(after.as_uuid()));
        }
        let rows = limited(query, fetch_limit(req.limit), self.conn()).await.map_err(db("list notices"))?;
        let items = rows.into_iter().map(convert::notice_from_row).collect::<Result<Vec<_>, _>>()?;
        Ok(Page::from_overfetch(items, req.limit, |n| n.id))
    }

    pub(crate) async fn open_invites_of(&self, account: AccountId, limit: usize) -> Result<Vec<Invite>, StoreError> {
        let limit = u64::try_from(limit).unwrap_or(u64::MAX);
        if let Some(rows) =
            self.read_inline("list an account's open invites", |c| sqlite::open_invites_of(c, account.as_uuid(), limit))
        {
            return rows?.into_iter().map(convert::invite_from_row).collect();
        }
        let query = invites::Entity::find()
            .filter(invites::Column::AccountId.eq(account.as_uuid()))
            .filter(invites::Column::State.eq(convert::INVITE_PENDING))
            .order_by_asc(invites::Column::Id);
        let rows = limited(query, limit, self.conn()).await.map_err(db("list an account's open invites"))?;
        rows.into_iter().map(convert::invite_from_row).collect()
    }

    pub(crate) async fn open_invites_for(
        &self,
        email: &EmailAddress,
        limit: usize,
    ) -> Result<Vec<(AccountId, Invite)>, StoreError> {
        let query = invites::Entity::find()
            .filter(invites::Column::EmailKey.eq(email.normalized()))
            .filter(invites::Column::State.eq(convert::INVITE_PENDING))
            .order_by_asc(invites::Column::Id);
        let rows = limited(query, u64::try_from(limit).unwrap_or(u64::MAX), self.conn())
            .await
            .map_err(db("list invites for an address"))?;
        rows.into_iter().map(|r| Ok((AccountId::from_uuid(r.account_id), convert::invite_from_row(r)?))).collect()
    }
}
