//! Bad input on every body, generated from the OpenAPI document: each property of each request
//! body replaced by a wrong type, `null` or a 100,000-character string, and whole bodies replaced
//! by garbage. Sent by the account's owner (so requests get past authorization into parsing and
//! the use cases), every answer must be a problem body below 500: never a 500, never a panic.

use std::sync::Arc;

use poem::test::TestClient;
use portal_domain::Actor;
use portal_domain::permission::Role;
use portal_domain::service::{InviteOffer, Signup};
use portal_domain::values::{CompanyName, EmailAddress, PersonName};
use portal_testkit::memory::{client_at, memory_portal, verified_signup};
use serde_json::{Value, json};

use crate::openapi_gen::operations;
use crate::support::{PASSWORD, t0};

fn variants(body: &Value) -> Vec<Value> {
    let huge = "x".repeat(100_000);
    let mut out = vec![json!({}), json!([]), json!("text"), json!(42), Value::Null];
    if let Some(object) = body.as_object() {
        for key in object.keys() {
            for bad in [
                json!(12345),
                json!("not-the-right-thing"),
                json!([1, 2]),
                json!({"nested": true}),
                Value::Null,
                json!(huge),
            ] {
                let mut changed = object.clone();
                changed.insert(key.clone(), bad);
                out.push(Value::Object(changed));
            }
        }
    }
    out
}

#[tokio::test]
async fn no_body_of_any_operation_gets_a_500() {
    let (portal, _clock) = memory_portal(t0());
    let portal = Arc::new(portal);
    let cli = TestClient::new(portal_http::app(portal.clone(), Arc::new(portal_http::AlwaysReady)));
    let signup = Signup {
        email: EmailAddress::parse("alice@acme.example").unwrap(),
        name: PersonName::parse("Alice").unwrap(),
        password: PASSWORD.into(),
        account_name: CompanyName::parse("Acme").unwrap(),
        company: None,
    };
    let (alice, acme) = verified_signup(&portal, &client_at("client"), signup).await;
    let invite = portal
        .invite(
            &Actor::User(alice.id()),
            acme.id(),
            InviteOffer {
                email: EmailAddress::parse("bob@acme.example").unwrap(),
                name: None,
                permissions: Role::Billing.permissions(),
                role: None,
                access_ends_at: None,
            },
        )
        .await
        .unwrap();
    let (_, session) =
        portal.sign_in(&client_at("client"), "alice@acme.example", PASSWORD).await.unwrap().into_session().unwrap();
    let bearer = format!("Bearer {}", session.token);
    let operator = portal.create_operator_key("tests").await.unwrap();

    let doc: Value = cli.get("/api/v1/openapi.json").send().await.json().await.value().deserialize();
    let mut sent = 0;
    for op in operations(&doc).iter().filter(|op| op.body.is_some()) {
        let url = format!(
            "/api/v1{}{}",
            op.path
                .replace("{id}", &acme.id().to_string())
                .replace("{user_id}", &alice.id().to_string())
                .replace("{invite_id}", &invite.id().to_string())
                .replace("{contact_id}", &uuid::Uuid::nil().to_string()),
            op.query
        );
        for body in variants(op.body.as_ref().unwrap()) {
            let mut req = cli.request(op.method.clone(), url.clone()).body_json(&body);
            req = if op.operator {
                req.header("X-Operator-Key", &operator)
            } else {
                req.header("Authorization", &bearer)
            };
            let resp = req.send().await;
            let status = resp.0.status().as_u16();
            let content_type =
                resp.0.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
            let text = resp.0.into_body().into_string().await.unwrap();
            assert!(
                status < 500,
                "{} {} with {} answered {status}: {text}",
                op.method,
                op.path,
                body.to_string().chars().take(200).collect::<String>()
            );
            if status >= 400 {
                assert!(
                    content_type.starts_with("application/problem+json"),
                    "{} {} answered {status} as {content_type}: {text}",
                    op.method,
                    op.path
                );
            }
            sent += 1;
        }
    }
    assert!(sent >= 300, "only {sent} bad bodies sent");
}
