//! Your sessions (seed 001): where and when each began and was last used, this one marked, a
//! "sign out" for each and one for every other.

use std::sync::Arc;

use askama::Template;
use poem::{Request, Response};
use portal_domain::ids::SessionId;
use serde::Deserialize;

use super::guard::{Nothing, form};
use super::query::outcome;
use super::render::{Fault, minute, page, problem, see_other};
use super::visitor::{Chrome, visitor};
use super::{Backing, Hashing, Pages};

struct Row {
    id: String,
    started: String,
    last_used: String,
    address: String,
    agent: String,
    current: bool,
}

#[derive(Template)]
#[template(path = "sessions.html")]
struct SessionsPage {
    chrome: Chrome,
    sessions: Vec<Row>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Done {
    done: Option<String>,
}

/// `GET /me/sessions`.
pub(super) async fn list<S: Backing, H: Hashing>(pages: Arc<Pages<S, H>>, req: Request) -> Response {
    let me = or_answer!(visitor(&pages, &req).await);
    let sessions = match pages.portal.my_sessions(me.user.id(), me.session).await {
        Ok(sessions) => sessions,
        Err(e) => return problem(&me.chrome(None), &Fault::of(e)),
    };
    let sessions = sessions
        .into_iter()
        .map(|s| Row {
            id: s.info.id.to_string(),
            started: minute(s.info.created_at),
            last_used: minute(s.info.last_seen_at),
            address: s.info.client.address().to_string(),
            agent: s.info.client.user_agent().to_owned(),
            current: s.current,
        })
        .collect();
    let q = req.params::<Done>().unwrap_or_default();
    page(&SessionsPage { chrome: me.chrome(None).announcing(outcome(q.done.as_deref())), sessions })
}

/// `POST /me/sessions/{session}/end`.
pub(super) async fn end<S: Backing, H: Hashing>(pages: Arc<Pages<S, H>>, req: Request) -> Response {
    let (req, Nothing {}) = or_answer!(form::<Nothing>(req).await);
    let me = or_answer!(visitor(&pages, &req).await);
    let Some(id) = super::query::path_id::<SessionId>(&req, "session") else {
        return super::home::not_found(me.chrome(None));
    };
    match pages.portal.end_my_session(me.user.id(), id).await {
        Ok(()) => see_other("/me/sessions?done=ended"),
        Err(e) => problem(&me.chrome(None), &Fault::of(e)),
    }
}

/// `POST /me/sessions/end-others`.
pub(super) async fn end_others<S: Backing, H: Hashing>(pages: Arc<Pages<S, H>>, req: Request) -> Response {
    let (req, Nothing {}) = or_answer!(form::<Nothing>(req).await);
    let me = or_answer!(visitor(&pages, &req).await);
    match pages.portal.end_other_sessions(me.user.id(), me.session).await {
        Ok(()) => see_other("/me/sessions?done=ended-others"),
        Err(e) => problem(&me.chrome(None), &Fault::of(e)),
    }
}
