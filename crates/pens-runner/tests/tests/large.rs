//! Packages grown to a size (`[staging] size`): generated while they are sent, fetched
//! whole by the reference target, judged like any other package; and not applicable
//! when the run declares a smaller package limit.

use pens_report::Verdict;

use crate::support;

/// `package-large` with `size` replaced: the shipped file's checks on a package small
/// enough for a test.
fn sized(size: &str) -> pens_scenario::Scenario {
    let shipped = std::fs::read_to_string(support::workspace().join("scenarios/target/package-large.toml"))
        .expect("the shipped scenario");
    assert!(shipped.contains("size = \"1GiB\""), "the shipped scenario stages 1 GiB");
    let text = shipped.replace("size = \"1GiB\"", &format!("size = \"{size}\""));
    pens_scenario::parse_scenario("scenarios/target/package-large.toml", &text).expect("it loads")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sized_package_is_fetched_whole_and_passes_against_the_reference_target() {
    let (_target, options) = support::reference(None, support::conformant_deadlines());
    let report = support::run(&[sized("3MiB")], &options).await;
    let result = &report.scenarios[0];
    assert_eq!(result.verdict, Verdict::Pass, "{}", support::describe_problems(&report));
    let fetched = result.checks.iter().find(|c| c.requirement == "target.receipt.after-fetch").expect("the check");
    assert_eq!(fetched.verdict, Verdict::Pass, "{}", fetched.message);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sized_package_beyond_the_declared_limit_is_not_applicable() {
    let (_target, options) = support::reference(None, support::conformant_deadlines());
    let report = support::run(&[sized("1GiB")], &options).await;
    let result = &report.scenarios[0];
    assert_eq!(result.verdict, Verdict::NotApplicable);
    let note = result.note.as_deref().unwrap_or_default();
    assert!(note.contains("1073741824 bytes, beyond the 4194304 bytes the run declares"), "{note}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_size_smaller_than_the_package_is_a_harness_error_naming_both() {
    let (_target, options) = support::reference(None, support::conformant_deadlines());
    let report = support::run(&[sized("1KiB")], &options).await;
    let result = &report.scenarios[0];
    assert_eq!(result.verdict, Verdict::Error);
    let note = result.note.as_deref().unwrap_or_default();
    assert!(note.starts_with("harness error: scorm12-minimal.zip: the package's own entries need"), "{note}");
    assert!(note.contains("more than the size of 1024 bytes"), "{note}");
}

/// What the scenario catches, at a size a test can afford: a receipt sent before the
/// download, or with no download at all (a should-level scenario: a warning).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sized_package_catches_a_receipt_that_does_not_wait_for_the_download() {
    for defect in [pens_reference::Defect::ReceiptBeforeDownload, pens_reference::Defect::NoFetch] {
        let (_target, options) = support::reference(Some(defect), support::defect_deadlines());
        let report = support::run(&[sized("3MiB")], &options).await;
        let result = &report.scenarios[0];
        assert_eq!(result.verdict, Verdict::Warn, "{defect}: {}", support::describe_problems(&report));
        let fetched = result.checks.iter().find(|c| c.requirement == "target.receipt.after-fetch").expect("the check");
        assert_eq!(fetched.verdict, Verdict::Warn, "{defect}: {}", fetched.message);
    }
}
