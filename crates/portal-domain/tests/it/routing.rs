//! Notification routing (rule 8), by example and by property.

use chrono::Duration;
use portal_domain::account::{AccountCommand, NewContact};
use portal_domain::ids::ContactId;
use portal_domain::notification::{CategorySet, NotificationCategory as Cat, NotificationPreferences};
use portal_domain::permission::{Permission, PermissionSet, Role};
use portal_domain::routing::{MemberAddress, MemberDirectory, Reason, RecipientKind, route};
use portal_domain::values::PersonName;
use proptest::prelude::*;

use crate::fixtures::*;

fn directory(users: &[(u128, Option<CategorySet>)]) -> MemberDirectory {
    MemberDirectory::new(users.iter().map(|(n, out)| MemberAddress {
        user: user(*n),
        email: email_of(*n),
        preferences: NotificationPreferences::opting_out_of(out.unwrap_or_default()).unwrap(),
        disabled: false,
    }))
}

fn add_contact(a: &mut portal_domain::Account, n: u128, address: &str, categories: &[Cat]) {
    let command = AccountCommand::AddContact(NewContact {
        id: ContactId::from_uuid(uuid::Uuid::from_u128(n)),
        name: PersonName::parse("Finance Inbox").unwrap(),
        email: email(address),
        phone: None,
        company: None,
        categories: CategorySet::of(categories),
    });
    run(a, as_user(OWNER), command, t0()).unwrap();
}

#[test]
fn billing_notices_reach_billing_members_and_the_finance_inbox_with_reasons() {
    let mut a = account();
    join(&mut a, 2, Role::Billing.permissions());
    join(&mut a, 3, Role::Technical.permissions());
    add_contact(&mut a, 50, "finance@acme.example", &[Cat::Billing]);
    let dir = directory(&[(OWNER, None), (2, None), (3, None)]);
    let got = route(&a, &dir, Cat::Billing, t0());
    let summary: Vec<(String, Reason)> = got.iter().map(|r| (r.email.to_string(), r.reason)).collect();
    assert_eq!(
        summary,
        vec![
            ("user1@example.com".into(), Reason::HoldsPermission(Permission::BillingView)),
            ("user2@example.com".into(), Reason::HoldsPermission(Permission::BillingView)),
            ("finance@acme.example".into(), Reason::SubscribedContact),
        ]
    );
}

#[test]
fn an_opted_out_member_gets_no_promotions_but_always_security() {
    let mut a = account();
    join(&mut a, 2, Role::ReadOnly.permissions());
    let out = CategorySet::of(&[Cat::Promotions]);
    let dir = directory(&[(OWNER, None), (2, Some(out))]);
    let promos = route(&a, &dir, Cat::Promotions, t0());
    assert!(promos.iter().all(|r| r.kind != RecipientKind::Member(user(2))));
    let security = route(&a, &dir, Cat::Security, t0());
    assert!(security.iter().any(|r| r.kind == RecipientKind::Member(user(2)) && r.reason == Reason::SecurityNotice));
}

#[test]
fn the_owner_is_the_fallback_when_nobody_else_qualifies() {
    let a = account();
    let everything_off = CategorySet::of(&[Cat::Promotions]);
    let dir = directory(&[(OWNER, Some(everything_off))]);
    let got = route(&a, &dir, Cat::Promotions, t0());
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].reason, Reason::OwnerFallback);
    // With no address for the owner at all, the account's primary email.
    let got = route(&a, &MemberDirectory::default(), Cat::Billing, t0());
    assert_eq!(got[0].reason, Reason::PrimaryEmailFallback);
    assert_eq!(got[0].email.as_str(), "accounts@acme.example");
}

#[test]
fn an_address_that_is_both_member_and_contact_is_written_to_once() {
    let mut a = account();
    add_contact(&mut a, 50, "USER1@example.com", &[Cat::Billing]);
    let got = route(&a, &directory(&[(OWNER, None)]), Cat::Billing, t0());
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].kind, RecipientKind::Member(user(OWNER)));
}

#[test]
fn ended_and_disabled_members_receive_nothing() {
    let mut a = account();
    join(&mut a, 2, Role::Billing.permissions());
    let edit = AccountCommand::EditMember(portal_domain::account::EditMember {
        user: user(2),
        permissions: None,
        role: None,
        ends_at: Some(Some(t0() + Duration::days(1))),
    });
    run(&mut a, as_user(OWNER), edit, t0()).unwrap();
    let dir = directory(&[(OWNER, None), (2, None)]);
    assert!(
        route(&a, &dir, Cat::Billing, t0() + Duration::days(2))
            .iter()
            .all(|r| r.kind != RecipientKind::Member(user(2)))
    );
    let mut disabled = directory(&[(OWNER, None)]);
    disabled = MemberDirectory::new(
        [MemberAddress {
            user: user(2),
            email: email_of(2),
            preferences: NotificationPreferences::default(),
            disabled: true,
        }]
        .into_iter()
        .chain(disabled.get(user(OWNER)).cloned()),
    );
    assert!(route(&a, &disabled, Cat::Billing, t0()).iter().all(|r| r.kind != RecipientKind::Member(user(2))));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// Whatever the members, contacts and preferences: at least one recipient, each address once.
    #[test]
    fn routing_always_yields_unique_recipients(
        members in proptest::collection::vec(portal_domain::strategies::permission_set(), 0..6),
        contacts in proptest::collection::vec((0u8..8, portal_domain::strategies::category_set()), 0..6),
        category in portal_domain::strategies::category(),
        prefs in proptest::collection::vec(portal_domain::strategies::preferences(), 7),
    ) {
        let mut a = account();
        for (i, p) in members.iter().enumerate() {
            join(&mut a, 10 + i as u128, p.difference(PermissionSet::of(&[Permission::AccountProfileManage])));
        }
        for (i, (who, cats)) in contacts.iter().enumerate() {
            // Contacts may share addresses with members (user10..) or each other.
            let address = format!("user{}@example.com", 8 + *who as u128);
            let command = AccountCommand::AddContact(NewContact {
                id: ContactId::from_uuid(uuid::Uuid::from_u128(500 + i as u128)),
                name: PersonName::parse("C").unwrap(),
                email: email(&address),
                phone: None, company: None, categories: *cats,
            });
            let _ = run(&mut a, as_user(OWNER), command, t0());
        }
        let users: Vec<u128> = std::iter::once(OWNER).chain((0..members.len()).map(|i| 10 + i as u128)).collect();
        let dir = MemberDirectory::new(users.iter().zip(prefs).map(|(n, preferences)| MemberAddress {
            user: user(*n), email: email_of(*n), preferences, disabled: false,
        }));
        let got = route(&a, &dir, category, t0());
        prop_assert!(!got.is_empty());
        let mut seen = std::collections::HashSet::new();
        for r in &got {
            prop_assert!(seen.insert(r.email.normalized().to_owned()), "{} twice", r.email);
        }
    }
}
