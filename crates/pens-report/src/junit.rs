//! `junit.xml`: one test case per scenario, so CI servers show each scenario as a test.
//! A `fail` is a JUnit failure, an `error` or `inconclusive` a JUnit error (the harness
//! could not judge), `not-applicable` is skipped, and so is a `fail` the baseline
//! expects (message `expected failure: <reason>`). The document keeps to the common JUnit
//! schema CI servers validate against (`schemas/junit.xsd`, Jenkins' junit-10): a test
//! case has no properties there, so its requirement ids, sections, verdict and title are
//! `key: value` lines of its `system-out`.

use std::time::Duration;

use quick_junit::{NonSuccessKind, Property, Report, TestCase, TestCaseStatus, TestSuite};

use crate::model::{RunReport, ScenarioResult};
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
    for scenario in &report.scenarios {
        suite.add_test_case(test_case(scenario));
    }
    junit.add_test_suite(suite);
    Ok(junit.to_string()?)
}

fn test_case(scenario: &ScenarioResult) -> TestCase {
    let mut status = match scenario.verdict {
        Verdict::Pass | Verdict::Info | Verdict::Warn => TestCaseStatus::success(),
        Verdict::NotApplicable => TestCaseStatus::skipped(),
        // An expected failure is skipped, not failed, so CI servers stay green on it.
        Verdict::Fail if scenario.expected_failure.is_some() => TestCaseStatus::skipped(),
        Verdict::Fail => TestCaseStatus::non_success(NonSuccessKind::Failure),
        Verdict::Inconclusive | Verdict::Error => TestCaseStatus::non_success(NonSuccessKind::Error),
    };
    let worst: Vec<_> = scenario.checks.iter().filter(|c| c.verdict == scenario.verdict).collect();
    if let Some(first) = worst.first() {
        if scenario.verdict >= Verdict::Inconclusive {
            status.set_message(format!("[{}] {}", first.requirement, first.message));
            // A skipped (expected) failure has no `type` in the common JUnit schema.
            if scenario.expected_failure.is_none() {
                status.set_type(scenario.verdict.name());
            }
        }
    } else if let Some(note) = &scenario.note {
        status.set_message(note.as_str());
    }
    if let Some(expected) = &scenario.expected_failure {
        // No `type`: the common JUnit schema has none on `<skipped>`.
        status.set_message(format!("expected failure: {}", expected.reason));
    }
    if scenario.verdict >= Verdict::Inconclusive {
        let details: Vec<String> = worst
            .iter()
            .map(|c| {
                let mut line = format!("{} [{}] ({}) {}", c.verdict, c.requirement, c.section, c.message);
                if let (Some(expected), Some(actual)) = (&c.expected, &c.actual) {
                    line.push_str(&format!("\n  expected: {expected}\n  actual:   {actual}"));
                }
                line
            })
            .collect();
        status.set_description(details.join("\n"));
    }
    let mut case = TestCase::new(scenario.id.as_str(), status);
    case.set_classname("pens-conform.target");
    case.set_time(Duration::from_millis(scenario.duration_ms));
    case.set_assertions(scenario.checks.len());
    // The common JUnit schema (`schemas/junit.xsd`) has no properties on a test case, so
    // what describes the scenario goes into its `system-out`, one `key: value` line each,
    // ahead of the warn and info notes.
    let mut out: Vec<String> = scenario.requirements.iter().map(|r| format!("requirement: {r}")).collect();
    let mut sections: Vec<&str> = scenario.checks.iter().map(|c| c.section.as_str()).collect();
    sections.sort_unstable();
    sections.dedup();
    out.extend(sections.iter().map(|s| format!("section: {s}")));
    out.push(format!("verdict: {}", scenario.verdict.name()));
    out.push(format!("title: {}", scenario.title));
    if let Some(expected) = &scenario.expected_failure {
        out.push(format!("expected-failure: {}", expected.reason));
        if let Some(issue) = &expected.issue {
            out.push(format!("issue: {issue}"));
        }
    }
    if scenario.verdict == Verdict::Warn || scenario.verdict == Verdict::Info {
        out.push(String::new());
        out.extend(
            scenario
                .checks
                .iter()
                .filter(|c| matches!(c.verdict, Verdict::Warn | Verdict::Info))
                .map(|c| format!("{} [{}] {}", c.verdict, c.requirement, c.message)),
        );
    }
    case.set_system_out(out.join("\n"));
    case
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::baseline::ExpectedFailure;

    #[test]
    fn an_expected_failure_is_skipped_with_its_reason_and_keeps_its_requirements() {
        let mut scenario = ScenarioResult::new("several-errors", "t", "f.toml", Verdict::Fail);
        scenario.requirements = vec!["target.error.highest-numbered".into()];
        scenario.expected_failure =
            Some(ExpectedFailure { reason: "LMS-1234: first error".into(), issue: None, expires: None });
        let mut junit = Report::new("r");
        let mut suite = TestSuite::new("s");
        suite.add_test_case(test_case(&scenario));
        junit.add_test_suite(suite);
        let xml = junit.to_string().expect("xml");
        assert!(xml.contains("<skipped message=\"expected failure: LMS-1234: first error\""), "{xml}");
        assert!(!xml.contains("<failure"), "{xml}");
        assert!(xml.contains("requirement: target.error.highest-numbered"), "{xml}");
        assert!(xml.contains("expected-failure: LMS-1234: first error"), "{xml}");
    }
}
