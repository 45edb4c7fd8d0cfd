//! My profile (seed 001): name and phone, the login email (changed only once the new address
//! confirms, the old one told), the password, and the email preferences (a checkbox per
//! category, security always on).

use std::sync::Arc;

use askama::Template;
use poem::{Request, Response};
use portal_domain::notification::{CategorySet, NotificationCategory, NotificationPreferences};
use portal_domain::values::{EmailAddress, PersonName, PhoneNumber};
use serde::Deserialize;

use super::grants::{Choice, choices};
use super::guard::{filled, form};
use super::query::outcome;
use super::render::{Errors, Fault, page_with, see_other};
use super::visitor::{Chrome, Visitor, visitor};
use super::{Backing, Hashing, Pages};
use crate::error::ApiError;
use crate::extract::field;

#[derive(Deserialize, Default)]
#[serde(default)]
struct Done {
    done: Option<String>,
}

#[derive(Template)]
#[template(path = "me.html")]
struct ProfilePage<'a> {
    chrome: Chrome,
    f: &'a ProfileForm,
    email: String,
    verified: bool,
    mfa_on: bool,
    errors: Errors,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct ProfileForm {
    name: String,
    phone: String,
    version: Option<u64>,
}

fn profile_page(me: &Visitor, f: &ProfileForm, errors: Errors, announce: Option<&'static str>) -> Response {
    let page = ProfilePage {
        chrome: me.chrome(None).announcing(announce),
        f,
        email: me.user.email().to_string(),
        verified: me.user.email_verified(),
        mfa_on: me.user.mfa().is_on(),
        errors,
    };
    page_with(page.errors.status(), &page)
}

/// `GET /me`.
pub(super) async fn profile_show<S: Backing, H: Hashing>(pages: Arc<Pages<S, H>>, req: Request) -> Response {
    let me = or_answer!(visitor(&pages, &req).await);
    let q = req.params::<Done>().unwrap_or_default();
    let f = ProfileForm {
        name: me.user.name().to_string(),
        phone: me.user.phone().map_or_else(String::new, ToString::to_string),
        version: Some(me.user.version()),
    };
    profile_page(&me, &f, Errors::none(), outcome(q.done.as_deref()))
}

/// `POST /me`: name and phone.
pub(super) async fn profile<S: Backing, H: Hashing>(pages: Arc<Pages<S, H>>, req: Request) -> Response {
    let (req, f) = or_answer!(form::<ProfileForm>(req).await);
    let me = or_answer!(visitor(&pages, &req).await);
    let parsed = (|| -> Result<_, ApiError> {
        let name = field("name", PersonName::parse(&f.name))?;
        let phone = filled(&f.phone).map(|p| field("phone", PhoneNumber::parse(p)));
        Ok((name, phone.transpose()?))
    })();
    let saved = match parsed {
        Ok((name, phone)) => {
            pages.portal.update_me(me.user.id(), Some(name), Some(phone), f.version).await.map_err(Fault::of)
        }
        Err(e) => Err(Fault::of(e)),
    };
    match saved {
        Ok(_) => see_other("/me?done=saved"),
        Err(fault) => profile_page(&me, &f, Errors::new(fault, &["name", "phone"]), None),
    }
}

#[derive(Template)]
#[template(path = "me_email.html")]
struct EmailPage<'a> {
    chrome: Chrome,
    email: String,
    new_email: &'a str,
    mfa_on: bool,
    errors: Errors,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct EmailForm {
    new_email: String,
    current_password: String,
    code: String,
}

const SECRET_FIELDS: &[&str] = &["new_email", "password", "current_password", "code"];

fn email_page(me: &Visitor, new_email: &str, errors: Errors) -> Response {
    let page = EmailPage {
        chrome: me.chrome(None),
        email: me.user.email().to_string(),
        new_email,
        mfa_on: me.user.mfa().is_on(),
        errors,
    };
    page_with(page.errors.status(), &page)
}

/// `GET /me/email`.
pub(super) async fn email_show<S: Backing, H: Hashing>(pages: Arc<Pages<S, H>>, req: Request) -> Response {
    let me = or_answer!(visitor(&pages, &req).await);
    email_page(&me, "", Errors::none())
}

/// `POST /me/email`: mails a confirmation link to the new address and a notice to the old.
pub(super) async fn email<S: Backing, H: Hashing>(pages: Arc<Pages<S, H>>, req: Request) -> Response {
    let (req, f) = or_answer!(form::<EmailForm>(req).await);
    let me = or_answer!(visitor(&pages, &req).await);
    let code = filled(&f.code);
    let asked = match field("new_email", EmailAddress::parse(&f.new_email)) {
        Ok(to) => pages
            .portal
            .request_email_change(&pages.client(&req), me.session, me.user.id(), &f.current_password, &to, code)
            .await
            .map_err(Fault::of),
        Err(e) => Err(Fault::of(e)),
    };
    match asked {
        Ok(()) => see_other("/me?done=email-sent"),
        Err(fault) => email_page(&me, &f.new_email, Errors::new(fault, SECRET_FIELDS)),
    }
}

#[derive(Template)]
#[template(path = "me_password.html")]
struct PasswordPage {
    chrome: Chrome,
    mfa_on: bool,
    errors: Errors,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct PasswordForm {
    current_password: String,
    password: String,
    code: String,
}

fn password_page(me: &Visitor, errors: Errors) -> Response {
    let page = PasswordPage { chrome: me.chrome(None), mfa_on: me.user.mfa().is_on(), errors };
    page_with(page.errors.status(), &page)
}

/// `GET /me/password`.
pub(super) async fn password_show<S: Backing, H: Hashing>(pages: Arc<Pages<S, H>>, req: Request) -> Response {
    let me = or_answer!(visitor(&pages, &req).await);
    password_page(&me, Errors::none())
}

/// `POST /me/password`: every other session ends; this one stays.
pub(super) async fn password<S: Backing, H: Hashing>(pages: Arc<Pages<S, H>>, req: Request) -> Response {
    let (req, f) = or_answer!(form::<PasswordForm>(req).await);
    let me = or_answer!(visitor(&pages, &req).await);
    let code = filled(&f.code);
    let client = pages.client(&req);
    match pages.portal.change_password(&client, me.session, me.user.id(), &f.current_password, &f.password, code).await
    {
        Ok(()) => see_other("/me?done=password-changed"),
        Err(e) => password_page(&me, Errors::new(Fault::of(e), SECRET_FIELDS)),
    }
}

/// A category as a checkbox.
#[derive(Template)]
#[template(path = "preferences.html")]
struct PreferencesPage {
    chrome: Chrome,
    choices: Vec<Choice>,
    version: u64,
    errors: Errors,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct PreferencesForm {
    receive: Vec<String>,
    version: Option<u64>,
}

fn preferences_page(me: &Visitor, errors: Errors, announce: Option<&'static str>) -> Response {
    let preferences = me.user.preferences();
    let choices = choices(|c| preferences.receives(c), |c| !c.can_opt_out());
    let page = PreferencesPage {
        chrome: me.chrome(None).announcing(announce),
        choices,
        version: me.user.preferences_version(),
        errors,
    };
    page_with(page.errors.status(), &page)
}

/// `GET /me/preferences`.
pub(super) async fn preferences_show<S: Backing, H: Hashing>(pages: Arc<Pages<S, H>>, req: Request) -> Response {
    let me = or_answer!(visitor(&pages, &req).await);
    let q = req.params::<Done>().unwrap_or_default();
    preferences_page(&me, Errors::none(), outcome(q.done.as_deref()))
}

/// `POST /me/preferences`: the unticked categories are turned off.
pub(super) async fn preferences<S: Backing, H: Hashing>(pages: Arc<Pages<S, H>>, req: Request) -> Response {
    let (req, f) = or_answer!(form::<PreferencesForm>(req).await);
    let me = or_answer!(visitor(&pages, &req).await);
    let chosen = (|| -> Result<NotificationPreferences, ApiError> {
        let received = field("receive", CategorySet::from_keys(f.receive.iter().map(String::as_str)))?;
        // Security is never a checkbox that can be cleared: it is not among the opted out.
        let off: Vec<NotificationCategory> =
            NotificationCategory::ALL.into_iter().filter(|c| c.can_opt_out() && !received.contains(*c)).collect();
        field("receive", NotificationPreferences::opting_out_of(CategorySet::of(&off)))
    })();
    let saved = match chosen {
        Ok(preferences) => pages.portal.set_preferences(me.user.id(), preferences, f.version).await.map_err(Fault::of),
        Err(e) => Err(Fault::of(e)),
    };
    match saved {
        Ok(_) => see_other("/me/preferences?done=saved"),
        Err(fault) => preferences_page(&me, Errors::new(fault, &["receive"]), None),
    }
}
