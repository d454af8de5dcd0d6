//! A report that uses every part of the model: each verdict, an expected failure, a
//! baseline outcome, checks with expected/actual/diff and every kind of exchange.

use pens_proto::{Support, TargetCapabilities, req};
use pens_report::{
    BaselineOutcome, CheckResult, Exchange, ExchangeKind, ExpectedFailure, FORMAT_VERSION, Harness, RunReport,
    ScenarioResult, Summary, TargetInfo, Verdict,
};

fn scenario(id: &str, verdict: Verdict) -> ScenarioResult {
    let mut scenario = ScenarioResult::new(id, format!("{id} <title> & \"quotes\""), format!("{id}.toml"), verdict);
    scenario.requirements = vec!["target.collect.post".into(), "target.ack.response-format".into()];
    scenario.duration_ms = 42;
    let check_verdict = if verdict == Verdict::NotApplicable { Verdict::Pass } else { verdict };
    scenario.checks = vec![
        CheckResult::new(Verdict::Pass, &req::RESPONSE_CRLF, "the answer ends its lines with CR LF"),
        CheckResult::new(check_verdict, &req::RESPONSE_CRLF, format!("{id}: checked"))
            .expected_actual("error=0", "error=1304"),
    ];
    scenario
}

/// The report.
pub(crate) fn report() -> RunReport {
    let mut scenarios: Vec<ScenarioResult> = Verdict::ALL.iter().map(|v| scenario(v.name(), *v)).collect();
    scenarios[0].note = Some("the target does not claim ftp".into());
    let mut expected = scenario("expected-fail", Verdict::Fail);
    expected.expected_failure = Some(ExpectedFailure {
        reason: "LMS-1234: answers the first error".into(),
        issue: Some("https://tracker.example/LMS-1234".into()),
        expires: Some("2999-12-31".into()),
    });
    expected.tags = vec!["core".into()];
    expected.checks[1] = expected.checks[1].clone().with_diff("error=0\r\n", "error=1304\n");
    expected.exchanges = vec![
        Exchange::new(ExchangeKind::Collect, 0, "POST /pens 200")
            .with_request("command=collect")
            .with_response("error=0\r\n")
            .with_latency(Some(3)),
        Exchange::new(ExchangeKind::StagingFetch, 5, "GET /p.zip"),
        // Bytes that are not UTF-8: stored in base64 with its marker.
        Exchange::new(ExchangeKind::Receipt, 9, "receipt").with_request(b"error-text=\xff\xfe\r\n".as_slice()),
        Exchange::new(ExchangeKind::Alert, 11, "alert"),
    ];
    scenarios.push(expected);
    RunReport {
        format_version: FORMAT_VERSION,
        harness: Harness { name: "pens-conform".into(), version: "0.1.0".into() },
        mode: "target".into(),
        started_at: "2026-01-01T00:00:00Z".into(),
        duration_ms: 1234,
        target: TargetInfo {
            url: "http://127.0.0.1:1/pens".into(),
            name: Some("Example LMS".into()),
            claims: TargetCapabilities { ftp: Support::No, alerts: Support::Yes, ..TargetCapabilities::default() },
            observed: Vec::new(),
        },
        summary: Summary::of(&scenarios),
        aborted: Some("preflight inconclusive".into()),
        scenario_digest: Some("0f".repeat(32)),
        scenario_set: None,
        harness_notes: Vec::new(),
        partition: None,
        merged_from: None,
        baseline: Some(BaselineOutcome {
            file: "baseline.toml".into(),
            expected_failures: vec!["expected-fail".into()],
            improvements: vec!["pass".into()],
            not_run: vec!["not-applicable".into()],
        }),
        scenarios,
    }
}
