//! Nobody learns whether an address has an account from the time sign-in or sign-up takes
//! (ZITADEL #9746), measured against the real server with its Argon2id hasher. Each request
//! comes from its own client (a trusted proxy names it), so no rate limit steps in.

use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::helpers::{TestApp, spawn_app_with};

/// The probability that a draw from `a` takes longer than one from `b` (ties count half): 0.5
/// when neither is slower.
fn slower_share(a: &[Duration], b: &[Duration]) -> f64 {
    let wins: f64 = a
        .iter()
        .flat_map(|x| b.iter().map(move |y| (x, y)))
        .map(|(x, y)| match x.cmp(y) {
            std::cmp::Ordering::Greater => 1.0,
            std::cmp::Ordering::Equal => 0.5,
            std::cmp::Ordering::Less => 0.0,
        })
        .sum();
    wins / (a.len() * b.len()) as f64
}

async fn behind_a_proxy() -> TestApp {
    spawn_app_with(|s| s.trusted_proxies = vec!["127.0.0.1/32".parse().unwrap()]).await
}

/// Times `body(n, known)` posted to `path` from client `n`, known and unknown interleaved; each
/// pair must answer the same status and body. The share of pairs in which the known address was
/// slower.
async fn timed(app: &TestApp, path: &str, rounds: usize, body: impl Fn(usize, bool) -> Value) -> f64 {
    let (mut known, mut unknown) = (Vec::new(), Vec::new());
    for n in 0..=rounds {
        let mut answers = Vec::new();
        for is_known in [n % 2 == 0, n % 2 == 1] {
            let started = Instant::now();
            let resp = app
                .client
                .post(app.url(path))
                .header(
                    "x-forwarded-for",
                    format!(
                        "198.51.{}.{}",
                        (2 * n + usize::from(is_known)) / 250,
                        (2 * n + usize::from(is_known)) % 250 + 1
                    ),
                )
                .json(&body(n, is_known))
                .send()
                .await
                .unwrap();
            let status = resp.status();
            let text = resp.text().await.unwrap();
            let elapsed = started.elapsed();
            // The first round warms up.
            if n > 0 {
                if is_known { known.push(elapsed) } else { unknown.push(elapsed) }
            }
            answers.push((status, text));
        }
        assert_eq!(answers[0], answers[1], "{path}: known and unknown addresses answered differently");
    }
    slower_share(&known, &unknown)
}

/// ASVS 5.0 V6.3.8: a wrong password for a known address takes as long as any password for an
/// unknown one.
#[tokio::test]
async fn sign_in_takes_as_long_for_an_unknown_address() {
    let app = behind_a_proxy().await;
    app.signup("ann@acme.example", "Ann", "Acme").await;
    let share = timed(&app, "/auth/login", 80, |n, known| {
        let email = if known { "ann@acme.example".to_owned() } else { format!("nobody{n}@acme.example") };
        json!({"email": email, "password": "a wrong guess, long enough"})
    })
    .await;
    eprintln!("sign-in: a known address was slower in {share:.3} of pairs");
    // Alike gives 0.5 (about +-0.05 at this size); skipping the hash for unknown addresses
    // would put it near 1.
    assert!((0.3..=0.7).contains(&share), "known addresses were slower in {share:.2} of pairs");
    app.stop().await;
}

/// ASVS 5.0 V6.3.8: a sign-up of a taken address takes as long as one of a free address.
#[tokio::test]
async fn sign_up_takes_as_long_for_a_taken_address() {
    let app = behind_a_proxy().await;
    app.signup("ann@acme.example", "Ann", "Acme").await;
    let share = timed(&app, "/auth/signup", 80, |n, known| {
        let email = if known { "ann@acme.example".to_owned() } else { format!("new{n}@acme.example") };
        json!({"email": email, "name": "Someone", "password": "a passphrase, long enough", "account_name": "Acme"})
    })
    .await;
    eprintln!("sign-up: a taken address was slower in {share:.3} of pairs");
    assert!((0.3..=0.7).contains(&share), "taken addresses were slower in {share:.2} of pairs");
    app.stop().await;
}
