//! The entries of `report.html`'s index of failures: the causes of
//! [`crate::group_causes`], with causes whose checks state the same finding (same
//! verdict, requirement, section and message) merged into one entry, whatever bytes
//! each quotes. Against an LF-only target the collect's answer fails
//! `response.line-ending.crlf` with one message in 50 scenarios, but its `error-text`
//! differs by scenario, so the strict grouping makes eight causes that read the same;
//! a reader must see that sentence once, with every scenario, and each distinct
//! expected/actual/diff (a *variant*) under it with the scenarios that produced it.

use crate::causes::{Cause, same_cause};
use crate::model::CheckResult;

/// One entry of the index.
#[derive(Debug)]
pub(crate) struct Finding<'c, 'r> {
    /// The causes it merges, in grouping order; each is a variant of its bytes.
    pub variants: Vec<&'c Cause<'r>>,
    /// Every scenario where it appeared, in the order of the variants, each once.
    pub scenarios: Vec<&'r str>,
}

impl Finding<'_, '_> {
    /// The check that states it (the first variant's).
    pub fn check(&self) -> &CheckResult {
        self.variants[0].check
    }

    /// Whether more than one scenario shows it.
    pub fn is_shared(&self) -> bool {
        self.scenarios.len() > 1
    }

    /// Whether `check` states this finding, with the bytes of one of its variants.
    pub fn holds(&self, check: &CheckResult) -> bool {
        self.variants.iter().any(|cause| same_cause(cause.check, check))
    }
}

/// Whether two checks state the same finding: all they say in words is equal; the
/// bytes they quote (expected, actual, diff) may differ.
fn same_finding(a: &CheckResult, b: &CheckResult) -> bool {
    a.verdict == b.verdict && a.requirement == b.requirement && a.section == b.section && a.message == b.message
}

/// The causes merged into findings: shared findings first (worst first, then most
/// scenarios), then the findings of one scenario, in the causes' order.
pub(crate) fn findings<'c, 'r>(causes: &'c [Cause<'r>]) -> Vec<Finding<'c, 'r>> {
    let mut findings: Vec<Finding<'c, 'r>> = Vec::new();
    for cause in causes {
        match findings.iter_mut().find(|f| same_finding(f.check(), cause.check)) {
            Some(finding) => {
                finding.variants.push(cause);
                for id in &cause.scenarios {
                    if !finding.scenarios.contains(id) {
                        finding.scenarios.push(id);
                    }
                }
            }
            None => findings.push(Finding { variants: vec![cause], scenarios: cause.scenarios.clone() }),
        }
    }
    // Stable: ties keep the grouping's order.
    findings.sort_by(|a, b| {
        b.is_shared().cmp(&a.is_shared()).then(b.check().verdict.cmp(&a.check().verdict)).then(if a.is_shared() {
            b.scenarios.len().cmp(&a.scenarios.len())
        } else {
            std::cmp::Ordering::Equal
        })
    });
    findings
}

/// The `id` of a finding's entry in the index: `cause-<n>`, `n` its place from 1, so
/// a scenario card can link a shared finding to it.
pub(crate) fn anchor(n: usize) -> String {
    format!("cause-{}", n + 1)
}

#[cfg(test)]
mod tests {
    use super::*;
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
        }
    }

    #[test]
    fn causes_that_differ_only_in_their_bytes_are_one_finding_with_variants() {
        let (lf_a, lf_b, other) = (check("LF only", "-a"), check("LF only", "-b"), check("3 lines LF", "-a"));
        let causes = vec![
            Cause { check: &lf_a, scenarios: vec!["s1", "s2"] },
            Cause { check: &other, scenarios: vec!["s1", "s5"] },
            Cause { check: &lf_b, scenarios: vec!["s3", "s4", "s2"] },
        ];
        let findings = findings(&causes);
        assert_eq!(findings.len(), 2);
        assert_eq!(findings[0].variants.len(), 2);
        assert_eq!(findings[0].scenarios, ["s1", "s2", "s3", "s4"]);
        assert!(findings[0].holds(&lf_b) && !findings[0].holds(&other));
        assert_eq!(findings[1].scenarios, ["s1", "s5"]);
    }
}
