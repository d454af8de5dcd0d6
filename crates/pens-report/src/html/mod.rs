//! `report.html`: the whole run in one self-contained page for a person to read: a
//! summary header, the coverage matrix against the requirements catalogue, then every
//! scenario (worst first) with its checks, its timeline of exchanges and their exact
//! bytes.
//!
//! The page loads nothing: the style sheet is inlined, there is no script (sections
//! fold with `<details>`), and a Content-Security-Policy forbids any fetch, so it can be
//! archived as a CI artifact and opened anywhere. Every interpolated value goes through
//! [`escape_html`], because messages and bytes quote what the implementation sent.

mod coverage;
mod escape;
mod scenario;

use std::fmt::Write;

use escape::escape_html;

use crate::model::RunReport;
use crate::verdict::Verdict;

/// The inlined style sheet.
const STYLE: &str = include_str!("style.css");

/// Renders the HTML report: one HTML5 document, deterministic for a given report.
pub fn render_html(report: &RunReport) -> String {
    let mut out = String::with_capacity(16 * 1024);
    let target = report.target.name.as_deref().unwrap_or(&report.target.url);
    let _ = writeln!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">\n\
         <meta name=\"referrer\" content=\"no-referrer\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>pens-conform {} report: {}</title>\n<style>\n{STYLE}</style>\n</head>\n<body>",
        escape_html(&report.mode),
        escape::escape_line(target),
    );
    write_header(&mut out, report);
    // What went wrong first, right under the totals; the coverage matrix, long on a
    // full run, after it (every failing check links to its row there).
    scenario::write_scenarios(&mut out, report);
    coverage::write_coverage(&mut out, report);
    let _ = writeln!(out, "</body>\n</html>");
    out
}

/// The summary header: what was tested, by what, when, and the totals.
fn write_header(out: &mut String, report: &RunReport) {
    let target = &report.target;
    let _ = writeln!(
        out,
        "<header id=\"summary\">\n<h1>pens-conform {} run: {}</h1>",
        escape_html(&report.mode),
        escape::escape_line(target.name.as_deref().unwrap_or(&target.url)),
    );
    if let Some(reason) = &report.aborted {
        let _ = writeln!(
            out,
            "<p class=\"aborted\"><strong>Run stopped early:</strong> {}</p>",
            escape::escape_line(reason)
        );
    }
    let _ = writeln!(out, "<dl class=\"run\">");
    let name = target.name.as_deref().map(escape::escape_line).unwrap_or_else(|| "(not named)".to_owned());
    fact(out, "implementation", &name);
    fact(out, "endpoint", &format!("<code>{}</code>", escape::escape_line(&target.url)));
    fact(out, "mode", &escape_html(&report.mode));
    fact(out, "claims", &claims(report));
    if !report.target.observed.is_empty() {
        fact(out, "capabilities observed", &observed(report));
    }
    fact(out, "harness", &format!("{} {}", escape_html(&report.harness.name), escape_html(&report.harness.version)));
    fact(out, "started", &escape_html(&report.started_at));
    fact(out, "duration", &format!("{} ms", report.duration_ms));
    // An older report records no digest of the scenario set; say so rather than make one up.
    let digest = match &report.scenario_digest {
        Some(digest) => format!("<code>sha256:{}</code>", escape_html(digest)),
        None => "<span class=\"none\">not recorded in this report</span>".to_owned(),
    };
    fact(out, "scenario set digest", &digest);
    if let Some(scope) = crate::scope::scope_line(report) {
        fact(out, "scope", &escape::escape_line(&scope));
    }
    if let Some(merged) = &report.merged_from {
        let partitions: Vec<String> = merged
            .partitions
            .iter()
            .map(|p| {
                let aborted = p.aborted.as_deref().map(|r| format!(", stopped early: {}", escape::escape_line(r)));
                format!(
                    "{}/{}: started {}, {} ms, {}{}",
                    p.index,
                    merged.count,
                    escape_html(&p.started_at),
                    p.duration_ms,
                    crate::text::counted(p.scenarios as u64, "scenario"),
                    aborted.unwrap_or_default()
                )
            })
            .collect();
        fact(out, "partitions", &partitions.join("; "));
    }
    fact(out, "report format", &report.format_version.to_string());
    if let Some(baseline) = &report.baseline {
        let mut text = format!("<code>{}</code>", escape_html(&baseline.file));
        for (label, ids) in [
            ("expected failures", &baseline.expected_failures),
            ("improvements", &baseline.improvements),
            ("not run", &baseline.not_run),
        ] {
            let ids: Vec<String> = ids.iter().map(|id| escape_html(id)).collect();
            let _ = write!(text, "; {label}: {}", if ids.is_empty() { "none".to_owned() } else { ids.join(", ") });
        }
        fact(out, "baseline", &text);
    }
    let _ = writeln!(out, "</dl>");
    write_totals(out, report);
    let _ = writeln!(out, "</header>");
}

fn fact(out: &mut String, name: &str, html: &str) {
    let _ = writeln!(out, "<dt>{name}</dt><dd>{html}</dd>");
}

/// The target's claims as `feature: yes|no|unknown`, in the order `report.json` writes them.
fn claims(report: &RunReport) -> String {
    let Ok(serde_json::Value::Object(claims)) = serde_json::to_value(&report.target.claims) else {
        return String::new();
    };
    let shown: Vec<String> = claims
        .iter()
        .map(|(feature, support)| {
            let support = support.as_str().map_or_else(|| support.to_string(), str::to_owned);
            format!("<code>{}</code>: {}", escape_html(feature), escape_html(&support))
        })
        .collect();
    shown.join(", ")
}

/// The capabilities the run observed: the `[claims]` lines to paste into the profile,
/// each with what showed it; a contradicted claim is marked.
fn observed(report: &RunReport) -> String {
    let lines = crate::observed::lines(&report.target.observed);
    let rows: Vec<String> = report
        .target
        .observed
        .iter()
        .zip(lines)
        .map(|(o, line)| {
            let class = if o.contradicts_claim() { " class=\"contradicted\"" } else { "" };
            format!("<code{class}>{}</code>", escape_html(&line))
        })
        .collect();
    rows.join("<br>")
}

/// One row of counts, best verdict first as in the console summary; each cell has an id
/// (`total`, `total-fail`, …) so scripts and tests can read it.
fn write_totals(out: &mut String, report: &RunReport) {
    let verdicts = Verdict::SUMMARY_ORDER;
    out.push_str("<table class=\"totals\">\n<thead><tr><th>total</th>");
    for verdict in verdicts {
        let _ = write!(out, "<th>{}</th>", verdict.name());
    }
    let _ = write!(out, "</tr></thead>\n<tbody><tr><td id=\"total\">{}</td>", report.summary.total);
    for verdict in verdicts {
        let _ = write!(
            out,
            "<td id=\"total-{name}\" class=\"v-{name}\">{}</td>",
            report.summary.count(verdict),
            name = verdict.name()
        );
    }
    let _ = writeln!(out, "</tr></tbody>\n</table>");
}

/// The `id` of a scenario's section (`scenario-<id>`), and the fragment that links to it.
pub(crate) fn scenario_anchor(id: &str) -> String {
    format!("scenario-{}", anchor_safe(id))
}

/// The `id` of a requirement's row in the coverage matrix (`req-<id>`).
pub(crate) fn requirement_anchor(id: &str) -> String {
    format!("req-{}", anchor_safe(id))
}

/// `id` as a fragment that needs no escaping anywhere: ASCII letters, digits, `.` and
/// `-` are kept (every catalogue and scenario id is made of these), anything else
/// becomes `_<hex>_`, so distinct ids stay distinct and no fragment holds `:` or `/`.
fn anchor_safe(id: &str) -> String {
    let mut safe = String::with_capacity(id.len());
    for c in id.chars() {
        if c.is_ascii_alphanumeric() || c == '.' || c == '-' {
            safe.push(c);
        } else {
            let _ = write!(safe, "_{:x}_", u32::from(c));
        }
    }
    safe
}

#[cfg(test)]
mod tests;
