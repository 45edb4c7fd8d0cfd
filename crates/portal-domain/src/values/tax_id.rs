//! Tax identifiers (VAT numbers and the like), kept as text: formats differ by country.

use super::string_value;

/// Why a tax id was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TaxIdError {
    /// Nothing but white space was given.
    #[error("must not be empty")]
    Empty,
    /// Fewer or more characters than any tax id has.
    #[error("must be {min} to {max} letters and digits")]
    Length {
        /// The fewest characters accepted.
        min: usize,
        /// The most characters accepted.
        max: usize,
    },
    /// A character other than letters, digits and the separators `-`, `.`, `/`.
    #[error("must not contain {0:?}")]
    InvalidCharacter(char),
}

/// A tax id: ASCII letters, digits, `-`, `.` and `/`, spaces removed, letters upper-cased.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize, serde::Deserialize),
    serde(try_from = "String", into = "String")
)]
pub struct TaxId(String);

impl TaxId {
    /// The fewest characters accepted.
    pub const MIN_CHARS: usize = 2;
    /// The most characters accepted.
    pub const MAX_CHARS: usize = 32;
    /// The longest text accepted as typed (with spaces).
    pub const MAX_INPUT_CHARS: usize = 64;

    /// Parses a tax id as printed on an invoice.
    pub fn parse(raw: &str) -> Result<Self, TaxIdError> {
        if raw.chars().count() > Self::MAX_INPUT_CHARS {
            return Err(TaxIdError::Length { min: Self::MIN_CHARS, max: Self::MAX_CHARS });
        }
        let mut out = String::new();
        for c in raw.chars() {
            match c {
                ' ' => {}
                c if c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '/') => out.push(c.to_ascii_uppercase()),
                other => return Err(TaxIdError::InvalidCharacter(other)),
            }
            if out.len() > Self::MAX_CHARS {
                break;
            }
        }
        match out.len() {
            0 => Err(TaxIdError::Empty),
            n if !(Self::MIN_CHARS..=Self::MAX_CHARS).contains(&n) => {
                Err(TaxIdError::Length { min: Self::MIN_CHARS, max: Self::MAX_CHARS })
            }
            _ => Ok(Self(out)),
        }
    }

    /// The normalised form.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

string_value!(TaxId, TaxIdError);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spaces_go_and_letters_are_upper_cased() {
        assert_eq!(TaxId::parse("gb 123 4567 89").unwrap().as_str(), "GB123456789");
    }

    #[test]
    fn bad_tax_ids_get_their_reason() {
        assert_eq!(TaxId::parse("  "), Err(TaxIdError::Empty));
        assert_eq!(TaxId::parse("X"), Err(TaxIdError::Length { min: 2, max: 32 }));
        assert_eq!(TaxId::parse("DE#1"), Err(TaxIdError::InvalidCharacter('#')));
        assert_eq!(TaxId::parse(&"1".repeat(40)), Err(TaxIdError::Length { min: 2, max: 32 }));
        assert_eq!(TaxId::parse(&format!("GB1{}", " ".repeat(70))), Err(TaxIdError::Length { min: 2, max: 32 }));
    }
}
