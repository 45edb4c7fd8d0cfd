//! `/`: the account picker of the signed-in user (seeds 003, 004); `/accounts/{id}`: one
//! account's start page, with the sections the visitor's permissions open.

use std::sync::Arc;

use askama::Template;
use poem::http::StatusCode;
use poem::{Request, Response};
use portal_domain::account::{AccountSummary, View};
use portal_domain::ids::AccountId;
use serde::Deserialize;

use super::query::outcome;
use super::render::{Fault, page, problem, see_other};
use super::visitor::{Chrome, Visitor, visitor};
use super::{Backing, Hashing, Pages};

#[derive(Template)]
#[template(path = "home.html")]
struct HomePage {
    chrome: Chrome,
    unverified: bool,
}

/// The outcome a redirect after a form names.
#[derive(Deserialize, Default)]
#[serde(default)]
pub(super) struct Done {
    pub(super) done: Option<String>,
}

/// `GET /`: the picker; straight to the account when there is only one.
pub(super) async fn picker<S: Backing, H: Hashing>(pages: Arc<Pages<S, H>>, req: Request) -> Response {
    let me = or_answer!(visitor(&pages, &req).await);
    let q = req.params::<Done>().unwrap_or_default();
    if let [only] = me.accounts.as_slice()
        && !only.closed
        && q.done.is_none()
    {
        return see_other(&format!("/accounts/{}", only.id));
    }
    let chrome = me.chrome(None).announcing(outcome(q.done.as_deref()));
    page(&HomePage { chrome, unverified: !me.user.email_verified() })
}

/// A section of an account, open to a member with its view.
pub(crate) struct Section {
    pub(crate) path: &'static str,
    pub(crate) title: &'static str,
    pub(crate) text: &'static str,
}

/// The sections of an account, each behind the view it shows.
const SECTIONS: &[(View, Section)] = &[
    (
        View::Profile,
        Section {
            path: "profile",
            title: "Account profile",
            text: "The master profile and billing details: name, primary email, address, tax id.",
        },
    ),
    (
        View::Members,
        Section { path: "users", title: "Users", text: "Who may sign in to this account, and what they may do." },
    ),
    (
        View::Contacts,
        Section {
            path: "contacts",
            title: "Contacts",
            text: "People who never sign in but receive the notices chosen for them.",
        },
    ),
    (
        View::Notices,
        Section { path: "notices", title: "Notices", text: "What was sent to the account, who received it and why." },
    ),
    (
        View::Audit,
        Section { path: "review", title: "Access review", text: "Who has access, who approved it, what to look at." },
    ),
    (
        View::Audit,
        Section { path: "audit", title: "Audit trail", text: "Every change to the account: who, when, what." },
    ),
    (
        View::Summary,
        Section { path: "ownership", title: "Ownership", text: "Hand the account over, close it, or leave it." },
    ),
];

#[derive(Template)]
#[template(path = "account.html")]
struct AccountPage<'a> {
    chrome: Chrome,
    sections: Vec<&'a Section>,
    role: Option<String>,
    permissions: Vec<&'static str>,
}

/// The account of the path, if the visitor is a member: else a "not found" page, as the API
/// answers for an account the caller cannot see.
pub(super) fn account_of<'a>(me: &'a Visitor, req: &Request) -> Result<&'a AccountSummary, Response> {
    match super::query::path_id::<AccountId>(req, "id").and_then(|id| me.account(id)) {
        Some(summary) => Ok(summary),
        None => Err(not_found(me.chrome(None))),
    }
}

/// The page for something the visitor cannot see, or that is not there.
pub(super) fn not_found(chrome: Chrome) -> Response {
    let fault = Fault { status: StatusCode::NOT_FOUND, field: None, detail: "There is nothing here for you.".into() };
    problem(&chrome, &fault)
}

/// `GET /accounts/{id}`.
pub(super) async fn account<S: Backing, H: Hashing>(pages: Arc<Pages<S, H>>, req: Request) -> Response {
    let me = or_answer!(visitor(&pages, &req).await);
    let summary = or_answer!(account_of(&me, &req));
    let id = summary.id;
    let sections = SECTIONS.iter().filter(|(view, _)| summary.may_view(*view)).map(|(_, section)| section).collect();
    let q = req.params::<Done>().unwrap_or_default();
    page(&AccountPage {
        chrome: me.chrome(Some(id)).announcing(outcome(q.done.as_deref())),
        sections,
        role: summary.role.as_ref().map(ToString::to_string),
        permissions: summary.permissions.keys(),
    })
}
