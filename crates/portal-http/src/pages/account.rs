//! An account's own settings: the master profile and billing details (only with
//! `account.profile.manage`, seed 002), and the owner's and members' big steps: hand ownership
//! to another member, leave, close (each asks for the password, and a code with two-factor on).

use std::sync::Arc;

use askama::Template;
use poem::{Request, Response};
use poem_openapi::types::MaybeUndefined;
use portal_domain::Actor;
use portal_domain::account::{Account, ProfilePatch, View};
use portal_domain::ids::{AccountId, UserId};
use portal_domain::ports::PageRequest;
use portal_domain::service::Proof;
use portal_domain::values::PostalAddress;
use serde::Deserialize;

use super::guard::{Nothing, filled, form};
use super::render::{Errors, Fault, page, page_with, see_other};
use super::visitor::{Visitor, refusal, visit};
use super::{Backing, Hashing, Pages};
use crate::error::ApiError;
use crate::extract::field;
use crate::routes::accounts::{AddressBody, UpdateAccountRequest};
use crate::wire::Text;

#[derive(Template)]
#[template(path = "account_profile.html")]
struct ProfilePage<'a> {
    chrome: super::visitor::Chrome,
    f: &'a ProfileForm,
    errors: Errors,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct ProfileForm {
    display_name: String,
    company: String,
    primary_email: String,
    phone: String,
    line1: String,
    line2: String,
    city: String,
    region: String,
    postal_code: String,
    country: String,
    tax_id: String,
    version: Option<u64>,
}

const PROFILE_FIELDS: &[&str] = &["display_name", "company", "primary_email", "phone", "address", "tax_id"];

impl ProfileForm {
    fn of(account: &Account) -> Self {
        let p = account.profile();
        let text = |v: Option<&str>| v.unwrap_or_default().to_owned();
        let address = p.address.as_ref().map(PostalAddress::to_input);
        let lines = address.as_ref().map(|a| a.lines.clone()).unwrap_or_default();
        Self {
            display_name: p.display_name.to_string(),
            company: text(p.company.as_ref().map(|c| c.as_str())),
            primary_email: p.primary_email.to_string(),
            phone: p.phone.as_ref().map_or_else(String::new, ToString::to_string),
            line1: lines.first().cloned().unwrap_or_default(),
            line2: lines.get(1).cloned().unwrap_or_default(),
            city: address.as_ref().map(|a| a.city.clone()).unwrap_or_default(),
            region: text(address.as_ref().and_then(|a| a.region.as_deref())),
            postal_code: text(address.as_ref().and_then(|a| a.postal_code.as_deref())),
            country: address.as_ref().map(|a| a.country.clone()).unwrap_or_default(),
            tax_id: p.tax_id.as_ref().map_or_else(String::new, |t| t.as_str().to_owned()),
            version: Some(account.version()),
        }
    }

    /// Every field as the form shows it, an emptied one cleared: the API's request, so the
    /// page's checks and wording are the API's.
    fn patch(&self) -> Result<ProfilePatch, ApiError> {
        fn text<const MAX: usize>(s: &str) -> Text<MAX> {
            Text::from(s.trim().to_owned())
        }
        fn clearable<const MAX: usize>(s: &str) -> MaybeUndefined<Text<MAX>> {
            filled(s).map_or(MaybeUndefined::Null, |v| MaybeUndefined::Value(text(v)))
        }
        let lines: Vec<_> = [&self.line1, &self.line2].into_iter().filter_map(|l| filled(l)).map(text).collect();
        let address_given = !lines.is_empty() || filled(&self.city).is_some() || filled(&self.country).is_some();
        let address = if address_given {
            MaybeUndefined::Value(AddressBody {
                lines,
                city: text(&self.city),
                region: filled(&self.region).map(text),
                postal_code: filled(&self.postal_code).map(text),
                country: text(&self.country),
            })
        } else {
            MaybeUndefined::Null
        };
        UpdateAccountRequest {
            display_name: Some(Text::from(self.display_name.clone())),
            company: clearable(&self.company),
            primary_email: Some(Text::from(self.primary_email.clone())),
            phone: clearable(&self.phone),
            address,
            tax_id: clearable(&self.tax_id),
        }
        .try_into_domain()
    }
}

/// `GET /accounts/{id}/profile`.
pub(super) async fn profile_show<S: Backing, H: Hashing>(pages: Arc<Pages<S, H>>, req: Request) -> Response {
    let (me, id) = or_answer!(visit(&pages, &req).await);
    match pages.portal.account(&Actor::User(me.user.id()), id, View::Profile).await {
        Ok(account) => {
            let f = ProfileForm::of(&account);
            page(&ProfilePage { chrome: me.chrome(Some(id)), f: &f, errors: Errors::none() })
        }
        Err(e) => refusal(&me, id, &Fault::of(e)),
    }
}

/// `POST /accounts/{id}/profile`.
pub(super) async fn profile<S: Backing, H: Hashing>(pages: Arc<Pages<S, H>>, req: Request) -> Response {
    let (req, f) = or_answer!(form::<ProfileForm>(req).await);
    let (me, id) = or_answer!(visit(&pages, &req).await);
    let saved = match f.patch() {
        Ok(patch) => {
            pages.portal.update_profile(&Actor::User(me.user.id()), id, patch, f.version).await.map_err(Fault::of)
        }
        Err(e) => Err(Fault::of(e)),
    };
    match saved {
        Ok(_) => see_other(&format!("/accounts/{id}?done=profile-saved")),
        Err(fault) if fault.is_refusal() => refusal(&me, id, &fault),
        Err(fault) => {
            let errors = Errors::new(fault, PROFILE_FIELDS);
            page_with(errors.status(), &ProfilePage { chrome: me.chrome(Some(id)), f: &f, errors })
        }
    }
}

/// A member the owner may hand the account to.
struct Candidate {
    id: String,
    label: String,
}

#[derive(Template)]
#[template(path = "ownership.html")]
struct OwnershipPage {
    chrome: super::visitor::Chrome,
    is_owner: bool,
    mfa_on: bool,
    candidates: Vec<Candidate>,
    errors: Errors,
}

const PROOF_FIELDS: &[&str] = &["user_id", "password", "code"];

async fn ownership_page<S: Backing, H: Hashing>(
    pages: &Pages<S, H>,
    me: &Visitor,
    id: AccountId,
    errors: Errors,
) -> Response {
    let Some(summary) = me.account(id) else { return super::home::not_found(me.chrome(None)) };
    let mut candidates = Vec::new();
    if summary.is_owner {
        // The first page of members: the owner picks among the people they work with.
        let request = PageRequest { after: None, limit: 200 };
        if let Ok(members) = pages.portal.members(&Actor::User(me.user.id()), id, request).await {
            candidates = members
                .items
                .iter()
                .filter(|m| !m.is_owner)
                .map(|m| Candidate { id: m.membership.user().to_string(), label: format!("{} ({})", m.name, m.email) })
                .collect();
        }
    }
    let page = OwnershipPage {
        chrome: me.chrome(Some(id)),
        is_owner: summary.is_owner,
        mfa_on: me.user.mfa().is_on(),
        candidates,
        errors,
    };
    page_with(page.errors.status(), &page)
}

/// `GET /accounts/{id}/ownership`: transfer and close (the owner), or leave (a member).
pub(super) async fn ownership_show<S: Backing, H: Hashing>(pages: Arc<Pages<S, H>>, req: Request) -> Response {
    let (me, id) = or_answer!(visit(&pages, &req).await);
    ownership_page(&pages, &me, id, Errors::none()).await
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct StepForm {
    user_id: String,
    password: String,
    code: String,
}

impl StepForm {
    fn proof(&self) -> Proof<'_> {
        Proof { password: filled(&self.password), code: filled(&self.code) }
    }
}

/// What a big step does once the person is confirmed.
enum Step {
    Transfer,
    Close,
}

async fn big_step<S: Backing, H: Hashing>(pages: Arc<Pages<S, H>>, req: Request, step: Step) -> Response {
    let (req, f) = or_answer!(form::<StepForm>(req).await);
    let (me, id) = or_answer!(visit(&pages, &req).await);
    let client = pages.client(&req);
    let done = async {
        let confirmed =
            pages.portal.confirm_sensitive(&client, me.session, me.user.id(), f.proof()).await.map_err(Fault::of)?;
        match step {
            Step::Transfer => {
                let to = f.user_id.parse::<uuid::Uuid>().map(UserId::from_uuid);
                let to = field("user_id", to).map_err(Fault::of)?;
                pages.portal.transfer_ownership(&confirmed, id, to).await.map_err(Fault::of)?;
                Ok::<_, Fault>(format!("/accounts/{id}?done=transferred"))
            }
            Step::Close => {
                pages.portal.close_account(&confirmed, id).await.map_err(Fault::of)?;
                Ok(format!("/accounts/{id}?done=closed"))
            }
        }
    };
    match done.await {
        Ok(to) => see_other(&to),
        Err(fault) if fault.is_not_found() => refusal(&me, id, &fault),
        Err(fault) => ownership_page(&pages, &me, id, Errors::new(fault, PROOF_FIELDS)).await,
    }
}

/// `POST /accounts/{id}/transfer`.
pub(super) async fn transfer<S: Backing, H: Hashing>(pages: Arc<Pages<S, H>>, req: Request) -> Response {
    big_step(pages, req, Step::Transfer).await
}

/// `POST /accounts/{id}/close`.
pub(super) async fn close<S: Backing, H: Hashing>(pages: Arc<Pages<S, H>>, req: Request) -> Response {
    big_step(pages, req, Step::Close).await
}

/// `POST /accounts/{id}/leave`: a member (not the owner) leaves.
pub(super) async fn leave<S: Backing, H: Hashing>(pages: Arc<Pages<S, H>>, req: Request) -> Response {
    let (req, Nothing {}) = or_answer!(form::<Nothing>(req).await);
    let (me, id) = or_answer!(visit(&pages, &req).await);
    match pages.portal.leave(&Actor::User(me.user.id()), id).await {
        Ok(_) => see_other("/?done=left"),
        Err(e) => ownership_page(&pages, &me, id, Errors::new(Fault::of(e), &[])).await,
    }
}
