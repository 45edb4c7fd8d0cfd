//! Bodies written by `WriteJson` (one pass, for the hottest pages) must read exactly as
//! poem-openapi's `ToJSON` would have written them: same keys, same value forms.

use chrono::{DateTime, TimeZone, Utc};
use poem_openapi::types::ToJSON;
use portal_domain::account::{Membership, MembershipParts};
use portal_domain::ids::UserId;
use portal_domain::permission::{PermissionSet, Role};
use portal_domain::ports::Page;
use portal_domain::service::MemberView;
use portal_domain::values::{EmailAddress, PersonName, RoleLabel};
use portal_http::body::{WriteJson, json};
use portal_http::routes::{MemberPage, MemberResponse, MemberViews};
use proptest::prelude::*;
use uuid::Uuid;

fn written(value: &impl WriteJson) -> serde_json::Value {
    let mut out = Vec::new();
    value.write_json(&mut out);
    serde_json::from_slice(&out).unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&out)))
}

fn view(n: u128, full: bool, name: &str, at: DateTime<Utc>) -> MemberView {
    let uid = |n: u128| UserId::from_uuid(Uuid::from_u128(n));
    let permissions = if full { Role::Billing.permissions() } else { PermissionSet::of(&[]) };
    MemberView {
        membership: Membership::restore(MembershipParts {
            user: uid(n),
            permissions,
            role: full.then(|| RoleLabel::parse(&format!("{} role", name.trim())).unwrap()),
            invited_by: full.then(|| uid(7)),
            invite: None,
            granted_by: full.then(|| uid(8)),
            joined_at: at,
            ends_at: full.then_some(at),
            last_active_at: full.then(|| at + chrono::Duration::milliseconds(1)),
            version: u64::from(full) * 1_000_000_007,
        }),
        email: EmailAddress::parse(&format!("M{n}@Example.com")).unwrap(),
        name: PersonName::parse(name).unwrap(),
        is_owner: n == 0,
    }
}

#[test]
fn a_member_page_writes_as_its_openapi_json() {
    let at = Utc.with_ymd_and_hms(2026, 11, 23, 5, 34, 47).unwrap() + chrono::Duration::nanoseconds(902_626_438);
    let plain = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
    let items =
        vec![view(0, true, "Zoë \"Quoted\" \\ Name", at), view(1, false, "Plain", plain), view(2, true, "Ann", plain)];
    for next in [None, Some(UserId::from_uuid(Uuid::from_u128(2)))] {
        let page = Page { items: items.clone(), next };
        let documented = MemberPage::new(page.items.iter().map(MemberResponse::from).collect(), next);
        assert_eq!(Some(written(&MemberViews(page))), documented.to_json());
    }
    let empty = MemberViews(Page { items: vec![], next: None });
    assert_eq!(Some(written(&empty)), MemberPage::new(vec![], None::<UserId>).to_json());
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

    /// Whole numbers: the same digits as `Display`.
    #[test]
    fn numbers_write_as_displayed(n in prop_oneof![Just(0_u64), Just(u64::MAX), any::<u64>()]) {
        let mut out = Vec::new();
        json::number(&mut out, n);
        prop_assert_eq!(String::from_utf8(out).unwrap(), n.to_string());
    }

    /// Pages whose members share, repeat and change permission sets (a set repeated from the
    /// row before is copied from the output) and versions of any size.
    #[test]
    fn member_pages_write_as_their_openapi_json(
        rows in prop::collection::vec((0_usize..4, any::<u64>()), 0..12),
    ) {
        let sets = [
            PermissionSet::of(&[]),
            Role::Billing.permissions(),
            PermissionSet::ALL,
            PermissionSet::from_bits(0b101).unwrap(),
        ];
        let at = Utc.with_ymd_and_hms(2026, 11, 23, 5, 34, 47).unwrap();
        let items: Vec<MemberView> = rows
            .iter()
            .enumerate()
            .map(|(n, (set, version))| {
                let mut v = view(n as u128, n % 2 == 0, "Member", at);
                let parts = MembershipParts {
                    user: v.membership.user(),
                    permissions: sets[*set],
                    role: None,
                    invited_by: None,
                    invite: None,
                    granted_by: None,
                    joined_at: at,
                    ends_at: None,
                    last_active_at: None,
                    version: *version,
                };
                v.membership = Membership::restore(parts);
                v
            })
            .collect();
        let page = Page { items, next: None };
        let documented = MemberPage::new(page.items.iter().map(MemberResponse::from).collect(), None::<UserId>);
        prop_assert_eq!(Some(written(&MemberViews(page))), documented.to_json());
    }
}
