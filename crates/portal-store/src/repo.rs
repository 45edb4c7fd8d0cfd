//! The [`Store`] port on SeaORM: one transaction per commit, version-guarded, writing only the
//! rows the events touched; keyset-paginated reads served by indexes.

use chrono::{DateTime, Utc};
use portal_domain::account::{Access, Account, AccountEvent, Contact, Invite, Membership, Target};
use portal_domain::ids::{AccountId, ContactId, InviteId, NoticeId, UserId};
use portal_domain::ports::{
    AccountListing, Changes, CommitError, MemberRow, MembershipListing, NoticeRecord, Page, PageRequest,
    Store as StorePort, StoreError, StoredEvent, member_rows_of,
};
use portal_domain::user::{User, UserEvent, UserStatus};
use portal_domain::values::{EmailAddress, TokenDigest};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

use crate::Store;
use crate::convert::{self, version_i64};
use crate::entity::{account_events, accounts, contacts, invites, memberships, notices, user_events, users};
use crate::error::{commit as commit_err, db};
use crate::query::{first, limited};
use crate::reader;
use crate::write::{write_account, write_outbox, write_user};

impl Store {
    /// A membership row and its account's row, by primary keys, in one query.
    pub(crate) async fn membership_with_account(
        &self,
        account: AccountId,
        user: UserId,
    ) -> Result<Option<(memberships::Model, Option<accounts::Model>)>, StoreError> {
        memberships::Entity::find_by_id((account.as_uuid(), user.as_uuid()))
            .find_also_related(accounts::Entity)
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

/// Sets the user's last login time, outside the versioned user row (on `conn`, which may be a
/// transaction).
pub(crate) async fn record_login_on(
    conn: &impl sea_orm::ConnectionTrait,
    user: UserId,
    at: DateTime<Utc>,
) -> Result<(), StoreError> {
    users::Entity::update_many()
        .col_expr(users::Column::LastLoginAt, Expr::value(at))
        .filter(users::Column::Id.eq(user.as_uuid()))
        .exec(conn)
        .await
        .map_err(db("record a login"))?;
    Ok(())
}

pub(crate) fn fetch_limit(limit: usize) -> u64 {
    u64::try_from(limit.saturating_add(1)).unwrap_or(u64::MAX)
}

impl StorePort for Store {
    async fn commit(&self, changes: Changes) -> Result<(), CommitError> {
        if changes.is_empty() {
            return Ok(());
        }
        let now = changes
            .accounts
            .iter()
            .flat_map(|a| a.events.iter().map(|e| e.at))
            .chain(changes.users.iter().flat_map(|u| u.events.iter().map(|e| e.at)))
            .max()
            .unwrap_or(DateTime::<Utc>::UNIX_EPOCH);
        let txn = self.begin_write().await?;
        let written = async {
            // Users first: accounts refer to them.
            for saved in &changes.users {
                write_user(&txn, saved).await?;
            }
            for saved in &changes.accounts {
                write_account(&txn, saved).await?;
            }
            write_outbox(&txn, &changes.outbox, now).await
        }
        .await;
        match written {
            Ok(()) => txn.commit().await.map_err(commit_err("commit")),
            Err(e) => {
                txn.rollback().await.map_err(db("roll back"))?;
                Err(e)
            }
        }
    }

    async fn account(&self, id: AccountId) -> Result<Option<Account>, StoreError> {
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

    async fn user(&self, id: UserId) -> Result<Option<User>, StoreError> {
        let row = match self.read_inline("read a user", |c| reader::user(c, id.as_uuid())) {
            Some(row) => row?,
            None => {
                users::Entity::find_by_id(id.as_uuid()).all(self.conn()).await.map(first).map_err(db("read a user"))?
            }
        };
        row.map(convert::user_from_row).transpose()
    }

    async fn user_status(&self, id: UserId) -> Result<Option<UserStatus>, StoreError> {
        let Some(status) = self.read_inline("read a user's status", |c| reader::user_status(c, id.as_uuid())) else {
            return Ok(self.user(id).await?.map(|u| u.status()));
        };
        status?.map(|s| convert::user_status(&id, &s)).transpose()
    }

    async fn user_by_email(&self, email: &EmailAddress) -> Result<Option<User>, StoreError> {
        let row = match self.read_inline("read a user by email", |c| reader::user_by_email_key(c, email.normalized())) {
            Some(row) => row?,
            None => users::Entity::find()
                .filter(users::Column::EmailKey.eq(email.normalized()))
                .all(self.conn())
                .await
                .map(first)
                .map_err(db("read a user by email"))?,
        };
        row.map(convert::user_from_row).transpose()
    }

    async fn users(&self, ids: &[UserId]) -> Result<Vec<User>, StoreError> {
        let keys: Vec<_> = ids.iter().map(|u| u.as_uuid()).collect();
        if let Some(rows) = self.read_inline("read users", |c| reader::users(c, &keys)) {
            return rows?.into_iter().map(convert::user_from_row).collect();
        }
        let mut out = Vec::with_capacity(ids.len());
        // Bounded IN lists: SQLite caps bound parameters.
        for chunk in ids.chunks(500) {
            let rows = users::Entity::find()
                .filter(users::Column::Id.is_in(chunk.iter().map(|u| u.as_uuid())))
                .all(self.conn())
                .await
                .map_err(db("read users"))?;
            for row in rows {
                out.push(convert::user_from_row(row)?);
            }
        }
        Ok(out)
    }

    async fn account_by_invite_token(&self, token: &TokenDigest) -> Result<Option<AccountId>, StoreError> {
        let row = invites::Entity::find()
            .filter(invites::Column::TokenDigest.eq(token.as_str()))
            .all(self.conn())
            .await
            .map(first)
            .map_err(db("find an invite by token"))?;
        Ok(row.map(|r| AccountId::from_uuid(r.account_id)))
    }

    async fn accounts_of(
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

    async fn account_events(
        &self,
        account: AccountId,
        req: PageRequest<u64>,
    ) -> Result<Page<StoredEvent, u64>, StoreError> {
        let mut query = account_events::Entity::find()
            .filter(account_events::Column::AccountId.eq(account.as_uuid()))
            .order_by_desc(account_events::Column::Seq);
        if let Some(after) = req.after {
            query = query.filter(account_events::Column::Seq.lt(version_i64(after)));
        }
        let rows = limited(query, fetch_limit(req.limit), self.conn()).await.map_err(db("list account events"))?;
        let items = rows.into_iter().map(convert::account_event_from_row).collect::<Result<Vec<_>, _>>()?;
        Ok(Page::from_overfetch(items, req.limit, |e| e.seq))
    }

    async fn account_history(&self, account: AccountId) -> Result<Vec<AccountEvent>, StoreError> {
        let rows = account_events::Entity::find()
            .filter(account_events::Column::AccountId.eq(account.as_uuid()))
            .order_by_asc(account_events::Column::Seq)
            .all(self.conn())
            .await
            .map_err(db("read account history"))?;
        rows.into_iter().map(|r| convert::account_event_from_row(r).map(|s| s.event)).collect()
    }

    async fn user_events(&self, user: UserId) -> Result<Vec<UserEvent>, StoreError> {
        let rows = user_events::Entity::find()
            .filter(user_events::Column::UserId.eq(user.as_uuid()))
            .order_by_asc(user_events::Column::Seq)
            .all(self.conn())
            .await
            .map_err(db("read user history"))?;
        rows.into_iter().map(convert::user_event_from_row).collect()
    }

    async fn access(&self, account: AccountId, user: UserId) -> Result<Option<Access>, StoreError> {
        if let Some(row) =
            self.read_inline("read a membership", |c| reader::access(c, account.as_uuid(), user.as_uuid()))
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

    async fn standing(
        &self,
        account: AccountId,
        user: UserId,
    ) -> Result<Option<(UserStatus, Option<Access>)>, StoreError> {
        let Some(row) =
            self.read_inline("read a user's standing", |c| reader::standing(c, account.as_uuid(), user.as_uuid()))
        else {
            let Some(status) = self.user_status(user).await? else { return Ok(None) };
            return Ok(Some((status, self.access(account, user).await?)));
        };
        let Some((status, access)) = row? else { return Ok(None) };
        let access = access
            .map(|(membership, account_status, owner)| access_from(account, membership, &account_status, owner))
            .transpose()?;
        Ok(Some((convert::user_status(&user, &status)?, access)))
    }

    async fn members_page(
        &self,
        account: AccountId,
        req: PageRequest<UserId>,
    ) -> Result<Page<Membership, UserId>, StoreError> {
        let inline = self.read_inline("list members", |c| {
            reader::members(c, account.as_uuid(), req.after.map(|u| u.as_uuid()), fetch_limit(req.limit))
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

    async fn memberships_of(
        &self,
        user: UserId,
        req: PageRequest<AccountId>,
    ) -> Result<Page<MembershipListing, AccountId>, StoreError> {
        crate::picker::memberships_of(self, user, req).await
    }

    async fn member_rows_page(
        &self,
        account: AccountId,
        req: PageRequest<UserId>,
    ) -> Result<Page<MemberRow, UserId>, StoreError> {
        let inline = self.read_inline("list members", |c| {
            reader::member_rows(c, account.as_uuid(), req.after.map(|u| u.as_uuid()), fetch_limit(req.limit))
        });
        match inline {
            Some(rows) => {
                let items = rows?.into_iter().collect::<Result<Vec<_>, _>>()?;
                Ok(Page::from_overfetch(items, req.limit, |r| r.membership.user()))
            }
            None => member_rows_of(self, account, req).await,
        }
    }

    async fn invites_page(
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

    async fn contacts_page(
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

    async fn notices_page(
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

    async fn open_invites_for(
        &self,
        email: &EmailAddress,
        limit: usize,
    ) -> Result<Vec<(AccountId, Invite)>, StoreError> {
        let query = invites::Entity::find()
            .filter(invites::Column::EmailKey.eq(email.normalized()))
            .filter(invites::Column::State.eq("pending"))
            .order_by_asc(invites::Column::Id);
        let rows = limited(query, u64::try_from(limit).unwrap_or(u64::MAX), self.conn())
            .await
            .map_err(db("list invites for an address"))?;
        rows.into_iter().map(|r| Ok((AccountId::from_uuid(r.account_id), convert::invite_from_row(r)?))).collect()
    }

    async fn accounts_page(&self, req: PageRequest<AccountId>) -> Result<Page<AccountListing, AccountId>, StoreError> {
        let mut query = accounts::Entity::find().order_by_asc(accounts::Column::Id);
        if let Some(after) = req.after {
            query = query.filter(accounts::Column::Id.gt(after.as_uuid()));
        }
        let rows = limited(query, fetch_limit(req.limit), self.conn()).await.map_err(db("list accounts"))?;
        let items = rows.into_iter().map(convert::listing_from_row).collect::<Result<Vec<_>, _>>()?;
        Ok(Page::from_overfetch(items, req.limit, |l| l.id))
    }

    async fn target_events(
        &self,
        account: AccountId,
        target: Target,
        req: PageRequest<u64>,
    ) -> Result<Page<StoredEvent, u64>, StoreError> {
        let mut query = account_events::Entity::find()
            .filter(account_events::Column::AccountId.eq(account.as_uuid()))
            .filter(account_events::Column::Target.eq(convert::target_text(target)))
            .order_by_desc(account_events::Column::Seq);
        if let Some(after) = req.after {
            query = query.filter(account_events::Column::Seq.lt(version_i64(after)));
        }
        let rows =
            limited(query, fetch_limit(req.limit), self.conn()).await.map_err(db("list events about a target"))?;
        let items = rows.into_iter().map(convert::account_event_from_row).collect::<Result<Vec<_>, _>>()?;
        Ok(Page::from_overfetch(items, req.limit, |e| e.seq))
    }

    async fn record_activity(&self, account: AccountId, user: UserId, at: DateTime<Utc>) -> Result<(), StoreError> {
        memberships::Entity::update_many()
            .col_expr(memberships::Column::LastActiveAt, Expr::value(at))
            .filter(memberships::Column::AccountId.eq(account.as_uuid()))
            .filter(memberships::Column::UserId.eq(user.as_uuid()))
            .filter(memberships::Column::LastActiveAt.is_null().or(memberships::Column::LastActiveAt.lt(at)))
            .exec(self.conn())
            .await
            .map_err(db("record activity"))?;
        Ok(())
    }

    async fn record_login(&self, user: UserId, at: DateTime<Utc>) -> Result<(), StoreError> {
        record_login_on(self.conn(), user, at).await
    }
}
