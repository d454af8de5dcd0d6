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
    assert_eq!(
        String::from_utf8_lossy(&output.stdout),
        format!("{} scenario(s) load cleanly, 0 error(s)\n", scenario_ids().len() + client)
    );
    assert!(output.stderr.is_empty(), "{}", both(&output));
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

/// Every file of the rejected golden corpus (crates/pens-scenario/tests/golden/rejected)
/// is refused by `lint` with exit 2 and at least one `--> file:line:column` pointer. The
/// diagnostics themselves are snapshot-tested in pens-scenario.
#[test]
fn every_rejected_scenario_file_exits_2_with_file_line_and_column() {
    let root = super::workspace_root();
    let folder = root.join("crates/pens-scenario/tests/golden/rejected");
    let mut files: Vec<_> = std::fs::read_dir(&folder)
        .expect("the rejected corpus")
        .map(|entry| entry.expect("an entry").path())
        .filter(|path| path.extension().is_some_and(|e| e == "toml"))
        .collect();
    files.sort();
    assert!(files.len() >= 10, "{files:?}");
    for path in files {
        let relative = path.strip_prefix(&root).expect("under root");
        let output = super::pens_conform().arg("lint").arg(relative).output().expect("runs");
        assert_eq!(output.status.code(), Some(2), "{}: {}", relative.display(), super::both(&output));
        let text = super::both(&output);
        let pointer = format!("--> {}:", relative.display());
        let located = text.lines().any(|line| {
            line.trim_start().strip_prefix(&pointer).is_some_and(|rest| {
                let mut parts = rest.split(':');
                parts.next().is_some_and(|l| l.parse::<u32>().is_ok())
                    && parts.next().is_some_and(|c| c.parse::<u32>().is_ok())
            })
        });
        assert!(located, "{}: no file:line:column pointer in {text}", relative.display());
    }
}
