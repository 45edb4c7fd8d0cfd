//! Development automation, run as `cargo xtask <command>` (an alias in `.cargo/config.toml`).
//!
//! Commands:
//! - `ci`: what `.ci/run` does: format check, clippy, the test suite, the example.
//! - `bench`: the benchmarks behind `docs/performance.md`.
//! - `tidy`: the repository's own style rules (also run as a `#[test]`).
//! - `openapi [--check]`: writes (or checks) `docs/openapi.yaml`.

mod bench;
mod bulk;
mod ci;
mod cpu;
mod http_bench;
mod login_bench;
mod openapi;
mod tidy;

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail};

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some((command, rest)) = args.split_first() else {
        print_help();
        bail!("no command given");
    };
    match command.as_str() {
        "ci" => ci::Ci.run(),
        "bench" => bench::Bench::parse(rest)?.run(),
        "bench-store" => bench::Bench::parse(rest)?.run_store(),
        "bench-http" => bench::Bench::parse(rest)?.run_http(),
        "tidy" => tidy::Tidy.run(),
        "openapi" => openapi::OpenApi::parse(rest)?.run(),
        "help" | "--help" | "-h" => {
            print_help();
            Ok(())
        }
        other => {
            print_help();
            bail!("unknown command {other:?}")
        }
    }
}

fn print_help() {
    eprintln!("usage: cargo xtask <ci | bench [--quick] | tidy | openapi [--check]>");
}

/// The workspace root (xtask lives one level below it).
pub(crate) fn project_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().map(Path::to_path_buf).unwrap_or_else(|| PathBuf::from("."))
}

/// Runs a command in the workspace root, failing if it fails.
pub(crate) fn run(program: &str, args: &[&str]) -> Result<()> {
    eprintln!("$ {program} {}", args.join(" "));
    let status = Command::new(program)
        .args(args)
        .current_dir(project_root())
        .status()
        .with_context(|| format!("could not start {program}"))?;
    if !status.success() {
        bail!("{program} {} failed with {status}", args.join(" "));
    }
    Ok(())
}
