//! `spawn_app()`: the real server on a free port, a fresh database and mail folder per test.

use std::path::PathBuf;

use portal::settings::{DatabaseSettings, LogFormat, ServeSettings};
use serde_json::{Value, json};
use tokio::sync::oneshot;

pub const PASSWORD: &str = "correct horse battery staple";

pub struct TestApp {
    pub base: String,
    /// The management listener (`/metrics`, `/healthz`, `/readyz`).
    pub management: String,
    pub database_url: String,
    pub mail_dir: PathBuf,
    pub client: reqwest::Client,
    _dir: tempfile::TempDir,
    stop: Option<oneshot::Sender<()>>,
    server: Option<tokio::task::JoinHandle<anyhow::Result<()>>>,
}

impl TestApp {
    /// A new operator key, made the way `portal operator create-key` makes one.
    pub async fn operator_key(&self) -> String {
        portal::create_operator_key(&self.database_url, "tests").await.unwrap()
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}/api/v1{path}", self.base)
    }

    /// `GET path` as the holder of `token`; the body as JSON.
    pub async fn get_json(&self, path: &str, token: &str) -> Value {
        self.client.get(self.url(path)).bearer_auth(token).send().await.unwrap().json().await.unwrap()
    }

    /// `method path` as the holder of `token`, with a JSON body when one is given.
    pub async fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        token: &str,
        body: Option<Value>,
    ) -> reqwest::Response {
        let request = self.client.request(method, self.url(path)).bearer_auth(token);
        let request = match body {
            Some(body) => request.json(&body),
            None => request,
        };
        request.send().await.unwrap()
    }

    /// Stops the server the way SIGTERM would, and waits for it.
    pub async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(server) = self.server.take() {
            server.await.unwrap().unwrap();
        }
    }

    /// Signs up, follows the mailed verification link and signs in, as a new customer does;
    /// returns (token, user id, account id).
    pub async fn signup(&self, email: &str, name: &str, account: &str) -> (String, String, String) {
        let resp = self
            .client
            .post(self.url("/auth/signup"))
            .json(&json!({"email": email, "name": name, "password": PASSWORD, "account_name": account}))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 202, "signup of {email}");
        let code = self.mailed_code(email, "verification page", &mut Default::default()).await;
        let resp =
            self.client.post(self.url("/auth/verify-email")).json(&json!({ "token": code })).send().await.unwrap();
        assert_eq!(resp.status(), 200, "verification of {email}");
        let resp = self
            .client
            .post(self.url("/auth/login"))
            .json(&json!({"email": email, "password": PASSWORD}))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 200, "sign-in of {email}");
        let body: Value = resp.json().await.unwrap();
        (
            body["token"].as_str().unwrap().into(),
            body["user"]["id"].as_str().unwrap().into(),
            body["accounts"][0]["id"].as_str().unwrap().into(),
        )
    }
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

/// [`spawn_app`] with its settings changed by `change` first.
pub async fn spawn_app_with(change: impl FnOnce(&mut ServeSettings)) -> TestApp {
    let dir = tempfile::tempdir().unwrap();
    let mail_dir = dir.path().join("mail");
    let database_url = format!("sqlite://{}?mode=rwc", dir.path().join("portal.db").display());
    let mut settings = ServeSettings {
        database: DatabaseSettings { database_url: database_url.clone() },
        listen: "127.0.0.1:0".parse().unwrap(),
        public_url: "http://portal.test".into(),
        mail_dir: mail_dir.clone(),
        smtp_url: None,
        smtp_password_file: None,
        smtp_ca_file: None,
        mail_from: "portal@portal.test".into(),
        log_format: LogFormat::Text,
        max_body_bytes: portal_http::transport::DEFAULT_MAX_BODY_BYTES,
        management_listen: Some("127.0.0.1:0".parse().unwrap()),
        trusted_proxies: Vec::new(),
        secret_key_file: None,
    };
    change(&mut settings);
    let app = portal::Application::build(settings).await.unwrap();
    let base = format!("http://127.0.0.1:{}", app.port());
    let management = format!("http://127.0.0.1:{}", app.management_port().unwrap());
    let (stop, stopped) = oneshot::channel::<()>();
    let server = tokio::spawn(app.run_until(async move {
        let _ = stopped.await;
    }));
    let client = reqwest::Client::new();
    // Wait until it answers.
    for _ in 0..100 {
        if client.get(format!("{base}/api/v1/healthz")).send().await.is_ok() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    TestApp { base, management, database_url, mail_dir, client, _dir: dir, stop: Some(stop), server: Some(server) }
}

impl TestApp {
    /// Waits for the outbox worker to write an email to `to` that was not seen before, and returns
    /// the invite token in its link.
    pub async fn invite_token_for(&self, to: &str, seen: &mut std::collections::HashSet<PathBuf>) -> String {
        self.mailed_code(to, "invite code", seen).await
    }

    /// Waits for an email to `to`, not seen before, whose code is introduced by a line holding
    /// `label` (for example "verification page"), and returns that code.
    pub async fn mailed_code(&self, to: &str, label: &str, seen: &mut std::collections::HashSet<PathBuf>) -> String {
        let text = self.mail_with(to, label, seen).await;
        // The code stands alone on the line after its label.
        let mut lines = text.lines().skip_while(|l| !l.contains(label));
        lines.next();
        lines.next().expect("a code").trim().to_owned()
    }

    /// Waits for an email to `to`, not seen before, that holds `needle` (soft line breaks of the
    /// quoted-printable body undone), and returns its text.
    pub async fn mail_with(&self, to: &str, needle: &str, seen: &mut std::collections::HashSet<PathBuf>) -> String {
        for _ in 0..200 {
            for entry in std::fs::read_dir(&self.mail_dir).into_iter().flatten().flatten() {
                let path = entry.path();
                if seen.contains(&path) {
                    continue;
                }
                let text = std::fs::read_to_string(&path).unwrap().replace("=\r\n", "").replace("=\n", "");
                if text.contains(&format!("To: {to}")) && text.contains(needle) {
                    seen.insert(path);
                    return text;
                }
            }
            tokio::time::sleep(std::time::Duration::from_millis(25)).await;
        }
        panic!("no email to {to} with {needle:?} arrived");
    }
}
