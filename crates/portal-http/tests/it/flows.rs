//! Seed 001 over HTTP: keep the profile current, with `ETag`/`If-Match`; and nobody sees another
//! customer's account.

use poem::http::StatusCode;
use serde_json::{Value, json};

use crate::support::{PASSWORD, client, signup};

#[tokio::test]
async fn a_customer_keeps_their_profile_and_account_current() {
    let cli = client();
    let (token, _, account) = signup(&cli, "ann@acme.example", "Acme").await;
    let bearer = format!("Bearer {token}");

    // My profile: name and phone.
    let resp = cli.get("/api/v1/me").header("Authorization", &bearer).send().await;
    resp.assert_status_is_ok();
    let etag = resp.0.headers().get("ETag").unwrap().to_str().unwrap().to_owned();
    let resp = cli
        .patch("/api/v1/me")
        .header("Authorization", &bearer)
        .header("If-Match", &etag)
        .body_json(&json!({"name": "Ann Smith", "phone": "+44 20 7946 0000"}))
        .send()
        .await;
    resp.assert_status_is_ok();
    let me: Value = resp.json().await.value().deserialize();
    assert_eq!(me["phone"], "+442079460000");
    // The old ETag is stale now.
    let resp = cli
        .patch("/api/v1/me")
        .header("Authorization", &bearer)
        .header("If-Match", &etag)
        .body_json(&json!({"name": "X"}))
        .send()
        .await;
    resp.assert_status(StatusCode::PRECONDITION_FAILED);

    // Email preferences: no promotions.
    let resp = cli
        .put("/api/v1/me/notification-preferences")
        .header("Authorization", &bearer)
        .body_json(&json!({"opted_out": ["promotions"]}))
        .send()
        .await;
    resp.assert_status_is_ok();
    let prefs: Value = resp.json().await.value().deserialize();
    assert_eq!(prefs["opted_out"], json!(["promotions"]));

    // The account's master profile.
    let path = format!("/api/v1/accounts/{account}");
    let resp = cli.get(&path).header("Authorization", &bearer).send().await;
    resp.assert_status_is_ok();
    let etag = resp.0.headers().get("ETag").unwrap().to_str().unwrap().to_owned();
    let update = json!({
        "company": "Acme Limited",
        "tax_id": "GB 123 4567 89",
        "address": {"lines": ["1 High Street"], "city": "London", "postal_code": "SW1A 1AA", "country": "gb"}
    });
    let resp =
        cli.patch(&path).header("Authorization", &bearer).header("If-Match", &etag).body_json(&update).send().await;
    resp.assert_status_is_ok();
    let acc: Value = resp.json().await.value().deserialize();
    assert_eq!(acc["tax_id"], "GB123456789");
    assert_eq!(acc["address"]["country"], "GB");
    let resp = cli
        .patch(&path)
        .header("Authorization", &bearer)
        .header("If-Match", &etag)
        .body_json(&json!({"company": null}))
        .send()
        .await;
    resp.assert_status(StatusCode::PRECONDITION_FAILED);

    // Sign out: the token stops working.
    cli.post("/api/v1/auth/logout").header("Authorization", &bearer).send().await.assert_status(StatusCode::NO_CONTENT);
    cli.get("/api/v1/me").header("Authorization", &bearer).send().await.assert_status(StatusCode::UNAUTHORIZED);
    let resp = cli
        .post("/api/v1/auth/login")
        .body_json(&json!({"email": "ann@acme.example", "password": PASSWORD}))
        .send()
        .await;
    resp.assert_status_is_ok();
    let login: Value = resp.json().await.value().deserialize();
    assert_eq!(login["accounts"][0]["display_name"], "Acme");
}

/// ASVS 5.0 V8.4.1.
#[tokio::test]
async fn another_customers_account_is_404_not_403() {
    let cli = client();
    let (_, _, acme) = signup(&cli, "ann@acme.example", "Acme").await;
    let (eve, _, _) = signup(&cli, "eve@evil.example", "Evil").await;
    let bearer = format!("Bearer {eve}");
    let path = format!("/api/v1/accounts/{acme}");
    let resp = cli.get(&path).header("Authorization", &bearer).send().await;
    resp.assert_status(StatusCode::NOT_FOUND);
    resp.assert_content_type("application/problem+json");
    let resp =
        cli.patch(&path).header("Authorization", &bearer).body_json(&json!({"display_name": "Pwned"})).send().await;
    resp.assert_status(StatusCode::NOT_FOUND);
    let missing = format!("/api/v1/accounts/{}", uuid::Uuid::nil());
    cli.get(&missing).header("Authorization", &bearer).send().await.assert_status(StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn wrong_passwords_and_unknown_emails_look_the_same() {
    let cli = client();
    signup(&cli, "ann@acme.example", "Acme").await;
    let a = cli
        .post("/api/v1/auth/login")
        .body_json(&json!({"email": "ann@acme.example", "password": "wrong password!!"}))
        .send()
        .await;
    a.assert_status(StatusCode::UNAUTHORIZED);
    let a: Value = a.json().await.value().deserialize();
    let b = cli
        .post("/api/v1/auth/login")
        .body_json(&json!({"email": "nobody@acme.example", "password": PASSWORD}))
        .send()
        .await;
    b.assert_status(StatusCode::UNAUTHORIZED);
    let b: Value = b.json().await.value().deserialize();
    assert_eq!(a, b);
}

#[tokio::test]
async fn too_many_sign_in_attempts_for_one_email_are_refused_with_429() {
    let cli = client();
    signup(&cli, "ann@acme.example", "Acme").await;
    for i in 0..portal_domain::service::LOGIN_ATTEMPTS {
        let resp = cli
            .post("/api/v1/auth/login")
            .body_json(&json!({"email": "ann@acme.example", "password": "wrong password!!"}))
            .send()
            .await;
        resp.assert_status(StatusCode::UNAUTHORIZED);
        let _ = i;
    }
    // Even the right password is refused now: the limit is checked before any hashing.
    let resp = cli
        .post("/api/v1/auth/login")
        .body_json(&json!({"email": "ANN@acme.example", "password": PASSWORD}))
        .send()
        .await;
    resp.assert_status(StatusCode::TOO_MANY_REQUESTS);
    resp.assert_content_type("application/problem+json");
    // Another address is not affected.
    signup(&cli, "bob@acme.example", "Bob Co").await;
    let resp = cli
        .post("/api/v1/auth/login")
        .body_json(&json!({"email": "bob@acme.example", "password": PASSWORD}))
        .send()
        .await;
    resp.assert_status_is_ok();
}

#[tokio::test]
async fn reading_an_account_records_the_members_activity_for_the_review() {
    let cli = client();
    let (token, _, account) = signup(&cli, "ann@acme.example", "Acme").await;
    let bearer = format!("Bearer {token}");
    cli.get(format!("/api/v1/accounts/{account}/users"))
        .header("Authorization", &bearer)
        .send()
        .await
        .assert_status_is_ok();
    let review: Value = cli
        .get(format!("/api/v1/accounts/{account}/access-review"))
        .header("Authorization", &bearer)
        .send()
        .await
        .json()
        .await
        .value()
        .deserialize();
    assert!(review["members"][0]["last_active_at"].is_string(), "{review}");
}

#[tokio::test]
async fn invites_waiting_for_me_are_listed_without_their_codes() {
    let cli = client();
    let (ann, _, acme) = signup(&cli, "ann@acme.example", "Acme").await;
    let (dana, _, _) = signup(&cli, "Dana@Studio.example", "Studio").await;
    let resp = cli
        .post(format!("/api/v1/accounts/{acme}/invites"))
        .header("Authorization", format!("Bearer {ann}"))
        .body_json(&json!({"email": "dana@studio.example", "role": "technical"}))
        .send()
        .await;
    resp.assert_status(StatusCode::CREATED);
    let mine: Value = cli
        .get("/api/v1/me/invites")
        .header("Authorization", format!("Bearer {dana}"))
        .send()
        .await
        .json()
        .await
        .value()
        .deserialize();
    let mine = mine.as_array().unwrap();
    assert_eq!(mine.len(), 1);
    assert_eq!(mine[0]["account_name"], "Acme");
    assert_eq!(mine[0]["invite"]["status"], "pending");
    assert!(!mine[0].to_string().contains("token"), "an invite listing shows its token: {}", mine[0]);
    let none: Value = cli
        .get("/api/v1/me/invites")
        .header("Authorization", format!("Bearer {ann}"))
        .send()
        .await
        .json()
        .await
        .value()
        .deserialize();
    assert_eq!(none, json!([]));
}
