//! `cargo xtask openapi`: keeps `docs/openapi.yaml` equal to the document the server serves.

use anyhow::{Result, bail};

use crate::project_root;

/// Writes the document, or with `--check` fails if the committed copy differs.
pub(crate) struct OpenApi {
    check: bool,
}

impl OpenApi {
    pub(crate) fn parse(args: &[String]) -> Result<Self> {
        match args {
            [] => Ok(Self { check: false }),
            [flag] if flag == "--check" => Ok(Self { check: true }),
            other => bail!("unknown openapi flags {other:?}"),
        }
    }

    pub(crate) fn run(self) -> Result<()> {
        let path = project_root().join("docs").join("openapi.yaml");
        let current = document();
        if self.check {
            let committed = std::fs::read_to_string(&path).unwrap_or_default();
            if committed != current {
                bail!("{} is stale: run `cargo xtask openapi`", path.display());
            }
            eprintln!("{} is current", path.display());
        } else {
            std::fs::write(&path, current)?;
            eprintln!("wrote {}", path.display());
        }
        Ok(())
    }
}

/// The document as the server serves it, from a portal on the in-memory store (the document
/// depends on the operations' types only; a portal is what the API groups are built with).
pub(crate) fn document() -> String {
    let portal = portal_testkit::memory::memory_portal(chrono::DateTime::<chrono::Utc>::UNIX_EPOCH).0;
    let ready = std::sync::Arc::new(portal_http::AlwaysReady);
    portal_http::openapi(std::sync::Arc::new(portal), ready, std::sync::Arc::from([])).spec_yaml()
}
