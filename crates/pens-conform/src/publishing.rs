//! The workspace's crates carry what crates.io asks of a published crate, so that
//! publishing, when it comes, is a decision and not a clean-up. Nothing is published
//! yet (`publish = false` in the workspace); these tests read the manifests as written.

use std::path::{Path, PathBuf};

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn manifest(path: &Path) -> toml::Table {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    toml::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Every member crate's folder and manifest.
fn members() -> Vec<(PathBuf, toml::Table)> {
    let mut members: Vec<_> = std::fs::read_dir(workspace_root().join("crates"))
        .expect("crates/")
        .flatten()
        .map(|entry| entry.path())
        .filter(|dir| dir.join("Cargo.toml").is_file())
        .map(|dir| {
            let table = manifest(&dir.join("Cargo.toml"));
            (dir, table)
        })
        .collect();
    members.sort_by(|a, b| a.0.cmp(&b.0));
    members
}

/// The value of `[package] key`, taken from `[workspace.package]` when the crate
/// writes `key.workspace = true`.
fn package_field(crate_manifest: &toml::Table, workspace_package: &toml::Table, key: &str) -> Option<toml::Value> {
    let value = crate_manifest.get("package")?.get(key)?;
    if value.get("workspace").and_then(toml::Value::as_bool) == Some(true) {
        workspace_package.get(key).cloned()
    } else {
        Some(value.clone())
    }
}

/// The categories our crates use: each is a slug crates.io knows (crates.io rejects
/// others), listed here so a typo fails this test rather than a publish.
const KNOWN_CATEGORIES: [&str; 4] =
    ["command-line-utilities", "development-tools::testing", "network-programming", "parser-implementations"];

/// crates.io's rule for a keyword: at most 20 characters, ASCII letters, digits, `-`
/// and `_`, starting with a letter; at most five of them.
fn keyword_is_valid(keyword: &str) -> bool {
    keyword.len() <= 20
        && keyword.starts_with(|c: char| c.is_ascii_alphabetic())
        && keyword.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

#[test]
fn every_crate_has_the_metadata_crates_io_shows() {
    let workspace = manifest(&workspace_root().join("Cargo.toml"));
    let workspace_package = workspace["workspace"]["package"].as_table().expect("[workspace.package]").clone();
    let members = members();
    assert!(members.len() >= 8, "the member crates: {:?}", members.iter().map(|m| &m.0).collect::<Vec<_>>());
    for (dir, crate_manifest) in members {
        let name = dir.display();
        let field = |key: &str| package_field(&crate_manifest, &workspace_package, key);
        let text = |key: &str| field(key).and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default();
        assert!(text("description").len() >= 20, "{name}: a description");
        assert_eq!(text("license"), "Apache-2.0", "{name}: the license");
        assert!(text("repository").starts_with("https://"), "{name}: a repository");
        let list = |key: &str| -> Vec<String> {
            field(key)
                .and_then(|v| v.as_array().cloned())
                .unwrap_or_default()
                .iter()
                .filter_map(|v| v.as_str().map(str::to_owned))
                .collect()
        };
        let keywords = list("keywords");
        assert!((1..=5).contains(&keywords.len()), "{name}: one to five keywords, not {keywords:?}");
        assert!(keywords.iter().all(|k| keyword_is_valid(k)), "{name}: keywords {keywords:?}");
        let categories = list("categories");
        assert!((1..=5).contains(&categories.len()), "{name}: one to five categories");
        for category in &categories {
            assert!(KNOWN_CATEGORIES.contains(&category.as_str()), "{name}: unknown category {category}");
        }
        if let Some(readme) = field("readme").and_then(|v| v.as_str().map(str::to_owned)) {
            assert!(dir.join(&readme).is_file(), "{name}: readme {readme} is missing");
        }
    }
}

/// crates.io takes a path dependency only with a version: each workspace crate that
/// another depends on says which one.
#[test]
fn workspace_path_dependencies_carry_a_version() {
    let workspace = manifest(&workspace_root().join("Cargo.toml"));
    let dependencies = workspace["workspace"]["dependencies"].as_table().expect("[workspace.dependencies]");
    let paths: Vec<_> = dependencies.iter().filter(|(_, spec)| spec.get("path").is_some()).collect();
    assert!(!paths.is_empty());
    for (name, spec) in paths {
        assert!(spec.get("version").and_then(toml::Value::as_str).is_some(), "{name}: a version beside its path");
    }
}

#[test]
fn keywords_follow_the_crates_io_rule() {
    for good in ["pens", "cmi010", "e-learning", "a_b"] {
        assert!(keyword_is_valid(good), "{good}");
    }
    for bad in ["", "1pens", "two words", "a-keyword-far-too-long", "ünï"] {
        assert!(!keyword_is_valid(bad), "{bad}");
    }
}
