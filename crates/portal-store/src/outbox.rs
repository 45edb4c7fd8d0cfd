//! The outbox: every email the core asks for is a row written with the change that caused it.
//! Workers claim due rows under a lease (`FOR UPDATE SKIP LOCKED` on PostgreSQL, one atomic
//! statement under SQLite's single writer), so several server processes never send one row twice
//! at once; a failure is retried with backoff, up to [`MAX_ATTEMPTS`]; then, or when its row no
//! longer reads, the email is a dead letter (kept, counted, its token blanked, never retried).
//! Nothing is ever deleted, so nothing is lost.

use std::time::Duration;

use chrono::{DateTime, Utc};
use portal_domain::ports::{Message, OutgoingEmail, StoreError};
use portal_domain::values::EmailAddress;
use sea_orm::{ConnectionTrait, DbBackend, Statement, Value};

use crate::error::db;
use crate::{Backend, SqlStore};

/// A claimed email, to deliver and then report with [`SqlStore::outbox_sent`] or [`SqlStore::outbox_failed`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueuedEmail {
    /// The outbox row.
    pub id: i64,
    /// What to send.
    pub email: OutgoingEmail,
    /// Earlier failed attempts.
    pub attempts: u32,
}

/// Deliveries an email gets before it becomes a dead letter.
pub const MAX_ATTEMPTS: u32 = 10;

/// How long to wait before retrying after `attempts` failures: 30 s doubling, at most 1 h.
pub fn retry_delay(attempts: u32) -> Duration {
    let exp = attempts.saturating_sub(1).min(7);
    Duration::from_secs(30u64 << exp).min(Duration::from_secs(3600))
}

fn chrono(d: Duration) -> chrono::Duration {
    chrono::Duration::from_std(d).unwrap_or(chrono::Duration::MAX)
}

impl SqlStore {
    fn statement(&self, sqlite: &str, postgres: &str, values: Vec<Value>) -> Statement {
        match self.backend {
            Backend::Sqlite => Statement::from_sql_and_values(DbBackend::Sqlite, sqlite, values),
            Backend::Postgres => Statement::from_sql_and_values(DbBackend::Postgres, postgres, values),
        }
    }

    /// Claims up to `limit` due emails for `lease`: unsent, due, and not claimed by a live lease.
    pub async fn claim_outbox(
        &self,
        now: DateTime<Utc>,
        limit: u32,
        lease: Duration,
    ) -> Result<Vec<QueuedEmail>, StoreError> {
        let until = now + chrono(lease);
        let stmt = self.statement(
            "UPDATE outbox SET claimed_until = ? WHERE id IN (SELECT id FROM outbox WHERE sent_at IS NULL \
             AND dead_at IS NULL AND next_attempt_at <= ? AND (claimed_until IS NULL OR claimed_until <= ?) \
             ORDER BY id LIMIT ?) RETURNING id, recipient, payload, attempts",
            "UPDATE outbox SET claimed_until = $1 WHERE id IN (SELECT id FROM outbox WHERE sent_at IS NULL \
             AND dead_at IS NULL AND next_attempt_at <= $2 AND (claimed_until IS NULL OR claimed_until <= $3) \
             ORDER BY id LIMIT $4 FOR UPDATE SKIP LOCKED) RETURNING id, recipient, payload, attempts",
            vec![until.into(), now.into(), now.into(), i64::from(limit).into()],
        );
        let rows = self.conn().query_all_raw(stmt).await.map_err(db("claim email"))?;
        let mut out = Vec::with_capacity(rows.len());
        for row in rows {
            let id: i64 = row.try_get("", "id").map_err(db("read a claimed email"))?;
            match decode_claimed(&row, id) {
                Ok(queued) => out.push(queued),
                // One row that does not read must not stall the others: it is set aside.
                Err(why) => {
                    tracing::error!(outbox_id = id, error = %why, "an outbox row does not read; dead-lettered");
                    self.dead_letter(id, now, &why).await?;
                }
            }
        }
        out.sort_by_key(|q| q.id);
        Ok(out)
    }

    /// Marks an email sent, and drops the link token it carried: the only raw tokens stored.
    pub async fn outbox_sent(&self, email: &QueuedEmail, at: DateTime<Utc>) -> Result<(), StoreError> {
        let mut message = email.email.message.clone();
        if let Some(token) = message.token_mut() {
            *token = String::new();
        }
        let payload = serde_json::to_string(&message).map_err(|e| StoreError::with_source("encode an email", e))?;
        let stmt = self.statement(
            "UPDATE outbox SET sent_at = ?, claimed_until = NULL, payload = ? WHERE id = ?",
            "UPDATE outbox SET sent_at = $1, claimed_until = NULL, payload = $2 WHERE id = $3",
            vec![at.into(), payload.into(), email.id.into()],
        );
        self.conn().execute_raw(stmt).await.map_err(db("mark email sent"))?;
        Ok(())
    }

    /// Records a failed delivery; the email is due again after [`retry_delay`], or, at its
    /// [`MAX_ATTEMPTS`]th failure, becomes a dead letter. Returns whether it did.
    pub async fn outbox_failed(
        &self,
        email: &QueuedEmail,
        now: DateTime<Utc>,
        error: &str,
    ) -> Result<bool, StoreError> {
        let attempts = email.attempts.saturating_add(1);
        if attempts >= MAX_ATTEMPTS {
            self.dead_letter(email.id, now, error).await?;
            return Ok(true);
        }
        let next = now + chrono(retry_delay(attempts));
        let error: String = error.chars().take(500).collect();
        let stmt = self.statement(
            "UPDATE outbox SET attempts = ?, next_attempt_at = ?, claimed_until = NULL, last_error = ? WHERE id = ?",
            "UPDATE outbox SET attempts = $1, next_attempt_at = $2, claimed_until = NULL, last_error = $3 WHERE id = $4",
            vec![i32::try_from(attempts).unwrap_or(i32::MAX).into(), next.into(), error.into(), email.id.into()],
        );
        self.conn().execute_raw(stmt).await.map_err(db("record a failed delivery"))?;
        Ok(false)
    }

    /// Stops retrying row `id`: kept with its error, its payload (which may hold an invite
    /// token) blanked.
    async fn dead_letter(&self, id: i64, now: DateTime<Utc>, error: &str) -> Result<(), StoreError> {
        let error: String = error.chars().take(500).collect();
        let stmt = self.statement(
            "UPDATE outbox SET dead_at = ?, claimed_until = NULL, last_error = ?, payload = '', \
             attempts = attempts + 1 WHERE id = ?",
            "UPDATE outbox SET dead_at = $1, claimed_until = NULL, last_error = $2, payload = '', \
             attempts = attempts + 1 WHERE id = $3",
            vec![now.into(), error.into(), id.into()],
        );
        self.conn().execute_raw(stmt).await.map_err(db("dead-letter an email"))?;
        Ok(())
    }

    /// How many emails are dead letters (for metrics and the operator).
    pub async fn outbox_dead(&self) -> Result<u64, StoreError> {
        self.count("SELECT COUNT(*) AS n FROM outbox WHERE dead_at IS NOT NULL").await
    }

    async fn count(&self, sql: &str) -> Result<u64, StoreError> {
        let row = self.conn().query_one_raw(self.statement(sql, sql, vec![])).await.map_err(db("count the outbox"))?;
        let n: i64 = row.map(|r| r.try_get("", "n")).transpose().map_err(db("count the outbox"))?.unwrap_or(0);
        Ok(u64::try_from(n).unwrap_or(0))
    }

    /// How many emails wait to be sent (the outbox depth, for metrics); dead letters do not.
    pub async fn outbox_depth(&self) -> Result<u64, StoreError> {
        self.count("SELECT COUNT(*) AS n FROM outbox WHERE sent_at IS NULL AND dead_at IS NULL").await
    }
}

/// A claimed row as an email, or why it does not read.
fn decode_claimed(row: &sea_orm::QueryResult, id: i64) -> Result<QueuedEmail, String> {
    let recipient: String = row.try_get("", "recipient").map_err(|e| format!("recipient: {e}"))?;
    let payload: String = row.try_get("", "payload").map_err(|e| format!("payload: {e}"))?;
    let attempts: i32 = row.try_get("", "attempts").map_err(|e| format!("attempts: {e}"))?;
    let to = EmailAddress::parse(&recipient).map_err(|e| format!("recipient: {e}"))?;
    let message: Message = serde_json::from_str(&payload).map_err(|e| format!("payload: {e}"))?;
    Ok(QueuedEmail { id, email: OutgoingEmail { to, message }, attempts: u32::try_from(attempts).unwrap_or(0) })
}
