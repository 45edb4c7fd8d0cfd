//! The page an invite mail links to: who invites you to which account with which access, and
//! the ways to answer it: accept as the signed-in user, create a login with a name and a
//! password, or decline. Opening the link changes nothing; only the buttons do.

use std::sync::Arc;

use askama::Template;
use poem::http::StatusCode;
use poem::{Request, Response};
use portal_domain::account::InviteStatus;
use portal_domain::service::InvitePreview;
use portal_domain::values::PersonName;
use serde::Deserialize;

use super::grants::{Grant, listed};
use super::guard::form;
use super::render::{Errors, Fault, page_with, problem, see_other};
use super::visitor::{Chrome, Visitor, start, visitor};
use super::{Backing, Hashing, Pages};
use crate::extract::field;

#[derive(Template)]
#[template(path = "invite.html")]
struct InvitePage<'a> {
    chrome: Chrome,
    token: &'a str,
    account: String,
    inviter: Option<String>,
    email: String,
    role: Option<String>,
    grants: Vec<Grant>,
    expires: String,
    expired: bool,
    /// The signed-in visitor's name, when someone is signed in.
    signed_in_as: Option<String>,
    /// Whether the invited address has a login (then: sign in to accept).
    user_exists: bool,
    sign_in: String,
    typed_name: &'a str,
    errors: Errors,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct TokenQuery {
    token: String,
}

#[derive(Deserialize)]
struct AnswerForm {
    token: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    password: String,
}

const FIELDS: &[&str] = &["name", "password"];

/// The invite page for `preview`, with `errors` from a try to answer it.
fn invite_page(
    req: &Request,
    me: Option<&Visitor>,
    token: &str,
    preview: InvitePreview,
    name: &str,
    errors: Errors,
) -> Response {
    let here = format!("/invites/accept?{}", serde_html_form::to_string([("token", token)]).unwrap_or_default());
    let chrome = me.map_or_else(|| Chrome::anonymous(req), |me| me.chrome(None));
    let status = errors.status();
    let page = InvitePage {
        chrome,
        token,
        account: preview.account_name.to_string(),
        inviter: preview.inviter.map(|n| n.to_string()),
        email: preview.email.to_string(),
        role: preview.role.map(|r| r.to_string()),
        grants: listed(preview.permissions),
        expires: super::render::minute(preview.expires_at),
        expired: preview.status == InviteStatus::Expired,
        signed_in_as: me.map(|me| format!("{} ({})", me.user.name(), me.user.email())),
        user_exists: preview.user_exists,
        sign_in: format!("/sign-in?{}", super::query::next(&here)),
        typed_name: name,
        errors,
    };
    page_with(status, &page)
}

/// The page for a link that no longer leads anywhere (answered, cancelled, re-sent or unknown).
fn no_longer_valid(req: &Request, me: Option<&Visitor>) -> Response {
    let chrome = me.map_or_else(|| Chrome::anonymous(req), |me| me.chrome(None));
    let fault = Fault {
        status: StatusCode::NOT_FOUND,
        field: None,
        detail: "This invite link is no longer valid. It may have been answered, cancelled or sent again with a new link: ask the account's owner for a new invite.".into(),
    };
    problem(&chrome, &fault)
}

/// `GET /invites/accept?token=`.
pub(super) async fn show<S: Backing, H: Hashing>(pages: Arc<Pages<S, H>>, req: Request) -> Response {
    let q = req.params::<TokenQuery>().unwrap_or_default();
    let me = visitor(&pages, &req).await.ok();
    match pages.portal.preview_invite(&q.token).await {
        Ok(preview) => invite_page(&req, me.as_ref(), &q.token, preview, "", Errors::none()),
        Err(_) => no_longer_valid(&req, me.as_ref()),
    }
}

/// `POST /invites/accept`: as the signed-in user, or as a new login with a name and password.
pub(super) async fn accept<S: Backing, H: Hashing>(pages: Arc<Pages<S, H>>, req: Request) -> Response {
    let (req, f) = or_answer!(form::<AnswerForm>(req).await);
    let me = visitor(&pages, &req).await.ok();
    let outcome = match &me {
        Some(me) => match pages.portal.accept_invite(me.user.id(), &f.token).await {
            Ok(joined) => return see_other(&format!("/accounts/{}?done=joined", joined.id)),
            Err(e) => Fault::of(e),
        },
        None => {
            let joined = match field("name", PersonName::parse(&f.name)) {
                Ok(name) => {
                    pages.portal.accept_invite_as_new_user(&pages.client(&req), &f.token, name, &f.password).await
                }
                Err(e) => {
                    let fault = Fault::of(e);
                    return again(&pages, &req, None, &f, fault).await;
                }
            };
            match joined {
                Ok(joined) => {
                    let to = format!("/accounts/{}?done=joined", joined.account.id());
                    return start(&pages, &req, joined.session, Some(&to));
                }
                Err(e) => Fault::of(e),
            }
        }
    };
    again(&pages, &req, me.as_ref(), &f, outcome).await
}

/// The invite page again, with what went wrong.
async fn again<S: Backing, H: Hashing>(
    pages: &Pages<S, H>,
    req: &Request,
    me: Option<&Visitor>,
    f: &AnswerForm,
    fault: Fault,
) -> Response {
    match pages.portal.preview_invite(&f.token).await {
        Ok(preview) => invite_page(req, me, &f.token, preview, &f.name, Errors::new(fault, FIELDS)),
        Err(_) => no_longer_valid(req, me),
    }
}

/// `POST /invites/decline`: whoever holds the link may decline it.
pub(super) async fn decline<S: Backing, H: Hashing>(pages: Arc<Pages<S, H>>, req: Request) -> Response {
    let (req, f) = or_answer!(form::<AnswerForm>(req).await);
    match pages.portal.decline_invite(&f.token).await {
        Ok(()) => see_other("/sign-in?done=declined"),
        Err(e) => {
            let me = visitor(&pages, &req).await.ok();
            again(&pages, &req, me.as_ref(), &f, Fault::of(e)).await
        }
    }
}
