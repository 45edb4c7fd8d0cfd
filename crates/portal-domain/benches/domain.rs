//! The hot paths of the core at the scale of a large customer: 1,000 members, 1,000 contacts.
//! Run with `cargo xtask bench` (or `cargo bench -p portal-domain --bench domain`).
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use chrono::{DateTime, TimeZone, Utc};
use divan::{Bencher, black_box};
use portal_domain::account::{Account, AccountCommand, InviteMember, InviteOffer, NewContact, Profile, open_account};
use portal_domain::ids::{AccountId, ContactId, InviteId, UserId};
use portal_domain::notification::{CategorySet, NotificationCategory, NotificationPreferences};
use portal_domain::permission::{Permission, Role};
use portal_domain::routing::{MemberAddress, MemberDirectory, route};
use portal_domain::values::{CompanyName, EmailAddress, PersonName, TokenDigest};
use portal_domain::{AccountEvent, Actor};

const MEMBERS: u128 = 1_000;
const CONTACTS: u128 = 1_000;

fn main() {
    divan::main();
}

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap()
}

fn user(n: u128) -> UserId {
    // Random-looking ids, as v7 ids are in their low bits.
    UserId::from_uuid(uuid::Uuid::from_u128(n.wrapping_mul(0x9E37_79B9_7F4A_7C15_F39C_C060_5CED_C835)))
}

fn email(n: u128) -> EmailAddress {
    EmailAddress::parse(&format!("member{n}@example.com")).unwrap()
}

fn apply(account: &mut Account, events: Vec<AccountEvent>) {
    for e in &events {
        account.apply(e);
    }
}

struct Fixture {
    account: Account,
    directory: MemberDirectory,
}

fn fixture() -> Fixture {
    let profile = Profile {
        display_name: CompanyName::parse("Big Customer").unwrap(),
        company: None,
        primary_email: email(0),
        phone: None,
        address: None,
        tax_id: None,
    };
    let owner = user(0);
    let mut account =
        Account::from_opened(&open_account(AccountId::from_uuid(uuid::Uuid::from_u128(1)), owner, profile, t0()))
            .unwrap();
    let roles = [Role::Billing, Role::Technical, Role::ReadOnly, Role::Admin];
    for n in 1..MEMBERS {
        let token = TokenDigest::new(format!("t{n}"));
        let invite = AccountCommand::Invite(InviteMember {
            id: InviteId::from_uuid(uuid::Uuid::from_u128(10_000 + n)),
            offer: InviteOffer {
                email: email(n),
                name: None,
                permissions: roles[(n % 4) as usize].permissions(),
                role: None,
                access_ends_at: None,
            },
            token: token.clone(),
            existing_user: None,
        });
        let events = account.decide(&Actor::User(owner), invite, t0()).unwrap();
        apply(&mut account, events);
        let accept = AccountCommand::AcceptInvite { token, email: email(n), email_verified: true };
        let events = account.decide(&Actor::User(user(n)), accept, t0()).unwrap();
        apply(&mut account, events);
    }
    for n in 0..CONTACTS {
        let categories = if n % 3 == 0 {
            CategorySet::of(&[NotificationCategory::Billing])
        } else {
            CategorySet::of(&[NotificationCategory::ProductNews])
        };
        let add = AccountCommand::AddContact(NewContact {
            id: ContactId::from_uuid(uuid::Uuid::from_u128(50_000 + n)),
            name: PersonName::parse("Contact").unwrap(),
            // Every tenth contact shares an address with a member, to exercise deduplication.
            email: if n % 10 == 0 {
                email(n + 1)
            } else {
                EmailAddress::parse(&format!("contact{n}@example.org")).unwrap()
            },
            phone: None,
            company: None,
            categories,
        });
        let events = account.decide(&Actor::User(owner), add, t0()).unwrap();
        apply(&mut account, events);
    }
    let directory = MemberDirectory::new((0..MEMBERS).map(|n| MemberAddress {
        user: user(n),
        email: email(n),
        preferences: NotificationPreferences::default(),
        disabled: false,
    }));
    Fixture { account, directory }
}

// Large samples: one check is below the timer's 20 ns precision.
#[divan::bench(sample_count = 300, sample_size = 5000)]
fn permission_check(bencher: Bencher) {
    let f = fixture();
    // 1,024 lookups over the 1,000 members, indexed with a mask so the loop adds no division.
    let users: Vec<UserId> = (0..1024u128).map(|n| user(n % MEMBERS)).collect();
    let now = t0();
    let mut i = 0usize;
    bencher.bench_local(|| {
        i = (i + 7) & 1023;
        f.account.permits(black_box(users[i]), black_box(Permission::BillingView), black_box(now))
    });
}

#[divan::bench(args = [NotificationCategory::Billing, NotificationCategory::Security, NotificationCategory::ProductNews])]
fn routing(bencher: Bencher, category: NotificationCategory) {
    let f = fixture();
    let now = t0();
    bencher.bench_local(|| route(black_box(&f.account), black_box(&f.directory), black_box(category), now));
}
