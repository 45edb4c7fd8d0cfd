//! The outbox: every email the core asks for is a row written with the change that caused it.
//! Workers claim due rows under a lease (`FOR UPDATE SKIP LOCKED` on PostgreSQL, one atomic
//! statement under SQLite's single writer), so several server processes never send one row twice
//! at once; a failure is retried with backoff; nothing is ever deleted, so nothing is lost.

use std::time::Duration;

use chrono::{DateTime, Utc};
use portal_domain::ports::{Message, OutgoingEmail, StoreError};
use portal_domain::values::EmailAddress;
use sea_orm::{ConnectionTrait, DbBackend, Statement, Value};

use crate::error::db;
use crate::{Backend, Store};

/// A claimed email, to deliver and then report with [`Store::outbox_sent`] or [`Store::outbox_failed`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueuedEmail {
    /// The outbox row.
    pub id: i64,
    /// What to send.
    pub email: OutgoingEmail,
    /// Earlier failed attempts.
    pub attempts: u32,
}

/// How long to wait before retrying after `attempts` failures: 30 s doubling, at most 1 h.
pub fn retry_delay(attempts: u32) -> Duration {
    let exp = attempts.saturating_sub(1).min(7);
    Duration::from_secs(30u64 << exp).min(Duration::from_secs(3600))
}

fn chrono(d: Duration) -> chrono::Duration {
    chrono::Duration::from_std(d).unwrap_or(chrono::Duration::MAX)
}

impl Store {
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
             AND next_attempt_at <= ? AND (claimed_until IS NULL OR claimed_until <= ?) ORDER BY id LIMIT ?) \
             RETURNING id, recipient, payload, attempts",
            "UPDATE outbox SET claimed_until = $1 WHERE id IN (SELECT id FROM outbox WHERE sent_at IS NULL \
             AND next_attempt_at <= $2 AND (claimed_until IS NULL OR claimed_until <= $3) ORDER BY id LIMIT $4 \
             FOR UPDATE SKIP LOCKED) RETURNING id, recipient, payload, attempts",
            vec![until.into(), now.into(), now.into(), i64::from(limit).into()],
        );
        let rows = self.conn().query_all_raw(stmt).await.map_err(db("claim email"))?;
        let mut out = Vec::with_capacity(rows.len());
        for row in rows {
            let id: i64 = row.try_get("", "id").map_err(db("read a claimed email"))?;
            let recipient: String = row.try_get("", "recipient").map_err(db("read a claimed email"))?;
            let payload: String = row.try_get("", "payload").map_err(db("read a claimed email"))?;
            let attempts: i32 = row.try_get("", "attempts").map_err(db("read a claimed email"))?;
            let to = EmailAddress::parse(&recipient)
                .map_err(|e| StoreError::corrupt("outbox", id, format!("recipient: {e}")))?;
            let message: Message = serde_json::from_str(&payload)
                .map_err(|e| StoreError::corrupt("outbox", id, format!("payload: {e}")))?;
            out.push(QueuedEmail {
                id,
                email: OutgoingEmail { to, message },
                attempts: u32::try_from(attempts).unwrap_or(0),
            });
        }
        out.sort_by_key(|q| q.id);
        Ok(out)
    }

    /// Marks an email sent, and drops the invite token it carried: the only raw token stored.
    pub async fn outbox_sent(&self, email: &QueuedEmail, at: DateTime<Utc>) -> Result<(), StoreError> {
        let mut message = email.email.message.clone();
        if let Message::Invite { token, .. } = &mut message {
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

    /// Records a failed delivery; the email is due again after [`retry_delay`].
    pub async fn outbox_failed(&self, email: &QueuedEmail, now: DateTime<Utc>, error: &str) -> Result<(), StoreError> {
        let attempts = email.attempts.saturating_add(1);
        let next = now + chrono(retry_delay(attempts));
        let error: String = error.chars().take(500).collect();
        let stmt = self.statement(
            "UPDATE outbox SET attempts = ?, next_attempt_at = ?, claimed_until = NULL, last_error = ? WHERE id = ?",
            "UPDATE outbox SET attempts = $1, next_attempt_at = $2, claimed_until = NULL, last_error = $3 WHERE id = $4",
            vec![i32::try_from(attempts).unwrap_or(i32::MAX).into(), next.into(), error.into(), email.id.into()],
        );
        self.conn().execute_raw(stmt).await.map_err(db("record a failed delivery"))?;
        Ok(())
    }

    /// How many emails are not sent yet (the outbox depth, for metrics).
    pub async fn outbox_depth(&self) -> Result<u64, StoreError> {
        let stmt = self.statement(
            "SELECT COUNT(*) AS n FROM outbox WHERE sent_at IS NULL",
            "SELECT COUNT(*) AS n FROM outbox WHERE sent_at IS NULL",
            vec![],
        );
        let row = self.conn().query_one_raw(stmt).await.map_err(db("count the outbox"))?;
        let n: i64 = row.map(|r| r.try_get("", "n")).transpose().map_err(db("count the outbox"))?.unwrap_or(0);
        Ok(u64::try_from(n).unwrap_or(0))
    }
}
