//! The order of the exchange (CMI010 §5, App. A §2) on real sockets: a target that
//! fetches and sends its receipt before it answers the collect (a synchronous importer,
//! as php-pens is under PHP's built-in server) is warned about, and a correct one is not.

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use pens_mock::{Defect, ReferenceTarget, ReferenceTargetOptions, RunCa};
use pens_report::Verdict;

use crate::support;

/// A reference target with `defect` whose `slow-ack` answers right after its job, well
/// within the ack deadline: only the order is wrong.
fn target(defect: Option<Defect>) -> (ReferenceTarget, pens_runner::RunOptions) {
    let ca = RunCa::generate(&[]).expect("a run CA");
    let target_options = ReferenceTargetOptions::builder()
        .defect(defect)
        .extra_root_pem(ca.ca_pem())
        .slow_ack_extra_delay(Duration::ZERO)
        .fetch_timeout(support::fetch_timeout(&support::conformant_deadlines()))
        .max_package_bytes(support::MAX_PACKAGE_BYTES)
        .build();
    let target = ReferenceTarget::start(SocketAddr::from((Ipv4Addr::LOCALHOST, 0)), target_options)
        .expect("the reference target starts");
    let mut options = support::options(target.url(), support::conformant_deadlines());
    options.ca = Some(Arc::new(ca));
    (target, options)
}

/// A synchronous importer is flagged with a small package (its receipt's answer is held
/// until its collect is answered, so its answer comes two seconds after its receipt) and
/// where the package takes time to arrive (two seconds to its first byte); both within
/// the ack deadline of three seconds.
#[tokio::test]
async fn a_receipt_and_a_fetch_before_the_answer_are_warned_about() {
    for id in ["collect-post-valid", "staging-slow-first-byte"] {
        let scenarios = support::target_scenarios_named(&[id]);
        let (_target, mut options) = target(Some(Defect::SlowAck));
        options.deadlines.ack = std::time::Duration::from_secs(5);
        let report = support::run(&scenarios, &options).await;
        assert_synchronous_import_flagged(&report);
    }
}

fn assert_synchronous_import_flagged(report: &pens_report::RunReport) {
    let scenario = &report.scenarios[0];
    assert_eq!(scenario.verdict, Verdict::Warn, "{}", support::describe_problems(report));
    let order: Vec<&str> = scenario
        .checks
        .iter()
        .filter(|c| c.requirement == "target.ack.synchronous" && c.verdict == Verdict::Warn)
        .map(|c| c.message.as_str())
        .collect();
    assert_eq!(order.len(), 2, "{order:#?}");
    assert!(order[0].starts_with("the target requested the package (GET /s/"), "{}", order[0]);
    assert!(order[1].starts_with("the receipt (0) arrived"), "{}", order[1]);
    assert!(order.iter().all(|m| m.contains("only as an example")), "{order:#?}");
}

#[tokio::test]
async fn a_correct_target_answers_first_and_nothing_is_said() {
    // Its job starts while its answer is on the way: concurrent, not before.
    let scenarios =
        support::target_scenarios_named(&["collect-post-valid", "package-url-unreachable", "staging-slow-first-byte"]);
    let (_target, options) = target(None);
    let report = support::run(&scenarios, &options).await;
    for scenario in &report.scenarios {
        assert_eq!(scenario.verdict, Verdict::Pass, "{}", support::describe_problems(&report));
    }
}
