//! Comparing two runs: which scenarios got worse, which got better, which appeared or
//! went away. Built from two [`RunReport`]s read back from `report.json`, never from
//! the console or JUnit output, so the comparison sees exactly what the runs recorded.

use std::collections::BTreeMap;
use std::fmt::Write;

use serde::Serialize;

use crate::model::{FORMAT_VERSION, RunReport};
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
    let old_verdicts: BTreeMap<&str, Verdict> = old.scenarios.iter().map(|s| (s.id.as_str(), s.verdict)).collect();
    let new_verdicts: BTreeMap<&str, Verdict> = new.scenarios.iter().map(|s| (s.id.as_str(), s.verdict)).collect();
    let mut counts = DiffCounts::default();
    let mut changes = Vec::new();
    let mut removed = Vec::new();
    for (id, &old_verdict) in &old_verdicts {
        let Some(&new_verdict) = new_verdicts.get(id) else {
            removed.push((*id).to_owned());
            continue;
        };
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
        changes.push(VerdictChange { id: (*id).to_owned(), old: old_verdict, new: new_verdict, change });
    }
    let added: Vec<String> =
        new_verdicts.keys().filter(|id| !old_verdicts.contains_key(*id)).map(|id| (*id).to_owned()).collect();
    counts.added = added.len();
    counts.removed = removed.len();
    ReportDiff { format_version: FORMAT_VERSION, changes, added, removed, counts }
}

/// The diff for people: regressions first, then improvements, other changes, added and
/// removed scenarios, one per line, and a line of counts.
pub fn render_diff_text(diff: &ReportDiff) -> String {
    let mut out = String::new();
    for kind in [Change::Regressed, Change::Improved, Change::Changed] {
        for change in diff.changes.iter().filter(|c| c.change == kind) {
            let _ = writeln!(out, "{:<10} {}: {} -> {}", kind.name(), change.id, change.old, change.new);
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Harness, ScenarioResult, Summary, TargetInfo};

    fn report(scenarios: &[(&str, Verdict)]) -> RunReport {
        let scenarios: Vec<ScenarioResult> =
            scenarios.iter().map(|(id, verdict)| ScenarioResult::new(*id, "title", "f.toml", *verdict)).collect();
        RunReport {
            format_version: FORMAT_VERSION,
            harness: Harness { name: "pens-conform".into(), version: "0.1.0".into() },
            mode: "target".into(),
            started_at: "2026-06-01T00:00:00Z".into(),
            duration_ms: 1,
            target: TargetInfo {
                url: "http://127.0.0.1:1/pens".into(),
                name: None,
                claims: pens_proto::TargetCapabilities::default(),
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
}
