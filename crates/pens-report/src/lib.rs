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
    MergedPartition, NOT_RUN_NOTE, ObservedCapability, Partition, PartitionKind, Party, RunReport, ScenarioResult,
    Summary, TargetInfo,
};
pub use notes::show_size;
pub use schema::{load_report_schema, report_schema};
pub use text::{counted, show_bytes, show_controls};
pub use verdict::Verdict;

/// Exit codes of pens-conform, the contract with CI scripts: the one set every command
/// picks from (README.md's "Exit status" and `--help` document them; change them only
/// with a note there). Here, beside the report model, so a program that drives
/// pens-conform and reads its reports reads the same numbers.
pub mod exit_code {
    /// Everything checked passed (warnings, notes and a baseline's expected failures
    /// allowed), and the harness completed.
    pub const SUCCESS: u8 = 0;
    /// At least one `must` requirement is violated: a scenario failed that the baseline
    /// does not expect, an expected failure passed (without `--allow-improvements`), a
    /// message is invalid, a run regressed, a bundle is tampered with.
    pub const CHECK_FAILED: u8 = 1;
    /// What the user gave is wrong, so nothing was run: a flag, a file, the profile, a
    /// scenario file, a baseline (also an expired baseline entry).
    pub const USAGE: u8 = 2;
    /// The harness itself failed (it cannot listen, write a report, start one of its own
    /// parties), or the run could not complete (the preflight stopped it, Ctrl-C, a
    /// scenario is `error` or `inconclusive`).
    pub const INCOMPLETE: u8 = 3;
}
