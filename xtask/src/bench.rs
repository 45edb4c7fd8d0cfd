//! `cargo xtask bench`: the measured figures of `docs/performance.md`.

use anyhow::{Result, bail};

use crate::run;

/// Runs the benchmarks; `--quick` takes fewer samples (for a smoke run).
pub(crate) struct Bench {
    quick: bool,
}

impl Bench {
    pub(crate) fn parse(args: &[String]) -> Result<Self> {
        let mut quick = false;
        for arg in args {
            match arg.as_str() {
                "--quick" => quick = true,
                other => bail!("unknown bench flag {other:?}"),
            }
        }
        Ok(Self { quick })
    }

    pub(crate) fn run(self) -> Result<()> {
        // Domain hot paths: a permission check and notice routing at 1,000 members and 1,000 contacts.
        // Targets: check < 20 ns, routing < 200 µs.
        let mut args = vec!["bench", "-p", "portal-domain", "--bench", "domain"];
        if self.quick {
            args.extend(["--", "--sample-count", "20"]);
        }
        run("cargo", &args)
    }
}
