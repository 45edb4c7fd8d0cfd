//! `cargo xtask tidy`: rules of the codebase that no compiler checks (no file over 600 lines,
//! each opening with its `//!` line, no leftovers, a pure core). Also a `#[test]`, so the
//! ordinary test run enforces them.

use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{Result, bail};

use crate::project_root;

/// The repository's own style rules.
pub(crate) struct Tidy;

impl Tidy {
    pub(crate) fn run(self) -> Result<()> {
        let problems = check(&project_root());
        if problems.is_empty() {
            eprintln!("tidy: ok");
            return Ok(());
        }
        for p in &problems {
            eprintln!("tidy: {p}");
        }
        bail!("{} tidy problem(s)", problems.len())
    }
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = fs::read_dir(dir) else { return };
    for entry in entries.flatten() {
        let path = entry.path();
        let name = entry.file_name();
        if name == "target" || name.to_string_lossy().starts_with('.') {
            continue;
        }
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// Every problem found under `root`, as `path: what`.
pub(crate) fn check(root: &Path) -> Vec<String> {
    let mut files = Vec::new();
    rust_files(&root.join("crates"), &mut files);
    rust_files(&root.join("xtask"), &mut files);
    let mut problems = Vec::new();
    for file in files {
        let Ok(text) = fs::read_to_string(&file) else { continue };
        let shown = file.strip_prefix(root).unwrap_or(&file).display().to_string();
        problems.extend(check_file(&shown, &text));
    }
    problems
}

/// One file, one responsibility: past this many lines a file holds more than one.
pub(crate) const MAX_LINES: usize = 600;

fn check_file(path: &str, text: &str) -> Vec<String> {
    let mut problems = Vec::new();
    let lines = text.lines().count();
    if lines > MAX_LINES {
        problems.push(format!("{path}: {lines} lines, over {MAX_LINES}: split it by responsibility"));
    }
    // Every module says what it owns in its first line.
    let first = text.lines().find(|l| !l.trim().is_empty()).unwrap_or_default();
    if !first.starts_with("//!") {
        problems.push(format!("{path}: does not open with a `//!` line saying what it owns"));
    }
    // Tests assert the `Err`; they do not expect a panic.
    let should_panic = ["#[should", "_panic"].concat();
    let todo = ["todo", "!("].concat();
    let dbg = ["dbg", "!("].concat();
    for (i, line) in text.lines().enumerate() {
        if line.contains(&should_panic) {
            problems.push(format!("{path}:{}: asserts a panic; assert the Err instead", i + 1));
        }
        if line.contains(&todo) {
            problems.push(format!("{path}:{}: leftover todo", i + 1));
        }
        if line.contains(&dbg) {
            problems.push(format!("{path}:{}: leftover dbg", i + 1));
        }
    }
    // The domain stays pure: no clock, no randomness, no I/O outside the test doubles.
    if path.starts_with("crates/portal-domain/src") {
        for banned in ["Utc::now", "SystemTime::now", "std::fs", "std::net", "thread_rng", "std::env::var"] {
            if text.contains(banned) {
                problems.push(format!("{path}: the pure core must not use {banned}"));
            }
        }
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_tree_is_tidy() {
        let problems = check(&project_root());
        assert!(problems.is_empty(), "{}", problems.join("\n"));
    }

    #[test]
    fn tidy_catches_what_it_is_for() {
        let src = ["fn f() { ", "dbg", "!(1); }"].concat();
        assert_eq!(check_file("x.rs", &src).len(), 2, "no //! line and a dbg");
        let core = "//! core\nfn now() { chrono::Utc::now(); }\n";
        assert_eq!(check_file("crates/portal-domain/src/x.rs", core).len(), 1);
        assert!(check_file("crates/portal-store/src/x.rs", core).is_empty());
        let long = format!("//! long\n{}", "fn f() {}\n".repeat(MAX_LINES));
        assert_eq!(check_file("x.rs", &long).len(), 1, "a file over the limit");
        let at_limit = format!("//! fits\n{}", "fn f() {}\n".repeat(MAX_LINES - 1));
        assert!(check_file("x.rs", &at_limit).is_empty(), "a file at the limit");
    }
}
