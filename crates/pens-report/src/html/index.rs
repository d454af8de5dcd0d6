//! The index of failures near the top of `report.html`: every finding at `warn` or
//! worse, grouped by cause with [`crate::group_causes`] (the one grouping every report
//! uses) and merged where only the quoted bytes differ ([`super::findings`]), so a
//! cause shared by 45 scenarios is listed once with links to their cards, before the
//! findings specific to one scenario; then the scenarios that could not be judged and
//! have no finding to show, with their note.

use maud::{Markup, html};

use super::display::line;
use super::findings::{Finding, anchor};
use super::{requirement_anchor, scenario_anchor};
use crate::model::{RunReport, ScenarioResult};
use crate::verdict::Verdict;

/// The `failures` section.
pub(crate) fn index(report: &RunReport, findings: &[Finding<'_, '_>]) -> Markup {
    let (shared, specific): (Vec<_>, Vec<_>) = findings.iter().enumerate().partition(|(_, f)| f.is_shared());
    // A scenario worse than warn with no check at its verdict (a harness error, or an
    // inconclusive scenario explained by its note) would otherwise be missing here.
    let unexplained: Vec<&ScenarioResult> = report
        .scenarios
        .iter()
        .filter(|s| s.verdict >= Verdict::Warn && !s.checks.iter().any(|c| c.verdict == s.verdict))
        .collect();
    html! {
        section #failures {
            h2 { "Failures by cause" }
            @if findings.is_empty() && unexplained.is_empty() {
                p.none { "No finding at warn or worse." }
            }
            @if !shared.is_empty() {
                h3 { "Shared by several scenarios" }
                ol.causes { @for (n, finding) in &shared { (entry(report, *n, finding)) } }
            }
            @if !specific.is_empty() {
                h3 { "Specific to one scenario" }
                ol.causes { @for (n, finding) in &specific { (entry(report, *n, finding)) } }
            }
            @if !unexplained.is_empty() {
                h3 { "Not judged" }
                ol.causes {
                    @for scenario in &unexplained {
                        li class=(format!("cause v-{}", scenario.verdict.name())) {
                            span class=(format!("badge v-{}", scenario.verdict.name())) { (scenario.verdict.name()) }
                            " " (scenario_link(report, &scenario.id))
                            ": "
                            @match &scenario.note {
                                Some(note) => (line(note)),
                                None => span.none { "no finding or note was recorded" },
                            }
                        }
                    }
                }
            }
        }
    }
}

/// One finding, `n`-th of the index: its verdict, requirement, section and message,
/// then where it appeared; a shared finding also shows its expected/actual/diff here,
/// once per variant, folded.
fn entry(report: &RunReport, n: usize, finding: &Finding<'_, '_>) -> Markup {
    let check = finding.check();
    let verdict = check.verdict.name();
    let has_detail = |c: &crate::model::CheckResult| c.expected.is_some() || c.actual.is_some() || c.diff.is_some();
    let variants: Vec<_> = finding.variants.iter().filter(|v| has_detail(v.check)).collect();
    html! {
        li id=(anchor(n)) class=(format!("cause v-{verdict}")) {
            span class=(format!("badge v-{verdict}")) { (verdict) }
            " "
            @if let Some(party) = check.party {
                span class=(format!("party party-{party}")) { "[" (party.name()) "]" } " "
            }
            a href=(format!("#{}", requirement_anchor(&check.requirement))) { code { (check.requirement) } }
            " (" (check.section) ") "
            (line(&check.message))
            br;
            span.label {
                @if finding.is_shared() { "in " (finding.scenarios().len()) " scenarios: " } @else { "in " }
            }
            @for (i, id) in finding.scenarios().iter().enumerate() {
                @if i > 0 { ", " }
                (scenario_link(report, id))
            }
            @if finding.is_shared() && variants.len() == 1 {
                details.cause-detail { summary { "expected, actual and diff" } (super::scenario::check_detail(variants[0].check)) }
            }
            @if finding.is_shared() && variants.len() > 1 {
                details.cause-detail {
                    summary { "expected, actual and diff: " (variants.len()) " variants" }
                    @for variant in &variants {
                        p.label {
                            "in " @for (i, id) in variant.scenarios.iter().enumerate() { @if i > 0 { ", " } code { (id) } } ":"
                        }
                        (super::scenario::check_detail(variant.check))
                    }
                }
            }
        }
    }
}

/// A link to a scenario's card, marked when the baseline expects its failure.
fn scenario_link(report: &RunReport, id: &str) -> Markup {
    let expected = report.scenarios.iter().any(|s| s.id == id && s.expected_failure.is_some());
    html! {
        a.scenario-link href=(format!("#{}", scenario_anchor(id))) { code { (id) } }
        @if expected { " " span.expected { "(expected)" } }
    }
}
