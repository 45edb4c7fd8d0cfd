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
use poem::{Endpoint, EndpointExt, Request, Response, Route, RouteMethod};
use portal_domain::ports::{PasswordHasher, SessionStore, Store};
use portal_domain::service::Portal;

/// The embedded static files: the stylesheet and the vendored htmx.
#[derive(rust_embed::RustEmbed)]
#[folder = "static/"]
struct Static;

/// One table of the pages, each path with its handler per method: it makes both [`PAGES`] and
/// the routes that mount them, so the two cannot drift.
macro_rules! pages {
    ($($path:literal => $($method:ident $handler:path),+;)*) => {
        /// Every page's path (poem's `:name` for a parameter) and its methods: the app mounts
        /// each, and the route table labels them.
        pub const PAGES: &[(&str, &[Method])] = &[$(($path, &[$(Method::$method),+])),*];

        /// Each page's handlers, by method.
        fn mount<S: Backing, H: Hashing>(p: &Arc<Pages<S, H>>) -> Route {
            Route::new()$(.at($path, RouteMethod::new()$(.method(Method::$method, ep(p, $handler)))+))*
        }
    };
}

pages! {
    "/" => GET home::picker;
    "/sign-in" => GET sign_in::show, POST sign_in::submit;
    "/sign-in/code" => POST sign_in::code;
    "/sign-out" => POST sign_in::sign_out;
    "/sign-up" => GET sign_up::show, POST sign_up::submit;
    "/verify-email" => GET sign_up::verify_show, POST sign_up::verify;
    "/forgot-password" => GET sign_up::forgot_show, POST sign_up::forgot;
    "/reset-password" => GET sign_up::reset_show, POST sign_up::reset;
    "/end-session" => GET sign_up::end_session_show, POST sign_up::end_session;
    "/invites/accept" => GET invite::show, POST invite::accept;
    "/invites/decline" => POST invite::decline;
    "/me" => GET me::profile_show, POST me::profile;
    "/me/email" => GET me::email_show, POST me::email;
    "/me/password" => GET me::password_show, POST me::password;
    "/me/preferences" => GET me::preferences_show, POST me::preferences;
    "/me/two-factor" => GET two_factor::show;
    "/me/two-factor/start" => POST two_factor::start;
    "/me/two-factor/confirm" => POST two_factor::confirm;
    "/me/two-factor/recovery-codes" => POST two_factor::renew;
    "/me/two-factor/off" => POST two_factor::off;
    "/me/sessions" => GET sessions::list;
    "/me/sessions/:session/end" => POST sessions::end;
    "/me/sessions/end-others" => POST sessions::end_others;
    "/accounts/:id" => GET home::account;
    "/accounts/:id/profile" => GET account::profile_show, POST account::profile;
    "/accounts/:id/ownership" => GET account::ownership_show;
    "/accounts/:id/transfer" => POST account::transfer;
    "/accounts/:id/leave" => POST account::leave;
    "/accounts/:id/close" => POST account::close;
    "/accounts/:id/contacts" => GET contacts::list;
    "/accounts/:id/contacts/new" => GET contacts::add_show, POST contacts::add;
    "/accounts/:id/contacts/:contact" => GET contacts::edit_show, POST contacts::edit;
    "/accounts/:id/contacts/:contact/delete" => POST contacts::delete;
    "/accounts/:id/notices" => GET governance::notices;
    "/accounts/:id/audit" => GET governance::audit;
    "/accounts/:id/review" => GET governance::review, POST governance::record;
    "/accounts/:id/users" => GET users::list;
    "/accounts/:id/users/new" => GET users::add_show, POST users::add;
    "/accounts/:id/users/:user" => GET users::manage_show, POST users::manage;
    "/accounts/:id/users/:user/remove" => POST users::remove;
    "/accounts/:id/invites/:invite/resend" => POST users::resend;
    "/accounts/:id/invites/:invite/cancel" => POST users::cancel;
}

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
    mount(p).with(csrf).around(push_url).map_to_response()
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
