//! Contacts (seeds 003, 004): people who never sign in but receive the notice categories
//! chosen for them (invoices to a finance inbox, product news, ...): list, add, edit, delete.

use std::sync::Arc;

use askama::Template;
use poem::{Request, Response};
use portal_domain::Actor;
use portal_domain::account::{Contact, ContactPatch};
use portal_domain::ids::{AccountId, ContactId};
use portal_domain::notification::CategorySet;
use portal_domain::service::ContactRequest;
use serde::Deserialize;

use super::grants::{Choice, choices};
use super::guard::{Nothing, filled, form};
use super::query::outcome;
use super::render::{Errors, Fault, page, page_with, see_other};
use super::visitor::{Visitor, refusal, visit};
use super::{Backing, Hashing, Pages};
use crate::extract::page_request;
use crate::routes::contacts::contact_of;

struct Row {
    id: String,
    name: String,
    email: String,
    phone: String,
    company: String,
    categories: Vec<&'static str>,
}

fn row(c: &Contact) -> Row {
    Row {
        id: c.id().to_string(),
        name: c.name().to_string(),
        email: c.email().to_string(),
        phone: c.phone().map_or_else(String::new, ToString::to_string),
        company: c.company().map_or_else(String::new, ToString::to_string),
        categories: c.categories().keys(),
    }
}

#[derive(Template)]
#[template(path = "contacts.html")]
struct ContactsPage {
    chrome: super::visitor::Chrome,
    contacts: Vec<Row>,
    next: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct ListQuery {
    cursor: Option<String>,
    done: Option<String>,
}

/// `GET /accounts/{id}/contacts`.
pub(super) async fn list<S: Backing, H: Hashing>(pages: Arc<Pages<S, H>>, req: Request) -> Response {
    let (me, id) = or_answer!(visit(&pages, &req).await);
    let q = req.params::<ListQuery>().unwrap_or_default();
    let request = match page_request::<ContactId>(q.cursor.as_deref(), None) {
        Ok(r) => r,
        Err(e) => return refusal(&me, id, &Fault::of(e)),
    };
    match pages.portal.contacts(&Actor::User(me.user.id()), id, request).await {
        Ok(found) => page(&ContactsPage {
            chrome: me.chrome(Some(id)).announcing(outcome(q.done.as_deref())),
            contacts: found.items.iter().map(row).collect(),
            next: found.next.map(|c| c.to_string()),
        }),
        Err(e) => refusal(&me, id, &Fault::of(e)),
    }
}

#[derive(Template)]
#[template(path = "contact.html")]
struct ContactPage<'a> {
    chrome: super::visitor::Chrome,
    /// The contact's id when editing one.
    editing: Option<String>,
    f: &'a ContactForm,
    choices: Vec<Choice>,
    errors: Errors,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct ContactForm {
    name: String,
    email: String,
    phone: String,
    company: String,
    categories: Vec<String>,
    version: Option<u64>,
}

const FIELDS: &[&str] = &["name", "email", "phone", "company", "categories"];

impl ContactForm {
    fn of(c: &Contact) -> Self {
        let r = row(c);
        Self {
            name: r.name,
            email: r.email,
            phone: r.phone,
            company: r.company,
            categories: r.categories.into_iter().map(str::to_owned).collect(),
            version: Some(c.version()),
        }
    }

    fn request(&self) -> Result<ContactRequest, Fault> {
        let categories: Vec<&str> = self.categories.iter().map(String::as_str).collect();
        contact_of(&self.name, &self.email, filled(&self.phone), filled(&self.company), &categories).map_err(Fault::of)
    }
}

fn contact_page(me: &Visitor, id: AccountId, editing: Option<String>, f: &ContactForm, errors: Errors) -> Response {
    let chosen = CategorySet::from_keys(f.categories.iter().map(String::as_str)).unwrap_or_default();
    // Every category, as the API offers: a contact may take security notices too (an IT inbox).
    let choices = choices(|c| chosen.contains(c), |_| false);
    let page = ContactPage { chrome: me.chrome(Some(id)), editing, f, choices, errors };
    page_with(page.errors.status(), &page)
}

/// The contact of the path.
fn contact_id(req: &Request) -> Option<ContactId> {
    super::query::path_id(req, "contact")
}

/// `GET /accounts/{id}/contacts/new`.
pub(super) async fn add_show<S: Backing, H: Hashing>(pages: Arc<Pages<S, H>>, req: Request) -> Response {
    let (me, id) = or_answer!(visit(&pages, &req).await);
    // The same check as the list: a member without contacts.manage is told so here, not at the post.
    if let Err(e) = pages
        .portal
        .contacts(&Actor::User(me.user.id()), id, portal_domain::ports::PageRequest { after: None, limit: 1 })
        .await
    {
        return refusal(&me, id, &Fault::of(e));
    }
    contact_page(&me, id, None, &ContactForm::default(), Errors::none())
}

/// `POST /accounts/{id}/contacts/new`.
pub(super) async fn add<S: Backing, H: Hashing>(pages: Arc<Pages<S, H>>, req: Request) -> Response {
    let (req, f) = or_answer!(form::<ContactForm>(req).await);
    let (me, id) = or_answer!(visit(&pages, &req).await);
    let added = match f.request() {
        Ok(request) => pages.portal.add_contact(&Actor::User(me.user.id()), id, request).await.map_err(Fault::of),
        Err(fault) => Err(fault),
    };
    match added {
        Ok(_) => see_other(&format!("/accounts/{id}/contacts?done=contact-added")),
        Err(fault) if fault.is_refusal() => refusal(&me, id, &fault),
        Err(fault) => contact_page(&me, id, None, &f, Errors::new(fault, FIELDS)),
    }
}

/// `GET /accounts/{id}/contacts/{contact}`.
pub(super) async fn edit_show<S: Backing, H: Hashing>(pages: Arc<Pages<S, H>>, req: Request) -> Response {
    let (me, id) = or_answer!(visit(&pages, &req).await);
    let Some(contact) = contact_id(&req) else { return super::home::not_found(me.chrome(None)) };
    match pages.portal.contact(&Actor::User(me.user.id()), id, contact).await {
        Ok(c) => contact_page(&me, id, Some(contact.to_string()), &ContactForm::of(&c), Errors::none()),
        Err(e) => refusal(&me, id, &Fault::of(e)),
    }
}

/// `POST /accounts/{id}/contacts/{contact}`: every field as the form shows it.
pub(super) async fn edit<S: Backing, H: Hashing>(pages: Arc<Pages<S, H>>, req: Request) -> Response {
    let (req, f) = or_answer!(form::<ContactForm>(req).await);
    let (me, id) = or_answer!(visit(&pages, &req).await);
    let Some(contact) = contact_id(&req) else { return super::home::not_found(me.chrome(None)) };
    let saved = match f.request() {
        Ok(r) => {
            let patch = ContactPatch {
                name: Some(r.name),
                email: Some(r.email),
                phone: Some(r.phone),
                company: Some(r.company),
                categories: Some(r.categories),
            };
            pages
                .portal
                .edit_contact(&Actor::User(me.user.id()), id, contact, patch, f.version)
                .await
                .map_err(Fault::of)
        }
        Err(fault) => Err(fault),
    };
    match saved {
        Ok(_) => see_other(&format!("/accounts/{id}/contacts?done=saved")),
        Err(fault) if fault.is_refusal() => refusal(&me, id, &fault),
        Err(fault) => contact_page(&me, id, Some(contact.to_string()), &f, Errors::new(fault, FIELDS)),
    }
}

/// `POST /accounts/{id}/contacts/{contact}/delete`: the confirmation's button.
pub(super) async fn delete<S: Backing, H: Hashing>(pages: Arc<Pages<S, H>>, req: Request) -> Response {
    let (req, Nothing {}) = or_answer!(form::<Nothing>(req).await);
    let (me, id) = or_answer!(visit(&pages, &req).await);
    let Some(contact) = contact_id(&req) else { return super::home::not_found(me.chrome(None)) };
    match pages.portal.remove_contact(&Actor::User(me.user.id()), id, contact).await {
        Ok(_) => see_other(&format!("/accounts/{id}/contacts?done=contact-deleted")),
        Err(e) => refusal(&me, id, &Fault::of(e)),
    }
}
