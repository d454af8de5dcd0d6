//! `report.html`: the whole run in one self-contained page for a person to read: the
//! run's verdict in a banner, the failures grouped by cause, the coverage matrix built
//! from the checks that ran, then every scenario (worst first) with its checks, a
//! sequence diagram of its exchanges (inline SVG) and their exact bytes.
//!
//! The page loads nothing: the style sheet is inlined, there is no script (sections
//! fold with `<details>`), and a Content-Security-Policy forbids any fetch, so it can be
//! archived as a CI artifact and opened anywhere. It is written with maud, whose
//! templates escape every value they render: messages and bytes quote what the
//! implementation sent, and no code path can forget to escape them.

mod banner;
mod coverage;
mod display;
mod facts;
mod findings;
mod index;
mod notes;
mod scenario;
mod sequence;

use std::fmt::Write;

use maud::{DOCTYPE, PreEscaped, html};

use crate::causes::group_causes;
use crate::model::RunReport;
use crate::verdict::Verdict;

/// The inlined style sheet.
const STYLE: &str = include_str!("style.css");

/// Renders the HTML report: one HTML5 document, deterministic for a given report.
/// Top to bottom, what a reader needs first: the run's verdict, the failures by cause,
/// the coverage of the requirements, then every scenario's card.
pub fn render_html(report: &RunReport) -> String {
    let target = report.target.name.as_deref().unwrap_or(&report.target.url);
    let causes = group_causes(report, Verdict::Warn);
    let findings = findings::findings(report, &causes);
    let page = html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'";
                meta name="referrer" content="no-referrer";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { "pens-conform " (report.mode) " report: " (display::line(target)) }
                // The style sheet is ours, a constant: the one text not escaped.
                style { (PreEscaped(STYLE)) }
            }
            body {
                header #summary {
                    h1 { "pens-conform " (report.mode) " run: " (display::line(target)) }
                    (banner::banner(report))
                    (facts::facts(report))
                }
                (notes::harness_notes(report))
                (index::index(report, &findings))
                (coverage::coverage(report))
                (scenario::scenarios(report, &findings))
            }
        }
    };
    page.into_string()
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
pub(crate) mod tests;
