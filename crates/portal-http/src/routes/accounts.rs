//! Accounts: opening one, and reading and changing the master profile.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use poem_openapi::param::{Header, Path};
use poem_openapi::payload::Json;
use poem_openapi::types::MaybeUndefined;
use poem_openapi::{ApiResponse, Object, OpenApi};
use portal_domain::Actor;
use portal_domain::account::{Account, AccountStatus, ProfilePatch, View};
use portal_domain::ids::AccountId;
use portal_domain::ports::{PasswordHasher, SessionStore, Store};
use portal_domain::service::Portal;
use portal_domain::values::{CompanyName, EmailAddress, PhoneNumber, PostalAddress, PostalAddressInput, TaxId};
use uuid::Uuid;

use crate::error::{ApiError, ApiResult};
use crate::extract::*;
use crate::security::BearerAuth;
use crate::tags::ApiTags;
use crate::wire::{Text, max};

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

/// Accounts and their master profile.
pub struct AccountsApi<S, H> {
    pub(crate) portal: Arc<Portal<S, H>>,
}

debug_as_name!(AccountsApi);

/// An account, with its version.
#[derive(Debug, ApiResponse)]
pub enum AccountOk {
    /// The account.
    #[oai(status = 200)]
    Ok(Json<AccountResponse>, #[oai(header = "ETag")] String),
}

/// A new account.
#[derive(Debug, ApiResponse)]
pub enum AccountCreated {
    /// Created; you own it.
    #[oai(status = 201)]
    Created(Json<AccountResponse>, #[oai(header = "ETag")] String),
}

#[OpenApi(prefix_path = "/accounts", tag = "ApiTags::Accounts")]
impl<S: Store + SessionStore + 'static, H: PasswordHasher + 'static> AccountsApi<S, H> {
    /// Open another account, owned by you.
    #[oai(path = "/", method = "post")]
    async fn create(&self, auth: BearerAuth, body: Json<CreateAccountRequest>) -> ApiResult<AccountCreated> {
        let me = caller(&self.portal, &auth).await?;
        let name = field("display_name", CompanyName::parse(&body.0.display_name))?;
        let company = body.0.company.as_deref().map(|c| field("company", CompanyName::parse(c))).transpose()?;
        let account = self.portal.create_account(me, name, company).await?;
        Ok(AccountCreated::Created(Json(AccountResponse::from(&account)), etag(account.version())))
    }

    /// The account and its master profile (needs `account.profile.manage`).
    #[oai(path = "/:id", method = "get")]
    async fn get(&self, auth: BearerAuth, id: Path<uuid::Uuid>) -> ApiResult<AccountOk> {
        let me = caller(&self.portal, &auth).await?;
        let account = self.portal.account(&Actor::User(me), AccountId::from_uuid(id.0), View::Profile).await?;
        Ok(AccountOk::Ok(Json(AccountResponse::from(&account)), etag(account.version())))
    }

    /// Change the master profile (needs `account.profile.manage`). Send `If-Match` with the `ETag`.
    #[oai(path = "/:id", method = "patch")]
    async fn patch(
        &self,
        auth: BearerAuth,
        id: Path<uuid::Uuid>,
        #[oai(name = "If-Match")] version: Header<Option<String>>,
        body: Json<UpdateAccountRequest>,
    ) -> ApiResult<AccountOk> {
        let me = caller(&self.portal, &auth).await?;
        let expected = if_match(version.0.as_deref())?;
        let patch = body.0.try_into_domain()?;
        let account = self.portal.update_profile(&Actor::User(me), AccountId::from_uuid(id.0), patch, expected).await?;
        Ok(AccountOk::Ok(Json(AccountResponse::from(&account)), etag(account.version())))
    }
}
