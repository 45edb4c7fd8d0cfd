//! Rows of the in-line reads as the entities' models: the column list of a `SELECT` comes from
//! the entity's columns, and the decoding of its row from the entity's `model!` (its fields in
//! the same order), so a new column is its migration and its entity, nothing here.

use std::sync::LazyLock;

use chrono::{DateTime, NaiveDate, Utc};
use rusqlite::Row;
use rusqlite::types::{Type, ValueRef};
use sea_orm::{EntityTrait, IdenStatic, Iterable};
use uuid::Uuid;

use crate::entity::{invites, memberships, sessions, users};

/// A model the fast path reads from a row: implemented by the entities' `model!` (their
/// fields in order), so the decoding follows the entity.
pub(crate) trait Decode: Sized {
    /// The model whose columns start at column `at` of `r`.
    fn decode(r: &Row<'_>, at: usize) -> rusqlite::Result<Self>;
}

/// One column's value as the model holds it.
pub(crate) trait Cell: Sized {
    /// Column `i` of `r`.
    fn read(r: &Row<'_>, i: usize) -> rusqlite::Result<Self>;
}

macro_rules! plain_cell {
    ($($ty:ty),*) => {$(
        impl Cell for $ty {
            fn read(r: &Row<'_>, i: usize) -> rusqlite::Result<Self> {
                r.get(i)
            }
        }
    )*};
}
plain_cell!(String, Uuid, bool, i16, i32, i64);

impl Cell for DateTime<Utc> {
    fn read(r: &Row<'_>, i: usize) -> rusqlite::Result<Self> {
        time(r, i)
    }
}

impl<T: Cell> Cell for Option<T> {
    fn read(r: &Row<'_>, i: usize) -> rusqlite::Result<Self> {
        match r.get_ref(i)? {
            ValueRef::Null => Ok(None),
            _ => T::read(r, i).map(Some),
        }
    }
}

/// An entity's column list, in its own order (the order its `model!` decodes).
pub(crate) struct Layout<E: EntityTrait> {
    columns: Vec<E::Column>,
}

impl<E: EntityTrait> Layout<E>
where
    E::Model: Decode,
{
    fn new() -> Self {
        Self { columns: E::Column::iter().collect() }
    }

    /// How many columns a row of this entity takes.
    pub(crate) fn len(&self) -> usize {
        self.columns.len()
    }

    /// The column list for a `SELECT`, each name behind `prefix` (`"u."`, or `""`).
    pub(crate) fn select(&self, prefix: &str) -> String {
        self.columns.iter().map(|c| format!("{prefix}{}", c.as_str())).collect::<Vec<_>>().join(", ")
    }

    /// The model whose columns start at column `at` of `r`.
    pub(crate) fn decode(&self, r: &Row<'_>, at: usize) -> rusqlite::Result<E::Model> {
        E::Model::decode(r, at)
    }
}

/// The users table's layout.
pub(crate) static USERS: LazyLock<Layout<users::Entity>> = LazyLock::new(Layout::new);
/// The memberships table's layout.
pub(crate) static MEMBERSHIPS: LazyLock<Layout<memberships::Entity>> = LazyLock::new(Layout::new);
/// The invites table's layout.
pub(crate) static INVITES: LazyLock<Layout<invites::Entity>> = LazyLock::new(Layout::new);
/// The sessions table's layout.
pub(crate) static SESSIONS: LazyLock<Layout<sessions::Entity>> = LazyLock::new(Layout::new);

/// A time as sqlx writes it (RFC 3339). rusqlite's own chrono decoding goes through a
/// strftime-style format parser, which measured at 7% of a members-page request.
fn time(r: &Row<'_>, i: usize) -> rusqlite::Result<DateTime<Utc>> {
    let text = r.get_ref(i)?.as_str()?;
    if let Some(t) = utc_time(text) {
        return Ok(t);
    }
    // chrono's lenient parse, as sqlx's own decoding on the other read path: both read every
    // form either could have written (years past 9999 as `+10000-…`, from before the domain
    // bounded its instants, among them).
    text.parse::<DateTime<chrono::FixedOffset>>()
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| rusqlite::Error::FromSqlConversionFailure(i, Type::Text, Box::new(e)))
}

/// `YYYY-MM-DDTHH:MM:SS[.fraction]+00:00`, the form sqlx writes a UTC time in, read without
/// chrono's general parser; `None` for anything else (chrono then reads it, or refuses it).
pub(super) fn utc_time(text: &str) -> Option<DateTime<Utc>> {
    let body = text.strip_suffix("+00:00")?.as_bytes();
    let number = |digits: &[u8]| -> Option<u32> {
        digits.iter().try_fold(0_u32, |n, &d| d.is_ascii_digit().then(|| n * 10 + u32::from(d - b'0')))
    };
    let field = |from: usize, to: usize| body.get(from..to).and_then(number);
    if body.len() < 19 || body[4] != b'-' || body[7] != b'-' || body[10] != b'T' || body[13] != b':' || body[16] != b':'
    {
        return None;
    }
    let nanos = match &body[19..] {
        [] => 0,
        [b'.', digits @ ..] if (1..=9).contains(&digits.len()) => {
            number(digits)? * 10_u32.pow(u32::try_from(9 - digits.len()).ok()?)
        }
        _ => return None,
    };
    let date = NaiveDate::from_ymd_opt(i32::try_from(field(0, 4)?).ok()?, field(5, 7)?, field(8, 10)?)?;
    // A leap second (:60) is left to chrono.
    Some(date.and_hms_nano_opt(field(11, 13)?, field(14, 16)?, field(17, 19)?, nanos)?.and_utc())
}

#[cfg(test)]
mod tests {
    use chrono::{DateTime, SecondsFormat, Utc};
    use proptest::prelude::*;

    use super::utc_time;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(5_000))]

        /// Whatever sqlx writes (any instant, any fraction) reads back as that instant.
        #[test]
        fn written_times_read_back(seconds in 0_i64..253_402_300_799, nanos in prop_oneof![
            Just(0_u32), (0_u32..1_000).prop_map(|ms| ms * 1_000_000), (0_u32..1_000_000).prop_map(|us| us * 1_000),
            0_u32..1_000_000_000,
        ]) {
            let t = DateTime::from_timestamp(seconds, nanos).unwrap();
            prop_assert_eq!(utc_time(&t.to_rfc3339_opts(SecondsFormat::AutoSi, false)), Some(t));
            for form in [SecondsFormat::Secs, SecondsFormat::Millis, SecondsFormat::Nanos] {
                let text = t.to_rfc3339_opts(form, false);
                prop_assert_eq!(utc_time(&text), Some(text.parse::<DateTime<Utc>>().unwrap()));
            }
        }

        /// On any other text it never disagrees with chrono: it answers as chrono does, or not at all.
        #[test]
        fn other_text_is_left_to_chrono(text in "[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}:[0-9]{2}(\\.[0-9]{0,11})?(Z|[+-][0-9]{2}:[0-9]{2})") {
            if let Some(t) = utc_time(&text) {
                prop_assert_eq!(Some(t), DateTime::parse_from_rfc3339(&text).ok().map(|t| t.with_timezone(&Utc)));
            }
        }
    }
}
