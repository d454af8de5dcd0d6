//! `client --trigger`: the client suite against a real authoring-tool process, here the
//! built-in reference client run as `serve client` for every publish.

use serde_json::Value;

use super::{TempDir, both, pens_conform};

fn trigger(extra: &str) -> String {
    format!("{} serve client --linger 500 {extra}", env!("CARGO_BIN_EXE_pens-conform"))
}

#[test]
fn a_trigger_command_publishes_and_every_client_scenario_passes() {
    let dir = TempDir::new("client-trigger");
    let output = pens_conform()
        .args(["client", "--trigger", &trigger(""), "--publish-timeout", "20", "--report-dir"])
        .arg(dir.path())
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(0), "{}", both(&output));
    let report: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("report.json")).expect("report.json"))
            .expect("JSON");
    assert_eq!(report["mode"], "client");
    assert_eq!(report["summary"]["fail"], 0, "{report:#}");
    assert!(report["summary"]["pass"].as_u64().is_some_and(|n| n > 0));
}

#[test]
fn a_defective_authoring_tool_fails_with_the_requirement_named() {
    let dir = TempDir::new("client-trigger-defect");
    let output = pens_conform()
        .args(["client", "--trigger", &trigger("--defect missing-expiry"), "--only", "collect-required-elements"])
        .args(["--publish-timeout", "20", "--report-dir"])
        .arg(dir.path())
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(1), "{}", both(&output));
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.contains("collect.package-url-expiry.present"), "{stdout}");
}

#[test]
fn a_trigger_that_never_publishes_fails_instead_of_hanging() {
    let dir = TempDir::new("client-trigger-nothing");
    let output = pens_conform()
        .args(["client", "--trigger", "true", "--only", "publish-valid", "--publish-timeout", "1", "--report-dir"])
        .arg(dir.path())
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(1), "{}", both(&output));
    assert!(String::from_utf8_lossy(&output.stdout).contains("no collect arrived"), "{}", both(&output));
}
