//! `load`: publish cycles against `serve target` as a separate process, the table a
//! user reads, the JSON, and the exit codes of what cannot run.

use std::time::Duration;

use serde_json::Value;

use super::{ServedTarget, TempDir, both, closed_port, pens_conform, workspace_root};

/// The `load --json` schema the repository ships.
fn load_report_schema() -> jsonschema::Validator {
    let path = workspace_root().join("schemas/load-report.schema.json");
    let schema: Value = serde_json::from_str(&std::fs::read_to_string(path).expect("the schema")).expect("JSON");
    jsonschema::validator_for(&schema).expect("a valid schema")
}

/// Reads a `--json` file and checks it against the schema.
fn read_report(path: &std::path::Path) -> Value {
    let report: Value = serde_json::from_str(&std::fs::read_to_string(path).expect("--json written")).expect("JSON");
    let validator = load_report_schema();
    let errors: Vec<String> = validator.iter_errors(&report).map(|e| format!("{e} at {}", e.instance_path())).collect();
    assert!(errors.is_empty(), "{errors:#?}");
    report
}

/// The table with what varies from run to run blanked: ports, timings, rates.
fn stable(stdout: &str) -> String {
    let mut lines = Vec::new();
    for line in stdout.lines() {
        // Progress lines come at every tenth the run passes between two reports: how
        // many depends on the machine's speed.
        if line.contains(" cycles · ") {
            continue;
        }
        let line = match line.split_once("127.0.0.1:") {
            Some((head, tail)) => {
                let rest = tail.trim_start_matches(|c: char| c.is_ascii_digit());
                format!("{head}127.0.0.1:PORT{rest}")
            }
            None => line.to_owned(),
        };
        let timed = ["wall time", "throughput", "ack ", "fetch start", "receipt  "];
        let line = match timed.iter().find(|label| line.starts_with(*label)) {
            Some(label) if label.ends_with(' ') || *label == "fetch start" => {
                // Latency rows: keep the label and the sample count.
                let samples = line.split_whitespace().last().unwrap_or_default();
                format!("{:<14}[timings] {samples}", label.trim_end())
            }
            Some(label) => format!("{label:<22}[redacted]"),
            None => line,
        };
        lines.push(line);
    }
    lines.join("\n")
}

#[test]
fn two_hundred_publishes_against_serve_target_complete_with_exit_0() {
    let served = ServedTarget::start();
    let dir = TempDir::new("load");
    let json = dir.path().join("load.json");
    let output = pens_conform()
        .args(["load", "--url", &served.url, "--publishes", "200", "--concurrency", "16", "--grace", "0.2"])
        .arg("--json")
        .arg(&json)
        .output()
        .expect("runs");
    let text = both(&output);
    assert_eq!(output.status.code(), Some(0), "{text}");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let last_progress = stdout.lines().rfind(|l| l.contains(" cycles · ")).unwrap_or_default();
    assert!(last_progress.starts_with("100% 200/200 cycles"), "{text}");
    insta::assert_snapshot!(stable(&stdout));

    let report = read_report(&json);
    assert_eq!(report["format_version"], 1);
    assert_eq!(report["package"], "scorm12-minimal.zip");
    assert!(report["package_bytes"].as_u64().is_some_and(|bytes| bytes > 0), "{report}");
    assert_eq!(report["publishes"], 200);
    assert_eq!(report["completed"], 200);
    assert_eq!(report["lost"], 0);
    assert_eq!(report["duplicated"], 0);
    for stage in ["ack", "fetch_start", "receipt"] {
        assert_eq!(report["latency"][stage]["samples"], 200, "{stage}: {report}");
    }
}

/// `--format json` makes standard output the load report alone, the document
/// `--report-dir DIR` writes as `DIR/load.json` (the header and progress go to standard
/// error), as `merge --format json` and the reports of `target` do.
#[test]
fn format_json_prints_the_report_that_report_dir_writes_as_load_json() {
    let served = ServedTarget::start();
    let dir = TempDir::new("load-format");
    let reports = dir.path().join("reports");
    let output = pens_conform()
        .args(["load", "--url", &served.url, "--publishes", "20", "--concurrency", "4", "--grace", "0"])
        .args(["--format", "json", "--report-dir"])
        .arg(&reports)
        .output()
        .expect("runs");
    let text = both(&output);
    assert_eq!(output.status.code(), Some(0), "{text}");
    let printed: Value = serde_json::from_slice(&output.stdout).expect("standard output is one JSON document");
    let written = read_report(&reports.join("load.json"));
    assert_eq!(printed, written, "{text}");
    assert_eq!((&written["publishes"], &written["completed"]), (&Value::from(20), &Value::from(20)));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("pens-conform load · ") && stderr.contains("collector "), "{text}");

    // A report folder that cannot be made is a usage error before anything runs.
    let file = dir.write("a-file", "");
    let output = pens_conform()
        .args(["load", "--url", &served.url, "--publishes", "1", "--report-dir"])
        .arg(file.join("reports"))
        .output()
        .expect("runs");
    let text = both(&output);
    assert_eq!(output.status.code(), Some(2), "{text}");
    assert!(text.contains("cannot create the report folder"), "{text}");
    assert!(!text.contains("collector "), "the servers started: {text}");
}

/// `--size`: every cycle stages the package grown to exactly that size; the table and
/// the JSON say so.
#[test]
fn a_package_grown_with_size_is_served_whole_in_every_cycle() {
    let served = ServedTarget::start();
    let dir = TempDir::new("load-size");
    let json = dir.path().join("load.json");
    let output = pens_conform()
        .args(["load", "--url", &served.url, "--publishes", "10", "--concurrency", "4", "--grace", "0"])
        .args(["--package", "scorm12-minimal.zip", "--size", "2MiB", "--json"])
        .arg(&json)
        .output()
        .expect("runs");
    let text = both(&output);
    assert_eq!(output.status.code(), Some(0), "{text}");
    assert!(text.contains("package               scorm12-minimal.zip, 2.0 MiB (2097152 bytes)"), "{text}");
    assert!(text.contains(" MiB/s served"), "{text}");
    let report = read_report(&json);
    assert_eq!((&report["package_bytes"], &report["completed"]), (&Value::from(2_097_152), &Value::from(10)));
}

/// A size smaller than the package's own entries, or beyond a plain zip, and a package
/// that is not there are usage errors that name what was asked for; nothing runs.
#[test]
fn a_size_or_package_that_cannot_be_staged_is_a_usage_error() {
    for (args, messages) in [
        (&["--size", "1B"][..], &["size of 1 bytes", "scorm12-minimal.zip"][..]),
        (&["--size", "4GiB"][..], &["size of 4294967296 bytes", "plain zip"][..]),
        (&["--package", "no-such-course.zip"][..], &["no-such-course.zip"][..]),
        (&["--size", "big"][..], &["not a size"][..]),
    ] {
        let output = pens_conform()
            .args(["load", "--url", "http://127.0.0.1:9/pens", "--publishes", "1", "--grace", "0"])
            .args(args)
            .output()
            .expect("runs");
        let text = both(&output);
        assert_eq!(output.status.code(), Some(2), "{args:?}: {text}");
        for message in messages {
            assert!(text.contains(message), "{args:?}: {message}: {text}");
        }
        assert!(!text.contains("staging "), "{args:?}: the servers started: {text}");
    }
}

#[test]
fn a_target_that_keeps_its_receipts_loses_them_with_exit_1() {
    let served = ServedTarget::start_with(&["--defect", "no-receipt"]);
    let output = pens_conform()
        .args(["load", "--url", &served.url, "--publishes", "8", "--concurrency", "8"])
        .args(["--receipt-timeout", "0.3", "--grace", "0"])
        .output()
        .expect("runs");
    let text = both(&output);
    assert_eq!(output.status.code(), Some(1), "{text}");
    assert!(text.contains("lost receipts                8"), "{text}");
}

#[test]
fn options_that_cannot_run_are_usage_errors_and_an_absent_target_is_exit_3() {
    for (args, message) in [
        (&["--publishes", "0"][..], "invalid value '0' for '--publishes <N>': must be at least 1"),
        (&["--concurrency", "0"][..], "invalid value '0' for '--concurrency <N>'"),
        (&["--concurrency", "1000000000000"][..], "give 1 to 65536"),
        (&["--receipt-timeout", "soon"][..], "`soon` is not a duration: give seconds"),
    ] {
        let output =
            pens_conform().args(["load", "--url", "http://127.0.0.1:9/pens"]).args(args).output().expect("runs");
        let text = both(&output);
        assert_eq!(output.status.code(), Some(2), "{args:?}: {text}");
        assert!(text.contains(message), "{args:?}: {text}");
    }
    // A concurrency in range that the open-file limit cannot hold (65 536 cycles need
    // about 196 672 descriptors), under a limit of 4096 whatever the machine's.
    let output = std::process::Command::new("prlimit")
        .arg("--nofile=4096:4096")
        .arg("--")
        .arg(env!("CARGO_BIN_EXE_pens-conform"))
        .args(["load", "--url", "http://127.0.0.1:9/pens", "--concurrency", "65536"])
        .current_dir(super::workspace_root())
        .output()
        .expect("runs under prlimit (util-linux)");
    let text = both(&output);
    assert_eq!(output.status.code(), Some(2), "{text}");
    assert!(text.contains("open files"), "{text}");
    let output = pens_conform().arg("load").output().expect("runs");
    assert_eq!(output.status.code(), Some(2), "{}", both(&output));
    assert!(both(&output).contains("no target URL"), "{}", both(&output));

    let url = format!("http://127.0.0.1:{}/pens", closed_port());
    let output = pens_conform()
        .args(["load", "--url", &url, "--publishes", "4", "--concurrency", "2", "--grace", "0"])
        .output()
        .expect("runs");
    let text = both(&output);
    assert_eq!(output.status.code(), Some(3), "{text}");
    assert!(text.contains("no collect was answered"), "{text}");
    assert!(text.contains("answers               no answer: 4"), "{text}");
}

/// Ctrl-C ends a load at once with exit 3 and no table: a cut-short load has no figures
/// to trust.
#[test]
fn ctrl_c_ends_a_load_with_exit_3_and_no_table() {
    let served = ServedTarget::start();
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_pens-conform"))
        .current_dir(super::workspace_root())
        .args(["load", "--url", &served.url, "--publishes", "100000000", "--concurrency", "4"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("starts");
    let lines = super::stdout_lines(&mut child);
    // The cycles are running once the header names the collector.
    super::lines_until(&lines, "collector ");
    let (output, stopped_in) = super::interrupt(child);
    assert!(stopped_in < Duration::from_secs(10), "took {stopped_in:?} to stop");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(3), "stderr: {stderr}");
    assert!(stderr.contains("interrupted"), "{stderr}");
    // Everything it printed: the reader ends at the closed pipe.
    let rest: Vec<String> = std::iter::from_fn(|| lines.recv_timeout(Duration::from_secs(5)).ok()).collect();
    assert!(!rest.iter().any(|l| l.starts_with("completed")), "a table after Ctrl-C: {rest:?}");
}
