//! What every request and answer goes through, whatever the route: the body limit, and the
//! headers that keep answers out of caches, sniffers, referrers and frames.

use std::sync::Arc;

use poem::error::ReadBodyError;
use poem::http::{HeaderValue, StatusCode, header};
use poem::{Body, Endpoint, IntoResponse, Request, Response};

use crate::route_table::RouteTable;

/// The default largest request body: far above any JSON this API takes, far below harm.
pub const DEFAULT_MAX_BODY_BYTES: usize = 64 * 1024;

/// Transport settings of the HTTP application.
#[derive(Debug, Clone)]
pub struct HttpSettings {
    /// Larger request bodies are refused with 413 before they are read whole.
    pub max_body_bytes: usize,
    /// Peers whose `Forwarded` / `X-Forwarded-For` name the client ([`crate::client`]).
    pub trusted_proxies: Vec<ipnet::IpNet>,
    /// The key the client area's CSRF tokens are made with (from the server's secret key).
    /// Without one the pages are not served: there is no safe default.
    pub page_key: Option<[u8; 32]>,
    /// Whether people reach the server over https: the pages' cookies are then `Secure` and
    /// `__Host-` prefixed.
    pub secure_cookies: bool,
}

impl Default for HttpSettings {
    fn default() -> Self {
        Self {
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
            trusted_proxies: Vec::new(),
            page_key: None,
            secure_cookies: false,
        }
    }
}

/// Applies the body limit, then the headers, around `ep`.
pub(crate) async fn guard<E: Endpoint>(
    ep: Arc<E>,
    settings: Arc<HttpSettings>,
    routes: Arc<RouteTable>,
    docs_csp: Arc<HeaderValue>,
    mut req: Request,
) -> poem::Result<Response> {
    // A `Uri` clone shares its bytes: no copy of the path on every request.
    let uri = req.uri().clone();
    let path = uri.path();
    let mut response = match limit_body(&mut req, settings.max_body_bytes).await {
        Ok(()) => match ep.call(req).await {
            Ok(r) => r.into_response(),
            Err(e) => e.into_response(),
        },
        Err(too_large) => too_large,
    };
    let served = response.status().is_success();
    let headers = response.headers_mut();
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    if path.starts_with("/docs") {
        headers.insert(header::CONTENT_SECURITY_POLICY, (*docs_csp).clone());
    } else if path.starts_with("/static/") && served {
        // The same for everyone, and versioned by name.
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=86400"));
    } else {
        // Answers carry tokens and personal data: no cache may keep them.
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    if response.status() == StatusCode::METHOD_NOT_ALLOWED
        && let Ok(allow) = HeaderValue::from_str(&routes.allowed(path))
    {
        response.headers_mut().insert(header::ALLOW, allow);
    }
    Ok(response)
}

/// Refuses a declared length over `max` without reading (hyper holds a body to its declared
/// length), and reads a body of unknown length (chunked, or HTTP/2) into memory up to `max`: one
/// byte more refuses it. No handler ever sees more.
async fn limit_body(req: &mut Request, max: usize) -> Result<(), Response> {
    let declared = req.headers().get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()).map(str::parse::<u64>);
    match declared {
        Some(Ok(n)) if n > max as u64 => return Err(too_large(max)),
        Some(Ok(_)) => return Ok(()),
        // An unparsable length is for hyper to refuse.
        Some(Err(_)) | None => {}
    }
    let body = req.take_body();
    if body.is_empty() {
        req.set_body(body);
        return Ok(());
    }
    match body.into_bytes_limit(max).await {
        Ok(bytes) => {
            req.set_body(Body::from(bytes));
            Ok(())
        }
        Err(ReadBodyError::PayloadTooLarge) => Err(too_large(max)),
        Err(e) => Err(poem::Error::from(e).into_response()),
    }
}

fn too_large(max: usize) -> Response {
    let (_, problem) =
        crate::error::from_status(413, format!("the request body is larger than the limit of {max} bytes"));
    let body = serde_json::json!({
        "type": problem.kind, "title": problem.title, "status": problem.status,
        "detail": problem.detail, "code": problem.code,
    });
    // The rest of the body is not read: the connection cannot carry another request.
    Response::builder()
        .status(StatusCode::PAYLOAD_TOO_LARGE)
        .content_type("application/problem+json")
        .header(header::CONNECTION, HeaderValue::from_static("close"))
        .body(body.to_string())
}

/// The Content-Security-Policy of the documentation page: its own inline script and style,
/// allowed by their digests, and nothing from anywhere else; never inside a frame.
pub(crate) fn docs_csp(html: &str) -> HeaderValue {
    let scripts = inline_digests(html, "script");
    let styles = inline_digests(html, "style");
    let policy = format!(
        "default-src 'none'; script-src {scripts}; style-src {styles}; img-src 'self' data:; \
         connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
    );
    HeaderValue::from_str(&policy)
        .unwrap_or_else(|_| HeaderValue::from_static("default-src 'none'; frame-ancestors 'none'"))
}

/// `'sha256-…'` for the content of each inline `<tag …>…</tag>` element of `html`.
fn inline_digests(html: &str, tag: &str) -> String {
    use base64::Engine;
    use sha2::Digest;
    let (open, close) = (format!("<{tag}"), format!("</{tag}>"));
    let mut out = Vec::new();
    let mut rest = html;
    while let Some(start) = rest.find(&open) {
        let after = &rest[start..];
        let Some(gt) = after.find('>') else { break };
        let body = &after[gt + 1..];
        let Some(end) = body.find(&close) else { break };
        let digest = sha2::Sha256::digest(&body.as_bytes()[..end]);
        out.push(format!("'sha256-{}'", base64::engine::general_purpose::STANDARD.encode(digest)));
        rest = &body[end + close.len()..];
    }
    if out.is_empty() { "'none'".to_owned() } else { out.join(" ") }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_inline_block_is_allowed_by_its_own_digest() {
        let html = "<html><style a=\"b\">x</style><script>alert(1)</script><script>y</script></html>";
        let scripts = inline_digests(html, "script");
        assert_eq!(scripts.matches("'sha256-").count(), 2, "{scripts}");
        // sha256("x"), base64.
        assert_eq!(inline_digests(html, "style"), "'sha256-LXEWQrcmsEQBYnyp+6wy9chTD7GQPMTbAiWHF5IaSIE='");
        assert_eq!(inline_digests("<p>none</p>", "script"), "'none'");
    }
}
