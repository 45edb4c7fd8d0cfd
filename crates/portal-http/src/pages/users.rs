//! Settings > Users (seeds 002, 003): the members with their access, the pending invites with
//! Resend and Cancel, "Add user" (a role that fills the permission checkboxes, each permission
//! described, the sensitive ones flagged, the ones you may not grant locked with the reason),
//! and Manage (permissions, role label, end date) with Remove behind a confirmation.

use std::sync::Arc;

use askama::Template;
use chrono::{DateTime, NaiveDate, Utc};
use poem::{Request, Response};
use portal_domain::Actor;
use portal_domain::account::{AccountSummary, EditMember, InviteStatus};
use portal_domain::ids::{AccountId, InviteId, UserId};
use portal_domain::permission::PermissionSet;
use portal_domain::service::MemberView;
use portal_domain::values::RoleLabel;
use serde::Deserialize;

use super::grants::{Grant, Preset, checkboxes, presets, share};
use super::guard::{Nothing, filled, form};
use super::home::not_found;
use super::query::{outcome, path_id};
use super::render::{Errors, Fault, day, page, page_with, see_other};
use super::visitor::{Chrome, Visitor, refusal, visit};
use super::{Backing, Hashing, Pages};
use crate::error::ApiError;
use crate::extract::{field, page_request};
use crate::routes::invites::{OfferFields, offer};

/// A member as a row of the list.
struct Row {
    id: String,
    name: String,
    email: String,
    role: String,
    /// How many permissions, and which sensitive ones.
    summary: String,
    sensitive: Vec<&'static str>,
    joined: String,
    last_active: String,
    ends: String,
    is_you: bool,
    is_owner: bool,
}

/// A pending invite as a row of the list.
struct Pending {
    id: String,
    email: String,
    role: String,
    expires: String,
    expired: bool,
    sent: u32,
}

#[derive(Template)]
#[template(path = "users.html")]
struct UsersPage {
    chrome: Chrome,
    account: String,
    members: Vec<Row>,
    next: Option<String>,
    invites: Vec<Pending>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct ListQuery {
    cursor: Option<String>,
    limit: Option<i64>,
    done: Option<String>,
}

fn row(v: &MemberView, me: UserId) -> Row {
    let m = &v.membership;
    let permissions = m.permissions();
    Row {
        id: m.user().to_string(),
        name: v.name.to_string(),
        email: v.email.to_string(),
        role: m.role().map_or_else(String::new, ToString::to_string),
        summary: share(permissions),
        sensitive: permissions.sensitive().keys(),
        joined: day(m.joined_at()),
        last_active: m.last_active_at().map_or_else(|| "never".into(), day),
        ends: m.ends_at().map_or_else(String::new, day),
        is_you: m.user() == me,
        is_owner: v.is_owner,
    }
}

/// `GET /accounts/{id}/users`.
pub(super) async fn list<S: Backing, H: Hashing>(pages: Arc<Pages<S, H>>, req: Request) -> Response {
    let (me, id) = or_answer!(visit(&pages, &req).await);
    let q = req.params::<ListQuery>().unwrap_or_default();
    let actor = Actor::User(me.user.id());
    let request = match page_request::<UserId>(q.cursor.as_deref(), q.limit.map(crate::wire::PageLimit)) {
        Ok(r) => r,
        Err(e) => return refusal(&me, id, &Fault::of(e)),
    };
    let members = match pages.portal.members(&actor, id, request).await {
        Ok(page) => page,
        Err(e) => return refusal(&me, id, &Fault::of(e)),
    };
    let now = pages.portal.now();
    // Open invites are few (each is a person being asked): the first 200 are listed.
    let invites = match pages.portal.open_invites(&actor, id, 200).await {
        Ok(open) => open,
        Err(e) => return refusal(&me, id, &Fault::of(e)),
    };
    let invites = invites
        .iter()
        .map(|i| Pending {
            id: i.id().to_string(),
            email: i.email().to_string(),
            role: i.role().map_or_else(String::new, ToString::to_string),
            expires: day(i.expires_at()),
            expired: i.status(now) == InviteStatus::Expired,
            sent: i.sent_count(),
        })
        .collect();
    let account = me.account(id).map(|a| a.display_name.to_string()).unwrap_or_default();
    page(&UsersPage {
        chrome: me.chrome(Some(id)).announcing(outcome(q.done.as_deref())),
        account,
        members: members.items.iter().map(|v| row(v, me.user.id())).collect(),
        next: members.next.map(|u| u.to_string()),
        invites,
    })
}

#[derive(Template)]
#[template(path = "add_user.html")]
struct AddUserPage<'a> {
    chrome: Chrome,
    f: &'a InviteForm,
    presets: Vec<Preset>,
    grants: Vec<Grant>,
    errors: Errors,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct InviteForm {
    email: String,
    name: String,
    role: String,
    permissions: Vec<String>,
    access_ends_at: String,
}

const INVITE_FIELDS: &[&str] = &["email", "name", "role", "permissions", "access_ends_at"];

fn add_user_page(me: &Visitor, id: AccountId, summary: &AccountSummary, f: &InviteForm, errors: Errors) -> Response {
    let chosen = ticked(&f.permissions);
    let page = AddUserPage {
        chrome: me.chrome(Some(id)),
        f,
        presets: presets(Some(f.role.as_str()).filter(|r| !r.is_empty())),
        grants: checkboxes(chosen, summary),
        errors,
    };
    page_with(page.errors.status(), &page)
}

/// The permissions a form's boxes tick; unknown keys (a crafted form) tick nothing, and the
/// use case refuses them when the form is sent.
fn ticked(keys: &[String]) -> PermissionSet {
    PermissionSet::from_keys(keys.iter().map(String::as_str)).unwrap_or(PermissionSet::EMPTY)
}

/// The end of the day a date field names (access ends when that day does, in UTC).
fn end_of(name: &str, raw: &str) -> Result<Option<DateTime<Utc>>, ApiError> {
    let Some(raw) = filled(raw) else { return Ok(None) };
    let date = field(name, NaiveDate::parse_from_str(raw, "%Y-%m-%d"))?;
    Ok(date.and_hms_opt(23, 59, 59).map(|t| t.and_utc()))
}

/// `GET /accounts/{id}/users/new`.
pub(super) async fn add_show<S: Backing, H: Hashing>(pages: Arc<Pages<S, H>>, req: Request) -> Response {
    let (me, id) = or_answer!(visit(&pages, &req).await);
    let Some(summary) = me.account(id) else { return not_found(me.chrome(None)) };
    if let Err(missing) = summary.authorize_view(portal_domain::account::View::Invites) {
        return refusal(&me, id, &Fault::of(portal_domain::service::ServiceError::from(missing)));
    }
    add_user_page(&me, id, summary, &InviteForm::default(), Errors::none())
}

/// `POST /accounts/{id}/users/new`: sends the invite.
pub(super) async fn add<S: Backing, H: Hashing>(pages: Arc<Pages<S, H>>, req: Request) -> Response {
    let (req, f) = or_answer!(form::<InviteForm>(req).await);
    let (me, id) = or_answer!(visit(&pages, &req).await);
    let keys: Vec<&str> = f.permissions.iter().map(String::as_str).collect();
    let offered = end_of("access_ends_at", &f.access_ends_at).and_then(|ends| {
        offer(OfferFields {
            email: &f.email,
            name: filled(&f.name),
            role: Some(f.role.as_str()).filter(|r| !r.is_empty()),
            role_label: None,
            permissions: (!keys.is_empty()).then_some(keys.as_slice()),
            access_ends_at: ends,
        })
    });
    let sent = match offered {
        Ok(offer) => pages.portal.invite(&Actor::User(me.user.id()), id, offer).await.map_err(Fault::of),
        Err(e) => Err(Fault::of(e)),
    };
    match sent {
        Ok(_) => see_other(&format!("/accounts/{id}/users?done=invited")),
        Err(fault) if fault.is_not_found() => not_found(me.chrome(None)),
        Err(fault) => match me.account(id) {
            Some(summary) => add_user_page(&me, id, summary, &f, Errors::new(fault, INVITE_FIELDS)),
            None => not_found(me.chrome(None)),
        },
    }
}

#[derive(Template)]
#[template(path = "manage_user.html")]
struct ManagePage<'a> {
    chrome: Chrome,
    member: Row,
    f: &'a MemberForm,
    grants: Vec<Grant>,
    version: u64,
    errors: Errors,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct MemberForm {
    role: String,
    permissions: Vec<String>,
    ends_at: String,
    version: Option<u64>,
}

const MEMBER_FIELDS: &[&str] = &["role", "permissions", "ends_at"];

async fn manage_page<S: Backing, H: Hashing>(
    pages: &Pages<S, H>,
    me: &Visitor,
    id: AccountId,
    user: UserId,
    form: Option<&MemberForm>,
    errors: Errors,
) -> Response {
    let view = match pages.portal.member(&Actor::User(me.user.id()), id, user).await {
        Ok(view) => view,
        Err(e) => return refusal(me, id, &Fault::of(e)),
    };
    let Some(summary) = me.account(id) else { return not_found(me.chrome(None)) };
    let m = &view.membership;
    let current = MemberForm {
        role: m.role().map_or_else(String::new, ToString::to_string),
        permissions: m.permissions().keys().into_iter().map(str::to_owned).collect(),
        ends_at: m.ends_at().map_or_else(String::new, day),
        version: Some(m.version()),
    };
    let f = form.unwrap_or(&current);
    let chosen = ticked(&f.permissions);
    let page = ManagePage {
        chrome: me.chrome(Some(id)),
        member: row(&view, me.user.id()),
        f,
        grants: checkboxes(chosen, summary),
        version: m.version(),
        errors,
    };
    page_with(page.errors.status(), &page)
}

/// `GET /accounts/{id}/users/{user}`: Manage.
pub(super) async fn manage_show<S: Backing, H: Hashing>(pages: Arc<Pages<S, H>>, req: Request) -> Response {
    let (me, id) = or_answer!(visit(&pages, &req).await);
    let Some(user) = path_id::<UserId>(&req, "user") else { return not_found(me.chrome(None)) };
    manage_page(&pages, &me, id, user, None, Errors::none()).await
}

/// `POST /accounts/{id}/users/{user}`: saves the member's access.
pub(super) async fn manage<S: Backing, H: Hashing>(pages: Arc<Pages<S, H>>, req: Request) -> Response {
    let (req, f) = or_answer!(form::<MemberForm>(req).await);
    let (me, id) = or_answer!(visit(&pages, &req).await);
    let Some(user) = path_id::<UserId>(&req, "user") else { return not_found(me.chrome(None)) };
    let edit = (|| -> Result<EditMember, ApiError> {
        let permissions = field("permissions", PermissionSet::from_keys(f.permissions.iter().map(String::as_str)))?;
        let role = filled(&f.role).map(|r| field("role", RoleLabel::parse(r))).transpose()?;
        Ok(EditMember {
            user,
            permissions: Some(permissions),
            role: Some(role),
            ends_at: Some(end_of("ends_at", &f.ends_at)?),
        })
    })();
    let saved = match edit {
        Ok(edit) => pages.portal.edit_member(&Actor::User(me.user.id()), id, edit, f.version).await.map_err(Fault::of),
        Err(e) => Err(Fault::of(e)),
    };
    match saved {
        Ok(_) => see_other(&format!("/accounts/{id}/users?done=saved")),
        Err(fault) if fault.is_not_found() => not_found(me.chrome(None)),
        Err(fault) => manage_page(&pages, &me, id, user, Some(&f), Errors::new(fault, MEMBER_FIELDS)).await,
    }
}

/// `POST /accounts/{id}/users/{user}/remove`: the confirmation's button.
pub(super) async fn remove<S: Backing, H: Hashing>(pages: Arc<Pages<S, H>>, req: Request) -> Response {
    let (req, Nothing {}) = or_answer!(form::<Nothing>(req).await);
    let (me, id) = or_answer!(visit(&pages, &req).await);
    let Some(user) = path_id::<UserId>(&req, "user") else { return not_found(me.chrome(None)) };
    match pages.portal.remove_member(&Actor::User(me.user.id()), id, user).await {
        Ok(_) => see_other(&format!("/accounts/{id}/users?done=removed")),
        Err(e) => refusal(&me, id, &Fault::of(e)),
    }
}

/// `POST /accounts/{id}/invites/{invite}/resend`: a new link (the old one stops working).
pub(super) async fn resend<S: Backing, H: Hashing>(pages: Arc<Pages<S, H>>, req: Request) -> Response {
    answer_invite(pages, req, true).await
}

/// `POST /accounts/{id}/invites/{invite}/cancel`.
pub(super) async fn cancel<S: Backing, H: Hashing>(pages: Arc<Pages<S, H>>, req: Request) -> Response {
    answer_invite(pages, req, false).await
}

async fn answer_invite<S: Backing, H: Hashing>(pages: Arc<Pages<S, H>>, req: Request, resend: bool) -> Response {
    let (req, Nothing {}) = or_answer!(form::<Nothing>(req).await);
    let (me, id) = or_answer!(visit(&pages, &req).await);
    let Some(invite) = path_id::<InviteId>(&req, "invite") else { return not_found(me.chrome(None)) };
    let actor = Actor::User(me.user.id());
    let done = if resend {
        pages.portal.resend_invite(&actor, id, invite).await.map(|_| "resent")
    } else {
        pages.portal.cancel_invite(&actor, id, invite).await.map(|_| "cancelled")
    };
    match done {
        Ok(done) => see_other(&format!("/accounts/{id}/users?done={done}")),
        Err(e) => refusal(&me, id, &Fault::of(e)),
    }
}
