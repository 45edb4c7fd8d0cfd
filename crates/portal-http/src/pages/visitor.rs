//! Who is at the browser: the signed-in user behind the session cookie, their accounts for the
//! header's "switch account" menu, and the frame every page is drawn in.

use std::sync::Arc;

use poem::web::cookie::{Cookie, SameSite};
use poem::{Request, Response};
use portal_domain::account::AccountSummary;
use portal_domain::ids::AccountId;
use portal_domain::ports::PageRequest;
use portal_domain::service::NewSession;
use portal_domain::user::User;
use uuid::Uuid;

use super::guard::csrf;
use super::render::see_other;
use super::{Backing, Hashing, Pages};

/// A signed-in visitor.
pub(crate) struct Visitor {
    pub(crate) session: portal_domain::ids::SessionId,
    pub(crate) user: User,
    pub(crate) accounts: Vec<AccountSummary>,
    pub(crate) csrf: String,
    /// Whether to answer with the main region alone (see [`partial`]).
    pub(crate) partial: bool,
}

/// An account of the "switch account" menu.
pub(crate) struct Entry {
    pub(crate) id: Uuid,
    pub(crate) name: String,
    pub(crate) is_owner: bool,
    pub(crate) closed: bool,
    pub(crate) current: bool,
}

/// What the frame of every page shows: who is signed in, the current account, the way to the
/// others, and what just happened (announced in the `aria-live` region).
#[derive(Default)]
pub(crate) struct Chrome {
    pub(crate) csrf: String,
    pub(crate) user: Option<String>,
    pub(crate) current: Option<Entry>,
    pub(crate) accounts: Vec<Entry>,
    pub(crate) announce: Option<&'static str>,
    /// The main region and the header alone, for htmx to swap in place (see [`partial`]).
    pub(crate) partial: bool,
}

impl Chrome {
    /// The frame for someone not signed in.
    pub(crate) fn anonymous(req: &Request) -> Self {
        Self { csrf: csrf(req), partial: partial(req), ..Self::default() }
    }

    /// The same frame, saying `what` happened.
    pub(crate) fn announcing(mut self, what: Option<&'static str>) -> Self {
        self.announce = what;
        self
    }
}

impl Visitor {
    /// The frame, with `current` the account the page is about.
    pub(crate) fn chrome(&self, current: Option<AccountId>) -> Chrome {
        let entry = |a: &AccountSummary| Entry {
            id: a.id.as_uuid(),
            name: a.display_name.to_string(),
            is_owner: a.is_owner,
            closed: a.closed,
            current: Some(a.id) == current,
        };
        Chrome {
            csrf: self.csrf.clone(),
            user: Some(self.user.name().to_string()),
            current: current.and_then(|id| self.accounts.iter().find(|a| a.id == id)).map(entry),
            accounts: self.accounts.iter().map(entry).collect(),
            announce: None,
            partial: self.partial,
        }
    }

    /// The visitor's membership of `account`, if they have one.
    pub(crate) fn account(&self, account: AccountId) -> Option<&AccountSummary> {
        self.accounts.iter().find(|a| a.id == account)
    }
}

/// The signed-in visitor, or the way to sign in (and back here afterwards).
pub(crate) async fn visitor<S: Backing, H: Hashing>(
    pages: &Arc<Pages<S, H>>,
    req: &Request,
) -> Result<Visitor, Response> {
    let Some(cookie) = req.cookie().get(pages.session_cookie()) else { return Err(to_sign_in(req)) };
    let Ok((session, user)) = pages.portal.authenticate(cookie.value_str()).await else {
        return Err(to_sign_in(req));
    };
    // The picker holds at most this many; a person in more finds the rest on the home page.
    let request = PageRequest { after: None, limit: 100 };
    let accounts = match pages.portal.account_summaries(user.id(), request).await {
        Ok(page) => page.items,
        Err(e) => {
            tracing::warn!(error = %e, "the visitor's accounts did not read");
            Vec::new()
        }
    };
    Ok(Visitor { session, user, accounts, csrf: csrf(req), partial: partial(req) })
}

/// Whether htmx asked for the page to swap into the main region (a boosted link or form sends
/// `HX-Target: main`): then the answer is that region, the title, and the header and the status
/// line to swap out of band. A history restore (the page is not in htmx's cache, which is kept
/// empty so no personal data stays in the browser's storage) and every other request get the
/// whole page.
pub(crate) fn partial(req: &Request) -> bool {
    let header = |name: &str| req.headers().get(name).and_then(|v| v.to_str().ok());
    header("hx-request") == Some("true")
        && header("hx-target") == Some("main")
        && header("hx-history-restore-request").is_none()
}

/// To the sign-in page, coming back to this page (a path on this site only) afterwards.
fn to_sign_in(req: &Request) -> Response {
    let here = req.uri().path_and_query().map_or("/", |p| p.as_str());
    if here == "/" {
        return see_other("/sign-in");
    }
    see_other(&format!("/sign-in?{}", super::query::next(here)))
}

/// Starts the browser's session: the cookie, then `next` (else the account picker).
pub(crate) fn start<S, H>(pages: &Pages<S, H>, req: &Request, session: NewSession, next: Option<&str>) -> Response {
    req.cookie().add(session_cookie(pages, session.token));
    see_other(next.and_then(super::query::local_path).unwrap_or("/"))
}

/// Forgets the session cookie (a removal with the same attributes, which a `__Host-` cookie
/// needs to be replaced).
pub(crate) fn forget<S, H>(pages: &Pages<S, H>, req: &Request) {
    let mut gone = session_cookie(pages, String::new());
    gone.make_removal();
    req.cookie().add(gone);
}

fn session_cookie<S, H>(pages: &Pages<S, H>, value: String) -> Cookie {
    let mut cookie = Cookie::new_with_str(pages.session_cookie(), value);
    cookie.set_http_only(true);
    cookie.set_same_site(SameSite::Lax);
    cookie.set_path("/");
    cookie.set_secure(pages.secure);
    cookie
}

/// The session token of the browser's cookie.
pub(crate) fn token<S, H>(pages: &Pages<S, H>, req: &Request) -> Option<String> {
    req.cookie().get(pages.session_cookie()).map(|c| c.value_str().to_owned())
}

/// The visitor and the account of the path, or the answer when there is none for them.
pub(crate) async fn visit<S: Backing, H: Hashing>(
    pages: &Arc<Pages<S, H>>,
    req: &Request,
) -> Result<(Visitor, AccountId), Response> {
    let me = visitor(pages, req).await?;
    let id = super::home::account_of(&me, req)?.id;
    Ok((me, id))
}

/// The answer to a use case's refusal in account `id`: "not found" stays "not found", drawn
/// without the account (the visitor may not see it).
pub(crate) fn refusal(me: &Visitor, id: AccountId, fault: &super::render::Fault) -> Response {
    let chrome = if fault.is_not_found() { me.chrome(None) } else { me.chrome(Some(id)) };
    super::render::problem(&chrome, fault)
}
