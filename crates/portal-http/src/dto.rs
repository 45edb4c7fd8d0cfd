//! Wire types. Request types turn into domain values with `try_into_domain`, naming the field
//! at fault; response types are built from domain values.

use chrono::{DateTime, Utc};
use poem_openapi::Object;
use poem_openapi::types::MaybeUndefined;

use crate::wire::{Text, max};
use portal_domain::account::{Account, AccountStatus, ProfilePatch};
use portal_domain::notification::{CategorySet, NotificationCategory, NotificationPreferences};
use portal_domain::permission::{Permission, Role};
use portal_domain::service::AccountSummary;
use portal_domain::user::{MfaState, User};
use portal_domain::values::{
    CompanyName, EmailAddress, PersonName, PhoneNumber, PostalAddress, PostalAddressInput, TaxId,
};
use uuid::Uuid;

use crate::body::{WriteJson, json};
use crate::error::ApiError;

/// Parses one field, naming it in the error.
pub(crate) fn field<T, E: std::fmt::Display>(name: &str, parsed: Result<T, E>) -> Result<T, ApiError> {
    parsed.map_err(|e| ApiError::invalid(name, e))
}

/// Parses an optional field that may also be set to `null` to clear it.
pub(crate) fn clearable<T, E: std::fmt::Display, const MAX: usize>(
    name: &str,
    raw: &MaybeUndefined<Text<MAX>>,
    parse: impl Fn(&str) -> Result<T, E>,
) -> Result<Option<Option<T>>, ApiError> {
    match raw {
        MaybeUndefined::Undefined => Ok(None),
        MaybeUndefined::Null => Ok(Some(None)),
        MaybeUndefined::Value(v) => field(name, parse(v)).map(|v| Some(Some(v))),
    }
}

/// A new customer.
#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct SignupRequest {
    /// Login email; also the account's primary email.
    pub email: Text<{ max::EMAIL }>,
    /// Your name.
    pub name: Text<{ max::PERSON }>,
    /// 12 to 128 characters; not your email, not a common password.
    pub password: Text<{ max::PASSWORD }>,
    /// The account's display name.
    pub account_name: Text<{ max::COMPANY }>,
    /// The company, if any.
    pub company: Option<Text<{ max::COMPANY }>>,
}

/// Email and password.
#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct LoginRequest {
    /// Login email.
    pub email: Text<{ max::EMAIL }>,
    /// Password.
    pub password: Text<{ max::PASSWORD }>,
}

/// A session and who it belongs to.
#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct SessionResponse {
    /// Send as `Authorization: Bearer <token>`.
    #[oai(validator(max_length = 128))]
    pub token: String,
    /// When the session ends at the latest.
    pub expires_at: DateTime<Utc>,
    /// The signed-in user.
    pub user: MeResponse,
    /// Their accounts, for the account picker.
    pub accounts: Vec<AccountSummaryResponse>,
}

/// The signed-in user.
#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct MeResponse {
    /// User id.
    pub id: Uuid,
    /// Login email.
    #[oai(validator(max_length = 254))]
    pub email: String,
    /// Name.
    #[oai(validator(max_length = 100))]
    pub name: String,
    /// Phone (E.164).
    #[oai(validator(max_length = 16))]
    pub phone: Option<String>,
    /// Whether the email is verified.
    pub email_verified: bool,
    /// Whether TOTP MFA is on.
    pub mfa_enabled: bool,
    /// When the user registered.
    pub created_at: DateTime<Utc>,
    /// The last sign-in.
    pub last_login_at: Option<DateTime<Utc>>,
}

impl From<&User> for MeResponse {
    fn from(u: &User) -> Self {
        Self {
            id: u.id().as_uuid(),
            email: u.email().to_string(),
            name: u.name().to_string(),
            phone: u.phone().map(ToString::to_string),
            email_verified: u.email_verified(),
            mfa_enabled: matches!(u.mfa(), MfaState::On { .. }),
            created_at: u.created_at(),
            last_login_at: u.last_login_at(),
        }
    }
}

/// Changes to the signed-in user; absent fields stay, `null` clears the phone.
#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct UpdateMeRequest {
    /// New name.
    pub name: Option<Text<{ max::PERSON }>>,
    /// New phone, or `null` to clear it.
    pub phone: MaybeUndefined<Text<{ max::PHONE }>>,
}

impl UpdateMeRequest {
    pub(crate) fn try_into_domain(self) -> Result<(Option<PersonName>, Option<Option<PhoneNumber>>), ApiError> {
        let name = self.name.as_deref().map(|n| field("name", PersonName::parse(n))).transpose()?;
        let phone = clearable("phone", &self.phone, PhoneNumber::parse)?;
        Ok((name, phone))
    }
}

/// Which notification categories the user has turned off.
#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct PreferencesBody {
    /// Category keys turned off (`security` cannot be).
    pub opted_out: Vec<Text<{ max::KEY }>>,
}

impl PreferencesBody {
    pub(crate) fn try_into_domain(self) -> Result<NotificationPreferences, ApiError> {
        let set = field("opted_out", CategorySet::from_keys(self.opted_out.iter().map(|k| &**k)))?;
        field("opted_out", NotificationPreferences::opting_out_of(set))
    }
}

impl From<NotificationPreferences> for PreferencesBody {
    fn from(p: NotificationPreferences) -> Self {
        Self { opted_out: p.opted_out().keys().into_iter().map(|k| Text(k.to_owned())).collect() }
    }
}

/// One account in the account picker.
#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct AccountSummaryResponse {
    /// Account id.
    pub id: Uuid,
    /// Display name.
    #[oai(validator(max_length = 200))]
    pub display_name: String,
    /// Whether you own it.
    pub is_owner: bool,
    /// Your permissions there.
    #[oai(validator(max_length = 32))]
    pub permissions: Vec<String>,
    /// Your role label there.
    #[oai(validator(max_length = 50))]
    pub role: Option<String>,
    /// Whether the account is closed.
    pub closed: bool,
}

impl From<&AccountSummary> for AccountSummaryResponse {
    fn from(a: &AccountSummary) -> Self {
        Self {
            id: a.id.as_uuid(),
            display_name: a.display_name.to_string(),
            is_owner: a.is_owner,
            permissions: a.permissions.keys().into_iter().map(str::to_owned).collect(),
            role: a.role.as_ref().map(ToString::to_string),
            closed: a.closed,
        }
    }
}

/// A page of the accounts you belong to.
#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct AccountSummaryPage {
    /// The accounts.
    pub items: Vec<AccountSummaryResponse>,
    /// Pass as `cursor` for the next page; absent on the last page.
    #[oai(validator(max_length = 64))]
    pub next_cursor: Option<String>,
}

/// A postal address.
#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct AddressBody {
    /// Street lines (1 to 4).
    pub lines: Vec<Text<{ max::COMPANY }>>,
    /// City.
    pub city: Text<{ max::COMPANY }>,
    /// Region, where used.
    pub region: Option<Text<{ max::COMPANY }>>,
    /// Postal code, where used.
    pub postal_code: Option<Text<{ max::POSTAL_CODE }>>,
    /// ISO 3166-1 alpha-2 country code.
    pub country: Text<{ max::COUNTRY }>,
}

impl From<&PostalAddress> for AddressBody {
    fn from(a: &PostalAddress) -> Self {
        let i = a.to_input();
        Self {
            lines: i.lines.into_iter().map(Text).collect(),
            city: Text(i.city),
            region: i.region.map(Text),
            postal_code: i.postal_code.map(Text),
            country: Text(i.country),
        }
    }
}

/// An account and its master profile.
#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct AccountResponse {
    /// Account id.
    pub id: Uuid,
    /// Display name.
    #[oai(validator(max_length = 200))]
    pub display_name: String,
    /// Company.
    #[oai(validator(max_length = 200))]
    pub company: Option<String>,
    /// Primary email.
    #[oai(validator(max_length = 254))]
    pub primary_email: String,
    /// Phone (E.164).
    #[oai(validator(max_length = 16))]
    pub phone: Option<String>,
    /// Billing address.
    pub address: Option<AddressBody>,
    /// Tax id.
    #[oai(validator(max_length = 32))]
    pub tax_id: Option<String>,
    /// `active` or `closed`.
    #[oai(validator(max_length = 16))]
    pub status: String,
    /// The owner's user id.
    pub owner_id: Uuid,
    /// When it was opened.
    pub created_at: DateTime<Utc>,
    /// Its version (the `ETag`).
    pub version: u64,
}

impl From<&Account> for AccountResponse {
    fn from(a: &Account) -> Self {
        let p = a.profile();
        Self {
            id: a.id().as_uuid(),
            display_name: p.display_name.to_string(),
            company: p.company.as_ref().map(ToString::to_string),
            primary_email: p.primary_email.to_string(),
            phone: p.phone.as_ref().map(ToString::to_string),
            address: p.address.as_ref().map(AddressBody::from),
            tax_id: p.tax_id.as_ref().map(ToString::to_string),
            status: match a.status() {
                AccountStatus::Active => "active",
                AccountStatus::Closed => "closed",
            }
            .to_owned(),
            owner_id: a.owner().as_uuid(),
            created_at: a.created_at(),
            version: a.version(),
        }
    }
}

/// A new account owned by you.
#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct CreateAccountRequest {
    /// Display name.
    pub display_name: Text<{ max::COMPANY }>,
    /// Company.
    pub company: Option<Text<{ max::COMPANY }>>,
}

/// Changes to the master profile; absent fields stay, `null` clears.
#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct UpdateAccountRequest {
    /// Display name.
    pub display_name: Option<Text<{ max::COMPANY }>>,
    /// Company, or `null`.
    pub company: MaybeUndefined<Text<{ max::COMPANY }>>,
    /// Primary email.
    pub primary_email: Option<Text<{ max::EMAIL }>>,
    /// Phone, or `null`.
    pub phone: MaybeUndefined<Text<{ max::PHONE }>>,
    /// Address, or `null`.
    pub address: MaybeUndefined<AddressBody>,
    /// Tax id, or `null`.
    pub tax_id: MaybeUndefined<Text<{ max::TAX_ID }>>,
}

impl UpdateAccountRequest {
    pub(crate) fn try_into_domain(self) -> Result<ProfilePatch, ApiError> {
        let address = match self.address {
            MaybeUndefined::Undefined => None,
            MaybeUndefined::Null => Some(None),
            MaybeUndefined::Value(a) => Some(Some(field(
                "address",
                PostalAddress::parse(&PostalAddressInput {
                    lines: a.lines.into_iter().map(|l| l.0).collect(),
                    city: a.city.0,
                    region: a.region.map(|r| r.0),
                    postal_code: a.postal_code.map(|p| p.0),
                    country: a.country.0,
                }),
            )?)),
        };
        Ok(ProfilePatch {
            display_name: self
                .display_name
                .as_deref()
                .map(|v| field("display_name", CompanyName::parse(v)))
                .transpose()?,
            company: clearable("company", &self.company, CompanyName::parse)?,
            primary_email: self
                .primary_email
                .as_deref()
                .map(|v| field("primary_email", EmailAddress::parse(v)))
                .transpose()?,
            phone: clearable("phone", &self.phone, PhoneNumber::parse)?,
            address,
            tax_id: clearable("tax_id", &self.tax_id, TaxId::parse)?,
        })
    }
}

/// A permission of the catalogue.
#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct PermissionResponse {
    /// Stable dotted key.
    #[oai(validator(max_length = 32))]
    pub key: String,
    /// What it allows.
    #[oai(validator(max_length = 512))]
    pub description: String,
    /// Whether granting it deserves a second look.
    pub sensitive: bool,
}

impl From<Permission> for PermissionResponse {
    fn from(p: Permission) -> Self {
        Self { key: p.key().to_owned(), description: p.description().to_owned(), sensitive: p.is_sensitive() }
    }
}

/// A role preset.
#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct RoleResponse {
    /// Stable key.
    #[oai(validator(max_length = 32))]
    pub key: String,
    /// What it is for.
    #[oai(validator(max_length = 512))]
    pub description: String,
    /// The permissions it starts with.
    #[oai(validator(max_length = 32))]
    pub permissions: Vec<String>,
}

impl From<Role> for RoleResponse {
    fn from(r: Role) -> Self {
        Self {
            key: r.key().to_owned(),
            description: r.description().to_owned(),
            permissions: r.permissions().keys().into_iter().map(str::to_owned).collect(),
        }
    }
}

/// A notification category.
#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct CategoryResponse {
    /// Stable key.
    #[oai(validator(max_length = 32))]
    pub key: String,
    /// What it carries.
    #[oai(validator(max_length = 512))]
    pub description: String,
    /// Whether users may turn it off.
    pub can_opt_out: bool,
}

impl From<NotificationCategory> for CategoryResponse {
    fn from(c: NotificationCategory) -> Self {
        Self { key: c.key().to_owned(), description: c.description().to_owned(), can_opt_out: c.can_opt_out() }
    }
}

/// Liveness or readiness.
#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct HealthResponse {
    /// `ok`.
    #[oai(validator(max_length = 16))]
    pub status: String,
}

/// A member of an account.
#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct MemberResponse {
    /// The member's user id.
    pub user_id: Uuid,
    /// Their login email.
    #[oai(validator(max_length = 254))]
    pub email: String,
    /// Their name.
    #[oai(validator(max_length = 100))]
    pub name: String,
    /// Whether they own the account.
    pub is_owner: bool,
    /// What they may do.
    // The catalogue's own keys, not copies: a page of 50 members held 750 of them.
    #[oai(read_only)]
    #[oai(validator(max_length = 32))]
    pub permissions: Vec<&'static str>,
    /// Their role label.
    #[oai(validator(max_length = 50))]
    pub role: Option<String>,
    /// Who invited them.
    pub invited_by: Option<Uuid>,
    /// Who last set their permissions.
    pub granted_by: Option<Uuid>,
    /// When they joined.
    pub joined_at: DateTime<Utc>,
    /// When their access ends.
    pub ends_at: Option<DateTime<Utc>>,
    /// Their last activity.
    pub last_active_at: Option<DateTime<Utc>>,
    /// The membership's version (the `ETag`).
    pub version: u64,
}

impl From<&portal_domain::service::MemberView> for MemberResponse {
    fn from(v: &portal_domain::service::MemberView) -> Self {
        let m = &v.membership;
        Self {
            user_id: m.user().as_uuid(),
            email: v.email.to_string(),
            name: v.name.to_string(),
            is_owner: v.is_owner,
            permissions: m.permissions().keys(),
            role: m.role().map(ToString::to_string),
            invited_by: m.invited_by().map(|u| u.as_uuid()),
            granted_by: m.granted_by().map(|u| u.as_uuid()),
            joined_at: m.joined_at(),
            ends_at: m.ends_at(),
            last_active_at: m.last_active_at(),
            version: m.version(),
        }
    }
}

/// A page of members.
#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct MemberPage {
    /// The members, by user id.
    pub items: Vec<MemberResponse>,
    /// Pass as `cursor` for the next page; absent on the last page.
    #[oai(validator(max_length = 64))]
    pub next_cursor: Option<String>,
}

/// A page of members as sent: the domain's views written as a [`MemberPage`], without first
/// copying each into a [`MemberResponse`] (a string per field and per permission).
#[derive(Debug)]
pub struct MemberViews(pub portal_domain::ports::Page<portal_domain::service::MemberView, portal_domain::ids::UserId>);

impl WriteJson for MemberViews {
    fn size_hint(&self) -> usize {
        // A member with every permission writes about 700 bytes.
        64 + 720 * self.0.items.len()
    }

    fn write_json(&self, out: &mut Vec<u8>) {
        // Members mostly share a few permission sets: the last one written is copied from the
        // output rather than written key by key.
        let mut last_permissions: Option<(portal_domain::permission::PermissionSet, std::ops::Range<usize>)> = None;
        out.extend_from_slice(b"{\"items\":[");
        for (i, v) in self.0.items.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            let m = &v.membership;
            out.push(b'{');
            json::key!(out, first, "user_id");
            json::uuid(out, &m.user().as_uuid());
            json::key!(out, "email");
            json::text(out, v.email.as_str());
            json::key!(out, "name");
            json::text(out, v.name.as_str());
            json::key!(out, "is_owner");
            json::boolean(out, v.is_owner);
            json::key!(out, "permissions");
            let permissions = m.permissions();
            match &last_permissions {
                Some((set, written)) if *set == permissions => out.extend_from_within(written.clone()),
                _ => {
                    let start = out.len();
                    out.push(b'[');
                    for (i, p) in permissions.iter().enumerate() {
                        if i > 0 {
                            out.push(b',');
                        }
                        json::plain(out, p.key());
                    }
                    out.push(b']');
                    last_permissions = Some((permissions, start..out.len()));
                }
            }
            json::opt_field!(out, "role", m.role(), |out, r| json::text(out, r.as_str()));
            json::opt_field!(out, "invited_by", m.invited_by().map(|u| u.as_uuid()).as_ref(), json::uuid);
            json::opt_field!(out, "granted_by", m.granted_by().map(|u| u.as_uuid()).as_ref(), json::uuid);
            json::key!(out, "joined_at");
            json::time(out, &m.joined_at());
            json::opt_field!(out, "ends_at", m.ends_at().as_ref(), json::time);
            json::opt_field!(out, "last_active_at", m.last_active_at().as_ref(), json::time);
            json::key!(out, "version");
            json::number(out, m.version());
            out.push(b'}');
        }
        out.push(b']');
        json::opt_field!(out, "next_cursor", self.0.next.map(|u| u.to_string()).as_ref(), |out, c| json::text(out, c));
        out.push(b'}');
    }
}

/// Changes to a member's access; absent fields stay, `null` clears.
#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct UpdateMemberRequest {
    /// The new permission keys (replacing the old).
    pub permissions: Option<Vec<Text<{ max::KEY }>>>,
    /// The new role label, or `null`.
    pub role: MaybeUndefined<Text<{ max::ROLE }>>,
    /// When their access ends (RFC 3339, at most 10 years ahead), or `null` for no end.
    pub ends_at: MaybeUndefined<crate::wire::InstantText>,
}

impl UpdateMemberRequest {
    pub(crate) fn try_into_domain(
        self,
        user: portal_domain::ids::UserId,
    ) -> Result<portal_domain::account::EditMember, ApiError> {
        Ok(portal_domain::account::EditMember {
            user,
            permissions: self
                .permissions
                .map(|keys| {
                    field("permissions", portal_domain::permission::PermissionSet::from_keys(keys.iter().map(|k| &**k)))
                })
                .transpose()?,
            role: clearable("role", &self.role, portal_domain::values::RoleLabel::parse)?,
            ends_at: match self.ends_at {
                MaybeUndefined::Undefined => None,
                MaybeUndefined::Null => Some(None),
                MaybeUndefined::Value(t) => Some(Some(t.parse("ends_at")?)),
            },
        })
    }
}

/// Whom to hand ownership to.
#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct TransferRequest {
    /// A current member's user id.
    pub user_id: Uuid,
}

/// An invitation.
#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct InviteResponse {
    /// Invite id.
    pub id: Uuid,
    /// The invited address.
    #[oai(validator(max_length = 254))]
    pub email: String,
    /// The invitee's name as typed.
    #[oai(validator(max_length = 100))]
    pub name: Option<String>,
    /// The permissions it grants.
    #[oai(validator(max_length = 32))]
    pub permissions: Vec<String>,
    /// The role label it grants.
    #[oai(validator(max_length = 50))]
    pub role: Option<String>,
    /// `pending`, `expired`, `accepted`, `declined` or `cancelled`.
    #[oai(validator(max_length = 16))]
    pub status: String,
    /// Who sent it.
    pub invited_by: Uuid,
    /// When it was first sent.
    pub created_at: DateTime<Utc>,
    /// When the current link expires.
    pub expires_at: DateTime<Utc>,
    /// How often it was sent.
    pub sent_count: u32,
    /// When access made from it would end.
    pub access_ends_at: Option<DateTime<Utc>>,
}

impl InviteResponse {
    pub(crate) fn new(i: &portal_domain::account::Invite, now: DateTime<Utc>) -> Self {
        Self {
            id: i.id().as_uuid(),
            email: i.email().to_string(),
            name: i.name().map(ToString::to_string),
            permissions: i.permissions().keys().into_iter().map(str::to_owned).collect(),
            role: i.role().map(ToString::to_string),
            status: i.status(now).key().to_owned(),
            invited_by: i.invited_by().as_uuid(),
            created_at: i.created_at(),
            expires_at: i.expires_at(),
            sent_count: i.sent_count(),
            access_ends_at: i.access_ends_at(),
        }
    }
}

/// A page of invites.
#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct InvitePage {
    /// The invites, oldest first.
    pub items: Vec<InviteResponse>,
    /// Pass as `cursor` for the next page; absent on the last page.
    #[oai(validator(max_length = 64))]
    pub next_cursor: Option<String>,
}

/// Whom to invite, with what.
#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct CreateInviteRequest {
    /// Their email.
    pub email: Text<{ max::EMAIL }>,
    /// Their name, for the greeting.
    pub name: Option<Text<{ max::PERSON }>>,
    /// A role preset (`admin`, `billing`, `technical`, `read-only`) to start from.
    pub role: Option<Text<{ max::ROLE }>>,
    /// The exact permission keys (overriding the preset's).
    pub permissions: Option<Vec<Text<{ max::KEY }>>>,
    /// A label for their role (defaults to the preset's key).
    pub role_label: Option<Text<{ max::ROLE }>>,
    /// When their access should end, for contractors (RFC 3339, at most 10 years ahead).
    pub access_ends_at: Option<crate::wire::InstantText>,
}

impl CreateInviteRequest {
    pub(crate) fn try_into_domain(self) -> Result<portal_domain::service::InviteRequest, ApiError> {
        let preset = self.role.as_deref().map(|r| field("role", Role::from_key(r))).transpose()?;
        let permissions = match (&self.permissions, preset) {
            (Some(keys), _) => {
                field("permissions", portal_domain::permission::PermissionSet::from_keys(keys.iter().map(|k| &**k)))?
            }
            (None, Some(role)) => role.permissions(),
            (None, None) => return Err(ApiError::invalid("permissions", "give a role or the permissions")),
        };
        let label = self.role_label.as_deref().or(preset.map(Role::key));
        Ok(portal_domain::service::InviteRequest {
            email: field("email", EmailAddress::parse(&self.email))?,
            name: self.name.as_deref().map(|n| field("name", PersonName::parse(n))).transpose()?,
            permissions,
            role: label.map(|l| field("role_label", portal_domain::values::RoleLabel::parse(l))).transpose()?,
            access_ends_at: self.access_ends_at.map(|t| t.parse("access_ends_at")).transpose()?,
        })
    }
}

/// The token from an invite link.
#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct InviteTokenRequest {
    /// The `token` parameter of the link.
    pub token: Text<{ max::TOKEN }>,
}

/// Accepting an invite: signed in, or as a new user with a name and password.
#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct AcceptInviteRequest {
    /// The `token` parameter of the link.
    pub token: Text<{ max::TOKEN }>,
    /// Your name, when you have no account yet.
    pub name: Option<Text<{ max::PERSON }>>,
    /// Your password, when you have no account yet.
    pub password: Option<Text<{ max::PASSWORD }>>,
}

/// What an invite link offers.
#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct InvitePreviewResponse {
    /// The account.
    pub account_id: Uuid,
    /// Its name.
    #[oai(validator(max_length = 200))]
    pub account_name: String,
    /// Who invited you.
    #[oai(validator(max_length = 100))]
    pub inviter: Option<String>,
    /// The invited address.
    #[oai(validator(max_length = 254))]
    pub email: String,
    /// The permissions offered.
    #[oai(validator(max_length = 32))]
    pub permissions: Vec<String>,
    /// The role label offered.
    #[oai(validator(max_length = 50))]
    pub role: Option<String>,
    /// `pending` or `expired`.
    #[oai(validator(max_length = 16))]
    pub status: String,
    /// When the link expires.
    pub expires_at: DateTime<Utc>,
    /// Whether you already have a login (sign in to accept) or not (choose a password).
    pub user_exists: bool,
}

impl From<portal_domain::service::InvitePreview> for InvitePreviewResponse {
    fn from(p: portal_domain::service::InvitePreview) -> Self {
        Self {
            account_id: p.account.as_uuid(),
            account_name: p.account_name.to_string(),
            inviter: p.inviter.map(|n| n.to_string()),
            email: p.email.to_string(),
            permissions: p.permissions.keys().into_iter().map(str::to_owned).collect(),
            role: p.role.map(|r| r.to_string()),
            status: p.status.key().to_owned(),
            expires_at: p.expires_at,
            user_exists: p.user_exists,
        }
    }
}

/// A contact: receives the chosen notices, never logs in.
#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct ContactResponse {
    /// Contact id.
    pub id: Uuid,
    /// Name.
    #[oai(validator(max_length = 100))]
    pub name: String,
    /// Where notices go (a person or a shared inbox).
    #[oai(validator(max_length = 254))]
    pub email: String,
    /// Phone (E.164).
    #[oai(validator(max_length = 16))]
    pub phone: Option<String>,
    /// Company.
    #[oai(validator(max_length = 200))]
    pub company: Option<String>,
    /// The notification categories it receives.
    #[oai(validator(max_length = 32))]
    pub categories: Vec<String>,
    /// When it was added.
    pub created_at: DateTime<Utc>,
    /// Its version (the `ETag`).
    pub version: u64,
}

impl From<&portal_domain::account::Contact> for ContactResponse {
    fn from(c: &portal_domain::account::Contact) -> Self {
        Self {
            id: c.id().as_uuid(),
            name: c.name().to_string(),
            email: c.email().to_string(),
            phone: c.phone().map(ToString::to_string),
            company: c.company().map(ToString::to_string),
            categories: c.categories().keys().into_iter().map(str::to_owned).collect(),
            created_at: c.created_at(),
            version: c.version(),
        }
    }
}

/// A page of contacts.
#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct ContactPage {
    /// The contacts.
    pub items: Vec<ContactResponse>,
    /// Pass as `cursor` for the next page; absent on the last page.
    #[oai(validator(max_length = 64))]
    pub next_cursor: Option<String>,
}

/// A new contact.
#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct CreateContactRequest {
    /// Name.
    pub name: Text<{ max::PERSON }>,
    /// Email (a person or a shared inbox such as finance@…).
    pub email: Text<{ max::EMAIL }>,
    /// Phone.
    pub phone: Option<Text<{ max::PHONE }>>,
    /// Company.
    pub company: Option<Text<{ max::COMPANY }>>,
    /// Notification category keys it receives.
    pub categories: Vec<Text<{ max::KEY }>>,
}

impl CreateContactRequest {
    pub(crate) fn try_into_domain(self) -> Result<portal_domain::service::ContactRequest, ApiError> {
        Ok(portal_domain::service::ContactRequest {
            name: field("name", PersonName::parse(&self.name))?,
            email: field("email", EmailAddress::parse(&self.email))?,
            phone: self.phone.as_deref().map(|p| field("phone", PhoneNumber::parse(p))).transpose()?,
            company: self.company.as_deref().map(|c| field("company", CompanyName::parse(c))).transpose()?,
            categories: field("categories", CategorySet::from_keys(self.categories.iter().map(|k| &**k)))?,
        })
    }
}

/// Changes to a contact; absent fields stay, `null` clears.
#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct UpdateContactRequest {
    /// Name.
    pub name: Option<Text<{ max::PERSON }>>,
    /// Email.
    pub email: Option<Text<{ max::EMAIL }>>,
    /// Phone, or `null`.
    pub phone: MaybeUndefined<Text<{ max::PHONE }>>,
    /// Company, or `null`.
    pub company: MaybeUndefined<Text<{ max::COMPANY }>>,
    /// Category keys (replacing the old).
    pub categories: Option<Vec<Text<{ max::KEY }>>>,
}

impl UpdateContactRequest {
    pub(crate) fn try_into_domain(self) -> Result<portal_domain::account::ContactPatch, ApiError> {
        Ok(portal_domain::account::ContactPatch {
            name: self.name.as_deref().map(|n| field("name", PersonName::parse(n))).transpose()?,
            email: self.email.as_deref().map(|e| field("email", EmailAddress::parse(e))).transpose()?,
            phone: clearable("phone", &self.phone, PhoneNumber::parse)?,
            company: clearable("company", &self.company, CompanyName::parse)?,
            categories: self
                .categories
                .map(|keys| field("categories", CategorySet::from_keys(keys.iter().map(|k| &**k))))
                .transpose()?,
        })
    }
}

/// One recipient of a notice, and why.
#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct RecipientResponse {
    /// Where it goes.
    #[oai(validator(max_length = 254))]
    pub email: String,
    /// `member`, `contact` or `primary_email`.
    #[oai(validator(max_length = 64))]
    pub kind: String,
    /// The member's user id or the contact's id.
    pub id: Option<Uuid>,
    /// Why they receive it: `security_notice`, `holds_permission`, `all_members`,
    /// `subscribed_contact`, `owner_fallback`, `primary_email_fallback`.
    #[oai(validator(max_length = 64))]
    pub reason: String,
    /// The permission that qualified them, for `holds_permission`.
    #[oai(validator(max_length = 32))]
    pub permission: Option<String>,
}

impl From<&portal_domain::routing::Recipient> for RecipientResponse {
    fn from(r: &portal_domain::routing::Recipient) -> Self {
        use portal_domain::routing::{Reason, RecipientKind};
        let (kind, id) = match r.kind {
            RecipientKind::Member(u) => ("member", Some(u.as_uuid())),
            RecipientKind::Contact(c) => ("contact", Some(c.as_uuid())),
            RecipientKind::PrimaryEmail => ("primary_email", None),
        };
        Self {
            email: r.email.to_string(),
            kind: kind.to_owned(),
            id,
            reason: r.reason.key().to_owned(),
            permission: match r.reason {
                Reason::HoldsPermission(p) => Some(p.key().to_owned()),
                _ => None,
            },
        }
    }
}

/// A notice as sent.
#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct NoticeResponse {
    /// Notice id.
    pub id: Uuid,
    /// Category key.
    #[oai(validator(max_length = 32))]
    pub category: String,
    /// Subject.
    #[oai(validator(max_length = 200))]
    pub subject: String,
    /// When it was sent.
    pub at: DateTime<Utc>,
    /// Who received it, and why.
    pub recipients: Vec<RecipientResponse>,
}

/// A page of notices.
#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct NoticePage {
    /// Newest first.
    pub items: Vec<NoticeResponse>,
    /// Pass as `cursor` for the next page; absent on the last page.
    #[oai(validator(max_length = 64))]
    pub next_cursor: Option<String>,
}

/// One entry of the audit trail.
#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct AuditEventResponse {
    /// Position in the account's history (1 is the opening).
    pub seq: u64,
    /// When.
    pub at: DateTime<Utc>,
    /// Who: `user:<id>`, `operator` or `invite_holder`.
    #[oai(validator(max_length = 64))]
    pub actor: String,
    /// What kind of change, e.g. `invite.accepted`.
    #[oai(validator(max_length = 64))]
    pub kind: String,
    /// What it is about: `account`, `member:<id>`, `invite:<id>`, `contact:<id>`, `notice:<id>`.
    #[oai(validator(max_length = 64))]
    pub target: String,
    /// What changed; absent when its values are withheld from you (see `withheld`).
    pub change: Option<serde_json::Value>,
    /// The fields whose values you may not read (a profile's without `account.profile.manage`,
    /// a contact's without `contacts.manage`); empty when `change` shows them.
    #[oai(validator(max_length = 32))]
    pub withheld: Vec<String>,
}

fn strip_tokens(value: &mut serde_json::Value) {
    match value {
        serde_json::Value::Object(map) => {
            map.remove("token");
            map.values_mut().for_each(strip_tokens);
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(strip_tokens),
        _ => {}
    }
}

impl From<&portal_domain::account::AuditEntry> for AuditEventResponse {
    fn from(e: &portal_domain::account::AuditEntry) -> Self {
        use portal_domain::account::Target;
        let mut change = e.change().and_then(|c| serde_json::to_value(c).ok());
        // Token digests mean nothing to a reader of the trail.
        if let Some(change) = &mut change {
            strip_tokens(change);
        }
        Self {
            seq: e.seq(),
            at: e.at(),
            actor: match e.actor() {
                portal_domain::Actor::User(u) => format!("user:{u}"),
                portal_domain::Actor::Operator => "operator".into(),
                portal_domain::Actor::InviteHolder => "invite_holder".into(),
            },
            kind: e.kind().to_owned(),
            target: match e.target() {
                Target::Account => "account".into(),
                Target::Member(u) => format!("member:{u}"),
                Target::Invite(i) => format!("invite:{i}"),
                Target::Contact(c) => format!("contact:{c}"),
                Target::Notice(n) => format!("notice:{n}"),
            },
            change,
            withheld: e.withheld().iter().map(|f| (*f).to_owned()).collect(),
        }
    }
}

/// A page of the audit trail.
#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct AuditPage {
    /// Newest first.
    pub items: Vec<AuditEventResponse>,
    /// Pass as `cursor` for the next page; absent on the last page.
    #[oai(validator(max_length = 64))]
    pub next_cursor: Option<String>,
}

/// What to look at for one member.
#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct ReviewFlagsResponse {
    /// No activity for 90 days.
    pub stale: bool,
    /// Access ends within 14 days.
    pub expiring: bool,
    /// Access has ended.
    pub ended: bool,
    /// Holds a sensitive permission.
    pub sensitive: bool,
}

/// One member in the access review.
#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct ReviewedMemberResponse {
    /// User id.
    pub user_id: Uuid,
    /// Whether they own the account.
    pub is_owner: bool,
    /// Their permissions.
    #[oai(validator(max_length = 32))]
    pub permissions: Vec<String>,
    /// The sensitive ones among them.
    #[oai(validator(max_length = 32))]
    pub sensitive_permissions: Vec<String>,
    /// Role label.
    #[oai(validator(max_length = 50))]
    pub role: Option<String>,
    /// Who invited them.
    pub invited_by: Option<Uuid>,
    /// Who last set their permissions.
    pub granted_by: Option<Uuid>,
    /// When they joined.
    pub joined_at: DateTime<Utc>,
    /// Last activity.
    pub last_active_at: Option<DateTime<Utc>>,
    /// When access ends.
    pub ends_at: Option<DateTime<Utc>>,
    /// What to look at.
    pub flags: ReviewFlagsResponse,
}

/// An open invite in the access review.
#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct ReviewedInviteResponse {
    /// Invite id.
    pub id: Uuid,
    /// To whom.
    #[oai(validator(max_length = 254))]
    pub email: String,
    /// With what.
    #[oai(validator(max_length = 32))]
    pub permissions: Vec<String>,
    /// Who sent it.
    pub invited_by: Uuid,
    /// `pending` or `expired`.
    #[oai(validator(max_length = 16))]
    pub status: String,
    /// When the link expires.
    pub expires_at: DateTime<Utc>,
}

/// The access review of an account.
#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct AccessReviewResponse {
    /// When it was computed.
    pub at: DateTime<Utc>,
    /// Every member, owner first.
    pub members: Vec<ReviewedMemberResponse>,
    /// Invites still open.
    pub pending_invites: Vec<ReviewedInviteResponse>,
    /// Contacts.
    pub contacts: Vec<ContactSummary>,
    /// Who recorded the last review.
    pub last_review_by: Option<Uuid>,
    /// When.
    pub last_review_at: Option<DateTime<Utc>>,
}

/// A contact in the access review.
#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct ContactSummary {
    /// Contact id.
    pub id: Uuid,
    /// Name.
    #[oai(validator(max_length = 100))]
    pub name: String,
    /// Email.
    #[oai(validator(max_length = 254))]
    pub email: String,
    /// Categories received.
    #[oai(validator(max_length = 32))]
    pub categories: Vec<String>,
}

fn keys(p: portal_domain::permission::PermissionSet) -> Vec<String> {
    p.keys().into_iter().map(str::to_owned).collect()
}

impl From<&portal_domain::review::AccessReview> for AccessReviewResponse {
    fn from(r: &portal_domain::review::AccessReview) -> Self {
        Self {
            at: r.at,
            members: r
                .members
                .iter()
                .map(|m| ReviewedMemberResponse {
                    user_id: m.user.as_uuid(),
                    is_owner: m.is_owner,
                    permissions: keys(m.permissions),
                    sensitive_permissions: keys(m.sensitive_permissions),
                    role: m.role.as_ref().map(ToString::to_string),
                    invited_by: m.invited_by.map(|u| u.as_uuid()),
                    granted_by: m.granted_by.map(|u| u.as_uuid()),
                    joined_at: m.joined_at,
                    last_active_at: m.last_active_at,
                    ends_at: m.ends_at,
                    flags: ReviewFlagsResponse {
                        stale: m.flags.stale,
                        expiring: m.flags.expiring,
                        ended: m.flags.ended,
                        sensitive: m.flags.sensitive,
                    },
                })
                .collect(),
            pending_invites: r
                .pending_invites
                .iter()
                .map(|i| ReviewedInviteResponse {
                    id: i.invite.as_uuid(),
                    email: i.email.to_string(),
                    permissions: keys(i.permissions),
                    invited_by: i.invited_by.as_uuid(),
                    status: i.status.key().to_owned(),
                    expires_at: i.expires_at,
                })
                .collect(),
            contacts: r
                .contacts
                .iter()
                .map(|c| ContactSummary {
                    id: c.contact.as_uuid(),
                    name: c.name.to_string(),
                    email: c.email.to_string(),
                    categories: c.categories.keys().into_iter().map(str::to_owned).collect(),
                })
                .collect(),
            last_review_by: r.last_review.as_ref().map(|l| l.by.as_uuid()),
            last_review_at: r.last_review.as_ref().map(|l| l.at),
        }
    }
}

/// A completed access review: who was confirmed, who is removed.
#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct RecordReviewRequest {
    /// Members whose access was confirmed as it is.
    pub confirmed: Vec<Uuid>,
    /// Members to remove (each under the usual rules).
    pub removed: Vec<Uuid>,
}

/// A notice to send.
#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct SendNoticeRequest {
    /// Category key.
    pub category: Text<{ max::KEY }>,
    /// Subject line.
    pub subject: Text<{ max::COMPANY }>,
}

/// One account in the operator's list.
#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct AccountListingResponse {
    /// Account id.
    pub id: Uuid,
    /// Display name.
    #[oai(validator(max_length = 200))]
    pub display_name: String,
    /// Owner's user id.
    pub owner_id: Uuid,
    /// `active` or `closed`.
    #[oai(validator(max_length = 16))]
    pub status: String,
    /// When it was opened.
    pub created_at: DateTime<Utc>,
}

/// A page of accounts.
#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct AccountListingPage {
    /// By id.
    pub items: Vec<AccountListingResponse>,
    /// Pass as `cursor` for the next page; absent on the last page.
    #[oai(validator(max_length = 64))]
    pub next_cursor: Option<String>,
}

/// Whom the operator makes owner.
#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct ReassignOwnerRequest {
    /// A current member's user id.
    pub user_id: Uuid,
    /// Whether the previous owner's membership ends too.
    #[oai(default)]
    pub remove_previous: bool,
}

/// An invite waiting for you.
#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct MyInviteResponse {
    /// The account that invited you.
    pub account_id: Uuid,
    /// Its name.
    #[oai(validator(max_length = 200))]
    pub account_name: String,
    /// The invite (accept it with the link or code from its email).
    pub invite: InviteResponse,
}
