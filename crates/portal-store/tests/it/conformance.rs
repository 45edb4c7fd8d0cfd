//! The domain's store conformance suite, unchanged, against SQLite and PostgreSQL.

use portal_testkit::conformance::check_store;

use crate::support;

#[tokio::test]
async fn sqlite_keeps_the_store_contract() {
    assert_eq!(check_store(async || support::sqlite().await.0).await, Ok(()));
}

#[tokio::test]
async fn postgres_keeps_the_store_contract() {
    let Some(base) = support::postgres_url() else { return };
    assert_eq!(check_store(async || support::postgres(&base).await.0).await, Ok(()));
}

/// SQLite reads its per-request rows in line (rusqlite); the SeaORM reads they stand in for
/// still serve PostgreSQL and a busy SQLite, so they keep the contract on SQLite too.
#[tokio::test]
async fn sqlite_without_inline_reads_keeps_the_store_contract() {
    assert_eq!(check_store(async || support::sqlite().await.0.without_inline_reads()).await, Ok(()));
}
