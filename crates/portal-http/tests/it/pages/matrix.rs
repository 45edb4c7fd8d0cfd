//! Every account page, from one table: it renders for a member who may see it, answers 403 to
//! a member without the permission, 404 to a member of another account (as the API does), and
//! sends a stranger to sign in; a form posted into another account changes nothing.

use poem::http::StatusCode;
use poem::{Endpoint, Response};
use serde_json::{Value, json};

use super::{Browser, mailed_token};
use crate::support::{Api, PASSWORD, client_with_pages, signup};

/// Each account page (`{a}` the account, `{member}` a member, `{contact}` a contact) and the
/// permission it needs.
const PAGES: &[(&str, Option<&str>)] = &[
    ("/accounts/{a}", None),
    ("/accounts/{a}/profile", Some("account.profile.manage")),
    ("/accounts/{a}/ownership", None),
    ("/accounts/{a}/users", Some("users.manage")),
    ("/accounts/{a}/users/new", Some("users.manage")),
    ("/accounts/{a}/users/{member}", Some("users.manage")),
    ("/accounts/{a}/contacts", Some("contacts.manage")),
    ("/accounts/{a}/contacts/new", Some("contacts.manage")),
    ("/accounts/{a}/contacts/{contact}", Some("contacts.manage")),
    ("/accounts/{a}/notices", Some("notices.view")),
    ("/accounts/{a}/audit", Some("audit.view")),
    ("/accounts/{a}/review", Some("audit.view")),
];

/// Ann owns Acme, where Bob and Dee are billing members and Pat has a pending invite; Carl
/// owns Beta.
pub struct World {
    pub a: String,
    pub bob: String,
    pub dee: String,
    pub invite: String,
    pub contact: String,
}

pub async fn world<E: Endpoint<Output = Response>>(api: &Api<E>) -> World {
    let (ann, _, a) = signup(api, "ann@acme.example", "Acme").await;
    signup(api, "carl@beta.example", "Beta").await;
    let auth = format!("Bearer {ann}");
    let invite = |email: &'static str| {
        api.post(format!("/api/v1/accounts/{a}/invites"))
            .header("authorization", auth.clone())
            .body_json(&json!({"email": email, "role": "billing"}))
            .send()
    };
    let mut joined = Vec::new();
    for (email, name) in [("bob@acme.example", "Bob"), ("dee@acme.example", "Dee")] {
        invite(email).await.assert_status(StatusCode::CREATED);
        let token = mailed_token(api, email);
        let resp = api
            .post("/api/v1/invites/accept")
            .body_json(&json!({"token": token, "name": name, "password": PASSWORD}))
            .send()
            .await;
        resp.assert_status(StatusCode::CREATED);
        let body: Value = resp.json().await.value().deserialize();
        joined.push(body["user"]["id"].as_str().unwrap().to_owned());
    }
    let (bob, dee) = (joined[0].clone(), joined[1].clone());
    let pending = invite("pat@acme.example").await;
    pending.assert_status(StatusCode::CREATED);
    let pending: Value = pending.json().await.value().deserialize();
    let contact = api
        .post(format!("/api/v1/accounts/{a}/contacts"))
        .header("authorization", auth.clone())
        .body_json(&json!({"name": "Finance inbox", "email": "finance@acme.example", "categories": ["billing"]}))
        .send()
        .await;
    contact.assert_status(StatusCode::CREATED);
    let contact: Value = contact.json().await.value().deserialize();
    let contact = contact["id"].as_str().unwrap().to_owned();
    World { a, bob, dee, invite: pending["id"].as_str().unwrap().to_owned(), contact }
}

fn path(template: &str, w: &World) -> String {
    template.replace("{a}", &w.a).replace("{member}", &w.dee).replace("{contact}", &w.contact)
}

#[tokio::test]
async fn every_account_page_is_in_the_table() {
    for (page, methods) in portal_http::PAGES {
        if page.starts_with("/accounts/") && methods.contains(&poem::http::Method::GET) {
            let template = page.replace(":id", "{a}").replace(":user", "{member}").replace(":contact", "{contact}");
            assert!(PAGES.iter().any(|(p, _)| *p == template), "{page} is missing from the matrix");
        }
    }
}

#[tokio::test]
async fn each_page_opens_for_whom_it_should_and_is_not_found_for_other_accounts() {
    let api = client_with_pages();
    let w = world(&api).await;
    let (mut ann, mut bob, mut carl) = (Browser::new(&api), Browser::new(&api), Browser::new(&api));
    ann.sign_in("ann@acme.example").await;
    bob.sign_in("bob@acme.example").await;
    carl.sign_in("carl@beta.example").await;
    let mut stranger = Browser::new(&api);
    for (template, permission) in PAGES {
        let page = path(template, &w);
        let (status, html) = ann.get(&page).await;
        assert_eq!(status, StatusCode::OK, "the owner at {page}: {html}");
        assert!(html.len() < 60 * 1024, "{page} weighs {} bytes", html.len());
        let (status, html) = bob.get(&page).await;
        let billing = portal_domain::permission::Role::Billing.permissions();
        let may =
            permission.is_none_or(|p| billing.contains(portal_domain::permission::Permission::from_key(p).unwrap()));
        let expected = if may { StatusCode::OK } else { StatusCode::FORBIDDEN };
        assert_eq!(status, expected, "billing Bob at {page}: {html}");
        let (status, html) = carl.get(&page).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "Carl of another account at {page}");
        assert!(!html.contains("Acme"), "the 404 at {page} names the account");
        let resp = api.get(&page).header("cookie", stranger.cookie_header()).send().await;
        resp.assert_status(StatusCode::SEE_OTHER);
        assert!(resp.0.headers()["location"].to_str().unwrap().starts_with("/sign-in?next=%2Faccounts%2F"));
        stranger.get("/sign-in").await;
    }
}

#[tokio::test]
async fn a_form_posted_into_another_account_is_not_found_and_changes_nothing() {
    let api = client_with_pages();
    let w = world(&api).await;
    let mut carl = Browser::new(&api);
    carl.sign_in("carl@beta.example").await;
    carl.get("/").await;
    let posts = [
        (format!("/accounts/{}/users/{}/remove", w.a, w.bob), vec![]),
        (format!("/accounts/{}/users/{}", w.a, w.bob), vec![("permissions", "users.manage")]),
        (format!("/accounts/{}/invites/{}/resend", w.a, w.invite), vec![]),
        (format!("/accounts/{}/invites/{}/cancel", w.a, w.invite), vec![]),
        (format!("/accounts/{}/users/new", w.a), vec![("email", "eve@evil.example"), ("role", "admin")]),
        (format!("/accounts/{}/contacts/{}/delete", w.a, w.contact), vec![]),
        (format!("/accounts/{}/contacts/new", w.a), vec![("name", "Eve"), ("email", "eve@evil.example")]),
        (format!("/accounts/{}/profile", w.a), vec![("display_name", "Evil"), ("primary_email", "eve@evil.example")]),
        (format!("/accounts/{}/close", w.a), vec![("password", crate::support::PASSWORD)]),
        (format!("/accounts/{}/leave", w.a), vec![]),
        (format!("/accounts/{}/review", w.a), vec![]),
    ];
    let before = api.portal.store().outbox().len();
    for (page, fields) in &posts {
        let (status, _, _) = carl.post(page, fields).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{page}");
    }
    assert_eq!(api.portal.store().outbox().len(), before, "a refused post sent mail");
    let mut ann = Browser::new(&api);
    ann.sign_in("ann@acme.example").await;
    let (_, users) = ann.get(&format!("/accounts/{}/users", w.a)).await;
    assert!(users.contains("bob@acme.example") && users.contains("pat@acme.example"), "{users}");
    assert!(!users.contains("eve@evil.example"));
    let (_, account) = ann.get(&format!("/accounts/{}", w.a)).await;
    assert!(account.contains("<h1>Acme</h1>"), "the profile changed: {account}");
    let (_, contacts) = ann.get(&format!("/accounts/{}/contacts", w.a)).await;
    assert!(contacts.contains("finance@acme.example") && !contacts.contains("eve@evil.example"), "{contacts}");
}
