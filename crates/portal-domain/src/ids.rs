//! Typed identifiers: a bare `Uuid` never crosses a port.

use std::fmt;
use std::hash::{BuildHasherDefault, Hasher};
use std::str::FromStr;

use uuid::Uuid;

/// A string that is not a UUID was given where an identifier was expected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not a valid identifier (expected a UUID)")]
pub struct IdError;

macro_rules! id_type {
    ($(#[$meta:meta])* $name:ident) => {
        $(#[$meta])*
        #[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
        #[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize), serde(transparent))]
        pub struct $name(Uuid);

        impl std::hash::Hash for $name {
            // One integer write: the id maps hash it on every permission check.
            fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
                state.write_u128(self.0.as_u128());
            }
        }

        impl $name {
            /// Wraps a UUID made by the caller (v7 from an [`IdSource`](crate::ports::IdSource)).
            pub const fn from_uuid(uuid: Uuid) -> Self {
                Self(uuid)
            }

            /// The UUID inside.
            pub const fn as_uuid(&self) -> Uuid {
                self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Display::fmt(&self.0, f)
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({})", stringify!($name), self.0)
            }
        }

        impl FromStr for $name {
            type Err = IdError;
            fn from_str(s: &str) -> Result<Self, IdError> {
                Uuid::parse_str(s.trim()).map(Self).map_err(|_| IdError)
            }
        }
    };
}

id_type!(
    /// Identifies an [`Account`](crate::account::Account).
    AccountId
);
id_type!(
    /// Identifies a [`User`](crate::user::User), the one global login identity.
    UserId
);
id_type!(
    /// Identifies an [`Invite`](crate::account::Invite) within its account.
    InviteId
);
id_type!(
    /// Identifies a [`Contact`](crate::account::Contact) within its account.
    ContactId
);
id_type!(
    /// Identifies a notice recorded on an account.
    NoticeId
);
id_type!(
    /// Identifies a sign-in session (public; its token is the secret).
    SessionId
);

/// A hasher for id keys. Ids are server-made UUIDs, so SipHash's flood resistance buys nothing
/// and costs most of a permission check; a multiply-fold of the 16 bytes spreads them well.
#[derive(Debug, Default, Clone, Copy)]
pub struct IdHasher(u64);

impl Hasher for IdHasher {
    fn finish(&self) -> u64 {
        // Fold the well-mixed high bits down: the table indexes by the low ones.
        self.0 ^ (self.0 >> 32)
    }

    fn write_u128(&mut self, value: u128) {
        const K: u64 = 0x9E37_79B9_7F4A_7C15;
        let folded = (value as u64) ^ ((value >> 64) as u64).rotate_left(23);
        self.0 = (self.0 ^ folded).wrapping_mul(K);
    }

    fn write(&mut self, bytes: &[u8]) {
        const K: u64 = 0x9E37_79B9_7F4A_7C15;
        for chunk in bytes.chunks(8) {
            let mut word = [0u8; 8];
            word[..chunk.len()].copy_from_slice(chunk);
            self.0 = (self.0.rotate_left(5) ^ u64::from_le_bytes(word)).wrapping_mul(K);
        }
    }
}

/// Builds [`IdHasher`]s for the maps keyed by ids.
pub type IdHashBuilder = BuildHasherDefault<IdHasher>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_id_round_trips_through_its_text_form() {
        let id = UserId::from_uuid(Uuid::from_u128(0x0193_0000_0000_7000_8000_0000_0000_0001));
        assert_eq!(id.to_string().parse::<UserId>(), Ok(id));
    }

    #[test]
    fn text_that_is_not_a_uuid_is_refused() {
        assert_eq!("not-a-uuid".parse::<AccountId>(), Err(IdError));
        assert_eq!("".parse::<InviteId>(), Err(IdError));
    }
}
