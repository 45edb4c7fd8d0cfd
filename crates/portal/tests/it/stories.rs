//! The seed stories over real HTTP.

use serde_json::{Value, json};

use crate::helpers::{PASSWORD, spawn_app};

/// Seed 001: keep the account information current; email preferences; sign out and in again.
#[tokio::test]
async fn seed_001_a_customer_updates_their_profile_and_preferences() {
    let app = spawn_app().await;
    assert_eq!(app.client.get(app.url("/readyz")).send().await.unwrap().status(), 200);
    assert!(app.mail_dir.is_dir(), "the mail folder is made at start");
    let (token, _, account) = app.signup("ann@acme.example", "Ann", "Acme").await;

    let me = app.client.get(app.url("/me")).bearer_auth(&token).send().await.unwrap();
    assert_eq!(me.status(), 200);
    let etag = me.headers()["etag"].to_str().unwrap().to_owned();
    let resp = app
        .client
        .patch(app.url("/me"))
        .bearer_auth(&token)
        .header("If-Match", &etag)
        .json(&json!({"name": "Ann Smith", "phone": "+44 20 7946 0000"}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);

    let resp = app
        .client
        .put(app.url("/me/notification-preferences"))
        .bearer_auth(&token)
        .json(&json!({"opted_out": ["promotions"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);

    let resp = app
        .client
        .patch(app.url(&format!("/accounts/{account}")))
        .bearer_auth(&token)
        .json(&json!({"company": "Acme Limited", "primary_email": "accounts@acme.example"}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["primary_email"], "accounts@acme.example");

    // The change is on disk: a new session sees it.
    assert_eq!(app.client.post(app.url("/auth/logout")).bearer_auth(&token).send().await.unwrap().status(), 204);
    assert_eq!(app.client.get(app.url("/me")).bearer_auth(&token).send().await.unwrap().status(), 401);
    let login: Value = app
        .client
        .post(app.url("/auth/login"))
        .json(&json!({"email": "ANN@acme.example", "password": PASSWORD}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(login["user"]["name"], "Ann Smith");
    assert_eq!(login["accounts"][0]["display_name"], "Acme");
    app.stop().await;
}
