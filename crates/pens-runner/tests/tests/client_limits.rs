//! Client mode's limits (`[limits]`): a tool whose staging server redirects in a circle,
//! too often or elsewhere, stages a package too large or too many files, answers our
//! receipt without end, or floods the mock target with collects, gets its verdict
//! quickly, with what was seen.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use pens_parties::{CollectRequest, Method};
use pens_proto::CollectCommand;
use pens_report::{CheckResult, ScenarioResult, Verdict};
use pens_runner::{ClientDeadlines, Limits, Trigger, TriggerCall, run_client_suite};
use time::OffsetDateTime;

use crate::raw_http;
use crate::support::packages_dir;

/// What the scenario expects: the package and the answer to the receipt.
const SCENARIO: &str = "id = \"limits\"\ntitle = \"Limits\"\nrequirements = [\"collect.receipt.present\"]\n\
                        [target]\nalerts = 0\n[expect.package]\n[expect.answers]\nalerts = false\n";

/// A collect for a package at `package_url`, receipts to `receipt_url`, no alerts.
fn collect(package_url: &str, receipt_url: &str, copy: u32) -> CollectCommand {
    let mut command = CollectCommand::example();
    command.package_id = Some(format!("https://authoring.example/courses/limits-{copy}"));
    command.package_url = Some(package_url.to_owned());
    command.package_url_expiry = Some(pens_proto::format_expiry(OffsetDateTime::now_utc() + time::Duration::hours(1)));
    command.receipt = Some(receipt_url.to_owned());
    command
}

/// A trigger that sends `copies` collects of [`collect`] per publish, all at once.
fn trigger(package_url: String, receipt_url: String, copies: u32) -> Trigger {
    Trigger::Callback(Arc::new(move |call: TriggerCall| {
        let (package_url, receipt_url) = (package_url.clone(), receipt_url.clone());
        Box::pin(async move {
            // One client for every copy: the copies leave together, none waits on the
            // building of another's client.
            let client = pens_parties::CollectClient::new(None).expect("a client");
            let sends = (1..=copies).map(|copy| {
                let body = collect(&package_url, &receipt_url, copy).to_form();
                let request = CollectRequest { method: Method::Post, url: call.target_url.clone(), body };
                let client = &client;
                async move { client.send(&request, Duration::from_secs(5)).await }
            });
            futures_util::future::join_all(sends).await;
        })
    }))
}

/// A receipt URL whose server answers like a good client.
async fn good_receipts() -> String {
    let addr = raw_http::serve(|_request, stream| raw_http::pens_success(stream)).await;
    format!("http://{addr}/receipt")
}

/// Runs [`SCENARIO`] (or `scenario`) once with `limits`, the tool publishing `copies`
/// collects for a package at `package_url` with receipts to `receipt_url`.
async fn run(scenario: &str, limits: Limits, package_url: String, receipt_url: String, copies: u32) -> ScenarioResult {
    let scenario = pens_scenario::parse_client_scenario("scenarios/client/limits.toml", scenario).expect("loads");
    let mut options = crate::client_support::options(None);
    options.deadlines = ClientDeadlines {
        collect: Duration::from_secs(5),
        answers: Duration::from_secs(3),
        quiet: Duration::from_millis(100),
    };
    options.limits = limits;
    let trigger = trigger(package_url, receipt_url, copies);
    let report =
        run_client_suite(&[scenario], &options, &trigger, &mut |_| {}).await.expect("the harness starts").report;
    assert_eq!(report.scenarios.len(), 1);
    report.scenarios.into_iter().next().expect("one scenario")
}

fn check<'a>(result: &'a ScenarioResult, requirement: &str) -> &'a CheckResult {
    result
        .checks
        .iter()
        .find(|c| c.requirement == requirement)
        .unwrap_or_else(|| panic!("no {requirement}: {:#?}", result.checks))
}

/// A staging server that answers every request with a redirect to `location(path)`.
async fn redirecting(location: impl Fn(&str, std::net::SocketAddr) -> String + Send + Sync + 'static) -> String {
    let location = Arc::new(location);
    let addr = Arc::new(std::sync::OnceLock::new());
    let seen = Arc::clone(&addr);
    let bound = raw_http::serve(move |request, stream| {
        let target = location(&request.path, *seen.get().expect("bound"));
        async move { raw_http::answer(stream, "302 Found", &[("Location", &target)], b"").await }
    })
    .await;
    addr.set(bound).expect("set once");
    format!("http://{bound}/p1.zip")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_staging_redirect_loop_fails_and_a_long_chain_is_cut_at_the_cap() {
    let receipts = good_receipts().await;
    // Back to the same URL: a circle, the package can never be reached.
    let looping = redirecting(|path, addr| format!("http://{addr}{path}")).await;
    let result = run(SCENARIO, Limits::default(), looping, receipts.clone(), 1).await;
    let available = check(&result, "client.staging.available");
    assert_eq!(available.verdict, Verdict::Fail, "{:#?}", result.checks);
    assert!(
        available.message.contains("go in a circle") && available.message.contains("[limits] redirects"),
        "{}",
        available.message
    );

    // Ever new URLs: followed up to the cap, then not.
    let chain = redirecting(|path, addr| {
        let n: u32 = path.trim_start_matches("/p").trim_end_matches(".zip").parse().unwrap_or(0);
        format!("http://{addr}/p{}.zip", n + 1)
    })
    .await;
    let result = run(SCENARIO, Limits { redirects: 2, ..Limits::default() }, chain, receipts, 1).await;
    let available = check(&result, "client.staging.available");
    assert_eq!(available.verdict, Verdict::Inconclusive, "{:#?}", result.checks);
    assert!(available.message.contains("redirected more than 2 times ([limits] redirects)"), "{}", available.message);
    assert!(available.message.ends_with("/p4.zip"), "{}", available.message);
    assert_eq!(result.verdict, Verdict::Inconclusive, "{}", result.note.as_deref().unwrap_or_default());
}

/// A redirect to another host is never followed: no connection is even tried (an
/// unroutable address would take the whole connect timeout), and the package checks
/// are inconclusive, naming the host.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_redirect_to_another_host_is_not_followed() {
    let receipts = good_receipts().await;
    let elsewhere = redirecting(|_, _| "http://10.255.255.1/p.zip".to_owned()).await;
    let clock = Instant::now();
    let result = run(SCENARIO, Limits::default(), elsewhere, receipts, 1).await;
    let available = check(&result, "client.staging.available");
    assert_eq!(available.verdict, Verdict::Inconclusive, "{:#?}", result.checks);
    assert!(
        available.message.contains("redirected to another host (10.255.255.1")
            && available.message.contains("did not follow"),
        "{}",
        available.message
    );
    assert!(clock.elapsed() < Duration::from_secs(8), "took {:?}: was the redirect followed?", clock.elapsed());
}

/// A package announced at 100 MB with `package-bytes` at 1 MiB: refused before its
/// body, inconclusive.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_package_over_the_size_cap_is_inconclusive() {
    let receipts = good_receipts().await;
    let written = Arc::new(AtomicU64::new(0));
    let counter = Arc::clone(&written);
    let addr = raw_http::serve(move |_request, stream| {
        let head = "HTTP/1.1 200 OK\r\nContent-Type: application/zip\r\nContent-Length: 104857600";
        raw_http::endless_body(stream, head, Arc::clone(&counter))
    })
    .await;
    let limits = Limits { package_bytes: 1024 * 1024, ..Limits::default() };
    let result = run(SCENARIO, limits, format!("http://{addr}/p.zip"), receipts, 1).await;
    let available = check(&result, "client.staging.available");
    assert_eq!(available.verdict, Verdict::Inconclusive, "{:#?}", result.checks);
    assert_eq!(
        available.message,
        "the package was larger than the 1048576-byte limit ([limits] package-bytes); the fetch stopped there: the \
         staging server announced 104857600 bytes"
    );
    assert_eq!(check(&result, "client.package.format").verdict, Verdict::Inconclusive);
    assert!(written.load(Ordering::Relaxed) < 100 * 1024 * 1024);
}

/// A zip with more entries than `zip-entries`, or expanding beyond `unpacked-bytes`: the
/// package was fetched (available), its contents are inconclusive, naming the cap.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_zip_over_the_entry_or_content_cap_is_inconclusive() {
    let receipts = good_receipts().await;
    let package = pens_parties::fixture_package(&packages_dir(), "scorm12-minimal.zip")
        .expect("the fixture")
        .to_bytes(u64::MAX)
        .expect("small");
    let addr = raw_http::serve(move |_request, stream| {
        let package = package.clone();
        async move { raw_http::answer(stream, "200 OK", &[("Content-Type", "application/zip")], &package).await }
    })
    .await;
    let url = format!("http://{addr}/p.zip");
    for (limits, key) in [
        (Limits { zip_entries: 1, ..Limits::default() }, "more than the 1 allowed ([limits] zip-entries)"),
        (Limits { unpacked_bytes: 10, ..Limits::default() }, "more than the 10-byte limit ([limits] unpacked-bytes)"),
    ] {
        let result = run(SCENARIO, limits, url.clone(), receipts.clone(), 1).await;
        assert_eq!(check(&result, "client.staging.available").verdict, Verdict::Pass, "{:#?}", result.checks);
        let contents = check(&result, "client.package.format");
        assert_eq!(contents.verdict, Verdict::Inconclusive, "{:#?}", result.checks);
        assert!(contents.message.contains(key), "{}", contents.message);
        assert_eq!(result.verdict, Verdict::Inconclusive, "{:#?}", result.checks);
    }
}

/// The tool answers our receipt with a body that never ends: reading stops at the cap
/// and the answer fails.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_endless_answer_to_the_receipt_fails() {
    let package = pens_parties::fixture_package(&packages_dir(), "scorm12-minimal.zip")
        .expect("the fixture")
        .to_bytes(u64::MAX)
        .expect("small");
    let staging = raw_http::serve(move |_request, stream| {
        let package = package.clone();
        async move { raw_http::answer(stream, "200 OK", &[("Content-Type", "application/zip")], &package).await }
    })
    .await;
    let written = Arc::new(AtomicU64::new(0));
    let counter = Arc::clone(&written);
    let receipts = raw_http::serve(move |_request, stream| {
        raw_http::endless_body(
            stream,
            "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 104857600",
            Arc::clone(&counter),
        )
    })
    .await;
    let result =
        run(SCENARIO, Limits::default(), format!("http://{staging}/p.zip"), format!("http://{receipts}/r"), 1).await;
    let answers = check(&result, "client.notification.response");
    assert_eq!(answers.verdict, Verdict::Fail, "{:#?}", result.checks);
    assert_eq!(
        answers.message,
        "answer to receipt (error=0): the answer was larger than the 1048576-byte limit ([limits] answer-bytes); \
         reading stopped there; Content-Length said 104857600"
    );
    assert!(written.load(Ordering::Relaxed) < 100 * 1024 * 1024);
}

/// A tool that sends five collects where `notifications` allows three: the mock target
/// takes three, answers the rest 1440 without acting on them, and the flood is
/// inconclusive, with the count.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flood_of_collects_is_counted_beyond_the_cap() {
    let receipts = good_receipts().await;
    // The answers of the collects taken wait 300 ms, so the whole flood, sent at once,
    // is in before the scenario's exchanges end.
    let scenario = "id = \"limits\"\ntitle = \"Limits\"\nrequirements = [\"collect.receipt.present\"]\n\
                    [target]\nfetch = false\nalerts = 0\nanswer_delay_ms = 300\n[expect.answers]\nalerts = false\n";
    let limits = Limits { notifications: 3, ..Limits::default() };
    let result = run(scenario, limits, "http://127.0.0.1:9/p.zip".to_owned(), receipts, 5).await;
    let flood = result
        .checks
        .iter()
        .find(|c| c.message.contains("([limits] notifications)"))
        .unwrap_or_else(|| panic!("no flood check: {:#?}", result.checks));
    assert_eq!(flood.verdict, Verdict::Inconclusive);
    assert!(
        flood.message.starts_with("the tool sent more than 3 collects for this scenario")
            && flood.message.contains("2 more were answered 1440"),
        "{}",
        flood.message
    );
    let collects = result.exchanges.iter().filter(|e| e.kind == pens_report::ExchangeKind::Collect).count();
    assert_eq!(collects, 3, "only the collects within the cap are kept");
}

/// A package beyond what the mock target keeps in memory (5 MiB, past its 1 MiB spool,
/// so it is kept in a temp file) has its contents judged from that file, within
/// `package-bytes`: sound, they pass; with one byte of the stored filler flipped (only
/// its checksum tells, so the whole file is read) or scrambled after the zip magic, the
/// contents are judged broken. Not skipped as too large to keep.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_package_kept_in_a_file_has_its_contents_judged() {
    const SIZE: u64 = 5 * 1024 * 1024;
    let receipts = good_receipts().await;
    let fixture = pens_parties::fixture_package(&packages_dir(), "scorm12-minimal.zip").expect("the fixture");
    let grown = pens_parties::sized_package(&fixture, SIZE).expect("grown").to_bytes(u64::MAX).expect("read");
    let mut flipped = grown.to_vec();
    flipped[grown.len() / 2] ^= 1;
    let cases = [
        ("sound", grown.clone(), Verdict::Pass, "5242880 bytes, a zip holding scorm-1.2 in 3 files: fits"),
        // A corrupt archive is one a target can only answer 1432: a failure.
        ("flipped", bytes::Bytes::from(flipped), Verdict::Fail, "do not decompress or fail their checksum"),
        ("scrambled", pens_parties::corrupt(&grown), Verdict::Fail, "the zip archive cannot be opened"),
    ];
    let limits = Limits { package_bytes: 8 * 1024 * 1024, ..Limits::default() };
    for (name, package, verdict, message) in cases {
        let staging = raw_http::serve(move |_request, stream| {
            let package = package.clone();
            async move { raw_http::answer(stream, "200 OK", &[("Content-Type", "application/zip")], &package).await }
        })
        .await;
        let result = run(SCENARIO, limits, format!("http://{staging}/p.zip"), receipts.clone(), 1).await;
        let available = check(&result, "client.staging.available");
        assert_eq!(available.verdict, Verdict::Pass, "{name}: {:#?}", result.checks);
        assert!(available.message.starts_with("fetched 5242880 bytes"), "{name}: {}", available.message);
        let judged: Vec<&CheckResult> =
            result.checks.iter().filter(|c| c.requirement.starts_with("client.package.")).collect();
        assert!(judged.iter().any(|c| c.verdict == verdict && c.message.contains(message)), "{name}: {judged:#?}");
        assert!(judged.iter().all(|c| c.verdict != Verdict::Inconclusive), "{name}: judged, not skipped: {judged:#?}");
    }
}
