//! `target`: what a user sees when the LMS cannot be reached or the command line or
//! profile is wrong. (A passing run is `selftest`'s; both share the run code.)

use std::time::{Duration, Instant};

use serde_json::Value;

use super::{TempDir, both, closed_port, pens_conform, scenario_ids};

/// A profile whose receipt deadline is short. The preflight waits for the receipt
/// deadline even when the collect could not be sent at all (see
/// `an_unreachable_target_stops_the_run_without_waiting_for_a_receipt`), so with the
/// default 30 s this test would take 30 s.
const SHORT_DEADLINES: &str = "[deadlines]\nack = 2000\nfetch = 2000\nreceipt = 1000\nquiet = 100\n";

/// Nothing listens at the URL: the preflight stops the run, every scenario is
/// inconclusive with one explanation, exit 3.
#[test]
fn an_unreachable_target_stops_the_run_with_exit_3() {
    let dir = TempDir::new("target-closed");
    let profile = dir.write("profile.toml", SHORT_DEADLINES);
    let url = format!("http://127.0.0.1:{}/pens", closed_port());
    let output = pens_conform()
        .args(["target", "--url", &url, "--profile"])
        .arg(&profile)
        .arg("--report-dir")
        .arg(dir.path().join("reports"))
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(3), "{}", both(&output));
    let text = both(&output);
    assert!(text.contains(&format!("RUN STOPPED: nothing listens at {url}: the connection was refused")), "{text}");

    let report: Value = serde_json::from_str(
        &std::fs::read_to_string(dir.path().join("reports/report.json")).expect("report.json written"),
    )
    .expect("report.json is JSON");
    let total = scenario_ids().len();
    assert_eq!(report["summary"]["total"], total);
    assert_eq!(report["summary"]["inconclusive"], total);
    assert!(report["aborted"].as_str().is_some_and(|reason| reason.contains(&url)), "{}", report["aborted"]);
}

/// `target --url URL --report-dir DIR/reports`, and how long it took.
fn timed_target_run(url: &str, dir: &TempDir) -> (std::process::Output, Duration) {
    let started = Instant::now();
    let output = pens_conform()
        .args(["target", "--url", url, "--report-dir"])
        .arg(dir.path().join("reports"))
        .output()
        .expect("runs");
    (output, started.elapsed())
}

/// A refused connection is an answer: nothing was delivered, so no receipt can come and
/// the run must not sit out the default 30 s receipt deadline before it says RUN
/// STOPPED (it once did). The bound is far below that deadline, not a speed goal.
#[test]
fn an_unreachable_target_stops_the_run_without_waiting_for_a_receipt() {
    let dir = TempDir::new("target-closed-default");
    let url = format!("http://127.0.0.1:{}/pens", closed_port());
    let (output, took) = timed_target_run(&url, &dir);
    assert_eq!(output.status.code(), Some(3), "{}", both(&output));
    assert!(took < Duration::from_secs(10), "took {took:?} to find that nothing listens at {url}");
}

/// A server answering every request `HTTP 404` with an empty body, as a web server
/// does for a wrong path; it serves until the test ends.
fn not_found_server() -> std::net::SocketAddr {
    use std::io::{Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a listener");
    let addr = listener.local_addr().expect("its address");
    std::thread::spawn(move || {
        for mut stream in listener.incoming().flatten() {
            // The collect is small: one read takes its head, enough to answer.
            let mut buffer = [0_u8; 65536];
            let _ = stream.read(&mut buffer);
            let _ = stream.write_all(b"HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\nconnection: close\r\n\r\n");
        }
    });
    addr
}

/// A wrong endpoint path (HTTP 404, empty body): the run stops as soon as the answer is
/// read, says what came and what to check, exit 3, and says it once in the console and
/// in each report file, not under every scenario; nothing about reachability or SSRF.
#[test]
fn a_wrong_path_stops_the_run_at_once_saying_so_once_in_every_report() {
    let dir = TempDir::new("target-404");
    let url = format!("http://{}/wrong", not_found_server());
    let (output, took) = timed_target_run(&url, &dir);
    assert_eq!(output.status.code(), Some(3), "{}", both(&output));
    // The default ack deadline is 10 s: the answer came at once, and nothing waits for it.
    assert!(took < Duration::from_secs(8), "took {took:?}");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let explanation = format!("the URL {url} answers a valid collect with HTTP 404 and an empty body");
    assert!(stdout.contains(&format!("RUN STOPPED: {explanation}")), "{stdout}");
    assert!(stdout.contains("is the PENS endpoint path right?"), "{stdout}");
    assert_eq!(stdout.matches(&explanation).count(), 1, "{stdout}");
    assert!(stdout.contains(&format!("not run ({}): ", scenario_ids().len())), "{stdout}");
    // One line for the scenarios not run, no block for each.
    assert!(stdout.lines().count() < 30, "{} lines: {stdout}", stdout.lines().count());
    for wrong in ["SSRF", "cannot reach", "--advertise-host"] {
        assert!(!stdout.contains(wrong), "`{wrong}` in: {stdout}");
    }
    let reports = dir.path().join("reports");
    for file in ["summary.md", "junit.xml", "report.html", "report.json"] {
        let text = std::fs::read_to_string(reports.join(file)).expect("written");
        assert_eq!(text.matches(&explanation).count(), 1, "{file}: {text}");
        assert!(!text.contains("SSRF"), "{file}");
    }
}

#[test]
fn without_a_url_it_is_a_usage_error() {
    let dir = TempDir::new("target-no-url");
    let output =
        pens_conform().args(["target", "--report-dir"]).arg(dir.path().join("reports")).output().expect("runs");
    assert_eq!(output.status.code(), Some(2), "{}", both(&output));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("no target URL: give --url URL or `[target] url` in the --profile file"), "{stderr}");
    assert!(!dir.path().join("reports").exists());
}

/// Profile errors name the file, line and column (`--> FILE:LINE:COLUMN`).
#[test]
fn a_bad_profile_is_a_usage_error_naming_the_file_and_line() {
    let dir = TempDir::new("target-bad-profile");
    let cases = [
        ("bad-value.toml", "[target]\nurl = \"http://lms/pens\"\n\n[claims]\nftp = \"maybe\"\n", "bad-value.toml:5:7"),
        ("unknown-key.toml", "[target]\nurll = \"http://lms/pens\"\n", "unknown key `urll` in [target]"),
        ("not-toml.toml", "[target\nurl = 1\n", "not-toml.toml:1:8"),
        ("zero-deadline.toml", "[target]\nurl = \"http://lms/pens\"\n[deadlines]\nack = 0\n", "ack is 0"),
    ];
    for (name, text, expected) in cases {
        let path = dir.write(name, text);
        let output = pens_conform().args(["target", "--profile"]).arg(&path).output().expect("runs");
        assert_eq!(output.status.code(), Some(2), "{name}: {}", both(&output));
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains(&format!("profile {}", path.display())), "{name}: {stderr}");
        assert!(stderr.contains(expected), "{name}: {stderr}");
    }

    let missing = dir.path().join("no-such-profile.toml");
    let output = pens_conform().args(["target", "--profile"]).arg(&missing).output().expect("runs");
    assert_eq!(output.status.code(), Some(2), "{}", both(&output));
    assert!(String::from_utf8_lossy(&output.stderr).contains(&format!("cannot read profile {}", missing.display())));
}

/// Ctrl-C ends a run cleanly: exit 3 at once, the parties stopped, and a report that says
/// it is incomplete; no half-written file is left behind. So do SIGTERM (what CI
/// runners and `timeout` send) and SIGHUP (a closed terminal), which by default would
/// end the process with 143 or 129 and no report. The LMS here accepts the collect's
/// connection and never answers, so the run would otherwise sit out its 10 s ack
/// deadline.
#[test]
fn ctrl_c_sigterm_and_sighup_end_the_run_with_an_incomplete_report_and_exit_3() {
    for (signal, named) in [("INT", "Ctrl-C"), ("TERM", "SIGTERM"), ("HUP", "SIGHUP")] {
        let dir = TempDir::new(&format!("target-interrupted-{signal}"));
        let silent = std::net::TcpListener::bind("127.0.0.1:0").expect("a listener");
        let url = format!("http://{}/pens", silent.local_addr().expect("its address"));
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_pens-conform"))
            .current_dir(super::workspace_root())
            .env_remove("GITHUB_STEP_SUMMARY")
            .args(["target", "--url", &url, "--report-dir"])
            .arg(dir.path().join("reports"))
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("starts");
        let lines = super::stdout_lines(&mut child);
        // The run has started (its parties listen) once the header is printed.
        super::lines_until(&lines, "pens-conform target run");
        // The connection is taken and left unanswered: the preflight is now waiting.
        let _held = silent.accept().expect("the preflight connects");
        let (output, stopped_in) = super::stop_with(child, signal);
        assert!(stopped_in < Duration::from_secs(8), "{signal}: took {stopped_in:?} to stop");
        assert_eq!(output.status.code(), Some(3), "{signal}: {}", both(&output));

        let reports = dir.path().join("reports");
        let report: Value =
            serde_json::from_str(&std::fs::read_to_string(reports.join("report.json")).expect("report.json written"))
                .expect("report.json is JSON");
        assert!(
            report["aborted"].as_str().is_some_and(|reason| reason.starts_with(&format!("interrupted ({named})"))),
            "{signal}: {}",
            report["aborted"]
        );
        assert_eq!(report["summary"]["pass"], 0);
        for entry in std::fs::read_dir(&reports).expect("the report folder") {
            let name = entry.expect("an entry").file_name().to_string_lossy().into_owned();
            assert!(!name.ends_with(".partial"), "a half-written file stayed: {name}");
        }
    }
}

/// Every broken profile of `fixtures/profiles/broken/` is refused before anything runs
/// (exit 2) with a diagnostic per problem, in rustc's layout as scenario files get
/// (`--> file:line:column`), all of them (`three-errors.toml` has three), and a last
/// line that counts them.
#[test]
fn every_broken_profile_names_file_line_and_column() {
    let root = super::workspace_root();
    insta::glob!(root.as_path(), "fixtures/profiles/broken/*.toml", |path| {
        let relative = path.strip_prefix(&root).expect("under root");
        let output = pens_conform()
            .env_remove("PENS_BROKEN_PROFILE_UNSET")
            .args(["target", "--profile"])
            .arg(relative)
            .output()
            .expect("runs");
        assert_eq!(output.status.code(), Some(2), "{}", both(&output));
        assert!(output.stdout.is_empty(), "something ran: {}", both(&output));
        let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
        let place = format!("--> {}:", relative.display());
        let located = stderr
            .lines()
            .filter(|line| {
                line.split_once(&place).is_some_and(|(_, rest)| {
                    let mut parts = rest.split(':');
                    parts.next().is_some_and(|l| l.parse::<u32>().is_ok())
                        && parts.next().is_some_and(|c| c.parse::<u32>().is_ok())
                })
            })
            .count();
        let errors = stderr.lines().filter(|line| line.starts_with("error: ")).count();
        assert!(located >= 1, "no file:line:column in: {stderr}");
        assert_eq!(located + 1, errors, "a problem without its place, or no count line: {stderr}");
        let s = if located == 1 { "" } else { "s" };
        let last = format!("error: {located} error{s} in profile {}; nothing was run", relative.display());
        assert_eq!(stderr.lines().last(), Some(last.as_str()), "{stderr}");
        insta::assert_snapshot!(stderr);
    });
}

/// A profile with a misspelt key, a claim that does not exist and a zero limit: all
/// three reported in one run, the key with "did you mean".
#[test]
fn a_profile_with_three_mistakes_reports_all_three() {
    let output = pens_conform()
        .args(["target", "--profile", "fixtures/profiles/broken/three-errors.toml"])
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(2), "{}", both(&output));
    let stderr = String::from_utf8_lossy(&output.stderr);
    for expected in [
        " --> fixtures/profiles/broken/three-errors.toml:3:1",
        "did you mean `name`?",
        " --> fixtures/profiles/broken/three-errors.toml:6:8",
        "unknown claim `maybe`",
        " --> fixtures/profiles/broken/three-errors.toml:9:15",
        "[limits] connections is 0",
        "error: 3 errors in profile fixtures/profiles/broken/three-errors.toml; nothing was run",
    ] {
        assert!(stderr.contains(expected), "no `{expected}` in\n{stderr}");
    }
}

/// A scenario naming a package fixture that does not exist is refused before anything
/// runs (exit 2), pointing at the `package` value, not turned into a harness error
/// halfway through the run.
#[test]
fn a_missing_package_fixture_is_a_usage_error_pointing_at_the_scenario() {
    let dir = TempDir::new("target-missing-fixture");
    std::fs::create_dir_all(dir.path().join("scenarios")).expect("a scenario folder");
    let scenario = dir.write(
        "scenarios/missing-fixture.toml",
        "id = \"missing-fixture\"\ntitle = \"t\"\nrequirements = [\"target.collect.post\"]\n\n\
         [staging]\npackage = \"no-such-course.zip\"\n\n[expect.response]\nerror = [0]\n",
    );
    let url = format!("http://127.0.0.1:{}/pens", closed_port());
    let output = pens_conform()
        .args(["target", "--url", &url, "--scenarios"])
        .arg(dir.path().join("scenarios"))
        .arg("--report-dir")
        .arg(dir.path().join("reports"))
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(2), "{}", both(&output));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("package fixture `no-such-course.zip` not found"), "{stderr}");
    assert!(stderr.contains(&format!(" --> {}:6:11", scenario.display())), "{stderr}");
    assert!(!dir.path().join("reports").exists(), "a report folder was made for a run that never started");
}

/// A vendor's first run: `serve target`, then `target --url` with no profile, so every
/// claim is `unknown`. Unknown means *discover*: the reference target fetches over FTP
/// and FTPS and refuses mail (no relay), both conformant, so nothing fails; the refusal
/// checks for what it supports do not apply, the scenarios for what it refuses do not
/// either, and the capabilities it showed come out as `[claims]` lines (issue 14).
#[test]
fn serve_target_then_target_without_a_profile_passes_and_reports_what_it_supports() {
    let dir = TempDir::new("target-discover");
    // One CA for both runs, as a vendor keeps it: `--ca-dir` makes it on first use (here
    // a run against nothing), so the served target trusts it from its start.
    let ca_dir = dir.path().join("ca");
    let nothing = format!("http://127.0.0.1:{}/pens", closed_port());
    let first = pens_conform()
        .args(["target", "--url", &nothing, "--ca-dir"])
        .arg(&ca_dir)
        .arg("--report-dir")
        .arg(dir.path().join("first"))
        .output()
        .expect("runs");
    assert_eq!(first.status.code(), Some(3), "{}", both(&first));
    let ca_pem = ca_dir.join("ca.pem");
    let served = super::ServedTarget::start_with(&["--trust-ca", ca_pem.to_str().expect("a UTF-8 path")]);
    let reports = dir.path().join("reports");
    let output = pens_conform()
        .args(["target", "--url", &served.url, "--jobs", "16", "--ca-dir"])
        .arg(&ca_dir)
        .arg("--report-dir")
        .arg(&reports)
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(0), "{}", both(&output));
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.contains("capabilities observed (paste under [claims] in the profile):"), "{stdout}");
    for line in
        ["ftp = \"yes\"", "ftps = \"yes\"", "mailto-receipt = \"no\"", "mailto-alerts = \"no\"", "alerts = \"yes\""]
    {
        assert!(stdout.lines().any(|l| l.trim_start().starts_with(line)), "`{line}` not printed: {stdout}");
    }

    let report: Value =
        serde_json::from_str(&std::fs::read_to_string(reports.join("report.json")).expect("report.json"))
            .expect("report.json is JSON");
    assert_eq!(
        (report["summary"]["fail"].as_u64(), report["summary"]["inconclusive"].as_u64()),
        (Some(0), Some(0)),
        "{}",
        both(&output)
    );
    let verdict = |id: &str| {
        report["scenarios"].as_array().and_then(|s| s.iter().find(|s| s["id"] == id)).map(|s| s["verdict"].clone())
    };
    for (id, expected) in [
        ("ftp-not-claimed", "not-applicable"),
        ("ftps-not-claimed", "not-applicable"),
        ("ftp-fetch", "pass"),
        ("ftps-fetch", "pass"),
        ("mailto-receipt-not-claimed", "pass"),
        ("mailto-receipt", "not-applicable"),
        ("alerts-claimed", "pass"),
    ] {
        assert_eq!(verdict(id), Some(Value::from(expected)), "{id}");
    }
    let observed = report["target"]["observed"].as_array().expect("target.observed");
    let ftp = observed.iter().find(|o| o["capability"] == "ftp").expect("ftp observed");
    assert_eq!((ftp["claimed"].as_str(), ftp["observed"].as_str()), (Some("unknown"), Some("yes")), "{ftp}");
    assert_eq!(ftp["profile_line"], "ftp = \"yes\"");
    let summary = std::fs::read_to_string(reports.join("summary.md")).expect("summary.md");
    assert!(summary.contains("Capabilities observed") && summary.contains("ftp = \"yes\""), "{summary}");
    let html = std::fs::read_to_string(reports.join("report.html")).expect("report.html");
    assert!(
        html.contains("capabilities observed") && html.contains("ftp = &quot;yes&quot;"),
        "observed not in report.html"
    );
}

/// One scenario is "1 scenario", in the run header and the summary line.
#[test]
fn a_count_of_one_is_singular() {
    let dir = TempDir::new("target-one-scenario");
    let url = format!("http://127.0.0.1:{}/pens", closed_port());
    let output = pens_conform()
        .args(["target", "--url", &url, "--only", "collect-post-valid", "--report-dir"])
        .arg(dir.path())
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(3), "{}", both(&output));
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.lines().any(|l| l == "pens-conform target run · 1 scenario"), "{stdout}");
    assert!(stdout.lines().any(|l| l.starts_with("1 scenario: 0 pass")), "{stdout}");
    assert!(stdout.contains("not run (1): collect-post-valid"), "{stdout}");
    assert!(!stdout.contains("1 scenarios"), "{stdout}");
}
