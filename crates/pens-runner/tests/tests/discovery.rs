//! Claims left `unknown` mean *discover* (issue 14): refusing a feature with its code
//! and supporting it completely are both conformant (CMI010 §5, §6.3); what the target
//! turned out to support is reported with the profile lines that claim it; a target
//! that starts to support a feature and gets it wrong fails; a failure that follows
//! from a claim names the claim.

use pens_proto::{CollectCommand, PensResponse, Support, TargetCapabilities};
use pens_report::{ObservedCapability, RunReport, ScenarioResult, Verdict};
use pens_scenario::Scenario;
use wiremock::matchers::any;
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

use crate::{misbehaving, support};

/// Every scenario whose applicability depends on a claim (`needs` or `unless`).
fn claim_scenarios() -> Vec<Scenario> {
    support::target_scenarios().into_iter().filter(|s| !s.needs.is_empty() || !s.unless.is_empty()).collect()
}

fn scenario<'a>(report: &'a RunReport, id: &str) -> &'a ScenarioResult {
    report.scenarios.iter().find(|s| s.id == id).unwrap_or_else(|| panic!("{id} did not run"))
}

fn observed<'a>(report: &'a RunReport, capability: &str) -> &'a ObservedCapability {
    report
        .target
        .observed
        .iter()
        .find(|o| o.capability == capability)
        .unwrap_or_else(|| panic!("{capability} not among the observed capabilities: {:#?}", report.target.observed))
}

/// Asserts the verdict of each listed scenario.
fn assert_verdicts(report: &RunReport, expected: &[(&str, Verdict)]) {
    for (id, verdict) in expected {
        let result = scenario(report, id);
        assert_eq!(result.verdict, *verdict, "{id}: {:?}\n{}", result.note, support::describe_problems(report));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_claims_discover_a_target_that_supports_every_feature() {
    let full = pens_parties::full_capabilities();
    let (_target, options) =
        support::reference_with_transports(full, TargetCapabilities::default(), support::conformant_deadlines()).await;
    let report = support::run(&claim_scenarios(), &options).await;

    assert_eq!(report.summary.fail + report.summary.warn, 0, "{}", support::describe_problems(&report));
    assert_verdicts(
        &report,
        &[
            ("ftp-fetch", Verdict::Pass),
            ("ftp-credentials", Verdict::Pass),
            ("ftp-wrong-password", Verdict::Pass),
            ("ftps-fetch", Verdict::Pass),
            ("mailto-receipt", Verdict::Pass),
            ("mailto-receipt-two-addresses", Verdict::Pass),
            ("mailto-alerts", Verdict::Pass),
            ("alerts-claimed", Verdict::Pass),
            ("ftp-not-claimed", Verdict::NotApplicable),
            ("ftps-not-claimed", Verdict::NotApplicable),
            ("mailto-receipt-not-claimed", Verdict::NotApplicable),
            ("mailto-alerts-not-claimed", Verdict::NotApplicable),
        ],
    );
    // The scenarios judged in full say why they were.
    let note = scenario(&report, "ftp-fetch").note.clone().unwrap_or_default();
    assert!(note.contains("the profile leaves ftp unknown; judged as supporting it"), "{note}");
    let note = scenario(&report, "ftp-not-claimed").note.clone().unwrap_or_default();
    assert!(note.contains("the target supports it") && note.contains("over ftp"), "{note}");
    for capability in ["ftp", "ftps", "mailto-receipt", "mailto-alerts", "alerts"] {
        let o = observed(&report, capability);
        assert_eq!((o.claimed, o.observed), (Support::Unknown, Support::Yes), "{o:?}");
        assert_eq!(o.profile_line.as_deref(), Some(format!("{capability} = \"yes\"").as_str()));
        assert!(!o.contradicts_claim());
    }
    assert!(observed(&report, "ftp").evidence.contains("requested the package over ftp in ftp-"), "{report:#?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_claims_discover_a_target_that_refuses_the_optional_transports() {
    let (_target, options) = support::reference_with_transports(
        pens_parties::reference_capabilities(),
        TargetCapabilities::default(),
        support::conformant_deadlines(),
    )
    .await;
    let report = support::run(&claim_scenarios(), &options).await;

    assert_eq!(report.summary.fail + report.summary.warn, 0, "{}", support::describe_problems(&report));
    assert_verdicts(
        &report,
        &[
            ("ftp-not-claimed", Verdict::Pass),
            ("ftps-not-claimed", Verdict::Pass),
            ("mailto-receipt-not-claimed", Verdict::Pass),
            ("mailto-alerts-not-claimed", Verdict::Pass),
            ("ftp-fetch", Verdict::NotApplicable),
            ("ftp-credentials", Verdict::NotApplicable),
            ("ftp-wrong-password", Verdict::NotApplicable),
            ("ftps-fetch", Verdict::NotApplicable),
            ("mailto-receipt", Verdict::NotApplicable),
            ("mailto-receipt-two-addresses", Verdict::NotApplicable),
            ("mailto-alerts", Verdict::NotApplicable),
            // It sends alerts over HTTP: they are judged.
            ("alerts-claimed", Verdict::Pass),
        ],
    );
    let note = scenario(&report, "ftp-fetch").note.clone().unwrap_or_default();
    assert!(note.contains("does not support it") && note.contains("1304"), "{note}");
    for (capability, code) in [("ftp", "1304"), ("ftps", "1306"), ("mailto-receipt", "1510"), ("mailto-alerts", "1520")]
    {
        let o = observed(&report, capability);
        assert_eq!(o.observed, Support::No, "{o:?}");
        assert_eq!(o.profile_line.as_deref(), Some(format!("{capability} = \"no\"").as_str()));
        assert!(o.evidence.contains(code), "{o:?}");
    }
    assert_eq!(observed(&report, "alerts").observed, Support::Yes);
}

/// A target that answers 0 to everything, fetches and receipts `http://` packages, and
/// does nothing at all with an `ftp://` or `ftps://` one, nor with a `mailto:` receipt;
/// it never sends an alert. As php-pens does with an `ftps://` package: no fetch, no
/// receipt.
pub(crate) async fn http_only_target_that_accepts_everything() -> MockServer {
    let server = MockServer::start().await;
    let runtime = tokio::runtime::Handle::current();
    let ack = PensResponse::success("collect command received and understood").encode();
    Mock::given(any())
        .respond_with(move |request: &Request| {
            let command = CollectCommand::decode(&request.body).command;
            if command.package_url.as_deref().is_some_and(|u| u.starts_with("http://")) {
                runtime.spawn(async move {
                    if let Some(url) = command.package_url.clone() {
                        misbehaving::fetch(url).await;
                    }
                    misbehaving::post_receipt(&command).await;
                });
            }
            ResponseTemplate::new(200).set_body_raw(ack.clone(), "text/plain")
        })
        .mount(&server)
        .await;
    server
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_target_that_accepts_ftp_without_supporting_it_fails_where_it_is_judged() {
    let target = http_only_target_that_accepts_everything().await;
    let scenarios = support::target_scenarios_named(&["ftp-fetch", "ftp-not-claimed", "alerts-claimed"]);
    let mut options = support::options(format!("{}/pens", target.uri()), support::defect_deadlines());
    options.claims = TargetCapabilities::default();
    let report = support::run(&scenarios, &options).await;

    // Answering 0 to an ftp:// package and never refusing it claims FTP: the refusal
    // check does not apply, and the fetch is judged and fails, naming why.
    assert_verdicts(
        &report,
        &[
            ("ftp-not-claimed", Verdict::NotApplicable),
            ("ftp-fetch", Verdict::Fail),
            ("alerts-claimed", Verdict::NotApplicable),
        ],
    );
    let fetch = scenario(&report, "ftp-fetch");
    let first = &fetch.checks[0];
    assert_eq!((first.verdict, first.requirement.as_str()), (Verdict::Fail, "target.fetch.ftp"), "{:#?}", fetch.checks);
    assert!(first.message.contains("accepting it claims ftp") && first.message.contains("answer 1304"), "{first:?}");
    assert!(fetch.checks.iter().any(|c| c.verdict == Verdict::Fail && c.requirement != "target.fetch.ftp"));
    // No alert came anywhere: alerts are optional, and none is demanded.
    let note = scenario(&report, "alerts-claimed").note.clone().unwrap_or_default();
    assert!(note.contains("optional") && note.contains("alerts = \"yes\""), "{note}");
    assert_eq!(observed(&report, "alerts").observed, Support::No);
    assert_eq!(observed(&report, "ftp").observed, Support::Yes);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_claim_the_target_contradicts_is_named_in_the_failure() {
    // Claims FTP "no", but fetches over FTP.
    let full = pens_parties::full_capabilities();
    let says_no = TargetCapabilities { ftp: Support::No, ..full.clone() };
    let (_target, options) = support::reference_with_transports(full, says_no, support::defect_deadlines()).await;
    let report = support::run(&support::target_scenarios_named(&["ftp-not-claimed", "ftp-fetch"]), &options).await;
    assert_verdicts(&report, &[("ftp-not-claimed", Verdict::Fail), ("ftp-fetch", Verdict::NotApplicable)]);
    let first = &scenario(&report, "ftp-not-claimed").checks[0];
    assert_eq!(first.requirement, "target.fetch.ftp");
    for part in ["the profile says ftp = \"no\"", "requested the package over ftp", "ftp = \"yes\"", "answer 1304"] {
        assert!(first.message.contains(part), "`{part}` not in {first:?}");
    }
    let o = observed(&report, "ftp");
    assert!(o.contradicts_claim(), "{o:?}");
    assert_eq!(o.profile_line.as_deref(), Some("ftp = \"yes\""));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn alerts_left_unknown_are_judged_when_they_come() {
    // The reference target's alert comes before its receipt: sent, so judged.
    let (_target, mut options) = support::reference_all_transports(
        Some(pens_reference::Defect::AlertBeforeReceipt),
        support::defect_deadlines(),
    )
    .await;
    options.claims = TargetCapabilities::default();
    let report = support::run(&support::target_scenarios_named(&["alerts-claimed"]), &options).await;
    let result = scenario(&report, "alerts-claimed");
    assert!(result.verdict >= Verdict::Warn, "{}", support::describe_problems(&report));
    assert!(
        result.checks.iter().any(|c| c.requirement == "target.alerts.after-receipt" && c.verdict >= Verdict::Warn),
        "{:#?}",
        result.checks
    );
}
