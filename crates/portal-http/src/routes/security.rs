//! Account security: following a mailed link (verification, email change), password reset,
//! password and email change, and the signed-in user's sessions.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use poem_openapi::param::Path;
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, Object, OpenApi};
use portal_domain::ids::SessionId;
use portal_domain::ports::{PasswordHasher, SessionStore, Store};
use portal_domain::service::{MySession, Portal, Verified};
use portal_domain::values::{ClientInfo, EmailAddress};
use uuid::Uuid;

use crate::error::ApiResult;
use crate::extract::*;
use crate::routes::*;
use crate::security::BearerAuth;
use crate::tags::ApiTags;
use crate::wire::{Text, max};

/// The token of a mailed link (the `token` of its URL).
#[derive(Debug, Object)]
pub struct LinkTokenRequest {
    /// The token.
    pub token: Text<{ max::TOKEN }>,
}

/// An address to send a reset link to.
#[derive(Debug, Object)]
pub struct PasswordResetRequest {
    /// The login email.
    pub email: Text<{ max::EMAIL }>,
}

/// A reset link's token and the new password.
#[derive(Debug, Object)]
pub struct PasswordResetConfirm {
    /// The token from the link.
    pub token: Text<{ max::TOKEN }>,
    /// 12 to 128 characters; not your email, not a common password.
    pub new_password: Text<{ max::PASSWORD }>,
}

/// The current password and a new one.
#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct PasswordChange {
    /// Your current password.
    pub current_password: Text<{ max::PASSWORD }>,
    /// 12 to 128 characters; not your email, not a common password.
    pub new_password: Text<{ max::PASSWORD }>,
    /// With two-factor authentication on: a code, unless you re-authenticated in the last 10 minutes.
    pub code: Option<Text<{ max::CODE }>>,
}

/// The current password and the new address.
#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct EmailChange {
    /// Your current password.
    pub current_password: Text<{ max::PASSWORD }>,
    /// The new login email; it takes effect when the link mailed there is followed.
    pub new_email: Text<{ max::EMAIL }>,
    /// With two-factor authentication on: a code, unless you re-authenticated in the last 10 minutes.
    pub code: Option<Text<{ max::CODE }>>,
}

/// What happens next.
#[derive(Debug, Object)]
pub struct NextStep {
    /// What to do now.
    #[oai(validator(max_length = 200))]
    pub message: String,
}

/// What a followed link confirmed.
#[derive(Debug, Object)]
pub struct VerifiedResponse {
    /// `email` (the address you signed up with) or `email_change` (your login moved).
    #[oai(validator(max_length = 20))]
    pub confirmed: String,
}

/// One of your sessions.
#[derive(Debug, Object)]
pub struct SessionView {
    /// Session id (to end it).
    pub id: Uuid,
    /// Whether it is the session asking.
    pub current: bool,
    /// When it began.
    pub created_at: DateTime<Utc>,
    /// When it was last used.
    pub last_seen_at: DateTime<Utc>,
    /// When it ends at the latest.
    pub expires_at: DateTime<Utc>,
    /// The client's network address when it began.
    #[oai(validator(max_length = 64))]
    pub client_address: String,
    /// The user agent it named.
    #[oai(validator(max_length = 256))]
    pub user_agent: String,
}

impl From<&MySession> for SessionView {
    fn from(s: &MySession) -> Self {
        Self {
            id: s.info.id.as_uuid(),
            current: s.current,
            created_at: s.info.created_at,
            last_seen_at: s.info.last_seen_at,
            expires_at: s.info.absolute_expires_at,
            client_address: s.info.client.address().to_owned(),
            user_agent: s.info.client.user_agent().to_owned(),
        }
    }
}

/// Accepted: the rest goes by mail.
#[derive(Debug, ApiResponse)]
pub enum AcceptedNext {
    /// Accepted; see your mail.
    #[oai(status = 202)]
    Accepted(Json<NextStep>),
}

/// A link confirmed.
#[derive(Debug, ApiResponse)]
pub enum VerifiedOk {
    /// Confirmed.
    #[oai(status = 200)]
    Ok(Json<VerifiedResponse>),
}

/// Your sessions.
#[derive(Debug, ApiResponse)]
pub enum SessionsOk {
    /// Live sessions, newest first.
    #[oai(status = 200)]
    Ok(Json<Vec<SessionView>>),
}

/// Links, resets and sessions.
pub struct SecurityApi<S, H> {
    pub(crate) portal: Arc<Portal<S, H>>,
    /// Whose forwarding headers name the client.
    pub(crate) trusted_proxies: Arc<[ipnet::IpNet]>,
    /// Reset requests being worked on after their answer: bounded, so a flood queues no
    /// unbounded work (a request over the bound is dropped, answered alike).
    pub(crate) reset_jobs: ResetJobs,
}

/// Reset requests worked on at once after their answers.
pub const RESET_JOBS: usize = 64;

debug_as_name!(SecurityApi);

/// The one answer to a reset request, whatever the address.
const RESET_SENT: &str = "if an account uses this address, a reset link is on its way";

#[OpenApi]
impl<S: Store + SessionStore + 'static, H: PasswordHasher + 'static> SecurityApi<S, H> {
    /// Confirm a mailed link: a verification link verifies your address; an email-change link
    /// moves your login to the new address (if it is still free). Opening the link does nothing;
    /// only this request uses it.
    #[oai(path = "/auth/verify-email", method = "post", tag = "ApiTags::Auth")]
    async fn verify_email(&self, req: &poem::Request, body: Json<LinkTokenRequest>) -> ApiResult<VerifiedOk> {
        let client = crate::client::client_info(req, &self.trusted_proxies);
        let confirmed = match self.portal.verify_email(&client, &body.0.token).await? {
            Verified::Email => "email",
            Verified::EmailChange => "email_change",
        };
        Ok(VerifiedOk::Ok(Json(VerifiedResponse { confirmed: confirmed.into() })))
    }

    /// End the session a new-sign-in notice names ("this was not me"): the token of its link.
    /// Opening the link does nothing; only this request uses it.
    #[oai(path = "/auth/end-session", method = "post", tag = "ApiTags::Auth")]
    async fn end_session_by_link(&self, body: Json<LinkTokenRequest>) -> ApiResult<NoContent> {
        self.portal.end_session_by_link(&body.0.token).await?;
        Ok(NoContent::Done)
    }

    /// Ask for a password-reset link. The same answer, in the same time, for any address; at
    /// most 3 mails an address an hour, and a bounded number of requests per client.
    #[oai(path = "/auth/password-reset", method = "post", tag = "ApiTags::Auth")]
    async fn password_reset(&self, req: &poem::Request, body: Json<PasswordResetRequest>) -> ApiResult<AcceptedNext> {
        let email = field("email", EmailAddress::parse(&body.0.email))?;
        let client = crate::client::client_info(req, &self.trusted_proxies);
        self.reset_jobs.request(&self.portal, client, email);
        Ok(AcceptedNext::Accepted(Json(NextStep { message: RESET_SENT.into() })))
    }

    /// Set a new password from a reset link. Ends every session; does not sign you in.
    #[oai(path = "/auth/password-reset/confirm", method = "post", tag = "ApiTags::Auth")]
    async fn password_reset_confirm(
        &self,
        req: &poem::Request,
        body: Json<PasswordResetConfirm>,
    ) -> ApiResult<NoContent> {
        let client = crate::client::client_info(req, &self.trusted_proxies);
        self.portal.reset_password(&client, &body.0.token, &body.0.new_password).await?;
        Ok(NoContent::Done)
    }

    /// Change your password. Needs the current one; ends your other sessions; this one stays.
    #[oai(path = "/me/password", method = "put", tag = "ApiTags::Me")]
    async fn change_password(
        &self,
        req: &poem::Request,
        auth: BearerAuth,
        body: Json<PasswordChange>,
    ) -> ApiResult<NoContent> {
        let (session, me) = caller_session(&self.portal, &auth).await?;
        let client = crate::client::client_info(req, &self.trusted_proxies);
        let b = body.0;
        self.portal
            .change_password(&client, session, me, &b.current_password, &b.new_password, b.code.as_deref())
            .await?;
        Ok(NoContent::Done)
    }

    /// Change your login email. Needs the current password; a link goes to the new address and a
    /// notice to the old one, which keeps working until the link is followed.
    #[oai(path = "/me/email", method = "put", tag = "ApiTags::Me")]
    async fn change_email(
        &self,
        req: &poem::Request,
        auth: BearerAuth,
        body: Json<EmailChange>,
    ) -> ApiResult<AcceptedNext> {
        let (session, me) = caller_session(&self.portal, &auth).await?;
        let to = field("new_email", EmailAddress::parse(&body.0.new_email))?;
        let client = crate::client::client_info(req, &self.trusted_proxies);
        let b = &body.0;
        self.portal.request_email_change(&client, session, me, &b.current_password, &to, b.code.as_deref()).await?;
        let message = "follow the link mailed to the new address to finish the change".into();
        Ok(AcceptedNext::Accepted(Json(NextStep { message })))
    }

    /// Your live sessions, the current one marked.
    #[oai(path = "/me/sessions", method = "get", tag = "ApiTags::Me")]
    async fn sessions(&self, auth: BearerAuth) -> ApiResult<SessionsOk> {
        let (session, me) = caller_session(&self.portal, &auth).await?;
        let sessions = self.portal.my_sessions(me, session).await?;
        Ok(SessionsOk::Ok(Json(sessions.iter().map(SessionView::from).collect())))
    }

    /// End one of your sessions.
    #[oai(path = "/me/sessions/:session_id", method = "delete", tag = "ApiTags::Me")]
    async fn end_session(&self, auth: BearerAuth, session_id: Path<Uuid>) -> ApiResult<NoContent> {
        let me = caller(&self.portal, &auth).await?;
        self.portal.end_my_session(me, SessionId::from_uuid(session_id.0)).await?;
        Ok(NoContent::Done)
    }

    /// End every session of yours but this one.
    #[oai(path = "/me/sessions", method = "delete", tag = "ApiTags::Me")]
    async fn end_other_sessions(&self, auth: BearerAuth) -> ApiResult<NoContent> {
        let (session, me) = caller_session(&self.portal, &auth).await?;
        self.portal.end_other_sessions(me, session).await?;
        Ok(NoContent::Done)
    }
}

/// Password-reset requests, worked on after their answers (whether the address has an account
/// shows in no status, body or time: the lookup, the client's limit and the mail all come
/// later), at most [`crate::routes::RESET_JOBS`] at once.
#[derive(Clone)]
pub(crate) struct ResetJobs(Arc<tokio::sync::Semaphore>);

impl ResetJobs {
    pub(crate) fn new() -> Self {
        Self(Arc::new(tokio::sync::Semaphore::new(crate::routes::RESET_JOBS)))
    }

    /// Asks for a reset link for `email`, in the background.
    pub(crate) fn request<S, H>(&self, portal: &Arc<Portal<S, H>>, client: ClientInfo, email: EmailAddress)
    where
        S: Store + SessionStore + 'static,
        H: PasswordHasher + 'static,
    {
        let portal = portal.clone();
        match self.0.clone().try_acquire_owned() {
            Ok(permit) => {
                tokio::spawn(async move {
                    if let Err(e) = portal.request_password_reset(&client, &email).await {
                        tracing::warn!(error = %e, "password reset request failed");
                    }
                    drop(permit);
                });
            }
            Err(_) => tracing::warn!("password reset requests arrive faster than they are worked on; one was dropped"),
        }
    }
}
