//! Client mode and the shape of messages: a tool that posts its collect as
//! `multipart/form-data` is read like one that posts a form (one finding names the
//! media type, every element is judged as usual, the mock target acts on it).

use std::sync::Arc;
use std::time::Duration;

use pens_proto::CollectCommand;
use pens_report::{ExchangeKind, ScenarioResult, Verdict};
use pens_runner::{ClientDeadlines, Trigger, TriggerCall, run_client_suite};
use time::OffsetDateTime;

use crate::raw_http;
use crate::support::packages_dir;

/// The staging password the multipart collect advertises: it must never reach a report.
const PASSWORD: &str = "s3cret-multipart-pw";

/// A strict scenario: every finding on the collect counts, the package is fetched and
/// judged, the receipt is answered.
const SCENARIO: &str = "id = \"multipart\"\ntitle = \"Multipart\"\nrequirements = [\"collect.receipt.present\"]\n\
                        [target]\nalerts = 0\n[expect.collect]\nfindings = \"strict\"\n[expect.package]\n\
                        [expect.answers]\nalerts = false\n";

/// `command` as a `multipart/form-data` body with boundary `pens-boundary`, as PHP's
/// curl posts an array.
fn multipart(command: &CollectCommand) -> String {
    let mut body = String::new();
    for (name, value) in command.pairs() {
        body.push_str(&format!(
            "--pens-boundary\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
        ));
    }
    body.push_str("--pens-boundary--\r\n");
    body
}

async fn run_multipart_publish() -> ScenarioResult {
    let fixture = pens_parties::fixture_package(&packages_dir(), "scorm12-minimal.zip").expect("the fixture");
    let package = fixture.to_bytes(u64::MAX).expect("small");
    let staging = raw_http::serve(move |_request, stream| {
        let package = package.clone();
        async move { raw_http::answer(stream, "200 OK", &[("Content-Type", "application/zip")], &package).await }
    })
    .await;
    let receipts = raw_http::serve(|_request, stream| raw_http::pens_success(stream)).await;
    let trigger = Trigger::Callback(Arc::new(move |call: TriggerCall| {
        Box::pin(async move {
            let mut command = CollectCommand::example();
            command.package_id = Some("https://authoring.example/courses/multipart".to_owned());
            command.package_url = Some(format!("http://{staging}/course.zip"));
            command.package_url_user_id = Some("author".to_owned());
            command.package_url_password = Some(PASSWORD.to_owned());
            command.package_url_expiry =
                Some(pens_proto::format_expiry(OffsetDateTime::now_utc() + time::Duration::hours(1)));
            command.receipt = Some(format!("http://{receipts}/receipt"));
            // A value a form would have to escape travels as is in multipart.
            command.vendor_data = Some("a=b&c d%".to_owned());
            let content_type = "multipart/form-data; boundary=pens-boundary";
            raw_http::post_as(&call.target_url, content_type, &multipart(&command)).await;
        })
    }));
    let scenario = pens_scenario::parse_client_scenario("scenarios/client/multipart.toml", SCENARIO).expect("loads");
    let mut options = crate::client_support::options(None);
    options.deadlines = ClientDeadlines {
        collect: Duration::from_secs(5),
        answers: Duration::from_secs(3),
        quiet: Duration::from_millis(100),
    };
    let report = run_client_suite(&[scenario], &options, &trigger, &mut |_| {}).await.expect("the harness starts");
    let json = serde_json::to_string(&report.report).expect("json");
    assert!(!json.contains(PASSWORD), "the staging password reached the report");
    report.report.scenarios.into_iter().next().expect("one scenario")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_multipart_collect_is_read_warned_about_once_and_acted_on() {
    let result = run_multipart_publish().await;
    let media: Vec<_> = result.checks.iter().filter(|c| c.requirement == "binding.media-type.form").collect();
    assert_eq!(media.len(), 1, "one finding names the media type: {:#?}", result.checks);
    assert_eq!(media[0].verdict, Verdict::Warn);
    assert!(media[0].message.contains("`multipart/form-data`") && media[0].message.contains("App. A"), "{media:?}");
    // Everything else about the collect is judged on the decoded values, and is right.
    let others: Vec<_> = result
        .checks
        .iter()
        .filter(|c| c.verdict >= Verdict::Warn && c.requirement != "binding.media-type.form")
        .collect();
    assert!(others.is_empty(), "only the media type is wrong: {others:#?}");
    // The mock target acted on it: it answered 0, fetched the package, sent its receipt.
    let collect = result.exchanges.iter().find(|e| e.kind == ExchangeKind::Collect).expect("a collect");
    assert!(collect.summary.ends_with("our target answers 0"), "{}", collect.summary);
    assert!(collect.request.as_deref().is_some_and(|r| r.contains("Content-Type: multipart/form-data")), "{collect:?}");
    let pass =
        |requirement: &str| result.checks.iter().any(|c| c.requirement == requirement && c.verdict == Verdict::Pass);
    assert!(pass("client.staging.available") && pass("client.package.format"), "{:#?}", result.checks);
    assert!(pass("client.notification.response"), "{:#?}", result.checks);
    assert!(
        result.exchanges.iter().any(|e| e.kind == ExchangeKind::Receipt && e.summary.starts_with("receipt error=0")),
        "{:#?}",
        result.exchanges
    );
    assert_eq!(result.verdict, Verdict::Warn);
}

/// The minimal receipt and alert of `answers-minimal-notifications` (only `command`,
/// `package-id`, `error`): a client that answers them 0 passes; one that refuses them as
/// php-pens's PENSClient does (2001, pens-version missing) is warned about, with the
/// reason, never failed: CMI010 §5.1 leaves their contents "not fully defined".
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_refusing_minimal_receipts_is_warned_about_not_failed() {
    use pens_reference::ClientDefect;

    let scenarios: Vec<_> = crate::client_support::client_scenarios()
        .into_iter()
        .filter(|s| s.id.value == "answers-minimal-notifications")
        .collect();
    assert_eq!(scenarios.len(), 1, "scenarios/client/answers-minimal-notifications.toml");
    for defect in [None, Some(ClientDefect::StrictNotifications)] {
        let client = crate::client_support::reference_client(defect).await;
        let options = crate::client_support::options(Some(client.ca_pem().to_owned()));
        let trigger = crate::client_support::trigger_for(&client);
        let report = run_client_suite(&scenarios, &options, &trigger, &mut |_| {}).await.expect("starts").report;
        let result = &report.scenarios[0];
        let sent: Vec<_> =
            result.exchanges.iter().filter(|e| matches!(e.kind, ExchangeKind::Receipt | ExchangeKind::Alert)).collect();
        assert_eq!(sent.len(), 2, "{defect:?}: a receipt and an alert: {:#?}", result.exchanges);
        for exchange in &sent {
            let request = exchange.request.as_deref().unwrap_or_default();
            assert!(request.ends_with("fields: command, package-id, error"), "{defect:?}: {request}");
        }
        match defect {
            None => assert_eq!(result.verdict, Verdict::Pass, "{:#?}", result.checks),
            Some(_) => {
                assert_eq!(result.verdict, Verdict::Warn, "{:#?}", result.checks);
                let warned: Vec<_> = result.checks.iter().filter(|c| c.verdict == Verdict::Warn).collect();
                assert_eq!(warned.len(), 2, "the receipt and the alert: {warned:#?}");
                assert!(
                    warned.iter().all(|c| c.message.contains("error=2001") && c.message.contains("not fully defined")),
                    "{warned:#?}"
                );
            }
        }
    }
}
