//! The result of a pens-conform run and the writers that present it.
//!
//! [`RunReport`] is the one canonical result model: the runner builds it from what it
//! observed, and every output (console, `report.json`, `junit.xml`, `summary.md`,
//! `report.html`) is a pure function of it, so the formats cannot disagree;
//! [`report_schema`] is its JSON Schema; [`diff_reports`] compares two runs read back from
//! JSON, and [`merge_partitions`] joins the reports of the partitions of one run (CI
//! jobs that each ran `--partition K/N`). The JSON form carries [`FORMAT_VERSION`];
//! fields are only ever added within a version. A load run (`pens-conform load`) has a
//! model of its own, [`LoadReport`], with its table ([`render_load_table`]) and its schema
//! ([`load_report_schema`]).

mod baseline;
mod causes;
mod console;
mod diff;
mod exchange;
#[cfg(test)]
mod fixture;
mod html;
mod junit;
mod load;
mod location;
mod markdown;
mod merge;
mod model;
mod notes;
mod observed;
mod schema;
mod scope;
mod text;
mod verdict;

pub use baseline::{Baseline, BaselineEntry, BaselineError, BaselineOutcome, ExpectedFailure, Position};
pub use causes::{Cause, group_causes, headline_check, same_cause, same_evidence};
pub use console::{
    ConsoleOptions, Verbosity, render_console, render_console_with, render_scenario_line, render_scenario_line_with,
};
pub use diff::{Change, CheckChange, CheckMove, DiffCounts, ReportDiff, VerdictChange, diff_reports, render_diff_text};
pub use exchange::BodyDecodeError;
pub use html::render_html;
pub use junit::{JunitError, render_junit};
pub use load::{
    LOAD_FORMAT_VERSION, LatencySummary, LoadLatencies, LoadReport, MISSING_ERROR, NO_ANSWER, UNREADABLE,
    render_load_table,
};
pub use location::Location;
pub use markdown::render_markdown;
pub use merge::{MergeError, PartitionReport, merge_partitions};
pub use model::{
    BodyEncoding, CheckResult, Exchange, ExchangeKind, FORMAT_VERSION, Harness, HarnessNote, MergedFrom,
    MergedPartition, NOT_RUN_NOTE, ObservedCapability, Partition, PartitionKind, RunReport, ScenarioResult, Summary,
    TargetInfo,
};
pub use notes::show_size;
pub use schema::{load_report_schema, report_schema};
pub use text::{counted, show_bytes, show_controls};
pub use verdict::Verdict;

/// Exit codes of a run, the contract with CI scripts (README.md documents them).
pub mod exit_code {
    /// No scenario failed (other than a baseline's expected failures) and the harness completed.
    pub const SUCCESS: u8 = 0;
    /// A scenario failed that the baseline does not expect, or an expected failure passed.
    pub const FAILED: u8 = 1;
    /// Usage, profile, scenario-load or baseline error: nothing was run.
    pub const USAGE: u8 = 2;
    /// The harness itself failed, or the run could not complete (e.g. preflight inconclusive).
    pub const INCOMPLETE: u8 = 3;
}
