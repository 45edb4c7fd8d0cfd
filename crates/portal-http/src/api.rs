//! The operations, by area. Each handler parses, calls one use case, maps the result.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use poem_openapi::param::{Header, Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, OpenApi};
use portal_domain::account::View;
use portal_domain::ids::{AccountId, UserId};
use portal_domain::notification::NotificationCategory;
use portal_domain::permission::{Permission, Role};
use portal_domain::ports::{PageRequest, PasswordHasher, SessionStore, Store};
use portal_domain::service::{Portal, Signup};
use portal_domain::values::{CompanyName, EmailAddress, PersonName};
use portal_domain::{Actor, User};

use crate::dto::*;
use crate::error::{ApiError, ApiResult};
use crate::security::BearerAuth;
use crate::tags::ApiTags;

/// Whether the service can take traffic (database reachable, schema current), and any gauges
/// the deployment adds to `/metrics`.
pub trait Readiness: Send + Sync {
    /// `Err` says what is not ready.
    fn ready(&self) -> Pin<Box<dyn Future<Output = Result<(), String>> + Send + '_>>;

    /// Extra lines in Prometheus text format (the outbox depth, in the server).
    fn gauges(&self) -> Pin<Box<dyn Future<Output = String> + Send + '_>> {
        Box::pin(async { String::new() })
    }
}

/// Always ready: for stores with nothing to reach.
#[derive(Debug, Clone, Copy)]
pub struct AlwaysReady;

impl Readiness for AlwaysReady {
    fn ready(&self) -> Pin<Box<dyn Future<Output = Result<(), String>> + Send + '_>> {
        Box::pin(async { Ok(()) })
    }
}

/// The largest page a list returns.
pub const MAX_LIMIT: u32 = 200;
/// The page size when none is asked for.
pub const DEFAULT_LIMIT: u32 = 50;

pub(crate) fn limit(raw: Option<crate::wire::PageLimit>) -> Result<usize, ApiError> {
    match raw.map_or(i64::from(DEFAULT_LIMIT), |l| l.0) {
        n if n < 1 => Err(ApiError::invalid("limit", "must be at least 1")),
        n if n > i64::from(MAX_LIMIT) => Err(ApiError::invalid("limit", format!("must be at most {MAX_LIMIT}"))),
        n => Ok(usize::try_from(n).unwrap_or(1)),
    }
}

/// The page a list operation asks for: `cursor` parsed as the list's key, `limit` checked.
pub(crate) fn page_request<K: std::str::FromStr>(
    cursor: Option<&str>,
    raw_limit: Option<crate::wire::PageLimit>,
) -> Result<PageRequest<K>, ApiError>
where
    K::Err: std::fmt::Display,
{
    // An empty cursor is the first page, as an absent one is (`?cursor=` from a form or a template).
    let after = cursor.filter(|c| !c.is_empty()).map(|c| field("cursor", c.parse::<K>())).transpose()?;
    Ok(PageRequest { after, limit: limit(raw_limit)? })
}

/// `"v7"` for version 7.
pub(crate) fn etag(version: u64) -> String {
    format!("\"v{version}\"")
}

/// The version an `If-Match` names; `None` for absent, empty or `*`. A list names the first of
/// this API's tags in it; a header naming none of them can match no version (RFC 9110 §13.1.1:
/// 412), which [`NO_VERSION`] stands for.
pub(crate) fn if_match(raw: Option<&str>) -> Result<Option<u64>, ApiError> {
    let Some(raw) = raw.map(str::trim).filter(|r| !r.is_empty()) else { return Ok(None) };
    let tags: Vec<&str> = raw.split(',').map(str::trim).collect();
    if tags.contains(&"*") {
        return Ok(None);
    }
    let version = tags
        .iter()
        .find_map(|tag| tag.trim_start_matches("W/").trim_matches('"').strip_prefix('v').and_then(|v| v.parse().ok()));
    Ok(Some(version.unwrap_or(NO_VERSION)))
}

/// A version no resource ever has (versions count up from 1): what an `If-Match` naming none of
/// this API's tags is held against, so the use case answers 412.
const NO_VERSION: u64 = u64::MAX;

/// The signed-in user's id (what most operations need: the use case checks the rest).
pub(crate) async fn caller<S: Store + SessionStore, H: PasswordHasher>(
    portal: &Portal<S, H>,
    auth: &BearerAuth,
) -> ApiResult<UserId> {
    portal.authenticate_id(&auth.0.token).await.map(|(_, user)| user).map_err(unauthorized)
}

/// The signed-in user, whole.
pub(crate) async fn caller_user<S: Store + SessionStore, H: PasswordHasher>(
    portal: &Portal<S, H>,
    auth: &BearerAuth,
) -> ApiResult<User> {
    portal.authenticate(&auth.0.token).await.map(|(_, user)| user).map_err(unauthorized)
}

fn unauthorized(e: portal_domain::service::AuthError) -> ApiError {
    match e {
        portal_domain::service::AuthError::InvalidCredentials => ApiError::unauthorized(),
        e => e.into(),
    }
}

/// Liveness and readiness.
pub struct HealthApi {
    pub(crate) ready: Arc<dyn Readiness>,
}

impl std::fmt::Debug for HealthApi {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("HealthApi")
    }
}

/// `GET /readyz` answers.
#[derive(Debug, ApiResponse)]
pub enum ReadyResponse {
    /// Ready for traffic.
    #[oai(status = 200)]
    Ready(Json<HealthResponse>),
    /// Not ready (database unreachable or migrations pending).
    #[oai(status = 503)]
    NotReady(Json<HealthResponse>),
}

#[OpenApi(tag = "ApiTags::Health")]
impl HealthApi {
    /// The process is up.
    #[oai(path = "/healthz", method = "get")]
    async fn healthz(&self) -> Json<HealthResponse> {
        Json(HealthResponse { status: "ok".into() })
    }

    /// The process can serve: the database answers and its schema is current.
    #[oai(path = "/readyz", method = "get")]
    async fn readyz(&self) -> ReadyResponse {
        match self.ready.ready().await {
            Ok(()) => ReadyResponse::Ready(Json(HealthResponse { status: "ok".into() })),
            Err(why) => {
                tracing::warn!(%why, "not ready");
                ReadyResponse::NotReady(Json(HealthResponse { status: "unavailable".into() }))
            }
        }
    }
}

/// Sign up, sign in, sign out.
pub struct AuthApi<S, H> {
    pub(crate) portal: Arc<Portal<S, H>>,
    /// Whose forwarding headers name the client (rate limits count per client).
    pub(crate) trusted_proxies: Arc<[ipnet::IpNet]>,
}

impl<S, H> std::fmt::Debug for AuthApi<S, H> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AuthApi")
    }
}

/// A new session.
#[derive(Debug, ApiResponse)]
pub enum SessionCreated {
    /// Signed up and signed in.
    #[oai(status = 201)]
    Created(Json<SessionResponse>),
}

/// A session.
#[derive(Debug, ApiResponse)]
pub enum SessionOk {
    /// Signed in.
    #[oai(status = 200)]
    Ok(Json<SessionResponse>),
}

/// Nothing to say.
#[derive(Debug, ApiResponse)]
pub enum NoContent {
    /// Done.
    #[oai(status = 204)]
    Done,
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
    /// Create an account and its owner, and sign in. Rate limited per client.
    #[oai(path = "/signup", method = "post")]
    async fn signup(&self, req: &poem::Request, body: Json<SignupRequest>) -> ApiResult<SessionCreated> {
        let b = body.0;
        let signup = Signup {
            email: field("email", EmailAddress::parse(&b.email))?,
            name: field("name", PersonName::parse(&b.name))?,
            password: b.password.0,
            account_name: field("account_name", CompanyName::parse(&b.account_name))?,
            company: b.company.as_deref().map(|c| field("company", CompanyName::parse(c))).transpose()?,
        };
        let client = crate::client::client_of(req, &self.trusted_proxies);
        let joined = self.portal.signup(&client.0, signup).await?;
        Ok(SessionCreated::Created(Json(session_response(joined.login, joined.session))))
    }

    /// Sign in. The answer lists your accounts, for the account picker. Rate limited: attempts
    /// per client, failures per email and client, and (far higher) per email.
    #[oai(path = "/login", method = "post")]
    async fn login(&self, req: &poem::Request, body: Json<LoginRequest>) -> ApiResult<SessionOk> {
        let client = crate::client::client_of(req, &self.trusted_proxies);
        let (login, session) = self.portal.sign_in(&client.0, &body.0.email, &body.0.password).await?;
        Ok(SessionOk::Ok(Json(session_response(login, session))))
    }

    /// End this session.
    #[oai(path = "/logout", method = "post")]
    async fn logout(&self, auth: BearerAuth) -> ApiResult<NoContent> {
        caller(&self.portal, &auth).await?;
        self.portal.sign_out(&auth.0.token).await?;
        Ok(NoContent::Done)
    }
}

/// The signed-in user.
pub struct MeApi<S, H> {
    pub(crate) portal: Arc<Portal<S, H>>,
}

impl<S, H> std::fmt::Debug for MeApi<S, H> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("MeApi")
    }
}

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
        Ok(AccountsPageOk::Ok(Json(AccountSummaryPage {
            items: page.items.iter().map(AccountSummaryResponse::from).collect(),
            next_cursor: page.next.map(|a| a.to_string()),
        })))
    }
}

/// Accounts and their master profile.
pub struct AccountsApi<S, H> {
    pub(crate) portal: Arc<Portal<S, H>>,
}

impl<S, H> std::fmt::Debug for AccountsApi<S, H> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AccountsApi")
    }
}

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

/// The fixed catalogues clients build forms from.
#[derive(Debug)]
pub struct CatalogueApi;

#[OpenApi(tag = "ApiTags::Catalogue")]
impl CatalogueApi {
    /// Every permission, with its description and whether it is sensitive.
    #[oai(path = "/permissions", method = "get")]
    async fn permissions(&self) -> Json<Vec<PermissionResponse>> {
        Json(Permission::ALL.into_iter().map(PermissionResponse::from).collect())
    }

    /// The role presets.
    #[oai(path = "/roles", method = "get")]
    async fn roles(&self) -> Json<Vec<RoleResponse>> {
        Json(Role::ALL.into_iter().map(RoleResponse::from).collect())
    }

    /// The notification categories.
    #[oai(path = "/notification-categories", method = "get")]
    async fn categories(&self) -> Json<Vec<CategoryResponse>> {
        Json(NotificationCategory::ALL.into_iter().map(CategoryResponse::from).collect())
    }
}
