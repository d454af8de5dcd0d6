//! `report.html` in a real browser: the page a failing run leaves behind is opened by
//! headless Chromium (`--dump-dom`), and the DOM it builds must show the verdict
//! banner, the index of failures, the totals, the failing scenario with its expected
//! and actual values and the requirement it violated, and a sequence diagram (inline
//! SVG) that Chromium parsed as SVG and left open in the card.
//!
//! Chromium is Debian's `chromium` package (`.ci/run` installs it). Without it the test
//! fails when `CI` is set and is skipped with a note otherwise.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use super::{TempDir, both, pens_conform};

/// How long Chromium may take to start, load a local file and print its DOM on a busy
/// two-core machine.
const CHROMIUM_DEADLINE: Duration = Duration::from_secs(90);

#[test]
fn the_html_report_of_a_failing_run_shows_the_failure_in_a_browser() {
    let Some(chromium) = find_chromium() else {
        if std::env::var_os("CI").is_some() {
            panic!("chromium is not installed: install the Debian package `chromium` (.ci/run does it when missing)");
        }
        eprintln!("note: chromium not found on PATH; skipping the browser test of report.html");
        return;
    };
    let dir = TempDir::new("html-browser");
    let output = pens_conform()
        .args(["selftest", "--defect", "lowest-error-code", "--only", "several-errors-highest-code", "--report-dir"])
        .arg(dir.path())
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(1), "{}", both(&output));
    let page = dir.path().join("target").join("report.html");
    assert!(page.is_file(), "no report.html: {}", both(&output));

    let dom = dump_dom(&chromium, &page, dir.path());
    // Totals of the summary header.
    assert!(dom.contains("<td id=\"total\">1</td>"), "{dom}");
    assert!(dom.contains("<td id=\"total-fail\" class=\"v-fail\">1</td>"), "{dom}");
    assert!(dom.contains("<td id=\"total-pass\" class=\"v-pass\">0</td>"), "{dom}");
    // The failing scenario's section, and in it the failing check's requirement, linked
    // to its row of the coverage matrix.
    let start = dom.find("id=\"scenario-several-errors-highest-code\"").unwrap_or_else(|| panic!("{dom}"));
    let section = &dom[start..dom[start..].find("</section>").map_or(dom.len(), |end| start + end)];
    assert!(section.contains("<span class=\"badge v-fail\">fail</span>"), "{section}");
    let failing_check = section
        .split("<tr ")
        .find(|row| row.starts_with("class=\"v-fail\""))
        .unwrap_or_else(|| panic!("no failing check row: {section}"));
    assert!(failing_check.contains("href=\"#req-target.error.highest-numbered\""), "{failing_check}");
    assert!(dom.contains("<tr id=\"req-target.error.highest-numbered\" class=\"v-fail\">"), "{dom}");

    // The verdict banner comes first in the body, then the index of failures, then the
    // coverage matrix, then the cards.
    let banner = dom.find("<div id=\"banner\" class=\"verdict v-fail\">").unwrap_or_else(|| panic!("{dom}"));
    assert!(dom.contains("<strong id=\"run-verdict\">fail</strong>"), "{dom}");
    assert!(dom.contains("<p id=\"run-verdict-detail\">1 scenario failed</p>"), "{dom}");
    let index = dom.find("<section id=\"failures\">").unwrap_or_else(|| panic!("{dom}"));
    let coverage = dom.find("<section id=\"coverage\">").unwrap_or_else(|| panic!("{dom}"));
    assert!(banner < index && index < coverage && coverage < start, "sections out of order: {dom}");
    let failures = &dom[index..coverage];
    assert!(failures.contains("href=\"#req-target.error.highest-numbered\""), "{failures}");
    assert!(failures.contains("href=\"#scenario-several-errors-highest-code\""), "{failures}");
    // The failing card is open and shows expected and actual.
    assert!(section.contains("<details open=\"\">"), "card not open: {section}");
    assert!(section.contains("<pre class=\"expected\">"), "{section}");
    assert!(section.contains("<pre class=\"actual\">"), "{section}");
    // Chromium parsed the diagram as SVG: its lines and labels are inside one <svg>
    // (a stray close tag or an unescaped label would have ended it early), with the
    // collect arrow labelled with its time.
    let svg_start = section.find("<svg").unwrap_or_else(|| panic!("no diagram: {section}"));
    let svg = &section[svg_start..section[svg_start..].find("</svg>").map_or(section.len(), |end| svg_start + end)];
    assert!(svg.contains("<text class=\"party\""), "{svg}");
    assert!(svg.contains("<g class=\"arrow\">"), "{svg}");
    assert!(svg.contains(" ms collect</text>"), "{svg}");
    assert!(svg.contains("<polygon points="), "{svg}");
}

/// Against a target whose answers end lines with LF only (the reference target with a
/// seeded defect, on loopback), the CRLF requirement fails in most scenarios although
/// none cites it: the coverage matrix counts it tested from the checks that ran, and
/// the index names the cause once with its scenarios. (The matrix used to say
/// untested, built from the scenarios' citations.)
#[test]
fn the_html_report_of_an_lf_only_target_counts_the_crlf_failures_and_names_the_cause_once() {
    let dir = TempDir::new("html-lf");
    let output = pens_conform()
        .args(["selftest", "--defect", "lf-line-endings", "--report-dir"])
        .arg(dir.path())
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(1), "{}", both(&output));
    let html = std::fs::read_to_string(dir.path().join("target").join("report.html")).expect("report.html");
    let start = html.find("<tr id=\"req-response.line-ending.crlf\"").unwrap_or_else(|| panic!("no crlf row"));
    let row = &html[start..start + html[start..].find("</tr>").expect("row end")];
    assert!(row.starts_with("<tr id=\"req-response.line-ending.crlf\" class=\"v-fail\">"), "{row}");
    assert!(!row.contains("untested"), "{row}");
    let fails: usize = row
        .split("<span class=\"count v-fail\">")
        .nth(1)
        .and_then(|rest| rest.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no fail count: {row}"));
    assert!(fails >= 20, "{row}");
    let index_start = html.find("<section id=\"failures\">").expect("index");
    let index = &html[index_start..index_start + html[index_start..].find("</section>").expect("index end")];
    // The first entry is the finding most scenarios share: the collect's answer ending
    // its lines with LF, listed once with all its scenarios, although the bytes it
    // quotes differ by scenario (its error-text does).
    let first = index.split("<li id=\"cause-1\"").nth(1).expect("a first cause");
    let first = &first[..first.find("</li>").expect("entry end")];
    assert!(first.contains("<code>response.line-ending.crlf</code>"), "{first}");
    let shared_by: usize = first
        .split("<span class=\"label\">in ")
        .nth(1)
        .and_then(|rest| rest.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no scenario count: {first}"));
    assert!(shared_by >= 40, "{first}");
    assert_eq!(first.matches("class=\"scenario-link\"").count(), shared_by, "{first}");
    // Its diffs are shown there, once per variant, folded.
    assert_eq!(first.matches("<details class=\"cause-detail\">").count(), 1, "{first}");
}

/// `chromium` on `PATH`.
fn find_chromium() -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path).map(|dir| dir.join("chromium")).find(|candidate| candidate.is_file())
}

/// Runs headless Chromium on `page` with a fresh profile under `scratch`, loopback
/// only, and returns the DOM it prints; panics with its error output past the deadline.
fn dump_dom(chromium: &Path, page: &Path, scratch: &Path) -> String {
    let profile = scratch.join("chromium-profile");
    let stdout_path = scratch.join("dom.html");
    let stderr_path = scratch.join("chromium.stderr");
    // Files, not pipes: Chromium's output cannot fill a pipe while we wait.
    let stdout = std::fs::File::create(&stdout_path).expect("create dom.html");
    let stderr = std::fs::File::create(&stderr_path).expect("create chromium.stderr");
    let mut child = Command::new(chromium)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-extensions",
            "--disable-dev-shm-usage",
            "--no-first-run",
            "--no-default-browser-check",
            "--proxy-server=127.0.0.1:9",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg("--dump-dom")
        .arg(format!("file://{}", page.canonicalize().expect("absolute page path").display()))
        .stdin(Stdio::null())
        .stdout(stdout)
        .stderr(stderr)
        .spawn()
        .expect("start chromium");
    let deadline = Instant::now() + CHROMIUM_DEADLINE;
    let status = loop {
        match child.try_wait().expect("poll chromium") {
            Some(status) => break status,
            None if Instant::now() >= deadline => {
                let _ = child.kill();
                let _ = child.wait();
                panic!(
                    "chromium did not finish within {CHROMIUM_DEADLINE:?}\n--- stderr\n{}",
                    std::fs::read_to_string(&stderr_path).unwrap_or_default()
                );
            }
            None => std::thread::sleep(Duration::from_millis(50)),
        }
    };
    let dom = std::fs::read_to_string(&stdout_path).expect("read dom.html");
    assert!(
        status.success() && !dom.is_empty(),
        "chromium failed ({status})\n--- stderr\n{}",
        std::fs::read_to_string(&stderr_path).unwrap_or_default()
    );
    dom
}
