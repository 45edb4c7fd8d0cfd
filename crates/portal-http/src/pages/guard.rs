//! What every state-changing form must carry: the CSRF token of this browser's cookie, and a
//! same-origin request (`Sec-Fetch-Site`, else `Origin` against `Host`). Either missing: 403.

use poem::http::StatusCode;
use poem::web::{CsrfToken, CsrfVerifier};
use poem::{Request, Response};
use serde::Deserialize;
use serde::de::DeserializeOwned;

/// The CSRF token for this browser's next form.
pub(crate) fn csrf(req: &Request) -> String {
    req.extensions().get::<CsrfToken>().map(|t| t.0.clone()).unwrap_or_default()
}

/// A form field's value, or `None` when left empty (blank counts as empty).
pub(crate) fn filled(raw: &str) -> Option<&str> {
    Some(raw.trim()).filter(|s| !s.is_empty())
}

/// A form with no field but its CSRF token (a button: sign out, remove, resend).
#[derive(Deserialize)]
pub(crate) struct Nothing {}

/// The fields of a form post that may act, or the answer to one that may not: 403 without its
/// token or from another origin, 400 when the fields do not read or the body breaks off.
pub(crate) async fn form<T: DeserializeOwned>(req: Request) -> Result<(Request, T), Response> {
    #[derive(Deserialize)]
    struct Token {
        #[serde(default)]
        csrf: String,
    }
    let (req, mut body) = req.split();
    // The transport refused a body over the limit already (413); one that breaks off is no form.
    let bytes = match body.take() {
        Ok(body) => match body.into_bytes().await {
            Ok(bytes) => bytes,
            Err(_) => return Err(plain(StatusCode::BAD_REQUEST, "This form did not arrive whole. Try again.")),
        },
        Err(_) => Default::default(),
    };
    let token = serde_html_form::from_bytes::<Token>(&bytes).map(|t| t.csrf).unwrap_or_default();
    if !form_allowed(&req, &token) {
        return Err(plain(
            StatusCode::FORBIDDEN,
            "This form has expired or came from another site. Reload the page and try again.",
        ));
    }
    match serde_html_form::from_bytes::<T>(&bytes) {
        Ok(fields) => Ok((req, fields)),
        Err(_) => Err(incomplete()),
    }
}

/// The answer to a form whose fields do not read: 400, and what to do.
pub(crate) fn incomplete() -> Response {
    plain(StatusCode::BAD_REQUEST, "This form is incomplete. Reload the page and try again.")
}

fn plain(status: StatusCode, text: &'static str) -> Response {
    Response::builder().status(status).content_type("text/plain; charset=utf-8").body(text)
}

/// Whether a form post may act: same origin, and `token` the CSRF token of this browser.
fn form_allowed(req: &Request, token: &str) -> bool {
    same_origin(req) && req.extensions().get::<CsrfVerifier>().is_some_and(|v| v.is_valid(token))
}

/// `Sec-Fetch-Site: same-origin` (or `none`: typed or bookmarked), or, from a browser that does
/// not send it, an `Origin` naming this host. Neither header: not a browser's cross-site post.
fn same_origin(req: &Request) -> bool {
    let header = |name: &str| req.headers().get(name).and_then(|v| v.to_str().ok());
    if let Some(site) = header("sec-fetch-site") {
        return matches!(site, "same-origin" | "none");
    }
    match (header("origin"), header("host")) {
        (Some(origin), Some(host)) => origin.split_once("://").is_some_and(|(_, rest)| rest == host),
        (Some(_), None) => false,
        (None, _) => true,
    }
}
