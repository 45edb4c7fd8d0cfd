//! The password-reset request tells nobody whether an address has an account: not by status,
//! body, or time.

use std::time::{Duration, Instant};

use serde_json::json;

use crate::support::{client, signup};

/// The probability that a draw from `a` takes longer than one from `b` (ties count half): 0.5
/// when neither distribution is slower, near 0 or 1 when one is.
fn slower_share(a: &[Duration], b: &[Duration]) -> f64 {
    let mut wins = 0.0;
    for x in a {
        for y in b {
            wins += match x.cmp(y) {
                std::cmp::Ordering::Greater => 1.0,
                std::cmp::Ordering::Equal => 0.5,
                std::cmp::Ordering::Less => 0.0,
            };
        }
    }
    wins / (a.len() * b.len()) as f64
}

/// ASVS 5.0 V6.3.8.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reset_request_answers_alike_in_body_and_time_for_known_and_unknown_addresses() {
    let api = client();
    signup(&api, "ann@acme.example", "Acme").await;
    let request = async |email: &str| {
        let started = Instant::now();
        let resp = api.post("/api/v1/auth/password-reset").body_json(&json!({ "email": email })).send().await;
        let elapsed = started.elapsed();
        resp.assert_status(poem::http::StatusCode::ACCEPTED);
        (resp.0.into_body().into_string().await.unwrap(), elapsed)
    };
    // Warm up, then interleave the two kinds so drift in the machine's load hits both alike.
    request("nobody@acme.example").await;
    let (mut known, mut unknown) = (Vec::new(), Vec::new());
    for n in 0..150 {
        let (known_body, k) = request("ann@acme.example").await;
        let (unknown_body, u) = request(&format!("nobody{n}@acme.example")).await;
        assert_eq!(known_body, unknown_body);
        known.push(k);
        unknown.push(u);
    }
    let share = slower_share(&known, &unknown);
    // Random order gives 0.5 (about +-0.04 at this size); a path that did the lookup or the
    // hashing before answering would sit near 1.
    assert!((0.3..=0.7).contains(&share), "known addresses answered slower in {share:.2} of pairs");
    // The mails the known address could get went out (the cap is 3 an hour).
    tokio::time::sleep(Duration::from_millis(200)).await;
    let sent = api.portal.store().outbox().iter().filter(|m| m.to.as_str() == "ann@acme.example").count();
    assert!(sent >= 2, "the verification mail and at least one reset link: {sent}");
}

/// Closing an account and handing it over are sensitive: after 10 minutes without the password
/// they answer 403 `reauthentication_required` (the same for an account the caller cannot see),
/// until the password is given again, in the request or to `/me/reauthenticate`.
/// ASVS 5.0 V7.5.1.
#[tokio::test]
async fn sensitive_changes_need_a_recent_password() {
    let api = client();
    let (ann, _, acme) = signup(&api, "ann@acme.example", "Acme").await;
    let (_, bob, _) = signup(&api, "bob@bobco.example", "Bobco").await;
    api.clock.advance(chrono::Duration::minutes(11));
    let bearer = format!("Bearer {ann}");
    let close = async |account: &str| {
        api.post(format!("/api/v1/accounts/{account}/close")).header("authorization", &bearer).send().await
    };
    for account in [acme.as_str(), "0190a000-0000-7000-8000-000000000000"] {
        let resp = close(account).await;
        resp.assert_status(poem::http::StatusCode::FORBIDDEN);
        let body: serde_json::Value = resp.json().await.value().deserialize();
        assert_eq!(body["code"], "reauthentication_required", "{account}");
    }
    let transfer = api
        .post(format!("/api/v1/accounts/{acme}/transfer-ownership"))
        .header("authorization", &bearer)
        .body_json(&json!({"user_id": bob, "password": "not the password at all"}))
        .send()
        .await;
    transfer.assert_status(poem::http::StatusCode::FORBIDDEN);
    let body: serde_json::Value = transfer.json().await.value().deserialize();
    assert_eq!(body["code"], "wrong_password");
    let resp = api
        .post("/api/v1/me/reauthenticate")
        .header("authorization", &bearer)
        .body_json(&json!({"password": crate::support::PASSWORD}))
        .send()
        .await;
    resp.assert_status(poem::http::StatusCode::NO_CONTENT);
    close(&acme).await.assert_status_is_ok();
}
