//! Instants from outside: RFC 3339 with a four-digit year, bounded to what every store keeps
//! exactly, and the window an access end date may fall in.

use chrono::{DateTime, Datelike, Months, SubsecRound, Utc};

/// How far ahead an access end date may lie.
pub const MAX_END_DATE_YEARS: u32 = 10;

/// Why a text is not an instant this domain accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum InstantError {
    /// Not an RFC 3339 date-time with a four-digit year (`2027-03-31T17:00:00Z`).
    #[error("must be an RFC 3339 date-time with a four-digit year, such as 2027-03-31T17:00:00Z")]
    NotRfc3339,
    /// A valid text whose instant, in UTC, falls outside the years 0001 to 9999.
    #[error("must lie between the years 0001 and 9999 in UTC")]
    OutOfRange,
}

/// Why an end date is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum EndDateError {
    /// The end date is now or in the past.
    #[error("the end date must be in the future")]
    NotInFuture,
    /// The end date lies more than [`MAX_END_DATE_YEARS`] ahead.
    #[error("the end date must be at most {MAX_END_DATE_YEARS} years ahead")]
    TooFar,
}

/// The earliest and latest instants the domain accepts: whole microseconds in the years 0001 to
/// 9999 (UTC), what SQLite's text, PostgreSQL's `timestamptz` and RFC 3339 all hold exactly.
pub fn in_range(at: DateTime<Utc>) -> Result<DateTime<Utc>, InstantError> {
    if !(1..=9999).contains(&at.year()) {
        return Err(InstantError::OutOfRange);
    }
    Ok(at.trunc_subsecs(6))
}

/// Parses an RFC 3339 date-time (any offset) into UTC, refusing the extended years chrono's
/// own parser takes (`+10000-01-01T00:00:00Z`) and any instant outside [`in_range`]; fractions
/// of a microsecond are dropped.
pub fn parse_instant(raw: &str) -> Result<DateTime<Utc>, InstantError> {
    let raw = raw.trim();
    let bytes = raw.as_bytes();
    if bytes.len() < 5 || !bytes[..4].iter().all(u8::is_ascii_digit) || bytes[4] != b'-' {
        return Err(InstantError::NotRfc3339);
    }
    let parsed = DateTime::parse_from_rfc3339(raw).map_err(|_| InstantError::NotRfc3339)?;
    in_range(parsed.to_utc())
}

/// An end date of access decided at `now`: after `now`, at most [`MAX_END_DATE_YEARS`] ahead.
pub fn check_end_date(end: DateTime<Utc>, now: DateTime<Utc>) -> Result<(), EndDateError> {
    if end <= now {
        return Err(EndDateError::NotInFuture);
    }
    match now.checked_add_months(Months::new(12 * MAX_END_DATE_YEARS)) {
        Some(latest) if end <= latest => Ok(()),
        _ => Err(EndDateError::TooFar),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(raw: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(raw).map(|d| d.to_utc()).unwrap_or(DateTime::<Utc>::MIN_UTC)
    }

    #[test]
    fn a_five_digit_or_signed_year_is_refused() {
        assert_eq!(parse_instant("+10000-01-01T00:00:00Z"), Err(InstantError::NotRfc3339));
        assert_eq!(parse_instant("-0001-01-01T00:00:00Z"), Err(InstantError::NotRfc3339));
        assert_eq!(parse_instant("10000-01-01T00:00:00Z"), Err(InstantError::NotRfc3339));
        assert_eq!(parse_instant("2027-03-31"), Err(InstantError::NotRfc3339));
        assert_eq!(parse_instant(""), Err(InstantError::NotRfc3339));
    }

    #[test]
    fn an_offset_that_carries_the_instant_past_9999_is_refused() {
        assert_eq!(parse_instant("9999-12-31T23:59:59-05:00"), Err(InstantError::OutOfRange));
        assert_eq!(parse_instant("0001-01-01T00:00:00+01:00"), Err(InstantError::OutOfRange));
        assert_eq!(parse_instant("9999-12-31T18:59:59-05:00"), Ok(at("9999-12-31T23:59:59Z")));
    }

    #[test]
    fn any_offset_becomes_utc_and_nanoseconds_are_dropped() {
        assert_eq!(parse_instant("2027-03-31T19:00:00+02:00"), Ok(at("2027-03-31T17:00:00Z")));
        assert_eq!(parse_instant("2027-03-31T17:00:00.123456789Z"), Ok(at("2027-03-31T17:00:00.123456Z")));
    }

    #[test]
    fn an_end_date_lies_in_the_future_and_at_most_ten_years_ahead() {
        let now = at("2026-12-02T10:00:00Z");
        assert_eq!(check_end_date(now, now), Err(EndDateError::NotInFuture));
        assert_eq!(check_end_date(at("2036-12-02T10:00:00Z"), now), Ok(()));
        assert_eq!(check_end_date(at("2036-12-02T10:00:01Z"), now), Err(EndDateError::TooFar));
        assert_eq!(check_end_date(at("9999-12-31T23:59:59Z"), now), Err(EndDateError::TooFar));
    }
}
