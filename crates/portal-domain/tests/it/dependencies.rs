//! The core stays pure: its normal dependencies are thiserror, uuid and chrono, and serde and
//! proptest only as optional features. This test fails the moment that changes.

use std::collections::BTreeMap;

const ALLOWED: &[&str] = &["thiserror", "uuid", "chrono"];
const OPTIONAL_ONLY: &[&str] = &["serde", "proptest"];

/// The `[dependencies]`-like sections of the manifest, as name -> declaration text.
fn dependency_sections(manifest: &str) -> BTreeMap<String, Vec<(String, String)>> {
    let mut sections: BTreeMap<String, Vec<(String, String)>> = BTreeMap::new();
    let mut current: Option<String> = None;
    for line in manifest.lines().map(str::trim) {
        if line.starts_with('[') {
            let name = line.trim_matches(|c| c == '[' || c == ']').to_owned();
            current = (name.ends_with("dependencies") && !name.ends_with("dev-dependencies")).then_some(name);
            continue;
        }
        if let Some(section) = &current
            && let Some((key, value)) = line.split_once('=')
            && !line.starts_with('#')
        {
            // `name.workspace = true` declares `name`.
            let name = key.trim().split('.').next().unwrap_or_default().to_owned();
            sections.entry(section.clone()).or_default().push((name, value.trim().to_owned()));
        }
    }
    sections
}

fn check(manifest: &str) -> Result<(), String> {
    let sections = dependency_sections(manifest);
    for (section, deps) in &sections {
        if section != "dependencies" {
            return Err(format!("portal-domain must not have a [{section}] section"));
        }
        for (name, decl) in deps {
            let optional = decl.contains("optional = true");
            if OPTIONAL_ONLY.contains(&name.as_str()) {
                if !optional {
                    return Err(format!("{name} must be optional (behind a feature)"));
                }
            } else if !ALLOWED.contains(&name.as_str()) {
                return Err(format!("portal-domain must not depend on {name}"));
            }
        }
    }
    Ok(())
}

#[test]
fn the_domain_depends_only_on_thiserror_uuid_and_chrono() {
    let manifest = include_str!("../../Cargo.toml");
    assert_eq!(check(manifest), Ok(()));
}

#[test]
fn the_guard_catches_a_new_dependency() {
    let with_tokio = "[dependencies]\nthiserror = \"2\"\ntokio = \"1\"\n";
    assert_eq!(check(with_tokio), Err("portal-domain must not depend on tokio".into()));
    let dotted = "[dependencies]\nsea-orm.workspace = true\n";
    assert_eq!(check(dotted), Err("portal-domain must not depend on sea-orm".into()));
    let required_serde = "[dependencies]\nserde = { workspace = true }\n";
    assert_eq!(check(required_serde), Err("serde must be optional (behind a feature)".into()));
    let target_specific = "[target.'cfg(unix)'.dependencies]\nlibc = \"0.2\"\n";
    assert!(check(target_specific).is_err());
    let dev_only = "[dev-dependencies]\ninsta = \"1\"\n";
    assert_eq!(check(dev_only), Ok(()));
}
