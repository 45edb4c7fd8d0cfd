//! Notification categories and each user's preferences over them.

use std::fmt;

use crate::permission::Permission;

/// What a notice is about; members and contacts receive the categories that concern them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[repr(u8)]
pub enum NotificationCategory {
    /// Sign-ins, MFA, password and access changes. Cannot be opted out of.
    Security = 0,
    /// The account profile and ownership.
    Account,
    /// Invoices and payments.
    Billing,
    /// Support ticket updates.
    Support,
    /// Service status and changes.
    Services,
    /// Onboarding and implementation project milestones.
    Projects,
    /// New features and product updates.
    ProductNews,
    /// Offers and marketing.
    Promotions,
}

/// The key given to [`NotificationCategory::from_key`] matched no category.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown notification category {0:?}")]
pub struct UnknownCategory(pub String);

impl NotificationCategory {
    /// Every category, in catalogue order.
    pub const ALL: [NotificationCategory; 8] = [
        Self::Security,
        Self::Account,
        Self::Billing,
        Self::Support,
        Self::Services,
        Self::Projects,
        Self::ProductNews,
        Self::Promotions,
    ];

    /// The stable key.
    pub const fn key(self) -> &'static str {
        match self {
            Self::Security => "security",
            Self::Account => "account",
            Self::Billing => "billing",
            Self::Support => "support",
            Self::Services => "services",
            Self::Projects => "projects",
            Self::ProductNews => "product-news",
            Self::Promotions => "promotions",
        }
    }

    /// What the category carries.
    pub const fn description(self) -> &'static str {
        match self {
            Self::Security => "Sign-ins, MFA, password and access changes. Always sent.",
            Self::Account => "Account profile and ownership changes.",
            Self::Billing => "Invoices, payment receipts and billing questions.",
            Self::Support => "Support ticket updates.",
            Self::Services => "Service status and changes.",
            Self::Projects => "Onboarding and implementation milestones.",
            Self::ProductNews => "New features and product updates.",
            Self::Promotions => "Offers and promotions.",
        }
    }

    /// Whether a user may stop receiving it. Security notices always arrive.
    pub const fn can_opt_out(self) -> bool {
        !matches!(self, Self::Security)
    }

    /// The permission a member needs to receive notices of this category; `None` when every
    /// member is concerned.
    pub const fn permission(self) -> Option<Permission> {
        match self {
            Self::Security | Self::ProductNews | Self::Promotions => None,
            Self::Account => Some(Permission::AccountProfileManage),
            Self::Billing => Some(Permission::BillingView),
            Self::Support => Some(Permission::SupportView),
            Self::Services => Some(Permission::ServicesView),
            Self::Projects => Some(Permission::ProjectsView),
        }
    }

    /// Looks a category up by its key.
    pub fn from_key(key: &str) -> Result<Self, UnknownCategory> {
        Self::ALL.into_iter().find(|c| c.key() == key).ok_or_else(|| UnknownCategory(key.to_owned()))
    }

    const fn bit(self) -> u8 {
        1 << self as u8
    }
}

impl fmt::Display for NotificationCategory {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.key())
    }
}

/// A set of categories, as a bitset.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default, PartialOrd, Ord)]
pub struct CategorySet(u8);

impl CategorySet {
    /// No category.
    pub const EMPTY: Self = Self(0);
    /// Every category.
    pub const ALL: Self = Self(u8::MAX);

    /// A set from a list of categories.
    pub fn of(categories: &[NotificationCategory]) -> Self {
        categories.iter().copied().collect()
    }

    /// Whether the set holds `category`.
    #[inline]
    pub const fn contains(self, category: NotificationCategory) -> bool {
        self.0 & category.bit() != 0
    }

    /// This set with `category` added.
    pub const fn with(self, category: NotificationCategory) -> Self {
        Self(self.0 | category.bit())
    }

    /// Whether the set is empty.
    pub const fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// The categories, in catalogue order.
    pub fn iter(self) -> impl Iterator<Item = NotificationCategory> {
        NotificationCategory::ALL.into_iter().filter(move |c| self.contains(*c))
    }

    /// The raw bits, for compact storage.
    pub const fn bits(self) -> u8 {
        self.0
    }

    /// A set from stored bits (every bit names a category).
    pub const fn from_bits(bits: u8) -> Self {
        Self(bits)
    }

    /// A set from keys; the first unknown key is the error.
    pub fn from_keys<'a>(keys: impl IntoIterator<Item = &'a str>) -> Result<Self, UnknownCategory> {
        keys.into_iter().map(NotificationCategory::from_key).collect()
    }

    /// The keys, in catalogue order.
    pub fn keys(self) -> Vec<&'static str> {
        self.iter().map(NotificationCategory::key).collect()
    }
}

impl FromIterator<NotificationCategory> for CategorySet {
    fn from_iter<I: IntoIterator<Item = NotificationCategory>>(iter: I) -> Self {
        iter.into_iter().fold(Self::EMPTY, Self::with)
    }
}

impl fmt::Debug for CategorySet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set().entries(self.iter().map(NotificationCategory::key)).finish()
    }
}

#[cfg(feature = "serde")]
impl serde::Serialize for CategorySet {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.iter().map(NotificationCategory::key))
    }
}

#[cfg(feature = "serde")]
impl<'de> serde::Deserialize<'de> for CategorySet {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let keys = Vec::<String>::deserialize(d)?;
        Self::from_keys(keys.iter().map(String::as_str)).map_err(serde::de::Error::custom)
    }
}

/// Why a preference change was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PreferencesError {
    /// Security notices cannot be turned off.
    #[error("security notices cannot be turned off")]
    SecurityIsMandatory,
}

/// Which categories a user has turned off. Every category is on until turned off.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize), serde(try_from = "PreferencesRepr"))]
pub struct NotificationPreferences {
    opted_out: CategorySet,
}

impl NotificationPreferences {
    /// Preferences with the given categories turned off; security cannot be among them.
    pub fn opting_out_of(opted_out: CategorySet) -> Result<Self, PreferencesError> {
        if opted_out.contains(NotificationCategory::Security) {
            return Err(PreferencesError::SecurityIsMandatory);
        }
        Ok(Self { opted_out })
    }

    /// Whether the user receives notices of `category` (always true for security).
    #[inline]
    pub const fn receives(self, category: NotificationCategory) -> bool {
        !category.can_opt_out() || !self.opted_out.contains(category)
    }

    /// The categories turned off.
    pub const fn opted_out(self) -> CategorySet {
        self.opted_out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn security_cannot_be_opted_out_of() {
        let all = CategorySet::ALL;
        assert_eq!(NotificationPreferences::opting_out_of(all), Err(PreferencesError::SecurityIsMandatory));
        let prefs =
            NotificationPreferences::opting_out_of(CategorySet::of(&[NotificationCategory::Promotions])).unwrap();
        assert!(!prefs.receives(NotificationCategory::Promotions));
        assert!(prefs.receives(NotificationCategory::Security));
        assert!(prefs.receives(NotificationCategory::Billing));
    }

    #[test]
    fn category_keys_round_trip() {
        for c in NotificationCategory::ALL {
            assert_eq!(NotificationCategory::from_key(c.key()), Ok(c));
        }
        assert_eq!(CategorySet::from_keys(["billing", "nope"]), Err(UnknownCategory("nope".into())));
    }
}

#[cfg(feature = "serde")]
crate::permission::serde_by_key!(NotificationCategory);

/// The wire form of [`NotificationPreferences`], checked on the way in.
#[cfg(feature = "serde")]
#[derive(serde::Deserialize)]
struct PreferencesRepr {
    opted_out: CategorySet,
}

#[cfg(feature = "serde")]
impl TryFrom<PreferencesRepr> for NotificationPreferences {
    type Error = PreferencesError;
    fn try_from(repr: PreferencesRepr) -> Result<Self, PreferencesError> {
        Self::opting_out_of(repr.opted_out)
    }
}
