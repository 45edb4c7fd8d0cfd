//! portal-domain's integration tests: one binary, one module per concern.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

mod conformance;
mod dependencies;
mod fixtures;
mod limits;
mod mfa;
mod parsing;
mod properties;
mod routing;
mod rules;
mod security;
mod serde;
mod service;
mod stories;
