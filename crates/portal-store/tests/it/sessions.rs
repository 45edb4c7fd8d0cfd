//! Sessions (digests only, idle and absolute expiry) and rate-limit counters, on both backends.

use std::time::Duration;

use portal_domain::ids::UserId;
use portal_domain::values::TokenDigest;
use portal_store::Store;
use uuid::Uuid;

use crate::support::{self, TestPortal, t0};

async fn user(portal: &TestPortal, address: &str) -> UserId {
    support::signup(portal, address, "Acme").await.0.id()
}

const IDLE: Duration = Duration::from_secs(30 * 60);
const ABSOLUTE: Duration = Duration::from_secs(12 * 3600);

fn mins(n: i64) -> chrono::Duration {
    chrono::Duration::minutes(n)
}

async fn sessions(store: Store) {
    let portal = support::portal(store, 0);
    let store = portal.store();
    let ann = user(&portal, "ann@acme.example").await;
    let token = TokenDigest::new("digest-of-token-1");
    let id = Uuid::from_u128(1);
    store.create_session(id, &token, ann, t0(), IDLE, ABSOLUTE).await.unwrap();
    assert_eq!(store.use_session(&token, t0() + mins(20), IDLE).await.unwrap(), Some(ann));
    // Used at 20 min, so alive at 45 min (idle extended), dead after 30 idle minutes.
    assert_eq!(store.use_session(&token, t0() + mins(45), IDLE).await.unwrap(), Some(ann));
    assert_eq!(store.use_session(&token, t0() + mins(80), IDLE).await.unwrap(), None);
    assert_eq!(store.use_session(&token, t0() + mins(81), IDLE).await.unwrap(), None, "an expired session came back");

    // Absolute expiry wins over activity.
    let busy = TokenDigest::new("digest-of-token-2");
    store.create_session(Uuid::from_u128(2), &busy, ann, t0(), IDLE, ABSOLUTE).await.unwrap();
    let mut at = t0();
    while at + mins(20) < t0() + mins(12 * 60) {
        at += mins(20);
        assert_eq!(store.use_session(&busy, at, IDLE).await.unwrap(), Some(ann));
    }
    assert_eq!(store.use_session(&busy, t0() + mins(12 * 60), IDLE).await.unwrap(), None);

    // Listing and revoking: only one's own.
    let bob = user(&portal, "bob@acme.example").await;
    let a1 = TokenDigest::new("a1");
    let b1 = TokenDigest::new("b1");
    store.create_session(Uuid::from_u128(3), &a1, ann, t0(), IDLE, ABSOLUTE).await.unwrap();
    store.create_session(Uuid::from_u128(4), &b1, bob, t0(), IDLE, ABSOLUTE).await.unwrap();
    let listed = store.sessions_of(ann, t0()).await.unwrap();
    assert!(listed.iter().all(|s| s.user == ann) && listed.iter().any(|s| s.id == Uuid::from_u128(3)));
    assert!(!store.end_session_by_id(ann, Uuid::from_u128(4)).await.unwrap(), "ended someone else's session");
    assert_eq!(store.use_session(&b1, t0(), IDLE).await.unwrap(), Some(bob));
    assert!(store.end_session_by_id(ann, Uuid::from_u128(3)).await.unwrap());
    assert_eq!(store.use_session(&a1, t0(), IDLE).await.unwrap(), None);
    store.end_sessions_of(bob).await.unwrap();
    assert_eq!(store.use_session(&b1, t0(), IDLE).await.unwrap(), None);
}

async fn rate_limits(store: Store) {
    let window = Duration::from_secs(60);
    for i in 0..3 {
        assert!(store.rate_limit_hit("login:1.2.3.4", t0() + chrono::Duration::seconds(i), window, 3).await.unwrap());
    }
    assert!(!store.rate_limit_hit("login:1.2.3.4", t0() + chrono::Duration::seconds(10), window, 3).await.unwrap());
    assert!(store.rate_limit_hit("login:5.6.7.8", t0(), window, 3).await.unwrap(), "keys are separate");
    assert!(
        store.rate_limit_hit("login:1.2.3.4", t0() + chrono::Duration::seconds(61), window, 3).await.unwrap(),
        "a new window"
    );
}

#[tokio::test]
async fn sqlite_sessions_expire_and_revoke() {
    sessions(support::sqlite().await.0).await;
}

#[tokio::test]
async fn postgres_sessions_expire_and_revoke() {
    let Some(base) = support::postgres_url() else { return };
    sessions(support::postgres(&base).await.0).await;
}

#[tokio::test]
async fn sqlite_rate_limits_count_per_window() {
    rate_limits(support::sqlite().await.0).await;
}

#[tokio::test]
async fn postgres_rate_limits_count_per_window() {
    let Some(base) = support::postgres_url() else { return };
    rate_limits(support::postgres(&base).await.0).await;
}
