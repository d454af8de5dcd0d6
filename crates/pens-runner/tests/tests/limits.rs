//! Target mode's limits (`[limits]`): a target that answers without end or floods the
//! collector gets its verdict quickly, with what was seen, and the run goes on.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use pens_proto::{CollectCommand, Notification, NotificationKind};
use pens_report::Verdict;
use pens_runner::{Deadlines, Limits};

use crate::raw_http::{self, RawRequest};
use crate::support;

fn deadlines() -> Deadlines {
    Deadlines {
        ack: Duration::from_secs(5),
        fetch: Duration::from_millis(500),
        receipt: Duration::from_secs(2),
        quiet: Duration::from_millis(100),
    }
}

const SCENARIOS: [&str; 2] = ["collect-post-valid", "collect-get-valid"];

/// A target whose answer announces 100 MB and sends zeros until the reader leaves:
/// reading stops at the 1 MiB cap, before the first byte of the body, and every
/// scenario fails on the answer well within the ack deadline.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_endless_answer_fails_at_the_answer_cap_within_the_ack_deadline() {
    let written = Arc::new(AtomicU64::new(0));
    let counter = Arc::clone(&written);
    let addr = raw_http::serve(move |_request, stream| {
        let head = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 104857600";
        raw_http::endless_body(stream, head, Arc::clone(&counter))
    })
    .await;
    let mut options = support::options(format!("http://{addr}/pens"), deadlines());
    options.jobs = SCENARIOS.len();
    let clock = Instant::now();
    let report = support::run(&support::target_scenarios_named(&SCENARIOS), &options).await;

    assert_eq!(report.aborted, None, "{}", support::describe_problems(&report));
    assert_eq!(report.scenarios.len(), SCENARIOS.len(), "the run went on");
    for scenario in &report.scenarios {
        assert_eq!(scenario.verdict, Verdict::Fail, "{}", support::describe_problems(&report));
        let check = &scenario.checks[0];
        assert_eq!(check.requirement, "target.ack.response-format", "{check:?}");
        assert_eq!(
            check.message,
            "the answer was larger than the 1048576-byte limit ([limits] answer-bytes); reading stopped there; \
             Content-Length said 104857600"
        );
        assert!(
            scenario.duration_ms < deadlines().ack.as_millis() as u64,
            "{} took {} ms",
            scenario.id,
            scenario.duration_ms
        );
    }
    assert!(clock.elapsed() < 2 * deadlines().ack, "the run took {:?}", clock.elapsed());
    // Memory did not grow with the body: the reader left long before 100 MB were sent.
    let sent = written.load(Ordering::Relaxed);
    assert!(sent < 100 * 1024 * 1024, "the peer wrote {sent} bytes");
}

/// The same without a `Content-Length`: the body is read chunk by chunk and dropped at
/// the cap (64 KiB here).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_endless_answer_without_a_length_is_read_up_to_the_cap() {
    let written = Arc::new(AtomicU64::new(0));
    let counter = Arc::clone(&written);
    let addr = raw_http::serve(move |_request, stream| {
        raw_http::endless_body(
            stream,
            "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nConnection: close",
            Arc::clone(&counter),
        )
    })
    .await;
    let mut options = support::options(format!("http://{addr}/pens"), deadlines());
    options.limits = Limits { answer_bytes: 64 * 1024, ..Limits::default() };
    let report = support::run(&support::target_scenarios_named(&SCENARIOS[..1]), &options).await;

    let scenario = &report.scenarios[0];
    assert_eq!(scenario.verdict, Verdict::Fail, "{}", support::describe_problems(&report));
    let message = &scenario.checks[0].message;
    assert!(
        message.starts_with(
            "the answer was larger than the 65536-byte limit ([limits] answer-bytes); reading stopped there, after "
        ) && message.ends_with("; it had no Content-Length"),
        "{message}"
    );
    let sent = written.load(Ordering::Relaxed);
    assert!(sent < 100 * 1024 * 1024, "the peer wrote {sent} bytes");
}

/// A target that sends its receipt and 6 alerts for every collect (before it answers,
/// so that all of them are in before the scenario is judged): the collector keeps 5 per
/// scenario (`notifications = 5`; the default 100 is the collector's own test) and
/// counts the rest, the scenario gets an inconclusive check saying so, and the run goes
/// on.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flood_of_alerts_is_counted_beyond_the_cap_and_inconclusive() {
    let addr = raw_http::serve(|request: RawRequest, stream| async move {
        let elements = match request.method.as_str() {
            "GET" => request.path.split_once('?').map(|(_, q)| q.as_bytes().to_vec()).unwrap_or_default(),
            _ => request.body.clone(),
        };
        let command = CollectCommand::decode(&elements).command;
        let message = |kind: NotificationKind| Notification {
            command: Some(kind.as_str().to_owned()),
            package_id: command.package_id.clone(),
            error: Some("0".to_owned()),
            error_text: Some("flood".to_owned()),
            ..Notification::default()
        };
        if let Some(receipt) = &command.receipt {
            raw_http::post(receipt, &message(NotificationKind::Receipt).to_form()).await;
        }
        if let Some(alerts) = &command.alerts {
            for _ in 0..6 {
                raw_http::post(alerts, &message(NotificationKind::Alert).to_form()).await;
            }
        }
        raw_http::pens_success(stream).await;
    })
    .await;
    let mut options =
        support::options(format!("http://{addr}/pens"), Deadlines { ack: Duration::from_secs(20), ..deadlines() });
    options.jobs = SCENARIOS.len();
    options.limits = Limits { notifications: 5, ..Limits::default() };
    let report = support::run(&support::target_scenarios_named(&SCENARIOS), &options).await;

    assert_eq!(report.aborted, None, "{}", support::describe_problems(&report));
    assert_eq!(report.scenarios.len(), SCENARIOS.len(), "the run went on");
    for scenario in &report.scenarios {
        let flood = scenario
            .checks
            .iter()
            .find(|c| c.message.contains("([limits] notifications)"))
            .unwrap_or_else(|| panic!("no flood check: {}", support::describe_problems(&report)));
        assert_eq!((flood.verdict, flood.requirement.as_str()), (Verdict::Inconclusive, "target.receipt.sent"));
        assert!(
            flood.message.starts_with("the target sent more than 5 receipts and alerts for this scenario")
                && flood.message.contains("2 more were answered and counted but not kept"),
            "{}",
            flood.message
        );
        // The receipt came first and was kept: the count check judges it.
        assert!(
            scenario.checks.iter().any(|c| c.requirement == "target.receipt.sent" && c.verdict == Verdict::Pass),
            "{}: {:#?}",
            scenario.id,
            scenario.checks
        );
    }
}
