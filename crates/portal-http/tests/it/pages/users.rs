//! Settings > Users through the forms (seeds 002, 003): add a user with a role, the invitee
//! answers the mailed link on its page, manage then remove, resend then cancel.

use poem::http::StatusCode;

use super::matrix::world;
use super::{Browser, hidden, mailed_token};
use crate::support::{PASSWORD, client_with_pages, signup};

#[tokio::test]
async fn an_invite_by_the_form_is_answered_on_its_page_with_a_new_login() {
    let api = client_with_pages();
    let (_, _, a) = signup(&api, "ann@acme.example", "Acme").await;
    let mut ann = Browser::new(&api);
    ann.sign_in("ann@acme.example").await;
    let (status, form) = ann.get(&format!("/accounts/{a}/users/new")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(form.contains("Be careful with providing &#39;Modify Master Account Profile&#39; access"), "{form}");
    assert!(form.contains("data-permissions=\"billing.view billing.pay"), "the billing role's permissions: {form}");
    // A role and no ticked box: the role's own permissions.
    let (status, location, html) = ann
        .post(
            &format!("/accounts/{a}/users/new"),
            &[("email", "bea@acme.example"), ("name", "Bea"), ("role", "billing")],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{html}");
    assert_eq!(location.as_deref(), Some(format!("/accounts/{a}/users?done=invited").as_str()));
    let (_, users) = ann.get(location.as_deref().unwrap()).await;
    assert!(users.contains("The invite is sent."), "the outcome is announced");
    assert!(users.contains("bea@acme.example"), "the pending invite is listed");

    // Bea opens the mailed link: who invites her, to which account, with which access.
    let token = mailed_token(&api, "bea@acme.example");
    let mut bea = Browser::new(&api);
    let link = format!("/invites/accept?token={token}");
    let (status, page) = bea.get(&link).await;
    assert_eq!(status, StatusCode::OK);
    for needle in ["Someone invites you", "<strong>Acme</strong>", "billing.view", "<label for=\"password\">"] {
        assert!(page.contains(needle), "the invite page lacks {needle}: {page}");
    }
    // Opening it twice changes nothing; a too-short password is shown at its field.
    bea.get(&link).await;
    let (status, _, page) =
        bea.post("/invites/accept", &[("token", &token), ("name", "Bea"), ("password", "short")]).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains("id=\"password-error\""), "{page}");
    let (status, location, _) =
        bea.post("/invites/accept", &[("token", &token), ("name", "Bea"), ("password", PASSWORD)]).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(location.as_deref(), Some(format!("/accounts/{a}?done=joined").as_str()));
    let (status, home) = bea.get(location.as_deref().unwrap()).await;
    assert_eq!(status, StatusCode::OK);
    assert!(home.contains("You joined the account."));
    // Billing opens no Users page.
    assert!(!home.contains("/users\""), "billing is offered the users page: {home}");
    let (status, _) = bea.get(&format!("/accounts/{a}/users")).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    // The link is spent.
    let (status, page) = bea.get(&link).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(page.contains("no longer valid"));
}

#[tokio::test]
async fn permissions_the_inviter_lacks_are_locked_with_the_reason_and_refused_if_sent() {
    let api = client_with_pages();
    let w = world(&api).await;
    // Make Dee an admin (everything but the master profile), as the owner.
    let mut ann = Browser::new(&api);
    ann.sign_in("ann@acme.example").await;
    ann.get(&format!("/accounts/{}/users/{}", w.a, w.dee)).await;
    let admin = portal_domain::permission::Role::Admin.permissions().keys();
    let mut fields: Vec<(&str, &str)> = admin.iter().map(|k| ("permissions", *k)).collect();
    fields.push(("role", "admin"));
    let (status, _, html) = ann.post(&format!("/accounts/{}/users/{}", w.a, w.dee), &fields).await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{html}");

    let mut dee = Browser::new(&api);
    dee.sign_in("dee@acme.example").await;
    let (_, form) = dee.get(&format!("/accounts/{}/users/new", w.a)).await;
    let profile = form.split("id=\"p-account.profile.manage\"").nth(1).unwrap().split("</div>").next().unwrap();
    assert!(profile.contains("disabled"), "the master profile is not locked for an admin: {profile}");
    assert!(profile.contains("You may not grant this"), "{profile}");
    let users = form.split("id=\"p-users.manage\"").nth(1).unwrap().split("</div>").next().unwrap();
    assert!(!users.contains("disabled"), "{users}");
    // Sent anyway (a crafted form): refused, shown at the permissions, nothing sent.
    let before = api.portal.store().outbox().len();
    let (status, _, html) = dee
        .post(
            &format!("/accounts/{}/users/new", w.a),
            &[("email", "eve@acme.example"), ("permissions", "account.profile.manage")],
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(html.contains("id=\"permissions-error\""), "{html}");
    assert_eq!(api.portal.store().outbox().len(), before);
}

#[tokio::test]
async fn a_member_is_edited_then_removed_and_hostile_names_stay_text() {
    let api = client_with_pages();
    let w = world(&api).await;
    let mut ann = Browser::new(&api);
    ann.sign_in("ann@acme.example").await;
    let manage = format!("/accounts/{}/users/{}", w.a, w.bob);
    let (status, page) = ann.get(&manage).await;
    assert_eq!(status, StatusCode::OK);
    let version = hidden(&page, "version").unwrap();
    let (status, _, html) = ann
        .post(
            &manage,
            &[
                ("role", "<img src=x onerror=alert(1)>"),
                ("permissions", "billing.view"),
                ("ends_at", "2099-01-31"),
                ("version", &version),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "ten years at most: {html}");
    assert!(html.contains("id=\"ends_at-error\""), "{html}");
    let (status, _, html) = ann
        .post(
            &manage,
            &[
                ("role", "<img src=x onerror=alert(1)>"),
                ("permissions", "billing.view"),
                ("ends_at", "2031-01-31"),
                ("version", &version),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{html}");
    let (_, users) = ann.get(&format!("/accounts/{}/users", w.a)).await;
    assert!(users.contains("&#60;img src=x onerror=alert(1)&#62;"), "{users}");
    assert!(!users.contains("<img src=x"), "a hostile role label reached the page unescaped");
    assert!(users.contains("2031-01-31") && users.contains("1 of 15"), "{users}");
    // The same version again: someone changed it meanwhile.
    let (status, _, _) = ann.post(&manage, &[("permissions", "billing.pay"), ("version", &version)]).await;
    assert_eq!(status, StatusCode::PRECONDITION_FAILED);

    ann.get(&manage).await;
    let (status, location, _) = ann.post(&format!("{manage}/remove"), &[]).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (_, users) = ann.get(location.as_deref().unwrap()).await;
    assert!(users.contains("The member is removed.") && !users.contains("bob@acme.example"), "{users}");
    let (status, _) = ann.get(&manage).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_resent_invite_gets_a_new_link_and_a_cancelled_one_no_longer_works() {
    let api = client_with_pages();
    let w = world(&api).await;
    let first = mailed_token(&api, "pat@acme.example");
    let mut ann = Browser::new(&api);
    ann.sign_in("ann@acme.example").await;
    ann.get(&format!("/accounts/{}/users", w.a)).await;
    let (status, location, _) = ann.post(&format!("/accounts/{}/invites/{}/resend", w.a, w.invite), &[]).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (_, users) = ann.get(location.as_deref().unwrap()).await;
    assert!(users.contains("The invite is sent again"), "{users}");
    let second = mailed_token(&api, "pat@acme.example");
    assert_ne!(first, second);
    let mut pat = Browser::new(&api);
    let (status, page) = pat.get(&format!("/invites/accept?token={first}")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(page.contains("no longer valid"), "{page}");
    let (status, _) = pat.get(&format!("/invites/accept?token={second}")).await;
    assert_eq!(status, StatusCode::OK);

    let (status, location, _) = ann.post(&format!("/accounts/{}/invites/{}/cancel", w.a, w.invite), &[]).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (_, users) = ann.get(location.as_deref().unwrap()).await;
    assert!(users.contains("The invite is cancelled") && !users.contains("pat@acme.example"), "{users}");
    let (status, page) = pat.get(&format!("/invites/accept?token={second}")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(page.contains("no longer valid"));
}
