//! `diff`: two report.json files written by the test from the report model, compared
//! as a CI script would, with the exit code as the verdict.

use pens_report::{FORMAT_VERSION, Harness, RunReport, ScenarioResult, Summary, TargetInfo, Verdict};

use super::{TempDir, both, pens_conform};

fn report(mode: &str, scenarios: &[(&str, Verdict)]) -> RunReport {
    let scenarios: Vec<ScenarioResult> =
        scenarios.iter().map(|(id, verdict)| ScenarioResult::new(*id, "title", "f.toml", *verdict)).collect();
    RunReport {
        format_version: FORMAT_VERSION,
        harness: Harness { name: "pens-conform".into(), version: "0.1.0".into() },
        mode: mode.into(),
        started_at: "2026-06-01T00:00:00Z".into(),
        duration_ms: 1,
        target: TargetInfo {
            url: "http://127.0.0.1:1/pens".into(),
            name: None,
            claims: pens_proto::TargetCapabilities::default(),
            observed: Vec::new(),
        },
        summary: Summary::of(&scenarios),
        aborted: None,
        baseline: None,
        scenario_digest: None,
        scenario_set: None,
        harness_notes: Vec::new(),
        partition: None,
        merged_from: None,
        scenarios,
    }
}

fn write(dir: &TempDir, name: &str, report: &RunReport) -> std::path::PathBuf {
    dir.write(name, &serde_json::to_string_pretty(report).expect("serialises"))
}

#[test]
fn no_regression_exits_0_and_a_regression_exits_1() {
    let dir = TempDir::new("diff");
    let old = write(&dir, "old.json", &report("target", &[("a", Verdict::Warn), ("b", Verdict::Pass)]));
    let better = write(&dir, "better.json", &report("target", &[("a", Verdict::Pass), ("b", Verdict::Pass)]));
    let worse = write(
        &dir,
        "worse.json",
        &report("target", &[("a", Verdict::Warn), ("b", Verdict::Fail), ("c", Verdict::Pass)]),
    );

    let output = pens_conform().arg("diff").arg(&old).arg(&better).output().expect("runs");
    assert_eq!(output.status.code(), Some(0), "{}", both(&output));
    let stdout = String::from_utf8_lossy(&output.stdout);
    insta::assert_snapshot!("diff_improved_text", stdout);

    let output = pens_conform().arg("diff").arg(&old).arg(&worse).output().expect("runs");
    assert_eq!(output.status.code(), Some(1), "{}", both(&output));
    let stdout = String::from_utf8_lossy(&output.stdout);
    insta::assert_snapshot!("diff_regressed_text", stdout);

    let output = pens_conform().arg("diff").arg(&old).arg(&worse).args(["--format", "json"]).output().expect("runs");
    assert_eq!(output.status.code(), Some(1), "{}", both(&output));
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).expect("JSON output");
    insta::assert_json_snapshot!("diff_regressed_json", json);
}

#[test]
fn unreadable_files_non_reports_and_mixed_modes_exit_2_naming_the_file() {
    let dir = TempDir::new("diff-bad");
    let good = write(&dir, "good.json", &report("target", &[("a", Verdict::Pass)]));
    let client = write(&dir, "client.json", &report("client", &[("a", Verdict::Pass)]));
    let not_json = dir.write("broken.json", "{\n  \"format_version\": 1,\n  oops\n}\n");
    let not_report = dir.write("other.json", "{\"name\": \"something else\"}");
    let missing = dir.path().join("missing.json");

    let cases = [
        (missing.clone(), good.clone(), format!("cannot read {}", missing.display())),
        (good.clone(), not_json.clone(), format!("{}:3:3: not a pens-conform report: ", not_json.display())),
        (not_report.clone(), good.clone(), format!("{}:1:26: not a pens-conform report: ", not_report.display())),
        (good.clone(), client.clone(), "is a client run; compare runs of the same mode".to_owned()),
    ];
    for (old, new, expected) in cases {
        let output = pens_conform().arg("diff").arg(&old).arg(&new).output().expect("runs");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{}", both(&output));
        assert!(stderr.contains(&expected), "expected {expected:?} in\n{}", both(&output));
        assert!(output.stdout.is_empty(), "{}", both(&output));
    }
}

/// A regressed scenario names the check whose verdict moved, with its new and old
/// messages, in text and in JSON: what a vendor needs to see why `pass -> fail`.
#[test]
fn a_regression_names_the_check_that_moved_and_its_messages() {
    use pens_report::CheckResult;
    let dir = TempDir::new("diff-checks");
    let mut old = report("target", &[("collect-post-valid", Verdict::Pass)]);
    old.scenarios[0].checks = vec![
        CheckResult::new(Verdict::Pass, &pens_proto::req::TARGET_ACCEPTS_POST, "answered error=0"),
        CheckResult::new(Verdict::Pass, &pens_proto::req::RESPONSE_CRLF, "every line ends with CRLF"),
    ];
    let mut new = report("target", &[("collect-post-valid", Verdict::Fail)]);
    new.scenarios[0].checks = vec![
        CheckResult::new(Verdict::Pass, &pens_proto::req::TARGET_ACCEPTS_POST, "answered error=0"),
        CheckResult::new(Verdict::Fail, &pens_proto::req::RESPONSE_CRLF, "line 1 ends with LF only"),
    ];
    let old = write(&dir, "old.json", &old);
    let new = write(&dir, "new.json", &new);

    let output = pens_conform().arg("diff").arg(&old).arg(&new).output().expect("runs");
    assert_eq!(output.status.code(), Some(1), "{}", both(&output));
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.contains("response.line-ending.crlf (CMI010 §6.3, App. A table A-2): pass -> fail"), "{stdout}");
    assert!(stdout.contains("now: line 1 ends with LF only") && stdout.contains("was: every line ends with CRLF"));
    assert!(!stdout.contains("target.collect.post"), "an unmoved check is listed: {stdout}");
    insta::assert_snapshot!("diff_checks_text", stdout);

    let output = pens_conform().arg("diff").arg(&old).arg(&new).args(["--format", "json"]).output().expect("runs");
    assert_eq!(output.status.code(), Some(1), "{}", both(&output));
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).expect("JSON output");
    let check = &json["changes"][0]["checks"][0];
    assert_eq!(check["requirement"], "response.line-ending.crlf");
    assert_eq!((check["old"].as_str(), check["new"].as_str()), (Some("pass"), Some("fail")));
    assert_eq!(check["message"], "line 1 ends with LF only");
    assert_eq!(check["old_message"], "every line ends with CRLF");
    assert_eq!(json["changes"][0]["checks"].as_array().map(Vec::len), Some(1));
    insta::assert_json_snapshot!("diff_checks_json", json);
}

/// A last good run written by a pens-conform of report format 1 (whose exchanges held a
/// display form) still compares with a run of today's format: verdicts and checks mean
/// the same. `merge`, which writes a report from the ones it reads, takes only the
/// current format.
#[test]
fn a_format_1_report_is_compared_but_not_merged() {
    let dir = TempDir::new("diff-v1");
    let mut old = report("target", &[("a", Verdict::Pass)]);
    old.format_version = 1;
    let old = write(&dir, "old.json", &old);
    let new = write(&dir, "new.json", &report("target", &[("a", Verdict::Pass)]));
    let output = pens_conform().arg("diff").arg(&old).arg(&new).output().expect("runs");
    assert_eq!(output.status.code(), Some(0), "{}", both(&output));

    let output = pens_conform().arg("merge").arg(&old).output().expect("runs");
    assert_eq!(output.status.code(), Some(2), "{}", both(&output));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains(&format!("format_version 1 is not one this command reads ({FORMAT_VERSION})")), "{stderr}");
}
