//! The console report: a line per scenario as it finishes, then the failures in detail
//! and a summary. Plain text, no colour codes, so CI logs stay readable.

use std::fmt::Write;

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
    if let Some(reason) = &report.aborted {
        let _ = writeln!(out, "\nRUN STOPPED: {reason}");
    }
    for scenario in report
        .scenarios
        .iter()
        .filter(|s| matches!(s.verdict, Verdict::Warn | Verdict::Inconclusive | Verdict::Fail | Verdict::Error))
    {
        let _ = writeln!(out, "\n{} {} — {}", scenario.verdict.name().to_uppercase(), scenario.id, scenario.title);
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
    let s = &report.summary;
    let _ = writeln!(
        out,
        "\n{} scenarios: {} pass, {} info, {} warn, {} not applicable, {} inconclusive, {} fail, {} error · {} ms",
        s.total, s.pass, s.info, s.warn, s.not_applicable, s.inconclusive, s.fail, s.error, report.duration_ms
    );
    out
}
