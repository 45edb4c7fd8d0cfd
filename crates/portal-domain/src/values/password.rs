//! The password policy (NIST SP 800-63B style: length and a block list, no composition rules).

use std::collections::HashSet;
use std::fmt;
use std::sync::LazyLock;

use super::EmailAddress;

static COMMON: LazyLock<HashSet<&'static str>> =
    LazyLock::new(|| include_str!("../../data/common-passwords.txt").lines().filter(|l| !l.is_empty()).collect());

/// Whether a password is on the bundled list of common passwords, ignoring case.
pub fn is_common_password(candidate: &str) -> bool {
    COMMON.contains(candidate.to_lowercase().as_str())
}

/// Why a password was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PasswordError {
    /// Shorter than the minimum.
    #[error("must be at least {min} characters")]
    TooShort {
        /// The fewest characters accepted.
        min: usize,
    },
    /// Longer than the maximum.
    #[error("must be at most {max} characters")]
    TooLong {
        /// The most characters accepted.
        max: usize,
    },
    /// The password is the email address or contains the name before its `@`.
    #[error("must not be or contain your email address")]
    ContainsEmail,
    /// The password is on the list of common passwords.
    #[error("is too common; choose a less guessable passphrase")]
    Common,
}

/// A password that meets the policy, held only until it is hashed. Never printed.
#[derive(Clone)]
pub struct Password(String);

impl Password {
    /// The fewest characters accepted.
    pub const MIN_CHARS: usize = 12;
    /// The most characters accepted.
    pub const MAX_CHARS: usize = 128;
    /// The shortest local part checked for containment: a one- or two-letter local part would
    /// forbid nearly every password.
    pub const MIN_LOCAL_PART_CHECKED: usize = 3;

    /// Checks the policy for the user with this email. White space is kept: it is part of a passphrase.
    pub fn parse(raw: &str, email: &EmailAddress) -> Result<Self, PasswordError> {
        let chars = raw.chars().count();
        if chars < Self::MIN_CHARS {
            return Err(PasswordError::TooShort { min: Self::MIN_CHARS });
        }
        if chars > Self::MAX_CHARS {
            return Err(PasswordError::TooLong { max: Self::MAX_CHARS });
        }
        let lower = raw.to_lowercase();
        let local = email.local_part();
        if lower == email.normalized()
            || (local.chars().count() >= Self::MIN_LOCAL_PART_CHECKED && lower.contains(local))
        {
            return Err(PasswordError::ContainsEmail);
        }
        if COMMON.contains(lower.as_str()) {
            return Err(PasswordError::Common);
        }
        Ok(Self(raw.to_owned()))
    }

    /// The password, for the hasher only.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password(<redacted>)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ann() -> EmailAddress {
        EmailAddress::parse("ann.smith@example.com").unwrap()
    }

    #[test]
    fn the_bundled_list_holds_at_least_ten_thousand_passwords() {
        assert!(COMMON.len() >= 10_000, "{}", COMMON.len());
        assert!(is_common_password("Password"));
    }

    #[test]
    fn a_long_uncommon_passphrase_is_accepted() {
        let p = Password::parse("correct horse battery staple", &ann()).unwrap();
        assert_eq!(p.expose(), "correct horse battery staple");
        assert_eq!(format!("{p:?}"), "Password(<redacted>)");
    }

    #[test]
    fn length_is_counted_in_characters() {
        assert_eq!(Password::parse("short", &ann()).err(), Some(PasswordError::TooShort { min: 12 }));
        assert!(Password::parse(&"é".repeat(12), &ann()).is_ok());
        assert_eq!(Password::parse(&"x".repeat(129), &ann()).err(), Some(PasswordError::TooLong { max: 128 }));
    }

    #[test]
    fn the_email_or_its_local_part_is_refused() {
        assert_eq!(Password::parse("ann.smith@example.com", &ann()).err(), Some(PasswordError::ContainsEmail));
        assert_eq!(Password::parse("my ANN.SMITH password", &ann()).err(), Some(PasswordError::ContainsEmail));
    }

    #[test]
    fn a_common_password_is_refused_whatever_its_case() {
        // On the list and at least 12 characters long.
        let common = COMMON.iter().find(|p| p.chars().count() >= 12).copied().unwrap();
        assert_eq!(Password::parse(&common.to_uppercase(), &ann()).err(), Some(PasswordError::Common));
    }
}
