//! The authorization matrix, built from the OpenAPI document itself, so a new route is covered
//! without editing this test:
//! - every operation that declares security answers 401 with a problem body without credentials;
//! - every operation on an account's resources (`{id}`, `{user_id}`, `{invite_id}`,
//!   `{contact_id}`), called by a signed-in member of another account, answers 404 with a problem
//!   body (operator-only ones 401) and changes nothing in the account.

use std::sync::Arc;

use poem::test::TestClient;
use portal_domain::Actor;
use portal_domain::notification::{CategorySet, NotificationCategory};
use portal_domain::permission::Role;
use portal_domain::ports::Store;
use portal_domain::service::{ContactRequest, InviteOffer, Signup};
use portal_domain::values::{CompanyName, EmailAddress, PersonName};
use portal_testkit::memory::{client_at, memory_portal, verified_signup};
use serde_json::Value;

use crate::openapi_gen::operations;
use crate::support::{PASSWORD, t0};

fn signup(email: &str, account: &str) -> Signup {
    Signup {
        email: EmailAddress::parse(email).unwrap(),
        name: PersonName::parse("Someone").unwrap(),
        password: PASSWORD.into(),
        account_name: CompanyName::parse(account).unwrap(),
        company: None,
    }
}

/// ASVS 5.0 V8.2.1, V8.2.2, V8.3.1.
#[tokio::test]
async fn every_secured_operation_needs_credentials_and_nobody_reaches_another_account() {
    let (portal, _clock) = memory_portal(t0());
    let portal = Arc::new(portal);
    let cli = TestClient::new(portal_http::app(portal.clone(), Arc::new(portal_http::AlwaysReady)));

    // Alice's account with a member, an invite, a contact and some history.
    let (alice, acme) = verified_signup(&portal, &client_at("client"), signup("alice@acme.example", "Acme")).await;
    let (bob, _) = verified_signup(&portal, &client_at("client"), signup("bob@acme.example", "Bob Co")).await;
    let owner = Actor::User(alice.id());
    let invite = |email: &str| InviteOffer {
        email: EmailAddress::parse(email).unwrap(),
        name: None,
        permissions: Role::Billing.permissions(),
        role: None,
        access_ends_at: None,
    };
    portal.invite(&owner, acme.id(), invite("bob@acme.example")).await.unwrap();
    let token = portal.store().outbox().last().and_then(|m| m.message.token().map(str::to_owned));
    portal.accept_invite(bob.id(), &token.unwrap()).await.unwrap();
    let pending = portal.invite(&owner, acme.id(), invite("carol@acme.example")).await.unwrap();
    let contact = portal
        .add_contact(
            &owner,
            acme.id(),
            ContactRequest {
                name: PersonName::parse("Finance").unwrap(),
                email: EmailAddress::parse("finance@acme.example").unwrap(),
                phone: None,
                company: None,
                categories: CategorySet::of(&[NotificationCategory::Billing]),
            },
        )
        .await
        .unwrap();

    // Eve: a member of her own account only.
    let (_eve, _) = verified_signup(&portal, &client_at("client"), signup("eve@evil.example", "Evil")).await;
    let (_, eve_session) =
        portal.sign_in(&client_at("client"), "eve@evil.example", PASSWORD).await.unwrap().into_session().unwrap();
    let eve = format!("Bearer {}", eve_session.token);

    let doc: Value = cli.get("/api/v1/openapi.json").send().await.json().await.value().deserialize();
    let ops = operations(&doc);
    assert!(ops.len() >= 30, "only {} operations found", ops.len());

    let before = portal.store().account(acme.id()).await.unwrap();
    let history = portal.store().account_history(acme.id()).await.unwrap().len();
    let mut scoped = 0;
    for op in &ops {
        let concrete = op
            .path
            .replace("{id}", &acme.id().to_string())
            .replace("{user_id}", &bob.id().to_string())
            .replace("{invite_id}", &pending.id().to_string())
            .replace("{contact_id}", &contact.id().to_string());
        let url = format!("/api/v1{concrete}{}", op.query);
        let send = |auth: Option<(&str, String)>| {
            let mut req = cli.request(op.method.clone(), url.clone());
            if let Some((name, value)) = auth {
                req = req.header(name, value);
            }
            if let Some(body) = &op.body {
                req = req.body_json(body);
            }
            req.send()
        };

        if op.secured {
            let resp = send(None).await;
            resp.assert_status(poem::http::StatusCode::UNAUTHORIZED);
            resp.assert_content_type("application/problem+json");
        }

        let account_scoped = op.path.contains("{id}") && op.path.starts_with("/accounts/");
        if account_scoped {
            scoped += 1;
            let resp = send(Some(("Authorization", eve.clone()))).await;
            let expected = if op.operator { 401 } else { 404 };
            let status = resp.0.status().as_u16();
            let content_type =
                resp.0.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
            let text = resp.0.into_body().into_string().await.unwrap();
            assert_eq!(status, expected, "{} {} as a stranger: {text}", op.method, op.path);
            assert!(content_type.starts_with("application/problem+json"), "{} {}: {content_type}", op.method, op.path);
            let after = portal.store().account(acme.id()).await.unwrap();
            assert_eq!(after, before, "{} {} changed the account", op.method, op.path);
            assert_eq!(
                portal.store().account_history(acme.id()).await.unwrap().len(),
                history,
                "{} {} wrote an event",
                op.method,
                op.path
            );
        }
    }
    assert!(scoped >= 20, "only {scoped} account-scoped operations checked");
}

/// `audit.view` shows who changed what; a profile's values need `account.profile.manage` and a
/// contact's details `contacts.manage`, as everywhere else.
/// ASVS 5.0 V8.2.3.
#[tokio::test]
async fn the_audit_trail_shows_a_value_only_to_who_may_read_it_elsewhere() {
    use portal_domain::account::ProfilePatch;
    use portal_domain::permission::{Permission, PermissionSet};
    use portal_domain::values::{PhoneNumber, PostalAddress, PostalAddressInput, TaxId};

    let (portal, _clock) = memory_portal(t0());
    let portal = Arc::new(portal);
    let cli = TestClient::new(portal_http::app(portal.clone(), Arc::new(portal_http::AlwaysReady)));
    let (alice, acme) = verified_signup(&portal, &client_at("client"), signup("alice@acme.example", "Acme")).await;
    let owner = Actor::User(alice.id());
    let patch = ProfilePatch {
        phone: Some(Some(PhoneNumber::parse("+44 20 7946 0000").unwrap())),
        address: Some(Some(
            PostalAddress::parse(&PostalAddressInput {
                lines: vec!["1 Secret Street".into()],
                city: "London".into(),
                region: None,
                postal_code: Some("SW1A 1AA".into()),
                country: "GB".into(),
            })
            .unwrap(),
        )),
        tax_id: Some(Some(TaxId::parse("GB123456789").unwrap())),
        ..ProfilePatch::default()
    };
    portal.update_profile(&owner, acme.id(), patch, None).await.unwrap();
    let contact = ContactRequest {
        name: PersonName::parse("Finance").unwrap(),
        email: EmailAddress::parse("finance@acme.example").unwrap(),
        phone: Some(PhoneNumber::parse("+44 20 7946 0999").unwrap()),
        company: None,
        categories: CategorySet::of(&[NotificationCategory::Billing]),
    };
    portal.add_contact(&owner, acme.id(), contact).await.unwrap();

    // Auditors: one with audit.view only, one also holding the profile right (only the owner grants it).
    let mut tokens = Vec::new();
    for (email, permissions) in [
        ("audit@acme.example", PermissionSet::of(&[Permission::AuditView])),
        ("profile@acme.example", PermissionSet::of(&[Permission::AuditView, Permission::AccountProfileManage])),
    ] {
        let request = InviteOffer {
            email: EmailAddress::parse(email).unwrap(),
            name: None,
            permissions,
            role: None,
            access_ends_at: None,
        };
        portal.invite(&owner, acme.id(), request).await.unwrap();
        let token = portal.store().outbox().last().unwrap().message.token().unwrap().to_owned();
        portal
            .accept_invite_as_new_user(&client_at("invitee"), &token, PersonName::parse("Auditor").unwrap(), PASSWORD)
            .await
            .unwrap();
        tokens.push(format!(
            "Bearer {}",
            portal.sign_in(&client_at("client"), email, PASSWORD).await.unwrap().into_session().unwrap().1.token
        ));
    }
    let (_, alice_session) =
        portal.sign_in(&client_at("client"), "alice@acme.example", PASSWORD).await.unwrap().into_session().unwrap();
    let alice = format!("Bearer {}", alice_session.token);

    let trail = async |auth: &str| -> Value {
        let resp =
            cli.get(format!("/api/v1/accounts/{}/audit-events", acme.id())).header("Authorization", auth).send().await;
        resp.assert_status_is_ok();
        resp.json().await.value().deserialize()
    };
    let entry = |trail: &Value, kind: &str| -> Value {
        trail["items"].as_array().unwrap().iter().find(|e| e["kind"] == kind).unwrap().clone()
    };
    let secrets = ["GB123456789", "Secret Street", "+442079460000", "+442079460999"];

    let audit_only = trail(&tokens[0]).await;
    let text = audit_only.to_string();
    for secret in secrets {
        assert!(!text.contains(secret), "an audit.view-only reader sees {secret}: {text}");
    }
    let profile = entry(&audit_only, "account.profile_updated");
    assert_eq!(profile["change"], Value::Null);
    assert_eq!(profile["withheld"], serde_json::json!(["phone", "address", "tax_id"]));
    assert_eq!(profile["actor"], format!("user:{}", acme.owner()));
    assert!(entry(&audit_only, "contact.added")["withheld"].as_array().unwrap().contains(&"phone".into()));
    assert!(entry(&audit_only, "account.opened")["change"].is_null());
    // Access events carry nothing secret and stay whole.
    assert!(entry(&audit_only, "invite.accepted")["change"].is_object());

    let with_profile = trail(&tokens[1]).await;
    let text = with_profile.to_string();
    assert!(text.contains("GB123456789") && text.contains("Secret Street"), "{text}");
    assert!(!text.contains("+442079460999"), "a reader without contacts.manage sees the contact's phone: {text}");
    assert_eq!(entry(&with_profile, "account.profile_updated")["withheld"], serde_json::json!([]));

    let owner_view = trail(&alice).await.to_string();
    for secret in secrets {
        assert!(owner_view.contains(secret), "the owner does not see {secret}");
    }
}
