//! `list`: the scenarios, for people and for programs.

use serde_json::Value;

use super::{both, pens_conform, scenario_ids};

#[test]
fn the_text_lists_every_scenario_with_its_requirements() {
    let output = pens_conform().arg("list").output().expect("runs");
    assert_eq!(output.status.code(), Some(0), "{}", both(&output));
    let stdout = String::from_utf8_lossy(&output.stdout);
    let ids = scenario_ids();
    let listed: Vec<&str> =
        stdout.lines().filter(|l| !l.starts_with(' ')).filter_map(|l| l.split_whitespace().next()).collect();
    // Every scenario heads one line (in file order), then the count.
    let (count, listed) = listed.split_last().expect("lines");
    let mut listed = listed.to_vec();
    listed.sort_unstable();
    assert_eq!(listed, ids, "{stdout}");
    assert_eq!(*count, ids.len().to_string(), "{stdout}");
    assert_eq!(stdout.lines().last(), Some(format!("{} scenarios", ids.len()).as_str()));
    assert_eq!(stdout.matches("requirements: ").count(), ids.len(), "{stdout}");
}

#[test]
fn the_json_is_versioned_with_id_title_and_requirements() {
    let output = pens_conform().args(["list", "--format", "json"]).output().expect("runs");
    assert_eq!(output.status.code(), Some(0), "{}", both(&output));
    let json: Value = serde_json::from_slice(&output.stdout).expect("JSON");
    assert_eq!(json["format_version"], 1, "--format json promises a format_version");
    let entries = json["scenarios"].as_array().expect("an array of scenarios");
    let mut ids: Vec<&str> = entries.iter().map(|e| e["id"].as_str().expect("id")).collect();
    ids.sort_unstable();
    assert_eq!(ids, scenario_ids());
    for entry in entries {
        let id = &entry["id"];
        assert!(entry["title"].as_str().is_some_and(|t| !t.is_empty()), "{id}: title");
        let requirements = entry["requirements"].as_array().expect("requirements");
        assert!(!requirements.is_empty(), "{id}: no requirement");
        for requirement in requirements {
            let requirement = requirement.as_str().expect("requirement id");
            assert!(pens_proto::CATALOGUE.iter().any(|r| r.id == requirement), "{id}: {requirement} not catalogued");
        }
        assert_eq!(entry["file"], format!("scenarios/target/{}.toml", id.as_str().expect("id")));
    }
}

/// `pens-conform list | head` closes the pipe early; a command-line tool then stops
/// quietly instead of panicking on "failed printing to stdout: Broken pipe" (exit 101),
/// as `println!` once made it. The read end is closed before the child starts, so every
/// write fails: deterministic.
#[test]
fn a_closed_standard_output_is_not_a_panic() {
    let (reader, writer) = std::io::pipe().expect("pipe");
    drop(reader);
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_pens-conform"))
        .arg("list")
        .current_dir(super::workspace_root())
        .env_remove("RUST_LOG")
        .env_remove("RUST_BACKTRACE")
        .stdout(writer)
        .stderr(std::process::Stdio::piped())
        .output()
        .expect("runs");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_ne!(output.status.code(), Some(101), "{stderr}");
}
