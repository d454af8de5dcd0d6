//! `pens-conform list`: the scenarios of a folder, their requirements and tags.

use std::path::PathBuf;

use serde::Serialize;

use crate::args::Format;
use crate::error::{Classify, CommandResult};
use crate::exit;
use crate::output;
use crate::run_output::load_scenarios;

/// Arguments of `list`.
#[derive(Debug, clap::Args)]
pub(crate) struct ListArgs {
    /// The folder of scenarios. Default: `scenarios/target` when that folder exists under
    /// the current folder, else the set built into pens-conform.
    #[arg(long, value_name = "DIR")]
    pub(crate) scenarios: Option<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub(crate) format: Format,
}

/// The version of `list --format json`'s document: 1 adds `format_version` around the
/// list (before, the document was the bare array), as `--format json` promises.
const LIST_FORMAT_VERSION: u32 = 1;

/// `list --format json`: the scenarios, with the document's version.
#[derive(Serialize)]
struct Listing<'a> {
    format_version: u32,
    scenarios: &'a [Listed<'a>],
}

#[derive(Serialize)]
struct Listed<'a> {
    id: &'a str,
    title: &'a str,
    file: String,
    requirements: Vec<&'static str>,
    tags: Vec<&'a str>,
    needs: Vec<&'static str>,
    unless: Vec<&'static str>,
}

pub(crate) fn run(args: &ListArgs) -> CommandResult {
    let set = crate::shipped::ScenarioSet::resolve(args.scenarios.as_deref(), crate::shipped::SuiteKind::Target);
    let scenarios = load_scenarios(&set).usage()?;
    let listed: Vec<Listed<'_>> = scenarios
        .iter()
        .map(|s| Listed {
            id: &s.id.value,
            title: &s.title.value,
            file: s.source.display().to_string(),
            requirements: s.requirements.iter().map(|r| r.value.id).collect(),
            tags: s.tags.iter().map(|t| t.value.as_str()).collect(),
            needs: s.needs.iter().map(|c| c.value.name()).collect(),
            unless: s.unless.iter().map(|c| c.value.name()).collect(),
        })
        .collect();
    match args.format {
        Format::Json => {
            let document = Listing { format_version: LIST_FORMAT_VERSION, scenarios: &listed };
            output::line(serde_json::to_string_pretty(&document).harness()?).harness()?;
        }
        Format::Text => {
            let width = listed.iter().map(|l| l.id.len()).max().unwrap_or(0);
            for item in &listed {
                output::line(format!("{:<width$}  {}", item.id, item.title)).harness()?;
                output::line(format!("{:<width$}  requirements: {}", "", item.requirements.join(", "))).harness()?;
                if !item.tags.is_empty() {
                    output::line(format!("{:<width$}  tags: {}", "", item.tags.join(", "))).harness()?;
                }
            }
            output::line(pens_report::counted(listed.len() as u64, "scenario")).harness()?;
        }
    }
    Ok(exit::SUCCESS)
}
