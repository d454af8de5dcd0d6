//! The top of `report.html`: the run's overall verdict in one banner (what a reader
//! must know first: did it pass, and if not, is it the implementation or the run),
//! then the facts of the run and the totals.

use maud::{Markup, html};

use super::display::line;
use crate::model::RunReport;
use crate::verdict::Verdict;

/// The run's verdict as a whole. Decided as the exit status is (README, exit codes): an
/// aborted run or a scenario that could not be judged makes the run incomplete, whatever
/// else failed, because a missing verdict may hide a failure.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Overall {
    /// The run stopped early, with the reason it recorded.
    Aborted(String),
    /// No scenario ran, or some could not be judged (`inconclusive`, `error`).
    Incomplete(String),
    /// A scenario failed that no baseline expects.
    Fail(String),
    /// Nothing failed; some `should` was missed.
    PassWithWarnings(String),
    /// Nothing failed or warned.
    Pass(String),
}

impl Overall {
    pub(crate) fn of(report: &RunReport) -> Overall {
        let summary = &report.summary;
        let unexpected =
            report.scenarios.iter().filter(|s| s.verdict == Verdict::Fail && s.expected_failure.is_none()).count();
        let expected = report.scenarios.iter().filter(|s| s.expected_failure.is_some()).count();
        let unjudged = summary.count(Verdict::Inconclusive) + summary.count(Verdict::Error);
        let failed = match unexpected {
            0 => String::new(),
            n => format!("; {} failed", scenarios(n)),
        };
        let known = match expected {
            0 => String::new(),
            n => format!("; {} failed as the baseline expects", scenarios(n)),
        };
        if let Some(reason) = &report.aborted {
            return Overall::Aborted(format!("the run stopped early: {}", line(reason)));
        }
        if summary.total == 0 {
            return Overall::Incomplete("no scenario was run".to_owned());
        }
        if unjudged > 0 {
            return Overall::Incomplete(format!("{} could not be judged{failed}{known}", scenarios(unjudged)));
        }
        if unexpected > 0 {
            return Overall::Fail(format!("{} failed{known}", scenarios(unexpected)));
        }
        let improved = report.baseline.as_ref().map_or(0, |b| b.improvements.len());
        if improved > 0 {
            return Overall::Fail(format!(
                "{} listed as expected failures did not fail: remove their baseline entries \
                 (the run fails unless --allow-improvements){known}",
                scenarios(improved)
            ));
        }
        let warned = summary.count(Verdict::Warn);
        if warned > 0 {
            return Overall::PassWithWarnings(format!("{} missed a should{known}", scenarios(warned)));
        }
        Overall::Pass(format!("every judged scenario passed{known}"))
    }

    /// The word the banner leads with.
    pub(crate) fn word(&self) -> &'static str {
        match self {
            Overall::Aborted(_) => "aborted",
            Overall::Incomplete(_) => "incomplete",
            Overall::Fail(_) => "fail",
            Overall::PassWithWarnings(_) => "pass with warnings",
            Overall::Pass(_) => "pass",
        }
    }

    /// The CSS class, by the verdict colour it takes.
    fn class(&self) -> &'static str {
        match self {
            Overall::Aborted(_) | Overall::Fail(_) => "verdict v-fail",
            Overall::Incomplete(_) => "verdict v-inconclusive",
            Overall::PassWithWarnings(_) => "verdict v-warn",
            Overall::Pass(_) => "verdict v-pass",
        }
    }

    fn detail(&self) -> &str {
        match self {
            Overall::Aborted(d)
            | Overall::Incomplete(d)
            | Overall::Fail(d)
            | Overall::PassWithWarnings(d)
            | Overall::Pass(d) => d,
        }
    }
}

/// `1 scenario`, `3 scenarios`.
fn scenarios(n: usize) -> String {
    format!("{n} scenario{}", if n == 1 { "" } else { "s" })
}

/// The banner: verdict, why, counts, what was tested, in which mode, how long it took.
pub(crate) fn banner(report: &RunReport) -> Markup {
    let overall = Overall::of(report);
    let s = &report.summary;
    let counts: Vec<String> = Verdict::SUMMARY_ORDER
        .iter()
        .filter(|v| s.count(**v) > 0)
        .map(|v| format!("{} {}", s.count(*v), v.name()))
        .collect();
    html! {
        div #banner class=(overall.class()) {
            p.word { "Run verdict: " strong #run-verdict { (overall.word()) } }
            p #run-verdict-detail { (overall.detail()) }
            p.counts {
                (scenarios(s.total))
                @if !counts.is_empty() { ": " (counts.join(", ")) }
            }
            p.where {
                (report.mode) " mode · " code { (line(&report.target.url)) } " · " (report.duration_ms) " ms"
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scenarios_is_singular_for_one() {
        assert_eq!(scenarios(1), "1 scenario");
        assert_eq!(scenarios(45), "45 scenarios");
    }
}
