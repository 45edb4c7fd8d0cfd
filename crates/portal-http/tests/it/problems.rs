//! Bad input and missing credentials answer with problem details, never a 500.

use poem::http::StatusCode;
use serde_json::{Value, json};

use crate::support::{client, signup};

async fn problem(resp: poem::test::TestResponse, status: StatusCode) -> Value {
    if resp.0.status() != status {
        let got = resp.0.status();
        let text = resp.0.into_body().into_string().await.unwrap();
        panic!("expected {status}, got {got}: {text}");
    }
    resp.assert_content_type("application/problem+json");
    resp.json().await.value().deserialize()
}

#[tokio::test]
async fn no_credentials_is_401_with_a_problem_and_a_challenge() {
    let cli = client();
    let resp = cli.get("/api/v1/me").send().await;
    resp.assert_status(StatusCode::UNAUTHORIZED);
    resp.assert_header("WWW-Authenticate", "Bearer");
    let resp = cli.get("/api/v1/me").header("Authorization", "Bearer not-a-session").send().await;
    resp.assert_status(StatusCode::UNAUTHORIZED);
    resp.assert_content_type("application/problem+json");
    let body: Value = resp.json().await.value().deserialize();
    assert_eq!(body["code"], "unauthorized");
}

#[tokio::test]
async fn malformed_bodies_are_400_problems() {
    let cli = client();
    for body in [
        json!({}),
        json!({"email": "a@b.example"}),
        json!([1, 2]),
        json!("text"),
        json!({"email": [], "name": {}, "password": 1, "account_name": null}),
    ] {
        let resp = cli.post("/api/v1/auth/signup").body_json(&body).send().await;
        let p = problem(resp, StatusCode::BAD_REQUEST).await;
        assert_eq!(p["status"], 400, "{body}");
    }
    // A number where the document says text is the wrong type: 400, as the document promises
    // (it was read as text once, so a schema-violating body could create an account).
    let resp = cli
        .post("/api/v1/auth/signup")
        .body_json(&json!({"email": 5, "name": "x", "password": "y", "account_name": "z"}))
        .send()
        .await;
    problem(resp, StatusCode::BAD_REQUEST).await;
    let resp =
        cli.post("/api/v1/auth/signup").header("Content-Type", "application/json").body("{not json").send().await;
    problem(resp, StatusCode::BAD_REQUEST).await;
}

#[tokio::test]
async fn invalid_values_are_422_problems_naming_the_field() {
    let cli = client();
    // Far over any name's limit, under the body limit.
    let huge = "x".repeat(20_000);
    let cases = [
        (
            json!({"email": "not an email", "name": "Ann", "password": "correct horse battery staple", "account_name": "Acme"}),
            "email",
        ),
        (
            json!({"email": "ann@acme.example", "name": " ", "password": "correct horse battery staple", "account_name": "Acme"}),
            "name",
        ),
        (json!({"email": "ann@acme.example", "name": "Ann", "password": "short", "account_name": "Acme"}), "password"),
        (
            json!({"email": "ann@acme.example", "name": huge, "password": "correct horse battery staple", "account_name": "Acme"}),
            "name",
        ),
    ];
    for (body, field) in cases {
        let resp = cli.post("/api/v1/auth/signup").body_json(&body).send().await;
        let p = problem(resp, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert_eq!(p["field"], field);
    }
    let (token, _, _) = signup(&cli, "ann@acme.example", "Acme").await;
    let resp = cli
        .put("/api/v1/me/notification-preferences")
        .header("Authorization", format!("Bearer {token}"))
        .body_json(&json!({"opted_out": ["security"]}))
        .send()
        .await;
    let p = problem(resp, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert_eq!(p["field"], "opted_out");
    let resp = cli
        .put("/api/v1/me/notification-preferences")
        .header("Authorization", format!("Bearer {token}"))
        .body_json(&json!({"opted_out": ["nonsense"]}))
        .send()
        .await;
    problem(resp, StatusCode::UNPROCESSABLE_ENTITY).await;
    let resp = cli.get("/api/v1/accounts/not-a-uuid").header("Authorization", format!("Bearer {token}")).send().await;
    problem(resp, StatusCode::BAD_REQUEST).await;
    let resp = cli
        .get("/api/v1/me/accounts")
        .query("limit", &500)
        .header("Authorization", format!("Bearer {token}"))
        .send()
        .await;
    let p = problem(resp, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert_eq!(p["field"], "limit");
}

#[tokio::test]
async fn instants_outside_what_the_domain_accepts_are_422_naming_the_field() {
    let cli = client();
    let (ann, _, acme) = signup(&cli, "ann@acme.example", "Acme").await;
    let auth = format!("Bearer {ann}");
    // The in-memory clock stands at 2026-04-18.
    for (end, code) in [
        ("+10000-01-01T00:00:00Z", "invalid_value"),
        ("9999-12-31T23:59:59-05:00", "invalid_value"),
        ("2027-02-30T00:00:00Z", "invalid_value"),
        ("tomorrow", "invalid_value"),
        ("2026-04-17T00:00:00Z", "end_date_not_in_future"),
        ("2040-01-01T00:00:00Z", "end_date_too_far"),
    ] {
        let resp = cli
            .post(format!("/api/v1/accounts/{acme}/invites"))
            .header("Authorization", &auth)
            .body_json(&json!({"email": "bob@acme.example", "role": "billing", "access_ends_at": end}))
            .send()
            .await;
        let p = problem(resp, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert_eq!((p["field"].as_str(), p["code"].as_str()), (Some("access_ends_at"), Some(code)), "{end}: {p}");
    }
    let resp = cli
        .patch(format!("/api/v1/accounts/{acme}/users/019b76da-a802-7000-8000-000000000002"))
        .header("Authorization", &auth)
        .body_json(&json!({"ends_at": "+10000-01-01T00:00:00Z"}))
        .send()
        .await;
    let p = problem(resp, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert_eq!(p["field"], "ends_at");
    let resp = cli
        .post(format!("/api/v1/accounts/{acme}/invites"))
        .header("Authorization", &auth)
        .body_json(
            &json!({"email": "bob@acme.example", "role": "billing", "access_ends_at": "2027-04-18T19:00:00+02:00"}),
        )
        .send()
        .await;
    resp.assert_status(StatusCode::CREATED);
    let invite: Value = resp.json().await.value().deserialize();
    assert_eq!(invite["access_ends_at"], "2027-04-18T17:00:00+00:00");
}

#[tokio::test]
async fn an_if_match_naming_no_version_of_ours_is_412_and_an_empty_cursor_is_the_first_page() {
    let cli = client();
    let (token, _, account) = signup(&cli, "ann@acme.example", "Acme").await;
    let auth = format!("Bearer {token}");
    for tag in ["W/\"something-else\"", "\"\", \"\"", "\"v999\""] {
        let resp = cli
            .patch("/api/v1/me")
            .header("Authorization", &auth)
            .header("If-Match", tag)
            .body_json(&json!({"name": "Ann"}))
            .send()
            .await;
        problem(resp, StatusCode::PRECONDITION_FAILED).await;
    }
    let resp = cli
        .patch("/api/v1/me")
        .header("Authorization", &auth)
        .header("If-Match", "")
        .body_json(&json!({"name": "Ann"}))
        .send()
        .await;
    resp.assert_status_is_ok();
    let resp = cli.get(format!("/api/v1/accounts/{account}/users?cursor=")).header("Authorization", &auth).send().await;
    resp.assert_status_is_ok();
}
