//! Email addresses: the identity of users and the address of every notice.

use std::hash::{Hash, Hasher};
use std::sync::Arc;

use super::string_value;

/// Why an email address was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EmailAddressError {
    /// Nothing but white space was given.
    #[error("must not be empty")]
    Empty,
    /// The address is longer than an SMTP path allows.
    #[error("must be at most {max} bytes long (UTF-8)")]
    TooLong {
        /// The longest allowed, in bytes.
        max: usize,
    },
    /// There is no `@` between a local part and a domain.
    #[error("must contain an @ between the name and the domain")]
    MissingAt,
    /// Nothing stands before the `@`.
    #[error("must have a name before the @")]
    EmptyLocalPart,
    /// The part before the `@` is longer than SMTP allows.
    #[error("the part before the @ must be at most {max} bytes long (UTF-8)")]
    LocalPartTooLong {
        /// The longest allowed, in bytes.
        max: usize,
    },

    /// The part after the `@` is not a domain name with at least one dot.
    #[error("the part after the @ must be a domain such as example.com")]
    InvalidDomain,
    /// A character that cannot appear in an address (white space, a control, a second `@`, ...).
    #[error("must not contain {0:?}")]
    InvalidCharacter(char),
}

/// An email address: trimmed, at most 254 characters, compared case-insensitively.
///
/// The address keeps the spelling it was given (for display and delivery) and a lower-case key
/// (for comparison, hashing and uniqueness).
#[derive(Clone)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize, serde::Deserialize),
    serde(try_from = "String", into = "String")
)]
pub struct EmailAddress {
    // Shared text: addresses are cloned into every routed recipient and event.
    raw: Arc<str>,
    key: Arc<str>,
}

impl EmailAddress {
    /// The longest accepted address, in bytes (RFC 5321's 256-octet path less the angle
    /// brackets). Bytes, not characters: SMTP counts octets, and a relay refuses the rest.
    pub const MAX_CHARS: usize = 254;
    /// The longest accepted local part, in bytes (RFC 5321 §4.5.3.1.1). With the whole at
    /// most [`Self::MAX_CHARS`], a domain has at most 252 bytes, inside DNS's 253.
    pub const MAX_LOCAL_CHARS: usize = 64;

    /// Parses an address as a person would type it.
    pub fn parse(raw: &str) -> Result<Self, EmailAddressError> {
        let raw = raw.trim();
        // Nearly every address is plain ASCII and valid: one pass over the bytes settles it
        // (every page of members re-reads 50 of them). Anything else takes the general path,
        // which also names what is wrong.
        if is_plain_valid(raw.as_bytes()) {
            let raw_text: Arc<str> = Arc::from(raw);
            let key = if raw.bytes().any(|b| b.is_ascii_uppercase()) {
                Arc::from(raw.to_ascii_lowercase())
            } else {
                raw_text.clone()
            };
            return Ok(Self { raw: raw_text, key });
        }
        if raw.is_empty() {
            return Err(EmailAddressError::Empty);
        }
        if raw.len() > Self::MAX_CHARS {
            return Err(EmailAddressError::TooLong { max: Self::MAX_CHARS });
        }
        let Some((local, domain)) = raw.rsplit_once('@') else {
            return Err(EmailAddressError::MissingAt);
        };
        if local.is_empty() {
            return Err(EmailAddressError::EmptyLocalPart);
        }
        if local.len() > Self::MAX_LOCAL_CHARS {
            return Err(EmailAddressError::LocalPartTooLong { max: Self::MAX_LOCAL_CHARS });
        }

        if let Some(bad) = local.chars().find(|c| !is_local_char(*c)) {
            return Err(EmailAddressError::InvalidCharacter(bad));
        }
        if local.starts_with('.') || local.ends_with('.') || local.contains("..") {
            return Err(EmailAddressError::InvalidCharacter('.'));
        }
        if let Some(bad) = domain.chars().find(|c| c.is_whitespace() || c.is_control() || *c == '@') {
            return Err(EmailAddressError::InvalidCharacter(bad));
        }
        if !is_domain(domain) {
            return Err(EmailAddressError::InvalidDomain);
        }
        let raw_text: Arc<str> = Arc::from(raw);
        // Most addresses are lower-case ASCII already: share the text instead of lower-casing a
        // copy (this runs for every member of every page read).
        let key = if raw.is_ascii() && !raw.bytes().any(|b| b.is_ascii_uppercase()) {
            raw_text.clone()
        } else {
            Arc::from(raw.to_lowercase())
        };
        Ok(Self { raw: raw_text, key })
    }

    /// The address as given (trimmed).
    pub fn as_str(&self) -> &str {
        &self.raw
    }

    /// The lower-case form used for comparison and uniqueness.
    pub fn normalized(&self) -> &str {
        &self.key
    }

    /// The key `raw` would be found by: its [`EmailAddress::normalized`] form when it parses,
    /// else the text trimmed and lower-cased the same way (it names no user, but a counter of
    /// attempts for it must still group its spellings).
    pub fn key_of(raw: &str) -> String {
        match Self::parse(raw) {
            Ok(address) => address.normalized().to_owned(),
            Err(_) => raw.trim().to_lowercase(),
        }
    }

    /// The part before the `@`, lower-cased.
    pub fn local_part(&self) -> &str {
        self.key.rsplit_once('@').map_or(&*self.key, |(local, _)| local)
    }
}

/// An ASCII address the general checks below accept: a local part of allowed characters without
/// leading, trailing or doubled dots, and a domain of at least two labels of letters, digits and
/// inner hyphens whose last is letters or `xn--…`. `false` says "ask the general path".
fn is_plain_valid(raw: &[u8]) -> bool {
    if raw.is_empty() || raw.len() > EmailAddress::MAX_CHARS || !raw.is_ascii() {
        return false;
    }
    let Some(at) = raw.iter().rposition(|&b| b == b'@') else { return false };
    let (local, domain) = (&raw[..at], &raw[at + 1..]);
    let local_ok = !local.is_empty()
        && local.len() <= EmailAddress::MAX_LOCAL_CHARS
        && local.iter().all(|&b| is_local_char(char::from(b)))
        && local[0] != b'.'
        && local[local.len() - 1] != b'.'
        && !local.windows(2).any(|w| w == b"..");
    if !local_ok {
        return false;
    }
    let mut labels = 0;
    for label in domain.split(|&b| b == b'.') {
        labels += 1;
        if label.is_empty()
            || label.len() > 63
            || label[0] == b'-'
            || label[label.len() - 1] == b'-'
            || !label.iter().all(|&b| b.is_ascii_alphanumeric() || b == b'-')
        {
            return false;
        }
    }
    let tld = domain.rsplit(|&b| b == b'.').next().unwrap_or_default();
    labels >= 2 && (tld.iter().all(u8::is_ascii_alphabetic) || tld.starts_with(b"xn--"))
}

fn is_local_char(c: char) -> bool {
    !(c.is_whitespace()
        || c.is_control()
        || matches!(c, '@' | '<' | '>' | '(' | ')' | '[' | ']' | '\\' | ',' | ';' | ':' | '"'))
}

fn is_domain(domain: &str) -> bool {
    let Some((_, tld)) = domain.rsplit_once('.') else { return false };
    domain.split('.').all(|label| {
        !label.is_empty()
            && (label.len() <= 63 || label.chars().count() <= 63)
            && !label.starts_with('-')
            && !label.ends_with('-')
            && label.chars().all(|c| c.is_alphanumeric() || c == '-')
    }) && (tld.chars().all(char::is_alphabetic) || tld.starts_with("xn--"))
}

impl std::fmt::Debug for EmailAddress {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("EmailAddress").field(&&*self.raw).finish()
    }
}

impl PartialEq for EmailAddress {
    fn eq(&self, other: &Self) -> bool {
        self.key == other.key
    }
}

impl Eq for EmailAddress {}

impl Hash for EmailAddress {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.key.hash(state);
    }
}

impl PartialOrd for EmailAddress {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for EmailAddress {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.key.cmp(&other.key)
    }
}

string_value!(EmailAddress, EmailAddressError);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_address_is_trimmed_and_compared_case_insensitively() {
        let a = EmailAddress::parse("  Finance@Example.COM ").unwrap();
        let b = EmailAddress::parse("finance@example.com").unwrap();
        assert_eq!(a, b);
        assert_eq!(a.as_str(), "Finance@Example.COM");
        assert_eq!(a.normalized(), "finance@example.com");
        assert_eq!(a.local_part(), "finance");
    }

    #[test]
    fn each_malformed_address_gets_its_reason() {
        use EmailAddressError::*;
        assert_eq!(EmailAddress::parse(""), Err(Empty));
        assert_eq!(EmailAddress::parse("finance.example.com"), Err(MissingAt));
        assert_eq!(EmailAddress::parse("@example.com"), Err(EmptyLocalPart));
        assert_eq!(EmailAddress::parse("a b@example.com"), Err(InvalidCharacter(' ')));
        assert_eq!(EmailAddress::parse("a@b@example.com"), Err(InvalidCharacter('@')));
        assert_eq!(EmailAddress::parse("ann@localhost"), Err(InvalidDomain));
        assert_eq!(EmailAddress::parse("ann@-x.com"), Err(InvalidDomain));
        assert_eq!(EmailAddress::parse("ann@example..com"), Err(InvalidDomain));
        assert_eq!(EmailAddress::parse("ann.@example.com"), Err(InvalidCharacter('.')));
        assert_eq!(EmailAddress::parse(&format!("{}@example.com", "a".repeat(65))), Err(LocalPartTooLong { max: 64 }));
        assert_eq!(EmailAddress::parse(&format!("a@{}.com", "b".repeat(250))), Err(TooLong { max: 254 }));
    }

    #[test]
    fn smtp_limits_count_bytes_not_characters() {
        use EmailAddressError::*;
        // 40 characters, 80 bytes: lettre (and every relay) refuses it, so the domain does.
        let local = "é".repeat(40);
        assert_eq!(EmailAddress::parse(&format!("{local}@example.com")), Err(LocalPartTooLong { max: 64 }));
        assert!(EmailAddress::parse(&format!("{}@example.com", "é".repeat(32))).is_ok());
        let label = "d".repeat(60);
        let domain = format!("{label}.{label}.{label}.{label}.com");
        assert_eq!(domain.len(), 247);
        assert!(EmailAddress::parse(&format!("a@{domain}")).is_ok());
        let (l63, l61) = ("d".repeat(63), "d".repeat(61));
        let domain = format!("{l63}.{l63}.{l63}.{l61}");
        assert_eq!(domain.len(), 253);
        assert_eq!(EmailAddress::parse(&format!("a@{domain}")), Err(TooLong { max: 254 }));
        assert_eq!(
            EmailAddress::parse(&format!("{}@{}", "é".repeat(30), "ü".repeat(100) + ".de")),
            Err(TooLong { max: 254 })
        );
    }

    #[test]
    fn plus_addressing_and_international_domains_are_accepted() {
        assert!(EmailAddress::parse("ann+billing@example.co.uk").is_ok());
        assert!(EmailAddress::parse("jörg@bücher.de").is_ok());
        assert!(EmailAddress::parse("ann@xn--bcher-kva.de").is_ok());
    }
}
