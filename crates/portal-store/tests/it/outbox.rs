//! The outbox on both backends: claims are exclusive and leased, failures back off, sent rows
//! lose their token, nothing is lost.

use std::collections::BTreeSet;
use std::time::Duration;

use portal_domain::Actor;
use portal_domain::permission::Role;
use portal_domain::ports::Message;
use portal_domain::service::InviteOffer;
use portal_domain::values::EmailAddress;
use portal_store::{SqlStore, retry_delay};
use sea_orm::{ConnectionTrait, Statement};

use crate::support::{self, t0};

/// Signs up and sends `n` invites: `n` outbox rows.
async fn queue(store: SqlStore, n: usize) -> SqlStore {
    let portal = support::portal(store, 0);
    let (ann, acme) = support::signup(&portal, "ann@acme.example", "Acme").await;
    for i in 0..n {
        let request = InviteOffer {
            email: EmailAddress::parse(&format!("p{i}@acme.example")).unwrap(),
            name: None,
            permissions: Role::ReadOnly.permissions(),
            role: None,
            access_ends_at: None,
        };
        portal.invite(&Actor::User(ann.id()), acme.id(), request).await.unwrap();
    }
    portal.store().clone()
}

const LEASE: Duration = Duration::from_secs(60);

fn secs(n: i64) -> chrono::Duration {
    chrono::Duration::seconds(n)
}

async fn lifecycle(store: SqlStore, url: &str) {
    let store = queue(store, 3).await;
    assert_eq!(store.outbox_depth().await.unwrap(), 3);
    let first = store.claim_outbox(t0(), 2, LEASE).await.unwrap();
    assert_eq!(first.len(), 2);
    assert!(matches!(&first[0].email.message, Message::Invite { token, .. } if !token.is_empty()));
    let second = store.claim_outbox(t0(), 2, LEASE).await.unwrap();
    assert_eq!(second.len(), 1, "the third row only: the others are leased");
    assert!(store.claim_outbox(t0(), 2, LEASE).await.unwrap().is_empty());

    // Sent: never again, and the token is gone from the row.
    store.outbox_sent(&first[0], t0() + secs(1)).await.unwrap();
    let raw = support::raw(url).await;
    let payload: String = raw
        .query_one_raw(Statement::from_string(
            raw.get_database_backend(),
            format!("SELECT payload FROM outbox WHERE id = {}", first[0].id),
        ))
        .await
        .unwrap()
        .unwrap()
        .try_get_by_index(0)
        .unwrap();
    let Message::Invite { token, .. } = &first[0].email.message else { panic!() };
    assert!(!payload.contains(token.as_str()), "a sent email kept its token");

    // Failed: due again only after the backoff.
    store.outbox_failed(&first[1], t0() + secs(2), "smtp: connection refused").await.unwrap();
    assert_eq!(retry_delay(1), Duration::from_secs(30));
    let early = store.claim_outbox(t0() + secs(20), 10, LEASE).await.unwrap();
    assert!(early.is_empty(), "retried before its backoff");
    // After the lease, the unreported row (a crashed worker) and the backed-off one come back.
    let later = store.claim_outbox(t0() + secs(61), 10, LEASE).await.unwrap();
    let ids: Vec<i64> = later.iter().map(|q| q.id).collect();
    assert_eq!(ids, vec![first[1].id, second[0].id]);
    assert_eq!(later[0].attempts, 1);
    assert_eq!(store.outbox_depth().await.unwrap(), 2, "nothing lost");
}

#[tokio::test]
async fn sqlite_outbox_lifecycle() {
    let (store, url) = support::sqlite().await;
    lifecycle(store, &url).await;
}

#[tokio::test]
async fn postgres_outbox_lifecycle() {
    let Some(base) = support::postgres_url() else { return };
    let (store, url) = support::postgres(&base).await;
    lifecycle(store, &url).await;
}

/// Two workers (separate connection pools, as two processes would have) claim at once: every row
/// goes to exactly one of them.
async fn concurrent_claims(store: SqlStore, url: &str) {
    let store = queue(store, 40).await;
    let other = SqlStore::connect(url).await.unwrap();
    let claim = |s: SqlStore| async move {
        let mut got = Vec::new();
        loop {
            let batch = s.claim_outbox(t0(), 3, LEASE).await.unwrap();
            if batch.is_empty() {
                break got;
            }
            got.extend(batch.into_iter().map(|q| q.id));
        }
    };
    let (a, b) = tokio::join!(tokio::spawn(claim(store.clone())), tokio::spawn(claim(other)));
    let (a, b) = (a.unwrap(), b.unwrap());
    let a_set: BTreeSet<i64> = a.iter().copied().collect();
    let b_set: BTreeSet<i64> = b.iter().copied().collect();
    assert!(a_set.is_disjoint(&b_set), "a row was claimed twice");
    assert_eq!(a.len() + b.len(), 40, "a row was not claimed");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_claims_are_exclusive() {
    let (store, url) = support::sqlite().await;
    concurrent_claims(store, &url).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_claims_are_exclusive() {
    let Some(base) = support::postgres_url() else { return };
    let (store, url) = support::postgres(&base).await;
    concurrent_claims(store, &url).await;
}

/// An email failing `MAX_ATTEMPTS` times becomes a dead letter (never claimed again, its token
/// blanked, counted apart); a row that does not read is set aside the same way, and the rows
/// behind it still go out.
async fn dead_letters(store: SqlStore, url: &str) {
    let store = queue(store, 3).await;
    let raw = support::raw(url).await;
    let backend = raw.get_database_backend();
    let ids: Vec<i64> = store.claim_outbox(t0(), 10, LEASE).await.unwrap().iter().map(|q| q.id).collect();
    // The first row's payload is garbage now (written by hand, as a bug or an old version might).
    raw.execute_raw(Statement::from_string(
        backend,
        format!("UPDATE outbox SET payload = 'not json' WHERE id = {}", ids[0]),
    ))
    .await
    .unwrap();
    let later = t0() + secs(3600);
    let claimed = store.claim_outbox(later, 10, LEASE).await.unwrap();
    assert_eq!(claimed.iter().map(|q| q.id).collect::<Vec<_>>(), ids[1..], "an unreadable row stalled the claim");
    assert_eq!(store.outbox_dead().await.unwrap(), 1);

    // The second fails until it is given up on; the third is sent.
    let mut email = claimed[0].clone();
    let mut at = later;
    for attempt in 1..=portal_store::MAX_ATTEMPTS {
        let dead = store.outbox_failed(&email, at, "550 mailbox unavailable").await.unwrap();
        assert_eq!(dead, attempt == portal_store::MAX_ATTEMPTS, "attempt {attempt}");
        at += secs(7200);
        email = match store.claim_outbox(at, 10, LEASE).await.unwrap().into_iter().find(|q| q.id == ids[1]) {
            Some(next) => next,
            None => break,
        };
    }
    assert!(store.claim_outbox(at + secs(7200), 10, LEASE).await.unwrap().iter().all(|q| q.id != ids[1]));
    store.outbox_sent(&claimed[1], at).await.unwrap();
    assert_eq!(store.outbox_dead().await.unwrap(), 2);
    assert_eq!(store.outbox_depth().await.unwrap(), 0, "dead letters are not waiting to be sent");
    let tokens = raw
        .query_all_raw(Statement::from_string(backend, "SELECT payload FROM outbox WHERE dead_at IS NOT NULL"))
        .await
        .unwrap();
    for row in tokens {
        let payload: String = row.try_get_by_index(0).unwrap();
        assert!(payload.is_empty(), "a dead letter kept its payload (and token): {payload}");
    }
}

#[tokio::test]
async fn sqlite_dead_letters() {
    let (store, url) = support::sqlite().await;
    dead_letters(store, &url).await;
}

#[tokio::test]
async fn postgres_dead_letters() {
    let Some(base) = support::postgres_url() else { return };
    let (store, url) = support::postgres(&base).await;
    dead_letters(store, &url).await;
}
