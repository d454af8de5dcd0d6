//! Tests of the HTML report: a snapshot of a small run, escaping of everything an
//! implementation controls, and the page loading nothing from anywhere.

use pens_proto::req;

use super::*;
use crate::Location;
use crate::model::{CheckResult, Exchange, ExchangeKind, Harness, ScenarioResult, Summary, TargetInfo};

pub(crate) fn report(scenarios: Vec<ScenarioResult>) -> RunReport {
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
        scenario_set: None,
        harness_notes: Vec::new(),
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
        CheckResult::new(Verdict::Pass, &req::RESPONSE_CRLF, "lines end with CRLF").at(Location::new(
            "scenarios/target/several-errors-highest-code.toml",
            12,
            1,
        )),
        CheckResult::new(Verdict::Fail, &req::TARGET_ERROR_HIGHEST, "answered 2003, not the highest code")
            .at(Location::new("scenarios/target/several-errors-highest-code.toml", 13, 9))
            .expected_actual("error=2011", "error=2003")
            .with_diff("error=2011\r\n", "error=2003\r\n"),
    ];
    fail.exchanges = vec![
        Exchange::new(ExchangeKind::Collect, 3, "POST /pens 200 (54 bytes)")
            .with_request("command=collect&pens-version=1.0.0")
            .with_response("error=2003\r\nerror-text=missing package-type\r\nversion=1.0.0\r\n")
            .with_latency(Some(707)),
        // A fetch the times put well before the collect's answer (+710 ms), then the receipt.
        Exchange::new(ExchangeKind::StagingFetch, 6, "GET /pkg/several.zip over http -> 200, 2048 bytes, complete")
            .with_latency(Some(12)),
        Exchange::new(ExchangeKind::Receipt, 730, "POST /receipt error=0")
            .with_request("command=receipt&error=0")
            .with_response("error=0\r\n")
            .with_latency(Some(1)),
    ];
    let mut pass = ScenarioResult::new("collect-post-valid", "A valid collect is accepted", "p.toml", Verdict::Pass);
    pass.requirements = vec![req::RESPONSE_CRLF.id.into()];
    pass.checks = vec![CheckResult::new(Verdict::Pass, &req::RESPONSE_CRLF, "lines end with CRLF")];
    let mut not_applicable =
        ScenarioResult::new("ftp-fetch", "FTP packages are fetched", "f.toml", Verdict::NotApplicable);
    not_applicable.requirements = vec![req::TARGET_FETCH_FTP.id.into()];
    not_applicable.note = Some("the target does not claim ftp".into());
    report(vec![pass, not_applicable, fail])
}

/// The page one block per line (maud writes it on one line), so snapshots diff line
/// by line. Sound for `<pre>` contents too: their text is escaped, so a `<` in it is
/// never a tag.
fn pretty(html: &str) -> String {
    const BLOCKS: &[&str] = &[
        "<head",
        "<meta",
        "<title",
        "<style",
        "<body",
        "</body",
        "</html",
        "<header",
        "<h1",
        "<h2",
        "<h3",
        "<div",
        "<p ",
        "<p>",
        "<dl",
        "<dt",
        "<table",
        "<thead",
        "<tbody",
        "<tr",
        "<ol",
        "<li",
        "<details",
        "</details",
        "<section",
        "</section",
        "<figure",
        "<figcaption",
        "<svg",
        "<g ",
        "</svg",
        "</tbody",
    ];
    let mut out = html.to_owned();
    for block in BLOCKS {
        out = out.replace(block, &format!("\n{block}"));
    }
    out
}

/// The page laid out by [`pretty`], with its style sheet and the catalogue's untested
/// requirements elided: the snapshot is about structure and content, and must not
/// change whenever the catalogue grows (a test below checks that every requirement has
/// its row).
fn for_snapshot(html: &str) -> String {
    let html = pretty(&html.replace(STYLE, "/* style.css */"));
    let lines: Vec<&str> = html
        .lines()
        .filter(|line| !(line.starts_with("<tr id=\"req-") && line.contains(" class=\"untested\">")))
        .map(|line| match line {
            l if l.starts_with("<p id=\"coverage-count\">") => "<p id=\"coverage-count\">(elided)</p>",
            l if l.starts_with("<details id=\"untested\">") => "<details id=\"untested\"><summary>(elided)</summary>",
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
fn each_check_shows_the_scenario_line_it_judges() {
    let html = render_html(&sample());
    assert!(
        html.contains(
            "<div class=\"location\"><code>scenarios/target/several-errors-highest-code.toml:13:9</code></div>"
        ),
        "{html}"
    );
    assert_eq!(html.matches("<div class=\"location\">").count(), 2, "one per located check");
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
    // Tested means a check named it: the ftp requirement is only cited by a scenario
    // that did not apply, so it is untested, and says it was cited.
    let untested = pens_proto::CATALOGUE.len() - 2;
    assert!(html.contains(&format!("2 of {} catalogue requirements were checked", pens_proto::CATALOGUE.len())));
    assert_eq!(html.matches("<span class=\"untested\">untested</span>").count(), untested);
    assert!(html.contains("cited by 1 scenario, but no check ran"), "{html}");
    assert!(html.contains("<td id=\"total-fail\" class=\"v-fail\">1</td>"));
    assert!(html.contains("error=2003\\r\\n\n"), "bytes with CR visible");
}

const HOSTILE: [&str; 3] = [
    "<script>alert(1)</script>",
    "\"'><img src=x onerror=1>",
    "</svg></text></title><script>x</script> & \"q\" 'q' &amp;",
];

/// `text` as the template escapes it (maud: `&`, `<`, `>`, `"`).
fn escaped(text: &str) -> String {
    use std::fmt::Write as _;
    let mut out = String::new();
    let _ = maud::Escaper::new(&mut out).write_str(text);
    out
}

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
        location: None,
        party: None,
    }];
    scenario.exchanges =
        vec![Exchange::new(ExchangeKind::Receipt, 1, payload).with_request(payload).with_response(payload)];
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
        "body",
        "html",
        "header",
        "h1",
        "h2",
        "h3",
        "p",
        "strong",
        "dl",
        "dt",
        "dd",
        "code",
        "span",
        "table",
        "thead",
        "tbody",
        "tr",
        "th",
        "td",
        "section",
        "details",
        "summary",
        "a",
        "div",
        "pre",
        "ol",
        "li",
        "br",
        "figure",
        "figcaption",
        "svg",
        "g",
        "line",
        "polygon",
        "text",
        "title",
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
        // The payload is still shown, as text, in the sequence diagram too (its SVG
        // <title>, XML text), and in every other place it goes.
        let svg = &html[html.find("<svg").expect("a diagram")..html.find("</svg>").expect("a closed diagram")];
        assert!(svg.contains(&escaped(payload)), "{svg}");
        assert!(html.contains(&escaped(payload)), "{payload}");
        assert!(html.matches(&escaped(payload)).count() >= 10, "{payload} shown in too few places");
        assert_eq!(html.matches("<svg").count(), html.matches("</svg>").count());
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
    assert!(
        html.contains("<p id=\"run-verdict-detail\">the run stopped early: preflight inconclusive: no fetch</p>"),
        "{html}"
    );
    assert!(html.contains("<p>No scenario was run.</p>"));
    assert!(html.contains(&format!("0 of {} catalogue requirements", pens_proto::CATALOGUE.len())));
    assert!(html.contains("<strong id=\"run-verdict\">aborted</strong>"), "{html}");
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

/// A report where one cause (LF line ends) fails 45 scenarios, one of which also has a
/// finding of its own.
fn lf_only_target() -> RunReport {
    let scenarios = (0..45)
        .map(|i| {
            let mut s = ScenarioResult::new(format!("s{i:02}"), "t", "t.toml", Verdict::Fail);
            // As in the run the issue reports: the scenarios do not cite the CRLF
            // requirement, their checks do.
            s.requirements = vec![req::TARGET_ERROR_HIGHEST.id.into()];
            s.checks = vec![
                CheckResult::new(Verdict::Fail, &req::RESPONSE_CRLF, "answer lines end in LF, not CRLF")
                    // The bytes differ by scenario (as error-text does), the finding does not.
                    .with_diff("error=0\r\n", if i % 2 == 0 { "error=0\n" } else { "error=0\nerror-text=x\n" }),
            ];
            if i == 7 {
                s.checks.push(CheckResult::new(Verdict::Fail, &req::TARGET_ERROR_HIGHEST, "answered 2003"));
            }
            s
        })
        .collect();
    report(scenarios)
}

#[test]
fn coverage_counts_a_requirement_failed_in_45_scenarios_as_tested_with_45_fails() {
    let html = render_html(&lf_only_target());
    let start = html.find("<tr id=\"req-response.line-ending.crlf\"").expect("a row for crlf");
    let row = &html[start..start + html[start..].find("</tr>").expect("row end")];
    assert!(row.starts_with("<tr id=\"req-response.line-ending.crlf\" class=\"v-fail\">"), "{row}");
    assert!(row.contains("<span class=\"count v-fail\">45 fail</span>"), "{row}");
    assert!(!row.contains("untested"), "{row}");
    assert_eq!(row.matches("class=\"cite v-fail\"").count(), 45, "{row}");
    // Near the top: the matrix comes before the scenario cards.
    assert!(html.find("id=\"coverage\"") < html.find("id=\"scenarios\""));
}

#[test]
fn the_index_lists_a_shared_cause_once_with_all_its_scenarios_then_specific_findings() {
    let html = render_html(&lf_only_target());
    let start = html.find("<section id=\"failures\">").expect("the index");
    let index = &html[start..start + html[start..].find("</section>").expect("end")];
    assert_eq!(index.matches("answer lines end in LF, not CRLF").count(), 1, "{index}");
    assert!(index.contains("in 45 scenarios: "), "{index}");
    for i in 0..45 {
        assert!(index.contains(&format!("href=\"#scenario-s{i:02}\"")), "s{i:02} missing: {index}");
    }
    let shared = index.find("Shared by several scenarios").expect("shared heading");
    let specific = index.find("Specific to one scenario").expect("specific heading");
    assert!(shared < specific);
    assert!(index[specific..].contains("answered 2003"), "{index}");
    assert!(index[specific..].contains("href=\"#scenario-s07\""), "{index}");
    // The shared cause's diff is shown once in the index, folded; each card links its
    // copy of the finding there and folds its own.
    assert!(index.contains("<li id=\"cause-1\" class=\"cause v-fail\">"), "{index}");
    assert_eq!(
        index
            .matches("<details class=\"cause-detail\"><summary>expected, actual and diff: 2 variants</summary>")
            .count(),
        1,
        "{index}"
    );
    assert_eq!(html.matches("<a class=\"shared\" href=\"#cause-1\">(the same in 45 scenarios)</a>").count(), 45);
    assert_eq!(html.matches("<td colspan=\"3\"><details><summary>expected, actual and diff</summary>").count(), 45);
    // The index sits between the banner and the coverage matrix.
    assert!(html.find("id=\"banner\"") < Some(start));
    assert!(Some(start) < html.find("id=\"coverage\""));
}

#[test]
fn the_banner_says_the_run_verdict_the_way_the_exit_status_does() {
    let word = |report: &RunReport| banner::Overall::of(report).word();
    assert_eq!(word(&sample()), "fail");
    assert_eq!(word(&report(Vec::new())), "incomplete");
    let verdicts = |verdicts: &[Verdict]| {
        report(verdicts.iter().enumerate().map(|(i, v)| ScenarioResult::new(format!("s{i}"), "t", "f", *v)).collect())
    };
    assert_eq!(word(&verdicts(&[Verdict::Pass, Verdict::Warn])), "pass with warnings");
    assert_eq!(word(&verdicts(&[Verdict::Pass, Verdict::NotApplicable])), "pass");
    assert_eq!(word(&verdicts(&[Verdict::Fail, Verdict::Inconclusive])), "incomplete");
    let mut aborted = sample();
    aborted.aborted = Some("preflight: nothing listens".into());
    assert_eq!(word(&aborted), "aborted");
    let mut expected = verdicts(&[Verdict::Fail]);
    expected.scenarios[0].expected_failure =
        Some(crate::ExpectedFailure { reason: "known".into(), issue: None, expires: None });
    assert_eq!(word(&expected), "pass");

    let html = render_html(&sample());
    let banner = &html[html.find("<div id=\"banner\"").expect("banner")..];
    assert!(banner.starts_with("<div id=\"banner\" class=\"verdict v-fail\"><p class=\"word\">Run verdict: <strong id=\"run-verdict\">fail</strong></p>"), "{banner}");
    assert!(banner.contains("<p id=\"run-verdict-detail\">1 scenario failed</p>"), "{banner}");
    assert!(banner.contains("3 scenarios: 1 pass, 1 not-applicable, 1 fail"), "{banner}");
    assert!(banner.contains("target mode · <code>http://127.0.0.1:8380/pens</code> · 1234 ms"), "{banner}");
}

fn exchange(kind: ExchangeKind, at_ms: u64, latency_ms: Option<u64>) -> Exchange {
    Exchange::new(kind, at_ms, format!("{kind:?}")).with_latency(latency_ms)
}

#[test]
fn the_sequence_diagram_orders_messages_by_time_and_marks_only_what_the_times_show() {
    use sequence::{Lane, arrows};
    let order = |exchanges: &[Exchange]| -> Vec<(u64, String, bool)> {
        arrows(exchanges).into_iter().map(|a| (a.at_ms, a.label, a.out_of_order.is_some())).collect()
    };
    // In order: nothing marked; the answer drawn at its time, before the fetch.
    let in_order = [
        exchange(ExchangeKind::Collect, 0, Some(5)),
        exchange(ExchangeKind::StagingFetch, 8, Some(2)),
        exchange(ExchangeKind::Receipt, 20, None),
        exchange(ExchangeKind::Alert, 25, None),
    ];
    assert_eq!(
        order(&in_order),
        [
            (0, "collect".into(), false),
            (5, "answer (5 ms)".into(), false),
            (8, "fetch (2 ms)".into(), false),
            (20, "receipt".into(), false),
            (25, "alert".into(), false),
        ]
    );
    // A fetch and a receipt more than the slack before the collect's answer was read:
    // both marked, and drawn above the answer.
    let early = [
        exchange(ExchangeKind::Collect, 0, Some(1200)),
        exchange(ExchangeKind::StagingFetch, 10, Some(2)),
        exchange(ExchangeKind::Receipt, 699, None),
    ];
    assert_eq!(
        order(&early),
        [
            (0, "collect".into(), false),
            (10, "fetch (2 ms)".into(), true),
            (699, "receipt".into(), true),
            (1200, "answer (1200 ms)".into(), false),
        ]
    );
    // Within the slack (a correct target starts its job while its answer is on the
    // way): drawn in time order, unmarked. Nor is anything marked when no answer time
    // was recorded (client mode records none: the answer is ours).
    assert_eq!(
        order(&[exchange(ExchangeKind::Collect, 0, Some(600)), exchange(ExchangeKind::StagingFetch, 100, None)]),
        [(0, "collect".into(), false), (100, "fetch".into(), false), (600, "answer (600 ms)".into(), false)]
    );
    assert!(
        order(&[exchange(ExchangeKind::Collect, 5, None), exchange(ExchangeKind::Receipt, 6, None)])
            .iter()
            .all(|(_, _, marked)| !marked)
    );
    // Several collects: a fetch may follow any of them, so only one before the first
    // of their answers is marked, and none while one of them has no answer recorded.
    let marked = |exchanges: &[Exchange]| order(exchanges).into_iter().filter(|(_, _, m)| *m).count();
    let two = |second_answer| {
        [
            exchange(ExchangeKind::Collect, 0, Some(100)),
            exchange(ExchangeKind::Collect, 50, second_answer),
            exchange(ExchangeKind::StagingFetch, 120, None),
        ]
    };
    assert_eq!(marked(&two(Some(2000))), 0, "the first collect was answered");
    assert_eq!(
        marked(&[
            exchange(ExchangeKind::Collect, 0, Some(2000)),
            exchange(ExchangeKind::Collect, 50, Some(3000)),
            exchange(ExchangeKind::StagingFetch, 120, None)
        ]),
        1
    );
    assert_eq!(
        marked(&[
            exchange(ExchangeKind::Collect, 0, None),
            exchange(ExchangeKind::Collect, 50, Some(3000)),
            exchange(ExchangeKind::StagingFetch, 120, None)
        ]),
        0
    );
    let parties = arrows(&early);
    assert_eq!((parties[0].from, parties[0].to), (Lane::Client, Lane::Target));
    assert_eq!((parties[1].from, parties[1].to), (Lane::Target, Lane::Staging));
    assert_eq!((parties[2].from, parties[2].to), (Lane::Target, Lane::Collector));
    assert_eq!((parties[3].from, parties[3].to), (Lane::Target, Lane::Client));
}

#[test]
fn the_diagram_is_drawn_in_the_card_with_an_inversion_in_red_and_parties_by_mode() {
    let html = render_html(&sample());
    let card = &html[html.find("id=\"scenario-several-errors-highest-code\"").expect("card")..];
    let svg = &card[card.find("<svg").expect("svg")..card.find("</svg>").expect("end")];
    assert!(svg.contains("<text class=\"party\" x=\"90\" y=\"16\" text-anchor=\"middle\">client</text>"), "{svg}");
    assert!(svg.contains(">(under test)</text>"), "{svg}");
    assert_eq!(svg.matches("<g class=\"arrow out-of-order\">").count(), 1, "{svg}");
    assert!(svg.contains("+6 ms fetch (12 ms) ⚠"), "{svg}");
    assert!(card.contains("<figcaption class=\"out-of-order\">"), "{card}");
    assert!(
        card.contains("fetch (12 ms) at +6 ms, 704 ms before the collect's answer had been read (+710 ms)"),
        "{card}"
    );

    let mut client = sample();
    client.mode = "client".into();
    let html = render_html(&client);
    let svg = &html[html.find("<svg").expect("svg")..html.find("</svg>").expect("end")];
    let target_lane = svg.find(">target</text>").expect("target lane");
    assert!(
        svg[target_lane..].starts_with(
            ">target</text><text class=\"who\" x=\"270\" y=\"30\" text-anchor=\"middle\">(pens-conform)</text>"
        ),
        "{svg}"
    );
}

#[test]
fn a_failing_card_shows_expected_actual_and_the_diff_with_control_characters_visible() {
    let html = render_html(&sample());
    let card = &html[html.find("id=\"scenario-several-errors-highest-code\"").expect("card")..];
    assert!(card.contains("<pre class=\"expected\">error=2011</pre>"), "{card}");
    assert!(card.contains("<pre class=\"actual\">error=2003</pre>"), "{card}");
    assert!(card.contains("-error=2011\\r\n+error=2003\\r\n</pre>"), "{card}");
    assert!(card.contains("<pre class=\"bytes\">error=0\\r\\n\n</pre>"), "receipt answer: {card}");
}

#[test]
fn harness_notes_are_a_section_of_their_own_escaped_and_absent_without_notes() {
    let mut report = sample();
    assert!(!render_html(&report).contains("id=\"harness-notes\""));
    report.harness_notes = crate::notes::tests::notes();
    let html = render_html(&report);
    let section = html.find("<section id=\"harness-notes\"><h2>Harness notes</h2>").expect("a section");
    assert!(section > html.find("class=\"totals\"").expect("the facts"), "{html}");
    assert!(
        html.contains(
            "<li data-kind=\"unsolicited-traffic\" data-party=\"collector\"><strong>collector · unsolicited-traffic · \
             1500 times · 1.5 GB</strong>: 1500 receipts (1.5 GB) arrived"
        ),
        "{html}"
    );
    // The peer's markup is text, its line break shown.
    assert!(html.contains("3 connections &lt;b&gt;waited&lt;/b&gt;\\r\\nfor a slot</li>"), "{html}");
    assert!(!html.contains("<b>waited"), "{html}");
}
