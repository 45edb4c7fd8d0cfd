//! The pages around a login that need no session: sign-up, the mailed links (confirm an
//! address, set a new password, end a session one did not start) and "forgot password".
//! Opening a link shows a button; only pressing it uses the link (mail scanners open links).

use std::sync::Arc;

use askama::Template;
use poem::{Request, Response};
use portal_domain::service::Verified;
use portal_domain::values::EmailAddress;
use serde::Deserialize;

use super::guard::form;
use super::render::{Errors, Fault, page, page_with, see_other};
use super::visitor::Chrome;
use super::{Backing, Hashing, Pages};
use crate::extract::field;

#[derive(Template)]
#[template(path = "sign_up.html")]
struct SignUpPage<'a> {
    chrome: Chrome,
    f: &'a SignUpForm,
    errors: Errors,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct SignUpForm {
    email: String,
    name: String,
    password: String,
    account_name: String,
    company: String,
}

const SIGN_UP_FIELDS: &[&str] = &["email", "name", "password", "account_name", "company"];

/// `GET /sign-up`.
pub(super) async fn show<S: Backing, H: Hashing>(_: Arc<Pages<S, H>>, req: Request) -> Response {
    page(&SignUpPage { chrome: Chrome::anonymous(&req), f: &SignUpForm::default(), errors: Errors::none() })
}

/// `POST /sign-up`: the same answer whether or not the address has a login (the mail differs).
pub(super) async fn submit<S: Backing, H: Hashing>(pages: Arc<Pages<S, H>>, req: Request) -> Response {
    let (req, mut f) = or_answer!(form::<SignUpForm>(req).await);
    let company = super::guard::filled(&f.company);
    let signed_up =
        match crate::routes::auth::signup_of(&f.email, &f.name, f.password.clone(), &f.account_name, company) {
            Ok(signup) => pages.portal.signup(&pages.client(&req), signup).await.map_err(Fault::of),
            Err(e) => Err(Fault::of(e)),
        };
    match signed_up {
        Ok(_) => see_other("/sign-in?done=signed-up"),
        Err(fault) => {
            f.password.clear();
            let errors = Errors::new(fault, SIGN_UP_FIELDS);
            page_with(errors.status(), &SignUpPage { chrome: Chrome::anonymous(&req), f: &f, errors })
        }
    }
}

/// A page that uses a mailed link's token when its button is pressed.
#[derive(Template)]
#[template(path = "link.html")]
struct LinkPage<'a> {
    chrome: Chrome,
    link: &'a Link,
    token: &'a str,
    errors: Errors,
}

/// What a kind of mailed link is for.
struct Link {
    title: &'static str,
    text: &'static str,
    action: &'static str,
    button: &'static str,
    /// Whether the form asks for a new password.
    password: bool,
}

const VERIFY: Link = Link {
    title: "Confirm your email address",
    text: "Press the button to confirm that this address is yours.",
    action: "/verify-email",
    button: "Confirm my address",
    password: false,
};

const RESET: Link = Link {
    title: "Set a new password",
    text: "Choose a new password. Every session of yours ends, and you sign in again with it.",
    action: "/reset-password",
    button: "Set the password",
    password: true,
};

const END_SESSION: Link = Link {
    title: "End that session",
    text: "If that sign-in was not you, end its session now, then change your password.",
    action: "/end-session",
    button: "End the session",
    password: false,
};

#[derive(Deserialize, Default)]
#[serde(default)]
struct TokenQuery {
    token: String,
}

#[derive(Deserialize)]
struct TokenForm {
    token: String,
    #[serde(default)]
    password: String,
}

fn link_page(req: &Request, link: &Link, token: &str, errors: Errors) -> Response {
    page_with(errors.status(), &LinkPage { chrome: Chrome::anonymous(req), link, token, errors })
}

fn show_link(req: &Request, link: &Link) -> Response {
    let q = req.params::<TokenQuery>().unwrap_or_default();
    link_page(req, link, &q.token, Errors::none())
}

/// `GET /verify-email?token=`: the button that confirms the address (or an email change).
pub(super) async fn verify_show<S: Backing, H: Hashing>(_: Arc<Pages<S, H>>, req: Request) -> Response {
    show_link(&req, &VERIFY)
}

/// `POST /verify-email`.
pub(super) async fn verify<S: Backing, H: Hashing>(pages: Arc<Pages<S, H>>, req: Request) -> Response {
    let (req, f) = or_answer!(form::<TokenForm>(req).await);
    match pages.portal.verify_email(&pages.client(&req), &f.token).await {
        Ok(Verified::Email) => see_other("/sign-in?done=verified"),
        Ok(Verified::EmailChange) => see_other("/sign-in?done=email-changed"),
        Err(e) => link_page(&req, &VERIFY, &f.token, Errors::new(Fault::of(e), &[])),
    }
}

/// `GET /reset-password?token=`: the new-password form.
pub(super) async fn reset_show<S: Backing, H: Hashing>(_: Arc<Pages<S, H>>, req: Request) -> Response {
    show_link(&req, &RESET)
}

/// `POST /reset-password`: sets the password; nobody is signed in (the second factor, when on,
/// is still asked at the next sign-in).
pub(super) async fn reset<S: Backing, H: Hashing>(pages: Arc<Pages<S, H>>, req: Request) -> Response {
    let (req, f) = or_answer!(form::<TokenForm>(req).await);
    match pages.portal.reset_password(&pages.client(&req), &f.token, &f.password).await {
        Ok(()) => see_other("/sign-in?done=password-reset"),
        Err(e) => link_page(&req, &RESET, &f.token, Errors::new(Fault::of(e), &["password"])),
    }
}

/// `GET /end-session?token=`: the button that ends the session a new-sign-in notice names.
pub(super) async fn end_session_show<S: Backing, H: Hashing>(_: Arc<Pages<S, H>>, req: Request) -> Response {
    show_link(&req, &END_SESSION)
}

/// `POST /end-session`.
pub(super) async fn end_session<S: Backing, H: Hashing>(pages: Arc<Pages<S, H>>, req: Request) -> Response {
    let (req, f) = or_answer!(form::<TokenForm>(req).await);
    match pages.portal.end_session_by_link(&f.token).await {
        Ok(()) => see_other("/forgot-password?done=session-ended"),
        Err(e) => link_page(&req, &END_SESSION, &f.token, Errors::new(Fault::of(e), &[])),
    }
}

#[derive(Template)]
#[template(path = "forgot_password.html")]
struct ForgotPage<'a> {
    chrome: Chrome,
    email: &'a str,
    errors: Errors,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct ForgotForm {
    email: String,
    done: Option<String>,
}

/// `GET /forgot-password`.
pub(super) async fn forgot_show<S: Backing, H: Hashing>(_: Arc<Pages<S, H>>, req: Request) -> Response {
    let q = req.params::<ForgotForm>().unwrap_or_default();
    let chrome = Chrome::anonymous(&req).announcing(super::query::outcome(q.done.as_deref()));
    page(&ForgotPage { chrome, email: "", errors: Errors::none() })
}

/// `POST /forgot-password`: the same answer for any address, before anything is looked up.
pub(super) async fn forgot<S: Backing, H: Hashing>(pages: Arc<Pages<S, H>>, req: Request) -> Response {
    let (req, f) = or_answer!(form::<ForgotForm>(req).await);
    match field("email", EmailAddress::parse(&f.email)) {
        Ok(email) => {
            pages.reset_jobs.request(&pages.portal, pages.client(&req), email);
            see_other("/sign-in?done=reset-sent")
        }
        Err(e) => {
            let errors = Errors::new(Fault::of(e), &["email"]);
            page_with(errors.status(), &ForgotPage { chrome: Chrome::anonymous(&req), email: &f.email, errors })
        }
    }
}
