//! The coverage matrix of `report.html`: every requirement of
//! [`pens_proto::CATALOGUE`], the scenarios of this run that cite it and their
//! verdicts. A requirement no scenario cites is marked untested, so a run's scope is
//! visible at a glance (and a filtered run, `--only`, shows what it left out).

use std::collections::BTreeMap;
use std::fmt::Write;

use super::escape::escape_html;
use super::{requirement_anchor, scenario_anchor};
use crate::model::{RunReport, ScenarioResult};
use crate::verdict::Verdict;

/// Writes the `coverage` section: a count, the untested requirements, then one row per
/// requirement in catalogue order; ids cited by the run but not in the catalogue get
/// rows at the end, so every requirement link in the page has a target.
pub(crate) fn write_coverage(out: &mut String, report: &RunReport) {
    let mut citing: BTreeMap<&str, Vec<&ScenarioResult>> = BTreeMap::new();
    for scenario in &report.scenarios {
        for requirement in &scenario.requirements {
            let scenarios = citing.entry(requirement.as_str()).or_default();
            if !scenarios.iter().any(|s| s.id == scenario.id) {
                scenarios.push(scenario);
            }
        }
    }
    let catalogue = pens_proto::CATALOGUE;
    let untested: Vec<&str> = catalogue.iter().map(|r| r.id).filter(|id| !citing.contains_key(id)).collect();
    let mut unknown: Vec<&str> = report
        .scenarios
        .iter()
        .flat_map(|s| s.requirements.iter().map(String::as_str).chain(s.checks.iter().map(|c| c.requirement.as_str())))
        .filter(|id| pens_proto::Requirement::by_id(id).is_none())
        .collect();
    unknown.sort_unstable();
    unknown.dedup();

    let _ = writeln!(out, "<section id=\"coverage\">\n<h2>Coverage</h2>");
    let _ = writeln!(
        out,
        "<p id=\"coverage-count\">{} of {} catalogue requirements are cited by a scenario of this run; {} untested.</p>",
        catalogue.len() - untested.len(),
        catalogue.len(),
        untested.len()
    );
    if !untested.is_empty() {
        let _ =
            write!(out, "<details><summary>Untested requirements ({})</summary>\n<p class=\"ids\">", untested.len());
        for id in &untested {
            let _ = write!(out, "<a href=\"#{}\">{}</a> ", requirement_anchor(id), escape_html(id));
        }
        let _ = writeln!(out, "</p></details>");
    }
    let _ = writeln!(
        out,
        "<table class=\"coverage\">\n<thead><tr><th>requirement</th><th>section</th><th>level</th><th>party</th>\
         <th>statement</th><th>scenarios</th></tr></thead>\n<tbody>"
    );
    for requirement in catalogue {
        let row = Row {
            id: requirement.id,
            section: requirement.section,
            level: requirement.level.name(),
            party: requirement.party.name(),
            statement: requirement.statement,
        };
        row.write(out, citing.get(requirement.id).map(Vec::as_slice).unwrap_or_default());
    }
    for id in unknown {
        let row = Row { id, section: "", level: "", party: "", statement: "(not in the requirements catalogue)" };
        row.write(out, citing.get(id).map(Vec::as_slice).unwrap_or_default());
    }
    let _ = writeln!(out, "</tbody>\n</table>\n</section>");
}

/// One requirement as the matrix shows it.
struct Row<'a> {
    id: &'a str,
    section: &'a str,
    level: &'a str,
    party: &'a str,
    statement: &'a str,
}

impl Row<'_> {
    /// The row, coloured by the worst verdict of the scenarios citing it.
    fn write(&self, out: &mut String, scenarios: &[&ScenarioResult]) {
        let class = match scenarios.is_empty() {
            true => "untested".to_owned(),
            false => format!("v-{}", Verdict::worst(scenarios.iter().map(|s| s.verdict)).name()),
        };
        let _ = write!(
            out,
            "<tr id=\"{}\" class=\"{class}\"><td><code>{}</code></td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>",
            requirement_anchor(self.id),
            escape_html(self.id),
            escape_html(self.section),
            escape_html(self.level),
            escape_html(self.party),
            escape_html(self.statement),
        );
        if scenarios.is_empty() {
            out.push_str("<span class=\"untested\">untested</span>");
        }
        for scenario in scenarios {
            let _ = write!(
                out,
                "<a class=\"cite v-{verdict}\" href=\"#{}\">{}</a>&nbsp;<span class=\"badge v-{verdict}\">{verdict}</span> ",
                scenario_anchor(&scenario.id),
                escape_html(&scenario.id),
                verdict = scenario.verdict.name(),
            );
        }
        let _ = writeln!(out, "</td></tr>");
    }
}
