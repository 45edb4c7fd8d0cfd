//! The closed set of permissions, the bitset that holds them, and the role presets.

use std::fmt;

/// One thing a member may do in an account. Closed: adding one is a breaking change on purpose.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[repr(u8)]
pub enum Permission {
    /// View and change the master account profile, billing details included (sensitive).
    AccountProfileManage = 0,
    /// Invite, edit and remove members.
    UsersManage,
    /// Add, edit and remove contacts.
    ContactsManage,
    /// See invoices and payments.
    BillingView,
    /// Pay invoices and change payment methods.
    BillingPay,
    /// See support tickets.
    SupportView,
    /// Open support tickets.
    SupportOpen,
    /// See services.
    ServicesView,
    /// Change services.
    ServicesManage,
    /// Place orders.
    OrdersPlace,
    /// See reports.
    ReportsView,
    /// See projects.
    ProjectsView,
    /// See contracts.
    ContractsView,
    /// See the notices sent to the account and who received them.
    NoticesView,
    /// See the audit trail and the access review.
    AuditView,
}

/// The key given to [`Permission::from_key`] matched no permission.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown permission {0:?}")]
pub struct UnknownPermission(pub String);

impl Permission {
    /// Every permission, in catalogue order.
    pub const ALL: [Permission; 15] = [
        Self::AccountProfileManage,
        Self::UsersManage,
        Self::ContactsManage,
        Self::BillingView,
        Self::BillingPay,
        Self::SupportView,
        Self::SupportOpen,
        Self::ServicesView,
        Self::ServicesManage,
        Self::OrdersPlace,
        Self::ReportsView,
        Self::ProjectsView,
        Self::ContractsView,
        Self::NoticesView,
        Self::AuditView,
    ];

    /// The stable dotted key used on the wire and in storage.
    pub const fn key(self) -> &'static str {
        match self {
            Self::AccountProfileManage => "account.profile.manage",
            Self::UsersManage => "users.manage",
            Self::ContactsManage => "contacts.manage",
            Self::BillingView => "billing.view",
            Self::BillingPay => "billing.pay",
            Self::SupportView => "support.view",
            Self::SupportOpen => "support.open",
            Self::ServicesView => "services.view",
            Self::ServicesManage => "services.manage",
            Self::OrdersPlace => "orders.place",
            Self::ReportsView => "reports.view",
            Self::ProjectsView => "projects.view",
            Self::ContractsView => "contracts.view",
            Self::NoticesView => "notices.view",
            Self::AuditView => "audit.view",
        }
    }

    /// What the permission allows, for people choosing it.
    pub const fn description(self) -> &'static str {
        match self {
            Self::AccountProfileManage => {
                "View and modify the master account profile, billing details included. Not for web developers or temporary or external people."
            }
            Self::UsersManage => "Invite, edit and remove the account's members.",
            Self::ContactsManage => "Add, edit and remove the account's contacts and what they receive.",
            Self::BillingView => "View invoices, payments and account credit.",
            Self::BillingPay => "Pay invoices and manage payment methods.",
            Self::SupportView => "View the account's support tickets.",
            Self::SupportOpen => "Open and reply to support tickets.",
            Self::ServicesView => "View the account's services.",
            Self::ServicesManage => "Change the account's services.",
            Self::OrdersPlace => "Place new orders.",
            Self::ReportsView => "View reports.",
            Self::ProjectsView => "View onboarding and implementation projects.",
            Self::ContractsView => "View contracts.",
            Self::NoticesView => "View notices sent to the account and who received them.",
            Self::AuditView => "View the audit trail and the access review.",
        }
    }

    /// Whether granting it deserves a second look (flagged in the access review).
    pub const fn is_sensitive(self) -> bool {
        matches!(self, Self::AccountProfileManage | Self::UsersManage | Self::BillingPay)
    }

    /// Looks a permission up by its dotted key.
    pub fn from_key(key: &str) -> Result<Self, UnknownPermission> {
        Self::ALL.into_iter().find(|p| p.key() == key).ok_or_else(|| UnknownPermission(key.to_owned()))
    }

    const fn bit(self) -> u16 {
        1 << self as u8
    }
}

impl fmt::Display for Permission {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.key())
    }
}

/// A set of permissions, as a bitset: membership tests are one `and`.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default, PartialOrd, Ord)]
pub struct PermissionSet(u16);

impl PermissionSet {
    /// No permission.
    pub const EMPTY: Self = Self(0);
    /// Every permission: what the owner holds.
    pub const ALL: Self = Self((1 << Permission::ALL.len()) - 1);

    /// A set from a list of permissions.
    pub const fn of(permissions: &[Permission]) -> Self {
        let mut bits = 0;
        let mut i = 0;
        while i < permissions.len() {
            bits |= permissions[i].bit();
            i += 1;
        }
        Self(bits)
    }

    /// Whether the set holds `permission`.
    #[inline]
    pub const fn contains(self, permission: Permission) -> bool {
        self.0 & permission.bit() != 0
    }

    /// Whether every permission of `other` is in this set.
    #[inline]
    pub const fn is_superset(self, other: Self) -> bool {
        other.0 & !self.0 == 0
    }

    /// The permissions of this set that `other` lacks.
    pub const fn difference(self, other: Self) -> Self {
        Self(self.0 & !other.0)
    }

    /// Both sets together.
    pub const fn union(self, other: Self) -> Self {
        Self(self.0 | other.0)
    }

    /// This set with `permission` added.
    pub const fn with(self, permission: Permission) -> Self {
        Self(self.0 | permission.bit())
    }

    /// This set with `permission` taken out.
    pub const fn without(self, permission: Permission) -> Self {
        Self(self.0 & !permission.bit())
    }

    /// Whether the set is empty.
    pub const fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// How many permissions the set holds.
    pub const fn len(self) -> usize {
        self.0.count_ones() as usize
    }

    /// The permissions, in catalogue order.
    pub fn iter(self) -> impl Iterator<Item = Permission> {
        Permission::ALL.into_iter().filter(move |p| self.contains(*p))
    }

    /// The sensitive permissions of the set.
    pub fn sensitive(self) -> Self {
        self.iter().filter(|p| p.is_sensitive()).collect()
    }

    /// The raw bits, for compact storage. [`PermissionSet::from_bits`] reverses it.
    pub const fn bits(self) -> u16 {
        self.0
    }

    /// A set from stored bits; `None` when a bit names no permission (a corrupt row).
    pub const fn from_bits(bits: u16) -> Option<Self> {
        if bits & !Self::ALL.0 == 0 { Some(Self(bits)) } else { None }
    }

    /// A set from dotted keys; the first unknown key is the error.
    pub fn from_keys<'a>(keys: impl IntoIterator<Item = &'a str>) -> Result<Self, UnknownPermission> {
        keys.into_iter().map(Permission::from_key).collect()
    }

    /// The dotted keys, in catalogue order.
    pub fn keys(self) -> Vec<&'static str> {
        self.iter().map(Permission::key).collect()
    }
}

impl FromIterator<Permission> for PermissionSet {
    fn from_iter<I: IntoIterator<Item = Permission>>(iter: I) -> Self {
        iter.into_iter().fold(Self::EMPTY, Self::with)
    }
}

impl fmt::Debug for PermissionSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set().entries(self.iter().map(Permission::key)).finish()
    }
}

#[cfg(feature = "serde")]
impl serde::Serialize for PermissionSet {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.iter().map(Permission::key))
    }
}

#[cfg(feature = "serde")]
impl<'de> serde::Deserialize<'de> for PermissionSet {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let keys = Vec::<String>::deserialize(d)?;
        Self::from_keys(keys.iter().map(String::as_str)).map_err(serde::de::Error::custom)
    }
}

/// A named preset over the permissions; after choosing one, the permissions may still be adjusted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Role {
    /// Everything but the master account profile, which only the owner grants.
    Admin,
    /// Invoices, payments, contracts and the support around them.
    Billing,
    /// Services, projects and support.
    Technical,
    /// Sees everything a member can see, changes nothing.
    ReadOnly,
}

/// The key given to [`Role::from_key`] matched no role.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown role {0:?}")]
pub struct UnknownRole(pub String);

/// An invite named neither a role preset nor permissions, so it grants nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("give a role or the permissions")]
pub struct NoGrant;

impl Role {
    /// Every role, in catalogue order.
    pub const ALL: [Role; 4] = [Self::Admin, Self::Billing, Self::Technical, Self::ReadOnly];

    /// What an invite grants: the exact permissions when given (they override the preset's,
    /// so a preset can be adjusted), else the preset's; with neither, nothing to grant.
    pub fn grant(preset: Option<Role>, exact: Option<PermissionSet>) -> Result<PermissionSet, NoGrant> {
        exact.or(preset.map(Role::permissions)).ok_or(NoGrant)
    }

    /// The role label of a grant: the one given, else the preset's key (a member invited as
    /// `billing` shows as `billing` until someone relabels them).
    pub fn label(preset: Option<Role>, given: Option<&str>) -> Option<&str> {
        given.or(preset.map(Role::key))
    }

    /// The stable key.
    pub const fn key(self) -> &'static str {
        match self {
            Self::Admin => "admin",
            Self::Billing => "billing",
            Self::Technical => "technical",
            Self::ReadOnly => "read-only",
        }
    }

    /// What the role is for.
    pub const fn description(self) -> &'static str {
        match self {
            Self::Admin => "Runs the account day to day: everything except the master account profile.",
            Self::Billing => "Finance: invoices, payments, contracts and billing questions.",
            Self::Technical => "Technical staff: services, orders, projects and support tickets.",
            Self::ReadOnly => "Follows the account without changing anything.",
        }
    }

    /// The permissions the role starts with.
    pub const fn permissions(self) -> PermissionSet {
        use Permission::*;
        match self {
            Self::Admin => PermissionSet::ALL.without(AccountProfileManage),
            Self::Billing => PermissionSet::of(&[
                BillingView,
                BillingPay,
                ContractsView,
                SupportView,
                SupportOpen,
                ReportsView,
                NoticesView,
            ]),
            Self::Technical => PermissionSet::of(&[
                ServicesView,
                ServicesManage,
                OrdersPlace,
                ProjectsView,
                SupportView,
                SupportOpen,
                ReportsView,
                NoticesView,
            ]),
            Self::ReadOnly => PermissionSet::of(&[
                BillingView,
                SupportView,
                ServicesView,
                ReportsView,
                ProjectsView,
                ContractsView,
                NoticesView,
            ]),
        }
    }

    /// Looks a role up by its key.
    pub fn from_key(key: &str) -> Result<Self, UnknownRole> {
        Self::ALL.into_iter().find(|r| r.key() == key).ok_or_else(|| UnknownRole(key.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_unique_and_round_trip() {
        for p in Permission::ALL {
            assert_eq!(Permission::from_key(p.key()), Ok(p));
        }
        let keys: std::collections::HashSet<_> = Permission::ALL.iter().map(|p| p.key()).collect();
        assert_eq!(keys.len(), Permission::ALL.len());
        assert_eq!(Permission::from_key("billing.steal"), Err(UnknownPermission("billing.steal".into())));
    }

    #[test]
    fn the_master_profile_permission_is_sensitive() {
        assert!(Permission::AccountProfileManage.is_sensitive());
        assert!(!Permission::BillingView.is_sensitive());
    }

    #[test]
    fn set_algebra_matches_the_permissions() {
        let billing = Role::Billing.permissions();
        assert!(billing.contains(Permission::BillingPay));
        assert!(!billing.contains(Permission::UsersManage));
        assert!(PermissionSet::ALL.is_superset(billing));
        assert!(!billing.is_superset(PermissionSet::ALL));
        assert_eq!(PermissionSet::ALL.len(), 15);
        assert_eq!(PermissionSet::from_bits(PermissionSet::ALL.bits()), Some(PermissionSet::ALL));
        assert_eq!(PermissionSet::from_bits(1 << 15), None);
        assert_eq!(PermissionSet::from_keys(billing.keys()), Ok(billing));
    }

    #[test]
    fn no_role_but_the_owner_holds_the_master_profile_permission() {
        for role in Role::ALL {
            assert!(!role.permissions().contains(Permission::AccountProfileManage), "{role:?}");
            assert_eq!(Role::from_key(role.key()), Ok(role));
        }
    }

    #[test]
    fn an_invite_grants_the_exact_set_else_the_preset_and_is_labelled_by_it() {
        let exact = PermissionSet::of(&[Permission::BillingView]);
        assert_eq!(Role::grant(Some(Role::Admin), Some(exact)), Ok(exact));
        assert_eq!(Role::grant(Some(Role::Billing), None), Ok(Role::Billing.permissions()));
        assert_eq!(Role::grant(None, Some(PermissionSet::EMPTY)), Ok(PermissionSet::EMPTY));
        assert_eq!(Role::grant(None, None), Err(NoGrant));
        assert_eq!(Role::label(Some(Role::Billing), None), Some("billing"));
        assert_eq!(Role::label(Some(Role::Billing), Some("finance")), Some("finance"));
        assert_eq!(Role::label(None, None), None);
    }
}

/// Serializes a closed enum by its stable key and deserializes through `from_key`.
#[cfg(feature = "serde")]
macro_rules! serde_by_key {
    ($ty:ty) => {
        impl serde::Serialize for $ty {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.key())
            }
        }

        impl<'de> serde::Deserialize<'de> for $ty {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let key = String::deserialize(d)?;
                <$ty>::from_key(&key).map_err(serde::de::Error::custom)
            }
        }
    };
}
#[cfg(feature = "serde")]
pub(crate) use serde_by_key;

#[cfg(feature = "serde")]
serde_by_key!(Permission);
#[cfg(feature = "serde")]
serde_by_key!(Role);
