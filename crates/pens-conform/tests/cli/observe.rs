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
