//! Bodies written by `WriteJson` (one pass, for the hottest pages) must read exactly as
//! poem-openapi's `ToJSON` would have written them: same keys, same value forms.

use chrono::{DateTime, TimeZone, Utc};
use poem_openapi::types::ToJSON;
use portal_http::body::{WriteJson, json};
use portal_http::dto::{MemberPage, MemberResponse};
use proptest::prelude::*;
use uuid::Uuid;

fn written(value: &impl WriteJson) -> serde_json::Value {
    let mut out = Vec::new();
    value.write_json(&mut out);
    serde_json::from_slice(&out).unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&out)))
}

fn member(n: u128, full: bool, name: &str, at: DateTime<Utc>) -> MemberResponse {
    MemberResponse {
        user_id: Uuid::from_u128(n),
        email: format!("m{n}@example.com"),
        name: name.to_owned(),
        is_owner: n == 0,
        permissions: if full { vec!["billing.view", "users.manage"] } else { vec![] },
        role: full.then(|| format!("{name} role")),
        invited_by: full.then(|| Uuid::from_u128(7)),
        granted_by: full.then(|| Uuid::from_u128(8)),
        joined_at: at,
        ends_at: full.then_some(at),
        last_active_at: full.then(|| at + chrono::Duration::milliseconds(1)),
        version: u64::from(full) * 1_000_000_007,
    }
}

#[test]
fn a_member_page_writes_as_its_openapi_json() {
    let at = Utc.with_ymd_and_hms(2026, 11, 23, 5, 34, 47).unwrap() + chrono::Duration::nanoseconds(902_626_438);
    let plain = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
    for next_cursor in [None, Some("01a2\"quoted\"".to_owned())] {
        let page = MemberPage {
            items: vec![
                member(0, true, "Zoë \"Quoted\" \\ Name\n\u{1}", at),
                member(1, false, "Plain", plain),
                member(2, true, "Ann", plain),
            ],
            next_cursor,
        };
        assert_eq!(Some(written(&page)), page.to_json());
    }
    let empty = MemberPage { items: vec![], next_cursor: None };
    assert_eq!(Some(written(&empty)), empty.to_json());
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2_000))]

    /// Times: the same text as chrono's `to_rfc3339`, for any instant, with any fraction.
    #[test]
    fn times_write_as_rfc3339(seconds in -62_135_596_800_i64..253_402_300_799, nanos in prop_oneof![
        Just(0_u32), (0_u32..1_000).prop_map(|ms| ms * 1_000_000), (0_u32..1_000_000).prop_map(|us| us * 1_000),
        0_u32..1_000_000_000,
    ]) {
        let t = DateTime::from_timestamp(seconds, nanos).unwrap();
        let mut out = Vec::new();
        json::time(&mut out, &t);
        prop_assert_eq!(String::from_utf8(out).unwrap(), format!("\"{}\"", t.to_rfc3339()));
    }

    /// Text: any string reads back as itself.
    #[test]
    fn text_reads_back_as_itself(s in any::<String>()) {
        let mut out = Vec::new();
        json::text(&mut out, &s);
        prop_assert_eq!(serde_json::from_slice::<String>(&out).unwrap(), s);
    }
}
