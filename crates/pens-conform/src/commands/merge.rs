//! `pens-conform merge REPORT.json...`: joins the reports of the partitions of one run
//! (`--partition K/N` in each of N CI jobs) into one report folder, as if the whole
//! scenario set had run at once. The rules live in [`pens_report::merge_partitions`];
//! this module reads the files, writes the merged reports the way a run writes its own
//! (each file whole or absent, report.json last) and picks the exit code a run would.
//! Inputs that are not the partitions of one run are a usage error (exit 2) naming the
//! file and what differs.

use std::path::PathBuf;

use anyhow::Context;
use pens_report::{PartitionReport, merge_partitions, render_console_with};

use crate::args::Format;
use crate::console::Console;
use crate::error::{Classify, CommandResult};
use crate::output;
use crate::run_output::{default_report_dir, exit_code, write_reports};

/// Arguments of `merge`.
#[derive(Debug, clap::Args)]
pub(crate) struct MergeArgs {
    /// The report.json of every partition, in any order.
    #[arg(value_name = "REPORT.json", required = true)]
    pub(crate) reports: Vec<PathBuf>,
    /// Where the merged report.json, junit.xml, summary.md and report.html go; default
    /// `reports/<timestamp>/`.
    #[arg(long, value_name = "DIR")]
    pub(crate) report_dir: Option<PathBuf>,
    /// An expected failure of the partitions' baseline that now passes is reported but
    /// does not fail the merge (exit 1 otherwise); give it when the runs had it.
    #[arg(long)]
    pub(crate) allow_improvements: bool,
    /// Output format: the console report, or the merged report.json on standard output.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub(crate) format: Format,
}

pub(crate) fn run(args: &MergeArgs) -> CommandResult {
    let mut inputs = Vec::with_capacity(args.reports.len());
    for path in &args.reports {
        let report = super::diff::read_report(path, super::diff::CURRENT_VERSION).usage()?;
        inputs.push(PartitionReport { file: path.display().to_string(), report });
    }
    let merged = merge_partitions(inputs).usage()?;
    let dir = args.report_dir.clone().unwrap_or_else(default_report_dir);
    std::fs::create_dir_all(&dir)
        .with_context(|| format!("cannot create the report folder {}", dir.display()))
        .usage()?;
    write_reports(&dir, &merged, "", &Console::Live).harness()?;
    match args.format {
        Format::Text => {
            output::text(render_console_with(&merged, crate::console::presentation().console_options())).harness()?;
            output::line(format!("reports   {}", dir.display())).harness()?;
        }
        Format::Json => output::line(serde_json::to_string_pretty(&merged).harness()?).harness()?,
    }
    Ok(exit_code(&merged, args.allow_improvements))
}
