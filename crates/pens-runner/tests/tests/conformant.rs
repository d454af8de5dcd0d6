//! The whole suite against a correct reference target: everything passes, nothing is
//! a surprise, and the run is as fast as the target, not as slow as the deadlines.

use pens_report::{Summary, Verdict, render_junit};
use pens_runner::{RunEvent, run_target_suite};

use crate::support;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_conformant_target_passes_every_scenario_without_waiting_for_deadlines() {
    let (_target, options) = support::reference(None, support::conformant_deadlines());
    assert_conformant_run(&options).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_every_transport_switched_on_a_conformant_target_still_passes_everything() {
    let full = pens_parties::full_capabilities();
    let (_target, options) =
        support::reference_with_transports(full.clone(), full, support::conformant_deadlines()).await;
    let report = assert_conformant_run(&options).await;
    // FTP, FTPS and mail were exercised for real, not skipped.
    for id in ["ftp-fetch", "ftps-fetch", "ftp-credentials", "ftp-wrong-password", "mailto-receipt", "mailto-alerts"] {
        let scenario = report.scenarios.iter().find(|s| s.id == id).expect("the scenario ran");
        assert_eq!(scenario.verdict, Verdict::Pass, "{id}");
    }
}

/// Runs every scenario against a target claiming exactly what it supports: every
/// scenario passes or, needing a claim the target does not make, is not applicable.
async fn assert_conformant_run(options: &pens_runner::RunOptions) -> pens_report::RunReport {
    let scenarios = support::target_scenarios();
    let deadlines = options.deadlines;
    let mut started = Vec::new();
    let mut preflight = Vec::new();
    let mut finished = Vec::new();
    let output = run_target_suite(&scenarios, options, &mut |event| match event {
        RunEvent::Started { scenarios, .. } => started.push(*scenarios),
        RunEvent::PreflightPassed { warning } => preflight.push(warning.clone()),
        RunEvent::ScenarioFinished(result) => finished.push(result.id.clone()),
        _ => {}
    })
    .await
    .expect("the harness starts");
    let report = output.report;
    let problems = support::describe_problems(&report);

    assert_eq!(report.aborted, None, "{problems}");
    // Only scenarios for features the target does not claim (or claims, for `unless`)
    // are not applicable; everything else passes (no `info`, no `warn`).
    let not_applicable = support::not_applicable_ids(&scenarios, &options.claims).len();
    let total = scenarios.len();
    assert_eq!(
        report.summary,
        Summary { total, pass: total - not_applicable, not_applicable, ..Summary::default() },
        "{problems}"
    );

    // Events: one start, a clean preflight, one result per scenario.
    assert_eq!(started, [total]);
    assert_eq!(preflight, [None]);
    finished.sort();
    let ids: Vec<String> = report.scenarios.iter().map(|s| s.id.clone()).collect();
    assert_eq!(finished, ids, "every scenario is reported once, and the report is in id order");

    support::assert_every_check_located(&report);
    assert_an_explicit_expectation_points_at_its_own_line(&report);
    for scenario in report.scenarios.iter().filter(|s| s.verdict == Verdict::Pass) {
        assert!(!scenario.checks.is_empty(), "{} checked nothing", scenario.id);
        assert!(
            scenario.exchanges.iter().any(|e| e.kind == pens_report::ExchangeKind::Collect),
            "{} shows no collect",
            scenario.id
        );
        // Waits end on the event: a correct target never makes a scenario sit out a
        // deadline (the slowest one waits for a staging server that delays 2 s).
        assert!(
            scenario.duration_ms < u64::try_from(deadlines.receipt.as_millis()).unwrap(),
            "{} took {} ms: it waited for a deadline",
            scenario.id,
            scenario.duration_ms
        );
    }
    // Not a speed test: the sum of the deadlines of 45 scenarios is minutes, a run
    // whose waits end on events takes seconds.
    assert!(report.duration_ms < 20_000, "the run took {} ms", report.duration_ms);

    support::assert_no_secrets(&report);
    let junit = render_junit(&report).expect("junit");
    assert!(!junit.contains(support::SYSTEM_PASSWORD));
    assert!(junit.contains(r#"tests="#), "{junit}");
    report
}

/// `collect-post-valid`'s `after_fetch = true`: the check it asks for points at that
/// line, at the value (`true`); so does the fetch's protocol check at `protocol`, and
/// a check of the section no key decides at the section's table head.
fn assert_an_explicit_expectation_points_at_its_own_line(report: &pens_report::RunReport) {
    let scenario = report.scenarios.iter().find(|s| s.id == "collect-post-valid").expect("collect-post-valid ran");
    let text = std::fs::read_to_string(&scenario.file).expect("the scenario file");
    let position = |needle: &str, within: &str| {
        let line = text.lines().position(|l| l.starts_with(needle)).unwrap_or_else(|| panic!("{needle}")) + 1;
        let col = text.lines().nth(line - 1).and_then(|l| l.find(within)).expect("on the line") + 1;
        (u32::try_from(line).expect("line"), u32::try_from(col).expect("col"))
    };
    let at = |requirement: &str| {
        let check =
            scenario.checks.iter().find(|c| c.requirement == requirement).unwrap_or_else(|| panic!("{requirement}"));
        let location = check.location.as_ref().expect("located");
        assert_eq!(location.file, scenario.file);
        (location.line, location.col)
    };
    assert_eq!(at("target.receipt.after-fetch"), position("after_fetch = true", "true"));
    assert_eq!(at("target.fetch.http"), position("protocol = \"http\"", "\"http\""));
    // The answer's deadline: no key of `[expect.response]` asks for it, the section does.
    assert_eq!(at("target.ack.synchronous"), position("[expect.response]", "["));
}
