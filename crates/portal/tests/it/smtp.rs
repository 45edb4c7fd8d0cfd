//! SMTP against a real relay on loopback (aiosmtpd from PyPI, started here with a certificate
//! made here): STARTTLS with credentials, implicit TLS, and a certificate nobody vouches for
//! refused. `.ci/run` installs aiosmtpd and names its Python in `PORTAL_TEST_SMTP_PYTHON`.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use portal::mail::Transport;
use portal::smtp::SmtpSettings;

const RELAY: &str = r#"
import os, ssl, sys, time, signal
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

port, mode, cert, key, out = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5]

class Handler:
    async def handle_DATA(self, server, session, envelope):
        with open(os.path.join(out, f"{time.time_ns()}.eml"), "wb") as f:
            f.write(envelope.content)
        return "250 OK"

def authenticate(server, session, envelope, mechanism, data):
    ok = isinstance(data, LoginPassword) and data.login == b"portal" and data.password == b"s3cret pass"
    return AuthResult(success=ok)

context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
context.load_cert_chain(cert, key)
common = dict(hostname="127.0.0.1", port=port, authenticator=authenticate)
if mode == "implicit":
    # Every byte is under TLS here; aiosmtpd's auth_require_tls only knows STARTTLS.
    controller = Controller(Handler(), ssl_context=context, auth_require_tls=False, **common)
else:
    controller = Controller(Handler(), tls_context=context, require_starttls=True, auth_require_tls=True, **common)
controller.start()
print("ready", flush=True)
signal.sigwait({signal.SIGTERM, signal.SIGINT})
"#;

struct Relay(Child);

impl Drop for Relay {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn python() -> Option<String> {
    match std::env::var("PORTAL_TEST_SMTP_PYTHON") {
        Ok(p) if !p.is_empty() => Some(p),
        _ => {
            assert!(
                std::env::var("PORTAL_REQUIRE_SMTP").as_deref() != Ok("1"),
                "PORTAL_REQUIRE_SMTP=1 but PORTAL_TEST_SMTP_PYTHON is not set"
            );
            eprintln!("skipped: SMTP tests need PORTAL_TEST_SMTP_PYTHON (a Python with aiosmtpd)");
            None
        }
    }
}

/// A CA and a certificate it signs for 127.0.0.1: (CA PEM, certificate PEM, key PEM).
fn certificates() -> (String, String, String) {
    use rcgen::{BasicConstraints, CertificateParams, IsCa, KeyPair};
    let ca_key = KeyPair::generate().unwrap();
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let ca = ca_params.self_signed(&ca_key).unwrap();
    let key = KeyPair::generate().unwrap();
    let cert = CertificateParams::new(vec!["127.0.0.1".to_owned(), "localhost".to_owned()])
        .unwrap()
        .signed_by(&key, &ca, &ca_key)
        .unwrap();
    (ca.pem(), cert.pem(), key.serialize_pem())
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

fn start(python: &str, dir: &Path, mode: &str, cert: &str, key: &str) -> (Relay, u16) {
    let (script, cert_file, key_file, out) =
        (dir.join("relay.py"), dir.join("cert.pem"), dir.join("key.pem"), dir.join(format!("inbox-{mode}")));
    std::fs::write(&script, RELAY).unwrap();
    std::fs::write(&cert_file, cert).unwrap();
    std::fs::write(&key_file, key).unwrap();
    std::fs::create_dir_all(&out).unwrap();
    let port = free_port();
    let mut child = Command::new(python)
        .arg(&script)
        .args([port.to_string(), mode.to_owned()])
        .args([&cert_file, &key_file, &out])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
    assert_eq!(line.trim(), "ready", "the relay did not start");
    (Relay(child), port)
}

fn message() -> lettre::Message {
    lettre::Message::builder()
        .from("portal@portal.test".parse().unwrap())
        .to("ann@acme.example".parse().unwrap())
        .subject("You are invited")
        .body("invite code\nxyz\n".to_owned())
        .unwrap()
}

fn inbox(dir: &Path, mode: &str) -> Vec<String> {
    std::fs::read_dir(dir.join(format!("inbox-{mode}")))
        .unwrap()
        .flatten()
        .map(|e| std::fs::read_to_string(e.path()).unwrap())
        .collect()
}

#[tokio::test]
async fn mail_goes_out_over_starttls_and_implicit_tls_and_a_wrong_certificate_is_refused() {
    let Some(python) = python() else { return };
    let dir = tempfile::tempdir().unwrap();
    let (ca, cert, key) = certificates();
    let (other_ca, _, _) = certificates();
    std::fs::write(dir.path().join("ca.pem"), &ca).unwrap();
    std::fs::write(dir.path().join("other-ca.pem"), &other_ca).unwrap();
    std::fs::write(dir.path().join("password"), "s3cret pass\n").unwrap();

    for (mode, scheme) in [("starttls", "smtp"), ("implicit", "smtps")] {
        let (_relay, port) = start(&python, dir.path(), mode, &cert, &key);
        let settings = |ca: &str| SmtpSettings {
            url: format!("{scheme}://portal@127.0.0.1:{port}"),
            password_file: Some(dir.path().join("password")),
            ca_file: Some(dir.path().join(ca)),
        };
        let trusted = Transport::smtp(&settings("ca.pem")).unwrap();
        let sent = tokio::time::timeout(Duration::from_secs(20), trusted.send(message())).await;
        sent.expect("no answer in 20 s").unwrap();
        let mail = inbox(dir.path(), mode);
        assert_eq!(mail.len(), 1, "{mode}: the mail did not arrive");
        assert!(mail[0].contains("You are invited") && mail[0].contains("xyz"), "{mode}: {}", mail[0]);

        let untrusted = Transport::smtp(&settings("other-ca.pem")).unwrap();
        let refused = tokio::time::timeout(Duration::from_secs(20), untrusted.send(message())).await.unwrap();
        assert!(refused.is_err(), "{mode}: a certificate from an unknown CA was accepted");
        assert_eq!(inbox(dir.path(), mode).len(), 1, "{mode}: a mail went through an untrusted connection");
    }
}
