//! The coverage matrix of `report.html`, built from the checks that ran: a requirement
//! is *tested* when any check of the report names it, and its row counts the scenarios
//! by the verdict their checks of it gave. The requirements of
//! [`pens_proto::CATALOGUE`] that no check named are *untested* (a scenario may cite a
//! requirement its checks never reached, e.g. one stopped before the receipt came), so
//! a run's scope is visible at a glance, and a filtered run (`--only`) shows what it
//! left out.

use std::collections::BTreeMap;

use maud::{Markup, html};

use super::{requirement_anchor, scenario_anchor};
use crate::model::{RunReport, ScenarioResult};
use crate::verdict::Verdict;

/// Past this many scenarios a row folds its list of scenarios away.
const SCENARIOS_SHOWN: usize = 8;

/// For one requirement: each scenario whose checks named it, with the worst verdict
/// those checks gave, in report order.
type Tested<'r> = Vec<(&'r ScenarioResult, Verdict)>;

/// Which scenarios' checks named each requirement id.
pub(crate) fn tested(report: &RunReport) -> BTreeMap<&str, Tested<'_>> {
    let mut tested: BTreeMap<&str, Tested<'_>> = BTreeMap::new();
    for scenario in &report.scenarios {
        for check in &scenario.checks {
            let rows = tested.entry(check.requirement.as_str()).or_default();
            match rows.iter_mut().find(|(s, _)| s.id == scenario.id) {
                Some((_, verdict)) => *verdict = (*verdict).max(check.verdict),
                None => rows.push((scenario, check.verdict)),
            }
        }
    }
    tested
}

/// The `coverage` section: a count, the tested requirements (catalogue order, then
/// ids checked but not in the catalogue), then the untested ones folded away. Every
/// requirement gets a row with its anchor, so every requirement link has a target.
pub(crate) fn coverage(report: &RunReport) -> Markup {
    let tested = tested(report);
    let catalogue = pens_proto::CATALOGUE;
    let mut cited: BTreeMap<&str, usize> = BTreeMap::new();
    for scenario in &report.scenarios {
        for requirement in &scenario.requirements {
            *cited.entry(requirement.as_str()).or_default() += 1;
        }
    }
    let known = |id: &str| pens_proto::Requirement::by_id(id).is_some();
    let tested_rows: Vec<Row<'_>> = catalogue
        .iter()
        .filter(|r| tested.contains_key(r.id))
        .map(|r| Row::of(r))
        .chain(tested.keys().filter(|id| !known(id)).map(|id| Row::unknown(id)))
        .collect();
    let mut untested_rows: Vec<Row<'_>> =
        catalogue.iter().filter(|r| !tested.contains_key(r.id)).map(|r| Row::of(r)).collect();
    // Ids a scenario cites that neither a check nor the catalogue knows: still a row,
    // so the scenario card's link lands somewhere.
    untested_rows.extend(cited.keys().filter(|id| !known(id) && !tested.contains_key(*id)).map(|id| Row::unknown(id)));
    let tested_in_catalogue = catalogue.iter().filter(|r| tested.contains_key(r.id)).count();
    let untested_in_catalogue = catalogue.len() - tested_in_catalogue;
    html! {
        section #coverage {
            h2 { "Coverage" }
            p #coverage-count {
                (tested_in_catalogue) " of " (catalogue.len()) " catalogue requirements were checked by this run; "
                (untested_in_catalogue) " untested."
            }
            table.coverage {
                (head())
                tbody {
                    @for row in &tested_rows {
                        (row.tested(tested.get(row.id).map(Vec::as_slice).unwrap_or_default()))
                    }
                }
            }
            @if !untested_rows.is_empty() {
                details #untested {
                    summary { "Untested requirements (" (untested_rows.len()) ")" }
                    table.coverage {
                        (head())
                        tbody {
                            @for row in &untested_rows { (row.untested(cited.get(row.id).copied().unwrap_or(0))) }
                        }
                    }
                }
            }
        }
    }
}

fn head() -> Markup {
    html! {
        thead { tr {
            th { "requirement" } th { "section" } th { "level" } th { "party" } th { "statement" }
            th { "verdicts" } th { "scenarios" }
        } }
    }
}

/// One requirement as the matrix shows it.
struct Row<'a> {
    id: &'a str,
    section: &'a str,
    level: &'a str,
    party: &'a str,
    statement: &'a str,
}

impl<'a> Row<'a> {
    fn of(requirement: &'a pens_proto::Requirement) -> Row<'a> {
        Row {
            id: requirement.id,
            section: requirement.section,
            level: requirement.level.name(),
            party: requirement.party.name(),
            statement: requirement.statement,
        }
    }

    fn unknown(id: &'a str) -> Row<'a> {
        Row { id, section: "", level: "", party: "", statement: "(not in the requirements catalogue)" }
    }

    fn cells(&self) -> Markup {
        html! {
            td { code { (self.id) } } td { (self.section) } td { (self.level) } td { (self.party) } td { (self.statement) }
        }
    }

    /// A tested row, coloured by the worst verdict, with the count of scenarios per
    /// verdict and links to them.
    fn tested(&self, scenarios: &[(&ScenarioResult, Verdict)]) -> Markup {
        let worst = Verdict::worst(scenarios.iter().map(|(_, v)| *v));
        let counts: Vec<(Verdict, usize)> = Verdict::SUMMARY_ORDER
            .iter()
            .rev()
            .map(|v| (*v, scenarios.iter().filter(|(_, s)| s == v).count()))
            .filter(|(_, n)| *n > 0)
            .collect();
        let links = html! {
            @for (scenario, verdict) in scenarios {
                a class=(format!("cite v-{}", verdict.name())) href=(format!("#{}", scenario_anchor(&scenario.id))) {
                    (scenario.id)
                }
                " "
            }
        };
        html! {
            tr id=(requirement_anchor(self.id)) class=(format!("v-{}", worst.name())) {
                (self.cells())
                td.verdicts {
                    @for (verdict, n) in &counts {
                        span class=(format!("count v-{}", verdict.name())) { (n) " " (verdict.name()) } " "
                    }
                }
                td {
                    @if scenarios.len() > SCENARIOS_SHOWN {
                        details { summary { (crate::text::counted(scenarios.len() as u64, "scenario")) } (links) }
                    } @else {
                        (links)
                    }
                }
            }
        }
    }

    /// An untested row; says when scenarios cite it although no check of theirs named it.
    fn untested(&self, cited_by: usize) -> Markup {
        html! {
            tr id=(requirement_anchor(self.id)) class="untested" {
                (self.cells())
                td { span.untested { "untested" } }
                td {
                    @if cited_by > 0 {
                        span.none { "cited by " (cited_by) " scenario" @if cited_by > 1 { "s" } ", but no check ran" }
                    }
                }
            }
        }
    }
}
