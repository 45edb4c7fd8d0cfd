//! The second factor: TOTP enrolment and removal, recovery codes, the second sign-in step and
//! re-authentication for sensitive changes.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, Object, OpenApi};
use portal_domain::ports::{PasswordHasher, SessionStore, Store};
use portal_domain::service::{Portal, Proof};

use crate::error::ApiResult;
use crate::extract::*;
use crate::routes::*;
use crate::security::BearerAuth;
use crate::tags::ApiTags;
use crate::wire::{Text, max};

/// The ticket of the password step and a second factor.
#[derive(Debug, Object)]
pub struct SecondFactorLogin {
    /// The ticket the password step answered with.
    pub ticket: Text<{ max::TOKEN }>,
    /// A six-digit code from your authenticator app, or one of your recovery codes.
    pub code: Text<{ max::CODE }>,
}

/// A code from the authenticator app.
#[derive(Debug, Object)]
pub struct TotpCode {
    /// The six-digit code the app shows now.
    pub code: Text<{ max::CODE }>,
}

/// The password and, with two-factor authentication on, a code.
#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct ReauthRequest {
    /// Your current password.
    pub password: Text<{ max::PASSWORD }>,
    /// A code from your app or a recovery code (needed when two-factor authentication is on).
    pub code: Option<Text<{ max::CODE }>>,
}

/// What a sensitive change may carry instead of a recent re-authentication.
#[derive(Debug, Object, Default)]
#[oai(skip_serializing_if_is_none)]
pub struct ProofRequest {
    /// Your current password (not needed if you re-authenticated in the last 10 minutes).
    pub password: Option<Text<{ max::PASSWORD }>>,
    /// A code from your app or a recovery code (likewise, when two-factor authentication is on).
    pub code: Option<Text<{ max::CODE }>>,
}

impl ProofRequest {
    /// The proof the domain checks.
    pub(crate) fn proof(&self) -> Proof<'_> {
        Proof { password: self.password.as_deref(), code: self.code.as_deref() }
    }
}

/// The password and a current second factor, both needed to turn it off.
#[derive(Debug, Object)]
pub struct MfaOff {
    /// Your current password.
    pub password: Text<{ max::PASSWORD }>,
    /// A code from your app or a recovery code.
    pub code: Text<{ max::CODE }>,
}

/// A new TOTP secret, shown once: scan the QR code or type the secret, then confirm a code.
#[derive(Debug, Object)]
pub struct TotpEnrolmentResponse {
    /// The secret in base32.
    #[oai(validator(max_length = 128))]
    pub secret: String,
    /// The `otpauth://` URI the QR code holds.
    #[oai(validator(max_length = 512))]
    pub otpauth_uri: String,
    /// The QR code, an SVG document.
    #[oai(validator(max_length = 200000))]
    pub qr_svg: String,
}

/// Recovery codes, shown this once: each works once in place of a code from the app.
#[derive(Debug, Object)]
pub struct RecoveryCodesResponse {
    /// The codes.
    #[oai(validator(max_items = 10, max_length = 32))]
    pub recovery_codes: Vec<String>,
}

/// The password was right; the second factor is next.
#[derive(Debug, Object)]
pub struct SecondFactorChallenge {
    /// Always `true`: send the ticket and a code to `POST /auth/login/mfa`.
    pub mfa_required: bool,
    /// Single use, for this sign-in only.
    #[oai(validator(max_length = 128))]
    pub ticket: String,
    /// When the ticket lapses (5 minutes).
    pub expires_at: DateTime<Utc>,
}

/// A sign-in's answer.
#[derive(Debug, ApiResponse)]
pub enum LoginOk {
    /// Signed in.
    #[oai(status = 200)]
    Ok(Json<SessionResponse>),
    /// The password was right; a second factor is needed.
    #[oai(status = 202)]
    SecondFactor(Json<SecondFactorChallenge>),
}

/// A TOTP secret to enrol.
#[derive(Debug, ApiResponse)]
pub enum TotpEnrolmentOk {
    /// Enrolment started; confirm a code to turn it on.
    #[oai(status = 200)]
    Ok(Json<TotpEnrolmentResponse>),
}

/// Recovery codes.
#[derive(Debug, ApiResponse)]
pub enum RecoveryCodesOk {
    /// Keep them somewhere safe.
    #[oai(status = 200)]
    Ok(Json<RecoveryCodesResponse>),
}

/// Two-factor authentication and re-authentication.
pub struct MfaApi<S, H> {
    pub(crate) portal: Arc<Portal<S, H>>,
    /// Whose forwarding headers name the client.
    pub(crate) trusted_proxies: Arc<[ipnet::IpNet]>,
}

debug_as_name!(MfaApi);

#[OpenApi]
impl<S: Store + SessionStore + 'static, H: PasswordHasher + 'static> MfaApi<S, H> {
    /// The second sign-in step: the ticket from `POST /auth/login` and a code from your app or a
    /// recovery code. A ticket takes 5 codes; wrong codes also count per user (then wait).
    #[oai(path = "/auth/login/mfa", method = "post", tag = "ApiTags::Auth")]
    async fn login_second_factor(&self, req: &poem::Request, body: Json<SecondFactorLogin>) -> ApiResult<SessionOk> {
        let client = crate::client::client_info(req, &self.trusted_proxies);
        let (login, session) = self.portal.sign_in_second_factor(&client, &body.0.ticket, &body.0.code).await?;
        Ok(SessionOk::Ok(Json(session_response(login, session))))
    }

    /// Confirm who you are for the sensitive changes of the next 10 minutes (email, password,
    /// two-factor, ownership transfer, closing an account).
    #[oai(path = "/me/reauthenticate", method = "post", tag = "ApiTags::Me")]
    async fn reauthenticate(
        &self,
        req: &poem::Request,
        auth: BearerAuth,
        body: Json<ReauthRequest>,
    ) -> ApiResult<NoContent> {
        let (session, me) = caller_session(&self.portal, &auth).await?;
        let client = crate::client::client_info(req, &self.trusted_proxies);
        self.portal.reauthenticate(&client, session, me, &body.0.password, body.0.code.as_deref()).await?;
        Ok(NoContent::Done)
    }

    /// Start two-factor enrolment: a new secret, its `otpauth://` URI and QR code, shown once.
    /// Starting again replaces a secret not yet confirmed.
    #[oai(path = "/me/mfa/totp", method = "post", tag = "ApiTags::Me")]
    async fn start_totp(&self, req: &poem::Request, auth: BearerAuth) -> ApiResult<TotpEnrolmentOk> {
        let me = caller(&self.portal, &auth).await?;
        let client = crate::client::client_info(req, &self.trusted_proxies);
        let enrolment = self.portal.start_totp(&client, me).await?;
        Ok(TotpEnrolmentOk::Ok(Json(TotpEnrolmentResponse {
            secret: enrolment.secret,
            otpauth_uri: enrolment.uri,
            qr_svg: enrolment.qr_svg,
        })))
    }

    /// Turn two-factor authentication on with a code from the app; answers the recovery codes,
    /// shown this once.
    #[oai(path = "/me/mfa/totp/confirm", method = "post", tag = "ApiTags::Me")]
    async fn confirm_totp(
        &self,
        req: &poem::Request,
        auth: BearerAuth,
        body: Json<TotpCode>,
    ) -> ApiResult<RecoveryCodesOk> {
        let (session, me) = caller_session(&self.portal, &auth).await?;
        let client = crate::client::client_info(req, &self.trusted_proxies);
        let recovery_codes = self.portal.confirm_totp(&client, session, me, &body.0.code).await?;
        Ok(RecoveryCodesOk::Ok(Json(RecoveryCodesResponse { recovery_codes })))
    }

    /// A new set of recovery codes; the old set stops working. Needs the password and a code,
    /// here or by a re-authentication in the last 10 minutes.
    #[oai(path = "/me/mfa/recovery-codes", method = "post", tag = "ApiTags::Me")]
    async fn renew_recovery_codes(
        &self,
        req: &poem::Request,
        auth: BearerAuth,
        body: Json<ProofRequest>,
    ) -> ApiResult<RecoveryCodesOk> {
        let (session, me) = caller_session(&self.portal, &auth).await?;
        let client = crate::client::client_info(req, &self.trusted_proxies);
        let recovery_codes = self.portal.renew_recovery_codes(&client, session, me, body.0.proof()).await?;
        Ok(RecoveryCodesOk::Ok(Json(RecoveryCodesResponse { recovery_codes })))
    }

    /// Turn two-factor authentication off. Needs the password and a current code or recovery
    /// code, in this request.
    #[oai(path = "/me/mfa/totp", method = "delete", tag = "ApiTags::Me")]
    async fn disable_totp(&self, req: &poem::Request, auth: BearerAuth, body: Json<MfaOff>) -> ApiResult<NoContent> {
        let (session, me) = caller_session(&self.portal, &auth).await?;
        let client = crate::client::client_info(req, &self.trusted_proxies);
        self.portal.disable_totp(&client, session, me, &body.0.password, &body.0.code).await?;
        Ok(NoContent::Done)
    }
}
