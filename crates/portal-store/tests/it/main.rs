//! portal-store's integration tests: one binary. Each test gets a fresh database: a new SQLite
//! file, or a new PostgreSQL database when `PORTAL_TEST_POSTGRES_URL` is set.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

mod conformance;
mod crash;
mod differential;
mod instants;
mod outbox;
mod race;
mod schema;
mod sessions;
mod support;
