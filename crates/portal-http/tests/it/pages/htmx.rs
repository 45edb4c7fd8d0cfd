//! htmx's partial swaps: a boosted link or form (`HX-Target: main`) gets the main region, the
//! title and the header out of band; a history restore and a plain browser get the whole page.

use poem::http::StatusCode;

use super::Browser;
use crate::support::{client_with_pages, signup};

const BOOSTED: &[(&str, &str)] = &[("hx-request", "true"), ("hx-boosted", "true"), ("hx-target", "main")];

fn is_whole(html: &str) -> bool {
    html.starts_with("<!doctype html>") && html.contains("<main id=\"main\">") && html.trim_end().ends_with("</html>")
}

#[tokio::test]
async fn a_boosted_request_gets_the_main_region_with_the_header_out_of_band() {
    let api = client_with_pages();
    let (_, _, a) = signup(&api, "ann@acme.example", "Acme").await;
    let mut ann = Browser::new(&api);
    ann.sign_in("ann@acme.example").await;
    let users = format!("/accounts/{a}/users");

    let (status, headers, whole) = ann.get_with(&users, &[]).await;
    assert_eq!(status, StatusCode::OK);
    assert!(is_whole(&whole), "a plain request gets the whole page: {whole}");
    assert!(!whole.contains("hx-swap-oob"), "{whole}");
    let vary = headers["vary"].to_str().unwrap();
    for name in ["HX-Request", "HX-Target", "Cookie"] {
        assert!(vary.contains(name), "Vary lacks {name}: {vary}");
    }

    let (status, _, part) = ann.get_with(&users, BOOSTED).await;
    assert_eq!(status, StatusCode::OK);
    assert!(part.trim_start().starts_with("<title>Users · Acme · portal</title>"), "the title first: {part}");
    for absent in ["<!doctype", "<html", "<head>", "<body", "<main", "<script"] {
        assert!(!part.contains(absent), "the fragment has {absent}: {part}");
    }
    assert!(part.contains("<header class=\"top\" id=\"top\" hx-swap-oob=\"true\">"), "{part}");
    assert!(part.contains("id=\"announce\" hx-swap-oob=\"innerHTML\""), "{part}");
    assert!(part.contains("ann@acme.example") && part.contains("aria-label=\"Current account\">Acme<"), "{part}");
    assert!(part.len() < whole.len());

    // Not in htmx's cache (it keeps none): the whole page, swapped into the body.
    let restore = [BOOSTED, &[("hx-history-restore-request", "true")]].concat();
    let (_, _, restored) = ann.get_with(&users, &restore).await;
    assert!(is_whole(&restored), "{restored}");
    // Another element as the target (not one of the pages'): the whole page.
    let (_, _, other) = ann.get_with(&users, &[("hx-request", "true"), ("hx-target", "top")]).await;
    assert!(is_whole(&other), "{other}");
}

#[tokio::test]
async fn a_boosted_form_error_and_a_stranger_are_answered_as_without_htmx() {
    let api = client_with_pages();
    signup(&api, "ann@acme.example", "Acme").await;
    let mut ann = Browser::new(&api);
    // A stranger's boosted request is sent to sign in, as any other.
    let (status, headers, _) = ann.get_with("/me", BOOSTED).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(headers["location"], "/sign-in?next=%2Fme");
    // The sign-in page as a fragment still carries the form's CSRF token.
    let (_, _, part) = ann.get_with("/sign-in", BOOSTED).await;
    assert!(part.trim_start().starts_with("<title>") && part.contains("name=\"csrf\""), "{part}");
    assert!(!ann.csrf.is_empty());
    ann.sign_in("ann@acme.example").await;
    let (status, _, page) = ann.get_with("/me", BOOSTED).await;
    assert_eq!(status, StatusCode::OK);
    assert!(!is_whole(&page) && page.contains("hx-swap-oob"), "{page}");
}
