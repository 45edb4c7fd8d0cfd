//! Invites: the account's list, sending, re-sending and cancelling, and answering a link
//! (preview, accept, decline).

use std::sync::Arc;

use chrono::{DateTime, Utc};
use poem::Request;
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, Object, OpenApi};
use portal_domain::Actor;
use portal_domain::ids::InviteId;
use portal_domain::permission::{PermissionSet, Role};
use portal_domain::ports::{PasswordHasher, SessionStore, Store};
use portal_domain::service::Portal;
use portal_domain::values::{EmailAddress, PersonName};
use uuid::Uuid;

use crate::error::{ApiError, ApiResult};
use crate::extract::*;
use crate::page::listed;
use crate::routes::*;
use crate::security::BearerAuth;
use crate::tags::ApiTags;
use crate::wire::{Text, max};

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

listed!(InviteResponse, InvitePage, "A page of invites.", "The invites, oldest first.");

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
    pub(crate) fn try_into_domain(self) -> Result<portal_domain::service::InviteOffer, ApiError> {
        let keys = self.permissions.as_ref().map(|keys| keys.iter().map(|k| &**k).collect::<Vec<_>>());
        offer(OfferFields {
            email: &self.email,
            name: self.name.as_deref(),
            role: self.role.as_deref(),
            role_label: self.role_label.as_deref(),
            permissions: keys.as_deref(),
            access_ends_at: self.access_ends_at.map(|t| t.parse("access_ends_at")).transpose()?,
        })
    }
}

/// An invite's fields as a client sent them (the API's names, which a form shares).
pub(crate) struct OfferFields<'a> {
    pub(crate) email: &'a str,
    pub(crate) name: Option<&'a str>,
    /// A role preset's key.
    pub(crate) role: Option<&'a str>,
    /// The label to show instead of the preset's key.
    pub(crate) role_label: Option<&'a str>,
    /// The exact permission keys, overriding the preset's.
    pub(crate) permissions: Option<&'a [&'a str]>,
    pub(crate) access_ends_at: Option<DateTime<Utc>>,
}

/// The offer of an invite, each field checked and named when it is at fault.
pub(crate) fn offer(f: OfferFields<'_>) -> Result<portal_domain::service::InviteOffer, ApiError> {
    let preset = f.role.map(|r| field("role", Role::from_key(r))).transpose()?;
    let exact =
        f.permissions.map(|keys| field("permissions", PermissionSet::from_keys(keys.iter().copied()))).transpose()?;
    let permissions = field("permissions", Role::grant(preset, exact))?;
    let label = Role::label(preset, f.role_label);
    Ok(portal_domain::service::InviteOffer {
        email: field("email", EmailAddress::parse(f.email))?,
        name: f.name.map(|n| field("name", PersonName::parse(n))).transpose()?,
        permissions,
        role: label.map(|l| field("role_label", portal_domain::values::RoleLabel::parse(l))).transpose()?,
        access_ends_at: f.access_ends_at,
    })
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

/// Invitations.
pub struct InvitesApi<S, H> {
    pub(crate) portal: Arc<Portal<S, H>>,
    /// Whose forwarding headers name the client (a new user's first session records it).
    pub(crate) trusted_proxies: Arc<[ipnet::IpNet]>,
}

debug_as_name!(InvitesApi);

/// A page of invites.
#[derive(Debug, ApiResponse)]
pub enum InvitePageOk {
    /// The page.
    #[oai(status = 200)]
    Ok(Json<InvitePage>),
}

/// An invite.
#[derive(Debug, ApiResponse)]
pub enum InviteOk {
    /// The invite.
    #[oai(status = 200)]
    Ok(Json<InviteResponse>),
}

/// A new invite.
#[derive(Debug, ApiResponse)]
pub enum InviteCreated {
    /// Sent: the email with its link is queued.
    #[oai(status = 201)]
    Created(Json<InviteResponse>),
}

/// What an invite link offers.
#[derive(Debug, ApiResponse)]
pub enum PreviewOk {
    /// The offer.
    #[oai(status = 200)]
    Ok(Json<InvitePreviewResponse>),
}

/// The outcome of accepting an invite.
#[derive(Debug, ApiResponse)]
pub enum Accepted {
    /// Joined, as the signed-in user.
    #[oai(status = 200)]
    Joined(Json<AccountSummaryResponse>),
    /// Signed up through the link and joined; here is your session.
    #[oai(status = 201)]
    SignedUp(Json<SessionResponse>),
}

#[OpenApi(tag = "ApiTags::Invites")]
impl<S: Store + SessionStore + 'static, H: PasswordHasher + 'static> InvitesApi<S, H> {
    /// The account's invites, any state (needs `users.manage`).
    #[oai(path = "/accounts/:id/invites", method = "get")]
    async fn list(
        &self,
        auth: BearerAuth,
        id: Path<uuid::Uuid>,
        cursor: Query<Option<String>>,
        limit: Query<Option<crate::wire::PageLimit>>,
    ) -> ApiResult<InvitePageOk> {
        let me = caller(&self.portal, &auth).await?;
        let request = page_request::<InviteId>(cursor.0.as_deref(), limit.0)?;
        let page = self.portal.invites(&Actor::User(me), account(&id), request).await?;
        let now = self.portal.now();
        Ok(InvitePageOk::Ok(Json(InvitePage::of(page, |i| InviteResponse::new(&i, now)))))
    }

    /// Invite someone by email (needs `users.manage`; you grant only what you hold). The email
    /// with the link is sent from the outbox.
    #[oai(path = "/accounts/:id/invites", method = "post")]
    async fn create(
        &self,
        auth: BearerAuth,
        id: Path<uuid::Uuid>,
        body: Json<CreateInviteRequest>,
    ) -> ApiResult<InviteCreated> {
        let me = caller(&self.portal, &auth).await?;
        let request = body.0.try_into_domain()?;
        let invite = self.portal.invite(&Actor::User(me), account(&id), request).await?;
        Ok(InviteCreated::Created(Json(InviteResponse::new(&invite, self.portal.now()))))
    }

    /// Send an open invite again with a new link and expiry; the old link stops working.
    #[oai(path = "/accounts/:id/invites/:invite_id/resend", method = "post")]
    async fn resend(&self, auth: BearerAuth, id: Path<uuid::Uuid>, invite_id: Path<uuid::Uuid>) -> ApiResult<InviteOk> {
        let me = caller(&self.portal, &auth).await?;
        let invite =
            self.portal.resend_invite(&Actor::User(me), account(&id), InviteId::from_uuid(invite_id.0)).await?;
        Ok(InviteOk::Ok(Json(InviteResponse::new(&invite, self.portal.now()))))
    }

    /// Cancel an open invite; its link stops working.
    #[oai(path = "/accounts/:id/invites/:invite_id", method = "delete")]
    async fn cancel(
        &self,
        auth: BearerAuth,
        id: Path<uuid::Uuid>,
        invite_id: Path<uuid::Uuid>,
    ) -> ApiResult<NoContent> {
        let me = caller(&self.portal, &auth).await?;
        self.portal.cancel_invite(&Actor::User(me), account(&id), InviteId::from_uuid(invite_id.0)).await?;
        Ok(NoContent::Done)
    }

    /// What an invite link offers, before answering it.
    #[oai(path = "/invites/preview", method = "post")]
    async fn preview(&self, body: Json<InviteTokenRequest>) -> ApiResult<PreviewOk> {
        Ok(PreviewOk::Ok(Json(self.portal.preview_invite(&body.0.token).await?.into())))
    }

    /// Accept an invite. Signed in (`Authorization: Bearer`), you join as yourself; the invite
    /// must be for your email. Without a session, give `name` and `password`: you sign up with
    /// the invited email (verified by the link) and get a session.
    #[oai(path = "/invites/accept", method = "post")]
    async fn accept(&self, req: &Request, body: Json<AcceptInviteRequest>) -> ApiResult<Accepted> {
        let body = body.0;
        if let Some(token) = bearer(req) {
            let (_, me) = self.portal.authenticate_id(&token).await.map_err(|_| ApiError::unauthorized())?;
            let summary = self.portal.accept_invite(me, &body.token).await?;
            return Ok(Accepted::Joined(Json(AccountSummaryResponse::from(&summary))));
        }
        let name = field("name", PersonName::parse(body.name.as_deref().unwrap_or_default()))?;
        let password =
            body.password.ok_or_else(|| ApiError::invalid("password", "choose a password, or sign in to accept"))?;
        let client = crate::client::client_info(req, &self.trusted_proxies);
        let joined = self.portal.accept_invite_as_new_user(&client, &body.token, name, &password).await?;
        Ok(Accepted::SignedUp(Json(session_response(joined.login, joined.session))))
    }

    /// Decline an invite, as whoever holds the link.
    #[oai(path = "/invites/decline", method = "post")]
    async fn decline(&self, body: Json<InviteTokenRequest>) -> ApiResult<NoContent> {
        self.portal.decline_invite(&body.0.token).await?;
        Ok(NoContent::Done)
    }
}
