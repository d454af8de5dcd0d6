//! Comparing two runs: which scenarios got worse, which got better, which appeared or
//! went away, and for each scenario whose verdict changed, which of its checks moved and
//! what they said. Built from two [`RunReport`]s read back from `report.json`, never
//! from the console or JUnit output, so the comparison sees exactly what the runs
//! recorded.

use std::collections::BTreeMap;
use std::fmt::Write;

use serde::Serialize;

use crate::model::{CheckResult, FORMAT_VERSION, RunReport, ScenarioResult};
use crate::verdict::Verdict;

/// How two runs differ, scenario by scenario (matched by id).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct ReportDiff {
    /// The JSON format version, the same as `report.json`'s.
    pub format_version: u32,
    /// Scenarios in both runs whose verdict differs, in id order.
    pub changes: Vec<VerdictChange>,
    /// Ids only in the new run, sorted.
    pub added: Vec<String>,
    /// Ids only in the old run, sorted.
    pub removed: Vec<String>,
    /// How many of each.
    pub counts: DiffCounts,
}

impl ReportDiff {
    /// Whether some scenario got worse: what makes `pens-conform diff` exit 1.
    pub fn has_regressions(&self) -> bool {
        self.counts.regressed > 0
    }
}

/// One scenario whose verdict changed between the runs.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct VerdictChange {
    /// The scenario id.
    pub id: String,
    /// Its verdict in the old run.
    pub old: Verdict,
    /// Its verdict in the new run.
    pub new: Verdict,
    /// Worse, better, or neither.
    pub change: Change,
    /// Its checks whose verdict moved, that appeared or that went away: why the verdict
    /// changed. In the new run's order, then the checks that went away in the old run's
    /// order. Empty when no check moved (a harness error, a scenario that never got to
    /// its checks: see `note`).
    pub checks: Vec<CheckChange>,
    /// The scenario's note in the new run (why it is not applicable or inconclusive),
    /// when it differs from the old run's.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// The old run's note, when it differs from the new run's.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub old_note: Option<String>,
}

/// One check of a scenario that moved between the runs. A check is matched across the
/// runs by its requirement and, when the scenario checks one requirement several times,
/// by which of those checks it is (`occurrence`): messages carry run-specific values
/// (ports, times) and cannot be the key.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct CheckChange {
    /// The requirement checked.
    pub requirement: String,
    /// Which check of that requirement in the scenario, from 1, in the order made.
    pub occurrence: usize,
    /// Its CMI010 section.
    pub section: String,
    /// Its verdict in the old run; absent when the check appeared.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub old: Option<Verdict>,
    /// Its verdict in the new run; absent when the check went away.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub new: Option<Verdict>,
    /// How it moved.
    pub change: CheckMove,
    /// What it says in the new run; absent when the check went away.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// What it said in the old run, when that differs from `message` (always, for a
    /// check that went away).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub old_message: Option<String>,
}

/// How one check moved between the runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum CheckMove {
    /// Its verdict got worse.
    Regressed,
    /// Its verdict got better.
    Improved,
    /// To or from `not-applicable`.
    Changed,
    /// Made in the new run only.
    Appeared,
    /// Made in the old run only.
    Disappeared,
}

impl CheckMove {
    /// The kebab-case name used in the JSON and text output.
    pub fn name(self) -> &'static str {
        match self {
            CheckMove::Regressed => "regressed",
            CheckMove::Improved => "improved",
            CheckMove::Changed => "changed",
            CheckMove::Appeared => "appeared",
            CheckMove::Disappeared => "disappeared",
        }
    }
}

/// The direction of a verdict change.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum Change {
    /// The new verdict is worse (e.g. `pass` → `fail`).
    Regressed,
    /// The new verdict is better (e.g. `warn` → `pass`).
    Improved,
    /// To or from `not-applicable`: the implementation's claims changed, not its
    /// behaviour, so it is neither better nor worse.
    Changed,
}

impl Change {
    /// Classifies a change from `old` to `new` (which differ) by the [`Verdict`] order.
    fn of(old: Verdict, new: Verdict) -> Change {
        if old == Verdict::NotApplicable || new == Verdict::NotApplicable {
            Change::Changed
        } else if new > old {
            Change::Regressed
        } else {
            Change::Improved
        }
    }

    /// The kebab-case name used in the JSON and text output.
    pub fn name(self) -> &'static str {
        match self {
            Change::Regressed => "regressed",
            Change::Improved => "improved",
            Change::Changed => "changed",
        }
    }
}

/// Counts of a [`ReportDiff`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct DiffCounts {
    /// Scenarios whose verdict got worse.
    pub regressed: usize,
    /// Scenarios whose verdict got better.
    pub improved: usize,
    /// Scenarios that became or stopped being not applicable.
    pub changed: usize,
    /// Scenarios with the same verdict in both runs.
    pub unchanged: usize,
    /// Scenarios only in the new run.
    pub added: usize,
    /// Scenarios only in the old run.
    pub removed: usize,
}

/// Compares two runs scenario by scenario. Should a report list an id twice, its last
/// entry counts.
pub fn diff_reports(old: &RunReport, new: &RunReport) -> ReportDiff {
    let old_scenarios: BTreeMap<&str, &ScenarioResult> = old.scenarios.iter().map(|s| (s.id.as_str(), s)).collect();
    let new_scenarios: BTreeMap<&str, &ScenarioResult> = new.scenarios.iter().map(|s| (s.id.as_str(), s)).collect();
    let mut counts = DiffCounts::default();
    let mut changes = Vec::new();
    let mut removed = Vec::new();
    for (id, old_scenario) in &old_scenarios {
        let Some(new_scenario) = new_scenarios.get(id) else {
            removed.push((*id).to_owned());
            continue;
        };
        let (old_verdict, new_verdict) = (old_scenario.verdict, new_scenario.verdict);
        if old_verdict == new_verdict {
            counts.unchanged += 1;
            continue;
        }
        let change = Change::of(old_verdict, new_verdict);
        match change {
            Change::Regressed => counts.regressed += 1,
            Change::Improved => counts.improved += 1,
            Change::Changed => counts.changed += 1,
        }
        let notes_differ = old_scenario.note != new_scenario.note;
        changes.push(VerdictChange {
            id: (*id).to_owned(),
            old: old_verdict,
            new: new_verdict,
            change,
            checks: check_changes(&old_scenario.checks, &new_scenario.checks),
            note: new_scenario.note.clone().filter(|_| notes_differ),
            old_note: old_scenario.note.clone().filter(|_| notes_differ),
        });
    }
    let added: Vec<String> =
        new_scenarios.keys().filter(|id| !old_scenarios.contains_key(*id)).map(|id| (*id).to_owned()).collect();
    counts.added = added.len();
    counts.removed = removed.len();
    ReportDiff { format_version: FORMAT_VERSION, changes, added, removed, counts }
}

/// The checks of one scenario keyed by requirement and occurrence (from 1), in order.
fn keyed(checks: &[CheckResult]) -> Vec<((&str, usize), &CheckResult)> {
    let mut seen: BTreeMap<&str, usize> = BTreeMap::new();
    checks
        .iter()
        .map(|check| {
            let occurrence = seen.entry(check.requirement.as_str()).or_default();
            *occurrence += 1;
            ((check.requirement.as_str(), *occurrence), check)
        })
        .collect()
}

/// The checks that moved between two runs of one scenario: verdicts that changed, in
/// the new run's order, then checks that appeared there, then the ones that went away.
fn check_changes(old: &[CheckResult], new: &[CheckResult]) -> Vec<CheckChange> {
    let old_keyed = keyed(old);
    let new_keyed = keyed(new);
    let old_by_key: BTreeMap<(&str, usize), &CheckResult> = old_keyed.iter().copied().collect();
    let new_by_key: BTreeMap<(&str, usize), &CheckResult> = new_keyed.iter().copied().collect();
    let mut moved = Vec::new();
    for ((requirement, occurrence), check) in &new_keyed {
        let before = old_by_key.get(&(*requirement, *occurrence)).copied();
        let change = match before {
            None => CheckMove::Appeared,
            Some(before) if before.verdict == check.verdict => continue,
            Some(before) => match Change::of(before.verdict, check.verdict) {
                Change::Regressed => CheckMove::Regressed,
                Change::Improved => CheckMove::Improved,
                Change::Changed => CheckMove::Changed,
            },
        };
        moved.push(CheckChange {
            requirement: (*requirement).to_owned(),
            occurrence: *occurrence,
            section: check.section.clone(),
            old: before.map(|b| b.verdict),
            new: Some(check.verdict),
            change,
            message: Some(check.message.clone()),
            old_message: before.map(|b| b.message.clone()).filter(|m| *m != check.message),
        });
    }
    for ((requirement, occurrence), check) in &old_keyed {
        if new_by_key.contains_key(&(*requirement, *occurrence)) {
            continue;
        }
        moved.push(CheckChange {
            requirement: (*requirement).to_owned(),
            occurrence: *occurrence,
            section: check.section.clone(),
            old: Some(check.verdict),
            new: None,
            change: CheckMove::Disappeared,
            message: None,
            old_message: Some(check.message.clone()),
        });
    }
    moved
}

/// The diff for people: regressions first, then improvements, other changes, added and
/// removed scenarios, one per line, and a line of counts.
pub fn render_diff_text(diff: &ReportDiff) -> String {
    let mut out = String::new();
    for kind in [Change::Regressed, Change::Improved, Change::Changed] {
        for change in diff.changes.iter().filter(|c| c.change == kind) {
            let _ = writeln!(out, "{:<10} {}: {} -> {}", kind.name(), change.id, change.old, change.new);
            write_check_changes(&mut out, change);
        }
    }
    for id in &diff.added {
        let _ = writeln!(out, "{:<10} {id}", "added");
    }
    for id in &diff.removed {
        let _ = writeln!(out, "{:<10} {id}", "removed");
    }
    let c = &diff.counts;
    if c.regressed + c.improved + c.changed + c.added + c.removed == 0 {
        let _ = writeln!(
            out,
            "no differences: {} with the same verdict",
            crate::text::counted(c.unchanged as u64, "scenario")
        );
    } else {
        let _ = writeln!(
            out,
            "{} regressed, {} improved, {} changed, {} added, {} removed, {} unchanged",
            c.regressed, c.improved, c.changed, c.added, c.removed, c.unchanged
        );
    }
    out
}

/// Under a scenario's line: each check that moved, with its new message and the old one
/// when it changed, then the scenario's note when that changed. Indented so the
/// scenario lines still read as a list.
fn write_check_changes(out: &mut String, change: &VerdictChange) {
    for check in &change.checks {
        let name = if check.occurrence > 1 {
            format!("{} #{}", check.requirement, check.occurrence)
        } else {
            check.requirement.clone()
        };
        let moved = match (check.old, check.new) {
            (Some(old), Some(new)) => format!("{old} -> {new}"),
            (None, Some(new)) => format!("new check, {new}"),
            (Some(old), None) => format!("check gone, was {old}"),
            (None, None) => String::new(),
        };
        let _ = writeln!(out, "{:<10}   {name} ({}): {moved}", "", check.section);
        if let Some(message) = &check.message {
            let _ = writeln!(out, "{:<10}     now: {message}", "");
        }
        if let Some(old_message) = &check.old_message {
            let _ = writeln!(out, "{:<10}     was: {old_message}", "");
        }
    }
    if change.note.is_some() || change.old_note.is_some() {
        let shown = |note: &Option<String>| note.as_deref().unwrap_or("(none)").to_owned();
        let _ = writeln!(out, "{:<10}   note now: {}", "", shown(&change.note));
        let _ = writeln!(out, "{:<10}   note was: {}", "", shown(&change.old_note));
    } else if change.checks.is_empty() {
        // The reports record no reason: say so rather than leave the line unexplained.
        let _ = writeln!(out, "{:<10}   no check or note moved: the reports do not say why", "");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::ScenarioResult;

    fn report(scenarios: &[(&str, Verdict)]) -> RunReport {
        let scenarios: Vec<ScenarioResult> =
            scenarios.iter().map(|(id, verdict)| ScenarioResult::new(*id, "title", "f.toml", *verdict)).collect();
        crate::fixture::report(scenarios)
    }

    fn sample() -> ReportDiff {
        use Verdict::*;
        let old = report(&[
            ("fetch", Pass),
            ("ftp", NotApplicable),
            ("order", Warn),
            ("gone", Pass),
            ("crlf", Pass),
            ("same", Fail),
            ("mail", Fail),
        ]);
        let new = report(&[
            ("fetch", Fail),
            ("ftp", Pass),
            ("order", Pass),
            ("crlf", Info),
            ("same", Fail),
            ("mail", NotApplicable),
            ("fresh", Error),
        ]);
        diff_reports(&old, &new)
    }

    #[test]
    fn verdict_changes_are_classified_by_the_verdict_order() {
        use Verdict::*;
        let table = [
            (Pass, Fail, Change::Regressed),
            (Pass, Info, Change::Regressed),
            (Inconclusive, Error, Change::Regressed),
            (Warn, Pass, Change::Improved),
            (Error, Fail, Change::Improved),
            (NotApplicable, Pass, Change::Changed),
            (Fail, NotApplicable, Change::Changed),
        ];
        for (old, new, expected) in table {
            assert_eq!(Change::of(old, new), expected, "{old} -> {new}");
        }
    }

    #[test]
    fn the_diff_lists_changes_added_and_removed_with_counts() {
        let diff = sample();
        let changes: Vec<(&str, Change)> = diff.changes.iter().map(|c| (c.id.as_str(), c.change)).collect();
        assert_eq!(
            changes,
            [
                ("crlf", Change::Regressed),
                ("fetch", Change::Regressed),
                ("ftp", Change::Changed),
                ("mail", Change::Changed),
                ("order", Change::Improved),
            ]
        );
        assert_eq!(diff.added, ["fresh"]);
        assert_eq!(diff.removed, ["gone"]);
        assert_eq!(
            diff.counts,
            DiffCounts { regressed: 2, improved: 1, changed: 2, unchanged: 1, added: 1, removed: 1 }
        );
        assert!(diff.has_regressions());
    }

    #[test]
    fn identical_runs_have_no_differences() {
        let run = report(&[("a", Verdict::Pass), ("b", Verdict::Fail)]);
        let diff = diff_reports(&run, &run);
        assert!(diff.changes.is_empty() && diff.added.is_empty() && diff.removed.is_empty());
        assert!(!diff.has_regressions());
        assert_eq!(render_diff_text(&diff), "no differences: 2 scenarios with the same verdict\n");
    }

    #[test]
    fn text_puts_regressions_first() {
        insta::assert_snapshot!(render_diff_text(&sample()));
    }

    #[test]
    fn json_names_changes_in_kebab_case() {
        let json = serde_json::to_string_pretty(&sample()).expect("serialises");
        insta::assert_snapshot!(json);
    }

    fn check(verdict: Verdict, requirement: &pens_proto::Requirement, message: &str) -> CheckResult {
        CheckResult::new(verdict, requirement, message)
    }

    /// A collect scenario that starts failing CRLF on its second response check, gains a
    /// receipt check, loses an alert check and keeps a passing one.
    fn moved() -> ReportDiff {
        use Verdict::*;
        use pens_proto::req;
        let mut old = report(&[("collect-post-valid", Pass), ("stopped", Pass)]);
        old.scenarios[0].checks = vec![
            check(Pass, &req::RESPONSE_CRLF, "the answer ends its lines with CRLF"),
            check(Pass, &req::RESPONSE_CRLF, "the second answer ends its lines with CRLF"),
            check(Pass, &req::TARGET_ACCEPTS_POST, "the collect was answered"),
            check(Pass, &req::TARGET_ALERTS_SENT, "an alert came"),
        ];
        old.scenarios[1].checks = vec![check(Pass, &req::TARGET_ACCEPTS_POST, "answered")];
        let mut new = report(&[("collect-post-valid", Fail), ("stopped", Inconclusive)]);
        new.scenarios[0].checks = vec![
            check(Pass, &req::RESPONSE_CRLF, "the answer ends its lines with CRLF"),
            check(Fail, &req::RESPONSE_CRLF, "the second answer ends a line with LF only"),
            check(Pass, &req::TARGET_ACCEPTS_POST, "the collect was answered"),
            check(Warn, &req::TARGET_RECEIPT_SENT, "no receipt within 10 s"),
        ];
        new.scenarios[1].note = Some("inconclusive, because the target never answered".into());
        diff_reports(&old, &new)
    }

    #[test]
    fn moved_checks_are_matched_by_requirement_and_occurrence() {
        let diff = moved();
        let collect = &diff.changes[0];
        let moves: Vec<(&str, usize, CheckMove)> =
            collect.checks.iter().map(|c| (c.requirement.as_str(), c.occurrence, c.change)).collect();
        assert_eq!(
            moves,
            [
                ("response.line-ending.crlf", 2, CheckMove::Regressed),
                ("target.receipt.sent", 1, CheckMove::Appeared),
                ("target.alerts.sent", 1, CheckMove::Disappeared),
            ]
        );
        let crlf = &collect.checks[0];
        assert_eq!((crlf.old, crlf.new), (Some(Verdict::Pass), Some(Verdict::Fail)));
        assert_eq!(crlf.message.as_deref(), Some("the second answer ends a line with LF only"));
        assert_eq!(crlf.old_message.as_deref(), Some("the second answer ends its lines with CRLF"));
        assert_eq!(collect.note, None);

        let stopped = &diff.changes[1];
        assert_eq!(stopped.checks[0].change, CheckMove::Disappeared);
        assert_eq!(stopped.note.as_deref(), Some("inconclusive, because the target never answered"));
    }

    #[test]
    fn text_names_the_checks_that_moved() {
        insta::assert_snapshot!(render_diff_text(&moved()));
    }

    #[test]
    fn json_names_the_checks_that_moved() {
        insta::assert_snapshot!(serde_json::to_string_pretty(&moved()).expect("serialises"));
    }
}
