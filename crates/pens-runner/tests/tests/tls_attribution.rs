//! Whose TLS failure is it? A failed handshake with the staging server carries no
//! request path, so no scenario key; with scenarios running at once (`--jobs`), the
//! failure of an HTTPS scenario whose target does not trust the run CA once made
//! package-large, whose own fetch was plain HTTP, inconclusive with an "UnknownCA" note.
//! A handshake failure may explain only a scenario whose package URL is on that listener.

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use pens_parties::RunCa;

use pens_reference::{Defect, ReferenceTarget, ReferenceTargetOptions};
use pens_report::Verdict;

use crate::support;

/// A reference target that trusts another CA than the run's, so every HTTPS fetch fails
/// its handshake (`UnknownCA`), and that sends its receipt before it fetches, so the
/// plain HTTP scenario fails a check a TLS note would soften (`target.receipt.after-fetch`).
fn untrusting_target() -> (ReferenceTarget, pens_runner::RunOptions) {
    let other_ca = RunCa::generate(&[]).expect("another CA");
    let deadlines = support::defect_deadlines();
    let target_options = ReferenceTargetOptions::builder()
        .defect(Defect::ReceiptBeforeDownload)
        .extra_root_pem(other_ca.ca_pem())
        .fetch_timeout(support::fetch_timeout(&deadlines))
        .max_package_bytes(support::MAX_PACKAGE_BYTES)
        .build();
    let (target, mut options) = start_with_a_run_ca_it_does_not_trust(target_options, deadlines);
    options.jobs = 2;
    // A window long enough that the HTTPS scenario's handshake fails while the HTTP
    // one is still being watched, however the two are scheduled.
    options.deadlines.quiet = Duration::from_millis(1500);
    (target, options)
}

/// Starts the reference target with `target_options`, and options pointing at it with a
/// fresh run CA, which the target does not trust (`target_options` gives it no root of
/// the run's). Keep the target alive for the whole run.
fn start_with_a_run_ca_it_does_not_trust(
    target_options: ReferenceTargetOptions,
    deadlines: pens_runner::Deadlines,
) -> (ReferenceTarget, pens_runner::RunOptions) {
    let target = ReferenceTarget::start(SocketAddr::from((Ipv4Addr::LOCALHOST, 0)), target_options)
        .expect("the reference target starts");
    let mut options = support::options(target.url(), deadlines);
    options.ca = Some(Arc::new(RunCa::generate(&[]).expect("a run CA")));
    (target, options)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_https_scenarios_tls_failure_does_not_leak_into_a_plain_http_scenario() {
    let scenarios = support::target_scenarios_named(&["collect-post-valid", "package-url-https"]);
    let (_target, options) = untrusting_target();
    let report = support::run(&scenarios, &options).await;
    let problems = support::describe_problems(&report);
    let scenario = |id: &str| report.scenarios.iter().find(|s| s.id == id).expect("the scenario ran");

    // The HTTPS scenario: its own fetch failed the handshake, so it carries the note.
    let https = scenario("package-url-https");
    assert!(https.note.as_deref().is_some_and(|n| n.contains("TLS handshake")), "{problems}");

    // The plain HTTP scenario: its own failure stands, with no TLS note.
    let http = scenario("collect-post-valid");
    assert!(!http.note.as_deref().unwrap_or_default().contains("TLS"), "{problems}");
    assert!(
        http.checks.iter().any(|c| c.requirement == "target.receipt.after-fetch" && c.verdict == Verdict::Fail),
        "{problems}"
    );
    assert_eq!(http.verdict, Verdict::Fail, "{problems}");
}

/// `pens-conform serve target` without `--trust-ca`: the reference target trusts no CA of
/// ours, so its explicit-FTPS handshake (after AUTH TLS) fails as the HTTPS one does. The
/// FTPS listener records it, and `ftps-fetch` is inconclusive with the CA note, not a
/// failure saying the package was never requested.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_explicit_ftps_fetch_that_fails_its_handshake_is_inconclusive_with_the_ca_note() {
    let scenarios = support::target_scenarios_named(&["ftps-fetch"]);
    let deadlines = support::defect_deadlines();
    // FTPS supported and claimed, as `serve target` does (it claims FTP too).
    let mut claims = pens_parties::reference_capabilities();
    claims.ftps = pens_parties::full_capabilities().ftps;
    let target_options = ReferenceTargetOptions::builder()
        .capabilities(claims.clone())
        .fetch_timeout(support::fetch_timeout(&deadlines))
        .max_package_bytes(support::MAX_PACKAGE_BYTES)
        .build();
    let (_target, mut options) = start_with_a_run_ca_it_does_not_trust(target_options, deadlines);
    options.claims = claims;
    let report = support::run(&scenarios, &options).await;
    let problems = support::describe_problems(&report);
    let ftps = report.scenarios.iter().find(|s| s.id == "ftps-fetch").expect("the scenario ran");

    assert_eq!(ftps.verdict, Verdict::Inconclusive, "{problems}");
    assert!(ftps.checks.iter().all(|c| c.verdict != Verdict::Fail), "{problems}");
    assert!(
        ftps.checks.iter().any(|c| c.requirement == "target.fetch.ftps" && c.verdict == Verdict::Inconclusive),
        "{problems}"
    );
    let note = ftps.note.as_deref().unwrap_or_default();
    assert!(
        note.contains("FTPS listener")
            && note.contains("explicit FTPS: the client ended the TLS handshake after AUTH TLS")
            && note.contains("does not trust the run's CA"),
        "{note}"
    );
}
