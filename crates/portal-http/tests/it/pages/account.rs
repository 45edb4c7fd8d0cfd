//! An account's own pages through the forms: contacts, the profile and billing details, the
//! recipient preview, handing ownership over, and recording an access review.

use poem::http::StatusCode;

use super::Browser;
use super::matrix::world;
use crate::support::{PASSWORD, client_with_pages};

#[tokio::test]
async fn a_contact_is_added_escaped_shown_in_the_preview_with_the_reason_and_deleted() {
    let api = client_with_pages();
    let w = world(&api).await;
    let mut ann = Browser::new(&api);
    ann.sign_in("ann@acme.example").await;
    let new = format!("/accounts/{}/contacts/new", w.a);
    let (_, form) = ann.get(&new).await;
    // Every category the API takes, security too (an IT inbox), none fixed: a contact chooses.
    for category in portal_domain::notification::NotificationCategory::ALL {
        let box_ = format!("id=\"c-{}\" name=\"categories\" value=\"{}\"", category.key(), category.key());
        assert!(form.contains(&box_), "no free checkbox for {}: {form}", category.key());
    }
    let (status, _, page) =
        ann.post(&new, &[("name", "Ops"), ("email", "not an address"), ("categories", "services")]).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains("id=\"email-error\"") && page.contains("value=\"Ops\""), "{page}");
    let (status, location, _) = ann
        .post(
            &new,
            &[
                ("name", "<i>Ops</i>"),
                ("email", "ops@acme.example"),
                ("categories", "services"),
                ("categories", "support"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (_, list) = ann.get(location.as_deref().unwrap()).await;
    assert!(list.contains("&#60;i&#62;Ops&#60;/i&#62;") && !list.contains("<i>Ops"), "{list}");
    assert!(list.contains("<span class=\"badge\">services</span>"), "{list}");

    let (_, preview) = ann.get(&format!("/accounts/{}/notices?category=billing", w.a)).await;
    let row = preview.split("finance@acme.example").nth(1).expect("the finance inbox in the preview");
    assert!(row.split("</tr>").next().unwrap().contains("a contact subscribed to this category"), "{preview}");
    let (_, preview) = ann.get(&format!("/accounts/{}/notices?category=services", w.a)).await;
    assert!(preview.contains("ops@acme.example") && !preview.contains("finance@acme.example"), "{preview}");

    let edit = format!("/accounts/{}/contacts/{}", w.a, w.contact);
    ann.get(&edit).await;
    let (status, location, _) = ann.post(&format!("{edit}/delete"), &[]).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (_, list) = ann.get(location.as_deref().unwrap()).await;
    assert!(list.contains("The contact is deleted.") && !list.contains("finance@acme.example"), "{list}");
}

#[tokio::test]
async fn the_profile_keeps_billing_details_and_rejects_a_bad_country_at_the_address() {
    let api = client_with_pages();
    let w = world(&api).await;
    let mut ann = Browser::new(&api);
    ann.sign_in("ann@acme.example").await;
    let profile = format!("/accounts/{}/profile", w.a);
    let (_, page) = ann.get(&profile).await;
    let version = super::hidden(&page, "version").unwrap();
    let mut fields = vec![
        ("display_name", "Acme"),
        ("primary_email", "ann@acme.example"),
        ("line1", "1 Harbour Lane"),
        ("city", "Bristol"),
        ("postal_code", "BS1 4RN"),
        ("country", "Neverland"),
        ("version", version.as_str()),
    ];
    let (status, _, page) = ann.post(&profile, &fields).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains("id=\"address-error\""), "{page}");
    fields[5] = ("country", "gb");
    let (status, _, page) = ann.post(&profile, &fields).await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{page}");
    let (_, page) = ann.get(&profile).await;
    assert!(page.contains("value=\"Bristol\"") && page.contains("value=\"GB\""), "{page}");
}

#[tokio::test]
async fn ownership_goes_over_with_the_password_and_not_without() {
    let api = client_with_pages();
    let w = world(&api).await;
    let mut ann = Browser::new(&api);
    ann.sign_in("ann@acme.example").await;
    ann.get(&format!("/accounts/{}/ownership", w.a)).await;
    let transfer = format!("/accounts/{}/transfer", w.a);
    // Signed in just now: the password is asked for anyway when given, and a wrong one refused.
    let (status, _, page) = ann.post(&transfer, &[("user_id", &w.bob), ("password", "not the password")]).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(page.contains("role=\"alert\"") || page.contains("id=\"password-error\""), "{page}");
    let (status, location, _) = ann.post(&transfer, &[("user_id", &w.bob), ("password", PASSWORD)]).await;
    assert_eq!((status, location), (StatusCode::SEE_OTHER, Some(format!("/accounts/{}?done=transferred", w.a))));
    let mut bob = Browser::new(&api);
    bob.sign_in("bob@acme.example").await;
    let (_, page) = bob.get(&format!("/accounts/{}/ownership", w.a)).await;
    assert!(page.contains("Hand the account to another member"), "Bob is not the owner: {page}");
}

#[tokio::test]
async fn an_access_review_is_recorded_and_removes_whom_it_names() {
    let api = client_with_pages();
    let w = world(&api).await;
    let mut ann = Browser::new(&api);
    ann.sign_in("ann@acme.example").await;
    let review = format!("/accounts/{}/review", w.a);
    let (status, page) = ann.get(&review).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("No review has been recorded yet.") && page.contains("finance@acme.example"), "{page}");
    let keep = format!("d-{}", w.bob);
    let remove = format!("d-{}", w.dee);
    // A decision that does not read records nothing: not "keep" by default.
    for bad in [[(keep.as_str(), "keep"), (remove.as_str(), "remov")], [(keep.as_str(), "keep"), ("d-dee", "remove")]] {
        let (status, _, _) = ann.post(&review, &bad).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{bad:?}");
    }
    let (_, page) = ann.get(&review).await;
    assert!(page.contains("No review has been recorded yet.") && page.contains("Dee"), "{page}");
    let (status, location, _) = ann.post(&review, &[(&keep, "keep"), (&remove, "remove")]).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (_, page) = ann.get(location.as_deref().unwrap()).await;
    assert!(page.contains("The access review is recorded.") && page.contains("Last recorded review:"), "{page}");
    assert!(!page.contains("Dee"), "Dee was not removed: {page}");
    let (_, audit) = ann.get(&format!("/accounts/{}/audit", w.a)).await;
    assert!(audit.contains("access_review.recorded"), "{audit}");
}
