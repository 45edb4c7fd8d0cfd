//! Two writers with their own connection pools (as two server processes would have) race 500
//! conflicting edits each on one account: permission edits, ownership transfers, removals and
//! re-invitations. Afterwards: exactly one owner, every accepted change is in the state and in
//! the events, every refused commit got `Conflict`.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Utc};
use portal_domain::account::{Account, AccountCommand, AccountEvent, EditMember, InviteMember, InviteOffer};
use portal_domain::ids::{AccountId, InviteId, UserId};
use portal_domain::permission::{Permission, PermissionSet, Role};
use portal_domain::ports::{Changes, CommitError, Saved, Store as _};
use portal_domain::service::{Portal, Signup};
use portal_domain::values::{CompanyName, EmailAddress, PersonName, TokenDigest};
use portal_domain::{Actor, DomainError};
use portal_store::SqlStore;
use portal_testkit::memory::{InsecureDigester, InsecureHasher, ManualClock, SequentialIds, SequentialTokens};
use sea_orm::{ConnectionTrait, Statement};

use crate::support;

const EDITS: usize = 500;
const PEOPLE: u128 = 60;

fn t0() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-03-02T09:00:00Z").unwrap().to_utc()
}

fn address(n: u128) -> EmailAddress {
    EmailAddress::parse(&format!("p{n}@acme.example")).unwrap()
}

struct Setup {
    account: AccountId,
    owners: [UserId; 2],
    people: Vec<UserId>,
}

/// An account owned by p0, with p1 as a second candidate owner, 8 members, and 50 more
/// registered people to invite later.
async fn setup(store: SqlStore) -> Setup {
    let portal = Portal::new(
        store,
        InsecureHasher::default(),
        InsecureDigester,
        SequentialTokens::default(),
        ManualClock::new(t0()),
        SequentialIds::default(),
    );
    let mut people = Vec::new();
    let mut account = None;
    for n in 0..PEOPLE {
        let signup = Signup {
            email: address(n),
            name: PersonName::parse("Person").unwrap(),
            password: "correct horse battery staple".into(),
            account_name: CompanyName::parse(&format!("Own {n}")).unwrap(),
            company: None,
        };
        let (user, own) = support::verified_signup(&portal, &format!("client {n}"), signup).await;
        people.push(user.id());
        account.get_or_insert(own.id());
    }
    let account = account.unwrap();
    let owner = Actor::User(people[0]);
    for n in 1..=9u128 {
        let role = if n == 1 { Role::Admin } else { Role::ReadOnly };
        let request = InviteOffer {
            email: address(n),
            name: None,
            permissions: role.permissions(),
            role: None,
            access_ends_at: None,
        };
        portal.invite(&owner, account, request).await.unwrap();
        let token = portal
            .store()
            .account(account)
            .await
            .unwrap()
            .unwrap()
            .invites()
            .find(|i| *i.email() == address(n))
            // A pending invite's link is never forgotten.
            .and_then(|i| i.token())
            .map(|t| t.as_str().trim_start_matches("digest:").to_owned())
            .unwrap();
        portal.accept_invite(people[n as usize], &token).await.unwrap();
    }
    Setup { account, owners: [people[0], people[1]], people }
}

#[derive(Default)]
struct Tally {
    accepted: Mutex<Vec<(u64, AccountEvent)>>,
    conflicts: AtomicUsize,
    refused_by_rules: AtomicUsize,
    next_person: AtomicUsize,
    tokens: Mutex<Vec<(String, usize)>>,
}

/// One writer's loop: load, pick an edit that is valid on what it read, decide, commit once.
async fn writer(store: SqlStore, setup: Arc<Setup>, tally: Arc<Tally>, seed: u64) {
    let mut rng = seed;
    let mut next = || {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        rng
    };
    for i in 0..EDITS {
        let state: Account = store.account(setup.account).await.unwrap().unwrap();
        let owner = state.owner();
        let others: Vec<UserId> =
            state.members().iter().map(|m| m.user()).filter(|u| *u != owner && !setup.owners.contains(u)).collect();
        let now = t0() + chrono::Duration::seconds(i as i64);
        let (actor, command) = match next() % 10 {
            // Hand ownership to the other candidate.
            0 | 1 => {
                let to = if owner == setup.owners[0] { setup.owners[1] } else { setup.owners[0] };
                (owner, AccountCommand::TransferOwnership { to })
            }
            // Remove a member while there are enough.
            2 if others.len() > 3 => {
                (owner, AccountCommand::RemoveMember { user: others[next() as usize % others.len()] })
            }
            // Invite someone new, or have an invitee accept.
            2 | 3 => {
                let pending = tally.tokens.lock().unwrap().pop();
                match pending {
                    Some((token, person)) => {
                        let command = AccountCommand::AcceptInvite {
                            token: TokenDigest::new(token),
                            email: address(person as u128),
                            email_verified: true,
                        };
                        (setup.people[person], command)
                    }
                    None => {
                        let person = 10 + tally.next_person.fetch_add(1, Ordering::SeqCst) % 50;
                        let token = format!("race-{seed}-{i}");
                        tally.tokens.lock().unwrap().push((token.clone(), person));
                        let command = AccountCommand::Invite(InviteMember {
                            id: InviteId::from_uuid(uuid::Uuid::from_u128(((seed as u128) << 32) | i as u128)),
                            offer: InviteOffer {
                                email: address(person as u128),
                                name: None,
                                permissions: Role::ReadOnly.permissions(),
                                role: None,
                                access_ends_at: None,
                            },
                            token: TokenDigest::new(token),
                            existing_user: Some(setup.people[person]),
                        });
                        (owner, command)
                    }
                }
            }
            // Edit a member's permissions.
            _ => {
                let target = others[next() as usize % others.len()];
                let mut p = PermissionSet::of(&[Permission::BillingView]);
                for perm in Permission::ALL.iter().skip(1) {
                    if next() % 3 == 0 {
                        p = p.with(*perm);
                    }
                }
                (
                    owner,
                    AccountCommand::EditMember(EditMember {
                        user: target,
                        permissions: Some(p),
                        role: None,
                        ends_at: None,
                    }),
                )
            }
        };
        let events = match state.decide(&Actor::User(actor), command, now) {
            Ok(events) if events.is_empty() => continue,
            Ok(events) => events,
            Err(e) => {
                // Only rules about invites may refuse here (a stale token, someone already a member).
                assert!(
                    matches!(
                        e,
                        DomainError::InviteNotFound
                            | DomainError::InviteNotPending(_)
                            | DomainError::AlreadyMember
                            | DomainError::InviteAlreadyPending
                    ),
                    "{e:?}"
                );
                tally.refused_by_rules.fetch_add(1, Ordering::SeqCst);
                continue;
            }
        };
        let mut after = state.clone();
        for e in &events {
            after.apply(e);
        }
        let base = state.version();
        let saved = Saved { state: after, expected_version: base, events: events.clone() };
        match store.commit(Changes { accounts: vec![saved], ..Changes::default() }).await {
            Ok(()) => {
                let mut accepted = tally.accepted.lock().unwrap();
                accepted.extend(events.into_iter().enumerate().map(|(k, e)| (base + k as u64 + 1, e)));
            }
            Err(CommitError::Conflict) => {
                tally.conflicts.fetch_add(1, Ordering::SeqCst);
            }
            Err(other) => panic!("a commit failed with {other:?} instead of Conflict"),
        }
    }
}

async fn race(url: &str) {
    let setup = Arc::new(setup(SqlStore::connect(url).await.unwrap()).await);
    let before = SqlStore::connect(url).await.unwrap().account(setup.account).await.unwrap().unwrap().version();
    let tally = Arc::new(Tally::default());
    let a = tokio::spawn(writer(SqlStore::connect(url).await.unwrap(), setup.clone(), tally.clone(), 0x9E37_79B9));
    let b = tokio::spawn(writer(SqlStore::connect(url).await.unwrap(), setup.clone(), tally.clone(), 0x7F4A_7C15));
    a.await.unwrap();
    b.await.unwrap();

    let store = SqlStore::connect(url).await.unwrap();
    let state = store.account(setup.account).await.unwrap().unwrap();
    assert_eq!(state.check_invariants(), Ok(()));
    let raw = support::raw(url).await;
    let owners = raw
        .query_all_raw(Statement::from_string(
            raw.get_database_backend(),
            "SELECT user_id FROM memberships WHERE is_owner = TRUE",
        ))
        .await
        .unwrap();
    // One owner per account: every person also owns their own account, so count them all.
    assert_eq!(owners.len(), PEOPLE as usize, "owner rows");

    let mut accepted = tally.accepted.lock().unwrap().clone();
    accepted.sort_by_key(|(seq, _)| *seq);
    let history = store.account_history(setup.account).await.unwrap();
    assert_eq!(history.len() as u64, before + accepted.len() as u64, "events lost or invented");
    for (seq, event) in &accepted {
        assert_eq!(&history[(*seq - 1) as usize], event, "accepted change #{seq} is not in the events");
    }
    assert_eq!(Account::replay(&history).as_ref(), Some(&state), "the state is not what the events say");
    let conflicts = tally.conflicts.load(Ordering::SeqCst);
    let commits = accepted.iter().map(|(s, _)| s).collect::<std::collections::BTreeSet<_>>().len();
    eprintln!(
        "race: {} accepted events, {conflicts} conflicts, {} refused by rules",
        accepted.len(),
        tally.refused_by_rules.load(Ordering::SeqCst)
    );
    assert!(conflicts > 0, "the writers never raced");
    assert!(commits > 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_racing_writers_lose_nothing() {
    let (_, url) = support::sqlite().await;
    race(&url).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_racing_writers_lose_nothing() {
    let Some(base) = support::postgres_url() else { return };
    let (_, url) = support::postgres(&base).await;
    race(&url).await;
}

/// One reset link, confirmed at once over two connections, sets one password: the other
/// answers as any used link does, and the winner's password is the one that signs in.
/// ASVS 5.0 V6.4.1.
async fn a_link_is_used_once(url: &str) {
    use portal_domain::service::{AuthError, ServiceError};
    let first = support::portal(SqlStore::connect(url).await.unwrap(), 0);
    let second = support::portal(SqlStore::connect(url).await.unwrap(), 1);
    support::signup(&first, "ann@acme.example", "Acme").await;
    let client = portal_testkit::memory::client_at("c");
    first.request_password_reset(&client, &EmailAddress::parse("ann@acme.example").unwrap()).await.unwrap();
    let link = support::deliver(&first)
        .await
        .into_iter()
        .find_map(|m| match m.message {
            portal_domain::ports::Message::PasswordReset { token, .. } => Some(token),
            _ => None,
        })
        .unwrap();
    let (a, b) = tokio::join!(
        first.reset_password(&client, &link, "the first new passphrase"),
        second.reset_password(&client, &link, "the second new passphrase"),
    );
    let wins: Vec<&str> = [(&a, "the first new passphrase"), (&b, "the second new passphrase")]
        .into_iter()
        .filter_map(|(r, p)| r.is_ok().then_some(p))
        .collect();
    assert_eq!(wins.len(), 1, "{a:?} {b:?}");
    for lost in [&a, &b].into_iter().filter(|r| r.is_err()) {
        assert!(matches!(lost, Err(AuthError::Service(ServiceError::InvalidToken))), "{lost:?}");
    }
    first.sign_in(&client, "ann@acme.example", wins[0]).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_a_link_is_used_once() {
    let (_, url) = support::sqlite().await;
    a_link_is_used_once(&url).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_a_link_is_used_once() {
    let Some(base) = support::postgres_url() else { return };
    let (_, url) = support::postgres(&base).await;
    a_link_is_used_once(&url).await;
}

/// One TOTP step, recorded at once over two connections many times: exactly one recording wins,
/// so a code racing itself is accepted once (the step is what the second factor checks).
/// ASVS 5.0 V6.5.1.
async fn a_totp_step_is_accepted_once(url: &str) {
    use portal_domain::ports::SessionStore as _;
    let first = support::portal(SqlStore::connect(url).await.unwrap(), 0);
    let second = SqlStore::connect(url).await.unwrap();
    let (user, _) = support::signup(&first, "ann@acme.example", "Acme").await;
    for step in 1..=20_u64 {
        let (a, b) =
            tokio::join!(first.store().advance_totp_step(user.id(), step), second.advance_totp_step(user.id(), step));
        let wins = [a.unwrap(), b.unwrap()].into_iter().filter(|w| *w).count();
        assert_eq!(wins, 1, "step {step}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_a_totp_step_is_accepted_once() {
    let (_, url) = support::sqlite().await;
    a_totp_step_is_accepted_once(&url).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_a_totp_step_is_accepted_once() {
    let Some(base) = support::postgres_url() else { return };
    let (_, url) = support::postgres(&base).await;
    a_totp_step_is_accepted_once(&url).await;
}
