//! Advisory scenarios: security checks go beyond CMI010, so what they find is a warning
//! unless the run enforces them ([`RunOptions::enforce_security`](crate::RunOptions)).
//!
//! A vendor fixing conformance should not see a run fail because the LMS unpacks a
//! zip-slip archive: that is worth knowing, and worth a warning, but it is no CMI010
//! requirement. A vendor who wants a security profile turns enforcement on and the same
//! checks fail.

use pens_report::{ScenarioResult, Verdict};

/// The tag that makes a scenario advisory (`tags = ["security"]`).
pub const SECURITY_TAG: &str = "security";

/// What a softened check says after its message.
const ADVISORY_SUFFIX: &str = " (advisory: a security check; --enforce-security makes it a failure)";

/// Whether a scenario with these tags is a security scenario.
pub(crate) fn is_security<'a>(tags: impl IntoIterator<Item = &'a str>) -> bool {
    tags.into_iter().any(|tag| tag == SECURITY_TAG)
}

/// Turns the failures of a security scenario into warnings, each saying so, unless the
/// run enforces security; returns the note to add when it softened anything.
pub(crate) fn soften(result: &mut ScenarioResult, enforce: bool) -> Option<String> {
    if enforce || !is_security(result.tags.iter().map(String::as_str)) {
        return None;
    }
    let mut softened = 0;
    for check in &mut result.checks {
        if check.verdict == Verdict::Fail {
            check.verdict = Verdict::Warn;
            check.message.push_str(ADVISORY_SUFFIX);
            softened += 1;
        }
    }
    (softened > 0).then(|| {
        format!(
            "advisory: {softened} failed security check(s) reported as warnings; run with --enforce-security \
             to make them failures"
        )
    })
}

#[cfg(test)]
mod tests {
    use pens_proto::req;
    use pens_report::CheckResult;

    use super::*;

    fn result(tags: &[&str]) -> ScenarioResult {
        let mut result = ScenarioResult::new("s", "t", "f", Verdict::Pass);
        result.tags = tags.iter().map(|t| (*t).to_owned()).collect();
        result.checks = vec![
            CheckResult::new(Verdict::Fail, &req::TARGET_RECEIPT_OUTCOME, "the receipt reports 0"),
            CheckResult::new(Verdict::Pass, &req::TARGET_RECEIPT_SENT, "1 receipt(s) arrived"),
            CheckResult::new(Verdict::Info, &req::TARGET_RECEIPT_SENT, "noted"),
        ];
        result
    }

    fn verdicts(result: &ScenarioResult) -> Vec<Verdict> {
        result.checks.iter().map(|c| c.verdict).collect()
    }

    #[test]
    fn a_security_scenario_warns_unless_enforced() {
        let mut advisory = result(&["staging", SECURITY_TAG]);
        let note = soften(&mut advisory, false).expect("a note");
        assert_eq!(verdicts(&advisory), [Verdict::Warn, Verdict::Pass, Verdict::Info]);
        assert!(
            advisory.checks[0].message.starts_with("the receipt reports 0 (advisory: "),
            "{}",
            advisory.checks[0].message
        );
        assert!(note.contains("--enforce-security"), "{note}");

        let mut enforced = result(&[SECURITY_TAG]);
        assert_eq!(soften(&mut enforced, true), None);
        assert_eq!(verdicts(&enforced), [Verdict::Fail, Verdict::Pass, Verdict::Info]);
    }

    #[test]
    fn other_scenarios_and_passing_security_scenarios_are_left_alone() {
        let mut other = result(&["staging"]);
        assert_eq!(soften(&mut other, false), None);
        assert_eq!(verdicts(&other), [Verdict::Fail, Verdict::Pass, Verdict::Info]);

        let mut passing = result(&[SECURITY_TAG]);
        passing.checks.remove(0);
        assert_eq!(soften(&mut passing, false), None);
    }
}
