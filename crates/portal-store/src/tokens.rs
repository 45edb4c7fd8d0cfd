//! One-time tokens in the commit: using up (an atomic `UPDATE ... WHERE used_at IS NULL`, so one
//! of many racing uses wins), what a change ends (sessions, open links), then issuing.

use chrono::{DateTime, Utc};
use portal_domain::credentials::{Binding, Redemption, Revocation, SessionsEnd, TokenPurpose, UserToken};
use portal_domain::ids::{SessionId, UserId};
use portal_domain::ports::{CommitError, StoreError};
use portal_domain::values::{EmailAddress, TokenDigest};
use sea_orm::ActiveValue::Set;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait, QueryFilter};

use crate::entity::{sessions, user_tokens};
use crate::error::{commit as commit_err, db};

fn binding_text(binding: &Binding) -> String {
    match binding {
        Binding::Address(email) => format!("address:{}", email.as_str()),
        Binding::Credentials(stamp) => format!("stamp:{}", stamp.as_str()),
        Binding::Session(id) => format!("session:{id}"),
    }
}

fn binding_of(text: &str) -> Option<Binding> {
    let (kind, value) = text.split_once(':')?;
    match kind {
        "address" => EmailAddress::parse(value).ok().map(Binding::Address),
        "stamp" => Some(Binding::Credentials(TokenDigest::new(value))),
        "session" => value.parse().ok().map(|u| Binding::Session(SessionId::from_uuid(u))),
        _ => None,
    }
}

fn token_of(m: user_tokens::Model) -> Result<UserToken, StoreError> {
    let unreadable = || StoreError::corrupt("user_tokens", m.user_id, "purpose or binding does not read");
    Ok(UserToken {
        purpose: TokenPurpose::parse(&m.purpose).ok_or_else(unreadable)?,
        binding: binding_of(&m.binding).ok_or_else(unreadable)?,
        digest: TokenDigest::new(m.digest),
        user: UserId::from_uuid(m.user_id),
        created_at: m.created_at,
        expires_at: m.expires_at,
    })
}

/// The unused token with this digest, expired or not.
pub(crate) async fn unused(conn: &impl ConnectionTrait, digest: &TokenDigest) -> Result<Option<UserToken>, StoreError> {
    let row = user_tokens::Entity::find_by_id(digest.as_str().to_owned())
        .filter(user_tokens::Column::UsedAt.is_null())
        .one(conn)
        .await
        .map_err(db("read a one-time token"))?;
    row.map(token_of).transpose()
}

/// Marks `user`'s unused tokens of `purposes` used at `now`.
async fn end_tokens(
    txn: &DatabaseTransaction,
    user: UserId,
    purposes: &[TokenPurpose],
    now: DateTime<Utc>,
) -> Result<(), CommitError> {
    if purposes.is_empty() {
        return Ok(());
    }
    user_tokens::Entity::update_many()
        .col_expr(user_tokens::Column::UsedAt, Expr::value(now))
        .filter(user_tokens::Column::UserId.eq(user.as_uuid()))
        .filter(user_tokens::Column::Purpose.is_in(purposes.iter().map(|p| p.as_str())))
        .filter(user_tokens::Column::UsedAt.is_null())
        .exec(txn)
        .await
        .map_err(commit_err("end one-time tokens"))?;
    Ok(())
}

/// Writes a commit's token work (`now`: the commit's time): uses first (a use that finds its token gone or expired fails
/// the commit as a conflict), then revocations, then new tokens.
pub(crate) async fn write_tokens(
    txn: &DatabaseTransaction,
    redeemed: &[Redemption],
    revocations: &[Revocation],
    issued: &[UserToken],
    now: DateTime<Utc>,
) -> Result<(), CommitError> {
    for r in redeemed {
        let done = user_tokens::Entity::update_many()
            .col_expr(user_tokens::Column::UsedAt, Expr::value(r.at))
            .filter(user_tokens::Column::Digest.eq(r.digest.as_str()))
            .filter(user_tokens::Column::UsedAt.is_null())
            .filter(user_tokens::Column::ExpiresAt.gt(r.at))
            .exec(txn)
            .await
            .map_err(commit_err("use a one-time token"))?;
        if done.rows_affected != 1 {
            return Err(CommitError::Conflict);
        }
    }
    for r in revocations {
        end_tokens(txn, r.user, &r.tokens, now).await?;
        let ended = sessions::Entity::delete_many().filter(sessions::Column::UserId.eq(r.user.as_uuid()));
        let ended = match r.sessions {
            SessionsEnd::None => continue,
            SessionsEnd::All => ended,
            SessionsEnd::AllBut(keep) => ended.filter(sessions::Column::Id.ne(keep.as_uuid())),
        };
        ended.exec(txn).await.map_err(commit_err("end sessions"))?;
    }
    for t in issued {
        user_tokens::Entity::insert(user_tokens::ActiveModel {
            digest: Set(t.digest.as_str().to_owned()),
            user_id: Set(t.user.as_uuid()),
            purpose: Set(t.purpose.as_str().to_owned()),
            binding: Set(binding_text(&t.binding)),
            created_at: Set(t.created_at),
            expires_at: Set(t.expires_at),
            used_at: Set(None),
        })
        .exec(txn)
        .await
        .map_err(commit_err("store a one-time token"))?;
    }
    Ok(())
}
