//! An in-process API over the in-memory store.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use poem::test::TestClient;
use poem::{Endpoint, Response};
use serde_json::{Value, json};

/// The document as the server serves it (what `cargo xtask openapi` writes).
pub fn openapi_yaml() -> String {
    let portal = portal_testkit::memory::memory_portal(DateTime::<Utc>::UNIX_EPOCH).0;
    portal_http::openapi(Arc::new(portal), Arc::new(portal_http::AlwaysReady), Arc::from([])).spec_yaml()
}

pub fn t0() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-04-18T09:00:00Z").unwrap().to_utc()
}

pub fn client() -> TestClient<impl Endpoint<Output = Response>> {
    let (portal, _clock) = portal_testkit::memory::memory_portal(t0());
    TestClient::new(portal_http::app(Arc::new(portal), Arc::new(portal_http::AlwaysReady)))
}

pub const PASSWORD: &str = "correct horse battery staple";

/// Signs up; returns the session token, the user id and the account id.
pub async fn signup<E: Endpoint<Output = Response>>(
    cli: &TestClient<E>,
    email: &str,
    account: &str,
) -> (String, String, String) {
    let resp = cli
        .post("/api/v1/auth/signup")
        .body_json(&json!({"email": email, "name": "Someone", "password": PASSWORD, "account_name": account}))
        .send()
        .await;
    resp.assert_status(poem::http::StatusCode::CREATED);
    let body: Value = resp.json().await.value().deserialize();
    (
        body["token"].as_str().unwrap().to_owned(),
        body["user"]["id"].as_str().unwrap().to_owned(),
        body["accounts"][0]["id"].as_str().unwrap().to_owned(),
    )
}
