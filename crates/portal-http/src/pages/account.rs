//! An account's own settings: the master profile and billing details (only with
//! `account.profile.manage`, seed 002), and the owner's and members' big steps: hand ownership
//! to another member, leave, close (each asks for the password, and a code with two-factor on).

use std::sync::Arc;

use askama::Template;
use poem::{Request, Response};
use portal_domain::Actor;
use portal_domain::account::{Account, ProfilePatch, View};
use portal_domain::ids::{AccountId, UserId};
use portal_domain::ports::PageRequest;
use portal_domain::service::Proof;
use portal_domain::values::{CompanyName, EmailAddress, PhoneNumber, PostalAddress, PostalAddressInput, TaxId};
use serde::Deserialize;

use super::guard::{Nothing, form};
use super::render::{Errors, Fault, page_with, see_other};
use super::visitor::{Visitor, refusal, visit};
use super::{Backing, Hashing, Pages};
use crate::error::ApiError;
use crate::extract::field;

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

fn optional(s: &str) -> Option<&str> {
    Some(s.trim()).filter(|s| !s.is_empty())
}

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

    /// Every field as the form shows it: an emptied field is cleared.
    fn patch(&self) -> Result<ProfilePatch, ApiError> {
        let lines: Vec<String> =
            [&self.line1, &self.line2].iter().filter_map(|l| optional(l)).map(str::to_owned).collect();
        let address_given = !lines.is_empty() || optional(&self.city).is_some() || optional(&self.country).is_some();
        let address = if address_given {
            let input = PostalAddressInput {
                lines,
                city: self.city.trim().to_owned(),
                region: optional(&self.region).map(str::to_owned),
                postal_code: optional(&self.postal_code).map(str::to_owned),
                country: self.country.trim().to_owned(),
            };
            Some(field("address", PostalAddress::parse(&input))?)
        } else {
            None
        };
        Ok(ProfilePatch {
            display_name: Some(field("display_name", CompanyName::parse(&self.display_name))?),
            company: Some(optional(&self.company).map(|c| field("company", CompanyName::parse(c))).transpose()?),
            primary_email: Some(field("primary_email", EmailAddress::parse(&self.primary_email))?),
            phone: Some(optional(&self.phone).map(|p| field("phone", PhoneNumber::parse(p))).transpose()?),
            address: Some(address),
            tax_id: Some(optional(&self.tax_id).map(|t| field("tax_id", TaxId::parse(t))).transpose()?),
        })
    }
}

/// `GET /accounts/{id}/profile`.
pub(super) async fn profile_show<S: Backing, H: Hashing>(pages: Arc<Pages<S, H>>, req: Request) -> Response {
    let (me, id) = or_answer!(visit(&pages, &req).await);
    match pages.portal.account(&Actor::User(me.user.id()), id, View::Profile).await {
        Ok(account) => {
            let f = ProfileForm::of(&account);
            page_with(
                poem::http::StatusCode::OK,
                &ProfilePage { chrome: me.chrome(Some(id)), f: &f, errors: Errors::none() },
            )
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
        Proof { password: optional(&self.password), code: optional(&self.code) }
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
