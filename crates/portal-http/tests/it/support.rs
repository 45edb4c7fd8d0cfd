//! An in-process API over the in-memory store.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use poem::test::TestClient;
use poem::{Endpoint, Response};
use portal_testkit::memory::MemoryPortal;
use serde_json::{Value, json};

/// The document as the server serves it (what `cargo xtask openapi` writes).
pub fn openapi_yaml() -> String {
    let portal = portal_testkit::memory::memory_portal(DateTime::<Utc>::UNIX_EPOCH).0;
    portal_http::openapi(Arc::new(portal), Arc::new(portal_http::AlwaysReady), Arc::from([])).spec_yaml()
}

pub fn t0() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-04-18T09:00:00Z").unwrap().to_utc()
}

/// The API in-process, and the portal behind it (whose outbox is the test's mailbox).
pub struct Api<E> {
    cli: TestClient<E>,
    pub portal: Arc<MemoryPortal>,
    /// The portal's clock, to move.
    pub clock: Arc<portal_testkit::memory::ManualClock>,
}

impl<E> std::ops::Deref for Api<E> {
    type Target = TestClient<E>;
    fn deref(&self) -> &TestClient<E> {
        &self.cli
    }
}

/// The public application with the client area on (a fixed page key: tests only).
pub fn client_with_pages() -> Api<impl Endpoint<Output = Response>> {
    client_with_pages_over(false)
}

/// [`client_with_pages`], its public URL https when `https`.
pub fn client_with_pages_over(https: bool) -> Api<impl Endpoint<Output = Response>> {
    let (portal, clock) = portal_testkit::memory::memory_portal(t0());
    let portal = Arc::new(portal);
    let settings = portal_http::HttpSettings {
        page_key: Some([9; 32]),
        secure_cookies: https,
        ..portal_http::HttpSettings::default()
    };
    let (app, _) = portal_http::apps(portal.clone(), Arc::new(portal_http::AlwaysReady), settings);
    Api { cli: TestClient::new(app), portal, clock }
}

pub fn client() -> Api<impl Endpoint<Output = Response>> {
    let (portal, clock) = portal_testkit::memory::memory_portal(t0());
    let portal = Arc::new(portal);
    Api { cli: TestClient::new(portal_http::app(portal.clone(), Arc::new(portal_http::AlwaysReady))), portal, clock }
}

pub const PASSWORD: &str = "correct horse battery staple";

/// Signs up, follows the mailed verification link and signs in, as a new customer does;
/// returns the session token, the user id and the account id.
pub async fn signup<E: Endpoint<Output = Response>>(
    api: &Api<E>,
    email: &str,
    account: &str,
) -> (String, String, String) {
    let resp = api
        .post("/api/v1/auth/signup")
        .body_json(&json!({"email": email, "name": "Someone", "password": PASSWORD, "account_name": account}))
        .send()
        .await;
    resp.assert_status(poem::http::StatusCode::ACCEPTED);
    let token = api.portal.store().link_token_for(email).expect("a verification mail");
    let resp = api.post("/api/v1/auth/verify-email").body_json(&json!({ "token": token })).send().await;
    resp.assert_status_is_ok();
    let resp = api.post("/api/v1/auth/login").body_json(&json!({"email": email, "password": PASSWORD})).send().await;
    resp.assert_status_is_ok();
    let body: Value = resp.json().await.value().deserialize();
    (
        body["token"].as_str().unwrap().to_owned(),
        body["user"]["id"].as_str().unwrap().to_owned(),
        body["accounts"][0]["id"].as_str().unwrap().to_owned(),
    )
}
