//! Signing in and out by the forms, with the cookie, CSRF and same-origin rules every form
//! keeps, and the policy headers and static files of every page.

use poem::http::StatusCode;
use serde_json::json;

use super::{Browser, set_cookies};
use crate::support::{PASSWORD, client_with_pages, client_with_pages_over, signup};

#[tokio::test]
async fn the_sign_in_page_renders_under_its_policy_and_the_static_files_are_cached() {
    let api = client_with_pages();
    let resp = api.get("/sign-in").send().await;
    resp.assert_status_is_ok();
    let headers = resp.0.headers().clone();
    assert_eq!(
        headers["content-security-policy"],
        "default-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'"
    );
    assert_eq!(headers["cache-control"], "no-store");
    assert!(headers["vary"].to_str().unwrap().contains("HX-Request"));
    assert!(headers["content-type"].to_str().unwrap().starts_with("text/html"));
    let html = resp.0.into_body().into_string().await.unwrap();
    assert!(html.len() < 60 * 1024, "{} bytes", html.len());
    for needle in ["<label for=\"email\">", "<label for=\"password\">", "type=\"password\"", "aria-live=\"polite\""] {
        assert!(html.contains(needle), "the page lacks {needle}");
    }
    let js = api.get("/static/htmx-2.0.4.min.js").send().await;
    js.assert_status_is_ok();
    assert_eq!(js.0.headers()["cache-control"], "public, max-age=86400");
    let bytes = js.0.into_body().into_vec().await.unwrap();
    let vendored = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/static/htmx-2.0.4.min.js")).unwrap();
    assert_eq!(bytes, vendored);
    let css = api.get("/static/portal.css").send().await;
    css.assert_status_is_ok();
    assert!(css.0.headers()["content-type"].to_str().unwrap().starts_with("text/css"));
    api.get("/static/nothing.js").send().await.assert_status(StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn signing_in_by_the_form_sets_a_session_cookie_and_shows_the_account_escaped() {
    let api = client_with_pages();
    signup(&api, "ann@acme.example", "<script>alert('acme')</script>").await;
    let mut browser = Browser::new(&api);
    browser.get("/sign-in").await;
    let form = [("csrf", browser.csrf.clone())];
    let resp = api
        .post("/sign-in")
        .header("cookie", browser.cookie_header())
        .header("sec-fetch-site", "same-origin")
        .form(&[("csrf", form[0].1.as_str()), ("email", "ann@acme.example"), ("password", PASSWORD)])
        .send()
        .await;
    resp.assert_status(StatusCode::SEE_OTHER);
    let session = set_cookies(&resp).into_iter().find(|(n, _, _)| n == "portal_session").expect("a session cookie");
    let attributes = session.2.to_ascii_lowercase();
    for attribute in ["httponly", "samesite=lax", "path=/"] {
        assert!(attributes.contains(attribute), "the session cookie lacks {attribute}: {attributes}");
    }
    assert!(!attributes.contains("secure"), "an http public URL gets no Secure cookie");
    browser.cookies.push(("portal_session".into(), session.1.clone()));
    // One account: the picker goes straight to it.
    let (status, html) = browser.visit("/").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("&#60;script&#62;alert(&#39;acme&#39;)&#60;/script&#62;"), "{html}");
    assert!(!html.contains("<script>alert"), "a hostile account name reached the page unescaped");
    // The JSON API ignores the cookie: it takes bearer tokens only.
    let me = api.get("/api/v1/me").header("cookie", browser.cookie_header()).send().await;
    me.assert_status(StatusCode::UNAUTHORIZED);

    // Signing out ends the session; the picker then sends you to sign in.
    let (status, location, _) = browser.post("/sign-out", &[]).await;
    assert_eq!((status, location.as_deref()), (StatusCode::SEE_OTHER, Some("/sign-in?done=signed-out")));
    assert!(api.portal.authenticate(&session.1).await.is_err(), "the session outlived sign-out");
    assert!(browser.session().is_none(), "the cookie outlived sign-out");
    let resp = api.get("/").header("cookie", format!("portal_session={}", session.1)).send().await;
    resp.assert_status(StatusCode::SEE_OTHER);
    assert_eq!(resp.0.headers()["location"], "/sign-in");
}

#[tokio::test]
async fn a_wrong_password_shows_the_api_s_wording_on_the_form() {
    let api = client_with_pages();
    signup(&api, "ann@acme.example", "Acme").await;
    let mut browser = Browser::new(&api);
    browser.get("/sign-in").await;
    let (status, _, html) =
        browser.post("/sign-in", &[("email", "ann@acme.example"), ("password", "not the password")]).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let api_says = api
        .post("/api/v1/auth/login")
        .body_json(&json!({"email": "ann@acme.example", "password": "not the password"}))
        .send()
        .await
        .json()
        .await
        .value()
        .object()
        .get("detail")
        .string()
        .to_owned();
    assert!(html.contains(&format!("<p class=\"error\" role=\"alert\">{api_says}</p>")), "{html}");
    assert!(html.contains("value=\"ann@acme.example\""), "the form forgot the address typed");
    assert!(browser.session().is_none());
}

#[tokio::test]
async fn a_form_without_its_token_or_from_another_site_is_refused() {
    let api = client_with_pages();
    signup(&api, "ann@acme.example", "Acme").await;
    let mut browser = Browser::new(&api);
    browser.get("/sign-in").await;
    let csrf = browser.csrf.clone();
    let post = |token: &str, site: Option<&str>, origin: Option<&str>| {
        let mut req = api
            .post("/sign-in")
            .header("cookie", browser.cookie_header())
            .header("host", "portal.example")
            .form(&[("csrf", token), ("email", "ann@acme.example"), ("password", PASSWORD)]);
        if let Some(site) = site {
            req = req.header("sec-fetch-site", site);
        }
        if let Some(origin) = origin {
            req = req.header("origin", origin);
        }
        req.send()
    };
    post("", Some("same-origin"), None).await.assert_status(StatusCode::FORBIDDEN);
    post("forged-token", Some("same-origin"), None).await.assert_status(StatusCode::FORBIDDEN);
    post(&csrf, Some("cross-site"), None).await.assert_status(StatusCode::FORBIDDEN);
    post(&csrf, Some("same-site"), None).await.assert_status(StatusCode::FORBIDDEN);
    // A browser that sends no Sec-Fetch-Site, posting from another origin, then from this one.
    post(&csrf, None, Some("https://evil.example")).await.assert_status(StatusCode::FORBIDDEN);
    post(&csrf, None, Some("http://portal.example")).await.assert_status(StatusCode::SEE_OTHER);
    // Another browser's token does not pass with this browser's cookie.
    let mut other = Browser::new(&api);
    other.get("/sign-in").await;
    post(&other.csrf, Some("same-origin"), None).await.assert_status(StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn a_form_over_the_body_limit_is_refused_as_too_large_not_as_expired() {
    let api = client_with_pages();
    let mut browser = Browser::new(&api);
    browser.get("/sign-in").await;
    let name = "n".repeat(portal_http::transport::DEFAULT_MAX_BODY_BYTES);
    let (status, _, text) = browser.post("/sign-up", &[("name", &name), ("email", "ann@acme.example")]).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{text}");
}

#[tokio::test]
async fn with_two_factor_on_the_form_asks_for_the_code_and_then_signs_in() {
    let api = client_with_pages();
    let (bearer, _, account) = signup(&api, "ann@acme.example", "Acme").await;
    let enrolment = api.post("/api/v1/me/mfa/totp").header("authorization", format!("Bearer {bearer}")).send().await;
    let secret = enrolment.json().await.value().object().get("secret").string().to_owned();
    let code = portal_testkit::memory::FakeTotp::code(&secret, api.portal.now());
    let confirm = api
        .post("/api/v1/me/mfa/totp/confirm")
        .header("authorization", format!("Bearer {bearer}"))
        .body_json(&json!({ "code": code }))
        .send()
        .await;
    confirm.assert_status_is_ok();
    api.clock.advance(chrono::Duration::seconds(30));

    let mut browser = Browser::new(&api);
    browser.get(&format!("/accounts/{account}/users")).await;
    browser.get(&format!("/sign-in?next=/accounts/{account}/users")).await;
    let next = format!("/accounts/{account}/users");
    let (status, _, html) =
        browser.post("/sign-in", &[("email", "ann@acme.example"), ("password", PASSWORD), ("next", &next)]).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("<label for=\"code\">"), "{html}");
    assert!(browser.session().is_none(), "a session before the code");
    let ticket = super::hidden(&html, "ticket").unwrap();
    let (status, _, html) =
        browser.post("/sign-in/code", &[("ticket", &ticket), ("code", "000000"), ("next", &next)]).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(html.contains("aria-invalid=\"true\""), "the wrong code is not shown at its field: {html}");
    let code = portal_testkit::memory::FakeTotp::code(&secret, api.portal.now());
    let (status, location, _) =
        browser.post("/sign-in/code", &[("ticket", &ticket), ("code", &code), ("next", &next)]).await;
    assert_eq!((status, location), (StatusCode::SEE_OTHER, Some(next.clone())), "back to the page asked for");
    let (status, _) = browser.get(&next).await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn after_sign_in_only_paths_of_this_site_are_followed() {
    let api = client_with_pages();
    signup(&api, "ann@acme.example", "Acme").await;
    for hostile in ["//evil.example/", "https://evil.example/", "/\\evil.example"] {
        let mut browser = Browser::new(&api);
        browser.get("/sign-in").await;
        let (status, location, _) =
            browser.post("/sign-in", &[("email", "ann@acme.example"), ("password", PASSWORD), ("next", hostile)]).await;
        assert_eq!((status, location.as_deref()), (StatusCode::SEE_OTHER, Some("/")), "{hostile}");
    }
}

#[tokio::test]
async fn behind_https_the_cookies_are_secure_and_host_prefixed() {
    let api = client_with_pages_over(true);
    signup(&api, "ann@acme.example", "Acme").await;
    let page = api.get("/sign-in").send().await;
    let csrf_cookie =
        set_cookies(&page).into_iter().find(|(n, _, _)| n == "__Host-portal_csrf").expect("a CSRF cookie");
    assert!(csrf_cookie.2.to_ascii_lowercase().contains("secure"), "{}", csrf_cookie.2);
    let html = page.0.into_body().into_string().await.unwrap();
    let token = super::hidden(&html, "csrf").unwrap();
    let resp = api
        .post("/sign-in")
        .header("cookie", format!("__Host-portal_csrf={}", csrf_cookie.1))
        .header("sec-fetch-site", "same-origin")
        .form(&[("csrf", token.as_str()), ("email", "ann@acme.example"), ("password", PASSWORD)])
        .send()
        .await;
    resp.assert_status(StatusCode::SEE_OTHER);
    let session =
        set_cookies(&resp).into_iter().find(|(n, _, _)| n == "__Host-portal_session").expect("a session cookie");
    let attributes = session.2.to_ascii_lowercase();
    for attribute in ["secure", "httponly", "samesite=lax", "path=/"] {
        assert!(attributes.contains(attribute), "the session cookie lacks {attribute}: {attributes}");
    }
    assert!(!attributes.contains("domain="), "a __Host- cookie names no domain");
}
