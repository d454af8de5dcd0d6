//! Load mode: many publish cycles against the reference target (every one completes,
//! over HTTP and HTTPS staging), against a target that keeps its receipts (lost, ending
//! at the receipt deadline) and against one that sends each receipt twice (duplicated).

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::{Duration, Instant};

use pens_parties::RunCa;

use pens_proto::{CollectCommand, PensResponse, encode_form};
use pens_reference::{Defect, ReferenceTarget, ReferenceTargetOptions};
use pens_report::LoadReport;
use pens_runner::{LoadEvent, LoadOptions, run_load};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use wiremock::matchers::any;
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

use crate::support;

fn loopback() -> SocketAddr {
    SocketAddr::from((Ipv4Addr::LOCALHOST, 0))
}

/// Options for `publishes` cycles, `concurrency` at once, against `url`.
fn options(url: &str, publishes: u64, concurrency: usize, receipt_timeout: Duration) -> LoadOptions {
    let mut options = LoadOptions::new(url, support::packages_dir());
    options.publishes = publishes;
    options.concurrency = concurrency;
    options.receipt_timeout = receipt_timeout;
    options.ack_timeout = Duration::from_secs(10);
    options.grace = Duration::from_millis(200);
    options
}

/// Runs the load and keeps its events: the progress reports in order.
async fn run(options: &LoadOptions) -> (LoadReport, Vec<LoadEvent>) {
    let mut events = Vec::new();
    let report = run_load(options, |event| events.push(event.clone())).await.expect("the load runs");
    (report, events)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_cycle_against_the_reference_target_completes_once() {
    let target = ReferenceTarget::start(loopback(), ReferenceTargetOptions::default()).expect("target");
    let mut options = options(&target.url(), 300, 16, Duration::from_secs(20));
    options.alerts = true;
    let (report, events) = run(&options).await;

    assert_eq!(
        (report.cycles, report.completed, report.lost, report.duplicated, report.late),
        (300, 300, 0, 0, 0),
        "{report:#?}"
    );
    assert_eq!(report.answers.get("0"), Some(&300), "{:?}", report.answers);
    assert_eq!(report.answers.len(), 1, "{:?}", report.answers);
    assert_eq!(report.receipts.get("0"), Some(&300), "{:?}", report.receipts);
    assert_eq!(report.receipts.len(), 1, "{:?}", report.receipts);
    assert_eq!(report.fetch_missing, 0);
    let latency = &report.latency;
    for (stage, summary) in [("ack", latency.ack), ("fetch", latency.fetch_start), ("receipt", latency.receipt)] {
        assert_eq!(summary.samples, 300, "{stage}: {summary:?}");
        assert!(summary.p50_us <= summary.p99_us && summary.p99_us <= summary.max_us, "{stage}: {summary:?}");
        assert!(summary.p50_us > 0, "{stage}: {summary:?}");
    }
    // Each cycle's stages come in protocol order: answer and fetch before the receipt.
    assert!(latency.fetch_start.p50_us <= latency.receipt.p50_us, "{latency:?}");
    assert!(report.throughput > 0.0);
    // One alert follows each receipt; the last ones may still be on their way.
    assert!(report.alerts <= 300, "{report:#?}");
    assert!(report.clean(), "{report:#?}");

    assert!(matches!(events.first(), Some(LoadEvent::Started { .. })), "{events:?}");
    let Some(LoadEvent::Progress(last)) = events.last() else { panic!("no final progress: {events:?}") };
    assert_eq!((last.ended, last.completed, last.publishes), (300, 300, 300));

    // The target kept every event (in-process targets are unbounded), one exchange per
    // cycle: nothing was sent twice.
    let collects = target
        .activity()
        .iter()
        .filter(|e| matches!(e.kind, pens_parties::TargetEventKind::CollectReceived { .. }))
        .count();
    assert_eq!(collects, 300);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn packages_staged_over_https_are_fetched_by_a_target_that_trusts_the_ca() {
    let ca = Arc::new(RunCa::generate(&[]).expect("a run CA"));
    let target_options = ReferenceTargetOptions::builder().extra_root_pem(ca.ca_pem()).build();
    let target = ReferenceTarget::start(loopback(), target_options).expect("target");
    let mut options = options(&target.url(), 40, 8, Duration::from_secs(20));
    options.https = true;
    options.ca = Some(ca);
    let (report, events) = run(&options).await;

    assert!(report.clean(), "{report:#?}");
    assert_eq!((report.completed, report.latency.fetch_start.samples), (40, 40), "{report:#?}");
    let Some(LoadEvent::Started { staging, .. }) = events.first() else { panic!("{events:?}") };
    assert!(staging.starts_with("https://"), "{staging}");
}

/// `size`: every cycle stages the package grown to exactly 3 MiB (a filler generated as
/// it is sent), and the reference target, whose limit is far above it, imports each.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_package_grown_to_a_size_is_staged_and_fetched_whole_in_every_cycle() {
    const SIZE: u64 = 3 * 1024 * 1024;
    // The target must take the package: its limit is far above it.
    const { assert!(pens_parties::DEFAULT_MAX_PACKAGE_BYTES > SIZE) };
    let target = ReferenceTarget::start(loopback(), ReferenceTargetOptions::default()).expect("target");
    let mut options = options(&target.url(), 12, 4, Duration::from_secs(30));
    options.size = Some(SIZE);
    let (report, _) = run(&options).await;

    assert_eq!((report.cycles, report.completed, report.lost), (12, 12, 0), "{report:#?}");
    assert_eq!(report.receipts.get("0"), Some(&12), "{:?}", report.receipts);
    assert!(report.clean(), "{report:#?}");
    assert_eq!(report.package, pens_scenario::DEFAULT_PACKAGE);
    assert_eq!(report.package_bytes, SIZE);
    assert!(report.served_bytes_per_second().is_some_and(|rate| rate > 0.0), "{report:#?}");
    // The target received every byte of it, in every cycle.
    let fetched: Vec<u64> = target
        .activity()
        .iter()
        .filter_map(|e| match e.kind {
            pens_parties::TargetEventKind::FetchFinished { bytes, .. } => Some(bytes),
            _ => None,
        })
        .collect();
    assert_eq!(fetched, vec![SIZE; 12]);
}

/// Above the parties' default of 256 connections per listener, the harness's own
/// staging server and collector must not hold the target back: with 300 cycles in
/// flight against a target that takes that many connections, every cycle completes
/// well within its deadline (a fetch or receipt held in our listen backlog would wait
/// for an idle kept-alive connection to time out, 30 s).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_concurrency_above_the_default_connection_cap_is_not_throttled_by_the_harness() {
    const CONCURRENCY: usize = 300;
    // Harness and target share this process here: both sides' sockets, and a margin.
    if open_files_limit().is_some_and(|limit| limit < 8 * CONCURRENCY as u64) {
        eprintln!("skipped: the open-file limit is too low for both sides in one process");
        return;
    }
    let limits = pens_parties::PeerLimits { connections: 4 * CONCURRENCY, ..pens_parties::PeerLimits::default() };
    let target =
        ReferenceTarget::start(loopback(), ReferenceTargetOptions::builder().limits(limits).build()).expect("target");
    let options = options(&target.url(), 2 * CONCURRENCY as u64, CONCURRENCY, Duration::from_secs(20));
    let (report, _) = run(&options).await;

    assert_eq!((report.cycles, report.completed, report.lost), (600, 600, 0), "{report:#?}");
    assert!(report.clean(), "{report:#?}");
    assert!(report.latency.receipt.max_us < 20_000_000, "{:?}", report.latency);
}

/// The soft limit on open files, from `/proc/self/limits` (Linux); `None` elsewhere.
fn open_files_limit() -> Option<u64> {
    let limits = std::fs::read_to_string("/proc/self/limits").ok()?;
    let line = limits.lines().find(|line| line.starts_with("Max open files"))?;
    match line.trim_start_matches("Max open files").split_whitespace().next()? {
        "unlimited" => Some(u64::MAX),
        soft => soft.parse().ok(),
    }
}

#[tokio::test]
async fn a_size_the_package_cannot_be_grown_to_is_refused_naming_it() {
    let mut options = options("http://127.0.0.1:9/pens", 1, 1, Duration::from_secs(1));
    options.grace = Duration::ZERO;
    for size in [1, pens_scenario::MAX_PACKAGE_SIZE + 1] {
        options.size = Some(size);
        let error = run_load(&options, |_| {}).await.expect_err("a size that cannot be").to_string();
        assert!(error.contains(&format!("size of {size} bytes")), "{error}");
        assert!(error.contains(pens_scenario::DEFAULT_PACKAGE), "{error}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn receipts_a_target_keeps_are_lost_at_the_receipt_deadline() {
    let target_options = ReferenceTargetOptions::builder().defect(Defect::NoReceipt).build();
    let target = ReferenceTarget::start(loopback(), target_options).expect("target");
    let receipt_timeout = Duration::from_millis(300);
    let options = options(&target.url(), 24, 8, receipt_timeout);
    let clock = Instant::now();
    let (report, _) = run(&options).await;
    let elapsed = clock.elapsed();

    assert_eq!((report.cycles, report.completed, report.lost), (24, 0, 24), "{report:#?}");
    assert_eq!(report.answers.get("0"), Some(&24), "{:?}", report.answers);
    assert!(report.receipts.is_empty(), "{:?}", report.receipts);
    assert_eq!(report.latency.receipt.samples, 0);
    assert!(!report.clean());
    // Three rounds of eight cycles, each ending at its deadline: far from any hang.
    assert!(elapsed < Duration::from_secs(15), "{elapsed:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_receipt_for_one_publish_is_counted_duplicated() {
    let target = duplicating_target().await;
    let mut options = options(&format!("{}/pens", target.uri()), 30, 6, Duration::from_secs(10));
    // Long enough for the last cycles' second receipts on a busy machine.
    options.grace = Duration::from_secs(2);
    let (report, _) = run(&options).await;

    assert_eq!((report.cycles, report.completed, report.lost), (30, 30, 0), "{report:#?}");
    assert!(report.duplicated > 0, "{report:#?}");
    assert!(report.duplicated <= 30, "{report:#?}");
    // This target never fetches: every receipt came without a staging request.
    assert_eq!(report.fetch_missing, 30);
    assert_eq!(report.latency.fetch_start.samples, 0);
    assert!(!report.clean());
}

#[tokio::test]
async fn options_that_cannot_run_are_refused_before_anything_starts() {
    let mut none = options("http://127.0.0.1:9/pens", 0, 4, Duration::from_secs(1));
    let error = run_load(&none, |_| {}).await.expect_err("no publishes").to_string();
    assert!(error.contains("--publishes"), "{error}");
    none.publishes = 1;
    none.concurrency = 0;
    let error = run_load(&none, |_| {}).await.expect_err("no concurrency").to_string();
    assert!(error.contains("--concurrency"), "{error}");
    let mut huge = options("http://127.0.0.1:9/pens", 1, 1 << 40, Duration::from_secs(1));
    huge.grace = Duration::ZERO;
    let error = run_load(&huge, |_| {}).await.expect_err("too many connections").to_string();
    assert!(error.contains("open files") && error.contains("ulimit -n"), "{error}");
}

/// A target that answers 0 at once and sends each collect's receipt twice, without
/// fetching: the load must count the second ones.
async fn duplicating_target() -> MockServer {
    let server = MockServer::start().await;
    let runtime = tokio::runtime::Handle::current();
    Mock::given(any())
        .respond_with(move |request: &Request| {
            let command = CollectCommand::decode(&request.body).command;
            if let Some(receipt) = command.receipt.clone() {
                let body = encode_form([
                    ("command", "receipt"),
                    ("pens-version", "1.0.0"),
                    ("package-id", command.package_id.as_deref().unwrap_or_default()),
                    ("error", "0"),
                    ("error-text", "package retrieved"),
                ]);
                runtime.spawn(async move {
                    post(&receipt, &body).await;
                    post(&receipt, &body).await;
                });
            }
            ResponseTemplate::new(200)
                .insert_header("content-type", "text/plain")
                .set_body_string(PensResponse::success("collect command received and understood").encode())
        })
        .mount(&server)
        .await;
    server
}

/// POSTs `body` as a form to `url` (plain HTTP) and reads the answer to its end.
async fn post(url: &str, body: &str) {
    let rest = url.strip_prefix("http://").expect("an http url");
    let (authority, path) = rest.split_once('/').expect("a path");
    let mut stream = tokio::net::TcpStream::connect(authority).await.expect("the collector listens");
    let request = format!(
        "POST /{path} HTTP/1.1\r\nHost: {authority}\r\nContent-Type: application/x-www-form-urlencoded\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).await.expect("sent");
    let mut answer = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut answer)).await;
}
