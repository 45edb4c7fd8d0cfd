//! Every failure leaves as RFC 9457 problem details, mapped from the domain in one function.

use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, Object};
use portal_domain::DomainError;
use portal_domain::service::{AuthError, ServiceError};

/// An RFC 9457 problem: what went wrong, for people (`title`, `detail`) and programs (`code`).
#[derive(Debug, Clone, Object, PartialEq, Eq)]
pub struct Problem {
    /// A URI naming the kind of problem.
    #[oai(rename = "type", validator(max_length = 128))]
    pub kind: String,
    /// A short summary of the kind of problem.
    #[oai(validator(max_length = 64))]
    pub title: String,
    /// The HTTP status.
    pub status: u16,
    /// What happened this time.
    #[oai(validator(max_length = 1024))]
    pub detail: String,
    /// A stable machine-readable code.
    #[oai(validator(max_length = 64))]
    pub code: String,
    /// The request field at fault, for invalid input.
    #[oai(skip_serializing_if_is_none, validator(max_length = 64))]
    pub field: Option<String>,
    /// The rule of the domain that refused the request, by number.
    #[oai(skip_serializing_if_is_none)]
    pub rule: Option<u8>,
}

/// The error responses every operation may give.
#[derive(Debug, ApiResponse)]
pub enum ApiError {
    /// The request is malformed (wrong types, missing fields, bad parameters).
    #[oai(status = 400, content_type = "application/problem+json")]
    BadRequest(Json<Problem>),
    /// Credentials are missing, wrong or expired.
    #[oai(status = 401, content_type = "application/problem+json")]
    Unauthorized(Json<Problem>, #[oai(header = "WWW-Authenticate")] String),
    /// The caller may see the resource but lacks the permission for this.
    #[oai(status = 403, content_type = "application/problem+json")]
    Forbidden(Json<Problem>),
    /// No such resource, or one in an account the caller cannot see.
    #[oai(status = 404, content_type = "application/problem+json")]
    NotFound(Json<Problem>),
    /// The request conflicts with the current state.
    #[oai(status = 409, content_type = "application/problem+json")]
    Conflict(Json<Problem>),
    /// The resource changed since the version in `If-Match`.
    #[oai(status = 412, content_type = "application/problem+json")]
    PreconditionFailed(Json<Problem>),
    /// The request body is larger than the server takes (`--max-body-bytes`, 64 KiB by default).
    #[oai(status = 413, content_type = "application/problem+json")]
    PayloadTooLarge(Json<Problem>),
    /// The request body is not `application/json`.
    #[oai(status = 415, content_type = "application/problem+json")]
    UnsupportedMediaType(Json<Problem>),
    /// The request is well-formed but a value is not acceptable.
    #[oai(status = 422, content_type = "application/problem+json")]
    Unprocessable(Json<Problem>),
    /// Too many requests; try again after `Retry-After` seconds.
    #[oai(status = 429, content_type = "application/problem+json")]
    TooManyRequests(Json<Problem>, #[oai(header = "Retry-After")] String),
    /// Something failed on our side.
    #[oai(status = 500, content_type = "application/problem+json")]
    Internal(Json<Problem>),
}

/// The result of an operation.
pub type ApiResult<T> = Result<T, ApiError>;

/// The longest `detail` sent (as the document says); a longer one is cut, marked with `…`.
const MAX_DETAIL: usize = 1024;

fn problem(status: u16, title: &str, code: &str, detail: String) -> Problem {
    let detail = if detail.len() > MAX_DETAIL && detail.chars().count() > MAX_DETAIL {
        detail.chars().take(MAX_DETAIL - 1).chain(['…']).collect()
    } else {
        detail
    };
    Problem {
        kind: format!("https://portal.example/problems/{code}"),
        title: title.to_owned(),
        status,
        detail,
        code: code.to_owned(),
        field: None,
        rule: None,
    }
}

impl ApiError {
    /// An unacceptable value in `field`.
    pub fn invalid(field: &str, detail: impl std::fmt::Display) -> Self {
        let mut p = problem(422, "Invalid value", "invalid_value", format!("{field}: {detail}"));
        p.field = Some(field.to_owned());
        Self::Unprocessable(Json(p))
    }

    /// A malformed request.
    pub fn bad_request(detail: impl std::fmt::Display) -> Self {
        Self::BadRequest(Json(problem(400, "Bad request", "bad_request", detail.to_string())))
    }

    /// Missing or invalid credentials.
    pub fn unauthorized() -> Self {
        Self::Unauthorized(
            Json(problem(
                401,
                "Unauthorized",
                "unauthorized",
                "sign in and send the session token as a Bearer token".into(),
            )),
            "Bearer".into(),
        )
    }

    /// A resource the caller cannot see.
    pub fn not_found(what: &str) -> Self {
        Self::NotFound(Json(problem(404, "Not found", "not_found", format!("{what} not found"))))
    }

    /// Too many requests: try again in `seconds`.
    pub fn too_many_requests(seconds: u64) -> Self {
        Self::TooManyRequests(
            Json(problem(
                429,
                "Too many requests",
                "rate_limited",
                format!("too many attempts; try again in {seconds} seconds"),
            )),
            seconds.to_string(),
        )
    }

    /// The problem inside.
    pub fn problem(&self) -> &Problem {
        match self {
            Self::BadRequest(p)
            | Self::Unauthorized(p, _)
            | Self::Forbidden(p)
            | Self::NotFound(p)
            | Self::Conflict(p)
            | Self::PreconditionFailed(p)
            | Self::PayloadTooLarge(p)
            | Self::UnsupportedMediaType(p)
            | Self::Unprocessable(p)
            | Self::TooManyRequests(p, _)
            | Self::Internal(p) => &p.0,
        }
    }
}

/// The doors that check a secret add two answers to what every use case can say.
impl From<AuthError> for ApiError {
    fn from(e: AuthError) -> Self {
        match e {
            AuthError::Password(p) => Self::invalid("password", p),
            AuthError::InvalidCredentials => {
                let mut p = problem(401, "Unauthorized", "invalid_credentials", e.to_string());
                p.kind = "https://portal.example/problems/invalid_credentials".into();
                Self::Unauthorized(Json(p), "Bearer".into())
            }
            AuthError::WrongPassword => {
                let mut p = problem(403, "Forbidden", "wrong_password", e.to_string());
                p.field = Some("current_password".into());
                Self::Forbidden(Json(p))
            }
            AuthError::InvalidSecondFactor => {
                let mut p = problem(401, "Unauthorized", "invalid_second_factor", e.to_string());
                p.field = Some("code".into());
                Self::Unauthorized(Json(p), "Bearer".into())
            }
            AuthError::WrongCode => {
                let mut p = problem(403, "Forbidden", "wrong_code", e.to_string());
                p.field = Some("code".into());
                Self::Forbidden(Json(p))
            }
            AuthError::Service(e) => e.into(),
        }
    }
}

/// The one place domain failures become HTTP. Exhaustive: a new variant breaks the build here.
impl From<ServiceError> for ApiError {
    fn from(e: ServiceError) -> Self {
        match e {
            ServiceError::Domain(d) => domain(d),
            ServiceError::PreconditionFailed { .. } => {
                Self::PreconditionFailed(Json(problem(412, "Precondition failed", "version_mismatch", e.to_string())))
            }
            ServiceError::Conflict => Self::Conflict(Json(problem(409, "Conflict", "conflict", e.to_string()))),
            ServiceError::RateLimited(wait) => Self::too_many_requests(wait.seconds()),
            ServiceError::InvalidToken => {
                let mut p = problem(422, "Invalid value", "invalid_token", e.to_string());
                p.field = Some("token".into());
                Self::Unprocessable(Json(p))
            }
            ServiceError::Store(source) => internal("store failure", &source),
            ServiceError::Hasher(source) => internal("secret handling failure", &source),
            ServiceError::Unavailable(_) => internal("a part the server was built without", &e),
            ServiceError::Internal(_) => internal("internal inconsistency", &e),
        }
    }
}

/// A 500: the failure is logged with its cause chain; the client learns nothing about the inside.
fn internal(what: &str, source: &(dyn std::error::Error + 'static)) -> ApiError {
    let mut chain = source.to_string();
    let mut cause = source.source();
    while let Some(c) = cause {
        chain.push_str(": ");
        chain.push_str(&c.to_string());
        cause = c.source();
    }
    tracing::error!(error = %chain, "{what}");
    ApiError::Internal(Json(problem(500, "Internal error", "internal", "something went wrong on our side".into())))
}

fn domain(e: DomainError) -> ApiError {
    use DomainError as D;
    let detail = e.to_string();
    let rule = e.rule().map(|r| r as u8);
    let (status, code, field) = match &e {
        D::AccountNotFound => (404, "account_not_found", None),
        D::MemberNotFound => (404, "member_not_found", None),
        D::InviteNotFound => (404, "invite_not_found", None),
        D::ContactNotFound => (404, "contact_not_found", None),
        D::UserNotFound => (404, "user_not_found", None),
        D::SessionNotFound => (404, "session_not_found", None),
        D::MissingPermission(_) => (403, "missing_permission", None),
        D::OwnerOnly => (403, "owner_only", None),
        D::OperatorOnly => (403, "operator_only", None),
        D::AccountClosed => (409, "account_closed", None),
        D::UserDisabled => (403, "user_disabled", None),
        D::Escalation { .. } => (403, "escalation", Some("permissions")),
        D::OnlyOwnerGrantsProfile => (403, "only_owner_grants_profile", Some("permissions")),
        D::InviteNoLongerBacked => (403, "invite_no_longer_backed", None),
        D::SelfEdit => (403, "self_edit", None),
        D::TargetIsOwner => (403, "target_is_owner", None),
        D::TargetOutranksActor { .. } => (403, "target_outranks_actor", None),
        D::OwnerCannotLeave => (409, "owner_cannot_leave", None),
        D::InvalidNewOwner => (422, "invalid_new_owner", Some("user_id")),
        D::InviteNotPending(_) => (409, "invite_not_pending", None),
        D::InviteExpired => (409, "invite_expired", None),
        D::InviteEmailMismatch => (403, "invite_email_mismatch", None),
        D::EmailNotVerified => (403, "email_not_verified", None),
        D::AlreadyMember => (409, "already_member", Some("email")),
        D::InviteAlreadyPending => (409, "invite_already_pending", Some("email")),
        D::EmailTaken => (409, "email_taken", Some("email")),
        D::SameEmail => (422, "same_email", Some("new_email")),
        D::MfaAlreadyOn => (409, "mfa_on", None),
        D::MfaNotPending => (409, "mfa_not_pending", None),
        D::MfaNotOn => (409, "mfa_off", None),
        D::RecoveryCodeUnknown => (403, "wrong_code", Some("code")),
        D::ReauthenticationRequired => (403, "reauthentication_required", None),
        D::ContactEmailTaken => (409, "contact_email_taken", Some("email")),
        D::ConfirmedAndRemoved(_) => (422, "confirmed_and_removed", Some("removed")),
        D::InviteEndDate(why) => (422, end_date_code(*why), Some("access_ends_at")),
        D::MemberEndDate(why) => (422, end_date_code(*why), Some("ends_at")),
        D::Preferences(_) => (422, "security_is_mandatory", Some("opted_out")),
    };
    let title = match status {
        403 => "Forbidden",
        404 => "Not found",
        409 => "Conflict",
        _ => "Invalid value",
    };
    let mut p = problem(status, title, code, detail);
    p.field = field.map(str::to_owned);
    p.rule = rule;
    match status {
        403 => ApiError::Forbidden(Json(p)),
        404 => ApiError::NotFound(Json(p)),
        409 => ApiError::Conflict(Json(p)),
        _ => ApiError::Unprocessable(Json(p)),
    }
}

fn end_date_code(why: portal_domain::values::EndDateError) -> &'static str {
    match why {
        portal_domain::values::EndDateError::NotInFuture => "end_date_not_in_future",
        portal_domain::values::EndDateError::TooFar => "end_date_too_far",
    }
}

/// Problem details for an error poem raised before a handler ran (unparsable JSON, a missing
/// parameter, no credentials, an unknown route), from its status and message.
pub fn from_status(status: u16, message: String) -> (u16, Problem) {
    let (title, code) = match status {
        401 => ("Unauthorized", "unauthorized"),
        404 => ("Not found", "not_found"),
        405 => ("Method not allowed", "method_not_allowed"),
        413 => ("Payload too large", "payload_too_large"),
        415 => ("Unsupported media type", "unsupported_media_type"),
        s if s >= 500 => ("Internal error", "internal"),
        _ => ("Bad request", "bad_request"),
    };
    let detail = if status >= 500 || message.is_empty() { title.to_owned() } else { message };
    (status, problem(status, title, code, detail))
}
