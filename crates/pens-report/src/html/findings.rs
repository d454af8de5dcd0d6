//! The entries of `report.html`'s index of failures: the causes of
//! [`crate::group_causes`], with causes whose checks state the same finding (same
//! verdict, requirement, section and message) merged into one entry, whatever bytes
//! each quotes. Against an LF-only target the collect's answer fails
//! `response.line-ending.crlf` with one message in 50 scenarios, but its `error-text`
//! differs by scenario, so the strict grouping makes eight causes that read the same;
//! a reader must see that sentence once, with every scenario, and each distinct
//! expected/actual/diff (a *variant*) under it with the scenarios that produced it.

use crate::causes::{Cause, same_cause};
use crate::model::{CheckResult, RunReport};

/// One entry of the index.
#[derive(Debug)]
pub(crate) struct Finding<'c, 'r> {
    /// The cause it shows.
    pub cause: &'c Cause<'r>,
    /// Each distinct evidence (expected, actual, diff) its scenarios recorded, with the
    /// scenarios that recorded it, the commonest first.
    pub variants: Vec<Cause<'r>>,
}

impl<'r> Finding<'_, 'r> {
    /// The check that states it.
    pub fn check(&self) -> &'r CheckResult {
        self.cause.check
    }

    /// Every scenario where it appeared, in report order.
    pub fn scenarios(&self) -> &[&'r str] {
        &self.cause.scenarios
    }

    /// Whether more than one scenario shows it.
    pub fn is_shared(&self) -> bool {
        self.cause.is_shared()
    }

    /// Whether `check` states this finding, whatever bytes it quotes.
    pub fn holds(&self, check: &CheckResult) -> bool {
        same_cause(self.cause.check, check)
    }
}

/// The causes, in their order, each with its variants of evidence.
pub(crate) fn findings<'c, 'r>(report: &'r RunReport, causes: &'c [Cause<'r>]) -> Vec<Finding<'c, 'r>> {
    causes.iter().map(|cause| Finding { cause, variants: cause.variants(report) }).collect()
}

/// The `id` of a finding's entry in the index: `cause-<n>`, `n` its place from 1, so
/// a scenario card can link a shared finding to it.
pub(crate) fn anchor(n: usize) -> String {
    format!("cause-{}", n + 1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::ScenarioResult;
    use crate::verdict::Verdict;

    fn check(message: &str, diff: &str) -> CheckResult {
        CheckResult {
            verdict: Verdict::Fail,
            requirement: "response.line-ending.crlf".into(),
            section: "6.3".into(),
            message: message.into(),
            expected: None,
            actual: None,
            diff: Some(diff.into()),
            location: None,
            party: None,
        }
    }

    #[test]
    fn a_finding_whose_scenarios_quote_other_bytes_lists_each_variant_with_its_scenarios() {
        let mut report = crate::html::tests::report(Vec::new());
        for (id, checks) in [
            ("s1", vec![check("LF only", "-a"), check("3 lines LF", "-a")]),
            ("s2", vec![check("LF only", "-a")]),
            ("s3", vec![check("LF only", "-b")]),
            ("s5", vec![check("3 lines LF", "-a")]),
        ] {
            let mut s = ScenarioResult::new(id, id, "f.toml", Verdict::Fail);
            s.checks = checks;
            report.scenarios.push(s);
        }
        let causes = crate::group_causes(&report, Verdict::Warn);
        let findings = findings(&report, &causes);
        assert_eq!(findings.len(), 2);
        assert_eq!(findings[0].scenarios(), ["s1", "s2", "s3"]);
        let variants: Vec<_> =
            findings[0].variants.iter().map(|v| (v.check.diff.clone(), v.scenarios.clone())).collect();
        assert_eq!(variants, [(Some("-a".into()), vec!["s1", "s2"]), (Some("-b".into()), vec!["s3"])]);
        assert!(findings[0].holds(&check("LF only", "-b")) && !findings[0].holds(&check("3 lines LF", "-a")));
        assert_eq!(findings[1].scenarios(), ["s1", "s5"]);
    }
}
