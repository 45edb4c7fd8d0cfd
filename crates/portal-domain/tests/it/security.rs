//! Account-security rules through the use cases on the in-memory store: lapsed unverified
//! registrations, the reset-mail cap, links bound to the credentials they were made for.

use chrono::Duration;
use portal_domain::account::AccountStatus;
use portal_domain::credentials::{KNOWN_CLIENT_FOR, RESET_MAILS_PER_ADDRESS, UNVERIFIED_HOLD};
use portal_domain::ports::{Message, SecurityNotice, Store};
use portal_domain::service::{AuthError, ServiceError, SignedUp, Signup};
use portal_domain::values::{ClientInfo, CompanyName, PersonName};
use portal_testkit::memory::{MemoryPortal, block_on, client_at, memory_portal};

use crate::fixtures::{email, t0};
use crate::stories::{PASSWORD, signup};

fn attempt(portal: &MemoryPortal, address: &str, password: &str, account: &str) -> SignedUp {
    block_on(portal.signup(
        &client_at(&format!("client of {account}")),
        Signup {
            email: email(address),
            name: PersonName::parse("Someone").unwrap(),
            password: password.into(),
            account_name: CompanyName::parse(account).unwrap(),
            company: None,
        },
    ))
    .unwrap()
}

fn reset_links_to(portal: &MemoryPortal, address: &str) -> Vec<String> {
    portal
        .store()
        .outbox()
        .into_iter()
        .filter(|m| m.to.as_str() == address)
        .filter_map(|m| match m.message {
            Message::PasswordReset { token, .. } => Some(token),
            _ => None,
        })
        .collect()
}

#[test]
fn an_unverified_registration_frees_its_address_after_the_hold_and_loses_what_it_set_up() {
    let (portal, clock) = memory_portal(t0());
    let SignedUp::Registered { user: squatter, account: squat } =
        attempt(&portal, "ann@acme.example", "the squatter's password", "Squat")
    else {
        panic!("the address was free")
    };
    clock.advance(UNVERIFIED_HOLD - Duration::minutes(1));
    assert!(matches!(attempt(&portal, "ann@acme.example", PASSWORD, "Acme"), SignedUp::AddressHeld));
    clock.advance(Duration::minutes(2));
    let SignedUp::Registered { user, account } = attempt(&portal, "ann@acme.example", PASSWORD, "Acme") else {
        panic!("the hold lapsed")
    };
    assert_eq!(user.id(), squatter.id(), "the same address, taken over");
    assert!(!user.email_verified());
    let signed_in = block_on(portal.sign_in(&client_at("x"), "ann@acme.example", "the squatter's password"));
    assert!(matches!(signed_in, Err(AuthError::InvalidCredentials)), "{signed_in:?}");
    block_on(portal.sign_in(&client_at("x"), "ann@acme.example", PASSWORD)).unwrap();
    let squat = block_on(portal.store().account(squat.id())).unwrap().unwrap();
    assert_eq!(squat.status(), AccountStatus::Closed);
    let acme = block_on(portal.store().account(account.id())).unwrap().unwrap();
    assert_eq!((acme.status(), acme.owner()), (AccountStatus::Active, user.id()));
}

#[test]
fn a_verified_address_is_never_taken_over() {
    let (portal, clock) = memory_portal(t0());
    let (ann, _) = signup(&portal, "ann@acme.example", "Ann", "Acme");
    clock.advance(UNVERIFIED_HOLD * 10);
    assert!(matches!(attempt(&portal, "ann@acme.example", "mallory's long password", "Evil"), SignedUp::AddressHeld));
    let (login, _) =
        block_on(portal.sign_in(&client_at("x"), "ann@acme.example", PASSWORD)).unwrap().into_session().unwrap();
    assert_eq!(login.user.id(), ann.id());
}

#[test]
fn reset_mails_are_capped_per_address_per_hour_and_the_answer_never_changes() {
    let (portal, clock) = memory_portal(t0());
    signup(&portal, "ann@acme.example", "Ann", "Acme");
    for n in 0..RESET_MAILS_PER_ADDRESS + 2 {
        block_on(portal.request_password_reset(&client_at(&format!("client {n}")), &email("ann@acme.example")))
            .unwrap();
    }
    assert_eq!(reset_links_to(&portal, "ann@acme.example").len(), RESET_MAILS_PER_ADDRESS as usize);
    // An unknown address answers alike and mails nobody.
    block_on(portal.request_password_reset(&client_at("c"), &email("nobody@acme.example"))).unwrap();
    assert!(portal.store().outbox().iter().all(|m| m.to.as_str() != "nobody@acme.example"));
    clock.advance(Duration::hours(1));
    block_on(portal.request_password_reset(&client_at("c"), &email("ann@acme.example"))).unwrap();
    assert_eq!(reset_links_to(&portal, "ann@acme.example").len(), RESET_MAILS_PER_ADDRESS as usize + 1);
}

#[test]
fn a_reset_link_dies_with_a_password_change_and_with_age() {
    let (portal, clock) = memory_portal(t0());
    let (ann, _) = signup(&portal, "ann@acme.example", "Ann", "Acme");
    let (_, session) =
        block_on(portal.sign_in(&client_at("c"), "ann@acme.example", PASSWORD)).unwrap().into_session().unwrap();
    block_on(portal.request_password_reset(&client_at("c"), &email("ann@acme.example"))).unwrap();
    let link = reset_links_to(&portal, "ann@acme.example").pop().unwrap();
    let new = "another passphrase, long enough";
    block_on(portal.change_password(&client_at("c"), session.id, ann.id(), PASSWORD, new, None)).unwrap();
    let used = block_on(portal.reset_password(&client_at("c"), &link, "a third passphrase, long enough"));
    assert!(matches!(used, Err(AuthError::Service(ServiceError::InvalidToken))), "{used:?}");

    block_on(portal.request_password_reset(&client_at("c"), &email("ann@acme.example"))).unwrap();
    let link = reset_links_to(&portal, "ann@acme.example").pop().unwrap();
    clock.advance(Duration::minutes(31));
    let late = block_on(portal.reset_password(&client_at("c"), &link, "a third passphrase, long enough"));
    assert!(matches!(late, Err(AuthError::Service(ServiceError::InvalidToken))), "{late:?}");
}

#[test]
fn a_password_change_undoes_a_pending_email_change() {
    let (portal, _) = memory_portal(t0());
    let (ann, _) = signup(&portal, "ann@acme.example", "Ann", "Acme");
    let (_, session) =
        block_on(portal.sign_in(&client_at("c"), "ann@acme.example", PASSWORD)).unwrap().into_session().unwrap();
    block_on(portal.request_email_change(
        &client_at("c"),
        session.id,
        ann.id(),
        PASSWORD,
        &email("ann@new.example"),
        None,
    ))
    .unwrap();
    let link = portal.store().link_token_for("ann@new.example").unwrap();
    let new = "another passphrase, long enough";
    block_on(portal.change_password(&client_at("c"), session.id, ann.id(), PASSWORD, new, None)).unwrap();
    let followed = block_on(portal.verify_email(&client_at("c"), &link));
    assert!(matches!(followed, Err(AuthError::Service(ServiceError::InvalidToken))), "{followed:?}");
    assert_eq!(block_on(portal.store().user(ann.id())).unwrap().unwrap().email().as_str(), "ann@acme.example");
}

fn new_sign_in_links(portal: &MemoryPortal) -> Vec<String> {
    portal
        .store()
        .outbox()
        .into_iter()
        .filter_map(|m| match m.message {
            Message::Security(SecurityNotice::NewSignIn { token, .. }) => Some(token),
            _ => None,
        })
        .collect()
}

#[test]
fn a_sign_in_from_a_new_client_is_mailed_with_a_link_that_ends_that_session() {
    let (portal, clock) = memory_portal(t0());
    signup(&portal, "ann@acme.example", "Ann", "Acme");
    let laptop = ClientInfo::new("198.51.100.7", Some("Firefox on a laptop"));
    let sign_in = |client: &ClientInfo| {
        block_on(portal.sign_in(client, "ann@acme.example", PASSWORD)).unwrap().into_session().unwrap().1
    };
    sign_in(&laptop);
    sign_in(&laptop);
    assert!(new_sign_in_links(&portal).is_empty(), "the first client, and the same one again, are no news");
    let phone = ClientInfo::new("203.0.113.9", Some("Safari on a phone"));
    let intruder = sign_in(&phone);
    let links = new_sign_in_links(&portal);
    assert_eq!(links.len(), 1);
    // Ending it by the link ends that session alone, once.
    let mine = sign_in(&laptop);
    block_on(portal.end_session_by_link(&links[0])).unwrap();
    assert!(block_on(portal.authenticate(&intruder.token)).is_err());
    block_on(portal.authenticate(&mine.token)).unwrap();
    let again = block_on(portal.end_session_by_link(&links[0]));
    assert!(matches!(again, Err(AuthError::Service(ServiceError::InvalidToken))), "{again:?}");
    // Ninety days on, the laptop is news again.
    clock.advance(KNOWN_CLIENT_FOR + Duration::days(1));
    sign_in(&laptop);
    assert_eq!(new_sign_in_links(&portal).len(), 2);
}
