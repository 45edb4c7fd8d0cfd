//! The API's operations by area: each file holds its `OpenApi` group, its request and
//! response types (requests turn into domain values with `try_into_domain`, naming the field at
//! fault) and their mappings.

/// A `Debug` that names the API group and shows nothing of its state.
macro_rules! debug_as_name {
    ($name:ident) => {
        impl<S, H> std::fmt::Debug for $name<S, H> {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(stringify!($name))
            }
        }
    };
}

pub mod accounts;
pub mod auth;
pub mod catalogue;
pub mod common;
pub mod contacts;
pub mod governance;
pub mod health;
pub mod invites;
pub mod me;
pub mod members;
pub mod mfa;
pub mod operator;
pub mod security;

pub use accounts::*;
pub use auth::*;
pub use catalogue::*;
pub use common::*;
pub use contacts::*;
pub use governance::*;
pub use health::*;
pub use invites::*;
pub use me::*;
pub use members::*;
pub use mfa::*;
pub use operator::*;
pub use security::*;
