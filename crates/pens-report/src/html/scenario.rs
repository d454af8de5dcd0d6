//! The per-scenario cards of `report.html`: worst verdict first, each with its checks
//! (requirement linked to its coverage row, expected/actual and the diff), its sequence
//! diagram and the exact bytes of every exchange, control characters made visible.

use maud::{Markup, html};

use super::display::{bytes, diff, line};
use super::findings::{Finding, anchor};
use super::sequence::diagram;
use super::{requirement_anchor, scenario_anchor};
use crate::model::{CheckResult, Exchange, ExchangeKind, RunReport, ScenarioResult};
use crate::verdict::Verdict;

/// The `scenarios` section: every scenario, worst verdict first, then by id. Scenarios
/// worse than `info` start expanded.
pub(crate) fn scenarios(report: &RunReport, findings: &[Finding<'_, '_>]) -> Markup {
    let mut scenarios: Vec<&ScenarioResult> = report.scenarios.iter().collect();
    scenarios.sort_by(|a, b| b.verdict.cmp(&a.verdict).then_with(|| a.id.cmp(&b.id)));
    html! {
        section #scenarios {
            h2 { "Scenarios" }
            @if scenarios.is_empty() { p { "No scenario was run." } }
            @for scenario in scenarios { (card(scenario, &report.mode, findings)) }
        }
    }
}

fn card(scenario: &ScenarioResult, mode: &str, findings: &[Finding<'_, '_>]) -> Markup {
    let verdict = scenario.verdict.name();
    html! {
        section class=(format!("scenario v-{verdict}")) id=(scenario_anchor(&scenario.id)) {
            details open[scenario.verdict > Verdict::Info] {
                summary {
                    span class=(format!("badge v-{verdict}")) { (verdict) }
                    @if scenario.expected_failure.is_some() { " " span.expected { "(expected)" } }
                    " " code { (scenario.id) } " — " (line(&scenario.title))
                }
                dl.facts {
                    dt { "file" } dd { code { (scenario.file) } }
                    dt { "requirements" }
                    dd { @for (i, r) in scenario.requirements.iter().enumerate() { @if i > 0 { " " } (requirement_link(r)) } }
                    @if !scenario.tags.is_empty() { dt { "tags" } dd { (scenario.tags.join(", ")) } }
                    dt { "duration" } dd { (scenario.duration_ms) " ms" }
                    @if let Some(note) = &scenario.note { dt { "note" } dd { (line(note)) } }
                    @if let Some(known) = &scenario.expected_failure {
                        dt { "expected failure" }
                        dd {
                            (line(&known.reason))
                            @if let Some(issue) = &known.issue { "; issue " (line(issue)) }
                            @if let Some(expires) = &known.expires { "; expires " (line(expires)) }
                        }
                    }
                }
                (checks(&scenario.checks, findings))
                (exchanges(&scenario.exchanges, mode))
            }
        }
    }
}

/// A requirement id linked to its row of the coverage matrix.
fn requirement_link(id: &str) -> Markup {
    html! { a href=(format!("#{}", requirement_anchor(id))) { code { (id) } } }
}

/// The checks; a finding shared with other scenarios (a cause of the index) links to
/// its entry there and folds its expected/actual/diff, which the index shows once.
fn checks(checks: &[CheckResult], findings: &[Finding<'_, '_>]) -> Markup {
    if checks.is_empty() {
        return html! { p.none { "No checks were made." } };
    }
    html! {
        table.checks {
            thead { tr { th { "verdict" } th { "requirement" } th { "section" } th { "message" } } }
            tbody {
                @for check in checks {
                    @let verdict = check.verdict.name();
                    @let shared = findings.iter().position(|f| f.is_shared() && f.holds(check));
                    tr class=(format!("v-{verdict}")) {
                        td {
                            span class=(format!("badge v-{verdict}")) { (verdict) }
                            // Observe mode: whose fault a finding is.
                            @if let Some(party) = check.party {
                                " " span class=(format!("party party-{party}")) { "[" (party.name()) "]" }
                            }
                        }
                        td { (requirement_link(&check.requirement)) }
                        td { (check.section) }
                        td {
                            (line(&check.message))
                            @if let Some(n) = shared {
                                " " a.shared href=(format!("#{}", anchor(n))) {
                                    "(the same in " (findings[n].scenarios().len()) " scenarios)"
                                }
                            }
                            // The scenario line it judges, as rustc prints a place.
                            @if let Some(location) = &check.location {
                                div.location { code { (location.to_string()) } }
                            }
                        }
                    }
                    @if check.expected.is_some() || check.actual.is_some() || check.diff.is_some() {
                        tr.detail {
                            td {}
                            td colspan="3" {
                                @if shared.is_some() {
                                    details { summary { "expected, actual and diff" } (check_detail(check)) }
                                } @else {
                                    (check_detail(check))
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// A check's expected and actual values and its diff, as exact bytes.
pub(crate) fn check_detail(check: &CheckResult) -> Markup {
    html! {
        @if let Some(expected) = &check.expected {
            div.label { "expected" } pre.expected { (bytes(expected)) }
        }
        @if let Some(actual) = &check.actual {
            div.label { "actual" } pre.actual { (bytes(actual)) }
        }
        @if let Some(text) = &check.diff {
            div.label { "diff" } pre.diff { (diff(text)) }
        }
    }
}

/// The sequence diagram, then the timeline: one entry per exchange in order of time;
/// its bytes fold out.
fn exchanges(exchanges: &[Exchange], mode: &str) -> Markup {
    if exchanges.is_empty() {
        return html! {};
    }
    html! {
        h3 { "Exchanges" }
        (diagram(exchanges, mode))
        ol.timeline {
            @for exchange in exchanges {
                li { details {
                    summary {
                        span.at { "+" (exchange.at_ms) " ms" } " "
                        span.kind { (kind_name(exchange.kind)) } " "
                        (line(&exchange.summary))
                        @if let Some(ms) = exchange.latency_ms { " " span.latency { "(" (ms) " ms)" } }
                    }
                    @if let Some(request) = exchange.request_text() {
                        div.label { "request" } pre.bytes { (request) }
                    }
                    @if let Some(response) = exchange.response_text() {
                        div.label { "response" } pre.bytes { (response) }
                    }
                    @if exchange.request.is_none() && exchange.response.is_none() {
                        p.none { "No bytes recorded." }
                    }
                } }
            }
        }
    }
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
