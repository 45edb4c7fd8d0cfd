//! Request fields taken as the text that was sent, documented with the form the domain accepts:
//! the domain parses them (so a bad value is a 422 naming its field, not a 400 from the parser).

use std::borrow::Cow;

use poem_openapi::registry::{MetaSchema, MetaSchemaRef};
use poem_openapi::types::{ParseError, ParseFromJSON, ParseResult, ToJSON, Type};
use serde_json::Value;

/// The longest RFC 3339 text the domain accepts: `2027-03-31T17:00:00.123456789+02:00`.
const INSTANT_MAX: usize = 35;

/// An instant as sent: documented as an RFC 3339 `date-time`, parsed by
/// [`portal_domain::values::parse_instant`] (four-digit years only, bounded).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InstantText(pub String);

impl InstantText {
    /// The instant, or a 422 naming `field`.
    pub(crate) fn parse(&self, field: &str) -> Result<chrono::DateTime<chrono::Utc>, crate::error::ApiError> {
        portal_domain::values::parse_instant(&self.0).map_err(|e| crate::error::ApiError::invalid(field, e))
    }
}

impl Type for InstantText {
    const IS_REQUIRED: bool = true;
    type RawValueType = Self;
    type RawElementValueType = Self;

    fn name() -> Cow<'static, str> {
        "string_date-time".into()
    }

    fn schema_ref() -> MetaSchemaRef {
        let mut schema = MetaSchema::new_with_format("string", "date-time");
        schema.max_length = Some(INSTANT_MAX);
        MetaSchemaRef::Inline(Box::new(schema))
    }

    fn as_raw_value(&self) -> Option<&Self::RawValueType> {
        Some(self)
    }

    fn raw_element_iter<'a>(&'a self) -> Box<dyn Iterator<Item = &'a Self::RawElementValueType> + 'a> {
        Box::new(self.as_raw_value().into_iter())
    }
}

impl ParseFromJSON for InstantText {
    fn parse_from_json(value: Option<Value>) -> ParseResult<Self> {
        match value.unwrap_or_default() {
            Value::String(text) => Ok(Self(text)),
            other => Err(ParseError::expected_type(other)),
        }
    }
}

impl ToJSON for InstantText {
    fn to_json(&self) -> Option<Value> {
        Some(Value::String(self.0.clone()))
    }
}

/// A page size as sent: documented with its bounds (1 to [`crate::extract::MAX_LIMIT`], default 50),
/// checked by the page request so that an out-of-range value is a 422 naming `limit`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageLimit(pub i64);

impl Type for PageLimit {
    const IS_REQUIRED: bool = true;
    type RawValueType = Self;
    type RawElementValueType = Self;

    fn name() -> Cow<'static, str> {
        "integer_page_limit".into()
    }

    fn schema_ref() -> MetaSchemaRef {
        let mut schema = MetaSchema::new_with_format("integer", "int32");
        schema.minimum = Some(1.0);
        schema.maximum = Some(f64::from(crate::extract::MAX_LIMIT));
        schema.default = Some(Value::from(crate::extract::DEFAULT_LIMIT));
        MetaSchemaRef::Inline(Box::new(schema))
    }

    fn as_raw_value(&self) -> Option<&Self::RawValueType> {
        Some(self)
    }

    fn raw_element_iter<'a>(&'a self) -> Box<dyn Iterator<Item = &'a Self::RawElementValueType> + 'a> {
        Box::new(self.as_raw_value().into_iter())
    }
}

impl poem_openapi::types::ParseFromParameter for PageLimit {
    fn parse_from_parameter(value: &str) -> ParseResult<Self> {
        value.trim().parse().map(Self).map_err(|_| ParseError::custom("limit must be a whole number"))
    }
}

/// A string field as sent, documented with its `maxLength` (the bound of the domain value it
/// becomes). It takes any text: the domain's parse refuses what is too long, as a 422 naming
/// the field, like any other bad value.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Text<const MAX: usize>(pub String);

impl<const MAX: usize> std::ops::Deref for Text<MAX> {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

impl<const MAX: usize> From<String> for Text<MAX> {
    fn from(text: String) -> Self {
        Self(text)
    }
}

impl<const MAX: usize> Type for Text<MAX> {
    const IS_REQUIRED: bool = true;
    type RawValueType = Self;
    type RawElementValueType = Self;

    fn name() -> Cow<'static, str> {
        format!("string_max_{MAX}").into()
    }

    fn schema_ref() -> MetaSchemaRef {
        let mut schema = MetaSchema::new("string");
        schema.max_length = Some(MAX);
        MetaSchemaRef::Inline(Box::new(schema))
    }

    fn as_raw_value(&self) -> Option<&Self::RawValueType> {
        Some(self)
    }

    fn raw_element_iter<'a>(&'a self) -> Box<dyn Iterator<Item = &'a Self::RawElementValueType> + 'a> {
        Box::new(self.as_raw_value().into_iter())
    }
}

impl<const MAX: usize> ParseFromJSON for Text<MAX> {
    /// Text only: a number or a boolean is the wrong type (400), as the document says, where
    /// poem-openapi's `String` would take it as its text.
    fn parse_from_json(value: Option<Value>) -> ParseResult<Self> {
        match value.unwrap_or_default() {
            Value::String(text) => Ok(Self(text)),
            other => Err(ParseError::expected_type(other)),
        }
    }
}

impl<const MAX: usize> ToJSON for Text<MAX> {
    fn to_json(&self) -> Option<Value> {
        Some(Value::String(self.0.clone()))
    }
}

/// The bounds of the request fields, from the domain values they become.
pub mod max {
    use portal_domain::values::{CompanyName, EmailAddress, Password, PersonName, PhoneNumber, RoleLabel, TaxId};

    /// An email address.
    pub const EMAIL: usize = EmailAddress::MAX_CHARS;
    /// A password.
    pub const PASSWORD: usize = Password::MAX_CHARS;
    /// A person's name.
    pub const PERSON: usize = PersonName::MAX_CHARS;
    /// A company or account name, an address line, a city, a subject.
    pub const COMPANY: usize = CompanyName::MAX_CHARS;
    /// A role label.
    pub const ROLE: usize = RoleLabel::MAX_CHARS;
    /// A phone number as typed.
    pub const PHONE: usize = PhoneNumber::MAX_INPUT_CHARS;
    /// A tax id as typed.
    pub const TAX_ID: usize = TaxId::MAX_INPUT_CHARS;
    /// A permission or category key.
    pub const KEY: usize = 32;
    /// A token from a link (256 bits, hex or base64, with room to spare).
    pub const TOKEN: usize = 128;
    /// A TOTP code or a recovery code, with the spaces and dashes people type.
    pub const CODE: usize = 64;
    /// A postal code.
    pub const POSTAL_CODE: usize = 16;
    /// A country code (ISO 3166-1 alpha-2).
    pub const COUNTRY: usize = 2;
}
