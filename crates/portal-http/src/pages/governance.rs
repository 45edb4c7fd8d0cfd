//! "Who has access, who approved it, who received that notice, and why" (seed 000): the notices
//! sent with each recipient and the reason, the recipient preview of a category, the audit
//! trail, and the access review with its flags and "record review".

use std::collections::HashMap;
use std::sync::Arc;

use askama::Template;
use poem::{Request, Response};
use portal_domain::Actor;
use portal_domain::account::Target;
use portal_domain::account::routing::{Reason, Recipient, RecipientKind};
use portal_domain::ids::{AccountId, NoticeId, UserId};
use portal_domain::notification::NotificationCategory;
use portal_domain::ports::PageRequest;
use serde::Deserialize;

use super::guard::{form, incomplete};
use super::query::outcome;
use super::render::{Fault, day, minute, page, see_other};
use super::visitor::{Chrome, Visitor, refusal, visit};
use super::{Backing, Hashing, Pages};
use crate::extract::page_request;

/// Why someone receives a notice, said of them.
fn why(reason: Reason) -> String {
    match reason {
        Reason::SecurityNotice => "security notices reach every member".into(),
        Reason::HoldsPermission(p) => format!("holds the {p} permission"),
        Reason::AllMembers => "a member who has not turned this category off".into(),
        Reason::SubscribedContact => "a contact subscribed to this category".into(),
        Reason::OwnerFallback => "the owner: nobody else would receive it".into(),
        Reason::PrimaryEmailFallback => "the account's primary email: nobody else would receive it".into(),
    }
}

struct Line {
    email: String,
    kind: &'static str,
    why: String,
}

fn line(r: &Recipient) -> Line {
    let kind = match r.kind {
        RecipientKind::Member(_) => "member",
        RecipientKind::Contact(_) => "contact",
        RecipientKind::PrimaryEmail => "primary email",
    };
    Line { email: r.email.to_string(), kind, why: why(r.reason) }
}

struct Sent {
    subject: String,
    category: &'static str,
    at: String,
    recipients: Vec<Line>,
}

struct CategoryChoice {
    key: &'static str,
    selected: bool,
}

#[derive(Template)]
#[template(path = "notices.html")]
struct NoticesPage {
    chrome: Chrome,
    categories: Vec<CategoryChoice>,
    /// The category previewed and who would receive it now.
    preview: Option<(&'static str, Vec<Line>)>,
    notices: Vec<Sent>,
    next: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct NoticesQuery {
    category: Option<String>,
    cursor: Option<String>,
}

/// `GET /accounts/{id}/notices[?category=]`.
pub(super) async fn notices<S: Backing, H: Hashing>(pages: Arc<Pages<S, H>>, req: Request) -> Response {
    let (me, id) = or_answer!(visit(&pages, &req).await);
    let q = req.params::<NoticesQuery>().unwrap_or_default();
    let actor = Actor::User(me.user.id());
    let request = match page_request::<NoticeId>(q.cursor.as_deref(), None) {
        Ok(r) => r,
        Err(e) => return refusal(&me, id, &Fault::of(e)),
    };
    let sent = match pages.portal.notices(&actor, id, request).await {
        Ok(sent) => sent,
        Err(e) => return refusal(&me, id, &Fault::of(e)),
    };
    let category = q.category.as_deref().and_then(|k| NotificationCategory::from_key(k).ok());
    let preview = match category {
        Some(c) => match pages.portal.notice_recipients(&actor, id, c).await {
            Ok(recipients) => Some((c.key(), recipients.iter().map(line).collect())),
            Err(e) => return refusal(&me, id, &Fault::of(e)),
        },
        None => None,
    };
    page(&NoticesPage {
        chrome: me.chrome(Some(id)),
        categories: NotificationCategory::ALL
            .iter()
            .map(|c| CategoryChoice { key: c.key(), selected: Some(*c) == category })
            .collect(),
        preview,
        notices: sent
            .items
            .iter()
            .map(|n| Sent {
                subject: n.subject.to_string(),
                category: n.category.key(),
                at: minute(n.at),
                recipients: n.recipients.iter().map(line).collect(),
            })
            .collect(),
        next: sent.next.map(|n| n.to_string()),
    })
}

/// Names of the account's members the visitor may list (empty if they may not).
async fn names<S: Backing, H: Hashing>(pages: &Pages<S, H>, me: &Visitor, id: AccountId) -> HashMap<UserId, String> {
    let request = PageRequest { after: None, limit: 200 };
    match pages.portal.members(&Actor::User(me.user.id()), id, request).await {
        Ok(members) => {
            members.items.iter().map(|m| (m.membership.user(), format!("{} ({})", m.name, m.email))).collect()
        }
        Err(_) => HashMap::new(),
    }
}

/// A user as the visitor reads them: "you", their name, or (not a member now) their id.
fn person(u: UserId, me: &Visitor, names: &HashMap<UserId, String>) -> String {
    if u == me.user.id() { "you".into() } else { names.get(&u).cloned().unwrap_or_else(|| format!("user {u}")) }
}

fn who(actor: Actor, me: &Visitor, names: &HashMap<UserId, String>) -> String {
    match actor {
        Actor::User(u) => person(u, me, names),
        Actor::Operator => "the provider".into(),
        Actor::InviteHolder => "the holder of an invite link".into(),
    }
}

struct Entry {
    at: String,
    who: String,
    kind: &'static str,
    target: String,
    withheld: bool,
}

#[derive(Template)]
#[template(path = "audit.html")]
struct AuditPage {
    chrome: Chrome,
    entries: Vec<Entry>,
    next: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Cursor {
    cursor: Option<String>,
}

/// `GET /accounts/{id}/audit`: newest first.
pub(super) async fn audit<S: Backing, H: Hashing>(pages: Arc<Pages<S, H>>, req: Request) -> Response {
    let (me, id) = or_answer!(visit(&pages, &req).await);
    let q = req.params::<Cursor>().unwrap_or_default();
    let request = match page_request::<u64>(q.cursor.as_deref(), None) {
        Ok(r) => r,
        Err(e) => return refusal(&me, id, &Fault::of(e)),
    };
    let events = match pages.portal.audit_events(&Actor::User(me.user.id()), id, request).await {
        Ok(events) => events,
        Err(e) => return refusal(&me, id, &Fault::of(e)),
    };
    let names = names(&pages, &me, id).await;
    let entries = events
        .items
        .iter()
        .map(|e| Entry {
            at: minute(e.at()),
            who: who(e.actor(), &me, &names),
            kind: e.kind(),
            target: match e.target() {
                Target::Account => "the account".into(),
                Target::Member(u) => names.get(&u).cloned().unwrap_or_else(|| format!("member {u}")),
                Target::Invite(i) => format!("invite {i}"),
                Target::Contact(c) => format!("contact {c}"),
                Target::Notice(n) => format!("notice {n}"),
            },
            withheld: !e.withheld().is_empty(),
        })
        .collect();
    page(&AuditPage { chrome: me.chrome(Some(id)), entries, next: events.next.map(|n| n.to_string()) })
}

struct Reviewed {
    id: String,
    name: String,
    role: String,
    permissions: String,
    sensitive: Vec<&'static str>,
    granted_by: String,
    last_active: String,
    ends: String,
    flags: Vec<&'static str>,
    is_owner: bool,
}

#[derive(Template)]
#[template(path = "review.html")]
struct ReviewPage {
    chrome: Chrome,
    members: Vec<Reviewed>,
    invites: Vec<(String, String, &'static str)>,
    contacts: Vec<(String, String, Vec<&'static str>)>,
    last: Option<String>,
}

/// `GET /accounts/{id}/review`.
pub(super) async fn review<S: Backing, H: Hashing>(pages: Arc<Pages<S, H>>, req: Request) -> Response {
    let (me, id) = or_answer!(visit(&pages, &req).await);
    let review = match pages.portal.access_review(&Actor::User(me.user.id()), id).await {
        Ok(review) => review,
        Err(e) => return refusal(&me, id, &Fault::of(e)),
    };
    let names = names(&pages, &me, id).await;
    let name = |u: UserId| person(u, &me, &names);
    let members = review
        .members
        .iter()
        .map(|m| {
            let f = m.flags;
            let flags = [(f.stale, "stale"), (f.expiring, "expiring"), (f.ended, "ended"), (f.sensitive, "sensitive")]
                .into_iter()
                .filter_map(|(on, label)| on.then_some(label))
                .collect();
            Reviewed {
                id: m.user.to_string(),
                name: name(m.user),
                role: m.role.as_ref().map_or_else(String::new, ToString::to_string),
                permissions: super::grants::share(m.permissions),
                sensitive: m.sensitive_permissions.keys(),
                granted_by: m.granted_by.or(m.invited_by).map_or_else(|| "—".into(), name),
                last_active: m.last_active_at.map_or_else(|| "never".into(), day),
                ends: m.ends_at.map_or_else(String::new, day),
                flags,
                is_owner: m.is_owner,
            }
        })
        .collect();
    let q = req.params::<super::home::Done>().unwrap_or_default();
    page(&ReviewPage {
        chrome: me.chrome(Some(id)).announcing(outcome(q.done.as_deref())),
        members,
        invites: review
            .pending_invites
            .iter()
            .map(|i| (i.email.to_string(), day(i.expires_at), i.status.key()))
            .collect(),
        contacts: review
            .contacts
            .iter()
            .map(|c| (c.name.to_string(), c.email.to_string(), c.categories.keys()))
            .collect(),
        last: review.last_review.map(|r| format!("{} by {}", minute(r.at), name(r.by))),
    })
}

/// `POST /accounts/{id}/review`: records the review (a `d-{user}` field per member, `keep` or
/// `remove`), removing the members it names.
pub(super) async fn record<S: Backing, H: Hashing>(pages: Arc<Pages<S, H>>, req: Request) -> Response {
    let (req, fields) = or_answer!(form::<Vec<(String, String)>>(req).await);
    let (me, id) = or_answer!(visit(&pages, &req).await);
    let (mut confirmed, mut removed) = (Vec::new(), Vec::new());
    for (name, decision) in &fields {
        // Fields of no member (the CSRF token) are not decisions; a decision that does not read
        // records nothing, so no member is kept who was meant to go.
        let Some(user) = name.strip_prefix("d-") else { continue };
        match (user.parse::<uuid::Uuid>().map(UserId::from_uuid), decision.as_str()) {
            (Ok(user), "keep") => confirmed.push(user),
            (Ok(user), "remove") => removed.push(user),
            _ => return incomplete(),
        }
    }
    match pages.portal.record_access_review(&Actor::User(me.user.id()), id, confirmed, removed).await {
        Ok(_) => see_other(&format!("/accounts/{id}/review?done=reviewed")),
        Err(e) => refusal(&me, id, &Fault::of(e)),
    }
}
