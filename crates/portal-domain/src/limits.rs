//! Rate limits: fixed windows per key, decided here, counted by the store.
//!
//! Who is limited, and how much, is a rule of the domain: sign-in failures per (email, client)
//! pair and per email across all clients (so a stranger cannot lock a user out from one
//! address, NIST SP 800-63B §5.2.2), attempts per client, sign-ups per client, invites per
//! member. Keys are fixed-size digests of normalised values, so no input grows the store.

use chrono::{DateTime, Duration, Utc};

use crate::ports::TokenDigester;
use crate::values::{EmailAddress, TokenDigest};

/// The window every limit counts in.
pub const RATE_WINDOW: Duration = Duration::minutes(15);
/// Failed sign-ins allowed per (email, client) pair in [`RATE_WINDOW`].
pub const LOGIN_FAILURES_PER_PAIR: u32 = 10;
/// Failed sign-ins allowed per email from all clients together in [`RATE_WINDOW`]: high, so
/// that it stops a spread-out guessing attack without letting anyone lock a user out cheaply.
pub const LOGIN_FAILURES_PER_EMAIL: u32 = 100;
/// Sign-in attempts (any outcome) allowed per client in [`RATE_WINDOW`]: bounds the password
/// hashing one client can cause.
pub const LOGIN_ATTEMPTS_PER_CLIENT: u32 = 50;
/// Sign-ups allowed per client in [`RATE_WINDOW`].
pub const SIGNUPS_PER_CLIENT: u32 = 10;
/// Invites (and re-sends) one member may send in [`RATE_WINDOW`].
pub const INVITES_PER_MEMBER: u32 = 50;

pub use crate::window::Window;

/// How long a refused caller waits before the fullest of its windows lapses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryAfter(pub Duration);

impl RetryAfter {
    /// Whole seconds, at least one (for a `Retry-After` header).
    pub fn seconds(self) -> u64 {
        u64::try_from(self.0.num_seconds()).unwrap_or(0).max(1)
    }
}

/// Whether one more hit is within every limit: `counters` pairs each key's current window
/// (`None`: none yet) with its maximum. Refused, it says when the last full window lapses.
pub fn admit(counters: &[(Option<Window>, u32)], now: DateTime<Utc>, window: Duration) -> Result<(), RetryAfter> {
    let wait = counters
        .iter()
        .filter_map(|(w, max)| w.filter(|w| w.live_count(now, window) >= *max))
        .map(|w| w.start + window - now)
        .max();
    match wait {
        Some(wait) => Err(RetryAfter(wait)),
        None => Ok(()),
    }
}

/// The counter keys of one sign-in: per client, per (email, client) pair, per email.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignInKeys {
    /// Every attempt from this client.
    pub client: TokenDigest,
    /// Failures for this email from this client.
    pub pair: TokenDigest,
    /// Failures for this email from anywhere.
    pub email: TokenDigest,
}

/// The key of `parts`, as a fixed-size digest: what the store keeps, whatever was typed.
pub fn key(digester: &(impl TokenDigester + ?Sized), parts: &[&str]) -> TokenDigest {
    digester.digest(&parts.join("\u{1f}"))
}

impl SignInKeys {
    /// The keys for `email` (as typed; normalised here) from `client`.
    pub fn new(digester: &(impl TokenDigester + ?Sized), client: &str, email: &str) -> Self {
        let normalised = EmailAddress::key_of(email);
        Self {
            client: key(digester, &["login", "client", client]),
            pair: key(digester, &["login", "pair", &normalised, client]),
            email: key(digester, &["login", "email", &normalised]),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(seconds: i64) -> DateTime<Utc> {
        DateTime::<Utc>::UNIX_EPOCH + Duration::seconds(seconds)
    }

    #[test]
    fn a_window_counts_until_it_lapses() {
        let w = Duration::seconds(60);
        let first = Window { start: t(0), count: 1 };
        assert_eq!(first.hit(t(59), w), Window { start: t(0), count: 2 });
        assert_eq!(first.hit(t(60), w), Window { start: t(60), count: 1 });
        assert_eq!(first.live_count(t(60), w), 0);
    }

    #[test]
    fn admit_refuses_at_the_max_and_says_when_the_fullest_window_lapses() {
        let w = Duration::seconds(60);
        let full = Some(Window { start: t(10), count: 3 });
        let fuller = Some(Window { start: t(30), count: 5 });
        assert_eq!(admit(&[(None, 1), (Some(Window { start: t(0), count: 2 }), 3)], t(20), w), Ok(()));
        assert_eq!(admit(&[(full, 3), (fuller, 5)], t(40), w), Err(RetryAfter(Duration::seconds(50))));
        assert_eq!(admit(&[(full, 3)], t(70), w), Ok(()), "a lapsed window refuses nothing");
        assert_eq!(RetryAfter(Duration::milliseconds(200)).seconds(), 1);
    }

    #[test]
    fn one_address_typed_differently_is_one_key() {
        struct Plain;
        impl crate::ports::TokenDigester for Plain {
            fn digest(&self, token: &str) -> crate::values::TokenDigest {
                crate::values::TokenDigest::new(token)
            }
        }
        let digester = Plain;
        let a = SignInKeys::new(&digester, "203.0.113.7", " Ann@Example.COM ");
        let b = SignInKeys::new(&digester, "203.0.113.7", "ann@example.com");
        assert_eq!(a, b, "the same address, typed differently, is one key");
        assert_ne!(a.pair, SignInKeys::new(&digester, "198.51.100.1", "ann@example.com").pair);
        assert_eq!(a.email, SignInKeys::new(&digester, "198.51.100.1", "ann@example.com").email);
    }
}
