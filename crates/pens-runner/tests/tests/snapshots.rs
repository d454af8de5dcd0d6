//! The report a person reads, snapshotted: three scenarios against the reference
//! target (a refusal, a choice between alternatives, a full publish), redacted so the
//! snapshot is the same on every run and every machine.

use pens_report::{Summary, render_junit};
use pens_scenario::Scenario;

use crate::redact::redact;
use crate::support;

/// A refusal (2011), alternatives (`any_of`: 1304 at once), and a complete publish
/// (answer, fetch, receipt, alert).
const SUBSET: [&str; 3] = ["collect-post-valid", "ftp-not-claimed", "missing-receipt"];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_report_of_three_scenarios_against_the_reference_target() {
    let scenarios: Vec<Scenario> =
        support::target_scenarios().into_iter().filter(|s| SUBSET.contains(&s.id.as_str())).collect();
    assert_eq!(scenarios.len(), SUBSET.len());
    let (_target, options) = support::reference(None, support::conformant_deadlines());
    let report = support::run(&scenarios, &options).await;
    assert_eq!(
        report.summary,
        Summary { total: 3, pass: 3, ..Summary::default() },
        "{}",
        support::describe_problems(&report)
    );

    // The system password went out with every collect and comes back redacted only.
    support::assert_no_secrets(&report);
    let json = serde_json::to_string_pretty(&report).expect("the report serializes");
    assert!(json.contains("system-password=[redacted]"), "the collect's system-password is shown redacted");

    let workspace = format!("{}/", support::workspace().display());
    let stable = |text: &str| redact(&text.replace(&workspace, ""));
    insta::assert_snapshot!("report_json", stable(&json));
    insta::assert_snapshot!("report_junit", stable(&render_junit(&report).expect("junit")));
}
