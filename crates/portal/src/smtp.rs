//! The SMTP relay as production relays need it: STARTTLS required (`smtp://`), implicit TLS
//! (`smtps://`), credentials in the URL or a password file; plain text only to loopback
//! (`?tls=none`), where nothing crosses a network.

use std::net::IpAddr;
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Certificate, Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, Tokio1Executor};

/// How the server reaches its SMTP relay.
#[derive(Debug, Clone)]
pub struct SmtpSettings {
    /// `smtp://[user[:password]@]host[:port][?tls=none]` or `smtps://…`.
    pub url: String,
    /// A file holding the password (instead of one in the URL), read once at start.
    pub password_file: Option<PathBuf>,
    /// A PEM file of certificates to trust besides the built-in (Mozilla) roots (a private relay's CA).
    pub ca_file: Option<PathBuf>,
}

/// How the connection is protected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Protection {
    /// Plain text: only to loopback.
    None,
    /// STARTTLS, required: the relay must offer it, or nothing is sent.
    StartTls,
    /// TLS from the first byte.
    Implicit,
}

/// The parts of an SMTP URL, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Relay {
    /// Host name or address.
    pub host: String,
    /// Port.
    pub port: u16,
    /// Protection.
    pub protection: Protection,
    /// User name, when the relay wants credentials.
    pub user: Option<String>,
    /// The password in the URL, if any.
    pub password: Option<String>,
}

/// Reads an SMTP URL; refuses plain text to anything but loopback.
pub fn parse(raw: &str) -> anyhow::Result<Relay> {
    let url = url::Url::parse(raw).context("the SMTP URL is not a URL")?;
    let tls_none = match url.query_pairs().find(|(k, _)| k == "tls").map(|(_, v)| v.into_owned()) {
        None => false,
        Some(v) if v == "none" => true,
        Some(v) if v == "required" => false,
        Some(v) => bail!("the SMTP URL's tls must be none or required, not {v}"),
    };
    let protection = match (url.scheme(), tls_none) {
        ("smtp", false) => Protection::StartTls,
        ("smtp", true) => Protection::None,
        ("smtps", false) => Protection::Implicit,
        ("smtps", true) => bail!("smtps:// is TLS from the first byte; tls=none contradicts it"),
        (other, _) => bail!("the SMTP URL must start with smtp:// or smtps://, not {other}://"),
    };
    let host = url.host_str().filter(|h| !h.is_empty()).context("the SMTP URL names no host")?;
    let host = host.trim_start_matches('[').trim_end_matches(']').to_owned();
    if protection == Protection::None && !is_loopback(&host) {
        bail!("plain SMTP (tls=none) is allowed only to a loopback relay, not {host}");
    }
    let port = url.port().unwrap_or(match protection {
        Protection::None => 25,
        Protection::StartTls => 587,
        Protection::Implicit => 465,
    });
    let decode = |s: &str| percent_encoding::percent_decode_str(s).decode_utf8_lossy().into_owned();
    let user = Some(url.username()).filter(|u| !u.is_empty()).map(decode);
    let password = url.password().map(decode);
    Ok(Relay { host, port, protection, user, password })
}

fn is_loopback(host: &str) -> bool {
    host.eq_ignore_ascii_case("localhost") || host.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

/// The transport for `settings`.
pub fn transport(settings: &SmtpSettings) -> anyhow::Result<AsyncSmtpTransport<Tokio1Executor>> {
    let relay = parse(&settings.url)?;
    let password = match (&settings.password_file, relay.password.clone()) {
        (Some(file), _) => Some(read_secret(file)?),
        (None, password) => password,
    };
    let tls = match relay.protection {
        Protection::None => Tls::None,
        Protection::StartTls => Tls::Required(tls_parameters(&relay.host, settings.ca_file.as_deref())?),
        Protection::Implicit => Tls::Wrapper(tls_parameters(&relay.host, settings.ca_file.as_deref())?),
    };
    let mut builder =
        AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(relay.host.clone()).port(relay.port).tls(tls);
    match (relay.user, password) {
        (Some(user), Some(password)) => builder = builder.credentials(Credentials::new(user, password)),
        (Some(_), None) => bail!("the SMTP URL names a user but no password (in the URL or --smtp-password-file)"),
        (None, Some(_)) => bail!("an SMTP password without a user: put the user in the URL"),
        (None, None) => {}
    }
    Ok(builder.build())
}

fn tls_parameters(host: &str, ca_file: Option<&Path>) -> anyhow::Result<TlsParameters> {
    let mut builder = TlsParameters::builder(host.to_owned());
    if let Some(file) = ca_file {
        let pem = std::fs::read(file).with_context(|| format!("reading {}", file.display()))?;
        builder = builder.add_root_certificate(
            Certificate::from_pem(&pem).with_context(|| format!("{} is not a PEM certificate", file.display()))?,
        );
    }
    builder.build_rustls().context("setting up TLS for SMTP")
}

fn read_secret(file: &Path) -> anyhow::Result<String> {
    let text = std::fs::read_to_string(file).with_context(|| format!("reading {}", file.display()))?;
    Ok(text.trim_end_matches(['\r', '\n']).to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn smtp_urls_say_how_the_relay_is_reached() -> anyhow::Result<()> {
        let r = parse("smtp://mailer%40acme:p%3Ass@relay.example.com")?;
        assert_eq!((r.port, r.protection), (587, Protection::StartTls));
        assert_eq!((r.user.as_deref(), r.password.as_deref()), (Some("mailer@acme"), Some("p:ss")));
        assert_eq!(parse("smtps://relay.example.com")?.protection, Protection::Implicit);
        assert_eq!(parse("smtps://relay.example.com:2465")?.port, 2465);
        let local = parse("smtp://127.0.0.1:2525?tls=none")?;
        assert_eq!((local.protection, local.port), (Protection::None, 2525));
        assert_eq!(parse("smtp://[::1]:25?tls=none")?.host, "::1");
        Ok(())
    }

    #[test]
    fn plain_text_never_leaves_the_machine() {
        for bad in [
            "smtp://relay.example.com?tls=none",
            "smtp://10.0.0.5?tls=none",
            "smtps://x?tls=none",
            "http://x",
            "smtp://",
        ] {
            assert!(parse(bad).is_err(), "{bad} was accepted");
        }
    }
}
