//! The second factor through the use cases on the in-memory store (with the testkit's TOTP
//! double): enrolment, the two sign-in steps, replay, the counters, recovery codes, the
//! re-authentication sensitive changes ask for, and the operator's reset.

use chrono::{DateTime, Duration, Utc};
use portal_domain::DomainError;
use portal_domain::actor::Actor;
use portal_domain::credentials::REAUTH_WINDOW;
use portal_domain::mfa::{
    MFA_FAILURES_PER_USER, RECOVERY_CODES, TICKET_ATTEMPTS, normalize_recovery_code, recovery_code_digest,
};
use portal_domain::ports::{Message, SecurityNotice, Store};
use portal_domain::service::{AuthError, MfaTicket, Proof, ServiceError, SignIn};
use portal_domain::user::{MfaState, User, UserChange};
use portal_testkit::memory::{
    FakeTotp, InsecureDigester, ManualClock, MemoryPortal, block_on, client_at, memory_portal,
};

use crate::fixtures::t0;
use crate::stories::{PASSWORD, signup};

/// Ann, signed in, with TOTP on: her secret and recovery codes, the portal and its clock.
struct Enrolled {
    portal: MemoryPortal,
    clock: std::sync::Arc<ManualClock>,
    ann: User,
    secret: String,
    recovery: Vec<String>,
    session: portal_domain::ids::SessionId,
}

fn enrolled() -> Enrolled {
    let (portal, clock) = memory_portal(t0());
    let (ann, _) = signup(&portal, "ann@acme.example", "Ann", "Acme");
    let (_, session) =
        block_on(portal.sign_in(&client_at("c"), "ann@acme.example", PASSWORD)).unwrap().into_session().unwrap();
    let enrolment = block_on(portal.start_totp(&client_at("c"), ann.id())).unwrap();
    let code = FakeTotp::code(&enrolment.secret, portal.now());
    let recovery = block_on(portal.confirm_totp(&client_at("c"), session.id, ann.id(), &code)).unwrap();
    Enrolled { portal, clock, ann, secret: enrolment.secret, recovery, session: session.id }
}

impl Enrolled {
    fn ticket(&self) -> MfaTicket {
        match block_on(self.portal.sign_in(&client_at("c"), "ann@acme.example", PASSWORD)).unwrap() {
            SignIn::SecondFactor(ticket) => ticket,
            SignIn::Session(..) => panic!("signed in without the second factor"),
        }
    }

    /// The code of the next step (the current one may be spent).
    fn fresh_code(&self) -> String {
        self.clock.advance(Duration::seconds(30));
        FakeTotp::code(&self.secret, self.portal.now())
    }

    fn now(&self) -> DateTime<Utc> {
        self.portal.now()
    }

    fn notices(&self) -> Vec<SecurityNotice> {
        self.portal
            .store()
            .outbox()
            .into_iter()
            .filter_map(|m| match m.message {
                Message::Security(n) => Some(n),
                _ => None,
            })
            .collect()
    }
}

fn is_invalid_second_factor<T: std::fmt::Debug>(r: &Result<T, AuthError>) -> bool {
    matches!(r, Err(AuthError::InvalidSecondFactor))
}

#[test]
fn enrolment_turns_on_with_a_code_and_hands_out_ten_recovery_codes_once() {
    let e = enrolled();
    assert_eq!(e.recovery.len(), RECOVERY_CODES);
    assert!(e.recovery.iter().all(|c| normalize_recovery_code(c).is_some()), "{:?}", e.recovery);
    let ann = block_on(e.portal.store().user(e.ann.id())).unwrap().unwrap();
    assert!(ann.mfa().is_on());
    // What is kept is the digester's output for each code (the server's is SHA-256).
    let kept: Vec<_> = e.recovery.iter().map(|c| recovery_code_digest(&InsecureDigester, c).unwrap()).collect();
    assert_eq!(ann.recovery_codes(), &kept[..]);
    assert!(e.notices().contains(&SecurityNotice::MfaEnabled));
    // Enrolling again while on is refused; it must be turned off first.
    let again = block_on(e.portal.start_totp(&client_at("c"), e.ann.id()));
    assert!(matches!(again, Err(AuthError::Service(ServiceError::Domain(DomainError::MfaAlreadyOn)))), "{again:?}");
}

#[test]
fn the_enrolment_code_is_not_accepted_again_at_sign_in() {
    let e = enrolled();
    // Hanko #2723, Keycloak #13607: the code that confirmed enrolment, replayed in its own step.
    let enrolment_code = FakeTotp::code(&e.secret, e.now());
    let replayed = block_on(e.portal.sign_in_second_factor(&client_at("c"), &e.ticket().token, &enrolment_code));
    assert!(is_invalid_second_factor(&replayed), "{replayed:?}");
    // The next step's code works, once.
    let code = e.fresh_code();
    block_on(e.portal.sign_in_second_factor(&client_at("c"), &e.ticket().token, &code)).unwrap();
    let again = block_on(e.portal.sign_in_second_factor(&client_at("c"), &e.ticket().token, &code));
    assert!(is_invalid_second_factor(&again), "{again:?}");
}

#[test]
fn the_password_step_alone_starts_no_session_and_a_ticket_is_single_use() {
    let e = enrolled();
    let ticket = e.ticket();
    let sessions = block_on(e.portal.my_sessions(e.ann.id(), e.session)).unwrap();
    assert_eq!(sessions.len(), 1, "the password step made a session");
    let code = e.fresh_code();
    let (login, session) = block_on(e.portal.sign_in_second_factor(&client_at("c"), &ticket.token, &code)).unwrap();
    assert_eq!(login.user.id(), e.ann.id());
    block_on(e.portal.authenticate(&session.token)).unwrap();
    let code = e.fresh_code();
    let reused = block_on(e.portal.sign_in_second_factor(&client_at("c"), &ticket.token, &code));
    assert!(is_invalid_second_factor(&reused), "{reused:?}");
}

/// ASVS 5.0 V6.5.5.
#[test]
fn a_ticket_dies_after_five_wrong_codes_and_expires_in_five_minutes() {
    let e = enrolled();
    let ticket = e.ticket();
    for _ in 0..TICKET_ATTEMPTS {
        let wrong = block_on(e.portal.sign_in_second_factor(&client_at("c"), &ticket.token, "000000"));
        assert!(is_invalid_second_factor(&wrong), "{wrong:?}");
    }
    let right = e.fresh_code();
    let dead = block_on(e.portal.sign_in_second_factor(&client_at("c"), &ticket.token, &right));
    assert!(is_invalid_second_factor(&dead), "a ticket past its attempts still let a code through: {dead:?}");

    let ticket = e.ticket();
    e.clock.advance(Duration::minutes(5));
    let code = FakeTotp::code(&e.secret, e.now());
    let late = block_on(e.portal.sign_in_second_factor(&client_at("c"), &ticket.token, &code));
    assert!(is_invalid_second_factor(&late), "{late:?}");
}

/// ASVS 5.0 V6.3.1.
#[test]
fn wrong_codes_count_per_user_apart_from_passwords_and_the_wait_ends() {
    let e = enrolled();
    for _ in 0..MFA_FAILURES_PER_USER / TICKET_ATTEMPTS {
        let ticket = e.ticket();
        for _ in 0..TICKET_ATTEMPTS {
            let _ = block_on(e.portal.sign_in_second_factor(&client_at("c"), &ticket.token, "000000"));
        }
    }
    let ticket = e.ticket();
    let code = e.fresh_code();
    let limited = block_on(e.portal.sign_in_second_factor(&client_at("c"), &ticket.token, &code));
    assert!(matches!(limited, Err(AuthError::Service(ServiceError::RateLimited(_)))), "{limited:?}");
    // Keycloak #46164: wrong codes did not use up the password's allowance.
    assert!(matches!(
        block_on(e.portal.sign_in(&client_at("c"), "ann@acme.example", PASSWORD)),
        Ok(SignIn::SecondFactor(_))
    ));
    // A wait, not a lock.
    e.clock.advance(Duration::minutes(15));
    let ticket = e.ticket();
    let code = e.fresh_code();
    block_on(e.portal.sign_in_second_factor(&client_at("c"), &ticket.token, &code)).unwrap();
}

/// ASVS 5.0 V6.5.1.
#[test]
fn a_recovery_code_signs_in_once_and_the_user_is_told() {
    let e = enrolled();
    let code = e.recovery[3].to_lowercase();
    block_on(e.portal.sign_in_second_factor(&client_at("c"), &e.ticket().token, &code)).unwrap();
    assert!(e.notices().contains(&SecurityNotice::RecoveryCodeUsed { left: RECOVERY_CODES - 1 }));
    let again = block_on(e.portal.sign_in_second_factor(&client_at("c"), &e.ticket().token, &code));
    assert!(is_invalid_second_factor(&again), "{again:?}");
}

#[test]
fn new_recovery_codes_kill_the_old_and_need_a_recent_proof() {
    let e = enrolled();
    e.clock.advance(REAUTH_WINDOW + Duration::minutes(1));
    let stale = block_on(e.portal.renew_recovery_codes(&client_at("c"), e.session, e.ann.id(), Proof::default()));
    assert!(
        matches!(stale, Err(AuthError::Service(ServiceError::Domain(DomainError::ReauthenticationRequired)))),
        "{stale:?}"
    );
    let code = e.fresh_code();
    let proof = Proof { password: Some(PASSWORD), code: Some(&code) };
    let fresh = block_on(e.portal.renew_recovery_codes(&client_at("c"), e.session, e.ann.id(), proof)).unwrap();
    assert_eq!(fresh.len(), RECOVERY_CODES);
    let old = block_on(e.portal.sign_in_second_factor(&client_at("c"), &e.ticket().token, &e.recovery[0]));
    assert!(is_invalid_second_factor(&old), "{old:?}");
    block_on(e.portal.sign_in_second_factor(&client_at("c"), &e.ticket().token, &fresh[0])).unwrap();
}

#[test]
fn a_password_change_with_mfa_on_needs_a_code_once_the_sign_in_is_old() {
    let e = enrolled();
    let new = "another passphrase, long enough";
    e.clock.advance(REAUTH_WINDOW + Duration::minutes(1));
    let without = block_on(e.portal.change_password(&client_at("c"), e.session, e.ann.id(), PASSWORD, new, None));
    assert!(
        matches!(without, Err(AuthError::Service(ServiceError::Domain(DomainError::ReauthenticationRequired)))),
        "{without:?}"
    );
    let wrong =
        block_on(e.portal.change_password(&client_at("c"), e.session, e.ann.id(), PASSWORD, new, Some("000000")));
    assert!(matches!(wrong, Err(AuthError::WrongCode)), "{wrong:?}");
    let code = e.fresh_code();
    block_on(e.portal.change_password(&client_at("c"), e.session, e.ann.id(), PASSWORD, new, Some(&code))).unwrap();
}

/// ASVS 5.0 V6.3.4, V6.4.3.
#[test]
fn a_password_reset_does_not_skip_the_second_factor() {
    let e = enrolled();
    // Authentik #18639: after a reset, the next sign-in still asks for the code.
    block_on(e.portal.request_password_reset(&client_at("c"), &crate::fixtures::email("ann@acme.example"))).unwrap();
    let link = e
        .portal
        .store()
        .outbox()
        .into_iter()
        .find_map(|m| match m.message {
            Message::PasswordReset { token, .. } => Some(token),
            _ => None,
        })
        .unwrap();
    let new = "another passphrase, long enough";
    block_on(e.portal.reset_password(&client_at("c"), &link, new)).unwrap();
    assert!(matches!(
        block_on(e.portal.sign_in(&client_at("c"), "ann@acme.example", new)),
        Ok(SignIn::SecondFactor(_))
    ));
}

#[test]
fn turning_mfa_off_needs_the_password_and_a_code_and_ends_open_tickets() {
    let e = enrolled();
    let ticket = e.ticket();
    let code = e.fresh_code();
    let wrong_password =
        block_on(e.portal.disable_totp(&client_at("c"), e.session, e.ann.id(), "not my password at all", &code));
    assert!(matches!(wrong_password, Err(AuthError::WrongPassword)), "{wrong_password:?}");
    let wrong_code = block_on(e.portal.disable_totp(&client_at("c"), e.session, e.ann.id(), PASSWORD, "000000"));
    assert!(matches!(wrong_code, Err(AuthError::WrongCode)), "{wrong_code:?}");
    block_on(e.portal.disable_totp(&client_at("c"), e.session, e.ann.id(), PASSWORD, &code)).unwrap();
    assert!(e.notices().contains(&SecurityNotice::MfaDisabled));
    let open = block_on(e.portal.sign_in_second_factor(&client_at("c"), &ticket.token, &e.fresh_code()));
    assert!(is_invalid_second_factor(&open), "{open:?}");
    assert!(matches!(
        block_on(e.portal.sign_in(&client_at("c"), "ann@acme.example", PASSWORD)),
        Ok(SignIn::Session(..))
    ));
}

#[test]
fn the_operator_resets_a_lost_second_factor_on_the_record() {
    let e = enrolled();
    let user = block_on(e.portal.reset_mfa(e.ann.id())).unwrap();
    assert_eq!(*user.mfa(), MfaState::Off);
    assert!(e.notices().contains(&SecurityNotice::MfaReset));
    let events = block_on(e.portal.store().user_events(e.ann.id())).unwrap();
    let reset = events.iter().find(|ev| ev.change == UserChange::MfaReset).unwrap();
    assert_eq!(reset.actor, Actor::Operator);
    // Only the operator resets.
    let by_user = e.ann.decide(&Actor::User(e.ann.id()), portal_domain::UserCommand::ResetMfa, e.now());
    assert_eq!(by_user, Err(DomainError::OperatorOnly));
}

#[test]
fn the_history_keeps_no_secret_and_no_digest() {
    let e = enrolled();
    block_on(e.portal.sign_in_second_factor(&client_at("c"), &e.ticket().token, &e.recovery[0])).unwrap();
    let ann = block_on(e.portal.store().user(e.ann.id())).unwrap().unwrap();
    let MfaState::On { secret, .. } = ann.mfa() else { panic!("mfa is off") };
    let history = format!("{:?}", block_on(e.portal.store().user_events(e.ann.id())).unwrap());
    for event in block_on(e.portal.store().user_events(e.ann.id())).unwrap() {
        match &event.change {
            UserChange::MfaEnrolmentStarted { secret } => assert!(secret.as_str().is_empty()),
            UserChange::MfaEnabled { recovery_codes } => {
                assert_eq!(recovery_codes.len(), RECOVERY_CODES);
                assert!(recovery_codes.iter().all(|d| d.as_str().is_empty()));
            }
            UserChange::RecoveryCodeUsed { code } => assert!(code.as_str().is_empty()),
            _ => {}
        }
    }
    assert!(!history.contains(secret.as_str()));
    for digest in ann.recovery_codes() {
        assert!(!history.contains(digest.as_str()));
    }
}

/// ASVS 5.0 V7.2.4, V7.5.1.
#[test]
fn closing_an_account_needs_a_recent_sign_in_or_the_password_again() {
    let (portal, clock) = memory_portal(t0());
    let (ann, acme) = signup(&portal, "ann@acme.example", "Ann", "Acme");
    let (_, session) =
        block_on(portal.sign_in(&client_at("c"), "ann@acme.example", PASSWORD)).unwrap().into_session().unwrap();
    // Just signed in: the sign-in counts.
    block_on(portal.confirm_sensitive(&client_at("c"), session.id, ann.id(), Proof::default())).unwrap();
    clock.advance(REAUTH_WINDOW + Duration::minutes(1));
    let stale = block_on(portal.confirm_sensitive(&client_at("c"), session.id, ann.id(), Proof::default()));
    assert!(
        matches!(stale, Err(AuthError::Service(ServiceError::Domain(DomainError::ReauthenticationRequired)))),
        "{stale:?}"
    );
    let wrong = Proof { password: Some("not the password at all"), code: None };
    let wrong = block_on(portal.confirm_sensitive(&client_at("c"), session.id, ann.id(), wrong));
    assert!(matches!(wrong, Err(AuthError::WrongPassword)), "{wrong:?}");
    block_on(portal.reauthenticate(&client_at("c"), session.id, ann.id(), PASSWORD, None)).unwrap();
    let confirmed =
        block_on(portal.confirm_sensitive(&client_at("c"), session.id, ann.id(), Proof::default())).unwrap();
    block_on(portal.close_account(&confirmed, acme)).unwrap();
}
