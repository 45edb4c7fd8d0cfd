//! Reads shaped for SQLite's statement cache.
//!
//! SQLite re-prepares a cached statement on every run when its `LIMIT` is a bound parameter
//! (the planner may use the value), and SeaORM binds both `.limit(n)` and the `LIMIT 1` that
//! `.one()` adds. Re-parsing was about a sixth of a members-page request's CPU. So unique
//! lookups read with `.all()` and [`first`] (the key allows one row at most), and pages carry
//! their limit as a literal ([`limited`]), which keeps one cached statement per page size.

use sea_orm::{ConnectionTrait, DbErr, EntityTrait, QueryTrait, Select};

/// The row of a lookup by a unique key: the first of at most one.
pub(crate) fn first<T>(rows: Vec<T>) -> Option<T> {
    rows.into_iter().next()
}

/// The first `limit` rows of `select` (which must be ordered and carry no limit of its own).
pub(crate) async fn limited<E, C>(select: Select<E>, limit: u64, conn: &C) -> Result<Vec<E::Model>, DbErr>
where
    E: EntityTrait,
    C: ConnectionTrait,
{
    let mut statement = select.build(conn.get_database_backend());
    // Both databases take a signed 64-bit limit.
    let limit = limit.min(i64::MAX.unsigned_abs());
    // A number we formatted, never input text: nothing to inject.
    statement.sql.push_str(&format!(" LIMIT {limit}"));
    E::find().from_raw_sql(statement).all(conn).await
}

#[cfg(test)]
mod tests {
    use sea_orm::{DbBackend, EntityTrait, QueryOrder, QueryTrait};

    use crate::entity::memberships;

    #[test]
    fn a_page_statement_binds_no_limit() {
        let select = memberships::Entity::find().order_by_asc(memberships::Column::UserId);
        let statement = select.build(DbBackend::Sqlite);
        assert!(statement.sql.ends_with("ORDER BY \"memberships\".\"user_id\" ASC"), "{}", statement.sql);
        assert!(!statement.sql.contains("LIMIT"));
    }
}
