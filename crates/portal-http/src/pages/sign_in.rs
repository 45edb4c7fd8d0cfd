//! Signing in (the password, then the second factor when it is on) and out, as forms.

use std::sync::Arc;

use askama::Template;
use poem::{Request, Response};
use portal_domain::service::SignIn;
use serde::Deserialize;

use super::guard::{Nothing, form};
use super::query::outcome;
use super::render::{Errors, Fault, page, page_with, see_other};
use super::visitor::{Chrome, forget, start, token};
use super::{Backing, Hashing, Pages};

#[derive(Template)]
#[template(path = "sign_in.html")]
struct SignInPage<'a> {
    chrome: Chrome,
    email: &'a str,
    next: &'a str,
    errors: Errors,
}

#[derive(Template)]
#[template(path = "second_factor.html")]
struct SecondFactorPage<'a> {
    chrome: Chrome,
    ticket: &'a str,
    next: &'a str,
    errors: Errors,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct SignInQuery {
    next: String,
    done: Option<String>,
}

#[derive(Deserialize)]
struct PasswordForm {
    email: String,
    password: String,
    #[serde(default)]
    next: String,
}

#[derive(Deserialize)]
struct CodeForm {
    ticket: String,
    code: String,
    #[serde(default)]
    next: String,
}

/// `GET /sign-in`.
pub(super) async fn show<S: Backing, H: Hashing>(_: Arc<Pages<S, H>>, req: Request) -> Response {
    let q = req.params::<SignInQuery>().unwrap_or_default();
    let chrome = Chrome::anonymous(&req).announcing(outcome(q.done.as_deref()));
    page(&SignInPage { chrome, email: "", next: &q.next, errors: Errors::none() })
}

/// `POST /sign-in`: the password; then the session, or the second-factor step.
pub(super) async fn submit<S: Backing, H: Hashing>(pages: Arc<Pages<S, H>>, req: Request) -> Response {
    let (req, f) = or_answer!(form::<PasswordForm>(req).await);
    let client = pages.client(&req);
    match pages.portal.sign_in(&client, &f.email, &f.password).await {
        Ok(SignIn::Session(_, session)) => start(&pages, &req, session, Some(&f.next)),
        Ok(SignIn::SecondFactor(ticket)) => page(&SecondFactorPage {
            chrome: Chrome::anonymous(&req),
            ticket: &ticket.token,
            next: &f.next,
            errors: Errors::none(),
        }),
        Err(e) => {
            let errors = Errors::new(Fault::of(e), &[]);
            let chrome = Chrome::anonymous(&req);
            page_with(errors.status(), &SignInPage { chrome, email: &f.email, next: &f.next, errors })
        }
    }
}

/// `POST /sign-in/code`: the second factor for the ticket of the password step.
pub(super) async fn code<S: Backing, H: Hashing>(pages: Arc<Pages<S, H>>, req: Request) -> Response {
    let (req, f) = or_answer!(form::<CodeForm>(req).await);
    let client = pages.client(&req);
    match pages.portal.sign_in_second_factor(&client, &f.ticket, &f.code).await {
        Ok((_, session)) => start(&pages, &req, session, Some(&f.next)),
        Err(e) => {
            let errors = Errors::new(Fault::of(e), &["code"]);
            let chrome = Chrome::anonymous(&req);
            page_with(errors.status(), &SecondFactorPage { chrome, ticket: &f.ticket, next: &f.next, errors })
        }
    }
}

/// `POST /sign-out`: ends the session and forgets the cookie.
pub(super) async fn sign_out<S: Backing, H: Hashing>(pages: Arc<Pages<S, H>>, req: Request) -> Response {
    let (req, Nothing {}) = or_answer!(form::<Nothing>(req).await);
    if let Some(token) = token(&pages, &req) {
        if let Err(e) = pages.portal.sign_out(&token).await {
            tracing::warn!(error = %e, "sign-out failed");
        }
        forget(&pages, &req);
    }
    see_other("/sign-in?done=signed-out")
}
