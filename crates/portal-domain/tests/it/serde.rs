//! Behind the `serde` feature, nothing deserializes around a parser or a rule.

use portal_domain::account::Account;
use portal_domain::notification::NotificationPreferences;
use portal_domain::permission::{PermissionSet, Role};
use portal_domain::values::{EmailAddress, PhoneNumber};

use crate::fixtures::*;

#[test]
fn values_deserialize_only_through_their_parsers() {
    let e: EmailAddress = serde_json::from_str("\" Ann@Example.com \"").unwrap();
    assert_eq!(e.normalized(), "ann@example.com");
    assert!(serde_json::from_str::<EmailAddress>("\"not an email\"").is_err());
    assert!(serde_json::from_str::<PhoneNumber>("\"12\"").is_err());
    let p: PhoneNumber = serde_json::from_str("\"+44 20 7946 0000\"").unwrap();
    assert_eq!(serde_json::to_string(&p).unwrap(), "\"+442079460000\"");
}

#[test]
fn permissions_travel_as_their_keys() {
    let set = Role::Billing.permissions();
    let json = serde_json::to_string(&set).unwrap();
    assert!(json.contains("\"billing.view\""));
    assert_eq!(serde_json::from_str::<PermissionSet>(&json).unwrap(), set);
    assert!(serde_json::from_str::<PermissionSet>("[\"billing.steal\"]").is_err());
}

#[test]
fn preferences_cannot_opt_out_of_security_by_payload() {
    assert!(serde_json::from_str::<NotificationPreferences>(r#"{"opted_out":["security"]}"#).is_err());
    let p: NotificationPreferences = serde_json::from_str(r#"{"opted_out":["promotions"]}"#).unwrap();
    assert!(!p.receives(portal_domain::notification::NotificationCategory::Promotions));
}

#[test]
fn an_account_snapshot_round_trips_and_an_ownerless_one_is_refused() {
    let mut a = account();
    join(&mut a, 2, Role::Admin.permissions());
    let json = serde_json::to_value(&a).unwrap();
    assert_eq!(serde_json::from_value::<Account>(json.clone()).unwrap(), a);
    let mut broken = json;
    broken["owner"] = serde_json::to_value(user(2)).unwrap();
    let err = serde_json::from_value::<Account>(broken).unwrap_err().to_string();
    assert!(err.contains("not every permission"), "{err}");
}

#[test]
fn clearing_a_field_and_leaving_it_stay_different_on_the_wire() {
    use portal_domain::account::{AccountChange, ProfilePatch};
    let cleared = AccountChange::MemberEdited { user: user(2), permissions: None, role: Some(None), ends_at: None };
    let json = serde_json::to_string(&cleared).unwrap();
    assert_eq!(serde_json::from_str::<AccountChange>(&json).unwrap(), cleared, "{json}");
    let left = AccountChange::MemberEdited { user: user(2), permissions: None, role: None, ends_at: None };
    let json = serde_json::to_string(&left).unwrap();
    assert_eq!(serde_json::from_str::<AccountChange>(&json).unwrap(), left, "{json}");
    let patch = ProfilePatch { phone: Some(None), ..ProfilePatch::default() };
    let json = serde_json::to_string(&patch).unwrap();
    assert_eq!(serde_json::from_str::<ProfilePatch>(&json).unwrap(), patch, "{json}");
}

#[test]
fn a_client_deserializes_only_within_its_bounds() {
    let long = "x".repeat(10_000);
    let json = format!(r#"{{"address":"10.0.0.1\u0007","user_agent":"{long}"}}"#);
    let client: portal_domain::values::ClientInfo = serde_json::from_str(&json).unwrap();
    assert_eq!(client.address(), "10.0.0.1");
    assert_eq!(client.user_agent().len(), portal_domain::values::MAX_USER_AGENT);
}
