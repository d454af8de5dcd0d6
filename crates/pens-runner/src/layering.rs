//! The engine's place in the layers: it plays the harness's own parties (pens-parties)
//! and never compiles the reference implementations in (pens-reference): they are
//! stand-ins for an implementation under test, and a check that passed only because
//! the engine shared code with them would prove nothing. Its tests may use them
//! (`[dev-dependencies]`); its library may not.

use std::collections::BTreeSet;

/// The crates a `[dependencies]`-like table of a manifest names (a renamed one by its
/// `package`).
fn crates_named(manifest: &toml::Table, table: &str) -> BTreeSet<String> {
    let Some(toml::Value::Table(dependencies)) = manifest.get(table) else { return BTreeSet::new() };
    dependencies
        .iter()
        .map(|(name, spec)| match spec.get("package").and_then(toml::Value::as_str) {
            Some(package) => package.to_owned(),
            None => name.clone(),
        })
        .collect()
}

fn forbidden_in_dependencies(manifest: &str) -> Vec<String> {
    let manifest: toml::Table = toml::from_str(manifest).expect("the manifest is TOML");
    let mut named = crates_named(&manifest, "dependencies");
    named.append(&mut crates_named(&manifest, "build-dependencies"));
    named.into_iter().filter(|name| name == "pens-reference").collect()
}

#[test]
fn the_engine_never_depends_on_the_reference_implementations() {
    let manifest = include_str!("../Cargo.toml");
    assert_eq!(forbidden_in_dependencies(manifest), Vec::<String>::new(), "pens-runner's [dependencies]");
}

#[test]
fn the_check_sees_a_reference_dependency_however_it_is_written() {
    for manifest in [
        "[dependencies]\npens-reference.workspace = true\n",
        "[dependencies]\nreference = { package = \"pens-reference\", path = \"../pens-reference\" }\n",
        "[build-dependencies]\npens-reference = { path = \"../pens-reference\" }\n",
    ] {
        assert_eq!(forbidden_in_dependencies(manifest), ["pens-reference"], "{manifest}");
    }
    let dev_only =
        "[dependencies]\npens-parties.workspace = true\n[dev-dependencies]\npens-reference.workspace = true\n";
    assert!(forbidden_in_dependencies(dev_only).is_empty());
}

/// The library lines (`src/**/*.rs`) of each crate of the workspace, by crate folder.
fn library_lines() -> Vec<(String, usize)> {
    fn lines_under(dir: &std::path::Path) -> usize {
        let Ok(entries) = std::fs::read_dir(dir) else { return 0 };
        entries
            .flatten()
            .map(|entry| {
                let path = entry.path();
                if path.is_dir() {
                    lines_under(&path)
                } else if path.extension().is_some_and(|e| e == "rs") {
                    std::fs::read_to_string(&path).map_or(0, |text| text.lines().count())
                } else {
                    0
                }
            })
            .sum()
    }
    let crates = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut counts: Vec<(String, usize)> = std::fs::read_dir(&crates)
        .expect("the workspace's crates folder")
        .flatten()
        .filter(|entry| entry.path().join("Cargo.toml").is_file())
        .map(|entry| (entry.file_name().to_string_lossy().into_owned(), lines_under(&entry.path().join("src"))))
        .collect();
    counts.sort();
    counts
}

/// No crate does more than its share (issue 17): one holding over a quarter of the
/// library code is doing several jobs (pens-mock held a third, for three), and is the
/// one to split next.
#[test]
fn no_crate_holds_more_than_a_quarter_of_the_library_code() {
    let counts = library_lines();
    assert!(counts.len() >= 8, "every crate counted: {counts:?}");
    let total: usize = counts.iter().map(|(_, lines)| lines).sum();
    let over: Vec<_> = counts.iter().filter(|(_, lines)| lines * 4 > total).collect();
    assert!(over.is_empty(), "over a quarter of {total} library lines: {over:?} (all: {counts:?})");
}
