//! Rate limits through the use cases: nobody locks a user out from one address, the per-email
//! ceiling still holds across addresses, a refused attempt writes nothing, sign-ups per client.

use portal_domain::limits::{LOGIN_FAILURES_PER_EMAIL, LOGIN_FAILURES_PER_PAIR, SIGNUPS_PER_CLIENT, SignInKeys};
use portal_domain::ports::SessionStore;
use portal_domain::service::{AuthError, ServiceError, Signup};
use portal_domain::values::{CompanyName, PersonName};
use portal_testkit::memory::{InsecureDigester, block_on, client_at, memory_portal};

use crate::fixtures::{email, t0};
use crate::stories::{PASSWORD, signup};

/// ASVS 5.0 V6.1.1, V6.3.1.
#[test]
fn a_stranger_failing_from_one_address_does_not_lock_the_user_out() {
    let (portal, _clock) = memory_portal(t0());
    signup(&portal, "ann@acme.example", "Ann", "Acme");
    for _ in 0..LOGIN_FAILURES_PER_PAIR {
        let failed =
            block_on(portal.sign_in(&client_at("198.51.100.66"), "ann@acme.example", "wrong guess, long enough"));
        assert!(matches!(failed, Err(AuthError::InvalidCredentials)), "{failed:?}");
    }
    match block_on(portal.sign_in(&client_at("198.51.100.66"), "ANN@acme.example", PASSWORD)) {
        Err(AuthError::Service(ServiceError::RateLimited(wait))) => {
            assert!(wait.seconds() > 0 && wait.seconds() <= 15 * 60)
        }
        other => panic!("the stranger's address was let through: {other:?}"),
    }
    // Ann, from her own address, signs in.
    assert!(block_on(portal.sign_in(&client_at("203.0.113.5"), "ann@acme.example", PASSWORD)).is_ok());
}

#[test]
fn failures_from_many_addresses_meet_the_per_email_ceiling() {
    let (portal, _clock) = memory_portal(t0());
    signup(&portal, "ann@acme.example", "Ann", "Acme");
    for n in 0..LOGIN_FAILURES_PER_EMAIL {
        let client = format!("198.51.{}.{}", n / 250, n % 250);
        assert!(matches!(
            block_on(portal.sign_in(&client_at(&client), "ann@acme.example", "wrong guess, long enough")),
            Err(AuthError::InvalidCredentials)
        ));
    }
    let refused = block_on(portal.sign_in(&client_at("203.0.113.5"), "ann@acme.example", PASSWORD));
    assert!(matches!(refused, Err(AuthError::Service(ServiceError::RateLimited(_)))), "{refused:?}");
}

#[test]
fn a_refused_attempt_writes_nothing() {
    let (portal, _clock) = memory_portal(t0());
    signup(&portal, "ann@acme.example", "Ann", "Acme");
    for _ in 0..LOGIN_FAILURES_PER_PAIR {
        let _ = block_on(portal.sign_in(&client_at("198.51.100.66"), "ann@acme.example", "wrong guess, long enough"));
    }
    let keys = SignInKeys::new(&InsecureDigester, "198.51.100.66", "ann@acme.example");
    let ids = [keys.client.as_str(), keys.pair.as_str(), keys.email.as_str()];
    let before = block_on(portal.store().rate_limit_windows(&ids)).unwrap();
    for _ in 0..3 {
        let refused =
            block_on(portal.sign_in(&client_at("198.51.100.66"), "ann@acme.example", "wrong guess, long enough"));
        assert!(matches!(refused, Err(AuthError::Service(ServiceError::RateLimited(_)))));
    }
    assert_eq!(block_on(portal.store().rate_limit_windows(&ids)).unwrap(), before);
}

#[test]
fn sign_ups_are_limited_per_client() {
    let (portal, _clock) = memory_portal(t0());
    let new = |n: u32| Signup {
        email: email(&format!("owner{n}@example.com")),
        name: PersonName::parse("Owner").unwrap(),
        password: PASSWORD.into(),
        account_name: CompanyName::parse("Co").unwrap(),
        company: None,
    };
    for n in 0..SIGNUPS_PER_CLIENT {
        block_on(portal.signup(&client_at("198.51.100.9"), new(n))).unwrap();
    }
    let refused = block_on(portal.signup(&client_at("198.51.100.9"), new(99)));
    assert!(matches!(refused, Err(AuthError::Service(ServiceError::RateLimited(_)))), "{refused:?}");
    assert!(block_on(portal.signup(&client_at("203.0.113.1"), new(99))).is_ok());
}
