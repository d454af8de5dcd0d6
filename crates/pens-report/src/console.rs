//! The console report: a line per scenario as it finishes, then the failures in detail
//! and a summary. Plain text, no colour codes, so CI logs stay readable.

use std::fmt::Write;

use crate::baseline::BaselineOutcome;
use crate::model::{RunReport, ScenarioResult};
use crate::verdict::Verdict;

/// One line for a finished scenario: verdict, id, duration.
pub fn render_scenario_line(scenario: &ScenarioResult) -> String {
    format!("{:<14} {}  ({} ms)", scenario.verdict.name().to_uppercase(), scenario.id, scenario.duration_ms)
}

/// The end-of-run report: every scenario worse than `pass` in detail, then the summary.
pub fn render_console(report: &RunReport) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "pens-conform {} · {} mode · {}", report.harness.version, report.mode, report.target.url);
    if let Some(scope) = crate::scope::scope_line(report) {
        let _ = writeln!(out, "{scope}");
    }
    if let Some(reason) = &report.aborted {
        let _ = writeln!(out, "\nRUN STOPPED: {reason}");
        // Listed once, on one line: a block for each would bury the reason above.
        let not_run: Vec<&str> = report.scenarios.iter().filter(|s| s.is_not_run()).map(|s| s.id.as_str()).collect();
        if !not_run.is_empty() {
            let _ = writeln!(out, "not run ({}): {}", not_run.len(), not_run.join(", "));
        }
    }
    for scenario in report.scenarios.iter().filter(|s| {
        matches!(s.verdict, Verdict::Warn | Verdict::Inconclusive | Verdict::Fail | Verdict::Error) && !s.is_not_run()
    }) {
        let verdict = match &scenario.expected_failure {
            Some(expected) => format!("{} (expected: {})", scenario.verdict.name().to_uppercase(), expected.reason),
            None => scenario.verdict.name().to_uppercase(),
        };
        let _ = writeln!(out, "\n{verdict} {} — {}", scenario.id, scenario.title);
        if let Some(issue) = scenario.expected_failure.as_ref().and_then(|e| e.issue.as_ref()) {
            let _ = writeln!(out, "  issue: {issue}");
        }
        let _ = writeln!(out, "  file: {}", scenario.file);
        if let Some(note) = &scenario.note {
            let _ = writeln!(out, "  note: {note}");
        }
        for check in scenario.checks.iter().filter(|c| c.verdict >= Verdict::Warn) {
            let _ = writeln!(
                out,
                "  {:<5} [{}] ({}) {}",
                check.verdict.name().to_uppercase(),
                check.requirement,
                check.section,
                check.message
            );
            if let Some(expected) = &check.expected {
                let _ = writeln!(out, "        expected: {expected}");
            }
            if let Some(actual) = &check.actual {
                let _ = writeln!(out, "        actual:   {actual}");
            }
            if let Some(diff) = &check.diff {
                for line in diff.lines() {
                    let _ = writeln!(out, "        {line}");
                }
            }
        }
    }
    if !report.target.observed.is_empty() {
        let _ = writeln!(out, "\ncapabilities observed (paste under [claims] in the profile):");
        for line in crate::observed::lines(&report.target.observed) {
            let _ = writeln!(out, "  {line}");
        }
    }
    if let Some(outcome) = &report.baseline {
        render_baseline(&mut out, outcome);
    }
    let s = &report.summary;
    let _ = writeln!(
        out,
        "\n{}: {} pass, {} info, {} warn, {} not applicable, {} inconclusive, {} fail, {} error · {} ms",
        crate::text::counted(s.total as u64, "scenario"),
        s.pass,
        s.info,
        s.warn,
        s.not_applicable,
        s.inconclusive,
        s.fail,
        s.error,
        report.duration_ms
    );
    out
}

/// The baseline block: counts, then each improvement, which the reader should act on
/// (remove the entry), and the entries that were not run.
fn render_baseline(out: &mut String, outcome: &BaselineOutcome) {
    let _ = writeln!(
        out,
        "\nbaseline {}: {} expected failure(s), {} improvement(s), {} not run",
        outcome.file,
        outcome.expected_failures.len(),
        outcome.improvements.len(),
        outcome.not_run.len()
    );
    for id in &outcome.improvements {
        let _ = writeln!(out, "  IMPROVED {id}: listed as an expected failure but did not fail; remove its entry");
    }
    for id in &outcome.not_run {
        let _ = writeln!(out, "  not run  {id}");
    }
}
