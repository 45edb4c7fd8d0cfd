//! Bodies sent with `Streamed` (serde, one pass) must read exactly as poem-openapi's `ToJSON`
//! would have written them: same keys, same value forms.

use chrono::{TimeZone, Utc};
use poem_openapi::types::ToJSON;
use portal_http::dto::{MemberPage, MemberResponse};
use uuid::Uuid;

fn member(n: u128, full: bool) -> MemberResponse {
    let at = Utc.with_ymd_and_hms(2026, 11, 23, 5, 34, 47).unwrap() + chrono::Duration::nanoseconds(902_626_438);
    MemberResponse {
        user_id: Uuid::from_u128(n),
        email: format!("m{n}@example.com"),
        name: "Zoë \"Quoted\" \\ Name".into(),
        is_owner: n == 0,
        permissions: if full { vec!["billing.view", "users.manage"] } else { vec![] },
        role: full.then(|| "Finance".into()),
        invited_by: full.then(|| Uuid::from_u128(7)),
        granted_by: full.then(|| Uuid::from_u128(8)),
        joined_at: if full { at } else { Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap() },
        ends_at: full.then_some(at),
        last_active_at: full.then(|| at + chrono::Duration::milliseconds(1)),
        version: u64::from(full) * 1_000_000_007,
    }
}

#[test]
fn a_member_page_streams_as_its_openapi_json() {
    for next_cursor in [None, Some("01a2".to_owned())] {
        let page = MemberPage { items: vec![member(0, true), member(1, false), member(2, true)], next_cursor };
        assert_eq!(Some(serde_json::to_value(&page).unwrap()), page.to_json());
    }
    let empty = MemberPage { items: vec![], next_cursor: None };
    assert_eq!(Some(serde_json::to_value(&empty).unwrap()), empty.to_json());
}
