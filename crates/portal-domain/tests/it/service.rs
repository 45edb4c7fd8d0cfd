//! The use cases' own duties: equal work at login, rule 7 for disabled users, `If-Match`,
//! password policy at the edge, and history queries.

use std::sync::atomic::{AtomicUsize, Ordering};

use chrono::Duration;
use portal_domain::account::{ProfilePatch, View};
use portal_domain::notification::{CategorySet, NotificationCategory, NotificationPreferences};
use portal_domain::permission::{PermissionSet, Role};
use portal_domain::ports::{Message, PasswordHasher};
use portal_domain::service::{AuthError, Portal, ServiceError, SignIn, SignedUp, Signup};
use portal_domain::values::{CompanyName, Password, PasswordError, PasswordHash, PersonName};
use portal_domain::{Actor, DomainError};
use portal_testkit::memory::{
    InsecureDigester, InsecureHasher, ManualClock, MemoryStore, SequentialIds, SequentialTokens, block_on, client_at,
    memory_portal,
};

use crate::fixtures::{email, t0};
use crate::stories::{PASSWORD, invite, invite_token, signup};

/// Counts how many hashes are made and checked, to see that login and sign-up work as hard for
/// unknown emails as for known ones.
#[derive(Default, Clone)]
struct CountingHasher {
    inner: std::sync::Arc<InsecureHasher>,
    verified: std::sync::Arc<AtomicUsize>,
    hashed: std::sync::Arc<AtomicUsize>,
}

impl PasswordHasher for CountingHasher {
    async fn hash(&self, password: &Password) -> Result<PasswordHash, portal_domain::ports::HashError> {
        self.hashed.fetch_add(1, Ordering::SeqCst);
        self.inner.hash(password).await
    }
    async fn verify(&self, password: &str, hash: &PasswordHash) -> bool {
        self.verified.fetch_add(1, Ordering::SeqCst);
        self.inner.verify(password, hash).await
    }
    fn decoy(&self) -> &PasswordHash {
        self.inner.decoy()
    }
}

/// A portal whose hasher counts its work.
fn counting_portal() -> (Portal<MemoryStore, CountingHasher>, CountingHasher) {
    let hasher = CountingHasher::default();
    let portal = Portal::new(
        MemoryStore::new(),
        hasher.clone(),
        InsecureDigester,
        SequentialTokens::default(),
        ManualClock::new(t0()),
        SequentialIds::default(),
    );
    (portal, hasher)
}

/// ASVS V6.3.8 (ZITADEL #9746): a sign-up does the same hashing, and answers the same, whether
/// or not its address has an account.
#[test]
fn signup_hashes_once_and_answers_alike_whether_or_not_the_address_is_taken() {
    let (portal, hasher) = counting_portal();
    let attempt = |address: &str| {
        let before = hasher.hashed.load(Ordering::SeqCst);
        let signup = Signup {
            email: email(address),
            name: PersonName::parse("Someone").unwrap(),
            password: PASSWORD.into(),
            account_name: CompanyName::parse("Acme").unwrap(),
            company: None,
        };
        let outcome = block_on(portal.signup(&client_at(address), signup)).unwrap();
        assert_eq!(hasher.hashed.load(Ordering::SeqCst), before + 1, "{address}: not exactly one hash");
        outcome
    };
    assert!(matches!(attempt("ann@acme.example"), SignedUp::Registered { .. }));
    assert!(matches!(attempt("ANN@acme.example"), SignedUp::AddressHeld));
}

/// ASVS V6.3.8: sign-in checks one hash whatever the email.
#[test]
fn login_checks_one_hash_whether_or_not_the_email_exists() {
    let (portal, hasher) = counting_portal();
    block_on(portal.signup(
        &client_at("client of ann"),
        Signup {
            email: email("ann@acme.example"),
            name: PersonName::parse("Ann").unwrap(),
            password: PASSWORD.into(),
            account_name: CompanyName::parse("Acme").unwrap(),
            company: None,
        },
    ))
    .unwrap();
    let cases = [
        ("ann@acme.example", "wrong password!!", false),
        ("nobody@acme.example", PASSWORD, false),
        ("not an email", PASSWORD, false),
        ("ANN@acme.example", PASSWORD, true),
    ];
    for (address, password, succeeds) in cases {
        let before = hasher.verified.load(Ordering::SeqCst);
        let outcome = block_on(portal.sign_in(&client_at("client"), address, password)).map(SignIn::into_session);
        assert_eq!(hasher.verified.load(Ordering::SeqCst), before + 1, "{address}: not exactly one hash check");
        match outcome {
            Ok(Ok((login, _))) => {
                assert!(succeeds, "{address} logged in");
                assert_eq!(login.accounts.len(), 1);
            }
            Ok(Err(ticket)) => panic!("{address}: asked for a second factor ({ticket:?})"),
            Err(e) => {
                assert!(!succeeds, "{address}: {e}");
                assert!(matches!(e, AuthError::InvalidCredentials), "{address}: {e}");
            }
        }
    }
}

/// ASVS 5.0 V7.4.2, V7.4.5.
#[test]
fn a_disabled_user_can_do_nothing_from_the_next_request() {
    let (portal, _) = memory_portal(t0());
    let (ann, acme) = signup(&portal, "ann@acme.example", "Ann", "Acme");
    block_on(portal.disable_user(ann.id())).unwrap();
    let err = block_on(portal.account(&Actor::User(ann.id()), acme, View::Summary)).unwrap_err();
    assert!(matches!(err, ServiceError::Domain(DomainError::UserDisabled)));
    let err = block_on(portal.sign_in(&client_at("client"), "ann@acme.example", PASSWORD)).unwrap_err();
    assert!(matches!(err, AuthError::Service(ServiceError::Domain(DomainError::UserDisabled))));
    // Only the operator disables.
    let (bob, _) = signup(&portal, "bob@acme.example", "Bob", "Bob Co");
    let err = block_on(portal.run_disable_as(bob.id())).unwrap_err();
    assert!(matches!(err, DomainError::OperatorOnly));
}

trait DisableAs {
    async fn run_disable_as(&self, user: portal_domain::ids::UserId) -> Result<(), DomainError>;
}

impl DisableAs for portal_testkit::memory::MemoryPortal {
    async fn run_disable_as(&self, user: portal_domain::ids::UserId) -> Result<(), DomainError> {
        use portal_domain::ports::Store;
        let state = self.store().user(user).await.unwrap().unwrap();
        state.decide(&Actor::User(user), portal_domain::UserCommand::Disable, self.now()).map(|_| ())
    }
}

#[test]
fn a_stale_if_match_is_refused_and_a_fresh_one_accepted() {
    let (portal, _) = memory_portal(t0());
    let (ann, acme) = signup(&portal, "ann@acme.example", "Ann", "Acme");
    let owner = Actor::User(ann.id());
    let patch = ProfilePatch { display_name: Some(CompanyName::parse("Acme Two").unwrap()), ..ProfilePatch::default() };
    let err = block_on(portal.update_profile(&owner, acme, patch.clone(), Some(7))).unwrap_err();
    assert!(matches!(err, ServiceError::PreconditionFailed { current: 1 }));
    let updated = block_on(portal.update_profile(&owner, acme, patch, Some(1))).unwrap();
    assert_eq!(updated.version(), 2);
    assert_eq!(updated.profile().display_name.as_str(), "Acme Two");
    let prefs = NotificationPreferences::opting_out_of(CategorySet::of(&[NotificationCategory::Promotions])).unwrap();
    assert!(matches!(
        block_on(portal.set_preferences(ann.id(), prefs, Some(9))),
        Err(ServiceError::PreconditionFailed { current: 1 })
    ));
    let me = block_on(portal.set_preferences(ann.id(), prefs, Some(1))).unwrap();
    assert!(!me.preferences().receives(NotificationCategory::Promotions));
}

#[test]
fn signup_enforces_the_password_policy_and_unique_emails() {
    let (portal, _) = memory_portal(t0());
    let attempt = |address: &str, password: &str| {
        block_on(portal.signup(
            &client_at("client"),
            Signup {
                email: email(address),
                name: PersonName::parse("Ann").unwrap(),
                password: password.into(),
                account_name: CompanyName::parse("Acme").unwrap(),
                company: None,
            },
        ))
    };
    assert!(matches!(
        attempt("ann@acme.example", "short"),
        Err(AuthError::Password(PasswordError::TooShort { min: 12 }))
    ));
    assert!(matches!(
        attempt("ann@acme.example", "my ann password"),
        Err(AuthError::Password(PasswordError::ContainsEmail))
    ));
    assert!(matches!(attempt("ann@acme.example", PASSWORD), Ok(SignedUp::Registered { .. })));
    // A taken address (in any case) is told so by mail, not in the answer.
    assert!(matches!(attempt("ANN@acme.example", PASSWORD), Ok(SignedUp::AddressHeld)));
    let last = portal.store().outbox().pop().unwrap();
    assert_eq!(last.to.as_str(), "ann@acme.example");
    assert!(matches!(last.message, Message::AccountExists { reset_token: Some(_), .. }));
}

#[test]
fn accepting_an_invite_mailed_to_your_address_verifies_it() {
    let (portal, _) = memory_portal(t0());
    let (ann, acme) = signup(&portal, "ann@acme.example", "Ann", "Acme");
    let registered = block_on(portal.signup(
        &client_at("bob's client"),
        Signup {
            email: email("bob@acme.example"),
            name: PersonName::parse("Bob").unwrap(),
            password: PASSWORD.into(),
            account_name: CompanyName::parse("Bob Co").unwrap(),
            company: None,
        },
    ));
    let Ok(SignedUp::Registered { user: bob, .. }) = registered else { panic!("{registered:?}") };
    assert!(!bob.email_verified());
    invite(&portal, ann.id(), acme, "bob@acme.example", Role::ReadOnly.permissions(), None);
    block_on(portal.accept_invite(bob.id(), &invite_token(&portal, "bob@acme.example"))).unwrap();
    let bob = block_on(portal.active_user(bob.id())).unwrap();
    assert!(bob.email_verified());
    // Someone else holding the link cannot use it.
    let (eve, _) = signup(&portal, "eve@evil.example", "Eve", "Eve Co");
    invite(&portal, ann.id(), acme, "carol@acme.example", Role::ReadOnly.permissions(), None);
    let err = block_on(portal.accept_invite(eve.id(), &invite_token(&portal, "carol@acme.example"))).unwrap_err();
    assert!(matches!(err, ServiceError::Domain(DomainError::InviteEmailMismatch)));
}

#[test]
fn the_history_answers_who_held_which_permission_on_a_given_day() {
    let (portal, clock) = memory_portal(t0());
    let (ann, acme) = signup(&portal, "ann@acme.example", "Ann", "Acme");
    invite(&portal, ann.id(), acme, "bob@acme.example", Role::Billing.permissions(), None);
    clock.advance(Duration::days(1));
    let bob = block_on(portal.accept_invite_as_new_user(
        &client_at("invitee"),
        &invite_token(&portal, "bob@acme.example"),
        PersonName::parse("Bob").unwrap(),
        PASSWORD,
    ))
    .unwrap()
    .login
    .user;
    let day_two = portal.now() + Duration::hours(1);
    clock.advance(Duration::days(1));
    block_on(portal.remove_member(&Actor::User(ann.id()), acme, bob.id())).unwrap();
    let owner = Actor::User(ann.id());
    let then = block_on(portal.access_at(&owner, acme, day_two)).unwrap();
    assert!(then.contains(&(bob.id(), Role::Billing.permissions())));
    assert!(then.contains(&(ann.id(), PermissionSet::ALL)));
    let now = block_on(portal.access_at(&owner, acme, portal.now())).unwrap();
    assert_eq!(now, vec![(ann.id(), PermissionSet::ALL)]);
    let before = block_on(portal.access_at(&owner, acme, t0() - Duration::days(1))).unwrap();
    assert!(before.is_empty());
    // Only those with audit.view may ask.
    let err = block_on(portal.access_at(&Actor::User(bob.id()), acme, day_two)).unwrap_err();
    assert!(matches!(err, ServiceError::Domain(DomainError::AccountNotFound)));
}

/// ASVS 5.0 V7.2.2, V7.2.3, V7.4.1.
#[test]
fn sessions_authenticate_until_idle_logout_or_disabling() {
    let (portal, clock) = memory_portal(t0());
    signup(&portal, "ann@acme.example", "Ann", "Acme");
    assert!(matches!(
        block_on(portal.sign_in(&client_at("client"), "ann@acme.example", "wrong password!!")),
        Err(AuthError::InvalidCredentials)
    ));
    let (login, session) =
        block_on(portal.sign_in(&client_at("client"), "ANN@acme.example", PASSWORD)).unwrap().into_session().unwrap();
    assert_eq!(login.accounts.len(), 1);
    assert!(!format!("{session:?}").contains(&session.token), "a session's Debug shows its token");
    let (sid, user) = block_on(portal.authenticate(&session.token)).unwrap();
    assert_eq!(user.id(), login.user.id());
    assert_eq!(block_on(portal.authenticate_id(&session.token)).unwrap(), (sid, login.user.id()));
    assert!(matches!(block_on(portal.authenticate("not a token")), Err(AuthError::InvalidCredentials)));
    assert!(matches!(block_on(portal.authenticate_id("not a token")), Err(AuthError::InvalidCredentials)));

    // Idle expiry.
    clock.advance(portal_domain::service::SESSION_IDLE + Duration::seconds(1));
    assert!(matches!(block_on(portal.authenticate(&session.token)), Err(AuthError::InvalidCredentials)));
    assert!(matches!(block_on(portal.authenticate_id(&session.token)), Err(AuthError::InvalidCredentials)));

    // Logout.
    let (_, second) =
        block_on(portal.sign_in(&client_at("client"), "ann@acme.example", PASSWORD)).unwrap().into_session().unwrap();
    block_on(portal.sign_out(&second.token)).unwrap();
    assert!(block_on(portal.authenticate(&second.token)).is_err());
    assert!(block_on(portal.authenticate_id(&second.token)).is_err());

    // Disabling ends every session from the next request, by either way of authenticating.
    let (_, third) =
        block_on(portal.sign_in(&client_at("client"), "ann@acme.example", PASSWORD)).unwrap().into_session().unwrap();
    let (_, fourth) =
        block_on(portal.sign_in(&client_at("client"), "ann@acme.example", PASSWORD)).unwrap().into_session().unwrap();
    block_on(portal.disable_user(login.user.id())).unwrap();
    assert!(matches!(block_on(portal.authenticate_id(&third.token)), Err(AuthError::InvalidCredentials)));
    assert!(matches!(block_on(portal.authenticate(&fourth.token)), Err(AuthError::InvalidCredentials)));
}
