//! The per-scenario sections of `report.html`: worst verdict first, each with its
//! checks (requirement linked to its coverage row), the timeline of exchanges and the
//! exact bytes, control characters made visible.

use std::fmt::Write;

use super::escape::{escape_bytes, escape_diff, escape_html, escape_line};
use super::{requirement_anchor, scenario_anchor};
use crate::model::{CheckResult, Exchange, ExchangeKind, RunReport, ScenarioResult};
use crate::verdict::Verdict;

/// Writes the `scenarios` section: every scenario, worst verdict first, then by id.
/// Scenarios worse than `info` start expanded.
pub(crate) fn write_scenarios(out: &mut String, report: &RunReport) {
    let mut scenarios: Vec<&ScenarioResult> = report.scenarios.iter().collect();
    scenarios.sort_by(|a, b| b.verdict.cmp(&a.verdict).then_with(|| a.id.cmp(&b.id)));
    let _ = writeln!(out, "<section id=\"scenarios\">\n<h2>Scenarios</h2>");
    if scenarios.is_empty() {
        let _ = writeln!(out, "<p>No scenario was run.</p>");
    }
    for scenario in scenarios {
        write_scenario(out, scenario);
    }
    let _ = writeln!(out, "</section>");
}

fn write_scenario(out: &mut String, scenario: &ScenarioResult) {
    let verdict = scenario.verdict.name();
    let open = if scenario.verdict > Verdict::Info { " open" } else { "" };
    let expected = if scenario.expected_failure.is_some() { " <span class=\"expected\">(expected)</span>" } else { "" };
    let _ = writeln!(
        out,
        "<section class=\"scenario v-{verdict}\" id=\"{}\">\n<details{open}>\n<summary><span class=\"badge v-{verdict}\">{verdict}</span>{expected} \
         <code>{}</code> — {}</summary>",
        scenario_anchor(&scenario.id),
        escape_html(&scenario.id),
        escape_line(&scenario.title),
    );
    let _ = writeln!(out, "<dl class=\"facts\">");
    fact(out, "file", &format!("<code>{}</code>", escape_html(&scenario.file)));
    let requirements: Vec<String> = scenario.requirements.iter().map(|r| requirement_link(r)).collect();
    fact(out, "requirements", &requirements.join(" "));
    if !scenario.tags.is_empty() {
        let tags: Vec<String> = scenario.tags.iter().map(|t| escape_html(t)).collect();
        fact(out, "tags", &tags.join(", "));
    }
    fact(out, "duration", &format!("{} ms", scenario.duration_ms));
    if let Some(note) = &scenario.note {
        fact(out, "note", &escape_line(note));
    }
    if let Some(known) = &scenario.expected_failure {
        let mut text = escape_line(&known.reason);
        if let Some(issue) = &known.issue {
            let _ = write!(text, "; issue {}", escape_line(issue));
        }
        if let Some(expires) = &known.expires {
            let _ = write!(text, "; expires {}", escape_line(expires));
        }
        fact(out, "expected failure", &text);
    }
    let _ = writeln!(out, "</dl>");
    write_checks(out, &scenario.checks);
    write_exchanges(out, &scenario.exchanges);
    let _ = writeln!(out, "</details>\n</section>");
}

fn fact(out: &mut String, name: &str, html: &str) {
    let _ = writeln!(out, "<dt>{name}</dt><dd>{html}</dd>");
}

/// A requirement id linked to its row of the coverage matrix.
fn requirement_link(id: &str) -> String {
    format!("<a href=\"#{}\"><code>{}</code></a>", requirement_anchor(id), escape_html(id))
}

fn write_checks(out: &mut String, checks: &[CheckResult]) {
    if checks.is_empty() {
        let _ = writeln!(out, "<p class=\"none\">No checks were made.</p>");
        return;
    }
    let _ = writeln!(
        out,
        "<table class=\"checks\">\n<thead><tr><th>verdict</th><th>requirement</th><th>section</th><th>message</th></tr></thead>\n<tbody>"
    );
    for check in checks {
        let verdict = check.verdict.name();
        let _ = writeln!(
            out,
            "<tr class=\"v-{verdict}\"><td><span class=\"badge v-{verdict}\">{verdict}</span></td><td>{}</td><td>{}</td><td>{}</td></tr>",
            requirement_link(&check.requirement),
            escape_html(&check.section),
            escape_line(&check.message),
        );
        if check.expected.is_none() && check.actual.is_none() && check.diff.is_none() {
            continue;
        }
        let _ = write!(out, "<tr class=\"detail\"><td></td><td colspan=\"3\">");
        if let Some(expected) = &check.expected {
            let _ = write!(
                out,
                "<div class=\"label\">expected</div><pre class=\"expected\">{}</pre>",
                escape_bytes(expected)
            );
        }
        if let Some(actual) = &check.actual {
            let _ =
                write!(out, "<div class=\"label\">actual</div><pre class=\"actual\">{}</pre>", escape_bytes(actual));
        }
        if let Some(diff) = &check.diff {
            let _ = write!(out, "<div class=\"label\">diff</div><pre class=\"diff\">{}</pre>", escape_diff(diff));
        }
        let _ = writeln!(out, "</td></tr>");
    }
    let _ = writeln!(out, "</tbody>\n</table>");
}

/// The timeline: one entry per exchange in order of time; its bytes fold out.
fn write_exchanges(out: &mut String, exchanges: &[Exchange]) {
    if exchanges.is_empty() {
        return;
    }
    let _ = writeln!(out, "<h3>Exchanges</h3>\n<ol class=\"timeline\">");
    for exchange in exchanges {
        let latency = match exchange.latency_ms {
            Some(ms) => format!(" <span class=\"latency\">({ms} ms)</span>"),
            None => String::new(),
        };
        let _ = write!(
            out,
            "<li><details><summary><span class=\"at\">+{} ms</span> <span class=\"kind\">{}</span> {}{latency}</summary>",
            exchange.at_ms,
            kind_name(exchange.kind),
            escape_line(&exchange.summary),
        );
        if let Some(request) = &exchange.request {
            let _ =
                write!(out, "<div class=\"label\">request</div><pre class=\"bytes\">{}</pre>", escape_bytes(request));
        }
        if let Some(response) = &exchange.response {
            let _ =
                write!(out, "<div class=\"label\">response</div><pre class=\"bytes\">{}</pre>", escape_bytes(response));
        }
        if exchange.request.is_none() && exchange.response.is_none() {
            out.push_str("<p class=\"none\">No bytes recorded.</p>");
        }
        let _ = writeln!(out, "</details></li>");
    }
    let _ = writeln!(out, "</ol>");
}

/// The kebab-case name `report.json` uses for the kind.
fn kind_name(kind: ExchangeKind) -> &'static str {
    match kind {
        ExchangeKind::Collect => "collect",
        ExchangeKind::StagingFetch => "staging-fetch",
        ExchangeKind::Receipt => "receipt",
        ExchangeKind::Alert => "alert",
    }
}
