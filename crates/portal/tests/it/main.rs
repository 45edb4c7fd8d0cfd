//! End-to-end tests: the real server on port 0 with a fresh SQLite file, driven over HTTP.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

mod enumeration;
mod hardening;
mod hasher;
mod helpers;
mod mfa;
mod peers;
mod process;
mod security;
mod smtp;
mod stories;
