//! `selftest`: both suites against the built-in reference target and reference client,
//! and the report files they leave behind (`<report-dir>/target/`, `<report-dir>/client/`).

use std::collections::BTreeMap;

use quick_xml::events::{BytesStart, Event};
use serde_json::Value;

use super::{TempDir, both, pens_conform, scenario_ids};

/// A correct target passes every scenario (or is out of its scope), and the three
/// report files describe the same run.
#[test]
fn the_reference_target_passes_every_scenario_and_the_reports_are_written() {
    let dir = TempDir::new("selftest");
    let output =
        pens_conform().args(["selftest", "--jobs", "8", "--report-dir"]).arg(dir.path()).output().expect("runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(0), "{}", both(&output));
    let ids = scenario_ids();

    // Console: the preflight, one live line per scenario, the summary.
    assert!(
        stdout.lines().any(|l| l == "preflight passed: the target answers, fetches and receipts"),
        "{}",
        both(&output)
    );
    for id in &ids {
        assert!(
            stdout.lines().any(|l| l.split_whitespace().nth(1) == Some(id.as_str())),
            "no live line for {id}: {stdout}"
        );
    }
    let summary_start = format!("{} scenarios: ", ids.len());
    let summary = stdout.lines().find(|l| l.starts_with(&summary_start)).unwrap_or_else(|| panic!("{stdout}"));
    assert!(summary.contains(" 0 fail, 0 error"), "{summary}");

    // report.json
    let report: Value = serde_json::from_str(
        &std::fs::read_to_string(dir.path().join("target").join("report.json")).expect("report.json"),
    )
    .expect("report.json is JSON");
    assert_eq!(report["format_version"], pens_report::FORMAT_VERSION);
    assert_eq!(report["mode"], "target");
    let digest = report["scenario_digest"].as_str().unwrap_or_default();
    assert!(digest.len() == 64 && digest.bytes().all(|b| b.is_ascii_hexdigit()), "scenario_digest: {digest:?}");
    assert_eq!(report["summary"]["total"], ids.len());
    assert_eq!(report["summary"]["fail"], 0);
    assert!(report.get("aborted").is_none(), "{}", report["aborted"]);
    let scenarios = report["scenarios"].as_array().expect("scenarios");
    // Every transport is on by default: FTP, FTPS and mail are exercised for real, and
    // the run header says where the mail sink listens.
    let verdict_of = |id: &str| scenarios.iter().find(|s| s["id"] == id).map(|s| s["verdict"].clone());
    for id in ["ftp-fetch", "ftps-fetch", "mailto-receipt", "mailto-alerts"] {
        assert_eq!(verdict_of(id), Some(Value::from("pass")), "{id}");
    }
    assert!(stdout.lines().any(|l| l.starts_with("smtp      127.0.0.1:")), "{stdout}");
    let mut requirements_by_id = BTreeMap::new();
    for scenario in scenarios {
        let id = scenario["id"].as_str().expect("id").to_owned();
        let verdict = scenario["verdict"].as_str().expect("verdict");
        assert!(matches!(verdict, "pass" | "not-applicable"), "{id}: {verdict}\n{scenario:#}");
        let requirements: Vec<String> = scenario["requirements"]
            .as_array()
            .expect("requirements")
            .iter()
            .map(|r| r.as_str().expect("requirement id").to_owned())
            .collect();
        assert!(requirements_by_id.insert(id.clone(), requirements).is_none(), "{id} reported twice");
    }
    assert_eq!(requirements_by_id.keys().cloned().collect::<Vec<_>>(), ids);

    // junit.xml: one test case per scenario, carrying the scenario's requirements.
    let junit = std::fs::read_to_string(dir.path().join("target").join("junit.xml")).expect("junit.xml");
    let parsed = parse_junit(&junit);
    assert_eq!(parsed.tests_attribute.as_deref(), Some(ids.len().to_string().as_str()));
    assert_eq!(parsed.cases.len(), ids.len(), "{junit}");
    for case in &parsed.cases {
        let expected = requirements_by_id.get(&case.name).unwrap_or_else(|| panic!("unknown test case {}", case.name));
        assert!(!case.requirements.is_empty(), "{}: no requirement property", case.name);
        assert_eq!(&case.requirements, expected, "{}", case.name);
    }

    // ca.pem: the run's certificate authority, for an LMS to trust.
    let ca = std::fs::read_to_string(dir.path().join("target").join("ca.pem")).expect("ca.pem");
    assert!(ca.starts_with("-----BEGIN CERTIFICATE-----"), "{ca}");
    assert!(ca.trim_end().ends_with("-----END CERTIFICATE-----"), "{ca}");
}

/// A seeded defect is caught by the scenario written for it, with the requirement, the
/// expected and the actual value on the console, and exit code 1.
/// `--http-only` switches the reference target's optional transports off: it answers
/// 1304, 1306, 1510 and 1520, which the scenarios for targets without them expect.
#[test]
fn http_only_switches_ftp_and_mail_off() {
    let dir = TempDir::new("selftest-http-only");
    let output = pens_conform()
        .args(["selftest", "--http-only", "--only", "*-not-claimed", "--report-dir"])
        .arg(dir.path())
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(0), "{}", both(&output));
    let report: Value = serde_json::from_str(
        &std::fs::read_to_string(dir.path().join("target").join("report.json")).expect("report.json"),
    )
    .expect("report.json is JSON");
    let verdicts: Vec<(String, String)> = report["scenarios"]
        .as_array()
        .expect("scenarios")
        .iter()
        .map(|s| {
            (s["id"].as_str().unwrap_or_default().to_owned(), s["verdict"].as_str().unwrap_or_default().to_owned())
        })
        .collect();
    let expected: Vec<(String, String)> =
        ["ftp-not-claimed", "ftps-not-claimed", "mailto-alerts-not-claimed", "mailto-receipt-not-claimed"]
            .iter()
            .map(|id| ((*id).to_owned(), "pass".to_owned()))
            .collect();
    assert_eq!(verdicts, expected, "{}", both(&output));
}

#[test]
fn a_seeded_defect_fails_its_scenario_with_expected_and_actual() {
    let dir = TempDir::new("selftest-defect");
    let output = pens_conform()
        .args(["selftest", "--defect", "lowest-error-code", "--only", "several-errors-highest-code", "--report-dir"])
        .arg(dir.path())
        .output()
        .expect("runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(1), "{}", both(&output));
    assert!(stdout.lines().any(|l| l.starts_with("1 scenario: 0 pass,") && l.contains(" 1 fail, 0 error")), "{stdout}");

    // The failure block of the console report, without the live lines (they carry durations).
    let block: Vec<&str> = stdout
        .lines()
        .skip_while(|l| !l.starts_with("FAIL several-errors-highest-code — "))
        .take_while(|l| !l.is_empty())
        .collect();
    let block = block.join("\n");
    assert!(block.contains("FAIL  [target.error.highest-numbered]"), "{stdout}");
    assert!(block.contains("expected: ") && block.contains("actual: "), "{stdout}");
    insta::assert_snapshot!(block);

    let report: Value = serde_json::from_str(
        &std::fs::read_to_string(dir.path().join("target").join("report.json")).expect("report.json"),
    )
    .expect("report.json is JSON");
    assert_eq!(report["summary"]["total"], 1);
    assert_eq!(report["target"]["name"], "pens-conform reference target (defect: lowest-error-code)");
    assert_eq!(report["scenarios"][0]["verdict"], "fail");
}

/// An unknown defect is a usage error: exit 2, the known names listed, nothing run.
#[test]
fn an_unknown_defect_is_a_usage_error_that_lists_the_known_ones() {
    let dir = TempDir::new("selftest-nonsense");
    let report_dir = dir.path().join("reports");
    let output = pens_conform()
        .args(["selftest", "--defect", "nonsense", "--report-dir"])
        .arg(&report_dir)
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(2), "{}", both(&output));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("--defect: unknown defect `nonsense`"), "{stderr}");
    for known in ["lf-line-endings", "lowest-error-code", "no-receipt", "slow-ack", "no-fetch"] {
        assert!(stderr.contains(known), "{known} not listed: {stderr}");
    }
    assert!(output.stdout.is_empty(), "{}", both(&output));
    assert!(!report_dir.exists(), "a report folder was created for a run that never started");
}

/// What the tests need of a JUnit document, read with a real XML parser so that a
/// malformed document (unbalanced, bad escape, duplicate attribute) fails the test.
struct Junit {
    /// `tests` of the root `<testsuites>`.
    tests_attribute: Option<String>,
    cases: Vec<TestCase>,
}

struct TestCase {
    name: String,
    /// The values of `<property name="requirement">`, in document order.
    requirements: Vec<String>,
}

fn parse_junit(xml: &str) -> Junit {
    let mut reader = quick_xml::Reader::from_str(xml);
    let mut junit = Junit { tests_attribute: None, cases: Vec::new() };
    let mut open: Vec<String> = Vec::new();
    let mut roots = 0;
    let mut current: Option<TestCase> = None;
    loop {
        let event = reader
            .read_event()
            .unwrap_or_else(|e| panic!("junit.xml is not well-formed at byte {}: {e}", reader.error_position()));
        match event {
            Event::Start(element) => {
                if open.is_empty() {
                    roots += 1;
                    junit.tests_attribute = root_tests(&element);
                }
                open_element(&element, &mut current, &mut junit.cases, false);
                open.push(String::from_utf8_lossy(element.name().as_ref()).into_owned());
            }
            Event::Empty(element) => {
                if open.is_empty() {
                    roots += 1;
                    junit.tests_attribute = root_tests(&element);
                }
                open_element(&element, &mut current, &mut junit.cases, true);
            }
            Event::End(element) => {
                let name = open.pop().expect("an end tag closes an open element");
                assert_eq!(name.as_bytes(), element.name().as_ref(), "mismatched end tag");
                if name == "testcase" {
                    junit.cases.push(current.take().expect("an open test case"));
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    assert!(open.is_empty(), "unclosed elements at the end of junit.xml: {open:?}");
    assert_eq!(roots, 1, "one root element");
    junit
}

/// The `tests` count of the root element, which must be `<testsuites>`.
fn root_tests(element: &BytesStart<'_>) -> Option<String> {
    assert_eq!(element.name().as_ref(), b"testsuites", "root element");
    attribute(element, "tests")
}

fn open_element(element: &BytesStart<'_>, current: &mut Option<TestCase>, cases: &mut Vec<TestCase>, empty: bool) {
    match element.name().as_ref() {
        b"testcase" => {
            assert!(current.is_none(), "nested test case");
            let case = TestCase {
                name: attribute(element, "name").expect("a test case has a name"),
                requirements: Vec::new(),
            };
            if empty { cases.push(case) } else { *current = Some(case) }
        }
        b"property" => {
            if let Some(case) = current.as_mut()
                && attribute(element, "name").as_deref() == Some("requirement")
            {
                case.requirements.push(attribute(element, "value").expect("a property has a value"));
            }
        }
        _ => {}
    }
}

fn attribute(element: &BytesStart<'_>, name: &str) -> Option<String> {
    element
        .try_get_attribute(name)
        .expect("well-formed attributes")
        .map(|a| a.unescape_value().expect("well-escaped attribute value").into_owned())
}

/// The client suite of `selftest` drives the reference client: every client scenario
/// passes and its report says it tested a client.
#[test]
fn the_reference_client_passes_every_client_scenario() {
    let dir = TempDir::new("selftest-client");
    let output = pens_conform().args(["selftest", "--report-dir"]).arg(dir.path()).output().expect("runs");
    assert_eq!(output.status.code(), Some(0), "{}", both(&output));
    let report: Value = serde_json::from_str(
        &std::fs::read_to_string(dir.path().join("client").join("report.json")).expect("client report.json"),
    )
    .expect("JSON");
    assert_eq!(report["mode"], "client");
    let total = std::fs::read_dir(super::workspace_root().join("scenarios/client")).expect("folder").count();
    assert_eq!(report["summary"]["total"], total);
    assert_eq!(report["summary"]["pass"], total, "{report:#}");
}

/// A seeded client defect is caught by the client suite: exit 1 or 3, never 0.
#[test]
fn a_seeded_client_defect_fails_the_client_suite() {
    let dir = TempDir::new("selftest-client-defect");
    let output = pens_conform()
        .args(["selftest", "--client-defect", "bad-receipt-answer", "--only", "answers-*", "--report-dir"])
        .arg(dir.path())
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(1), "{}", both(&output));
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.contains("FAIL answers-alerts"), "{stdout}");
}

/// Every run writes summary.md next to report.json, and appends it to the file
/// GITHUB_STEP_SUMMARY names (after what other steps wrote there).
#[test]
fn summary_md_is_written_and_appended_to_the_github_step_summary() {
    let dir = TempDir::new("selftest-summary");
    let step_summary = dir.write("step-summary.md", "earlier step\n");
    let output = pens_conform()
        .args(["selftest", "--only", "collect-post-valid", "--report-dir"])
        .arg(dir.path().join("reports"))
        .env("GITHUB_STEP_SUMMARY", &step_summary)
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(0), "{}", both(&output));
    let summary =
        std::fs::read_to_string(dir.path().join("reports/target/summary.md")).expect("target/summary.md written");
    assert!(summary.starts_with("## pens-conform target run: pens-conform reference target\n"), "{summary}");
    assert!(summary.contains("\nThe only scenario passed.\n"), "{summary}");
    let appended = std::fs::read_to_string(&step_summary).expect("step summary");
    assert!(appended.starts_with("earlier step\n## pens-conform target run: "), "{appended}");
    assert!(appended.contains(&summary), "{appended}");
}

/// A step summary that cannot be appended to costs a warning, not the run.
#[test]
fn an_unwritable_github_step_summary_only_warns() {
    let dir = TempDir::new("selftest-summary-unwritable");
    let output = pens_conform()
        .args(["selftest", "--only", "collect-post-valid", "--report-dir"])
        .arg(dir.path().join("reports"))
        // A folder cannot be opened for appending.
        .env("GITHUB_STEP_SUMMARY", dir.path())
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(0), "{}", both(&output));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("warning: cannot append the summary to"), "{}", both(&output));
    assert!(dir.path().join("reports/target/summary.md").is_file(), "{}", both(&output));
}

/// A run killed outright (SIGKILL: no handler runs) never leaves a report that looks
/// complete. The run is killed at each line it prints, the last ones while the report
/// files are being written; after every kill, either `report.json` (written last, the
/// file tools read as "the run is done") is absent, or it is a whole, finished report
/// and every file written before it is whole too. Other files may be there, each whole
/// (they are renamed into place); a `.partial` leftover never has a report's name.
#[cfg(unix)]
#[test]
fn a_killed_run_never_leaves_a_report_that_looks_complete() {
    use std::sync::mpsc;
    use std::time::{Duration, Instant};

    let run = |dir: &std::path::Path, kill_at: Option<usize>| -> usize {
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_pens-conform"))
            .current_dir(super::workspace_root())
            .env_remove("GITHUB_STEP_SUMMARY")
            .env_remove("RUST_LOG")
            .args(["selftest", "--http-only", "--only", "collect-*", "--report-dir"])
            .arg(dir)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("starts");
        let lines = super::stdout_lines(&mut child);
        let deadline = Instant::now() + Duration::from_secs(60);
        let mut seen = 0;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match lines.recv_timeout(left) {
                Ok(_) => seen += 1,
                Err(mpsc::RecvTimeoutError::Disconnected) => break,
                Err(mpsc::RecvTimeoutError::Timeout) => panic!("the self-test did not finish"),
            }
            if Some(seen) == kill_at {
                child.kill().expect("SIGKILL");
                break;
            }
        }
        child.wait().expect("waited");
        seen
    };

    let whole = TempDir::new("selftest-unkilled");
    let lines = run(whole.path(), None);
    assert!(lines >= 4, "{lines} lines");
    for kill_at in [1, lines / 2, lines - 2, lines - 1, lines] {
        let dir = TempDir::new("selftest-killed");
        run(dir.path(), Some(kill_at));
        for suite in ["target", "client"] {
            let folder = dir.path().join(suite);
            let Ok(entries) = std::fs::read_dir(&folder) else { continue };
            let names: Vec<String> =
                entries.map(|e| e.expect("an entry").file_name().to_string_lossy().into_owned()).collect();
            for name in names.iter().filter(|n| !n.ends_with(".partial")) {
                let text = std::fs::read_to_string(folder.join(name)).expect("readable");
                match name.as_str() {
                    "report.json" => {
                        let report: serde_json::Value =
                            serde_json::from_str(&text).unwrap_or_else(|e| panic!("killed at {kill_at}: {e}"));
                        assert!(report["aborted"].is_null(), "killed at {kill_at}: {}", report["aborted"]);
                        for earlier in ["junit.xml", "summary.md", "report.html"] {
                            assert!(
                                names.iter().any(|n| n == earlier),
                                "killed at {kill_at}: report.json without {earlier}"
                            );
                        }
                    }
                    "junit.xml" => assert!(text.trim_end().ends_with("</testsuites>"), "killed at {kill_at}: {text}"),
                    "report.html" => assert!(text.trim_end().ends_with("</html>"), "killed at {kill_at}"),
                    _ => {}
                }
            }
        }
    }
}

/// The security scenarios are advisory: a seeded security defect is a warning and the
/// run exits 0; `--enforce-security` makes it a failure (exit 1).
#[test]
fn a_security_defect_warns_and_fails_only_with_enforce_security() {
    for (enforce, code, summary) in [(false, 0, " 1 warn,"), (true, 1, " 1 fail,")] {
        let dir = TempDir::new("selftest-security");
        let mut command = pens_conform();
        command.args(["selftest", "--defect", "leaky-receipts", "--only", "security-ssrf-internal-url"]);
        if enforce {
            command.arg("--enforce-security");
        }
        let output = command.arg("--report-dir").arg(dir.path()).output().expect("runs");
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert_eq!(output.status.code(), Some(code), "{}", both(&output));
        assert!(stdout.lines().any(|l| l.starts_with("1 scenario: ") && l.contains(summary)), "{stdout}");
        assert!(stdout.contains("receipt carries `{{internal_token}}` (in error-text)"), "{stdout}");
        assert_eq!(stdout.contains("(advisory: a security check; --enforce-security"), !enforce, "{stdout}");
    }
}

/// The receipt URL of `security-receipt-url-credentials` carries this run's secret as
/// its password, and the leaky target sends it back: it must not reach the console,
/// the logs at their most verbose, or any report file. The secret is random, so the
/// grep looks for any 32-hex-digit password after the scenario's user name.
#[test]
fn the_receipt_url_password_is_nowhere_in_the_output() {
    let dir = TempDir::new("selftest-url-secret");
    let output = pens_conform()
        .env("RUST_LOG", "trace")
        .args(["selftest", "--defect", "leaky-receipts", "--only", "security-receipt-url-credentials", "--report-dir"])
        .arg(dir.path())
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(0), "{}", both(&output));
    assert!(!output.stderr.is_empty(), "trace logging wrote nothing: the grep below would prove little");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.contains("receipt carries `{{secret}}` (in receipt)"), "{stdout}");
    let mut texts = vec![("stdout".to_owned(), stdout.into_owned())];
    texts.push(("stderr (RUST_LOG=trace)".to_owned(), String::from_utf8_lossy(&output.stderr).into_owned()));
    for suite in ["target", "client"] {
        for entry in std::fs::read_dir(dir.path().join(suite)).expect("the report folder") {
            let path = entry.expect("an entry").path();
            let text = String::from_utf8_lossy(&std::fs::read(&path).expect("readable")).into_owned();
            texts.push((path.display().to_string(), text));
        }
    }
    let report = texts.iter().find(|(name, _)| name.ends_with("report.json")).map(|(_, t)| t.clone());
    assert!(report.is_some_and(|r| r.contains("pens-receipt%3A%5Bredacted%5D%40")), "the URL shows, redacted");
    for (name, text) in &texts {
        for user in ["pens-receipt:", "pens-receipt%3A", "pens-receipt%253A"] {
            for (at, _) in text.match_indices(user) {
                let password: String = text[at + user.len()..].chars().take(32).collect();
                let hex = password.len() == 32 && password.bytes().all(|b| b.is_ascii_hexdigit());
                assert!(!hex, "a password after `{user}` in {name}");
            }
        }
    }
}

/// The two suites run at once, and Ctrl-C stops both: exit 3 at once, each suite's
/// report says it was interrupted, and the console shows the target suite's block, then
/// the client suite's, never mixed. Both suites are sure to be running when the signal
/// comes: the target scenario's staging server holds the package back 2 s, and the
/// client scenario's mock target holds its answer back 30 s.
#[cfg(unix)]
#[test]
fn ctrl_c_stops_both_suites_and_each_reports_what_finished() {
    use std::time::Duration;

    let dir = TempDir::new("selftest-interrupted");
    let publish_valid =
        std::fs::read_to_string(super::workspace_root().join("scenarios/client/publish-valid.toml")).expect("readable");
    let slow = publish_valid
        .replace("id = \"publish-valid\"", "id = \"slow-answer\"")
        .replace("answer_delay_ms = 0", "answer_delay_ms = 30000");
    assert_ne!(slow, publish_valid);
    std::fs::create_dir_all(dir.path().join("client-scenarios")).expect("a folder");
    std::fs::write(dir.path().join("client-scenarios/slow-answer.toml"), slow).expect("written");
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_pens-conform"))
        .current_dir(super::workspace_root())
        .env_remove("GITHUB_STEP_SUMMARY")
        .env_remove("RUST_LOG")
        .args(["selftest", "--only", "*slow*", "--client-scenarios"])
        .arg(dir.path().join("client-scenarios"))
        .arg("--report-dir")
        .arg(dir.path().join("reports"))
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("starts");
    let lines = super::stdout_lines(&mut child);
    // The target suite's scenario starts once its preflight has passed.
    let mut seen = super::lines_until(&lines, "preflight passed");
    let (output, stopped_in) = super::interrupt(child);
    assert!(stopped_in < Duration::from_secs(8), "took {stopped_in:?} to stop");
    seen.extend(lines.iter());
    assert_eq!(output.status.code(), Some(3), "{seen:#?}");

    for suite in ["target", "client"] {
        let text = std::fs::read_to_string(dir.path().join("reports").join(suite).join("report.json"))
            .unwrap_or_else(|e| panic!("{suite}/report.json: {e}"));
        let report: Value = serde_json::from_str(&text).expect("report.json is JSON");
        assert!(
            report["aborted"].as_str().is_some_and(|reason| reason.starts_with("interrupted (Ctrl-C)")),
            "{suite}: {}",
            report["aborted"]
        );
        assert_eq!(report["summary"]["total"], 0, "{suite}: nothing had finished");
    }
    // Each block is whole: the target suite's header, its report, then the client suite's.
    let position = |prefix: &str| {
        seen.iter().position(|l| l.starts_with(prefix)).unwrap_or_else(|| panic!("no `{prefix}` line: {seen:#?}"))
    };
    let target_header = position("pens-conform target run");
    let client_header = position("pens-conform client run");
    let target_reports = position("reports   ");
    assert!(target_header < target_reports && target_reports < client_header, "{seen:#?}");
    let client_reports = seen.iter().rposition(|l| l.starts_with("reports   ")).expect("a reports line");
    assert!(client_header < client_reports, "{seen:#?}");
}
