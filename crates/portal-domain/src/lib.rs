//! portal-domain: the account, user, contact and permission core of a customer portal.
//!
//! Pure: no I/O, no clock, no randomness. Values parse once ([`values`]); aggregates
//! ([`account::Account`], [`user::User`]) change only by folding the events their `decide`
//! functions return; every rule of the design lives in those functions, and each refusal names
//! its rule ([`error::DomainError::rule`]). The [`service`] runs use cases over the [`ports`].
//! Test doubles (an in-memory store, deterministic clocks and ids) and the store conformance
//! suite are in the `portal-testkit` crate, never in a production build.
//!
//! Features: `serde` (every type, validated values through their parsers), `proptest`
//! (strategies for every value, aggregate and command, in [`strategies`]).
#![deny(missing_docs)]

pub mod account;
pub mod actor;
pub mod credentials;
pub mod error;
pub mod ids;
mod invite_status;
pub mod limits;
pub mod mfa;
pub mod notification;
pub mod permission;
pub mod ports;
pub mod review;
pub use account::routing;
#[cfg(feature = "serde")]
mod serde_util;
pub mod service;
pub mod session;
pub mod user;
pub mod values;
mod window;

#[cfg(feature = "proptest")]
pub mod strategies;

pub use account::{Account, AccountCommand, AccountEvent};
pub use actor::Actor;
pub use error::{DomainError, Rule};
pub use user::{User, UserCommand, UserEvent};
