//! Sessions and rate-limit counters: the domain's session-store conformance suite on both backends.

use portal_testkit::conformance::check_session_store;

use crate::support;

#[tokio::test]
async fn sqlite_keeps_the_session_store_contract() {
    assert_eq!(check_session_store(async || support::sqlite().await.0).await, Ok(()));
}

#[tokio::test]
async fn postgres_keeps_the_session_store_contract() {
    let Some(base) = support::postgres_url() else { return };
    assert_eq!(check_session_store(async || support::postgres(&base).await.0).await, Ok(()));
}

#[tokio::test]
async fn sqlite_without_inline_reads_keeps_the_session_contract() {
    assert_eq!(check_session_store(async || support::sqlite().await.0.without_inline_reads()).await, Ok(()));
}
