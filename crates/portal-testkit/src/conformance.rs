//! The store conformance suite: every sentence of the [`Store`] contract, as a check any
//! storage adapter's test runs against its own store.
//!
//! ```ignore
//! assert_eq!(portal_testkit::conformance::check_store(async || MyStore::fresh().await).await, Ok(()));
//! ```

use chrono::{DateTime, Duration, TimeZone, Utc};

use portal_domain::account::{
    Account, AccountCommand, AccountEvent, EditMember, InviteMember, InviteOffer, NewContact, Profile, Target,
    open_account,
};
use portal_domain::actor::Actor;
use portal_domain::ids::{AccountId, ContactId, InviteId, NoticeId, UserId};
use portal_domain::permission::{Permission, PermissionSet, Role};
use portal_domain::ports::{Changes, CommitError, Message, OutgoingEmail, PageRequest, Saved, Store};
use portal_domain::user::{Registration, User, register_user};
use portal_domain::values::{CompanyName, EmailAddress, PasswordHash, PersonName, TokenDigest};

/// A check failed: which one, and what it saw.
pub type Failure = String;

macro_rules! ensure {
    ($cond:expr, $($msg:tt)+) => {
        if !$cond {
            return Err(format!($($msg)+));
        }
    };
}

mod housekeeping;
mod reads;
mod sessions;
mod writes;
pub use housekeeping::{
    purge_forgets_only_spent_invite_links, purge_leaves_live_rows_alone, rate_limit_windows_read_without_writing,
};
pub use reads::*;
pub use sessions::*;
pub use writes::*;

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 1, 1, 9, 0, 0).single().unwrap_or(DateTime::<Utc>::MIN_UTC)
}

fn uid(n: u128) -> UserId {
    UserId::from_uuid(uuid::Uuid::from_u128(0x0190_0000_0000_7000_8000_0000_0000_0000 | n))
}

fn aid(n: u128) -> AccountId {
    AccountId::from_uuid(uuid::Uuid::from_u128(0x0190_0000_0000_7000_9000_0000_0000_0000 | n))
}

fn email(s: &str) -> Result<EmailAddress, Failure> {
    EmailAddress::parse(s).map_err(|e| format!("fixture email {s}: {e}"))
}

fn new_user(n: u128, address: &str) -> Result<Saved<User, portal_domain::user::UserEvent>, Failure> {
    let event = register_user(
        Registration {
            id: uid(n),
            email: email(address)?,
            name: PersonName::parse("Fixture User").map_err(|e| e.to_string())?,
            password: PasswordHash::new("fixture-hash"),
            email_verified: true,
        },
        t0(),
    );
    let state = User::from_registered(&event).ok_or("registration")?;
    Ok(Saved { state, expected_version: 0, events: vec![event] })
}

fn new_account(n: u128, owner: UserId) -> Result<Saved<Account, AccountEvent>, Failure> {
    let profile = Profile {
        display_name: CompanyName::parse(&format!("Account {n}")).map_err(|e| e.to_string())?,
        company: None,
        primary_email: email("owner@example.com")?,
        phone: None,
        address: None,
        tax_id: None,
    };
    let event = open_account(aid(n), owner, profile, t0());
    let state = Account::from_opened(&event).ok_or("opening")?;
    Ok(Saved { state, expected_version: 0, events: vec![event] })
}

/// Decides `command` on `account` as `actor` and returns the save for it.
fn decided(
    account: &Account,
    actor: UserId,
    command: AccountCommand,
    at: DateTime<Utc>,
) -> Result<Saved<Account, AccountEvent>, Failure> {
    let events =
        account.decide(&Actor::User(actor), command, at).map_err(|e| format!("fixture command refused: {e}"))?;
    let mut state = account.clone();
    for e in &events {
        state.apply(e);
    }
    Ok(Saved { state, expected_version: account.version(), events })
}

fn invite(id: u128, to: &str, token: &str, existing_user: Option<UserId>) -> Result<AccountCommand, Failure> {
    Ok(AccountCommand::Invite(InviteMember {
        id: InviteId::from_uuid(uuid::Uuid::from_u128(id)),
        offer: InviteOffer {
            email: email(to)?,
            name: None,
            permissions: Role::Billing.permissions(),
            role: None,
            access_ends_at: None,
        },
        token: TokenDigest::new(token),
        existing_user,
    }))
}

/// Session `n` of `user` under `token`, begun at `at`, living 30 minutes idle and 12 hours in all.
fn session(n: u128, token: &TokenDigest, user: UserId, at: DateTime<Utc>) -> portal_domain::ports::SessionStart {
    portal_domain::ports::SessionStart {
        id: portal_domain::ids::SessionId::from_uuid(uuid::Uuid::from_u128(n)),
        token: token.clone(),
        user,
        times: portal_domain::session::SessionTimes::start(at, Duration::minutes(30), Duration::hours(12)),
        client: portal_domain::values::ClientInfo::new("192.0.2.1", Some("conformance")),
    }
}

fn err<E: std::fmt::Display>(context: &str) -> impl FnOnce(E) -> Failure + '_ {
    move |e| format!("{context}: {e}")
}

/// Runs every check, each on a fresh store from `fresh`. `Ok` when the store keeps the contract.
pub async fn check_store<S: Store>(fresh: impl AsyncFn() -> S) -> Result<(), Failure> {
    committed_state_reads_back(&fresh().await).await.map_err(|e| format!("committed_state_reads_back: {e}"))?;
    stale_version_conflicts_and_writes_nothing(&fresh().await)
        .await
        .map_err(|e| format!("stale_version_conflicts_and_writes_nothing: {e}"))?;
    creating_an_existing_aggregate_conflicts(&fresh().await)
        .await
        .map_err(|e| format!("creating_an_existing_aggregate_conflicts: {e}"))?;
    taken_email_is_refused_case_insensitively(&fresh().await)
        .await
        .map_err(|e| format!("taken_email_is_refused_case_insensitively: {e}"))?;
    resent_invite_token_replaces_the_old_one(&fresh().await)
        .await
        .map_err(|e| format!("resent_invite_token_replaces_the_old_one: {e}"))?;
    accounts_of_a_user_page_in_order(&fresh().await)
        .await
        .map_err(|e| format!("accounts_of_a_user_page_in_order: {e}"))?;
    events_page_newest_first(&fresh().await).await.map_err(|e| format!("events_page_newest_first: {e}"))?;
    activity_does_not_change_versions(&fresh().await)
        .await
        .map_err(|e| format!("activity_does_not_change_versions: {e}"))?;
    lists_page_by_key(&fresh().await).await.map_err(|e| format!("lists_page_by_key: {e}"))?;
    Ok(())
}
