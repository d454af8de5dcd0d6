//! The facts of a run under the banner of `report.html`: what was tested, by what,
//! when, with which claims and scope, and the totals per verdict.

use maud::{Markup, html};

use super::display::line;
use crate::model::RunReport;
use crate::verdict::Verdict;

/// The `dl` of run facts and the totals table.
pub(crate) fn facts(report: &RunReport) -> Markup {
    let target = &report.target;
    html! {
        dl.run {
            dt { "implementation" }
            dd { @match &target.name { Some(name) => (line(name)), None => "(not named)" } }
            dt { "endpoint" } dd { code { (line(&target.url)) } }
            dt { "mode" } dd { (report.mode) }
            dt { "claims" } dd { (claims(report)) }
            @if !target.observed.is_empty() {
                dt { "capabilities observed" } dd { (observed(report)) }
            }
            dt { "harness" } dd { (report.harness.name) " " (report.harness.version) }
            dt { "started" } dd { (report.started_at) }
            dt { "duration" } dd { (report.duration_ms) " ms" }
            dt { "scenario set digest" }
            dd {
                // An older report records no digest of the scenario set; say so rather than make one up.
                @match &report.scenario_digest {
                    Some(digest) => code { "sha256:" (digest) },
                    None => span.none { "not recorded in this report" },
                }
            }
            @if let Some(scope) = crate::scope::scope_line(report) {
                dt { "scope" } dd { (line(&scope)) }
            }
            @if let Some(merged) = &report.merged_from {
                dt { "partitions" }
                dd {
                    @for (i, p) in merged.partitions.iter().enumerate() {
                        @if i > 0 { "; " }
                        (p.index) "/" (merged.count) ": started " (p.started_at) ", " (p.duration_ms) " ms, "
                        (crate::text::counted(p.scenarios as u64, "scenario"))
                        @if let Some(reason) = &p.aborted { ", stopped early: " (line(reason)) }
                    }
                }
            }
            dt { "report format" } dd { (report.format_version) }
            @if let Some(baseline) = &report.baseline {
                dt { "baseline" }
                dd {
                    code { (baseline.file) }
                    @for (label, ids) in [
                        ("expected failures", &baseline.expected_failures),
                        ("improvements", &baseline.improvements),
                        ("not run", &baseline.not_run),
                    ] {
                        "; " (label) ": "
                        @if ids.is_empty() { "none" } @else { (ids.join(", ")) }
                    }
                }
            }
        }
        (totals(report))
    }
}

/// The target's claims as `feature: yes|no|unknown`, in the order `report.json` writes them.
fn claims(report: &RunReport) -> Markup {
    let Ok(serde_json::Value::Object(claims)) = serde_json::to_value(&report.target.claims) else {
        return html! {};
    };
    html! {
        @for (i, (feature, support)) in claims.iter().enumerate() {
            @if i > 0 { ", " }
            code { (feature) } ": " (support.as_str().map_or_else(|| support.to_string(), str::to_owned))
        }
    }
}

/// The capabilities the run observed: the `[claims]` lines to paste into the profile,
/// each with what showed it; a contradicted claim is marked.
fn observed(report: &RunReport) -> Markup {
    let lines = crate::observed::lines(&report.target.observed);
    html! {
        @for (i, (o, text)) in report.target.observed.iter().zip(lines).enumerate() {
            @if i > 0 { br; }
            code class=[o.contradicts_claim().then_some("contradicted")] { (text) }
        }
    }
}

/// One row of counts, best verdict first as in the console summary; each cell has an id
/// (`total`, `total-fail`, …) so scripts and tests can read it.
fn totals(report: &RunReport) -> Markup {
    html! {
        table.totals {
            thead { tr { th { "total" } @for v in Verdict::SUMMARY_ORDER { th { (v.name()) } } } }
            tbody {
                tr {
                    td #total { (report.summary.total) }
                    @for v in Verdict::SUMMARY_ORDER {
                        td id=(format!("total-{}", v.name())) class=(format!("v-{}", v.name())) { (report.summary.count(v)) }
                    }
                }
            }
        }
    }
}
