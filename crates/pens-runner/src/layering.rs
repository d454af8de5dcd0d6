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
