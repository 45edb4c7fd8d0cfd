//! What every answer carries and what no request may bring: the body limit (also on a body
//! without a declared length), the headers that keep answers out of caches and frames, `Allow`
//! on a 405.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use futures_util::StreamExt;
use poem::Body;
use poem::http::StatusCode;
use serde_json::{Value, json};

use crate::support::{PASSWORD, client, signup};

#[tokio::test]
async fn a_chunked_body_over_the_limit_is_refused_before_it_is_read_whole() {
    let cli = client();
    let pulled = Arc::new(AtomicUsize::new(0));
    let counter = pulled.clone();
    // 64 MiB in 64 KiB chunks, counted as the server pulls them.
    let chunks = futures_util::stream::iter(0..1024).map(move |_| {
        counter.fetch_add(1, Ordering::SeqCst);
        Ok::<_, std::io::Error>(vec![b' '; 64 * 1024])
    });
    let resp = cli
        .post("/api/v1/auth/login")
        .content_type("application/json")
        .body(Body::from_bytes_stream(chunks))
        .send()
        .await;
    resp.assert_status(StatusCode::PAYLOAD_TOO_LARGE);
    resp.assert_content_type("application/problem+json");
    let body: Value = resp.json().await.value().deserialize();
    assert_eq!(body["code"], "payload_too_large");
    assert!(pulled.load(Ordering::SeqCst) <= 3, "the server read {} chunks", pulled.load(Ordering::SeqCst));
}

#[tokio::test]
async fn a_declared_length_over_the_limit_is_refused_and_one_under_it_is_read() {
    let cli = client();
    let resp = cli
        .post("/api/v1/auth/login")
        .content_type("application/json")
        .header("content-length", (64 * 1024 + 1).to_string())
        .body(vec![b' '; 64 * 1024 + 1])
        .send()
        .await;
    resp.assert_status(StatusCode::PAYLOAD_TOO_LARGE);
    let padded = format!("{{\"email\":\"nobody@example.com\",\"password\":\"{PASSWORD}\"}}{}", " ".repeat(60_000));
    let resp = cli.post("/api/v1/auth/login").content_type("application/json").body(padded).send().await;
    resp.assert_status(StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn api_answers_are_neither_cached_nor_sniffed_nor_referred() {
    let cli = client();
    let (token, _, account) = signup(&cli, "ann@acme.example", "Acme").await;
    for resp in [
        cli.get(format!("/api/v1/accounts/{account}")).header("authorization", format!("Bearer {token}")).send().await,
        cli.get("/api/v1/me").send().await,
        cli.get("/api/v1/nowhere").send().await,
        cli.get("/api/v1/openapi.json").send().await,
    ] {
        resp.assert_header("cache-control", "no-store");
        resp.assert_header("x-content-type-options", "nosniff");
        resp.assert_header("referrer-policy", "no-referrer");
    }
}

#[tokio::test]
async fn the_docs_page_has_a_policy_that_forbids_frames_and_foreign_code() {
    let cli = client();
    let resp = cli.get("/docs").send().await;
    resp.assert_status_is_ok();
    let csp = resp.0.headers().get("content-security-policy").expect("a CSP on /docs").to_str().unwrap().to_owned();
    assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
    assert!(csp.contains("default-src 'none'"), "{csp}");
    assert!(csp.contains("script-src 'sha256-"), "{csp}");
    assert!(!csp.contains("unsafe-inline"), "{csp}");
    resp.assert_header("x-content-type-options", "nosniff");
}

#[tokio::test]
async fn a_405_lists_the_methods_the_path_allows() {
    let cli = client();
    let resp = cli.put("/api/v1/auth/login").body_json(&json!({})).send().await;
    resp.assert_status(StatusCode::METHOD_NOT_ALLOWED);
    resp.assert_header("allow", "POST");
    resp.assert_content_type("application/problem+json");
    let resp = cli.post("/api/v1/accounts/019b76da-a802-7000-8000-000000000002").send().await;
    resp.assert_status(StatusCode::METHOD_NOT_ALLOWED);
    resp.assert_header("allow", "GET, HEAD, PATCH");
}
