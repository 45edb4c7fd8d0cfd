//! Two-factor authentication through the real server, with codes computed as an authenticator
//! app computes them (totp-rs, from the secret the enrolment showed): enrolment, the two sign-in
//! steps, no code twice, recovery codes, racing guesses, turning it off, the operator's reset,
//! and the secret key file that seals the secrets.

use std::collections::HashSet;

use reqwest::Method;
use serde_json::{Value, json};
use totp_rs::{Algorithm, Secret, TOTP};

use crate::helpers::{PASSWORD, TestApp, spawn_app};

/// An authenticator app holding the secret it was shown.
struct App(TOTP);

impl App {
    fn new(secret: &str) -> Self {
        let bytes = Secret::Encoded(secret.to_owned()).to_bytes().unwrap();
        Self(TOTP::new(Algorithm::SHA1, 6, 1, 30, bytes, None, String::new()).unwrap())
    }

    /// The step of now.
    fn step() -> u64 {
        u64::try_from(chrono::Utc::now().timestamp()).unwrap() / 30
    }

    fn code_at(&self, step: u64) -> String {
        self.0.generate(step * 30)
    }
}

/// Ann with two-factor authentication on: her session, the app, the step the enrolment code was
/// of, and her recovery codes.
async fn enrolled(app: &TestApp) -> (String, App, u64, Vec<String>) {
    let (session, _, _) = app.signup("ann@acme.example", "Ann", "Acme").await;
    let resp = app.send(Method::POST, "/me/mfa/totp", &session, None).await;
    assert_eq!(resp.status(), 200);
    let enrolment: Value = resp.json().await.unwrap();
    let uri = enrolment["otpauth_uri"].as_str().unwrap();
    assert!(uri.starts_with("otpauth://totp/portal:ann%40acme.example?"), "{uri}");
    assert!(enrolment["qr_svg"].as_str().unwrap().contains("<svg"));
    let authenticator = App::new(enrolment["secret"].as_str().unwrap());
    let step = App::step();
    let resp = app
        .send(Method::POST, "/me/mfa/totp/confirm", &session, Some(json!({"code": authenticator.code_at(step)})))
        .await;
    assert_eq!(resp.status(), 200);
    let codes: Value = resp.json().await.unwrap();
    let codes: Vec<String> =
        codes["recovery_codes"].as_array().unwrap().iter().map(|c| c.as_str().unwrap().to_owned()).collect();
    assert_eq!(codes.len(), 10);
    (session, authenticator, step, codes)
}

async fn ticket(app: &TestApp) -> String {
    let resp =
        app.client.post(app.url("/auth/login")).json(&json!({"email": "ann@acme.example", "password": PASSWORD}));
    let resp = resp.send().await.unwrap();
    assert_eq!(resp.status(), 202, "the password step asks for the second factor");
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["mfa_required"], true);
    assert!(body.get("token").is_none(), "a session before the second factor");
    body["ticket"].as_str().unwrap().to_owned()
}

async fn second_step(app: &TestApp, ticket: &str, code: &str) -> reqwest::Response {
    app.client.post(app.url("/auth/login/mfa")).json(&json!({"ticket": ticket, "code": code})).send().await.unwrap()
}

async fn code_of(resp: reqwest::Response) -> String {
    let body: Value = resp.json().await.unwrap();
    body["code"].as_str().unwrap_or_default().to_owned()
}

/// ASVS 5.0 V6.3.3, V6.5.1.
#[tokio::test]
async fn sign_in_takes_two_steps_and_no_code_works_twice_not_even_the_enrolment_code() {
    let app = spawn_app().await;
    let (_, authenticator, step, _) = enrolled(&app).await;
    app.mail_with("ann@acme.example", "Two-factor authentication is on", &mut HashSet::new()).await;
    // Keycloak #13607, hanko #2723: the code that confirmed enrolment, replayed.
    let replayed = second_step(&app, &ticket(&app).await, &authenticator.code_at(step)).await;
    assert_eq!(replayed.status(), 401);
    assert_eq!(code_of(replayed).await, "invalid_second_factor");
    // The next step's code (one step of skew) signs in, once.
    let next = authenticator.code_at(step + 1);
    let resp = second_step(&app, &ticket(&app).await, &next).await;
    assert_eq!(resp.status(), 200);
    let body: Value = resp.json().await.unwrap();
    let session = body["token"].as_str().unwrap();
    assert_eq!(app.send(Method::GET, "/me", session, None).await.status(), 200);
    let again = second_step(&app, &ticket(&app).await, &next).await;
    assert_eq!(again.status(), 401, "a code was accepted twice");
    app.stop().await;
}

#[tokio::test]
async fn a_recovery_code_signs_in_once_and_its_use_is_mailed() {
    let app = spawn_app().await;
    let (_, _, _, codes) = enrolled(&app).await;
    assert_eq!(second_step(&app, &ticket(&app).await, &codes[0]).await.status(), 200);
    app.mail_with("ann@acme.example", "9 remain", &mut HashSet::new()).await;
    assert_eq!(second_step(&app, &ticket(&app).await, &codes[0]).await.status(), 401);
    assert_eq!(second_step(&app, &ticket(&app).await, &codes[1].to_lowercase()).await.status(), 200);
    app.stop().await;
}

#[tokio::test]
async fn twenty_racing_wrong_codes_on_one_ticket_all_count_and_kill_it() {
    let app = spawn_app().await;
    let (_, authenticator, step, _) = enrolled(&app).await;
    let ticket = ticket(&app).await;
    // ZITADEL GHSA-7h8m-vrxx-vr4m: parallel guesses must not slip past the counter.
    let mut guesses = tokio::task::JoinSet::new();
    for i in 0..20 {
        let (client, url, ticket) = (app.client.clone(), app.url("/auth/login/mfa"), ticket.clone());
        let code = format!("{:06}", i * 7);
        guesses.spawn(async move {
            client.post(url).json(&json!({"ticket": ticket, "code": code})).send().await.unwrap().status().as_u16()
        });
    }
    let answers = guesses.join_all().await;
    let right_now = authenticator.code_at(App::step());
    assert!(answers.iter().all(|s| *s == 401), "{answers:?} (a guess may have been right: {right_now})");
    let right = second_step(&app, &ticket, &authenticator.code_at(step + 1)).await;
    assert_eq!(right.status(), 401, "the ticket outlived its five attempts");
    // A new ticket works: the ticket died, not the user's second factor.
    assert_eq!(second_step(&app, &self::ticket(&app).await, &authenticator.code_at(step + 1)).await.status(), 200);
    app.stop().await;
}

#[tokio::test]
async fn turning_it_off_needs_the_password_and_a_code_and_is_mailed() {
    let app = spawn_app().await;
    let (session, authenticator, step, _) = enrolled(&app).await;
    let off = |password: &str, code: String| json!({"password": password, "code": code});
    let wrong = app.send(Method::DELETE, "/me/mfa/totp", &session, Some(off(PASSWORD, "000000".into()))).await;
    assert_eq!(wrong.status(), 403);
    assert_eq!(code_of(wrong).await, "wrong_code");
    let resp = app
        .send(
            Method::DELETE,
            "/me/mfa/totp",
            &session,
            Some(off("not the password at all", authenticator.code_at(step + 1))),
        )
        .await;
    assert_eq!(resp.status(), 403);
    assert_eq!(code_of(resp).await, "wrong_password");
    let resp =
        app.send(Method::DELETE, "/me/mfa/totp", &session, Some(off(PASSWORD, authenticator.code_at(step + 1)))).await;
    assert_eq!(resp.status(), 204);
    app.mail_with("ann@acme.example", "Two-factor authentication is off", &mut HashSet::new()).await;
    let resp =
        app.client.post(app.url("/auth/login")).json(&json!({"email": "ann@acme.example", "password": PASSWORD}));
    assert_eq!(resp.send().await.unwrap().status(), 200);
    app.stop().await;
}

/// ASVS 5.0 V6.4.4.
#[tokio::test]
async fn the_operator_resets_a_lost_second_factor_and_the_user_is_told() {
    let app = spawn_app().await;
    let (session, _, _, _) = enrolled(&app).await;
    let me: Value = app.get_json("/me", &session).await;
    let id = me["id"].as_str().unwrap();
    let key = app.operator_key().await;
    let reset = app.url(&format!("/admin/users/{id}/mfa/reset"));
    let resp = app.client.post(&reset).header("X-Operator-Key", &key).send().await.unwrap();
    assert_eq!(resp.status(), 204);
    app.mail_with("ann@acme.example", "Two-factor authentication was reset", &mut HashSet::new()).await;
    let resp =
        app.client.post(app.url("/auth/login")).json(&json!({"email": "ann@acme.example", "password": PASSWORD}));
    assert_eq!(resp.send().await.unwrap().status(), 200, "after the reset, the password alone signs in");
    // A user's session is no operator key.
    let resp = app.client.post(&reset).header("X-Operator-Key", &session).send().await.unwrap();
    assert_eq!(resp.status(), 401);
    app.stop().await;
}

/// ASVS 5.0 V11.3, V13.3.
#[tokio::test]
async fn the_secret_key_file_is_made_beside_the_database_and_the_stored_secret_is_sealed() {
    let app = spawn_app().await;
    let (session, _, _, _) = enrolled(&app).await;
    let db = app.database_url.trim_start_matches("sqlite://").split('?').next().unwrap().to_owned();
    let key = std::path::Path::new(&db).with_file_name("portal-secret.key");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        assert_eq!(std::fs::metadata(&key).unwrap().permissions().mode() & 0o777, 0o600);
    }
    // Start a second enrolment to see a secret, then read what the database keeps of it.
    let _ = session;
    let (other, _, _) = app.signup("bob@acme.example", "Bob", "Bobco").await;
    let enrolment: Value = app.send(Method::POST, "/me/mfa/totp", &other, None).await.json().await.unwrap();
    let secret = enrolment["secret"].as_str().unwrap();
    let bytes = Secret::Encoded(secret.to_owned()).to_bytes().unwrap();
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    let stored = std::fs::read(&db).unwrap();
    let wal = std::fs::read(format!("{db}-wal")).unwrap_or_default();
    for haystack in [&stored, &wal] {
        let text = String::from_utf8_lossy(haystack);
        assert!(!text.contains(secret) && !text.contains(&hex), "the TOTP secret is stored in the clear");
        assert!(!haystack.windows(bytes.len()).any(|w| w == bytes.as_slice()), "the raw secret is stored");
    }
    app.stop().await;
}
