//! Members and invites: who has access to an account, and how more people get it.

use std::sync::Arc;

use poem::Request;
use poem_openapi::param::{Header, Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, OpenApi};
use portal_domain::Actor;
use portal_domain::ids::{AccountId, InviteId, UserId};
use portal_domain::ports::{PasswordHasher, SessionStore, Store};
use portal_domain::service::Portal;
use portal_domain::values::PersonName;

use crate::api::{AccountOk, NoContent, caller, etag, if_match, page_request};
use crate::body::Streamed;
use crate::dto::*;
use crate::error::{ApiError, ApiResult};
use crate::security::BearerAuth;
use crate::tags::ApiTags;

/// An account's members.
pub struct UsersApi<S, H> {
    pub(crate) portal: Arc<Portal<S, H>>,
}

impl<S, H> std::fmt::Debug for UsersApi<S, H> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("UsersApi")
    }
}

/// A page of members.
#[derive(Debug, ApiResponse)]
pub enum MemberPageOk {
    /// The page.
    #[oai(status = 200)]
    Ok(Streamed<MemberPage, MemberViews>),
}

/// One member, with the membership's version.
#[derive(Debug, ApiResponse)]
pub enum MemberOk {
    /// The member.
    #[oai(status = 200)]
    Ok(Json<MemberResponse>, #[oai(header = "ETag")] String),
}

fn account(id: &Path<uuid::Uuid>) -> AccountId {
    AccountId::from_uuid(id.0)
}

#[OpenApi(prefix_path = "/accounts", tag = "ApiTags::Users")]
impl<S: Store + SessionStore + 'static, H: PasswordHasher + 'static> UsersApi<S, H> {
    /// The account's members (needs `users.manage`).
    #[oai(path = "/:id/users", method = "get")]
    async fn list(
        &self,
        auth: BearerAuth,
        id: Path<uuid::Uuid>,
        cursor: Query<Option<String>>,
        limit: Query<Option<crate::wire::PageLimit>>,
    ) -> ApiResult<MemberPageOk> {
        let me = caller(&self.portal, &auth).await?;
        let request = page_request::<UserId>(cursor.0.as_deref(), limit.0)?;
        let page = self.portal.members(&Actor::User(me), account(&id), request).await?;
        Ok(MemberPageOk::Ok(Streamed::new(MemberViews(page))))
    }

    /// One member (needs `users.manage`, or be that member).
    #[oai(path = "/:id/users/:user_id", method = "get")]
    async fn get(&self, auth: BearerAuth, id: Path<uuid::Uuid>, user_id: Path<uuid::Uuid>) -> ApiResult<MemberOk> {
        let me = caller(&self.portal, &auth).await?;
        let member = self.portal.member(&Actor::User(me), account(&id), UserId::from_uuid(user_id.0)).await?;
        Ok(MemberOk::Ok(Json(MemberResponse::from(&member)), etag(member.membership.version())))
    }

    /// Change another member's permissions, role label or end date (needs `users.manage`; you
    /// grant only what you hold). Send `If-Match` with the member's `ETag`.
    #[oai(path = "/:id/users/:user_id", method = "patch")]
    async fn patch(
        &self,
        auth: BearerAuth,
        id: Path<uuid::Uuid>,
        user_id: Path<uuid::Uuid>,
        #[oai(name = "If-Match")] version: Header<Option<String>>,
        body: Json<UpdateMemberRequest>,
    ) -> ApiResult<MemberOk> {
        let me = caller(&self.portal, &auth).await?;
        let expected = if_match(version.0.as_deref())?;
        let user = UserId::from_uuid(user_id.0);
        let edit = body.0.try_into_domain(user)?;
        let actor = Actor::User(me);
        self.portal.edit_member(&actor, account(&id), edit, expected).await?;
        let member = self.portal.member(&actor, account(&id), user).await?;
        Ok(MemberOk::Ok(Json(MemberResponse::from(&member)), etag(member.membership.version())))
    }

    /// Remove a member; they can do nothing in the account from their next request.
    #[oai(path = "/:id/users/:user_id", method = "delete")]
    async fn remove(&self, auth: BearerAuth, id: Path<uuid::Uuid>, user_id: Path<uuid::Uuid>) -> ApiResult<NoContent> {
        let me = caller(&self.portal, &auth).await?;
        self.portal.remove_member(&Actor::User(me), account(&id), UserId::from_uuid(user_id.0)).await?;
        Ok(NoContent::Done)
    }

    /// Leave the account (not as its owner: transfer ownership first).
    #[oai(path = "/:id/leave", method = "post")]
    async fn leave(&self, auth: BearerAuth, id: Path<uuid::Uuid>) -> ApiResult<NoContent> {
        let me = caller(&self.portal, &auth).await?;
        self.portal.leave(&Actor::User(me), account(&id)).await?;
        Ok(NoContent::Done)
    }

    /// Hand ownership to another current member (owner only).
    #[oai(path = "/:id/transfer-ownership", method = "post")]
    async fn transfer(
        &self,
        auth: BearerAuth,
        id: Path<uuid::Uuid>,
        body: Json<TransferRequest>,
    ) -> ApiResult<AccountOk> {
        let me = caller(&self.portal, &auth).await?;
        let account =
            self.portal.transfer_ownership(&Actor::User(me), account(&id), UserId::from_uuid(body.0.user_id)).await?;
        Ok(AccountOk::Ok(Json(AccountResponse::from(&account)), etag(account.version())))
    }

    /// Close the account (owner only); it stays readable, nothing changes in it any more.
    #[oai(path = "/:id/close", method = "post")]
    async fn close(&self, auth: BearerAuth, id: Path<uuid::Uuid>) -> ApiResult<AccountOk> {
        let me = caller(&self.portal, &auth).await?;
        let account = self.portal.close_account(&Actor::User(me), account(&id)).await?;
        Ok(AccountOk::Ok(Json(AccountResponse::from(&account)), etag(account.version())))
    }
}

/// Invitations.
pub struct InvitesApi<S, H> {
    pub(crate) portal: Arc<Portal<S, H>>,
}

impl<S, H> std::fmt::Debug for InvitesApi<S, H> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("InvitesApi")
    }
}

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

fn bearer(req: &Request) -> Option<String> {
    req.headers()
        .get(poem::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("bearer ")))
        .map(|t| t.trim().to_owned())
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
        Ok(InvitePageOk::Ok(Json(InvitePage {
            items: page.items.iter().map(|i| InviteResponse::new(i, now)).collect(),
            next_cursor: page.next.map(|i| i.to_string()),
        })))
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
        let joined = self.portal.accept_invite_as_new_user(&body.token, name, &password).await?;
        Ok(Accepted::SignedUp(Json(crate::api::session_response(joined.login, joined.session))))
    }

    /// Decline an invite, as whoever holds the link.
    #[oai(path = "/invites/decline", method = "post")]
    async fn decline(&self, body: Json<InviteTokenRequest>) -> ApiResult<NoContent> {
        self.portal.decline_invite(&body.0.token).await?;
        Ok(NoContent::Done)
    }
}
