//! JSON response bodies written in one pass, for the hottest pages.
//!
//! poem-openapi's `Json<T>` first builds a `serde_json::Value` tree (a map and a string
//! allocation per field), then serializes that: for a page of 50 members that was 29% of the
//! request's CPU, measured. Serde straight to bytes halved it; what was left was mostly
//! escaping strings that cannot need it (ids, times, permission keys) and formatting times
//! through `fmt`. A [`Streamed`] body is documented with `T`'s schema and written by
//! [`WriteJson`]: only text that came from a person is escaped. Every type written this way has
//! a test that its bytes read back equal to its `to_json`.

use std::marker::PhantomData;

use chrono::{DateTime, Datelike, Timelike, Utc};
use poem::{IntoResponse, Response};
use poem_openapi::payload::Payload;
use poem_openapi::registry::{MetaSchemaRef, Registry};
use poem_openapi::types::Type;
use uuid::Uuid;

/// Writes `self` as JSON: the same value poem-openapi's `ToJSON` gives.
pub trait WriteJson {
    /// Appends the JSON text of `self` to `out`.
    fn write_json(&self, out: &mut Vec<u8>);

    /// About how many bytes [`WriteJson::write_json`] writes, to size the buffer once.
    fn size_hint(&self) -> usize {
        1024
    }
}

/// A JSON body written in one pass from `B`, documented as `T` (the same JSON).
pub struct Streamed<T, B = T> {
    body: B,
    documented: PhantomData<fn() -> T>,
}

impl<T, B> Streamed<T, B> {
    /// A body that writes `body`.
    pub fn new(body: B) -> Self {
        Self { body, documented: PhantomData }
    }
}

impl<T, B: std::fmt::Debug> std::fmt::Debug for Streamed<T, B> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("Streamed").field(&self.body).finish()
    }
}

const CONTENT_TYPE: &str = "application/json; charset=utf-8";

impl<T: Type, B: Send> Payload for Streamed<T, B> {
    const CONTENT_TYPE: &'static str = CONTENT_TYPE;

    fn check_content_type(content_type: &str) -> bool {
        content_type.starts_with("application/json")
    }

    fn schema_ref() -> MetaSchemaRef {
        T::schema_ref()
    }

    fn register(registry: &mut Registry) {
        T::register(registry);
    }
}

impl<T: Type, B: WriteJson + Send> IntoResponse for Streamed<T, B> {
    fn into_response(self) -> Response {
        // Sized up front: growing from a small buffer copied a 30 KB page several times over.
        let mut body = Vec::with_capacity(self.body.size_hint());
        self.body.write_json(&mut body);
        Response::builder().content_type(CONTENT_TYPE).body(body)
    }
}

/// Pieces of JSON text.
pub mod json {
    use super::*;

    /// A string from anywhere (a name, an email): quoted and escaped.
    pub fn text(out: &mut Vec<u8>, s: &str) {
        out.push(b'"');
        let bytes = s.as_bytes();
        let mut start = 0;
        for (i, &b) in bytes.iter().enumerate() {
            let escape: &[u8] = match b {
                b'"' => b"\\\"",
                b'\\' => b"\\\\",
                b'\n' => b"\\n",
                b'\r' => b"\\r",
                b'\t' => b"\\t",
                0x08 => b"\\b",
                0x0c => b"\\f",
                0..=0x1f => {
                    out.extend_from_slice(&bytes[start..i]);
                    out.extend_from_slice(b"\\u00");
                    out.push(HEX[usize::from(b >> 4)]);
                    out.push(HEX[usize::from(b & 0xf)]);
                    start = i + 1;
                    continue;
                }
                _ => continue,
            };
            out.extend_from_slice(&bytes[start..i]);
            out.extend_from_slice(escape);
            start = i + 1;
        }
        out.extend_from_slice(&bytes[start..]);
        out.push(b'"');
    }

    const HEX: &[u8; 16] = b"0123456789abcdef";

    /// A string known to need no escaping (a catalogue key): quoted as is.
    pub fn plain(out: &mut Vec<u8>, s: &'static str) {
        debug_assert!(!s.bytes().any(|b| b == b'"' || b == b'\\' || b < 0x20));
        out.push(b'"');
        out.extend_from_slice(s.as_bytes());
        out.push(b'"');
    }

    /// An object key, `"key":`, after a `,` unless it is the first: one copy of text put
    /// together at compile time.
    macro_rules! json_key {
        ($out:expr, first, $key:literal) => {
            $out.extend_from_slice(concat!("\"", $key, "\":").as_bytes())
        };
        ($out:expr, $key:literal) => {
            $out.extend_from_slice(concat!(",\"", $key, "\":").as_bytes())
        };
    }
    pub(crate) use json_key as key;

    /// `,"key":value` when there is a value, nothing when there is none: an optional field is
    /// left out, never `null` (as the document says and poem-openapi's objects do).
    macro_rules! json_opt {
        ($out:expr, $key:literal, $value:expr, $write:expr) => {
            $crate::body::json::opt($out, concat!(",\"", $key, "\":").as_bytes(), $value, $write)
        };
    }
    pub(crate) use json_opt as opt_field;

    /// A uuid, hyphenated lower case.
    pub fn uuid(out: &mut Vec<u8>, id: &Uuid) {
        out.push(b'"');
        out.extend_from_slice(id.hyphenated().encode_lower(&mut Uuid::encode_buffer()).as_bytes());
        out.push(b'"');
    }

    /// A time as chrono's `to_rfc3339` writes it (what poem-openapi sends): seconds, then 3,
    /// 6 or 9 fraction digits as needed, then `+00:00`.
    pub fn time(out: &mut Vec<u8>, t: &DateTime<Utc>) {
        let nanos = t.nanosecond();
        // Years past 9999 and leap seconds are chrono's to write.
        if !(0..=9999).contains(&t.year()) || nanos >= 1_000_000_000 {
            text(out, &t.to_rfc3339());
            return;
        }
        let digits = |out: &mut Vec<u8>, mut n: u32, width: usize| {
            let start = out.len();
            out.resize(start + width, b'0');
            for slot in out[start..].iter_mut().rev() {
                *slot = b'0' + (n % 10) as u8;
                n /= 10;
            }
        };
        // One conversion to the calendar: each accessor of a `DateTime` converts again.
        let t = t.naive_utc();
        out.push(b'"');
        digits(out, t.year().unsigned_abs(), 4);
        out.push(b'-');
        digits(out, t.month(), 2);
        out.push(b'-');
        digits(out, t.day(), 2);
        out.push(b'T');
        digits(out, t.hour(), 2);
        out.push(b':');
        digits(out, t.minute(), 2);
        out.push(b':');
        digits(out, t.second(), 2);
        if nanos != 0 {
            out.push(b'.');
            if nanos.is_multiple_of(1_000_000) {
                digits(out, nanos / 1_000_000, 3);
            } else if nanos.is_multiple_of(1_000) {
                digits(out, nanos / 1_000, 6);
            } else {
                digits(out, nanos, 9);
            }
        }
        out.extend_from_slice(b"+00:00\"");
    }

    /// `key` and the value as `write` writes it, or nothing (see `opt_field!`).
    pub fn opt<T: ?Sized>(out: &mut Vec<u8>, key: &[u8], value: Option<&T>, write: impl FnOnce(&mut Vec<u8>, &T)) {
        if let Some(v) = value {
            out.extend_from_slice(key);
            write(out, v);
        }
    }

    /// A whole number.
    pub fn number(out: &mut Vec<u8>, mut n: u64) {
        let mut digits = [0u8; 20];
        let mut at = digits.len();
        loop {
            at -= 1;
            digits[at] = b'0' + (n % 10) as u8;
            n /= 10;
            if n == 0 {
                break;
            }
        }
        out.extend_from_slice(&digits[at..]);
    }

    /// `true` or `false`.
    pub fn boolean(out: &mut Vec<u8>, b: bool) {
        out.extend_from_slice(if b { b"true" } else { b"false" });
    }
}
