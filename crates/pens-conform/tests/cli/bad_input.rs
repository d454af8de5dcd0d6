//! Bad input is exit 2, said before any server starts or the LMS is contacted: an
//! `--only` that matches nothing, a target URL that is not an http(s) URL, `--jobs 0`, a
//! report folder that cannot be written. The "LMS" of these tests is a listener that
//! must never see a connection.

use std::net::TcpListener;
use std::path::Path;
use std::process::Output;

use super::{TempDir, both, pens_conform};

/// A listener standing for the LMS; [`assert_untouched`] checks nobody connected.
fn lms() -> (TcpListener, String) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("a listener");
    listener.set_nonblocking(true).expect("non-blocking");
    let url = format!("http://{}/pens", listener.local_addr().expect("its address"));
    (listener, url)
}

fn assert_untouched(listener: &TcpListener, what: &str) {
    match listener.accept() {
        Err(error) if error.kind() == std::io::ErrorKind::WouldBlock => {}
        other => panic!("{what}: the LMS was contacted: {other:?}"),
    }
}

/// Exit 2, `expected` in stderr, nothing on stdout (no run header: no server started),
/// and no report folder made.
fn assert_refused(output: &Output, expected: &str, reports: &Path, what: &str) {
    assert_eq!(output.status.code(), Some(2), "{what}: {}", both(output));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains(expected), "{what}: `{expected}` not in: {stderr}");
    assert!(output.stdout.is_empty(), "{what}: something ran: {}", both(output));
    assert!(!reports.exists(), "{what}: a report folder was made");
}

#[test]
fn an_only_pattern_that_matches_no_scenario_is_exit_2_naming_it() {
    let dir = TempDir::new("bad-only");
    let (listener, url) = lms();
    let reports = dir.path().join("reports");
    let runs: [(&str, Vec<&str>); 3] = [
        ("target", vec!["target", "--url", &url]),
        ("client", vec!["client", "--trigger", "true"]),
        ("selftest", vec!["selftest"]),
    ];
    for (what, args) in runs {
        let output = pens_conform()
            .args(&args)
            .args(["--only", "no-such-scenario-*", "--report-dir"])
            .arg(&reports)
            .output()
            .expect("runs");
        assert_refused(&output, "--only `no-such-scenario-*` matches no scenario", &reports, what);
    }
    assert_untouched(&listener, "--only");
}

#[test]
fn a_target_url_that_is_not_an_http_url_is_exit_2_naming_where_it_came_from() {
    let dir = TempDir::new("bad-url");
    let reports = dir.path().join("reports");
    let cases = [
        ("not-a-url", "--url `not-a-url` is not a URL"),
        ("ftp://lms.example/pens", "--url `ftp://lms.example/pens` is not an http or https URL (scheme `ftp`)"),
        ("mailto:pens@lms.example", "is not an http or https URL (scheme `mailto`)"),
        ("http://", "--url `http://` is not a URL"),
    ];
    for (url, expected) in cases {
        let output =
            pens_conform().args(["target", "--url", url, "--report-dir"]).arg(&reports).output().expect("runs");
        assert_refused(&output, expected, &reports, url);
    }
    // From the profile: named as such, with a password in it hidden.
    let profile = dir.write("profile.toml", "[target]\nurl = \"ftp://user:hunter2@lms.example/pens\"\n");
    let output = pens_conform()
        .args(["target", "--profile"])
        .arg(&profile)
        .arg("--report-dir")
        .arg(&reports)
        .output()
        .expect("runs");
    assert_refused(&output, "`[target] url` of the profile `ftp://user:", &reports, "profile");
    assert!(!String::from_utf8_lossy(&output.stderr).contains("hunter2"), "{}", both(&output));
    // Reported with the profile's other problems, each at its line, as they are.
    let profile = dir.write("two.toml", "[target]\nurl = \"ftp://lms.example/pens\"\nnmae = \"LMS\"\n");
    for command in ["target", "load"] {
        let output = pens_conform().args([command, "--profile"]).arg(&profile).output().expect("runs");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{command}: {}", both(&output));
        for expected in [
            "error: `[target] url` of the profile `ftp://lms.example/pens` is not an http or https URL (scheme `ftp`)",
            &format!(" --> {}:2:7", profile.display()),
            "did you mean `name`?",
            &format!("2 errors in profile {}; nothing was run", profile.display()),
        ] {
            assert!(stderr.contains(expected), "{command}: `{expected}` not in: {stderr}");
        }
    }
    // `load` takes the same URL.
    let output = pens_conform().args(["load", "--url", "not-a-url"]).output().expect("runs");
    assert_eq!(output.status.code(), Some(2), "{}", both(&output));
    assert!(String::from_utf8_lossy(&output.stderr).contains("--url `not-a-url` is not a URL"), "{}", both(&output));
}

#[test]
fn zero_jobs_are_refused_by_the_parser() {
    let (listener, url) = lms();
    let cases: [Vec<&str>; 4] = [
        vec!["target", "--url", &url, "--jobs", "0"],
        vec!["client", "--trigger", "true", "--jobs", "0"],
        vec!["selftest", "--jobs", "0"],
        vec!["load", "--url", &url, "--concurrency", "0"],
    ];
    for args in cases {
        let flag = args[args.len() - 2];
        let output = pens_conform().args(&args).output().expect("runs");
        assert_eq!(output.status.code(), Some(2), "{args:?}: {}", both(&output));
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains(&format!("invalid value '0' for '{flag} ")), "{args:?}: {stderr}");
        assert!(stderr.contains("must be at least 1"), "{args:?}: {stderr}");
    }
    assert_untouched(&listener, "--jobs 0");
}

/// Every number of the command line has a range (issue 16, point 6): one beyond it is a
/// usage error in clap's words, naming the option, the value and the range, before
/// anything runs. Before the ranges, `load --publishes 18446744073709551615` asked for
/// an allocation of 2^57 words, and a `--publish-timeout` or `--receipt-timeout` of
/// centuries was taken.
#[test]
fn numbers_out_of_range_are_refused_by_the_parser() {
    let (listener, url) = lms();
    let cases: [(Vec<&str>, &str); 13] = [
        (vec!["target", "--url", &url, "--jobs", "1025"], "give 1 to 1024"),
        (vec!["target", "--url", &url, "--jobs", "18446744073709551616"], "not a whole number"),
        (vec!["target", "--url", &url, "--partition", "1/10001"], "give at most 10000 partitions"),
        (vec!["target", "--url", &url, "--max-package-bytes", "4GiB"], "more than the 3221225472 (3GiB)"),
        (vec!["client", "--trigger", "true", "--publish-timeout", "3601"], "give 1 to 3600 seconds"),
        (vec!["selftest", "--jobs", "100000"], "give 1 to 1024"),
        (vec!["load", "--url", &url, "--publishes", "18446744073709551615"], "give 1 to 100000000"),
        (vec!["load", "--url", &url, "--concurrency", "65537"], "give 1 to 65536"),
        (vec!["load", "--url", &url, "--receipt-timeout", "1e10"], "give 0 to 3600 seconds"),
        (vec!["load", "--url", &url, "--grace", "3601"], "give 0 to 3600 seconds"),
        (vec!["load", "--url", &url, "--grace", "61m"], "give 0 to 3600 seconds"),
        (vec!["client", "--trigger", "true", "--publish-timeout", "2h"], "give 1 to 3600 seconds"),
        (vec!["client", "--trigger", "true", "--publish-timeout", "soon"], "is not a duration: give whole seconds"),
    ];
    for (args, range) in cases {
        let (flag, value) = (args[args.len() - 2], args[args.len() - 1]);
        let output = pens_conform().args(&args).output().expect("runs");
        assert_eq!(output.status.code(), Some(2), "{args:?}: {}", both(&output));
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains(&format!("invalid value '{value}' for '{flag} ")), "{args:?}: {stderr}");
        assert!(stderr.contains(range), "{args:?}: {stderr}");
        assert!(output.stdout.is_empty(), "{args:?}: something ran: {}", both(&output));
    }
    assert_untouched(&listener, "numbers out of range");
}

/// A report folder that cannot be made (a file stands in its path) is found before the
/// LMS is contacted, naming the folder and the operating system's error.
#[test]
fn a_report_folder_that_cannot_be_written_is_exit_2_before_the_lms_is_contacted() {
    let dir = TempDir::new("bad-report-dir");
    let file = dir.write("a-file", "not a folder");
    let reports = file.join("reports");
    let (listener, url) = lms();
    let runs: [(&str, Vec<&str>); 3] = [
        ("target", vec!["target", "--url", &url]),
        ("client", vec!["client", "--trigger", "true"]),
        ("selftest", vec!["selftest"]),
    ];
    for (what, args) in runs {
        let output = pens_conform().args(&args).arg("--report-dir").arg(&reports).output().expect("runs");
        assert_eq!(output.status.code(), Some(2), "{what}: {}", both(&output));
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains("cannot create the report folder"), "{what}: {stderr}");
        assert!(stderr.contains(&file.display().to_string()), "{what}: {stderr}");
        assert!(stderr.contains("Not a directory"), "{what}: the OS error: {stderr}");
        assert!(output.stdout.is_empty(), "{what}: something ran: {}", both(&output));
    }
    assert_untouched(&listener, "--report-dir");
}

/// An address in use is said once, with the operating system's reason: not "cannot
/// listen on ADDR: cannot listen on ADDR: …", whichever layer reports it. It is the
/// harness failing, not bad input: exit 3 (2 before issue 17).
#[test]
fn an_address_in_use_is_said_once() {
    let taken = TcpListener::bind("127.0.0.1:0").expect("a listener");
    let addr = taken.local_addr().expect("its address").to_string();
    let dir = TempDir::new("address-in-use");
    let reports = dir.path().to_string_lossy().into_owned();
    let runs: [Vec<&str>; 2] = [
        vec!["serve", "target", "--listen", &addr],
        vec!["client", "--trigger", "true", "--listen", &addr, "--report-dir", &reports],
    ];
    for args in runs {
        let output = pens_conform().args(&args).output().expect("runs");
        assert_eq!(output.status.code(), Some(3), "{args:?}: {}", both(&output));
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(stderr.matches(&format!("cannot listen on {addr}")).count(), 1, "{args:?}: {stderr}");
        assert_eq!(stderr.matches("in use").count(), 1, "{args:?}: {stderr}");
    }
}

/// A report that cannot be written once the run is over (here report.json's temporary
/// file cannot be made; out of descriptors, a full disk, alike) is no usage error: exit
/// 3, naming the file and the operating system's error.
#[test]
fn a_report_that_cannot_be_written_after_the_run_is_exit_3_naming_the_file() {
    let dir = TempDir::new("unwritable-report");
    let reports = dir.path().join("reports");
    std::fs::create_dir_all(reports.join("report.json.partial")).expect("a folder where the file would go");
    // An LMS that refuses connections: the preflight ends the run at once.
    let url = {
        let (listener, url) = lms();
        drop(listener);
        url
    };
    let output = pens_conform().args(["target", "--url", &url, "--report-dir"]).arg(&reports).output().expect("runs");
    assert_eq!(output.status.code(), Some(3), "{}", both(&output));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("the report could not be written"), "{stderr}");
    assert!(stderr.contains(&reports.join("report.json.partial").display().to_string()), "{stderr}");
    assert!(stderr.contains("Is a directory"), "the OS error: {stderr}");
}
