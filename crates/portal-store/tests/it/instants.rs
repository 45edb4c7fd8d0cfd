//! Every instant the domain accepts is stored and read back as itself, on every read path: a
//! membership's end date anywhere in the years 0001-9999 (UTC, whole microseconds), written
//! through the use cases and read by the member list and the account picker.

use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use portal_domain::Actor;
use portal_domain::account::EditMember;
use portal_domain::ids::{AccountId, UserId};
use portal_domain::permission::Role;
use portal_domain::ports::{PageRequest, Store as _};
use portal_domain::service::{InviteOffer, Portal};
use portal_domain::values::{EmailAddress, PersonName, in_range};
use portal_store::SqlStore;
use portal_testkit::memory::{
    InsecureDigester, InsecureHasher, ManualClock, SequentialIds, SequentialTokens, client_at,
};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};

use crate::support;

type ClockPortal = Portal<SqlStore, InsecureHasher>;

/// An owner and a member of one account, on `store`, with a clock the test moves.
async fn team(store: SqlStore, url: &str) -> (ClockPortal, Arc<ManualClock>, AccountId, UserId, UserId) {
    let clock = Arc::new(ManualClock::new(support::t0()));
    let portal = Portal::new(
        store,
        InsecureHasher::default(),
        InsecureDigester,
        SequentialTokens::prefixed("instants"),
        clock.clone(),
        SequentialIds::starting_after(7_000_000),
    );
    let (owner, account) = support::signup(&portal, "owner@instants.example", "Instants").await;
    let invite = InviteOffer {
        email: EmailAddress::parse("member@instants.example").unwrap(),
        name: None,
        permissions: Role::Billing.permissions(),
        role: None,
        access_ends_at: None,
    };
    portal.invite(&Actor::User(owner.id()), account.id(), invite).await.unwrap();
    let sent = crate::differential::outbox_tokens(&support::raw(url).await).await;
    let token = &sent.iter().find(|(to, _)| to == "member@instants.example").unwrap().1;
    let member = portal
        .accept_invite_as_new_user(
            &client_at("member"),
            token,
            PersonName::parse("Member").unwrap(),
            "correct horse battery staple",
        )
        .await
        .unwrap()
        .login
        .user;
    (portal, clock, account.id(), owner.id(), member.id())
}

/// Any instant the domain accepts: the years 0001 to 9999, to the microsecond, edges included.
fn instants() -> impl Strategy<Value = DateTime<Utc>> {
    let first = DateTime::parse_from_rfc3339("0001-01-02T00:00:00Z").unwrap().timestamp_micros();
    let last = DateTime::parse_from_rfc3339("9999-12-31T23:59:59.999999Z").unwrap().timestamp_micros();
    prop_oneof![
        1 => Just(first),
        1 => Just(last),
        8 => first..=last,
    ]
    .prop_map(|us| in_range(DateTime::from_timestamp_micros(us).unwrap()).unwrap())
}

/// Sets the member's end date to each generated instant (deciding an hour before it) and reads
/// it back through `readers`: the same store with and without its in-line reads.
fn end_dates_read_back(runtime: &tokio::runtime::Runtime, store: SqlStore, url: String, cases: u32) {
    let (portal, clock, account, owner, member) = runtime.block_on(team(store.clone(), &url));
    let readers = [store.clone(), store.without_inline_reads()];
    let mut runner = TestRunner::new(Config { cases, failure_persistence: None, ..Config::default() });
    runner
        .run(&instants(), |end| {
            runtime.block_on(async {
                clock.advance((end - Duration::hours(1)) - clock_now(&clock));
                let edit = EditMember { user: member, permissions: None, role: None, ends_at: Some(Some(end)) };
                portal.edit_member(&Actor::User(owner), account, edit, None).await.unwrap();
                for (path, reader) in readers.iter().enumerate() {
                    let page =
                        reader.member_rows_page(account, owner, PageRequest { after: None, limit: 10 }).await.unwrap();
                    let row = page.items.iter().find(|r| r.membership.user() == member).unwrap();
                    prop_assert_eq!(row.membership.ends_at(), Some(end), "member list, read path {}", path);
                    let mine = reader.memberships_of(member, PageRequest { after: None, limit: 10 }).await.unwrap();
                    prop_assert_eq!(mine.items.len(), 1, "account picker, read path {}", path);
                    let account = reader.account(account).await.unwrap().unwrap();
                    prop_assert_eq!(
                        account.member(member).unwrap().ends_at(),
                        Some(end),
                        "account, read path {}",
                        path
                    );
                }
                Ok(())
            })
        })
        .unwrap();
}

fn clock_now(clock: &ManualClock) -> DateTime<Utc> {
    portal_domain::ports::Clock::now(clock)
}

#[test]
fn sqlite_reads_back_every_end_date_the_domain_accepts() {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let (store, url) = runtime.block_on(support::sqlite());
    end_dates_read_back(&runtime, store, url, 64);
}

#[test]
fn postgres_reads_back_every_end_date_the_domain_accepts() {
    let Some(base) = support::postgres_url() else { return };
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let (store, url) = runtime.block_on(support::postgres(&base));
    end_dates_read_back(&runtime, store, url, 64);
}

/// A membership row that does not read is left out of sign-in and the account picker instead
/// of failing them; a year past 9999, as an earlier version could write it, reads on both paths.
#[tokio::test]
async fn one_unreadable_membership_does_not_lock_its_user_out() {
    use sea_orm::ConnectionTrait;
    let (store, url) = support::sqlite().await;
    let (portal, _clock, acme, _owner, member) = team(store.clone(), &url).await;
    // The member's own second account, which stays readable.
    let own = portal
        .create_account(member, portal_domain::values::CompanyName::parse("Member Co").unwrap(), None)
        .await
        .unwrap();
    let raw = support::raw(&url).await;
    // The member's place in Acme is the one membership nobody owns.
    let set_end = async |text: &str| {
        let sql = format!("UPDATE memberships SET ends_at = '{text}' WHERE NOT is_owner");
        assert_eq!(raw.execute_unprepared(&sql).await.unwrap().rows_affected(), 1);
    };
    set_end("+10000-01-01T00:00:00+00:00").await;
    for (path, reader) in [store.clone(), store.without_inline_reads()].iter().enumerate() {
        let mine = reader.memberships_of(member, PageRequest { after: None, limit: 10 }).await.unwrap();
        assert_eq!(mine.items.len(), 2, "read path {path}");
        let acme = reader.account(acme).await.unwrap().unwrap();
        assert_eq!(acme.member(member).unwrap().ends_at().map(|t| chrono::Datelike::year(&t)), Some(10000));
    }
    set_end("not a time").await;
    for (path, reader) in [store.clone(), store.without_inline_reads()].iter().enumerate() {
        let mine = reader.memberships_of(member, PageRequest { after: None, limit: 10 }).await.unwrap();
        let accounts: Vec<AccountId> = mine.items.iter().map(|l| l.account).collect();
        assert_eq!(accounts, [own.id()], "read path {path}");
    }
    let (login, _) = portal
        .sign_in(&client_at("client"), "member@instants.example", "correct horse battery staple")
        .await
        .unwrap()
        .into_session()
        .unwrap();
    assert_eq!(login.accounts.len(), 1);
}
