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

/// A page size as sent: documented with its bounds (1 to [`crate::api::MAX_LIMIT`], default 50),
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
        schema.maximum = Some(f64::from(crate::api::MAX_LIMIT));
        schema.default = Some(Value::from(crate::api::DEFAULT_LIMIT));
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
