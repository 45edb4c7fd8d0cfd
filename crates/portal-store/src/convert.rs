//! Rows to domain values and back. Every row is re-parsed through the domain constructors, so a
//! corrupt row is a `StoreError` naming its table and id, never a panic or a bad value.

use std::fmt::Display;

use chrono::{DateTime, Utc};
use portal_domain::Actor;
use portal_domain::account::{
    Account, AccountChange, AccountEvent, AccountParts, AccountStatus, Contact, ContactParts, Invite, InviteOffer,
    InviteParts, InviteState, Membership, MembershipParts, NewContact, Profile, ReviewRecord, Target,
};
use portal_domain::ids::{AccountId, ContactId, InviteId, NoticeId, UserId};
use portal_domain::notification::{CategorySet, NotificationCategory, NotificationPreferences};
use portal_domain::permission::PermissionSet;
use portal_domain::ports::{AccountListing, MemberView, NoticeRecord, StoreError, StoredEvent};
use portal_domain::user::{MfaState, User, UserChange, UserEvent, UserParts, UserStatus};
use portal_domain::values::{
    CompanyName, EmailAddress, PasswordHash, PersonName, PhoneNumber, PostalAddress, PostalAddressInput, RoleLabel,
    SealedSecret, TaxId, TokenDigest,
};
use sea_orm::ActiveValue::{NotSet, Set};

use crate::entity::{account_events, accounts, contacts, invites, memberships, user_events, users};

/// Re-parses one field of one row.
/// A two-part key (`account/user`), written only if an error names it.
struct KeyPair(uuid::Uuid, uuid::Uuid);

impl Display for KeyPair {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.0, self.1)
    }
}

struct Row<'a> {
    table: &'static str,
    id: &'a dyn Display,
}

impl Row<'_> {
    fn field<T, E: Display>(&self, name: &str, parsed: Result<T, E>) -> Result<T, StoreError> {
        parsed.map_err(|e| StoreError::corrupt(self.table, self.id, format!("{name}: {e}")))
    }

    fn opt<T, E: Display>(
        &self,
        name: &str,
        raw: Option<&str>,
        parse: impl Fn(&str) -> Result<T, E>,
    ) -> Result<Option<T>, StoreError> {
        raw.map(|r| self.field(name, parse(r))).transpose()
    }

    fn version(&self, name: &str, raw: i64) -> Result<u64, StoreError> {
        self.field(name, u64::try_from(raw))
    }

    fn permissions(&self, raw: i32) -> Result<PermissionSet, StoreError> {
        let bits = self.field("permissions", u16::try_from(raw))?;
        PermissionSet::from_bits(bits)
            .ok_or_else(|| StoreError::corrupt(self.table, self.id, "permissions: unknown bits"))
    }

    fn categories(&self, name: &str, raw: i16) -> Result<CategorySet, StoreError> {
        Ok(CategorySet::from_bits(self.field(name, u8::try_from(raw))?))
    }
}

pub(crate) fn version_i64(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

// ---- users ---------------------------------------------------------------------------------

pub(crate) fn user_row(u: &User) -> users::ActiveModel {
    let (mfa, mfa_since, mfa_secret) = match u.mfa() {
        MfaState::Off => ("off", None, None),
        MfaState::Pending { secret } => ("pending", None, Some(secret.as_str().to_owned())),
        MfaState::On { since, secret } => ("on", Some(*since), Some(secret.as_str().to_owned())),
    };
    users::ActiveModel {
        id: Set(u.id().as_uuid()),
        email: Set(u.email().as_str().to_owned()),
        email_key: Set(u.email().normalized().to_owned()),
        name: Set(u.name().as_str().to_owned()),
        phone: Set(u.phone().map(|p| p.as_str().to_owned())),
        password_hash: Set(u.password_hash().as_str().to_owned()),
        email_verified_at: Set(u.email_verified_at()),
        pending_email: Set(u.pending_email().map(|e| e.as_str().to_owned())),
        mfa: Set(mfa.to_owned()),
        mfa_since: Set(mfa_since),
        mfa_secret: Set(mfa_secret),
        // Advanced only by `advance_totp_step`'s conditional update, never from a saved state.
        mfa_last_step: NotSet,
        recovery_codes: Set(u.recovery_codes().iter().map(TokenDigest::as_str).collect::<Vec<_>>().join(",")),
        opted_out: Set(i16::from(u.preferences().opted_out().bits())),
        preferences_version: Set(version_i64(u.preferences_version())),
        status: Set(match u.status() {
            UserStatus::Active => "active",
            UserStatus::Disabled => "disabled",
        }
        .to_owned()),
        created_at: Set(u.created_at()),
        last_login_at: Set(u.last_login_at()),
        version: Set(version_i64(u.version())),
    }
}

pub(crate) fn user_from_row(m: users::Model) -> Result<User, StoreError> {
    let r = Row { table: "users", id: &m.id };
    let secret = || {
        m.mfa_secret
            .clone()
            .map(SealedSecret::new)
            .ok_or_else(|| StoreError::corrupt("users", m.id, "mfa without a secret"))
    };
    let mfa = match m.mfa.as_str() {
        "off" => MfaState::Off,
        "pending" => MfaState::Pending { secret: secret()? },
        "on" => MfaState::On {
            since: m.mfa_since.ok_or_else(|| StoreError::corrupt("users", m.id, "mfa on without a date"))?,
            secret: secret()?,
        },
        other => return Err(StoreError::corrupt("users", m.id, format!("mfa: {other:?}"))),
    };
    let status = user_status(&m.id, &m.status)?;
    let opted_out = r.categories("opted_out", m.opted_out)?;
    Ok(User::restore(UserParts {
        id: UserId::from_uuid(m.id),
        email: r.field("email", EmailAddress::parse(&m.email))?,
        name: r.field("name", PersonName::parse(&m.name))?,
        phone: r.opt("phone", m.phone.as_deref(), PhoneNumber::parse)?,
        password: PasswordHash::new(m.password_hash),
        email_verified_at: m.email_verified_at,
        pending_email: r.opt("pending_email", m.pending_email.as_deref(), EmailAddress::parse)?,
        mfa,
        recovery_codes: m.recovery_codes.split(',').filter(|s| !s.is_empty()).map(TokenDigest::new).collect(),
        preferences: r.field("opted_out", NotificationPreferences::opting_out_of(opted_out))?,
        preferences_version: r.version("preferences_version", m.preferences_version)?,
        status,
        created_at: m.created_at,
        last_login_at: m.last_login_at,
        version: r.version("version", m.version)?,
    }))
}

// ---- accounts -----------------------------------------------------------------------------

pub(crate) fn account_row(a: &Account) -> accounts::ActiveModel {
    let p = a.profile();
    let address = p.address.as_ref().map(PostalAddress::to_input);
    accounts::ActiveModel {
        id: Set(a.id().as_uuid()),
        display_name: Set(p.display_name.as_str().to_owned()),
        company: Set(p.company.as_ref().map(|c| c.as_str().to_owned())),
        primary_email: Set(p.primary_email.as_str().to_owned()),
        phone: Set(p.phone.as_ref().map(|x| x.as_str().to_owned())),
        address_lines: Set(address.as_ref().map(|x| x.lines.join("\n"))),
        address_city: Set(address.as_ref().map(|x| x.city.clone())),
        address_region: Set(address.as_ref().and_then(|x| x.region.clone())),
        address_postal_code: Set(address.as_ref().and_then(|x| x.postal_code.clone())),
        address_country: Set(address.as_ref().map(|x| x.country.clone())),
        tax_id: Set(p.tax_id.as_ref().map(|x| x.as_str().to_owned())),
        status: Set(match a.status() {
            AccountStatus::Active => "active",
            AccountStatus::Closed => "closed",
        }
        .to_owned()),
        owner_id: Set(a.owner().as_uuid()),
        created_at: Set(a.created_at()),
        last_review_by: Set(a.last_review().map(|r| r.by.as_uuid())),
        last_review_at: Set(a.last_review().map(|r| r.at)),
        version: Set(version_i64(a.version())),
    }
}

pub(crate) fn account_from_rows(
    m: accounts::Model,
    members: Vec<memberships::Model>,
    invites: Vec<invites::Model>,
    contacts: Vec<contacts::Model>,
) -> Result<Account, StoreError> {
    let r = Row { table: "accounts", id: &m.id };
    let address = match (&m.address_lines, &m.address_city, &m.address_country) {
        (Some(lines), Some(city), Some(country)) => Some(r.field(
            "address",
            PostalAddress::parse(&PostalAddressInput {
                lines: lines.split('\n').map(str::to_owned).collect(),
                city: city.clone(),
                region: m.address_region.clone(),
                postal_code: m.address_postal_code.clone(),
                country: country.clone(),
            }),
        )?),
        (None, None, None) => None,
        _ => return Err(StoreError::corrupt("accounts", m.id, "address: partly missing")),
    };
    let profile = Profile {
        display_name: r.field("display_name", CompanyName::parse(&m.display_name))?,
        company: r.opt("company", m.company.as_deref(), CompanyName::parse)?,
        primary_email: r.field("primary_email", EmailAddress::parse(&m.primary_email))?,
        phone: r.opt("phone", m.phone.as_deref(), PhoneNumber::parse)?,
        address,
        tax_id: r.opt("tax_id", m.tax_id.as_deref(), TaxId::parse)?,
    };
    let status = account_status(&m.id, &m.status)?;
    let last_review = match (m.last_review_by, m.last_review_at) {
        (Some(by), Some(at)) => Some(ReviewRecord { by: UserId::from_uuid(by), at }),
        _ => None,
    };
    let parts = AccountParts {
        id: AccountId::from_uuid(m.id),
        profile,
        status,
        owner: UserId::from_uuid(m.owner_id),
        members: members.into_iter().map(membership_from_row).collect::<Result<_, _>>()?,
        invites: invites.into_iter().map(invite_from_row).collect::<Result<_, _>>()?,
        contacts: contacts.into_iter().map(contact_from_row).collect::<Result<_, _>>()?,
        created_at: m.created_at,
        last_review,
        version: r.version("version", m.version)?,
    };
    Account::restore(parts).map_err(|reason| StoreError::corrupt("accounts", m.id, reason))
}

pub(crate) fn membership_row(account: AccountId, m: &Membership, is_owner: bool) -> memberships::ActiveModel {
    memberships::ActiveModel {
        account_id: Set(account.as_uuid()),
        user_id: Set(m.user().as_uuid()),
        is_owner: Set(is_owner),
        permissions: Set(i32::from(m.permissions().bits())),
        role: Set(m.role().map(|r| r.as_str().to_owned())),
        invited_by: Set(m.invited_by().map(|u| u.as_uuid())),
        invite_id: Set(m.invite().map(|i| i.as_uuid())),
        granted_by: Set(m.granted_by().map(|u| u.as_uuid())),
        joined_at: Set(m.joined_at()),
        ends_at: Set(m.ends_at()),
        last_active_at: Set(m.last_active_at()),
        version: Set(version_i64(m.version())),
    }
}

pub(crate) fn membership_from_row(m: memberships::Model) -> Result<Membership, StoreError> {
    let id = KeyPair(m.account_id, m.user_id);
    let r = Row { table: "memberships", id: &id };
    Ok(Membership::restore(MembershipParts {
        user: UserId::from_uuid(m.user_id),
        permissions: r.permissions(m.permissions)?,
        role: r.opt("role", m.role.as_deref(), RoleLabel::parse)?,
        invited_by: m.invited_by.map(UserId::from_uuid),
        invite: m.invite_id.map(InviteId::from_uuid),
        granted_by: m.granted_by.map(UserId::from_uuid),
        joined_at: m.joined_at,
        ends_at: m.ends_at,
        last_active_at: m.last_active_at,
        version: r.version("version", m.version)?,
    }))
}

/// A members-list row: the membership, with its user's email and name as stored.
pub(crate) fn member_row(
    m: memberships::Model,
    email: &str,
    name: &str,
    owner: UserId,
) -> Result<MemberView, StoreError> {
    let user = m.user_id;
    let r = Row { table: "users", id: &user };
    let email = r.field("email", EmailAddress::parse(email))?;
    let name = r.field("name", PersonName::parse(name))?;
    let membership = membership_from_row(m)?;
    Ok(MemberView { is_owner: membership.user() == owner, membership, email, name })
}

/// The `state` of an invite not yet answered: what the open-invite reads and indexes select.
pub(crate) const INVITE_PENDING: &str = "pending";

pub(crate) fn invite_row(account: AccountId, i: &Invite) -> invites::ActiveModel {
    let (state, state_by, state_at) = match i.state() {
        InviteState::Pending => (INVITE_PENDING, None, None),
        InviteState::Accepted { by, at } => ("accepted", Some(by.as_uuid()), Some(*at)),
        InviteState::Declined { at } => ("declined", None, Some(*at)),
        InviteState::Cancelled { at } => ("cancelled", None, Some(*at)),
    };
    invites::ActiveModel {
        id: Set(i.id().as_uuid()),
        account_id: Set(account.as_uuid()),
        email: Set(i.email().as_str().to_owned()),
        email_key: Set(i.email().normalized().to_owned()),
        name: Set(i.name().map(|n| n.as_str().to_owned())),
        permissions: Set(i32::from(i.permissions().bits())),
        role: Set(i.role().map(|r| r.as_str().to_owned())),
        access_ends_at: Set(i.access_ends_at()),
        invited_by: Set(i.invited_by().as_uuid()),
        created_at: Set(i.created_at()),
        expires_at: Set(i.expires_at()),
        sent_count: Set(i32::try_from(i.sent_count()).unwrap_or(i32::MAX)),
        last_sent_at: Set(i.last_sent_at()),
        state: Set(state.to_owned()),
        state_by: Set(state_by),
        state_at: Set(state_at),
        token_digest: Set(i.token().map(|t| t.as_str().to_owned())),
        version: Set(version_i64(i.version())),
    }
}

pub(crate) fn invite_from_row(m: invites::Model) -> Result<Invite, StoreError> {
    let r = Row { table: "invites", id: &m.id };
    let missing = |what: &str| StoreError::corrupt("invites", m.id, format!("{} without {what}", m.state));
    let state = match m.state.as_str() {
        INVITE_PENDING => InviteState::Pending,
        "accepted" => InviteState::Accepted {
            by: UserId::from_uuid(m.state_by.ok_or_else(|| missing("who"))?),
            at: m.state_at.ok_or_else(|| missing("when"))?,
        },
        "declined" => InviteState::Declined { at: m.state_at.ok_or_else(|| missing("when"))? },
        "cancelled" => InviteState::Cancelled { at: m.state_at.ok_or_else(|| missing("when"))? },
        other => return Err(StoreError::corrupt("invites", m.id, format!("state: {other:?}"))),
    };
    Ok(Invite::restore(InviteParts {
        id: InviteId::from_uuid(m.id),
        offer: InviteOffer {
            email: r.field("email", EmailAddress::parse(&m.email))?,
            name: r.opt("name", m.name.as_deref(), PersonName::parse)?,
            permissions: r.permissions(m.permissions)?,
            role: r.opt("role", m.role.as_deref(), RoleLabel::parse)?,
            access_ends_at: m.access_ends_at,
        },
        invited_by: UserId::from_uuid(m.invited_by),
        created_at: m.created_at,
        expires_at: m.expires_at,
        sent_count: r.field("sent_count", u32::try_from(m.sent_count))?,
        last_sent_at: m.last_sent_at,
        state,
        token: m.token_digest.map(TokenDigest::new),
        version: r.version("version", m.version)?,
    }))
}

pub(crate) fn contact_row(account: AccountId, c: &Contact) -> contacts::ActiveModel {
    contacts::ActiveModel {
        id: Set(c.id().as_uuid()),
        account_id: Set(account.as_uuid()),
        name: Set(c.name().as_str().to_owned()),
        email: Set(c.email().as_str().to_owned()),
        email_key: Set(c.email().normalized().to_owned()),
        phone: Set(c.phone().map(|p| p.as_str().to_owned())),
        company: Set(c.company().map(|x| x.as_str().to_owned())),
        categories: Set(i16::from(c.categories().bits())),
        created_at: Set(c.created_at()),
        version: Set(version_i64(c.version())),
    }
}

pub(crate) fn contact_from_row(m: contacts::Model) -> Result<Contact, StoreError> {
    let r = Row { table: "contacts", id: &m.id };
    Ok(Contact::restore(ContactParts {
        contact: NewContact {
            id: ContactId::from_uuid(m.id),
            name: r.field("name", PersonName::parse(&m.name))?,
            email: r.field("email", EmailAddress::parse(&m.email))?,
            phone: r.opt("phone", m.phone.as_deref(), PhoneNumber::parse)?,
            company: r.opt("company", m.company.as_deref(), CompanyName::parse)?,
            categories: r.categories("categories", m.categories)?,
        },
        created_at: m.created_at,
        version: r.version("version", m.version)?,
    }))
}

// ---- events -------------------------------------------------------------------------------

pub(crate) fn actor_text(actor: &Actor) -> String {
    match actor {
        Actor::User(u) => format!("user:{u}"),
        Actor::Operator => "operator".into(),
        Actor::InviteHolder => "invite_holder".into(),
    }
}

fn actor_from_text(text: &str) -> Result<Actor, String> {
    match text {
        "operator" => Ok(Actor::Operator),
        "invite_holder" => Ok(Actor::InviteHolder),
        other => other
            .strip_prefix("user:")
            .and_then(|id| id.parse::<UserId>().ok())
            .map(Actor::User)
            .ok_or_else(|| format!("actor: {other:?}")),
    }
}

pub(crate) fn target_text(target: Target) -> String {
    match target {
        Target::Account => "account".into(),
        Target::Member(u) => format!("member:{u}"),
        Target::Invite(i) => format!("invite:{i}"),
        Target::Contact(c) => format!("contact:{c}"),
        Target::Notice(n) => format!("notice:{n}"),
    }
}

pub(crate) fn account_event_row(seq: u64, e: &AccountEvent) -> Result<account_events::ActiveModel, StoreError> {
    let payload = serde_json::to_string(&e.change).map_err(|err| StoreError::with_source("encode event", err))?;
    Ok(account_events::ActiveModel {
        account_id: Set(e.account.as_uuid()),
        seq: Set(version_i64(seq)),
        at: Set(e.at),
        actor: Set(actor_text(&e.actor)),
        kind: Set(e.change.kind().to_owned()),
        target: Set(target_text(e.change.target())),
        payload: Set(payload),
    })
}

pub(crate) fn account_event_from_row(m: account_events::Model) -> Result<StoredEvent, StoreError> {
    let id = format!("{}#{}", m.account_id, m.seq);
    let r = Row { table: "account_events", id: &id };
    let change: AccountChange = r.field("payload", serde_json::from_str(&m.payload))?;
    Ok(StoredEvent {
        seq: r.version("seq", m.seq)?,
        event: AccountEvent {
            account: AccountId::from_uuid(m.account_id),
            actor: r.field("actor", actor_from_text(&m.actor))?,
            at: m.at,
            change,
        },
    })
}

pub(crate) fn user_event_row(seq: u64, e: &UserEvent) -> Result<user_events::ActiveModel, StoreError> {
    let e = &e.for_history();
    let payload = serde_json::to_string(&e.change).map_err(|err| StoreError::with_source("encode event", err))?;
    Ok(user_events::ActiveModel {
        user_id: Set(e.user.as_uuid()),
        seq: Set(version_i64(seq)),
        at: Set(e.at),
        actor: Set(actor_text(&e.actor)),
        kind: Set(e.change.kind().to_owned()),
        payload: Set(payload),
        // Left out (the column's NULL default) when no client made the change: the insert names
        // only the columns it has values for, which keeps it valid on a pre-upgrade schema.
        client_address: e.client.as_ref().map_or(NotSet, |c| Set(Some(c.address().to_owned()))),
        user_agent: e.client.as_ref().map_or(NotSet, |c| Set(Some(c.user_agent().to_owned()))),
    })
}

pub(crate) fn user_event_from_row(m: user_events::Model) -> Result<UserEvent, StoreError> {
    let id = format!("{}#{}", m.user_id, m.seq);
    let r = Row { table: "user_events", id: &id };
    let change: UserChange = r.field("payload", serde_json::from_str(&m.payload))?;
    Ok(UserEvent {
        user: UserId::from_uuid(m.user_id),
        actor: r.field("actor", actor_from_text(&m.actor))?,
        at: m.at,
        change,
        client: m.client_address.as_deref().map(|a| portal_domain::values::ClientInfo::new(a, m.user_agent.as_deref())),
    })
}

/// The notice a `NoticeRecorded` change records, as a row.
pub(crate) fn notice_row(
    account: AccountId,
    at: DateTime<Utc>,
    change: &AccountChange,
) -> Result<Option<crate::entity::notices::ActiveModel>, StoreError> {
    let AccountChange::NoticeRecorded { notice, category, subject, recipients } = change else { return Ok(None) };
    let recipients = serde_json::to_string(recipients).map_err(|e| StoreError::with_source("encode recipients", e))?;
    Ok(Some(crate::entity::notices::ActiveModel {
        id: Set(notice.as_uuid()),
        account_id: Set(account.as_uuid()),
        category: Set(category.key().to_owned()),
        subject: Set(subject.as_str().to_owned()),
        at: Set(at),
        recipients: Set(recipients),
    }))
}

pub(crate) fn account_status(id: &dyn Display, raw: &str) -> Result<AccountStatus, StoreError> {
    match raw {
        "active" => Ok(AccountStatus::Active),
        "closed" => Ok(AccountStatus::Closed),
        other => Err(StoreError::corrupt("accounts", id, format!("status: {other:?}"))),
    }
}

pub(crate) fn user_status(id: &dyn Display, raw: &str) -> Result<UserStatus, StoreError> {
    match raw {
        "active" => Ok(UserStatus::Active),
        "disabled" => Ok(UserStatus::Disabled),
        other => Err(StoreError::corrupt("users", id, format!("status: {other:?}"))),
    }
}

pub(crate) fn display_name(id: &dyn Display, raw: &str) -> Result<CompanyName, StoreError> {
    Row { table: "accounts", id }.field("display_name", CompanyName::parse(raw))
}

pub(crate) fn listing_from_row(m: accounts::Model) -> Result<AccountListing, StoreError> {
    let r = Row { table: "accounts", id: &m.id };
    Ok(AccountListing {
        id: AccountId::from_uuid(m.id),
        display_name: r.field("display_name", CompanyName::parse(&m.display_name))?,
        owner: UserId::from_uuid(m.owner_id),
        status: account_status(&m.id, &m.status)?,
        created_at: m.created_at,
    })
}

pub(crate) fn notice_from_row(m: crate::entity::notices::Model) -> Result<NoticeRecord, StoreError> {
    let r = Row { table: "notices", id: &m.id };
    Ok(NoticeRecord {
        id: NoticeId::from_uuid(m.id),
        category: r.field("category", NotificationCategory::from_key(&m.category))?,
        subject: r.field("subject", CompanyName::parse(&m.subject))?,
        at: m.at,
        recipients: r.field("recipients", serde_json::from_str(&m.recipients))?,
    })
}
