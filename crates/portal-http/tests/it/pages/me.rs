//! My profile, email preferences, password, sessions and two-factor through the forms.

use poem::http::StatusCode;

use portal_domain::ports::Store as _;

use super::Browser;
use crate::support::{PASSWORD, client_with_pages, signup};

#[tokio::test]
async fn each_profile_page_opens_signed_in_and_sends_a_stranger_to_sign_in() {
    let api = client_with_pages();
    signup(&api, "ann@acme.example", "Acme").await;
    let mut ann = Browser::new(&api);
    ann.sign_in("ann@acme.example").await;
    let mine: Vec<&str> = portal_http::PAGES
        .iter()
        .filter(|(path, methods)| {
            path.starts_with("/me") && !path.contains(':') && methods.contains(&poem::http::Method::GET)
        })
        .map(|(path, _)| *path)
        .collect();
    assert!(mine.len() >= 6, "{mine:?}");
    for path in mine {
        let (status, html) = ann.get(path).await;
        assert_eq!(status, StatusCode::OK, "{path}: {html}");
        assert!(html.len() < 60 * 1024, "{path} weighs {} bytes", html.len());
        let resp = api.get(path).send().await;
        resp.assert_status(StatusCode::SEE_OTHER);
    }
}

#[tokio::test]
async fn a_name_is_saved_escaped_and_promotions_can_be_turned_off_but_not_security() {
    let api = client_with_pages();
    let (_, user, _) = signup(&api, "ann@acme.example", "Acme").await;
    let mut ann = Browser::new(&api);
    ann.sign_in("ann@acme.example").await;
    let (_, page) = ann.get("/me").await;
    let version = super::hidden(&page, "version").unwrap();
    let (status, _, _) =
        ann.post("/me", &[("name", "Ann <b>Bold</b>"), ("phone", "+1 555 0100"), ("version", &version)]).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (_, page) = ann.get("/me").await;
    assert!(page.contains("value=\"Ann &#60;b&#62;Bold&#60;/b&#62;\""), "{page}");
    let (status, _, page) = ann.post("/me", &[("name", ""), ("version", &version)]).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains("id=\"name-error\""), "{page}");

    let (_, page) = ann.get("/me/preferences").await;
    assert!(page.contains("id=\"c-security\" checked disabled"), "security is not shown as always on: {page}");
    let version = super::hidden(&page, "version").unwrap();
    let every_but_promotions = ["account", "billing", "support", "services", "projects", "product-news"];
    let mut fields: Vec<(&str, &str)> = every_but_promotions.iter().map(|k| ("receive", *k)).collect();
    fields.push(("version", &version));
    let (status, _, _) = ann.post("/me/preferences", &fields).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let id = portal_domain::ids::UserId::from_uuid(user.parse().unwrap());
    let prefs = api.portal.store().user(id).await.unwrap().unwrap().preferences();
    assert!(!prefs.receives(portal_domain::notification::NotificationCategory::Promotions));
    assert!(prefs.receives(portal_domain::notification::NotificationCategory::ProductNews));
    // Nothing ticked turns everything but security off; security stays.
    let (_, page) = ann.get("/me/preferences").await;
    let version = super::hidden(&page, "version").unwrap();
    let (status, _, _) = ann.post("/me/preferences", &[("version", &version)]).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let prefs = api.portal.store().user(id).await.unwrap().unwrap().preferences();
    assert!(prefs.receives(portal_domain::notification::NotificationCategory::Security));
    assert!(!prefs.receives(portal_domain::notification::NotificationCategory::Billing));
}

#[tokio::test]
async fn a_password_change_needs_the_current_one_and_signs_out_the_other_sessions() {
    let api = client_with_pages();
    signup(&api, "ann@acme.example", "Acme").await;
    let (mut here, mut there) = (Browser::new(&api), Browser::new(&api));
    here.sign_in("ann@acme.example").await;
    there.sign_in("ann@acme.example").await;
    let (_, sessions) = here.get("/me/sessions").await;
    assert!(sessions.contains("this session") && sessions.contains("Sign out everywhere else"), "{sessions}");
    here.get("/me/password").await;
    let (status, _, page) = here
        .post("/me/password", &[("current_password", "not it at all"), ("password", "another long passphrase")])
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(page.contains("id=\"current_password-error\""), "{page}");
    let (status, location, _) =
        here.post("/me/password", &[("current_password", PASSWORD), ("password", "another long passphrase")]).await;
    assert_eq!((status, location.as_deref()), (StatusCode::SEE_OTHER, Some("/me?done=password-changed")));
    assert_eq!(here.get("/me").await.0, StatusCode::OK, "this session ended");
    assert_eq!(there.get("/me").await.0, StatusCode::SEE_OTHER, "the other session outlived the change");
}

#[tokio::test]
async fn two_factor_shows_an_inline_qr_code_and_the_recovery_codes_once() {
    let api = client_with_pages();
    signup(&api, "ann@acme.example", "Acme").await;
    let mut ann = Browser::new(&api);
    ann.sign_in("ann@acme.example").await;
    ann.get("/me/two-factor").await;
    let (status, _, page) = ann.post("/me/two-factor/start", &[]).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("<svg role=\"img\" aria-label=\"QR code for your authenticator app\""), "{page}");
    assert!(!page.contains("<?xml"), "the SVG's prologue is in the page");
    let at = page.find("id=\"totp-secret\">").unwrap() + "id=\"totp-secret\">".len();
    let secret = page[at..].split('<').next().unwrap().to_owned();
    let code = portal_testkit::memory::FakeTotp::code(&secret, api.portal.now());
    let (status, _, page) = ann.post("/me/two-factor/confirm", &[("code", &code)]).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(page.matches("<li><code>").count(), 10, "{page}");
    let (_, page) = ann.get("/me/two-factor").await;
    assert!(page.contains("Turn it off") && !page.contains("<li><code>"), "the codes are shown again");
}
