//! Migrations, the schema they build, and the database-level guards.

use portal_domain::ids::UserId;
use portal_domain::ports::Store as _;
use portal_store::SqlStore;
use sea_orm::ConnectionTrait;

use crate::support::{self, TestPortal};

async fn signed_up(store: SqlStore) -> (TestPortal, UserId) {
    let portal = support::portal(store, 0);
    let (user, _) = support::signup(&portal, "ann@acme.example", "Acme").await;
    (portal, user.id())
}

#[tokio::test]
async fn re_running_migrations_is_a_no_op() {
    let (store, _) = support::sqlite().await;
    let before = store.schema().await.unwrap();
    store.migrate().await.unwrap();
    store.migrate().await.unwrap();
    assert_eq!(store.pending_migrations().await.unwrap(), 0);
    assert_eq!(store.schema().await.unwrap(), before);
}

#[tokio::test]
async fn the_sqlite_schema_is_as_reviewed() {
    let (store, _) = support::sqlite().await;
    insta::assert_snapshot!("sqlite_schema", store.schema().await.unwrap().join("\n"));
}

#[tokio::test]
async fn the_postgres_schema_is_as_reviewed() {
    let Some(base) = support::postgres_url() else { return };
    let (store, _) = support::postgres(&base).await;
    insta::assert_snapshot!("postgres_schema", store.schema().await.unwrap().join("\n"));
}

async fn audit_rows_cannot_change(store: SqlStore, url: &str) {
    let (_portal, _) = signed_up(store).await;
    let raw = support::raw(url).await;
    let update = raw.execute_unprepared("UPDATE account_events SET kind = 'forged'").await;
    assert!(update.is_err(), "an audit event was rewritten");
    let delete = raw.execute_unprepared("DELETE FROM account_events").await;
    assert!(delete.is_err(), "an audit event was deleted");
    let delete = raw.execute_unprepared("DELETE FROM user_events").await;
    assert!(delete.is_err(), "a user event was deleted");
}

#[tokio::test]
async fn sqlite_audit_events_are_append_only() {
    let (store, url) = support::sqlite().await;
    audit_rows_cannot_change(store, &url).await;
}

#[tokio::test]
async fn postgres_audit_events_are_append_only() {
    let Some(base) = support::postgres_url() else { return };
    let (store, url) = support::postgres(&base).await;
    audit_rows_cannot_change(store, &url).await;
}

#[tokio::test]
async fn a_corrupt_row_is_an_error_naming_its_table_and_id() {
    let (store, url) = support::sqlite().await;
    let (portal, ann) = signed_up(store).await;
    let raw = support::raw(&url).await;
    raw.execute_unprepared("UPDATE users SET email = 'not an email'").await.unwrap();
    let err = portal.store().user(ann).await.unwrap_err().to_string();
    assert!(err.contains("users") && err.contains(&ann.to_string()) && err.contains("email"), "{err}");
    raw.execute_unprepared("UPDATE memberships SET permissions = 99999999").await.unwrap();
    let accounts =
        portal.store().accounts_of(ann, portal_domain::ports::PageRequest { after: None, limit: 5 }).await.unwrap();
    let err = portal.store().account(accounts.items[0]).await.unwrap_err().to_string();
    assert!(err.contains("memberships") && err.contains("permissions"), "{err}");
}

#[tokio::test]
async fn a_url_of_another_kind_is_refused_with_a_clear_error() {
    let err = SqlStore::connect("mysql://localhost/portal").await.unwrap_err().to_string();
    assert!(err.contains("sqlite: or postgres://"), "{err}");
}

/// A user and the account they own, committed as one change (what sign-up writes, minus the
/// session a first schema has no table for).
async fn early_signup(store: &SqlStore) -> (portal_domain::User, portal_domain::Account) {
    use portal_domain::account::{Account, Profile, open_account};
    use portal_domain::ids::AccountId;
    use portal_domain::ports::{Changes, Saved};
    use portal_domain::user::{Registration, User, register_user};
    use portal_domain::values::{CompanyName, EmailAddress, PasswordHash, PersonName};
    let at = chrono::DateTime::parse_from_rfc3339("2026-01-05T09:00:00Z").unwrap().to_utc();
    let email = EmailAddress::parse("early@acme.example").unwrap();
    let user_id = UserId::from_uuid(uuid::Uuid::from_u128(0x0190_0000_0000_7000_8000_0000_0000_0e01));
    let registration = Registration {
        id: user_id,
        email: email.clone(),
        name: PersonName::parse("Someone").unwrap(),
        password: PasswordHash::new("not a real hash"),
        email_verified: false,
    };
    let registered = register_user(registration, at);
    let user = User::from_registered(&registered).unwrap();
    let profile = Profile {
        display_name: CompanyName::parse("Early Co").unwrap(),
        company: None,
        primary_email: email,
        phone: None,
        address: None,
        tax_id: None,
    };
    let opened = open_account(
        AccountId::from_uuid(uuid::Uuid::from_u128(0x0190_0000_0000_7000_8000_0000_0000_0e02)),
        user_id,
        profile,
        at,
    );
    let account = Account::from_opened(&opened).unwrap();
    store
        .commit(Changes {
            accounts: vec![Saved { state: account.clone(), expected_version: 0, events: vec![opened] }],
            users: vec![Saved { state: user.clone(), expected_version: 0, events: vec![registered] }],
            ..Changes::default()
        })
        .await
        .unwrap();
    (user, account)
}

/// A database made by the first migration only, with data in it, upgrades in place.
async fn older_database_upgrades(url: &str) {
    let old = SqlStore::connect(url).await.unwrap();
    old.migrate_steps(1).await.unwrap();
    assert!(old.pending_migrations().await.unwrap() > 0, "the old database is behind");
    let raw = support::raw(url).await;
    assert!(raw.execute_unprepared("SELECT 1 FROM outbox").await.is_err(), "the first migration made the outbox");
    drop(raw);
    // The old schema holds users, accounts and events (no sessions yet); write some through
    // the store as a sign-up of that time did.
    let (user, account) = early_signup(&old).await;

    let upgraded = SqlStore::connect(url).await.unwrap();
    upgraded.migrate().await.unwrap();
    assert_eq!(upgraded.pending_migrations().await.unwrap(), 0);
    assert_eq!(upgraded.user(user.id()).await.unwrap(), Some(user));
    assert_eq!(upgraded.account(account.id()).await.unwrap(), Some(account));
    assert_eq!(upgraded.outbox_depth().await.unwrap(), 0);
    let fresh = support::sqlite().await.0.schema().await.unwrap();
    if upgraded.backend() == portal_store::Backend::Sqlite {
        assert_eq!(upgraded.schema().await.unwrap(), fresh, "an upgraded schema differs from a fresh one");
    }
}

#[tokio::test]
async fn sqlite_older_database_upgrades_in_place() {
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("portal-store-tests");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(format!("upgrade-{}.db", std::process::id()));
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
    }
    let url = format!("sqlite://{}?mode=rwc", path.display());
    older_database_upgrades(&url).await;
}

#[tokio::test]
async fn postgres_older_database_upgrades_in_place() {
    let Some(base) = support::postgres_url() else { return };
    let (_, url) = support::postgres_unmigrated(&base).await;
    older_database_upgrades(&url).await;
}

/// A state the core would never decide (a second pending invite for one address, made by applying
/// an event directly) is stopped by the database's constraint, and the store answers `Conflict`
/// (the use case decides again), never a store failure; nothing is written.
async fn constraint_violations_are_conflicts(store: SqlStore) {
    use portal_domain::account::{AccountChange, AccountEvent};
    use portal_domain::ids::InviteId;
    use portal_domain::ports::{Changes, CommitError, Saved};
    use portal_domain::values::{EmailAddress, TokenDigest};
    let (portal, ann) = signed_up(store).await;
    let account_id = portal
        .store()
        .accounts_of(ann, portal_domain::ports::PageRequest { after: None, limit: 1 })
        .await
        .unwrap()
        .items[0];
    let state = portal.store().account(account_id).await.unwrap().unwrap();
    let forged = |n: u128| AccountEvent {
        account: account_id,
        actor: portal_domain::Actor::User(ann),
        at: state.created_at(),
        change: AccountChange::MemberInvited {
            invite: InviteId::from_uuid(uuid::Uuid::from_u128(n)),
            email: EmailAddress::parse("twice@acme.example").unwrap(),
            name: None,
            permissions: portal_domain::permission::PermissionSet::EMPTY,
            role: None,
            access_ends_at: None,
            expires_at: state.created_at() + chrono::Duration::days(7),
            token: TokenDigest::new(format!("forged-{n}")),
        },
    };
    let events = vec![forged(1), forged(2)];
    let mut next = state.clone();
    for e in &events {
        next.apply(e);
    }
    assert!(next.check_invariants().is_err(), "the forged state should break an invariant");
    let outcome = portal
        .store()
        .commit(Changes {
            accounts: vec![Saved { state: next, expected_version: state.version(), events }],
            ..Changes::default()
        })
        .await;
    assert!(matches!(outcome, Err(CommitError::Conflict)), "{outcome:?}");
    assert_eq!(portal.store().account(account_id).await.unwrap(), Some(state), "a refused commit wrote something");
}

#[tokio::test]
async fn sqlite_constraint_violations_are_conflicts() {
    constraint_violations_are_conflicts(support::sqlite().await.0).await;
}

#[tokio::test]
async fn postgres_constraint_violations_are_conflicts() {
    let Some(base) = support::postgres_url() else { return };
    constraint_violations_are_conflicts(support::postgres(&base).await.0).await;
}
