//! Permissions as people read them: each with its description, the sensitive ones flagged with
//! the seed's warning, and (in a form) the ones the visitor may not grant disabled with why; and
//! the notification categories as the checkboxes of a form.

use portal_domain::account::AccountSummary;
use portal_domain::notification::NotificationCategory;
use portal_domain::permission::{Permission, PermissionSet, Role};

/// The warning beside a sensitive permission (seed 002's words for the master profile).
pub(crate) const PROFILE_WARNING: &str = "Be careful with providing 'Modify Master Account Profile' access. This will allow a user to view and modify your primary account details including billing information. We would not recommend providing this access to web developers or temporary/external contacts.";

/// One permission, as a line of a list or a checkbox of a form.
pub(crate) struct Grant {
    pub(crate) key: &'static str,
    pub(crate) description: &'static str,
    pub(crate) sensitive: bool,
    /// The seed's warning, for the master profile.
    pub(crate) warning: Option<&'static str>,
    pub(crate) checked: bool,
    /// Why the visitor may not grant it, when they may not.
    pub(crate) locked: Option<String>,
}

impl Grant {
    fn of(permission: Permission, checked: bool, locked: Option<String>) -> Self {
        Self {
            key: permission.key(),
            description: permission.description(),
            sensitive: permission.is_sensitive(),
            warning: (permission == Permission::AccountProfileManage).then_some(PROFILE_WARNING),
            checked,
            locked,
        }
    }
}

/// The permissions of `set`, to read.
pub(crate) fn listed(set: PermissionSet) -> Vec<Grant> {
    set.iter().map(|p| Grant::of(p, true, None)).collect()
}

/// Every permission as a checkbox, `chosen` ticked, those `granter` may not grant locked.
pub(crate) fn checkboxes(chosen: PermissionSet, granter: &AccountSummary) -> Vec<Grant> {
    Permission::ALL
        .iter()
        .map(|p| {
            let locked = granter.may_grant(PermissionSet::of(&[*p])).err().map(|e| e.to_string());
            Grant::of(*p, chosen.contains(*p), locked)
        })
        .collect()
}

/// A role preset for the form's role picker.
pub(crate) struct Preset {
    pub(crate) key: &'static str,
    pub(crate) description: &'static str,
    /// Its permissions, space-separated, for the script that ticks them.
    pub(crate) permissions: String,
    pub(crate) selected: bool,
}

/// The role presets, `selected` chosen.
pub(crate) fn presets(selected: Option<&str>) -> Vec<Preset> {
    Role::ALL
        .iter()
        .map(|r| Preset {
            key: r.key(),
            description: r.description(),
            permissions: r.permissions().keys().join(" "),
            selected: selected == Some(r.key()),
        })
        .collect()
}

/// How much of the catalogue a member holds ("3 of 15"), beside the sensitive ones named.
pub(crate) fn share(held: PermissionSet) -> String {
    format!("{} of {}", held.len(), PermissionSet::ALL.len())
}

/// A notification category as a checkbox (`macros.html`'s `categories`).
pub(crate) struct Choice {
    pub(crate) key: &'static str,
    pub(crate) description: &'static str,
    pub(crate) on: bool,
    /// Shown ticked, and not to be changed: security, for a user.
    pub(crate) fixed: bool,
}

/// Every category, ticked where `on` says; `fixed` ones cannot be unticked.
pub(crate) fn choices(
    on: impl Fn(NotificationCategory) -> bool,
    fixed: impl Fn(NotificationCategory) -> bool,
) -> Vec<Choice> {
    NotificationCategory::ALL
        .into_iter()
        .map(|c| Choice { key: c.key(), description: c.description(), on: on(c), fixed: fixed(c) })
        .collect()
}
