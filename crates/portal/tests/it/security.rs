//! Account security through the real server: sign-up that tells nobody whether an address is
//! taken, verification, the invite link that takes an address back from a squatter, password
//! reset and change, email change, and one's own sessions.

use std::collections::HashSet;

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{PASSWORD, TestApp, spawn_app};

const NEW_PASSWORD: &str = "a brand new passphrase, long enough";

async fn post(app: &TestApp, path: &str, body: Value) -> reqwest::Response {
    app.client.post(app.url(path)).json(&body).send().await.unwrap()
}

async fn login(app: &TestApp, email: &str, password: &str) -> reqwest::Response {
    post(app, "/auth/login", json!({"email": email, "password": password})).await
}

async fn session_of(resp: reqwest::Response) -> String {
    assert_eq!(resp.status(), 200, "a sign-in");
    let body: Value = resp.json().await.unwrap();
    body["token"].as_str().unwrap().to_owned()
}

async fn me_status(app: &TestApp, session: &str) -> u16 {
    app.send(Method::GET, "/me", session, None).await.status().as_u16()
}

async fn problem_code(resp: reqwest::Response) -> String {
    let body: Value = resp.json().await.unwrap();
    body["code"].as_str().unwrap_or_default().to_owned()
}

#[tokio::test]
async fn signing_up_with_a_taken_address_answers_alike_and_tells_the_owner_by_mail() {
    let app = spawn_app().await;
    let mut seen = HashSet::new();
    let first = post(
        &app,
        "/auth/signup",
        json!({"email": "ann@acme.example", "name": "Ann", "password": PASSWORD, "account_name": "Acme"}),
    )
    .await;
    let first = (first.status(), first.text().await.unwrap());
    app.mailed_code("ann@acme.example", "verification page", &mut seen).await;
    let second = post(
        &app,
        "/auth/signup",
        json!({"email": "ANN@acme.example", "name": "Mallory", "password": "mallory's long password",
               "account_name": "Evil"}),
    )
    .await;
    let second = (second.status(), second.text().await.unwrap());
    assert_eq!(first.0, 202);
    assert_eq!(second, first, "the same status and body whether or not the address is taken");

    // The owner hears of it, with a reset link that works.
    let code = app.mailed_code("ann@acme.example", "reset page", &mut seen).await;
    let mail = app.mail_with("ann@acme.example", "already has an account", &mut HashSet::new()).await;
    assert!(mail.contains(&code));
    // Mallory got nothing: her password does not open Ann's login.
    assert_eq!(login(&app, "ann@acme.example", "mallory's long password").await.status(), 401);
    // Unverified, Ann still signs in and manages her own account.
    let ann = session_of(login(&app, "ann@acme.example", PASSWORD).await).await;
    let me: Value = app.get_json("/me", &ann).await;
    assert_eq!(me["email_verified"], false);
    let resp = post(&app, "/auth/password-reset/confirm", json!({"token": code, "new_password": NEW_PASSWORD})).await;
    assert_eq!(resp.status(), 204);
    session_of(login(&app, "ann@acme.example", NEW_PASSWORD).await).await;
    app.stop().await;
}

#[tokio::test]
async fn an_invite_link_takes_the_address_back_from_an_unverified_squatter() {
    let app = spawn_app().await;
    let mut seen = HashSet::new();
    let (ann, _, acme) = app.signup("ann@acme.example", "Ann", "Acme").await;
    // Eve registers Bob's address before the invite arrives, and never verifies it.
    let resp = post(
        &app,
        "/auth/signup",
        json!({"email": "bob@acme.example", "name": "Eve", "password": "eve's own long password",
               "account_name": "Squat"}),
    )
    .await;
    assert_eq!(resp.status(), 202);
    let eve = session_of(login(&app, "bob@acme.example", "eve's own long password").await).await;

    let resp = app
        .send(
            Method::POST,
            &format!("/accounts/{acme}/invites"),
            &ann,
            Some(json!({"email": "bob@acme.example", "role": "billing"})),
        )
        .await;
    assert_eq!(resp.status(), 201);
    // The squatter does not see it, and cannot invite anyone herself.
    let waiting: Value = app.get_json("/me/invites", &eve).await;
    assert_eq!(waiting, json!([]), "an unverified user sees no invites");
    let squat: Value = app.get_json("/me/accounts", &eve).await;
    let squat = squat["items"][0]["id"].as_str().unwrap().to_owned();
    let resp = app
        .send(
            Method::POST,
            &format!("/accounts/{squat}/invites"),
            &eve,
            Some(json!({"email": "carol@acme.example", "role": "billing"})),
        )
        .await;
    assert_eq!(resp.status(), 403, "an unverified user sends no invites");

    // Bob follows the link: it proves the address, and he takes it over.
    let token = app.invite_token_for("bob@acme.example", &mut seen).await;
    let preview: Value = post(&app, "/invites/preview", json!({"token": token})).await.json().await.unwrap();
    assert_eq!(preview["user_exists"], false);
    let resp = post(&app, "/invites/accept", json!({"token": token, "name": "Bob", "password": PASSWORD})).await;
    assert_eq!(resp.status(), 201);
    let joined: Value = resp.json().await.unwrap();
    assert_eq!(joined["user"]["email_verified"], true);
    assert_eq!(joined["user"]["name"], "Bob");
    // The squatter's password and session stop working.
    assert_eq!(login(&app, "bob@acme.example", "eve's own long password").await.status(), 401);
    assert_eq!(me_status(&app, &eve).await, 401);
    let bob = session_of(login(&app, "bob@acme.example", PASSWORD).await).await;
    let mine: Value = app.get_json("/me/accounts", &bob).await;
    let open: Vec<&Value> = mine["items"].as_array().unwrap().iter().filter(|a| a["closed"] == false).collect();
    assert_eq!(open.len(), 1, "only the account Bob was invited to is open: {mine}");
    assert_eq!(open[0]["display_name"], "Acme");
    app.stop().await;
}

/// ASVS 5.0 V6.4.1, V7.4.3.
#[tokio::test]
async fn a_reset_link_sets_a_password_once_ends_every_session_and_signs_nobody_in() {
    let app = spawn_app().await;
    let mut seen = HashSet::new();
    let (first, _, _) = app.signup("ann@acme.example", "Ann", "Acme").await;
    let second = session_of(login(&app, "ann@acme.example", PASSWORD).await).await;

    let unknown = post(&app, "/auth/password-reset", json!({"email": "nobody@acme.example"})).await;
    let unknown = (unknown.status(), unknown.text().await.unwrap());
    let known = post(&app, "/auth/password-reset", json!({"email": "ann@acme.example"})).await;
    let known = (known.status(), known.text().await.unwrap());
    assert_eq!(known.0, 202);
    assert_eq!(known, unknown, "the same answer for any address");
    let older = app.mailed_code("ann@acme.example", "reset page", &mut seen).await;
    assert_eq!(older.len(), 64, "a 256-bit token");
    // A newer link kills the older one.
    post(&app, "/auth/password-reset", json!({"email": "ann@acme.example"})).await;
    let code = app.mailed_code("ann@acme.example", "reset page", &mut seen).await;
    let resp = post(&app, "/auth/password-reset/confirm", json!({"token": older, "new_password": NEW_PASSWORD})).await;
    assert_eq!(resp.status(), 422);
    assert_eq!(problem_code(resp).await, "invalid_token");

    // The policy applies, and a refused password leaves the link usable.
    let resp = post(&app, "/auth/password-reset/confirm", json!({"token": code, "new_password": "short"})).await;
    assert_eq!(resp.status(), 422);
    let resp = post(&app, "/auth/password-reset/confirm", json!({"token": code, "new_password": NEW_PASSWORD})).await;
    assert_eq!(resp.status(), 204);
    assert_eq!(resp.text().await.unwrap(), "", "no session is handed out");
    assert_eq!((me_status(&app, &first).await, me_status(&app, &second).await), (401, 401));
    assert_eq!(login(&app, "ann@acme.example", PASSWORD).await.status(), 401);
    session_of(login(&app, "ann@acme.example", NEW_PASSWORD).await).await;
    // Used once.
    let resp = post(&app, "/auth/password-reset/confirm", json!({"token": code, "new_password": PASSWORD})).await;
    assert_eq!(resp.status(), 422);
    app.mail_with("ann@acme.example", "Subject: Your password was reset", &mut seen).await;
    app.stop().await;
}

/// ASVS 5.0 V6.2.2, V6.2.3, V7.4.3.
#[tokio::test]
async fn changing_the_password_needs_the_current_one_and_ends_the_other_sessions() {
    let app = spawn_app().await;
    let mut seen = HashSet::new();
    let (current, _, _) = app.signup("ann@acme.example", "Ann", "Acme").await;
    let other = session_of(login(&app, "ann@acme.example", PASSWORD).await).await;
    let change = |current_password: &str| json!({"current_password": current_password, "new_password": NEW_PASSWORD});

    let resp = app.send(Method::PUT, "/me/password", &current, Some(change("not my password at all"))).await;
    assert_eq!(resp.status(), 403);
    assert_eq!(problem_code(resp).await, "wrong_password");
    let resp = app.send(Method::PUT, "/me/password", &current, Some(change(PASSWORD))).await;
    assert_eq!(resp.status(), 204);
    assert_eq!(me_status(&app, &current).await, 200, "the session that changed it stays");
    assert_eq!(me_status(&app, &other).await, 401);
    assert_eq!(login(&app, "ann@acme.example", PASSWORD).await.status(), 401);
    session_of(login(&app, "ann@acme.example", NEW_PASSWORD).await).await;
    app.mail_with("ann@acme.example", "Subject: Your password was changed", &mut seen).await;
    app.stop().await;
}

#[tokio::test]
async fn an_email_change_switches_only_when_the_new_address_confirms() {
    let app = spawn_app().await;
    let mut seen = HashSet::new();
    let (ann, _, _) = app.signup("ann@acme.example", "Ann", "Acme").await;
    let body = |password: &str| json!({"new_email": "ann@new.example", "current_password": password});
    let resp = app.send(Method::PUT, "/me/email", &ann, Some(body("not my password at all"))).await;
    assert_eq!(resp.status(), 403);
    let resp = app.send(Method::PUT, "/me/email", &ann, Some(body(PASSWORD))).await;
    assert_eq!(resp.status(), 202);
    // The old address is told, names the new one, and keeps signing in until the link is followed.
    app.mail_with("ann@acme.example", "ann@new.example", &mut seen).await;
    session_of(login(&app, "ann@acme.example", PASSWORD).await).await;
    assert_eq!(login(&app, "ann@new.example", PASSWORD).await.status(), 401);

    let code = app.mailed_code("ann@new.example", "verification page", &mut seen).await;
    let resp = post(&app, "/auth/verify-email", json!({"token": code})).await;
    assert_eq!(resp.status(), 200);
    let confirmed: Value = resp.json().await.unwrap();
    assert_eq!(confirmed["confirmed"], "email_change");
    let me = session_of(login(&app, "ann@new.example", PASSWORD).await).await;
    assert_eq!(app.get_json("/me", &me).await["email"], "ann@new.example");
    assert_eq!(login(&app, "ann@acme.example", PASSWORD).await.status(), 401);
    app.mail_with("ann@acme.example", "Subject: Your login email changed", &mut seen).await;
    // Used once.
    assert_eq!(post(&app, "/auth/verify-email", json!({"token": code})).await.status(), 422);
    app.stop().await;
}

/// ASVS 5.0 V7.1.2, V7.5.2.
#[tokio::test]
async fn a_user_lists_and_ends_their_own_sessions_and_nobody_elses() {
    let app = spawn_app().await;
    let (mine, _, _) = app.signup("ann@acme.example", "Ann", "Acme").await;
    let phone = app
        .client
        .post(app.url("/auth/login"))
        .header("user-agent", "Ann's phone")
        .json(&json!({"email": "ann@acme.example", "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    let phone = session_of(phone).await;
    let (dana, _, _) = app.signup("dana@studio.example", "Dana", "Studio").await;

    let listed: Value = app.get_json("/me/sessions", &mine).await;
    let listed = listed.as_array().unwrap();
    assert_eq!(listed.len(), 2);
    assert_eq!(listed.iter().filter(|s| s["current"] == true).count(), 1);
    let phone_id = listed.iter().find(|s| s["user_agent"] == "Ann's phone").unwrap()["id"].as_str().unwrap().to_owned();
    assert_ne!(listed.iter().find(|s| s["current"] == true).unwrap()["user_agent"], "Ann's phone");

    // Dana cannot end Ann's session: it is not found for her.
    let resp = app.send(Method::DELETE, &format!("/me/sessions/{phone_id}"), &dana, None).await;
    assert_eq!(resp.status(), 404);
    assert_eq!(me_status(&app, &phone).await, 200);
    let resp = app.send(Method::DELETE, &format!("/me/sessions/{phone_id}"), &mine, None).await;
    assert_eq!(resp.status(), 204);
    assert_eq!(me_status(&app, &phone).await, 401, "an ended session answers 401");

    let laptop = session_of(login(&app, "ann@acme.example", PASSWORD).await).await;
    let resp = app.send(Method::DELETE, "/me/sessions", &mine, None).await;
    assert_eq!(resp.status(), 204);
    assert_eq!((me_status(&app, &laptop).await, me_status(&app, &mine).await), (401, 200));
    assert_eq!(me_status(&app, &dana).await, 200, "another user's sessions are untouched");
    app.stop().await;
}

/// ASVS 5.0 V7.5.2.
#[tokio::test]
async fn a_sign_in_from_a_new_browser_is_mailed_and_its_link_ends_that_session() {
    let app = spawn_app().await;
    let (_, _, _) = app.signup("ann@acme.example", "Ann", "Acme").await;
    let from = async |agent: &str| {
        let resp = app
            .client
            .post(app.url("/auth/login"))
            .header("user-agent", agent)
            .json(&json!({"email": "ann@acme.example", "password": PASSWORD}))
            .send()
            .await
            .unwrap();
        session_of(resp).await
    };
    let mine = from("Firefox on Ann's laptop").await;
    let stranger = from("curl on somebody else's box").await;
    let mut seen = HashSet::new();
    // Both browsers are new to Ann (her first sign-in had none); the stranger's notice names it.
    let mail = app.mail_with("ann@acme.example", "curl on somebody else's box", &mut seen).await;
    assert!(mail.contains("Subject: A new sign-in to your account"), "{mail}");
    let code = {
        let mut lines = mail.lines().skip_while(|l| !l.contains("end-session page"));
        lines.next();
        lines.next().unwrap().trim().to_owned()
    };
    // Mail scanners open links: only the POST uses it.
    let resp = post(&app, "/auth/end-session", json!({"token": code})).await;
    assert_eq!(resp.status(), 204);
    assert_eq!(me_status(&app, &stranger).await, 401);
    assert_eq!(me_status(&app, &mine).await, 200);
    let again = post(&app, "/auth/end-session", json!({"token": code})).await;
    assert_eq!(again.status(), 422);
    assert_eq!(problem_code(again).await, "invalid_token");
    app.stop().await;
}
