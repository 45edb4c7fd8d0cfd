//! Contacts: people who never sign in but receive the notice categories chosen for them.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use poem_openapi::param::{Header, Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::types::MaybeUndefined;
use poem_openapi::{ApiResponse, Object, OpenApi};
use portal_domain::Actor;
use portal_domain::ids::ContactId;
use portal_domain::notification::CategorySet;
use portal_domain::ports::{PasswordHasher, SessionStore, Store};
use portal_domain::service::Portal;
use portal_domain::values::{CompanyName, EmailAddress, PersonName, PhoneNumber};
use uuid::Uuid;

use crate::error::{ApiError, ApiResult};
use crate::extract::*;
use crate::page::listed;
use crate::routes::*;
use crate::security::BearerAuth;
use crate::tags::ApiTags;
use crate::wire::{Text, max};

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

listed!(ContactResponse, ContactPage, "A page of contacts.", "The contacts.");

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
        let categories: Vec<&str> = self.categories.iter().map(|k| &**k).collect();
        contact_of(&self.name, &self.email, self.phone.as_deref(), self.company.as_deref(), &categories)
    }
}

/// A contact from its fields as typed, each checked and named when it is at fault.
pub(crate) fn contact_of(
    name: &str,
    email: &str,
    phone: Option<&str>,
    company: Option<&str>,
    categories: &[&str],
) -> Result<portal_domain::service::ContactRequest, ApiError> {
    Ok(portal_domain::service::ContactRequest {
        name: field("name", PersonName::parse(name))?,
        email: field("email", EmailAddress::parse(email))?,
        phone: phone.map(|p| field("phone", PhoneNumber::parse(p))).transpose()?,
        company: company.map(|c| field("company", CompanyName::parse(c))).transpose()?,
        categories: field("categories", CategorySet::from_keys(categories.iter().copied()))?,
    })
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

/// Contacts.
pub struct ContactsApi<S, H> {
    pub(crate) portal: Arc<Portal<S, H>>,
}

debug_as_name!(ContactsApi);

/// A page of contacts.
#[derive(Debug, ApiResponse)]
pub enum ContactPageOk {
    /// The page.
    #[oai(status = 200)]
    Ok(Json<ContactPage>),
}

/// A contact, with its version.
#[derive(Debug, ApiResponse)]
pub enum ContactOk {
    /// The contact.
    #[oai(status = 200)]
    Ok(Json<ContactResponse>, #[oai(header = "ETag")] String),
}

/// A new contact.
#[derive(Debug, ApiResponse)]
pub enum ContactCreated {
    /// Added.
    #[oai(status = 201)]
    Created(Json<ContactResponse>, #[oai(header = "ETag")] String),
}

#[OpenApi(prefix_path = "/accounts", tag = "ApiTags::Contacts")]
impl<S: Store + SessionStore + 'static, H: PasswordHasher + 'static> ContactsApi<S, H> {
    /// The account's contacts (needs `contacts.manage`).
    #[oai(path = "/:id/contacts", method = "get")]
    async fn list(
        &self,
        auth: BearerAuth,
        id: Path<uuid::Uuid>,
        cursor: Query<Option<String>>,
        limit: Query<Option<crate::wire::PageLimit>>,
    ) -> ApiResult<ContactPageOk> {
        let me = caller(&self.portal, &auth).await?;
        let request = page_request::<ContactId>(cursor.0.as_deref(), limit.0)?;
        let page = self.portal.contacts(&Actor::User(me), account(&id), request).await?;
        Ok(ContactPageOk::Ok(Json(ContactPage::of(page, |c| ContactResponse::from(&c)))))
    }

    /// Add a contact and choose the notices it receives (needs `contacts.manage`).
    #[oai(path = "/:id/contacts", method = "post")]
    async fn create(
        &self,
        auth: BearerAuth,
        id: Path<uuid::Uuid>,
        body: Json<CreateContactRequest>,
    ) -> ApiResult<ContactCreated> {
        let me = caller(&self.portal, &auth).await?;
        let contact = self.portal.add_contact(&Actor::User(me), account(&id), body.0.try_into_domain()?).await?;
        Ok(ContactCreated::Created(Json(ContactResponse::from(&contact)), etag(contact.version())))
    }

    /// One contact (needs `contacts.manage`).
    #[oai(path = "/:id/contacts/:contact_id", method = "get")]
    async fn get(&self, auth: BearerAuth, id: Path<uuid::Uuid>, contact_id: Path<uuid::Uuid>) -> ApiResult<ContactOk> {
        let me = caller(&self.portal, &auth).await?;
        let contact = self.portal.contact(&Actor::User(me), account(&id), ContactId::from_uuid(contact_id.0)).await?;
        Ok(ContactOk::Ok(Json(ContactResponse::from(&contact)), etag(contact.version())))
    }

    /// Change a contact (needs `contacts.manage`). Send `If-Match` with its `ETag`.
    #[oai(path = "/:id/contacts/:contact_id", method = "patch")]
    async fn patch(
        &self,
        auth: BearerAuth,
        id: Path<uuid::Uuid>,
        contact_id: Path<uuid::Uuid>,
        #[oai(name = "If-Match")] version: Header<Option<String>>,
        body: Json<UpdateContactRequest>,
    ) -> ApiResult<ContactOk> {
        let me = caller(&self.portal, &auth).await?;
        let expected = if_match(version.0.as_deref())?;
        let patch = body.0.try_into_domain()?;
        let contact = self
            .portal
            .edit_contact(&Actor::User(me), account(&id), ContactId::from_uuid(contact_id.0), patch, expected)
            .await?;
        Ok(ContactOk::Ok(Json(ContactResponse::from(&contact)), etag(contact.version())))
    }

    /// Remove a contact (needs `contacts.manage`).
    #[oai(path = "/:id/contacts/:contact_id", method = "delete")]
    async fn remove(
        &self,
        auth: BearerAuth,
        id: Path<uuid::Uuid>,
        contact_id: Path<uuid::Uuid>,
    ) -> ApiResult<NoContent> {
        let me = caller(&self.portal, &auth).await?;
        self.portal.remove_contact(&Actor::User(me), account(&id), ContactId::from_uuid(contact_id.0)).await?;
        Ok(NoContent::Done)
    }
}
