//! What every handler takes from a request: the caller (a bearer session), a page request
//! (`cursor`, `limit`), `If-Match` versions and `ETag`s, the account in the path, and each
//! field parsed into the domain's value, naming the field at fault.

use poem::Request;
use poem_openapi::param::Path;
use poem_openapi::types::MaybeUndefined;
use portal_domain::ids::{AccountId, UserId};
use portal_domain::ports::{PageRequest, PasswordHasher, SessionStore, Store};
use portal_domain::service::Portal;
use portal_domain::user::User;

use crate::error::{ApiError, ApiResult};
use crate::security::BearerAuth;
use crate::wire::Text;

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
    caller_session(portal, auth).await.map(|(_, user)| user)
}

/// The signed-in user's id and the session asking (for what ends "every other" session).
pub(crate) async fn caller_session<S: Store + SessionStore, H: PasswordHasher>(
    portal: &Portal<S, H>,
    auth: &BearerAuth,
) -> ApiResult<(portal_domain::ids::SessionId, UserId)> {
    portal.authenticate_id(&auth.0.token).await.map_err(unauthorized)
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

/// The account named in the path.
pub(crate) fn account(id: &Path<uuid::Uuid>) -> AccountId {
    AccountId::from_uuid(id.0)
}

/// The bearer token, when the request carries one (an operation that is open to anyone but
/// acts on a session when given).
pub(crate) fn bearer(req: &Request) -> Option<String> {
    req.headers()
        .get(poem::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("bearer ")))
        .map(|t| t.trim().to_owned())
}
