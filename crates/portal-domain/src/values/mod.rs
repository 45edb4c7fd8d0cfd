//! Values parsed once at the edge: each constructor returns a precise error, never panics.

mod address;
mod client;
mod email;
mod instant;
mod password;
mod phone;
mod secret;
mod tax_id;
mod text;

pub use address::{AddressError, CountryCode, PostalAddress, PostalAddressInput};
pub use client::{ClientInfo, MAX_CLIENT_ADDRESS, MAX_USER_AGENT};
pub use email::{EmailAddress, EmailAddressError};
pub use instant::{EndDateError, InstantError, MAX_END_DATE_YEARS, check_end_date, in_range, parse_instant};
pub use password::{Password, PasswordError, is_common_password};
pub use phone::{PhoneNumber, PhoneNumberError};
pub use secret::{PasswordHash, SealedSecret, TokenDigest};
pub use tax_id::{TaxId, TaxIdError};
pub use text::{CompanyName, PersonName, RoleLabel, TextError};

/// Implements `Display`, `AsRef<str>`, `TryFrom<String>` and `From<Self> for String` for a
/// string-backed value, so serde can only build it through `parse`.
macro_rules! string_value {
    ($name:ident, $error:ty) => {
        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                self.as_str()
            }
        }

        impl TryFrom<String> for $name {
            type Error = $error;
            fn try_from(raw: String) -> Result<Self, Self::Error> {
                Self::parse(&raw)
            }
        }

        impl From<$name> for String {
            fn from(value: $name) -> String {
                value.as_str().to_owned()
            }
        }
    };
}
pub(crate) use string_value;
