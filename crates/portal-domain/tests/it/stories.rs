//! The seed stories, end to end through the use cases on the in-memory store; their audit
//! trails are `insta` snapshots, so any change to what gets recorded is a visible diff.

use std::collections::HashMap;

use chrono::Duration;
use portal_domain::account::{EditMember, View};
use portal_domain::ids::{AccountId, UserId};
use portal_domain::notification::{CategorySet, NotificationCategory as Cat};
use portal_domain::permission::{Permission, PermissionSet, Role};
use portal_domain::ports::{Message, PageRequest, Store};
use portal_domain::routing::Reason;
use portal_domain::service::{ContactRequest, InviteOffer, Signup};
use portal_domain::values::{CompanyName, PersonName, RoleLabel};
use portal_domain::{Actor, DomainError, User};
use portal_testkit::memory::{MemoryPortal, block_on, client_at, memory_portal, verified_signup};

use crate::fixtures::{email, t0};

pub const PASSWORD: &str = "correct horse battery staple";

/// Signs up and follows the verification link from the mail, as a new customer does.
pub fn signup(portal: &MemoryPortal, address: &str, name: &str, account: &str) -> (User, AccountId) {
    let signup = Signup {
        email: email(address),
        name: PersonName::parse(name).unwrap(),
        password: PASSWORD.into(),
        account_name: CompanyName::parse(account).unwrap(),
        company: None,
    };
    let (user, account) = block_on(verified_signup(portal, &client_at(&format!("client of {address}")), signup));
    (user, account.id())
}

/// The token of the newest invite email sent to `address`.
pub fn invite_token(portal: &MemoryPortal, address: &str) -> String {
    portal
        .store()
        .outbox()
        .into_iter()
        .rev()
        .find_map(|m| match m.message {
            Message::Invite { token, .. } if m.to == email(address) => Some(token),
            _ => None,
        })
        .unwrap()
}

pub fn invite(
    portal: &MemoryPortal,
    by: UserId,
    account: AccountId,
    address: &str,
    permissions: PermissionSet,
    role: Option<&str>,
) -> portal_domain::account::Invite {
    block_on(portal.invite(
        &Actor::User(by),
        account,
        InviteOffer {
            email: email(address),
            name: None,
            permissions,
            role: role.map(|r| RoleLabel::parse(r).unwrap()),
            access_ends_at: None,
        },
    ))
    .unwrap()
}

/// The account's audit trail, oldest first, with ids replaced by names.
fn trail(portal: &MemoryPortal, account: AccountId, names: &[(&str, String)]) -> String {
    let page = block_on(portal.store().account_events(account, PageRequest { after: None, limit: 500 })).unwrap();
    let mut out = String::new();
    for stored in page.items.iter().rev() {
        let e = &stored.event;
        let line = format!(
            "#{} +{}m {} {} {:?}\n",
            stored.seq,
            (e.at - t0()).num_minutes(),
            e.actor,
            e.change.kind(),
            e.change
        );
        out.push_str(&line);
    }
    for (name, id) in names {
        out = out.replace(id.as_str(), name);
    }
    out
}

fn names(pairs: &[(&'static str, String)]) -> Vec<(&'static str, String)> {
    pairs.to_vec()
}

#[test]
fn seed_002_invite_a_teammate_with_billing_permissions() {
    let (portal, clock) = memory_portal(t0());
    let (ann, acme) = signup(&portal, "ann@acme.example", "Ann Owner", "Acme Ltd");
    let invite = invite(&portal, ann.id(), acme, "bob@acme.example", Role::Billing.permissions(), Some("billing"));
    clock.advance(Duration::minutes(30));
    let token = invite_token(&portal, "bob@acme.example");
    let preview = block_on(portal.preview_invite(&token)).unwrap();
    assert_eq!(preview.account_name.as_str(), "Acme Ltd");
    assert_eq!(preview.inviter.as_ref().map(|n| n.as_str()), Some("Ann Owner"));
    assert!(!preview.user_exists);
    let bob = block_on(portal.accept_invite_as_new_user(
        &client_at("invitee"),
        &token,
        PersonName::parse("Bob Billing").unwrap(),
        PASSWORD,
    ))
    .unwrap()
    .login
    .user;
    assert!(bob.email_verified());

    let bob_actor = Actor::User(bob.id());
    // Bob can see billing notices' recipients? No: he lacks notices.view? Billing includes it.
    assert!(block_on(portal.notice_recipients(&bob_actor, acme, Cat::Billing)).is_ok());
    // He cannot invite anyone, nor touch the master profile.
    let err = block_on(portal.invite(
        &bob_actor,
        acme,
        InviteOffer {
            email: email("eve@x.example"),
            name: None,
            permissions: PermissionSet::EMPTY,
            role: None,
            access_ends_at: None,
        },
    ))
    .unwrap_err();
    assert!(matches!(
        err,
        portal_domain::service::ServiceError::Domain(DomainError::MissingPermission(Permission::UsersManage))
    ));
    let err = block_on(portal.account(&bob_actor, acme, View::Profile)).unwrap_err();
    assert!(matches!(
        err,
        portal_domain::service::ServiceError::Domain(DomainError::MissingPermission(Permission::AccountProfileManage))
    ));

    clock.advance(Duration::days(1));
    let edit = EditMember {
        user: bob.id(),
        permissions: Some(Role::Billing.permissions().without(Permission::BillingPay)),
        role: None,
        ends_at: None,
    };
    block_on(portal.edit_member(&Actor::User(ann.id()), acme, edit, None)).unwrap();
    clock.advance(Duration::days(1));
    block_on(portal.remove_member(&Actor::User(ann.id()), acme, bob.id())).unwrap();
    // Rule 7: Bob can do nothing there from his next request.
    let err = block_on(portal.account(&bob_actor, acme, View::Summary)).unwrap_err();
    assert!(matches!(err, portal_domain::service::ServiceError::Domain(DomainError::AccountNotFound)));

    let n = names(&[
        ("ann", ann.id().to_string()),
        ("bob", bob.id().to_string()),
        ("acme", acme.to_string()),
        ("invite-1", invite.id().to_string()),
    ]);
    insta::assert_snapshot!(trail(&portal, acme, &n));
}

#[test]
fn seed_003_004_one_user_in_two_separate_accounts() {
    let (portal, _clock) = memory_portal(t0());
    let (ann, acme) = signup(&portal, "ann@acme.example", "Ann Owner", "Acme Ltd");
    let (carl, globex) = signup(&portal, "carl@globex.example", "Carl Owner", "Globex");
    let (dana, _dana_studio) = signup(&portal, "dana@studio.example", "Dana Designer", "Dana Studio");
    invite(&portal, ann.id(), acme, "dana@studio.example", Role::Technical.permissions(), Some("web designer"));
    let token = invite_token(&portal, "dana@studio.example");
    block_on(portal.accept_invite(dana.id(), &token)).unwrap();
    invite(&portal, carl.id(), globex, "DANA@studio.example", Role::ReadOnly.permissions(), None);
    let token = invite_token(&portal, "DANA@studio.example");
    block_on(portal.accept_invite(dana.id(), &token)).unwrap();

    let (login, _) = block_on(portal.sign_in(&client_at("client"), "dana@studio.example", PASSWORD))
        .unwrap()
        .into_session()
        .unwrap();
    let picker: Vec<(String, bool, PermissionSet)> =
        login.accounts.iter().map(|a| (a.display_name.to_string(), a.is_owner, a.permissions)).collect();
    assert_eq!(picker.len(), 3);
    assert!(picker.contains(&("Acme Ltd".into(), false, Role::Technical.permissions())));
    assert!(picker.contains(&("Globex".into(), false, Role::ReadOnly.permissions())));
    assert!(picker.contains(&("Dana Studio".into(), true, PermissionSet::ALL)));
    // The accounts are not connected: Dana's access in one says nothing about the other.
    let now = portal.now();
    let acme_state = block_on(portal.store().account(acme)).unwrap().unwrap();
    let globex_state = block_on(portal.store().account(globex)).unwrap().unwrap();
    assert!(acme_state.permits(dana.id(), Permission::ServicesManage, now));
    assert!(!globex_state.permits(dana.id(), Permission::ServicesManage, now));
    assert!(acme_state.member(carl.id()).is_none());

    let n = names(&[
        ("ann", ann.id().to_string()),
        ("carl", carl.id().to_string()),
        ("dana", dana.id().to_string()),
        ("acme", acme.to_string()),
        ("globex", globex.to_string()),
    ]);
    insta::assert_snapshot!("seed_003_004_acme_trail", trail(&portal, acme, &n));
    insta::assert_snapshot!("seed_003_004_globex_trail", trail(&portal, globex, &n));
}

#[test]
fn seed_000_003_004_a_finance_inbox_contact_receives_billing_notices() {
    let (portal, _clock) = memory_portal(t0());
    let (ann, acme) = signup(&portal, "ann@acme.example", "Ann Owner", "Acme Ltd");
    let owner = Actor::User(ann.id());
    let finance = block_on(portal.add_contact(
        &owner,
        acme,
        ContactRequest {
            name: PersonName::parse("Finance inbox").unwrap(),
            email: email("finance@acme.example"),
            phone: None,
            company: None,
            categories: CategorySet::of(&[Cat::Billing]),
        },
    ))
    .unwrap();
    let preview = block_on(portal.notice_recipients(&owner, acme, Cat::Billing)).unwrap();
    let reasons: HashMap<String, Reason> = preview.iter().map(|r| (r.email.to_string(), r.reason)).collect();
    assert_eq!(reasons.get("finance@acme.example"), Some(&Reason::SubscribedContact));
    assert_eq!(reasons.get("ann@acme.example"), Some(&Reason::HoldsPermission(Permission::BillingView)));

    let (_, recipients) =
        block_on(portal.send_notice(acme, Cat::Billing, CompanyName::parse("Invoice INV-1001").unwrap())).unwrap();
    assert_eq!(recipients, preview);
    let sent: Vec<String> = portal
        .store()
        .outbox()
        .iter()
        .filter(|m| matches!(m.message, Message::Notice { .. }))
        .map(|m| m.to.to_string())
        .collect();
    assert_eq!(sent, vec!["ann@acme.example".to_string(), "finance@acme.example".to_string()]);
    // Product news is not for the finance inbox.
    let news = block_on(portal.notice_recipients(&owner, acme, Cat::ProductNews)).unwrap();
    assert!(news.iter().all(|r| r.email.as_str() != "finance@acme.example"));
    // A contact cannot log in: it is not a user.
    assert!(matches!(
        block_on(portal.sign_in(&client_at("client"), "finance@acme.example", PASSWORD)),
        Err(portal_domain::service::AuthError::InvalidCredentials)
    ));

    let n = names(&[
        ("ann", ann.id().to_string()),
        ("acme", acme.to_string()),
        ("finance-inbox", finance.id().to_string()),
    ]);
    insta::assert_snapshot!(trail(&portal, acme, &n));
}

#[test]
fn seed_000_transfer_of_ownership() {
    let (portal, clock) = memory_portal(t0());
    let (ann, acme) = signup(&portal, "ann@acme.example", "Ann Owner", "Acme Ltd");
    invite(&portal, ann.id(), acme, "olga@acme.example", Role::Admin.permissions(), Some("admin"));
    let olga = block_on(portal.accept_invite_as_new_user(
        &client_at("invitee"),
        &invite_token(&portal, "olga@acme.example"),
        PersonName::parse("Olga Next").unwrap(),
        PASSWORD,
    ))
    .unwrap()
    .login
    .user;
    clock.advance(Duration::days(2));
    // Ownership is a sensitive change: Ann signs in and gives her password again.
    let (_, session) =
        block_on(portal.sign_in(&client_at("client"), "ann@acme.example", PASSWORD)).unwrap().into_session().unwrap();
    let proof = portal_domain::service::Proof { password: Some(PASSWORD), code: None };
    let confirmed = block_on(portal.confirm_sensitive(&client_at("client"), session.id, ann.id(), proof)).unwrap();
    let after = block_on(portal.transfer_ownership(&confirmed, acme, olga.id())).unwrap();
    assert_eq!(after.owner(), olga.id());
    assert_eq!(after.permissions_of(olga.id(), portal.now()), PermissionSet::ALL);
    // The new owner may now remove the old one (rule 4 no longer protects Ann).
    block_on(portal.remove_member(&Actor::User(olga.id()), acme, ann.id())).unwrap();
    let n = names(&[("ann", ann.id().to_string()), ("olga", olga.id().to_string()), ("acme", acme.to_string())]);
    insta::assert_snapshot!(trail(&portal, acme, &n));
}

#[test]
fn seed_003_resend_then_cancel_an_invite() {
    let (portal, clock) = memory_portal(t0());
    let (ann, acme) = signup(&portal, "ann@acme.example", "Ann Owner", "Acme Ltd");
    let sent = invite(&portal, ann.id(), acme, "sam@agency.example", Role::ReadOnly.permissions(), None);
    let first = invite_token(&portal, "sam@agency.example");
    clock.advance(Duration::days(3));
    let resent = block_on(portal.resend_invite(&Actor::User(ann.id()), acme, sent.id())).unwrap();
    assert_eq!(resent.sent_count(), 2);
    assert_eq!(resent.expires_at(), portal.now() + Duration::days(7));
    let second = invite_token(&portal, "sam@agency.example");
    assert_ne!(first, second);
    assert!(matches!(
        block_on(portal.preview_invite(&first)),
        Err(portal_domain::service::ServiceError::Domain(DomainError::InviteNotFound))
    ));
    assert!(block_on(portal.preview_invite(&second)).is_ok());
    clock.advance(Duration::hours(1));
    block_on(portal.cancel_invite(&Actor::User(ann.id()), acme, sent.id())).unwrap();
    let err = block_on(portal.accept_invite_as_new_user(
        &client_at("invitee"),
        &second,
        PersonName::parse("Sam").unwrap(),
        PASSWORD,
    ))
    .unwrap_err();
    assert!(
        matches!(
            err,
            portal_domain::service::AuthError::Service(portal_domain::service::ServiceError::Domain(
                DomainError::InviteNotPending(_)
            ))
        ),
        "{err:?}"
    );
    let n = names(&[("ann", ann.id().to_string()), ("acme", acme.to_string()), ("invite-1", sent.id().to_string())]);
    insta::assert_snapshot!(trail(&portal, acme, &n));
}
