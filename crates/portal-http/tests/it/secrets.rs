//! No secret leaks (ASVS V6.3.1, V7.2.1): over random account-security flows through the API,
//! with every log line captured, no password, link token, session token, ticket, TOTP secret or
//! code, recovery code, sealed secret or hash appears in a log line, an error body, or the
//! history's payload.

use std::sync::{Arc, Mutex, OnceLock};

use poem::{Endpoint, Response};
use portal_domain::ports::Store;
use portal_testkit::memory::FakeTotp;
use proptest::prelude::*;
use serde_json::{Value, json};

use crate::support::{Api, client};

/// Every log line any test of this binary writes, from the first use on.
fn captured() -> &'static Arc<Mutex<Vec<u8>>> {
    static LOG: OnceLock<Arc<Mutex<Vec<u8>>>> = OnceLock::new();
    LOG.get_or_init(|| {
        let log = Arc::new(Mutex::new(Vec::new()));
        let sink = log.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_max_level(tracing::Level::TRACE)
            .with_ansi(false)
            .with_writer(move || Writer(sink.clone()))
            .finish();
        tracing::subscriber::set_global_default(subscriber).expect("one subscriber");
        log
    })
}

struct Writer(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Writer {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// One step of a flow.
#[derive(Debug, Clone)]
enum Step {
    WrongLogin,
    Login,
    ResetPassword,
    ChangePassword,
    ChangeEmail,
    EnableMfa,
    WrongCode,
    RecoveryCode,
    RenewCodes,
    Reauthenticate,
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        Just(Step::WrongLogin),
        Just(Step::Login),
        Just(Step::ResetPassword),
        Just(Step::ChangePassword),
        Just(Step::ChangeEmail),
        Just(Step::EnableMfa),
        Just(Step::WrongCode),
        Just(Step::RecoveryCode),
        Just(Step::RenewCodes),
        Just(Step::Reauthenticate),
    ]
}

/// The flow's state: what the person holds, and every secret seen so far.
struct Flow<'a, E> {
    api: &'a Api<E>,
    email: String,
    password: String,
    session: String,
    totp: Option<String>,
    recovery: Vec<String>,
    secrets: Vec<String>,
    error_bodies: Vec<String>,
    fresh: u32,
}

impl<E: Endpoint<Output = Response>> Flow<'_, E> {
    async fn call(&mut self, path: &str, bearer: bool, body: Value) -> (u16, Value) {
        let mut req = self.api.post(format!("/api/v1{path}"));
        if bearer {
            req = req.header("authorization", format!("Bearer {}", self.session));
        }
        self.send(req.body_json(&body)).await
    }

    async fn send(&mut self, req: poem::test::TestRequestBuilder<'_, E>) -> (u16, Value) {
        let resp = req.send().await;
        let status = resp.0.status().as_u16();
        let text = resp.0.into_body().into_string().await.unwrap();
        if status >= 400 {
            self.error_bodies.push(text.clone());
        }
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    fn new_password(&mut self) -> String {
        self.fresh += 1;
        let password = format!("passphrase number {} of this flow", self.fresh);
        self.secrets.push(password.clone());
        password
    }

    fn code(&mut self) -> Option<String> {
        let secret = self.totp.clone()?;
        let code = FakeTotp::code(&secret, self.api.portal.now());
        // Each code once: the next step's code later.
        self.api.clock.advance(chrono::Duration::seconds(30));
        Some(code)
    }

    /// The newest link token mailed to the user, noted as a secret.
    fn mailed_link(&mut self, to: &str) -> Option<String> {
        let token = self.api.portal.store().link_token_for(to)?;
        self.secrets.push(token.clone());
        Some(token)
    }

    async fn login(&mut self) {
        let (email, password) = (self.email.clone(), self.password.clone());
        let (status, body) = self.call("/auth/login", false, json!({"email": email, "password": password})).await;
        let session = match status {
            200 => body["token"].as_str().map(str::to_owned),
            202 => {
                let ticket = body["ticket"].as_str().unwrap().to_owned();
                self.secrets.push(ticket.clone());
                let code = self.code().unwrap();
                let (_, body) = self.call("/auth/login/mfa", false, json!({"ticket": ticket, "code": code})).await;
                body["token"].as_str().map(str::to_owned)
            }
            _ => None,
        };
        if let Some(session) = session {
            self.secrets.push(session.clone());
            self.session = session;
        }
    }

    async fn run(&mut self, step: Step) {
        match step {
            Step::WrongLogin => {
                let email = self.email.clone();
                self.call("/auth/login", false, json!({"email": email, "password": "a wrong guess, long enough"}))
                    .await;
            }
            Step::Login => self.login().await,
            Step::ResetPassword => {
                let email = self.email.clone();
                self.api
                    .portal
                    .request_password_reset(
                        &portal_testkit::memory::client_at("t"),
                        &portal_domain::values::EmailAddress::parse(&email).unwrap(),
                    )
                    .await
                    .unwrap();
                if let Some(token) = self.mailed_link(&email) {
                    let new = self.new_password();
                    let (status, _) = self
                        .call("/auth/password-reset/confirm", false, json!({"token": token, "new_password": new}))
                        .await;
                    if status == 204 {
                        self.password = new;
                        self.login().await;
                    }
                }
            }
            Step::ChangePassword => {
                let (current, new, code) = (self.password.clone(), self.new_password(), self.code());
                let body = json!({"current_password": current, "new_password": new, "code": code});
                let (status, _) = self
                    .send(
                        self.api
                            .put("/api/v1/me/password")
                            .header("authorization", format!("Bearer {}", self.session))
                            .body_json(&body),
                    )
                    .await;
                if status == 204 {
                    self.password = new;
                }
            }
            Step::ChangeEmail => {
                self.fresh += 1;
                let to = format!("moved{}@elsewhere.example", self.fresh);
                let body = json!({"current_password": self.password, "new_email": to, "code": self.code()});
                let (status, _) = self
                    .send(
                        self.api
                            .put("/api/v1/me/email")
                            .header("authorization", format!("Bearer {}", self.session))
                            .body_json(&body),
                    )
                    .await;
                if status == 202
                    && let Some(token) = self.mailed_link(&to)
                {
                    let (status, _) = self.call("/auth/verify-email", false, json!({"token": token})).await;
                    if status == 200 {
                        self.email = to;
                    }
                }
            }
            Step::EnableMfa => {
                let (status, body) = self.call("/me/mfa/totp", true, Value::Null).await;
                if status == 200 {
                    let secret = body["secret"].as_str().unwrap().to_owned();
                    self.secrets.push(secret.clone());
                    self.totp = Some(secret);
                    let code = self.code().unwrap();
                    let (status, body) = self.call("/me/mfa/totp/confirm", true, json!({"code": code})).await;
                    if status == 200 {
                        self.recovery = serde_json::from_value(body["recovery_codes"].clone()).unwrap();
                        self.secrets.extend(self.recovery.clone());
                    }
                }
            }
            Step::WrongCode => {
                let password = self.password.clone();
                self.call("/me/reauthenticate", true, json!({"password": password, "code": "not-a-code"})).await;
            }
            Step::RecoveryCode => {
                if let Some(code) = self.recovery.pop() {
                    let password = self.password.clone();
                    self.call("/me/reauthenticate", true, json!({"password": password, "code": code})).await;
                }
            }
            Step::RenewCodes => {
                let body = json!({"password": self.password, "code": self.code()});
                let (status, body) = self.call("/me/mfa/recovery-codes", true, body).await;
                if status == 200 {
                    self.recovery = serde_json::from_value(body["recovery_codes"].clone()).unwrap();
                    self.secrets.extend(self.recovery.clone());
                }
            }
            Step::Reauthenticate => {
                let body = json!({"password": self.password, "code": self.code()});
                self.call("/me/reauthenticate", true, body).await;
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    /// ASVS V6.3.1 / V7.2.1 / V11: secrets stay out of logs, error bodies and the history.
    #[test]
    fn no_secret_reaches_a_log_an_error_body_or_the_history(steps in prop::collection::vec(step(), 1..12)) {
        let log = captured();
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        runtime.block_on(async {
            let api = client();
            let (session, user, _) = crate::support::signup(&api, "ann@acme.example", "Acme").await;
            let mut flow = Flow {
                api: &api,
                email: "ann@acme.example".into(),
                password: crate::support::PASSWORD.into(),
                session: session.clone(),
                totp: None,
                recovery: Vec::new(),
                secrets: vec![crate::support::PASSWORD.into(), session],
                error_bodies: Vec::new(),
                fresh: 0,
            };
            for step in steps {
                flow.run(step).await;
            }
            let user = portal_domain::ids::UserId::from_uuid(user.parse().unwrap());
            let stored = api.portal.store().user(user).await.unwrap().unwrap();
            // What the store keeps in their place is secret too: hashes, digests, the sealed secret.
            flow.secrets.push(stored.password_hash().as_str().to_owned());
            flow.secrets.extend(stored.recovery_codes().iter().map(|d| d.as_str().to_owned()));
            if let portal_domain::user::MfaState::On { secret, .. } | portal_domain::user::MfaState::Pending { secret } = stored.mfa() {
                flow.secrets.push(secret.as_str().to_owned());
            }
            let events = api.portal.store().user_events(user).await.unwrap();
            let history = format!("{}\n{events:?}", serde_json::to_string(&events).unwrap());
            let log = String::from_utf8_lossy(&log.lock().unwrap()).into_owned();
            let errors = flow.error_bodies.join("\n");
            // The capture works: every request wrote its line.
            prop_assert!(log.contains("request"), "nothing was logged");
            for secret in flow.secrets.iter().filter(|s| !s.is_empty()) {
                prop_assert!(!log.contains(secret.as_str()), "a log line holds {secret:?}");
                prop_assert!(!errors.contains(secret.as_str()), "an error body holds {secret:?}");
                prop_assert!(!history.contains(secret.as_str()), "the history holds {secret:?}");
            }
            Ok(())
        })?;
    }
}
