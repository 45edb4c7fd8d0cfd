//! The SQLite fast path: a measured shortcut for reads that SeaORM also serves.
//!
//! The reads every request makes, on SQLite, without a thread hand-off.
//!
//! sqlx runs each SQLite connection on a worker thread of its own and sends every row back over
//! a channel. Measured under load, that hand-off (a futex wake-up and a copy of every value per
//! row) cost about 10 µs a row and held an authenticated members page near 1,100 requests/s.
//! So the per-request reads (session, user, membership with its account, a page of members and
//! their users) run here, on a few rusqlite connections, in line on the calling thread: indexed
//! reads of at most a page (≤ 201 rows) that, in WAL mode, never wait for a writer. Writes,
//! migrations, PostgreSQL and every other read stay on SeaORM, and the conformance and
//! differential suites hold both paths to the same answers.
//!
//! A reader never blocks on a lock: it runs with no busy timeout, and when SQLite answers busy
//! (WAL recovery after a crash, briefly) the caller falls back to the SeaORM read, which waits
//! on its own thread.

//!
//! Everything here is an optimisation: `SqlStore::without_inline_reads` turns it off and every
//! read goes through SeaORM, and the conformance and differential suites run both ways. Rows
//! decode through the entities' own column lists and `model!` ([`decode`]), so a new column
//! needs no change here.

mod decode;
mod reads;

use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError};

use rusqlite::config::DbConfig;
use rusqlite::{Connection, ErrorCode, OpenFlags};

pub(crate) use decode::{Cell, Decode};
pub(crate) use reads::*;

/// A few SQLite connections for in-line reads.
pub(crate) struct Readers {
    slots: Box<[Mutex<Connection>]>,
    next: AtomicUsize,
}

impl std::fmt::Debug for Readers {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Readers").field("connections", &self.slots.len()).finish()
    }
}

impl Readers {
    /// Opens `count` read-only connections to the database file at `path`.
    pub(crate) fn open(path: &Path, count: usize) -> rusqlite::Result<Self> {
        let slots = (0..count.max(1))
            .map(|_| {
                let flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
                let conn = Connection::open_with_flags(path, flags)?;
                // Read-write open (a read-only one needs the WAL files to exist already), but
                // this connection refuses to write.
                conn.pragma_update(None, "query_only", true)?;
                // Bound values never change a plan, so a cached statement is never re-prepared
                // (SQLite otherwise re-prepares one whose LIMIT is a parameter on every run).
                conn.set_db_config(DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG, true)?;
                conn.set_prepared_statement_cache_capacity(32);
                Ok(Mutex::new(conn))
            })
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(Self { slots: slots.into_boxed_slice(), next: AtomicUsize::new(0) })
    }

    fn connection(&self) -> MutexGuard<'_, Connection> {
        // Each thread starts at a connection of its own: the async workers (one per core) then
        // keep reusing the same few connections, whose statements and pages stay in that core's
        // cache, rather than cycling through all of them.
        thread_local! {
            static HOME: std::cell::Cell<Option<usize>> = const { std::cell::Cell::new(None) };
        }
        let start = HOME.with(|home| {
            home.get().unwrap_or_else(|| {
                let slot = self.next.fetch_add(1, Ordering::Relaxed);
                home.set(Some(slot));
                slot
            })
        });
        let n = self.slots.len();
        for i in 0..n {
            if let Ok(conn) = self.slots[(start + i) % n].try_lock() {
                return conn;
            }
        }
        // All in use: wait for one (each holds it for one short read). A panic while reading
        // leaves the connection usable, so a poisoned lock is taken over.
        self.slots[start % n].lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Runs `read` on a free connection; `None` when SQLite is busy (the caller reads another
    /// way).
    pub(crate) fn read<T>(&self, read: impl FnOnce(&Connection) -> rusqlite::Result<T>) -> Option<rusqlite::Result<T>> {
        let conn = self.connection();
        match read(&conn) {
            Err(e) if matches!(e.sqlite_error_code(), Some(ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked)) => {
                None
            }
            other => Some(other),
        }
    }
}
