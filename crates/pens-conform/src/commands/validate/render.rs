//! Text output for people: findings grouped by verdict, each with its requirement id and
//! spec section, then the expected answer and what was read. Pure functions over the
//! report, so the same report can be printed, snapshotted or written to a file.

use std::fmt::Write;

use pens_proto::{ErrorCode, Finding, Level};

use super::{MessageView, ValidationReport, Verdict};

/// Renders a `validate` report.
pub(crate) fn validation_text(report: &ValidationReport) -> String {
    let mut out = String::new();
    let how = if report.kind_detected { "detected" } else { "given" };
    let _ = writeln!(out, "pens-conform validate · {}", report.source);
    let _ = writeln!(out, "kind      {} ({how})", report.kind);
    let _ = writeln!(out, "checked   {}", report.checked_at);

    let _ = writeln!(out, "\nfindings");
    if report.findings.is_empty() {
        let _ = writeln!(out, "  none: the message meets every requirement checked");
    }
    for finding in &report.findings {
        write_finding(&mut out, finding);
    }

    if let Some(expected) = &report.expected_answer {
        let _ = writeln!(out, "\nexpected answer from a conformant target (CMI010 §6.3)");
        let _ = writeln!(out, "  {:<5} {}", expected.code, describe(expected.code));
        let mut problems: Vec<_> = expected.problems.iter().filter(|p| !p.code.is_success()).collect();
        problems.sort_by_key(|p| p.code);
        let applicable: Vec<String> = problems
            .iter()
            .map(|p| format!("{} {}", p.code, p.element.as_deref().unwrap_or(p.requirement.id)))
            .collect();
        if applicable.len() > 1 {
            let _ = writeln!(out, "        the highest-numbered of the applicable codes: {}", applicable.join(", "));
        }
        let others: Vec<ErrorCode> = expected.acceptable.iter().copied().filter(|&c| c != expected.code).collect();
        if !others.is_empty() {
            let _ = writeln!(out, "  also acceptable");
            for code in others {
                let _ = writeln!(out, "  {:<5} {}", code, describe(code));
                for reason in expected.reasons_for(code) {
                    let _ = writeln!(out, "        because {reason}");
                }
            }
        }
    }

    let _ = writeln!(out, "\nmessage");
    match &report.message {
        MessageView::Elements { elements } if elements.is_empty() => {
            let _ = writeln!(out, "  (no elements could be read)");
        }
        MessageView::Elements { elements } => {
            let width = elements.iter().map(|(n, _)| n.chars().count()).max().unwrap_or(0).min(24);
            for (name, value) in elements {
                let _ = writeln!(out, "  {:<width$}  {}", visible(name), shown(value));
            }
        }
        MessageView::Response { error, error_raw, error_text, version, pens_data } => {
            let error_line = match (error, error_raw) {
                (Some(code), Some(raw)) if raw.trim() == code.to_string() => format!("{code}  ({})", describe(*code)),
                (Some(code), Some(raw)) => format!("{code}  read from `{}` ({})", visible(raw), describe(*code)),
                (None, Some(raw)) => format!("unreadable: `{}`", visible(raw)),
                (_, None) => "(missing)".to_owned(),
            };
            let _ = writeln!(out, "  error       {error_line}");
            for (name, value) in [("error-text", error_text), ("version", version), ("pens-data", pens_data)] {
                let value = value.as_deref().map_or_else(|| "(missing)".to_owned(), shown);
                let _ = writeln!(out, "  {name:<10}  {value}");
            }
        }
    }

    let verdict = match report.verdict {
        Verdict::Pass => "PASS",
        Verdict::Fail => "FAIL",
    };
    let s = report.summary.failures;
    let _ = writeln!(
        out,
        "\nresult    {verdict} · {s} failure{}, {} warning{}, {} note{}",
        plural(s),
        report.summary.warnings,
        plural(report.summary.warnings),
        report.summary.notes,
        plural(report.summary.notes)
    );
    out
}

fn write_finding(out: &mut String, finding: &Finding) {
    let label = match finding.level {
        Level::Must => "FAIL",
        Level::Should => "WARN",
        Level::Info => "INFO",
    };
    let requirement = finding.requirement;
    let _ = writeln!(out, "  {label}  {}  ({}, {})", requirement.id, finding.level, requirement.section);
    let subject = finding.element.as_deref().map(|e| format!("{e}: ")).unwrap_or_default();
    let _ = writeln!(out, "        {subject}{}", finding.message);
    if let Some(value) = &finding.value {
        let _ = writeln!(out, "        value: \"{}\"", visible(value));
    }
}

/// Code plus its registry name and text, or what its range says.
pub(crate) fn describe(code: ErrorCode) -> String {
    match code.info() {
        Some(info) => format!("{} — {}", info.name, info.text),
        None => code.describe(),
    }
}

/// Shows control characters visibly (`\r`, `\n`, `\t`, `\u{..}`), so a CR that matters
/// to the protocol can be seen; other characters as they are.
pub(crate) fn visible(text: &str) -> String {
    pens_report::show_controls(text, false)
}

/// A value as [`visible`], or `(empty)` when there is nothing to see.
fn shown(value: &str) -> String {
    if value.is_empty() { "(empty)".to_owned() } else { visible(value) }
}

fn plural(count: usize) -> &'static str {
    if count == 1 { "" } else { "s" }
}
