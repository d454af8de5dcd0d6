//! `observe`: its usage errors are exit 2 before anything listens, and a run that saw no
//! publish is incomplete (exit 3) with a report that says why, never a pass.

use super::{TempDir, both, pens_conform};

#[test]
fn observe_without_a_target_or_with_zero_publishes_is_exit_2() {
    let dir = TempDir::new("observe-usage");
    let reports = dir.path().join("reports");
    let cases: [(&[&str], &str); 3] = [
        (&["observe"], "no target URL: give --target URL"),
        (&["observe", "--target", "ftp://lms.test/pens"], "`ftp://lms.test/pens`"),
        (&["observe", "--target", "http://127.0.0.1:9/pens", "--publishes", "0"], "--publishes"),
    ];
    for (args, expected) in cases {
        let output = pens_conform().args(args).arg("--report-dir").arg(&reports).output().expect("runs");
        assert_eq!(output.status.code(), Some(2), "{args:?}: {}", both(&output));
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains(expected), "{args:?}: `{expected}` not in {stderr}");
        assert!(!reports.exists(), "{args:?}: a report folder was made");
    }
}

#[test]
fn an_observe_run_that_saw_no_publish_prints_where_to_publish_and_is_incomplete() {
    let dir = TempDir::new("observe-nothing");
    let reports = dir.path().join("reports");
    let output = pens_conform()
        .args(["observe", "--target", "http://127.0.0.1:9/pens", "--duration", "1s", "--report-dir"])
        .arg(&reports)
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(3), "{}", both(&output));
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.contains("publish to http://127.0.0.1:"), "{stdout}");
    let report: serde_json::Value =
        serde_json::from_slice(&std::fs::read(reports.join("report.json")).expect("report.json")).expect("json");
    assert_eq!(report["mode"], "observe");
    assert_eq!(report["scenarios"].as_array().map(Vec::len), Some(0));
    assert!(report["aborted"].as_str().is_some_and(|a| a.contains("no publish arrived")), "{report}");
    assert!(report.get("scenario_digest").is_none(), "{report}");
}

#[test]
fn ctrl_c_ends_an_observe_run_with_an_aborted_report_and_exit_3() {
    let dir = TempDir::new("observe-interrupted");
    let reports = dir.path().join("reports");
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_pens-conform"))
        .current_dir(super::workspace_root())
        .args(["observe", "--target", "http://127.0.0.1:9/pens", "--report-dir"])
        .arg(&reports)
        .env_remove("RUST_LOG")
        .env_remove("GITHUB_STEP_SUMMARY")
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("starts");
    let lines = super::stdout_lines(&mut child);
    super::lines_until(&lines, "publish to ");
    let (output, _) = super::stop_with(child, "INT");
    assert_eq!(output.status.code(), Some(3), "{output:?}");
    let report: serde_json::Value =
        serde_json::from_slice(&std::fs::read(reports.join("report.json")).expect("report.json")).expect("json");
    let aborted = report["aborted"].as_str().unwrap_or_default();
    assert!(aborted.starts_with("interrupted (Ctrl-C) after 0 publishes had been judged"), "{report}");
}
