//! `cargo xtask ci`: the Rust steps of `.ci/run`, without what `.ci/run` installs and starts
//! (PostgreSQL, the SMTP relay, schemathesis, the browser suite).

use anyhow::Result;

use crate::run;

/// Format check, lints, the whole test suite, and the embedding example.
pub(crate) struct Ci;

impl Ci {
    pub(crate) fn run(self) -> Result<()> {
        run("cargo", &["fmt", "--all", "--check"])?;
        run("cargo", &["clippy", "--workspace", "--all-targets", "--", "-D", "warnings"])?;
        run("cargo", &["test", "--workspace"])?;
        crate::openapi::OpenApi::parse(&["--check".to_owned()])?.run()?;
        run("cargo", &["run", "--quiet", "-p", "portal-domain", "--example", "invite_flow"])?;
        Ok(())
    }
}
