//! The in-line reads: sessions, users, a member's standing, and the pages every request makes.

use std::sync::LazyLock;

use rusqlite::types::ValueRef;
use rusqlite::{Connection, OptionalExtension, Row, params};
use uuid::Uuid;

use portal_domain::ids::UserId;
use portal_domain::ports::{MemberView, StoreError};

use super::decode::{INVITES, MEMBERSHIPS, SESSIONS, USERS};
use crate::convert;
use crate::entity::{invites, memberships, sessions, users};

/// `SELECT` column lists, from the entities.
static USER_COLUMNS: LazyLock<String> = LazyLock::new(|| USERS.select(""));
static USER_COLUMNS_U: LazyLock<String> = LazyLock::new(|| USERS.select("u."));
static MEMBERSHIP_COLUMNS: LazyLock<String> = LazyLock::new(|| MEMBERSHIPS.select("m."));
static SESSION_COLUMNS: LazyLock<String> = LazyLock::new(|| SESSIONS.select("s."));

fn user_model(r: &Row<'_>) -> rusqlite::Result<users::Model> {
    USERS.decode(r, 0)
}

fn membership_model(r: &Row<'_>) -> rusqlite::Result<memberships::Model> {
    MEMBERSHIPS.decode(r, 0)
}

fn session_model(r: &Row<'_>) -> rusqlite::Result<sessions::Model> {
    SESSIONS.decode(r, 0)
}

/// A session row by its token digest.
pub(crate) fn session(c: &Connection, digest: &str) -> rusqlite::Result<Option<sessions::Model>> {
    static SQL: LazyLock<String> =
        LazyLock::new(|| format!("SELECT {} FROM sessions s WHERE s.token_digest = ?1", *SESSION_COLUMNS));
    c.prepare_cached(&SQL)?.query_row(params![digest], session_model).optional()
}

/// A session row by its token digest, with its user's row.
pub(crate) fn session_user(c: &Connection, digest: &str) -> rusqlite::Result<Option<(sessions::Model, users::Model)>> {
    static SQL: LazyLock<String> = LazyLock::new(|| {
        format!(
            "SELECT {}, {} FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.token_digest = ?1",
            *SESSION_COLUMNS, *USER_COLUMNS_U
        )
    });
    c.prepare_cached(&SQL)?
        .query_row(params![digest], |r| Ok((session_model(r)?, USERS.decode(r, SESSIONS.len())?)))
        .optional()
}

/// A session row by its token digest, with its user's status.
pub(crate) fn session_holder(c: &Connection, digest: &str) -> rusqlite::Result<Option<(sessions::Model, String)>> {
    static SQL: LazyLock<String> = LazyLock::new(|| {
        format!(
            "SELECT {}, u.status FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.token_digest = ?1",
            *SESSION_COLUMNS
        )
    });
    c.prepare_cached(&SQL)?.query_row(params![digest], |r| Ok((session_model(r)?, r.get(SESSIONS.len())?))).optional()
}

/// A user row by id.
pub(crate) fn user(c: &Connection, id: Uuid) -> rusqlite::Result<Option<users::Model>> {
    static SQL: LazyLock<String> = LazyLock::new(|| format!("SELECT {} FROM users WHERE id = ?1", *USER_COLUMNS));
    c.prepare_cached(&SQL)?.query_row(params![id], user_model).optional()
}

/// A user's status column alone.
pub(crate) fn user_status(c: &Connection, id: Uuid) -> rusqlite::Result<Option<String>> {
    c.prepare_cached("SELECT status FROM users WHERE id = ?1")?.query_row(params![id], |r| r.get(0)).optional()
}

/// The user row whose email key is `key` (the unique `users_email_key` index).
pub(crate) fn user_by_email_key(c: &Connection, key: &str) -> rusqlite::Result<Option<users::Model>> {
    static SQL: LazyLock<String> =
        LazyLock::new(|| format!("SELECT {} FROM users WHERE email_key = ?1", *USER_COLUMNS));
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
            c.prepare_cached(&format!("SELECT {} FROM users WHERE id IN ({})", *USER_COLUMNS, marks.join(", ")))?;
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
            "SELECT {}, a.status, a.owner_id FROM memberships m \
             JOIN accounts a ON a.id = m.account_id WHERE m.account_id = ?1 AND m.user_id = ?2",
            *MEMBERSHIP_COLUMNS
        )
    });
    c.prepare_cached(&SQL)?
        .query_row(params![account, user], |r| {
            let n = MEMBERSHIPS.len();
            Ok((membership_model(r)?, r.get(n)?, r.get(n + 1)?))
        })
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
            "SELECT u.status, {}, a.status, a.owner_id FROM users u \
             LEFT JOIN memberships m ON m.account_id = ?1 AND m.user_id = u.id \
             LEFT JOIN accounts a ON a.id = m.account_id WHERE u.id = ?2",
            *MEMBERSHIP_COLUMNS
        )
    });
    c.prepare_cached(&SQL)?
        .query_row(params![account, user], |r| {
            // No membership, or (as `access`'s inner join reads it) a membership whose account
            // row is missing: no access.
            let account = 1 + MEMBERSHIPS.len();
            let access = match (r.get_ref(1)?, r.get_ref(account)?) {
                (ValueRef::Null, _) | (_, ValueRef::Null) => None,
                _ => Some((MEMBERSHIPS.decode(r, 1)?, r.get(account)?, r.get(account + 1)?)),
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
        Keyset::new(&format!("SELECT {} FROM memberships m WHERE m.account_id = ?1", *MEMBERSHIP_COLUMNS), "m.user_id")
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
    owner: UserId,
    after: Option<Uuid>,
    limit: u64,
) -> rusqlite::Result<Vec<Result<MemberView, StoreError>>> {
    let row = |r: &Row<'_>| {
        let membership = membership_model(r)?;
        let n = MEMBERSHIPS.len();
        let (email, name) = (r.get_ref(n)?.as_str()?, r.get_ref(n + 1)?.as_str()?);
        Ok(convert::member_row(membership, email, name, owner))
    };
    static SQL: LazyLock<Keyset> = LazyLock::new(|| {
        let select = format!(
            "SELECT {}, u.email, u.name FROM memberships m JOIN users u ON u.id = m.user_id \
             WHERE m.account_id = ?1",
            *MEMBERSHIP_COLUMNS
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
        let n = MEMBERSHIPS.len();
        let decoded = (|| Ok((membership_model(r)?, r.get(n)?, r.get(n + 1)?, r.get(n + 2)?)))();
        Ok(decoded.map_err(|e| (r.get::<_, Uuid>(0).unwrap_or_default(), e)))
    };
    static SQL: LazyLock<Keyset> = LazyLock::new(|| {
        let select = format!(
            "SELECT {}, a.status, a.owner_id, a.display_name FROM memberships m \
             JOIN accounts a ON a.id = m.account_id WHERE m.user_id = ?1",
            *MEMBERSHIP_COLUMNS
        );
        Keyset::new(&select, "m.account_id")
    });
    keyset_page(c, &SQL, user, after, limit, row)
}

/// Up to `limit` of the account's pending invites, by id: a seek on the `invites_open` index,
/// which holds the pending ones only.
pub(crate) fn open_invites_of(c: &Connection, account: Uuid, limit: u64) -> rusqlite::Result<Vec<invites::Model>> {
    static SQL: LazyLock<String> = LazyLock::new(|| {
        format!(
            "SELECT {} FROM invites WHERE account_id = ?1 AND state = '{}' ORDER BY id LIMIT ?2",
            INVITES.select(""),
            convert::INVITE_PENDING
        )
    });
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    c.prepare_cached(&SQL)?.query_map(params![account, limit], |r| INVITES.decode(r, 0))?.collect()
}
