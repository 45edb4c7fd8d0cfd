//! This process's queue of SQLite writers: one turn at a time, in order, used by the commit and
//! by every write outside it (sessions, counters, activity).

use portal_domain::ports::StoreError;
use sea_orm::{DatabaseTransaction, SqliteTransactionMode, TransactionOptions, TransactionTrait};

use crate::error::db;
use crate::{Backend, SqlStore};

impl SqlStore {
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
