//! Observe mode end to end: the reference client publishing through the relay to the
//! reference target, on loopback. The relay adds no behaviour of its own: the clean
//! pair gives a clean report and the same end result as without it; every seeded defect
//! of either side that a publish can show is blamed on its own party, never the other.

use std::sync::Arc;
use std::time::{Duration, Instant};

use pens_parties::{RunCa, TargetEventKind};
use pens_reference::{ClientDefect, Defect, PublishRequest, ReferenceClient, ReferenceClientOptions, ReferenceTarget};
use pens_report::{Party, RunReport, Verdict};
use pens_runner::{ObserveOptions, RunEvent, run_observe};

use crate::support::{defect_deadlines, packages_dir, reference};

/// One publish of the SCORM 1.2 fixture by `client` to `target` through observe mode:
/// the report, and what the client saw (its answer code and its receipt's error).
async fn observe_one(target: &ReferenceTarget, ca: Arc<RunCa>, client: &ReferenceClient) -> (RunReport, Seen) {
    observe_with(target, ca, client, true).await
}

/// The same, rewriting the collect or not (`--no-rewrite`).
async fn observe_with(
    target: &ReferenceTarget,
    ca: Arc<RunCa>,
    client: &ReferenceClient,
    rewrite: bool,
) -> (RunReport, Seen) {
    let mut options = ObserveOptions::new(target.url());
    options.rewrite = rewrite;
    options.publishes = Some(1);
    options.deadlines = defect_deadlines();
    options.answers = Duration::from_secs(3);
    options.trust_pem = vec![client.ca_pem().to_owned()];
    options.ca = Some(ca);
    let (url_sender, url) = tokio::sync::oneshot::channel();
    let mut url_sender = Some(url_sender);
    let mut on_event = move |event: &RunEvent| {
        if let (RunEvent::ObserveStarted { collect_url, .. }, Some(sender)) = (event, url_sender.take()) {
            let _ = sender.send(collect_url.clone());
        }
    };
    let run = run_observe(&options, &mut on_event);
    let publish = async {
        let url = url.await.expect("the relay says where to publish");
        publish(client, &url).await
    };
    let (output, seen) = tokio::join!(run, publish);
    (output.expect("the relay starts").report, seen)
}

/// Observes the reference target publishing from a reference client that stages over
/// HTTPS with its own CA: the relay fetches it trusting that CA, and stages it to the
/// target over HTTPS with `relay_ca`.
async fn observe_https(relay_ca: Option<Arc<RunCa>>) -> RunReport {
    let (target, run_options) = reference(None, defect_deadlines());
    let client = crate::client_support::reference_client(None).await;
    let relay_ca = relay_ca.unwrap_or_else(|| run_options.ca.clone().expect("the run CA"));
    observe_one(&target, relay_ca, &client).await.0
}

#[tokio::test(flavor = "multi_thread")]
async fn a_package_staged_over_https_is_relayed_over_https_with_the_run_ca() {
    let report = observe_https(None).await;
    let checks = &report.scenarios[0].checks;
    assert!(checks.iter().all(|c| c.verdict != Verdict::Fail), "{}", every_check(&report));
    let https = checks.iter().find(|c| c.requirement == "target.fetch.https");
    assert!(https.is_some_and(|c| c.verdict == Verdict::Pass), "{}", every_check(&report));
    crate::support::assert_no_secrets(&report);
    let shown = serde_json::to_string(&report).expect("json");
    assert!(!shown.contains(crate::client_suite::STAGING_PASSWORD), "the staging password shows");
}

#[tokio::test(flavor = "multi_thread")]
async fn an_lms_that_does_not_trust_the_relay_s_ca_is_inconclusive_not_failed() {
    let stranger = Arc::new(RunCa::generate(&[]).expect("a CA the target does not trust"));
    let report = observe_https(Some(stranger)).await;
    let publish = &report.scenarios[0];
    assert!(publish.checks.iter().all(|c| c.verdict != Verdict::Fail), "{}", every_check(&report));
    assert_eq!(publish.verdict, Verdict::Inconclusive, "{}", every_check(&report));
    assert!(publish.note.as_deref().is_some_and(|n| n.contains("trust")), "{:?}", publish.note);
}

#[tokio::test(flavor = "multi_thread")]
async fn without_rewriting_only_the_collect_and_its_answer_are_judged() {
    let (target, run_options) = reference(None, defect_deadlines());
    let client = reference_client(None).await;
    let ca = run_options.ca.clone().expect("the run CA");
    let (report, seen) = observe_with(&target, ca, &client, false).await;
    assert_eq!(seen, Seen { answer: Some(0), receipt_error: Some(0) }, "the pair works past the relay");
    let publish = &report.scenarios[0];
    assert!(matches!(publish.verdict, Verdict::Pass | Verdict::Info), "{}", every_check(&report));
    let judged: Vec<&str> = publish.checks.iter().map(|c| c.requirement.as_str()).collect();
    let bypassed = ["target.fetch", "target.receipt", "target.alerts", "client.staging", "client.notification"];
    assert!(judged.iter().all(|r| bypassed.iter().all(|b| !r.starts_with(b))), "{judged:?}");
    assert!(publish.note.as_deref().is_some_and(|n| n.contains("--no-rewrite")), "{:?}", publish.note);
}

/// A reference client with `defect`, staging over plain HTTP behind basic credentials
/// (the reference target trusts only the run's CA, not the client's).
async fn reference_client(defect: Option<ClientDefect>) -> Arc<ReferenceClient> {
    let options = ReferenceClientOptions::builder()
        .defect(defect)
        .credentials("pens-author", crate::client_suite::STAGING_PASSWORD)
        .build();
    let client = ReferenceClient::start(std::net::Ipv4Addr::LOCALHOST.into(), options).await;
    Arc::new(client.expect("the reference client starts"))
}

/// What the client saw of one publish.
#[derive(Debug, PartialEq)]
struct Seen {
    answer: Option<u16>,
    receipt_error: Option<u16>,
}

async fn publish(client: &ReferenceClient, url: &str) -> Seen {
    let request = PublishRequest::from_fixture(&packages_dir(), "scorm12-minimal.zip", "observed-course")
        .expect("the scorm12-minimal fixture");
    let publication = client.publish(url, request).await;
    let receipt = publication.wait_for_receipt(Instant::now() + Duration::from_secs(8)).await;
    Seen {
        answer: publication.answer_code().map(|c| c.0),
        receipt_error: receipt.and_then(|r| r.notification.error_code()).map(|c| c.0),
    }
}

/// The checks of `party` at `verdict` or worse (but not inconclusive), as lines.
fn findings(report: &RunReport, party: Party, at_least: Verdict) -> Vec<String> {
    let checks = report.scenarios.iter().flat_map(|s| &s.checks);
    checks
        .filter(|c| c.party == Some(party) && c.verdict >= at_least && c.verdict != Verdict::Inconclusive)
        .map(|c| format!("{} [{}] {}", c.verdict, c.requirement, c.message))
        .collect()
}

fn every_check(report: &RunReport) -> String {
    let checks = report.scenarios.iter().flat_map(|s| &s.checks);
    let lines: Vec<String> =
        checks.map(|c| format!("{}{} [{}] {}", c.party_label(), c.verdict, c.requirement, c.message)).collect();
    format!("{}\nnotes: {:?}", lines.join("\n"), report.scenarios.iter().map(|s| &s.note).collect::<Vec<_>>())
}

#[tokio::test(flavor = "multi_thread")]
async fn the_reference_pair_passes_through_observe_with_the_same_end_result_as_without_it() {
    let (target, run_options) = reference(None, defect_deadlines());
    let ca = run_options.ca.clone().expect("the run CA");
    let client = reference_client(None).await;
    // Without the relay: the end result the relay must not change.
    let direct = publish(&client, &target.url()).await;
    assert_eq!(direct, Seen { answer: Some(0), receipt_error: Some(0) });
    let (report, relayed) = observe_one(&target, ca, &client).await;
    assert_eq!(relayed, direct, "the tool saw the same through the relay\n{}", every_check(&report));
    assert_eq!(report.mode, "observe");
    let ids: Vec<&str> = report.scenarios.iter().map(|s| s.id.as_str()).collect();
    assert_eq!(ids, ["publish-001"], "one entry per publish");
    let publish = &report.scenarios[0];
    assert!(publish.title.contains("observed-course"), "{}", publish.title);
    assert!(matches!(publish.verdict, Verdict::Pass | Verdict::Info), "{}", every_check(&report));
    assert!(publish.checks.iter().all(|c| matches!(c.verdict, Verdict::Pass | Verdict::Info | Verdict::NotApplicable)));
    assert!(publish.checks.iter().all(|c| c.party.is_some()), "every check names its party");
    for party in [Party::Client, Party::Target] {
        assert!(publish.checks.iter().any(|c| c.party == Some(party)), "{party} judged\n{}", every_check(&report));
    }
    // The package arrived intact: the target fetched the same bytes both times.
    let fetched: Vec<(u64, u16)> = target
        .activity()
        .iter()
        .filter_map(|e| match &e.kind {
            TargetEventKind::FetchFinished { bytes, result, .. } => Some((*bytes, result.0)),
            _ => None,
        })
        .collect();
    assert_eq!(fetched.len(), 2, "{fetched:?}");
    assert_eq!(fetched[0], fetched[1], "the relayed package is the staged one");
    assert_eq!(fetched[0].1, 0);
    assert!(report.aborted.is_none() && report.scenario_digest.is_none());
}

/// Whether a seeded defect can show in an observed publish of a valid course, and why
/// not when it cannot: observe judges what happened, not what a scenario provokes.
fn target_defect_visible(defect: Defect) -> Result<(), &'static str> {
    match defect {
        Defect::WrongFtpCode => Err("needs an ftp: package URL; the relay stages over http(s)"),
        Defect::LowestErrorCode | Defect::AlwaysSuccess => {
            Err("needs an invalid collect; the reference client sends valid ones")
        }
        Defect::ShallowArchiveCheck | Defect::NoPackageSizeLimit => Err("needs a hostile or oversized package"),
        Defect::LeakyReceipts => {
            Err("needs an unreadable package or receipt URL credentials; the relay's URLs carry none")
        }
        Defect::UnescapedHtmlAnswer => Err("needs a GET collect; the reference client posts"),
        _ => Ok(()),
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn every_visible_target_defect_is_blamed_on_the_target_and_never_on_the_client() {
    let client = reference_client(None).await;
    let mut runs = tokio::task::JoinSet::new();
    for defect in Defect::ALL {
        let client = Arc::clone(&client);
        runs.spawn(async move {
            let (target, run_options) = reference(Some(defect), defect_deadlines());
            let ca = run_options.ca.clone().expect("the run CA");
            (defect, observe_one(&target, ca, &client).await.0)
        });
    }
    let mut reports: Vec<(Defect, RunReport)> = runs.join_all().await;
    reports.sort_by_key(|(defect, _)| defect.name());
    let mut table = String::new();
    let mut wrong = Vec::new();
    for (defect, report) in reports {
        let blamed = findings(&report, Party::Target, Verdict::Warn);
        let client_failed = findings(&report, Party::Client, Verdict::Fail);
        table.push_str(&format!(
            "{:<26} target: {} | client failures: {}\n",
            defect.name(),
            blamed.len(),
            client_failed.len()
        ));
        if !client_failed.is_empty() {
            wrong.push(format!(
                "{}: the client was blamed: {client_failed:?}\n{}",
                defect.name(),
                every_check(&report)
            ));
        }
        match target_defect_visible(defect) {
            Ok(()) if blamed.is_empty() => {
                wrong.push(format!("{}: no target check caught it\n{}", defect.name(), every_check(&report)))
            }
            // What cannot show must not be invented either.
            Err(why) if !blamed.is_empty() => wrong.push(format!(
                "{} ({why}) was caught after all: update the table\n{}",
                defect.name(),
                every_check(&report)
            )),
            _ => {}
        }
    }
    println!("{table}");
    assert!(wrong.is_empty(), "{}\n{table}", wrong.join("\n\n"));
}

/// Whether a seeded client defect can show through the reference target.
fn client_defect_visible(defect: ClientDefect) -> Result<(), &'static str> {
    match defect {
        ClientDefect::StrictNotifications => {
            Err("refuses only receipts that leave out the collect's data; the reference target sends them whole")
        }
        _ => Ok(()),
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn every_visible_client_defect_is_blamed_on_the_client_and_never_on_the_target() {
    let mut runs = tokio::task::JoinSet::new();
    for defect in ClientDefect::ALL {
        runs.spawn(async move {
            let (target, run_options) = reference(None, defect_deadlines());
            let ca = run_options.ca.clone().expect("the run CA");
            let client = reference_client(Some(defect)).await;
            (defect, observe_one(&target, ca, &client).await.0)
        });
    }
    let mut reports: Vec<(ClientDefect, RunReport)> = runs.join_all().await;
    reports.sort_by_key(|(defect, _)| defect.name());
    let mut table = String::new();
    let mut wrong = Vec::new();
    for (defect, report) in reports {
        let blamed = findings(&report, Party::Client, Verdict::Warn);
        let target_failed = findings(&report, Party::Target, Verdict::Fail);
        table.push_str(&format!(
            "{:<26} client: {} | target failures: {}\n",
            defect.name(),
            blamed.len(),
            target_failed.len()
        ));
        if !target_failed.is_empty() {
            wrong.push(format!(
                "{}: the target was blamed: {target_failed:?}\n{}",
                defect.name(),
                every_check(&report)
            ));
        }
        match client_defect_visible(defect) {
            Ok(()) if blamed.is_empty() => {
                wrong.push(format!("{}: no client check caught it\n{}", defect.name(), every_check(&report)))
            }
            Err(why) if !blamed.is_empty() => wrong.push(format!(
                "{} ({why}) was caught after all: update the table\n{}",
                defect.name(),
                every_check(&report)
            )),
            _ => {}
        }
    }
    println!("{table}");
    assert!(wrong.is_empty(), "{}\n{table}", wrong.join("\n\n"));
}

/// Target defects a valid publish cannot show do show when the tool provokes them: each
/// party is then blamed for its own defect, and only for it.
#[tokio::test(flavor = "multi_thread")]
async fn a_defect_on_each_side_blames_each_party_for_its_own() {
    let pairs = [
        // An invalid collect (no expiry) that the target accepts anyway.
        (Defect::AlwaysSuccess, ClientDefect::MissingExpiry),
        // A GET collect, whose answer the target writes as unescaped HTML.
        (Defect::UnescapedHtmlAnswer, ClientDefect::GetInsteadOfPost),
    ];
    let mut wrong = Vec::new();
    for (target_defect, client_defect) in pairs {
        let client = reference_client(Some(client_defect)).await;
        let (target, run_options) = reference(Some(target_defect), defect_deadlines());
        let ca = run_options.ca.clone().expect("the run CA");
        let (report, _) = observe_one(&target, ca, &client).await;
        for (party, defect) in [(Party::Target, target_defect.name()), (Party::Client, client_defect.name())] {
            if findings(&report, party, Verdict::Warn).is_empty() {
                wrong.push(format!("{defect}: no {party} check caught it\n{}", every_check(&report)));
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n\n"));
}
