//! Sign-up, sign-in and sign-out: the doors that hand out a session.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, Object, OpenApi};
use portal_domain::ports::{PasswordHasher, SessionStore, Store};
use portal_domain::service::{Portal, SignIn, Signup};
use portal_domain::values::{CompanyName, EmailAddress, PersonName};

use crate::error::ApiResult;
use crate::extract::*;
use crate::routes::*;
use crate::security::BearerAuth;
use crate::tags::ApiTags;
use crate::wire::{Text, max};

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

/// Sign up, sign in, sign out.
pub struct AuthApi<S, H> {
    pub(crate) portal: Arc<Portal<S, H>>,
    /// Whose forwarding headers name the client (rate limits count per client).
    pub(crate) trusted_proxies: Arc<[ipnet::IpNet]>,
}

debug_as_name!(AuthApi);

/// A sign-up, taken: the same answer whether or not the address had an account.
#[derive(Debug, ApiResponse)]
pub enum SignupAccepted {
    /// Check your mail: a verification link, or a note that you have an account already.
    #[oai(status = 202)]
    Accepted(Json<crate::routes::NextStep>),
}

/// A session.
#[derive(Debug, ApiResponse)]
pub enum SessionOk {
    /// Signed in.
    #[oai(status = 200)]
    Ok(Json<SessionResponse>),
}

pub(crate) fn session_response(
    login: portal_domain::service::Login,
    session: portal_domain::service::NewSession,
) -> SessionResponse {
    SessionResponse {
        token: session.token,
        expires_at: session.expires_at,
        user: MeResponse::from(&login.user),
        accounts: login.accounts.iter().map(AccountSummaryResponse::from).collect(),
    }
}

#[OpenApi(prefix_path = "/auth", tag = "ApiTags::Auth")]
impl<S: Store + SessionStore + 'static, H: PasswordHasher + 'static> AuthApi<S, H> {
    /// Create an account and its owner. The answer is the same whether or not the address has an
    /// account (a verification link goes to a new one, a reset link to a known one); then sign
    /// in. Rate limited per client.
    #[oai(path = "/signup", method = "post")]
    async fn signup(&self, req: &poem::Request, body: Json<SignupRequest>) -> ApiResult<SignupAccepted> {
        let b = body.0;
        let signup = signup_of(&b.email, &b.name, b.password.0, &b.account_name, b.company.as_deref())?;
        let client = crate::client::client_info(req, &self.trusted_proxies);
        self.portal.signup(&client, signup).await?;
        let message = "check your mail to verify your address, then sign in".into();
        Ok(SignupAccepted::Accepted(Json(crate::routes::NextStep { message })))
    }

    /// Sign in. The answer lists your accounts, for the account picker; with two-factor
    /// authentication on, it is a ticket for `POST /auth/login/mfa` instead (202). Rate limited:
    /// attempts per client, failures per email and client, and (far higher) per email.
    #[oai(path = "/login", method = "post")]
    async fn login(&self, req: &poem::Request, body: Json<LoginRequest>) -> ApiResult<crate::routes::LoginOk> {
        let client = crate::client::client_info(req, &self.trusted_proxies);
        Ok(match self.portal.sign_in(&client, &body.0.email, &body.0.password).await? {
            SignIn::Session(login, session) => crate::routes::LoginOk::Ok(Json(session_response(login, session))),
            SignIn::SecondFactor(ticket) => {
                crate::routes::LoginOk::SecondFactor(Json(crate::routes::SecondFactorChallenge {
                    mfa_required: true,
                    ticket: ticket.token,
                    expires_at: ticket.expires_at,
                }))
            }
        })
    }

    /// End this session.
    #[oai(path = "/logout", method = "post")]
    async fn logout(&self, auth: BearerAuth) -> ApiResult<NoContent> {
        caller(&self.portal, &auth).await?;
        self.portal.sign_out(&auth.0.token).await?;
        Ok(NoContent::Done)
    }
}

/// A sign-up from its fields as typed, each checked and named when it is at fault.
pub(crate) fn signup_of(
    email: &str,
    name: &str,
    password: String,
    account_name: &str,
    company: Option<&str>,
) -> ApiResult<Signup> {
    Ok(Signup {
        email: field("email", EmailAddress::parse(email))?,
        name: field("name", PersonName::parse(name))?,
        password,
        account_name: field("account_name", CompanyName::parse(account_name))?,
        company: company.map(|c| field("company", CompanyName::parse(c))).transpose()?,
    })
}
