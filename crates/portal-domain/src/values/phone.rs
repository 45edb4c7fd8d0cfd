//! Phone numbers in E.164 form.

use super::string_value;

/// Why a phone number was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PhoneNumberError {
    /// Nothing but white space was given.
    #[error("must not be empty")]
    Empty,
    /// The number does not start with `+` (or `00`) and a country code.
    #[error("must start with + and the country code, as in +44 20 7946 0000")]
    MissingCountryCode,
    /// A character other than digits and the usual separators (space, `-`, `.`, `(`, `)`).
    #[error("must not contain {0:?}")]
    InvalidCharacter(char),
    /// Fewer digits than any real number has.
    #[error("must have at least {min} digits")]
    TooShort {
        /// The fewest digits accepted.
        min: usize,
    },
    /// More digits than E.164 allows.
    #[error("must have at most {max} digits")]
    TooLong {
        /// The most digits accepted.
        max: usize,
    },
}

/// A phone number normalised to E.164: `+` then 7 to 15 digits, the first not zero.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize, serde::Deserialize),
    serde(try_from = "String", into = "String")
)]
pub struct PhoneNumber(String);

impl PhoneNumber {
    /// The fewest digits accepted (country code included).
    pub const MIN_DIGITS: usize = 7;
    /// The most digits E.164 allows.
    pub const MAX_DIGITS: usize = 15;
    /// The longest text accepted as typed (digits with spaces, dashes, brackets).
    pub const MAX_INPUT_CHARS: usize = 32;

    /// Parses a number as a person would type it, dropping separators.
    pub fn parse(raw: &str) -> Result<Self, PhoneNumberError> {
        let raw = raw.trim();
        if raw.is_empty() {
            return Err(PhoneNumberError::Empty);
        }
        if raw.len() > Self::MAX_INPUT_CHARS && raw.chars().count() > Self::MAX_INPUT_CHARS {
            return Err(PhoneNumberError::TooLong { max: Self::MAX_DIGITS });
        }
        let rest = if let Some(rest) = raw.strip_prefix('+') {
            rest
        } else if let Some(rest) = raw.strip_prefix("00") {
            rest
        } else {
            return Err(PhoneNumberError::MissingCountryCode);
        };
        let mut digits = String::with_capacity(Self::MAX_DIGITS + 1);
        digits.push('+');
        for c in rest.chars() {
            match c {
                '0'..='9' => {
                    if digits.len() > Self::MAX_DIGITS {
                        return Err(PhoneNumberError::TooLong { max: Self::MAX_DIGITS });
                    }
                    digits.push(c);
                }
                ' ' | '-' | '.' | '(' | ')' => {}
                other => return Err(PhoneNumberError::InvalidCharacter(other)),
            }
        }
        if digits[1..].starts_with('0') {
            return Err(PhoneNumberError::MissingCountryCode);
        }
        if digits.len() - 1 < Self::MIN_DIGITS {
            return Err(PhoneNumberError::TooShort { min: Self::MIN_DIGITS });
        }
        Ok(Self(digits))
    }

    /// The E.164 form, as in `+442079460000`.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

string_value!(PhoneNumber, PhoneNumberError);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn separators_are_dropped_and_00_means_plus() {
        assert_eq!(PhoneNumber::parse(" +44 (20) 7946-0000 ").unwrap().as_str(), "+442079460000");
        assert_eq!(PhoneNumber::parse("0049 30 1234567").unwrap().as_str(), "+49301234567");
    }

    #[test]
    fn each_malformed_number_gets_its_reason() {
        use PhoneNumberError::*;
        assert_eq!(PhoneNumber::parse(""), Err(Empty));
        assert_eq!(PhoneNumber::parse("020 7946 0000"), Err(MissingCountryCode));
        assert_eq!(PhoneNumber::parse("+0 20 7946"), Err(MissingCountryCode));
        assert_eq!(PhoneNumber::parse("+44 20 79x6"), Err(InvalidCharacter('x')));
        assert_eq!(PhoneNumber::parse("+44 12"), Err(TooShort { min: 7 }));
        assert_eq!(PhoneNumber::parse("+1234567890123456"), Err(TooLong { max: 15 }));
        // Separators count towards what is typed: the text is bounded too.
        assert_eq!(PhoneNumber::parse(&format!("+44 {}", " -".repeat(20))), Err(TooLong { max: 15 }));
    }
}
