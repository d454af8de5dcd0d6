//! The order of the exchange (CMI010 §5, App. A §2) on real sockets: a target that
//! fetches and sends its receipt before it answers the collect (a synchronous importer,
//! as php-pens is under PHP's built-in server) is warned about, and a correct one is not.
//! `answer-before-fetch` holds the package until the answer is read (staging behaviour
//! `after-answer`), which turns a synchronous importer's race into a certainty: it
//! cannot answer in time, however fast its import.

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use pens_parties::RunCa;

use pens_proto::CollectCommand;
use pens_reference::{Defect, ReferenceTarget, ReferenceTargetOptions};
use pens_report::{RunReport, Verdict};
use pens_runner::Deadlines;

use crate::misbehaving::{fetch, post_receipt};
use crate::{raw_http, support};

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
    let scenarios = support::target_scenarios_named(&[
        "answer-before-fetch",
        "collect-post-valid",
        "package-url-unreachable",
        "staging-slow-first-byte",
    ]);
    let (_target, options) = target(None);
    let report = support::run(&scenarios, &options).await;
    for scenario in &report.scenarios {
        assert_eq!(scenario.verdict, Verdict::Pass, "{}", support::describe_problems(&report));
    }
}

/// Deadlines for the hand-written targets below: short, since a synchronous importer
/// makes `answer-before-fetch` wait out the ack deadline.
fn importer_deadlines() -> Deadlines {
    Deadlines {
        ack: Duration::from_millis(1500),
        fetch: Duration::from_secs(3),
        receipt: Duration::from_secs(4),
        quiet: Duration::from_millis(200),
    }
}

/// A target that imports within the collect's request: it fetches the package and
/// sends its receipt before it answers. With `patience`, it waits for its import at
/// most that long (in the background it goes on), as php-pens waits for its call to
/// itself; without, until the import is done. Written from the wire up (raw HTTP), so
/// nothing of the harness stands in for the implementation.
async fn importing_target(patience: Option<Duration>) -> String {
    let addr = raw_http::serve(move |request, stream| async move {
        let command = CollectCommand::decode(&request.body).command;
        let import = tokio::spawn(async move {
            if let Some(url) = command.package_url.clone() {
                fetch(url).await;
            }
            post_receipt(&command).await;
        });
        match patience {
            Some(patience) => {
                let _ = tokio::time::timeout(patience, import).await;
            }
            None => {
                let _ = import.await;
            }
        }
        raw_http::pens_success(stream).await;
    })
    .await;
    format!("http://{addr}/pens")
}

async fn run_answer_before_fetch(url: &str) -> RunReport {
    let scenarios = support::target_scenarios_named(&["answer-before-fetch"]);
    let options = support::options(url, importer_deadlines());
    let report = support::run(&scenarios, &options).await;
    assert!(report.aborted.is_none(), "{:?}", report.aborted);
    report
}

/// A synchronous importer waits on itself: its answer waits for the package, which
/// staging holds until the answer. It cannot answer within the ack deadline, however
/// fast its import, so the must-level ack check fails: every time, not by chance.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_synchronous_importer_fails_answer_before_fetch_on_the_ack_deadline() {
    let url = importing_target(None).await;
    let report = run_answer_before_fetch(&url).await;
    let scenario = &report.scenarios[0];
    assert_eq!(scenario.verdict, Verdict::Fail, "{}", support::describe_problems(&report));
    let failed: Vec<(&str, &str)> = scenario
        .checks
        .iter()
        .filter(|c| c.verdict == Verdict::Fail)
        .map(|c| (c.requirement.as_str(), c.message.as_str()))
        .collect();
    assert_eq!(failed.len(), 1, "{failed:#?}");
    assert_eq!(failed[0].0, "target.ack.synchronous");
    assert!(
        failed[0].1.contains("no answer to the collect within 15")
            && failed[0].1.contains("(the ack deadline is 1500 ms)"),
        "{}",
        failed[0].1
    );
    // And why, as far as the evidence goes.
    let why: Vec<&str> = scenario
        .checks
        .iter()
        .filter(|c| c.verdict == Verdict::Info && c.requirement == "target.ack.synchronous")
        .map(|c| c.message.as_str())
        .collect();
    assert_eq!(why.len(), 1, "{:#?}", scenario.checks);
    assert!(why[0].contains("requested the package (GET /s/answer-before-fetch/"), "{}", why[0]);
    assert!(why[0].contains("synchronous import") && why[0].contains("cannot tell"), "{}", why[0]);
    // The package was asked for while the answer was owed, and served after the harness
    // gave up: the fetch and the receipt still happened.
    let fetched = scenario.exchanges.iter().filter(|e| e.kind == pens_report::ExchangeKind::StagingFetch).count();
    assert_eq!(fetched, 1, "{:#?}", scenario.exchanges);
}

/// A target that waits for its import at most a second before it answers, as php-pens
/// waits for its call to itself. Its import takes milliseconds, so without the hold it
/// would answer a few milliseconds after its fetch and receipt, inside the order
/// check's slack: seen only by chance. Held, its import cannot finish, it answers when
/// its patience runs out, and its fetch is always a second before its answer: the order
/// warns, every time. Its receipt, sent once the package came, is after the answer.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_target_that_fetches_a_second_before_it_answers_is_always_warned_about() {
    let url = importing_target(Some(Duration::from_millis(1000))).await;
    let report = run_answer_before_fetch(&url).await;
    let scenario = &report.scenarios[0];
    assert_eq!(scenario.verdict, Verdict::Warn, "{}", support::describe_problems(&report));
    let warned: Vec<&str> = scenario
        .checks
        .iter()
        .filter(|c| c.verdict == Verdict::Warn)
        .map(|c| {
            assert_eq!(c.requirement, "target.ack.synchronous");
            c.message.as_str()
        })
        .collect();
    assert_eq!(warned.len(), 1, "{warned:#?}");
    assert!(warned[0].starts_with("the target requested the package (GET /s/"), "{}", warned[0]);
    assert!(warned[0].contains("only as an example"), "{}", warned[0]);
}
