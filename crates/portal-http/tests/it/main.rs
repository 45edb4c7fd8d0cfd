//! portal-http's tests: the API in-process (`poem::test::TestClient`) over the in-memory store.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

mod authz;
mod bad_input;
mod document;
mod flows;
mod openapi_gen;
mod pages;
mod problems;
mod secrets;
mod security;
mod streamed;
mod support;
mod transport;
