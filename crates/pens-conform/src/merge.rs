//! `pens-conform merge REPORT.json...`: joins the reports of the partitions of one run
//! (`--partition K/N` in each of N CI jobs) into one report folder, as if the whole
//! scenario set had run at once. The rules live in [`pens_report::merge_partitions`];
//! this module reads the files, writes the merged reports the way a run writes its own
//! (each file whole or absent, report.json last) and picks the exit code a run would.
//! Inputs that are not the partitions of one run are a usage error (exit 2) naming the
//! file and what differs.

use anyhow::Context;
use pens_report::{PartitionReport, merge_partitions, render_console_with};

use crate::cli::{Format, MergeArgs};
use crate::console::Console;
use crate::output;
use crate::run_output::{default_report_dir, exit_code, write_reports};

pub(crate) fn run(args: &MergeArgs) -> anyhow::Result<u8> {
    let mut inputs = Vec::with_capacity(args.reports.len());
    for path in &args.reports {
        let report = crate::diff::read_report(path, crate::diff::CURRENT_VERSION)?;
        inputs.push(PartitionReport { file: path.display().to_string(), report });
    }
    let merged = merge_partitions(inputs)?;
    let dir = args.report_dir.clone().unwrap_or_else(default_report_dir);
    std::fs::create_dir_all(&dir).with_context(|| format!("cannot create the report folder {}", dir.display()))?;
    write_reports(&dir, &merged, "", &Console::Live)?;
    match args.format {
        Format::Text => {
            output::text(render_console_with(&merged, crate::console::presentation().console_options()))?;
            output::line(format!("reports   {}", dir.display()))?;
        }
        Format::Json => output::line(serde_json::to_string_pretty(&merged)?)?,
    }
    Ok(exit_code(&merged, args.allow_improvements))
}
