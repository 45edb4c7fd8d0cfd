//! The one write: a commit in one transaction, version-guarded, writing only the rows the
//! events touched (users, accounts and their parts, the outbox).

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};
use portal_domain::account::{Account, AccountChange, AccountEvent, Target};
use portal_domain::ids::{ContactId, InviteId, UserId};
use portal_domain::ports::{Changes, CommitError, OutgoingEmail, Saved, StoreError};
use portal_domain::user::{User, UserEvent};
use sea_orm::sea_query::OnConflict;
use sea_orm::{ActiveValue::Set, ColumnTrait, DatabaseTransaction, EntityTrait, QueryFilter};

use crate::SqlStore;
use crate::convert::{self, version_i64};
use crate::entity::{account_events, accounts, contacts, invites, memberships, notices, outbox, user_events, users};
use crate::error::{commit as commit_err, db};

impl SqlStore {
    pub(crate) async fn commit(&self, changes: Changes) -> Result<(), CommitError> {
        if changes.is_empty() {
            return Ok(());
        }
        let now = changes
            .accounts
            .iter()
            .flat_map(|a| a.events.iter().map(|e| e.at))
            .chain(changes.users.iter().flat_map(|u| u.events.iter().map(|e| e.at)))
            .chain(changes.tokens.iter().map(|t| t.created_at))
            .chain(changes.redeemed.iter().map(|r| r.at))
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
            crate::tokens::write_tokens(&txn, &changes.redeemed, &changes.revocations, &changes.tokens, now).await?;
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

pub(crate) async fn write_user(txn: &DatabaseTransaction, saved: &Saved<User, UserEvent>) -> Result<(), CommitError> {
    let mut row = convert::user_row(&saved.state);
    if saved.expected_version == 0 {
        // A new user has no second factor: the column is left to its default, so a database
        // not yet migrated to it still takes the row (the upgrade tests write through this).
        if matches!(row.mfa_secret, sea_orm::ActiveValue::Set(None)) {
            row.mfa_secret = sea_orm::ActiveValue::NotSet;
        }
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

pub(crate) async fn write_account(
    txn: &DatabaseTransaction,
    saved: &Saved<Account, AccountEvent>,
) -> Result<(), CommitError> {
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

pub(crate) async fn write_outbox(
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
                dead_at: Set(None),
            })
        })
        .collect::<Result<Vec<_>, StoreError>>()?;
    outbox::Entity::insert_many(rows).exec(txn).await.map_err(commit_err("queue email"))?;
    Ok(())
}
