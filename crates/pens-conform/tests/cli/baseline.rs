//! `--baseline`: expected failures keep the exit status 0 but stay reported, an expected
//! failure that passes fails the run unless `--allow-improvements`, and a malformed or
//! expired baseline is refused (exit 2) before anything runs.

use serde_json::Value;

use super::{TempDir, both, pens_conform};

const DEFECT_RUN: [&str; 5] = ["selftest", "--defect", "lowest-error-code", "--only", "several-errors-highest-code"];
const CLEAN_RUN: [&str; 3] = ["selftest", "--only", "several-errors-highest-code"];

/// The baseline most tests use: the scenario the `lowest-error-code` defect fails, plus
/// one entry for a scenario `--only` filters out.
const BASELINE: &str = r#"
[[expected-failure]]
scenario = "several-errors-highest-code"
reason = "LMS-1234: we answer the first error we find"
issue = "https://tracker.example/LMS-1234"
expires = 2999-12-31

[[expected-failure]]
scenario = "missing-package-url"
reason = "LMS-99: filtered out by --only in these tests"
"#;

/// Runs `args` with `--report-dir DIR/reports` and the baseline text (when given), and
/// returns the output and the target report, if one was written.
fn run(dir: &TempDir, args: &[&str], baseline: Option<&str>, extra: &[&str]) -> (std::process::Output, Option<Value>) {
    let mut command = pens_conform();
    command.args(args).arg("--report-dir").arg(dir.path().join("reports"));
    if let Some(text) = baseline {
        command.arg("--baseline").arg(dir.write("baseline.toml", text));
    }
    let output = command.args(extra).output().expect("runs");
    let report = std::fs::read_to_string(dir.path().join("reports/target/report.json"))
        .ok()
        .map(|text| serde_json::from_str(&text).expect("report.json is JSON"));
    (output, report)
}

#[test]
fn without_a_baseline_the_seeded_failure_fails_the_run() {
    let dir = TempDir::new("baseline-none");
    let (output, report) = run(&dir, &DEFECT_RUN, None, &[]);
    assert_eq!(output.status.code(), Some(1), "{}", both(&output));
    let report = report.expect("report.json");
    assert!(report.get("baseline").is_none(), "{report:#}");
    assert!(report["scenarios"][0].get("expected_failure").is_none(), "{report:#}");
}

#[test]
fn an_expected_failure_keeps_exit_0_and_is_reported() {
    let dir = TempDir::new("baseline-expected");
    let (output, report) = run(&dir, &DEFECT_RUN, Some(BASELINE), &[]);
    assert_eq!(output.status.code(), Some(0), "{}", both(&output));
    let baseline_path = dir.path().join("baseline.toml").display().to_string();
    let stdout = String::from_utf8_lossy(&output.stdout).replace(&baseline_path, "[baseline]");

    // The failure block and the baseline block of the target suite's console report.
    let block: Vec<&str> = stdout
        .lines()
        .skip_while(|l| !l.starts_with("FAIL (expected: "))
        .take_while(|l| !l.starts_with("1 scenario: "))
        .collect();
    let block = block.join("\n");
    assert!(block.contains("several-errors-highest-code"), "{stdout}");
    insta::assert_snapshot!(block);

    let mut report = report.expect("report.json");
    assert_eq!(report["summary"]["fail"], 1, "the verdict stays a fact");
    assert_eq!(report["scenarios"][0]["verdict"], "fail");
    report["baseline"]["file"] = Value::from("[baseline]");
    insta::assert_json_snapshot!(
        "expected_failure_report_json",
        serde_json::json!({
            "baseline": report["baseline"],
            "expected_failure": report["scenarios"][0]["expected_failure"],
        })
    );

    let junit = std::fs::read_to_string(dir.path().join("reports/target/junit.xml")).expect("junit.xml");
    assert!(
        junit.contains(r#"<skipped message="expected failure: LMS-1234: we answer the first error we find""#),
        "{junit}"
    );
    assert!(!junit.contains("<failure"), "{junit}");
}

#[test]
fn an_expected_failure_that_passes_is_an_improvement_and_fails_the_run() {
    let dir = TempDir::new("baseline-improved");
    let (output, report) = run(&dir, &CLEAN_RUN, Some(BASELINE), &[]);
    assert_eq!(output.status.code(), Some(1), "{}", both(&output));
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.lines().any(|l| l.trim_start().starts_with("IMPROVED several-errors-highest-code: ")), "{stdout}");
    let report = report.expect("report.json");
    assert_eq!(report["baseline"]["improvements"], serde_json::json!(["several-errors-highest-code"]));
    assert_eq!(report["baseline"]["expected_failures"], serde_json::json!([]));
    assert_eq!(report["scenarios"][0]["verdict"], "pass");
}

#[test]
fn allow_improvements_keeps_an_improvement_at_exit_0() {
    let dir = TempDir::new("baseline-allowed");
    let (output, report) = run(&dir, &CLEAN_RUN, Some(BASELINE), &["--allow-improvements"]);
    assert_eq!(output.status.code(), Some(0), "{}", both(&output));
    let report = report.expect("report.json");
    assert_eq!(report["baseline"]["improvements"], serde_json::json!(["several-errors-highest-code"]));
}

/// Every command that runs a suite refuses an expired entry before running anything.
#[test]
fn an_expired_entry_is_exit_2_naming_file_and_line_and_nothing_runs() {
    let expired =
        "[[expected-failure]]\nscenario = \"several-errors-highest-code\"\nreason = \"old\"\nexpires = 2020-01-31\n";
    for args in [&DEFECT_RUN[..], &["target", "--url", "http://127.0.0.1:9/pens"], &["client", "--trigger", "true"]] {
        let dir = TempDir::new("baseline-expired");
        let (output, _) = run(&dir, args, Some(expired), &[]);
        assert_eq!(output.status.code(), Some(2), "{args:?}: {}", both(&output));
        let stderr = String::from_utf8_lossy(&output.stderr);
        let location = format!("{}:4:11: expires: ", dir.path().join("baseline.toml").display());
        assert!(stderr.contains(&location), "{args:?}: {stderr}");
        assert!(stderr.contains("`several-errors-highest-code` expired on 2020-01-31"), "{args:?}: {stderr}");
        assert!(!dir.path().join("reports").exists(), "{args:?}: a report folder was written");
    }
}

#[test]
fn a_malformed_baseline_is_exit_2_naming_line_and_field() {
    let dir = TempDir::new("baseline-malformed");
    let text = "[[expected-failure]]\nscenario = \"several-errors-highest-code\"\nresaon = \"typo\"\n";
    let (output, _) = run(&dir, &DEFECT_RUN, Some(text), &[]);
    assert_eq!(output.status.code(), Some(2), "{}", both(&output));
    let stderr = String::from_utf8_lossy(&output.stderr);
    let location = format!("{}:3:1: resaon: ", dir.path().join("baseline.toml").display());
    assert!(stderr.contains(&location), "{stderr}");
    assert!(stderr.contains("did you mean `reason`?"), "{stderr}");
    assert!(!dir.path().join("reports").exists(), "a report folder was written");
}
