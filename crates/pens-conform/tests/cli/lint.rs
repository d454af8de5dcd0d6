//! `lint`: load-checking scenario files, with rustc-style diagnostics.

use super::{TempDir, both, pens_conform, scenario_ids};

/// A misspelt key under `[expect]`; the id matches the file stem, so the key is the
/// file's only error.
const BROKEN: &str = r#"id = "broken-receipt"
title = "A misspelt section is an error, not a check that never runs"
requirements = ["target.receipt.sent"]

[expect]
recipt = { count = 1 }
"#;

#[test]
fn the_shipped_scenarios_load_cleanly() {
    // Both folders by default: target scenarios, and client scenarios in `client/`.
    let client = std::fs::read_dir(super::workspace_root().join("scenarios/client")).expect("client folder").count();
    let output = pens_conform().arg("lint").output().expect("runs");
    assert_eq!(output.status.code(), Some(0), "{}", both(&output));
    // Which sets: in a checkout, the folders on disk, as a run would load them.
    assert_eq!(
        String::from_utf8_lossy(&output.stdout),
        format!(
            "target scenarios ./scenarios/target\nclient scenarios ./scenarios/client\n\
             package fixtures ./fixtures/packages\n{} scenario(s) load cleanly, 0 error(s)\n",
            scenario_ids().len() + client
        )
    );
    assert!(output.stderr.is_empty(), "{}", both(&output));
}

/// Outside a checkout, `lint` with no paths lints the set a run there would load: the
/// built-in one (clean, exit 0), or a default folder where one exists, and says which.
#[test]
fn without_paths_outside_a_checkout_the_built_in_set_is_linted() {
    let empty = TempDir::new("lint-anywhere");
    let lint = || {
        std::process::Command::new(env!("CARGO_BIN_EXE_pens-conform"))
            .current_dir(empty.path())
            .env_remove("RUST_LOG")
            .arg("lint")
            .output()
            .expect("runs")
    };
    let client = std::fs::read_dir(super::workspace_root().join("scenarios/client")).expect("client folder").count();
    let output = lint();
    assert_eq!(output.status.code(), Some(0), "{}", both(&output));
    let built_in = format!("built-in (pens-conform {})", env!("CARGO_PKG_VERSION"));
    assert_eq!(
        String::from_utf8_lossy(&output.stdout),
        format!(
            "target scenarios {built_in}\nclient scenarios {built_in}\npackage fixtures {built_in}\n\
             {} scenario(s) load cleanly, 0 error(s)\n",
            scenario_ids().len() + client
        )
    );
    assert!(output.stderr.is_empty(), "{}", both(&output));

    // A folder of the user's own target scenarios is what a run there loads; the client
    // suite stays built in. A broken file in it is found.
    std::fs::create_dir_all(empty.path().join("scenarios/target")).expect("a folder");
    empty.write("scenarios/target/broken-receipt.toml", BROKEN);
    let output = lint();
    assert_eq!(output.status.code(), Some(2), "{}", both(&output));
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.starts_with("target scenarios ./scenarios/target\n"), "{}", both(&output));
    assert!(stdout.contains(&format!("client scenarios {built_in}\n")), "{}", both(&output));
    assert!(stdout.ends_with(&format!("{client} scenario(s) load cleanly, 1 error(s)\n")), "{}", both(&output));
    assert!(String::from_utf8_lossy(&output.stderr).contains("did you mean `receipt`?"), "{}", both(&output));
}

#[test]
fn a_misspelt_key_is_shown_like_rustc_with_a_suggestion() {
    let dir = TempDir::new("lint-broken");
    dir.write("broken-receipt.toml", BROKEN);
    let output = pens_conform().arg("lint").arg(dir.path()).output().expect("runs");
    assert_eq!(output.status.code(), Some(2), "{}", both(&output));
    assert_eq!(String::from_utf8_lossy(&output.stdout), "0 scenario(s) load cleanly, 1 error(s)\n");

    let stderr = String::from_utf8_lossy(&output.stderr);
    let location = format!("--> {}:6:1", dir.path().join("broken-receipt.toml").display());
    assert!(stderr.contains(&location), "{location} not in: {stderr}");
    assert!(stderr.contains("did you mean `receipt`?"), "{stderr}");
    insta::assert_snapshot!(stderr.replace(&dir.path().display().to_string(), "[TMP]"));
}

/// Files and folders can be mixed; every argument is counted.
#[test]
fn files_and_folders_are_counted_together() {
    let dir = TempDir::new("lint-mixed");
    let broken = dir.write("broken-receipt.toml", BROKEN);
    let output =
        pens_conform().args(["lint", "scenarios/target/collect-post-valid.toml"]).arg(&broken).output().expect("runs");
    assert_eq!(output.status.code(), Some(2), "{}", both(&output));
    assert_eq!(String::from_utf8_lossy(&output.stdout), "1 scenario(s) load cleanly, 1 error(s)\n");
}

/// Lints one broken scenario file or folder (a path relative to the workspace root):
/// exit 2, at least one `--> file:line:column` pointer at it, and the whole output
/// returned for its snapshot.
fn lint_broken(relative: &std::path::Path) -> String {
    let output = pens_conform().arg("lint").arg(relative).output().expect("runs");
    let text = both(&output);
    assert_eq!(output.status.code(), Some(2), "{}: {text}", relative.display());
    let located = text.lines().any(|line| {
        line.trim_start()
            .strip_prefix("--> ")
            .and_then(|rest| rest.strip_prefix(&*relative.to_string_lossy()))
            .is_some_and(|rest| {
                let mut parts = rest.trim_start_matches(|c| c != ':').split(':').skip(1);
                parts.next().is_some_and(|l| l.parse::<u32>().is_ok())
                    && parts.next().is_some_and(|c| c.parse::<u32>().is_ok())
            })
    });
    assert!(located, "{}: no file:line:column pointer in {text}", relative.display());
    text
}

/// Every file of pens-scenario's rejected corpus (syntax errors, unknown keys, wrong
/// types, bad templates, id mismatches, ...) is refused by `lint` with exit 2 and a
/// `--> file:line:column` pointer; the whole output is snapshot-tested here as the user
/// sees it, on top of pens-scenario's own snapshots of each diagnostic.
#[test]
fn every_rejected_target_scenario_exits_2_with_file_line_and_column() {
    let root = super::workspace_root();
    insta::glob!(root.as_path(), "crates/pens-scenario/tests/golden/rejected/*.toml", |path| {
        insta::assert_snapshot!(lint_broken(path.strip_prefix(&root).expect("under root")));
    });
}

/// The same for client scenarios: `lint` reads a file under a `client` folder as a
/// client scenario.
#[test]
fn every_rejected_client_scenario_exits_2_with_file_line_and_column() {
    let root = super::workspace_root();
    insta::glob!(root.as_path(), "crates/pens-scenario/tests/golden/client/rejected/*.toml", |path| {
        insta::assert_snapshot!(lint_broken(path.strip_prefix(&root).expect("under root")));
    });
}

/// Two files with one id, in either mode: both places are named.
#[test]
fn duplicate_ids_exit_2_naming_both_files() {
    for folder in [
        "crates/pens-scenario/tests/golden/rejected/duplicate-id",
        "crates/pens-scenario/tests/golden/client/rejected/duplicate-id",
    ] {
        let text = lint_broken(std::path::Path::new(folder));
        assert!(text.contains(&format!("{folder}/a/")) && text.contains(&format!("{folder}/b/")), "{text}");
        insta::assert_snapshot!(folder.replace('/', "__"), text);
    }
}

/// A scenario naming a package fixture that does not exist loads, but `lint` refuses it
/// as `target` does, pointing at the `package` value.
#[test]
fn a_missing_package_fixture_is_a_lint_error() {
    let text = lint_broken(std::path::Path::new("fixtures/scenarios/broken/missing-package.toml"));
    assert!(text.contains("package fixture `no-such-course.zip` not found"), "{text}");
    insta::assert_snapshot!(text);
}

/// `lint scenarios` (the parent of both mode folders) lints `target/` with the target
/// rules and `client/` with the client rules: the shipped set has no error (it had 23
/// false ones when both were read as target scenarios).
#[test]
fn the_parent_scenarios_folder_lints_each_mode_with_its_own_rules() {
    let client = super::scenario_ids_of("client").len();
    let output = pens_conform().args(["lint", "scenarios"]).output().expect("runs");
    assert_eq!(output.status.code(), Some(0), "{}", both(&output));
    assert_eq!(
        String::from_utf8_lossy(&output.stdout),
        format!("{} scenario(s) load cleanly, 0 error(s)\n", scenario_ids().len() + client)
    );
    assert!(output.stderr.is_empty(), "{}", both(&output));
}

/// A client scenario whose `[target]` table has a misspelt key (line 6).
const BROKEN_CLIENT: &str = r#"id = "broken-client"
title = "A misspelt key of the mock target is an error"
requirements = ["client.notification.response"]

[target]
receipt_eror = 1310

[expect.answers]
receipt = true
"#;

/// A client scenario that loads cleanly.
const GOOD_CLIENT: &str = r#"id = "good-client"
title = "A receipt reporting 1310 is still answered"
requirements = ["client.notification.response"]

[target]
receipt_error = 1310

[expect.answers]
receipt = true
"#;

/// In a scenario set's folder, a bad file in either mode folder is still found, named
/// by file, line and column, and each is judged by its own mode's rules (the good files
/// of both modes load).
#[test]
fn a_seeded_error_in_each_mode_folder_of_a_set_is_reported_with_file_and_line() {
    let dir = TempDir::new("lint-set");
    for mode in ["target", "client"] {
        std::fs::create_dir_all(dir.path().join(mode)).expect("mode folder");
    }
    let good_target = std::fs::read_to_string(super::workspace_root().join("scenarios/target/collect-post-valid.toml"))
        .expect("read");
    dir.write("target/collect-post-valid.toml", &good_target);
    dir.write("target/broken-receipt.toml", BROKEN);
    dir.write("client/good-client.toml", GOOD_CLIENT);
    dir.write("client/broken-client.toml", BROKEN_CLIENT);

    let output = pens_conform().arg("lint").arg(dir.path()).output().expect("runs");
    assert_eq!(output.status.code(), Some(2), "{}", both(&output));
    assert_eq!(String::from_utf8_lossy(&output.stdout), "2 scenario(s) load cleanly, 2 error(s)\n");
    let stderr = String::from_utf8_lossy(&output.stderr);
    for (file, line) in [("target/broken-receipt.toml", 6), ("client/broken-client.toml", 6)] {
        let location = format!("--> {}:{line}:", dir.path().join(file).display());
        assert!(stderr.contains(&location), "{location} not in: {stderr}");
    }
    assert!(stderr.contains("did you mean `receipt`?"), "{stderr}");
    assert!(stderr.contains("receipt_eror"), "{stderr}");
}

/// A client scenario outside any `client` folder is recognised by its content: it loads
/// as a client scenario rather than failing the target rules.
#[test]
fn a_client_scenario_outside_a_client_folder_is_read_by_its_content() {
    let dir = TempDir::new("lint-neutral");
    let good = dir.write("good-client.toml", GOOD_CLIENT);
    let output = pens_conform().arg("lint").arg(&good).output().expect("runs");
    assert_eq!(output.status.code(), Some(0), "{}", both(&output));
    assert_eq!(String::from_utf8_lossy(&output.stdout), "1 scenario(s) load cleanly, 0 error(s)\n");
}
