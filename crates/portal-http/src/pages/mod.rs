//! The client area: server-rendered pages (askama templates, auto-escaped) at `/`, beside the
//! API, calling the same use cases. Every control is a plain link or form; the vendored htmx only
//! makes it smoother. The session is the API's opaque session in an `HttpOnly`, `SameSite=Lax`
//! cookie (`__Host-` and `Secure` when the public URL is https); every state-changing request
//! needs the form's CSRF token and a same-origin `Origin` / `Sec-Fetch-Site`.

/// The value of a `Result<T, Response>`, or its response as the handler's answer (a refused
/// form, the way to sign in, a page that is not there).
macro_rules! or_answer {
    ($result:expr) => {
        match $result {
            Ok(value) => value,
            Err(answer) => return answer,
        }
    };
}

mod account;
mod contacts;
mod governance;
mod grants;
mod guard;
mod home;
mod invite;
mod me;
mod query;
mod render;
mod sessions;
mod sign_in;
mod sign_up;
mod two_factor;
mod users;
mod visitor;

use std::future::Future;
use std::sync::Arc;

use poem::http::Method;
use poem::middleware::Csrf;
use poem::web::cookie::SameSite;
use poem::{Endpoint, EndpointExt, Request, Response, Route, get, post};
use portal_domain::ports::{PasswordHasher, SessionStore, Store};
use portal_domain::service::Portal;

/// The embedded static files: the stylesheet and the vendored htmx.
#[derive(rust_embed::RustEmbed)]
#[folder = "static/"]
struct Static;

/// Every page's path (poem's `:name` for a parameter) and its methods: the app mounts each,
/// and the route table labels them.
pub const PAGES: &[(&str, &[Method])] = &[
    ("/", GET),
    ("/sign-in", GET_POST),
    ("/sign-in/code", POST),
    ("/sign-out", POST),
    ("/sign-up", GET_POST),
    ("/verify-email", GET_POST),
    ("/forgot-password", GET_POST),
    ("/reset-password", GET_POST),
    ("/end-session", GET_POST),
    ("/invites/accept", GET_POST),
    ("/invites/decline", POST),
    ("/me", GET_POST),
    ("/me/email", GET_POST),
    ("/me/password", GET_POST),
    ("/me/preferences", GET_POST),
    ("/me/two-factor", GET),
    ("/me/two-factor/start", POST),
    ("/me/two-factor/confirm", POST),
    ("/me/two-factor/recovery-codes", POST),
    ("/me/two-factor/off", POST),
    ("/me/sessions", GET),
    ("/me/sessions/:session/end", POST),
    ("/me/sessions/end-others", POST),
    ("/accounts/:id", GET),
    ("/accounts/:id/profile", GET_POST),
    ("/accounts/:id/ownership", GET),
    ("/accounts/:id/transfer", POST),
    ("/accounts/:id/leave", POST),
    ("/accounts/:id/close", POST),
    ("/accounts/:id/contacts", GET),
    ("/accounts/:id/contacts/new", GET_POST),
    ("/accounts/:id/contacts/:contact", GET_POST),
    ("/accounts/:id/contacts/:contact/delete", POST),
    ("/accounts/:id/notices", GET),
    ("/accounts/:id/audit", GET),
    ("/accounts/:id/review", GET_POST),
    ("/accounts/:id/users", GET),
    ("/accounts/:id/users/new", GET_POST),
    ("/accounts/:id/users/:user", GET_POST),
    ("/accounts/:id/users/:user/remove", POST),
    ("/accounts/:id/invites/:invite/resend", POST),
    ("/accounts/:id/invites/:invite/cancel", POST),
];
const GET: &[Method] = &[Method::GET];
const POST: &[Method] = &[Method::POST];
const GET_POST: &[Method] = &[Method::GET, Method::POST];

/// The store every page handler's use cases run on, for the life of the server: stated once
/// here rather than as a `where` clause on each handler.
pub(crate) trait Backing: Store + SessionStore + 'static {}
impl<T: Store + SessionStore + 'static> Backing for T {}

/// The password hasher every page handler's use cases take.
pub(crate) trait Hashing: PasswordHasher + 'static {}
impl<T: PasswordHasher + 'static> Hashing for T {}

/// What the pages need besides the use cases.
pub(crate) struct Pages<S, H> {
    pub(crate) portal: Arc<Portal<S, H>>,
    pub(crate) trusted_proxies: Arc<[ipnet::IpNet]>,
    /// Whether the public URL is https: cookies are then `Secure` and `__Host-` prefixed.
    pub(crate) secure: bool,
    /// Reset requests, worked on after their answers.
    pub(crate) reset_jobs: crate::routes::security::ResetJobs,
}

impl<S, H> Pages<S, H> {
    /// The session cookie's name.
    pub(crate) fn session_cookie(&self) -> &'static str {
        if self.secure { "__Host-portal_session" } else { "portal_session" }
    }

    /// Who is asking, as the API would record it.
    pub(crate) fn client(&self, req: &Request) -> portal_domain::values::ClientInfo {
        crate::client::client_info(req, &self.trusted_proxies)
    }
}

/// A page handler: the shared state and the request, to the answer.
fn ep<S, H, F, Fut>(pages: &Arc<Pages<S, H>>, handler: F) -> impl Endpoint<Output = Response> + use<S, H, F, Fut>
where
    S: Backing,
    H: Hashing,
    F: Fn(Arc<Pages<S, H>>, Request) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Response> + Send + 'static,
{
    let pages = pages.clone();
    poem::endpoint::make(move |req| handler(pages.clone(), req))
}

/// The pages, their forms behind the CSRF check; `key` signs the CSRF tokens.
pub(crate) fn routes<S: Backing, H: Hashing>(pages: Pages<S, H>, key: [u8; 32]) -> impl Endpoint<Output = Response> {
    let secure = pages.secure;
    let p = &Arc::new(pages);
    let csrf = Csrf::new()
        .key(key)
        .cookie_name(if secure { "__Host-portal_csrf" } else { "portal_csrf" })
        .secure(secure)
        .http_only(true)
        .same_site(SameSite::Strict)
        .path("/");
    Route::new()
        .at("/", get(ep(p, home::picker)))
        .at("/sign-in", get(ep(p, sign_in::show)).post(ep(p, sign_in::submit)))
        .at("/sign-in/code", post(ep(p, sign_in::code)))
        .at("/sign-out", post(ep(p, sign_in::sign_out)))
        .at("/sign-up", get(ep(p, sign_up::show)).post(ep(p, sign_up::submit)))
        .at("/verify-email", get(ep(p, sign_up::verify_show)).post(ep(p, sign_up::verify)))
        .at("/forgot-password", get(ep(p, sign_up::forgot_show)).post(ep(p, sign_up::forgot)))
        .at("/reset-password", get(ep(p, sign_up::reset_show)).post(ep(p, sign_up::reset)))
        .at("/end-session", get(ep(p, sign_up::end_session_show)).post(ep(p, sign_up::end_session)))
        .at("/invites/accept", get(ep(p, invite::show)).post(ep(p, invite::accept)))
        .at("/invites/decline", post(ep(p, invite::decline)))
        .at("/me", get(ep(p, me::profile_show)).post(ep(p, me::profile)))
        .at("/me/email", get(ep(p, me::email_show)).post(ep(p, me::email)))
        .at("/me/password", get(ep(p, me::password_show)).post(ep(p, me::password)))
        .at("/me/preferences", get(ep(p, me::preferences_show)).post(ep(p, me::preferences)))
        .at("/me/two-factor", get(ep(p, two_factor::show)))
        .at("/me/two-factor/start", post(ep(p, two_factor::start)))
        .at("/me/two-factor/confirm", post(ep(p, two_factor::confirm)))
        .at("/me/two-factor/recovery-codes", post(ep(p, two_factor::renew)))
        .at("/me/two-factor/off", post(ep(p, two_factor::off)))
        .at("/me/sessions", get(ep(p, sessions::list)))
        .at("/me/sessions/:session/end", post(ep(p, sessions::end)))
        .at("/me/sessions/end-others", post(ep(p, sessions::end_others)))
        .at("/accounts/:id", get(ep(p, home::account)))
        .at("/accounts/:id/profile", get(ep(p, account::profile_show)).post(ep(p, account::profile)))
        .at("/accounts/:id/ownership", get(ep(p, account::ownership_show)))
        .at("/accounts/:id/transfer", post(ep(p, account::transfer)))
        .at("/accounts/:id/leave", post(ep(p, account::leave)))
        .at("/accounts/:id/close", post(ep(p, account::close)))
        .at("/accounts/:id/contacts", get(ep(p, contacts::list)))
        .at("/accounts/:id/contacts/new", get(ep(p, contacts::add_show)).post(ep(p, contacts::add)))
        .at("/accounts/:id/contacts/:contact", get(ep(p, contacts::edit_show)).post(ep(p, contacts::edit)))
        .at("/accounts/:id/contacts/:contact/delete", post(ep(p, contacts::delete)))
        .at("/accounts/:id/notices", get(ep(p, governance::notices)))
        .at("/accounts/:id/audit", get(ep(p, governance::audit)))
        .at("/accounts/:id/review", get(ep(p, governance::review)).post(ep(p, governance::record)))
        .at("/accounts/:id/users", get(ep(p, users::list)))
        .at("/accounts/:id/users/new", get(ep(p, users::add_show)).post(ep(p, users::add)))
        .at("/accounts/:id/users/:user", get(ep(p, users::manage_show)).post(ep(p, users::manage)))
        .at("/accounts/:id/users/:user/remove", post(ep(p, users::remove)))
        .at("/accounts/:id/invites/:invite/resend", post(ep(p, users::resend)))
        .at("/accounts/:id/invites/:invite/cancel", post(ep(p, users::cancel)))
        .with(csrf)
        .around(push_url)
        .map_to_response()
}

/// htmx follows a form's redirect inside its request, so the address bar would keep the form's
/// URL: each page fetched by htmx names its own (`HX-Push-Url`), and reload and back work.
async fn push_url<E: Endpoint>(next: Arc<E>, req: Request) -> poem::Result<Response> {
    let page = (req.method() == Method::GET && req.headers().contains_key("hx-request"))
        .then(|| req.uri().path_and_query().map(|p| p.as_str().to_owned()))
        .flatten();
    let mut response = poem::IntoResponse::into_response(next.call(req).await?);
    if let Some(page) = page.and_then(|p| poem::http::HeaderValue::from_str(&p).ok()) {
        response.headers_mut().insert("hx-push-url", page);
    }
    Ok(response)
}

/// The static files, each under its own URL: cacheable for a day (their names carry versions).
/// Each is poem's `EmbeddedFileEndpoint` at its own route: `EmbeddedFilesEndpoint` reads the
/// request's original URI, which poem's test client leaves at `/`, so tests could not fetch them.
pub(crate) fn static_files() -> impl Endpoint<Output = Response> {
    let mut files = Route::new();
    for name in Static::iter() {
        files = files.at(format!("/{name}"), poem::endpoint::EmbeddedFileEndpoint::<Static>::new(&name));
    }
    files.map_to_response()
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_static_files_are_embedded_and_htmx_is_the_release_vendored_md_names() {
        let htmx = super::Static::get("htmx-2.0.4.min.js").expect("htmx embedded");
        let digest: String = htmx.metadata.sha256_hash().iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(digest, "e209dda5c8235479f3166defc7750e1dbcd5a5c1808b7792fc2e6733768fb447", "see VENDORED.md");
        assert!(super::Static::get("portal.css").is_some());
        assert!(super::Static::get("portal.js").is_some());
    }
}
