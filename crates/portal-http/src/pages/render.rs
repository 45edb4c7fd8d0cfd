//! Turning a template or a use case's failure into an answer a person reads: the page policy
//! headers, redirects after forms, and errors worded as the API's problem details.

use askama::Template;
use chrono::{DateTime, Timelike, Utc};
use poem::Response;
use poem::http::{HeaderValue, StatusCode, header};

use crate::error::ApiError;

/// The policy of every page: its own scripts and styles only, and never in a frame.
pub(crate) const PAGE_CSP: &str = "default-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'";

/// A rendered page, with the page policy; personal data in it stays out of caches (the
/// transport adds `no-store`), and htmx's partial requests get their own cache key.
pub(crate) fn page(template: &impl Template) -> Response {
    page_with(StatusCode::OK, template)
}

/// [`page`] with another status (a form shown again with its error).
pub(crate) fn page_with(status: StatusCode, template: &impl Template) -> Response {
    match template.render() {
        Ok(html) => {
            let mut response = Response::builder().status(status).content_type("text/html; charset=utf-8").body(html);
            let headers = response.headers_mut();
            headers.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(PAGE_CSP));
            headers.insert(
                header::VARY,
                HeaderValue::from_static("HX-Request, HX-Target, HX-History-Restore-Request, Cookie"),
            );
            response
        }
        Err(e) => {
            tracing::error!(error = %e, "a page did not render");
            Response::builder()
                .status(StatusCode::INTERNAL_SERVER_ERROR)
                .content_type("text/html; charset=utf-8")
                .body("something went wrong on our side")
        }
    }
}

/// A day as the pages write it (`2026-12-03`, UTC). chrono's `format` parses its pattern on
/// every call: that measured at 5% of the Users page's time.
pub(crate) fn day(at: DateTime<Utc>) -> String {
    at.date_naive().to_string()
}

/// A moment to the minute, as the pages write it (`2026-12-03 18:21 UTC`).
pub(crate) fn minute(at: DateTime<Utc>) -> String {
    format!("{} {:02}:{:02} UTC", at.date_naive(), at.hour(), at.minute())
}

/// A redirect after a form (303: the browser follows with a GET).
pub(crate) fn see_other(to: &str) -> Response {
    match HeaderValue::from_str(to) {
        Ok(location) => Response::builder().status(StatusCode::SEE_OTHER).header(header::LOCATION, location).finish(),
        Err(_) => Response::builder().status(StatusCode::SEE_OTHER).header(header::LOCATION, "/").finish(),
    }
}

/// What went wrong, as the API's problem details say it: the status, the field at fault (for
/// the form to show it there) and the wording.
#[derive(Debug, Clone)]
pub(crate) struct Fault {
    pub(crate) status: StatusCode,
    pub(crate) field: Option<String>,
    pub(crate) detail: String,
}

impl Fault {
    /// The fault of any error the API maps.
    pub(crate) fn of(e: impl Into<ApiError>) -> Self {
        let e: ApiError = e.into();
        let p = e.problem();
        Self {
            status: StatusCode::from_u16(p.status).unwrap_or(StatusCode::BAD_REQUEST),
            field: p.field.clone(),
            detail: p.detail.clone(),
        }
    }

    /// Whether the fault is that the thing is not there (or not for this visitor to see).
    pub(crate) fn is_not_found(&self) -> bool {
        self.status == StatusCode::NOT_FOUND
    }

    /// Whether the visitor may not do this here at all (not there for them, or not allowed):
    /// a page that says so, not the form again with an error at a field.
    pub(crate) fn is_refusal(&self) -> bool {
        self.is_not_found() || self.status == StatusCode::FORBIDDEN
    }
}

/// A form's error, placed next to the field it concerns, else above the form.
#[derive(Debug, Clone, Default)]
pub(crate) struct Errors {
    fault: Option<Fault>,
    fields: &'static [&'static str],
}

impl Errors {
    /// No error: the form as first shown.
    pub(crate) fn none() -> Self {
        Self::default()
    }

    /// `fault`, on a form with these `fields`.
    pub(crate) fn new(fault: Fault, fields: &'static [&'static str]) -> Self {
        Self { fault: Some(fault), fields }
    }

    /// The wording for `field`, when the fault is that field's.
    pub(crate) fn on(&self, field: &str) -> Option<&str> {
        self.fault.as_ref().filter(|f| f.field.as_deref() == Some(field)).map(|f| f.detail.as_str())
    }

    /// The wording for the form as a whole: a fault of no field the form shows.
    pub(crate) fn general(&self) -> Option<&str> {
        self.fault
            .as_ref()
            .filter(|f| f.field.as_deref().is_none_or(|name| !self.fields.contains(&name)))
            .map(|f| f.detail.as_str())
    }

    /// The answer's status: the fault's, or 200.
    pub(crate) fn status(&self) -> StatusCode {
        self.fault.as_ref().map_or(StatusCode::OK, |f| f.status)
    }
}

#[derive(Template)]
#[template(path = "problem.html")]
struct ProblemPage<'a> {
    chrome: &'a super::visitor::Chrome,
    title: &'a str,
    detail: &'a str,
}

/// A page that says what went wrong, with the fault's status. A resource in an account the
/// visitor cannot see is "not found", as in the API.
pub(crate) fn problem(chrome: &super::visitor::Chrome, fault: &Fault) -> Response {
    let title = match fault.status {
        StatusCode::NOT_FOUND => "Not found",
        StatusCode::FORBIDDEN => "Not allowed",
        StatusCode::CONFLICT => "That changed meanwhile",
        StatusCode::TOO_MANY_REQUESTS => "Too many attempts",
        _ => "That did not work",
    };
    page_with(fault.status, &ProblemPage { chrome, title, detail: &fault.detail })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fault(field: Option<&str>) -> Fault {
        Fault { status: StatusCode::UNPROCESSABLE_ENTITY, field: field.map(str::to_owned), detail: "bad".into() }
    }

    #[test]
    fn days_and_minutes_read_as_their_patterns_say() {
        for seconds in [0_i64, 59, 86_399, 1_764_700_000, 253_402_300_799, -62_135_596_800] {
            let at = DateTime::from_timestamp(seconds, 0).unwrap();
            assert_eq!(day(at), at.format("%Y-%m-%d").to_string());
            assert_eq!(minute(at), at.format("%Y-%m-%d %H:%M UTC").to_string());
        }
    }

    #[test]
    fn an_error_sits_at_its_field_or_above_the_form() {
        let at_email = Errors::new(fault(Some("email")), &["email", "password"]);
        assert_eq!(at_email.on("email"), Some("bad"));
        assert_eq!(at_email.on("password"), None);
        assert_eq!(at_email.general(), None);
        let elsewhere = Errors::new(fault(Some("token")), &["email"]);
        assert_eq!(elsewhere.on("email"), None);
        assert_eq!(elsewhere.general(), Some("bad"));
        assert_eq!(Errors::new(fault(None), &["email"]).general(), Some("bad"));
        assert_eq!(Errors::none().general(), None);
        assert_eq!(Errors::none().status(), StatusCode::OK);
    }
}
