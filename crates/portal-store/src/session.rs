//! Sessions and rate-limit counters live in the database, so any number of server processes can
//! share them. Session tokens are stored only as digests.

use chrono::{DateTime, Duration, Utc};
use portal_domain::credentials::UserToken;
use portal_domain::ids::{SessionId, UserId};
use portal_domain::limits::Window;
use portal_domain::ports::{SessionInfo, SessionStart, SessionStore, StoreError, session_holder_of, session_user_of};
use portal_domain::session::{SessionTimes, SessionUse};
use portal_domain::user::{User, UserStatus};
use portal_domain::values::{ClientInfo, TokenDigest};
use sea_orm::ActiveValue::Set;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};

use crate::entity::{sessions, user_clients, users};
use crate::error::db;
use crate::reads::cached::first;
use crate::sqlite;
use crate::{SqlStore, convert};

fn info(m: sessions::Model) -> SessionInfo {
    SessionInfo {
        id: SessionId::from_uuid(m.id),
        user: UserId::from_uuid(m.user_id),
        created_at: m.created_at,
        last_seen_at: m.last_seen_at,
        absolute_expires_at: m.absolute_expires_at,
        client: ClientInfo::new(&m.client_address, Some(&m.user_agent)),
        authenticated_at: m.authenticated_at.unwrap_or(m.created_at),
    }
}

impl SqlStore {
    /// Applies the session rules to a session row just read: an expired session is ended (and
    /// `false`); a live one is extended when its last extension is
    /// [`SESSION_TOUCH_RESOLUTION`](portal_domain::ports::SESSION_TOUCH_RESOLUTION) old (and
    /// `true`).
    async fn settle(&self, row: sessions::Model, now: DateTime<Utc>, idle: Duration) -> Result<bool, StoreError> {
        let times = SessionTimes {
            created_at: row.created_at,
            last_seen_at: row.last_seen_at,
            idle_expires_at: row.idle_expires_at,
            absolute_expires_at: row.absolute_expires_at,
        };
        match times.used(now, idle) {
            SessionUse::Ended => {
                sessions::Entity::delete_by_id(row.token_digest)
                    .exec(self.conn())
                    .await
                    .map_err(db("end a session"))?;
                Ok(false)
            }
            SessionUse::Live => Ok(true),
            SessionUse::Extended(next) => {
                let mut update: sessions::ActiveModel = row.into();
                update.last_seen_at = Set(next.last_seen_at);
                update.idle_expires_at = Set(next.idle_expires_at);
                sessions::Entity::update(update).exec(self.conn()).await.map_err(db("extend a session"))?;
                Ok(true)
            }
        }
    }
}

impl SessionStore for SqlStore {
    async fn create_session(&self, session: &SessionStart) -> Result<(), StoreError> {
        sessions::Entity::insert(session_row(session)).exec(self.conn()).await.map_err(db("start a session"))?;
        Ok(())
    }

    async fn use_session(
        &self,
        token: &TokenDigest,
        now: DateTime<Utc>,
        idle: Duration,
    ) -> Result<Option<(SessionId, UserId)>, StoreError> {
        let row = match self.read_inline("read a session", |c| sqlite::session(c, token.as_str())) {
            Some(row) => row?,
            None => sessions::Entity::find_by_id(token.as_str().to_owned())
                .all(self.conn())
                .await
                .map(first)
                .map_err(db("read a session"))?,
        };
        let Some(row) = row else { return Ok(None) };
        let found = (SessionId::from_uuid(row.id), UserId::from_uuid(row.user_id));
        Ok(self.settle(row, now, idle).await?.then_some(found))
    }

    async fn session_user(
        &self,
        token: &TokenDigest,
        now: DateTime<Utc>,
        idle: Duration,
    ) -> Result<Option<(SessionId, User)>, StoreError> {
        let Some(row) = self.read_inline("read a session", |c| sqlite::session_user(c, token.as_str())) else {
            return session_user_of(self, token, now, idle).await;
        };
        let Some((session, user)) = row? else { return Ok(None) };
        let id = SessionId::from_uuid(session.id);
        if !self.settle(session, now, idle).await? {
            return Ok(None);
        }
        Ok(Some((id, convert::user_from_row(user)?)))
    }

    async fn session_holder(
        &self,
        token: &TokenDigest,
        now: DateTime<Utc>,
        idle: Duration,
    ) -> Result<Option<(SessionId, UserId, UserStatus)>, StoreError> {
        let Some(row) = self.read_inline("read a session", |c| sqlite::session_holder(c, token.as_str())) else {
            return session_holder_of(self, token, now, idle).await;
        };
        let Some((session, status)) = row? else { return Ok(None) };
        let (id, user) = (SessionId::from_uuid(session.id), UserId::from_uuid(session.user_id));
        if !self.settle(session, now, idle).await? {
            return Ok(None);
        }
        Ok(Some((id, user, convert::user_status(&user, &status)?)))
    }

    async fn end_session(&self, token: &TokenDigest) -> Result<(), StoreError> {
        sessions::Entity::delete_by_id(token.as_str().to_owned())
            .exec(self.conn())
            .await
            .map_err(db("end a session"))?;
        Ok(())
    }

    async fn end_session_by_id(&self, user: UserId, id: SessionId) -> Result<bool, StoreError> {
        let done = sessions::Entity::delete_many()
            .filter(sessions::Column::UserId.eq(user.as_uuid()))
            .filter(sessions::Column::Id.eq(id.as_uuid()))
            .exec(self.conn())
            .await
            .map_err(db("end a session"))?;
        Ok(done.rows_affected == 1)
    }

    async fn end_sessions_of(&self, user: UserId) -> Result<u64, StoreError> {
        let done = sessions::Entity::delete_many()
            .filter(sessions::Column::UserId.eq(user.as_uuid()))
            .exec(self.conn())
            .await
            .map_err(db("end sessions"))?;
        Ok(done.rows_affected)
    }

    async fn sessions_of(&self, user: UserId, now: DateTime<Utc>) -> Result<Vec<SessionInfo>, StoreError> {
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

    async fn advance_totp_step(&self, user: UserId, step: u64) -> Result<bool, StoreError> {
        let step = i64::try_from(step).map_err(|_| StoreError::new("a TOTP step beyond i64"))?;
        let _turn = self.write_turn().await;
        let done = users::Entity::update_many()
            .col_expr(users::Column::MfaLastStep, sea_orm::sea_query::Expr::value(step))
            .filter(users::Column::Id.eq(user.as_uuid()))
            .filter(
                sea_orm::Condition::any()
                    .add(users::Column::MfaLastStep.is_null())
                    .add(users::Column::MfaLastStep.lt(step)),
            )
            .exec(self.conn())
            .await
            .map_err(db("record a TOTP step"))?;
        Ok(done.rows_affected == 1)
    }

    async fn note_client(
        &self,
        user: UserId,
        key: &TokenDigest,
        now: DateTime<Utc>,
    ) -> Result<Option<DateTime<Utc>>, StoreError> {
        use sea_orm::sea_query::OnConflict;
        let _turn = self.write_turn().await;
        let seen = user_clients::Entity::find_by_id((user.as_uuid(), key.as_str().to_owned()))
            .one(self.conn())
            .await
            .map_err(db("read a known client"))?
            .map(|m| m.last_seen_at);
        let row = user_clients::ActiveModel {
            user_id: Set(user.as_uuid()),
            client_key: Set(key.as_str().to_owned()),
            last_seen_at: Set(now),
        };
        user_clients::Entity::insert(row)
            .on_conflict(
                OnConflict::columns([user_clients::Column::UserId, user_clients::Column::ClientKey])
                    .update_column(user_clients::Column::LastSeenAt)
                    .to_owned(),
            )
            .exec(self.conn())
            .await
            .map_err(db("record a known client"))?;
        Ok(seen)
    }

    async fn reauthenticated(&self, id: SessionId, at: DateTime<Utc>) -> Result<(), StoreError> {
        let _turn = self.write_turn().await;
        sessions::Entity::update_many()
            .col_expr(sessions::Column::AuthenticatedAt, sea_orm::sea_query::Expr::value(at))
            .filter(sessions::Column::Id.eq(id.as_uuid()))
            .exec(self.conn())
            .await
            .map_err(db("record a re-authentication"))?;
        Ok(())
    }

    async fn token(&self, digest: &TokenDigest) -> Result<Option<UserToken>, StoreError> {
        crate::tokens::unused(self.conn(), digest).await
    }

    async fn create_operator_key(
        &self,
        id: uuid::Uuid,
        token: &TokenDigest,
        label: &str,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let (sql, backend) = match self.backend {
            crate::Backend::Sqlite => (
                "INSERT INTO operator_keys (id, token_digest, label, created_at) VALUES (?, ?, ?, ?)",
                sea_orm::DbBackend::Sqlite,
            ),
            crate::Backend::Postgres => (
                "INSERT INTO operator_keys (id, token_digest, label, created_at) VALUES ($1, $2, $3, $4)",
                sea_orm::DbBackend::Postgres,
            ),
        };
        let stmt = sea_orm::Statement::from_sql_and_values(
            backend,
            sql,
            vec![id.into(), token.as_str().into(), label.into(), now.into()],
        );
        self.conn().execute_raw(stmt).await.map_err(db("store an operator key"))?;
        Ok(())
    }

    async fn operator_key_exists(&self, token: &TokenDigest) -> Result<bool, StoreError> {
        let (sql, backend) = match self.backend {
            crate::Backend::Sqlite => {
                ("SELECT 1 AS found FROM operator_keys WHERE token_digest = ?", sea_orm::DbBackend::Sqlite)
            }
            crate::Backend::Postgres => {
                ("SELECT 1 AS found FROM operator_keys WHERE token_digest = $1", sea_orm::DbBackend::Postgres)
            }
        };
        let stmt = sea_orm::Statement::from_sql_and_values(backend, sql, vec![token.as_str().into()]);
        Ok(self.conn().query_one_raw(stmt).await.map_err(db("check an operator key"))?.is_some())
    }

    async fn rate_limit_hit(
        &self,
        key: &str,
        now: DateTime<Utc>,
        window: Duration,
        max: u32,
    ) -> Result<bool, StoreError> {
        Ok(count_hit(self.conn(), self.backend, key, now, window).await? <= max)
    }

    async fn rate_limit_hits(
        &self,
        limits: &[(&str, u32)],
        now: DateTime<Utc>,
        window: Duration,
    ) -> Result<bool, StoreError> {
        let distinct = limits.iter().enumerate().all(|(i, (key, _))| limits[..i].iter().all(|(k, _)| k != key));
        if limits.is_empty() || !distinct {
            // A key named twice is counted twice, in turn (one upsert cannot touch a row twice
            // on PostgreSQL).
            let txn = self.begin_write().await?;
            let mut within = true;
            for (key, max) in limits {
                within &= count_hit(&*txn, self.backend, key, now, window).await? <= *max;
            }
            txn.commit().await.map_err(db("count requests"))?;
            return Ok(within);
        }
        // One multi-row upsert: atomic on its own, and one round trip to the database where a
        // transaction took four (every sign-in makes it).
        let _turn = self.write_turn().await;
        let counts = count_hits(self.conn(), self.backend, limits, now, window).await?;
        Ok(limits.iter().all(|(key, max)| counts.iter().any(|(k, count)| k == key && count <= max)))
    }

    async fn rate_limit_windows(&self, keys: &[&str]) -> Result<Vec<Option<Window>>, StoreError> {
        if keys.is_empty() {
            return Ok(Vec::new());
        }
        let marks: Vec<String> = (1..=keys.len()).map(|n| self.mark(n)).collect();
        let sql = format!("SELECT key, window_start, count FROM rate_limits WHERE key IN ({})", marks.join(", "));
        let values = keys.iter().map(|k| (*k).into()).collect::<Vec<sea_orm::Value>>();
        let stmt = sea_orm::Statement::from_sql_and_values(self.db_backend(), sql, values);
        let rows = self.conn().query_all_raw(stmt).await.map_err(db("read request counts"))?;
        let mut found = Vec::with_capacity(rows.len());
        for r in &rows {
            let key: String = r.try_get("", "key").map_err(db("read request counts"))?;
            let start: DateTime<Utc> = r.try_get("", "window_start").map_err(db("read request counts"))?;
            let count: i32 = r.try_get("", "count").map_err(db("read request counts"))?;
            found.push((key, Window { start, count: u32::try_from(count).unwrap_or(0) }));
        }
        Ok(keys.iter().map(|k| found.iter().find(|(key, _)| key == k).map(|(_, w)| *w)).collect())
    }

    async fn purge_expired(&self, now: DateTime<Utc>, window: Duration, batch: u32) -> Result<u64, StoreError> {
        // Bounded batches: a purge never holds SQLite's one writer for long.
        let (m1, m2) = (self.mark(1), self.mark(2));
        let purges = [
            // `Window::lapsed`, as one statement.
            (
                format!(
                    "DELETE FROM rate_limits WHERE key IN \
                     (SELECT key FROM rate_limits WHERE window_start <= {m1} LIMIT {m2})"
                ),
                Window::cutoff(now, window),
            ),
            // `SessionTimes::ended`, as one statement.
            (
                format!(
                    "DELETE FROM sessions WHERE token_digest IN (SELECT token_digest FROM sessions \
                     WHERE idle_expires_at <= {m1} OR absolute_expires_at <= {m1} LIMIT {m2})"
                ),
                now,
            ),
            // One-time tokens past their expiry, used or not.
            (
                format!(
                    "DELETE FROM user_tokens WHERE digest IN \
                     (SELECT digest FROM user_tokens WHERE expires_at <= {m1} LIMIT {m2})"
                ),
                now,
            ),
            // Clients not seen for `KNOWN_CLIENT_FOR`: a sign-in from one is news again anyway.
            (
                format!(
                    "DELETE FROM user_clients WHERE (user_id, client_key) IN (SELECT user_id, client_key \
                     FROM user_clients WHERE last_seen_at <= {m1} LIMIT {m2})"
                ),
                now - portal_domain::credentials::KNOWN_CLIENT_FOR,
            ),
            // Spent invite links (`Invite::link_spent`): settled, and past the link's expiry.
            (
                format!(
                    "UPDATE invites SET token_digest = NULL WHERE id IN (SELECT id FROM invites \
                     WHERE token_digest IS NOT NULL AND state <> '{pending}' AND expires_at <= {m1} LIMIT {m2})",
                    pending = crate::convert::INVITE_PENDING,
                ),
                now,
            ),
        ];
        let mut gone = 0;
        for (sql, cutoff) in purges {
            let values: Vec<sea_orm::Value> = vec![cutoff.into(), i64::from(batch).into()];
            let stmt = sea_orm::Statement::from_sql_and_values(self.db_backend(), sql, values);
            let _turn = self.write_turn().await;
            gone += self.conn().execute_raw(stmt).await.map_err(db("purge expired rows"))?.rows_affected();
        }
        Ok(gone)
    }

    async fn create_login_session(&self, session: &SessionStart) -> Result<(), StoreError> {
        let txn = self.begin_write().await?;
        crate::activity::record_login_on(&*txn, session.user, session.times.created_at).await?;
        sessions::Entity::insert(session_row(session)).exec(&*txn).await.map_err(db("start a session"))?;
        txn.commit().await.map_err(db("start a session"))
    }
}

impl SqlStore {
    /// The `n`th bind parameter in this backend's spelling.
    fn mark(&self, n: usize) -> String {
        match self.backend {
            crate::Backend::Sqlite => format!("?{n}"),
            crate::Backend::Postgres => format!("${n}"),
        }
    }

    fn db_backend(&self) -> sea_orm::DbBackend {
        match self.backend {
            crate::Backend::Sqlite => sea_orm::DbBackend::Sqlite,
            crate::Backend::Postgres => sea_orm::DbBackend::Postgres,
        }
    }
}

fn session_row(session: &SessionStart) -> sessions::ActiveModel {
    let times = session.times;
    sessions::ActiveModel {
        token_digest: Set(session.token.as_str().to_owned()),
        id: Set(session.id.as_uuid()),
        user_id: Set(session.user.as_uuid()),
        created_at: Set(times.created_at),
        last_seen_at: Set(times.last_seen_at),
        idle_expires_at: Set(times.idle_expires_at),
        absolute_expires_at: Set(times.absolute_expires_at),
        client_address: Set(session.client.address().to_owned()),
        user_agent: Set(session.client.user_agent().to_owned()),
        authenticated_at: Set(Some(times.created_at)),
    }
}

/// Counts a hit on each of `limits`' keys (distinct) in one statement; each key with its count.
async fn count_hits(
    conn: &impl ConnectionTrait,
    backend: crate::Backend,
    limits: &[(&str, u32)],
    now: DateTime<Utc>,
    window: Duration,
) -> Result<Vec<(String, u32)>, StoreError> {
    let mark = |n: usize| match backend {
        crate::Backend::Sqlite => format!("?{n}"),
        crate::Backend::Postgres => format!("${n}"),
    };
    // ?1 the window's start for a new count, ?2 the cutoff, then the keys.
    let rows: Vec<String> = (0..limits.len()).map(|i| format!("({}, {}, 1)", mark(i + 3), mark(1))).collect();
    let sql = format!(
        "INSERT INTO rate_limits (key, window_start, count) VALUES {} ON CONFLICT (key) DO UPDATE SET \
         count = CASE WHEN rate_limits.window_start <= {cutoff} THEN 1 ELSE rate_limits.count + 1 END, \
         window_start = CASE WHEN rate_limits.window_start <= {cutoff} THEN excluded.window_start \
         ELSE rate_limits.window_start END RETURNING key, count",
        rows.join(", "),
        cutoff = mark(2),
    );
    let mut values: Vec<sea_orm::Value> = vec![now.into(), Window::cutoff(now, window).into()];
    values.extend(limits.iter().map(|(key, _)| (*key).into()));
    let db_backend = match backend {
        crate::Backend::Sqlite => sea_orm::DbBackend::Sqlite,
        crate::Backend::Postgres => sea_orm::DbBackend::Postgres,
    };
    let stmt = sea_orm::Statement::from_sql_and_values(db_backend, sql, values);
    let rows = conn.query_all_raw(stmt).await.map_err(db("count requests"))?;
    rows.iter()
        .map(|r| {
            let key: String = r.try_get("", "key").map_err(db("count requests"))?;
            let count: i32 = r.try_get("", "count").map_err(db("count requests"))?;
            Ok((key, u32::try_from(count).unwrap_or(u32::MAX)))
        })
        .collect()
}

/// Counts a hit on `key` in its fixed window and returns the window's count: [`count_hits`]
/// for one key.
async fn count_hit(
    conn: &impl ConnectionTrait,
    backend: crate::Backend,
    key: &str,
    now: DateTime<Utc>,
    window: Duration,
) -> Result<u32, StoreError> {
    let counts = count_hits(conn, backend, &[(key, 0)], now, window).await?;
    counts
        .into_iter()
        .find(|(k, _)| k == key)
        .map(|(_, count)| count)
        .ok_or_else(|| StoreError::new("count a request: the counter was not returned"))
}
