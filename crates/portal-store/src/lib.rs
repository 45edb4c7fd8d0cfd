//! portal-store: the domain's [`Store`](portal_domain::ports::Store) port on SeaORM 2, as [`SqlStore`].
//!
//! One binary serves both databases; the URL chooses at run time: `sqlite://…` (the default,
//! opened in WAL mode with foreign keys on and a busy timeout, so concurrent writers wait instead
//! of failing) or `postgres://…` (for any number of server processes). SeaORM stays private:
//! no SeaORM type appears in a public signature.

mod activity;
mod commit;
mod convert;
mod entity;
mod error;
mod migration;
mod outbox;
mod port;
mod reads;
mod session;
mod sqlite;
mod tokens;
mod write_queue;

use std::path::PathBuf;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use portal_domain::ports::StoreError;
use sea_orm::sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqliteSynchronous};
use sea_orm::{ConnectOptions, Database, DatabaseConnection};
use sea_orm_migration::MigratorTrait;

pub use crate::outbox::{MAX_ATTEMPTS, QueuedEmail, retry_delay};

use crate::error::db;
use crate::migration::Migrator;
use crate::sqlite::Readers;

/// Which database a [`SqlStore`] talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// An embedded SQLite file (one node).
    Sqlite,
    /// A PostgreSQL server (many nodes).
    Postgres,
}

/// The storage adapter: aggregates, events, outbox, sessions and counters in one database.
#[derive(Debug, Clone)]
pub struct SqlStore {
    db: DatabaseConnection,
    backend: Backend,
    /// In-line readers for a SQLite file (not for PostgreSQL or an in-memory database).
    readers: Option<Arc<Readers>>,
    /// This process's writers to a SQLite database take turns here (see `begin_write`).
    write_turn: Option<Arc<tokio::sync::Mutex<()>>>,
}

/// How long a SQLite writer waits for the lock before giving up.
pub const SQLITE_BUSY_TIMEOUT: Duration = Duration::from_secs(10);

impl SqlStore {
    /// Connects to `url` (`sqlite://path?mode=rwc`, `sqlite::memory:`, `postgres://…`).
    pub async fn connect(url: &str) -> Result<Self, StoreError> {
        let backend = if url.starts_with("sqlite:") {
            Backend::Sqlite
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Backend::Postgres
        } else {
            return Err(StoreError::new("the database URL must start with sqlite: or postgres://"));
        };
        let mut options = ConnectOptions::new(url.to_owned());
        options.sqlx_logging(false).connect_timeout(Duration::from_secs(10));
        if backend == Backend::Sqlite {
            options.max_connections(8).map_sqlx_sqlite_opts(|o| {
                o.journal_mode(SqliteJournalMode::Wal)
                    // FULL: a commit the caller saw is on disk, even across a power loss.
                    .synchronous(SqliteSynchronous::Full)
                    .foreign_keys(true)
                    .busy_timeout(SQLITE_BUSY_TIMEOUT)
                    .create_if_missing(true)
            });
        } else {
            options.max_connections(16);
        }
        let db = Database::connect(options).await.map_err(db("connect"))?;
        let readers = match backend {
            Backend::Sqlite => sqlite_file(url)?
                .map(|path| Readers::open(&path, READERS))
                .transpose()
                .map_err(|e| StoreError::with_source("could not open the SQLite readers", e))?
                .map(Arc::new),
            Backend::Postgres => None,
        };
        let write_turn = (backend == Backend::Sqlite).then(|| Arc::new(tokio::sync::Mutex::new(())));
        Ok(Self { db, backend, readers, write_turn })
    }

    /// The same store reading only through SeaORM, for tests that hold the in-line SQLite
    /// reads to the same answers.
    #[doc(hidden)]
    #[must_use]
    pub fn without_inline_reads(&self) -> Self {
        Self { db: self.db.clone(), backend: self.backend, readers: None, write_turn: self.write_turn.clone() }
    }

    /// Which database this is.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Applies every pending migration. Re-running it is a no-op. Any number of processes may
    /// call it at once on one database: they take turns (see `migrate_steps`).
    pub async fn migrate(&self) -> Result<(), StoreError> {
        self.migrate_up(None).await
    }

    /// Applies at most `steps` pending migrations, oldest first: a staged upgrade.
    pub async fn migrate_steps(&self, steps: u32) -> Result<(), StoreError> {
        self.migrate_up(Some(steps)).await
    }

    /// Runs the migrations inside one transaction that first excludes every other migrator of
    /// the database: a PostgreSQL advisory lock held until commit, or SQLite's exclusive
    /// transaction. Whoever comes second finds nothing pending; two processes creating the same
    /// table at once (a unique violation in PostgreSQL's catalogue) cannot happen.
    async fn migrate_up(&self, steps: Option<u32>) -> Result<(), StoreError> {
        use sea_orm::{ConnectionTrait, SqliteTransactionMode, TransactionOptions, TransactionTrait};
        let txn = match self.backend {
            Backend::Sqlite => self
                .db
                .begin_with_options(TransactionOptions {
                    sqlite_transaction_mode: Some(SqliteTransactionMode::Exclusive),
                    ..TransactionOptions::default()
                })
                .await
                .map_err(db("lock the database for migrations"))?,
            Backend::Postgres => {
                let txn = self.db.begin().await.map_err(db("lock the database for migrations"))?;
                txn.execute_unprepared(&format!("SELECT pg_advisory_xact_lock({MIGRATION_LOCK})"))
                    .await
                    .map_err(db("lock the database for migrations"))?;
                txn
            }
        };
        Migrator::up(&txn, steps).await.map_err(db("migrate"))?;
        txn.commit().await.map_err(db("migrate"))
    }

    /// How many migrations are not yet applied (0 when the schema is current).
    pub async fn pending_migrations(&self) -> Result<usize, StoreError> {
        Ok(Migrator::get_pending_migrations(&self.db).await.map_err(db("migration status"))?.len())
    }

    /// Whether the database answers.
    pub async fn ping(&self) -> Result<(), StoreError> {
        self.db.ping().await.map_err(db("ping"))
    }

    pub(crate) fn conn(&self) -> &DatabaseConnection {
        &self.db
    }

    /// Runs `read` on an in-line SQLite reader; `None` where there is none or it is busy (the
    /// caller then reads through SeaORM).
    pub(crate) fn read_inline<T>(
        &self,
        doing: &'static str,
        read: impl FnOnce(&rusqlite::Connection) -> rusqlite::Result<T>,
    ) -> Option<Result<T, StoreError>> {
        let result = self.readers.as_ref()?.read(read)?;
        Some(result.map_err(|e| StoreError::with_source(format!("database error while trying to {doing}"), e)))
    }
}

/// The advisory lock key migrators of one PostgreSQL database share (any fixed number; this is
/// "portal" in ASCII).
const MIGRATION_LOCK: i64 = 0x706f_7274_616c;

/// How many in-line SQLite readers a store keeps: each is held for one short read, by one of a
/// few runtime threads at a time.
const READERS: usize = 8;

/// The file behind a SQLite URL; `None` for an in-memory database (a second connection would
/// open a different, empty one).
fn sqlite_file(url: &str) -> Result<Option<PathBuf>, StoreError> {
    let options =
        SqliteConnectOptions::from_str(url).map_err(|e| StoreError::with_source("the SQLite URL is not valid", e))?;
    if url.contains(":memory:") || url.contains("mode=memory") {
        return Ok(None);
    }
    Ok(Some(options.get_filename().to_path_buf()))
}

impl SqlStore {
    /// The schema as text lines (tables with their columns, then indexes), sorted: what the
    /// migrations built, for status output and for snapshot tests.
    pub async fn schema(&self) -> Result<Vec<String>, StoreError> {
        use sea_orm::{ConnectionTrait, Statement};
        let (backend, sql) = match self.backend {
            Backend::Sqlite => (
                sea_orm::DbBackend::Sqlite,
                "SELECT 'table ' || m.name || ': ' || group_concat(p.name || ' ' || p.type || CASE WHEN p.\"notnull\" THEN '' ELSE '?' END, ', ') \
                 FROM sqlite_master m JOIN pragma_table_info(m.name) p WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' GROUP BY m.name \
                 UNION ALL SELECT 'index ' || name || ' on ' || tbl_name || ': ' || coalesce(sql, '(automatic)') FROM sqlite_master \
                 WHERE type = 'index' AND name NOT LIKE 'sqlite_%' \
                 UNION ALL SELECT 'trigger ' || name || ' on ' || tbl_name FROM sqlite_master WHERE type = 'trigger'",
            ),
            Backend::Postgres => (
                sea_orm::DbBackend::Postgres,
                "SELECT 'table ' || c.table_name || ': ' || string_agg(c.column_name || ' ' || c.data_type || CASE WHEN c.is_nullable = 'YES' THEN '?' ELSE '' END, ', ' ORDER BY c.ordinal_position) \
                 FROM information_schema.columns c WHERE c.table_schema = current_schema() GROUP BY c.table_name \
                 UNION ALL SELECT 'index ' || indexname || ' on ' || tablename || ': ' || indexdef FROM pg_indexes WHERE schemaname = current_schema() \
                 UNION ALL SELECT DISTINCT 'trigger ' || trigger_name || ' on ' || event_object_table FROM information_schema.triggers WHERE trigger_schema = current_schema()",
            ),
        };
        let rows =
            self.db.query_all_raw(Statement::from_string(backend, sql)).await.map_err(db("describe the schema"))?;
        let mut lines = rows
            .iter()
            .map(|r| r.try_get_by_index::<String>(0).map_err(db("describe the schema")))
            .collect::<Result<Vec<_>, _>>()?;
        lines.sort();
        Ok(lines)
    }
}
