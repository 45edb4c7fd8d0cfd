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

use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{LazyLock, Mutex, MutexGuard, PoisonError};

use chrono::{DateTime, NaiveDate, Utc};
use rusqlite::config::DbConfig;
use rusqlite::types::{Type, ValueRef};
use rusqlite::{Connection, ErrorCode, OpenFlags, OptionalExtension, Row, params};
use uuid::Uuid;

use portal_domain::ports::{MemberRow, StoreError};

use crate::convert;
use crate::entity::{memberships, sessions, users};

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

/// A time as sqlx writes it (RFC 3339). rusqlite's own chrono decoding goes through a
/// strftime-style format parser, which measured at 7% of a members-page request.
fn time(r: &Row<'_>, i: usize) -> rusqlite::Result<DateTime<Utc>> {
    let text = r.get_ref(i)?.as_str()?;
    if let Some(t) = utc_time(text) {
        return Ok(t);
    }
    // chrono's lenient parse, as sqlx's own decoding on the other read path: both read every
    // form either could have written (years past 9999 as `+10000-…`, from before the domain
    // bounded its instants, among them).
    text.parse::<DateTime<chrono::FixedOffset>>()
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| rusqlite::Error::FromSqlConversionFailure(i, Type::Text, Box::new(e)))
}

/// `YYYY-MM-DDTHH:MM:SS[.fraction]+00:00`, the form sqlx writes a UTC time in, read without
/// chrono's general parser; `None` for anything else (chrono then reads it, or refuses it).
pub(crate) fn utc_time(text: &str) -> Option<DateTime<Utc>> {
    let body = text.strip_suffix("+00:00")?.as_bytes();
    let number = |digits: &[u8]| -> Option<u32> {
        digits.iter().try_fold(0_u32, |n, &d| d.is_ascii_digit().then(|| n * 10 + u32::from(d - b'0')))
    };
    let field = |from: usize, to: usize| body.get(from..to).and_then(number);
    if body.len() < 19 || body[4] != b'-' || body[7] != b'-' || body[10] != b'T' || body[13] != b':' || body[16] != b':'
    {
        return None;
    }
    let nanos = match &body[19..] {
        [] => 0,
        [b'.', digits @ ..] if (1..=9).contains(&digits.len()) => {
            number(digits)? * 10_u32.pow(u32::try_from(9 - digits.len()).ok()?)
        }
        _ => return None,
    };
    let date = NaiveDate::from_ymd_opt(i32::try_from(field(0, 4)?).ok()?, field(5, 7)?, field(8, 10)?)?;
    // A leap second (:60) is left to chrono.
    Some(date.and_hms_nano_opt(field(11, 13)?, field(14, 16)?, field(17, 19)?, nanos)?.and_utc())
}

fn opt_time(r: &Row<'_>, i: usize) -> rusqlite::Result<Option<DateTime<Utc>>> {
    match r.get_ref(i)? {
        ValueRef::Null => Ok(None),
        _ => time(r, i).map(Some),
    }
}

const USER_COLUMNS: &str = "id, email, email_key, name, phone, password_hash, email_verified_at, pending_email, mfa, \
     mfa_since, recovery_codes, opted_out, preferences_version, status, created_at, last_login_at, version";

fn user_model(r: &Row<'_>) -> rusqlite::Result<users::Model> {
    user_model_at(r, 0)
}

/// A user row whose columns ([`USER_COLUMNS`]) start at column `at`.
fn user_model_at(r: &Row<'_>, at: usize) -> rusqlite::Result<users::Model> {
    Ok(users::Model {
        id: r.get(at)?,
        email: r.get(at + 1)?,
        email_key: r.get(at + 2)?,
        name: r.get(at + 3)?,
        phone: r.get(at + 4)?,
        password_hash: r.get(at + 5)?,
        email_verified_at: opt_time(r, at + 6)?,
        pending_email: r.get(at + 7)?,
        mfa: r.get(at + 8)?,
        mfa_since: opt_time(r, at + 9)?,
        recovery_codes: r.get(at + 10)?,
        opted_out: r.get(at + 11)?,
        preferences_version: r.get(at + 12)?,
        status: r.get(at + 13)?,
        created_at: time(r, at + 14)?,
        last_login_at: opt_time(r, at + 15)?,
        version: r.get(at + 16)?,
    })
}

const MEMBERSHIP_COLUMNS: &str = "m.account_id, m.user_id, m.is_owner, m.permissions, m.role, m.invited_by, \
     m.invite_id, m.granted_by, m.joined_at, m.ends_at, m.last_active_at, m.version";

fn membership_model(r: &Row<'_>) -> rusqlite::Result<memberships::Model> {
    membership_model_at(r, 0)
}

/// A membership row whose columns ([`MEMBERSHIP_COLUMNS`]) start at column `at`.
fn membership_model_at(r: &Row<'_>, at: usize) -> rusqlite::Result<memberships::Model> {
    Ok(memberships::Model {
        account_id: r.get(at)?,
        user_id: r.get(at + 1)?,
        is_owner: r.get(at + 2)?,
        permissions: r.get(at + 3)?,
        role: r.get(at + 4)?,
        invited_by: r.get(at + 5)?,
        invite_id: r.get(at + 6)?,
        granted_by: r.get(at + 7)?,
        joined_at: time(r, at + 8)?,
        ends_at: opt_time(r, at + 9)?,
        last_active_at: opt_time(r, at + 10)?,
        version: r.get(at + 11)?,
    })
}

const SESSION_COLUMNS: &str = "s.token_digest, s.id, s.user_id, s.created_at, s.last_seen_at, s.idle_expires_at, \
     s.absolute_expires_at";

/// A session row by its token digest.
pub(crate) fn session(c: &Connection, digest: &str) -> rusqlite::Result<Option<sessions::Model>> {
    c.prepare_cached(
        "SELECT token_digest, id, user_id, created_at, last_seen_at, idle_expires_at, absolute_expires_at \
         FROM sessions WHERE token_digest = ?1",
    )?
    .query_row(params![digest], session_model)
    .optional()
}

/// A session row: its seven columns first, in table order.
fn session_model(r: &Row<'_>) -> rusqlite::Result<sessions::Model> {
    Ok(sessions::Model {
        token_digest: r.get(0)?,
        id: r.get(1)?,
        user_id: r.get(2)?,
        created_at: time(r, 3)?,
        last_seen_at: time(r, 4)?,
        idle_expires_at: time(r, 5)?,
        absolute_expires_at: time(r, 6)?,
    })
}

/// A session row by its token digest, with its user's row.
pub(crate) fn session_user(c: &Connection, digest: &str) -> rusqlite::Result<Option<(sessions::Model, users::Model)>> {
    static SQL: LazyLock<String> = LazyLock::new(|| {
        let users = USER_COLUMNS.split(", ").map(|c| format!("u.{c}")).collect::<Vec<_>>().join(", ");
        format!(
            "SELECT {SESSION_COLUMNS}, {users} FROM sessions s JOIN users u ON u.id = s.user_id \
             WHERE s.token_digest = ?1"
        )
    });
    c.prepare_cached(&SQL)?.query_row(params![digest], |r| Ok((session_model(r)?, user_model_at(r, 7)?))).optional()
}

/// A session row by its token digest, with its user's status.
pub(crate) fn session_holder(c: &Connection, digest: &str) -> rusqlite::Result<Option<(sessions::Model, String)>> {
    static SQL: LazyLock<String> = LazyLock::new(|| {
        format!(
            "SELECT {SESSION_COLUMNS}, u.status FROM sessions s JOIN users u ON u.id = s.user_id \
             WHERE s.token_digest = ?1"
        )
    });
    c.prepare_cached(&SQL)?.query_row(params![digest], |r| Ok((session_model(r)?, r.get(7)?))).optional()
}

/// A user row by id.
pub(crate) fn user(c: &Connection, id: Uuid) -> rusqlite::Result<Option<users::Model>> {
    static SQL: LazyLock<String> = LazyLock::new(|| format!("SELECT {USER_COLUMNS} FROM users WHERE id = ?1"));
    c.prepare_cached(&SQL)?.query_row(params![id], user_model).optional()
}

/// A user's status column alone.
pub(crate) fn user_status(c: &Connection, id: Uuid) -> rusqlite::Result<Option<String>> {
    c.prepare_cached("SELECT status FROM users WHERE id = ?1")?.query_row(params![id], |r| r.get(0)).optional()
}

/// The user row whose email key is `key` (the unique `users_email_key` index).
pub(crate) fn user_by_email_key(c: &Connection, key: &str) -> rusqlite::Result<Option<users::Model>> {
    static SQL: LazyLock<String> = LazyLock::new(|| format!("SELECT {USER_COLUMNS} FROM users WHERE email_key = ?1"));
    c.prepare_cached(&SQL)?.query_row(params![key], user_model).optional()
}

/// User rows by id, in no particular order; unknown ids are left out.
pub(crate) fn users(c: &Connection, ids: &[Uuid]) -> rusqlite::Result<Vec<users::Model>> {
    let mut out = Vec::with_capacity(ids.len());
    // One statement per chunk, `IN (?1, …, ?n)`: SQLite seeks the primary key for each id inside
    // one run, where a statement per id paid a run's setup and a file lock each time. Pages
    // have one usual size, so few distinct statements reach the cache.
    for chunk in ids.chunks(200) {
        let marks: Vec<String> = (1..=chunk.len()).map(|i| format!("?{i}")).collect();
        let mut statement =
            c.prepare_cached(&format!("SELECT {USER_COLUMNS} FROM users WHERE id IN ({})", marks.join(", ")))?;
        let rows = statement.query_map(rusqlite::params_from_iter(chunk), user_model)?;
        for row in rows {
            out.push(row?);
        }
    }
    Ok(out)
}

/// What the access check reads: the membership row, and its account's status and owner.
pub(crate) type AccessRow = (memberships::Model, String, Uuid);

/// The membership of `user` in `account`, with the account's status and owner.
pub(crate) fn access(c: &Connection, account: Uuid, user: Uuid) -> rusqlite::Result<Option<AccessRow>> {
    static SQL: LazyLock<String> = LazyLock::new(|| {
        format!(
            "SELECT {MEMBERSHIP_COLUMNS}, a.status, a.owner_id FROM memberships m \
             JOIN accounts a ON a.id = m.account_id WHERE m.account_id = ?1 AND m.user_id = ?2"
        )
    });
    c.prepare_cached(&SQL)?
        .query_row(params![account, user], |r| Ok((membership_model(r)?, r.get(12)?, r.get(13)?)))
        .optional()
}

/// A user's status and, when they have one, their membership in `account` with the account's
/// status and owner ([`access`] and [`user_status`] in one statement).
pub(crate) fn standing(
    c: &Connection,
    account: Uuid,
    user: Uuid,
) -> rusqlite::Result<Option<(String, Option<AccessRow>)>> {
    // Three primary-key seeks. (A parenthesised `memberships JOIN accounts` would read as
    // `access` does directly, but SQLite materialises it for the whole account first.)
    static SQL: LazyLock<String> = LazyLock::new(|| {
        format!(
            "SELECT u.status, {MEMBERSHIP_COLUMNS}, a.status, a.owner_id FROM users u \
             LEFT JOIN memberships m ON m.account_id = ?1 AND m.user_id = u.id \
             LEFT JOIN accounts a ON a.id = m.account_id WHERE u.id = ?2"
        )
    });
    c.prepare_cached(&SQL)?
        .query_row(params![account, user], |r| {
            // No membership, or (as `access`'s inner join reads it) a membership whose account
            // row is missing: no access.
            let access = match (r.get_ref(1)?, r.get_ref(13)?) {
                (ValueRef::Null, _) | (_, ValueRef::Null) => None,
                _ => Some((membership_model_at(r, 1)?, r.get(13)?, r.get(14)?)),
            };
            Ok((r.get(0)?, access))
        })
        .optional()
}

/// Up to `limit` memberships of `account` after `after`, by user id.
pub(crate) fn members(
    c: &Connection,
    account: Uuid,
    after: Option<Uuid>,
    limit: u64,
) -> rusqlite::Result<Vec<memberships::Model>> {
    static SQL: LazyLock<Keyset> = LazyLock::new(|| {
        Keyset::new(&format!("SELECT {MEMBERSHIP_COLUMNS} FROM memberships m WHERE m.account_id = ?1"), "m.user_id")
    });
    keyset_page(c, &SQL, account, after, limit, membership_model)
}

/// The two statements of a keyset page: up to `limit` rows of `select` (a query whose WHERE
/// conditions end it and bind the key as `?1`) by the `order` column, from the start or after a
/// value of it. Two statements rather than `?2 IS NULL OR …`, which would hide the range from
/// the planner: each is a seek on the key's index. Built once per query, not per page.
struct Keyset {
    first: String,
    after: String,
}

impl Keyset {
    fn new(select: &str, order: &str) -> Self {
        Self {
            first: format!("{select} ORDER BY {order} LIMIT ?2"),
            after: format!("{select} AND {order} > ?2 ORDER BY {order} LIMIT ?3"),
        }
    }
}

/// Up to `limit` rows of a [`Keyset`] query for `key`, after `after`.
fn keyset_page<T>(
    c: &Connection,
    sql: &Keyset,
    key: Uuid,
    after: Option<Uuid>,
    limit: u64,
    row: impl FnMut(&Row<'_>) -> rusqlite::Result<T>,
) -> rusqlite::Result<Vec<T>> {
    // Room for the whole page at once: rows are large, and growing the vector copies them.
    let mut out = Vec::with_capacity(usize::try_from(limit).unwrap_or(0).min(MAX_PAGE_ROWS));
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    let mut statement;
    let rows = match after {
        None => {
            statement = c.prepare_cached(&sql.first)?;
            statement.query_map(params![key, limit], row)?
        }
        Some(after) => {
            statement = c.prepare_cached(&sql.after)?;
            statement.query_map(params![key, after, limit], row)?
        }
    };
    for r in rows {
        out.push(r?);
    }
    Ok(out)
}

/// The most rows a page asks for (a page of 200 and the one that says whether more follow).
const MAX_PAGE_ROWS: usize = 201;

/// Up to `limit` memberships of `account` after `after`, by user id, each with its user's
/// email and name: one join, two columns of each user, parsed straight from SQLite's text.
pub(crate) fn member_rows(
    c: &Connection,
    account: Uuid,
    after: Option<Uuid>,
    limit: u64,
) -> rusqlite::Result<Vec<Result<MemberRow, StoreError>>> {
    let row = |r: &Row<'_>| {
        let membership = membership_model(r)?;
        let (email, name) = (r.get_ref(12)?.as_str()?, r.get_ref(13)?.as_str()?);
        Ok(convert::member_row(membership, email, name))
    };
    static SQL: LazyLock<Keyset> = LazyLock::new(|| {
        let select = format!(
            "SELECT {MEMBERSHIP_COLUMNS}, u.email, u.name FROM memberships m JOIN users u ON u.id = m.user_id \
             WHERE m.account_id = ?1"
        );
        Keyset::new(&select, "m.user_id")
    });
    keyset_page(c, &SQL, account, after, limit, row)
}

/// What the account picker reads: a membership, its account's status, owner and display name.
pub(crate) type ListingRow = (memberships::Model, String, Uuid, String);

/// Up to `limit` memberships of `user` after account `after`, by account id, each with its
/// account's status, owner and display name: one join on the `memberships_by_user` index.
/// A user's memberships with their accounts' status, owner and name, by account id. A row that
/// does not decode comes back as its account id and the error, so one bad row costs only itself.
pub(crate) fn memberships_of(
    c: &Connection,
    user: Uuid,
    after: Option<Uuid>,
    limit: u64,
) -> rusqlite::Result<Vec<Result<ListingRow, (Uuid, rusqlite::Error)>>> {
    let row = |r: &Row<'_>| {
        let decoded = (|| Ok((membership_model(r)?, r.get(12)?, r.get(13)?, r.get(14)?)))();
        Ok(decoded.map_err(|e| (r.get::<_, Uuid>(0).unwrap_or_default(), e)))
    };
    static SQL: LazyLock<Keyset> = LazyLock::new(|| {
        let select = format!(
            "SELECT {MEMBERSHIP_COLUMNS}, a.status, a.owner_id, a.display_name FROM memberships m \
             JOIN accounts a ON a.id = m.account_id WHERE m.user_id = ?1"
        );
        Keyset::new(&select, "m.account_id")
    });
    keyset_page(c, &SQL, user, after, limit, row)
}

#[cfg(test)]
mod tests {
    use chrono::{DateTime, SecondsFormat, Utc};
    use proptest::prelude::*;

    use super::utc_time;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(5_000))]

        /// Whatever sqlx writes (any instant, any fraction) reads back as that instant.
        #[test]
        fn written_times_read_back(seconds in 0_i64..253_402_300_799, nanos in prop_oneof![
            Just(0_u32), (0_u32..1_000).prop_map(|ms| ms * 1_000_000), (0_u32..1_000_000).prop_map(|us| us * 1_000),
            0_u32..1_000_000_000,
        ]) {
            let t = DateTime::from_timestamp(seconds, nanos).unwrap();
            prop_assert_eq!(utc_time(&t.to_rfc3339_opts(SecondsFormat::AutoSi, false)), Some(t));
            for form in [SecondsFormat::Secs, SecondsFormat::Millis, SecondsFormat::Nanos] {
                let text = t.to_rfc3339_opts(form, false);
                prop_assert_eq!(utc_time(&text), Some(text.parse::<DateTime<Utc>>().unwrap()));
            }
        }

        /// On any other text it never disagrees with chrono: it answers as chrono does, or not at all.
        #[test]
        fn other_text_is_left_to_chrono(text in "[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}:[0-9]{2}(\\.[0-9]{0,11})?(Z|[+-][0-9]{2}:[0-9]{2})") {
            if let Some(t) = utc_time(&text) {
                prop_assert_eq!(Some(t), DateTime::parse_from_rfc3339(&text).ok().map(|t| t.with_timezone(&Utc)));
            }
        }
    }
}
