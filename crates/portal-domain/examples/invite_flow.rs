//! Embeds the domain with the in-memory store and walks the invite flow of the seeds: sign up,
//! invite a teammate with the billing role, accept through the emailed link, check what they
//! can and cannot do, then read the audit trail.
//!
//! Run with `cargo run -p portal-domain --example invite_flow`.
#![expect(clippy::print_stdout, reason = "an example shows its work on the terminal")]

use chrono::{TimeZone, Utc};
use portal_domain::account::View;
use portal_domain::permission::{Permission, Role};
use portal_domain::ports::{Message, PageRequest, Store};
use portal_domain::service::{InviteOffer, ServiceError, SignedUp, Signup};
use portal_domain::values::{CompanyName, EmailAddress, PersonName, RoleLabel};
use portal_domain::{Actor, DomainError};
use portal_testkit::memory::{block_on, client_at, memory_portal};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let start = Utc.with_ymd_and_hms(2026, 4, 18, 9, 0, 0).single().ok_or("bad date")?;
    let (portal, _clock) = memory_portal(start);

    // The client is the caller's network address as the transport sees it; sign-ups and
    // sign-ins are counted per client.
    let client = client_at("198.51.100.7");
    let signed_up = block_on(portal.signup(
        &client,
        Signup {
            email: EmailAddress::parse("ann@acme.example")?,
            name: PersonName::parse("Ann Owner")?,
            password: "correct horse battery staple".into(),
            account_name: CompanyName::parse("Acme Ltd")?,
            company: None,
        },
    ))?;
    let SignedUp::Registered { user: ann, account: acme } = signed_up else {
        return Err("ann@acme.example is taken".into());
    };
    println!("{} signed up and owns {}", ann.name(), acme.profile().display_name);
    // She follows the verification link in her mail: only a proven address may invite.
    let link = portal.store().link_token_for("ann@acme.example").ok_or("no verification email")?;
    block_on(portal.verify_email(&client, &link))?;

    let invite = block_on(portal.invite(
        &Actor::User(ann.id()),
        acme.id(),
        InviteOffer {
            email: EmailAddress::parse("bob@acme.example")?,
            name: Some(PersonName::parse("Bob")?),
            permissions: Role::Billing.permissions(),
            role: Some(RoleLabel::parse("billing")?),
            access_ends_at: None,
        },
    ))?;
    println!("invited {} with {:?}, link valid until {}", invite.email(), invite.permissions(), invite.expires_at());

    // The outbox holds the email; its link carries the token.
    let token = portal
        .store()
        .outbox()
        .into_iter()
        .find_map(|mail| match mail.message {
            Message::Invite { token, .. } => Some(token),
            _ => None,
        })
        .ok_or("no invite email")?;
    let bob = block_on(portal.accept_invite_as_new_user(
        &client,
        &token,
        PersonName::parse("Bob Billing")?,
        "ledger spring harbour lamp",
    ))?
    .login
    .user;
    println!("{} accepted and joined", bob.name());

    let account = block_on(portal.account(&Actor::User(bob.id()), acme.id(), View::Summary))?;
    let now = portal.now();
    println!("Bob may view invoices: {}", account.permits(bob.id(), Permission::BillingView, now));
    println!("Bob may manage users: {}", account.permits(bob.id(), Permission::UsersManage, now));
    match block_on(portal.account(&Actor::User(bob.id()), acme.id(), View::Profile)) {
        Err(ServiceError::Domain(e @ DomainError::MissingPermission(_))) => {
            println!("Bob reading the master profile: {e}")
        }
        other => println!("unexpected: {other:?}"),
    }

    println!("audit trail, newest first:");
    let trail = block_on(portal.store().account_events(acme.id(), PageRequest { after: None, limit: 50 }))?;
    for stored in trail.items {
        println!("  #{} {} by {}: {}", stored.seq, stored.event.at, stored.event.actor, stored.event.change.kind());
    }
    Ok(())
}
