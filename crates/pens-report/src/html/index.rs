//! The index of failures near the top of `report.html`: every finding at `warn` or
//! worse, grouped by cause with [`crate::group_causes`] (the one grouping every report
//! uses), so a cause shared by 45 scenarios is listed once with links to their cards,
//! before the findings specific to one scenario; then the scenarios that could not be
//! judged and have no finding to show, with their note.

use maud::{Markup, html};

use super::display::line;
use super::{requirement_anchor, scenario_anchor};
use crate::causes::Cause;
use crate::model::{RunReport, ScenarioResult};
use crate::verdict::Verdict;

/// The `failures` section.
pub(crate) fn index(report: &RunReport, causes: &[Cause<'_>]) -> Markup {
    let (shared, specific): (Vec<&Cause<'_>>, Vec<&Cause<'_>>) = causes.iter().partition(|c| c.is_shared());
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
            @if causes.is_empty() && unexplained.is_empty() {
                p.none { "No finding at warn or worse." }
            }
            @if !shared.is_empty() {
                h3 { "Shared by several scenarios" }
                ol.causes { @for cause in &shared { (entry(report, causes, cause)) } }
            }
            @if !specific.is_empty() {
                h3 { "Specific to one scenario" }
                ol.causes { @for cause in &specific { (entry(report, causes, cause)) } }
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

/// The `id` of a cause's entry in the index: `cause-<n>`, `n` its place in the
/// grouping from 1, so a scenario card can link a shared finding to it.
pub(crate) fn cause_anchor(causes: &[Cause<'_>], cause: &Cause<'_>) -> String {
    let n = causes.iter().position(|c| std::ptr::eq(c, cause)).unwrap_or_default() + 1;
    format!("cause-{n}")
}

/// One cause: its verdict, requirement, section and message, then where it appeared;
/// a shared cause also shows its expected/actual/diff here, once, folded.
fn entry(report: &RunReport, causes: &[Cause<'_>], cause: &Cause<'_>) -> Markup {
    let check = cause.check;
    let verdict = check.verdict.name();
    let has_detail = check.expected.is_some() || check.actual.is_some() || check.diff.is_some();
    html! {
        li id=(cause_anchor(causes, cause)) class=(format!("cause v-{verdict}")) {
            span class=(format!("badge v-{verdict}")) { (verdict) }
            " "
            a href=(format!("#{}", requirement_anchor(&check.requirement))) { code { (check.requirement) } }
            " (" (check.section) ") "
            (line(&check.message))
            br;
            span.label {
                @if cause.is_shared() { "in " (cause.scenarios.len()) " scenarios: " } @else { "in " }
            }
            @for (i, id) in cause.scenarios.iter().enumerate() {
                @if i > 0 { ", " }
                (scenario_link(report, id))
            }
            @if cause.is_shared() && has_detail {
                details.cause-detail { summary { "expected, actual and diff" } (super::scenario::check_detail(check)) }
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
