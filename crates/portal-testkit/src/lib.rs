//! portal-testkit: what tests of the portal core and of its adapters share, kept out of every
//! production build.
//!
//! - [`memory`]: a complete in-memory store and deterministic doubles (clock, ids, tokens, an
//!   insecure hasher and digester), with [`memory::memory_portal`] wiring them to the use cases.
//! - [`conformance`]: the store contract as checks any storage adapter runs against its store.
//! - [`strategies`]: proptest strategies for every value, aggregate and command (the domain's,
//!   behind its `proptest` feature, re-exported here so one dependency brings everything).
#![deny(missing_docs)]

pub mod conformance;
pub mod memory;
pub use portal_domain::strategies;
