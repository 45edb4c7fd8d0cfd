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

/// Seeds 002 and 003: invite a teammate with the billing role, read the email, accept, check what
/// they can and cannot do, edit them, remove them.
#[tokio::test]
async fn seed_002_003_invite_a_teammate_with_billing_permissions() {
    let app = spawn_app().await;
    let mut seen = std::collections::HashSet::new();
    let (ann, _, acme) = app.signup("ann@acme.example", "Ann Owner", "Acme").await;
    let resp = app
        .client
        .post(app.url(&format!("/accounts/{acme}/invites")))
        .bearer_auth(&ann)
        .json(&json!({"email": "bob@acme.example", "name": "Bob", "role": "billing"}))
        .send()
        .await
        .unwrap();
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
    let mine: Value =
        app.client.get(app.url("/me/accounts")).bearer_auth(&bob).send().await.unwrap().json().await.unwrap();
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
        .client
        .post(app.url(&format!("/accounts/{acme}/invites")))
        .bearer_auth(&bob)
        .json(&json!({"email": "eve@x.example", "role": "read-only"}))
        .send()
        .await
        .unwrap();
    assert_eq!(invite_someone.status(), 403);

    // Ann sees who has access and edits Bob.
    let users: Value = app
        .client
        .get(app.url(&format!("/accounts/{acme}/users")))
        .bearer_auth(&ann)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
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
    assert_eq!(
        app.client
            .delete(app.url(&format!("/accounts/{acme}/users/{bob_id}")))
            .bearer_auth(&ann)
            .send()
            .await
            .unwrap()
            .status(),
        204
    );
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
    let mine: Value =
        app.client.get(app.url("/me/accounts")).bearer_auth(&bob).send().await.unwrap().json().await.unwrap();
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
        .client
        .post(app.url(&format!("/accounts/{acme}/invites")))
        .bearer_auth(&ann)
        .json(&json!({"email": "sam@agency.example", "permissions": ["projects.view"]}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id = invite["id"].as_str().unwrap();
    let first = app.invite_token_for("sam@agency.example", &mut seen).await;
    let resent = app
        .client
        .post(app.url(&format!("/accounts/{acme}/invites/{id}/resend")))
        .bearer_auth(&ann)
        .send()
        .await
        .unwrap();
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
    assert_eq!(
        app.client
            .delete(app.url(&format!("/accounts/{acme}/invites/{id}")))
            .bearer_auth(&ann)
            .send()
            .await
            .unwrap()
            .status(),
        204
    );
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
    let invites: Value = app
        .client
        .get(app.url(&format!("/accounts/{acme}/invites")))
        .bearer_auth(&ann)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
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
            .client
            .post(app.url(&format!("/accounts/{account}/invites")))
            .bearer_auth(owner)
            .json(&json!({"email": "dana@studio.example", "role": role}))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 201);
        let token = app.invite_token_for("dana@studio.example", &mut seen).await;
        let joined = app
            .client
            .post(app.url("/invites/accept"))
            .bearer_auth(&dana)
            .json(&json!({"token": token}))
            .send()
            .await
            .unwrap();
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
