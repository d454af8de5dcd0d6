//! Tests of the HTML report: a snapshot of a small run, escaping of everything an
//! implementation controls, and the page loading nothing from anywhere.

use pens_proto::req;

use super::*;
use crate::model::{CheckResult, Exchange, ExchangeKind, Harness, ScenarioResult, Summary, TargetInfo};

fn report(scenarios: Vec<ScenarioResult>) -> RunReport {
    RunReport {
        format_version: crate::FORMAT_VERSION,
        harness: Harness { name: "pens-conform".into(), version: "0.1.0".into() },
        mode: "target".into(),
        started_at: "2026-06-01T00:00:00Z".into(),
        duration_ms: 1234,
        target: TargetInfo {
            url: "http://127.0.0.1:8380/pens".into(),
            name: Some("Acme LMS".into()),
            claims: pens_proto::TargetCapabilities { ftp: pens_proto::Support::No, ..Default::default() },
            observed: Vec::new(),
        },
        summary: Summary::of(&scenarios),
        aborted: None,
        baseline: None,
        scenario_digest: None,
        partition: None,
        merged_from: None,
        scenarios,
    }
}

/// One failure with expected, actual and a diff; one pass; one not applicable.
fn sample() -> RunReport {
    let mut fail = ScenarioResult::new(
        "several-errors-highest-code",
        "Several errors: the highest code is answered",
        "scenarios/target/several-errors-highest-code.toml",
        Verdict::Fail,
    );
    fail.requirements = vec![req::TARGET_ERROR_HIGHEST.id.into(), req::RESPONSE_CRLF.id.into()];
    fail.duration_ms = 42;
    fail.checks = vec![
        CheckResult::new(Verdict::Pass, &req::RESPONSE_CRLF, "lines end with CRLF"),
        CheckResult::new(Verdict::Fail, &req::TARGET_ERROR_HIGHEST, "answered 2003, not the highest code")
            .expected_actual("error=2011", "error=2003")
            .with_diff("error=2011\r\n", "error=2003\r\n"),
    ];
    fail.exchanges = vec![Exchange {
        kind: ExchangeKind::Collect,
        at_ms: 3,
        summary: "POST /pens 200 (54 bytes)".into(),
        request: Some("command=collect&pens-version=1.0.0".into()),
        response: Some("error=2003\r\nerror-text=missing package-type\r\nversion=1.0.0\r\n".into()),
        latency_ms: Some(7),
    }];
    let mut pass = ScenarioResult::new("collect-post-valid", "A valid collect is accepted", "p.toml", Verdict::Pass);
    pass.requirements = vec![req::RESPONSE_CRLF.id.into()];
    pass.checks = vec![CheckResult::new(Verdict::Pass, &req::RESPONSE_CRLF, "lines end with CRLF")];
    let mut not_applicable =
        ScenarioResult::new("ftp-fetch", "FTP packages are fetched", "f.toml", Verdict::NotApplicable);
    not_applicable.requirements = vec![req::TARGET_FETCH_FTP.id.into()];
    not_applicable.note = Some("the target does not claim ftp".into());
    report(vec![pass, not_applicable, fail])
}

/// The page with its style sheet and the catalogue's untested requirements elided:
/// the snapshot is about structure and content, and must not change whenever the
/// catalogue grows (the test below checks that every requirement has its row).
fn for_snapshot(html: &str) -> String {
    let html = html.replace(STYLE, "/* style.css */\n");
    let lines: Vec<&str> = html
        .lines()
        .filter(|line| !(line.starts_with("<tr id=\"req-") && line.contains(" class=\"untested\">")))
        .map(|line| match line {
            l if l.starts_with("<p class=\"ids\">") => "<p class=\"ids\">(elided)</p></details>",
            l if l.starts_with("<p id=\"coverage-count\">") => "<p id=\"coverage-count\">(elided)</p>",
            l if l.starts_with("<details><summary>Untested requirements (") => "<details><summary>(elided)</summary>",
            l => l,
        })
        .collect();
    lines.join("\n")
}

#[test]
fn html_of_a_run_with_a_failure_a_pass_and_a_not_applicable() {
    insta::assert_snapshot!(for_snapshot(&render_html(&sample())));
}

#[test]
fn failures_come_first_and_requirements_link_to_the_coverage_matrix() {
    let html = render_html(&sample());
    let position = |needle: &str| html.find(needle).unwrap_or_else(|| panic!("no {needle}"));
    assert!(
        position("id=\"scenario-several-errors-highest-code\"") < position("id=\"scenario-collect-post-valid\""),
        "failure not first"
    );
    assert!(position("id=\"scenario-collect-post-valid\"") < position("id=\"scenario-ftp-fetch\""));
    assert!(html.contains("<a href=\"#req-target.error.highest-numbered\">"));
    assert!(html.contains("<tr id=\"req-target.error.highest-numbered\" class=\"v-fail\">"));
    for requirement in pens_proto::CATALOGUE {
        assert!(html.contains(&format!("<tr id=\"req-{}\"", requirement.id)), "{}", requirement.id);
    }
    let untested = pens_proto::CATALOGUE.len() - 3;
    assert!(html.contains(&format!("3 of {} catalogue requirements are cited", pens_proto::CATALOGUE.len())));
    assert_eq!(html.matches("<span class=\"untested\">untested</span>").count(), untested);
    assert!(html.contains("<td id=\"total-fail\" class=\"v-fail\">1</td>"));
    assert!(html.contains("error=2003\\r\\n\n"), "bytes with CR visible");
}

const HOSTILE: [&str; 2] = ["<script>alert(1)</script>", "\"'><img src=x onerror=1>"];

/// Every field an implementation (or a hostile profile) controls, filled with `payload`.
fn hostile(payload: &str) -> RunReport {
    let mut scenario = ScenarioResult::new(payload, payload, payload, Verdict::Fail);
    scenario.requirements = vec![payload.into(), req::RESPONSE_CRLF.id.into()];
    scenario.tags = vec![payload.into()];
    scenario.note = Some(payload.into());
    scenario.expected_failure = Some(crate::ExpectedFailure {
        reason: payload.into(),
        issue: Some(payload.into()),
        expires: Some(payload.into()),
    });
    scenario.checks = vec![CheckResult {
        verdict: Verdict::Fail,
        requirement: payload.into(),
        section: payload.into(),
        message: payload.into(),
        expected: Some(payload.into()),
        actual: Some(payload.into()),
        diff: Some(payload.into()),
    }];
    scenario.exchanges = vec![Exchange {
        kind: ExchangeKind::Receipt,
        at_ms: 1,
        summary: payload.into(),
        request: Some(payload.into()),
        response: Some(payload.into()),
        latency_ms: None,
    }];
    let mut report = report(vec![scenario]);
    report.target.name = Some(payload.into());
    report.target.url = payload.into();
    report.mode = payload.into();
    report.started_at = payload.into();
    report.harness.version = payload.into();
    report.aborted = Some(payload.into());
    report.baseline = Some(crate::BaselineOutcome {
        file: payload.into(),
        expected_failures: vec![payload.into()],
        improvements: vec![payload.into()],
        not_run: vec![payload.into()],
    });
    report.merged_from = Some(crate::MergedFrom {
        count: 1,
        kind: crate::PartitionKind::Count,
        set_size: 1,
        partitions: vec![crate::MergedPartition {
            index: 1,
            started_at: payload.into(),
            duration_ms: 1,
            scenarios: 1,
            aborted: Some(payload.into()),
        }],
    });
    report
}

/// The tags of `html`, as `<...>` spans. Sound because every `<` and `>` of a value is
/// escaped: a literal one can only be markup the writer emitted.
/// Only the body: the head is fixed text (its CSP holds single quotes).
fn tags(html: &str) -> Vec<&str> {
    let body = html.split_once("<body>").map_or(html, |(_, body)| body);
    body.split('<').skip(1).map(|rest| rest.split_once('>').map_or(rest, |(tag, _)| tag)).collect()
}

#[test]
fn values_an_implementation_controls_cannot_inject_markup() {
    const ELEMENTS: &[&str] = &[
        "body", "html", "header", "h1", "h2", "h3", "p", "strong", "dl", "dt", "dd", "code", "span", "table", "thead",
        "tbody", "tr", "th", "td", "section", "details", "summary", "a", "div", "pre", "ol", "li",
    ];
    for payload in HOSTILE {
        let html = render_html(&hostile(payload));
        let lower = html.to_ascii_lowercase();
        assert!(!lower.contains("<script"), "{payload}");
        assert!(!lower.contains("<img"), "{payload}");
        for tag in tags(&html) {
            let name = tag.trim_start_matches('/').split([' ', '\n']).next().unwrap_or_default();
            assert!(ELEMENTS.contains(&name), "unexpected tag <{tag}> for {payload}");
            assert!(!tag.to_ascii_lowercase().contains("onerror="), "handler in <{tag}>");
            assert_eq!(tag.matches('"').count() % 2, 0, "unbalanced quotes in <{tag}>");
            assert!(!tag.contains('\''), "a quote escaped an attribute in <{tag}>");
        }
        // The payload is still shown, as text.
        assert!(html.contains(&escape_html(payload)), "{payload}");
    }
}

#[test]
fn the_page_loads_nothing_from_anywhere() {
    for report in [sample(), hostile("http://example.invalid/x.js")] {
        let html = render_html(&report);
        assert!(!html.contains("<link"), "a <link>");
        assert!(!html.contains("@import"), "an @import");
        assert!(!html.contains("<script"), "a script");
        for tag in tags(&html) {
            for attribute in ["src=\"", "href=\"", "action=\""] {
                for (start, _) in tag.match_indices(attribute) {
                    let value = &tag[start + attribute.len()..];
                    assert!(value.starts_with('#'), "only in-page links: <{tag}>");
                    assert!(!value.starts_with("#http"), "<{tag}>");
                }
            }
            assert!(!tag.contains("http://") && !tag.contains("https://"), "a URL in markup: <{tag}>");
        }
    }
}

#[test]
fn an_empty_aborted_run_says_why() {
    let mut report = report(Vec::new());
    report.aborted = Some("preflight inconclusive: no fetch".into());
    let html = render_html(&report);
    assert!(html.contains("<strong>Run stopped early:</strong> preflight inconclusive: no fetch"));
    assert!(html.contains("<p>No scenario was run.</p>"));
    assert!(html.contains(&format!("0 of {} catalogue requirements", pens_proto::CATALOGUE.len())));
}

#[test]
fn anchors_keep_plain_ids_and_encode_everything_else() {
    assert_eq!(scenario_anchor("ftp-fetch"), "scenario-ftp-fetch");
    assert_eq!(requirement_anchor("target.error.highest-numbered"), "req-target.error.highest-numbered");
    assert_eq!(scenario_anchor("a b:/_\"é"), "scenario-a_20_b_3a__2f__5f__22__e9_");
}

#[test]
fn a_merged_report_names_its_partitions_and_how_its_duration_was_taken() {
    let mut report = sample();
    let part = |index, duration_ms, aborted: Option<&str>| crate::MergedPartition {
        index,
        started_at: format!("2026-06-01T00:00:0{index}Z"),
        duration_ms,
        scenarios: 1,
        aborted: aborted.map(str::to_owned),
    };
    report.merged_from = Some(crate::MergedFrom {
        count: 2,
        kind: crate::PartitionKind::Hash,
        set_size: 3,
        partitions: vec![part(1, 700, None), part(2, 900, Some("interrupted"))],
    });
    let html = render_html(&report);
    assert!(
        html.contains("<dt>scope</dt><dd>merged from 2 partitions (hash): 3 of 3 scenarios; started is the earliest"),
        "{html}"
    );
    assert!(
        html.contains(
            "<dt>partitions</dt><dd>1/2: started 2026-06-01T00:00:01Z, 700 ms, 1 scenario; \
             2/2: started 2026-06-01T00:00:02Z, 900 ms, 1 scenario, stopped early: interrupted</dd>"
        ),
        "{html}"
    );
}

#[test]
fn observed_capabilities_are_shown_escaped_with_a_contradiction_marked() {
    let mut report = report(Vec::new());
    report.target.observed = vec![crate::model::ObservedCapability {
        capability: "ftp".into(),
        claimed: pens_proto::Support::No,
        observed: pens_proto::Support::Yes,
        evidence: "the target requested the package over ftp in <ftp-fetch>".into(),
        profile_line: Some("ftp = \"yes\"".into()),
    }];
    let html = render_html(&report);
    assert!(html.contains("<dt>capabilities observed</dt>"), "{html}");
    assert!(html.contains("<code class=\"contradicted\">ftp = &quot;yes&quot;"), "{html}");
    assert!(
        html.contains(
            "the profile says ftp = &quot;no&quot;, but: the target requested the package over ftp in &lt;ftp-fetch&gt;"
        ),
        "{html}"
    );
}
