//! `junit.xml`: one test case per scenario, so CI servers show each scenario as a test.
//! A `fail` is a JUnit failure, an `error` or `inconclusive` a JUnit error (the harness
//! could not judge), `not-applicable` is skipped, and so is a `fail` the baseline
//! expects (message `expected failure: <reason>`); requirement ids and sections become
//! test-case properties. The document keeps to the common JUnit schema CI servers
//! validate against (`schemas/junit.xsd`, Jenkins' junit-10, with test-case properties as
//! Surefire and GitLab read them).
//!
//! The failure message is the scenario's headline check ([`headline_check`]: the
//! finding specific to it before one repeated across the run), and a scenario's note
//! (why the harness could not judge it, or why it does not apply) is the message when
//! no check explains the verdict and is always in the failure text, so a CI page shows
//! why a scenario is inconclusive.

use std::time::Duration;

use quick_junit::{NonSuccessKind, Property, Report, TestCase, TestCaseStatus, TestSuite};

use crate::causes::{Cause, group_causes, headline_check};
use crate::model::{CheckResult, RunReport, ScenarioResult};
use crate::verdict::Verdict;

/// Why the JUnit document could not be written.
#[derive(Debug, thiserror::Error)]
#[error("cannot write the JUnit report: {0}")]
pub struct JunitError(#[from] quick_junit::SerializeError);

/// Renders the JUnit XML document.
pub fn render_junit(report: &RunReport) -> Result<String, JunitError> {
    let mut junit = Report::new("pens-conform");
    let mut suite = TestSuite::new(format!("pens-conform {} mode", report.mode));
    suite.set_time(Duration::from_millis(report.duration_ms));
    suite.add_property(Property::new("target", report.target.url.as_str()));
    suite.add_property(Property::new("harness-version", report.harness.version.as_str()));
    let mut system_err = Vec::new();
    if let Some(reason) = &report.aborted {
        // Once, for the whole suite: the scenarios it kept from running only say so.
        system_err.push(format!("run stopped early: {reason}"));
    }
    // Once, for the whole suite too: they belong to no test case. A property each, for
    // CI servers that show properties, and the same lines in the suite's system-err,
    // for those that show only that.
    for note in crate::notes::of(report) {
        // Control characters shown, not written: XML 1.0 forbids most of them.
        let line = crate::text::show_controls(&crate::notes::line(note), false);
        suite.add_property(Property::new("harness-note", line.as_str()));
        system_err.push(format!("harness note: {line}"));
    }
    if !system_err.is_empty() {
        suite.set_system_err(system_err.join("\n"));
    }
    let causes = group_causes(report, Verdict::Warn);
    for scenario in &report.scenarios {
        suite.add_test_case(test_case(scenario, &causes));
    }
    junit.add_test_suite(suite);
    Ok(junit.to_string()?)
}

fn test_case(scenario: &ScenarioResult, causes: &[Cause<'_>]) -> TestCase {
    let mut status = match scenario.verdict {
        Verdict::Pass | Verdict::Info | Verdict::Warn => TestCaseStatus::success(),
        Verdict::NotApplicable => TestCaseStatus::skipped(),
        // An expected failure is skipped, not failed, so CI servers stay green on it.
        Verdict::Fail if scenario.expected_failure.is_some() => TestCaseStatus::skipped(),
        Verdict::Fail => TestCaseStatus::non_success(NonSuccessKind::Failure),
        Verdict::Inconclusive | Verdict::Error => TestCaseStatus::non_success(NonSuccessKind::Error),
    };
    let worst: Vec<_> = scenario.checks.iter().filter(|c| c.verdict == scenario.verdict).collect();
    let headline = headline_check(scenario, causes);
    if let Some(first) = headline.filter(|_| scenario.verdict >= Verdict::Inconclusive) {
        status.set_message(format!("{}[{}] {}", first.party_label(), first.requirement, first.message));
        // A skipped (expected) failure has no `type` in the common JUnit schema.
        if scenario.expected_failure.is_none() {
            status.set_type(scenario.verdict.name());
        }
    } else if let Some(note) = &scenario.note {
        status.set_message(note.as_str());
        if scenario.verdict >= Verdict::Inconclusive && scenario.expected_failure.is_none() {
            status.set_type(scenario.verdict.name());
        }
    }
    if let Some(expected) = &scenario.expected_failure {
        // No `type`: the common JUnit schema has none on `<skipped>`.
        status.set_message(format!("expected failure: {}", expected.reason));
    }
    if scenario.verdict >= Verdict::Inconclusive {
        // The headline first, then the other checks with the scenario's verdict.
        let ordered = headline.into_iter().chain(worst.iter().copied().filter(|c| Some(*c) != headline));
        let mut details: Vec<String> = scenario.note.iter().map(|note| format!("note: {note}")).collect();
        details.extend(ordered.map(|c| {
            let mut line =
                format!("{}{} [{}] ({}) {}", c.party_label(), c.verdict, c.requirement, c.section, c.message);
            line.push_str(&located(c));
            if let (Some(expected), Some(actual)) = (&c.expected, &c.actual) {
                line.push_str(&format!("\n  expected: {expected}\n  actual:   {actual}"));
            }
            line
        }));
        if !details.is_empty() {
            status.set_description(details.join("\n"));
        }
    }
    let mut case = TestCase::new(scenario.id.as_str(), status);
    case.set_classname("pens-conform.target");
    case.set_time(Duration::from_millis(scenario.duration_ms));
    case.set_assertions(scenario.checks.len());
    for requirement in &scenario.requirements {
        case.add_property(Property::new("requirement", requirement.as_str()));
    }
    let mut sections: Vec<&str> = scenario.checks.iter().map(|c| c.section.as_str()).collect();
    sections.sort_unstable();
    sections.dedup();
    for section in sections {
        case.add_property(Property::new("section", section));
    }
    // The scenario line behind the headline finding, for CI servers that show
    // properties but not the failure's text (a passing scenario has no finding).
    if let Some(location) =
        headline.filter(|_| scenario.verdict > Verdict::Pass).and_then(|check| check.location.as_ref())
    {
        case.add_property(Property::new("location", location.to_string()));
    }
    case.add_property(Property::new("verdict", scenario.verdict.name()));
    case.add_property(Property::new("title", scenario.title.as_str()));
    if let Some(expected) = &scenario.expected_failure {
        case.add_property(Property::new("expected-failure", expected.reason.as_str()));
        if let Some(issue) = &expected.issue {
            case.add_property(Property::new("issue", issue.as_str()));
        }
    }
    if scenario.verdict == Verdict::Warn || scenario.verdict == Verdict::Info {
        let notes: Vec<String> =
            scenario
                .note
                .iter()
                .map(|note| format!("note: {note}"))
                .chain(scenario.checks.iter().filter(|c| matches!(c.verdict, Verdict::Warn | Verdict::Info)).map(|c| {
                    format!("{}{} [{}] {}{}", c.party_label(), c.verdict, c.requirement, c.message, located(c))
                }))
                .collect();
        case.set_system_out(notes.join("\n"));
    }
    case
}

/// The scenario line a check judges, as its own line under it (`  --> file:line:col`),
/// or nothing for a check of no scenario line.
fn located(check: &CheckResult) -> String {
    check.location.as_ref().map(|location| format!("\n  --> {location}")).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::baseline::ExpectedFailure;

    #[test]
    fn an_expected_failure_is_skipped_with_its_reason_and_keeps_its_properties() {
        let mut scenario = ScenarioResult::new("several-errors", "t", "f.toml", Verdict::Fail);
        scenario.requirements = vec!["target.error.highest-numbered".into()];
        scenario.expected_failure =
            Some(ExpectedFailure { reason: "LMS-1234: first error".into(), issue: None, expires: None });
        let mut junit = Report::new("r");
        let mut suite = TestSuite::new("s");
        suite.add_test_case(test_case(&scenario, &[]));
        junit.add_test_suite(suite);
        let xml = junit.to_string().expect("xml");
        assert!(xml.contains("<skipped message=\"expected failure: LMS-1234: first error\""), "{xml}");
        assert!(!xml.contains("<failure"), "{xml}");
        assert!(xml.contains("name=\"requirement\" value=\"target.error.highest-numbered\""), "{xml}");
        assert!(xml.contains("name=\"expected-failure\" value=\"LMS-1234: first error\""), "{xml}");
    }

    fn xml_of(scenarios: Vec<ScenarioResult>) -> String {
        let mut report = crate::console::tests::lf_only_run();
        report.scenarios = scenarios;
        render_junit(&report).expect("xml")
    }

    fn check(verdict: Verdict, requirement: &str, message: &str) -> crate::model::CheckResult {
        crate::model::CheckResult {
            verdict,
            requirement: requirement.into(),
            message: message.into(),
            ..crate::console::tests::slip()
        }
    }

    #[test]
    fn an_inconclusive_scenario_carries_its_note_even_when_a_check_has_its_verdict() {
        let mut late = ScenarioResult::new("package-large", "t", "l.toml", Verdict::Inconclusive);
        late.note = Some("no fetch within 60 s: cannot tell".into());
        late.checks = vec![check(Verdict::Inconclusive, "receipt.timing", "no receipt came")];
        let mut bare = ScenarioResult::new("staging-silent", "t", "s.toml", Verdict::Inconclusive);
        bare.note = Some("the staging server did not start".into());
        let mut skipped = ScenarioResult::new("ftp-fetch", "t", "f.toml", Verdict::NotApplicable);
        skipped.note = Some("the profile says ftp = no".into());
        skipped.checks = vec![check(Verdict::NotApplicable, "target.fetch.ftp", "not claimed")];
        let xml = xml_of(vec![late, bare, skipped]);
        assert!(xml.contains("<error message=\"[receipt.timing] no receipt came\" type=\"inconclusive\">note: no fetch within 60 s: cannot tell\ninconclusive [receipt.timing]"), "{xml}");
        assert!(xml.contains("<error message=\"the staging server did not start\" type=\"inconclusive\">note: the staging server did not start</error>"), "{xml}");
        assert!(xml.contains("<skipped message=\"the profile says ftp = no\"/>"), "{xml}");
    }

    #[test]
    fn the_failure_message_is_the_finding_specific_to_the_scenario() {
        let multipart = || check(Verdict::Fail, "binding.media-type.form", "answered multipart");
        let mut bomb = ScenarioResult::new("security-zip-bomb", "t", "b.toml", Verdict::Fail);
        bomb.checks = vec![multipart(), check(Verdict::Fail, "package.zip-bomb", "imported 1 GiB")];
        let mut other = ScenarioResult::new("collect-post-valid", "t", "v.toml", Verdict::Fail);
        other.checks = vec![multipart()];
        let xml = xml_of(vec![bomb, other]);
        assert!(xml.contains("<failure message=\"[package.zip-bomb] imported 1 GiB\" type=\"fail\">"), "{xml}");
        assert!(
            xml.contains("<failure message=\"[binding.media-type.form] answered multipart\" type=\"fail\">"),
            "{xml}"
        );
    }

    #[test]
    fn a_failure_and_a_warning_name_the_scenario_lines_they_judge() {
        let mut failed = ScenarioResult::new("security-zip-slip", "t", "z.toml", Verdict::Fail);
        failed.checks = vec![check(Verdict::Fail, "package.zip-slip", "wrote ../evil.txt").at(crate::Location::new(
            "scenarios/target/security-zip-slip.toml",
            14,
            9,
        ))];
        let mut warned = ScenarioResult::new("alert-early", "t", "w.toml", Verdict::Warn);
        warned.checks = vec![check(Verdict::Warn, "alert.order", "alert came first").at(crate::Location::new(
            "scenarios/target/alert-early.toml",
            20,
            17,
        ))];
        let xml = xml_of(vec![failed, warned]);
        assert!(
            xml.contains("[package.zip-slip] (CMI010 §6.2.5) wrote ../evil.txt\n  --&gt; scenarios/target/security-zip-slip.toml:14:9"),
            "{xml}"
        );
        assert!(xml.contains("name=\"location\" value=\"scenarios/target/security-zip-slip.toml:14:9\""), "{xml}");
        assert!(
            xml.contains("warn [alert.order] alert came first\n  --&gt; scenarios/target/alert-early.toml:20:17"),
            "{xml}"
        );
    }

    #[test]
    fn an_aborted_run_says_why_once_for_the_suite() {
        let reason = "nothing listens at http://127.0.0.1:9/pens: the connection was refused";
        let scenarios: Vec<ScenarioResult> = ["a", "b", "c"]
            .iter()
            .map(|id| {
                let mut scenario = ScenarioResult::new(*id, "t", "f.toml", Verdict::Inconclusive);
                scenario.note = Some("not run: the run stopped before it".into());
                scenario
            })
            .collect();
        let mut report = crate::fixture::report(scenarios);
        report.target.url = "http://127.0.0.1:9/pens".into();
        report.aborted = Some(reason.into());
        let xml = render_junit(&report).expect("xml");
        assert_eq!(xml.matches(reason).count(), 1, "{xml}");
        assert!(xml.contains(&format!("<system-err>run stopped early: {reason}</system-err>")), "{xml}");
        // Each scenario says only that it did not run (as its message and its note).
        assert_eq!(xml.matches("<error message=\"not run: the run stopped before it\"").count(), 3, "{xml}");
    }

    #[test]
    fn harness_notes_are_suite_properties_and_lines_of_its_system_err() {
        let mut report = crate::fixture::report(vec![ScenarioResult::new("a", "t", "f.toml", Verdict::Pass)]);
        let xml = render_junit(&report).expect("xml");
        assert!(!xml.contains("harness-note") && !xml.contains("<system-err>"), "{xml}");
        report.harness_notes = crate::notes::tests::notes();
        report.aborted = Some("stopped".into());
        let xml = render_junit(&report).expect("xml");
        assert!(
            xml.contains(
                "<property name=\"harness-note\" value=\"[collector · unsolicited-traffic · 1500 times · 1.5 GB] 1500 \
                 receipts"
            ),
            "{xml}"
        );
        assert!(xml.contains("value=\"[staging · connections-queued · 3 times] 3 connections &lt;b&gt;waited&lt;/b&gt;\\r\\nfor a slot\""), "{xml}");
        assert!(
            xml.contains("<system-err>run stopped early: stopped\nharness note: [collector · unsolicited-traffic"),
            "{xml}"
        );
    }
}
