//! `pens-conform list` and `pens-conform lint`: the scenario files themselves.

use std::path::PathBuf;

use serde::Serialize;

use crate::cli::{Format, LintArgs, ListArgs};
use crate::exit;
use crate::output;
use crate::run_output::load_scenarios;

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

pub(crate) fn list(args: &ListArgs) -> anyhow::Result<u8> {
    let scenarios = load_scenarios(&args.scenarios)?;
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
        Format::Json => output::line(serde_json::to_string_pretty(&listed)?)?,
        Format::Text => {
            let width = listed.iter().map(|l| l.id.len()).max().unwrap_or(0);
            for item in &listed {
                output::line(format!("{:<width$}  {}", item.id, item.title))?;
                output::line(format!("{:<width$}  requirements: {}", "", item.requirements.join(", ")))?;
                if !item.tags.is_empty() {
                    output::line(format!("{:<width$}  tags: {}", "", item.tags.join(", ")))?;
                }
            }
            output::line(format!("{} scenarios", listed.len()))?;
        }
    }
    Ok(exit::SUCCESS)
}

pub(crate) fn lint(args: &LintArgs) -> anyhow::Result<u8> {
    let paths = if args.paths.is_empty() { vec![PathBuf::from("scenarios/target")] } else { args.paths.clone() };
    let mut loaded = 0;
    let mut failed = 0;
    for path in &paths {
        if path.is_dir() {
            let (scenarios, errors) = pens_scenario::load_dir(path);
            loaded += scenarios.len();
            failed += errors.len();
            for error in &errors {
                eprintln!("{}", pens_scenario::render_plain(error));
            }
        } else {
            match pens_scenario::load_file(path) {
                Ok(_) => loaded += 1,
                Err(error) => {
                    failed += 1;
                    eprintln!("{}", pens_scenario::render_plain(&error));
                }
            }
        }
    }
    output::line(format!("{loaded} scenario(s) load cleanly, {failed} error(s)"))?;
    Ok(if failed == 0 { exit::SUCCESS } else { exit::USAGE })
}
