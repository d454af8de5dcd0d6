//! Targets that are not PENS targets at all: garbage answers, a closed port, and one
//! that answers 0 but can never reach the harness. Whatever they do, the run ends
//! within its deadlines with results, never with a panic or a harness `error`.

use std::net::{Ipv4Addr, SocketAddr, TcpListener};
use std::time::{Duration, Instant};

use pens_proto::{CollectCommand, PensResponse};
use pens_report::{RunReport, Verdict};
use pens_runner::{Deadlines, Limits, RunEvent, RunOptions, run_target_suite};
use pens_scenario::Scenario;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use wiremock::matchers::any;
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

use crate::support;

/// Short deadlines: these targets never send anything the runner could wait for.
fn short_deadlines() -> Deadlines {
    Deadlines {
        ack: Duration::from_millis(1500),
        fetch: Duration::from_millis(1000),
        receipt: Duration::from_millis(1000),
        quiet: Duration::from_millis(100),
    }
}

/// The longest a run may take with `deadlines` when every scenario runs at once: the
/// preflight and one scenario, each waiting out every deadline, and slack for a busy
/// machine. Far below what waiting out each scenario's deadlines one by one would take.
fn within_deadlines(deadlines: &Deadlines) -> Duration {
    let one_exchange = deadlines.ack + deadlines.fetch + deadlines.receipt + deadlines.quiet;
    2 * one_exchange + Duration::from_secs(5)
}

/// Options against `url` running every scenario at once.
fn all_at_once(url: &str, scenarios: &[Scenario]) -> RunOptions {
    let mut options = support::options(url, short_deadlines());
    options.jobs = scenarios.len();
    options
}

/// A finished run and what its events said.
struct Observed {
    report: RunReport,
    /// `Some(warning)` when the preflight passed.
    preflight: Option<Option<String>>,
    /// The staging server's and the collector's base URLs.
    staging: String,
    collector: String,
}

/// Runs the suite and keeps what its events said.
async fn run(scenarios: &[Scenario], options: &RunOptions) -> Observed {
    let mut preflight = None;
    let mut parties = (String::new(), String::new());
    let output = run_target_suite(scenarios, options, &mut |event| match event {
        RunEvent::Started { staging, collector, .. } => parties = (staging.clone(), collector.clone()),
        RunEvent::PreflightPassed { warning } => preflight = Some(warning.clone()),
        _ => {}
    })
    .await
    .expect("the harness starts");
    Observed { report: output.report, preflight, staging: parties.0, collector: parties.1 }
}

/// GETs `url` (plain HTTP) and reads the answer to its end, as a target that fetches
/// what it is told to would; failures are the staging server's business.
pub(crate) async fn fetch(url: String) {
    let Some(rest) = url.strip_prefix("http://") else { return };
    let (authority, path) = match rest.split_once('/') {
        Some((authority, path)) => (authority.to_owned(), format!("/{path}")),
        None => (rest.to_owned(), "/".to_owned()),
    };
    let limit = Duration::from_secs(5);
    let Ok(Ok(mut stream)) = tokio::time::timeout(limit, tokio::net::TcpStream::connect(&authority)).await else {
        return;
    };
    let request = format!("GET {path} HTTP/1.1\r\nHost: {authority}\r\nConnection: close\r\n\r\n");
    if stream.write_all(request.as_bytes()).await.is_ok() {
        let mut answer = Vec::new();
        let _ = tokio::time::timeout(limit, stream.read_to_end(&mut answer)).await;
    }
}

/// A wiremock target that answers every scenario's collect with `answer` and, like a
/// target that works but cannot speak PENS, fetches the package of every collect it is
/// sent. It answers the preflight in PENS form: a preflight answered `answer` stops the
/// run (see `an_http_404_with_an_empty_body_stops_the_run_at_once`), and these tests are
/// about how each scenario judges such answers.
async fn garbage_target(answer: ResponseTemplate) -> MockServer {
    let server = MockServer::start().await;
    let runtime = tokio::runtime::Handle::current();
    Mock::given(any())
        .respond_with(move |request: &Request| {
            let elements = match request.method.as_str() {
                "GET" => request.url.query().unwrap_or_default().as_bytes().to_vec(),
                _ => request.body.clone(),
            };
            let command = CollectCommand::decode(&elements).command;
            if let Some(url) = command.package_url {
                runtime.spawn(fetch(url));
            }
            if command.package_id.as_deref().is_some_and(|id| id.ends_with(":preflight")) {
                let ack = PensResponse::success("collect command received and understood").encode();
                return ResponseTemplate::new(200).set_body_raw(ack, "text/plain");
            }
            answer.clone()
        })
        .mount(&server)
        .await;
    server
}

/// Runs `scenarios` against a target answering `answer` and checks that every scenario
/// fails on the answer, in time.
async fn every_scenario_fails_on(
    name: &str,
    answer: ResponseTemplate,
    scenarios: &[Scenario],
    deadlines: Deadlines,
) -> RunReport {
    every_scenario_fails_within(name, answer, scenarios, deadlines, Limits::default()).await
}

/// [`every_scenario_fails_on`] with the run's `limits`.
async fn every_scenario_fails_within(
    name: &str,
    answer: ResponseTemplate,
    scenarios: &[Scenario],
    deadlines: Deadlines,
    limits: Limits,
) -> RunReport {
    let target = garbage_target(answer).await;
    let mut options = all_at_once(&format!("{}/pens", target.uri()), scenarios);
    options.deadlines = deadlines;
    options.limits = limits;
    let clock = Instant::now();
    let Observed { report, preflight, .. } = run(scenarios, &options).await;
    let elapsed = clock.elapsed();

    assert_eq!(report.aborted, None, "{name}: {}", support::describe_problems(&report));
    assert!(preflight.is_some(), "{name}: the preflight passed");
    assert_eq!(report.scenarios.len(), scenarios.len());
    // Scenarios for features the profile does not claim (FTP, mail) do not apply; every
    // other one fails (a security scenario warns: it is advisory; so does a should-level one).
    let unclaimed = support::not_applicable_ids(scenarios, &options.claims);
    for scenario in &report.scenarios {
        if unclaimed.contains(&scenario.id) {
            assert_eq!(scenario.verdict, Verdict::NotApplicable, "{name}: {}", scenario.id);
            continue;
        }
        // A best-practice (`level = "should"`) scenario warns where the others fail.
        let should = scenarios
            .iter()
            .any(|s| s.id.value == scenario.id && s.level.value == pens_scenario::ScenarioLevel::Should);
        let advisory = scenario.tags.iter().any(|t| t == pens_runner::SECURITY_TAG);
        let verdict = if advisory || should { Verdict::Warn } else { Verdict::Fail };
        assert_eq!(scenario.verdict, verdict, "{name}: {}: {:#?}", scenario.id, scenario.checks);
        assert!(
            scenario.checks.iter().any(|c| c.verdict == verdict && c.requirement == "response.error.present"),
            "{name}: {} does not fail on the missing `error` line",
            scenario.id
        );
        assert!(scenario.checks.iter().all(|c| c.verdict != Verdict::Error), "{name}: {}", scenario.id);
    }
    let bound = within_deadlines(&options.deadlines);
    assert!(elapsed < bound, "{name}: the run took {elapsed:?}, more than {bound:?}");
    support::assert_no_secrets(&report);
    report
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_html_error_page_fails_every_scenario() {
    let page =
        "<!DOCTYPE html>\n<html><head><title>500</title></head><body><h1>Internal Server Error</h1></body></html>\n";
    let answer = ResponseTemplate::new(500).set_body_raw(page, "text/html; charset=utf-8");
    let report = every_scenario_fails_on("html 500", answer, &support::target_scenarios(), short_deadlines()).await;
    let collect = report.scenarios[0].checks.iter().find(|c| c.requirement == "target.ack.response-format");
    assert!(collect.is_some_and(|c| c.message.contains("HTTP status 500")), "{:#?}", report.scenarios[0].checks);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_empty_answer_fails_every_scenario() {
    every_scenario_fails_on("empty", ResponseTemplate::new(200), &support::target_scenarios(), short_deadlines()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_answer_with_nul_bytes_fails_every_scenario() {
    let answer =
        ResponseTemplate::new(200).set_body_raw(b"\0\0\0error\0=0\0\r\n\0error-text=\0\r\n\0".to_vec(), "text/plain");
    let report = every_scenario_fails_on("nul bytes", answer, &support::target_scenarios(), short_deadlines()).await;
    // The report keeps the exact bytes; the text for people shows the control characters.
    let collect = &report.scenarios[0].exchanges[0];
    let response = collect.response.as_deref().unwrap_or_default();
    assert!(response.ends_with("\n\n\0\0\0error\0=0\0\r\n\0error-text=\0\r\n\0"), "{response:?}");
    let shown = collect.response_text().unwrap_or_default();
    assert!(shown.contains("\\u{0}error\\u{0}="), "{shown}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_ten_megabyte_answer_fails_every_scenario() {
    // A subset: the report keeps each answer's bytes, 10 MB per scenario.
    let scenarios: Vec<Scenario> = support::target_scenarios()
        .into_iter()
        .filter(|s| {
            ["collect-post-valid", "collect-get-valid", "missing-receipt", "ftp-not-claimed"].contains(&s.id.as_str())
        })
        .collect();
    assert_eq!(scenarios.len(), 4);
    let answer = ResponseTemplate::new(200).set_body_raw(vec![b'x'; 10 * 1024 * 1024], "text/plain");
    // Reading 10 MB takes a few hundred milliseconds on a busy machine: a longer ack
    // deadline keeps this about the answer's content, not its speed.
    let deadlines = Deadlines { ack: Duration::from_secs(5), ..short_deadlines() };
    // Above the default `[limits] answer-bytes` (1 MiB, whose breach `limits.rs` tests):
    // with the cap raised, a 10 MB answer is read whole and judged like any other.
    let limits = Limits { answer_bytes: 16 * 1024 * 1024, ..Limits::default() };
    every_scenario_fails_within("10 MB", answer, &scenarios, deadlines, limits).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_closed_port_aborts_the_run_naming_the_url() {
    let port = {
        let listener = TcpListener::bind(SocketAddr::from((Ipv4Addr::LOCALHOST, 0))).expect("a free port");
        listener.local_addr().expect("its address").port()
    };
    let url = format!("http://127.0.0.1:{port}/pens");
    let scenarios = support::target_scenarios();
    let mut options = all_at_once(&url, &scenarios);
    options.only = Some("missing-*".into());
    let clock = Instant::now();
    let Observed { report, preflight, .. } = run(&scenarios, &options).await;

    assert_eq!(preflight, None, "the preflight did not pass");
    let reason = report.aborted.clone().expect("the run is aborted");
    assert!(reason.contains(&format!("nothing listens at {url}: the connection was refused")), "{reason}");
    assert_not_blamed_on_reachability(&reason);
    // `only` chose the scenarios; each is inconclusive, marked not run; the explanation
    // is the report's, once.
    let missing = scenarios.iter().filter(|s| s.id.value.starts_with("missing-")).count();
    assert!(missing > 1);
    assert_eq!((report.summary.total, report.summary.inconclusive), (missing, missing));
    for scenario in &report.scenarios {
        assert!(scenario.id.starts_with("missing-"), "{}", scenario.id);
        let note = scenario.note.as_deref().unwrap_or_default();
        assert!(note.starts_with("not run"), "{note}");
        assert!(!note.contains(&url), "the explanation is copied into {}: {note}", scenario.id);
    }
    // Refused at once: nobody waits for a deadline.
    assert!(clock.elapsed() < short_deadlines().ack, "{:?}", clock.elapsed());
}

/// The reachability explanation (SSRF guard, firewall) belongs to a target that answered
/// in PENS form and then never fetched: anywhere else it sends the vendor after the
/// wrong cause.
fn assert_not_blamed_on_reachability(reason: &str) {
    for wrong in ["SSRF", "cannot reach", "--advertise-host", "firewall"] {
        assert!(!reason.contains(wrong), "`{wrong}` in: {reason}");
    }
}

/// A target answering `status` with `body` to anything, and doing nothing else.
async fn answering(status: u16, body: &'static str, content_type: &str) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(any())
        .respond_with(ResponseTemplate::new(status).set_body_raw(body, content_type))
        .mount(&server)
        .await;
    server
}

/// A wrong endpoint path: HTTP 404 with an empty body. The run stops as soon as the
/// answer is read, saying what came and what to check, not after waiting out a fetch
/// and blaming the network.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_http_404_with_an_empty_body_stops_the_run_at_once() {
    let target = answering(404, "", "text/plain").await;
    let url = format!("{}/wrong", target.uri());
    let scenarios = support::target_scenarios_named(&["collect-post-valid", "missing-receipt"]);
    let mut options = all_at_once(&url, &scenarios);
    // Long deadlines: the run must not come near any of them.
    options.deadlines = Deadlines { ack: Duration::from_secs(20), fetch: Duration::from_secs(20), ..short_deadlines() };
    let clock = Instant::now();
    let Observed { report, preflight, .. } = run(&scenarios, &options).await;
    let elapsed = clock.elapsed();

    assert_eq!(preflight, None, "the preflight did not pass");
    let reason = report.aborted.clone().expect("the run is aborted");
    for part in [url.as_str(), "HTTP 404", "an empty body", "is the PENS endpoint path right?"] {
        assert!(reason.contains(part), "`{part}` not in: {reason}");
    }
    assert_not_blamed_on_reachability(&reason);
    assert_eq!(report.summary.inconclusive, scenarios.len());
    assert!(elapsed < Duration::from_secs(5), "took {elapsed:?}: it waited for something");
    let requests = target.received_requests().await.expect("recorded");
    assert_eq!(requests.len(), 1, "only the preflight's collect: {requests:?}");
}

/// A login page in place of the PENS endpoint (HTTP 200): the answer alone cannot tell it
/// from an LMS answering in the wrong form, so the fetch deadline decides. Nothing
/// follows, so the run stops saying the URL answers but not in PENS form, quoting the
/// page briefly (secrets hidden), never blaming the network.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_page_that_is_not_a_pens_answer_and_nothing_follows_stops_the_run_quoting_it() {
    let page = "<html>\n<body><h1>Sign in</h1>\nsystem-password=hunter2\n<form>...</form></body></html>\n";
    let target = answering(200, page, "text/html").await;
    let url = format!("{}/login", target.uri());
    let scenarios = support::target_scenarios_named(&["collect-post-valid"]);
    let mut options = all_at_once(&url, &scenarios);
    options.deadlines.ack = Duration::from_secs(20);
    let clock = Instant::now();
    let Observed { report, .. } = run(&scenarios, &options).await;

    let reason = report.aborted.clone().expect("the run is aborted");
    for part in ["HTTP 200", "not a PENS response", "<h1>Sign in</h1>", "probably not the LMS's PENS endpoint"] {
        assert!(reason.contains(part), "`{part}` not in: {reason}");
    }
    assert!(!reason.contains("hunter2"), "a secret is quoted: {reason}");
    assert_not_blamed_on_reachability(&reason);
    // The fetch and receipt deadlines (1 s), not the ack deadline.
    assert!(clock.elapsed() < Duration::from_secs(6), "took {:?}", clock.elapsed());
}

/// Statuses that no PENS endpoint answers a valid collect with, unless in PENS form:
/// each stops the run at once with the likeliest cause for it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_http_error_status_stops_the_run_at_once_with_a_hint_for_it() {
    let cases = [
        (401, "does the endpoint need other access?"),
        (405, "is the PENS endpoint path right?"),
        (500, "the server failed on a valid collect"),
    ];
    for (status, hint) in cases {
        let target = answering(status, "<html>oops</html>", "text/html").await;
        let scenarios = support::target_scenarios_named(&["collect-post-valid"]);
        let mut options = all_at_once(&format!("{}/pens", target.uri()), &scenarios);
        options.deadlines =
            Deadlines { ack: Duration::from_secs(20), fetch: Duration::from_secs(20), ..short_deadlines() };
        let clock = Instant::now();
        let Observed { report, .. } = run(&scenarios, &options).await;
        let reason = report.aborted.clone().expect("the run is aborted");
        for part in [format!("HTTP {status}").as_str(), "<html>oops</html>", hint] {
            assert!(reason.contains(part), "{status}: `{part}` not in: {reason}");
        }
        assert_not_blamed_on_reachability(&reason);
        assert!(clock.elapsed() < Duration::from_secs(5), "{status}: took {:?}", clock.elapsed());
    }
}

/// A redirect (say, to https) is not followed: the message says where it points.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_redirect_stops_the_run_naming_where_it_points() {
    let server = MockServer::start().await;
    Mock::given(any())
        .respond_with(ResponseTemplate::new(301).insert_header("Location", "https://lms.example/pens"))
        .mount(&server)
        .await;
    let scenarios = support::target_scenarios_named(&["collect-post-valid"]);
    let options = all_at_once(&format!("{}/pens", server.uri()), &scenarios);
    let Observed { report, .. } = run(&scenarios, &options).await;

    let reason = report.aborted.clone().expect("the run is aborted");
    for part in ["HTTP 301", "https://lms.example/pens", "does not follow redirects"] {
        assert!(reason.contains(part), "`{part}` not in: {reason}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_target_that_never_reaches_the_harness_aborts_with_the_ssrf_explanation() {
    let target = MockServer::start().await;
    let ack = PensResponse::success("collect command received and understood").encode();
    Mock::given(any()).respond_with(ResponseTemplate::new(200).set_body_raw(ack, "text/plain")).mount(&target).await;
    let scenarios = support::target_scenarios();
    let options = all_at_once(&format!("{}/pens", target.uri()), &scenarios);
    let clock = Instant::now();
    let Observed { report, preflight, staging, collector } = run(&scenarios, &options).await;
    let elapsed = clock.elapsed();

    assert_eq!(preflight, None, "the preflight did not pass");
    let reason = report.aborted.clone().expect("the run is aborted");
    for part in ["never requested the package", &staging, &collector, "SSRF", "--advertise-host", "--bind 0.0.0.0"] {
        assert!(reason.contains(part), "`{part}` not in: {reason}");
    }
    assert!(!reason.contains("never answered"), "it answered at once: {reason}");
    assert_eq!(report.summary.inconclusive, scenarios.len());
    assert!(report.scenarios.iter().all(|s| s.verdict == Verdict::Inconclusive));
    // Only the preflight's collect was sent.
    let requests = target.received_requests().await.expect("recorded");
    assert_eq!(requests.len(), 1, "{requests:?}");
    let bound = within_deadlines(&options.deadlines);
    assert!(elapsed < bound, "the preflight took {elapsed:?}, more than {bound:?}");
    assert!(!reason.contains(support::SYSTEM_PASSWORD));
}

/// POSTs a successful receipt for `command` to its receipt URL (plain HTTP), as a
/// target that works would once it has the package.
pub(crate) async fn post_receipt(command: &CollectCommand) {
    let Some(url) = command.receipt.as_deref().and_then(|r| r.strip_prefix("http://")) else { return };
    let (authority, path) = match url.split_once('/') {
        Some((authority, path)) => (authority.to_owned(), format!("/{path}")),
        None => (url.to_owned(), "/".to_owned()),
    };
    let field = |name: &str, value: Option<&str>| format!("{name}={}", url_encode(value.unwrap_or_default()));
    let body = [
        "command=receipt".to_owned(),
        "pens-version=1.0.0".to_owned(),
        field("package-type", command.package_type.as_deref()),
        field("package-type-version", command.package_type_version.as_deref()),
        field("package-format", command.package_format.as_deref()),
        field("package-id", command.package_id.as_deref()),
        field("package-url", command.package_url.as_deref()),
        field("package-url-expiry", command.package_url_expiry.as_deref()),
        "client=late-target".to_owned(),
        "error=0".to_owned(),
        "error-text=package%20received".to_owned(),
    ]
    .join("&");
    let limit = Duration::from_secs(5);
    let Ok(Ok(mut stream)) = tokio::time::timeout(limit, tokio::net::TcpStream::connect(&authority)).await else {
        return;
    };
    let request = format!(
        "POST {path} HTTP/1.1\r\nHost: {authority}\r\nContent-Type: application/x-www-form-urlencoded\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    if stream.write_all(request.as_bytes()).await.is_ok() {
        let mut answer = Vec::new();
        let _ = tokio::time::timeout(limit, stream.read_to_end(&mut answer)).await;
    }
}

/// Percent-encodes everything but unreserved characters.
fn url_encode(value: &str) -> String {
    value
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// A target that holds every answer back `delay`, then behaves: answers 0, fetches the
/// package and sends its receipt.
async fn late_target(delay: Duration) -> MockServer {
    let server = MockServer::start().await;
    let runtime = tokio::runtime::Handle::current();
    let ack = PensResponse::success("collect command received and understood").encode();
    Mock::given(any())
        .respond_with(move |request: &Request| {
            let command = CollectCommand::decode(&request.body).command;
            runtime.spawn(async move {
                // Standing for an LMS busy elsewhere: it does the work once it answers.
                tokio::time::sleep(delay).await;
                if let Some(url) = command.package_url.clone() {
                    fetch(url).await;
                }
                post_receipt(&command).await;
            });
            ResponseTemplate::new(200).set_body_raw(ack.clone(), "text/plain").set_delay(delay)
        })
        .mount(&server)
        .await;
    server
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_late_answer_lets_the_run_go_on_and_fails_the_scenarios_it_delays() {
    // Three ack deadlines late: within the preflight's patience, beyond every scenario's,
    // and beyond the receipt and fetch deadlines together (what the preflight once waited
    // before it blamed the network).
    let deadlines = Deadlines {
        ack: Duration::from_millis(1000),
        fetch: Duration::from_millis(800),
        receipt: Duration::from_millis(1500),
        quiet: Duration::from_millis(100),
    };
    let target = late_target(3 * deadlines.ack).await;
    let scenarios = support::target_scenarios_named(&["collect-post-valid", "missing-receipt"]);
    let mut options = all_at_once(&format!("{}/pens", target.uri()), &scenarios);
    options.deadlines = deadlines;
    let Observed { report, preflight, .. } = run(&scenarios, &options).await;

    assert_eq!(report.aborted, None, "{}", support::describe_problems(&report));
    let warning = preflight.flatten().expect("the preflight warns about the late answer");
    assert!(warning.contains("beyond the 1000 ms ack deadline"), "{warning}");
    assert!(warning.contains("target.ack.synchronous"), "{warning}");
    assert!(!warning.contains("SSRF"), "{warning}");
    for scenario in &report.scenarios {
        assert_eq!(scenario.verdict, Verdict::Fail, "{}: {:#?}", scenario.id, scenario.checks);
        assert!(
            scenario.checks.iter().any(|c| c.verdict == Verdict::Fail && c.requirement == "target.ack.synchronous"),
            "{}: {:#?}",
            scenario.id,
            scenario.checks
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_target_that_never_answers_aborts_the_run_within_the_preflights_patience() {
    // Takes every connection and never says a word.
    let listener = tokio::net::TcpListener::bind(SocketAddr::from((Ipv4Addr::LOCALHOST, 0))).await.expect("a port");
    let url = format!("http://{}/pens", listener.local_addr().expect("its address"));
    let silent = tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((stream, _)) = listener.accept().await {
            held.push(stream);
        }
    });
    let scenarios = support::target_scenarios_named(&["collect-post-valid", "missing-receipt"]);
    let mut options = all_at_once(&url, &scenarios);
    options.deadlines.ack = Duration::from_millis(300);
    let clock = Instant::now();
    let Observed { report, preflight, .. } = run(&scenarios, &options).await;
    let elapsed = clock.elapsed();
    silent.abort();

    assert_eq!(preflight, None, "the preflight did not pass");
    let reason = report.aborted.clone().expect("the run is aborted");
    for part in [url.as_str(), "never answered", "1800 ms", "300 ms ack deadline"] {
        assert!(reason.contains(part), "`{part}` not in: {reason}");
    }
    assert_not_blamed_on_reachability(&reason);
    assert_eq!(report.summary.inconclusive, scenarios.len());
    // The patience (6 × 300 ms), and no wait for a fetch or receipt after it.
    let bound = Duration::from_millis(1800) + Duration::from_secs(3);
    assert!(elapsed < bound, "the preflight took {elapsed:?}, more than {bound:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_target_that_works_but_never_answers_lets_the_run_go_on() {
    // It fetches and receipts at once, but holds its answer far beyond the preflight's
    // patience (6 × 300 ms): it reaches the harness, so the scenarios judge the silence.
    let server = MockServer::start().await;
    let runtime = tokio::runtime::Handle::current();
    Mock::given(any())
        .respond_with(move |request: &Request| {
            let command = CollectCommand::decode(&request.body).command;
            runtime.spawn(async move {
                if let Some(url) = command.package_url.clone() {
                    fetch(url).await;
                }
                post_receipt(&command).await;
            });
            ResponseTemplate::new(200).set_delay(Duration::from_secs(30))
        })
        .mount(&server)
        .await;
    let scenarios = support::target_scenarios_named(&["collect-post-valid"]);
    let mut options = all_at_once(&format!("{}/pens", server.uri()), &scenarios);
    options.deadlines.ack = Duration::from_millis(300);
    let Observed { report, preflight, .. } = run(&scenarios, &options).await;

    assert_eq!(report.aborted, None, "{}", support::describe_problems(&report));
    let warning = preflight.flatten().expect("the preflight warns");
    assert!(warning.contains("never answered a valid collect"), "{warning}");
    assert!(warning.contains("requested the package and sent a receipt"), "{warning}");
    let result = &report.scenarios[0];
    assert!(
        result.checks.iter().any(|c| c.verdict == Verdict::Fail && c.requirement == "target.ack.synchronous"),
        "{:#?}",
        result.checks
    );
}

/// report.json keeps an answer's exact bytes: a body with a literal backslash-r, a CR
/// and bytes that are not UTF-8 comes back from the JSON byte for byte (in base64, with
/// its marker), and the text for people tells the backslash-r from the CR.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_report_keeps_an_answers_exact_bytes() {
    let body = b"error=0\r\nerror-text=a \\r and \xff\xfe\r\nversion=1.0.0\r\n".to_vec();
    let target = garbage_target(ResponseTemplate::new(200).set_body_raw(body.clone(), "text/plain")).await;
    let scenarios: Vec<Scenario> =
        support::target_scenarios().into_iter().filter(|s| s.id.value == "collect-post-valid").collect();
    let options = all_at_once(&format!("{}/pens", target.uri()), &scenarios);
    let Observed { report, .. } = run(&scenarios, &options).await;

    let json = serde_json::to_value(&report).expect("serialises");
    let collect = &json["scenarios"][0]["exchanges"][0];
    assert_eq!(collect["kind"], "collect");
    assert_eq!(collect["response_encoding"], "base64", "{collect}");
    let back: RunReport = serde_json::from_value(json).expect("parses");
    let collect = &back.scenarios[0].exchanges[0];
    let bytes = collect.response_bytes().expect("a response").expect("valid base64");
    assert!(bytes.starts_with(b"HTTP 200\n"), "{bytes:?}");
    assert!(bytes.ends_with(&body), "not the answer byte for byte: {bytes:?}");
    let shown = collect.response_text().expect("a response");
    assert!(shown.contains("error=0\\r\\n\nerror-text=a \\\\r and \\xff\\xfe\\r\\n\n"), "{shown}");
}
