//! The README's two set-up commands share their dependency builds: `cargo run -p
//! pens-conform` (the self-test) builds every dependency with the features that
//! `cargo test --workspace` needs of it, so the tests build only what they add.
//!
//! Cargo resolves features per command: a crate that a test dependency asks more of
//! (tokio's `test-util`, wiremock's `hyper/full`, jsonschema's
//! `serde_json/float_roundtrip`, …) is otherwise built twice, and with it every crate
//! above it, which was most of the second command's build (BENCHMARKS.md, "Set-up
//! time"). pens-conform's manifest therefore asks for those features itself; this test
//! fails when a change to the tests' dependencies asks for one it does not.

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;

/// Each package of the graph with the features Cargo enables on it: `name vX.Y.Z
/// feature,feature`. Proc macros and build scripts are left out: they run on the host
/// and are few and small.
fn packages_with_features(selection: &[&str], edges: &str) -> BTreeSet<String> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let output = Command::new(cargo)
        .current_dir(root)
        .args(["tree", "--locked", "--offline", "--prefix", "none", "--format", "{p} {f}", "--edges", edges])
        .args(selection)
        .output()
        .expect("cargo tree runs");
    assert!(output.status.success(), "cargo tree failed: {}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(|line| line.trim_end_matches(" (*)").to_owned())
        // Our own crates are built for the tests with the test profile anyway.
        .filter(|line| !line.starts_with("pens-"))
        .collect()
}

#[test]
fn the_self_test_builds_every_dependency_as_the_tests_need_it() {
    let run = packages_with_features(&["--package", "pens-conform"], "normal,no-proc-macro");
    let test = packages_with_features(&["--workspace"], "normal,dev,no-proc-macro");
    let built_twice: Vec<&String> = run.difference(&test).collect();
    assert!(
        built_twice.is_empty(),
        "the tests build these dependencies with other features than `cargo run -p pens-conform` \
         does, so the README's set-up builds them twice; add the features the tests enable \
         to crates/pens-conform/Cargo.toml's build-sharing block:\n{built_twice:#?}"
    );
}
