//! `pens-conform diff OLD.json NEW.json`: compares two runs' `report.json` files, so a
//! CI job can fail on a regression against the last good run. Exit status: 0 nothing
//! regressed, 1 some scenario regressed, 2 a file is unreadable, not a report, or the
//! two runs are of different modes.

use std::ops::RangeInclusive;
use std::path::{Path, PathBuf};

use anyhow::Context;
use pens_report::{FORMAT_VERSION, RunReport, diff_reports, render_diff_text};

use crate::args::Format;
use crate::error::{Classify, CommandError, CommandResult};
use crate::exit;
use crate::output;

/// Arguments of `diff`.
#[derive(Debug, clap::Args)]
pub(crate) struct DiffArgs {
    /// The earlier run's report.json.
    pub(crate) old: PathBuf,
    /// The later run's report.json.
    pub(crate) new: PathBuf,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub(crate) format: Format,
}

pub(crate) fn run(args: &DiffArgs) -> CommandResult {
    let old = read_report(&args.old, DIFF_VERSIONS).usage()?;
    let new = read_report(&args.new, DIFF_VERSIONS).usage()?;
    if old.mode != new.mode {
        return Err(CommandError::Usage(anyhow::anyhow!(
            "{} is a {} run but {} is a {} run; compare runs of the same mode",
            args.old.display(),
            old.mode,
            args.new.display(),
            new.mode
        )));
    }
    let diff = diff_reports(&old, &new);
    match args.format {
        Format::Text => output::text(render_diff_text(&diff)).harness()?,
        Format::Json => output::line(serde_json::to_string_pretty(&diff).harness()?).harness()?,
    }
    Ok(if diff.has_regressions() { exit::CHECK_FAILED } else { exit::SUCCESS })
}

/// The report versions `diff` compares. What it reads (verdicts, checks, notes) means the
/// same in version 1 as in the current one (version 2 changed only what
/// `exchanges[]` holds), so a run of this pens-conform can be compared with the last
/// good run of an older one.
const DIFF_VERSIONS: RangeInclusive<u32> = 1..=FORMAT_VERSION;

/// Only the current version: for a command that writes a report from the ones it reads
/// (`merge`), whose exchanges an older version would mislabel.
pub(crate) const CURRENT_VERSION: RangeInclusive<u32> = FORMAT_VERSION..=FORMAT_VERSION;

/// Reads a `report.json` of one of `versions`; the error names the file, and for JSON
/// that does not fit the report model, the line and column serde_json stopped at.
pub(crate) fn read_report(path: &Path, versions: RangeInclusive<u32>) -> anyhow::Result<RunReport> {
    let text = std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    let report: RunReport = serde_json::from_str(&text).map_err(|error| {
        // serde_json ends its message with " at line L column C"; the position goes first.
        let message = error.to_string();
        let position = format!(" at line {} column {}", error.line(), error.column());
        let message = message.strip_suffix(&position).unwrap_or(&message);
        anyhow::anyhow!("{}:{}:{}: not a pens-conform report: {message}", path.display(), error.line(), error.column())
    })?;
    if !versions.contains(&report.format_version) {
        let readable = if versions.start() == versions.end() {
            versions.start().to_string()
        } else {
            format!("{} to {}", versions.start(), versions.end())
        };
        anyhow::bail!(
            "{}: format_version {} is not one this command reads ({readable})",
            path.display(),
            report.format_version
        );
    }
    Ok(report)
}
