//! The seed stories over real HTTP.

use reqwest::Method;
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

    let resp =
        app.send(Method::PUT, "/me/notification-preferences", &token, Some(json!({"opted_out": ["promotions"]}))).await;
    assert_eq!(resp.status(), 200);

    let resp = app
        .send(
            Method::PATCH,
            &format!("/accounts/{account}"),
            &token,
            Some(json!({"company": "Acme Limited", "primary_email": "accounts@acme.example"})),
        )
        .await;
    assert_eq!(resp.status(), 200);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["primary_email"], "accounts@acme.example");

    // The change is on disk: a new session sees it.
    assert_eq!(app.send(Method::POST, "/auth/logout", &token, None).await.status(), 204);
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

/// Seeds 002 and 003: invite a teammate with the billing role, read the email, accept, check what
/// they can and cannot do, edit them, remove them.
#[tokio::test]
async fn seed_002_003_invite_a_teammate_with_billing_permissions() {
    let app = spawn_app().await;
    let mut seen = std::collections::HashSet::new();
    let (ann, _, acme) = app.signup("ann@acme.example", "Ann Owner", "Acme").await;
    let resp = app
        .send(
            Method::POST,
            &format!("/accounts/{acme}/invites"),
            &ann,
            Some(json!({"email": "bob@acme.example", "name": "Bob", "role": "billing"})),
        )
        .await;
    assert_eq!(resp.status(), 201);
    let invite: Value = resp.json().await.unwrap();
    assert_eq!(invite["role"], "billing");
    assert_eq!(invite["status"], "pending");

    let token = app.invite_token_for("bob@acme.example", &mut seen).await;
    assert_eq!(token.len(), 64, "a 256-bit token");
    let preview: Value = app
        .client
        .post(app.url("/invites/preview"))
        .json(&json!({"token": token}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(preview["account_name"], "Acme");
    assert_eq!(preview["inviter"], "Ann Owner");
    assert_eq!(preview["user_exists"], false);

    let resp = app
        .client
        .post(app.url("/invites/accept"))
        .json(&json!({"token": token, "name": "Bob Billing", "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 201);
    let session: Value = resp.json().await.unwrap();
    let bob = session["token"].as_str().unwrap().to_owned();
    let bob_id = session["user"]["id"].as_str().unwrap().to_owned();
    assert_eq!(session["user"]["email_verified"], true);
    // The link is single-use.
    let again = app
        .client
        .post(app.url("/invites/accept"))
        .json(&json!({"token": token, "name": "X", "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 409);

    // What Bob can and cannot do.
    let mine: Value = app.get_json("/me/accounts", &bob).await;
    assert!(mine["items"][0]["permissions"].as_array().unwrap().iter().any(|p| p == "billing.view"));
    assert_eq!(
        app.client.get(app.url(&format!("/accounts/{acme}"))).bearer_auth(&bob).send().await.unwrap().status(),
        403
    );
    assert_eq!(
        app.client.get(app.url(&format!("/accounts/{acme}/users"))).bearer_auth(&bob).send().await.unwrap().status(),
        403
    );
    let invite_someone = app
        .send(
            Method::POST,
            &format!("/accounts/{acme}/invites"),
            &bob,
            Some(json!({"email": "eve@x.example", "role": "read-only"})),
        )
        .await;
    assert_eq!(invite_someone.status(), 403);

    // Ann sees who has access and edits Bob.
    let users: Value = app.get_json(&format!("/accounts/{acme}/users"), &ann).await;
    assert_eq!(users["items"].as_array().unwrap().len(), 2);
    let member =
        app.client.get(app.url(&format!("/accounts/{acme}/users/{bob_id}"))).bearer_auth(&ann).send().await.unwrap();
    let etag = member.headers()["etag"].to_str().unwrap().to_owned();
    let member: Value = member.json().await.unwrap();
    assert_eq!(
        member["invited_by"],
        users["items"].as_array().unwrap().iter().find(|m| m["is_owner"] == true).unwrap()["user_id"]
    );
    let edit = app
        .client
        .patch(app.url(&format!("/accounts/{acme}/users/{bob_id}")))
        .bearer_auth(&ann)
        .header("If-Match", &etag)
        .json(&json!({"permissions": ["billing.view", "support.view"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(edit.status(), 200);
    let edited: Value = edit.json().await.unwrap();
    assert_eq!(edited["permissions"], json!(["billing.view", "support.view"]));

    // Removed: nothing more for Bob there, from his very next request.
    assert_eq!(app.send(Method::DELETE, &format!("/accounts/{acme}/users/{bob_id}"), &ann, None).await.status(), 204);
    assert_eq!(
        app.client
            .get(app.url(&format!("/accounts/{acme}/users/{bob_id}")))
            .bearer_auth(&bob)
            .send()
            .await
            .unwrap()
            .status(),
        404
    );
    let mine: Value = app.get_json("/me/accounts", &bob).await;
    assert_eq!(mine["items"], json!([]));
    app.stop().await;
}

/// Seed 003: re-sending kills the old link; cancelling kills the link.
#[tokio::test]
async fn seed_003_resend_then_cancel_an_invite() {
    let app = spawn_app().await;
    let mut seen = std::collections::HashSet::new();
    let (ann, _, acme) = app.signup("ann@acme.example", "Ann", "Acme").await;
    let invite: Value = app
        .send(
            Method::POST,
            &format!("/accounts/{acme}/invites"),
            &ann,
            Some(json!({"email": "sam@agency.example", "permissions": ["projects.view"]})),
        )
        .await
        .json()
        .await
        .unwrap();
    let id = invite["id"].as_str().unwrap();
    let first = app.invite_token_for("sam@agency.example", &mut seen).await;
    let resent = app.send(Method::POST, &format!("/accounts/{acme}/invites/{id}/resend"), &ann, None).await;
    assert_eq!(resent.status(), 200);
    let resent: Value = resent.json().await.unwrap();
    assert_eq!(resent["sent_count"], 2);
    let second = app.invite_token_for("sam@agency.example", &mut seen).await;
    assert_ne!(first, second);
    assert_eq!(
        app.client.post(app.url("/invites/preview")).json(&json!({"token": first})).send().await.unwrap().status(),
        404
    );
    assert_eq!(
        app.client.post(app.url("/invites/preview")).json(&json!({"token": second})).send().await.unwrap().status(),
        200
    );
    assert_eq!(app.send(Method::DELETE, &format!("/accounts/{acme}/invites/{id}"), &ann, None).await.status(), 204);
    let accept = app
        .client
        .post(app.url("/invites/accept"))
        .json(&json!({"token": second, "name": "Sam", "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(accept.status(), 409);
    let problem: Value = accept.json().await.unwrap();
    assert_eq!(problem["code"], "invite_not_pending");
    let invites: Value = app.get_json(&format!("/accounts/{acme}/invites"), &ann).await;
    assert_eq!(invites["items"][0]["status"], "cancelled");
    app.stop().await;
}

/// Seeds 003 and 004: one login, two separate accounts with different permissions, listed at
/// login for the account picker.
#[tokio::test]
async fn seed_003_004_one_user_in_two_accounts() {
    let app = spawn_app().await;
    let mut seen = std::collections::HashSet::new();
    let (ann, _, acme) = app.signup("ann@acme.example", "Ann", "Acme").await;
    let (carl, _, globex) = app.signup("carl@globex.example", "Carl", "Globex").await;
    let (dana, _, _) = app.signup("dana@studio.example", "Dana", "Dana Studio").await;
    for (owner, account, role) in [(&ann, &acme, "technical"), (&carl, &globex, "read-only")] {
        let resp = app
            .send(
                Method::POST,
                &format!("/accounts/{account}/invites"),
                owner,
                Some(json!({"email": "dana@studio.example", "role": role})),
            )
            .await;
        assert_eq!(resp.status(), 201);
        let token = app.invite_token_for("dana@studio.example", &mut seen).await;
        let joined = app.send(Method::POST, "/invites/accept", &dana, Some(json!({"token": token}))).await;
        assert_eq!(joined.status(), 200);
    }
    let login: Value = app
        .client
        .post(app.url("/auth/login"))
        .json(&json!({"email": "dana@studio.example", "password": PASSWORD}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let accounts = login["accounts"].as_array().unwrap();
    assert_eq!(accounts.len(), 3);
    let acme_entry = accounts.iter().find(|a| a["display_name"] == "Acme").unwrap();
    let globex_entry = accounts.iter().find(|a| a["display_name"] == "Globex").unwrap();
    assert!(acme_entry["permissions"].as_array().unwrap().iter().any(|p| p == "services.manage"));
    assert!(!globex_entry["permissions"].as_array().unwrap().iter().any(|p| p == "services.manage"));
    // Separate accounts: Carl cannot see Acme.
    assert_eq!(
        app.client.get(app.url(&format!("/accounts/{acme}/users"))).bearer_auth(&carl).send().await.unwrap().status(),
        404
    );
    app.stop().await;
}

/// Seeds 000, 003, 004: a finance inbox is a contact that receives billing notices, with the
/// preview showing why; it cannot log in; product news does not reach it.
#[tokio::test]
async fn seed_000_003_004_a_finance_inbox_contact_receives_billing_notices() {
    let app = spawn_app().await;
    let operator = app.operator_key().await;
    let (ann, ann_id, acme) = app.signup("ann@acme.example", "Ann", "Acme").await;
    let contact = app
        .send(
            Method::POST,
            &format!("/accounts/{acme}/contacts"),
            &ann,
            Some(json!({"name": "Finance inbox", "email": "finance@acme.example", "categories": ["billing"]})),
        )
        .await;
    assert_eq!(contact.status(), 201);

    let preview: Value = app.get_json(&format!("/accounts/{acme}/notices/recipients?category=billing"), &ann).await;
    let preview = preview.as_array().unwrap();
    assert_eq!(preview.len(), 2);
    let finance = preview.iter().find(|r| r["email"] == "finance@acme.example").unwrap();
    assert_eq!(finance["kind"], "contact");
    assert_eq!(finance["reason"], "subscribed_contact");
    let owner = preview.iter().find(|r| r["email"] == "ann@acme.example").unwrap();
    assert_eq!(
        (owner["reason"].as_str(), owner["permission"].as_str()),
        (Some("holds_permission"), Some("billing.view"))
    );

    // Sending needs the provider's operator key; a member's session is not one.
    let as_member = app
        .send(
            Method::POST,
            &format!("/accounts/{acme}/notices"),
            &ann,
            Some(json!({"category": "billing", "subject": "Invoice INV-1001"})),
        )
        .await;
    assert_eq!(as_member.status(), 401);
    let sent = app
        .client
        .post(app.url(&format!("/accounts/{acme}/notices")))
        .header("X-Operator-Key", &operator)
        .json(&json!({"category": "billing", "subject": "Invoice INV-1001"}))
        .send()
        .await
        .unwrap();
    assert_eq!(sent.status(), 201);
    // Who received what, and why, is on record.
    let history: Value = app.get_json(&format!("/accounts/{acme}/notices"), &ann).await;
    assert_eq!(history["items"][0]["subject"], "Invoice INV-1001");
    assert_eq!(history["items"][0]["recipients"].as_array().unwrap().len(), 2);
    // And the email to the inbox was delivered.
    wait_for_mail(&app, "finance@acme.example", "Invoice INV-1001").await;

    let news: Value = app.get_json(&format!("/accounts/{acme}/notices/recipients?category=product-news"), &ann).await;
    assert!(news.as_array().unwrap().iter().all(|r| r["email"] != "finance@acme.example"));
    let login = app
        .client
        .post(app.url("/auth/login"))
        .json(&json!({"email": "finance@acme.example", "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(login.status(), 401, "a contact cannot log in");
    let _ = ann_id;
    app.stop().await;
}

async fn wait_for_mail(app: &crate::helpers::TestApp, to: &str, subject: &str) {
    for _ in 0..200 {
        for entry in std::fs::read_dir(&app.mail_dir).unwrap().flatten() {
            let text = std::fs::read_to_string(entry.path()).unwrap();
            if text.contains(&format!("To: {to}")) && text.contains(subject) {
                return;
            }
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    panic!("no {subject:?} email to {to}");
}

/// Seed 001: a user who opted out of promotions gets none; security notices always arrive.
#[tokio::test]
async fn seed_001_opted_out_of_promotions_but_security_always_arrives() {
    let app = spawn_app().await;
    let (ann, _, acme) = app.signup("ann@acme.example", "Ann", "Acme").await;
    let resp = app
        .send(
            Method::PUT,
            "/me/notification-preferences",
            &ann,
            Some(json!({"opted_out": ["promotions", "product-news"]})),
        )
        .await;
    assert_eq!(resp.status(), 200);
    let refused =
        app.send(Method::PUT, "/me/notification-preferences", &ann, Some(json!({"opted_out": ["security"]}))).await;
    assert_eq!(refused.status(), 422);
    let promos: Value = app.get_json(&format!("/accounts/{acme}/notices/recipients?category=promotions"), &ann).await;
    // Nobody else qualifies, so the notice still goes somewhere (rule 8): to the owner as the fallback.
    assert_eq!(promos[0]["reason"], "owner_fallback");
    let security: Value = app.get_json(&format!("/accounts/{acme}/notices/recipients?category=security"), &ann).await;
    assert_eq!(security[0]["reason"], "security_notice");
    app.stop().await;
}

/// Seed 000: ownership moves to another member; the access review and the audit trail show who
/// invited, who accepted and who changed what.
#[tokio::test]
async fn seed_000_transfer_ownership_then_review_access_and_read_the_trail() {
    let app = spawn_app().await;
    let mut seen = std::collections::HashSet::new();
    let (ann, ann_id, acme) = app.signup("ann@acme.example", "Ann", "Acme").await;
    app.send(
        Method::POST,
        &format!("/accounts/{acme}/invites"),
        &ann,
        Some(json!({"email": "olga@acme.example", "role": "admin"})),
    )
    .await;
    let token = app.invite_token_for("olga@acme.example", &mut seen).await;
    let olga: Value = app
        .client
        .post(app.url("/invites/accept"))
        .json(&json!({"token": token, "name": "Olga", "password": PASSWORD}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let olga_token = olga["token"].as_str().unwrap().to_owned();
    let olga_id = olga["user"]["id"].as_str().unwrap().to_owned();

    let moved = app
        .send(Method::POST, &format!("/accounts/{acme}/transfer-ownership"), &ann, Some(json!({"user_id": olga_id})))
        .await;
    assert_eq!(moved.status(), 200);
    let moved: Value = moved.json().await.unwrap();
    assert_eq!(moved["owner_id"], olga_id);
    // Ann is no longer the owner: she cannot close the account.
    assert_eq!(app.send(Method::POST, &format!("/accounts/{acme}/close"), &ann, None).await.status(), 403);

    let review: Value = app.get_json(&format!("/accounts/{acme}/access-review"), &olga_token).await;
    let members = review["members"].as_array().unwrap();
    assert_eq!(members[0]["user_id"], olga_id, "the owner comes first");
    assert_eq!(members[0]["invited_by"], ann_id);
    assert_eq!(members[0]["flags"]["sensitive"], true);
    let recorded = app
        .send(
            Method::POST,
            &format!("/accounts/{acme}/access-review"),
            &olga_token,
            Some(json!({"confirmed": [ann_id], "removed": []})),
        )
        .await;
    assert_eq!(recorded.status(), 200);
    let recorded: Value = recorded.json().await.unwrap();
    assert_eq!(recorded["last_review_by"], olga_id);

    let trail: Value = app.get_json(&format!("/accounts/{acme}/audit-events"), &olga_token).await;
    let kinds: Vec<&str> = trail["items"].as_array().unwrap().iter().map(|e| e["kind"].as_str().unwrap()).collect();
    assert_eq!(
        kinds,
        ["access_review.recorded", "account.ownership_transferred", "invite.accepted", "invite.sent", "account.opened"]
    );
    let sent = &trail["items"][3];
    assert_eq!(sent["actor"], format!("user:{ann_id}"));
    assert!(sent["change"]["MemberInvited"].get("token").is_none(), "the audit trail shows a token digest");
    let accepted = &trail["items"][2];
    assert_eq!(accepted["actor"], format!("user:{olga_id}"));
    let about_olga: Value =
        app.get_json(&format!("/accounts/{acme}/audit-events?target=member:{olga_id}"), &olga_token).await;
    assert_eq!(about_olga["items"].as_array().unwrap().len(), 1);
    app.stop().await;
}

/// Operations: every answer carries a request id; `/metrics` counts requests by route and
/// status and reports the outbox depth.
#[tokio::test]
async fn metrics_and_request_ids() {
    let app = spawn_app().await;
    let resp = app.client.get(app.url("/healthz")).send().await.unwrap();
    assert!(resp.headers().get("x-request-id").is_some());
    let (token, _, account) = app.signup("ann@acme.example", "Ann", "Acme").await;
    app.client.get(app.url(&format!("/accounts/{account}"))).bearer_auth(&token).send().await.unwrap();
    let text = app.client.get(format!("{}/metrics", app.management)).send().await.unwrap().text().await.unwrap();
    assert!(
        text.contains("portal_http_requests_total{method=\"GET\",route=\"/api/v1/accounts/{id}\",status=\"200\"} 1"),
        "{text}"
    );
    assert!(text.contains("portal_outbox_depth "), "{text}");
    assert!(!text.contains(&token), "a token in the metrics");
    app.stop().await;
}
