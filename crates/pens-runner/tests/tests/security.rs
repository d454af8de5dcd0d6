//! The security profile: scenarios tagged `security` are advisory (their failures are
//! warnings that say so) unless the run enforces them.

use pens_reference::Defect;
use pens_report::Verdict;

use crate::support;

/// A scenario tagged `security` whose check fails against a correct target (it wants
/// 2011 for a valid collect): only the tag and the run's setting decide the verdict.
fn failing_security_scenario() -> pens_scenario::Scenario {
    let text = r#"
id = "advisory-check"
title = "A check that fails against the reference target"
requirements = ["target.error.applicable-code"]
tags = ["security"]

[expect.response]
error = [2011]
"#;
    pens_scenario::parse_scenario("scenarios/target/advisory-check.toml", text).expect("it loads")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_security_failure_is_an_advisory_warning_unless_the_run_enforces_security() {
    let scenario = failing_security_scenario();
    let (_target, mut options) = support::reference(None, support::conformant_deadlines());

    let advisory = support::run(std::slice::from_ref(&scenario), &options).await;
    let result = &advisory.scenarios[0];
    assert_eq!(result.verdict, Verdict::Warn, "{}", support::describe_problems(&advisory));
    let softened = result.checks.iter().find(|c| c.requirement == "target.error.applicable-code").expect("the check");
    assert_eq!(softened.verdict, Verdict::Warn);
    assert!(softened.message.contains("(advisory: a security check; --enforce-security"), "{}", softened.message);
    assert!(result.note.as_deref().is_some_and(|n| n.contains("advisory")), "{:?}", result.note);
    assert_eq!((advisory.summary.warn, advisory.summary.fail), (1, 0));

    options.enforce_security = true;
    let enforced = support::run(&[scenario], &options).await;
    let result = &enforced.scenarios[0];
    assert_eq!(result.verdict, Verdict::Fail, "{}", support::describe_problems(&enforced));
    assert!(result.checks.iter().all(|c| !c.message.contains("advisory")), "{:#?}", result.checks);
    assert_eq!((enforced.summary.warn, enforced.summary.fail), (0, 1));
}

/// The six security scenarios against a correct reference target: all pass, and each
/// note says what the target did.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_reference_target_passes_every_security_scenario_and_the_notes_tell_what_it_did() {
    let scenarios = security_scenarios();
    let (_target, options) = support::reference(None, support::conformant_deadlines());
    let report = support::run(&scenarios, &options).await;
    assert!(report.scenarios.iter().all(|s| s.verdict == Verdict::Pass), "{}", support::describe_problems(&report));
    let note = |id: &str| note_of(&report, id);
    assert!(note("security-zip-slip").contains("sent 1 receipt: 1432 (\"entry `../../pens-conform-zip-slip.txt`"));
    assert!(note("security-zip-bomb").contains("bytes unpacked, beyond the"), "{}", note("security-zip-bomb"));
    assert!(
        note("security-oversized-package").contains("sent 1 receipt: 1440"),
        "{}",
        note("security-oversized-package")
    );
    assert!(note("security-ssrf-internal-url").contains("requested the internal URL once"));
    let message = |id: &str, start: &str| -> String {
        let scenario = report.scenarios.iter().find(|s| s.id == id).expect("ran");
        scenario.checks.iter().find(|c| c.message.starts_with(start)).map(|c| c.message.clone()).unwrap_or_default()
    };
    assert!(message("security-zip-slip", "receipt reports").ends_with("receipt reports 1432, not success"));
    assert!(!message("security-ssrf-internal-url", "observed: the target requested the internal URL").is_empty());
    assert!(
        !message("security-receipt-url-credentials", "observed: the receipt came with the receipt URL's credentials")
            .is_empty()
    );
    assert!(!message("security-collect-html-script", "the answer is served as `text/plain`").is_empty());
}

/// Without a declared package limit the oversized-package scenario cannot know what
/// "too large" is: not applicable, with a note saying how to declare it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_oversized_package_needs_a_declared_limit() {
    let scenarios = support::target_scenarios_named(&["security-oversized-package"]);
    let (_target, mut options) = support::reference(None, support::conformant_deadlines());
    options.declared_max_package_bytes = None;
    let report = support::run(&scenarios, &options).await;
    assert_eq!(report.scenarios[0].verdict, Verdict::NotApplicable);
    assert!(note_of(&report, "security-oversized-package").contains("--max-package-bytes N"));
}

/// Each security defect is flagged by the scenario written for it: a warning by default,
/// a failure once the run enforces security; the messages say what the target did, and
/// the receipt URL's password, which the leaky target sends back, is in no report.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_security_defect_is_flagged_as_a_warning_or_with_enforcement_a_failure() {
    let cases: [(Defect, &str, &str); 5] = [
        (Defect::ShallowArchiveCheck, "security-zip-slip", "receipt reports success (0)"),
        (Defect::ShallowArchiveCheck, "security-zip-bomb", "receipt reports success (0)"),
        (Defect::NoPackageSizeLimit, "security-oversized-package", "receipt reports success (0)"),
        (Defect::LeakyReceipts, "security-ssrf-internal-url", "receipt carries `{{internal_token}}` (in error-text)"),
        (
            Defect::UnescapedHtmlAnswer,
            "security-collect-html-script",
            "the answer is served as `text/html; charset=utf-8` and shows `<script>alert(\"pens\")</script>`",
        ),
    ];
    for (defect, id, says) in cases {
        let scenarios = support::target_scenarios_named(&[id]);
        let (_target, mut options) = support::reference(Some(defect), support::defect_deadlines());
        for (enforce, verdict) in [(false, Verdict::Warn), (true, Verdict::Fail)] {
            options.enforce_security = enforce;
            let report = support::run(&scenarios, &options).await;
            let result = &report.scenarios[0];
            assert_eq!(
                result.verdict,
                verdict,
                "{defect} {id} enforce={enforce}: {}",
                support::describe_problems(&report)
            );
            let flagged = result.checks.iter().find(|c| c.verdict == verdict && c.message.starts_with(says));
            assert!(flagged.is_some(), "{defect} {id}: no check says `{says}`: {:#?}", result.checks);
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_receipt_url_password_sent_back_is_flagged_and_redacted_everywhere() {
    let scenarios = support::target_scenarios_named(&["security-receipt-url-credentials"]);
    let (_target, options) =
        support::reference_all_transports(Some(Defect::LeakyReceipts), support::defect_deadlines()).await;
    let report = support::run(&scenarios, &options).await;
    let result = &report.scenarios[0];
    assert_eq!(result.verdict, Verdict::Warn, "{}", support::describe_problems(&report));
    assert!(
        result
            .checks
            .iter()
            .any(|c| c.verdict == Verdict::Warn && c.message.starts_with("receipt carries `{{secret}}` (in receipt)")),
        "{:#?}",
        result.checks
    );
    // The leaky receipt carries the URL, password included: that is the password.
    let collector = options.collector.as_ref().expect("the run's collector");
    let leaked = collector
        .all_events()
        .iter()
        .find_map(|event| {
            event.notification.get("receipt").filter(|url| url.contains("pens-receipt:")).map(str::to_owned)
        })
        .expect("the leaky receipt echoes the receipt URL");
    let password =
        leaked.split_once("pens-receipt:").and_then(|(_, rest)| rest.split_once('@')).map(|(pw, _)| pw.to_owned());
    let password = password.expect("a password in the echoed URL");
    assert_eq!(password.len(), 32, "{password:?}");
    for (what, text) in [
        ("json", serde_json::to_string(&report).expect("serializes")),
        ("junit", pens_report::render_junit(&report).expect("renders")),
        ("html", pens_report::render_html(&report)),
        ("markdown", pens_report::render_markdown(&report)),
        ("console", pens_report::render_console(&report)),
    ] {
        assert!(!text.contains(&password), "the receipt URL's password is in the {what} report");
    }
    let json = serde_json::to_string(&report).expect("serializes");
    // The collect and the leaky receipt, as sent (form-encoded), show where it was.
    assert!(json.matches("pens-receipt%3A%5Bredacted%5D%40").count() >= 2, "{json}");
}

fn security_scenarios() -> Vec<pens_scenario::Scenario> {
    let scenarios: Vec<_> =
        support::target_scenarios().into_iter().filter(|s| s.tags.iter().any(|t| t.value == "security")).collect();
    assert_eq!(scenarios.len(), 6, "the six security scenarios");
    scenarios
}

fn note_of(report: &pens_report::RunReport, id: &str) -> String {
    report.scenarios.iter().find(|s| s.id == id).and_then(|s| s.note.clone()).unwrap_or_default()
}
