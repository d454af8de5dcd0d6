//! Client mode end to end: the whole client suite against the reference client (every
//! scenario passes), and a trigger command that never publishes.

use std::time::{Duration, Instant};

use pens_report::Verdict;
use pens_runner::{RunEvent, Trigger, run_client_suite};

use crate::client_support::{client_scenarios, options, run_against};
use crate::support::describe_problems;

/// The reference client's staging password: it must never reach a report.
pub(crate) const STAGING_PASSWORD: &str = "s3cret-client-staging";

#[tokio::test(flavor = "multi_thread")]
async fn the_reference_client_passes_every_client_scenario() {
    let report = run_against(None).await;
    assert_eq!(report.mode, "client");
    assert!(report.target.url.starts_with("http://127.0.0.1:") && report.target.url.ends_with("/pens"));
    assert_eq!(report.scenarios.len(), client_scenarios().len());
    assert!(
        report.scenarios.iter().all(|s| s.verdict == Verdict::Pass),
        "the reference client must pass every client scenario:\n{}",
        describe_problems(&report)
    );
    // Every scenario judged something real, and saw its collect.
    for scenario in &report.scenarios {
        assert!(scenario.checks.iter().any(|c| c.verdict == Verdict::Pass), "{}", scenario.id);
        assert!(scenario.exchanges.iter().any(|e| e.kind == pens_report::ExchangeKind::Collect), "{}", scenario.id);
    }
    crate::support::assert_every_check_located(&report);
    let json = serde_json::to_string(&report).unwrap();
    assert!(!json.contains(STAGING_PASSWORD), "the staging password reached the report");
}

/// A tool that stages on FTP or explicit FTPS and asks for `mailto:` receipts: the mock
/// target fetches over FTP(S) and mails through the tool's relay, every scenario still
/// passes, and the mailed receipt reaches the tool.
#[tokio::test(flavor = "multi_thread")]
async fn a_client_staging_on_ftp_with_mailto_receipts_passes_every_client_scenario() {
    use std::net::{IpAddr, Ipv4Addr};
    use std::sync::Arc;

    use pens_reference::{ClientEventKind, ReferenceClient, ReferenceClientOptions, StagingProtocol};

    for protocol in [StagingProtocol::Ftp, StagingProtocol::Ftps] {
        let client_options = ReferenceClientOptions::builder()
            .staging(protocol)
            .mailto(true)
            .credentials("pens-author", STAGING_PASSWORD)
            .build();
        let client = Arc::new(
            ReferenceClient::start(IpAddr::V4(Ipv4Addr::LOCALHOST), client_options).await.expect("the client starts"),
        );
        let mut options = options(Some(client.ca_pem().to_owned()));
        options.smtp_relay = client.smtp_addr();
        let trigger = crate::client_support::trigger_for(&client);
        let report = run_client_suite(&client_scenarios(), &options, &trigger, &mut |_| {}).await.unwrap().report;
        assert!(
            report.scenarios.iter().all(|s| s.verdict == Verdict::Pass),
            "{protocol:?}:\n{}",
            describe_problems(&report)
        );
        let fetched_over = |scenario: &pens_report::ScenarioResult| {
            scenario.exchanges.iter().any(|e| {
                e.kind == pens_report::ExchangeKind::StagingFetch
                    && e.summary.contains(&format!("{protocol:?}://").to_lowercase())
            })
        };
        let publish = report.scenarios.iter().find(|s| s.id == "publish-valid").expect("publish-valid ran");
        assert!(fetched_over(publish), "{protocol:?}: {:#?}", publish.exchanges);
        assert!(
            publish
                .exchanges
                .iter()
                .any(|e| e.kind == pens_report::ExchangeKind::Receipt && e.summary.contains("mailed to receipt.")),
            "{protocol:?}: {:#?}",
            publish.exchanges
        );
        // The tool's side: its receipts came by mail.
        let mailed = client
            .activity()
            .iter()
            .any(|e| matches!(&e.kind, ClientEventKind::NotificationReceived(received) if received.method == "SMTP"));
        assert!(mailed, "{protocol:?}: the client never got a mailed receipt");
        let json = serde_json::to_string(&report).unwrap();
        assert!(!json.contains(STAGING_PASSWORD), "the staging password reached the report");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_trigger_that_never_publishes_fails_with_no_collect_within_the_deadline() {
    let scenarios: Vec<_> = client_scenarios().into_iter().filter(|s| s.id.value == "publish-valid").collect();
    let mut options = options(None);
    options.deadlines.collect = Duration::from_millis(800);
    let clock = Instant::now();
    let never = Trigger::Command("echo \"publishing to $PENS_TARGET_URL for $PENS_SCENARIO_ID\"".into());
    let quiet = run_client_suite(&scenarios, &options, &never, &mut |_| {}).await;
    let elapsed = clock.elapsed();
    assert!(elapsed < Duration::from_secs(8), "the run must end at the collect deadline, took {elapsed:?}");

    let report = quiet.unwrap().report;
    assert_eq!(report.aborted, None, "a command that succeeds is judged per scenario");
    let quiet = &report.scenarios[0];
    assert_eq!(quiet.verdict, Verdict::Fail, "{quiet:#?}");
    // The time actually waited (at least the deadline, a tick or two more), then the
    // deadline itself.
    let message = &quiet.checks[0].message;
    let waited: u64 = message
        .strip_prefix("no collect arrived within ")
        .and_then(|rest| rest.split(' ').next())
        .and_then(|ms| ms.parse().ok())
        .unwrap_or_else(|| panic!("{:?}", quiet.checks[0]));
    assert!(waited >= 800, "{message}");
    assert!(message.ends_with("of triggering the publish (the collect deadline is 800 ms)"), "{message}");
    let note = quiet.note.as_deref().unwrap();
    assert!(note.contains("exited with 0"), "{note}");
    assert!(
        note.contains("publishing to http://127.0.0.1:") && note.contains("/pens/publish-valid for publish-valid"),
        "{note}"
    );
}

/// A trigger that fails before the tool ever published (a binary not on PATH, a typo)
/// stops the run at once, with its exit status and stderr, instead of every scenario
/// waiting out its collect deadline for a collect that cannot come.
#[tokio::test(flavor = "multi_thread")]
async fn a_trigger_that_fails_before_any_collect_stops_the_run_at_once() {
    let scenarios = client_scenarios();
    assert!(scenarios.len() > 4);
    let mut options = options(None);
    options.deadlines.collect = Duration::from_secs(60);
    options.jobs = 2;
    let cases = [
        ("pens-conform-no-such-binary serve client", "exit status: 127", "not found"),
        ("echo boom >&2; exit 3", "exit status: 3", "its stderr ends: boom"),
    ];
    for (command, status, stderr) in cases {
        let clock = Instant::now();
        let mut finished = 0;
        let report = run_client_suite(&scenarios, &options, &Trigger::Command(command.into()), &mut |event| {
            finished += usize::from(matches!(event, RunEvent::ScenarioFinished(_)));
        })
        .await
        .unwrap()
        .report;
        let elapsed = clock.elapsed();
        assert!(elapsed < Duration::from_secs(10), "{command}: took {elapsed:?}, the collect deadline is 60 s");
        let reason = report.aborted.clone().unwrap_or_else(|| panic!("{command}: the run is not stopped"));
        for part in ["--trigger command failed before any collect arrived", status, stderr] {
            assert!(reason.contains(part), "{command}: `{part}` not in: {reason}");
        }
        // Every scenario is in the report once, not run, without a copy of the reason.
        assert_eq!(report.summary.total, scenarios.len(), "{command}");
        assert_eq!(report.summary.inconclusive, scenarios.len(), "{command}");
        let mut ids: Vec<&str> = report.scenarios.iter().map(|s| s.id.as_str()).collect();
        ids.dedup();
        assert_eq!(ids.len(), scenarios.len(), "{command}: {ids:?}");
        for scenario in &report.scenarios {
            let note = scenario.note.as_deref().unwrap_or_default();
            assert!(note.starts_with("not run") && !note.contains(status), "{command}: {}: {note}", scenario.id);
        }
        assert_eq!(finished, 0, "{command}: no scenario was judged");
    }
}

/// Once the tool has published, a trigger that exits non-zero is the tool's behaviour in
/// that scenario, judged there (its note), not a reason to stop the run.
#[tokio::test(flavor = "multi_thread")]
async fn a_trigger_that_fails_after_its_collect_arrived_is_judged_per_scenario() {
    let scenarios: Vec<_> = client_scenarios().into_iter().filter(|s| s.id.value == "publish-valid").collect();
    let mut options = options(None);
    options.deadlines.collect = Duration::from_secs(5);
    let command = "curl -s -o /dev/null --data 'command=collect' \"$PENS_TARGET_URL\"; echo late >&2; exit 1";
    let report =
        run_client_suite(&scenarios, &options, &Trigger::Command(command.into()), &mut |_| {}).await.unwrap().report;
    assert_eq!(report.aborted, None, "{report:#?}");
    let scenario = &report.scenarios[0];
    assert_eq!(scenario.verdict, Verdict::Fail, "{scenario:#?}");
    let note = scenario.note.as_deref().unwrap_or_default();
    assert!(note.contains("exit status: 1") && note.contains("stderr: late"), "{note}");
}

/// A tool that publishes to a URL of no scenario (here the scenario's own with a typo)
/// and whose trigger then fails: the collect is answered 404, never acted on, and
/// counted in the run's harness notes; it still shows that the trigger makes the tool
/// publish, so the run is not stopped as if the trigger were dead: the scenario is
/// judged (no collect at its URL) and says why.
#[tokio::test(flavor = "multi_thread")]
async fn a_collect_at_a_url_of_no_scenario_is_counted_and_does_not_make_the_trigger_dead() {
    let scenarios: Vec<_> = client_scenarios().into_iter().filter(|s| s.id.value == "publish-valid").collect();
    let mut options = options(None);
    options.deadlines.collect = Duration::from_secs(2);
    let command =
        "curl -s -o /dev/null --data 'command=collect' \"${PENS_TARGET_URL}-typo\"; echo wrong-url >&2; exit 1";
    let report =
        run_client_suite(&scenarios, &options, &Trigger::Command(command.into()), &mut |_| {}).await.unwrap().report;
    assert_eq!(report.aborted, None, "{report:#?}");
    assert_eq!(report.scenarios[0].verdict, Verdict::Fail, "{:#?}", report.scenarios[0]);
    let [note] = report.harness_notes.as_slice() else { panic!("one harness note: {:#?}", report.harness_notes) };
    assert_eq!((note.kind.as_str(), note.party.as_str(), note.count), ("unsolicited-traffic", "mock-target", 1));
    assert!(note.message.contains("/pens/publish-valid-typo"), "{}", note.message);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_command_still_running_at_the_collect_deadline_is_killed() {
    let scenarios: Vec<_> = client_scenarios().into_iter().filter(|s| s.id.value == "publish-valid").collect();
    let mut options = options(None);
    options.deadlines.collect = Duration::from_millis(500);
    let clock = Instant::now();
    let report =
        run_client_suite(&scenarios, &options, &Trigger::Command("sleep 30".into()), &mut |_| {}).await.unwrap().report;
    assert!(clock.elapsed() < Duration::from_secs(8), "took {:?}", clock.elapsed());
    let note = report.scenarios[0].note.as_deref().unwrap();
    assert!(note.contains("killed"), "{note}");
}

#[tokio::test(flavor = "multi_thread")]
async fn interactive_mode_announces_where_to_publish() {
    let scenarios: Vec<_> = client_scenarios().into_iter().filter(|s| s.id.value == "publish-valid").collect();
    let mut options = options(None);
    options.deadlines.collect = Duration::from_millis(300);
    options.advertise_host = Some("lms.test".into());
    let mut announced = Vec::new();
    let output = run_client_suite(&scenarios, &options, &Trigger::Interactive, &mut |event| {
        if let RunEvent::AwaitingPublish { scenario, url } = event {
            announced.push((scenario.clone(), url.clone()));
        }
    })
    .await
    .unwrap();
    assert_eq!(announced.len(), 1);
    assert_eq!(announced[0].0, "publish-valid");
    assert!(announced[0].1.starts_with("http://lms.test:") && announced[0].1.ends_with("/pens/publish-valid"));
    assert!(output.report.target.url.starts_with("http://lms.test:"));
    assert_eq!(output.report.scenarios[0].verdict, Verdict::Fail);
}
