//! Small builders over the pure API: accounts with members made through real invites.

use chrono::{DateTime, Duration, TimeZone, Utc};
use portal_domain::account::{Account, AccountCommand, AccountEvent, InviteMember, InviteOffer, Profile, open_account};
use portal_domain::ids::{AccountId, InviteId, UserId};
use portal_domain::permission::PermissionSet;
use portal_domain::values::{CompanyName, EmailAddress, TokenDigest};
use portal_domain::{Actor, DomainError};

pub fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 2, 9, 0, 0).unwrap()
}

pub fn user(n: u128) -> UserId {
    UserId::from_uuid(uuid::Uuid::from_u128(0x0195_0000_0000_7000_8000_0000_0000_0000 | n))
}

pub fn email(s: &str) -> EmailAddress {
    EmailAddress::parse(s).unwrap()
}

pub fn email_of(n: u128) -> EmailAddress {
    email(&format!("user{n}@example.com"))
}

pub const OWNER: u128 = 1;

/// An account owned by user 1, opened at t0.
pub fn account() -> Account {
    let profile = Profile {
        display_name: CompanyName::parse("Acme Ltd").unwrap(),
        company: Some(CompanyName::parse("Acme Limited").unwrap()),
        primary_email: email("accounts@acme.example"),
        phone: None,
        address: None,
        tax_id: None,
    };
    let opened = open_account(AccountId::from_uuid(uuid::Uuid::from_u128(0xACC)), user(OWNER), profile, t0());
    Account::from_opened(&opened).unwrap()
}

/// Decides and applies; returns the events.
pub fn run(
    account: &mut Account,
    actor: Actor,
    command: AccountCommand,
    now: DateTime<Utc>,
) -> Result<Vec<AccountEvent>, DomainError> {
    let events = account.decide(&actor, command, now)?;
    for e in &events {
        account.apply(e);
    }
    Ok(events)
}

pub fn as_user(n: u128) -> Actor {
    Actor::User(user(n))
}

pub fn invite_cmd(id: u128, to: &EmailAddress, permissions: PermissionSet, token: &str) -> AccountCommand {
    AccountCommand::Invite(InviteMember {
        id: InviteId::from_uuid(uuid::Uuid::from_u128(id)),
        offer: InviteOffer { email: to.clone(), name: None, permissions, role: None, access_ends_at: None },
        token: TokenDigest::new(token),
        existing_user: None,
    })
}

pub fn accept_cmd(token: &str, email: &EmailAddress) -> AccountCommand {
    AccountCommand::AcceptInvite { token: TokenDigest::new(token), email: email.clone(), email_verified: true }
}

/// Makes user `n` a member with `permissions`, invited by the owner.
pub fn join(account: &mut Account, n: u128, permissions: PermissionSet) {
    let token = format!("join-{n}");
    run(account, as_user(OWNER), invite_cmd(1000 + n, &email_of(n), permissions, &token), t0()).unwrap();
    run(account, as_user(n), accept_cmd(&token, &email_of(n)), t0() + Duration::minutes(1)).unwrap();
}
