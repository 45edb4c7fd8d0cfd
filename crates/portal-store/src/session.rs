//! Sessions and rate-limit counters live in the database, so any number of server processes can
//! share them. Session tokens are stored only as digests.

use std::time::Duration;

use chrono::{DateTime, Utc};
use portal_domain::ids::UserId;
use portal_domain::ports::StoreError;
use portal_domain::values::TokenDigest;
use sea_orm::ActiveValue::Set;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};
use uuid::Uuid;

use crate::Store;
use crate::entity::sessions;
use crate::error::db;

/// A session as its user may see it (never its token).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionInfo {
    /// The session's public id (for revoking it).
    pub id: Uuid,
    /// Its user.
    pub user: UserId,
    /// When it began.
    pub created_at: DateTime<Utc>,
    /// When it was last used.
    pub last_seen_at: DateTime<Utc>,
    /// When it ends for good, however active it is.
    pub absolute_expires_at: DateTime<Utc>,
}

fn chrono(d: Duration) -> chrono::Duration {
    chrono::Duration::from_std(d).unwrap_or(chrono::Duration::MAX)
}

fn info(m: sessions::Model) -> SessionInfo {
    SessionInfo {
        id: m.id,
        user: UserId::from_uuid(m.user_id),
        created_at: m.created_at,
        last_seen_at: m.last_seen_at,
        absolute_expires_at: m.absolute_expires_at,
    }
}

impl Store {
    /// Starts a session for `user` under the digest of its token.
    pub async fn create_session(
        &self,
        id: Uuid,
        token: &TokenDigest,
        user: UserId,
        now: DateTime<Utc>,
        idle: Duration,
        absolute: Duration,
    ) -> Result<(), StoreError> {
        let absolute_expires_at = now + chrono(absolute);
        let row = sessions::ActiveModel {
            token_digest: Set(token.as_str().to_owned()),
            id: Set(id),
            user_id: Set(user.as_uuid()),
            created_at: Set(now),
            last_seen_at: Set(now),
            idle_expires_at: Set((now + chrono(idle)).min(absolute_expires_at)),
            absolute_expires_at: Set(absolute_expires_at),
        };
        sessions::Entity::insert(row).exec(self.conn()).await.map_err(db("start a session"))?;
        Ok(())
    }

    /// The user of a live session, extending its idle expiry; `None` (and the row removed) once
    /// it has passed either expiry.
    pub async fn use_session(
        &self,
        token: &TokenDigest,
        now: DateTime<Utc>,
        idle: Duration,
    ) -> Result<Option<UserId>, StoreError> {
        let Some(row) = sessions::Entity::find_by_id(token.as_str().to_owned())
            .one(self.conn())
            .await
            .map_err(db("read a session"))?
        else {
            return Ok(None);
        };
        if now >= row.idle_expires_at || now >= row.absolute_expires_at {
            sessions::Entity::delete_by_id(row.token_digest).exec(self.conn()).await.map_err(db("end a session"))?;
            return Ok(None);
        }
        let user = UserId::from_uuid(row.user_id);
        let idle_expires_at = (now + chrono(idle)).min(row.absolute_expires_at);
        let mut update: sessions::ActiveModel = row.into();
        update.last_seen_at = Set(now);
        update.idle_expires_at = Set(idle_expires_at);
        sessions::Entity::update(update).exec(self.conn()).await.map_err(db("extend a session"))?;
        Ok(Some(user))
    }

    /// Ends one session by its token (logout).
    pub async fn end_session(&self, token: &TokenDigest) -> Result<(), StoreError> {
        sessions::Entity::delete_by_id(token.as_str().to_owned())
            .exec(self.conn())
            .await
            .map_err(db("end a session"))?;
        Ok(())
    }

    /// Ends one of `user`'s sessions by its public id; `false` if there is no such session of theirs.
    pub async fn end_session_by_id(&self, user: UserId, id: Uuid) -> Result<bool, StoreError> {
        let done = sessions::Entity::delete_many()
            .filter(sessions::Column::UserId.eq(user.as_uuid()))
            .filter(sessions::Column::Id.eq(id))
            .exec(self.conn())
            .await
            .map_err(db("end a session"))?;
        Ok(done.rows_affected == 1)
    }

    /// Ends every session of `user` (disabled, password changed).
    pub async fn end_sessions_of(&self, user: UserId) -> Result<u64, StoreError> {
        let done = sessions::Entity::delete_many()
            .filter(sessions::Column::UserId.eq(user.as_uuid()))
            .exec(self.conn())
            .await
            .map_err(db("end sessions"))?;
        Ok(done.rows_affected)
    }

    /// `user`'s live sessions, newest first.
    pub async fn sessions_of(&self, user: UserId, now: DateTime<Utc>) -> Result<Vec<SessionInfo>, StoreError> {
        let rows = sessions::Entity::find()
            .filter(sessions::Column::UserId.eq(user.as_uuid()))
            .filter(sessions::Column::IdleExpiresAt.gt(now))
            .filter(sessions::Column::AbsoluteExpiresAt.gt(now))
            .order_by_desc(sessions::Column::CreatedAt)
            .all(self.conn())
            .await
            .map_err(db("list sessions"))?;
        Ok(rows.into_iter().map(info).collect())
    }

    /// Counts one hit on `key` in a fixed window; `true` while the window has seen at most `max`.
    /// One atomic upsert, so concurrent servers count together.
    pub async fn rate_limit_hit(
        &self,
        key: &str,
        now: DateTime<Utc>,
        window: Duration,
        max: u32,
    ) -> Result<bool, StoreError> {
        let cutoff = now - chrono(window);
        let (sql, backend) = match self.backend {
            crate::Backend::Sqlite => (
                "INSERT INTO rate_limits (key, window_start, count) VALUES (?, ?, 1) ON CONFLICT (key) DO UPDATE SET \
                 count = CASE WHEN rate_limits.window_start <= ? THEN 1 ELSE rate_limits.count + 1 END, \
                 window_start = CASE WHEN rate_limits.window_start <= ? THEN excluded.window_start ELSE rate_limits.window_start END \
                 RETURNING count",
                sea_orm::DbBackend::Sqlite,
            ),
            crate::Backend::Postgres => (
                "INSERT INTO rate_limits (key, window_start, count) VALUES ($1, $2, 1) ON CONFLICT (key) DO UPDATE SET \
                 count = CASE WHEN rate_limits.window_start <= $3 THEN 1 ELSE rate_limits.count + 1 END, \
                 window_start = CASE WHEN rate_limits.window_start <= $4 THEN excluded.window_start ELSE rate_limits.window_start END \
                 RETURNING count",
                sea_orm::DbBackend::Postgres,
            ),
        };
        let stmt = sea_orm::Statement::from_sql_and_values(
            backend,
            sql,
            vec![key.into(), now.into(), cutoff.into(), cutoff.into()],
        );
        let row = self.conn().query_one_raw(stmt).await.map_err(db("count a request"))?;
        let count: i32 = row.map(|r| r.try_get("", "count")).transpose().map_err(db("count a request"))?.unwrap_or(1);
        Ok(u32::try_from(count).unwrap_or(u32::MAX) <= max)
    }
}
