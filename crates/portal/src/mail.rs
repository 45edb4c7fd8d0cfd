//! The outbox worker: claims queued email, renders it, hands it to the transport, and reports
//! back. Unsent mail stays in the outbox across restarts.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use lettre::message::header::ContentType;
use lettre::message::{Body, Mailbox, SinglePart};
use lettre::{AsyncFileTransport, AsyncSmtpTransport, AsyncTransport, Tokio1Executor};
use portal_domain::ports::{Message, OutgoingEmail};
use portal_domain::routing::Reason;
use portal_store::{QueuedEmail, SqlStore};
use tokio::sync::watch;

/// Where email goes.
#[derive(Clone)]
pub enum Transport {
    /// `.eml` files in a folder (a developer can read them).
    Folder(AsyncFileTransport<Tokio1Executor>),
    /// An SMTP relay.
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
}

impl std::fmt::Debug for Transport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Folder(_) => f.write_str("Transport::Folder"),
            Self::Smtp(_) => f.write_str("Transport::Smtp"),
        }
    }
}

impl Transport {
    /// The folder transport, creating the folder.
    pub fn folder(dir: PathBuf) -> anyhow::Result<Self> {
        std::fs::create_dir_all(&dir)?;
        Ok(Self::Folder(AsyncFileTransport::new(dir)))
    }

    /// An SMTP relay ([`crate::smtp`]).
    pub fn smtp(settings: &crate::smtp::SmtpSettings) -> anyhow::Result<Self> {
        Ok(Self::Smtp(crate::smtp::transport(settings)?))
    }

    /// Hands one message to the transport.
    pub async fn send(&self, message: lettre::Message) -> Result<(), String> {
        match self {
            Self::Folder(t) => t.send(message).await.map(|_| ()).map_err(|e| e.to_string()),
            Self::Smtp(t) => t.send(message).await.map(|_| ()).map_err(|e| e.to_string()),
        }
    }
}

/// Renders one email. A link carries its token; nothing here is logged.
pub fn render(email: &OutgoingEmail, from: &Mailbox, public_url: &str) -> Result<lettre::Message, String> {
    let to: Mailbox = email.to.as_str().parse().map_err(|e| format!("recipient: {e}"))?;
    let (subject, body) = match &email.message {
        Message::Invite { account_name, inviter, token, expires_at, .. } => (
            format!("{inviter} invited you to {account_name}"),
            format!(
                "{inviter} invited you to manage {account_name} in the customer portal.\n\n\
                 Accept the invite: {}/invites/accept?token={token}\n\n\
                 Or enter this invite code on the invite page:\n{token}\n\n\
                 The link works until {} and only for this email address. If you did not expect it, ignore this email.\n",
                public_url.trim_end_matches('/'),
                expires_at.format("%Y-%m-%d %H:%M UTC"),
            ),
        ),
        Message::Notice { subject, category, reason, .. } => (
            subject.to_string(),
            format!("{subject}\n\nYou receive this {category} notice because {}.\n", why(*reason)),
        ),
        other => crate::account_mail::render(other, public_url.trim_end_matches('/'))
            .ok_or_else(|| "a message with no text".to_owned())?,
    };
    // lettre picks the encoding (quoted-printable, as the link is longer than a mail line may
    // be); the code stands alone on a short line so it survives encoding unbroken.
    let part = SinglePart::builder().header(ContentType::TEXT_PLAIN).body(Body::new(body));
    lettre::Message::builder().from(from.clone()).to(to).subject(subject).singlepart(part).map_err(|e| e.to_string())
}

fn why(reason: Reason) -> String {
    match reason {
        Reason::SecurityNotice => "security notices reach every member".into(),
        Reason::HoldsPermission(p) => format!("you hold the {p} permission"),
        Reason::AllMembers => "it concerns every member and you have not turned it off".into(),
        Reason::SubscribedContact => "this address is a contact subscribed to it".into(),
        Reason::OwnerFallback => "you own the account and nobody else would receive it".into(),
        Reason::PrimaryEmailFallback => "this is the account's primary email and nobody else would receive it".into(),
    }
}

/// How long a claim lasts before another worker may take the email over.
const LEASE: Duration = Duration::from_secs(60);

/// Delivers until `stop` turns true; then returns, leaving unsent email in the outbox.
pub async fn run_worker(
    store: SqlStore,
    transport: Transport,
    from: Mailbox,
    public_url: Arc<str>,
    mut stop: watch::Receiver<bool>,
) {
    loop {
        let delivered = match deliver_batch(&store, &transport, &from, &public_url).await {
            Ok(n) => n,
            Err(e) => {
                tracing::error!(error = %e, "outbox worker");
                0
            }
        };
        if *stop.borrow() {
            return;
        }
        if delivered == 0 {
            tokio::select! {
                _ = tokio::time::sleep(Duration::from_millis(500)) => {}
                _ = stop.changed() => return,
            }
        }
    }
}

async fn deliver_batch(
    store: &SqlStore,
    transport: &Transport,
    from: &Mailbox,
    public_url: &str,
) -> Result<usize, String> {
    let now = chrono::Utc::now();
    let batch: Vec<QueuedEmail> = store.claim_outbox(now, 20, LEASE).await.map_err(|e| e.to_string())?;
    let count = batch.len();
    for queued in batch {
        let outcome = match render(&queued.email, from, public_url) {
            Ok(message) => transport.send(message).await,
            Err(e) => Err(e),
        };
        match outcome {
            Ok(()) => {
                store.outbox_sent(&queued, chrono::Utc::now()).await.map_err(|e| e.to_string())?;
                tracing::info!(outbox_id = queued.id, "email sent");
            }
            Err(e) => {
                let attempts = queued.attempts + 1;
                if store.outbox_failed(&queued, chrono::Utc::now(), &e).await.map_err(|e| e.to_string())? {
                    tracing::error!(outbox_id = queued.id, attempts, error = %e, "email delivery failed for good; dead-lettered");
                } else {
                    tracing::warn!(outbox_id = queued.id, attempts, error = %e, "email delivery failed; will retry");
                }
            }
        }
    }
    Ok(count)
}

#[cfg(test)]
mod tests {
    use portal_domain::ids::{AccountId, InviteId};
    use portal_domain::values::{CompanyName, EmailAddress, PersonName};

    use super::*;

    #[test]
    fn an_invite_renders_with_its_link_on_one_line() {
        let email = OutgoingEmail {
            to: EmailAddress::parse("bob@acme.example").unwrap(),
            message: Message::Invite {
                account: AccountId::from_uuid(uuid::Uuid::nil()),
                account_name: CompanyName::parse("Acme").unwrap(),
                inviter: PersonName::parse("Ann").unwrap(),
                invite: InviteId::from_uuid(uuid::Uuid::nil()),
                token: "ab".repeat(32),
                expires_at: chrono::DateTime::<chrono::Utc>::UNIX_EPOCH,
            },
        };
        let from: Mailbox = "portal@localhost".parse().unwrap();
        let message = render(&email, &from, "http://portal.test/").unwrap();
        let text = String::from_utf8(message.formatted()).unwrap();
        // The code survives the encoding on its own line.
        assert!(text.contains(&format!("\r\n{}\r\n", "ab".repeat(32))), "{text}");
        assert!(text.contains("Subject: Ann invited you to Acme"));
    }
}
