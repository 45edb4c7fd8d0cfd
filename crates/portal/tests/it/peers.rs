//! The bugs peers' users reported, each tried against the real server: a reset link used twice
//! under concurrency (Keycloak #37231), a reset link that outlives an email change
//! (KEYCLOAK-15170), a link used up by being opened (mail scanners), and one user's token acting
//! for another or for another purpose (Authentik CVE-2023-26481).

use std::collections::HashSet;

use serde_json::{Value, json};

use crate::helpers::{PASSWORD, TestApp, spawn_app};

async fn post(app: &TestApp, path: &str, body: Value) -> reqwest::Response {
    app.client.post(app.url(path)).json(&body).send().await.unwrap()
}

async fn reset_code(app: &TestApp, email: &str, seen: &mut HashSet<std::path::PathBuf>) -> String {
    assert_eq!(post(app, "/auth/password-reset", json!({"email": email})).await.status(), 202);
    app.mailed_code(email, "reset page", seen).await
}

/// ASVS V6.4.1, V6.5.1: of five confirms of one link at once, exactly one sets the password.
#[tokio::test]
async fn five_parallel_confirms_of_one_reset_link_set_one_password() {
    let app = spawn_app().await;
    app.signup("ann@acme.example", "Ann", "Acme").await;
    let code = reset_code(&app, "ann@acme.example", &mut HashSet::new()).await;
    let mut confirms = tokio::task::JoinSet::new();
    for n in 0..5 {
        let (client, url, code) = (app.client.clone(), app.url("/auth/password-reset/confirm"), code.clone());
        confirms.spawn(async move {
            let password = format!("racing passphrase number {n}");
            let resp = client.post(url).json(&json!({"token": code, "new_password": password})).send().await.unwrap();
            (resp.status().as_u16(), password)
        });
    }
    let answers = confirms.join_all().await;
    let won: Vec<&String> = answers.iter().filter(|(s, _)| *s == 204).map(|(_, p)| p).collect();
    assert_eq!(won.len(), 1, "{answers:?}");
    assert!(answers.iter().all(|(s, _)| *s == 204 || *s == 422), "{answers:?}");
    let login = json!({"email": "ann@acme.example", "password": won[0]});
    assert_eq!(post(&app, "/auth/login", login).await.status(), 200, "the winner's password signs in");
    app.stop().await;
}

/// ASVS V6.4.3: an email change kills the reset links mailed to the old address.
#[tokio::test]
async fn a_reset_link_dies_when_the_login_moves_to_another_address() {
    let app = spawn_app().await;
    let mut seen = HashSet::new();
    let (ann, _, _) = app.signup("ann@acme.example", "Ann", "Acme").await;
    let code = reset_code(&app, "ann@acme.example", &mut seen).await;
    let body = json!({"current_password": PASSWORD, "new_email": "ann@new.example"});
    assert_eq!(app.send(reqwest::Method::PUT, "/me/email", &ann, Some(body)).await.status(), 202);
    let link = app.mailed_code("ann@new.example", "verification page", &mut seen).await;
    assert_eq!(post(&app, "/auth/verify-email", json!({"token": link})).await.status(), 200);
    let resp = post(
        &app,
        "/auth/password-reset/confirm",
        json!({"token": code, "new_password": "a new passphrase, long enough"}),
    );
    assert_eq!(resp.await.status(), 422, "a reset link to the old address outlived the move");
    app.stop().await;
}

/// Opening a link (as a mail scanner does) uses nothing: the POST afterwards still works.
#[tokio::test]
async fn opening_a_mailed_link_does_not_use_it() {
    let app = spawn_app().await;
    let mut seen = HashSet::new();
    app.signup("ann@acme.example", "Ann", "Acme").await;
    assert_eq!(post(&app, "/auth/password-reset", json!({"email": "ann@acme.example"})).await.status(), 202);
    // The body is quoted-printable: `=` is written `=3D`.
    let mail = app.mail_with("ann@acme.example", "reset page", &mut seen).await.replace("=3D", "=");
    let link = mail.lines().find_map(|l| l.split_whitespace().find(|w| w.contains("/reset-password?token="))).unwrap();
    let code = link.split("token=").nth(1).unwrap().to_owned();
    assert_eq!(code.len(), 64, "{link}");
    // The link, opened on this server (its public URL is a test host), and its API form, fetched.
    let opened = link.replace("http://portal.test", &app.base);
    for _ in 0..3 {
        let _ = app.client.get(&opened).send().await.unwrap();
        let _ = app.client.get(app.url(&format!("/auth/password-reset/confirm?token={code}"))).send().await.unwrap();
    }
    let resp = post(
        &app,
        "/auth/password-reset/confirm",
        json!({"token": code, "new_password": "a new passphrase, long enough"}),
    );
    assert_eq!(resp.await.status(), 204);
    app.stop().await;
}

/// A token acts only for its user and its purpose: Ann's reset code verifies nothing and ends
/// no session, Ann's end-session link ends only her session, and a ticket of Ann's takes none of
/// Bob's codes.
#[tokio::test]
async fn a_token_acts_only_for_its_own_user_and_purpose() {
    let app = spawn_app().await;
    let mut seen = HashSet::new();
    app.signup("ann@acme.example", "Ann", "Acme").await;
    let (bob, _, _) = app.signup("bob@bobco.example", "Bob", "Bobco").await;
    let code = reset_code(&app, "ann@acme.example", &mut seen).await;
    assert_eq!(post(&app, "/auth/verify-email", json!({"token": code})).await.status(), 422);
    assert_eq!(post(&app, "/auth/end-session", json!({"token": code})).await.status(), 422);
    assert_eq!(post(&app, "/auth/login/mfa", json!({"ticket": code, "code": "123456"})).await.status(), 401);
    // Bob's session survives anything Ann's links can do.
    assert_eq!(app.send(reqwest::Method::GET, "/me", &bob, None).await.status(), 200);
    // The reset code is still good for what it is for, and only for Ann.
    let resp = post(
        &app,
        "/auth/password-reset/confirm",
        json!({"token": code, "new_password": "a new passphrase, long enough"}),
    );
    assert_eq!(resp.await.status(), 204);
    let bob_login = json!({"email": "bob@bobco.example", "password": PASSWORD});
    assert_eq!(post(&app, "/auth/login", bob_login).await.status(), 200, "Bob's password was touched");
    app.stop().await;
}
