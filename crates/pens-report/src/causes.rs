//! Failures grouped by cause: the same requirement failing with the same finding in
//! several scenarios is one cause, shown once with the list of its scenarios.
//!
//! A target with LF-only line ends fails `response.line-ending.crlf` identically in
//! every scenario that reads an answer; listing that diff 45 times buries the one
//! finding specific to `security-zip-slip`. Every renderer (console, `summary.md`,
//! `report.html`) groups through [`group_causes`], so they agree on what a cause is,
//! and picks each scenario's headline with [`headline_check`], which prefers the
//! finding specific to that scenario over one repeated across the run.
//!
//! Two checks are the same cause when their verdict, requirement, section and message
//! are equal: the finding a reader acts on. Their evidence (expected, actual, diff) may
//! still differ: an LF-only answer of `error=2008` and one of `error=2010` fail
//! `response.line-ending.crlf` with the same message and different diffs, and showing
//! that one fix ten times (once per error code) is the noise this module removes. The
//! cause carries the evidence most of its scenarios share, and [`Cause::differing`]
//! names the scenarios whose evidence is not that one, so a renderer says so: grouping
//! never hides a difference. A message that differs in any byte (a scenario's own URL,
//! say) is a different cause.

use crate::model::{CheckResult, RunReport, ScenarioResult};
use crate::verdict::Verdict;

/// One finding (a check worse than `pass`) and every scenario it appeared in.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cause<'r> {
    /// The check as most of its scenarios recorded it (the first in report order
    /// among equals); every other scenario recorded the same finding, and those in
    /// [`Cause::differing`] with other evidence.
    pub check: &'r CheckResult,
    /// The ids of the scenarios where it appeared, in report order, each once.
    pub scenarios: Vec<&'r str>,
}

impl Cause<'_> {
    /// Whether more than one scenario shares it.
    pub fn is_shared(&self) -> bool {
        self.scenarios.len() > 1
    }

    /// Each distinct evidence (expected, actual, diff) its scenarios recorded for this
    /// finding, with the scenarios that recorded it: the commonest first (the first to
    /// appear on a tie), which is [`Cause::check`]'s own. A scenario that recorded the
    /// finding twice with different evidence is in both.
    pub fn variants<'a>(&self, report: &'a RunReport) -> Vec<Cause<'a>> {
        let mut variants: Vec<Cause<'a>> = Vec::new();
        for scenario in report.scenarios.iter().filter(|s| self.scenarios.contains(&s.id.as_str())) {
            for check in scenario.checks.iter().filter(|c| same_cause(c, self.check)) {
                let index = match variants.iter().position(|v| same_evidence(v.check, check)) {
                    Some(index) => index,
                    None => {
                        variants.push(Cause { check, scenarios: Vec::new() });
                        variants.len() - 1
                    }
                };
                let variant = &mut variants[index];
                if variant.scenarios.last() != Some(&scenario.id.as_str()) {
                    variant.scenarios.push(&scenario.id);
                }
            }
        }
        // Stable: ties keep the order of first appearance.
        variants.sort_by_key(|v| std::cmp::Reverse(v.scenarios.len()));
        variants
    }

    /// The scenarios of this cause that did not record [`Cause::check`]'s evidence, in
    /// report order: a renderer that shows the cause's evidence once says these differ
    /// (and where theirs is).
    pub fn differing<'a>(&self, report: &'a RunReport) -> Vec<&'a str> {
        let shown: Vec<&str> = self.variants(report).first().map(|v| v.scenarios.clone()).unwrap_or_default();
        report
            .scenarios
            .iter()
            .map(|s| s.id.as_str())
            .filter(|id| self.scenarios.contains(id) && !shown.contains(id))
            .collect()
    }
}

/// The findings of a run at `min` or worse, by cause: shared causes first (worst
/// verdict first, then most scenarios first, then first appearance), then the causes
/// found in one scenario only, in report order. Checks of a scenario with an expected
/// failure count like the others; renderers mark the scenario.
pub fn group_causes(report: &RunReport, min: Verdict) -> Vec<Cause<'_>> {
    let mut causes: Vec<Cause<'_>> = Vec::new();
    for scenario in &report.scenarios {
        for check in scenario.checks.iter().filter(|c| c.verdict >= min) {
            match causes.iter_mut().find(|cause| same_cause(cause.check, check)) {
                Some(cause) => {
                    if cause.scenarios.last() != Some(&scenario.id.as_str()) {
                        cause.scenarios.push(&scenario.id);
                    }
                }
                None => causes.push(Cause { check, scenarios: vec![&scenario.id] }),
            }
        }
    }
    // Each cause shows the evidence most of its scenarios recorded.
    for cause in &mut causes {
        if let Some(commonest) = cause.variants(report).first() {
            cause.check = commonest.check;
        }
    }
    // A stable sort keeps first appearance as the last tie-breaker.
    causes.sort_by(|a, b| {
        b.is_shared().cmp(&a.is_shared()).then(b.check.verdict.cmp(&a.check.verdict)).then(if a.is_shared() {
            b.scenarios.len().cmp(&a.scenarios.len())
        } else {
            std::cmp::Ordering::Equal
        })
    });
    causes
}

/// Whether two checks are the same finding: same verdict, requirement, section and
/// message (their evidence may differ, see the module's documentation).
pub fn same_cause(a: &CheckResult, b: &CheckResult) -> bool {
    a.verdict == b.verdict
        && a.requirement == b.requirement
        && a.section == b.section
        && a.message == b.message
        && a.party == b.party
}

/// Whether two checks are the same finding with the same evidence (expected, actual,
/// diff). Where in its scenario file each stands is no part of it: every scenario has a
/// file of its own, and an LF-only answer is the same evidence in all of them.
pub fn same_evidence(a: &CheckResult, b: &CheckResult) -> bool {
    same_cause(a, b) && a.expected == b.expected && a.actual == b.actual && a.diff == b.diff
}

/// The check that best explains `scenario`'s verdict, among its checks with that
/// verdict, ranked by:
///
/// 1. its requirement is one the scenario declares (`requirements`: what the scenario
///    is about), before a requirement it merely touched;
/// 2. the fewest scenarios of `causes` failing the same requirement at that verdict (a
///    finding specific to this scenario before one repeated across the run, even when
///    the repeated one's message names the scenario, as a timing warning quoting the
///    scenario's URL does);
/// 3. the fewest scenarios sharing this exact finding;
/// 4. check order.
///
/// So against a target that POSTs every receipt as multipart and answers every collect
/// late, `security-zip-bomb` is headlined by its receipt outcome, not by either warning.
/// `None` when no check has the scenario's verdict (e.g. a harness error or an
/// inconclusive scenario explained by its note).
pub fn headline_check<'r>(scenario: &'r ScenarioResult, causes: &[Cause<'_>]) -> Option<&'r CheckResult> {
    let spread = |check: &CheckResult| {
        causes.iter().find(|cause| same_cause(cause.check, check)).map_or(1, |cause| cause.scenarios.len())
    };
    let requirement_spread = |check: &CheckResult| {
        let mut ids: Vec<&str> = causes
            .iter()
            .filter(|c| c.check.requirement == check.requirement && c.check.verdict == check.verdict)
            .flat_map(|c| c.scenarios.iter().copied())
            .collect();
        ids.sort_unstable();
        ids.dedup();
        ids.len().max(1)
    };
    let undeclared = |check: &CheckResult| !scenario.requirements.contains(&check.requirement);
    scenario
        .checks
        .iter()
        .filter(|c| c.verdict == scenario.verdict)
        .min_by_key(|c| (undeclared(c), requirement_spread(c), spread(c)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(verdict: Verdict, requirement: &str, message: &str) -> CheckResult {
        CheckResult {
            verdict,
            requirement: requirement.into(),
            section: "6.4".into(),
            message: message.into(),
            expected: None,
            actual: None,
            diff: None,
            location: None,
            party: None,
        }
    }

    fn scenario(id: &str, verdict: Verdict, checks: Vec<CheckResult>) -> ScenarioResult {
        let mut s = ScenarioResult::new(id, id, format!("{id}.toml"), verdict);
        s.checks = checks;
        s
    }

    use crate::fixture::report;

    fn crlf() -> CheckResult {
        check(Verdict::Fail, "response.line-ending.crlf", "answer lines end in LF")
    }

    #[test]
    fn one_cause_in_three_scenarios_is_one_group_listing_them() {
        let report = report(vec![
            scenario("a", Verdict::Fail, vec![crlf(), check(Verdict::Pass, "x", "fine")]),
            scenario("b", Verdict::Fail, vec![crlf()]),
            scenario("c", Verdict::Fail, vec![crlf(), check(Verdict::Fail, "package.zip-slip", "imported ../x")]),
        ]);
        let causes = group_causes(&report, Verdict::Warn);
        assert_eq!(causes.len(), 2, "{causes:?}");
        assert_eq!(causes[0].check.requirement, "response.line-ending.crlf");
        assert_eq!(causes[0].scenarios, ["a", "b", "c"]);
        assert!(!causes[1].is_shared());
        assert_eq!(causes[1].scenarios, ["c"]);
    }

    #[test]
    fn a_message_differing_in_one_byte_is_another_cause() {
        let report = report(vec![
            scenario("a", Verdict::Fail, vec![check(Verdict::Fail, "r", "got /a.zip")]),
            scenario("b", Verdict::Fail, vec![check(Verdict::Fail, "r", "got /b.zip")]),
        ]);
        assert_eq!(group_causes(&report, Verdict::Warn).len(), 2);
    }

    #[test]
    fn the_same_finding_with_other_evidence_is_one_cause_showing_the_commonest_evidence() {
        let lf = |code: &str| CheckResult { diff: Some(format!("-error={code}\\r\n+error={code}")), ..crlf() };
        let report = report(vec![
            scenario("missing-client", Verdict::Fail, vec![lf("2010")]),
            scenario("collect-get-valid", Verdict::Fail, vec![lf("0")]),
            scenario("collect-post-valid", Verdict::Fail, vec![lf("0")]),
            scenario("missing-command", Verdict::Fail, vec![lf("2002")]),
        ]);
        let causes = group_causes(&report, Verdict::Warn);
        assert_eq!(causes.len(), 1, "{causes:?}");
        assert_eq!(
            causes[0].scenarios,
            ["missing-client", "collect-get-valid", "collect-post-valid", "missing-command"]
        );
        assert_eq!(causes[0].check, &lf("0"));
        assert_eq!(causes[0].differing(&report), ["missing-client", "missing-command"]);
    }

    #[test]
    fn a_cause_repeated_within_one_scenario_lists_it_once() {
        let report = report(vec![scenario("a", Verdict::Fail, vec![crlf(), crlf()])]);
        let causes = group_causes(&report, Verdict::Warn);
        assert_eq!(causes[0].scenarios, ["a"]);
    }

    #[test]
    fn the_headline_prefers_the_finding_specific_to_the_scenario() {
        let multipart = || check(Verdict::Warn, "binding.media-type.form", "answered multipart");
        let bomb = check(Verdict::Warn, "package.zip-bomb", "imported a 1 GiB expansion");
        let report = report(vec![
            scenario("security-zip-bomb", Verdict::Warn, vec![multipart(), bomb.clone()]),
            scenario("b", Verdict::Warn, vec![multipart()]),
        ]);
        let causes = group_causes(&report, Verdict::Warn);
        let headline = headline_check(&report.scenarios[0], &causes).expect("headline");
        assert_eq!(headline, &bomb);
        assert_eq!(
            headline_check(&report.scenarios[1], &causes).map(|c| c.requirement.as_str()),
            Some("binding.media-type.form")
        );
    }

    /// php-pens against the security scenarios: every receipt multipart, every answer
    /// late (a warning quoting the scenario's own URL, so each is its own cause), and the
    /// security finding on the scenario's declared requirement.
    #[test]
    fn the_headline_is_the_declared_requirement_before_a_warning_repeated_with_the_scenarios_url() {
        let late = |id: &str| {
            check(Verdict::Warn, "target.ack.synchronous", &format!("fetched /s/{id}/p.zip before answering"))
        };
        let multipart = || check(Verdict::Warn, "notification.binding.form-post", "receipt sent as multipart");
        let outcome = check(Verdict::Warn, "target.receipt.outcome", "receipt reports success (0), where it must not");
        let mut bomb =
            scenario("security-zip-bomb", Verdict::Warn, vec![multipart(), outcome.clone(), late("security-zip-bomb")]);
        bomb.requirements = vec!["target.security.archive-expansion".into(), "target.receipt.outcome".into()];
        let mut slip =
            scenario("security-zip-slip", Verdict::Warn, vec![multipart(), outcome.clone(), late("security-zip-slip")]);
        slip.requirements = vec!["target.security.archive-paths".into(), "target.receipt.outcome".into()];
        let mut others: Vec<ScenarioResult> = (0..5)
            .map(|i| scenario(&format!("s{i}"), Verdict::Warn, vec![multipart(), late(&format!("s{i}"))]))
            .collect();
        // Without declared requirements, the requirement failing in fewest scenarios wins.
        let undeclared = scenario("security-undeclared", Verdict::Warn, vec![late("u"), multipart(), outcome.clone()]);
        others.extend([bomb, slip, undeclared]);
        let report = report(others);
        let causes = group_causes(&report, Verdict::Warn);
        for scenario in &report.scenarios[5..] {
            assert_eq!(headline_check(scenario, &causes), Some(&outcome), "{}", scenario.id);
        }
        assert_eq!(
            headline_check(&report.scenarios[0], &causes).map(|c| c.requirement.as_str()),
            Some("target.ack.synchronous"),
            "a scenario with only repeated warnings: the one of its own message"
        );
    }

    #[test]
    fn shared_causes_come_first_worst_first() {
        let report = report(vec![
            scenario("a", Verdict::Fail, vec![check(Verdict::Fail, "only-a", "x")]),
            scenario("b", Verdict::Warn, vec![check(Verdict::Warn, "w", "shared warn")]),
            scenario("c", Verdict::Fail, vec![check(Verdict::Warn, "w", "shared warn"), crlf()]),
            scenario("d", Verdict::Fail, vec![crlf()]),
        ]);
        let order: Vec<_> = group_causes(&report, Verdict::Warn).iter().map(|c| c.check.requirement.clone()).collect();
        assert_eq!(order, ["response.line-ending.crlf", "w", "only-a"]);
    }
}
