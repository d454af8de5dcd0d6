//! Verdicts, from best to worst.

use std::fmt;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// The verdict of one check or one scenario. A scenario's verdict is its worst check:
/// a failure is never overwritten by a later pass.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Verdict {
    /// The scenario does not apply to this implementation (a feature it does not claim).
    NotApplicable,
    /// The requirement is met.
    Pass,
    /// Worth knowing; never a failure (e.g. no alert was sent, which is allowed).
    Info,
    /// A `should` requirement is missed.
    Warn,
    /// The harness could not judge, through no fault of the implementation (e.g. the
    /// target cannot reach the harness's staging server).
    Inconclusive,
    /// A `must` requirement is violated.
    Fail,
    /// The harness itself failed.
    Error,
}

impl Verdict {
    /// Every verdict, best first.
    pub const ALL: [Verdict; 7] = [
        Verdict::NotApplicable,
        Verdict::Pass,
        Verdict::Info,
        Verdict::Warn,
        Verdict::Inconclusive,
        Verdict::Fail,
        Verdict::Error,
    ];

    /// Every verdict in the order summaries count them (the console's summary line, the
    /// totals of `summary.md` and `report.html`): the judged ones best first, then
    /// not-applicable, then what could not be judged or failed.
    pub const SUMMARY_ORDER: [Verdict; 7] = [
        Verdict::Pass,
        Verdict::Info,
        Verdict::Warn,
        Verdict::NotApplicable,
        Verdict::Inconclusive,
        Verdict::Fail,
        Verdict::Error,
    ];

    /// The kebab-case name used in reports.
    pub fn name(self) -> &'static str {
        match self {
            Verdict::NotApplicable => "not-applicable",
            Verdict::Pass => "pass",
            Verdict::Info => "info",
            Verdict::Warn => "warn",
            Verdict::Inconclusive => "inconclusive",
            Verdict::Fail => "fail",
            Verdict::Error => "error",
        }
    }

    /// The verdict of a finding at `level`, when violated.
    pub fn of_level(level: pens_proto::Level) -> Verdict {
        match level {
            pens_proto::Level::Must => Verdict::Fail,
            pens_proto::Level::Should => Verdict::Warn,
            pens_proto::Level::Info => Verdict::Info,
        }
    }

    /// The worst of several verdicts; `Pass` for none.
    pub fn worst(verdicts: impl IntoIterator<Item = Verdict>) -> Verdict {
        verdicts.into_iter().max().unwrap_or(Verdict::Pass)
    }
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn worse_verdicts_win_and_nothing_is_a_pass() {
        assert_eq!(Verdict::worst([Verdict::Pass, Verdict::Fail, Verdict::Pass]), Verdict::Fail);
        assert_eq!(Verdict::worst([Verdict::Info, Verdict::Warn]), Verdict::Warn);
        assert_eq!(Verdict::worst([Verdict::Fail, Verdict::Error]), Verdict::Error);
        assert_eq!(Verdict::worst([]), Verdict::Pass);
        let names: Vec<&str> = Verdict::ALL.iter().map(|v| v.name()).collect();
        assert_eq!(names, ["not-applicable", "pass", "info", "warn", "inconclusive", "fail", "error"]);
    }
}
