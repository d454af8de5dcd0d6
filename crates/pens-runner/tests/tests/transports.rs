//! The optional transports (CMI010 §5, §6.3): a claim decides whether FTP, FTPS and
//! mail are checked end to end or their error codes are due, and a claim the target
//! does not honour fails. Mailed receipts are received by the run's SMTP sink, parsed
//! and judged like HTTP ones.

use pens_proto::{Support, TargetCapabilities};
use pens_report::{ExchangeKind, ScenarioResult, Verdict};

use crate::support;

fn scenario<'a>(report: &'a pens_report::RunReport, id: &str) -> &'a ScenarioResult {
    report.scenarios.iter().find(|s| s.id == id).unwrap_or_else(|| panic!("{id} did not run"))
}

fn failing(result: &ScenarioResult) -> Vec<String> {
    result.checks.iter().filter(|c| c.verdict == Verdict::Fail).map(|c| c.requirement.clone()).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_target_that_claims_ftp_but_answers_1304_fails() {
    let claimed =
        TargetCapabilities { ftp: Support::Yes, ftps: Support::Yes, ..pens_parties::reference_capabilities() };
    let (_target, options) = support::reference_with_transports(
        pens_parties::reference_capabilities(),
        claimed,
        support::defect_deadlines(),
    )
    .await;
    let scenarios = support::target_scenarios_named(&["ftp-fetch", "ftps-fetch", "ftp-not-claimed"]);
    let report = support::run(&scenarios, &options).await;
    for id in ["ftp-fetch", "ftps-fetch"] {
        let result = scenario(&report, id);
        assert_eq!(result.verdict, Verdict::Fail, "{id}: {}", support::describe_problems(&report));
        let code = if id == "ftp-fetch" { "1304" } else { "1306" };
        // First the claim, named: the failures below follow from it.
        let claim = &result.checks[0];
        let name = id.trim_end_matches("-fetch");
        assert_eq!(claim.verdict, Verdict::Fail, "{id}: {claim:?}");
        assert!(
            claim.message.starts_with(&format!("the profile says {name} = \"yes\", but the target answered {code}")),
            "{id}: {claim:?}"
        );
        let answer =
            result.checks.iter().find(|c| c.verdict == Verdict::Fail && c.actual.is_some()).expect("a failing check");
        assert_eq!(answer.actual.as_deref(), Some(code), "{id}: {answer:?}");
        assert!(failing(result).iter().any(|r| r.starts_with("target.fetch.")), "{id}: {:?}", failing(result));
    }
    // The scenario for targets without FTP does not apply to one that claims it.
    assert_eq!(scenario(&report, "ftp-not-claimed").verdict, Verdict::NotApplicable);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_target_that_claims_mailto_but_answers_1510_fails() {
    let claimed = TargetCapabilities {
        mailto_receipt: Support::Yes,
        mailto_alerts: Support::Yes,
        ..pens_parties::reference_capabilities()
    };
    let (_target, options) = support::reference_with_transports(
        pens_parties::reference_capabilities(),
        claimed,
        support::defect_deadlines(),
    )
    .await;
    let scenarios = support::target_scenarios_named(&["mailto-receipt", "mailto-alerts"]);
    let report = support::run(&scenarios, &options).await;
    for id in ["mailto-receipt", "mailto-alerts"] {
        let result = scenario(&report, id);
        assert_eq!(result.verdict, Verdict::Fail, "{id}: {}", support::describe_problems(&report));
    }
    let checks = &scenario(&report, "mailto-receipt").checks;
    assert!(checks[0].message.starts_with("the profile says mailto-receipt = \"yes\", but the target answered 1510"));
    let answer = checks.iter().find(|c| c.verdict == Verdict::Fail && c.actual.is_some()).cloned();
    assert_eq!(answer.and_then(|c| c.actual), Some("1510".to_owned()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_mailed_receipt_is_received_parsed_and_judged() {
    let full = pens_parties::full_capabilities();
    let (_target, options) =
        support::reference_with_transports(full.clone(), full, support::conformant_deadlines()).await;
    let scenarios = support::target_scenarios_named(&["mailto-receipt", "mailto-receipt-two-addresses"]);
    let report = support::run(&scenarios, &options).await;
    assert_eq!(report.summary.pass, 2, "{}", support::describe_problems(&report));

    let single = scenario(&report, "mailto-receipt");
    let judged: Vec<(&str, Verdict)> = single
        .checks
        .iter()
        .map(|c| (c.requirement.as_str(), c.verdict))
        .filter(|(r, _)| r.contains("receipt"))
        .collect();
    for requirement in ["target.receipt.sent", "target.receipt.outcome", "target.receipt.after-fetch"] {
        assert!(judged.contains(&(requirement, Verdict::Pass)), "{requirement} not judged: {judged:?}");
    }
    let mailed: Vec<&pens_report::Exchange> =
        single.exchanges.iter().filter(|e| e.kind == ExchangeKind::Receipt).collect();
    assert_eq!(mailed.len(), 1, "{mailed:?}");
    assert!(mailed[0].summary.starts_with("mail to receipt.mailto-receipt@pens-conform.test from "), "{mailed:?}");
    let message = mailed[0].request.as_deref().expect("the message is evidence");
    assert!(message.contains("command=receipt\r\n") && message.contains("error=0\r\n"), "{message}");

    // Two addresses: each is counted on its own.
    let both = scenario(&report, "mailto-receipt-two-addresses");
    let per_address: Vec<&str> = both
        .checks
        .iter()
        .filter(|c| c.requirement == "target.receipt.mailto" && c.message.contains(": 1 receipt(s) arrived"))
        .map(|c| c.message.as_str())
        .collect();
    assert_eq!(per_address.len(), 2, "{:?}", both.checks);
    support::assert_no_secrets(&report);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_mailed_receipt_that_never_leaves_fails_the_count() {
    // The target claims mail and answers 0, but mails nowhere: no relay reaches the sink.
    let full = pens_parties::full_capabilities();
    let (target, mut options) =
        support::reference_with_transports(full.clone(), full, support::defect_deadlines()).await;
    let elsewhere =
        pens_parties::Collector::start(std::net::Ipv4Addr::LOCALHOST.into(), "").await.expect("a collector");
    target.set_smtp_relay(elsewhere.smtp_addr());
    options.deadlines.receipt = std::time::Duration::from_secs(2);
    let report = support::run(&support::target_scenarios_named(&["mailto-receipt"]), &options).await;
    let result = scenario(&report, "mailto-receipt");
    assert_eq!(result.verdict, Verdict::Fail);
    assert_eq!(failing(result), ["target.receipt.sent"], "{:?}", result.checks);
}
