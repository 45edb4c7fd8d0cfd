//! The second factor's rules: TOTP steps are used once, recovery codes have a fixed shape and
//! are kept only as digests, and wrong codes are counted apart from wrong passwords.
//!
//! The TOTP arithmetic (RFC 6238) and the sealing of secrets are the
//! [`SecondFactor`](crate::ports::SecondFactor) port's; the core decides what a matched step
//! may do.

use chrono::Duration;

use crate::ports::TokenDigester;
use crate::values::TokenDigest;

/// Recovery codes in a set.
pub const RECOVERY_CODES: usize = 10;
/// Groups in a recovery code.
pub const RECOVERY_CODE_GROUPS: usize = 4;
/// Characters in a group.
pub const RECOVERY_GROUP_LEN: usize = 6;
/// The 32 letters a recovery code is written in (Crockford's base32: no I, L, O or U to misread),
/// so each character carries 5 bits and a code 120.
pub const RECOVERY_ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
/// Wrong second factors one sign-in ticket survives; the next attempt finds it dead.
pub const TICKET_ATTEMPTS: u32 = 5;
/// Wrong second factors allowed per user in [`MFA_WINDOW`], from every ticket and re-authentication
/// together; then the user waits (never a permanent lock).
pub const MFA_FAILURES_PER_USER: u32 = 10;
/// The window [`MFA_FAILURES_PER_USER`] counts in.
pub const MFA_WINDOW: Duration = Duration::minutes(15);

/// A recovery code as typed, in its one stored form: upper case, without the dashes and spaces
/// people add; `None` when it cannot be a recovery code (so nothing is looked up for it).
pub fn normalize_recovery_code(typed: &str) -> Option<String> {
    let code: String = typed.chars().filter(|c| !matches!(c, '-' | ' ')).map(|c| c.to_ascii_uppercase()).collect();
    let well_formed =
        code.len() == RECOVERY_CODE_GROUPS * RECOVERY_GROUP_LEN && code.bytes().all(|b| RECOVERY_ALPHABET.contains(&b));
    well_formed.then_some(code)
}

/// A recovery code written for people: its groups joined by dashes.
pub fn format_recovery_code(code: &str) -> String {
    code.as_bytes().chunks(RECOVERY_GROUP_LEN).map(String::from_utf8_lossy).collect::<Vec<_>>().join("-")
}

/// The digest a recovery code is kept as. A fast digest suffices: a code has 120 random bits,
/// beyond any guessing, unlike a password.
pub fn recovery_code_digest(digester: &(impl TokenDigester + ?Sized), typed: &str) -> Option<TokenDigest> {
    normalize_recovery_code(typed).map(|code| digester.digest(&format!("recovery\u{1f}{code}")))
}

/// Whether `typed` looks like a TOTP code (six digits): anything else is a recovery code or wrong.
pub fn is_totp_code(typed: &str) -> bool {
    typed.len() == 6 && typed.bytes().all(|b| b.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_recovery_code_reads_back_however_it_is_typed() {
        let code = "0123456789ABCDEFGHJKMNPQ";
        let shown = format_recovery_code(code);
        assert_eq!(shown, "012345-6789AB-CDEFGH-JKMNPQ");
        assert_eq!(normalize_recovery_code(&shown.to_lowercase()).as_deref(), Some(code));
        assert_eq!(normalize_recovery_code("0123 4567 89AB CDEF GHJK MNPQ").as_deref(), Some(code));
    }

    #[test]
    fn a_malformed_recovery_code_is_no_code() {
        assert_eq!(normalize_recovery_code("012345-6789AB-CDEFGH-JKMNP"), None, "one short");
        assert_eq!(normalize_recovery_code("012345-6789AB-CDEFGH-JKMNPU"), None, "U is not in the alphabet");
        assert_eq!(normalize_recovery_code("123456"), None);
    }

    /// ASVS 5.0 V6.5.2, V6.5.4.
    #[test]
    fn a_recovery_code_has_at_least_112_bits() {
        let bits = (RECOVERY_ALPHABET.len() as f64).log2() * (RECOVERY_CODE_GROUPS * RECOVERY_GROUP_LEN) as f64;
        assert!(bits >= 112.0, "{bits}");
    }

    #[test]
    fn only_six_digits_are_a_totp_code() {
        assert!(is_totp_code("012345"));
        assert!(!is_totp_code("01234"));
        assert!(!is_totp_code("01234a"));
        assert!(!is_totp_code("٠١٢٣٤٥"));
    }
}
