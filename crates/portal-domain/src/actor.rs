//! Who asks for a change.

use std::fmt;

use crate::ids::UserId;

/// The one who issues a command; every event records it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum Actor {
    /// A signed-in user.
    User(UserId),
    /// The provider's operator (its staff or systems), through an operator key.
    Operator,
    /// Whoever holds an invite link, answering it without signing in (declining).
    InviteHolder,
}

impl Actor {
    /// The user behind the actor, if it is one.
    pub const fn user(&self) -> Option<UserId> {
        match self {
            Self::User(u) => Some(*u),
            _ => None,
        }
    }
}

impl fmt::Display for Actor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::User(u) => write!(f, "user {u}"),
            Self::Operator => f.write_str("operator"),
            Self::InviteHolder => f.write_str("invite holder"),
        }
    }
}
