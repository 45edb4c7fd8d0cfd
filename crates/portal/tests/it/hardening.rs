//! What one request or a second process must not break: the body limit as resident memory
//! shows it, the metrics' exposition after hostile paths, several servers starting together.

use std::io::{Read, Write};

use serde_json::json;

use crate::helpers::{PASSWORD, spawn_app};
use crate::process;

/// Sends `POST path` declaring a body of `length` bytes, sends none of it, and returns the
/// status line and headers of the answer (which must come before any body is read).
fn declare_body(base: &str, path: &str, length: usize) -> String {
    let addr = base.trim_start_matches("http://");
    let mut stream = std::net::TcpStream::connect(addr).unwrap();
    stream.set_read_timeout(Some(std::time::Duration::from_secs(10))).unwrap();
    write!(
        stream,
        "POST {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\nContent-Length: {length}\r\n\r\n"
    )
    .unwrap();
    let mut answer = vec![0u8; 4096];
    let n = stream.read(&mut answer).unwrap();
    String::from_utf8_lossy(&answer[..n]).into_owned()
}

#[tokio::test]
async fn a_64_mib_body_is_refused_with_413_and_the_server_does_not_grow() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}?mode=rwc", dir.path().join("portal.db").display());
    let server = process::serve(dir.path(), &url, &[]);
    let client = reqwest::Client::new();
    // Warm up the paths a login takes, so what follows measures the body alone.
    let resp = client
        .post(server.url("/auth/login"))
        .json(&json!({"email": "nobody@example.com", "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 401);
    let before = server.resident_kib();

    let answer = declare_body(&server.base, "/api/v1/auth/login", 64 << 20);
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
    assert!(answer.contains("application/problem+json"), "{answer}");

    // The body sent in full, through a real client: still refused, memory still flat.
    let body = vec![b' '; 64 << 20];
    let sent =
        client.post(server.url("/auth/login")).header("content-type", "application/json").body(body).send().await;
    if let Ok(resp) = sent {
        assert_eq!(resp.status(), 413);
    }
    let after = server.resident_kib();
    assert!(after < before + 32 * 1024, "resident memory grew from {before} KiB to {after} KiB");

    // A body under the limit is still read.
    let resp = client
        .post(server.url("/auth/login"))
        .json(&json!({"email": "nobody@example.com", "password": "x".repeat(100)}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 401);
}

#[tokio::test]
async fn the_body_limit_is_configured() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}?mode=rwc", dir.path().join("portal.db").display());
    let server = process::serve(dir.path(), &url, &["--max-body-bytes", "100"]);
    let answer = declare_body(&server.base, "/api/v1/auth/login", 101);
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
    assert!(answer.contains("larger than the limit of 100 bytes"), "{answer}");
}

/// Hostile paths leave the exposition parsable, are counted as `unmatched`, and `/metrics` is
/// served only on the management listener.
#[tokio::test]
async fn metrics_stay_parsable_and_private() {
    let app = spawn_app().await;
    for path in ["/x\"}\\", "/api/v1/accounts/%22%7D%5C/users", "/a\nb", "/api/v1/../../etc/passwd"] {
        let _ = app.client.get(format!("{}{path}", app.base)).send().await;
    }
    let (token, _, account) = app.signup("ann@acme.example", "Ann", "Acme").await;
    app.client.get(app.url(&format!("/accounts/{account}"))).bearer_auth(&token).send().await.unwrap();

    let public = app.client.get(format!("{}/metrics", app.base)).send().await.unwrap();
    assert_eq!(public.status(), 404, "the public listener serves /metrics");

    let text = app.client.get(format!("{}/metrics", app.management)).send().await.unwrap().text().await.unwrap();
    // A grammar-based parser: one malformed line fails the whole scrape, as in Prometheus.
    let scrape = openmetrics_parser::prometheus::parse_prometheus(&text).expect("the exposition parses");
    let requests = &scrape.families["portal_http_requests_total"];
    let routes: std::collections::BTreeSet<String> = requests
        .iter_samples()
        .map(|s| s.get_labelset().unwrap().get_label_value("route").unwrap().to_owned())
        .collect();
    assert!(routes.contains("unmatched"), "{routes:?}");
    assert!(routes.contains("/api/v1/accounts/{id}"), "{routes:?}");
    assert!(routes.iter().all(|r| r == "unmatched" || r.starts_with("/api/v1/")), "{routes:?}");
    for path in ["/healthz", "/readyz"] {
        let resp = app.client.get(format!("{}{path}", app.management)).send().await.unwrap();
        assert_eq!(resp.status(), 200, "{path}");
    }
    app.stop().await;
}

/// A server that cannot start says why in one line, not a backtrace.
#[test]
fn a_failed_start_prints_one_line() {
    let dir = tempfile::tempdir().unwrap();
    let out = process::portal(dir.path())
        .args(["serve", "--listen", "127.0.0.1:0", "--database-url", "mysql://nowhere/portal"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    let lines: Vec<&str> = stderr.lines().filter(|l| !l.trim().is_empty()).collect();
    assert_eq!(lines.len(), 1, "{stderr}");
    assert!(lines[0].starts_with("error: opening the database: "), "{stderr}");
}

/// A new, empty PostgreSQL database on the test server, or `None` (the test is skipped) when
/// there is none and none is required.
async fn fresh_postgres() -> Option<String> {
    use sea_orm::{ConnectionTrait, Database};
    let base = match std::env::var("PORTAL_TEST_POSTGRES_URL") {
        Ok(url) if !url.is_empty() => url,
        _ => {
            assert!(
                std::env::var("PORTAL_REQUIRE_POSTGRES").as_deref() != Ok("1"),
                "PORTAL_REQUIRE_POSTGRES=1 but PORTAL_TEST_POSTGRES_URL is not set"
            );
            eprintln!("skipped: PostgreSQL tests need PORTAL_TEST_POSTGRES_URL");
            return None;
        }
    };
    let name = format!("portal_e2e_{}", uuid::Uuid::now_v7().simple());
    let admin = Database::connect(&base).await.unwrap();
    admin.execute_unprepared(&format!("CREATE DATABASE {name}")).await.unwrap();
    let _ = admin.close().await;
    let (prefix, _) = base.rsplit_once('/').unwrap();
    Some(format!("{prefix}/{name}"))
}

/// Four servers started at once on an empty PostgreSQL database all start (they migrate in
/// turn), and a session made on one is good on every other.
/// ASVS 5.0 V7.1.3.
#[tokio::test]
async fn four_servers_start_together_on_a_fresh_postgres() {
    let Some(url) = fresh_postgres().await else { return };
    let dir = tempfile::tempdir().unwrap();
    let starts: Vec<_> = (0..4)
        .map(|_| {
            let (dir, url) = (dir.path().to_owned(), url.clone());
            // PostgreSQL has no file to put a key beside: every server is given the one file.
            std::thread::spawn(move || process::serve(&dir, &url, &["--secret-key-file", "secret.key"]))
        })
        .collect();
    let servers: Vec<process::Server> = starts.into_iter().map(|s| s.join().unwrap()).collect();
    let client = reqwest::Client::new();
    for (i, server) in servers.iter().enumerate() {
        let ready = client.get(format!("{}/readyz", server.management.as_ref().unwrap())).send().await.unwrap();
        assert_eq!(ready.status(), 200, "server {i} is not ready");
        let resp = client
            .post(server.url("/auth/signup"))
            .json(&json!({"email": format!("owner{i}@example.com"), "name": "Owner", "password": PASSWORD, "account_name": "Acme"}))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 202, "signup on server {i}");
        // Unverified, the new owner signs in: on this server, then their session works on the next.
        let resp = client
            .post(server.url("/auth/login"))
            .json(&json!({"email": format!("owner{i}@example.com"), "password": PASSWORD}))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 200, "sign-in on server {i}");
        let token = resp.json::<serde_json::Value>().await.unwrap()["token"].as_str().unwrap().to_owned();
        let other = &servers[(i + 1) % servers.len()];
        let me = client.get(other.url("/me")).bearer_auth(&token).send().await.unwrap();
        assert_eq!(me.status(), 200, "a session of server {i} on another server");
        let email = me.json::<serde_json::Value>().await.unwrap()["email"].as_str().unwrap().to_owned();
        assert_eq!(email, format!("owner{i}@example.com"));
    }
}

async fn login_from(server: &process::Server, client: &str, email: &str, password: &str) -> reqwest::Response {
    reqwest::Client::new()
        .post(server.url("/auth/login"))
        .header("x-forwarded-for", client)
        .json(&json!({"email": email, "password": password}))
        .send()
        .await
        .unwrap()
}

/// Behind a trusted proxy each client has its own buckets: a stranger's failures lock out only
/// the stranger (with `Retry-After`), and counter keys stay digests whatever is typed.
#[tokio::test]
async fn behind_a_trusted_proxy_a_stranger_cannot_lock_a_user_out() {
    use sea_orm::{ConnectionTrait, Database, Statement};
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}?mode=rwc", dir.path().join("portal.db").display());
    let server = process::serve(dir.path(), &url, &["--trusted-proxy", "127.0.0.1/32"]);
    let resp = reqwest::Client::new()
        .post(server.url("/auth/signup"))
        .header("x-forwarded-for", "203.0.113.5")
        .json(&json!({"email": "ann@acme.example", "name": "Ann", "password": PASSWORD, "account_name": "Acme"}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 202);
    for _ in 0..10 {
        let resp = login_from(&server, "198.51.100.66", "ann@acme.example", "a wrong guess at it").await;
        assert_eq!(resp.status(), 401);
    }
    let refused = login_from(&server, "198.51.100.66", "ann@acme.example", PASSWORD).await;
    assert_eq!(refused.status(), 429);
    let wait: u64 = refused.headers()["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=900).contains(&wait), "Retry-After: {wait}");
    assert_eq!(login_from(&server, "203.0.113.5", "ann@acme.example", PASSWORD).await.status(), 200);

    // Long addresses (the body limit lets 60 KiB through) make keys of the same size as any other.
    let long = format!("{}@example.com", "x".repeat(60 * 1024));
    for n in 0..20 {
        let resp = login_from(&server, &format!("192.0.2.{n}"), &long, "a wrong guess at it").await;
        assert_eq!(resp.status(), 401);
    }
    let db = Database::connect(&url).await.unwrap();
    let row = db
        .query_one_raw(Statement::from_string(
            db.get_database_backend(),
            "SELECT max(length(key)) AS longest, count(*) AS keys FROM rate_limits",
        ))
        .await
        .unwrap()
        .unwrap();
    let longest: i64 = row.try_get("", "longest").unwrap();
    assert!(longest <= 64, "a counter key of {longest} bytes");
}

/// From a peer that is not a trusted proxy, forwarding headers name nobody: every attempt
/// counts against the peer itself.
#[tokio::test]
async fn forwarding_headers_from_an_untrusted_peer_are_ignored() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}?mode=rwc", dir.path().join("portal.db").display());
    let server = process::serve(dir.path(), &url, &[]);
    for n in 0..10 {
        let resp = login_from(&server, &format!("198.51.100.{n}"), "nobody@acme.example", "a wrong guess at it").await;
        assert_eq!(resp.status(), 401);
    }
    let refused = login_from(&server, "198.51.100.200", "nobody@acme.example", "a wrong guess at it").await;
    assert_eq!(refused.status(), 429, "a forged X-Forwarded-For bought a fresh bucket");
    assert!(refused.headers().contains_key("retry-after"));
}
