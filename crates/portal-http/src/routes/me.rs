//! The signed-in user: their profile, notification preferences, invites and accounts.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use poem_openapi::param::{Header, Query};
use poem_openapi::payload::Json;
use poem_openapi::types::MaybeUndefined;
use poem_openapi::{ApiResponse, Object, OpenApi};
use portal_domain::ids::AccountId;
use portal_domain::notification::{CategorySet, NotificationPreferences};
use portal_domain::ports::{PasswordHasher, SessionStore, Store};
use portal_domain::service::{AccountSummary, Portal};
use portal_domain::user::{MfaState, User};
use portal_domain::values::{PersonName, PhoneNumber};
use uuid::Uuid;

use crate::error::{ApiError, ApiResult};
use crate::extract::*;
use crate::page::listed;
use crate::routes::*;
use crate::security::BearerAuth;
use crate::tags::ApiTags;
use crate::wire::{Text, max};

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

listed!(AccountSummaryResponse, AccountSummaryPage, "A page of the accounts you belong to.", "The accounts.");

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

/// The signed-in user.
pub struct MeApi<S, H> {
    pub(crate) portal: Arc<Portal<S, H>>,
}

debug_as_name!(MeApi);

/// The signed-in user, with its version.
#[derive(Debug, ApiResponse)]
pub enum MeOk {
    /// The user.
    #[oai(status = 200)]
    Ok(Json<MeResponse>, #[oai(header = "ETag")] String),
}

/// Preferences, with their version.
#[derive(Debug, ApiResponse)]
pub enum PreferencesOk {
    /// The preferences.
    #[oai(status = 200)]
    Ok(Json<PreferencesBody>, #[oai(header = "ETag")] String),
}

/// Invites waiting for you.
#[derive(Debug, ApiResponse)]
pub enum MyInvitesOk {
    /// Oldest first.
    #[oai(status = 200)]
    Ok(Json<Vec<MyInviteResponse>>),
}

/// A page of accounts.
#[derive(Debug, ApiResponse)]
pub enum AccountsPageOk {
    /// The page.
    #[oai(status = 200)]
    Ok(Json<AccountSummaryPage>),
}

#[OpenApi(prefix_path = "/me", tag = "ApiTags::Me")]
impl<S: Store + SessionStore + 'static, H: PasswordHasher + 'static> MeApi<S, H> {
    /// Your profile.
    #[oai(path = "/", method = "get")]
    async fn get(&self, auth: BearerAuth) -> ApiResult<MeOk> {
        let me = caller_user(&self.portal, &auth).await?;
        Ok(MeOk::Ok(Json(MeResponse::from(&me)), etag(me.version())))
    }

    /// Change your name or phone.
    #[oai(path = "/", method = "patch")]
    async fn patch(
        &self,
        auth: BearerAuth,
        #[oai(name = "If-Match")] version: Header<Option<String>>,
        body: Json<UpdateMeRequest>,
    ) -> ApiResult<MeOk> {
        let me = caller(&self.portal, &auth).await?;
        let expected = if_match(version.0.as_deref())?;
        let (name, phone) = body.0.try_into_domain()?;
        let me = self.portal.update_me(me, name, phone, expected).await?;
        Ok(MeOk::Ok(Json(MeResponse::from(&me)), etag(me.version())))
    }

    /// Which notification categories you have turned off.
    #[oai(path = "/notification-preferences", method = "get")]
    async fn preferences(&self, auth: BearerAuth) -> ApiResult<PreferencesOk> {
        let me = caller_user(&self.portal, &auth).await?;
        Ok(PreferencesOk::Ok(Json(me.preferences().into()), etag(me.preferences_version())))
    }

    /// Replace your notification preferences (security notices cannot be turned off).
    #[oai(path = "/notification-preferences", method = "put")]
    async fn set_preferences(
        &self,
        auth: BearerAuth,
        #[oai(name = "If-Match")] version: Header<Option<String>>,
        body: Json<PreferencesBody>,
    ) -> ApiResult<PreferencesOk> {
        let me = caller(&self.portal, &auth).await?;
        let expected = if_match(version.0.as_deref())?;
        let prefs = body.0.try_into_domain()?;
        let me = self.portal.set_preferences(me, prefs, expected).await?;
        Ok(PreferencesOk::Ok(Json(me.preferences().into()), etag(me.preferences_version())))
    }

    /// The invites waiting for your email address (accept one with the link or code in its email).
    #[oai(path = "/invites", method = "get")]
    async fn invites(&self, auth: BearerAuth) -> ApiResult<MyInvitesOk> {
        let me = caller(&self.portal, &auth).await?;
        let now = self.portal.now();
        let found = self.portal.my_invites(me).await?;
        Ok(MyInvitesOk::Ok(Json(
            found
                .iter()
                .map(|(account, name, invite)| MyInviteResponse {
                    account_id: account.as_uuid(),
                    account_name: name.to_string(),
                    invite: InviteResponse::new(invite, now),
                })
                .collect(),
        )))
    }

    /// The accounts you belong to.
    #[oai(path = "/accounts", method = "get")]
    async fn accounts(
        &self,
        auth: BearerAuth,
        cursor: Query<Option<String>>,
        limit: Query<Option<crate::wire::PageLimit>>,
    ) -> ApiResult<AccountsPageOk> {
        let me = caller(&self.portal, &auth).await?;
        let request = page_request::<AccountId>(cursor.0.as_deref(), limit.0)?;
        let page = self.portal.account_summaries(me, request).await?;
        Ok(AccountsPageOk::Ok(Json(AccountSummaryPage::of(page, |a| AccountSummaryResponse::from(&a)))))
    }
}
