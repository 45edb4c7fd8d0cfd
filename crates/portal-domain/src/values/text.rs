//! Free-text values: names and labels.

use super::string_value;

/// Why a piece of free text was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TextError {
    /// Nothing but white space was given.
    #[error("must not be empty")]
    Empty,
    /// The text is longer than allowed.
    #[error("must be at most {max} characters")]
    TooLong {
        /// The longest allowed, in characters.
        max: usize,
    },
    /// The text holds a control character (a line break, a tab, a NUL, ...).
    #[error("must not contain control characters")]
    ControlCharacter,
}

fn parse_text(raw: &str, max: usize) -> Result<String, TextError> {
    let trimmed = raw.trim();
    if trimmed.is_empty() {
        return Err(TextError::Empty);
    }
    // Bytes bound characters: count only a long text.
    if trimmed.len() > max && trimmed.chars().count() > max {
        return Err(TextError::TooLong { max });
    }
    if trimmed.chars().any(char::is_control) {
        return Err(TextError::ControlCharacter);
    }
    Ok(trimmed.to_owned())
}

macro_rules! text_value {
    ($(#[$meta:meta])* $name:ident, $max:expr) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize), serde(try_from = "String", into = "String"))]
        pub struct $name(String);

        impl $name {
            /// The longest accepted value, in characters.
            pub const MAX_CHARS: usize = $max;

            /// Trims the input and checks it is non-empty, short enough and free of control characters.
            pub fn parse(raw: &str) -> Result<Self, TextError> {
                parse_text(raw, Self::MAX_CHARS).map(Self)
            }

            /// The text, trimmed.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        string_value!($name, TextError);
    };
}

text_value!(
    /// A person's name, as they write it.
    PersonName,
    100
);
text_value!(
    /// A company or account display name.
    CompanyName,
    200
);
text_value!(
    /// The label of a membership's role ("billing", "Finance lead", ...); a label, not a grant.
    RoleLabel,
    50
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_trimmed() {
        assert_eq!(PersonName::parse("  Ada Lovelace ").map(|n| n.to_string()), Ok("Ada Lovelace".to_owned()));
    }

    #[test]
    fn blank_names_are_refused() {
        assert_eq!(PersonName::parse(" \t "), Err(TextError::Empty));
    }

    #[test]
    fn long_names_are_refused_with_the_limit() {
        assert_eq!(RoleLabel::parse(&"x".repeat(51)), Err(TextError::TooLong { max: 50 }));
        assert!(RoleLabel::parse(&"é".repeat(50)).is_ok());
    }

    #[test]
    fn control_characters_are_refused() {
        assert_eq!(CompanyName::parse("Acme\nLtd"), Err(TextError::ControlCharacter));
        assert_eq!(CompanyName::parse("Acme\0"), Err(TextError::ControlCharacter));
    }
}
