//! Two-factor authentication from the profile (seed 001: "apps like Google Authenticator or
//! Authy"): turn it on with the QR code and a first code, the recovery codes shown once, new
//! recovery codes, and off with the password and a code.

use std::sync::Arc;

use askama::Template;
use poem::{Request, Response};
use portal_domain::service::Proof;
use serde::Deserialize;

use super::guard::{Nothing, form};
use super::render::{Errors, Fault, page_with, see_other};
use super::visitor::{Chrome, Visitor, visitor};
use super::{Backing, Hashing, Pages};

/// What the page shows, by the step the person is at.
enum Step {
    /// Off, or on: the buttons for what can be done.
    Overview,
    /// Enrolling: the QR code (inline SVG, made here), the secret, the first-code form.
    Scan { qr: String, secret: String, uri: String },
    /// The recovery codes, shown this once.
    Codes(Vec<String>),
}

#[derive(Template)]
#[template(path = "two_factor.html")]
struct TwoFactorPage {
    chrome: Chrome,
    on: bool,
    step: Step,
    errors: Errors,
}

const FIELDS: &[&str] = &["code", "password", "current_password"];

fn two_factor_page(me: &Visitor, on: bool, step: Step, errors: Errors) -> Response {
    let page = TwoFactorPage { chrome: me.chrome(None), on, step, errors };
    page_with(page.errors.status(), &page)
}

/// The QR code's SVG as an element of the page: without its XML prologue, named for readers
/// of the page who cannot scan it.
fn inline_svg(svg: &str) -> String {
    let start = svg.find("<svg").unwrap_or(0);
    svg[start..].replacen("<svg", "<svg role=\"img\" aria-label=\"QR code for your authenticator app\"", 1)
}

/// `GET /me/two-factor`.
pub(super) async fn show<S: Backing, H: Hashing>(pages: Arc<Pages<S, H>>, req: Request) -> Response {
    let me = or_answer!(visitor(&pages, &req).await);
    two_factor_page(&me, me.user.mfa().is_on(), Step::Overview, Errors::none())
}

/// `POST /me/two-factor/start`: a new secret, pending until its first code.
pub(super) async fn start<S: Backing, H: Hashing>(pages: Arc<Pages<S, H>>, req: Request) -> Response {
    let (req, Nothing {}) = or_answer!(form::<Nothing>(req).await);
    let me = or_answer!(visitor(&pages, &req).await);
    match pages.portal.start_totp(&pages.client(&req), me.user.id()).await {
        Ok(enrolment) => {
            let step = Step::Scan { qr: inline_svg(&enrolment.qr_svg), secret: enrolment.secret, uri: enrolment.uri };
            two_factor_page(&me, false, step, Errors::none())
        }
        Err(e) => two_factor_page(&me, me.user.mfa().is_on(), Step::Overview, Errors::new(Fault::of(e), FIELDS)),
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct CodeForm {
    code: String,
    password: String,
}

/// `POST /me/two-factor/confirm`: the first code turns it on; the recovery codes, once.
pub(super) async fn confirm<S: Backing, H: Hashing>(pages: Arc<Pages<S, H>>, req: Request) -> Response {
    let (req, f) = or_answer!(form::<CodeForm>(req).await);
    let me = or_answer!(visitor(&pages, &req).await);
    match pages.portal.confirm_totp(&pages.client(&req), me.session, me.user.id(), f.code.trim()).await {
        Ok(codes) => two_factor_page(&me, true, Step::Codes(codes), Errors::none()),
        // The secret is not shown again: a wrong first code starts over with a new one.
        Err(e) => two_factor_page(&me, false, Step::Overview, Errors::new(Fault::of(e), &[])),
    }
}

/// `POST /me/two-factor/recovery-codes`: a new set (the password and a code), the old one dies.
pub(super) async fn renew<S: Backing, H: Hashing>(pages: Arc<Pages<S, H>>, req: Request) -> Response {
    let (req, f) = or_answer!(form::<CodeForm>(req).await);
    let me = or_answer!(visitor(&pages, &req).await);
    let proof = Proof { password: Some(f.password.as_str()), code: Some(f.code.trim()) };
    match pages.portal.renew_recovery_codes(&pages.client(&req), me.session, me.user.id(), proof).await {
        Ok(codes) => two_factor_page(&me, true, Step::Codes(codes), Errors::none()),
        Err(e) => two_factor_page(&me, true, Step::Overview, Errors::new(Fault::of(e), FIELDS)),
    }
}

/// `POST /me/two-factor/off`: the password and a current code or a recovery code.
pub(super) async fn off<S: Backing, H: Hashing>(pages: Arc<Pages<S, H>>, req: Request) -> Response {
    let (req, f) = or_answer!(form::<CodeForm>(req).await);
    let me = or_answer!(visitor(&pages, &req).await);
    let client = pages.client(&req);
    match pages.portal.disable_totp(&client, me.session, me.user.id(), &f.password, f.code.trim()).await {
        Ok(()) => see_other("/me?done=mfa-off"),
        Err(e) => two_factor_page(&me, true, Step::Overview, Errors::new(Fault::of(e), FIELDS)),
    }
}
