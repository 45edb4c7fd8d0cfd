//! The [`Store`] port on SeaORM: one transaction per commit, version-guarded, writing only the
//! rows the events touched; keyset-paginated reads served by indexes.

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};
use portal_domain::account::{Access, Account, AccountChange, AccountEvent, Contact, Invite, Membership, Target};
use portal_domain::ids::{AccountId, ContactId, InviteId, NoticeId, UserId};
use portal_domain::ports::{
    AccountListing, Changes, CommitError, MemberRow, MembershipListing, NoticeRecord, OutgoingEmail, Page, PageRequest,
    Saved, Store as StorePort, StoreError, StoredEvent, member_rows_of,
};
use portal_domain::user::{User, UserEvent, UserStatus};
use portal_domain::values::{EmailAddress, TokenDigest};
use sea_orm::sea_query::{Expr, ExprTrait, OnConflict};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, DatabaseTransaction, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
    SqliteTransactionMode, TransactionOptions, TransactionTrait,
};

use crate::convert::{self, version_i64};
use crate::entity::{account_events, accounts, contacts, invites, memberships, notices, outbox, user_events, users};
use crate::error::{commit as commit_err, db};
use crate::query::{first, limited};
use crate::reader;
use crate::{Backend, Store};

impl Store {
    /// This process's turn to write to SQLite (nothing to wait for on PostgreSQL), for a write
    /// of one statement outside a transaction.
    pub(crate) async fn write_turn(&self) -> Option<tokio::sync::OwnedMutexGuard<()>> {
        match &self.write_turn {
            Some(turn) => Some(turn.clone().lock_owned().await),
            None => None,
        }
    }

    pub(crate) async fn begin_write(&self) -> Result<WriteTxn, StoreError> {
        // SQLite has one writer at a time. Writers of this process queue here, in order, and
        // start the moment the last one commits; left to SQLite's busy handler they would poll
        // with sleeps of 1, 2, 5, 10 ms..., which under a burst of sign-ins (each holding the
        // lock across its statements and an fsync) cost more than a quarter of the login rate,
        // measured. Other processes (the operator commands) still meet the busy timeout.
        let turn = self.write_turn().await;
        // SQLite: take the write lock at BEGIN, so a writer waits (busy timeout) rather than
        // failing on a read-to-write upgrade.
        let options = TransactionOptions {
            sqlite_transaction_mode: (self.backend == Backend::Sqlite).then_some(SqliteTransactionMode::Immediate),
            ..TransactionOptions::default()
        };
        let txn = self.conn().begin_with_options(options).await.map_err(db("begin a transaction"))?;
        Ok(WriteTxn { txn, _turn: turn })
    }
}

/// A write transaction, holding this process's turn to write until it ends.
pub(crate) struct WriteTxn {
    txn: DatabaseTransaction,
    _turn: Option<tokio::sync::OwnedMutexGuard<()>>,
}

impl std::ops::Deref for WriteTxn {
    type Target = DatabaseTransaction;

    fn deref(&self) -> &DatabaseTransaction {
        &self.txn
    }
}

impl WriteTxn {
    pub(crate) async fn commit(self) -> Result<(), sea_orm::DbErr> {
        self.txn.commit().await
    }

    pub(crate) async fn rollback(self) -> Result<(), sea_orm::DbErr> {
        self.txn.rollback().await
    }
}

/// What one account's events touched, so only those rows are written.
#[derive(Default)]
struct Touched {
    members: BTreeSet<UserId>,
    invites: BTreeSet<InviteId>,
    contacts: BTreeSet<ContactId>,
}

fn touched(events: &[AccountEvent]) -> Touched {
    let mut t = Touched::default();
    for e in events {
        match &e.change {
            AccountChange::Opened { owner, .. } => {
                t.members.insert(*owner);
            }
            AccountChange::OwnershipTransferred { from, to } => {
                t.members.insert(*from);
                t.members.insert(*to);
            }
            AccountChange::InviteAccepted { invite, user, .. } => {
                t.invites.insert(*invite);
                t.members.insert(*user);
            }
            change => match change.target() {
                Target::Member(u) => {
                    t.members.insert(u);
                }
                Target::Invite(i) => {
                    t.invites.insert(i);
                }
                Target::Contact(c) => {
                    t.contacts.insert(c);
                }
                Target::Account | Target::Notice(_) => {}
            },
        }
    }
    t
}

async fn write_user(txn: &DatabaseTransaction, saved: &Saved<User, UserEvent>) -> Result<(), CommitError> {
    let row = convert::user_row(&saved.state);
    if saved.expected_version == 0 {
        users::Entity::insert(row).exec(txn).await.map_err(commit_err("insert a user"))?;
    } else {
        let mut update = row;
        update.id = sea_orm::ActiveValue::NotSet;
        // last_login_at is written by record_login only, never from a possibly stale state.
        update.last_login_at = sea_orm::ActiveValue::NotSet;
        let done = users::Entity::update_many()
            .set(update)
            .filter(users::Column::Id.eq(saved.state.id().as_uuid()))
            .filter(users::Column::Version.eq(version_i64(saved.expected_version)))
            .exec(txn)
            .await
            .map_err(commit_err("update a user"))?;
        if done.rows_affected != 1 {
            return Err(CommitError::Conflict);
        }
    }
    if !saved.events.is_empty() {
        let rows = saved
            .events
            .iter()
            .enumerate()
            .map(|(i, e)| convert::user_event_row(saved.expected_version + i as u64 + 1, e))
            .collect::<Result<Vec<_>, _>>()?;
        user_events::Entity::insert_many(rows).exec(txn).await.map_err(commit_err("append user events"))?;
    }
    Ok(())
}

async fn write_account(txn: &DatabaseTransaction, saved: &Saved<Account, AccountEvent>) -> Result<(), CommitError> {
    let account = &saved.state;
    let id = account.id();
    let row = convert::account_row(account);
    if saved.expected_version == 0 {
        accounts::Entity::insert(row).exec(txn).await.map_err(commit_err("insert an account"))?;
    } else {
        let mut update = row;
        update.id = sea_orm::ActiveValue::NotSet;
        let done = accounts::Entity::update_many()
            .set(update)
            .filter(accounts::Column::Id.eq(id.as_uuid()))
            .filter(accounts::Column::Version.eq(version_i64(saved.expected_version)))
            .exec(txn)
            .await
            .map_err(commit_err("update an account"))?;
        if done.rows_affected != 1 {
            return Err(CommitError::Conflict);
        }
    }
    let t = touched(&saved.events);

    for invite in &t.invites {
        let Some(i) = account.invite(*invite) else { continue };
        invites::Entity::insert(convert::invite_row(id, i))
            .on_conflict(
                OnConflict::column(invites::Column::Id)
                    .update_columns([
                        invites::Column::Permissions,
                        invites::Column::Role,
                        invites::Column::ExpiresAt,
                        invites::Column::SentCount,
                        invites::Column::LastSentAt,
                        invites::Column::State,
                        invites::Column::StateBy,
                        invites::Column::StateAt,
                        invites::Column::TokenDigest,
                        invites::Column::Version,
                    ])
                    .to_owned(),
            )
            .exec(txn)
            .await
            .map_err(commit_err("write an invite"))?;
    }

    // Removals first, then members who are not the owner, then the owner: the one-owner index
    // never sees two owners, even mid-transfer.
    let (present, gone): (Vec<UserId>, Vec<UserId>) = t.members.iter().partition(|u| account.member(**u).is_some());
    for user in gone {
        memberships::Entity::delete_many()
            .filter(memberships::Column::AccountId.eq(id.as_uuid()))
            .filter(memberships::Column::UserId.eq(user.as_uuid()))
            .exec(txn)
            .await
            .map_err(commit_err("delete a membership"))?;
    }
    let mut present = present;
    present.sort_by_key(|u| *u == account.owner());
    for user in present {
        let Some(m) = account.member(user) else { continue };
        memberships::Entity::insert(convert::membership_row(id, m, user == account.owner()))
            .on_conflict(
                OnConflict::columns([memberships::Column::AccountId, memberships::Column::UserId])
                    .update_columns([
                        memberships::Column::IsOwner,
                        memberships::Column::Permissions,
                        memberships::Column::Role,
                        memberships::Column::InvitedBy,
                        memberships::Column::InviteId,
                        memberships::Column::GrantedBy,
                        memberships::Column::JoinedAt,
                        memberships::Column::EndsAt,
                        memberships::Column::Version,
                    ])
                    .to_owned(),
            )
            .exec(txn)
            .await
            .map_err(commit_err("write a membership"))?;
    }

    for contact in &t.contacts {
        match account.contact(*contact) {
            Some(c) => {
                contacts::Entity::insert(convert::contact_row(id, c))
                    .on_conflict(
                        OnConflict::column(contacts::Column::Id)
                            .update_columns([
                                contacts::Column::Name,
                                contacts::Column::Email,
                                contacts::Column::EmailKey,
                                contacts::Column::Phone,
                                contacts::Column::Company,
                                contacts::Column::Categories,
                                contacts::Column::Version,
                            ])
                            .to_owned(),
                    )
                    .exec(txn)
                    .await
                    .map_err(commit_err("write a contact"))?;
            }
            None => {
                contacts::Entity::delete_by_id(contact.as_uuid())
                    .exec(txn)
                    .await
                    .map_err(commit_err("delete a contact"))?;
            }
        }
    }

    for e in &saved.events {
        if let Some(notice) = convert::notice_row(id, e.at, &e.change)? {
            notices::Entity::insert(notice).exec(txn).await.map_err(commit_err("record a notice"))?;
        }
    }

    if !saved.events.is_empty() {
        let rows = saved
            .events
            .iter()
            .enumerate()
            .map(|(i, e)| convert::account_event_row(saved.expected_version + i as u64 + 1, e))
            .collect::<Result<Vec<_>, _>>()?;
        account_events::Entity::insert_many(rows).exec(txn).await.map_err(commit_err("append account events"))?;
    }
    Ok(())
}

async fn write_outbox(
    txn: &DatabaseTransaction,
    mail: &[OutgoingEmail],
    now: DateTime<Utc>,
) -> Result<(), CommitError> {
    if mail.is_empty() {
        return Ok(());
    }
    let rows = mail
        .iter()
        .map(|m| {
            let payload =
                serde_json::to_string(&m.message).map_err(|e| StoreError::with_source("encode an email", e))?;
            Ok(outbox::ActiveModel {
                id: sea_orm::ActiveValue::NotSet,
                created_at: Set(now),
                recipient: Set(m.to.as_str().to_owned()),
                payload: Set(payload),
                attempts: Set(0),
                next_attempt_at: Set(now),
                claimed_until: Set(None),
                sent_at: Set(None),
                last_error: Set(None),
            })
        })
        .collect::<Result<Vec<_>, StoreError>>()?;
    outbox::Entity::insert_many(rows).exec(txn).await.map_err(commit_err("queue email"))?;
    Ok(())
}

/// One membership that cannot be read must not lock its user out of sign-in and the account
/// picker: it is left out, and said so in the log (the table, the row, the cause).
fn unreadable_membership(user: UserId, e: &StoreError) {
    let mut chain = e.to_string();
    let mut cause = std::error::Error::source(e);
    while let Some(c) = cause {
        chain.push_str(": ");
        chain.push_str(&c.to_string());
        cause = c.source();
    }
    tracing::warn!(table = "memberships", %user, error = %chain, "left out an unreadable row");
}

impl Store {
    /// [`Store::memberships_of`] through SeaORM: the page's account ids (never a bad column),
    /// then each membership with its account, leaving out any that does not read.
    async fn memberships_one_by_one(
        &self,
        user: UserId,
        req: PageRequest<AccountId>,
    ) -> Result<Page<MembershipListing, AccountId>, StoreError> {
        let ids = self.accounts_of(user, req).await?;
        let mut items = Vec::with_capacity(ids.items.len());
        for account in ids.items {
            let listing = async {
                let row = memberships::Entity::find_by_id((account.as_uuid(), user.as_uuid()))
                    .find_also_related(accounts::Entity)
                    .all(self.conn())
                    .await
                    .map(first)
                    .map_err(db("read a membership"))?;
                let Some((membership, Some(owner_account))) = row else { return Ok(None) };
                Ok::<_, StoreError>(Some(MembershipListing {
                    account,
                    display_name: convert::display_name(&account, &owner_account.display_name)?,
                    access: access_from(account, membership, &owner_account.status, owner_account.owner_id)?,
                }))
            };
            match listing.await {
                Ok(Some(listing)) => items.push(listing),
                Ok(None) => {}
                Err(e) => unreadable_membership(user, &e),
            }
        }
        Ok(Page { items, next: ids.next })
    }
}

fn access_from(
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

fn fetch_limit(limit: usize) -> u64 {
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
        // One query: the membership row and its account's row, by primary keys.
        let row = memberships::Entity::find_by_id((account.as_uuid(), user.as_uuid()))
            .find_also_related(accounts::Entity)
            .all(self.conn())
            .await
            .map(first)
            .map_err(db("read a membership"))?;
        let Some((membership, owner_account)) = row else { return Ok(None) };
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
        let inline = self.read_inline("list a user's accounts", |c| {
            reader::memberships_of(c, user.as_uuid(), req.after.map(|a| a.as_uuid()), fetch_limit(req.limit))
        });
        let Some(rows) = inline else { return self.memberships_one_by_one(user, req).await };
        let mut rows = rows?;
        let more = rows.len() > req.limit;
        rows.truncate(req.limit);
        let next = more
            .then(|| rows.last().map(|r| AccountId::from_uuid(r.as_ref().map_or_else(|(a, _)| *a, |r| r.0.account_id))))
            .flatten();
        let mut items = Vec::with_capacity(rows.len());
        for row in rows {
            let listing = match row {
                Ok((membership, status, owner, display_name)) => {
                    let account = AccountId::from_uuid(membership.account_id);
                    convert::display_name(&account, &display_name).and_then(|display_name| {
                        Ok(MembershipListing {
                            account,
                            display_name,
                            access: access_from(account, membership, &status, owner)?,
                        })
                    })
                }
                Err((account, e)) => {
                    Err(StoreError::with_source(format!("membership {account}/{user} does not decode"), e))
                }
            };
            match listing {
                Ok(listing) => items.push(listing),
                Err(e) => unreadable_membership(user, &e),
            }
        }
        Ok(Page { items, next })
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
